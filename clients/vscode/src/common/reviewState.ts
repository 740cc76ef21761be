/**
 * A change the server holds back for review (`chatls/review`, docs/protocol.md "Review before a
 * change lands"), as the extension keeps it while it is shown: which lines each hunk covers now
 * (they move as the user types elsewhere), what the user decided for each, and the answer to send
 * once every hunk is decided. Free of `vscode`, so it is unit-tested.
 */

import type { Position, Range } from "./ranges";

export type { Position, Range };

export interface ReviewHunk {
    readonly index: number;
    /** Whole lines of the document at the review's version. */
    readonly range: Range;
    readonly oldText: string;
    readonly newText: string;
}

/** The `chatls/review` notification's parameters (also the `review` of the command's result). */
export interface ReviewPayload {
    readonly id: string;
    readonly title: string;
    readonly action: string;
    readonly textDocument: { readonly uri: string; readonly version: number };
    readonly hunks: readonly ReviewHunk[];
    readonly diff: string;
}

function isPosition(value: unknown): value is Position {
    return (
        typeof value === "object" &&
        value !== null &&
        Number.isInteger((value as Position).line) &&
        Number.isInteger((value as Position).character)
    );
}

function isHunk(value: unknown): value is ReviewHunk {
    if (typeof value !== "object" || value === null) {
        return false;
    }
    const hunk = value as ReviewHunk;
    return (
        Number.isInteger(hunk.index) &&
        typeof hunk.oldText === "string" &&
        typeof hunk.newText === "string" &&
        typeof hunk.range === "object" &&
        hunk.range !== null &&
        isPosition(hunk.range.start) &&
        isPosition(hunk.range.end)
    );
}

export function isReviewPayload(value: unknown): value is ReviewPayload {
    if (typeof value !== "object" || value === null) {
        return false;
    }
    const review = value as ReviewPayload;
    return (
        typeof review.id === "string" &&
        typeof review.title === "string" &&
        typeof review.textDocument === "object" &&
        review.textDocument !== null &&
        typeof review.textDocument.uri === "string" &&
        Array.isArray(review.hunks) &&
        review.hunks.length > 0 &&
        review.hunks.every(isHunk)
    );
}

/** The review a command's result holds back (`{"applied": false, "review": ...}`), if any. */
export function reviewOfResult(value: unknown): ReviewPayload | undefined {
    if (typeof value !== "object" || value === null) {
        return undefined;
    }
    const review = (value as { review?: unknown }).review;
    return isReviewPayload(review) ? review : undefined;
}

/** The lines of `text` without their line breaks ("" has none; a last line without one counts). */
export function linesOf(text: string): string[] {
    if (text === "") {
        return [];
    }
    const lines = text.split(/\r\n|\r|\n/);
    if (lines[lines.length - 1] === "") {
        lines.pop();
    }
    return lines;
}

export type Decision = "accept" | "reject";

/** A hunk as shown now: the lines `[start, end)` it replaces (`start === end`: it inserts before
 * `start`), moved along with the user's edits above it. */
export interface ShownHunk {
    readonly index: number;
    start: number;
    end: number;
    readonly oldLines: readonly string[];
    readonly newLines: readonly string[];
    decision: Decision | undefined;
    /** The user edited its own lines: the server will find it again, or refuse it. */
    edited: boolean;
}

/** One edit of the document, in LSP terms: `range` (before the edit) becomes `text`. */
export interface TextChange {
    readonly range: Range;
    readonly text: string;
}

/** What to send the server once every hunk is decided. */
export type ReviewAnswer = { command: "accept"; hunks: number[] } | { command: "reject" };

export class ReviewSession {
    readonly hunks: ShownHunk[];

    constructor(readonly review: ReviewPayload) {
        this.hunks = review.hunks.map((hunk) => {
            const { start, end } = hunk.range;
            // The range ends at the start of the line after the hunk, or at the end of a last
            // line that has no line break.
            const last = end.character === 0 ? end.line : end.line + 1;
            return {
                index: hunk.index,
                start: start.line,
                end: Math.max(start.line, last),
                oldLines: linesOf(hunk.oldText),
                newLines: linesOf(hunk.newText),
                decision: undefined,
                edited: false,
            };
        });
    }

    get id(): string {
        return this.review.id;
    }

    get uri(): string {
        return this.review.textDocument.uri;
    }

    find(index: number): ShownHunk | undefined {
        return this.hunks.find((hunk) => hunk.index === index);
    }

