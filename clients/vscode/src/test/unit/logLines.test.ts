import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { redact, ServerLogReader } from "../../common/logLines";

describe("ServerLogReader", () => {
    it("reads Python logging's level and drops its timestamp", () => {
        const reader = new ServerLogReader();
        assert.deepEqual(reader.read("2026-01-02 03:04:05,678 INFO chatls.server: started"), {
            level: "info",
            text: "chatls.server: started",
        });
        assert.deepEqual(reader.read("2026-01-02 03:04:05,678 WARNING chatls.server: odd"), {
            level: "warn",
            text: "chatls.server: odd",
        });
        assert.deepEqual(reader.read("2026-01-02 03:04:05,678 DEBUG pygls: x"), { level: "debug", text: "pygls: x" });
    });

    it("gives a traceback the level of its record", () => {
        const reader = new ServerLogReader();
        reader.read("2026-01-02 03:04:05,678 ERROR chatls.server: boom");
        assert.deepEqual(reader.read("Traceback (most recent call last):"), {
            level: "error",
            text: "Traceback (most recent call last):",
        });
    });

    it("calls output before any record an error (a crash at start-up)", () => {
        assert.equal(new ServerLogReader().read("/usr/bin/python3: No module named chatls").level, "error");
    });
});

describe("redact", () => {
    it("masks every occurrence, also JSON-escaped", () => {
        const key = 'sk-a"b\\c-1234';
        const traced = `{"apiKey":${JSON.stringify(key)}} and ${key}`;
        const cleaned = redact(traced, [key]);
        assert.ok(!cleaned.includes("sk-a"), cleaned);
        assert.equal(cleaned, '{"apiKey":"***"} and ***');
    });

    it("ignores secrets too short to be keys", () => {
        assert.equal(redact("abc", ["ab"]), "abc");
    });
});
