"""Turn recorded bench replies into the replay table the test suite runs (tests/replays.jsonl).

    python bench/curate.py bench/.quality/<run>.replayed.jsonl ... [--size 90]

Each input is a run replayed through today's code (``quality.py --replay``). Every reply that
was refused or judged wrong is kept (the failure shapes), then right ones until each language
and action is covered and the table has ``--size`` rows. A row holds the document, the
selection, the reply exactly as the model sent it, and the expected document or the expected
refusal; ``usable`` marks replies that hold an answer a careful human could apply (the bench's
oracle, reviewed by hand for the refused ones). Wrong results are never written: the pipeline
must be fixed first.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import quality  # noqa: E402

TABLE = HERE.parent / "tests" / "replays.jsonl"


def shape(reply: str, structured: bool, finish: str | None) -> str:
    """A short name for the reply's form, for reading the table."""
    parts = []
    if finish == "length":
        parts.append("cut off")
    if structured or reply.lstrip().startswith("{"):
        parts.append("json")
    fences = reply.count("```")
    if fences:
        parts.append("fenced" if fences <= 2 else f"{(fences + 1) // 2} blocks")
    else:
        parts.append("unfenced")
    if re.search(r"^<{5,9} ?SEARCH", reply, re.M):
        parts.append("search/replace")
    if re.search(r"^@@", reply, re.M):
        parts.append("diff")
    text = re.sub(r"```.*", "", reply)
    if re.search(r"^[A-Z][a-z]+ [a-z]+ [a-z]+.*[.:]$", text, re.M):
        parts.append("prose")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--size", type=int, default=110)
    parser.add_argument(
        "--per-kind", type=int, default=5, help="rows per language, action, model and mode"
    )
    parser.add_argument("--out", type=Path, default=TABLE)
    args = parser.parse_args()
    tasks = {t.id: t for t in quality.make_tasks(["python", "javascript", "go", "rust"])}
    rows = []
    for path in args.runs:
        for line in path.read_text().splitlines():
            record = quality.Record(**json.loads(line))
            task = tasks.get(record.task)
            if task is None or task.action == "explain" or not record.reply:
                continue
            verdict = quality.judge(task, record)
            if verdict.verdict == "wrong":
                sys.exit(f"{path.name} {task.id}: a wrong edit ({verdict.reason}); fix that first")
            rows.append((task, record, verdict))
    failures = [r for r in rows if r[2].verdict != "right"]
    rights = [r for r in rows if r[2].verdict == "right"]
    # Every failure shape in every language, for each model and mode; a shape seen many
    # times (small models echo the same way again and again) is kept twice.
    shapes: collections.Counter[tuple[str, ...]] = collections.Counter()
    chosen = []
    for task, record, verdict in failures:
        key = (task.language, task.action, record.model, record.mode, verdict.reason)
        shapes[key] += 1
        if shapes[key] <= 2:
            chosen.append((task, record, verdict))
    seen = collections.Counter((t.language, t.action, rec.model, rec.mode) for t, rec, _ in chosen)
    for task, record, verdict in sorted(
        rights, key=lambda r: seen[(r[0].language, r[0].action, r[1].model, r[1].mode)]
    ):
        if len(chosen) >= args.size:
            break
        key = (task.language, task.action, record.model, record.mode)
        if seen[key] >= args.per_kind:
            continue
        seen[key] += 1
        chosen.append((task, record, verdict))
    out = []
    ids: collections.Counter[str] = collections.Counter()
    replies = set()
    for task, record, verdict in chosen:
        if (task.id, record.reply) in replies:
            continue  # the same reply to the same task in another run
        replies.add((task.id, record.reply))
        name = f"{record.model}-{record.mode}-{task.id}"
        ids[name] += 1
        out.append(
            {
                "id": name if ids[name] == 1 else f"{name}-run{ids[name]}",
                "language": task.language,
                "action": task.action,
                "source": task.source,
                "document": task.text,
                "start": task.start,
                "end": task.end,
                "diagnostic": task.diagnostic,
                "instruction": task.instruction,
                "structured": record.mode == "jsonSchema",
                "reply": record.reply,
                "finish": record.finish,
                "shape": shape(record.reply, record.structured, record.finish),
                "usable": quality.usable(task, record.reply),
                "expected": record.after if verdict.verdict == "right" else None,
                "refusal": quality.refusal_key(record.error or "") if record.error else None,
                "message": record.error,
            }
        )
    out.sort(key=lambda row: row["id"])
    args.out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in out))
    counts = collections.Counter((row["language"], row["action"]) for row in out)
    print(
        f"{len(out)} rows in {args.out}: "
        + ", ".join(f"{k[0]} {k[1]} {v}" for k, v in sorted(counts.items()))
    )
    print(
        "refusals: "
        + ", ".join(
            f"{k} {v}"
            for k, v in collections.Counter(
                row["refusal"] for row in out if row["refusal"]
            ).most_common()
        )
    )
    print(
        f"usable: {sum(row['usable'] for row in out)}, usable and refused: {sum(row['usable'] and row['refusal'] is not None for row in out)}"
    )


if __name__ == "__main__":
    main()