    /** The hunk on `line`: the one whose lines hold it, else an insertion just below it or at it. */
    at(line: number): ShownHunk | undefined {
        return (
            this.hunks.find((hunk) => hunk.start <= line && line < hunk.end) ??
            this.hunks.find((hunk) => hunk.start === hunk.end && (hunk.start === line || hunk.start === line + 1))
        );
    }

    /** The first hunk after `line` still waiting for a decision, else the first one waiting. */
    nextUndecided(line: number): ShownHunk | undefined {
        const waiting = this.hunks.filter((hunk) => hunk.decision === undefined);
        return waiting.find((hunk) => hunk.start > line) ?? waiting[0];
    }

    decide(index: number, decision: Decision | undefined): void {
        const hunk = this.find(index);
        if (hunk !== undefined) {
            hunk.decision = decision;
        }
    }

    decideAll(decision: Decision): void {
        for (const hunk of this.hunks) {
            hunk.decision = decision;
        }
    }

    undecideAll(): void {
        for (const hunk of this.hunks) {
            hunk.decision = undefined;
        }
    }

    get complete(): boolean {
        return this.hunks.every((hunk) => hunk.decision !== undefined);
    }

    get undecided(): number {
        return this.hunks.filter((hunk) => hunk.decision === undefined).length;
    }

    /** The answer for the server: the accepted hunks' indices, or a rejection when none is. */
    answer(): ReviewAnswer {
        const hunks = this.hunks.filter((hunk) => hunk.decision === "accept").map((hunk) => hunk.index);
        return hunks.length === 0 ? { command: "reject" } : { command: "accept", hunks };
    }

    /**
     * Follows an edit of the document (applied in order, as VS Code reports them): hunks below it
     * move by the lines it adds or removes; a hunk it touches stays, marked edited.
     */
    follow(change: TextChange): void {
        const { start, end } = change.range;
        const delta = linesOf(change.text + "\n").length - 1 - (end.line - start.line);
        // Whole lines added or removed right above a line leave that line as it was.
        const wholeLines = change.text === "" ? start.character === 0 : /[\r\n]$/.test(change.text);
        for (const hunk of this.hunks) {
            const above = end.line < hunk.start || (end.line === hunk.start && end.character === 0 && wholeLines);
            if (above) {
                hunk.start += delta;
                hunk.end += delta;
                continue;
            }
            const below = hunk.start === hunk.end ? start.line >= hunk.start : start.line >= hunk.end;
            if (below) {
                continue;
            }
            hunk.edited = true;
            hunk.start = Math.min(hunk.start, start.line);
            hunk.end = Math.max(hunk.start, hunk.end + delta);
        }
    }
}

/** Text after a line: a hunk's new lines as ghost text at the end of the lines they replace. */
export interface Ghost {
    readonly line: number;
    readonly text: string;
}

const ARROW = "→ ";
const BREAK = " ⏎ ";

/**
 * Where a hunk's new lines are shown, as ghost text: VS Code's API can decorate a line but not
 * insert lines between them, so new line i goes after the old line i it replaces (the pairs a
 * one-line change or a rewrite of a few lines make read "old → new"), and any new lines past the
 * old ones go after the last old line, joined by ⏎. An insertion goes after the line above it.
 */
export function ghosts(hunk: ShownHunk): Ghost[] {
    const shown = (text: string): string => (text.trim() === "" ? "(blank line)" : text.trim());
    const removed = hunk.end - hunk.start;
    if (hunk.newLines.length === 0) {
        return [];
    }
    if (removed === 0) {
        return [
            {
                line: Math.max(0, hunk.start - 1),
                text: `${hunk.start === 0 ? "inserted above: " : "+ "}${hunk.newLines.map(shown).join(BREAK)}`,
            },
        ];
    }
    const out: Ghost[] = [];
    for (let i = 0; i < removed && i < hunk.newLines.length; i += 1) {
        const rest = i === removed - 1 ? hunk.newLines.slice(i) : [hunk.newLines[i]];
        out.push({ line: hunk.start + i, text: ARROW + rest.map(shown).join(BREAK) });
    }
    return out;
}

/** The hunk as a unified diff fragment (for its hover). */
export function hunkDiff(hunk: ShownHunk): string {
    return [...hunk.oldLines.map((line) => `-${line}`), ...hunk.newLines.map((line) => `+${line}`)].join("\n");
}
