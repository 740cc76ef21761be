"""How well a candidate's confidence tells right inline completions from wrong ones, on real code.

    python bench/completion_confidence.py [--models smollm2,qwen] [--per-language 16]
    python bench/completion_confidence.py --report bench/.confidence/RUN.jsonl ...

Positions come from code installed on this machine, in four languages: the CPython standard
library (``/usr/lib/python3.11``), Go's (``golang-1.19-src``, ``/usr/share/go-1.19/src``), Rust's
(``rust-src``, ``/usr/lib/rustlib/src/rust/library``) and JavaScript from the npm that Debian's
``nodejs`` package ships (``/usr/lib/node_modules/npm``: its ``semver`` and its own ``lib``).
At each position the rest of a line (``line``) or the next one or two lines of a block
(``lines``, the cursor on a fresh line indented as the editor would) is held out, and chatls is
asked for an inline completion there the way an editor asks: the real server over stdio,
``didChange`` with the document as it would be, then ``textDocument/inlineCompletion``
(automatic trigger; ``debounceMs`` 0, since nobody types here). Each shown candidate's
confidence (``mean`` and ``first``) is read from chatls's own debug log line, so what is
judged is exactly what the server computed; ``minConfidence`` is 0, so every candidate shows.

A candidate is **right** when, with all whitespace ignored, it is the held-out text or a prefix of
it that ends at a word boundary (``return x`` is a prefix of ``return x + 1``, not of
``return xs``): ghost text that is correct but stops early is not a guess. Anything else is
wrong.

The model is llama.cpp's server (``xllamacpp``) started exactly as chatls starts its built-in
local backend (``python -m chatls.model.local``: two slots of 4,096 tokens), reached through
``baseUrl`` with ``inlineCompletion.contextTokens`` from ``--context-tokens`` (default 1024, the
built-in backend's own budget) and its other settings left at their defaults. A separate
server rather than ``backend: local`` so that the latency part can put a proxy in front of it:
for the last position of every second cluster, two more chatls servers ask the same thing, one
through a proxy that refuses ``logprobs`` the way OpenAI's reasoning models do (chatls drops it,
remembers, and never asks again: the same path a real backend without logprobs takes) and one
through the same proxy passing everything; both find the prompt already in llama.cpp's cache,
so the difference is what logprobs cost while the answer is written, plus their transport.

Positions go in clusters of a few in one stretch of a file, so that llama.cpp's prompt cache
serves most of each prompt after the first, as it does while someone works down a file; the
clusters alternate between languages, so a run cut short by ``--minutes`` stays balanced.
Every candidate is written to ``bench/.confidence/`` (git-ignored); ``--report`` prints the
tables again from those files.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from chatls_testing.models import model_paths
from lsp import start_server, stop_server

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
OUT = Path(__file__).resolve().parent / ".confidence"
QWEN_DEFAULT = "/work/qwen/qwen.gguf"

PY = "/usr/lib/python3.11"
GO = "/usr/share/go-1.19/src"
RS = "/usr/lib/rustlib/src/rust/library"
NPM = "/usr/lib/node_modules/npm"
SOURCES: dict[str, list[str]] = {
    "python": [
        f"{PY}/{name}.py"
        for name in (
            "textwrap",
            "shlex",
            "fnmatch",
            "glob",
            "calendar",
            "netrc",
            "quopri",
            "pprint",
            "tabnanny",
            "difflib",
            "heapq",
            "bisect",
        )
    ],
    "javascript": [
        f"{NPM}/{name}.js"
        for name in (
            "node_modules/semver/classes/range",
            "node_modules/semver/classes/semver",
            "node_modules/semver/classes/comparator",
            "node_modules/semver/functions/inc",
            "node_modules/semver/functions/coerce",
            "node_modules/semver/ranges/subset",
            "node_modules/semver/ranges/min-version",
            "lib/utils/format",
            "lib/utils/did-you-mean",
            "lib/utils/tar",
            "lib/commands/outdated",
            "lib/commands/version",
        )
    ],
    "go": [
        f"{GO}/{name}.go"
        for name in (
            "strings/strings",
            "strings/replace",
            "path/path",
            "path/match",
            "sort/sort",
            "bytes/buffer",
            "strconv/atoi",
            "text/tabwriter/tabwriter",
            "net/url/url",
            "bufio/scan",
            "encoding/csv/reader",
            "strconv/quote",
        )
    ],
    "rust": [
        f"{RS}/{name}.rs"
        for name in (
            "core/src/str/validations",
            "core/src/str/lossy",
            "core/src/num/dec2flt/parse",
            "core/src/char/decode",
            "alloc/src/str",
            "std/src/sys_common/wtf8",
            "core/src/fmt/builders",
            "core/src/slice/memchr",
            "std/src/path",
            "core/src/ascii",
            "alloc/src/string",
            "core/src/str/pattern",
        )
    ],
}
LANGUAGE_IDS = {"python": "python", "javascript": "javascript", "go": "go", "rust": "rust"}
THRESHOLDS = [round(0.1 * n, 1) for n in range(10)]
GRID = [round(0.05 * n, 2) for n in range(20)]
"""Thresholds the default is chosen from: finer than the printed table."""
KEEP_RIGHT = 0.8
HIDE_WRONG = 0.5
LATENCY_EVERY = 2
"""Clusters between two latency pairs."""
WINDOW = 40
"""Lines a cluster's positions are taken from: within one block of the completion prompt's grid
(``BLOCK_LINES``) most of the time, so the prompt's start stays cached."""
# What a held-out line must not be: comments, attributes, decorators, lone closers.
_SKIP = re.compile(r"^(#|//|/\*|\*|\"\"\"|'''|@|[\]\)\}]+[;,]?$)")
_STARTS_BODY = re.compile(r"(:|\{|\bdo|\bthen)\s*$")
_WORD = re.compile(r"\w")
_CONFIDENCE = re.compile(
    r"inline completion (?P<text>'.*'|\".*\"): confidence (?P<mean>[\d.]+) "
    r"\(first token (?P<first>[\d.]+), (?P<tokens>\d+) tokens\)$"
)


