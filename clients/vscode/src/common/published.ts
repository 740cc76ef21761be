import { BUILTIN_ACTIONS, CUSTOM_COMMAND } from "../generated/actions";

/** Text only the user can give, which the extension asks for before running the action. */
export interface Asks {
    /** The command argument that carries it. */
    readonly argument: "instruction" | "question" | "language";
    readonly prompt: string;
    readonly required: boolean;
}

/** An action as the server publishes it (`capabilities.experimental.chatls`, `chatls/actions`). */
export interface PublishedAction {
    readonly id: string;
    readonly title: string;
    readonly kind: string;
    readonly command: string;
    readonly edits: boolean;
    readonly output: "edit" | "markdown" | "document";
    /** When the lightbulb offers it; `diagnostic`: once per diagnostic, so it runs on one. */
    readonly offered: string;
    readonly custom: boolean;
    readonly languages?: readonly string[];
    readonly asks?: Asks;
    /** The thread it goes on with: an earlier answer, or chatls's last edit. */
    readonly continues?: "answer" | "edit";
}

export interface PublishedActions {
    readonly actions: readonly PublishedAction[];
    /** The command that runs every custom action, named by its `id` argument. */
    readonly customCommand: string;
}

export function isPublishedActions(value: unknown): value is PublishedActions {
    if (typeof value !== "object" || value === null) {
        return false;
    }
    const { actions, customCommand } = value as PublishedActions;
    return (
        typeof customCommand === "string" &&
        Array.isArray(actions) &&
        actions.every(
            (action: unknown) =>
                typeof action === "object" &&
                action !== null &&
                typeof (action as PublishedAction).id === "string" &&
                typeof (action as PublishedAction).command === "string",
        )
    );
}

/**
 * The server's actions: the built-in ones, generated from the server's declarations, until the
 * running server says which it has (at `initialize`, and in `chatls/actions` when the settings
 * change its custom actions).
 */
export class ActionList {
    private current: PublishedActions = { actions: BUILTIN_ACTIONS, customCommand: CUSTOM_COMMAND };

    /** Takes what the server published; anything else leaves the list as it was. */
    update(published: unknown): void {
        if (isPublishedActions(published)) {
            this.current = published;
        }
    }

    all(): readonly PublishedAction[] {
        return this.current.actions;
    }

    find(id: string): PublishedAction | undefined {
        return this.current.actions.find((action) => action.id === id);
    }

    /** The server command that runs `action`. */
    commandOf(action: PublishedAction): string {
        return action.custom ? this.current.customCommand : action.command;
    }

    /** The action a server command (the lightbulb's) runs with this argument object, if any. */
    forCommand(command: string, argument: unknown): PublishedAction | undefined {
        const id = typeof argument === "object" && argument !== null ? (argument as { id?: unknown }).id : undefined;
        return this.current.actions.find((action) =>
            action.custom ? command === this.current.customCommand && action.id === id : action.command === command,
        );
    }
}
