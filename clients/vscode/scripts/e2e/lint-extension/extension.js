// A linter with one rule, standing in for pyflakes: `math.` used in a Python file with no
// `import math`. Its diagnostics reach chatls the way any extension's do, through
// vscode.languages.getDiagnostics.
const vscode = require("vscode");

const USE = /\bmath\./g;
const IMPORT = /^\s*(import\s+math\b|from\s+math\s+import\b)/m;

function lint(document) {
    const text = document.getText();
    if (IMPORT.test(text)) {
        return [];
    }
    const found = [];
    for (const match of text.matchAll(USE)) {
        const start = document.positionAt(match.index);
        const range = new vscode.Range(start, start.translate(0, "math".length));
        const diagnostic = new vscode.Diagnostic(range, "undefined name 'math'", vscode.DiagnosticSeverity.Error);
        diagnostic.source = "e2e-lint";
        diagnostic.code = "F821";
        found.push(diagnostic);
    }
    return found;
}

function activate(context) {
    const collection = vscode.languages.createDiagnosticCollection("e2e-lint");
    const refresh = (document) => {
        if (document.languageId === "python") {
            collection.set(document.uri, lint(document));
        }
    };
    vscode.workspace.textDocuments.forEach(refresh);
    context.subscriptions.push(
        collection,
        vscode.workspace.onDidOpenTextDocument(refresh),
        vscode.workspace.onDidChangeTextDocument((event) => refresh(event.document)),
        vscode.workspace.onDidCloseTextDocument((document) => collection.delete(document.uri)),
    );
}

module.exports = { activate };
