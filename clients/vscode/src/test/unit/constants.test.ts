import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import {
    actionForCommand,
    ANSWER_ACTIONS,
    COMMANDS,
    SERVER_COMMANDS,
    SUPPORTED_SCHEMES,
    TEXT_INPUTS,
} from "../../common/constants";

describe("constants", () => {
    it("gives the server every file and unsaved buffer, whatever the language", () => {
        assert.deepEqual([...SUPPORTED_SCHEMES].sort(), ["file", "untitled"]);
    });

    it("maps the server's commands back to their actions", () => {
        assert.equal(actionForCommand("chatls.explain"), "explain");
        assert.equal(actionForCommand("chatls.fix"), "fix");
        assert.equal(actionForCommand("chatls.ask"), "ask");
        assert.equal(actionForCommand("chatls.refine"), "refine");
        assert.equal(actionForCommand("chatls.implement"), "implement");
        assert.equal(actionForCommand("chatls.tests"), "tests");
        assert.equal(actionForCommand("chatls.action"), "action");
        assert.equal(actionForCommand("chatls.explainSelection"), undefined);
    });

    it("asks the user for the text Ask, Refine and Translate need, and only for those", () => {
        assert.deepEqual(Object.keys(TEXT_INPUTS).sort(), ["ask", "refine", "translate"]);
        assert.equal(TEXT_INPUTS.ask?.field, "question");
        assert.equal(TEXT_INPUTS.refine?.field, "instruction");
        assert.equal(TEXT_INPUTS.translate?.field, "language");
        assert.deepEqual([...ANSWER_ACTIONS].sort(), ["ask", "explain"]);
    });

    it("shows Ask a Follow-up on Markdown previews once there is an answer", () => {
        const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
            contributes: { menus: Record<string, { command: string; when?: string }[]> };
        };
        const [item] = manifest.contributes.menus["editor/title"];
        assert.equal(item.command, COMMANDS.askFollowUp);
        assert.equal(item.when, "chatls.hasAnswer && activeWebviewPanelId == 'markdown.preview'");
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
