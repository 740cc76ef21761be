"""Generators and helpers run from the repository (``scripts/gen_docs.py``...)."""
