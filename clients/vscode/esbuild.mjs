// Bundling keeps the .vsix free of node_modules: vsce packages dist/ alone.
import { build } from "esbuild";

await build({
    entryPoints: ["src/extension.ts"],
    bundle: true,
    outfile: "dist/extension.js",
    external: ["vscode"],
    format: "cjs",
    platform: "node",
    target: "node18",
    sourcemap: true,
    sourcesContent: false,
    minify: process.argv.includes("--minify"),
    logLevel: "info",
});