@dataclass
class Position:
    id: str
    language: str
    source: str
    name: str
    kind: str
    """``line``: the rest of a line held out; ``lines``: the next lines of a block."""
    text: str
    line: int
    character: int
    held: str
    cluster: int


@dataclass
class Candidate:
    position: str
    language: str
    kind: str
    text: str
    held: str
    verdict: str
    """``exact``, ``prefix`` (both right) or ``wrong``."""
    mean: float | None
    first: float | None
    tokens: int | None


@dataclass
class Run:
    model: str
    positions: int = 0
    empty: int = 0
    seconds: float = 0.0
    candidates: list[Candidate] = field(default_factory=list)
    without: list[float] = field(default_factory=list)
    """Round trips (ms) of the latency pairs, asked without logprobs..."""
    with_: list[float] = field(default_factory=list)
    """... and with them, pairwise."""


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _eligible(lines: list[str], number: int) -> bool:
    line = lines[number]
    body = line.strip()
    return (
        bool(_indent(line))  # inside a definition: a body's line, not a declaration's
        and len(body) >= 6
        and not _SKIP.match(body)
        and number > 0
        and bool(lines[number - 1].strip())
    )


def _line_cuts(body: str) -> list[int]:
    """Where in a line's text (indentation removed) a cursor may stop: after a character that
    ends a word or a piece of punctuation, with a few characters left to complete."""
    cuts = []
    for cut in range(1, len(body)):
        before, after = body[cut - 1], body[cut]
        if _WORD.match(before) and _WORD.match(after):
            continue  # mid-word: the cleaning of echoed words decides more than the model
        if after == " ":
            continue
        if len(body[cut:].strip()) < 3 or _STARTS_BODY.search(body[:cut]):
            continue
        cuts.append(cut)
    return cuts


