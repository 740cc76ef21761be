/**
 * Next-edit suggestions (`chatls/nextEdit`, docs/protocol.md): what the server
 * publishes about them, its answer as the extension keeps it, what to draw, and what Tab does.
 * Free of `vscode`, so it is unit-tested.
 */

import type { Position, Range } from "./ranges";

export type { Position, Range };

/** `capabilities.experimental.chatls.nextEdit`, and the `nextEdit` of `chatls/actions`. */
export interface NextEditSettings {
    readonly enabled: boolean;
    readonly debounceMs: number;
}

export const NEXT_EDIT_OFF: NextEditSettings = { enabled: false, debounceMs: 400 };
const DEFAULT_DEBOUNCE_MS = 400;
/** A server asking for a longer pause than this would make the feature look broken. */
const MAX_DEBOUNCE_MS = 5000;

/**
 * The next-edit settings the server published in `container` (the `chatls` object of its
 * experimental capabilities, or a `chatls/actions` payload); undefined when it says nothing
 * about them (a server from before next-edit suggestions).
 */
export function nextEditSettingsOf(container: unknown): NextEditSettings | undefined {
    if (typeof container !== "object" || container === null) {
        return undefined;
    }
    const published: unknown = (container as { nextEdit?: unknown }).nextEdit;
    if (typeof published !== "object" || published === null) {
        return undefined;
    }
    const { enabled, debounceMs } = published as { enabled?: unknown; debounceMs?: unknown };
    const pause =
        typeof debounceMs === "number" && Number.isFinite(debounceMs) && debounceMs >= 0
            ? Math.min(debounceMs, MAX_DEBOUNCE_MS)
            : DEFAULT_DEBOUNCE_MS;
    return { enabled: enabled === true, debounceMs: pause };
}

export interface SuggestedEdit {
    readonly range: Range;
    readonly text: string;
}

/** One suggestion: every edit of one answer, for one version of one document. */
export interface Suggestion {
    readonly id: string;
    readonly uri: string;
    readonly version: number;
    /** Sorted by position, non-overlapping. */
    readonly edits: readonly SuggestedEdit[];
}

function isPosition(value: unknown): value is Position {
    return (
        typeof value === "object" &&
        value !== null &&
        Number.isInteger((value as Position).line) &&
        Number.isInteger((value as Position).character) &&
        (value as Position).line >= 0 &&
        (value as Position).character >= 0
    );
}

export function comparePositions(a: Position, b: Position): number {
    return a.line === b.line ? a.character - b.character : a.line - b.line;
}

interface WireEdit {
    range: { start: unknown; end: unknown };
    text: unknown;
    textDocument: { uri: unknown; version: unknown };
}

function isWireEdit(value: unknown): value is WireEdit {
    if (typeof value !== "object" || value === null) {
        return false;
    }
    const edit = value as WireEdit;
    return (
        typeof edit.range === "object" &&
        edit.range !== null &&
        typeof edit.textDocument === "object" &&
        edit.textDocument !== null
    );
}

/**
 * The suggestion in a `chatls/nextEdit` result, or undefined when there is none to show: no
 * edits, or an answer the spec does not allow (edits for several documents or versions,
 * overlapping, or not text). The server sorts them; sorting again costs nothing and the jump
 * and the drawing rely on it.
 */
export function suggestionOf(result: unknown): Suggestion | undefined {
    if (typeof result !== "object" || result === null) {
        return undefined;
    }
    const { id, edits } = result as { id?: unknown; edits?: unknown };
    if (typeof id !== "string" || id === "" || !Array.isArray(edits) || edits.length === 0) {
        return undefined;
    }
    let uri: string | undefined;
    let version: number | undefined;
    const kept: SuggestedEdit[] = [];
    for (const edit of edits as unknown[]) {
        if (!isWireEdit(edit)) {
            return undefined;
        }
        const { start, end } = edit.range;
        const { uri: editUri, version: editVersion } = edit.textDocument;
        if (
            !isPosition(start) ||
            !isPosition(end) ||
            comparePositions(start, end) > 0 ||
            typeof edit.text !== "string" ||
            typeof editUri !== "string" ||
            !Number.isInteger(editVersion)
        ) {
            return undefined;
        }
        if ((uri !== undefined && uri !== editUri) || (version !== undefined && version !== editVersion)) {
            return undefined;
        }
        uri = editUri;
        version = editVersion as number;
        kept.push({ range: { start, end }, text: edit.text });
    }
    kept.sort((a, b) => comparePositions(a.range.start, b.range.start));
    for (let index = 1; index < kept.length; index += 1) {
        if (comparePositions(kept[index - 1].range.end, kept[index].range.start) > 0) {
            return undefined;
        }
    }
    if (uri === undefined || version === undefined) {
        return undefined;
    }
    return { id, uri, version, edits: kept };
}

/** Added text as one line for an `after` decoration, which cannot break lines. */
export function addedLabel(text: string): string {
    return text.replace(/\r\n|\r|\n/g, " ⏎ ").replace(/\t/g, "    ");
}

export interface SuggestionDrawing {
    /** The text the edits remove, struck through. */
    readonly struck: readonly Range[];
    /** The text they add, drawn after the range it replaces. */
    readonly added: readonly { readonly at: Position; readonly text: string }[];
    /** The lines with a gutter marker: each edit's first line, once. */
    readonly lines: readonly number[];
}

export function drawingOf(suggestion: Suggestion): SuggestionDrawing {
    const struck: Range[] = [];
    const added: { at: Position; text: string }[] = [];
    const lines: number[] = [];
    for (const edit of suggestion.edits) {
        if (comparePositions(edit.range.start, edit.range.end) < 0) {
            struck.push(edit.range);
        }
        if (edit.text !== "") {
            added.push({ at: edit.range.end, text: addedLabel(edit.text) });
        }
        if (lines[lines.length - 1] !== edit.range.start.line) {
            lines.push(edit.range.start.line);
        }
    }
    return { struck, added, lines };
}

/** Whether `position` is in (or at either end of) one of the suggestion's edits. */
export function onSuggestedEdit(suggestion: Suggestion, position: Position): boolean {
    return suggestion.edits.some(
        (edit) => comparePositions(edit.range.start, position) <= 0 && comparePositions(position, edit.range.end) <= 0,
    );
}

export type TabAction =
    | { readonly kind: "jump"; readonly to: Position }
    | { readonly kind: "accept"; readonly edits: readonly SuggestedEdit[] }
    | { readonly kind: "drop" };

/**
 * What Tab does with a suggestion shown: from elsewhere, it jumps to the first edit; on a
 * suggested edit, it accepts all of them. Either only on the version they were computed for: in a
 * document that moved on, the ranges may point at other text, so the suggestion is dropped.
 */
export function tabAction(suggestion: Suggestion, cursor: Position, documentVersion: number): TabAction {
    if (documentVersion !== suggestion.version) {
        return { kind: "drop" };
    }
    if (!onSuggestedEdit(suggestion, cursor)) {
        return { kind: "jump", to: suggestion.edits[0].range.start };
    }
    return { kind: "accept", edits: suggestion.edits };
}
