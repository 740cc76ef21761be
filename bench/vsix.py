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
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "vscode" / "scripts"))

from vsix import DIST, TARGETS, build, version  # noqa: E402


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
