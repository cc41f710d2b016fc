"""Estimate vs actual per request, per model and in total, with hand-made estimates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from claude_quote import UnknownModelError, Usage
from claude_quote.pricing import PriceTable
from claude_quote.reconcile import (
    compare,
    compare_totals,
    error_percent,
    read_actuals,
    reconcile_with_estimates,
)
from tests.conftest import DAY, ROOT

MIXED = ROOT / "tests" / "data" / "batch-results-mixed.jsonl"

# Actual batch costs in tests/data/batch-results-mixed.jsonl (derived in test_reconcile_results.py):
# doc-001 $0.0495, doc-002 $0.0111, doc-004 $0.0215, geo-001 $0.055, long-100000 $0.00525,
# long-100001 $0.02625025.
ESTIMATES: dict[str, tuple[str, Usage]] = {
    # exact: 3,000 in, 4,000 5m, 10,000 1h, 1,000 out on Sonnet 4.6 → $0.0495, error 0
    "doc-001": (
        "claude-sonnet-4-6",
        Usage(
            input_tokens=3_000, cache_write_5m_tokens=4_000, cache_write_1h_tokens=10_000, output_tokens=1_000
        ),
    ),
    # no cache foreseen: 17,000 uncached × $1.50 + 500 × $7.50 = 0.0255 + 0.00375 = $0.02925 vs $0.0111
    "doc-002": ("sonnet-4.6", Usage(input_tokens=17_000, output_tokens=500)),
    # searches not foreseen: 500 × $1.50 + 100 × $7.50 = $0.0015 vs $0.0215 (the $0.02 search fee)
    "doc-004": ("claude-sonnet-4-6", Usage(input_tokens=500, output_tokens=100)),
    # estimated global, but the result reports inference_geo us, so the estimate gets ×1.1 too:
    # 10,000 × $2.75 + 1,000 × $13.75 = 0.0275 + 0.01375 = $0.04125 vs $0.055
    "geo-001": ("claude-opus-4-7", Usage(input_tokens=10_000, output_tokens=1_000)),
    # under the tier in the estimate (99,000 × $0.05 + 1,000 × $0.25 = $0.0052), over it in fact
    "long-100001": ("claude-haiku-5-5", Usage(input_tokens=99_000, output_tokens=1_000)),
    # errored in fact: not billed, left out. 10,000 × $1.50 = $0.015 estimated
    "doc-003": ("claude-sonnet-4-6", Usage(input_tokens=10_000)),
    # no such line in the results file
    "ghost-1": ("claude-sonnet-4-6", Usage(input_tokens=1)),
}


def test_per_request_rows(table: PriceTable) -> None:
    r = reconcile_with_estimates(MIXED, ESTIMATES, at=DAY, table=table)
    rows = {x.custom_id: x for x in r.requests}
    assert [x.custom_id for x in r.requests] == ["doc-001", "doc-002", "doc-004", "geo-001", "long-100001"]
    assert (rows["doc-001"].estimate, rows["doc-001"].actual, rows["doc-001"].error) == (
        Decimal("0.0495"),
        Decimal("0.0495"),
        Decimal("0"),
    )
    assert rows["doc-001"].error_percent == 0
    # 0.02925 − 0.0111 = 0.01815; ÷ 0.0111 × 100 = 163.5135…%
    assert rows["doc-002"].estimate == Decimal("0.02925")
    assert rows["doc-002"].error == Decimal("0.01815")
    assert rows["doc-002"].error_percent == Decimal("163.5135135135135135135135135")
    assert rows["doc-002"].estimate_model == "claude-sonnet-4-6"  # "sonnet-4.6" resolved
    # 0.0015 − 0.0215 = −0.02, −93.0232…%
    assert rows["doc-004"].error == Decimal("-0.02")
    assert rows["geo-001"].estimate == Decimal("0.04125")
    assert rows["geo-001"].error == Decimal("-0.01375")  # −25%
    assert rows["geo-001"].error_percent == Decimal("-25")
    assert rows["long-100001"].estimate == Decimal("0.0052")
    assert rows["long-100001"].actual == Decimal("0.02625025")


def test_totals_and_error_percent(table: PriceTable) -> None:
    r = reconcile_with_estimates(MIXED, ESTIMATES, at=DAY, table=table)
    # estimate 0.0495 + 0.02925 + 0.0015 + 0.04125 + 0.0052 = 0.1267
    # actual   0.0495 + 0.0111  + 0.0215 + 0.055   + 0.02625025 = 0.16335025
    assert r.compared == 5
    assert r.estimate == Decimal("0.1267")
    assert r.actual == Decimal("0.16335025")
    assert r.error == Decimal("-0.03665025")
    assert r.error_percent == error_percent(Decimal("0.1267"), Decimal("0.16335025"))
    assert r.error_percent is not None
    assert round(r.error_percent, 4) == Decimal("-22.4366")


def test_worst_misses_sorted_by_absolute_dollar_error(table: PriceTable) -> None:
    r = reconcile_with_estimates(MIXED, ESTIMATES, at=DAY, table=table, worst=3)
    # |errors|: long-100001 0.02105025, doc-004 0.02, doc-002 0.01815, geo-001 0.01375, doc-001 0
    assert [w.custom_id for w in r.worst] == ["long-100001", "doc-004", "doc-002"]


def test_per_model(table: PriceTable) -> None:
    r = reconcile_with_estimates(MIXED, ESTIMATES, at=DAY, table=table)
    by = {m.model: m for m in r.by_model}
    assert set(by) == {"claude-haiku-5-5", "claude-opus-4-7", "claude-sonnet-4-6"}
    # Sonnet: estimate 0.0495 + 0.02925 + 0.0015 = 0.08025; actual 0.0495 + 0.0111 + 0.0215 = 0.0821
    assert (
        by["claude-sonnet-4-6"].requests,
        by["claude-sonnet-4-6"].estimate,
        by["claude-sonnet-4-6"].actual,
    ) == (
        3,
        Decimal("0.08025"),
        Decimal("0.0821"),
    )
    assert sum((m.error for m in r.by_model), Decimal(0)) == r.error


def test_unbilled_missing_and_unestimated_are_counted_not_compared(table: PriceTable) -> None:
    r = reconcile_with_estimates(MIXED, ESTIMATES, at=DAY, table=table)
    assert r.not_billed == {"errored": 1}
    assert r.not_billed_estimate == Decimal("0.015")  # doc-003: 10,000 × $1.50
    assert (r.missing_results, r.missing_result_ids) == (1, ("ghost-1",))
    # long-100000 succeeded without an estimate: $0.00525
    assert (r.unestimated, r.unestimated_actual) == (1, Decimal("0.00525"))
    joined = " | ".join(r.warnings)
    assert "not billed (1 errored)" in joined
    assert "1 estimated request(s) have no line in the results file (e.g. 'ghost-1')" in joined
    assert "1 succeeded request(s) have no estimate" in joined


def test_a_different_model_is_flagged(table: PriceTable) -> None:
    estimates = {"doc-001": ("claude-opus-4-7", Usage(input_tokens=3_000))}
    r = reconcile_with_estimates(MIXED, estimates, at=DAY, table=table)
    assert r.requests[0].estimate_model == "claude-opus-4-7"
    assert r.requests[0].model == "claude-sonnet-4-6"
    assert any("estimated for a different model" in w for w in r.warnings)


def test_compare_reuses_one_read(table: PriceTable) -> None:
    actuals, per_request = read_actuals(MIXED, at=DAY, table=table)
    assert len(per_request) == 11
    r = compare(actuals, per_request, {}, table=table)
    assert (r.compared, r.estimate, r.actual) == (0, Decimal(0), Decimal(0))
    assert r.error_percent is None
    assert r.unestimated == 6


def test_unknown_estimate_model(table: PriceTable) -> None:
    actuals, per_request = read_actuals(MIXED, at=DAY, table=table)
    with pytest.raises(UnknownModelError, match=r"unknown model 'sonet-4\.6'"):
        compare(actuals, per_request, {"doc-001": ("sonet-4.6", Usage(input_tokens=1))}, table=table)


def test_compare_totals_are_the_comparisons(table: PriceTable) -> None:
    # What calibrate sums, without the report: the same totals and per-model figures as compare().
    actuals, per_request = read_actuals(MIXED, at=DAY, table=table)
    r = compare(actuals, per_request, ESTIMATES, table=table)
    estimate, actual, by_model = compare_totals(actuals, per_request, ESTIMATES, table=table)
    assert (estimate, actual) == (r.estimate, r.actual)
    assert by_model == {m.model: (m.estimate, m.actual) for m in r.by_model}
    # doc-001 0.0495 + doc-002 0.02925 + doc-004 0.0015 = 0.08025 estimated on Sonnet 4.6, against
    # 0.0495 + 0.0111 + 0.0215 = 0.0821 (the costs at the top of this file)
    assert by_model["claude-sonnet-4-6"] == (Decimal("0.08025"), Decimal("0.0821"))
    assert compare_totals(actuals, per_request, {}, table=table) == (Decimal(0), Decimal(0), {})
    with pytest.raises(UnknownModelError, match=r"unknown model 'sonet-4\.6'"):
        compare_totals(actuals, per_request, {"doc-001": ("sonet-4.6", Usage(input_tokens=1))}, table=table)


def test_error_percent_sign_and_zero() -> None:
    assert error_percent(Decimal("2"), Decimal("1")) == 100
    assert error_percent(Decimal("0"), Decimal("4")) == -100
    assert error_percent(Decimal("0"), Decimal("0")) is None
