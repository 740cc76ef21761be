import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import {
    endpointConfigured,
    modelStatus,
    needsRestart,
    redactedSettings,
    SERVER_SETTING_KEYS,
    serverSettings,
    withoutNulls,
} from "../../common/settings";
import { CONTRIBUTED_DEFAULTS, FakeConfiguration } from "./fakeConfiguration";

function configuration(): FakeConfiguration {
    return new FakeConfiguration(CONTRIBUTED_DEFAULTS);
}

describe("serverSettings", () => {
    it("sends nothing when the user set nothing, so every server default applies", () => {
        assert.deepEqual(serverSettings(configuration()), {});
    });

    it("sends what the user set, camelCase and unwrapped", () => {
        const config = configuration()
            .set("globalValue", "baseUrl", "http://127.0.0.1:8080/v1")
            .set("globalValue", "model", "qwen2.5-coder")
            .set("globalValue", "structuredOutput", "off")
            .set("globalValue", "maxTokens", 512)
            .set("globalValue", "stop", ["\n\n\n"]);
        assert.deepEqual(serverSettings(config), {
            baseUrl: "http://127.0.0.1:8080/v1",
            model: "qwen2.5-coder",
            structuredOutput: "off",
            maxTokens: 512,
            stop: ["\n\n\n"],
        });
    });

    it("sends a value the user set even when it equals the default", () => {
        const config = configuration().set("globalValue", "temperature", 0.2);
        assert.deepEqual(serverSettings(config), { temperature: 0.2 });
    });

    it("lets a workspace value win over the user's", () => {
        const config = configuration().set("globalValue", "model", "a").set("workspaceValue", "model", "b");
        assert.deepEqual(serverSettings(config), { model: "b" });
    });

    it("never sends the extension's own settings (the server would call them unknown)", () => {
        const config = configuration()
            .set("globalValue", "server.path", "/opt/chatls/bin/chatls")
            .set("globalValue", "server.pythonPath", "/usr/bin/python3")
            .set("globalValue", "server.logLevel", "debug")
            .set("globalValue", "trace.server", "verbose")
            .set("globalValue", "apiKey", "sk-from-settings-json");
        assert.deepEqual(serverSettings(config), {});
    });

    it("treats null as unset, at the top and inside objects", () => {
        const config = configuration()
            .set("globalValue", "topP", null)
            .set("globalValue", "seed", 7)
            .set("globalValue", "actions", { first: { model: null, temperature: 0.5 }, second: null });
        assert.deepEqual(serverSettings(config), { seed: 7, actions: { first: { temperature: 0.5 } } });
    });

    it("leaves out empty strings where the server would take them literally", () => {
        const config = configuration()
            .set("globalValue", "baseUrl", "")
            .set("globalValue", "model", "  ")
            .set("globalValue", "localModel", "");
        assert.deepEqual(serverSettings(config), {});
    });

    it("leaves out objects the user emptied", () => {
        const config = configuration().set("globalValue", "actions", {}).set("globalValue", "inlineCompletion", {});
        assert.deepEqual(serverSettings(config), {});
    });

    it("passes the new backend, localModel and inlineCompletion settings through", () => {
        const inline = {
            enabled: true,
            model: "tiny",
            temperature: 0,
            maxTokens: 64,
            n: 2,
            debounceMs: 150,
            contextTokens: 2048,
            asCompletionItems: false,
        };
        const config = configuration()
            .set("globalValue", "backend", "local")
            .set("globalValue", "localModel", "/models/coder.gguf")
            .set("globalValue", "localThreads", 2)
            .set("globalValue", "inlineCompletion", inline);
        assert.deepEqual(serverSettings(config), {
            backend: "local",
            localModel: "/models/coder.gguf",
            localThreads: 2,
            inlineCompletion: inline,
        });
    });

    it("merges object settings across scopes as VS Code does", () => {
        const config = configuration()
            .set("globalValue", "actions", { first: { model: "big" } })
            .set("workspaceValue", "actions", { second: { maxTokens: 300 } });
        assert.deepEqual(serverSettings(config).actions, { first: { model: "big" }, second: { maxTokens: 300 } });
    });

    it("sends the history and store settings", () => {
        const config = configuration()
            .set("globalValue", "history", { enabled: false })
            .set("globalValue", "store", true);
        assert.deepEqual(serverSettings(config), { history: { enabled: false }, store: true });
    });

    it("adds the API key from secret storage, and only when there is one", () => {
        const config = configuration().set("globalValue", "model", "m");
        assert.deepEqual(serverSettings(config, "sk-secret-123"), { model: "m", apiKey: "sk-secret-123" });
        assert.deepEqual(serverSettings(config, ""), { model: "m" });
        assert.deepEqual(serverSettings(config, undefined), { model: "m" });
    });

    it("sends VS Code's workspace trust, which no setting can stand in for", () => {
        const config = configuration().set("workspaceValue", "tests", { run: "on" });
        assert.deepEqual(serverSettings(config, undefined, false), {
            tests: { run: "on" },
            workspaceTrusted: false,
        });
        assert.deepEqual(serverSettings(configuration(), undefined, true), { workspaceTrusted: true });
    });

    it("sends the review settings, per action too", () => {
        const config = configuration()
            .set("globalValue", "review", { mode: "always" })
            .set("globalValue", "actions", { refine: { review: "off" } });
        assert.deepEqual(serverSettings(config), {
            review: { mode: "always" },
            actions: { refine: { review: "off" } },
        });
    });

    it("replaces the exclude list whole when the user sets it", () => {
        const config = configuration().set("globalValue", "exclude", ["*.secret"]);
        assert.deepEqual(serverSettings(config), { exclude: ["*.secret"] });
    });
});

