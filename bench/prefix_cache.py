"""Actions in sequence on one file, as a user works, against a real llama.cpp server: how much of
each prompt the backend's prefix cache reuses, and what that does to the wait.

    python bench/prefix_cache.py [--models smollm2,qwen] [--context 4096] [--threads 2]
    python bench/prefix_cache.py --scripted     # the shared-prefix figure alone, no model
    python bench/prefix_cache.py --mixed --backend server --options cache_ram_mib=0 --no-apply

``--mixed``: Explain, Generate docstring, Refactor, Fix, Explain (narrow actions between wide
ones); ``--sequence`` any list. ``--pause S``: S seconds between actions, as a user reads an
answer; with ``--read-ahead`` the actions run as the language server runs them, so the
built-in model may read the file ahead in those pauses (``localPrefill``; the tokens it read
are printed per pause). ``--backend server``: a llama.cpp server with one slot as a user
starts it (llama.cpp's defaults; ``--options`` for its own flags), where chatls cannot choose a
slot; ``builtin`` (the default): chatls's built-in backend. The summary adds the share of
prompt tokens cached from the second action on, for the wide actions (those whose plan shows
the file's window) after a narrow one, and for each kind.

Files from Python's standard library: (a) ``glob.py`` (251 lines, which the local backend's
default budget sends whole), four actions on functions spread over it; (b) ``imaplib.py``
(1,649 lines), four actions on neighbouring methods; with ``--files a350``, ``shlex.py``
(350 lines, whole from about ``--context 6144``) as in (a); with ``--files c``,
``asyncio/base_events.py`` (2,000 lines that use many definitions from the package's other
files), four actions on neighbouring methods as in (b), for ``--definitions``. The actions are Explain, Refactor (its edit applied), Explain, Refactor, each through
chatls's own pipeline (``run_action``, the code the language server runs) and the real client.
Per action it prints the prompt tokens (the backend's count), the tokens the backend took from
its cache (``usage.prompt_tokens - `` the growth of llama.cpp's ``prompt_tokens_total`` counter,
which works for any chatls version), the time to the first streamed token and the total time.
The script only uses interfaces older chatls versions have too, so running it with
``PYTHONPATH`` pointing at an older tree measures that tree ("before").
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import itertools
import json
import re
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# After PYTHONPATH, so that pointing it at an older tree measures that tree.
sys.path.append(str(ROOT / "server"))
QWEN_DEFAULT = "/work/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


from chatls.actions.catalog import ActionRequest  # noqa: E402
from chatls.actions.runner import run_action  # noqa: E402
from chatls.config import parse_settings  # noqa: E402
from chatls.errors import ChatlsError  # noqa: E402
from chatls.model.client import ModelClient  # noqa: E402
from chatls.model.request import ChatReply, ChatRequest, Endpoint  # noqa: E402
from chatls.source.document import Document  # noqa: E402
from chatls.source.text import apply_text_edits, text_index  # noqa: E402

STDLIB = Path(ast.__file__).parent
FILES = {
    "a": STDLIB / "glob.py",
    "b": STDLIB / "imaplib.py",
    "a350": STDLIB / "shlex.py",
    "c": STDLIB / "asyncio" / "base_events.py",
}
SEQUENCE = ("explain", "refactor", "explain", "refactor")
MIXED = ("explain", "docstring", "refactor", "fix", "explain")
"""``--mixed``: narrow actions (Generate docstring, Fix) between the wide ones, as a user works."""
INSTRUCTION = "Give the local variables clearer names; change nothing else."
FIX_MESSAGE = "Function is missing a return type annotation"
"""What mypy --strict says of every function of the standard library's files (no file change
needed to have something to fix)."""


class TimingClient(ModelClient):
    """The real client, noting when the first piece of each answer arrived."""

    first_token: float | None = None
    reply: ChatReply | None = None
    messages: list[dict[str, Any]] = []  # noqa: RUF012 (replaced, never changed in place)

    async def chat(self, request: ChatRequest, on_progress: Any = None) -> ChatReply:
        started = time.monotonic()
        self.first_token = None
        self.messages = request.messages

        def progress(chunks: int) -> None:
            if chunks and self.first_token is None:
                self.first_token = time.monotonic() - started
            if on_progress is not None:
                on_progress(chunks)

        self.reply = await super().chat(request, progress)
        return self.reply


def serve_user(model: str, threads: int, context: int, options: str) -> None:
    """A llama.cpp server as a user starts it (``llama-server -m MODEL -c CONTEXT``): one slot,
    llama.cpp's defaults except the ``options`` given as ``name=value,...``; runs until stdin
    closes."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.ui = False
    params.cpuparams.n_threads = threads
    params.n_parallel = 1
    params.n_ctx = context
    params.endpoint_metrics = True
    params.verbosity = -1
    for item in filter(None, options.split(",")):
        name, value = item.split("=")
        old = getattr(params, name)
        setattr(
            params, name, type(old)(float(value)) if not isinstance(old, bool) else value == "1"
        )
    if params.n_parallel > 1:
        params.n_ctx = context * params.n_parallel
    server = xllamacpp.Server(params)
    print("listening on " + server.listening_address, flush=True)
    sys.stdin.buffer.read()
    del server


