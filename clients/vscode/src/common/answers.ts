import * as path from "node:path";

import * as vscode from "vscode";
import type { Range } from "vscode-languageclient/node";

/** The code an answer is about, and the server's thread that a follow-up continues. */
export interface AnswerSubject {
    uri: string;
    range: Range;
    /** The thread's id, when the server kept one (null when the code changed meanwhile). */
    thread?: string;
}

interface Shown extends AnswerSubject {
    document: vscode.TextDocument;
}

const MARKDOWN_PREVIEW = "markdown.preview";
export const HAS_ANSWER_CONTEXT = "chatls.hasAnswer";

/**
 * Explain and Ask answers, each shown as rendered Markdown beside the code (the preview of an
 * untitled Markdown document). A follow-up's answer is added to the preview of its thread, so
 * the preview reads as the conversation.
 */
export class AnswerPreviews {
    private readonly shown: Shown[] = [];

    /** Shows an answer: in its thread's preview when `question` follows one up, else a new one. */
    async show(markdown: string, subject: AnswerSubject, question?: string): Promise<void> {
        const live = this.shown.filter((entry) => !entry.document.isClosed);
        this.shown.splice(0, this.shown.length, ...live);
        const thread = subject.thread;
        const previous =
            question !== undefined && thread !== undefined ? live.find((entry) => entry.thread === thread) : undefined;
        const heading = question === undefined ? "" : `**${question.replace(/\n/g, " ")}**\n\n`;
        if (previous !== undefined) {
            const document = previous.document;
            const edit = new vscode.WorkspaceEdit();
            edit.insert(
                document.uri,
                document.lineAt(document.lineCount - 1).range.end,
                `\n\n---\n\n${heading}${markdown}\n`,
            );
            if (await vscode.workspace.applyEdit(edit)) {
                this.remember({ ...subject, document });
                // An open preview follows its document: opening another would split the view.
                if (!previewTabs().some((tab) => tab.label === previewLabel(document))) {
                    await vscode.commands.executeCommand("markdown.showPreviewToSide", document.uri);
                }
                return;
            }
        }
        const document = await vscode.workspace.openTextDocument({
            language: "markdown",
            content: `${heading}${markdown}\n`,
        });
        this.remember({ ...subject, document });
        await vscode.commands.executeCommand("markdown.showPreviewToSide", document.uri);
    }

    private remember(entry: Shown): void {
        const index = this.shown.findIndex((shown) => shown.document === entry.document);
        if (index >= 0) {
            this.shown.splice(index, 1);
        }
        this.shown.push(entry);
        void vscode.commands.executeCommand("setContext", HAS_ANSWER_CONTEXT, true);
    }

    /**
     * The answer the user means by "follow up": the one in the active preview (a preview's tab
     * is labelled "Preview <document>"), else the one in a visible preview, else the latest.
     */
    current(): AnswerSubject | undefined {
        const live = this.shown.filter((entry) => !entry.document.isClosed);
        const inTab = (tab: vscode.Tab | undefined): Shown | undefined =>
            tab !== undefined && isPreview(tab)
                ? live.find((entry) => tab.label === previewLabel(entry.document))
                : undefined;
        const groups = vscode.window.tabGroups;
        const found =
            inTab(groups.activeTabGroup.activeTab) ??
            groups.all.map((group) => inTab(group.activeTab)).find((entry) => entry !== undefined) ??
            live.at(-1);
        return found === undefined ? undefined : { uri: found.uri, range: found.range, thread: found.thread };
    }
}

function isPreview(tab: vscode.Tab): boolean {
    return tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith(MARKDOWN_PREVIEW);
}

/** Every open Markdown preview's tab. */
function previewTabs(): vscode.Tab[] {
    return vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter(isPreview);
}

/** How VS Code labels the tab of a document's Markdown preview. */
function previewLabel(document: vscode.TextDocument): string {
    return `Preview ${path.posix.basename(document.uri.path)}`;
}
