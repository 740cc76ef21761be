import type { ConfigurationSource, InspectedValue } from "../../common/settings";

type Scope = "defaultValue" | "globalValue" | "workspaceValue" | "workspaceFolderValue";

/**
 * A `chatls` configuration section as VS Code reports it: values per scope, `get` returning the
 * most specific one (objects merged across scopes, as VS Code does for object settings).
 */
export class FakeConfiguration implements ConfigurationSource {
    private readonly values = new Map<string, Partial<Record<Scope, unknown>>>();

    constructor(defaults: Record<string, unknown> = {}) {
        for (const [key, value] of Object.entries(defaults)) {
            this.values.set(key, { defaultValue: value });
        }
    }

    set(scope: Exclude<Scope, "defaultValue">, key: string, value: unknown): this {
        this.values.set(key, { ...this.values.get(key), [scope]: value });
        return this;
    }

    inspect(key: string): InspectedValue | undefined {
        const scopes = this.values.get(key);
        return scopes === undefined ? undefined : { ...scopes };
    }

    get(key: string): unknown {
        const scopes = this.values.get(key);
        if (scopes === undefined) {
            return undefined;
        }
        const layered = [
            scopes.defaultValue,
            scopes.globalValue,
            scopes.workspaceValue,
            scopes.workspaceFolderValue,
        ].filter((value) => value !== undefined);
        return layered.reduce<unknown>((merged, value) => {
            const mergeable = (v: unknown): v is Record<string, unknown> =>
                typeof v === "object" && v !== null && !Array.isArray(v);
            return mergeable(merged) && mergeable(value) ? { ...merged, ...value } : value;
        }, undefined);
    }
}

/** The defaults package.json contributes (as VS Code would report them). */
export const CONTRIBUTED_DEFAULTS: Record<string, unknown> = {
    "server.path": "",
    "server.pythonPath": "",
    "server.logLevel": "info",
    "trace.server": "off",
    backend: "auto",
    baseUrl: "",
    model: "gpt-4o-mini",
    localModel: "",
    localThreads: 0,
    localPrefill: true,
    temperature: 0.2,
    topP: null,
    maxTokens: null,
    stop: [],
    presencePenalty: null,
    frequencyPenalty: null,
    seed: null,
    timeout: 60,
    maxRetries: 2,
    contextTokens: 8192,
    structuredOutput: "auto",
    actions: {},
    exclude: [".env", "*.pem"],
    inlineCompletion: {},
    nextEdit: {},
    conversation: {},
    tools: {},
    tests: {},
    review: {},
    history: {},
    store: false,
};