def positions_of(language: str, path: Path, rng: random.Random, count: int) -> list[Position]:
    """Up to ``count`` positions from one stretch of ``path``, in file order."""
    original = path.read_text()
    lines = original.split("\n")
    eligible = [n for n in range(len(lines)) if _eligible(lines, n)]
    if not eligible:
        return []
    start = rng.choice(eligible[: max(1, len(eligible) - count)])
    window = [n for n in eligible if start <= n < start + WINDOW]
    chosen = sorted(rng.sample(window, min(count, len(window))))
    name = f"{language}/{path.name}"
    found = []
    for number in chosen:
        line = lines[number]
        indent = _indent(line)
        body = line.strip()
        cuts = _line_cuts(body)
        if rng.random() < 1 / 3 or not cuts:
            # The user pressed Enter after the line above and the editor indented the new one.
            size = 1
            if rng.random() < 0.5:
                following = lines[number + 1] if number + 1 < len(lines) else ""
                if following.strip() and len(_indent(following)) >= len(indent):
                    size = 2
            held = "\n".join(lines[number : number + size])[len(indent) :]
            document = "\n".join([*lines[:number], indent, *lines[number + size :]])
            kind, character = "lines", len(indent)
        else:
            cut = rng.choice(cuts)
            typed = indent + body[:cut]
            held = body[cut:]
            document = "\n".join([*lines[:number], typed, *lines[number + 1 :]])
            kind, character = "line", len(typed.encode("utf-16-le")) // 2
        found.append(
            Position(
                id=f"{name}:{number + 1}:{kind}",
                language=language,
                source=str(path),
                name=name,
                kind=kind,
                text=document,
                line=number,
                character=character,
                held=held,
                cluster=0,
            )
        )
    return found


def all_positions(per_language: int, cluster: int, seed: int) -> list[Position]:
    """Clusters of positions, alternating between the languages."""
    rng = random.Random(seed)
    by_language: dict[str, list[list[Position]]] = {}
    for language, paths in SOURCES.items():
        files = [Path(p) for p in paths if Path(p).is_file()]
        if not files:
            print(f"{language}: no sources found ({paths[0]} …); skipped", file=sys.stderr)
            continue
        rng.shuffle(files)
        clusters: list[list[Position]] = []
        taken = 0
        for path in files * 4:
            if taken >= per_language:
                break
            found = positions_of(language, path, rng, min(cluster, per_language - taken))
            if found:
                clusters.append(found)
                taken += len(found)
        by_language[language] = clusters
    ordered: list[Position] = []
    number = 0
    for round_ in range(max((len(c) for c in by_language.values()), default=0)):
        for clusters in by_language.values():
            if round_ < len(clusters):
                for position in clusters[round_]:
                    position.cluster = number
                    ordered.append(position)
                number += 1
    return ordered


def judge(candidate: str, held: str) -> str:
    """``exact`` when ``candidate`` is ``held`` up to whitespace, ``prefix`` when it is a
    beginning of it that ends at a word boundary, else ``wrong``."""
    bare = "".join(candidate.split())
    whole = "".join(held.split())
    if not bare:
        return "wrong"
    if bare == whole:
        return "exact"
    if not whole.startswith(bare):
        return "wrong"
    # Where the candidate ends in the held-out text: the character after it must not carry on
    # the candidate's last word ("x" against "xs").
    seen = 0
    for index, char in enumerate(held):
        if not char.isspace():
            seen += 1
        if seen == len(bare):
            following = held[index + 1 : index + 2]
            carries_on = bool(following) and _WORD.match(following) and _WORD.match(bare[-1])
            return "wrong" if carries_on else "prefix"
    return "wrong"


