import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
    actionTitle,
    historyItem,
    historyList,
    historyMarkdown,
    historyRecord,
    type HistoryRecord,
    relativeTime,
} from "../../common/history";

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const HOUR = 3600;

const REFUSED: HistoryRecord = {
    id: "3f2a9c1d0b7e",
    time: NOW / 1000 - 2 * HOUR,
    action: "refactor",
    file: "src/shapes.py",
    target: "12-30",
    model: "gpt-4o-mini",
    outcome: "refused",
    reason: "the reply changed lines outside the selection",
    reply: "```python\ndef area(w, h):\n    return w * h\n```\n",
    prompt_tokens: 321,
    answer_tokens: 12,
};

describe("history items", () => {
    it("names the action and where it worked, then the outcome and how long ago", () => {
        assert.deepEqual(historyItem(REFUSED, NOW), {
            label: "Refactor src/shapes.py:12-30",
            description: "refused · 2 hours ago",
            detail: "the reply changed lines outside the selection",
            id: "3f2a9c1d0b7e",
        });
    });

    it("leaves the detail out when there is no reason, and the lines when there are none", () => {
        const item = historyItem({ ...REFUSED, outcome: "applied", reason: "", target: "" }, NOW);
        assert.equal(item.label, "Refactor src/shapes.py");
        assert.equal(item.detail, undefined);
    });

    it("names the action as the server publishes it, when it does", () => {
        const titles = (action: string): string | undefined =>
            action === "docstring" ? "Generate docstring" : undefined;
        const record = { ...REFUSED, action: "docstring" };
        assert.equal(historyItem(record, NOW, titles).label, "Generate docstring src/shapes.py:12-30");
        assert.ok(historyMarkdown(record, titles).startsWith("# Generate docstring src/shapes.py:12-30\n"));
        assert.equal(
            historyItem({ ...REFUSED, action: "add-logging" }, NOW, titles).label,
            "Add Logging src/shapes.py:12-30",
        );
    });

    it("title-cases custom actions' ids", () => {
        assert.equal(actionTitle("add-logging"), "Add Logging");
        assert.equal(actionTitle("docstring"), "Docstring");
    });

    it("says how long ago in the largest whole unit", () => {
        const ago = (seconds: number): string => relativeTime(NOW / 1000 - seconds, NOW);
        assert.equal(ago(5), "just now");
        assert.equal(ago(-30), "just now");
        assert.equal(ago(60), "1 minute ago");
        assert.equal(ago(59 * 60), "59 minutes ago");
        assert.equal(ago(HOUR), "1 hour ago");
        assert.equal(ago(3 * 86400), "3 days ago");
        assert.equal(ago(15 * 86400), "2 weeks ago");
        assert.equal(ago(400 * 86400), "1 year ago");
    });
});

describe("history answers", () => {
    it("reads the list and whether the history is on", () => {
        assert.deepEqual(historyList({ records: [REFUSED, { id: 1 }], enabled: true }), {
            records: [REFUSED],
            enabled: true,
        });
        assert.deepEqual(historyList({ records: [], enabled: false }), { records: [], enabled: false });
        assert.deepEqual(historyList(null), { records: [], enabled: true });
    });

    it("reads one record, or none", () => {
        assert.equal(historyRecord({ record: REFUSED }), REFUSED);
        assert.equal(historyRecord({ record: null }), undefined);
        assert.equal(historyRecord(undefined), undefined);
    });
});

describe("historyMarkdown", () => {
    it("shows the reply, then each message fenced so its own fences stay inside", () => {
        const markdown = historyMarkdown({
            ...REFUSED,
            messages: [
                { role: "system", content: "You edit code." },
                { role: "user", content: "Refactor:\n```python\ndef area(w, h): return w*h\n```" },
                { role: "user", content: [{ type: "text", text: "in parts" }] },
            ],
        });
        const [head, rest] = markdown.split("## Reply\n\n");
        assert.match(head, /^# Refactor src\/shapes\.py:12-30\n\nrefused · \d{4}-\d\d-\d\d \d\d:\d\d · gpt-4o-mini · /);
        assert.ok(head.includes("321 prompt + 12 answer tokens"));
        assert.ok(head.includes("**Reason:** the reply changed lines outside the selection"));
        const [reply, request] = rest.split("## Request\n\n");
        assert.equal(reply, "```python\ndef area(w, h):\n    return w * h\n```\n\n");
        assert.equal(
            request,
            "### system\n\n```\nYou edit code.\n```\n\n" +
                "### user\n\n````\nRefactor:\n```python\ndef area(w, h): return w*h\n```\n````\n\n" +
                "### user\n\n```\nin parts\n```\n",
        );
    });

    it("says when there was no reply, and leaves out what was not recorded", () => {
        const markdown = historyMarkdown({ id: "a", time: NOW / 1000, action: "fix", file: "a.py", outcome: "failed" });
        assert.ok(markdown.includes("## Reply\n\n_No reply._\n"));
        assert.ok(!markdown.includes("tokens") && !markdown.includes("## Request"));
    });
});
