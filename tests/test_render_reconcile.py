"""Every reconcile report renders in every format; CSV stays exact, JSON keeps the contract keys."""

from __future__ import annotations

import csv
import io
import json

import pytest

from claude_quote import Usage, render
from claude_quote.pricing import PriceTable
from claude_quote.reconcile import reconcile_results, reconcile_usage_report, reconcile_with_estimates
from tests.conftest import DAY, ROOT

DATA = ROOT / "tests" / "data"


def _reports(table: PriceTable) -> dict[str, object]:
    mixed = DATA / "batch-results-mixed.jsonl"
    estimates = {"doc-001": ("claude-sonnet-4-6", Usage(input_tokens=3_000, output_tokens=1_000))}
    return {
        "actuals": reconcile_results(mixed, at=DAY, table=table),
        "compared": reconcile_with_estimates(mixed, estimates, at=DAY, table=table),
        "org": reconcile_usage_report(DATA / "usage-report.jsonl", DATA / "cost-report.json", table=table),
    }


TITLES = {
    "actuals": "Batch results: what it cost",
    "compared": "Batch results: estimate vs actual",
    "org": "Organisation usage: our prices vs the bill",
}


@pytest.mark.parametrize("name", sorted(TITLES))
def test_every_format(table: PriceTable, name: str) -> None:
    report = _reports(table)[name]
    data = json.loads(render(report, "json"))
    assert (data["schema_version"], data["kind"]) == (1, "reconcile")
    assert {"pricing_version", "pricing_sha256", "actual", "error_percent", "warnings"} <= set(data)
    assert render(report, "markdown").startswith(f"### {TITLES[name]}\n")
    assert render(report, "table", width=240).startswith(f"{TITLES[name]}\n")
    rows = list(csv.reader(io.StringIO(render(report, "csv"))))
    assert len(rows) >= 2
    assert all(len(r) == len(rows[0]) for r in rows)


def test_compared_markdown_lists_the_misses(table: PriceTable) -> None:
    text = render(_reports(table)["compared"], "markdown")
    assert "**Worst misses (largest dollar error first, 1 shown)**" in text
    # doc-001 estimated at 3,000 × $1.50 + 1,000 × $7.50 = $0.012 against $0.0495
    assert (
        "| doc-001 | 1 | claude-sonnet-4-6 | 3,000 | 17,000 | 1,000 | 1,000 | $0.01 | $0.05 | -$0.04 | -75.76% |"
        in text
    )


def test_org_json_lines(table: PriceTable) -> None:
    data = json.loads(render(_reports(table)["org"], "json"))
    sonnet = next(
        x for x in data["lines"] if (x["model"], x["service_tier"]) == ("claude-sonnet-5-5", "standard")
    )
    assert (sonnet["priced"]["total"], sonnet["billed"], sonnet["difference"]) == ("13.45", "13.85", "-0.4")
    assert data["billed_not_compared"] == {"code_execution (not in the usage report)": "0.125"}
