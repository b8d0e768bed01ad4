"""Tools around the product: the demo on its embedded defaults, and sweeps that run real-world
material (mail, encrypted Office files, Word forms) through the real code and count.
"""
