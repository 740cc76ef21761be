import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";

import type { ClientProvider } from "./actions";
import { COMMANDS, NEXT_EDIT_CONTEXT, SUPPORTED_SCHEMES } from "./constants";
import {
    drawingOf,
    NEXT_EDIT_OFF,
    type NextEditSettings,
    type Position,
    type Range,
    type Suggestion,
    suggestionOf,
    tabAction,
} from "./nextEditState";

const NEXT_EDIT_REQUEST = "chatls/nextEdit";
const FEEDBACK_NOTIFICATION = "chatls/nextEditFeedback";

type Outcome = "shown" | "accepted" | "dismissed";

/** Where the output goes: the extension's output channel (never a notification: this runs on
 * every pause in typing, and a failure must not interrupt the user). */
export type NextEditLog = Pick<vscode.LogOutputChannel, "debug" | "info" | "warn" | "error">;

interface Shown {
    readonly suggestion: Suggestion;
    readonly document: vscode.TextDocument;
}

const toRange = (range: Range): vscode.Range =>
    new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
const toPosition = (position: Position): vscode.Position => new vscode.Position(position.line, position.character);

function describe(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/** True for the error a request rejects with once its token is cancelled. */
function isCancellation(error: unknown, token: vscode.CancellationToken): boolean {
    return token.isCancellationRequested || (error instanceof Error && /cancel/i.test(error.message));
}

/**
 * Next-edit suggestions: after a pause in typing in the active editor, asks the server what the
 * user will edit next (`chatls/nextEdit`) and shows it in place, the removed text struck through,
 * the added text beside it and a marker in the gutter. Tab jumps to it, a second Tab accepts it,
 * Escape dismisses it (the keys are bound in package.json while `chatls.nextEditShown` is set).
 */
export class NextEditController implements vscode.Disposable {
    private settings: NextEditSettings = NEXT_EDIT_OFF;
    private timer: ReturnType<typeof setTimeout> | undefined;
    /** The request in flight (or about to be sent): cancelled by the next change. */
    private pending: vscode.CancellationTokenSource | undefined;
    private shown: Shown | undefined;
    private context = false;
    private disposed = false;
    private readonly disposables: vscode.Disposable[] = [];
    private readonly struck = vscode.window.createTextEditorDecorationType({
        textDecoration: "line-through",
        backgroundColor: new vscode.ThemeColor("diffEditor.removedTextBackground"),
    });
    private readonly added = vscode.window.createTextEditorDecorationType({
        after: {
            color: new vscode.ThemeColor("editorGhostText.foreground"),
            backgroundColor: new vscode.ThemeColor("diffEditor.insertedTextBackground"),
            fontStyle: "italic",
        },
    });
    private readonly marker: vscode.TextEditorDecorationType;

    constructor(
        private readonly clients: ClientProvider,
        private readonly log: NextEditLog,
        extensionUri: vscode.Uri,
    ) {
        this.marker = vscode.window.createTextEditorDecorationType({
            isWholeLine: true,
            gutterIconPath: vscode.Uri.joinPath(extensionUri, "resources", "next-edit.svg"),
            gutterIconSize: "contain",
            overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.modifiedForeground"),
            overviewRulerLane: vscode.OverviewRulerLane.Right,
        });
        this.disposables.push(
            this.struck,
            this.added,
            this.marker,
            vscode.workspace.onDidChangeTextDocument((event) => this.guard(() => this.documentChanged(event))),
            vscode.window.onDidChangeActiveTextEditor(() => this.guard(() => this.editorSwitched())),
            vscode.workspace.onDidCloseTextDocument((document) =>
                this.guard(() => this.shown?.document === document && this.clear()),
            ),
            vscode.commands.registerCommand(COMMANDS.nextEditTab, () => this.guardAsync(() => this.tab())),
            vscode.commands.registerCommand(COMMANDS.nextEditDismiss, () => this.guardAsync(() => this.dismiss())),
        );
    }

    /** What the server published (at `initialize`, in each `chatls/actions`; off once it stops). */
    configure(settings: NextEditSettings): void {
        if (this.disposed) {
            return;
        }
        if (settings.enabled !== this.settings.enabled || settings.debounceMs !== this.settings.debounceMs) {
            this.log.info(
                `Next-edit suggestions ${settings.enabled ? `on (after a ${settings.debounceMs} ms pause)` : "off"}.`,
            );
        }
        this.settings = settings;
        if (!settings.enabled) {
            this.cancelPending();
            this.clear();
        }
    }

    private guard(work: () => unknown): void {
        try {
            work();
        } catch (error) {
            this.log.error(`Next edit: ${describe(error)}`);
        }
    }

    private async guardAsync(work: () => Promise<void>): Promise<void> {
        try {
            await work();
        } catch (error) {
            this.log.error(`Next edit: ${describe(error)}`);
        }
    }

    private documentChanged(event: vscode.TextDocumentChangeEvent): void {
        if (event.contentChanges.length === 0) {
            return;
        }
        if (this.shown?.document === event.document) {
            this.clear();
        }
        const editor = vscode.window.activeTextEditor;
        if (editor?.document === event.document) {
            this.schedule(editor);
        }
    }

    private editorSwitched(): void {
        this.cancelPending();
        this.clear();
    }

    private cancelPending(): void {
        if (this.timer !== undefined) {
            clearTimeout(this.timer);
            this.timer = undefined;
        }
        if (this.pending !== undefined) {
            // vscode-languageclient turns this into `$/cancelRequest` when the request is out.
            this.pending.cancel();
            this.pending.dispose();
            this.pending = undefined;
        }
    }

    /** A change in the active editor: restarts the pause before asking. */
    private schedule(editor: vscode.TextEditor): void {
        this.cancelPending();
        if (!this.settings.enabled || !SUPPORTED_SCHEMES.has(editor.document.uri.scheme)) {
            return;
        }
        const source = new vscode.CancellationTokenSource();
        this.pending = source;
        this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.guardAsync(() => this.request(editor, source));
        }, this.settings.debounceMs);
    }

    private async request(editor: vscode.TextEditor, source: vscode.CancellationTokenSource): Promise<void> {
        const token = source.token;
        const client = await this.clients.runningClient();
        if (client === undefined || token.isCancellationRequested) {
            return;
        }
        const document = editor.document;
        const version = document.version;
        const cursor = editor.selection.active;
        const params = {
            textDocument: { uri: client.code2ProtocolConverter.asUri(document.uri), version },
            position: { line: cursor.line, character: cursor.character },
        };
        const started = Date.now();
        let result: unknown;
        try {
            result = await client.sendRequest(NEXT_EDIT_REQUEST, params, token);
        } catch (error) {
            if (!isCancellation(error, token)) {
                this.log.warn(`Next edit: the request failed: ${describe(error)}`);
            }
            return;
        } finally {
            if (this.pending === source) {
                this.pending = undefined;
                source.dispose();
            }
        }
        const suggestion = suggestionOf(result);
        const elapsed = Date.now() - started;
        if (suggestion === undefined) {
            this.log.debug(`Next edit: no suggestion (${elapsed} ms).`);
            return;
        }
        // Typing since the request cancels it; what is left: the answer is for another document,
        // a version the editor no longer has, or an editor that is no longer the active one.
        const same = vscode.Uri.parse(suggestion.uri).toString() === document.uri.toString();
        if (
            token.isCancellationRequested ||
            !same ||
            document.version !== suggestion.version ||
            vscode.window.activeTextEditor?.document !== document
        ) {
            this.log.debug(`Next edit ${suggestion.id}: out of date when it came (${elapsed} ms), not shown.`);
            return;
        }
        this.show(suggestion, document, elapsed);
        void this.feedback(client, suggestion.id, "shown");
    }

    private show(suggestion: Suggestion, document: vscode.TextDocument, elapsed: number): void {
        const ranges = suggestion.edits.map((edit) => toRange(edit.range));
        if (ranges.some((range) => !document.validateRange(range).isEqual(range))) {
            this.log.warn(`Next edit ${suggestion.id}: a range is outside the document; not shown.`);
            return;
        }
        this.clear();
        this.shown = { suggestion, document };
        this.draw();
        this.setContext(true);
        const lines = suggestion.edits.map((edit) => edit.range.start.line + 1);
        this.log.info(
            `Next edit ${suggestion.id} shown after ${elapsed} ms: ${suggestion.edits.length} edit${suggestion.edits.length === 1 ? "" : "s"} on line${lines.length === 1 ? "" : "s"} ${[...new Set(lines)].join(", ")}.`,
        );
    }

    private draw(): void {
        const shown = this.shown;
        const drawing = shown && drawingOf(shown.suggestion);
        const hover = new vscode.MarkdownString(
            "chatls suggests the next edit: **Tab** goes there, **Tab** again accepts it, **Escape** dismisses it.",
        );
        for (const editor of vscode.window.visibleTextEditors) {
            if (shown === undefined || editor.document !== shown.document) {
                if (!this.context) {
                    continue;
                }
                editor.setDecorations(this.struck, []);
                editor.setDecorations(this.added, []);
                editor.setDecorations(this.marker, []);
                continue;
            }
            editor.setDecorations(
                this.struck,
                (drawing?.struck ?? []).map((range) => ({ range: toRange(range), hoverMessage: hover })),
            );
            editor.setDecorations(
                this.added,
                (drawing?.added ?? []).map(({ at, text }) => ({
                    range: new vscode.Range(toPosition(at), toPosition(at)),
                    hoverMessage: hover,
                    renderOptions: { after: { contentText: text } },
                })),
            );
            editor.setDecorations(
                this.marker,
                (drawing?.lines ?? []).map((line) => ({ range: new vscode.Range(line, 0, line, 0) })),
            );
        }
    }

    /** Takes the suggestion off the screen (no feedback: typing over it is not a dismissal). */
    private clear(): void {
        if (this.shown === undefined && !this.context) {
            return;
        }
        this.shown = undefined;
        this.draw();
        this.setContext(false);
    }

    private setContext(value: boolean): void {
        if (this.context !== value) {
            this.context = value;
            void vscode.commands.executeCommand("setContext", NEXT_EDIT_CONTEXT, value);
        }
    }

    private async tab(): Promise<void> {
        const editor = vscode.window.activeTextEditor;
        const shown = this.shown;
        if (editor === undefined || shown === undefined || editor.document !== shown.document) {
            // The context key lagged behind: Tab does what it does without a suggestion.
            this.clear();
            await vscode.commands.executeCommand("tab");
            return;
        }
        const action = tabAction(shown.suggestion, editor.selection.active, editor.document.version);
        switch (action.kind) {
            case "jump": {
                const at = toPosition(action.to);
                editor.selection = new vscode.Selection(at, at);
                editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
                return;
            }
            case "drop":
                this.log.info(`Next edit ${shown.suggestion.id}: the document changed since; dropped.`);
                this.clear();
                return;
            case "accept": {
                // Cleared first: the edit is a change of the document, which would clear it anyway.
                this.clear();
                const edit = new vscode.WorkspaceEdit();
                for (const { range, text } of action.edits) {
                    edit.replace(editor.document.uri, toRange(range), text);
                }
                const applied = await vscode.workspace.applyEdit(edit);
                this.log.info(`Next edit ${shown.suggestion.id}: ${applied ? "accepted" : "could not be applied"}.`);
                if (applied) {
                    const client = await this.clients.runningClient();
                    if (client !== undefined) {
                        await this.feedback(client, shown.suggestion.id, "accepted");
                    }
                }
                return;
            }
        }
    }

    private async dismiss(): Promise<void> {
        const shown = this.shown;
        this.cancelPending();
        this.clear();
        if (shown === undefined) {
            return;
        }
        this.log.info(`Next edit ${shown.suggestion.id}: dismissed.`);
        const client = await this.clients.runningClient();
        if (client !== undefined) {
            await this.feedback(client, shown.suggestion.id, "dismissed");
        }
    }

    private async feedback(client: LanguageClient, id: string, outcome: Outcome): Promise<void> {
        try {
            await client.sendNotification(FEEDBACK_NOTIFICATION, { id, outcome });
        } catch (error) {
            this.log.warn(`Next edit ${id}: telling the server it was ${outcome} failed: ${describe(error)}`);
        }
    }

    dispose(): void {
        this.disposed = true;
        this.cancelPending();
        this.clear();
        for (const disposable of this.disposables) {
            disposable.dispose();
        }
    }
}
