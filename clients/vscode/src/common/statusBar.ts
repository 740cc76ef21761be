import * as vscode from "vscode";

import { COMMANDS } from "./constants";

export type ServerState = "starting" | "running" | "stopped" | "failed";

/**
 * The model in use, and a spinner while the server reports work-done progress.
 *
 * Progress is keyed by its token: the server's `$/progress` begin/end for every action, whether
 * it came from a chatls command, a lightbulb action resolved by the editor, or another extension.
 */
export class StatusBar implements vscode.Disposable {
    private readonly item: vscode.StatusBarItem;
    private readonly running = new Map<string, string>();
    private model = "";
    private detail = "";
    private missing = false;
    private state: ServerState = "starting";

    constructor() {
        this.item = vscode.window.createStatusBarItem("chatls.status", vscode.StatusBarAlignment.Right, 100);
        this.item.name = "chatls";
        this.item.command = COMMANDS.statusMenu;
        this.render();
        this.item.show();
    }

    setModel(label: string, detail: string, missing = false): void {
        this.model = label;
        this.detail = detail;
        this.missing = missing;
        this.render();
    }

    setState(state: ServerState): void {
        this.state = state;
        if (state !== "running") {
            // A server that stopped will never end its progress.
            this.running.clear();
        }
        this.render();
    }

    begin(token: string, title: string): void {
        this.running.set(token, title);
        this.render();
    }

    end(token: string): void {
        if (this.running.delete(token)) {
            this.render();
        }
    }

    get busy(): boolean {
        return this.running.size > 0;
    }

    private render(): void {
        const titles = [...this.running.values()];
        const model = this.model === "" ? "chatls" : this.model;
        if (titles.length > 0) {
            this.item.text = `$(loading~spin) ${titles[titles.length - 1]}`;
            this.item.tooltip = `${titles.join("\n")}\nModel: ${model}`;
            return;
        }
        switch (this.state) {
            case "starting":
                this.item.text = `$(loading~spin) chatls`;
                this.item.tooltip = "chatls: starting the server";
                break;
            case "failed":
            case "stopped":
                this.item.text = `$(error) chatls`;
                this.item.tooltip = "chatls: the server is not running. Click for the log and more.";
                break;
            case "running":
                this.item.text = this.missing ? `$(warning) chatls: ${model}` : `$(sparkle) ${model}`;
                this.item.tooltip = `chatls: ${this.detail}. Click for the log and more.`;
                break;
        }
    }

    dispose(): void {
        this.item.dispose();
    }
}
