"""Running the tests Write tests wrote, and only those, with the ecosystem's own runner when
it is installed: pytest (unittest when pytest is missing), Node's test runner or the project's
Vitest/Jest, ``go test -run``, ``cargo test``.

The run sees exactly the text chatls wrote even when the editor has not saved it: a file on
disk that holds it is run as it is; otherwise a scratch copy runs in its place and is removed
(Python and JavaScript: a uniquely named file beside it; Go: ``go test -overlay``, which never
touches the package; Rust: a copy of the crate, built in chatls's own cache).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from typing import Literal

import attrs

from chatls.running.process import Finished, environment, execute, isolation

Outcome = Literal["ran", "not_run", "error", "timeout"]
_FAILURES_SHOWN = 5
_MESSAGE_LINES = 6
_COPY_LIMIT = (20_000, 200_000_000)
"""Files and bytes a crate may hold to be copied for a run."""
_NOT_COPIED = ("target", ".git", "node_modules")


@attrs.frozen
class TestRun:
    """Tests to run: where they are, what their file holds now, and their names."""

    __test__ = False  # not a pytest test class, whatever its name

    framework: str
    language_id: str
    path: str
    """The file that holds them (the test file, or Rust's source file)."""
    text: str
    """What that file holds once chatls's edit is applied (saved or not)."""
    names: tuple[str, ...]
    project: str
    module: str = ""
    """Rust: the test module's name."""
    appended: bool = False
    """The tests were added to a file that had tests already (only the new ones run)."""


@attrs.frozen
class Failure:
    test: str
    message: str


@attrs.frozen
class RunReport:
    outcome: Outcome
    passed: int = 0
    failed: int = 0
    failures: tuple[Failure, ...] = ()
    reason: str = ""
    """Why it did not run, or the runner's own error when the tests could not start."""
    runner: str = ""
    seconds: float = 0.0
    isolation: str = ""


@attrs.frozen
class PreparedRun:
    """A run made ready (the files it needs written): the command, or why there is none."""

    runner: str
    argv: tuple[str, ...] = ()
    cwd: str = ""
    env: dict[str, str] | None = None
    reason: str = ""
    """Not run: why."""
    report: Callable[[Finished], RunReport] | None = None
    """Reads the command's end (and the files it wrote) into a report."""
    leftovers: tuple[str, ...] = ()
    """Scratch files and folders to remove afterwards."""
    aliases: tuple[tuple[str, str], ...] = ()
    """(scratch path, the file it stands for): how the report names them."""


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _scratch_name(path: str) -> str:
    directory, base = os.path.split(path)
    stem, extension = os.path.splitext(base)
    token = uuid.uuid4().hex[:8]
    if extension == ".py":
        return os.path.join(directory, f"test_chatls_{token}.py")
    head, dot, tail = base.partition(".test.")
    if dot:
        return os.path.join(directory, f"{head}.chatls-{token}.test.{tail}")
    return os.path.join(directory, f"{stem}.chatls-{token}{extension}")


def _holding(path: str, text: str, leftovers: list[str]) -> str:
    """``path`` when it holds ``text`` already, else a scratch copy beside it (removed after
    the run)."""
    if _read(path) == text:
        return path
    scratch = _scratch_name(path)
    with open(scratch, "x", encoding="utf-8", newline="") as handle:
        handle.write(text)
    leftovers.append(scratch)
    return scratch


def _remove(paths: tuple[str, ...]) -> None:
    for path in paths:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.remove(path)


def _tail(output: str, lines: int = 12) -> str:
    kept = [line for line in output.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _short(message: str) -> str:
    lines = [line.rstrip() for line in message.strip().splitlines() if line.strip()]
    return "\n".join(lines[:_MESSAGE_LINES])


async def run_tests(run: TestRun, time_limit: float) -> RunReport:
    """Run ``run``'s tests; never raises for a failing or missing runner (the report says).
    Cancelling the calling task stops the run and removes its scratch files."""
    _, isolated = await isolation()
    plan = await asyncio.to_thread(prepare, run)
    try:
        if plan.report is None:
            return RunReport("not_run", reason=plan.reason, runner=plan.runner)
        finished = await execute(list(plan.argv), plan.cwd, time_limit, plan.env)
        if finished.code is None:
            report = RunReport("timeout", runner=plan.runner, seconds=finished.seconds)
        else:
            report = await asyncio.to_thread(plan.report, finished)
    finally:
        await asyncio.to_thread(_remove, plan.leftovers)
    return attrs.evolve(_renamed(report, plan.aliases), isolation=isolated)


def _renamed(report: RunReport, aliases: tuple[tuple[str, str], ...]) -> RunReport:
    """The report with scratch files called by the names of the files they stand for."""

    def rename(text: str) -> str:
        for scratch, real in aliases:
            text = text.replace(scratch, real)
            text = text.replace(os.path.basename(scratch), os.path.basename(real))
        return text

    failures = tuple(attrs.evolve(f, message=rename(f.message)) for f in report.failures)
    return attrs.evolve(report, reason=rename(report.reason), failures=failures)


def prepare(run: TestRun) -> PreparedRun:
    """The command that runs ``run``'s tests, its scratch files written (blocking: call it off
    the event loop)."""
    preparers: dict[str, Callable[[TestRun, list[str]], PreparedRun]] = {
        "pytest": _python,
        "unittest": _python,
        "vitest": _javascript,
        "jest": _javascript,
        "node": _javascript,
        "go": _go,
        "rust": _rust,
    }
    preparer = preparers.get(run.framework)
    if preparer is None:
        return PreparedRun(
            run.framework, reason=f"chatls does not know how to run {run.framework} tests"
        )
    directory = os.path.dirname(run.path)
    if not os.path.isdir(directory):
        return PreparedRun(run.framework, reason=f"{directory} does not exist yet")
    leftovers: list[str] = []
    try:
        plan = preparer(run, leftovers)
    except BaseException:
        _remove(tuple(leftovers))
        raise
    # A scratch file in a folder of its own stands for the test file too (Go's overlay).
    aliases = [
        (path, run.path)
        for path in leftovers
        if os.path.isfile(path) and os.path.basename(path) != os.path.basename(run.path)
    ]
    aliases += [(os.path.join(path, os.path.basename(run.path)), run.path) for path in leftovers]
    return attrs.evolve(
        plan, leftovers=(*plan.leftovers, *leftovers), aliases=(*plan.aliases, *aliases)
    )


def _scratch_folder(leftovers: list[str]) -> str:
    folder = tempfile.mkdtemp(prefix="chatls-run-")
    leftovers.append(folder)
    return folder


# --- Python --------------------------------------------------------------------------------


def _venv_python(folder: str) -> str | None:
    for relative in ("bin/python", "bin/python3", "Scripts/python.exe"):
        candidate = os.path.join(folder, relative)
        if os.path.isfile(candidate):
            return candidate
    return None


def _has_pytest(python: str) -> bool:
    venv = os.path.dirname(os.path.dirname(python))
    if os.path.isfile(os.path.join(os.path.dirname(python), "pytest")):
        return True
    return bool(glob.glob(os.path.join(venv, "lib", "python*", "site-packages", "pytest")))


def python_for(project: str) -> tuple[str | None, bool, str]:
    """The project's interpreter, whether it has pytest, and where chatls looked: the
    project's ``.venv``/``venv``, ``$VIRTUAL_ENV``, then ``pytest`` and ``python3`` on PATH."""
    looked = ".venv, venv, $VIRTUAL_ENV and PATH"
    candidates = [os.path.join(project, ".venv"), os.path.join(project, "venv")]
    if os.environ.get("VIRTUAL_ENV"):
        candidates.append(os.environ["VIRTUAL_ENV"])
    for folder in candidates:
        python = _venv_python(folder)
        if python is not None:
            return python, _has_pytest(python), looked
    pytest = shutil.which("pytest")
    if pytest is not None:
        sibling = _venv_python(os.path.dirname(os.path.dirname(pytest)))
        shebang = (_read(pytest) or "").split("\n", 1)[0]
        interpreter = sibling or (
            shebang[2:].strip().split()[0] if shebang.startswith("#!") else ""
        )
        if interpreter and os.path.isfile(interpreter):
            return interpreter, True, looked
    python = shutil.which("python3") or shutil.which("python")
    return python, False, looked


def _python(run: TestRun, leftovers: list[str]) -> PreparedRun:
    python, pytest, looked = python_for(run.project)
    if python is None or (run.framework == "pytest" and not pytest):
        return PreparedRun("pytest", reason=f"pytest is not installed (looked in {looked})")
    held = _holding(run.path, run.text, leftovers)
    relative = os.path.relpath(held, run.project)
    if pytest:
        report_file = os.path.join(_scratch_folder(leftovers), "report.xml")
        argv = (
            python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no", "--no-header",
            f"--junitxml={report_file}", *(f"{relative}::{name}" for name in run.names),
        )  # fmt: skip
        return PreparedRun(
            "pytest", argv, run.project, report=lambda f: _pytest_report(f, report_file)
        )
    module = os.path.splitext(relative)[0].replace(os.sep, ".")
    ids = (f"{module}.{name.replace('::', '.')}" for name in run.names)
    return PreparedRun(
        "unittest", (python, "-m", "unittest", "-v", *ids), run.project, report=_unittest
    )


def _pytest_report(finished: Finished, report_file: str) -> RunReport:
    seconds = finished.seconds
    try:
        tree = ElementTree.parse(report_file)
    except (OSError, ElementTree.ParseError):
        reason = _errors(finished.output) or _tail(finished.output)
        return RunReport("error", reason=reason, runner="pytest", seconds=seconds)
    passed = failed = 0
    failures = []
    errors = []
    for case in tree.iter("testcase"):
        if case.find("skipped") is not None:
            continue
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            passed += 1
            continue
        message = problem.get("message") or problem.text or ""
        if not case.get("classname") and problem.tag == "error":
            errors.append(message)
            continue
        failed += 1
        failures.append(Failure(case.get("name", ""), _short(message)))
    if errors or finished.code in (2, 3, 4) or passed + failed == 0:
        reason = _errors(finished.output) or _short("\n".join(errors)) or _tail(finished.output)
        return RunReport("error", reason=reason, runner="pytest", seconds=seconds)
    return RunReport("ran", passed, failed, tuple(failures), runner="pytest", seconds=seconds)


def _errors(output: str) -> str:
    """pytest's ``E   ...`` lines and its ERROR summary lines: why a file could not run."""
    lines = [line[4:].strip() for line in output.splitlines() if line.startswith("E   ")]
    lines += [line for line in output.splitlines() if line.startswith("ERROR ")]
    return _short("\n".join(lines))


def _unittest(finished: Finished) -> RunReport:
    output = finished.output
    results = re.findall(r"^\w+ \([\w.]+\)[^\n]*?\.\.\. (ok|FAIL|ERROR|skipped.*)$", output, re.M)
    failures = []
    for block in re.split(r"^={50,}$", output, flags=re.M)[1:]:
        head = re.match(r"\s*(FAIL|ERROR): (\w+)", block)
        if head:
            last = [line for line in block.split("-" * 70)[-1].splitlines() if line.strip()]
            failures.append(Failure(head.group(2), last[-1] if last else ""))
    seconds = finished.seconds
    if not results:
        return RunReport("error", reason=_tail(output), runner="unittest", seconds=seconds)
    passed = sum(1 for state in results if state == "ok")
    return RunReport(
        "ran", passed, len(failures), tuple(failures), runner="unittest", seconds=seconds
    )


# --- JavaScript and TypeScript --------------------------------------------------------------


def _node_binary(project: str, name: str) -> str | None:
    """``node_modules/.bin/<name>`` in the project or a folder above it (hoisted)."""
    folder = os.path.abspath(project)
    for _ in range(6):
        candidate = os.path.join(folder, "node_modules", ".bin", name)
        if os.path.isfile(candidate):
            return candidate
        if os.path.dirname(folder) == folder:
            break
        folder = os.path.dirname(folder)
    return None


@functools.cache
def _node_version(node: str) -> tuple[int, int]:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return (0, 0)
    found = re.match(r"v(\d+)\.(\d+)", out.stdout.strip())
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def _javascript(run: TestRun, leftovers: list[str]) -> PreparedRun:
    typescript = run.path.endswith((".ts", ".tsx", ".mts", ".cts"))
    pattern = "|".join(re.escape(name) for name in run.names)
    if run.framework == "node":
        node = shutil.which("node")
        if node is None:
            return PreparedRun("node --test", reason="Node.js is not installed")
        flags: list[str] = []
        if typescript:
            version = _node_version(node)
            if version < (22, 6):
                return PreparedRun(
                    "node --test",
                    reason=f"Node {version[0]} cannot run TypeScript tests (Node 22.6 and "
                    "later can; or add Vitest or Jest to the project)",
                )
            if version < (23, 6):
                flags.append("--experimental-strip-types")
        held = _holding(run.path, run.text, leftovers)
        argv = [node, *flags, "--test", "--test-reporter=tap"]
        if run.appended:
            argv.append(f"--test-name-pattern={pattern}")
        return PreparedRun(
            "node --test",
            (*argv, held),
            os.path.dirname(held),
            report=lambda f: _tap_report(f, held),
        )
    label = "Vitest" if run.framework == "vitest" else "Jest"
    binary = _node_binary(run.project, run.framework)
    if binary is None:
        return PreparedRun(label, reason=f"{label} is not installed in node_modules (npm install)")
    held = _holding(run.path, run.text, leftovers)
    report_file = os.path.join(_scratch_folder(leftovers), "report.json")
    if run.framework == "vitest":
        argv = [binary, "run", held, "--reporter=json", f"--outputFile={report_file}"]
    else:
        argv = [binary, "--runTestsByPath", held, "--json", f"--outputFile={report_file}"]
        argv += ["--ci", "--watchman=false"]
    if run.appended:
        argv += ["-t", pattern]
    return PreparedRun(
        label, tuple(argv), run.project, report=lambda f: _jest_report(f, report_file, label)
    )


def _tap_report(finished: Finished, file: str) -> RunReport:
    output = finished.output
    seconds = finished.seconds
    points = list(re.finditer(r"^( *)(not ok|ok) \d+ - (.*)$", output, re.M))
    failures = []
    passed = failed = 0
    for number, point in enumerate(points):
        block_end = points[number + 1].start() if number + 1 < len(points) else len(output)
        block = output[point.end() : block_end]
        if "type: 'suite'" in block:
            continue
        name = point.group(3).strip()
        if point.group(2) == "ok":
            passed += 1
            continue
        message = _tap_error(block)
        if os.path.abspath(name) == os.path.abspath(file) or name.endswith(os.path.basename(file)):
            reason = message or _tail(output)
            return RunReport("error", reason=reason, runner="node --test", seconds=seconds)
        failed += 1
        failures.append(Failure(name, message))
    if passed + failed == 0:
        return RunReport("error", reason=_tail(output), runner="node --test", seconds=seconds)
    return RunReport("ran", passed, failed, tuple(failures), runner="node --test", seconds=seconds)


def _tap_error(block: str) -> str:
    """The ``error:`` of a TAP test point's YAML block (inline, or a ``|-`` block scalar)."""
    lines = block.splitlines()
    for number, line in enumerate(lines):
        found = re.match(r"^(\s*)error: ?(.*)$", line)
        if found is None:
            continue
        indent, value = len(found.group(1)), found.group(2).strip()
        if not value.startswith("|"):
            return _short(value.strip("'\""))
        text = []
        for following in lines[number + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            text.append(following.strip())
        return _short("\n".join(text))
    return ""


def _jest_report(finished: Finished, report_file: str, runner: str) -> RunReport:
    seconds = finished.seconds
    try:
        with open(report_file, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return RunReport("error", reason=_tail(finished.output), runner=runner, seconds=seconds)
    passed = failed = 0
    failures = []
    for suite in data.get("testResults", []):
        assertions = suite.get("assertionResults", [])
        if not assertions and suite.get("status") == "failed":
            reason = _short(_plain(suite.get("message", ""))) or _tail(finished.output)
            return RunReport("error", reason=reason, runner=runner, seconds=seconds)
        for assertion in assertions:
            status = assertion.get("status")
            if status == "passed":
                passed += 1
            elif status == "failed":
                failed += 1
                message = _plain("\n".join(assertion.get("failureMessages", [])))
                # The message, without the stack under it.
                message = "\n".join(
                    line for line in message.splitlines() if not re.match(r"\s+at ", line)
                )
                name = assertion.get("fullName") or assertion.get("title", "")
                failures.append(Failure(name, _short(message)))
    if passed + failed == 0:
        return RunReport("error", reason=_tail(finished.output), runner=runner, seconds=seconds)
    return RunReport("ran", passed, failed, tuple(failures), runner=runner, seconds=seconds)


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# --- Go ------------------------------------------------------------------------------------


def _go(run: TestRun, leftovers: list[str]) -> PreparedRun:
    go = shutil.which("go")
    if go is None:
        return PreparedRun("go test", reason="Go is not installed")
    if not os.path.isfile(os.path.join(run.project, "go.mod")):
        return PreparedRun("go test", reason="there is no go.mod above the package")
    names = "|".join(re.escape(name) for name in run.names)
    argv = [go, "test", "-json", "-count=1", "-run", f"^({names})$"]
    if _read(run.path) != run.text:
        # The package sees the text chatls wrote in place of the file on disk; the package
        # itself is not touched.
        scratch = _scratch_folder(leftovers)
        replacement = os.path.join(scratch, os.path.basename(run.path))
        with open(replacement, "w", encoding="utf-8") as handle:
            handle.write(run.text)
        overlay = os.path.join(scratch, "overlay.json")
        with open(overlay, "w", encoding="utf-8") as handle:
            json.dump({"Replace": {os.path.abspath(run.path): replacement}}, handle)
        argv.append(f"-overlay={overlay}")
    return PreparedRun("go test", (*argv, "."), os.path.dirname(run.path), report=_go_report)


def _go_report(finished: Finished) -> RunReport:
    passed = failed = 0
    failures = []
    outputs: dict[str, list[str]] = {}
    plain: list[str] = []
    for line in finished.output.splitlines():
        try:
            event = json.loads(line) if line.startswith("{") else None
        except ValueError:
            event = None
        if not isinstance(event, dict):
            plain.append(line)
            continue
        test = event.get("Test")
        action = event.get("Action")
        if test is None:
            if action == "output":
                plain.append(str(event.get("Output", "")).rstrip("\n"))
            continue
        if "/" in test:
            continue
        if action == "output":
            text = str(event.get("Output", "")).rstrip("\n")
            if not re.match(r"\s*(=== RUN|--- (FAIL|PASS)|=== (PAUSE|CONT))", text):
                outputs.setdefault(test, []).append(text.strip())
        elif action == "pass":
            passed += 1
        elif action == "fail":
            failed += 1
            failures.append(Failure(test, _short("\n".join(outputs.get(test, [])))))
    seconds = finished.seconds
    if passed + failed == 0:
        kept = [line for line in plain if line.strip() and not line.startswith(("FAIL", "ok "))]
        reason = _short("\n".join(kept)) or _tail(finished.output)
        return RunReport("error", reason=reason, runner="go test", seconds=seconds)
    return RunReport("ran", passed, failed, tuple(failures), runner="go test", seconds=seconds)


# --- Rust ----------------------------------------------------------------------------------


def _cargo_root(project: str) -> str:
    """The workspace a crate belongs to (its root holds ``[workspace]``), else the crate."""
    folder = os.path.abspath(project)
    for _ in range(6):
        manifest = os.path.join(folder, "Cargo.toml")
        if re.search(r"^\s*\[workspace\]", _read(manifest) or "", re.M):
            return folder
        if os.path.dirname(folder) == folder:
            break
        folder = os.path.dirname(folder)
    return project


def _rust_target(run: TestRun) -> tuple[list[str], str | None]:
    """Cargo's target flags for the source file, and its module path (None when unsure)."""
    source = os.path.join(run.project, "src")
    relative = os.path.relpath(run.path, source)
    if relative.startswith("..") or not relative.endswith(".rs"):
        return [], None
    parts = relative[:-3].split(os.sep)
    if parts[0] == "bin":
        return (["--bin", parts[1]], "") if len(parts) == 2 else ([], None)
    if parts[-1] == "mod":
        parts = parts[:-1]
    if parts in (["lib"], ["main"]):
        return (["--lib"] if parts == ["lib"] else ["--bins"]), ""
    target = ["--lib"] if os.path.isfile(os.path.join(source, "lib.rs")) else ["--bins"]
    return target, "::".join(parts)


def _too_large(root: str) -> bool:
    files = size = 0
    for folder, directories, names in os.walk(root):
        directories[:] = [d for d in directories if d not in _NOT_COPIED]
        files += len(names)
        for name in names:
            with contextlib.suppress(OSError):
                size += os.path.getsize(os.path.join(folder, name))
        if files > _COPY_LIMIT[0] or size > _COPY_LIMIT[1]:
            return True
    return False


def _rust(run: TestRun, leftovers: list[str]) -> PreparedRun:
    cargo = shutil.which("cargo")
    if cargo is None:
        return PreparedRun("cargo test", reason="cargo is not installed")
    if not os.path.isfile(os.path.join(run.project, "Cargo.toml")):
        return PreparedRun("cargo test", reason="there is no Cargo.toml above the file")
    flags, module_path = _rust_target(run)
    if module_path is not None and run.module:
        prefix = f"{module_path}::" if module_path else ""
        filters = ["--exact", *(f"{prefix}{run.module}::{name}" for name in run.names)]
    else:
        filters = list(run.names)
    argv = (cargo, "test", "--offline", *flags, "--", *filters)
    if _read(run.path) == run.text:
        return PreparedRun("cargo test", argv, run.project, report=_cargo_report)
    # The editor has not saved the file: a copy of the crate holding the new text runs instead,
    # built in chatls's cache so that the project's own target folder is left alone.
    root = _cargo_root(run.project)
    if _too_large(root):
        return PreparedRun(
            "cargo test",
            reason="the crate is too large to copy for a run: save the file and run `cargo test`",
        )
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = hashlib.sha1(os.path.abspath(root).encode()).hexdigest()[:16]
    target_dir = os.path.join(cache, "chatls", "cargo-target", key)
    copy = os.path.join(_scratch_folder(leftovers), os.path.basename(root) or "crate")
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(*_NOT_COPIED), symlinks=True)
    with open(os.path.join(copy, os.path.relpath(run.path, root)), "w", encoding="utf-8") as out:
        out.write(run.text)
    crate = os.path.join(copy, os.path.relpath(run.project, root))
    env = environment({"CARGO_TARGET_DIR": target_dir})
    return PreparedRun("cargo test", argv, crate, env, report=_cargo_report)


def _cargo_report(finished: Finished) -> RunReport:
    output = finished.output
    seconds = finished.seconds
    results = re.findall(r"^test (\S+) \.\.\. (ok|FAILED|ignored)", output, re.M)
    passed = sum(1 for _, state in results if state == "ok")
    failures = []
    for name, state in results:
        if state != "FAILED":
            continue
        found = re.search(
            rf"^---- {re.escape(name)} stdout ----\n(.*?)(?=^----|^\s*$|^failures:)",
            output,
            re.M | re.S,
        )
        message = found.group(1) if found else ""
        message = re.sub(r"^note: run with `RUST_BACKTRACE.*$", "", message, flags=re.M)
        failures.append(Failure(name.rsplit("::", 1)[-1], _short(message)))
    if not results:
        errors = re.findall(r"^(error(?:\[E\d+\])?: .*(?:\n\s+-->.*)?)", output, re.M)
        reason = _short("\n".join(errors)) or _tail(output)
        return RunReport("error", reason=reason, runner="cargo test", seconds=seconds)
    return RunReport(
        "ran", passed, len(failures), tuple(failures), runner="cargo test", seconds=seconds
    )


# --- what the user reads -------------------------------------------------------------------


def _tests(count: int) -> str:
    return f"{count} test{'s' if count != 1 else ''}"


def summary(report: RunReport, count: int, where: str, time_limit: float) -> tuple[str, str]:
    """The one message about a run, and its severity."""
    written = f"{_tests(count)} written to {where}"
    if report.outcome == "not_run":
        return f"{written}; not run: {report.reason}.", "info"
    if report.outcome == "timeout":
        return (
            f"{written}; {report.runner} was stopped after {time_limit:g} s (`tests.timeout`).",
            "warning",
        )
    if report.outcome == "error":
        return f"{written}, but {report.runner} could not run them:\n{report.reason}", "warning"
    counts = f"{report.passed} passed"
    if not report.failed:
        return f"{written}: {counts}.", "info"
    counts += f", {report.failed} failed"
    shown = "\n".join(
        f"- {failure.test}: {failure.message}" if failure.message else f"- {failure.test}"
        for failure in report.failures[:_FAILURES_SHOWN]
    )
    kept = "it is kept" if report.failed == 1 else "they are kept"
    return (
        f"{written}: {counts} ({kept}: a failing test may have found a bug, or be wrong "
        f"itself).\n{shown}",
        "warning",
    )


def trusted(workspace_trusted: bool | None, folders: list[str], project: str) -> bool:
    """Whether the user trusts the code in ``project`` to run: the editor's own verdict
    (VS Code's workspace trust) when it gives one, else whether the project lies inside one of
    ``tests.trustedFolders``. An editor without the notion is untrusted by default."""
    if workspace_trusted is not None:
        return workspace_trusted
    here = os.path.realpath(project)
    for folder in folders:
        root = os.path.realpath(os.path.expanduser(folder))
        with contextlib.suppress(ValueError):
            if os.path.commonpath([here, root]) == root:
                return True
    return False
