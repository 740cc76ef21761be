"""The editor protocol: the pygls server, its protocol tweaks, reading stdin, document sync,
settings, progress, messages, cancellation and the thin feature handlers.

The only package that imports pygls. It may import everything below it (``actions``,
``completion`` and the layers under them); nothing imports it but ``chatls.cli``.
"""
