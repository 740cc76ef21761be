/**
 * The local history of actions as the server's `chatls.history` command gives it, turned into
 * quick-pick items and a Markdown document.
 *
 * Pure (no `vscode` import) so that `npm test` checks it without an editor.
 */

/** The server command that lists the history, or gives one record whole (`{"id": ...}`). */
export const HISTORY_COMMAND = "chatls.history";

/** One message of the request, as it was sent to the model. */
export interface HistoryMessage {
    readonly role?: string;
    readonly content?: unknown;
}

/** A record as `chatls.history` lists it; `messages` only when asked for by id. */
export interface HistoryRecord {
    readonly id: string;
    /** Seconds since the epoch. */
    readonly time: number;
    readonly action: string;
    readonly file: string;
    /** The lines it worked on, as people number them ("12-30"). */
    readonly target?: string;
    readonly model?: string;
    readonly outcome: string;
    readonly reason?: string;
    readonly reply?: string;
    readonly prompt_tokens?: number | null;
    readonly answer_tokens?: number | null;
    readonly messages?: readonly HistoryMessage[];
}

export interface HistoryList {
    readonly records: HistoryRecord[];
    /** False when the history is off or the workspace untrusted: nothing is kept. */
    readonly enabled: boolean;
}

function isRecord(value: unknown): value is HistoryRecord {
    const record = value as HistoryRecord;
    return (
        typeof value === "object" &&
        value !== null &&
        typeof record.id === "string" &&
        typeof record.action === "string" &&
        typeof record.outcome === "string"
    );
}

/** The list in a `chatls.history` answer; anything else (an older server) reads as empty. */
export function historyList(answer: unknown): HistoryList {
    if (typeof answer !== "object" || answer === null) {
        return { records: [], enabled: true };
    }
    const { records, enabled } = answer as { records?: unknown; enabled?: unknown };
    return {
        records: Array.isArray(records) ? records.filter(isRecord) : [],
        enabled: enabled !== false,
    };
}

/** The record in a `chatls.history` answer to `{"id": ...}`, or undefined. */
export function historyRecord(answer: unknown): HistoryRecord | undefined {
    const record = typeof answer === "object" && answer !== null ? (answer as { record?: unknown }).record : undefined;
    return isRecord(record) ? record : undefined;
}

/** An action's id as a title: `refactor` → `Refactor`, `add-logging` → `Add Logging`. */
export function actionTitle(action: string): string {
    return action
        .split(/[-_\s]+/)
        .filter((word) => word !== "")
        .map((word) => word[0].toUpperCase() + word.slice(1))
        .join(" ");
}

/** Where the action worked: `shapes.py:12-30`, or the file alone. */
export function where(record: HistoryRecord): string {
    return record.target ? `${record.file}:${record.target}` : record.file;
}

/** How long ago `time` (epoch seconds) was, from `now` (epoch milliseconds). */
export function relativeTime(time: number, now: number): string {
    const seconds = Math.max(0, Math.round(now / 1000 - time));
    if (seconds < 60) {
        return "just now";
    }
    const steps: [number, string][] = [
        [60, "minute"],
        [3600, "hour"],
        [86400, "day"],
        [7 * 86400, "week"],
        [30 * 86400, "month"],
        [365 * 86400, "year"],
    ];
    let chosen = steps[0];
    for (const step of steps) {
        if (seconds >= step[0]) {
            chosen = step;
        }
    }
    const count = Math.floor(seconds / chosen[0]);
    return `${count} ${chosen[1]}${count === 1 ? "" : "s"} ago`;
}

export interface HistoryItem {
    readonly label: string;
    readonly description: string;
    readonly detail?: string;
    readonly id: string;
}

/** An action's title: the one the server publishes for it, else its id made into one. */
export type Titles = (action: string) => string | undefined;

function titleOf(action: string, titles?: Titles): string {
    return titles?.(action) ?? actionTitle(action);
}

/** A record as a quick-pick item: what and where, then what became of it and when. */
export function historyItem(record: HistoryRecord, now: number, titles?: Titles): HistoryItem {
    const item = {
        label: `${titleOf(record.action, titles)} ${where(record)}`,
        description: `${record.outcome} · ${relativeTime(record.time, now)}`,
        id: record.id,
    };
    return record.reason ? { ...item, detail: record.reason } : item;
}

/** A fence that no run of backticks in `text` closes early. */
function fence(text: string): string {
    const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    return "`".repeat(Math.max(3, longest + 1));
}

/** A message's text: a string as it is, the text parts of a list of parts, else its JSON. */
function messageText(content: unknown): string {
    if (typeof content === "string") {
        return content;
    }
    if (Array.isArray(content)) {
        return content
            .map((part: unknown) =>
                typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string"
                    ? (part as { text: string }).text
                    : JSON.stringify(part),
            )
            .join("\n");
    }
    return content === undefined || content === null ? "" : JSON.stringify(content, null, 2);
}

/** The local date and time of `time` (epoch seconds), as `2026-12-05 08:40`. */
function when(time: number): string {
    const date = new Date(time * 1000);
    const two = (n: number): string => String(n).padStart(2, "0");
    return (
        `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
        `${two(date.getHours())}:${two(date.getMinutes())}`
    );
}

/**
 * A record as Markdown: the reply first, since that is what the user came back for, then the
 * request's messages, each fenced so the prompt's own fences and headings stay as they were sent.
 */
export function historyMarkdown(record: HistoryRecord, titles?: Titles): string {
    const facts = [record.outcome, when(record.time)];
    if (record.model) {
        facts.push(record.model);
    }
    if (typeof record.prompt_tokens === "number" || typeof record.answer_tokens === "number") {
        facts.push(`${record.prompt_tokens ?? "?"} prompt + ${record.answer_tokens ?? "?"} answer tokens`);
    }
    const parts = [`# ${titleOf(record.action, titles)} ${where(record)}`, facts.join(" · ")];
    if (record.reason) {
        parts.push(`**Reason:** ${record.reason}`);
    }
    parts.push("## Reply", record.reply ? record.reply.trimEnd() : "_No reply._");
    const messages = record.messages ?? [];
    if (messages.length > 0) {
        parts.push("## Request");
        for (const message of messages) {
            const text = messageText(message.content);
            const marks = fence(text);
            parts.push(`### ${message.role ?? "?"}`, `${marks}\n${text}\n${marks}`);
        }
    }
    return `${parts.join("\n\n")}\n`;
}
