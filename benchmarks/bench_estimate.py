"""Throughput and memory of ``claude-quote estimate`` against raw tiktoken, in the same run.

    python benchmarks/bench_estimate.py                  # 100,000 requests
    python benchmarks/bench_estimate.py --size-mb 1024   # a ~1 GB file: the memory check
    python benchmarks/bench_estimate.py --model claude-opus-4-7   # every request on the claude-4.7 tokenizer

Paired runs on a shared machine (the two commands in turn, loop then ours, several times; take the
ratio pair by pair and its median):

    python benchmarks/bench_estimate.py --requests 50000 --write /tmp/b.jsonl
    for i in 1 2 3 4 5; do
        python benchmarks/bench_estimate.py --loop /tmp/b.jsonl >>/tmp/loop.jsonl
        python benchmarks/bench_estimate.py --ours /tmp/b.jsonl >>/tmp/ours.jsonl
    done

(``--loop`` and ``--ours`` print their own timings as JSON, one line a run.)

The floors tokenize with ``cl100k_base`` as tiktoken itself builds it (:func:`tiktoken_encoding`).
estimate builds the same encoder with a faster pattern from tiktoken 0.13 on (the same tokens:
``claude_quote.tokens.encoding.FAST_PAT_STR``); ``--loop FILE --floor-pattern fast`` times the loop
with that pattern too, to show how much of the ratio it is.

It writes a Message Batches JSONL file into a temporary directory, then runs three measurements, each
in its own process so each peak RSS is its own:

- the loop floor: a plain ``encode_ordinary`` loop (one thread) over exactly the texts estimate counts
  (system prompts and message texts), read into memory first, and only the encoding timed;
- the batch floor: tiktoken's ``encode_ordinary_batch`` (its own thread pool) over the same texts;
- ours: ``claude_quote.estimate()`` on the file: reading, parsing, counting (tiktoken, the content-class
  scan and the counting model), pricing and the token band, all timed.

It prints requests/s, tokens/s (tiktoken tokens of the same texts), peak RSS, and the ratio of our
throughput to each floor's (goal: at least 0.8 × the loop). Not part of the test run; results are
recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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
    "retention",
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
]
SYSTEMS = [
    "You are a support lead. Summarize the ticket in two sentences and name the product area.",
    "You classify customer messages as billing, bug, feature request or other. Reply with one word.",
    "You are an analyst. Extract every date, amount and product name from the text as JSON.",
]


def _text(rng: random.Random, words: int) -> str:
    sentence: list[str] = []
    out: list[str] = []
    for _ in range(words):
        sentence.append(rng.choice(WORDS))
        if len(sentence) >= rng.randint(8, 18):
            out.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    if sentence:
        out.append(" ".join(sentence).capitalize() + ".")
    return " ".join(out)


def generate(
    path: Path,
    *,
    requests: int | None,
    size_mb: int | None,
    seed: int = 7,
    model: str | None = None,
    system_words: int | None = None,
) -> int:
    """Write the requests; every request names ``model`` when given, else two of three name Sonnet 4.6
    and one Haiku 4.5 (both the claude-3 tokenizer). With ``system_words``, every request has the same
    system prompt of that many words (instructions and examples, as a real batch often has) instead
    of one of three short ones."""
    systems = SYSTEMS if system_words is None else [_text(random.Random(seed + 1), system_words)]
    rng = random.Random(seed)
    limit = None if size_mb is None else size_mb * 1024 * 1024
    written = count = 0
    with path.open("w", encoding="utf-8") as out:
        while (requests is None or count < requests) and (limit is None or written < limit):
            count += 1
            params: dict[str, Any] = {
                "model": model or ("claude-sonnet-4-6" if count % 3 else "claude-haiku-4-5"),
                "max_tokens": 1024,
                "system": systems[count % len(systems)],
                "messages": [{"role": "user", "content": _text(rng, rng.randint(60, 360))}],
            }
            line = json.dumps({"custom_id": f"req-{count:07d}", "params": params}) + "\n"
            out.write(line)
            written += len(line)
    return count


def _texts(path: Path) -> list[str]:
    texts: list[str] = []
    with path.open("rb") as handle:
        for raw in handle:
            params = json.loads(raw)["params"]
            texts.append(params["system"] + "\n" + params["messages"][0]["content"])
    return texts


def tiktoken_encoding(pattern: str = "official") -> Any:
    """``cl100k_base`` as tiktoken itself builds it (``tiktoken.get_encoding("cl100k_base")``: its
    pattern, ranks and special tokens), offline, from the copy claude-quote ships: the floors'
    tokenizer. ``pattern="fast"`` builds it with the pattern estimate counts with under the installed
    tiktoken (``claude_quote.tokens.encoding.counting_pattern``: the same tokens; from tiktoken 0.13,
    about 1.4× as fast), to show how much of the ratio is that pattern."""
    import tiktoken

    from claude_quote.tokens import encoding

    ranks = encoding.bundled_ranks()
    assert ranks is not None, "claude-quote ships cl100k_base's ranks"
    pat_str = encoding.PAT_STR if pattern == "official" else encoding.counting_pattern(tiktoken.__version__)
    return tiktoken.Encoding(
        name=f"cl100k_base-{pattern}",
        pat_str=pat_str,
        mergeable_ranks=ranks.to_dict(),
        special_tokens=encoding.SPECIAL_TOKENS,
    )


def run_floor(path: Path, pattern: str = "official") -> dict[str, Any]:
    encoding = tiktoken_encoding(pattern)
    texts = _texts(path)
    start, cpu = time.perf_counter(), _cpu()
    tokens = sum(len(ids) for ids in encoding.encode_ordinary_batch(texts))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": _cpu() - cpu,
        "requests": len(texts),
        "tokens": tokens,
        "peak_rss_mb": _peak_mb(),
    }


def run_loop(path: Path, pattern: str = "official") -> dict[str, Any]:
    encoding = tiktoken_encoding(pattern)
    texts = _texts(path)
    encode = encoding.encode_ordinary
    start, cpu = time.perf_counter(), _cpu()
    tokens = 0
    for text in texts:
        tokens += len(encode(text))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": _cpu() - cpu,
        "requests": len(texts),
        "tokens": tokens,
        "peak_rss_mb": _peak_mb(),
    }


def run_ours(path: Path, jobs: int = 1) -> dict[str, Any]:
    from datetime import date

    from claude_quote.estimate import EstimateOptions, estimate
    from claude_quote.tokens.encoding import load_encoding

    load_encoding()  # loading the encoding (~0.1 s) is not part of the throughput
    start, cpu = time.perf_counter(), _cpu()
    result = estimate([path], EstimateOptions(output_tokens=200), at=date(2026, 11, 25), jobs=jobs)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": _cpu() - cpu,
        "jobs": jobs,
        "requests": result.requests,
        "claude_tokens": result.input_tokens,
        "total": str(result.realtime.total),
        "peak_rss_mb": _peak_mb(),
    }


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the workers of ``--jobs``)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _child(mode: str, path: Path, src: Path | None = None) -> dict[str, Any]:
    env = None if src is None else {**os.environ, "PYTHONPATH": str(src.resolve())}
    proc = subprocess.run(
        [sys.executable, __file__, f"--{mode}", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument(
        "--model", help="every request names this model (e.g. claude-opus-4-7: the claude-4.7 tokenizer)"
    )
    parser.add_argument(
        "--write",
        type=Path,
        metavar="FILE",
        help="only write the requests to FILE (to time --loop/--ours on it)",
    )
    parser.add_argument("--size-mb", type=int, help="generate a file of about this size instead")
    parser.add_argument(
        "--system-words",
        type=int,
        metavar="N",
        help="every request has the same system prompt of N words (a long shared prompt)",
    )
    parser.add_argument("--skip-floor", action="store_true", help="only measure estimate (for huge files)")
    parser.add_argument("--src", type=Path, help="also measure estimate from this source tree (PYTHONPATH)")
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--loop", type=Path, metavar="FILE", help="only time the plain loop on FILE (JSON)")
    parser.add_argument("--ours", type=Path, metavar="FILE", help="only time estimate on FILE (JSON)")
    parser.add_argument(
        "--floor-pattern",
        choices=["official", "fast"],
        default="official",
        help="the floors' pattern: tiktoken's own (the goal's floor), or the one estimate counts with",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="with --ours: worker processes (the CLI's default is one per core)",
    )
    args = parser.parse_args()
    if args.floor:
        print(json.dumps(run_floor(args.floor, args.floor_pattern)))
        return
    if args.loop:
        print(json.dumps(run_loop(args.loop, args.floor_pattern)))
        return
    if args.ours:
        print(json.dumps(run_ours(args.ours, args.jobs)))
        return
    if args.write:
        generate(
            args.write,
            requests=None if args.size_mb else args.requests,
            size_mb=args.size_mb,
            model=args.model,
            system_words=args.system_words,
        )
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.jsonl"
        count = generate(
            path,
            requests=None if args.size_mb else args.requests,
            size_mb=args.size_mb,
            model=args.model,
            system_words=args.system_words,
        )
        size = path.stat().st_size / 1024 / 1024
        print(f"file: {count:,} requests, {size:,.1f} MB")
        loop = None if args.skip_floor else _child("loop", path)
        floor = None if args.skip_floor else _child("floor", path)
        ours = _child("ours", path)
        other = None if args.src is None else _child("ours", path, args.src)
    if other is not None:
        print(
            f"claude-quote estimate from {args.src}: {other['requests'] / other['seconds']:,.0f} requests/s, "
            f"peak RSS {other['peak_rss_mb']:,.0f} MB ({other['seconds']:.2f} s)"
        )
    if floor is not None and loop is not None:
        tokens = floor["tokens"]
        print(
            f"floor (plain encode_ordinary loop):     {loop['requests'] / loop['seconds']:,.0f} requests/s, "
            f"{tokens / loop['seconds']:,.0f} tokens/s, peak RSS {loop['peak_rss_mb']:,.0f} MB "
            f"({loop['seconds']:.2f} s)"
        )
        print(
            f"floor (tiktoken encode_ordinary_batch): {floor['requests'] / floor['seconds']:,.0f} requests/s, "
            f"{tokens / floor['seconds']:,.0f} tokens/s, peak RSS {floor['peak_rss_mb']:,.0f} MB "
            f"({floor['seconds']:.2f} s)"
        )
        print(
            f"claude-quote estimate:                 {ours['requests'] / ours['seconds']:,.0f} requests/s, "
            f"{tokens / ours['seconds']:,.0f} tokens/s, peak RSS {ours['peak_rss_mb']:,.0f} MB "
            f"({ours['seconds']:.2f} s)"
        )
        print(f"ratio (ours / loop floor throughput):  {loop['seconds'] / ours['seconds']:.2f}  (goal ≥ 0.8)")
        print(
            f"CPU seconds: loop {loop['cpu']:.2f}, batch {floor['cpu']:.2f}, ours {ours['cpu']:.2f}"
            + ("" if other is None else f", {args.src} {other['cpu']:.2f}")
        )
        print(f"ratio (ours / batch floor throughput): {floor['seconds'] / ours['seconds']:.2f}")
    else:
        print(
            f"claude-quote estimate: {ours['requests'] / ours['seconds']:,.0f} requests/s, "
            f"{size / ours['seconds']:,.1f} MB/s, peak RSS {ours['peak_rss_mb']:,.0f} MB ({ours['seconds']:.2f} s)"
        )


if __name__ == "__main__":
    main()
