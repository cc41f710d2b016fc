"""Organisation bills: Usage & Cost Admin API exports priced with our table and compared with the bill."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claude_quote import WorkloadError
from claude_quote.pricing import PriceTable
from claude_quote.reconcile import OrgLine, OrgReconciliation, reconcile_usage_report
from claude_quote.workloads.admin_exports import read_cost_report, read_usage_report
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
USAGE = DATA / "usage-report.jsonl"
COST = DATA / "cost-report.json"


def line(r: OrgReconciliation, model: str | None, tier: str | None) -> OrgLine:
    return next(x for x in r.lines if (x.model, x.service_tier) == (model, tier))


def usage_row(**fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "model": "claude-sonnet-4-6",
        "service_tier": "standard",
        "context_window": "0-200k",
        "inference_geo": "global",
        "speed": "standard",
        "uncached_input_tokens": 0,
        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
        "cache_read_input_tokens": 0,
        "output_tokens": 0,
        "server_tool_use": {"web_search_requests": 0},
    }
    row.update(fields)
    return row


def page(rows: Sequence[dict[str, Any]], day: str = "2026-11-02") -> dict[str, Any]:
    bucket = {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{day}T23:59:59Z", "results": list(rows)}
    return {"data": [bucket], "has_more": False, "next_page": None}


def export(tmp_path: Path, value: object, name: str = "usage.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return path


def priced(tmp_path: Path, day: str = "2026-11-02", **fields: Any) -> Decimal:
    r = reconcile_usage_report(export(tmp_path, page([usage_row(**fields)], day)))
    assert r.lines[0].cost is not None, r.lines[0].unpriced_reason
    return r.lines[0].cost.total


# --- the realistic two-day export ------------------------------------------------------------------


def test_totals_by_hand(table: PriceTable) -> None:
    r = reconcile_usage_report(USAGE, COST, table=table)
    # Ours, row by row (USD per MTok; batch = half; each row at its bucket's date):
    #   10-06 Sonnet 5.5 standard: 2M × 2 + 0.5M 5m × 2.5 + 4M read × 0.20 + 0.3M out × 10 = 9.05
    #   10-06 Sonnet 5.5 batch:    10M × 1 + 2M read × 0.10 + 1M out × 5              = 15.2
    #   10-06 Sonnet 4.6 200k-1M:  no tier on that date: 3M × 3 + 0.05M × 15          = 9.75
    #   10-06 Opus 4.6 priority:   not priced
    #   10-07 Sonnet 5.5 standard: 1M × 2 + 4M read × 0.10 (cut that day) + 0.2M × 10 = 4.4
    #   10-07 Opus 4.7 us:         (1M × 5 + 0.1M × 25) × 1.1 + 40 searches × $0.01   = 8.65
    #   10-07 Opus 5 fast:         0.1M × 10 + 0.01M × 50                             = 1.5
    #   10-07 Haiku 5.5 batch 200k-1M (tier): 0.5M × 0.25 + 0.004M × 1.25             = 0.13
    #   10-07 Haiku 5.5 batch 0-200k (base):  3M × 0.05 + 0.06M × 0.25                = 0.165
    assert r.estimate == Decimal("48.845")
    # Billed (cents ÷ 100): the same, except Sonnet 5.5 cache reads on 10-07 billed 80¢ (not 40¢)
    # and Haiku 5.5 0-200k input 18.2¢ (not 15¢): 48.845 + 0.40 + 0.032 = 49.277
    assert r.actual == Decimal("49.277")
    assert r.error == Decimal("-0.432")
    assert r.error_percent is not None
    assert round(r.error_percent, 6) == Decimal("-0.876677")  # −0.432 ÷ 49.277 × 100 = −0.8766767…
    assert r.billed_not_compared == {"code_execution (not in the usage report)": Decimal("0.125")}
    assert (r.first_day, r.last_day, r.buckets, r.rows) == (date(2026, 10, 6), date(2026, 10, 7), 2, 9)


def test_per_model_and_service_tier(table: PriceTable) -> None:
    r = reconcile_usage_report(USAGE, COST, table=table)
    sonnet = line(r, "claude-sonnet-5-5", "standard")
    assert sonnet.cost is not None
    assert (sonnet.cost.total, sonnet.actual, sonnet.error) == (
        Decimal("13.45"),  # 9.05 + 4.4
        Decimal("13.85"),  # 4 + 1.25 + 0.8 + 3 + 2 + 0.8 + 2
        Decimal("-0.4"),
    )
    # each bucket at its own date: the cache read rate was $0.20 on 10-06 and $0.10 on 10-07
    reads = sorted((ln.rate, ln.quantity) for ln in sonnet.cost.lines if ln.kind == "cache_read")
    assert reads == [(Decimal("0.1"), 4_000_000), (Decimal("0.2"), 4_000_000)]
    batch = line(r, "claude-sonnet-5-5", "batch")
    assert batch.cost is not None
    assert batch.cost.mode == "batch"
    assert batch.error_percent == 0
    assert line(r, "claude-opus-4-7", "standard").error == 0


def test_priority_is_unpriced_never_zero(table: PriceTable) -> None:
    r = reconcile_usage_report(USAGE, COST, table=table)
    priority = line(r, "claude-opus-4-6", "priority")
    assert priority.cost is None
    assert priority.actual is None
    assert (
        priority.unpriced_reason == "the price table has no priority prices (Anthropic does not publish them)"
    )
    assert priority.usage.input_tokens == 800_000
    assert any(
        w.startswith("claude-opus-4-6 / priority: 820,000 tokens in 1 row(s) were not priced")
        for w in r.warnings
    )


def test_lower_bound_when_the_bucket_cannot_show_the_tier(table: PriceTable) -> None:
    r = reconcile_usage_report(USAGE, COST, table=table)
    haiku = line(r, "claude-haiku-5-5", "batch")
    assert haiku.lower_bound
    assert any(w.startswith("claude-haiku-5-5: a request is billed at higher rates") for w in r.warnings)
    assert not line(r, "claude-sonnet-5-5", "standard").lower_bound


def test_without_a_cost_report(table: PriceTable) -> None:
    r = reconcile_usage_report(USAGE, table=table)
    assert r.estimate == Decimal("48.845")
    assert (r.actual, r.error, r.error_percent) == (None, None, None)
    assert all(x.actual is None for x in r.lines)


# --- pricing rules, both sides -------------------------------------------------------------------


def test_long_context_bucket_at_the_tier_where_the_model_had_one(tmp_path: Path) -> None:
    # Sonnet 4.5 on 2026-04-01 had a >200K tier ($6 / $22.50): a 200k-1M row is billed at it.
    # 1M × $6 + 0.1M × $22.50 = $8.25; the same row in 0-200k: 1M × $3 + 0.1M × $15 = $4.50
    fields = {
        "model": "claude-sonnet-4-5-20250929",
        "uncached_input_tokens": 1_000_000,
        "output_tokens": 100_000,
    }
    assert priced(tmp_path, "2026-04-01", context_window="200k-1M", **fields) == Decimal("8.25")
    assert priced(tmp_path, "2026-04-01", context_window="0-200k", **fields) == Decimal("4.5")
    # after 2026-04-30 the tier is gone: base rates either way
    assert priced(tmp_path, "2026-05-01", context_window="200k-1M", **fields) == Decimal("4.5")


def test_long_context_batch_haiku(tmp_path: Path) -> None:
    # Haiku 5.5 200k-1M batch: every request over 100K: 0.5M × $0.25 + 4,000 × $1.25 = $0.13
    fields: dict[str, Any] = {
        "model": "claude-haiku-5-5",
        "uncached_input_tokens": 500_000,
        "output_tokens": 4_000,
    }
    assert priced(tmp_path, service_tier="batch", context_window="200k-1M", **fields) == Decimal("0.13")


def test_long_context_row_too_small_is_invalid(tmp_path: Path) -> None:
    row = usage_row(context_window="200k-1M", model="claude-haiku-5-5", uncached_input_tokens=100_000)
    with pytest.raises(
        WorkloadError,
        match=r"data\[0\]\.results\[0\]: context_window is 200k-1M but the row has only 100,000",
    ):
        reconcile_usage_report(export(tmp_path, page([row])))


def test_us_geo_and_fast_mode(tmp_path: Path) -> None:
    # Opus 5 on 2026-11-02: $5 / $25; us ×1.1 → 1M × 5.5 = $5.50
    assert priced(
        tmp_path, model="claude-opus-5", inference_geo="us", uncached_input_tokens=1_000_000
    ) == Decimal("5.5")
    # fast $10 / $50: 1M × 10 + 0.1M × 50 = $15
    assert priced(
        tmp_path, model="claude-opus-5", speed="fast", uncached_input_tokens=1_000_000, output_tokens=100_000
    ) == Decimal("15")
    # not_available (older models) is global
    assert priced(
        tmp_path, model="claude-haiku-4-5", inference_geo="not_available", uncached_input_tokens=1_000_000
    ) == Decimal("1")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"service_tier": "batch", "speed": "fast", "model": "claude-opus-5"},
            "fast mode is not available with the Batch API",
        ),
        ({"inference_geo": "eu"}, "inference_geo 'eu' is not one of global, us, not_available"),
        ({"context_window": "1M+"}, "context_window '1M+' is not 0-200k or 200k-1M"),
        ({"speed": "turbo"}, "speed 'turbo' is not one of standard, fast"),
        ({"model": "claude-haiku-4-5", "inference_geo": "us"}, "does not accept inference_geo 'us'"),
        ({"output_tokens": -3}, "output_tokens is -3; token counts must be whole numbers of 0 or more"),
        (
            {"cache_creation": {"ephemeral_1h_input_tokens": 1.5}},
            "cache_creation.ephemeral_1h_input_tokens is 1.5",
        ),
        ({"server_tool_use": []}, "server_tool_use must be an object"),
        ({"model": 7}, "model must be a string or null, got 7"),
    ],
)
def test_invalid_rows(tmp_path: Path, fields: dict[str, Any], message: str) -> None:
    path = export(tmp_path, page([usage_row(uncached_input_tokens=1_000), usage_row(**fields)]))
    with pytest.raises(WorkloadError) as info:
        reconcile_usage_report(path)
    assert str(info.value).startswith(f"{path}: data[0].results[1]: ")
    assert message in str(info.value)
    r = reconcile_usage_report(path, skip_invalid=True)
    assert r.skipped == 1
    assert message in r.skipped_lines[0].reason
    assert any(w.startswith("skipped 1 invalid row(s): data[0].results[1]: ") for w in r.warnings)


def test_unknown_model_is_exit_2_with_suggestions(tmp_path: Path) -> None:
    path = export(tmp_path, page([usage_row(model="claude-sonet-4-6")]))
    with pytest.raises(
        WorkloadError,
        match=r"data\[0\]\.results\[0\]\.model: unknown model 'claude-sonet-4-6'; did you mean 'claude-sonnet-4-6'",
    ):
        reconcile_usage_report(path, skip_invalid=True)


def test_ungrouped_model_or_tier_is_unpriced(tmp_path: Path) -> None:
    rows = [
        usage_row(model=None, uncached_input_tokens=5),
        usage_row(service_tier=None, uncached_input_tokens=7),
    ]
    r = reconcile_usage_report(export(tmp_path, page(rows)))
    assert all(x.cost is None for x in r.lines)
    assert r.estimate == 0
    reasons = sorted(x.unpriced_reason or "" for x in r.lines)
    assert "group_by[]=service_tier" in reasons[0] + reasons[1]
    assert "group_by[]=model" in reasons[0] + reasons[1]


def test_ungrouped_geo_and_speed_are_lower_bounds(tmp_path: Path) -> None:
    r = reconcile_usage_report(
        export(tmp_path, page([usage_row(model="claude-opus-5", inference_geo=None, speed=None)]))
    )
    assert r.lines[0].lower_bound
    text = " | ".join(r.warnings)
    assert "not grouped by inference_geo" in text
    assert "not grouped by speed" in text


# --- the cost report -------------------------------------------------------------------------------


def test_cents_to_dollars_exactly(tmp_path: Path) -> None:
    rows = [{"amount": "123.78912", "currency": "USD", "cost_type": "tokens", "model": "claude-opus-5"}]
    report = read_cost_report(export(tmp_path, page(rows), "cost.json"))
    assert report.rows[0].cents == Decimal("123.78912")
    assert report.rows[0].dollars == Decimal("1.2378912")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (1.5, "amount must be a decimal string (US cents), got 1.5 (a float cannot carry an exact amount)"),
        ("abc", "amount 'abc' is not a decimal number"),
        (None, "amount must be a decimal string (US cents), got null"),
    ],
)
def test_bad_amounts(tmp_path: Path, amount: object, message: str) -> None:
    path = export(tmp_path, page([{"amount": amount, "currency": "USD"}]), "cost.json")
    with pytest.raises(
        WorkloadError,
        match="cost.json: data\\[0\\].results\\[0\\]: " + message.replace("(", r"\(").replace(")", r"\)"),
    ):
        read_cost_report(path)


def test_currency_must_be_usd(tmp_path: Path) -> None:
    path = export(tmp_path, page([{"amount": "1", "currency": "EUR"}]), "cost.json")
    with pytest.raises(WorkloadError, match='currency is "EUR"'):
        read_cost_report(path)


def test_cost_report_without_models_compares_totals_only(tmp_path: Path) -> None:
    usage = export(tmp_path, page([usage_row(uncached_input_tokens=1_000_000)]))  # 1M × $3 = $3
    cost = export(tmp_path, page([{"amount": "310", "currency": "USD", "model": None}]), "cost.json")
    r = reconcile_usage_report(usage, cost)
    assert (r.estimate, r.actual, r.error) == (Decimal("3"), Decimal("3.1"), Decimal("-0.1"))
    assert line(r, "claude-sonnet-4-6", "standard").actual is None
    assert any("no per-model rows" in w for w in r.warnings)


def test_display_names_in_the_cost_report(tmp_path: Path) -> None:
    usage = export(tmp_path, page([usage_row(uncached_input_tokens=1_000_000)]))
    cost = export(
        tmp_path,
        page(
            [{"amount": "300", "currency": "USD", "model": "Claude Sonnet 4.6", "service_tier": "standard"}]
        ),
        "cost.json",
    )
    r = reconcile_usage_report(usage, cost)
    assert line(r, "claude-sonnet-4-6", "standard").actual == Decimal("3")
    assert r.error_percent == 0


def test_usage_without_a_bill_counts_as_zero_billed(tmp_path: Path) -> None:
    usage = export(tmp_path, page([usage_row(uncached_input_tokens=1_000_000)]))
    cost = export(
        tmp_path,
        page([{"amount": "100", "currency": "USD", "model": "claude-opus-5", "service_tier": "standard"}]),
        "cost.json",
    )
    r = reconcile_usage_report(usage, cost)
    assert line(r, "claude-sonnet-4-6", "standard").actual == 0
    assert line(r, "claude-opus-5", "standard").actual == Decimal("1")
    assert line(r, "claude-opus-5", "standard").cost is None  # billed, but no usage in the report


def test_different_days_warn(tmp_path: Path) -> None:
    usage = export(tmp_path, page([usage_row(uncached_input_tokens=1)], "2026-11-02"))
    cost = export(tmp_path, page([{"amount": "1", "currency": "USD"}], "2026-11-03"), "cost.json")
    r = reconcile_usage_report(usage, cost)
    assert any("covers 2026-11-02 but the cost report 2026-11-03" in w for w in r.warnings)


# --- file shapes -----------------------------------------------------------------------------------


def test_file_shapes(tmp_path: Path) -> None:
    one = page([usage_row(uncached_input_tokens=1_000_000)])
    shapes: dict[str, object] = {
        "page.json": one,
        "pages.json": [one, one],
        "buckets.json": one["data"] * 3,
    }
    got = {name: len(read_usage_report(export(tmp_path, value, name)).rows) for name, value in shapes.items()}
    (tmp_path / "pages.jsonl").write_text(json.dumps(one) + "\n\n" + json.dumps(one) + "\n")
    got["pages.jsonl"] = len(read_usage_report(tmp_path / "pages.jsonl").rows)
    assert got == {"page.json": 1, "pages.json": 2, "buckets.json": 3, "pages.jsonl": 2}


def test_jsonl_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    row = usage_row(output_tokens=-1)
    path.write_text(json.dumps(page([usage_row()])) + "\n" + json.dumps(page([row])) + "\n")
    with pytest.raises(WorkloadError, match=r"pages.jsonl:2: data\[0\]\.results\[0\]: output_tokens is -1"):
        read_usage_report(path)
    path.write_text(json.dumps(page([usage_row()])) + "\n{oops\n")
    with pytest.raises(WorkloadError, match=r"pages.jsonl:2: not valid JSON"):
        read_usage_report(path)


def test_malformed_json_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "usage.json"
    path.write_text('{\n  "data": [\n    {"starting_at": oops}\n  ]\n}\n')
    with pytest.raises(WorkloadError, match=r"usage.json:3: not valid JSON"):
        read_usage_report(path)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"rows": []}, "expected a page of the Admin API"),
        ([1], r"\[0\] is neither a page"),
        ({"data": {}}, "data must be a list of buckets"),
    ],
)
def test_wrong_shapes(tmp_path: Path, value: object, message: str) -> None:
    with pytest.raises(WorkloadError, match=message):
        read_usage_report(export(tmp_path, value))


def test_bad_bucket_timestamp(tmp_path: Path) -> None:
    value = {"data": [{"starting_at": "yesterday", "results": []}]}
    with pytest.raises(
        WorkloadError, match=r"usage.json: data\[0\]: starting_at 'yesterday' is not an RFC 3339 timestamp"
    ):
        read_usage_report(export(tmp_path, value))


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "usage.json").write_text("\n")
    with pytest.raises(WorkloadError, match="the file is empty"):
        read_usage_report(tmp_path / "usage.json")
