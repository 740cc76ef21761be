/** LSP's positions and ranges as the pure (vscode-free, unit-tested) modules keep them. */

export interface Position {
    readonly line: number;
    readonly character: number;
}

export interface Range {
    readonly start: Position;
    readonly end: Position;
}
