import * as vscode from "vscode";

import { registerCommands } from "./common/commands";
import { CLIENT_NAME } from "./common/constants";
import { RedactingLogChannel } from "./common/log";
import { Notifier } from "./common/messages";
import { ApiKeyStore } from "./common/secrets";
import { ServerManager } from "./common/server";
import { StatusBar } from "./common/statusBar";

let server: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const activated = Date.now();
    const channel = new RedactingLogChannel(vscode.window.createOutputChannel(CLIENT_NAME, { log: true }));
    const showLog = (): void => channel.show(true);
    const notifier = new Notifier(showLog);
    const apiKeys = new ApiKeyStore(context.secrets);
    const status = new StatusBar();
    server = new ServerManager(
        channel,
        notifier,
        apiKeys,
        status,
        context.extensionPath,
        context.globalStorageUri,
        activated,
    );
    context.subscriptions.push(
        channel,
        apiKeys,
        status,
        server,
        ...registerCommands(server, apiKeys, notifier, showLog),
    );
    // Not awaited: a slow or failing server start must not hold up activation (or the commands).
    void server.start();
}

export async function deactivate(): Promise<void> {
    await server?.stop();
    server = undefined;
}
