import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
    addedLabel,
    drawingOf,
    nextEditSettingsOf,
    onSuggestedEdit,
    type Suggestion,
    suggestionOf,
    tabAction,
} from "../../common/nextEditState";

const at = (line: number, character: number) => ({ line, character });
const URI = "file:///w/shapes.py";

/** The spec's example: `def area(width, height)` renamed to `w`, the body's two uses to follow. */
function answer(version = 7, uri = URI) {
    const doc = { uri, version };
    return {
        id: "ne-12",
        edits: [
            { range: { start: at(1, 22), end: at(1, 27) }, text: "w", textDocument: doc },
            { range: { start: at(1, 11), end: at(1, 16) }, text: "w", textDocument: doc },
        ],
    };
}

function suggestion(): Suggestion {
    const found = suggestionOf(answer());
    assert.ok(found);
    return found;
}

describe("next-edit settings", () => {
    it("reads the capability and the chatls/actions payload alike", () => {
        assert.deepEqual(nextEditSettingsOf({ nextEdit: { enabled: true, debounceMs: 250 } }), {
            enabled: true,
            debounceMs: 250,
        });
        assert.deepEqual(nextEditSettingsOf({ actions: [], nextEdit: { enabled: false, debounceMs: 400 } }), {
            enabled: false,
            debounceMs: 400,
        });
    });

    it("says nothing for a server that says nothing, and is off unless enabled is true", () => {
        assert.equal(nextEditSettingsOf({ actions: [] }), undefined);
        assert.equal(nextEditSettingsOf(null), undefined);
        assert.equal(nextEditSettingsOf({ nextEdit: "on" }), undefined);
        assert.deepEqual(nextEditSettingsOf({ nextEdit: { enabled: "auto" } }), { enabled: false, debounceMs: 400 });
    });

    it("keeps the pause sane", () => {
        assert.equal(nextEditSettingsOf({ nextEdit: { enabled: true, debounceMs: -1 } })?.debounceMs, 400);
        assert.equal(nextEditSettingsOf({ nextEdit: { enabled: true, debounceMs: "5" } })?.debounceMs, 400);
        assert.equal(nextEditSettingsOf({ nextEdit: { enabled: true, debounceMs: 60000 } })?.debounceMs, 5000);
        assert.equal(nextEditSettingsOf({ nextEdit: { enabled: true, debounceMs: 0 } })?.debounceMs, 0);
    });
});

describe("suggestionOf", () => {
    it("takes one suggestion for one document version, its edits sorted", () => {
        const found = suggestion();
        assert.equal(found.id, "ne-12");
        assert.equal(found.uri, URI);
        assert.equal(found.version, 7);
        assert.deepEqual(
            found.edits.map((edit) => edit.range.start),
            [at(1, 11), at(1, 22)],
        );
    });

    it("has nothing to show for the empty answer", () => {
        assert.equal(suggestionOf({ id: "", edits: [] }), undefined);
        assert.equal(suggestionOf({ id: "ne-1", edits: [] }), undefined);
        assert.equal(suggestionOf(null), undefined);
        assert.equal(suggestionOf({ edits: answer().edits }), undefined);
    });

    it("refuses what the spec rules out: mixed documents or versions, overlaps, bad ranges", () => {
        const mixed = answer();
        mixed.edits[1] = { ...mixed.edits[1], textDocument: { uri: URI, version: 8 } };
        assert.equal(suggestionOf(mixed), undefined);
        const elsewhere = answer();
        elsewhere.edits[1] = { ...elsewhere.edits[1], textDocument: { uri: "file:///w/other.py", version: 7 } };
        assert.equal(suggestionOf(elsewhere), undefined);
        const overlapping = answer();
        overlapping.edits[1] = { ...overlapping.edits[1], range: { start: at(1, 20), end: at(1, 23) } };
        assert.equal(suggestionOf(overlapping), undefined);
        const backwards = answer();
        backwards.edits[0] = { ...backwards.edits[0], range: { start: at(1, 27), end: at(1, 22) } };
        assert.equal(suggestionOf(backwards), undefined);
        const noText = { id: "ne-1", edits: [{ ...answer().edits[0], text: 3 }] };
        assert.equal(suggestionOf(noText), undefined);
    });

    it("allows edits that touch end to start", () => {
        const doc = { uri: URI, version: 1 };
        const touching = {
            id: "ne-2",
            edits: [
                { range: { start: at(0, 0), end: at(0, 2) }, text: "a", textDocument: doc },
                { range: { start: at(0, 2), end: at(0, 4) }, text: "b", textDocument: doc },
            ],
        };
        assert.equal(suggestionOf(touching)?.edits.length, 2);
    });
});

describe("drawing a suggestion", () => {
    it("strikes what each edit removes, adds its text after it and marks its line once", () => {
        const drawing = drawingOf(suggestion());
        assert.deepEqual(drawing.struck, [
            { start: at(1, 11), end: at(1, 16) },
            { start: at(1, 22), end: at(1, 27) },
        ]);
        assert.deepEqual(drawing.added, [
            { at: at(1, 16), text: "w" },
            { at: at(1, 27), text: "w" },
        ]);
        assert.deepEqual(drawing.lines, [1]);
    });

    it("strikes nothing for an insertion and adds nothing for a deletion", () => {
        const doc = { uri: URI, version: 1 };
        const found = suggestionOf({
            id: "ne-3",
            edits: [
                { range: { start: at(2, 4), end: at(2, 4) }, text: "x, ", textDocument: doc },
                { range: { start: at(5, 0), end: at(6, 0) }, text: "", textDocument: doc },
            ],
        });
        assert.ok(found);
        const drawing = drawingOf(found);
        assert.deepEqual(drawing.struck, [{ start: at(5, 0), end: at(6, 0) }]);
        assert.deepEqual(drawing.added, [{ at: at(2, 4), text: "x, " }]);
        assert.deepEqual(drawing.lines, [2, 5]);
    });

    it("puts added lines on one line, since a decoration cannot break one", () => {
        assert.equal(addedLabel("a\nb\r\nc"), "a ⏎ b ⏎ c");
        assert.equal(addedLabel("\tx"), "    x");
    });
});

describe("Tab with a suggestion shown", () => {
    it("jumps to the first edit from elsewhere", () => {
        assert.deepEqual(tabAction(suggestion(), at(0, 10), 7), { kind: "jump", to: at(1, 11) });
        assert.deepEqual(tabAction(suggestion(), at(1, 17), 7), { kind: "jump", to: at(1, 11) });
    });

    it("accepts every edit from the cursor on (or at either end of) one of them", () => {
        const found = suggestion();
        for (const cursor of [at(1, 11), at(1, 13), at(1, 16), at(1, 27)]) {
            assert.ok(onSuggestedEdit(found, cursor), JSON.stringify(cursor));
            const action = tabAction(found, cursor, 7);
            assert.equal(action.kind, "accept");
            assert.equal(action.kind === "accept" && action.edits, found.edits);
        }
    });

    it("drops the suggestion once the document moved past its version", () => {
        assert.deepEqual(tabAction(suggestion(), at(1, 11), 8), { kind: "drop" });
        assert.deepEqual(tabAction(suggestion(), at(0, 0), 8), { kind: "drop" });
    });
});
