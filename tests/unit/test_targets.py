"""The target stage reads the outline near the code only (``Syntax.entries_near``): for every
action's target rule, every gesture an editor makes (a cursor, whole lines from column 0, a
drag from anywhere to anywhere) in real files of every language with a grammar, the target is
the one the whole file's outline gives."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from chatls.actions.registry import builtin
from chatls.errors import InvalidRequestError
from chatls.source.code import Code
from chatls.source.document import Document
from chatls.source.syntax import OutlineEntry, Syntax
from chatls.targets.rules import Rule, SeveralDefinitions, resolve
from chatls_testing.gesture_samples import SAMPLES

STDLIB = Path(sysconfig.get_paths()["stdlib"])
GO = next(iter(sorted(Path("/usr/lib").glob("go-1.*/src"))), None)
RUST = next(iter(sorted(Path("/usr/src").glob("rustc-*/library"))), None)

# Real files people edit, beside the samples: Python from the interpreter's own library
# (decorators, nested classes, comments above), Go and Rust from their toolchains where the
# machine has them (CI's system-deps installs both).
REAL = [
    STDLIB / "glob.py",
    STDLIB / "fractions.py",
    STDLIB / "dataclasses.py",
    *([GO / "bytes/buffer.go"] if GO else []),
    *([RUST / "alloc/src/collections/binary_heap.rs"] if RUST else []),
]
# C#'s top-level statements open with a definition of their own; text that is not ASCII moves
# characters from bytes; the samples again with Windows line endings.
EXTRA = {
    "top.cs": (
        "using System;\n\n// Says hello.\nvoid Hello()\n{\n    Console.WriteLine(1);\n}\n\n"
        "// Adds.\nint Add(int a, int b) => a + b;\nHello();\n"
    ),
    "wide.py": (
        "# Ünïcödé ✓\n\n\ndef first(ä):\n    return 'é' * ä\n\n\n# 🙂 above\n"
        "class Zweite:\n    # über\n    def método(self):\n        return 'ß'\n"
    ),
}


def _texts() -> list[tuple[str, str]]:
    texts = [(sample.file, sample.text) for sample in SAMPLES]
    texts += [(f"crlf-{sample.file}", sample.text.replace("\n", "\r\n")) for sample in SAMPLES]
    texts += [(path.name, path.read_text(encoding="utf-8")) for path in REAL if path.is_file()]
    return texts + list(EXTRA.items())


def _rules() -> list[Rule]:
    return list({action.target: None for action in builtin().values()})


def _same(entry: OutlineEntry | None) -> Any:
    """An entry without its parent's number, which counts in the tuple it came from."""
    if entry is None:
        return None
    return (entry.lead, entry.start, entry.end, entry.qualified, entry.kind)


def _outcome(code: Code, start: int, end: int, rule: Rule) -> Any:
    try:
        target = resolve(code, start, end, rule)
    except SeveralDefinitions as several:
        return ("several", str(several), tuple(_same(e) for e in several.candidates))
    except InvalidRequestError as error:
        return ("refused", str(error))
    return (target.start, target.end, _same(target.entry), target.chosen)


def _gestures(text: str, seed: int, count: int) -> list[tuple[int, int]]:
    """Cursors, whole lines from column 0 to column 0 of the next line, and drags."""
    chosen = random.Random(seed)
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    found = []
    for _ in range(count):
        kind = chosen.randrange(3)
        if kind == 0:
            at = chosen.randrange(len(text) + 1)
            found.append((at, at))
        elif kind == 1:
            first = chosen.randrange(len(starts))
            last = min(len(starts) - 1, first + chosen.randrange(1, 40))
            found.append((starts[first], starts[last]))
        else:
            low = chosen.randrange(len(text) + 1)
            found.append((low, min(len(text), low + chosen.randrange(0, 3000))))
    return found


@pytest.mark.parametrize(("name", "text"), _texts(), ids=[name for name, _ in _texts()])
def test_the_target_near_the_code_is_the_target_of_the_whole_outline(name: str, text: str) -> None:
    document = Document(f"file:///w/{name}", text, 1, f"/w/{name}")
    near = Code(document, "utf-16")
    whole = Code(document, "utf-16")
    whole.syntax = Syntax(text, whole.spec)  # a parse of its own, asked for the whole outline
    whole.syntax.entries_near = lambda start, end: whole.syntax.entries  # type: ignore[method-assign]
    assert near.syntax.tree is not None and whole.syntax.entries
    rules = _rules()
    compared = 0
    for start, end in _gestures(text, seed=len(text), count=300):
        for rule in rules:
            assert _outcome(near, start, end, rule) == _outcome(whole, start, end, rule), (
                name,
                start,
                end,
                rule,
            )
            compared += 1
    assert compared == 300 * len(rules) and len(rules) >= 3


def test_the_walk_near_the_code_visits_only_what_is_near() -> None:
    """In a file of 600 functions, a cursor in one of them finds it and the one after it."""
    text = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(600))
    syntax = Syntax(text, Code(Document("file:///w/m.py", text, 1, "/w/m.py"), "utf-16").spec)
    at = text.index("return x + 300")
    near = syntax.entries_near(at, at)
    assert [entry.name for entry in near] == ["f300", "f301"]
    assert len(syntax.entries) == 600


def test_an_entry_from_another_parse_of_the_text_is_documented_the_same() -> None:
    """Generate docstring reads the definition of the entry the target stage chose: from a walk
    near other code, or another parse of the same text, it is still that definition."""
    text = (STDLIB / "fractions.py").read_text(encoding="utf-8")
    spec = Code(Document("file:///w/f.py", text, 1, "/w/f.py"), "utf-16").spec
    at = text.index("def limit_denominator")
    chosen = [e for e in Syntax(text, spec).entries_near(at, at) if e.name == "limit_denominator"]
    other = Syntax(text, spec)
    other.entries_near(0, 0)
    assert len(chosen) == 1 and chosen[0].parent is not None
    documented = other.entry_definition(chosen[0])
    assert documented == Syntax(text, spec).entry_definition(chosen[0])
    assert documented.span.name == "limit_denominator" and documented.docstring is not None
    with pytest.raises(ValueError, match="not a definition"):
        other.entry_definition(OutlineEntry(1, 1, 2, "gone", "gone", "function_definition", None))
