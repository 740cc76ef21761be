"""The target stage: what the editor sent (a range, possibly empty) turned into the code the
user meant, before anything else runs.

Editors select in many ways: Vim's ``V`` takes whole lines from column 0, a click on VS Code's
line numbers ends the selection at column 0 of the next line, Emacs regions start at the
beginning of a line, and many people leave only a cursor. Each action declares a ``Rule``
(``chatls.targets.rules``) saying what a cursor and a selection mean for it; ``resolve``
applies it to one snapshot. May import ``source`` and the leaves only.
"""
