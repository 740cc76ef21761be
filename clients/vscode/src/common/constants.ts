export const EXTENSION_ID = "chatls.chatls";
export const CLIENT_ID = "chatls";
export const CLIENT_NAME = "chatls";
export const SETTINGS_SECTION = "chatls";

/**
 * The documents the server is given: every file and unsaved buffer, in any language, so actions
 * and inline completions work everywhere.
 */
export const SUPPORTED_SCHEMES: ReadonlySet<string> = new Set(["file", "untitled"]);

/**
 * The extension's own commands, beside one per built-in action (`ACTION_COMMAND_PREFIX` and its
 * id, generated from the server's declarations); distinct from the server's so the two never
 * collide.
 */
export const COMMANDS = {
    runAction: "chatls.runAction",
    askFollowUp: "chatls.askFollowUp",
    restartServer: "chatls.restartServer",
    setApiKey: "chatls.setApiKey",
    clearApiKey: "chatls.clearApiKey",
    showLog: "chatls.showLog",
    showHistory: "chatls.showHistory",
    installLocalModel: "chatls.installLocalModel",
    removeLocalModel: "chatls.removeLocalModel",
    statusMenu: "chatls.statusMenu",
    acceptChange: "chatls.acceptChange",
    rejectChange: "chatls.rejectChange",
    acceptAllChanges: "chatls.acceptAllChanges",
    rejectAllChanges: "chatls.rejectAllChanges",
    undecideChange: "chatls.undecideChange",
    nextEditTab: "chatls.nextEdit.tab",
    nextEditDismiss: "chatls.nextEdit.dismiss",
} as const;

/** True while the active editor shows a change under review (the review keys' `when`). */
export const REVIEWING_CONTEXT = "chatls.reviewing";

/** True while the active editor shows a next-edit suggestion (the Tab and Escape keys' `when`). */
export const NEXT_EDIT_CONTEXT = "chatls.nextEditShown";
