import { randomUUID } from "node:crypto";

import * as vscode from "vscode";
import {
    type Diagnostic,
    ErrorCodes,
    ExecuteCommandRequest,
    type LanguageClient,
    type Range,
    ResponseError,
    WorkDoneProgress,
    WorkDoneProgressCancelNotification,
} from "vscode-languageclient/node";

import { AnswerPreviews } from "./answers";
import { ACTION_TITLES, type ActionId, QUIET_ACTIONS, SERVER_COMMANDS, TEXT_INPUTS } from "./constants";
import { NOT_RUNNING, type Notifier } from "./messages";

/** The one argument object every chatls command takes; positions are LSP's (0-based, UTF-16). */
export interface CommandArguments {
    uri: string;
    range: Range;
    version?: number;
    diagnostic?: Diagnostic;
    instruction?: string;
    question?: string;
    /** The server's thread a Refine or an Ask follow-up continues. */
    thread?: string;
    quiet?: boolean;
    /** Translate: the language to translate into. */
    language?: string;
    /** `chatls.action`: the custom action's id. */
    id?: string;
}

/** What Translate, Write tests and custom `newFile` actions return: a document to open (unless
 * the server put it in a file, `file`/`created`). */
export interface DocumentResult {
    document: { text: string; languageId: string; name: string };
    file?: string;
    created?: string;
}

function isDocumentResult(value: unknown): value is DocumentResult {
    return (
        typeof value === "object" &&
        value !== null &&
        typeof (value as DocumentResult).document === "object" &&
        typeof (value as DocumentResult).document?.text === "string"
    );
}

/** What Explain and Ask return: the answer, and the thread a follow-up continues. */
export interface AnswerResult {
    markdown: string;
    thread?: string | null;
}

export interface ClientProvider {
    /** The client once the server runs (waiting for a start in progress), else undefined. */
    runningClient(): Promise<LanguageClient | undefined>;
}

function isAnswerResult(value: unknown): value is AnswerResult {
    return typeof value === "object" && value !== null && typeof (value as AnswerResult).markdown === "string";
}

function isCommandArguments(value: unknown): value is CommandArguments {
    return typeof value === "object" && value !== null && typeof (value as CommandArguments).uri === "string";
}

/**
 * Asks for the text an action needs (Refine's instruction, Ask's question): undefined when the
 * user cancels or leaves it empty.
 */
export async function askForText(action: ActionId): Promise<string | undefined> {
    const input = TEXT_INPUTS[action];
    if (input === undefined) {
        return undefined;
    }
    const text = await vscode.window.showInputBox({
        title: input.title,
        prompt: input.prompt,
        placeHolder: input.placeHolder,
        ignoreFocusOut: true,
    });
    return text === undefined || text.trim() === "" ? undefined : text.trim();
}

/**
 * Runs the server's commands, from the palette, the context menu and the lightbulb alike.
 *
 * Each run carries its own work-done token, so the progress notification can offer Cancel (the
 * server stops the model's reply on `window/workDoneProgress/cancel`). Progress the server
 * creates itself, for the lightbulb's actions it resolves, gets its Cancel button from the
 * `resolveCodeAction` middleware instead.
 */
export class ActionRunner {
    readonly answers = new AnswerPreviews();

    constructor(
        private readonly clients: ClientProvider,
        private readonly notifier: Notifier,
    ) {}

    /**
     * For vscode-languageclient's `executeCommand` middleware: the lightbulb's commands. Ask… and
     * Refine… arrive without the user's text, which is asked for here.
     */
    async runServerCommand(action: ActionId, args: unknown[]): Promise<unknown> {
        const [first] = args;
        if (!isCommandArguments(first)) {
            this.notifier.error(`chatls: ${ACTION_TITLES[action]} was run without its argument object.`);
            return undefined;
        }
        const input = TEXT_INPUTS[action];
        if (input !== undefined && !first[input.field]) {
            const text = await askForText(action);
            return text === undefined ? undefined : this.run(action, { ...first, [input.field]: text });
        }
        return this.run(action, first);
    }

    async run(action: ActionId, args: CommandArguments): Promise<unknown> {
        const client = await this.clients.runningClient();
        if (client === undefined) {
            this.notifier.error(NOT_RUNNING);
            return undefined;
        }
        // Answers open in a preview here, and new documents in an editor, so the server need not
        // also show them as a message.
        const quiet = QUIET_ACTIONS.has(action);
        const sent: CommandArguments = quiet ? { ...args, quiet: true } : args;
        const title = `chatls: ${ACTION_TITLES[action]}`;
        const result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title, cancellable: true },
            (progress, cancellation) => this.execute(client, action, sent, progress, cancellation),
        );
        if (isDocumentResult(result)) {
            const placed = result.created ?? result.file;
            const document =
                placed === undefined
                    ? await vscode.workspace.openTextDocument({
                          content: result.document.text,
                          language: result.document.languageId,
                      })
                    : await vscode.workspace.openTextDocument(vscode.Uri.parse(placed));
            await vscode.window.showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.Beside });
            return result;
        }
        if (quiet && isAnswerResult(result)) {
            await this.answers.show(
                result.markdown,
                { uri: args.uri, range: args.range, thread: result.thread ?? undefined },
                action === "ask" ? args.question : undefined,
            );
        }
        return result;
    }

    private async execute(
        client: LanguageClient,
        action: ActionId,
        args: CommandArguments,
        progress: vscode.Progress<{ message?: string }>,
        cancellation: vscode.CancellationToken,
    ): Promise<unknown> {
        const token = `chatls-vscode-${randomUUID()}`;
        const reports = client.onProgress(WorkDoneProgress.type, token, (value) => {
            if (value.kind !== "end" && value.message !== undefined) {
                progress.report({ message: value.message });
            }
        });
        const cancelled = cancellation.onCancellationRequested(() => {
            void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
        });
        try {
            return await client.sendRequest(ExecuteCommandRequest.type, {
                command: SERVER_COMMANDS[action],
                arguments: [args],
                workDoneToken: token,
            });
        } catch (error) {
            if (cancellation.isCancellationRequested) {
                return undefined;
            }
            // The server shows its own failures and answers null; an error here means the
            // request itself failed (the server crashed or refused the command).
            const reason =
                error instanceof ResponseError && error.code === ErrorCodes.ConnectionInactive
                    ? "the server is not running"
                    : error instanceof Error
                      ? error.message
                      : String(error);
            this.notifier.error(`chatls: ${ACTION_TITLES[action]} failed: ${reason}`);
            return undefined;
        } finally {
            cancelled.dispose();
            reports.dispose();
        }
    }
}
