import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
    ghosts,
    hunkDiff,
    isReviewPayload,
    linesOf,
    type ReviewPayload,
    reviewOfResult,
    ReviewSession,
} from "../../common/reviewState";

const line = (n: number) => ({ line: n, character: 0 });

/** Lines 1 and 3 of a five-line function change (the shape of the e2e test's review). */
function review(): ReviewPayload {
    return {
        id: "r1",
        title: "Refactor",
        action: "refactor",
        textDocument: { uri: "file:///w/a.py", version: 3 },
        hunks: [
            { index: 0, range: { start: line(1), end: line(2) }, oldText: "    r = 0\n", newText: "    r = 0.0\n" },
            {
                index: 1,
                range: { start: line(3), end: line(4) },
                oldText: "        r = r + v\n",
                newText: "        r += v\n        n += 1\n",
            },
        ],
        diff: "",
    };
}

describe("review payloads", () => {
    it("reads the notification and the command's result, and nothing else", () => {
        assert.ok(isReviewPayload(review()));
        assert.equal(reviewOfResult({ applied: false, review: review() })?.id, "r1");
        assert.equal(reviewOfResult({ applied: true }), undefined);
        assert.equal(reviewOfResult(null), undefined);
        assert.ok(!isReviewPayload({ ...review(), hunks: [] }));
        assert.ok(!isReviewPayload({ ...review(), hunks: [{ index: 0 }] }));
        assert.ok(!isReviewPayload({ id: 1 }));
    });

    it("splits text into lines without their breaks", () => {
        assert.deepEqual(linesOf(""), []);
        assert.deepEqual(linesOf("a\n"), ["a"]);
        assert.deepEqual(linesOf("a\r\nb"), ["a", "b"]);
        assert.deepEqual(linesOf("\n"), [""]);
    });
});

describe("ReviewSession", () => {
    it("answers once every hunk is decided: the accepted ones, or a rejection", () => {
        const session = new ReviewSession(review());
        session.decide(0, "accept");
        assert.ok(!session.complete);
        assert.equal(session.undecided, 1);
        session.decide(1, "reject");
        assert.ok(session.complete);
        assert.deepEqual(session.answer(), { command: "accept", hunks: [0] });
        session.decideAll("reject");
        assert.deepEqual(session.answer(), { command: "reject" });
        session.decideAll("accept");
        assert.deepEqual(session.answer(), { command: "accept", hunks: [0, 1] });
        // A refused accept: shown again, to be decided anew.
        session.undecideAll();
        assert.equal(session.undecided, 2);
        assert.ok(!session.complete);
    });

    it("finds the hunk at a line, and the next one to decide", () => {
        const session = new ReviewSession(review());
        assert.equal(session.at(1)?.index, 0);
        assert.equal(session.at(2), undefined);
        assert.equal(session.at(3)?.index, 1);
        assert.equal(session.nextUndecided(1)?.index, 1);
        session.decide(1, "reject");
        assert.equal(session.nextUndecided(1)?.index, 0);
    });

    it("takes a range ending in a last line without a line break as that line", () => {
        const payload = review();
        const session = new ReviewSession({
            ...payload,
            hunks: [
                {
                    index: 0,
                    range: { start: line(4), end: { line: 4, character: 9 } },
                    oldText: "    end",
                    newText: "",
                },
            ],
        });
        assert.deepEqual([session.hunks[0].start, session.hunks[0].end], [4, 5]);
    });

    it("follows lines added or removed above a hunk, and marks one edited in its lines", () => {
        const session = new ReviewSession(review());
        // Two lines typed at the top of the file.
        session.follow({ range: { start: line(0), end: line(0) }, text: "# a\n# b\n" });
        assert.deepEqual(
            session.hunks.map((h) => [h.start, h.end, h.edited]),
            [
                [3, 4, false],
                [5, 6, false],
            ],
        );
        // A character typed in the first hunk's line.
        session.follow({ range: { start: { line: 3, character: 5 }, end: { line: 3, character: 5 } }, text: "x" });
        assert.deepEqual(
            session.hunks.map((h) => [h.start, h.end, h.edited]),
            [
                [3, 4, true],
                [5, 6, false],
            ],
        );
        // A line removed between them moves only the second.
        session.follow({ range: { start: line(4), end: line(5) }, text: "" });
        assert.deepEqual(
            session.hunks.map((h) => [h.start, h.end]),
            [
                [3, 4],
                [4, 5],
            ],
        );
        // Typing below the last hunk moves nothing.
        session.follow({ range: { start: line(9), end: line(9) }, text: "z\n" });
        assert.deepEqual(
            session.hunks.map((h) => [h.start, h.end]),
            [
                [3, 4],
                [4, 5],
            ],
        );
    });
});

describe("ghosts", () => {
    it("pairs new lines with the old lines they replace; the rest go after the last one", () => {
        const [first, second] = new ReviewSession(review()).hunks;
        assert.deepEqual(ghosts(first), [{ line: 1, text: "→ r = 0.0" }]);
        assert.deepEqual(ghosts(second), [{ line: 3, text: "→ r += v ⏎ n += 1" }]);
        assert.equal(hunkDiff(second), "-        r = r + v\n+        r += v\n+        n += 1");
    });

    it("shows an insertion after the line above it, and a deletion with none", () => {
        const payload = review();
        const session = new ReviewSession({
            ...payload,
            hunks: [
                { index: 0, range: { start: line(2), end: line(2) }, oldText: "", newText: "import math\n\n" },
                { index: 1, range: { start: line(5), end: line(7) }, oldText: "a\nb\n", newText: "" },
            ],
        });
        assert.deepEqual(ghosts(session.hunks[0]), [{ line: 1, text: "+ import math ⏎ (blank line)" }]);
        assert.deepEqual(ghosts(session.hunks[1]), []);
    });
});
