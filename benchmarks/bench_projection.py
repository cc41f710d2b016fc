"""Projection speed: a 120-month what-if over 50 workloads × 3 models × 3 modes.

    python benchmarks/bench_projection.py [--workloads 50] [--months 120] [--repeat 5]

Times `compare()` (every workload on Opus, Sonnet and Haiku in real time, batch and batch + cache)
and `project()` of the same workloads, in process, the price table already loaded. The baseline in
the same run is pricing the same number of workload-months with one `cost()` call each, which is
what a projection would cost without caching the rates per price entry. Target: compare under 1 s.
Results are recorded in docs/performance.md ("Projections").
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

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
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
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
