import * as vscode from "vscode";

const API_KEY = "chatls.apiKey";

/** The API key, kept in VS Code's secret storage (the OS keychain), never in settings.json. */
export class ApiKeyStore implements vscode.Disposable {
    private readonly changed = new vscode.EventEmitter<void>();
    readonly onDidChange = this.changed.event;
    private readonly subscription: vscode.Disposable;

    constructor(private readonly secrets: vscode.SecretStorage) {
        // Another window of the same VS Code can change the key too.
        this.subscription = secrets.onDidChange((event) => {
            if (event.key === API_KEY) {
                this.changed.fire();
            }
        });
    }

    /** The key, or undefined when none is stored or the keychain cannot be read. */
    async get(): Promise<string | undefined> {
        try {
            const key = await this.secrets.get(API_KEY);
            return key === undefined || key === "" ? undefined : key;
        } catch {
            return undefined;
        }
    }

    async set(key: string): Promise<void> {
        await this.secrets.store(API_KEY, key);
    }

    async clear(): Promise<void> {
        await this.secrets.delete(API_KEY);
    }

    dispose(): void {
        this.subscription.dispose();
        this.changed.dispose();
    }
}
