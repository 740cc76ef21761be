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
import { NOT_RUNNING, type Notifier } from "./messages";
import { ActionList, type PublishedAction } from "./published";
import { reviewOfResult } from "./reviewState";

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
    /** The custom action's id (the one command that runs them all needs it). */
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

/** Shows a change the server holds back for review. */
export interface ReviewShower {
    show(review: unknown): Promise<void>;
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
 * Asks for the text an action asks for (Refine's instruction, Ask's question): undefined when
 * the user cancels, or leaves empty text the action requires; "" when optional text is left
 * empty.
 */
export async function askForText(action: PublishedAction): Promise<string | undefined> {
    const asks = action.asks;
    if (asks === undefined) {
        return "";
    }
    const text = await vscode.window.showInputBox({
        title: `chatls: ${action.title}`,
        prompt: asks.prompt.trim(),
        ignoreFocusOut: true,
    });
    if (text === undefined || (asks.required && text.trim() === "")) {
        return undefined;
    }
    return text.trim();
}

/** `args` with the text `action` asks for, when there is some. */
export function withText(action: PublishedAction, args: CommandArguments, text: string): CommandArguments {
    return action.asks === undefined || text === "" ? args : { ...args, [action.asks.argument]: text };
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
    readonly list = new ActionList();

    constructor(
        private readonly clients: ClientProvider,
        private readonly notifier: Notifier,
        private readonly reviews?: ReviewShower,
    ) {}

    /**
     * For vscode-languageclient's `executeCommand` middleware: the lightbulb's commands. Ask… and
     * Refine… arrive without the user's text, which is asked for here.
     */
    async runServerCommand(action: PublishedAction, args: unknown[]): Promise<unknown> {
        const [first] = args;
        if (!isCommandArguments(first)) {
            this.notifier.error(`chatls: ${action.title} was run without its argument object.`);
            return undefined;
        }
        const asks = action.asks;
        if (asks !== undefined && asks.required && !first[asks.argument]) {
            const text = await askForText(action);
            return text === undefined ? undefined : this.run(action, withText(action, first, text));
        }
        return this.run(action, first);
    }

    async run(action: PublishedAction, args: CommandArguments): Promise<unknown> {
        const client = await this.clients.runningClient();
        if (client === undefined) {
            this.notifier.error(NOT_RUNNING);
            return undefined;
        }
        // Answers open in a preview here, and new documents in an editor, so the server need not
        // also show them as a message.
        const quiet = action.output !== "edit";
        const sent: CommandArguments = {
            ...args,
            ...(quiet ? { quiet: true } : {}),
            ...(action.custom ? { id: action.id } : {}),
        };
        const title = `chatls: ${action.title}`;
        const command = this.list.commandOf(action);
        const result = await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title, cancellable: true },
            (progress, cancellation) => this.execute(client, command, title, sent, progress, cancellation),
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
        const review = reviewOfResult(result);
        if (review !== undefined) {
            // Normally shown already, from the `chatls/review` notification that came first.
            await this.reviews?.show(review);
            return result;
        }
        if (quiet && isAnswerResult(result)) {
            // What the user asked heads its answer, so a thread's preview reads as the conversation.
            await this.answers.show(
                result.markdown,
                { uri: args.uri, range: args.range, thread: result.thread ?? undefined },
                action.asks === undefined ? undefined : args[action.asks.argument],
            );
        }
        return result;
    }

    private async execute(
        client: LanguageClient,
        command: string,
        title: string,
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
                command,
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
            this.notifier.error(`${title} failed: ${reason}`);
            return undefined;
        } finally {
            cancelled.dispose();
            reports.dispose();
        }
    }
}
