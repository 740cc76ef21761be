/**
 * Runs an interpreter once to learn its version and where it would import chatls's modules from
 * (PROBE_SCRIPT). Node only, no `vscode`: the unit tests run it against real interpreters.
 */
import { execFile } from "node:child_process";

import { PROBE_MODULES, PROBE_SCRIPT, type PythonCandidate, type PythonInfo } from "./serverCommand";

export interface ProbeResult {
    readonly info?: PythonInfo | undefined;
    readonly error?: string | undefined;
}

function lastLine(text: string): string {
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
    return lines[lines.length - 1]?.trim() ?? "";
}

function isPythonInfo(value: unknown): value is PythonInfo {
    const info = value as Partial<PythonInfo> | null;
    return (
        typeof info === "object" &&
        info !== null &&
        typeof info.executable === "string" &&
        Array.isArray(info.version) &&
        typeof info.modules === "object"
    );
}

/**
 * `env` is the environment the server would get (its PYTHONPATH included), so the modules are
 * found where the server would find them. `cwd` should hold no Python packages: `-c` puts the
 * working directory first on `sys.path`.
 */
export function probePython(
    candidate: PythonCandidate,
    env: NodeJS.ProcessEnv,
    cwd: string,
    timeoutMs = 20000,
): Promise<ProbeResult> {
    return new Promise((resolve) => {
        execFile(
            candidate.command,
            [...candidate.args, "-c", PROBE_SCRIPT, ...PROBE_MODULES],
            { env, cwd, timeout: timeoutMs, windowsHide: true, maxBuffer: 1024 * 1024 },
            (error, stdout, stderr) => {
                if (error !== null) {
                    const code = (error as NodeJS.ErrnoException).code;
                    if (code === "ENOENT") {
                        resolve({ error: "not found" });
                    } else if (error.killed) {
                        resolve({ error: `no answer within ${timeoutMs / 1000} s` });
                    } else {
                        resolve({ error: lastLine(String(stderr)) || error.message });
                    }
                    return;
                }
                try {
                    const parsed: unknown = JSON.parse(lastLine(String(stdout)));
                    resolve(isPythonInfo(parsed) ? { info: parsed } : { error: "not a Python interpreter" });
                } catch {
                    resolve({ error: "not a Python interpreter" });
                }
            },
        );
    });
}
