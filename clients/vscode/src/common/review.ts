import * as vscode from "vscode";
import { ExecuteCommandRequest, type LanguageClient, type StaticFeature } from "vscode-languageclient/node";

import type { ClientProvider } from "./actions";
import { COMMANDS, REVIEWING_CONTEXT, SUPPORTED_SCHEMES } from "./constants";
import { NOT_RUNNING, type Notifier } from "./messages";
import { ghosts, hunkDiff, isReviewPayload, type ReviewPayload, ReviewSession, type ShownHunk } from "./reviewState";

/** Sent by the server with a change it holds back for review. */
export const REVIEW_NOTIFICATION = "chatls/review";
const ACCEPT_COMMAND = "chatls.review.accept";
const REJECT_COMMAND = "chatls.review.reject";

/**
 * Tells the server this client shows reviews itself (`experimental.chatls.review`), so it sends
 * `chatls/review` rather than asking through a message box or VS Code's Refactor Preview.
 */
export const reviewCapability: StaticFeature = {
    fillClientCapabilities(capabilities) {
        const experimental = (capabilities.experimental ?? {}) as Record<string, unknown>;
        const own = (experimental.chatls ?? {}) as Record<string, unknown>;
        capabilities.experimental = { ...experimental, chatls: { ...own, review: true } };
    },
    initialize() {},
    getState() {
        return { kind: "static" };
    },
    clear() {},
};

/** Arguments the CodeLens commands carry; the palette's and the keys' come without (the cursor). */
interface HunkTarget {
    uri: string;
    index?: number;
}

/** The key of a document's review: VS Code's spelling of its URI, which may encode it otherwise
 * than the server's copy does. */
function documentKey(uri: string | vscode.Uri): string {
    return (typeof uri === "string" ? vscode.Uri.parse(uri) : uri).toString();
}

function isHunkTarget(value: unknown): value is HunkTarget {
    return typeof value === "object" && value !== null && typeof (value as HunkTarget).uri === "string";
}

/**
 * Shows the server's reviews in the editor: the lines a change removes in red and struck through,
 * its new lines as green ghost text after them (VS Code's API cannot insert lines between the
 * document's, so they are paired with the lines they replace; the hover has the hunk as a diff),
 * and CodeLens above each hunk to accept or reject it (Accept All and Reject All above the
 * first). Nothing in the document changes until every hunk is decided: then one
 * `chatls.review.accept` (or `reject`) goes to the server, which applies what was kept.
 */
export class ReviewController implements vscode.CodeLensProvider, vscode.Disposable {
    /** The review shown per document (by the server's URI string); a new one replaces it. */
    private readonly sessions = new Map<string, ReviewSession>();
    /** Reviews already shown or answered: the command's result repeats the notification. */
    private readonly seen = new Set<string>();
    private readonly lensesChanged = new vscode.EventEmitter<void>();
    readonly onDidChangeCodeLenses = this.lensesChanged.event;
    private readonly disposables: vscode.Disposable[] = [];
    private readonly removed = vscode.window.createTextEditorDecorationType({
        isWholeLine: true,
        backgroundColor: new vscode.ThemeColor("diffEditor.removedLineBackground"),
        overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.deletedForeground"),
        overviewRulerLane: vscode.OverviewRulerLane.Left,
    });
    /** An accepted hunk waiting for the others: still there, but fainter. */
    private readonly accepted = vscode.window.createTextEditorDecorationType({
        isWholeLine: true,
        opacity: "0.6",
    });
    /** From the first non-blank character, so the indentation is not struck through. */
    private readonly struck = vscode.window.createTextEditorDecorationType({
        textDecoration: "line-through",
    });
    private readonly added = vscode.window.createTextEditorDecorationType({
        after: {
            color: new vscode.ThemeColor("editorGutter.addedBackground"),
            backgroundColor: new vscode.ThemeColor("diffEditor.insertedTextBackground"),
            fontStyle: "italic",
            margin: "0 0 0 2em",
        },
    });

