"""Write tests, stage by stage: the project layout read from its files, the reply made into a
test file that can run, the runners' reports read back, and who may run tests."""

from __future__ import annotations

import sys
from pathlib import Path

import attrs
import pytest

from chatls.actions.test_layout import package_roots, python_module
from chatls.edits.testfile import TestTarget, WrittenTests, appended, write_tests
from chatls.errors import ReplyError
from chatls.running.process import Finished
from chatls.running.tests import (
    RunReport,
    TestRun,
    _cargo_report,
    _go_report,
    _pytest_report,
    _tap_report,
    run_tests,
    summary,
    trusted,
)
from chatls.source.languages import language_for

PY = language_for("python", None)
JS = language_for("javascript", None)
GO = language_for("go", None)
RS = language_for("rust", None)
CLAMP = TestTarget(
    "pytest",
    frozenset({"clamp"}),
    frozenset({"clamp"}),
    "geom.shapes",
    "shapes",
    frozenset({"clamp", "ShapeError", "area"}),
)


@pytest.mark.parametrize(
    ("files", "roots"),
    [
        ({"pyproject.toml": "[tool.setuptools.packages.find]\nwhere = ['server']\n"}, ["server"]),
        ({"pyproject.toml": "[tool.setuptools.package-dir]\n'' = 'lib'\n"}, ["lib"]),
        (
            {"pyproject.toml": "[tool.poetry]\npackages = [{include = 'x', from = 'code'}]\n"},
            ["code"],
        ),
        (
            {"pyproject.toml": "[tool.hatch.build.targets.wheel]\npackages = ['pkgs/x']\n"},
            ["pkgs"],
        ),
        ({"setup.cfg": "[options]\npackage_dir =\n    =lib\n"}, ["lib"]),
        ({"pytest.ini": "[pytest]\npythonpath = extra\n"}, ["extra"]),
        ({"pyproject.toml": "[project]\nname = 'x'\n"}, ["src"]),
    ],
)
def test_package_roots_come_from_the_project_files(
    tmp_path: Path, files: dict[str, str], roots: list[str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for folder in ("server", "lib", "code", "pkgs", "extra", "src"):
        (tmp_path / folder).mkdir()
    found = package_roots(str(tmp_path))
    assert found[: len(roots)] == [str(tmp_path / r) for r in roots]
    assert found[-1] == str(tmp_path)


def test_module_names_from_package_roots(tmp_path: Path) -> None:
    roots = [str(tmp_path / "src"), str(tmp_path)]
    assert python_module(str(tmp_path / "src" / "geom" / "shapes.py"), roots) == "geom.shapes"
    assert python_module(str(tmp_path / "src" / "geom" / "__init__.py"), roots) == "geom"
    assert python_module(str(tmp_path / "tools" / "run.py"), roots) == "tools.run"
    assert python_module(str(tmp_path / "my-scripts" / "run.py"), roots) is None


def _python(reply: str, existing: str | None = None) -> WrittenTests:
    return write_tests(reply, PY, CLAMP, existing)


def test_python_imports_come_from_the_layout_not_the_model() -> None:
    reply = (
        "import sys\nimport os\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), 'src'))\n"
        "from shapes import clamp\n\n\ndef test_clamp():\n"
        "    with pytest.raises(ShapeError):\n        clamp(1, 3, 2)\n"
        "    with patch('geom.shapes.area'):\n        assert math.isclose(area(1), 3.14)\n"
    )
    assert _python(reply).text == (
        "import math\nimport pytest\nfrom unittest.mock import patch\n\n"
        "from geom.shapes import ShapeError, area, clamp\n\n\n"
        "def test_clamp():\n    with pytest.raises(ShapeError):\n        clamp(1, 3, 2)\n"
        "    with patch('geom.shapes.area'):\n        assert math.isclose(area(1), 3.14)\n"
    )


def test_python_namespace_import_of_the_module_is_repointed() -> None:
    reply = "import shapes\n\n\ndef test_clamp():\n    assert shapes.clamp(5, 0, 3) == 3\n"
    assert _python(reply).text.startswith("import geom.shapes as shapes\n\n\n")


def test_python_appending_lists_only_the_imports_the_file_lacks() -> None:
    existing = "import pytest\n\nfrom geom.shapes import clamp\n\n\ndef test_old():\n    pass\n"
    reply = "def test_new():\n    with pytest.raises(ShapeError):\n        clamp(1, 3, 2)\n"
    written = _python(reply, existing)
    assert written.imports == ("from geom.shapes import ShapeError",)
    assert written.text == reply
    changes = appended(existing, PY, written.text, written.imports)
    after = existing
    for start, end, text in sorted(changes, reverse=True):
        after = after[:start] + text + after[end:]
    assert after == (
        "import pytest\n\nfrom geom.shapes import clamp\nfrom geom.shapes import ShapeError\n\n\n"
        "def test_old():\n    pass\n\n\n" + reply
    )


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("def clamp(v, lo, hi):\n    return v\n", "answered with `clamp` itself"),
        ("class TestX:\n    def check(self):\n        clamp(1, 2, 3)\n", "holds no pytest tests"),
        ("x = (\n", "not valid Python (line 1)"),
        ("def test_x():\n    return\n    await x\n", "not valid Python"),
    ],
)
def test_python_refusals(reply: str, message: str) -> None:
    with pytest.raises(ReplyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _python(reply)


def test_unittest_counts_only_testcase_classes() -> None:
    target = TestTarget("unittest", CLAMP.names, CLAMP.own, CLAMP.module, "shapes", CLAMP.provides)
    with pytest.raises(ReplyError, match="holds no unittest tests"):
        write_tests("def test_clamp():\n    assert clamp(1, 0, 2) == 1\n", PY, target, None)
    reply = (
        "class TestClamp(unittest.TestCase):\n    def test_low(self):\n"
        "        self.assertEqual(clamp(-1, 0, 2), 0)\n"
    )
    written = write_tests(reply, PY, target, None)
    assert written.tests == ("TestClamp::test_low",)
    assert written.text.startswith("import unittest\n\nfrom geom.shapes import clamp\n\n\n")


def _js(system: str, framework: str = "node", **fields: object) -> TestTarget:
    values: dict[str, object] = {
        "provides": frozenset({"add"}),
        "default_export": None,
        "has_default": False,
        "module_system": system,
        "globals": framework == "jest",
    }
    values.update(fields)
    return TestTarget(
        framework,
        frozenset({"add"}),
        frozenset({"add"}),
        "./calc.js" if framework == "node" else "./calc",
        "calc",
        **values,  # type: ignore[arg-type]
    )


def test_javascript_esm_reply_becomes_commonjs_for_a_commonjs_module() -> None:
    reply = (
        "import { test } from 'node:test';\nimport assert from 'node:assert';\n"
        "import * as path from 'node:path';\nimport { add } from './calc.js';\n\n"
        "test('adds', () => {\n  assert.equal(add(1, 2), 3);\n  path.join('a');\n});\n"
    )
    assert write_tests(reply, JS, _js("cjs"), None).text == (
        "const { test } = require('node:test');\nconst assert = require('node:assert/strict');\n"
        "const path = require('node:path');\nconst { add } = require('./calc.js');\n\n"
        "test('adds', () => {\n  assert.equal(add(1, 2), 3);\n  path.join('a');\n});\n"
    )


def test_javascript_require_reply_becomes_imports_for_vitest() -> None:
    reply = "const calc = require('./calc');\n\nit('adds', () => expect(calc.add(1, 2)).toBe(3));\n"
    assert write_tests(reply, JS, _js("cjs", "vitest"), None).text == (
        "import { expect, it } from 'vitest';\nimport * as calc from './calc';\n\n"
        "it('adds', () => expect(calc.add(1, 2)).toBe(3));\n"
    )


def test_javascript_tests_that_skip_do_not_count() -> None:
    with pytest.raises(ReplyError, match="holds no Jest tests"):
        write_tests("test.skip('adds', () => add(1, 2));\n", JS, _js("esm", "jest"), None)


def test_go_drops_unused_imports_and_adds_used_ones() -> None:
    target = TestTarget("go", frozenset({"Add"}), frozenset({"Add"}), "calc", "calc")
    reply = (
        'package main\n\nimport (\n\t"fmt"\n\t"testing"\n)\n\nfunc TestAdd(t *testing.T) {\n'
        '\tif !reflect.DeepEqual(Add(1, 2), 3) {\n\t\tt.Fatal(strings.Repeat("x", 1))\n\t}\n}\n'
    )
    assert write_tests(reply, GO, target, None).text == (
        'package calc\n\nimport (\n\t"reflect"\n\t"strings"\n\t"testing"\n)\n\n'
        "func TestAdd(t *testing.T) {\n\tif !reflect.DeepEqual(Add(1, 2), 3) {\n"
        '\t\tt.Fatal(strings.Repeat("x", 1))\n\t}\n}\n'
    )


def test_go_a_method_target_is_not_a_plain_function() -> None:
    target = TestTarget("go", frozenset({"Area"}), frozenset({"Shape.Area"}), "geom", "shape")
    reply = (
        'package geom\n\nimport "testing"\n\nfunc (s Shape) Area() int { return 0 }\n\n'
        "func TestArea(t *testing.T) {\n\t_ = Shape{}.Area()\n}\n"
    )
    with pytest.raises(ReplyError, match=r"define their own `Shape\.Area`"):
        write_tests(reply, GO, target, None)


def test_rust_bare_tests_are_wrapped_in_a_test_module() -> None:
    target = TestTarget("rust", frozenset({"add"}), frozenset({"add"}))
    written = write_tests(
        "use super::*;\n\n#[test]\nfn adds() {\n    add(1, 2);\n}\n", RS, target, None
    )
    assert written.text == (
        "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n"
        "        add(1, 2);\n    }\n}\n"
    )
    assert written.module == "tests"


def _finished(output: str, code: int = 1) -> Finished:
    return Finished(code, output, 0.5)


def test_tap_report() -> None:
    output = (
        "TAP version 13\n# Subtest: grp\n    ok 1 - inner\n      ---\n      duration_ms: 1\n"
        "      ...\n    not ok 2 - bad\n      ---\n      error: |-\n        Expected 1 to be 2\n"
        "      ...\n    1..2\nnot ok 1 - grp\n  ---\n  type: 'suite'\n  error: '1 subtest failed'\n"
        "  ...\n1..1\n# pass 1\n# fail 1\n"
    )
    report = _tap_report(_finished(output), "/x/calc.test.js")
    assert (report.outcome, report.passed, report.failed) == ("ran", 1, 1)
    assert report.failures[0].test == "bad"
    assert report.failures[0].message == "Expected 1 to be 2"


def test_pytest_report_tells_failures_from_collection_errors(tmp_path: Path) -> None:
    report_file = tmp_path / "r.xml"
    report_file.write_text(
        '<testsuites><testsuite><testcase classname="tests.test_x" name="test_a"/>'
        '<testcase classname="tests.test_x" name="test_b"><failure message="assert 1 == 2">'
        "tb</failure></testcase></testsuite></testsuites>"
    )
    report = _pytest_report(_finished(""), str(report_file))
    assert (report.outcome, report.passed, report.failed) == ("ran", 1, 1)
    report_file.write_text(
        '<testsuites><testsuite><testcase classname="" name="tests.test_x">'
        '<error message="collection failure">ImportError</error></testcase></testsuite>'
        "</testsuites>"
    )
    output = "E   ModuleNotFoundError: No module named 'geom'\n"
    report = _pytest_report(_finished(output, 2), str(report_file))
    assert report.outcome == "error"
    assert report.reason == "ModuleNotFoundError: No module named 'geom'"


def test_go_report_reads_test_events_and_build_errors() -> None:
    events = (
        '{"Action":"run","Test":"TestA"}\n'
        '{"Action":"output","Test":"TestA","Output":"    calc_test.go:9: got 4\\n"}\n'
        '{"Action":"fail","Test":"TestA"}\n{"Action":"pass","Test":"TestB"}\n'
        '{"Action":"fail"}\n'
    )
    report = _go_report(_finished(events))
    assert (report.passed, report.failed) == (1, 1)
    assert report.failures[0].message == "calc_test.go:9: got 4"
    broken = "# calc\n./calc_test.go:5:2: undefined: Sub\nFAIL\tcalc [build failed]\n"
    assert _go_report(_finished(broken, 2)).reason == ("# calc\n./calc_test.go:5:2: undefined: Sub")


def test_cargo_report() -> None:
    output = (
        "running 2 tests\ntest tests::adds ... ok\ntest tests::subs ... FAILED\n\nfailures:\n\n"
        "---- tests::subs stdout ----\nassertion `left == right` failed\n  left: 1\n right: 2\n\n"
        "failures:\n    tests::subs\n"
    )
    report = _cargo_report(_finished(output, 101))
    assert (report.passed, report.failed) == (1, 1)
    assert report.failures[0].test == "subs"
    assert report.failures[0].message.startswith("assertion `left == right` failed")
    compile_error = "error[E0425]: cannot find function `sub` in this scope\n  --> src/lib.rs:9:9\n"
    assert _cargo_report(_finished(compile_error, 101)).outcome == "error"


def test_summary_says_what_happened() -> None:
    assert summary(RunReport("ran", 3), 3, "tests/test_x.py", 60) == (
        "3 tests written to tests/test_x.py: 3 passed.",
        "info",
    )
    message, severity = summary(RunReport("not_run", reason="Go is not installed"), 1, "x", 60)
    assert (message, severity) == ("1 test written to x; not run: Go is not installed.", "info")


def test_trust(tmp_path: Path) -> None:
    project = str(tmp_path / "code" / "app")
    assert not trusted(None, [], project)
    assert trusted(None, [str(tmp_path / "code")], project)
    assert not trusted(None, [str(tmp_path / "co")], project)
    assert not trusted(False, [str(tmp_path)], project)
    assert trusted(True, [], project)


async def test_a_scratch_copy_runs_in_place_of_an_unsaved_file_and_goes_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    (tmp_path / "tests").mkdir()
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    on_disk = tmp_path / "tests" / "test_calc.py"
    on_disk.write_text("# not saved yet\n")
    text = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    run = TestRun("pytest", "python", str(on_disk), text, ("test_add",), str(tmp_path))
    report = await run_tests(run, 60)
    assert (report.outcome, report.passed, report.failed) == ("ran", 0, 1)
    assert report.failures[0].message.startswith("assert -1 == 3")
    assert on_disk.read_text() == "# not saved yet\n"
    assert sorted(p.name for p in (tmp_path / "tests").iterdir()) == ["test_calc.py"]
    broken = text.replace("from calc import add", "from calc import sub")
    report = await run_tests(attrs.evolve(run, text=broken), 60)
    assert report.outcome == "error"
    assert "cannot import name 'sub' from 'calc'" in report.reason
    assert "test_chatls" not in report.reason and "test_calc.py" in report.reason