class Editor:
    """One chatls server and the documents it has open, one per source file."""

    def __init__(self, client: LanguageClient, workspace: Path) -> None:
        self.client = client
        self.workspace = workspace
        self.versions: dict[str, int] = {}

    def show(self, position: Position) -> str:
        uri = (self.workspace / position.name).as_uri()
        version = self.versions.get(uri)
        if version is None:
            self.client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=uri,
                        language_id=LANGUAGE_IDS[position.language],
                        version=1,
                        text=position.text,
                    )
                )
            )
            self.versions[uri] = 1
            return uri
        self.versions[uri] = version + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version + 1),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=position.text)],
            )
        )
        return uri

    async def complete(self, position: Position) -> tuple[list[str], float]:
        uri = self.show(position)
        started = time.monotonic()
        result = await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=position.line, character=position.character),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        elapsed = (time.monotonic() - started) * 1000
        items = result.items if isinstance(result, types.InlineCompletionList) else result or []
        return [str(item.insert_text) for item in items], elapsed


class Log:
    """The new lines of a server's log file since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new_lines(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8", errors="replace") as handle:
            handle.seek(self.offset)
            text = handle.read()
            self.offset = handle.tell()
        return text.splitlines()


def confidences(lines: Iterable[str]) -> dict[str, tuple[float, float, int]]:
    """Each candidate's confidence as chatls logged it: text -> (mean, first, tokens)."""
    import ast

    found = {}
    for line in lines:
        match = _CONFIDENCE.search(line)
        if match:
            text = ast.literal_eval(match.group("text"))
            found[text] = (
                float(match.group("mean")),
                float(match.group("first")),
                int(match.group("tokens")),
            )
    return found