    constructor(
        private readonly clients: ClientProvider,
        private readonly notifier: Notifier,
        private readonly log: (message: string) => void,
    ) {
        const selector = [...SUPPORTED_SCHEMES].map((scheme) => ({ scheme }));
        this.disposables.push(
            this.removed,
            this.accepted,
            this.struck,
            this.added,
            this.lensesChanged,
            vscode.languages.registerCodeLensProvider(selector, this),
            vscode.workspace.onDidChangeTextDocument((event) => this.documentChanged(event)),
            vscode.window.onDidChangeVisibleTextEditors(() => this.redraw()),
            vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
            vscode.window.onDidChangeTextEditorSelection(() => this.updateContext()),
            vscode.commands.registerCommand(COMMANDS.acceptChange, (target?: unknown) => this.decide(target, "accept")),
            vscode.commands.registerCommand(COMMANDS.rejectChange, (target?: unknown) => this.decide(target, "reject")),
            vscode.commands.registerCommand(COMMANDS.acceptAllChanges, (target?: unknown) =>
                this.decideAll(target, "accept"),
            ),
            vscode.commands.registerCommand(COMMANDS.rejectAllChanges, (target?: unknown) =>
                this.decideAll(target, "reject"),
            ),
            vscode.commands.registerCommand(COMMANDS.undecideChange, (target?: unknown) =>
                this.decide(target, undefined),
            ),
        );
    }

    /** A review from the server (`chatls/review`, or a command's result): shows it. */
    async show(payload: unknown): Promise<void> {
        if (!isReviewPayload(payload)) {
            this.log(`Ignored a review the extension cannot read: ${JSON.stringify(payload).slice(0, 200)}`);
            return;
        }
        if (this.seen.has(payload.id)) {
            return;
        }
        this.seen.add(payload.id);
        const previous = this.sessions.get(documentKey(payload.textDocument.uri));
        if (previous !== undefined) {
            // One review per document: the older one is discarded, as if rejected.
            this.log(`Review ${previous.id} replaced by ${payload.id}: rejected.`);
            this.sessions.delete(documentKey(previous.uri));
            void this.send(previous, { command: "reject" });
        }
        const session = new ReviewSession(payload);
        this.sessions.set(documentKey(session.uri), session);
        this.redraw();
        await this.reveal(session, payload);
    }

    /** Opens (or brings forward) the document and scrolls to the first hunk. */
    private async reveal(session: ReviewSession, payload: ReviewPayload): Promise<void> {
        const uri = vscode.Uri.parse(payload.textDocument.uri);
        const visible = vscode.window.visibleTextEditors.find(
            (editor) => editor.document.uri.toString() === uri.toString(),
        );
        try {
            const document = visible?.document ?? (await vscode.workspace.openTextDocument(uri));
            const editor = await vscode.window.showTextDocument(document, {
                viewColumn: visible?.viewColumn,
                preview: false,
            });
            const first = session.hunks[0];
            const line = Math.min(first.start, Math.max(0, document.lineCount - 1));
            const at = new vscode.Position(line, 0);
            editor.selection = new vscode.Selection(at, at);
            editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        } catch (error) {
            this.log(`Opening ${payload.textDocument.uri} for review: ${String(error)}`);
        }
        this.redraw();
        const count = payload.hunks.length;
        // The status bar rather than a notification: the CodeLens over the change say the rest.
        const key = process.platform === "darwin" ? "Cmd" : "Ctrl";
        vscode.window.setStatusBarMessage(
            `chatls: ${count === 1 ? "1 change" : `${count} changes`} to review: ${key}+Alt+Y accept, ${key}+Alt+N reject`,
            15000,
        );
    }

    /** Forgets every review: a server that stops forgets them too. */
    clear(): void {
        if (this.sessions.size > 0) {
            this.sessions.clear();
            this.redraw();
        }
    }

