"""Projection speed: a 120-month what-if over 50 workloads × 3 models × 3 modes; and the whole
`project --format json` of 500 workloads × 1,200 months against a plain-Decimal floor.

    python benchmarks/bench_projection.py [--workloads 50] [--months 120] [--repeat 5]
    python benchmarks/bench_projection.py --matrix [--workloads 500] [--months 1200] [--repeat 3]

``--matrix`` writes a spec of ``--workloads`` workloads (four models, per day, week and month,
growth from -2% to +4% a month, a cache hit rate, a batch share on one in five) and times, as paired
processes (floor, ours, floor, ours, ...), with each process's CPU time and peak RSS:

- the floor: the same matrix in plain ``Decimal`` (each workload's rates read once, then per month
  the compounding volume, its tokens, real time, batch with caching, the blend and the savings, and
  the month totals) with each row written as a JSON object with the report's keys by the C encoder
  (``json.dumps``, no indentation) to /dev/null;
- ours: ``claude-quote project --spec SPEC --months M --format json --quiet`` to /dev/null (335 MB
  of indented JSON at 500 × 1,200), everything included (start-up, the price table, rendering).

Goal (issue #16): ours ≤ 1.5× the floor, memory linear in rows with a small constant.

Times `compare()` (every workload on Opus, Sonnet and Haiku in real time, batch and batch + cache)
and `project()` of the same workloads, in process, the price table already loaded. The baseline in
the same run is pricing the same number of workload-months with one `cost()` call each, which is
what a projection would cost without caching the rates per price entry. Target: compare under 1 s.
Results are recorded in docs/performance.md ("Projections").
"""

from __future__ import annotations

import argparse
import decimal
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from claude_quote import Usage, cost, load_pricing
from claude_quote.projections import compare, month_starts, project
from claude_quote.workload_spec import Workload

MODELS = ["opus", "sonnet", "haiku"]
TARGET_S = 1.0


def workloads(count: int) -> list[Workload]:
    """``count`` different workloads: tokens, volumes and growth vary; all have a cache hit rate."""
    return [
        Workload(
            name=f"w{i}",
            model="sonnet",
            usage=Usage(
                input_tokens=1_000 + 37 * i, cache_read_tokens=5_000 + 11 * i, output_tokens=300 + 7 * i
            ),
            requests=1_000 + 13 * i,
            per=("day", "week", "month")[i % 3],
            growth_percent=Decimal(i % 7) - 2,
            cache_hit_rate=Decimal("0.8"),
        )
        for i in range(count)
    ]


MATRIX_GOAL = 1.5
_SPEC_MODELS = ["sonnet-4.6", "haiku-4.5", "opus-4.7", "haiku-5.5"]


