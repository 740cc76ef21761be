import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as vscode from "vscode";

import { probePython } from "./probe";
import { selectedInterpreter } from "./python";
import {
    atLeast,
    type Attempt,
    type Bundle,
    executableLaunch,
    expandPath,
    type ImportStrategy,
    importStrategy,
    MIN_PYTHON,
    noPythonMessage,
    probePythonPath,
    pythonCandidates,
    type PythonInfo,
    pythonLaunch,
    type ServerLaunch,
    unsuitable,
} from "./serverCommand";

export type LaunchResult =
    | { readonly ok: true; readonly launch: ServerLaunch }
    | { readonly ok: false; readonly message: string; readonly strategy: ImportStrategy; readonly attempts: Attempt[] };

/** The extension's `bundled/` directory and the CPython versions it has libraries for. */
export function readBundle(extensionPath: string): Bundle {
    const root = path.join(extensionPath, "bundled");
    let versions: string[] = [];
    try {
        versions = fs
            .readdirSync(path.join(root, "libs"))
            .filter((name) => /^cp3\d+$/.test(name))
            .sort();
    } catch {
        // A development build without `make vsix`: no bundled server.
    }
    return { root, versions };
}

export interface LaunchInputs {
    readonly extensionPath: string;
    /** The local model's runtime, when "Install Local Model" installed it. */
    readonly localRuntime: string | undefined;
    readonly log: (message: string) => void;
}

/**
 * How to start the server now: `chatls.server.path`; else the first interpreter (the setting,
 * the Python extension's, then PATH) that can run chatls with the import strategy.
 */
export async function resolveLaunch(inputs: LaunchInputs): Promise<LaunchResult> {
    const config = vscode.workspace.getConfiguration("chatls");
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const context = { home: os.homedir(), workspaceFolder: folder?.scheme === "file" ? folder.fsPath : undefined };
    const logLevel = config.get<string>("server.logLevel", "info");
    const executable = expandPath(config.get<string>("server.path", ""), context);
    if (executable !== "") {
        return {
            ok: true,
            launch: executableLaunch(executable, logLevel, inputs.localRuntime, process.env.PYTHONPATH),
        };
    }
    const strategy = importStrategy(config.get<string>("server.importStrategy", "useBundled"));
    const pythonPath = expandPath(config.get<string>("server.pythonPath", ""), context);
    const selected = pythonPath === "" ? await selectedInterpreter(folder) : undefined;
    const bundle = readBundle(inputs.extensionPath);
    const env = {
        ...process.env,
        PYTHONPATH: probePythonPath(strategy, bundle, inputs.localRuntime, process.env.PYTHONPATH),
    };
    const attempts: Attempt[] = [];
    for (const candidate of pythonCandidates(pythonPath, selected, process.platform)) {
        // A directory with no Python packages in it: `-c` puts the working directory on sys.path.
        const probed = await probePython(candidate, env, path.join(inputs.extensionPath, "dist"));
        const reason = probed.info === undefined ? undefined : unsuitable(probed.info, strategy, bundle);
        attempts.push({ candidate, info: probed.info, error: probed.error, reason });
        const name = [candidate.command, ...candidate.args].join(" ");
        if (probed.info === undefined) {
            inputs.log(`Python ${name} (${candidate.source}): ${probed.error}`);
            continue;
        }
        if (reason !== undefined) {
            inputs.log(`Python ${name} (${candidate.source}, ${probed.info.executable}): ${reason}`);
            continue;
        }
        const launch = pythonLaunch(
            candidate,
            probed.info,
            strategy,
            bundle,
            inputs.localRuntime,
            logLevel,
            process.env.PYTHONPATH,
        );
        inputs.log(
            `Python ${probed.info.version.join(".")} at ${probed.info.executable} (${candidate.source}), importStrategy ${strategy}: chatls from ${probed.info.modules.chatls ?? "the bundled libraries"}`,
        );
        return { ok: true, launch };
    }
    return { ok: false, message: noPythonMessage(attempts, strategy), strategy, attempts };
}

/** Any interpreter that can run pip for the local model (3.11+), when the server has none. */
export async function findPython(
    extensionPath: string,
    log: (message: string) => void,
): Promise<PythonInfo | undefined> {
    const config = vscode.workspace.getConfiguration("chatls");
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const context = { home: os.homedir(), workspaceFolder: folder?.scheme === "file" ? folder.fsPath : undefined };
    const pythonPath = expandPath(config.get<string>("server.pythonPath", ""), context);
    const selected = pythonPath === "" ? await selectedInterpreter(folder) : undefined;
    for (const candidate of pythonCandidates(pythonPath, selected, process.platform)) {
        const probed = await probePython(candidate, process.env, path.join(extensionPath, "dist"));
        if (probed.info !== undefined && atLeast(probed.info.version, MIN_PYTHON)) {
            return probed.info;
        }
        log(`Python ${candidate.command}: ${probed.error ?? `version ${probed.info?.version.join(".")}`}`);
    }
    return undefined;
}