class UserServer:
    """``serve_user`` in a child process, with the interface of chatls's ``LocalServer`` that
    the bench uses."""

    def __init__(self, model: Path, threads: int, context: int, options: str) -> None:
        self.path = model
        self.model_name = model.name.removesuffix(".gguf")
        self.command = [
            sys.executable,
            __file__,
            "--serve",
            str(model),
            "--threads",
            str(threads),
            "--server-context",
            str(context),
            "--options",
            options,
        ]
        self.process: Any = None

    async def url(self) -> str:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        line = (await self.process.stdout.readline()).decode().strip()
        assert line.startswith("listening on "), line
        return line.removeprefix("listening on ").rstrip("/") + "/v1"

    async def stop(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            await self.process.wait()


def processed_prompt_tokens(base: str) -> int:
    """llama.cpp's count of prompt tokens it has evaluated (cached ones are not)."""
    with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.search(r"^llamacpp:prompt_tokens_total\s+([\d.e+]+)", text, re.M)
    return int(float(found.group(1))) if found else 0


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def prompt_tokens(base: str, messages: list[dict[str, Any]]) -> int:
    """The prompt's length in the model's tokens, for a reply whose stream chatls closed
    before the usage arrived: llama.cpp's chat template applied, then its tokenizer."""
    prompt = _post(base + "/apply-template", {"messages": messages})["prompt"]
    return len(_post(base + "/tokenize", {"content": prompt})["tokens"])


def targets(path: Path, which: str, count: int = 4) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of ``count`` functions: spread out (a) or neighbours
    (b, c)."""
    tree = ast.parse(path.read_text())
    functions = sorted(
        (node.lineno - 1, node.end_lineno - 1, node.name)  # type: ignore[operator]
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and 6 <= (node.end_lineno or 0) - node.lineno <= 40
        and not (node.name.startswith("__") and node.name.endswith("__"))
    )
    if which not in ("b", "c"):
        return [functions[int(i * (len(functions) - 1) / (count - 1))] for i in range(count)]
    middle = len(functions) // 2
    return functions[middle : middle + count]


async def run_file(
    which: str,
    client: TimingClient,
    base: str,
    settings: Any,
    out: list[dict[str, Any]],
    apply: bool,
    sequence: tuple[str, ...] = SEQUENCE,
    pause: float = 0.0,
    read_ahead: bool = False,
) -> None:
    path = FILES[which]
    text = path.read_text()
    picked = targets(path, which, len(sequence))
    # Only given when asked for: older trees' run_action has no such parameter.
    extra: dict[str, Any] = {"read_ahead": True} if read_ahead else {}
    for number, (action, (_, _, name)) in enumerate(zip(sequence, picked, strict=True)):
        if number and pause:
            # The user reads the answer: the model is idle, and may read the file ahead.
            idle = processed_prompt_tokens(base)
            await asyncio.sleep(pause)
            ahead = processed_prompt_tokens(base) - idle
            prefill = getattr(client, "prefill", None)
            left = " (not finished)" if prefill is not None and prefill.pending else ""
            print(
                f"  ({which})    {pause:.0f} s pause: {ahead} prompt tokens read ahead{left}",
                flush=True,
            )
        # The file as the user has it now: earlier refactors applied, functions found again.
        request = _request(which, text, number, action, name)
        before = processed_prompt_tokens(base)
        started = time.monotonic()
        outcome = "ok"
        client.reply = None
        client.messages = []
        client.first_token = None
        try:
            result = await run_action(request, settings, client, **extra)
            if result.edits and apply:
                text = apply_text_edits(text, list(result.edits), "utf-16")
                outcome = "edit applied"
            elif result.edits:
                outcome = "edit (not applied)"
        except ChatlsError as error:
            outcome = f"refused: {str(error)[:60]}"
        total = time.monotonic() - started
        processed = processed_prompt_tokens(base) - before
        usage = client.reply.usage if client.reply is not None and client.reply.usage else {}
        prompt = usage.get("prompt_tokens", 0)
        if not prompt and client.messages:
            prompt = prompt_tokens(base, client.messages)
        row = {
            "file": which,
            "step": number + 1,
            "action": action,
            "function": name,
            "prompt_tokens": prompt,
            "cached_tokens": max(0, prompt - processed) if prompt else 0,
            "wide": wide(action, client.endpoint.local),
            "first_token_s": client.first_token,
            "total_s": total,
            "outcome": outcome,
        }
        out.append(row)
        share = row["cached_tokens"] / prompt * 100 if prompt else 0.0
        ttft = f"{client.first_token:6.1f}" if client.first_token is not None else "     -"
        print(
            f"  ({which}) {number + 1}. {action:<9} {'wide' if row['wide'] else 'narrow':<6} "
            f"{name:<22} {prompt:6} prompt tokens, "
            f"{row['cached_tokens']:6} cached ({share:3.0f}%), first token {ttft} s, "
            f"total {total:6.1f} s  {outcome}",
            flush=True,
        )


def wide(action: str, local: bool) -> bool:
    """Whether the action's request shows the file in the stable window other actions share."""
    from chatls.actions.registry import builtin

    plan = builtin()[action].plan
    if hasattr(plan, "for_backend"):
        plan = plan.for_backend(local)
    return plan.context == "file" and getattr(plan, "stable", True)


def targets_in(text: str) -> list[tuple[int, int, str]]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    return [
        (node.lineno - 1, node.end_lineno - 1, node.name)  # type: ignore[operator]
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
    ]


async def run_model(name: str, path: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    from chatls.model.local import LocalServer

    server: Any
    if args.backend == "server":
        server = UserServer(path, args.threads, args.server_context or args.context, args.options)
    else:
        server = LocalServer(str(path), args.threads, args.server_context or args.context)
    url = await server.url()
    base = url.removesuffix("/v1")
    local = args.backend == "builtin"
    client = TimingClient(
        Endpoint(url, None, timeout=900, max_retries=0, model=server.model_name, local=local)
    )
    if hasattr(server, "context_size") and hasattr(client, "set_context_limit"):
        size = await server.context_size()
        if size:
            client.set_context_limit(server.model_name, size)
    settings, problems = parse_settings(
        {
            "contextTokens": args.context,
            "seed": 1,
            "timeout": 900,
            "maxRetries": 0,
            "actions": {
                "explain": {"maxTokens": 128},
                "refactor": {"maxTokens": 512},
                "docstring": {"maxTokens": 200},
                "fix": {"maxTokens": 200},
            },
        }
    )
    assert not problems, problems
    rows: list[dict[str, Any]] = []
    where = (
        f"a one-slot llama.cpp server ({args.options or 'defaults'})"
        if args.backend == "server"
        else "the built-in backend"
    )
    print(
        f"{name} on {where}: {server.model_name}, contextTokens {args.context}, edits "
        f"{'not ' if args.no_apply else ''}applied",
        flush=True,
    )
    sequence = chosen_sequence(args)
    try:
        for which in args.files.split(","):
            await run_file(
                which,
                client,
                base,
                settings,
                rows,
                not args.no_apply,
                sequence,
                args.pause,
                args.read_ahead,
            )
    finally:
        await client.close()
        await server.stop()
    for row in rows:
        row["model"] = name
    return rows


def summary(rows: list[dict[str, Any]]) -> None:
    print("\nper file: later actions' share of prompt tokens cached, and time to first token")
    for key in sorted({(r["model"], r["file"]) for r in rows}):
        group = [r for r in rows if (r["model"], r["file"]) == key]
        first, later = group[0], [r for r in group[1:] if r["prompt_tokens"]]
        shares = [r["cached_tokens"] / r["prompt_tokens"] for r in later]
        ttfts = [r["first_token_s"] for r in later if r["first_token_s"] is not None]
        first_ttft = first["first_token_s"] or 0.0
        print(
            f"  {key[0]} ({key[1]}): first action {first['prompt_tokens']} tokens, first token "
            f"{first_ttft:.1f} s; later: {statistics.mean(shares) * 100 if shares else 0:.0f}% "
            f"cached (min {min(shares) * 100 if shares else 0:.0f}%), first token median "
            f"{statistics.median(ttfts) if ttfts else 0:.1f} s "
            f"({(statistics.median(ttfts) / first_ttft if ttfts and first_ttft else 0):.2f} of the "
            "first)"
        )
    later = [r for r in rows if r["step"] > 1 and r["prompt_tokens"]]
    after_narrow = [
        r
        for r in later
        if r["wide"]
        and not next(
            p["wide"]
            for p in rows
            if (p["model"], p["file"], p["step"]) == (r["model"], r["file"], r["step"] - 1)
        )
    ]
    for label, group in (
        ("from the 2nd action on", later),
        ("wide after narrow", after_narrow),
        ("wide", [r for r in later if r["wide"]]),
        ("narrow", [r for r in later if not r["wide"]]),
    ):
        prompt = sum(r["prompt_tokens"] for r in group)
        cached = sum(r["cached_tokens"] for r in group)
        print(
            f"  {label}: {cached} of {prompt} prompt tokens cached "
            f"({cached / prompt * 100 if prompt else 0:.0f}%) over {len(group)} requests"
        )


def _request(which: str, text: str, number: int, action: str, name: str) -> ActionRequest:
    path = FILES[which]
    now = {n: (top, bottom) for top, bottom, n in targets_in(text)}
    first, last = now[name]
    index = text_index(text, "utf-16")
    end = index.line_starts[last + 1] if last + 1 < index.line_count else len(text)
    whole = index.range(index.line_starts[first], end)
    diagnostic = None
    if action == "fix":
        from lsprotocol import types

        # On the function's name, as mypy reports it: the function is what Fix rewrites.
        at = text.index(f"def {name}", index.line_starts[first]) + len("def ")
        diagnostic = types.Diagnostic(
            range=index.range(at, at + len(name)),
            message=FIX_MESSAGE,
            source="mypy",
            code="no-untyped-def",
            severity=types.DiagnosticSeverity.Error,
        )
    return ActionRequest(
        action=action,
        document=Document(
            uri=path.as_uri(), text=text, version=number + 1, path=str(path), language_id="python"
        ),
        range=diagnostic.range if diagnostic else whole,
        encoding="utf-16",
        diagnostic=diagnostic,
        diagnostics=(diagnostic,) if diagnostic else (),
        instruction=INSTRUCTION if action == "refactor" else None,
        workspace_root=str(path.parent),
    )


async def run_scripted(args: argparse.Namespace) -> None:
    """The same sequences against the scripted backend (no model): how much of each prompt
    the one before it shares, in characters (what CI's test guards)."""
    from chatls_testing.scripted_backend import Chat, ScriptedBackend

    backend = ScriptedBackend().start()
    backend.default = Chat("It sums the values.")
    client = ModelClient(Endpoint(backend.url, None, timeout=30, max_retries=0))
    settings, _ = parse_settings(
        {"contextTokens": args.context, "model": "scripted", "tools": {"enabled": "off"}}
    )
    print(f"scripted backend, contextTokens {args.context}: prompt shared with the one before")
    toolbox = None
    if args.definitions:
        # The standard library as the workspace, so definitions from other files (chatls's
        # own, in the prompt) come from it; the tools stay off. A tree without them ignores it.
        from chatls.tools.toolbox import Toolbox
        from chatls.tools.workspace import ToolState, rules

        index = ToolState().index([str(STDLIB)], rules(settings.tools, settings.exclude))
        toolbox = Toolbox(index, dict, lambda real: (None, None))
    try:
        for which in args.files.split(","):
            text = FILES[which].read_text()
            sequence = chosen_sequence(args)
            picked = targets(FILES[which], which, len(sequence))
            start = len(backend.requests)
            for number, (action, (_, _, name)) in enumerate(zip(sequence, picked, strict=True)):
                # The scripted reply holds no code: a Refactor is refused, the prompt went out.
                with contextlib.suppress(ChatlsError):
                    await run_action(
                        _request(which, text, number, action, name), settings, client, None, toolbox
                    )
            prompts = [r.prompt for r in backend.requests[start:]]
            if args.definitions:
                shown = [len(re.findall(r"^\S+, line \d+:$", p, re.M)) for p in prompts]
                print(f"  ({which}) definitions from other files per request: {shown}")
            for number, (before, after) in enumerate(itertools.pairwise(prompts)):
                same = next(
                    (i for i, (x, y) in enumerate(zip(before, after, strict=False)) if x != y),
                    min(len(before), len(after)),
                )
                print(
                    f"  ({which}) {number + 2}. {sequence[number + 1]:<9} {same:6} of "
                    f"{min(len(before), len(after)):6} characters "
                    f"({same / min(len(before), len(after)) * 100:3.0f}% of the shorter)"
                )
    finally:
        await client.close()
        backend.stop()


def chosen_sequence(args: argparse.Namespace) -> tuple[str, ...]:
    if args.sequence:
        return tuple(args.sequence.split(","))
    return MIXED if args.mixed else SEQUENCE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="smollm2,qwen")
    parser.add_argument("--qwen", default=QWEN_DEFAULT)
    parser.add_argument("--files", default="a,b")
    parser.add_argument("--context", type=int, default=4096, help="contextTokens")
    parser.add_argument(
        "--server-context",
        type=int,
        default=0,
        help="tokens the llama.cpp server holds per request (default: --context)",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="Explain, Generate docstring, Refactor, Fix, Explain per file (default: Explain, "
        "Refactor, Explain, Refactor)",
    )
    parser.add_argument(
        "--sequence", help="the actions per file, comma-separated (overrides --mixed)"
    )
    parser.add_argument(
        "--backend",
        choices=("builtin", "server"),
        default="builtin",
        help="chatls's built-in backend, or a one-slot llama.cpp server as a user starts it",
    )
    parser.add_argument(
        "--options",
        default="",
        help="with --backend server: llama.cpp options over its defaults, name=value,... "
        "(n_parallel, slot_prompt_similarity, cache_ram_mib, n_cache_reuse, kv_unified)",
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="seconds between actions, as a user reads an answer (default: none)",
    )
    parser.add_argument(
        "--read-ahead",
        action="store_true",
        help="run actions as the language server does, letting the built-in model read the "
        "file ahead while idle (`localPrefill`); with --pause",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-apply", action="store_true", help="leave the file as it was after each edit"
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument(
        "--scripted", action="store_true", help="only the shared-prefix figure, with no model"
    )
    parser.add_argument(
        "--definitions",
        action="store_true",
        help="with --scripted: the standard library as the workspace, for the definitions from "
        "other files (chatls's `definitions` settings)",
    )
    args = parser.parse_args()
    if args.serve:
        serve_user(args.serve, args.threads, args.server_context, args.options)
        return
    if args.scripted:
        asyncio.run(run_scripted(args))
        return
    from chatls.model.local import default_model_path

    rows: list[dict[str, Any]] = []
    for name in args.models.split(","):
        path = default_model_path() if name == "smollm2" else Path(args.qwen)
        if path is None or not path.is_file():
            print(f"{name}: model not found, skipped", flush=True)
            continue
        rows += asyncio.run(run_model(name, path, args))
    summary(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
