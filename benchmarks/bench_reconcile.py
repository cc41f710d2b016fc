"""``reconcile``, ``reconcile --requests`` and ``calibrate`` on large files, against their floor.

    python benchmarks/bench_reconcile.py                         # 1,000,000 result lines, 3 rounds
    python benchmarks/bench_reconcile.py --lines 200000 --rounds 5
    python benchmarks/bench_reconcile.py --joins --lines 100000  # also --requests and calibrate (memory)

It writes a Message Batches results file (and, with ``--joins``, the request file of the same batch)
into a temporary directory, then runs each measurement in its own process, so each peak RSS is its own,
in pairs (floor, ours, floor, ours, ...) so both see the same machine:

- the floor: ``json.loads`` of every line and the integer sums of every succeeded line's usage: the
  least any exact reconcile has to do;
- ``reconcile_results()``: reading, validating (the duplicate custom_id check included), pricing every
  request in its tier, batch and real time, the report;
- with ``--joins``: ``reconcile --requests`` (estimate every request, join by custom_id, price both
  sides per request) and ``calibrate`` (the same join twice, the percentiles), for their peak memory;
  their floor is ``estimate`` of the same request file (the counting they all start with).

It prints the median time and peak RSS of each, and the median of the per-pair ratios ours ÷ floor.
Goals (issue #16, #13): reconcile ≤ 1.2× its floor on 1,000,000 lines; every command's memory flat
(under 200 MB at 1,000,000 lines). Not part of the test run; docs/performance.md records runs.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DAY = "2026-11-25"
RATIO_GOAL = 1.2
MEMORY_GOAL_MB = 200

_MODELS = (
    # model, share (cumulative), prompt range: a 200K-free Sonnet, dated Haiku, tiered Haiku 5.5, Opus
    ("claude-sonnet-4-6", 0.60, 30_000),
    ("claude-haiku-4-5-20251001", 0.85, 8_000),
    ("claude-haiku-5-5", 0.95, 140_000),
    ("claude-opus-4-7", 1.00, 60_000),
)
_TEXT = "The contract renews automatically unless either party gives notice in writing..."


def _pick_model(rng: random.Random) -> tuple[str, int]:
    pick = rng.random()
    model, _, prompt = next(m for m in _MODELS if pick < m[1])
    return model, rng.randint(1, prompt)


def _result_line(rng: random.Random, n: int, model: str, prompt: int) -> str:
    custom_id = f"req-{n:08d}"
    kind = rng.random()
    if kind < 0.02:
        return json.dumps(
            {
                "custom_id": custom_id,
                "result": {
                    "type": "errored",
                    "error": {
                        "type": "error",
                        "error": {"type": "overloaded_error", "message": "Overloaded"},
                    },
                },
            }
        )
    if kind < 0.03:
        return json.dumps({"custom_id": custom_id, "result": {"type": "canceled"}})
    if kind < 0.04:
        return json.dumps({"custom_id": custom_id, "result": {"type": "expired"}})
    write = rng.choice((0, 0, 0, rng.randint(1, 4_000)))
    read = rng.choice((0, 0, rng.randint(1, 20_000)))
    usage: dict[str, Any] = {
        "input_tokens": prompt,
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": write},
        "output_tokens": rng.randint(1, 2_000),
        "service_tier": "batch",
        "inference_geo": "global",
    }
    if rng.random() < 0.01:
        del usage["cache_creation"]  # an older response: cache writes without the 5m/1h split
    if model == "claude-opus-4-7" and rng.random() < 0.2:
        usage["server_tool_use"] = {"web_search_requests": rng.randint(1, 5), "web_fetch_requests": 0}
    message = {
        "id": f"msg_{n:024x}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": _TEXT}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }
    return json.dumps({"custom_id": custom_id, "result": {"type": "succeeded", "message": message}})


def generate(results: Path, requests: Path | None, lines: int, seed: int = 16) -> None:
    """A results file of ``lines`` lines and (optionally) the request file of the same batch: one
    short request per custom_id, on the model that answered it."""
    rng = random.Random(seed)
    words = _TEXT.split()
    with results.open("w", encoding="utf-8") as out, (requests or Path("/dev/null")).open("w") as sent:
        for n in range(1, lines + 1):
            model, prompt = _pick_model(rng)
            if requests is None:
                out.write(_result_line(rng, n, model, prompt) + "\n")
                continue
            text = " ".join(rng.choice(words) for _ in range(rng.randint(20, 80)))
            # what Claude counts of that text: about 1.3 tokens a word and a framing of 10
            out.write(_result_line(rng, n, model, 10 + len(text.split()) * 13 // 10) + "\n")
            if requests is not None:
                params = {"model": model, "max_tokens": 1024, "messages": [{"role": "user", "content": text}]}
                sent.write(json.dumps({"custom_id": f"req-{n:08d}", "params": params}) + "\n")


# --- what each child process runs ---------------------------------------------------------------------


def floor_reconcile(path: Path) -> dict[str, Any]:
    """``json.loads`` per line and the integer sums of the usage buckets of every succeeded line."""
    loads = json.loads
    sums = [0, 0, 0, 0, 0, 0]
    lines = 0
    with path.open("rb") as handle:
        for raw in handle:
            lines += 1
            result = loads(raw)["result"]
            if result["type"] != "succeeded":
                continue
            usage = result["message"]["usage"]
            split = usage.get("cache_creation")
            if split:
                sums[1] += split.get("ephemeral_5m_input_tokens", 0)
                sums[2] += split.get("ephemeral_1h_input_tokens", 0)
            else:
                sums[1] += usage.get("cache_creation_input_tokens", 0)
            sums[0] += usage.get("input_tokens", 0)
            sums[3] += usage.get("cache_read_input_tokens", 0)
            sums[4] += usage.get("output_tokens", 0)
            tools = usage.get("server_tool_use")
            if tools:
                sums[5] += tools.get("web_search_requests", 0)
    return {"lines": lines, "check": sums[0] + sums[4]}


def ours_reconcile(path: Path) -> dict[str, Any]:
    from datetime import date

    from claude_quote.reconcile import reconcile_results

    actuals = reconcile_results(path, at=date.fromisoformat(DAY))
    return {"lines": actuals.counts.total, "check": actuals.usage.input_tokens + actuals.usage.output_tokens}


def floor_estimate(requests: Path) -> dict[str, Any]:
    from datetime import date

    from claude_quote.estimate import estimate

    result = estimate([requests], at=date.fromisoformat(DAY))
    return {"lines": result.requests}


def ours_compare(requests: Path, results: Path) -> dict[str, Any]:
    from typer.testing import CliRunner

    from claude_quote.cli import app

    argv = ["reconcile", str(results), "--requests", str(requests), "--at", DAY, "--format", "json"]
    out = CliRunner().invoke(app, argv)
    if out.exit_code != 0:
        raise SystemExit(out.output)
    return {"lines": json.loads(out.stdout)["comparison"]["requests"]}


def ours_calibrate(requests: Path, results: Path) -> dict[str, Any]:
    from datetime import date

    from claude_quote.calibrate import calibrate

    report = calibrate(requests, results, at=date.fromisoformat(DAY))
    return {"lines": report.joined}


_CHILDREN = {
    "floor-reconcile": lambda a: floor_reconcile(a[1]),
    "reconcile": lambda a: ours_reconcile(a[1]),
    "floor-estimate": lambda a: floor_estimate(a[0]),
    "compare": lambda a: ours_compare(a[0], a[1]),
    "calibrate": lambda a: ours_calibrate(a[0], a[1]),
}


def _child_main(mode: str, requests: Path, results: Path) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    out = _CHILDREN[mode]((requests, results))
    out["seconds"] = time.perf_counter() - started
    out["cpu"] = time.process_time() - cpu
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(out))


def _child(mode: str, requests: Path, results: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(requests), str(results)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return result


def _pairs(floor: str, ours: str, rounds: int, requests: Path, results: Path) -> None:
    floors: list[dict[str, Any]] = []
    mine: list[dict[str, Any]] = []
    for _ in range(rounds):
        floors.append(_child(floor, requests, results))
        mine.append(_child(ours, requests, results))
    ratios = [m["seconds"] / f["seconds"] for f, m in zip(floors, mine, strict=True)]
    cpu_ratios = [m["cpu"] / f["cpu"] for f, m in zip(floors, mine, strict=True)]
    for name, runs in ((floor, floors), (ours, mine)):
        seconds = [r["seconds"] for r in runs]
        cpu = [r["cpu"] for r in runs]
        peak = max(r["peak_rss_mb"] for r in runs)
        print(
            f"  {name:<16} median {statistics.median(seconds):7.2f} s wall (min {min(seconds):.2f}, max "
            f"{max(seconds):.2f}), {statistics.median(cpu):7.2f} s CPU, peak RSS {peak:6.0f} MB"
        )
    print(
        f"  {ours} ÷ {floor}, median of {rounds} paired ratios: wall {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}), CPU {statistics.median(cpu_ratios):.2f} "
        f"(min {min(cpu_ratios):.2f}, max {max(cpu_ratios):.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="result lines (and requests)")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of runs (floor, ours)")
    parser.add_argument("--joins", action="store_true", help="also reconcile --requests and calibrate")
    parser.add_argument("--only-joins", action="store_true", help="skip plain reconcile")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "REQUESTS", "RESULTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child_main(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        results, requests = Path(folder) / "results.jsonl", Path(folder) / "requests.jsonl"
        generate(results, requests if (args.joins or args.only_joins) else None, args.lines)
        size = results.stat().st_size / 1024 / 1024
        print(f"results: {args.lines:,} lines, {size:,.0f} MB; python {sys.version.split()[0]}")
        if not args.only_joins:
            print(f"reconcile (goal ≤ {RATIO_GOAL}× the floor, peak under {MEMORY_GOAL_MB} MB):")
            _pairs("floor-reconcile", "reconcile", args.rounds, requests, results)
        if args.joins or args.only_joins:
            print(
                f"requests: {requests.stat().st_size / 1024 / 1024:,.0f} MB (peak goal {MEMORY_GOAL_MB} MB)"
            )
            _pairs("floor-estimate", "compare", args.rounds, requests, results)
            _pairs("floor-estimate", "calibrate", args.rounds, requests, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
