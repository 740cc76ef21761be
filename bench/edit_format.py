"""Whole rewrite or SEARCH/REPLACE blocks: which works better as the code grows?

    python bench/edit_format.py [--qwen PATH] [--sizes 20,60,120]

Refactor (rename a parameter) on Python functions of about each size, cut from the standard
library, asked once for a whole rewrite and once for SEARCH/REPLACE blocks, against
Qwen2.5-Coder-0.5B through ``run_action``. Prints right results and seconds per format and
size: the threshold in the request plans (``search_replace_lines``) comes from here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import quality  # noqa: E402
from chatls.context import prompts  # noqa: E402
from chatls.model.local import LocalServer  # noqa: E402
from chatls.model.request import Endpoint  # noqa: E402
from chatls.source.languages import language_for  # noqa: E402
from chatls.source.syntax import Syntax  # noqa: E402

FILES = ["argparse", "difflib", "textwrap", "pprint", "calendar", "shlex", "ftplib", "tarfile"]


def tasks(sizes: list[int], per_size: int) -> list[tuple[int, quality.Task]]:
    found: list[tuple[int, quality.Task]] = []
    for size in sizes:
        count = 0
        for name in FILES:
            path = f"{quality.PY}/{name}.py"
            text = Path(path).read_text()
            syntax = Syntax(text, language_for("python", path))
            for span in syntax.definitions():
                lines = text.count("\n", span.start, span.end) + 1
                if span.kind != "function_definition" or not size * 0.8 <= lines <= size * 1.25:
                    continue
                header = text[span.start : text.index(":", span.start)]
                params = [
                    p.strip().split("=")[0].split(":")[0].strip()
                    for p in header[header.index("(") + 1 :].split(",")
                ]
                params = [
                    p
                    for p in params
                    if p.isidentifier() and p not in ("self", "cls") and len(p) >= 3
                ]
                if not params or text[span.start : span.end].count(params[0]) < 3:
                    continue
                start = text.rfind("\n", 0, span.start) + 1
                new = params[0] + "_value"
                # The function alone: the prompt stays small, and the same for both formats.
                body = textwrap.dedent(text[start : span.end]) + "\n"
                task = quality.Task(
                    f"size{size}-{count}",
                    "refactor",
                    "python",
                    f"{path}:{text.count(chr(10), 0, start) + 1}",
                    body,
                    0,
                    len(body) - 1,
                    span.name,
                    0,
                    len(body) - 1,
                    instruction=f"Rename the parameter `{params[0]}` to `{new}` everywhere in this function.",
                )
                found.append((size, task))
                count += 1
                if count >= per_size:
                    break
            if count >= per_size:
                break
    return found


async def run(args: argparse.Namespace) -> None:
    server = LocalServer(args.qwen, 2, 16384)
    url = await server.url()
    client = quality.RecordingClient(
        Endpoint(url, None, timeout=900, max_retries=1, model=server.model_name, local=True)
    )
    settings = quality.settings_for("off", 256)
    results: dict[tuple[int, str], list[tuple[bool, float]]] = {}
    original = prompts.plan
    try:
        for size, task in tasks([int(s) for s in args.sizes.split(",")], args.per_size):
            for edit_format in ("whole", "search_replace"):
                limit = 1 if edit_format == "search_replace" else 0

                def plan(action: str, limit: int = limit) -> Any:
                    import attrs

                    return attrs.evolve(original(action), search_replace_lines=limit)

                prompts.plan = plan  # type: ignore[assignment]
                started = time.monotonic()
                record = await quality.run_task(task, client, settings, "qwen", "off")
                seconds = time.monotonic() - started
                verdict = quality.judge(task, record)
                results.setdefault((size, edit_format), []).append(
                    (verdict.verdict == "right", seconds)
                )
                print(
                    f"  {task.id} {edit_format}: {verdict.verdict} {verdict.reason} {record.error or ''} {seconds:.0f}s",
                    flush=True,
                )
    finally:
        prompts.plan = original  # type: ignore[assignment]
        await client.close()
        await server.stop()
    print(f"\n{'lines':>6} {'format':<15} {'right':>6} {'s/task':>7}")
    for (size, edit_format), values in sorted(results.items()):
        right = sum(ok for ok, _ in values)
        seconds = sum(s for _, s in values) / len(values)
        print(f"{size:>6} {edit_format:<15} {right:>3}/{len(values):<2} {seconds:>7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qwen", default=os.environ.get("CHATLS_BENCH_QWEN", quality.QWEN_DEFAULT))
    parser.add_argument("--sizes", default="20,60,120")
    parser.add_argument("--per-size", type=int, default=2)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
