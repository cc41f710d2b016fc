"""Volume pricing: a million requests priced through the public library API, against plain Decimal.

    python benchmarks/bench_volume.py [--requests 1000000] [--repeat 3]

Builds the usages once (not timed), then times in turn, in the same process:

- the floor: plain ``Decimal`` arithmetic per usage — each token bucket × its rate, summed, ÷ 1M, plus
  web searches — at the right tier, which is the least exact per-request pricing can do;
- ``claude_quote.price_requests(usages, model)``: every request in its own tier, exact, through the
  pricing engine (requests billed alike are summed and priced once).

It reports requests per second and the ratio floor time ÷ our time (above 1: faster than the floor),
for a model without tiers (Sonnet 4.6) and one with a per-request tier (Haiku 5.5, > 100K tokens).
The goal (issue "one pricing engine"): at least 1,000,000 requests/s. docs/performance.md records runs.
"""

from __future__ import annotations

import argparse
import decimal
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from claude_quote import Engine, Usage, price_requests

DAY = date(2026, 11, 25)


def usages(count: int, seed: int = 1) -> list[Usage]:
    rng = random.Random(seed)
    return [
        Usage(
            input_tokens=rng.randint(0, 150_000),
            cache_read_tokens=rng.randint(0, 20_000),
            cache_write_1h_tokens=rng.randint(0, 2_000),
            output_tokens=rng.randint(0, 4_000),
        )
        for _ in range(count)
    ]


def floor(items: list[Usage], model: str) -> Decimal:
    """Plain Decimal per usage at the tier its prompt falls in (rates looked up once)."""
    card = Engine().card(model, DAY)
    rates = [tuple(r or Decimal(0) for r in tier) for tier in card.rates]
    threshold = card.thresholds[0] if card.thresholds else None
    total = Decimal(0)
    with decimal.localcontext(prec=60):
        for u in items:
            prompt = u.input_tokens + u.cache_write_5m_tokens + u.cache_write_1h_tokens + u.cache_read_tokens
            r = rates[1] if threshold is not None and prompt > threshold else rates[0]
            total += (
                r[0] * u.input_tokens
                + r[1] * u.cache_write_5m_tokens
                + r[2] * u.cache_write_1h_tokens
                + r[3] * u.cache_read_tokens
                + r[4] * u.output_tokens
            ) / 1_000_000
    return total


def _median(fn: Callable[[], Decimal], repeat: int) -> tuple[float, Decimal]:
    times, value = [], Decimal(0)
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time pricing a million requests against plain Decimal.")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    items = usages(args.requests)
    print(f"{args.requests:,} requests, median of {args.repeat} runs each, in turn, one process")
    for model in ("sonnet-4.6", "haiku-5.5"):
        ours_s, ours = _median(lambda m=model: price_requests(items, m, at=DAY).total, args.repeat)
        floor_s, plain = _median(lambda m=model: floor(items, m), args.repeat)
        assert ours == plain.normalize() or ours == plain, (ours, plain)  # the same money, exactly
        print(
            f"  {model:<11} price_requests {ours_s:6.3f} s ({args.requests / ours_s:,.0f} requests/s); "
            f"plain Decimal floor {floor_s:6.3f} s; floor ÷ ours = {floor_s / ours_s:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
