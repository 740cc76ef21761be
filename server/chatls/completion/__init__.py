"""Inline completion: shaping the request around the cursor, supersession, debounce and the
cache, and cleaning replies into the text to insert.

May import ``context``, ``edits``, ``source``, ``model`` and the shared leaves; never
``actions`` or ``lsp``.
"""
