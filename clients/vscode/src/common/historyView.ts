import * as vscode from "vscode";
import { ExecuteCommandRequest, type LanguageClient } from "vscode-languageclient/node";

import type { ClientProvider } from "./actions";
import { COMMANDS } from "./constants";
import { HISTORY_COMMAND, historyItem, historyList, historyMarkdown, historyRecord, type Titles } from "./history";
import { NOT_RUNNING, type Notifier } from "./messages";

/** The scheme of the read-only documents that show a record. */
export const HISTORY_SCHEME = "chatls-history";

const LIMIT = 50;

function ask(client: LanguageClient, argument: object): Promise<unknown> {
    return client.sendRequest(ExecuteCommandRequest.type, { command: HISTORY_COMMAND, arguments: [argument] });
}

/**
 * Shows records as read-only Markdown documents, `chatls-history:/<id>/<title>.md`: a virtual
 * document cannot be edited or saved by mistake, and the `.md` gives it Markdown's highlighting.
 */
class HistoryDocuments implements vscode.TextDocumentContentProvider {
    constructor(
        private readonly clients: ClientProvider,
        private readonly notifier: Notifier,
        private readonly titles: Titles,
    ) {}

    async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
        const id = uri.path.split("/")[1] ?? "";
        const client = await this.clients.runningClient();
        if (client === undefined) {
            this.notifier.error(NOT_RUNNING);
            return "";
        }
        let answer: unknown;
        try {
            answer = await ask(client, { id });
        } catch (error) {
            // Shown in the document, where the user is looking, rather than as VS Code's "cannot open".
            return `The history could not be read: ${error instanceof Error ? error.message : error}\n`;
        }
        const record = historyRecord(answer);
        // Deleted since it was listed (`chatls history delete`), or the history was turned off.
        return record === undefined
            ? `No record ${id} in the history any more.\n`
            : historyMarkdown(record, this.titles);
    }
}

/** "chatls: Show History": the recent actions in a quick pick; the one chosen opens as Markdown. */
async function showHistory(clients: ClientProvider, notifier: Notifier, titles: Titles): Promise<void> {
    const client = await clients.runningClient();
    if (client === undefined) {
        notifier.error(NOT_RUNNING);
        return;
    }
    let answer: unknown;
    try {
        answer = await ask(client, { limit: LIMIT });
    } catch (error) {
        notifier.error(`chatls: the history could not be read: ${error instanceof Error ? error.message : error}`);
        return;
    }
    const list = historyList(answer);
    if (!list.enabled) {
        notifier.info("chatls: the history is off (chatls.history.enabled), or this workspace is not trusted.");
        return;
    }
    if (list.records.length === 0) {
        notifier.info("chatls: no actions in the history yet.");
        return;
    }
    const now = Date.now();
    const picked = await vscode.window.showQuickPick(
        list.records.map((record) => historyItem(record, now, titles)),
        { title: "chatls: History", placeHolder: "Open which action?", matchOnDescription: true, matchOnDetail: true },
    );
    if (picked === undefined) {
        return;
    }
    // The label names the tab; characters a path cannot hold become spaces.
    const title = picked.label.replace(/[/\\?#]/g, " ");
    const uri = vscode.Uri.from({ scheme: HISTORY_SCHEME, path: `/${picked.id}/${title}.md` });
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
}

/**
 * The Show History command and the documents it opens; `titles` names the actions as the server
 * publishes them (custom ones included).
 */
export function registerHistory(clients: ClientProvider, notifier: Notifier, titles: Titles): vscode.Disposable[] {
    return [
        vscode.workspace.registerTextDocumentContentProvider(
            HISTORY_SCHEME,
            new HistoryDocuments(clients, notifier, titles),
        ),
        vscode.commands.registerCommand(COMMANDS.showHistory, () => showHistory(clients, notifier, titles)),
    ];
}
