"""Next-edit suggestions: the user's recent edits, kept per document from ``didChange``
(``history``), and the edit that follows them, predicted by the model and checked like every
other reply before it is offered (``predictor``)."""
