"""Running the behavioural probe inside a kernel booted under QEMU.

The guest runs a small static C observer (patchcheck/probe/guest/*.c) as /init of an initramfs
written here in Python; it prints the same observation records the host observer produces, between markers on
the serial console. The host reads them back and judges them with the same claim list as the live probe.
"""
