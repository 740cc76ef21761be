/**
 * Reading the server's stderr (Python logging: `<date> <time> LEVEL logger: message`) into log
 * levels, so the output channel shows INFO as info rather than everything as an error.
 */

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

export interface LogLine {
    readonly level: LogLevel;
    readonly text: string;
}

const PYTHON_LOG = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:,\d+)? (DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$/;

const LEVELS: Record<string, LogLevel> = {
    DEBUG: "debug",
    INFO: "info",
    WARNING: "warn",
    ERROR: "error",
    CRITICAL: "error",
};

/**
 * Turns raw stderr lines into leveled lines. A line that is not a log record (a traceback, a
 * crash before logging was set up) keeps the level of the record above it, or error at first.
 */
export class ServerLogReader {
    private level: LogLevel = "error";

    read(raw: string): LogLine {
        const match = PYTHON_LOG.exec(raw);
        if (match === null) {
            return { level: this.level, text: raw };
        }
        this.level = LEVELS[match[1]] ?? "info";
        return { level: this.level, text: match[2] };
    }
}

/** Every occurrence of each secret replaced, longest first so no part of one survives. */
export function redact(text: string, secrets: Iterable<string>): string {
    // A secret inside traced JSON appears escaped, so both spellings are masked.
    const spellings = [...secrets]
        .filter((secret) => secret.length >= 4)
        .flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]);
    const sorted = [...new Set(spellings)].sort((a, b) => b.length - a.length);
    let result = text;
    for (const secret of sorted) {
        result = result.split(secret).join("***");
    }
    return result;
}
