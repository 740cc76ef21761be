"""The VS Code extension as users get it: the size of each platform's .vsix, and the time from
the extension's activation to the server's first `initialize` answer in a real VS Code
(code-server, a fresh profile and a fresh install each run, python3 from a fresh venv).

    flock /work/locks/timing.lock .venv/bin/python bench/vsix.py [--runs 3] [--rebuild]

Builds the .vsix files that are missing (`make vsix`), then runs the extension's end-to-end
harness in its start-up-only mode (clients/vscode/scripts/e2e.sh --startup-only), which reads
the time the extension logs ("Startup: ..."). Each run is a first start after installing: Python
compiles the bundled libraries' bytecode then (the .vsix carries none).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The build script (clients/vscode/scripts/vsix.py), by its path: it shares this file's name.
_spec = importlib.util.spec_from_file_location(
    "vsix_build", ROOT / "clients" / "vscode" / "scripts" / "vsix.py"
)
assert _spec is not None and _spec.loader is not None
vsix_build = importlib.util.module_from_spec(_spec)
sys.modules["vsix_build"] = vsix_build
_spec.loader.exec_module(vsix_build)
DIST, TARGETS, build, version = (
    vsix_build.DIST,
    vsix_build.TARGETS,
    vsix_build.build,
    vsix_build.version,
)


def initialize_time(python: str, libs: list[Path], cwd: Path) -> float:
    """Spawn to `initialize` answered, for the bundled server started as the extension starts
    it (`python -P -m chatls` with the bundled libraries first on PYTHONPATH)."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}},
        }
    ).encode()
    started = time.perf_counter()
    server = subprocess.Popen(
        [python, "-P", "-m", "chatls", "--log-level", "warning"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env={
            # As on a user's machine: Python writes the bytecode it compiles beside the
            # sources (here, the unpacked extension), which later starts reuse.
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "PYTHONPATH": os.pathsep.join(map(str, libs)),
        },
    )
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    server.stdin.flush()
    length = 0
    while (line := server.stdout.readline().strip()) != b"":
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    answer = json.loads(server.stdout.read(length))
    elapsed = time.perf_counter() - started
    assert answer.get("id") == 1 and "result" in answer, answer
    server.kill()
    server.wait()
    return elapsed * 1000


def server_starts(vsix: Path, runs: int) -> None:
    """The bundled server alone, from the unpacked .vsix: the first start compiles the
    libraries' bytecode (as after installing the extension), the others find it."""
    python = sys.executable if sys.version_info >= (3, 11) else "python3"
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        zipfile.ZipFile(vsix).extractall(root)
        libs = root / "extension" / "bundled" / "libs"
        tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
        times = [initialize_time(python, [libs / tag, libs / "common"], root) for _ in range(runs)]
    warm = times[1:]
    print(
        f"\nbundled server alone (python -P -m chatls, {tag}), spawn → initialize answered: "
        f"first start {times[0]:.0f} ms (writes the bytecode), then median "
        f"{statistics.median(warm):.0f} ms over {len(warm)} starts"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="build every .vsix again")
    args = parser.parse_args()
    files = {target: DIST / f"chatls-{target}-{version()}.vsix" for target in TARGETS}
    missing = [t for t, f in files.items() if args.rebuild or not f.exists()]
    if missing:
        build(missing)
    print("\n.vsix sizes:")
    for file in files.values():
        print(f"  {file.name:36} {file.stat().st_size / 1e6:6.1f} MB")
    server_starts(files["linux-x64"], args.runs + 5)
    times: list[tuple[int, int, int]] = []
    for run in range(args.runs):
        result = subprocess.run(
            ["bash", str(ROOT / "clients/vscode/scripts/e2e.sh"), "--startup-only"],
            env={**os.environ, "E2E_REUSE_VSIX": "1", "CHATLS_PYTHON": sys.executable},
            capture_output=True,
            text=True,
            check=False,
        )
        found = re.search(
            r"Startup: the server answered initialize (\d+) ms after activation "
            r"\(finding Python (\d+) ms, starting the server (\d+) ms\)",
            result.stdout,
        )
        if found is None:
            print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
            return 1
        total, probe, start = (int(g) for g in found.groups())
        times.append((total, probe, start))
        print(f"  run {run + 1}: {total} ms (finding Python {probe} ms, server {start} ms)")
    totals = [t[0] for t in times]
    print(
        f"\nactivation → first initialize answer, linux-x64, {args.runs} fresh installs: "
        f"median {statistics.median(totals):.0f} ms (min {min(totals)}, max {max(totals)}); "
        f"finding Python median {statistics.median(t[1] for t in times):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
