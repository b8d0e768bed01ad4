"""Tools around the product: the demo, backups, the systemd unit, and sweeps that run real-world
material (mail, encrypted Office files, Word forms) through the real code and count.
"""
