import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import { COMMANDS, NEXT_EDIT_CONTEXT, REVIEWING_CONTEXT, SUPPORTED_SCHEMES } from "../../common/constants";
import { ActionList, type PublishedAction } from "../../common/published";
import { ACTION_COMMAND_PREFIX, BUILTIN_ACTIONS, CUSTOM_COMMAND } from "../../generated/actions";

interface Manifest {
    contributes: {
        commands: { command: string; title: string }[];
        menus: Record<string, { command: string; when?: string }[]>;
        keybindings: { command: string; key: string; mac: string; when: string }[];
    };
}

function manifest(): Manifest {
    return JSON.parse(readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as Manifest;
}

const CUSTOM: PublishedAction = {
    id: "shout",
    title: "Shout",
    kind: "refactor.rewrite.chatls.shout",
    command: CUSTOM_COMMAND,
    edits: true,
    output: "edit",
    offered: "always",
    custom: true,
};

describe("constants", () => {
    it("gives the server every file and unsaved buffer, whatever the language", () => {
        assert.deepEqual([...SUPPORTED_SCHEMES].sort(), ["file", "untitled"]);
    });

    it("shows Ask a Follow-up on Markdown previews once there is an answer", () => {
        const [item] = manifest().contributes.menus["editor/title"];
        assert.equal(item.command, COMMANDS.askFollowUp);
        assert.equal(item.when, "chatls.hasAnswer && activeWebviewPanelId == 'markdown.preview'");
    });

    it("never reuses a server command id for an extension command", () => {
        const server = new Set<string>([CUSTOM_COMMAND, ...BUILTIN_ACTIONS.map((action) => action.command)]);
        const extension = [
            ...Object.values(COMMANDS),
            ...BUILTIN_ACTIONS.map((action) => ACTION_COMMAND_PREFIX + action.id),
        ];
        for (const id of extension) {
            assert.ok(!server.has(id), id);
        }
    });

    it("contributes exactly the extension's commands, one per built-in action among them", () => {
        const contributed = manifest().contributes.commands.map((c) => c.command);
        const expected = [
            ...Object.values(COMMANDS),
            ...BUILTIN_ACTIONS.map((action) => ACTION_COMMAND_PREFIX + action.id),
        ];
        assert.deepEqual([...contributed].sort(), [...expected].sort());
    });

    it("puts every built-in action in the context menu and the palette", () => {
        const { menus } = manifest().contributes;
        for (const action of BUILTIN_ACTIONS) {
            for (const menu of ["editor/context", "commandPalette"]) {
                assert.ok(
                    menus[menu].some((entry) => entry.command === ACTION_COMMAND_PREFIX + action.id),
                    `${action.id} in ${menu}`,
                );
            }
        }
    });

    it("binds the review keys only while a review shows, to the review commands", () => {
        const { menus } = manifest().contributes;
        const keybindings = manifest().contributes.keybindings.filter((binding) =>
            binding.when.includes(REVIEWING_CONTEXT),
        );
        const review = [
            COMMANDS.acceptChange,
            COMMANDS.rejectChange,
            COMMANDS.acceptAllChanges,
            COMMANDS.rejectAllChanges,
        ];
        assert.deepEqual(
            keybindings.map((binding) => binding.command),
            review,
        );
        for (const binding of keybindings) {
            assert.equal(binding.when, `editorTextFocus && ${REVIEWING_CONTEXT}`);
        }
        assert.equal(new Set(keybindings.map((binding) => binding.key)).size, keybindings.length);
        for (const command of review) {
            assert.ok(
                menus.commandPalette.some((entry) => entry.command === command && entry.when === REVIEWING_CONTEXT),
                command,
            );
        }
    });
});

describe("next-edit keys", () => {
    const bindings = () =>
        manifest().contributes.keybindings.filter((binding) => binding.when.includes(NEXT_EDIT_CONTEXT));

    it("binds Tab and Escape only while a suggestion shows, Tab after ghost text and the suggest widget", () => {
        const [tab, escape] = bindings();
        assert.equal(tab.command, COMMANDS.nextEditTab);
        assert.equal(tab.key, "tab");
        assert.equal(escape.command, COMMANDS.nextEditDismiss);
        assert.equal(escape.key, "escape");
        for (const binding of [tab, escape]) {
            const when = binding.when.split(" && ");
            for (const clause of [
                "editorTextFocus",
                NEXT_EDIT_CONTEXT,
                "!suggestWidgetVisible",
                "!inlineSuggestionVisible",
                "!inSnippetMode",
            ]) {
                assert.ok(when.includes(clause), `${binding.key}: ${clause}`);
            }
        }
        assert.ok(tab.when.split(" && ").includes("!editorTabMovesFocus"));
        assert.ok(escape.when.split(" && ").includes("!findWidgetVisible"));
        assert.equal(bindings().length, 2);
    });
});

describe("ActionList", () => {
    it("knows the built-in actions before the server says anything", () => {
        const list = new ActionList();
        assert.deepEqual(list.all(), BUILTIN_ACTIONS);
        const [first] = BUILTIN_ACTIONS;
        assert.equal(list.forCommand(first.command, { uri: "file:///a.py" }), first);
    });

    it("takes the server's custom actions, run by the one custom command named by id", () => {
        const list = new ActionList();
        list.update({ actions: [...BUILTIN_ACTIONS, CUSTOM], customCommand: CUSTOM_COMMAND });
        assert.equal(list.find("shout"), CUSTOM);
        assert.equal(list.commandOf(CUSTOM), CUSTOM_COMMAND);
        assert.equal(list.forCommand(CUSTOM_COMMAND, { uri: "file:///a.py", id: "shout" }), CUSTOM);
        assert.equal(list.forCommand(CUSTOM_COMMAND, { uri: "file:///a.py", id: "gone" }), undefined);
        assert.equal(list.forCommand("chatls.noSuchCommand", {}), undefined);
    });

    it("ignores what is not a list of actions", () => {
        const list = new ActionList();
        list.update({ actions: "none" });
        list.update(null);
        assert.deepEqual(list.all(), BUILTIN_ACTIONS);
    });
});
