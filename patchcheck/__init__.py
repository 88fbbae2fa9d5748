"""patchcheck: check that a Linux VM_* flag is handled consistently at every site."""

__version__ = "0.1.0"
