/**
 * The mapping from VS Code's `chatls.*` settings to the object the chatls server reads.
 *
 * Pure (no `vscode` import at run time) so that `npm test` checks it without an editor.
 */

/** The server's own settings, by their camelCase names (see the server README's table). */
export const SERVER_SETTING_KEYS = [
    "backend",
    "baseUrl",
    "model",
    "localModel",
    "localThreads",
    "localPrefill",
    "temperature",
    "topP",
    "maxTokens",
    "stop",
    "presencePenalty",
    "frequencyPenalty",
    "seed",
    "timeout",
    "maxRetries",
    "contextTokens",
    "structuredOutput",
    "actions",
    "exclude",
    "inlineCompletion",
    "nextEdit",
    "conversation",
    "tools",
    "rules",
    "definitions",
    "customActions",
    "newFiles",
    "tests",
    "review",
    "history",
    "store",
] as const;

export type ServerSettingKey = (typeof SERVER_SETTING_KEYS)[number];

/**
 * Settings where an empty string means "not set": the server would take `""` literally
 * (a model named "", a GGUF file at ""), while the editor's settings UI can only clear a
 * text box to "".
 */
const EMPTY_MEANS_UNSET: ReadonlySet<ServerSettingKey> = new Set(["backend", "baseUrl", "model", "localModel"]);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** What the server receives: only what the user set, plus the API key from secret storage. */
export type ServerSettings = JsonObject;

/** The subset of `vscode.WorkspaceConfiguration.inspect()` that tells whether a user set a value. */
export interface InspectedValue {
    readonly defaultValue?: unknown;
    readonly globalValue?: unknown;
    readonly workspaceValue?: unknown;
    readonly workspaceFolderValue?: unknown;
    readonly defaultLanguageValue?: unknown;
    readonly globalLanguageValue?: unknown;
    readonly workspaceLanguageValue?: unknown;
    readonly workspaceFolderLanguageValue?: unknown;
}

