/**
 * How to launch the chatls server, from the `chatls.server.*` settings. Pure, for unit tests.
 */

export interface LaunchSettings {
    /** `chatls.server.path`: a `chatls` executable; wins over the interpreter when set. */
    readonly path: string;
    /** `chatls.server.pythonPath`: an interpreter with chatls installed. */
    readonly pythonPath: string;
    /** The Python extension's selected interpreter, when that extension is installed. */
    readonly selectedInterpreter?: string | undefined;
    readonly logLevel: string;
}

export interface PathContext {
    readonly home: string;
    readonly workspaceFolder?: string | undefined;
}

export interface ServerLaunch {
    readonly command: string;
    /** Without `--stdio`: vscode-languageclient appends it. */
    readonly args: string[];
    /** Where the command came from, for the log and for error messages. */
    readonly source: "server.path" | "server.pythonPath" | "Python extension" | "default";
}

const LOG_LEVELS = new Set(["debug", "info", "warning", "error"]);

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

export function serverLaunch(settings: LaunchSettings, context: PathContext): ServerLaunch {
    const level = LOG_LEVELS.has(settings.logLevel) ? settings.logLevel : "info";
    const logArgs = ["--log-level", level];
    const path = expandPath(settings.path, context);
    if (path !== "") {
        return { command: path, args: logArgs, source: "server.path" };
    }
    const moduleArgs = ["-m", "chatls", ...logArgs];
    const pythonPath = expandPath(settings.pythonPath, context);
    if (pythonPath !== "") {
        return { command: pythonPath, args: moduleArgs, source: "server.pythonPath" };
    }
    const selected = settings.selectedInterpreter?.trim();
    if (selected !== undefined && selected !== "") {
        return { command: selected, args: moduleArgs, source: "Python extension" };
    }
    return { command: "python3", args: moduleArgs, source: "default" };
}

/** The command line as a person would type it, for messages and the log. */
export function describeLaunch(launch: ServerLaunch): string {
    const quote = (part: string): string => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`);
    return [launch.command, ...launch.args].map(quote).join(" ");
}
