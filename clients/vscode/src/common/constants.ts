export const EXTENSION_ID = "chatls.chatls";
export const CLIENT_ID = "chatls";
export const CLIENT_NAME = "chatls";
export const SETTINGS_SECTION = "chatls";

/**
 * The documents the server is given: every file and unsaved buffer, in any language, so actions
 * and inline completions work everywhere.
 */
export const SUPPORTED_SCHEMES: ReadonlySet<string> = new Set(["file", "untitled"]);

/** The server's commands (its `executeCommandProvider`); vscode-languageclient registers these ids. */
export const SERVER_COMMANDS = {
    explain: "chatls.explain",
    refactor: "chatls.refactor",
    fix: "chatls.fix",
    docstring: "chatls.docstring",
} as const;

export type ActionId = keyof typeof SERVER_COMMANDS;

export const ACTION_TITLES: Record<ActionId, string> = {
    explain: "Explain",
    refactor: "Refactor",
    fix: "Fix",
    docstring: "Generate docstring",
};

/** The extension's own commands; distinct from the server's so the two never collide. */
export const COMMANDS = {
    explainSelection: "chatls.explainSelection",
    refactorSelection: "chatls.refactorSelection",
    fixWithAI: "chatls.fixWithAI",
    generateDocstring: "chatls.generateDocstring",
    restartServer: "chatls.restartServer",
    setApiKey: "chatls.setApiKey",
    clearApiKey: "chatls.clearApiKey",
    showLog: "chatls.showLog",
} as const;

export function actionForCommand(command: string): ActionId | undefined {
    for (const [action, id] of Object.entries(SERVER_COMMANDS)) {
        if (id === command) {
            return action as ActionId;
        }
    }
    return undefined;
}