def start_process(command: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """A helper in its own process that prints its URL (or a line ending in it) when ready."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line:
        raise SystemExit(f"{command[:4]} did not start")
    return process, line.split()[-1].rstrip("/")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None
    process.stdin.close()  # both helpers exit when their stdin closes
    process.wait(timeout=60)


async def measure(
    model_name: str, model: Path, positions: list[Position], args: argparse.Namespace
) -> Run:
    from chatls.model.local import child_command

    run = Run(model=model_name)
    settings = {
        "inlineCompletion": {
            "debounceMs": 0,
            "minConfidence": 0.0,
            "contextTokens": args.context_tokens,
            # The model's name as the built-in backend gives it (its file's), so
            # ``inlineCompletion.fim`` auto recognises a coder model as it would there.
            "model": model.stem,
        }
    }
    llama, url = start_process(child_command(model, args.threads, 4096))
    proxy, proxy_url = start_process([sys.executable, str(SCRIPT), "--proxy", url])
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workspace = Path(tmp)
            _write_workspace(workspace, positions)
            logs = {arm: workspace / f"chatls-{arm}.log" for arm in ("judged", "without", "with")}
            judged = Editor(
                await start_server(f"{url}/v1", workspace, settings, logs["judged"], "debug"),
                workspace,
            )
            without = Editor(
                await start_server(f"{proxy_url}/refuse/v1", workspace, settings, logs["without"]),
                workspace,
            )
            with_ = Editor(
                await start_server(f"{proxy_url}/pass/v1", workspace, settings, logs["with"]),
                workspace,
            )
            log = Log(logs["judged"])
            # The first request of each server loads the completion machinery (and the
            # refusal is met and remembered): not part of the figures.
            for editor in (without, with_):
                await editor.complete(positions[0])
            deadline = started + args.minutes * 60
            for index, position in enumerate(positions):
                if position.cluster != positions[index - 1].cluster and time.monotonic() > deadline:
                    print(f"  --minutes {args.minutes} reached: stopping at a cluster's end")
                    break
                shown, elapsed = await judged.complete(position)
                scores = confidences(log.new_lines())
                run.positions += 1
                run.empty += not shown
                for text in shown:
                    mean, first, tokens = scores.get(text, (None, None, None))
                    run.candidates.append(
                        Candidate(
                            position.id,
                            position.language,
                            position.kind,
                            text,
                            position.held,
                            judge(text, position.held),
                            mean,
                            first,
                            tokens,
                        )
                    )
                last = index + 1 == len(positions) or positions[index + 1].cluster != (
                    position.cluster
                )
                if last and position.cluster % LATENCY_EVERY == 0:
                    # Both find the prompt cached by the judged request; which goes first
                    # alternates, so that neither always meets a cache the other warmed.
                    pair = [(without, run.without), (with_, run.with_)]
                    turn = position.cluster // LATENCY_EVERY % 2
                    for editor, times in pair[:: 1 if turn else -1]:
                        times.append((await editor.complete(position))[1])
                verdicts = [c.verdict for c in run.candidates[-len(shown) :]] if shown else []
                print(
                    f"  {index + 1:3}/{len(positions)} {position.id:<44} {elapsed / 1000:5.1f} s "
                    f"{', '.join(verdicts) or 'no suggestion'}",
                    flush=True,
                )
            for editor in (judged, without, with_):
                await stop_server(editor.client)
            refused = logs["without"].read_text() if logs["without"].exists() else ""
            if run.without and "refused logprobs" not in refused:
                print("  warning: the proxy's refusal of logprobs did not show in chatls's log")
    finally:
        run.seconds = time.monotonic() - started
        stop_process(proxy)
        stop_process(llama)
    return run


def _write_workspace(workspace: Path, positions: Iterable[Position]) -> None:
    """The source files as they are on disk (the open documents differ by the held-out text)."""
    for position in positions:
        target = workspace / position.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Path(position.source).read_text())


def auc(right: Sequence[float], wrong: Sequence[float]) -> float:
    """How often a right candidate scores above a wrong one (ties count half)."""
    if not right or not wrong:
        return math.nan
    wins = sum((r > w) + 0.5 * (r == w) for r in right for w in wrong)
    return wins / (len(right) * len(wrong))


def scored(run: Run, measure: str) -> tuple[list[float], list[float], int]:
    """The right and the wrong candidates' scores; candidates without one always show."""
    right: list[float] = []
    wrong: list[float] = []
    unscored = 0
    for candidate in run.candidates:
        score = getattr(candidate, measure)
        if score is None:
            unscored += 1
            continue
        (wrong if candidate.verdict == "wrong" else right).append(score)
    return right, wrong, unscored


def qualifies(right: Sequence[float], wrong: Sequence[float], threshold: float) -> bool:
    """Whether ``threshold`` keeps 80% of the right candidates and hides half of the wrong
    ones. A model with no right candidate cannot show the first: nothing qualifies for it."""
    if not right:
        return False
    kept = sum(score >= threshold for score in right)
    hidden = sum(score < threshold for score in wrong)
    return kept >= KEEP_RIGHT * len(right) and hidden >= HIDE_WRONG * len(wrong)


def report(runs: Sequence[Run]) -> None:
    for run in runs:
        right = [c for c in run.candidates if c.verdict != "wrong"]
        exact = sum(c.verdict == "exact" for c in run.candidates)
        print(
            f"\n{run.model}: {run.positions} positions in {run.seconds / 60:.1f} min, "
            f"{len(run.candidates)} candidates shown at minConfidence 0 ({run.empty} positions "
            f"with none): {len(right)} right ({exact} exact, {len(right) - exact} a correct "
            f"prefix), {len(run.candidates) - len(right)} wrong"
        )
        languages = sorted({c.language for c in run.candidates})
        print(
            "  per language, right / wrong: "
            + ", ".join(
                f"{lang} {sum(c.language == lang and c.verdict != 'wrong' for c in run.candidates)}"
                f" / {sum(c.language == lang and c.verdict == 'wrong' for c in run.candidates)}"
                for lang in languages
            )
        )
        for measure in ("mean", "first"):
            good, bad, unscored = scored(run, measure)
            print(
                f"  {measure}: separation (AUC, right scored above wrong) {auc(good, bad):.2f}; "
                f"median right {statistics.median(good) if good else math.nan:.3f}, "
                f"wrong {statistics.median(bad) if bad else math.nan:.3f}"
                + (f"; {unscored} without a confidence (always shown)" if unscored else "")
            )
            print("    | threshold | right shown | wrong shown | right kept | wrong hidden |")
            print("    |---|---|---|---|---|")
            for threshold in THRESHOLDS:
                kept = sum(score >= threshold for score in good)
                shown_wrong = sum(score >= threshold for score in bad)
                mark = " ✓" if qualifies(good, bad, threshold) else ""
                print(
                    f"    | {threshold:.1f}{mark} | {kept} / {len(good)} | {shown_wrong} / "
                    f"{len(bad)} | {_percent(kept, len(good))} | "
                    f"{_percent(len(bad) - shown_wrong, len(bad))} |"
                )
        if run.with_:
            differences = [w - o for w, o in zip(run.with_, run.without, strict=True)]
            print(
                f"  latency, {len(run.with_)} pairs with the prompt cached: without logprobs "
                f"median {statistics.median(run.without):.0f} ms, with "
                f"{statistics.median(run.with_):.0f} ms; paired difference median "
                f"{statistics.median(differences):+.0f} ms "
                f"({statistics.median(differences) / statistics.median(run.without):+.0%})"
            )
    choose(runs)


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def choose(runs: Sequence[Run]) -> None:
    """The default: per measure, the lowest threshold on ``GRID`` that keeps 80% of the right
    candidates and hides half of the wrong ones for every model; the measure that separates
    better (mean AUC over the models) when both have one."""
    print(
        f"\nthe default (keeps >= {KEEP_RIGHT:.0%} of right, hides >= {HIDE_WRONG:.0%} of wrong, "
        "for every model that wrote a right one):"
    )
    best: tuple[float, str, float] | None = None
    for measure in ("mean", "first"):
        per_model = [scored(run, measure)[:2] for run in runs]
        # A model that wrote no right candidate loses nothing to any threshold (SmolLM2 on the
        # chat path): the models that did decide, and the rest are shown what it hides for them.
        deciding = [(g, b) for g, b in per_model if g]
        both = [
            t for t in GRID if t > 0 and deciding and all(qualifies(g, b, t) for g, b in deciding)
        ]
        # A model with no right candidates (or no wrong ones) says nothing about separation.
        finite = [value for g, b in per_model if not math.isnan(value := auc(g, b))]
        separation = statistics.mean(finite) if finite else math.nan
        for run, (good, bad) in zip(runs, per_model, strict=True):
            ok = [t for t in GRID if t > 0 and qualifies(good, bad, t)]
            span = f"{min(ok):.2f} to {max(ok):.2f}" if ok else "none"
            if not good:
                span += " (no right candidate to keep: it does not decide)"
            print(f"  {measure}, {run.model}: thresholds that qualify: {span}")
        if both:
            print(f"  {measure}: for every deciding model {min(both):.2f} to {max(both):.2f}")
            for run, (good, bad) in zip(runs, per_model, strict=True):
                if not good and bad:
                    hidden = sum(score < min(both) for score in bad)
                    print(
                        f"    {run.model} at {min(both):.2f}: hides {hidden} of its {len(bad)} "
                        "wrong candidates"
                    )
            if best is None or separation > best[0] or math.isnan(best[0]):
                best = (separation, measure, min(both))
        else:
            print(f"  {measure}: no threshold qualifies for every model")
    if best is None:
        print("  none qualifies: keep 0 (show all)")
    else:
        print(f"  chosen: {best[1]} >= {best[2]:.2f} (mean AUC {best[0]:.2f})")


def save(run: Run) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{time.strftime('%Y%m%d-%H%M%S')}-{run.model}.jsonl"
    header = {k: v for k, v in asdict(run).items() if k != "candidates"}
    lines = [json.dumps(header)] + [json.dumps(asdict(c)) for c in run.candidates]
    path.write_text("\n".join(lines) + "\n")
    return path


def load(paths: Sequence[Path]) -> list[Run]:
    """Saved runs, those of one model (other seeds, say) taken together."""
    runs: dict[str, Run] = {}
    for path in paths:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        part = Run(**rows[0])
        run = runs.setdefault(part.model, Run(model=part.model))
        run.positions += part.positions
        run.empty += part.empty
        run.seconds += part.seconds
        run.without += part.without
        run.with_ += part.with_
        run.candidates += [Candidate(**row) for row in rows[1:]]
    return list(runs.values())


async def _serve_proxy(upstream: str) -> None:
    """An HTTP proxy to ``upstream``: ``/pass/...`` forwards as it came, ``/refuse/...``
    answers a request that asks for logprobs as OpenAI refuses a parameter (400,
    ``unsupported_parameter``). One request per connection: the upstream's answer is piped
    back as it streams, and a client that hangs up early closes the upstream request too."""
    parts = urllib.parse.urlsplit(upstream)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = [line.split(":", 1) for line in lines[1:] if ":" in line]
            length = next((int(v) for k, v in headers if k.strip().lower() == "content-length"), 0)
            body = await reader.readexactly(length)
            arm, _, rest = target.lstrip("/").partition("/")
            if arm == "refuse" and body and "logprobs" in json.loads(body):
                _refuse(writer)
                await writer.drain()
                return
            kept = [
                f"{k}:{v}"
                for k, v in headers
                if k.strip().lower() not in ("host", "connection", "content-length")
            ]
            request = "\r\n".join(
                [
                    f"{method} /{rest} HTTP/1.1",
                    f"Host: {host}:{port}",
                    "Connection: close",
                    f"Content-Length: {len(body)}",
                    *kept,
                    "",
                    "",
                ]
            ).encode("latin-1")
            up_reader, up_writer = await asyncio.open_connection(host, port)
            up_writer.write(request + body)
            await up_writer.drain()

            async def pipe() -> None:
                while chunk := await up_reader.read(65536):
                    writer.write(chunk)
                    await writer.drain()

            tasks = [asyncio.ensure_future(pipe()), asyncio.ensure_future(reader.read())]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
            up_writer.close()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"proxy for {upstream} at http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    sys.stdout.flush()
    # Until the parent closes stdin.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    server.close()


def _refuse(writer: asyncio.StreamWriter) -> None:
    # OpenAI's answer to logprobs on a reasoning model (chatls_testing.scripted_backend's
    # openai-reasoning profile, from the bodies quoted there).
    body = json.dumps(
        {
            "error": {
                "message": "Unsupported parameter: 'logprobs' is not supported with this model.",
                "type": "invalid_request_error",
                "param": "logprobs",
                "code": "unsupported_parameter",
            }
        }
    ).encode()
    writer.write(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="smollm2,qwen", help="comma-separated: smollm2, qwen")
    parser.add_argument("--qwen", default=QWEN_DEFAULT, help="Qwen2.5-Coder-0.5B GGUF")
    parser.add_argument("--per-language", type=int, default=30, help="positions per language")
    parser.add_argument("--cluster", type=int, default=6, help="positions per stretch of a file")
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument(
        "--context-tokens",
        type=int,
        default=1024,
        help="inlineCompletion.contextTokens (1024: the built-in local backend's)",
    )
    # One: with two threads on two cores that other work also uses, llama.cpp's threads waited
    # on each other and SmolLM2 wrote 1.3 tokens a second (about 9 with one thread).
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=12, help="per model, then stop")
    parser.add_argument("--report", type=Path, nargs="*", help="print the tables of saved runs")
    parser.add_argument("--proxy", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.proxy:
        asyncio.run(_serve_proxy(args.proxy))
        return
    if args.report:
        report(load(args.report))
        return
    models = model_paths(args.models, args.qwen)
    positions = all_positions(args.per_language, args.cluster, args.seed)
    kinds = {kind: sum(p.kind == kind for p in positions) for kind in ("line", "lines")}
    files = sorted({p.source for p in positions})
    print(
        f"{len(positions)} positions ({kinds['line']} rest of a line, {kinds['lines']} next "
        f"lines) from {len(files)} files:"
    )
    for source in files:
        print(f"  {source}")
    runs = []
    for name, path in models.items():
        print(f"{name} ({path.name}, {args.threads} threads):", flush=True)
        run = asyncio.run(measure(name, path, positions, args))
        print(f"  saved to {save(run).relative_to(ROOT)}")
        runs.append(run)
    report(runs)


if __name__ == "__main__":
    main()
