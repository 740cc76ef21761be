import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";

import { askForText, type CommandArguments } from "./actions";
import { COMMANDS, SUPPORTED_SCHEMES, TEXT_INPUTS } from "./constants";
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

async function pickDiagnostic(diagnostics: vscode.Diagnostic[]): Promise<vscode.Diagnostic | undefined> {
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
        { title: "chatls: Fix with AI", placeHolder: "Which problem should chatls fix?" },
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

    /** Runs `action` on the selection (or the function around the cursor). */
    function onSelection(action: "implement" | "types" | "tests"): Promise<unknown> {
        return withEditor((client, editor) =>
            server.actions.run(action, commandArguments(client, editor, editor.selection)),
        );
    }

    /** Runs `action` on the selection with the text it needs, asked for first. */
    function withText(action: "ask" | "refine" | "translate"): Promise<unknown> {
        return withEditor(async (client, editor) => {
            const text = await askForText(action);
            const field = TEXT_INPUTS[action]?.field;
            if (text === undefined || field === undefined) {
                return undefined;
            }
            return server.actions.run(action, { ...commandArguments(client, editor, editor.selection), [field]: text });
        });
    }

    return [
        vscode.commands.registerCommand(COMMANDS.explainSelection, () =>
            withEditor((client, editor) =>
                server.actions.run("explain", commandArguments(client, editor, editor.selection)),
            ),
        ),
        vscode.commands.registerCommand(COMMANDS.refactorSelection, () =>
            withEditor(async (client, editor) => {
                const instruction = await vscode.window.showInputBox({
                    title: "chatls: Refactor Selection",
                    prompt: "How should the code change? Leave empty to let the model improve it.",
                    placeHolder: "e.g. Use a dataclass",
                    ignoreFocusOut: true,
                });
                if (instruction === undefined) {
                    return undefined;
                }
                // Arguments are taken after the prompt: the document may have changed meanwhile.
                const args = commandArguments(client, editor, editor.selection);
                return server.actions.run(
                    "refactor",
                    instruction.trim() === "" ? args : { ...args, instruction: instruction.trim() },
                );
            }),
        ),
        vscode.commands.registerCommand(COMMANDS.fixWithAI, () =>
            withEditor(async (client, editor) => {
                const found = diagnosticsAt(vscode.languages.getDiagnostics(editor.document.uri), editor.selection);
                if (found.length === 0) {
                    notifier.info("chatls: there is no problem reported at the cursor to fix.");
                    return undefined;
                }
                const diagnostic = await pickDiagnostic(found);
                if (diagnostic === undefined) {
                    return undefined;
                }
                return server.actions.run("fix", {
                    ...commandArguments(client, editor, diagnostic.range),
                    diagnostic: client.code2ProtocolConverter.asDiagnostic(diagnostic),
                });
            }),
        ),
        vscode.commands.registerCommand(COMMANDS.generateDocstring, () =>
            withEditor((client, editor) =>
                server.actions.run("docstring", commandArguments(client, editor, editor.selection)),
            ),
        ),
        vscode.commands.registerCommand(COMMANDS.implementFunction, () => onSelection("implement")),
        vscode.commands.registerCommand(COMMANDS.addTypes, () => onSelection("types")),
        vscode.commands.registerCommand(COMMANDS.writeTests, () => onSelection("tests")),
        vscode.commands.registerCommand(COMMANDS.translateSelection, () => withText("translate")),
        vscode.commands.registerCommand(COMMANDS.runCustomAction, () =>
            withEditor(async (client, editor) => {
                const defined = vscode.workspace
                    .getConfiguration("chatls", editor.document.uri)
                    .get<{ id?: unknown; title?: unknown }[]>("customActions", []);
                const choices = defined
                    .filter((action) => typeof action.id === "string")
                    .map((action) => ({
                        label: typeof action.title === "string" && action.title ? action.title : String(action.id),
                        description: String(action.id),
                    }));
                if (choices.length === 0) {
                    notifier.info("chatls: there are no custom actions: define them in `chatls.customActions`.");
                    return undefined;
                }
                const picked = await vscode.window.showQuickPick(choices, { title: "chatls: Run Custom Action" });
                if (picked === undefined) {
                    return undefined;
                }
                return server.actions.run("action", {
                    ...commandArguments(client, editor, editor.selection),
                    id: picked.description,
                });
            }),
        ),
        // The change under the selection, else chatls's latest one in the document.
        vscode.commands.registerCommand(COMMANDS.refineLastChange, () => withText("refine")),
        vscode.commands.registerCommand(COMMANDS.askAboutSelection, () => withText("ask")),
        vscode.commands.registerCommand(COMMANDS.askFollowUp, async () => {
            const subject = server.actions.answers.current();
            if (subject === undefined) {
                notifier.info("chatls: there is no answer to follow up yet: run Explain or Ask first.");
                return undefined;
            }
            const question = await askForText("ask");
            if (question === undefined) {
                return undefined;
            }
            return server.actions.run("ask", { ...subject, question });
        }),
        vscode.commands.registerCommand(COMMANDS.restartServer, () => server.restart()),
        vscode.commands.registerCommand(COMMANDS.showLog, () => showLog()),
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