    private sessionFor(target: unknown): { session: ReviewSession; hunk: ShownHunk | undefined } | undefined {
        if (isHunkTarget(target)) {
            const session = this.sessions.get(documentKey(target.uri));
            return session && { session, hunk: target.index === undefined ? undefined : session.find(target.index) };
        }
        const editor = vscode.window.activeTextEditor;
        if (editor === undefined) {
            return undefined;
        }
        const session = this.sessions.get(editor.document.uri.toString());
        return session && { session, hunk: session.at(editor.selection.active.line) };
    }

    private async decide(target: unknown, decision: "accept" | "reject" | undefined): Promise<void> {
        const found = this.sessionFor(target);
        if (found === undefined) {
            this.notifier.info("chatls: there is no change under review here.");
            return;
        }
        const { session, hunk } = found;
        if (hunk === undefined) {
            this.notifier.info("chatls: put the cursor on a change under review (its red lines) first.");
            return;
        }
        session.decide(hunk.index, decision);
        if (session.complete) {
            await this.finish(session);
            return;
        }
        this.redraw();
        if (!isHunkTarget(target) && decision !== undefined) {
            // From the keys: on to the next change to decide, so y/n can go through them all.
            const next = session.nextUndecided(hunk.start);
            const editor = vscode.window.activeTextEditor;
            if (next !== undefined && editor !== undefined) {
                const at = new vscode.Position(Math.min(next.start, editor.document.lineCount - 1), 0);
                editor.selection = new vscode.Selection(at, at);
                editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
            }
        }
    }

    private async decideAll(target: unknown, decision: "accept" | "reject"): Promise<void> {
        const found = this.sessionFor(target);
        if (found === undefined) {
            this.notifier.info("chatls: there is no change under review here.");
            return;
        }
        found.session.decideAll(decision);
        await this.finish(found.session);
    }

    /** Every hunk is decided: the answer goes to the server, which applies what was kept. */
    private async finish(session: ReviewSession): Promise<void> {
        if (this.sessions.get(documentKey(session.uri)) === session) {
            this.sessions.delete(documentKey(session.uri));
        }
        // Cleared first: the accepted edit is about to change those very lines.
        this.redraw();
        const refused = await this.send(session, session.answer());
        const key = documentKey(session.uri);
        if (refused && !this.sessions.has(key)) {
            // The server keeps a review whose accept it refused, for another answer (all of it,
            // other hunks, or a reject): shown again, undecided, beside the server's message.
            session.undecideAll();
            this.sessions.set(key, session);
            this.redraw();
        }
    }

