"""What counts as a right rewrite, as each action declares it: the edit pipeline
(``edits.rewrite``) reads these rules and never asks which action it serves."""

from __future__ import annotations

import attrs


@attrs.frozen
class EditRules:
    diagnosed: bool = False
    """The rewrite answers a diagnostic: the diagnosed code must change (an unchanged reply
    says it is still there), the lines around it are kept unless tied to it, and the checks of
    a fix run (nothing else fixed or broken elsewhere, no recursion added, a misnamed symbol
    replaced by the one meant)."""
    instructed_removal: bool = False
    """A definition the instruction names may go away when the reply stood for all of it
    ("inline `helper`")."""
