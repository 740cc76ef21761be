"""chatls installed the ways the README says, each in a fresh place, then used over real LSP.

- the wheel and sdist `make dist` builds (`python -m build`: the wheel is built from the sdist),
  installed with pip into a fresh venv, with the `local` extra;
- `uv tool install .` from the repository (what `pipx install .` does too);
- the Neovim plugin installed the way lazy.nvim does it (see test_lazy_nvim_style_install).

These download from PyPI (build requirements, dependencies) as a user's install does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from lsprotocol import types

from chatls import __version__
from chatls.model.local import MODEL_REQUIREMENT
from chatls_testing.scripted_backend import Chat, ScriptedBackend
from tests.conftest import SECRET, Start
from tests.editors.conftest import NVIM

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "def area(w, h):\n    return w * h\n"
DOCSTRING = "Return the area of a w by h rectangle."
DOCUMENTED = 'def area(w, h):\n    """Return the area of a w by h rectangle."""\n    return w * h\n'


def run(command: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=600, **kwargs
    )  # type: ignore[call-overload]
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result  # type: ignore[no-any-return]


def clean_env(tmp_path: Path) -> dict[str, str]:
    """No venv active, no chatls on PATH, nothing on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        entry
        for entry in env.get("PATH", "").split(os.pathsep)
        if entry and not (Path(entry) / "chatls").exists()
    )
    env["HOME"] = str(tmp_path / "home")
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, ROOT])
    return out


async def docstring_session(start: Start, server: list[str]) -> str:
    session = await start(server=server)
    uri = session.editor.open("area.py", SOURCE)
    session.backend.script(Chat(DOCSTRING))
    await session.command(
        "chatls.docstring",
        {"uri": uri, "range": types.Range(types.Position(0, 4), types.Position(0, 4))},
    )
    assert session.editor.text(uri) == DOCUMENTED, session.messages()
    return session.log()


def test_sdist_holds_what_the_wheel_needs(dist: Path) -> None:
    (sdist,) = dist.glob("chatls-*.tar.gz")
    (wheel,) = dist.glob("chatls-*-py3-none-any.whl")
    assert sdist.name == f"chatls-{__version__}.tar.gz"
    names = zipfile.ZipFile(wheel).namelist()
    assert "chatls/context/templates/explain.toml" in names
    assert "chatls/py.typed" in names
    metadata = zipfile.ZipFile(wheel).read(f"chatls-{__version__}.dist-info/METADATA").decode()
    assert re.search(r"Requires-Dist: xllamacpp.*; extra == \"local\"", metadata)
    entry_points = zipfile.ZipFile(wheel).read(f"chatls-{__version__}.dist-info/entry_points.txt")
    assert b"chatls = chatls.cli:main" in entry_points


@pytest.fixture
def wheel_venv(dist: Path, tmp_path: Path) -> Path:
    """A fresh venv with the wheel installed by pip, with the `local` extra."""
    (wheel,) = dist.glob("chatls-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", f"{wheel}[local]"], env=clean_env(tmp_path))
    return env_dir


async def test_wheel_in_a_fresh_venv(wheel_venv: Path, start: Start) -> None:
    chatls = wheel_venv / "bin" / "chatls"
    assert run([chatls, "--version"]).stdout.strip() == f"chatls {__version__}"
    # The extra brought the local model's runtime; the model itself is a separate wheel.
    python = wheel_venv / "bin" / "python"
    found = run([python, "-c", "from chatls.model import local; print(local.runtime_installed())"])
    assert found.stdout.strip() == "True"
    log = await docstring_session(start, [str(chatls)])
    assert f"chatls {__version__} from {wheel_venv}/lib/" in log


@pytest.fixture
def uv_tool(tmp_path: Path) -> Path:
    """`uv tool install .`: chatls in an environment of its own, its command in a bin folder."""
    env = clean_env(tmp_path)
    env["UV_TOOL_DIR"] = str(tmp_path / "tools")
    env["UV_TOOL_BIN_DIR"] = str(tmp_path / "bin")
    run([Path(sys.executable).parent / "uv", "tool", "install", "--quiet", ROOT], env=env)
    return tmp_path


async def test_uv_tool_install(uv_tool: Path, start: Start) -> None:
    chatls = uv_tool / "bin" / "chatls"
    assert run([chatls, "--version"]).stdout.strip() == f"chatls {__version__}"
    log = await docstring_session(start, [str(chatls)])
    assert f"from {uv_tool / 'tools'}" in log


LAZY = Path(__file__).with_name("lazy_emulation.lua")


def readme_lazy_spec() -> str:
    """The lazy.nvim block of the README's install section, as users copy it."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```lua\n(.*?)```", readme, re.S)
    found = [block for block in blocks if "require('lazy').setup" in block]
    assert len(found) == 1, "the README has one lazy.nvim block"
    return found[0]


def test_lazy_nvim_style_install(tmp_path: Path, backend: ScriptedBackend) -> None:
    """The README's lazy.nvim spec, run against an emulation of lazy.nvim's documented
    contract (lazy.nvim itself cannot be downloaded here): the repository is cloned into
    stdpath('data')/lazy/<name>, the `build` string runs in the plugin's directory, the plugin
    directory goes on 'runtimepath', and `config(plugin)` runs. Then Neovim, with a fresh data
    directory and no chatls on PATH, starts the server the build installed and documents a
    function through it."""
    env = clean_env(tmp_path)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    assert shutil.which("chatls", path=env["PATH"]) is None
    # lazy clones the repository: the committed tree, as a user gets it.
    env["CHATLS_TEST_REPO"] = str(ROOT)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "area.py").write_text(SOURCE)
    init = tmp_path / "init.lua"
    init.write_text(readme_lazy_spec())
    result = tmp_path / "result.json"
    env["CHATLS_TEST_CONFIG"] = json.dumps(
        {
            "init": str(init),
            "result": str(result),
            "file": str(workspace / "area.py"),
            "settings": {
                "baseUrl": backend.url,
                "apiKey": SECRET,
                "model": "test-model",
                "structuredOutput": "off",
            },
        }
    )
    backend.script(Chat(DOCSTRING))
    proc = subprocess.run(
        [str(NVIM), "--headless", "--clean", "-S", str(LAZY)],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert result.exists(), f"{proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out = json.loads(result.read_text())
    assert "error" not in out, out
    plugin = Path(env["XDG_DATA_HOME"]) / "nvim" / "lazy" / "chatls"
    assert out["plugin_dir"] == str(plugin)
    assert out["build_status"] == 0, out["build_output"][-3000:]
    assert out["cmd"] == [str(plugin / "clients" / "neovim" / "venv" / "bin" / "chatls")]
    assert out["text"] == DOCUMENTED
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_install_script_pins_the_same_model() -> None:
    text = (ROOT / "clients" / "neovim" / "install.py").read_text()
    assert f'MODEL = "{MODEL_REQUIREMENT}"' in text