    /** Sends the answer; true when the server refused an accept (its message says why). */
    private async send(session: ReviewSession, answer: ReturnType<ReviewSession["answer"]>): Promise<boolean> {
        const client: LanguageClient | undefined = await this.clients.runningClient();
        if (client === undefined) {
            this.notifier.error(NOT_RUNNING);
            return false;
        }
        const argument = answer.command === "accept" ? { id: session.id, hunks: answer.hunks } : { id: session.id };
        this.log(`Review ${session.id}: ${answer.command} ${JSON.stringify(argument)}`);
        try {
            // A refusal (the document moved too far, or the kept hunks would not parse) comes as
            // the server's own message, and a null result.
            const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
                command: answer.command === "accept" ? ACCEPT_COMMAND : REJECT_COMMAND,
                arguments: [argument],
            });
            this.log(`Review ${session.id} answered: ${JSON.stringify(result)?.slice(0, 300)}`);
            if (answer.command === "accept" && (result === null || result === undefined)) {
                return true;
            }
            if (answer.command === "accept" && typeof result === "object" && result !== null) {
                const { applied } = result as { applied?: unknown };
                if (applied === true) {
                    vscode.window.setStatusBarMessage(
                        `chatls: ${session.review.title}: ${answer.hunks.length} of ${session.hunks.length} change${session.hunks.length === 1 ? "" : "s"} applied`,
                        5000,
                    );
                }
            }
        } catch (error) {
            this.notifier.error(
                `chatls: answering the review of ${session.review.title} failed: ${error instanceof Error ? error.message : String(error)}`,
            );
        }
        return false;
    }

    private documentChanged(event: vscode.TextDocumentChangeEvent): void {
        const session = this.sessions.get(event.document.uri.toString());
        if (session === undefined || event.contentChanges.length === 0) {
            return;
        }
        for (const change of event.contentChanges) {
            session.follow({ range: change.range, text: change.text });
        }
        this.redraw();
    }

    private redraw(): void {
        for (const editor of vscode.window.visibleTextEditors) {
            const session = this.sessions.get(editor.document.uri.toString());
            const removed: vscode.DecorationOptions[] = [];
            const accepted: vscode.DecorationOptions[] = [];
            const struck: vscode.DecorationOptions[] = [];
            const added: vscode.DecorationOptions[] = [];
            const last = editor.document.lineCount - 1;
            for (const hunk of session?.hunks ?? []) {
                if (hunk.decision === "reject") {
                    continue;
                }
                const hover = new vscode.MarkdownString().appendCodeblock(hunkDiff(hunk), "diff");
                for (let line = hunk.start; line < hunk.end && line <= last; line += 1) {
                    const text = editor.document.lineAt(line);
                    removed.push({ range: new vscode.Range(line, 0, line, 0), hoverMessage: hover });
                    if (hunk.decision === "accept") {
                        accepted.push({ range: new vscode.Range(line, 0, line, 0) });
                    }
                    struck.push({
                        range: new vscode.Range(line, text.firstNonWhitespaceCharacterIndex, line, text.text.length),
                    });
                }
                for (const ghost of ghosts(hunk)) {
                    const line = Math.min(ghost.line, last);
                    const end = editor.document.lineAt(line).range.end;
                    added.push({
                        range: new vscode.Range(end, end),
                        hoverMessage: hover,
                        renderOptions: { after: { contentText: ghost.text } },
                    });
                }
            }
            editor.setDecorations(this.removed, removed);
            editor.setDecorations(this.accepted, accepted);
            editor.setDecorations(this.struck, struck);
            editor.setDecorations(this.added, added);
        }
        this.lensesChanged.fire();
        this.updateContext();
    }

    private updateContext(): void {
        const editor = vscode.window.activeTextEditor;
        const session = editor && this.sessions.get(editor.document.uri.toString());
        void vscode.commands.executeCommand("setContext", REVIEWING_CONTEXT, session !== undefined);
    }

    provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
        const session = this.sessions.get(document.uri.toString());
        if (session === undefined) {
            return [];
        }
        const uri = session.uri;
        const last = Math.max(0, document.lineCount - 1);
        const lenses: vscode.CodeLens[] = [];
        const lens = (hunk: ShownHunk, title: string, command: string, index?: number): void => {
            const line = Math.min(hunk.start, last);
            lenses.push(
                new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
                    title,
                    command,
                    arguments: [{ uri, index }],
                }),
            );
        };
        const total = session.hunks.length;
        const title = session.review.title.replace(/…$/, "");
        for (const [position, hunk] of session.hunks.entries()) {
            if (position === 0) {
                lens(hunk, `$(sparkle) chatls ${title}: Accept All`, COMMANDS.acceptAllChanges);
                lens(hunk, "Reject All", COMMANDS.rejectAllChanges);
            }
            const which = total === 1 ? "" : ` ${position + 1}/${total}`;
            if (hunk.decision === undefined) {
                lens(hunk, `$(check) Accept${which}`, COMMANDS.acceptChange, hunk.index);
                lens(hunk, `$(close) Reject${which}`, COMMANDS.rejectChange, hunk.index);
            } else {
                lens(
                    hunk,
                    `${hunk.decision === "accept" ? "Accepted" : "Rejected"}${which} (undo)`,
                    COMMANDS.undecideChange,
                    hunk.index,
                );
            }
            if (hunk.edited) {
                lens(hunk, "$(warning) edited since", "");
            }
        }
        return lenses;
    }

    dispose(): void {
        for (const disposable of this.disposables) {
            disposable.dispose();
        }
    }
}
