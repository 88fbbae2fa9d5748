"""Fitting patchcheck into the kernel workflow: the git send-email hook and b4's check commands."""
