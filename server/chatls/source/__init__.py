"""The code as chatls reads it: document snapshots, lines and positions in the client's
encoding, languages, and tree-sitter syntax.

May import the shared leaves only.
"""
