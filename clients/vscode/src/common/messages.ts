import * as vscode from "vscode";

import { EXTENSION_ID } from "./constants";

const OPEN_SETTINGS = "Open Settings";
const SHOW_LOG = "Show Log";

export type Severity = "error" | "warning" | "info";

export const NOT_RUNNING =
    "chatls: the server is not running. Run “chatls: Restart Server” after fixing the cause shown in the log.";

/** The settings editor on chatls's settings, or on one of them. */
export function openSettings(setting?: string): Thenable<unknown> {
    return vscode.commands.executeCommand("workbench.action.openSettings", setting ?? `@ext:${EXTENSION_ID}`);
}

/**
 * Every message the user sees from chatls, the server's and the extension's alike.
 *
 * A message already on screen is not shown again, so a failure that several paths report (or a
 * server that repeats itself) reaches the user once; errors and warnings offer the settings,
 * where nearly every chatls failure is fixed.
 */
export class Notifier {
    private readonly showing = new Set<string>();

    constructor(private readonly showLog: () => void) {}

    error(message: string): void {
        this.show("error", message);
    }

    warning(message: string): void {
        this.show("warning", message);
    }

    info(message: string): void {
        this.show("info", message);
    }

    /** A message with buttons of its own; `onChoice` gets the one clicked. */
    choose(severity: Severity, message: string, buttons: string[], onChoice: (choice: string) => void): void {
        const key = `${severity}\u0000${message}`;
        if (this.showing.has(key)) {
            return;
        }
        this.showing.add(key);
        const show =
            severity === "error"
                ? vscode.window.showErrorMessage
                : severity === "warning"
                  ? vscode.window.showWarningMessage
                  : vscode.window.showInformationMessage;
        void Promise.resolve(show(message, ...buttons)).then(
            (choice) => {
                this.showing.delete(key);
                if (choice !== undefined) {
                    onChoice(choice);
                }
            },
            () => this.showing.delete(key),
        );
    }

    show(severity: Severity, message: string): void {
        const key = `${severity}\u0000${message}`;
        if (this.showing.has(key)) {
            return;
        }
        this.showing.add(key);
        const shown =
            severity === "error"
                ? vscode.window.showErrorMessage(message, OPEN_SETTINGS, SHOW_LOG)
                : severity === "warning"
                  ? vscode.window.showWarningMessage(message, OPEN_SETTINGS, SHOW_LOG)
                  : vscode.window.showInformationMessage(message);
        void Promise.resolve(shown).then(
            (choice) => {
                this.showing.delete(key);
                if (choice === OPEN_SETTINGS) {
                    void openSettings();
                } else if (choice === SHOW_LOG) {
                    this.showLog();
                }
            },
            () => this.showing.delete(key),
        );
    }
}
