import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { describeLaunch, expandPath, serverLaunch } from "../../common/serverCommand";

const context = { home: "/home/ada", workspaceFolder: "/work/project" };

describe("serverLaunch", () => {
    it("runs chatls.server.path first, with the log level and without --stdio", () => {
        const launch = serverLaunch(
            {
                path: "/opt/chatls",
                pythonPath: "/usr/bin/python3",
                selectedInterpreter: "/venv/bin/python",
                logLevel: "debug",
            },
            context,
        );
        assert.deepEqual(launch, { command: "/opt/chatls", args: ["--log-level", "debug"], source: "server.path" });
    });

    it("else runs the configured interpreter with -m chatls", () => {
        const launch = serverLaunch(
            {
                path: "",
                pythonPath: "${workspaceFolder}/.venv/bin/python",
                selectedInterpreter: "/venv/bin/python",
                logLevel: "info",
            },
            context,
        );
        assert.deepEqual(launch, {
            command: "/work/project/.venv/bin/python",
            args: ["-m", "chatls", "--log-level", "info"],
            source: "server.pythonPath",
        });
    });

    it("else the Python extension's interpreter", () => {
        const launch = serverLaunch(
            { path: " ", pythonPath: "", selectedInterpreter: "/venv/bin/python", logLevel: "info" },
            context,
        );
        assert.equal(launch.command, "/venv/bin/python");
        assert.equal(launch.source, "Python extension");
    });

    it("else python3", () => {
        const launch = serverLaunch({ path: "", pythonPath: "", logLevel: "info" }, context);
        assert.deepEqual(launch, {
            command: "python3",
            args: ["-m", "chatls", "--log-level", "info"],
            source: "default",
        });
    });

    it("falls back to info for an unknown log level", () => {
        assert.deepEqual(serverLaunch({ path: "chatls", pythonPath: "", logLevel: "loud" }, context).args, [
            "--log-level",
            "info",
        ]);
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
            describeLaunch({ command: "/My Tools/python", args: ["-m", "chatls"], source: "default" }),
            "'/My Tools/python' -m chatls",
        );
    });
});
