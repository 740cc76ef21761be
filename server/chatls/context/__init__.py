"""What a request says: the prompt templates and their rendering, the context window around the
code within an exact token budget, and token counting.

May import ``source`` and the shared leaves; never ``edits``, ``model`` or anything above.
"""
