import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import { actionForCommand, COMMANDS, SERVER_COMMANDS, SUPPORTED_SCHEMES } from "../../common/constants";

describe("constants", () => {
    it("gives the server every file and unsaved buffer, whatever the language", () => {
        assert.deepEqual([...SUPPORTED_SCHEMES].sort(), ["file", "untitled"]);
    });

    it("maps the server's commands back to their actions", () => {
        assert.equal(actionForCommand("chatls.explain"), "explain");
        assert.equal(actionForCommand("chatls.fix"), "fix");
        assert.equal(actionForCommand("chatls.explainSelection"), undefined);
    });

    it("never reuses a server command id for an extension command", () => {
        const server = new Set<string>(Object.values(SERVER_COMMANDS));
        for (const id of Object.values(COMMANDS)) {
            assert.ok(!server.has(id), id);
        }
    });

    it("contributes exactly the extension's commands", () => {
        const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
            contributes: { commands: { command: string }[] };
        };
        assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), Object.values(COMMANDS).sort());
    });
});
