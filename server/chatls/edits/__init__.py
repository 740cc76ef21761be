"""From a model's reply to the edit a careful human would make: extracting the code or the
documentation, fitting it to the document, checking it, and minimal edits.

May import ``source`` and the shared leaves; never ``context``, ``model`` or anything above.
"""
