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
    ask: "chatls.ask",
    refactor: "chatls.refactor",
    refine: "chatls.refine",
    fix: "chatls.fix",
    docstring: "chatls.docstring",
    implement: "chatls.implement",
    types: "chatls.types",
    tests: "chatls.tests",
    translate: "chatls.translate",
    action: "chatls.action",
} as const;

export type ActionId = keyof typeof SERVER_COMMANDS;

export const ACTION_TITLES: Record<ActionId, string> = {
    explain: "Explain",
    ask: "Ask",
    refactor: "Refactor",
    refine: "Refine",
    fix: "Fix",
    docstring: "Generate docstring",
    implement: "Implement",
    types: "Add types",
    tests: "Write tests",
    translate: "Translate",
    action: "Custom action",
};

/** The actions whose answer is Markdown, shown in a preview (and kept as the hover). */
export const ANSWER_ACTIONS: ReadonlySet<ActionId> = new Set(["explain", "ask"]);

/**
 * The actions whose result may be shown here rather than by the server: Markdown (a custom
 * action's) or a new document, opened as an untitled editor.
 */
export const QUIET_ACTIONS: ReadonlySet<ActionId> = new Set(["explain", "ask", "translate", "tests", "action"]);

export interface TextInput {
    /** The command argument the text goes in. */
    readonly field: "instruction" | "question" | "language";
    readonly title: string;
    readonly prompt: string;
    readonly placeHolder: string;
}

/**
 * The actions that need text only the user can give. LSP code actions cannot ask for it, so the
 * server's Ask… and Refine… actions arrive without it and the extension asks before running them.
 */
export const TEXT_INPUTS: Partial<Record<ActionId, TextInput>> = {
    ask: {
        field: "question",
        title: "chatls: Ask",
        prompt: "Your question about the code. Asking again about the same code follows up.",
        placeHolder: "e.g. What happens if items is empty?",
    },
    refine: {
        field: "instruction",
        title: "chatls: Refine Last Change",
        prompt: "What to change in chatls's last result. The model sees the whole conversation behind it.",
        placeHolder: "e.g. Keep the early return",
    },
    translate: {
        field: "language",
        title: "chatls: Translate Selection",
        prompt: "The language to translate into (an id, a name or an extension).",
        placeHolder: "e.g. rust",
    },
};

/** The extension's own commands; distinct from the server's so the two never collide. */
export const COMMANDS = {
    explainSelection: "chatls.explainSelection",
    refactorSelection: "chatls.refactorSelection",
    fixWithAI: "chatls.fixWithAI",
    generateDocstring: "chatls.generateDocstring",
    implementFunction: "chatls.implementFunction",
    addTypes: "chatls.addTypes",
    writeTests: "chatls.writeTests",
    translateSelection: "chatls.translateSelection",
    runCustomAction: "chatls.runCustomAction",
    refineLastChange: "chatls.refineLastChange",
    askAboutSelection: "chatls.askAboutSelection",
    askFollowUp: "chatls.askFollowUp",
    restartServer: "chatls.restartServer",
    setApiKey: "chatls.setApiKey",
    clearApiKey: "chatls.clearApiKey",
    showLog: "chatls.showLog",
    installLocalModel: "chatls.installLocalModel",
    removeLocalModel: "chatls.removeLocalModel",
    statusMenu: "chatls.statusMenu",
} as const;

export function actionForCommand(command: string): ActionId | undefined {
    for (const [action, id] of Object.entries(SERVER_COMMANDS)) {
        if (id === command) {
            return action as ActionId;
        }
    }
    return undefined;
}