describe("package.json", () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
        contributes: { configuration: { properties: Record<string, unknown> } };
    };
    const contributed = Object.keys(manifest.contributes.configuration.properties).map((key) =>
        key.replace(/^chatls\./, ""),
    );

    it("contributes every server setting", () => {
        for (const key of SERVER_SETTING_KEYS) {
            assert.ok(contributed.includes(key), `chatls.${key} is not contributed`);
        }
    });

    it("contributes the defaults the tests' fake configuration reports", () => {
        const properties = manifest.contributes.configuration.properties as Record<string, { default?: unknown }>;
        for (const [key, value] of Object.entries(CONTRIBUTED_DEFAULTS)) {
            if (key !== "exclude") {
                assert.deepEqual(properties[`chatls.${key}`]?.default, value, `chatls.${key}`);
            }
        }
    });

    it("contributes no API key setting (the key lives in secret storage)", () => {
        assert.ok(!contributed.includes("apiKey"));
    });

    it("contributes nothing else but the extension's own server.* and trace.* settings", () => {
        const extra = contributed.filter((key) => !(SERVER_SETTING_KEYS as readonly string[]).includes(key));
        assert.deepEqual(extra.sort(), [
            "server.importStrategy",
            "server.logLevel",
            "server.path",
            "server.pythonPath",
            "trace.server",
        ]);
    });
});

describe("withoutNulls", () => {
    it("drops nulls and non-finite numbers, keeps falsy values that mean something", () => {
        assert.deepEqual(withoutNulls({ a: null, b: 0, c: false, d: "", e: [1, null, 2], f: Number.NaN }), {
            b: 0,
            c: false,
            d: "",
            e: [1, 2],
        });
        assert.equal(withoutNulls(null), undefined);
    });
});

describe("needsRestart", () => {
    it("is false for a changed or added value", () => {
        assert.equal(needsRestart({ model: "a" }, { model: "b", seed: 1 }), false);
        assert.equal(needsRestart({}, { model: "b" }), false);
    });

    it("is true when a setting the server started with is gone", () => {
        assert.equal(needsRestart({ model: "a", seed: 1 }, { model: "a" }), true);
    });

    it("is true when the API key was cleared", () => {
        assert.equal(needsRestart({ apiKey: "sk-1" }, {}), true);
        assert.equal(needsRestart({ apiKey: "sk-1" }, { apiKey: "sk-2" }), false);
    });

    it("looks inside objects", () => {
        const sent = { actions: { first: { model: "x", temperature: 1 } } };
        assert.equal(needsRestart(sent, { actions: { first: { model: "y", temperature: 1 } } }), false);
        assert.equal(needsRestart(sent, { actions: { first: { temperature: 1 } } }), true);
        assert.equal(needsRestart(sent, {}), true);
    });

    it("is true when a setting read only at start-up changed", () => {
        assert.equal(needsRestart({}, { inlineCompletion: { asCompletionItems: true } }), true);
        assert.equal(
            needsRestart(
                { inlineCompletion: { asCompletionItems: true } },
                { inlineCompletion: { asCompletionItems: false } },
            ),
            true,
        );
        assert.equal(needsRestart({ inlineCompletion: { n: 1 } }, { inlineCompletion: { n: 3 } }), false);
    });

    it("treats lists as whole values", () => {
        assert.equal(needsRestart({ stop: ["a", "b"] }, { stop: [] }), false);
    });
});

describe("modelStatus", () => {
    it("shows the model once an endpoint is configured", () => {
        assert.equal(modelStatus({ baseUrl: "http://127.0.0.1:1/v1", model: "m" }).label, "m");
        assert.equal(modelStatus({ apiKey: "sk-x" }, {}, true).label, "gpt-4o-mini");
        assert.equal(modelStatus({}, { OPENAI_API_KEY: "sk-env" }).label, "gpt-4o-mini");
        assert.equal(modelStatus({ model: "m" }, { OPENAI_BASE_URL: "http://localhost:11434/v1" }).label, "m");
    });

    it("shows the local model when nothing points at an endpoint and it is installed, or the user chose it", () => {
        assert.deepEqual(modelStatus({ model: "m" }, {}, true), {
            label: "SmolLM2-135M (local)",
            detail: "the local model SmolLM2-135M on llama.cpp",
            missing: false,
        });
        assert.equal(modelStatus({ backend: "local", baseUrl: "http://x/v1" }, {}, true).label, "SmolLM2-135M (local)");
        assert.equal(modelStatus({ localModel: "/models/qwen2.5-coder.Q4.gguf" }).label, "qwen2.5-coder.Q4 (local)");
    });

    it("says there is no model, and how to get one, when nothing can answer", () => {
        const none = modelStatus({ model: "m" }, {}, false);
        assert.equal(none.missing, true);
        assert.equal(none.label, "no model");
        assert.match(none.detail, /Install Local Model/);
        assert.equal(modelStatus({ backend: "local" }, {}, false).missing, true);
    });

    it("shows the model for the remote backend even without an endpoint", () => {
        assert.equal(modelStatus({ backend: "remote" }).label, "gpt-4o-mini");
        assert.equal(endpointConfigured({ backend: "remote" }), false);
        assert.equal(endpointConfigured({}, { OPENAI_BASE_URL: "http://x" }), true);
    });
});

describe("redactedSettings", () => {
    it("masks the API key and leaves the original alone", () => {
        const settings = { model: "m", apiKey: "sk-secret" };
        assert.deepEqual(redactedSettings(settings), { model: "m", apiKey: "***" });
        assert.equal(settings.apiKey, "sk-secret");
    });
});