/** The subset of `vscode.WorkspaceConfiguration` (for the `chatls` section) that the mapping reads. */
export interface ConfigurationSource {
    get(key: string): unknown;
    inspect(key: string): InspectedValue | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A copy that is plain JSON, without nulls: a null (or an undefined) inside an object means
 * "use the server's default", which the server gets by not seeing the key at all.
 */
export function withoutNulls(value: unknown): JsonValue | undefined {
    if (value === null || value === undefined) {
        return undefined;
    }
    if (Array.isArray(value)) {
        return value.map((item) => withoutNulls(item)).filter((item): item is JsonValue => item !== undefined);
    }
    if (isPlainObject(value)) {
        const result: JsonObject = {};
        for (const [key, item] of Object.entries(value)) {
            const cleaned = withoutNulls(item);
            if (cleaned !== undefined) {
                result[key] = cleaned;
            }
        }
        return result;
    }
    if (typeof value === "string" || typeof value === "boolean") {
        return value;
    }
    if (typeof value === "number") {
        return Number.isFinite(value) ? value : undefined;
    }
    return undefined;
}

/** Whether the user (or a workspace) set `key` anywhere, as opposed to it holding its default. */
export function isUserSet(inspected: InspectedValue | undefined): boolean {
    if (inspected === undefined) {
        return false;
    }
    const scopes = [
        inspected.globalValue,
        inspected.workspaceValue,
        inspected.workspaceFolderValue,
        inspected.globalLanguageValue,
        inspected.workspaceLanguageValue,
        inspected.workspaceFolderLanguageValue,
    ];
    return scopes.some((value) => value !== undefined && value !== null);
}

/**
 * The settings object for the server: every server setting the user set (the effective value,
 * so workspace settings override user settings as usual), with nulls and meaningless empty
 * strings left out so the server's defaults apply, plus `apiKey` when one is stored and
 * `workspaceTrusted`, VS Code's workspace trust (the server runs tests only when it is true;
 * no setting can stand in for it).
 */
export function serverSettings(config: ConfigurationSource, apiKey?: string, trusted?: boolean): ServerSettings {
    const settings: ServerSettings = {};
    for (const key of SERVER_SETTING_KEYS) {
        if (!isUserSet(config.inspect(key))) {
            continue;
        }
        const value = withoutNulls(config.get(key));
        if (value === undefined) {
            continue;
        }
        if (typeof value === "string" && value.trim() === "" && EMPTY_MEANS_UNSET.has(key)) {
            continue;
        }
        if (isPlainObject(value) && Object.keys(value).length === 0) {
            continue;
        }
        settings[key] = value;
    }
    if (apiKey !== undefined && apiKey !== "") {
        settings.apiKey = apiKey;
    }
    if (trusted !== undefined) {
        settings.workspaceTrusted = trusted;
    }
    return settings;
}

/** Every path to a leaf value (arrays count as leaves: the server replaces them whole). */
function leafPaths(value: JsonValue, prefix: string[] = []): string[][] {
    if (isPlainObject(value)) {
        const entries = Object.entries(value);
        if (entries.length === 0) {
            return prefix.length === 0 ? [] : [prefix];
        }
        return entries.flatMap(([key, item]) => leafPaths(item, [...prefix, key]));
    }
    return [prefix];
}

function hasPath(value: JsonValue, path: string[]): boolean {
    let current: JsonValue = value;
    for (const part of path) {
        if (!isPlainObject(current) || !(part in current)) {
            return false;
        }
        current = current[part] as JsonValue;
    }
    return current !== null;
}

function valueAt(value: JsonValue, path: readonly string[]): JsonValue | undefined {
    let current: JsonValue | undefined = value;
    for (const part of path) {
        if (current === undefined || !isPlainObject(current)) {
            return undefined;
        }
        current = current[part];
    }
    return current;
}

/** Settings the server reads only when it starts. */
export const STARTUP_SETTINGS: readonly (readonly string[])[] = [["inlineCompletion", "asCompletionItems"]];

/**
 * Whether going from `sent` (the initialization options) to `next` takes a restart.
 *
 * The server overlays pulled settings on its initialization options, so a setting the user
 * removed (or an API key they cleared) would live on until the server restarts; and some
 * settings are read at start-up only. Any other change needs only a
 * `workspace/didChangeConfiguration`.
 */
export function needsRestart(sent: ServerSettings, next: ServerSettings): boolean {
    if (leafPaths(sent).some((path) => !hasPath(next, path))) {
        return true;
    }
    return STARTUP_SETTINGS.some((path) => JSON.stringify(valueAt(sent, path)) !== JSON.stringify(valueAt(next, path)));
}

/** The environment variables the server falls back on (the server process inherits VS Code's). */
export interface ModelEnvironment {
    readonly OPENAI_API_KEY?: string | undefined;
    readonly OPENAI_BASE_URL?: string | undefined;
}

const DEFAULT_MODEL = "gpt-4o-mini";
const DEFAULT_LOCAL_MODEL = "SmolLM2-135M";

/** Whether a base URL or an API key is set, in the settings or the environment. */
export function endpointConfigured(settings: ServerSettings, env: ModelEnvironment = {}): boolean {
    return [settings.baseUrl, settings.apiKey, env.OPENAI_BASE_URL, env.OPENAI_API_KEY].some(
        (value) => typeof value === "string" && value !== "",
    );
}

/** What the status bar says about the model. */
export interface ModelStatus {
    /** The model that answers, e.g. `gpt-4o-mini` or `SmolLM2-135M (local)`; `no model`. */
    readonly label: string;
    /** A sentence for the tooltip. */
    readonly detail: string;
    /** Nothing can answer: no endpoint and no local model. */
    readonly missing: boolean;
}

/**
 * The model that answers, decided as the server decides (`chatls.model.backends.wants_local`):
 * with `backend: "auto"` the endpoint once one is configured (a base URL or an API key, in the
 * settings or the environment), else the built-in local model when it is installed (or a GGUF
 * file is set), else nothing.
 */
export function modelStatus(settings: ServerSettings, env: ModelEnvironment = {}, localInstalled = false): ModelStatus {
    const model = typeof settings.model === "string" ? settings.model : DEFAULT_MODEL;
    const backend = typeof settings.backend === "string" ? settings.backend : "auto";
    const remote = (): ModelStatus => {
        const where = typeof settings.baseUrl === "string" ? ` at ${settings.baseUrl}` : "";
        return { label: model, detail: `model ${model}${where}`, missing: false };
    };
    const local = (): ModelStatus => {
        const file = typeof settings.localModel === "string" ? settings.localModel : "";
        if (file === "" && !localInstalled) {
            return {
                label: "no local model",
                detail: "chatls.backend is local, but the local model is not installed: run “chatls: Install Local Model”",
                missing: true,
            };
        }
        const name = file === "" ? DEFAULT_LOCAL_MODEL : (file.split(/[\\/]/).pop() ?? file).replace(/\.gguf$/i, "");
        return { label: `${name} (local)`, detail: `the local model ${name} on llama.cpp`, missing: false };
    };
    if (backend === "local") {
        return local();
    }
    if (backend === "remote" || endpointConfigured(settings, env)) {
        return remote();
    }
    if (typeof settings.localModel === "string" || localInstalled) {
        return local();
    }
    return {
        label: "no model",
        detail: "no model is configured: set an API key or a base URL, or run “chatls: Install Local Model”",
        missing: true,
    };
}

/** A copy safe to log: the API key masked. */
export function redactedSettings(settings: ServerSettings): ServerSettings {
    return "apiKey" in settings ? { ...settings, apiKey: "***" } : { ...settings };
}
