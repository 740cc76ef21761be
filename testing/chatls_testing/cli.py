"""Running `chatls run` as a user would, against the scripted backend over real HTTP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chatls_testing.scripted_backend import ScriptedBackend


def chatls_run(
    backend: ScriptedBackend, env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """``chatls run ARGS`` pointed at ``backend``, with a test API key."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatls",
            "run",
            *args,
            "--base-url",
            backend.url,
            "--model",
            "test-model",
        ],
        capture_output=True,
        env={**env, "OPENAI_API_KEY": "sk-cli-test-0000000000"},
        cwd=cwd,
        timeout=60,
    )
    # Decoded by hand: text mode would turn a diff's CRLFs into LFs.
    return subprocess.CompletedProcess(
        out.args, out.returncode, out.stdout.decode(), out.stderr.decode()
    )
