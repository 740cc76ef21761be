import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";

import { ACTION_COMMAND_PREFIX, BUILTIN_ACTIONS } from "../generated/actions";
import { askForText, type CommandArguments, withText } from "./actions";
import { COMMANDS, SUPPORTED_SCHEMES } from "./constants";
import { registerHistory } from "./historyView";
import { NOT_RUNNING, type Notifier, openSettings } from "./messages";
import type { ApiKeyStore } from "./secrets";
import type { ServerManager } from "./server";

function commandArguments(client: LanguageClient, editor: vscode.TextEditor, range: vscode.Range): CommandArguments {
    const c2p = client.code2ProtocolConverter;
    return {
        uri: c2p.asUri(editor.document.uri),
        range: c2p.asRange(range),
        version: editor.document.version,
    };
}

/**
 * The diagnostics the user means: those under the cursor, or touching the selection; failing
 * that, those on the cursor's line (a squiggle often starts a few characters away).
 */
export function diagnosticsAt(
    diagnostics: readonly vscode.Diagnostic[],
    selection: vscode.Selection,
): vscode.Diagnostic[] {
    const touching = diagnostics.filter((diagnostic) =>
        selection.isEmpty
            ? diagnostic.range.contains(selection.active)
            : diagnostic.range.intersection(selection) !== undefined,
    );
    if (touching.length > 0) {
        return touching;
    }
    const line = selection.active.line;
    return diagnostics.filter((diagnostic) => diagnostic.range.start.line <= line && line <= diagnostic.range.end.line);
}

async function pickDiagnostic(diagnostics: vscode.Diagnostic[], title: string): Promise<vscode.Diagnostic | undefined> {
    if (diagnostics.length <= 1) {
        return diagnostics[0];
    }
    const picked = await vscode.window.showQuickPick(
        diagnostics.map((diagnostic) => ({
            label: diagnostic.message.split("\n")[0],
            description: diagnostic.source,
            detail: `Line ${diagnostic.range.start.line + 1}`,
            diagnostic,
        })),
        { title, placeHolder: "Which problem?" },
    );
    return picked?.diagnostic;
}

