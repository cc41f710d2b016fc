"""``claude-quote plan`` and ``plan --split`` against their floors, in paired processes.

    python benchmarks/bench_plan.py                      # 100,000 requests (about 1.8 GB)
    python benchmarks/bench_plan.py --requests 10000     # a quicker look
    python benchmarks/bench_plan.py --one-core           # every process pinned to one CPU

It writes a Message Batches JSONL file into a temporary directory (see :func:`generate`), then times,
each in a fresh process and alternating for ``--rounds`` rounds:

- the plan floor: ``json.loads`` of every line of the file, nothing else (the plainest code that
  reads every request of the file);
- ``claude_quote.plan()`` on the file: reading, every check, counting the requests that could reach
  a limit, the source's sha256, the split plan;
- the split floor: ``json.loads`` of every line and a copy of each line into its part file, the
  parts cut as plan cuts them (at most 100,000 requests and 256,000,000 bytes of body), each part
  flushed to disk (``fsync``) as plan does;
- ``plan()`` with ``split=DIR``: all of the above, the parts written atomically and read back.

It prints the median wall-clock time of each and the ratio ours ÷ floor, of the medians and the
median of the per-round ratios (the goal is 1.3 or less, issue #16), and the same for CPU time (all threads, user + system): the cost on one core, which is
what remains when plan's second thread (hashing, writing) has no CPU of its own. On a shared machine
the CPU ratio is the steadier figure. ``--file`` measures a file of your own. Not part of the test
run; results are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

WORDS = [
    "the",
    "a",
    "customer",
    "invoice",
    "billing",
    "account",
    "seat",
    "charge",
    "refund",
    "export",
    "report",
    "error",
    "page",
    "user",
    "team",
    "plan",
    "monthly",
    "annual",
    "update",
    "please",
    "thanks",
    "support",
    "ticket",
    "issue",
    "because",
    "when",
    "after",
    "before",
    "while",
    "order",
    "delivery",
    "shipping",
    "address",
    "payment",
    "card",
    "failed",
    "succeeded",
    "pending",
    "review",
    "document",
    "summary",
    "policy",
    "contract",
    "renewal",
    "discount",
    "price",
    "increase",
    "decrease",
    "quarter",
    "revenue",
    "growth",
    "churn",
    "feature",
    "request",
    "bug",
    "crash",
    "login",
    "password",
    "reset",
    "email",
    "notification",
    "settings",
    "dashboard",
    "analytics",
    "data",
    "café",
    "naïve",
    "résumé",
    "façade",
    "—",
    "“quoted”",
    "🙂",
    "über",
]
SYSTEMS = [
    "You are a support lead. Summarize the ticket in two sentences and name the product area.",
    "You classify customer messages as billing, bug, feature request or other. Reply with one word.",
    "You are an analyst. Extract every date, amount and product name from the text as JSON.",
]
TOOL = {
    "name": "record_ticket",
    "description": "Record the ticket's category and urgency.",
    "input_schema": {
        "type": "object",
        "properties": {"category": {"type": "string"}, "urgency": {"type": "integer"}},
        "required": ["category"],
    },
}


def _text(rng: random.Random, words: int) -> str:
    out: list[str] = []
    sentence = 0
    for _ in range(words):
        out.append(rng.choice(WORDS))
        sentence += 1
        if sentence >= 14:
            out[-1] += "." if rng.random() < 0.8 else '."\n'
            sentence = 0
    return " ".join(out)


def generate(path: Path, requests: int, seed: int = 7) -> int:
    """A batch file like a real one, written by Python's ``json.dumps`` (non-ASCII as ``\\u`` escapes):
    about 18 KB a request; a third multi-turn, a fifth with a cached system prompt, a tenth with a tool;
    one request in 10,000 is long enough (50,000 words on claude-haiku-5-5, about 85,000 estimated
    tokens) that plan must count its tokens against the 100,000-token tier."""
    rng = random.Random(seed)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for count in range(1, requests + 1):
            big = count % 10_000 == 5_000
            model = (
                "claude-haiku-5-5"
                if big or count % 5 == 0
                else ("claude-sonnet-4-6", "claude-haiku-4-5")[count % 2]
            )
            text = _text(rng, 50_000 if big else rng.randint(1_500, 3_000))
            if count % 3 == 0:
                messages: list[dict[str, Any]] = [
                    {"role": "user", "content": text[: len(text) // 2]},
                    {"role": "assistant", "content": "Noted. Please send the rest."},
                    {"role": "user", "content": [{"type": "text", "text": text[len(text) // 2 :]}]},
                ]
            else:
                messages = [{"role": "user", "content": text}]
            params: dict[str, Any] = {"model": model, "max_tokens": 1024, "messages": messages}
            system = SYSTEMS[count % len(SYSTEMS)]
            params["system"] = (
                [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
                if count % 5 == 1
                else system
            )
            if count % 10 == 7:
                params["tools"] = [TOOL]
            line = json.dumps({"custom_id": f"req-{count:07d}", "params": params}) + "\n"
            out.write(line)
            written += len(line)
    return written


def _timed(run: Any) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result: dict[str, Any] = run()
    return {
        **result,
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def floor_plan(path: Path) -> dict[str, Any]:
    n = 0
    with path.open("rb") as handle:
        for raw in handle:
            json.loads(raw)
            n += 1
    return {"requests": n}


def floor_split(path: Path, folder: Path) -> dict[str, Any]:
    folder.mkdir()
    out = None
    index = count = size = 0

    def close() -> None:
        if out is not None:
            out.flush()
            os.fsync(out.fileno())
            out.close()

    with path.open("rb") as handle:
        for raw in handle:
            json.loads(raw)
            if out is None or count == 100_000 or size + len(raw) + 15 > 256_000_000:
                close()
                index += 1
                out = (folder / f"part-{index:04d}.jsonl").open("wb")
                count = size = 0
            out.write(raw)
            count += 1
            size += len(raw)
    close()
    return {"parts": index}


def ours(path: Path, folder: Path | None) -> dict[str, Any]:
    from datetime import date

    from claude_quote.plan import plan
    from claude_quote.pricing import load_pricing
    from claude_quote.tokens.encoding import load_encoding

    load_encoding()  # loading the encoding (~0.2 s) and the price table are start-up, not throughput
    load_pricing()

    def run() -> dict[str, Any]:
        result = plan(path, at=date(2026, 11, 25), split=folder)
        return {
            "requests": result.requests,
            "problems": len(result.problems),
            "parts": len(result.parts),
            "written": None if result.split is None else len(result.split.files),
        }

    return _timed(run)


def _child(mode: str, path: Path, folder: Path, one_core: bool) -> dict[str, Any]:
    if folder.exists():
        shutil.rmtree(folder)
    command = [sys.executable, __file__, "--child", mode, str(path), str(folder)]
    if one_core:
        command = ["taskset", "-c", "0", *command]
    proc = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _report(runs: dict[str, list[dict[str, Any]]], floor: str, mine: str) -> None:
    for key, label in (("seconds", "wall"), ("cpu", "cpu")):
        a = statistics.median(r[key] for r in runs[floor])
        b = statistics.median(r[key] for r in runs[mine])
        for mode, median in ((floor, a), (mine, b)):
            shown = ", ".join(f"{r[key]:.2f}" for r in runs[mode])
            print(f"{label:4s} {mode:12s} {median:7.2f} s   (runs: {shown})")
        pairs = [m[key] / f[key] for f, m in zip(runs[floor], runs[mine], strict=True)]
        print(
            f"{label:4s} ratio {mine} / {floor}: {b / a:.2f} of the medians, {statistics.median(pairs):.2f} the "
            f"median of the {len(pairs)} pairs ({', '.join(f'{r:.2f}' for r in pairs)})  (goal: 1.3 or less)"
        )
    rss = {mode: max(r["peak_rss_mb"] for r in runs[mode]) for mode in (floor, mine)}
    print(f"peak RSS: {floor} {rss[floor]:,.0f} MB, {mine} {rss[mine]:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one-core", action="store_true", help="pin every process to CPU 0 (taskset)")
    parser.add_argument("--only", choices=["plan", "split"], help="measure one of the two")
    parser.add_argument("--file", type=Path, help="measure this batch file instead of writing one")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path, folder = args.child[0], Path(args.child[1]), Path(args.child[2])
        runs = {
            "floor_plan": lambda: _timed(lambda: floor_plan(path)),
            "floor_split": lambda: _timed(lambda: floor_split(path, folder)),
            "plan": lambda: ours(path, None),
            "split": lambda: ours(path, folder),
        }
        print(json.dumps(runs[mode]()))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "batch.jsonl"
        if args.file is None:
            generate(path, args.requests)
        print(
            f"file: {path.stat().st_size / 1e9:,.2f} GB; {os.cpu_count()} CPUs"
            f"{', every process pinned to one' if args.one_core else ''}; {args.rounds} rounds, in turn"
        )
        pairs = [("floor_plan", "plan"), ("floor_split", "split")]
        if args.only:
            pairs = [pair for pair in pairs if pair[1] == args.only]
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for pair in pairs for mode in pair}
        load = os.getloadavg()
        for _ in range(args.rounds):
            for pair in pairs:
                for mode in pair:
                    runs[mode].append(_child(mode, path, Path(tmp) / "out", args.one_core))
        for floor, mine in pairs:
            _report(runs, floor, mine)
        print(f"load average (1, 5, 15 min) {' '.join(f'{x:.1f}' for x in load)} before, ", end="")
        print(f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} after")


if __name__ == "__main__":
    main()
