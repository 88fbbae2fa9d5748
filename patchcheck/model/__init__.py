"""The VM_* flag model and its registries (smaps mnemonics, trace names, proc.rst, Kconfig)."""