export function registerCommands(
    server: ServerManager,
    apiKeys: ApiKeyStore,
    notifier: Notifier,
    showLog: () => void,
): vscode.Disposable[] {
    async function withEditor(
        run: (client: LanguageClient, editor: vscode.TextEditor) => Promise<unknown>,
    ): Promise<unknown> {
        const editor = vscode.window.activeTextEditor;
        if (editor === undefined) {
            notifier.info("chatls: open a file and select some code first.");
            return undefined;
        }
        if (!SUPPORTED_SCHEMES.has(editor.document.uri.scheme)) {
            notifier.info("chatls works on files and unsaved editors, not on this kind of editor.");
            return undefined;
        }
        const client = await server.runningClient();
        if (client === undefined) {
            notifier.error(NOT_RUNNING);
            return undefined;
        }
        return run(client, editor);
    }

    /**
     * Runs the action `id` as its published description says: on the diagnostic at the cursor
     * when it is offered per diagnostic, else on the selection (or what the cursor is in), with
     * the text it asks for asked first.
     */
    function runAction(id: string): Promise<unknown> {
        return withEditor(async (client, editor) => {
            const action = server.actions.list.find(id);
            if (action === undefined) {
                notifier.info(`chatls: the server has no action “${id}”.`);
                return undefined;
            }
            const text = await askForText(action);
            if (text === undefined) {
                return undefined;
            }
            // Arguments are taken after the prompt: the document may have changed meanwhile.
            if (action.offered !== "diagnostic") {
                return server.actions.run(
                    action,
                    withText(action, commandArguments(client, editor, editor.selection), text),
                );
            }
            const found = diagnosticsAt(vscode.languages.getDiagnostics(editor.document.uri), editor.selection);
            if (found.length === 0) {
                notifier.info("chatls: there is no problem reported at the cursor.");
                return undefined;
            }
            const diagnostic = await pickDiagnostic(found, `chatls: ${action.title}`);
            if (diagnostic === undefined) {
                return undefined;
            }
            const args = {
                ...commandArguments(client, editor, diagnostic.range),
                diagnostic: client.code2ProtocolConverter.asDiagnostic(diagnostic),
            };
            return server.actions.run(action, withText(action, args, text));
        });
    }

    return [
        ...BUILTIN_ACTIONS.map((action) =>
            vscode.commands.registerCommand(ACTION_COMMAND_PREFIX + action.id, () => runAction(action.id)),
        ),
        // Custom actions come and go with the settings, while VS Code's commands are fixed when
        // the extension is packaged: this one runs any action the server has.
        vscode.commands.registerCommand(COMMANDS.runAction, async () => {
            const picked = await vscode.window.showQuickPick(
                server.actions.list.all().map((action) => ({
                    label: action.title,
                    description: action.custom ? `${action.id} (custom)` : action.id,
                    id: action.id,
                })),
                { title: "chatls: Run Action", matchOnDescription: true },
            );
            return picked === undefined ? undefined : runAction(picked.id);
        }),
        vscode.commands.registerCommand(COMMANDS.askFollowUp, async () => {
            const subject = server.actions.answers.current();
            const action = server.actions.list.all().find((candidate) => candidate.continues === "answer");
            if (subject === undefined || action === undefined) {
                notifier.info("chatls: there is no answer to follow up yet.");
                return undefined;
            }
            const text = await askForText(action);
            if (text === undefined) {
                return undefined;
            }
            return server.actions.run(action, withText(action, subject, text));
        }),
        vscode.commands.registerCommand(COMMANDS.restartServer, () => server.restart()),
        vscode.commands.registerCommand(COMMANDS.showLog, () => showLog()),
        ...registerHistory(server, notifier, (id) => server.actions.list.find(id)?.title),
        vscode.commands.registerCommand(COMMANDS.setApiKey, async () => {
            const key = await vscode.window.showInputBox({
                title: "chatls: Set API Key",
                prompt: "The API key for your OpenAI-compatible endpoint. It is kept in VS Code's secret storage.",
                placeHolder: "sk-…",
                password: true,
                ignoreFocusOut: true,
                validateInput: (value) =>
                    value.trim() === "" ? "Enter a key (or run “chatls: Clear API Key”)." : undefined,
            });
            if (key === undefined) {
                return;
            }
            await apiKeys.set(key.trim());
            notifier.info("chatls: API key saved.");
        }),
        vscode.commands.registerCommand(COMMANDS.installLocalModel, () => server.localModel.install()),
        vscode.commands.registerCommand(COMMANDS.removeLocalModel, () => server.localModel.remove()),
        vscode.commands.registerCommand(COMMANDS.statusMenu, async () => {
            const installed = server.localModel.installed;
            const items: { label: string; command: string }[] = [
                { label: "$(output) Show Log", command: COMMANDS.showLog },
                { label: "$(history) Show History", command: COMMANDS.showHistory },
                { label: "$(key) Set API Key", command: COMMANDS.setApiKey },
                installed
                    ? { label: "$(trash) Remove Local Model", command: COMMANDS.removeLocalModel }
                    : { label: "$(cloud-download) Install Local Model", command: COMMANDS.installLocalModel },
                { label: "$(settings-gear) Open Settings", command: "workbench.action.openSettings" },
                { label: "$(debug-restart) Restart Server", command: COMMANDS.restartServer },
            ];
            const picked = await vscode.window.showQuickPick(items, { title: "chatls" });
            if (picked?.command === "workbench.action.openSettings") {
                await openSettings();
            } else if (picked !== undefined) {
                await vscode.commands.executeCommand(picked.command);
            }
        }),
        vscode.commands.registerCommand(COMMANDS.clearApiKey, async () => {
            await apiKeys.clear();
            notifier.info("chatls: API key cleared.");
        }),
    ];
}
