import * as vscode from "vscode";

import { redact } from "./logLines";

function format(message: string | Error, args: unknown[]): string {
    const head = message instanceof Error ? (message.stack ?? message.message) : message;
    if (args.length === 0) {
        return head;
    }
    const tail = args.map((arg) => {
        if (typeof arg === "string") {
            return arg;
        }
        if (arg instanceof Error) {
            return arg.stack ?? arg.message;
        }
        try {
            return JSON.stringify(arg);
        } catch {
            return String(arg);
        }
    });
    return [head, ...tail].join(" ");
}

/**
 * The chatls output channel, masking the API key in everything written to it.
 *
 * The server masks keys in its own log, but vscode-languageclient's message trace
 * (`chatls.trace.server`) prints `initialize` and `workspace/configuration` payloads, which carry
 * the key: every line passes through here first.
 */
export class RedactingLogChannel implements vscode.LogOutputChannel {
    private readonly secrets = new Set<string>();

    constructor(private readonly channel: vscode.LogOutputChannel) {}

    /** Masks `secret` from now on; a replaced key stays masked, as old traces may still echo it. */
    addSecret(secret: string | undefined): void {
        if (secret !== undefined && secret !== "") {
            this.secrets.add(secret);
        }
    }

    private clean(message: string | Error, args: unknown[]): string {
        return redact(format(message, args), this.secrets);
    }

    get name(): string {
        return this.channel.name;
    }

    get logLevel(): vscode.LogLevel {
        return this.channel.logLevel;
    }

    get onDidChangeLogLevel(): vscode.Event<vscode.LogLevel> {
        return this.channel.onDidChangeLogLevel;
    }

    trace(message: string, ...args: unknown[]): void {
        this.channel.trace(this.clean(message, args));
    }

    debug(message: string, ...args: unknown[]): void {
        this.channel.debug(this.clean(message, args));
    }

    info(message: string, ...args: unknown[]): void {
        this.channel.info(this.clean(message, args));
    }

    warn(message: string, ...args: unknown[]): void {
        this.channel.warn(this.clean(message, args));
    }

    error(error: string | Error, ...args: unknown[]): void {
        this.channel.error(this.clean(error, args));
    }

    append(value: string): void {
        this.channel.append(redact(value, this.secrets));
    }

    appendLine(value: string): void {
        this.channel.appendLine(redact(value, this.secrets));
    }

    replace(value: string): void {
        this.channel.replace(redact(value, this.secrets));
    }

    clear(): void {
        this.channel.clear();
    }

    show(preserveFocus?: boolean): void;
    show(column?: vscode.ViewColumn, preserveFocus?: boolean): void;
    show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
        if (typeof columnOrPreserveFocus === "boolean" || columnOrPreserveFocus === undefined) {
            this.channel.show(columnOrPreserveFocus);
        } else {
            this.channel.show(columnOrPreserveFocus, preserveFocus);
        }
    }

    hide(): void {
        this.channel.hide();
    }

    dispose(): void {
        this.channel.dispose();
    }
}
