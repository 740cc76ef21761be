"""Code actions: the catalogue editors list, the arguments commands take, the runner that takes
one action from a document snapshot to a result, one module per action, and conversations: the
threads kept about code (whose latest answers are hovers), their messages within the budget,
and follow-up turns.

Knows nothing of LSP transport. May import ``context``, ``edits``, ``source``, ``model`` and
the shared leaves; never ``completion`` or ``lsp``.
"""
