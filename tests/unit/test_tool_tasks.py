"""The cross-file Fix tasks (``chatls_testing.tool_tasks``) are sound: each one's check fails on
its workspace as it is and passes once the target holds the task's ``fixed`` answer, and its
``fact`` is in another file of the workspace, not in the target. Runs the checks for real:
Python, Node and ``go`` (``scripts/system-deps.sh``); the TypeScript and Rust checks read text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chatls_testing.tool_tasks import TASKS, Task


def with_fixed(task: Task) -> str:
    """The target with ``fixed`` in place of the declaration it rewrites: from the target's line
    that starts it (``fixed``'s first line found in the target, anything ``fixed`` puts before it,
    an import, going there too) to the end of that declaration (Python: the next line at column
    0; the others: the first line that is a lone ``}``)."""
    text = task.files[task.target]
    lines = text.splitlines(keepends=True)
    fixed_lines = task.fixed.splitlines(keepends=True)
    first = next(n for n, line in enumerate(lines) if line in fixed_lines and line.strip())
    last = first + 1
    if task.language == "python":
        while last < len(lines) and (not lines[last].strip() or lines[last][0] in " \t"):
            last += 1
        while last > first + 1 and not lines[last - 1].strip():
            last -= 1
    else:
        while lines[last - 1] != "}\n":
            last += 1
    return "".join(lines[:first]) + task.fixed + "".join(lines[last:])


def check(task: Task, root: Path, target: str) -> subprocess.CompletedProcess[str]:
    for name, text in task.files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / task.target).write_text(target)
    (root / "check_task.py").write_text(task.check)
    return subprocess.run(
        [sys.executable, "check_task.py"], cwd=root, capture_output=True, text=True, timeout=120
    )


def test_there_are_enough_tasks_in_each_language() -> None:
    languages = [task.language for task in TASKS]
    assert len(TASKS) >= 20
    assert len({task.id for task in TASKS}) == len(TASKS)
    assert languages.count("javascript") + languages.count("typescript") >= 3
    assert languages.count("go") >= 3
    assert languages.count("rust") >= 3


@pytest.mark.parametrize("task", TASKS, ids=[task.id for task in TASKS])
def test_the_check_fails_as_it_is_and_passes_when_fixed(task: Task, tmp_path: Path) -> None:
    target = task.files[task.target]
    assert task.needle in target
    assert task.fact not in target
    assert any(task.fact in text or task.fact in name for name, text in task.files.items())

    before = check(task, tmp_path / "before", target)
    assert before.returncode != 0, "the check passes on the unedited workspace"

    fixed = with_fixed(task)
    assert fixed != target
    after = check(task, tmp_path / "after", fixed)
    assert after.returncode == 0, (fixed, after.stdout, after.stderr)