def write_spec(path: Path, count: int) -> None:
    lines = ["schema_version = 1", ""]
    for i in range(count):
        lines += [
            "[[workloads]]",
            f'name = "w{i}"',
            f'model = "{_SPEC_MODELS[i % 4]}"',
            f"requests = {1000 + 13 * i}",
            f'per = "{("day", "week", "month")[i % 3]}"',
            f"growth_percent = {(i % 7) - 2}",
            "cache_hit_rate = 0.8",
        ]
        if i % 5 == 0:
            lines.append("batch_share = 0.7")
        lines += ["", "[workloads.tokens]", f"input = {1000 + 37 * i}", f"cache_read = {5000 + 11 * i}"]
        lines += [f"output = {300 + 7 * i}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def floor_matrix(spec: Path, months: int) -> None:
    """The matrix in plain Decimal, each row written by json.dumps (see the module docstring)."""
    from claude_quote.engine import Engine, Modifiers
    from claude_quote.workload_spec import load_workload_spec

    items = load_workload_spec(spec).to_workloads()
    engine = Engine()
    starts = month_starts(date(2026, 12, 1), months)
    days = [Decimal(((date(m.year + m.month // 12, m.month % 12 + 1, 1)) - m).days) for m in starts]
    decimal.setcontext(decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN))
    totals = [[0, 0, 0, Decimal(0), Decimal(0), Decimal(0), Decimal(0)] for _ in starts]
    one = Decimal(1)
    with Path(os.devnull).open("w") as out:
        write = out.write
        for w in items:
            rt = engine.card(w.model, starts[0])
            bt = engine.card(w.model, starts[0], Modifiers(mode="batch"))
            u = w.usage
            sample = u.buckets()
            tier = rt.tier_of_total(u.prompt_tokens, w.sample_requests)
            r = [x or Decimal(0) for x in rt.rates[tier]]
            b = [x or Decimal(0) for x in bt.rates[tier]]
            web = rt.web_search or Decimal(0)
            hit = w.cache_hit_rate
            share = Decimal(1) if w.batch_share is None else w.batch_share
            growth = 1 + w.growth_percent / 100
            factor = one
            per = {"day": 1, "week": 7}.get(w.per)
            for k, month in enumerate(starts):
                base = w.requests if per is None else w.requests * days[k] / per
                exact = base * factor
                n = int(exact.quantize(one))
                t = [x * n for x in sample]
                realtime = (r[0] * t[0] + r[1] * t[1] + r[2] * t[2] + r[3] * t[3] + r[4] * t[4]) / 1_000_000
                realtime += web * t[5] / 1000
                if hit is None:
                    ct = t
                else:
                    cacheable = t[1] + t[2] + t[3]
                    reads = int((cacheable * hit).quantize(one))
                    ct = [t[0], 0, cacheable - reads, reads, t[4], t[5]]
                cached = (b[0] * ct[0] + b[2] * ct[2] + b[3] * ct[3] + b[4] * ct[4]) / 1_000_000 + web * ct[
                    5
                ] / 1000
                nb = int((n * share).quantize(one))
                if nb == n:
                    blended = cached
                else:
                    part = [x * nb // max(n, 1) for x in ct]
                    rest = [x - x * nb // max(n, 1) for x in t]
                    blended = (r[0] * rest[0] + r[3] * rest[3] + r[4] * rest[4]) / 1_000_000
                    blended += (b[0] * part[0] + b[2] * part[2] + b[3] * part[3] + b[4] * part[4]) / 1_000_000
                savings = realtime - blended
                row = {
                    "month": month.isoformat()[:7],
                    "days": str(days[k]),
                    "requests_unrounded": str(exact),
                    "requests": n,
                    "batch_requests": nb,
                    "input_tokens": t[0] + t[1] + t[2] + t[3],
                    "output_tokens": t[4],
                    "realtime_cost": str(realtime),
                    "batch_cost": str(cached),
                    "blended_cost": str(blended),
                    "savings": str(savings),
                    "price_effective_from": rt.effective_from.isoformat(),
                    "retired": False,
                }
                write(json.dumps(row) + "\n")
                total = totals[k]
                total[0] += n
                total[1] += row["input_tokens"]
                total[2] += t[4]
                total[3] += realtime
                total[4] += cached
                total[5] += blended
                total[6] += savings
                factor *= growth
        for k, total in enumerate(totals):
            write(json.dumps([starts[k].isoformat()[:7], *total[:3], *(str(x) for x in total[3:])]) + "\n")


def _run(argv: list[str]) -> tuple[float, float, float]:
    """CPU seconds, wall seconds and peak RSS (MB) of one process, its output to /dev/null."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    with Path(os.devnull).open("w") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{argv[:4]} failed ({status})")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def matrix(workloads: int, months: int, repeat: int) -> None:
    script = Path(sys.executable).parent / "claude-quote"
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "workloads.toml"
        write_spec(spec, workloads)
        floor = [sys.executable, __file__, "--floor-matrix", str(spec), str(months)]
        ours = [str(script), "project", "--spec", str(spec), "--months", str(months), "--start", "2026-12"]
        ours += ["--format", "json", "--quiet"]  # --quiet: the JSON alone (no warnings copied to stderr)
        _run(ours)  # warm-up: .pyc files, the file cache
        pairs = [(_run(floor), _run(ours)) for _ in range(repeat)]
    rows = workloads * months
    print(f"{workloads} workloads × {months} months = {rows:,} rows; {repeat} pairs (floor, ours), medians")
    print(f"  python {sys.version.split()[0]}; start-up included; peak RSS per process")
    for name, index in (
        ("floor (plain Decimal, json.dumps per row)", 0),
        ("claude-quote project --format json", 1),
    ):
        cpu = statistics.median(p[index][0] for p in pairs)
        wall = statistics.median(p[index][1] for p in pairs)
        peak = max(p[index][2] for p in pairs)
        print(
            f"  {name:<44} CPU {cpu:7.2f} s  wall {wall:7.2f} s  peak RSS {peak:7.0f} MB ({peak * 1024 / rows:,.0f} B a row)"
        )
    cpu_ratio = statistics.median(o[0] / f[0] for f, o in pairs)
    wall_ratio = statistics.median(o[1] / f[1] for f, o in pairs)
    print(
        f"  ours ÷ floor: CPU {cpu_ratio:.2f}, wall {wall_ratio:.2f} (median of paired ratios; goal ≤ {MATRIX_GOAL}: "
        f"{'met' if cpu_ratio <= MATRIX_GOAL else 'MISSED'})"
    )


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time a large projection and what-if matrix.")
    parser.add_argument("--workloads", type=int, default=50)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--matrix", action="store_true", help="project --format json against the floor")
    parser.add_argument("--floor-matrix", nargs=2, metavar=("SPEC", "MONTHS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor_matrix:
        floor_matrix(Path(args.floor_matrix[0]), int(args.floor_matrix[1]))
        return 0
    if args.matrix:
        matrix(
            args.workloads if args.workloads != 50 else 500,
            args.months if args.months != 120 else 1200,
            args.repeat or 3,
        )
        return 0
    args.repeat = args.repeat or 5
    table = load_pricing()
    items = workloads(args.workloads)
    starts = month_starts(date(2026, 12, 1), args.months)

    def run_compare() -> object:
        return compare(items, MODELS, start="2026-12", months=args.months, table=table)

    def run_project() -> object:
        return project(items, start="2026-12", months=args.months, table=table)

    def naive() -> object:
        # One cost() per workload-month on one model in one mode: the per-call price of the engine.
        total = Decimal(0)
        for w in items:
            for month in starts:
                total += cost(
                    w.usage * 1_000, "claude-sonnet-4-6", requests=1_000, at=month, table=table
                ).total
        return total

    cells = args.workloads * len(MODELS) * 3 * args.months
    compare_s = _best(run_compare, args.repeat)
    project_s = _best(run_project, args.repeat)
    naive_s = _best(naive, max(1, args.repeat // 2))
    naive_all_s = naive_s * len(MODELS) * 3
    print(
        f"{args.workloads} workloads × {len(MODELS)} models × 3 modes × {args.months} months = {cells:,} cells"
    )
    print(
        f"  compare()                                    {compare_s * 1000:8.1f} ms  (target < {TARGET_S:.0f} s: {'met' if compare_s < TARGET_S else 'MISSED'})"
    )
    print(f"  project() of the same workloads (1 model)    {project_s * 1000:8.1f} ms")
    print(
        f"  baseline: one cost() per cell, extrapolated  {naive_all_s * 1000:8.1f} ms  ({naive_all_s / compare_s:.1f}× compare)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
