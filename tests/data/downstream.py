"""A downstream program using claude-quote's public API, type-checked with mypy --strict and no Any.

tests/test_public_api.py runs mypy on it outside the project's own configuration, as a user would.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import claude_quote
from claude_quote import (
    BatchActuals,
    CheckReport,
    ClaudeQuoteError,
    Cost,
    Engine,
    Estimate,
    EstimateOptions,
    Ledger,
    Modifiers,
    Projection,
    Quote,
    Savings,
    Usage,
    Workload,
    check,
    estimate,
    price_requests,
    project,
    quote,
    reconcile_results,
    render,
)

DAY = date(2026, 11, 25)


def totals(q: Quote) -> tuple[Decimal, Decimal | None, Savings | None]:
    return q.realtime.total, None if q.batch is None else q.batch.total, q.savings


def main(folder: Path) -> list[str]:
    out: list[str] = []
    q = quote(Usage(input_tokens=5_000_000, output_tokens=2_000_000), "sonnet-4.6", requests=1_000, at=DAY)
    realtime, batch, savings = totals(q)
    out.append(f"{realtime} {batch} {savings.percent if savings else '-'}")
    c: Cost = price_requests([Usage(input_tokens=10)], "haiku-5.5", at=DAY)
    out.append(str(c.total))
    engine = Engine()
    ledger = Ledger(engine)
    ledger.add(engine.card("opus-5", DAY, Modifiers(geo="us")), Usage(output_tokens=1))
    out.append(str(ledger.cost().total))
    e: Estimate = estimate([folder / "requests.jsonl"], EstimateOptions(output_tokens=10), at=DAY)
    out.append(e.token_method.description)
    p: Projection = project(
        Workload(name="w", model="sonnet", usage=Usage(input_tokens=1), requests=Decimal(1))
    )
    out.append(str(p.realtime_cost))
    a: BatchActuals = reconcile_results(folder / "results.jsonl", at=DAY)
    out.append(str(a.batch.total))
    try:
        report: CheckReport = check(folder / "claude-quote.toml", at=DAY)
        out.append(str(report.exit_code))
    except ClaudeQuoteError as exc:
        out.append(str(exc))
    out.append(render(q, "json"))
    out.append(claude_quote.__version__)
    return out
