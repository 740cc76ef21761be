"""Project rules without a server: which files are found for a document, in which order, how
an oversized one is cut, and that a changed file is read again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chatls.config import DEFAULT_RULES_FILES, Settings
from chatls.context.tokens import TokenCounter
from chatls.tools.rules import Rules, RulesFinder, bound, finder

COUNT = TokenCounter("gpt-4o-mini").count


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def find(
    root: Path,
    document: str,
    limit: int = 1000,
    names: tuple[str, ...] = DEFAULT_RULES_FILES,
    exclude: tuple[str, ...] = (),
    overlay: dict[str, str] | None = None,
) -> Rules:
    found = RulesFinder([str(root)], names, exclude, lambda: overlay or {})
    return found.find(str(root / document), limit, COUNT)


def test_nearest_folder_first_then_the_list_s_order(tmp_path: Path) -> None:
    write(tmp_path, "AGENTS.md", "root")
    write(tmp_path, ".github/copilot-instructions.md", "copilot")
    write(tmp_path, "a/CONVENTIONS.md", "conventions")
    write(tmp_path, "a/AGENTS.md", "a")
    write(tmp_path, "a/b/.chatls/rules.md", "chatls")
    rules = find(tmp_path, "a/b/code.py")
    assert [f.path for f in rules.files] == [
        "a/b/.chatls/rules.md",
        "a/AGENTS.md",
        "a/CONVENTIONS.md",
        "AGENTS.md",
        ".github/copilot-instructions.md",
    ]
    assert [f.text for f in rules.files] == ["chatls", "a", "conventions", "root", "copilot"]
    assert rules.tokens == sum(f.tokens for f in rules.files) > 0
    assert rules.describe().startswith("a/b/.chatls/rules.md (2 tokens), a/AGENTS.md (1 token), ")


def test_nothing_outside_the_workspace_or_without_a_path(tmp_path: Path) -> None:
    write(tmp_path, "AGENTS.md", "above the workspace")
    root = tmp_path / "ws"
    root.mkdir()
    assert find(root, "code.py").files == ()
    elsewhere = RulesFinder([str(root)], DEFAULT_RULES_FILES, (), dict)
    assert elsewhere.find(str(tmp_path / "other.py"), 1000, COUNT) == Rules()
    assert elsewhere.find(None, 1000, COUNT) == Rules()


def test_an_oversized_file_is_cut_at_a_line_and_one_line_too_long_is_left_out(
    tmp_path: Path,
) -> None:
    write(tmp_path, "AGENTS.md", "".join(f"line {n} of the rules\n" for n in range(500)))
    (rules,) = find(tmp_path, "code.py", limit=40).files
    assert rules.cut and rules.tokens <= 40
    assert rules.text.endswith("of the rules") and rules.text.startswith("line 0 ")
    assert "line 499" not in rules.text
    write(tmp_path, "AGENTS.md", "word " * 100)
    found = find(tmp_path, "code.py", limit=40)
    assert found.files == ()
    assert found.left_out == (
        "AGENTS.md: left out, its first line alone is over the 40 tokens left",
    )


def test_a_symlink_out_is_refused_and_one_in_is_read_once(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    outside = write(tmp_path, "secret.md", "secret")
    inside = write(root, "docs/rules.md", "inside")
    root.joinpath("AGENTS.md").symlink_to(outside)
    root.joinpath("CONVENTIONS.md").symlink_to(inside)
    root.joinpath(".chatls").mkdir()
    root.joinpath(".chatls/rules.md").symlink_to(inside)  # the same file again: taken once
    rules = find(root, "code.py")
    assert [(f.path, f.text) for f in rules.files] == [("CONVENTIONS.md", "inside")]
    assert rules.left_out == (
        "AGENTS.md: leads outside the workspace (through a symbolic link); chatls does not read it",
    )


def test_exclude_git_and_escaping_names_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "AGENTS.md", "excluded")
    write(tmp_path, ".git/rules.md", "in git")
    rules = find(
        tmp_path,
        "code.py",
        names=("AGENTS.md", ".git/rules.md", "../x.md", "/etc/passwd", "~/x.md"),
        exclude=("AGENTS.md",),
    )
    assert rules.files == ()
    assert rules.left_out == (
        "`rules.files` entry `../x.md`: not a path relative to a folder; left out",
        "`rules.files` entry `/etc/passwd`: not a path relative to a folder; left out",
        "`rules.files` entry `~/x.md`: not a path relative to a folder; left out",
        "AGENTS.md: matches the `exclude` pattern `AGENTS.md`: chatls never sends it anywhere.",
        ".git/rules.md: is inside `.git`, which chatls never reads.",
    )


def test_open_text_wins_and_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, "AGENTS.md", "first")
    assert find(tmp_path, "code.py").files[0].text == "first"
    overlay = {os.path.realpath(path): "unsaved"}
    assert find(tmp_path, "code.py", overlay=overlay).files[0].text == "unsaved"
    path.write_text("second, longer", encoding="utf-8")
    assert find(tmp_path, "code.py").files[0].text == "second, longer"


def test_binary_and_empty_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "AGENTS.md", "\n\n")
    (tmp_path / "CONVENTIONS.md").write_bytes(b"\x00\x01binary")
    rules = find(tmp_path, "code.py")
    assert rules.files == ()
    assert rules.left_out == ("CONVENTIONS.md: is a binary file; only text is read",)


@pytest.mark.parametrize(
    ("settings", "none"),
    [
        ({}, False),
        ({"enabled": False}, True),
        ({"trusted": False}, True),
        ({"trusted": True}, False),
    ],
)
def test_off_and_untrusted_find_nothing(
    tmp_path: Path, settings: dict[str, bool], none: bool
) -> None:
    chosen = Settings()
    chosen.rules.enabled = settings.get("enabled", True)
    chosen.workspace_trusted = settings.get("trusted")
    assert (finder(chosen, [str(tmp_path)], dict) is None) is none
    assert finder(Settings(), [], dict) is None


def test_the_bound_is_at_most_an_eighth_of_the_context() -> None:
    assert bound(1000, 8192) == 1000
    assert bound(1000, 4096) == 512
    assert bound(100, 2048) == 100
