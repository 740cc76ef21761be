"""chatls: an AI pair programmer for every LSP editor."""

__version__ = "0.1.0"
