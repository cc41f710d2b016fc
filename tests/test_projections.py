"""Projections: compounding, month lengths, rounding, prices by month, retirement, tiers, cache, blends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote import (
    PriceNotAvailableError,
    PriceTable,
    UnknownModelError,
    Usage,
    UsageError,
    cost,
)
from claude_quote.projections import (
    AVERAGE_MONTH_DAYS,
    compare,
    month_starts,
    monthly_requests,
    parse_month,
    project,
)
from claude_quote.workload_spec import Workload, workloads_from_estimate
from tests.conftest import ROOT

D = Decimal
ESTIMATE = ROOT / "tests" / "data" / "estimate.json"


def chat(**changes: object) -> Workload:
    """2,000 input + 500 output tokens per request on Sonnet 4.6 ($3 / $15): $0.0135 a request."""
    fields: dict[str, object] = {
        "name": "chat",
        "model": "sonnet-4.6",
        "usage": Usage(input_tokens=2_000, output_tokens=500),
        "requests": 1_000,
        "per": "day",
        "growth_percent": 5,
    }
    fields.update(changes)
    return Workload(**fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# Volumes: month lengths, compounding, rounding


def test_compounding_on_calendar_months(table: PriceTable) -> None:
    p = project(chat(), start="2026-12", months=5, table=table)
    # Dec: 1,000/day × 31 days                 = 31,000
    # Jan: 1,000 × 1.05 × 31 = 1,050 × 31      = 32,550
    # Feb: 1,000 × 1.05² × 28 = 1,102.5 × 28    = 30,870
    # Mar: 1,000 × 1.05³ × 31 = 1,157.625 × 31  = 35,886.375  → 35,886
    # Apr: 1,000 × 1.05⁴ × 30 = 1,215.50625 × 30 = 36,465.1875 → 36,465
    months = p.workloads[0].months
    assert [m.requests for m in months] == [31_000, 32_550, 30_870, 35_886, 36_465]
    assert [m.requests_unrounded for m in months] == [
        D("31000"),
        D("32550"),
        D("30870"),
        D("35886.375"),
        D("36465.1875"),
    ]
    assert [m.days for m in months] == [D(31), D(31), D(28), D(31), D(30)]


def test_growth_compounds_on_the_unrounded_volume() -> None:
    # 1 request a month growing 50%: 1, 1.5, 2.25, 3.375, 5.0625 → half-even 1, 2, 2, 3, 5.
    # Had the rounded value compounded, month 3 would be 2 × 1.5 = 3, month 4 4.5 → 4.
    w = chat(requests=1, per="month", growth_percent=50)
    volumes = monthly_requests(w, month_starts(date(2026, 12, 1), 5))
    assert [n for _, n in volumes] == [1, 2, 2, 3, 5]


def test_average_month_length_and_half_even_ties(table: PriceTable) -> None:
    # 1,000/day × 30.4375 days = 30,437.5 → half-even → 30,438 (30,437 is odd)
    # 2,000/day × 30.4375 = 60,875 exactly, every month, February too.
    p = project(
        [chat(growth_percent=0), chat(name="b", requests=2_000, growth_percent=0)],
        start="2027-02",
        months=2,
        month_length="average",
        table=table,
    )
    assert [m.requests for m in p.workloads[0].months] == [30_438, 30_438]
    assert [m.requests for m in p.workloads[1].months] == [60_875, 60_875]
    assert p.months[0].days == AVERAGE_MONTH_DAYS == D("30.4375")


@pytest.mark.parametrize(
    ("per_month", "rounded"),
    [("0.5", 0), ("1.5", 2), ("2.5", 2), ("3.5", 4), ("2.4999", 2), ("2.5001", 3)],
)
def test_requests_round_half_even(per_month: str, rounded: int) -> None:
    w = chat(requests=per_month, per="month", growth_percent=0)
    assert monthly_requests(w, [date(2026, 12, 1)]) == [(D(per_month), rounded)]


def test_volume_per_week() -> None:
    w = chat(requests=700, per="week", growth_percent=0)
    months = [date(2026, 12, 1), date(2027, 2, 1)]
    # 700/week × 31/7 = 3,100; × 28/7 = 2,800; average: 700 × 30.4375/7 = 3,043.75 → 3,044
    assert [n for _, n in monthly_requests(w, months)] == [3_100, 2_800]
    assert [n for _, n in monthly_requests(w, months, "average")] == [3_044, 3_044]


def test_volume_per_month_ignores_month_length() -> None:
    w = chat(requests=1_000, per="month", growth_percent=0)
    feb = [date(2027, 2, 1)]
    assert monthly_requests(w, feb) == monthly_requests(w, feb, "average") == [(D(1000), 1000)]


def test_negative_growth_shrinks() -> None:
    # 1,000 × 0.9^k: 1,000, 900, 810, 729, 656.1 → 656
    w = chat(requests=1_000, per="month", growth_percent=-10)
    assert [n for _, n in monthly_requests(w, month_starts(date(2026, 12, 1), 5))] == [
        1000,
        900,
        810,
        729,
        656,
    ]


def test_month_starts_cross_years() -> None:
    assert month_starts(date(2026, 11, 1), 3) == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]


@pytest.mark.parametrize(
    ("today", "expected"), [(date(2026, 11, 25), date(2026, 12, 1)), (date(2026, 12, 31), date(2027, 1, 1))]
)
def test_default_start_is_next_month(monkeypatch: pytest.MonkeyPatch, today: date, expected: date) -> None:
    monkeypatch.setattr("claude_quote.projections.months.today", lambda: today)
    assert parse_month(None) == expected


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-12", "december", "2026-12-01"])
def test_start_must_be_a_month(text: str) -> None:
    with pytest.raises(UsageError, match=r"start .* is not a month; write YYYY-MM"):
        parse_month(text)


# --------------------------------------------------------------------------------------------------
# Costs


def test_month_costs_by_hand(table: PriceTable) -> None:
    p = project(chat(), start="2026-12", months=2, table=table)
    dec, jan = p.months
    # Each request: 2,000 × $3/MTok + 500 × $15/MTok = $0.006 + $0.0075 = $0.0135; batch half: $0.00675
    # Dec: 31,000 × $0.0135 = $418.50 real time, $209.25 batch, saves $209.25
    assert (dec.realtime_cost, dec.batch_cost, dec.blended_cost) == (D("418.5"), D("209.25"), D("209.25"))
    assert dec.savings == dec.cumulative_savings == D("209.25")
    # Jan: 32,550 × $0.0135 = $439.425; batch $219.7125; cumulative $209.25 + $219.7125 = $428.9625
    assert (jan.realtime_cost, jan.batch_cost) == (D("439.425"), D("219.7125"))
    assert jan.cumulative_savings == D("428.9625")
    # Tokens: 31,000 × 2,000 = 62,000,000 input; 31,000 × 500 = 15,500,000 output
    assert (dec.input_tokens, dec.output_tokens) == (62_000_000, 15_500_000)
    assert p.realtime_cost == D("857.925")
    assert p.years[0].months == 2
    assert p.years[0].realtime_cost == D("857.925")


def test_years_are_twelve_month_blocks(table: PriceTable) -> None:
    p = project(chat(requests=100, per="month", growth_percent=0), start="2026-12", months=30, table=table)
    assert [(y.year, y.months) for y in p.years] == [(1, 12), (2, 12), (3, 6)]
    assert (p.years[0].first_month, p.years[0].last_month) == (date(2026, 12, 1), date(2027, 11, 1))
    # 100 requests × $0.0135 = $1.35 a month; 12 months $16.20, 6 months $8.10
    assert [y.realtime_cost for y in p.years] == [D("16.2"), D("16.2"), D("8.1")]
    assert sum((y.realtime_cost for y in p.years), D(0)) == p.realtime_cost == D("40.5")


def test_price_change_applies_from_the_next_month_start(table: PriceTable) -> None:
    # Sonnet 5.5 cache reads: $0.20 until 2026-10-06, $0.10 from 2026-10-07 (inside October).
    w = Workload(
        name="rag",
        model="sonnet-5.5",
        usage=Usage(input_tokens=1_000, cache_read_tokens=10_000, output_tokens=100),
        requests=1_000,
        per="month",
    )
    p = project(w, start="2026-10", months=2, table=table)
    octo, nov = p.workloads[0].months
    # October is priced on 2026-10-01, before the cut:
    #   1,000 × $2 + 10,000 × $0.20 + 100 × $10 = $0.002 + $0.002 + $0.001 = $0.005 × 1,000 = $5
    assert (octo.price_effective_from, octo.realtime_cost, octo.batch_cost) == (
        date(2026, 9, 28),
        D(5),
        D("2.5"),
    )
    # November is priced on 2026-11-01, after it: $0.002 + $0.001 + $0.001 = $0.004 × 1,000 = $4
    assert (nov.price_effective_from, nov.realtime_cost, nov.batch_cost) == (date(2026, 10, 7), D(4), D(2))
    assert any("UNCERTAIN" in w for w in p.warnings)


def test_retired_model_months_are_flagged_and_priced_at_last_price(table: PriceTable) -> None:
    # Opus 4.1 ($15 / $75) was retired on 2026-08-05.
    w = Workload(
        name="old",
        model="claude-opus-4-1-20250805",
        usage=Usage(input_tokens=1_000, output_tokens=100),
        requests=100,
        per="month",
    )
    p = project(w, start="2026-07", months=3, table=table)
    # July ends 2026-07-31, before retirement: not flagged. August contains 2026-08-05: flagged.
    assert [m.retired for m in p.workloads[0].months] == [False, True, True]
    assert [m.retired for m in p.months] == [(), ("claude-opus-4-1-20250805",), ("claude-opus-4-1-20250805",)]
    # (1,000 × $15 + 100 × $75) / 1M = $0.0225 × 100 requests = $2.25 every month
    assert {m.realtime_cost for m in p.months} == {D("2.25")}
    assert any("retired on 2026-08-05" in x and "months from 2026-08 are flagged" in x for x in p.warnings)


@pytest.mark.parametrize(("months", "warned"), [(1, False), (2, True)])
def test_retirement_not_before_is_warned_once_reached(table: PriceTable, months: int, warned: bool) -> None:
    # Opus 4.5 retires no earlier than 2026-11-24: October ends before it, November contains it.
    w = chat(model="opus-4.5", growth_percent=0)
    p = project(w, start="2026-10", months=months, table=table)
    assert any("may be retired from 2026-11-24" in x for x in p.warnings) is warned
    assert not any(m.retired for m in p.workloads[0].months)


def test_month_before_release_is_an_error(table: PriceTable) -> None:
    with pytest.raises(PriceNotAvailableError, match=r"released on 2026-09-28.*start in 2026-10 or later"):
        project(chat(model="sonnet-5.5"), start="2026-09", months=2, table=table)


def test_family_resolves_on_the_start_date_and_stays(table: PriceTable) -> None:
    # On 2026-09-01 the newest Sonnet is Sonnet 5 (Sonnet 5.5 came out on 2026-09-28).
    p = project(chat(model="sonnet"), start="2026-09", months=3, table=table)
    assert p.workloads[0].model == "claude-sonnet-5"
    assert project(chat(model="sonnet"), start="2026-12", months=1, table=table).workloads[0].model == (
        "claude-sonnet-5-5"
    )


def test_unknown_model_suggests(table: PriceTable) -> None:
    with pytest.raises(UnknownModelError, match=r"did you mean 'sonnet-4\.6'"):
        project(chat(model="sonet-4.6"), start="2026-12", table=table)


@pytest.mark.parametrize(
    ("prompt", "per_month"),
    [
        # Haiku 5.5: prompt ≤ 100,000: $0.10 / $0.50. 100,000 × $0.10 + 1,000 × $0.50 = $0.0105 × 10 = $0.105
        (100_000, D("0.105")),
        # 100,001 tokens: the whole request at $0.50 / $2.50: $0.0500005 + $0.0025 = $0.0525005 × 10
        (100_001, D("0.525005")),
    ],
)
def test_tier_is_chosen_per_request(table: PriceTable, prompt: int, per_month: D) -> None:
    w = Workload(
        name="long", model="haiku-5.5", usage=Usage(input_tokens=prompt, output_tokens=1_000), requests=10
    )
    p = project(w, start="2026-12", months=1, table=table)
    assert p.months[0].realtime_cost == per_month
    assert any("100,000" in x and "tier" in x for x in p.warnings) is (prompt > 100_000)


CACHED = Usage(input_tokens=1_000, cache_read_tokens=10_000, output_tokens=500)
"""Sonnet 4.6: 1,000 × $3 + 10,000 × $0.30 + 500 × $15 = $0.0135 a request in real time."""


def test_cache_hit_rate_splits_the_cacheable_prompt_in_batch(table: PriceTable) -> None:
    w = chat(usage=CACHED, requests=100, per="month", growth_percent=0, cache_hit_rate="0.8")
    p = project(w, start="2026-12", months=1, table=table)
    m = p.workloads[0].months[0]
    assert m.realtime_cost == D("1.35")  # 100 × $0.0135, cache reads as given
    # Batch (× 0.5): cacheable 100 × 10,000 = 1,000,000 tokens; 80% read, 20% written to the 1h cache:
    #   100,000 input × $1.50 = $0.15; 800,000 reads × $0.15 = $0.12; 200,000 1h writes × $3 = $0.60;
    #   50,000 output × $7.50 = $0.375; total $1.245
    assert m.batch_cost == m.blended_cost == D("1.245")
    # compare shows batch with the tokens as given ($0.675) beside batch + cache ($1.245)
    c = compare(w, ["sonnet-4.6"], start="2026-12", months=1, table=table)
    assert {s.mode: s.total_cost for s in c.scenarios} == {
        "realtime": D("1.35"),
        "batch": D("0.675"),
        "batch+cache": D("1.245"),
    }


def test_cache_hit_rate_without_cacheable_prompt_is_warned(table: PriceTable) -> None:
    p = project(chat(cache_hit_rate="0.5"), start="2026-12", months=1, table=table)
    assert p.months[0].batch_cost == D("209.25")  # the same as plain batch
    assert any("no cacheable prompt" in x for x in p.warnings)


def test_cache_reads_in_batch_without_a_hit_rate_are_warned(table: PriceTable) -> None:
    p = project(chat(usage=CACHED), start="2026-12", months=1, table=table)
    assert any("best-effort" in x for x in p.warnings)
    p = project(chat(usage=CACHED, batch_share=0), start="2026-12", months=1, table=table)
    assert not any("best-effort" in x for x in p.warnings)  # nothing goes to batch


def test_hybrid_split(table: PriceTable) -> None:
    w = chat(requests=100, per="month", growth_percent=0, batch_share="0.7")
    m = project(w, start="2026-12", months=1, table=table).workloads[0].months[0]
    # 70 requests in batch × $0.00675 = $0.4725; 30 in real time × $0.0135 = $0.405; blended $0.8775
    assert (m.batch_requests, m.blended_cost) == (70, D("0.8775"))
    assert m.savings == D("1.35") - D("0.8775") == D("0.4725")


def test_hybrid_with_cache(table: PriceTable) -> None:
    w = chat(
        usage=CACHED, requests=100, per="month", growth_percent=0, batch_share="0.7", cache_hit_rate="0.8"
    )
    m = project(w, start="2026-12", months=1, table=table).workloads[0].months[0]
    # real time: 30 × $0.0135 = $0.405
    # batch, 70 requests: 70,000 input × $1.50 = $0.105; cacheable 700,000 → 560,000 reads × $0.15 = $0.084
    #   and 140,000 1h writes × $3 = $0.42; 35,000 output × $7.50 = $0.2625 → $0.8715
    assert m.blended_cost == D("0.405") + D("0.8715") == D("1.2765")


@pytest.mark.parametrize(("requests", "in_batch"), [(15, 10), (25, 18), (1, 1), (0, 0)])
def test_batch_share_rounds_half_even(table: PriceTable, requests: int, in_batch: int) -> None:
    # 15 × 0.7 = 10.5 → 10; 25 × 0.7 = 17.5 → 18; 1 × 0.7 = 0.7 → 1
    w = chat(requests=requests, per="month", growth_percent=0, batch_share="0.7")
    m = project(w, start="2026-12", months=1, table=table).workloads[0].months[0]
    assert m.batch_requests == in_batch


def test_batch_share_zero_is_all_real_time(table: PriceTable) -> None:
    m = project(chat(batch_share=0), start="2026-12", months=1, table=table).months[0]
    assert m.blended_cost == m.realtime_cost
    assert m.savings == 0


def test_web_search_fee_is_not_discounted_in_batch(table: PriceTable) -> None:
    w = chat(usage=Usage(web_search_requests=1), requests=1_000, per="month", growth_percent=0)
    m = project(w, start="2026-12", months=1, table=table).months[0]
    # 1,000 searches × $10 / 1,000 = $10 in both modes (plus $0 of tokens)
    assert (m.realtime_cost, m.batch_cost, m.savings) == (D(10), D(10), D(0))


def test_zero_volume_costs_nothing(table: PriceTable) -> None:
    m = project(chat(requests=0), start="2026-12", months=1, table=table).months[0]
    assert (m.requests, m.realtime_cost, m.batch_cost) == (0, D(0), D(0))


# --------------------------------------------------------------------------------------------------
# From an estimate


def test_estimate_keeps_each_models_share_and_average_request(table: PriceTable) -> None:
    # The fixture: 30 Sonnet 4.6 requests (60,000 input, 15,000 output) and 3 Haiku 4.5 requests
    # (4,500 input, 1,001 output) — 33 in all. Default volume: the estimate's own 33 a month.
    p = project(workloads_from_estimate(ESTIMATE), start="2026-12", months=1, table=table)
    sonnet, haiku = p.workloads
    assert (sonnet.months[0].requests, haiku.months[0].requests) == (30, 3)
    # Sonnet: 60,000 × $3 + 15,000 × $15 = $0.18 + $0.225 = $0.405
    # Haiku:  4,500 × $1 + 1,001 × $5 = $0.0045 + $0.005005 = $0.009505
    assert (sonnet.realtime_cost, haiku.realtime_cost) == (D("0.405"), D("0.009505"))


def test_estimate_scaled_rounds_tokens_half_even(table: PriceTable) -> None:
    # 10 requests a month: Sonnet 10 × 30/33 = 9.09 → 9; Haiku 10 × 3/33 = 0.909 → 1
    p = project(workloads_from_estimate(ESTIMATE, requests=10), start="2026-12", months=1, table=table)
    sonnet, haiku = (w.months[0] for w in p.workloads)
    assert (sonnet.requests, haiku.requests) == (9, 1)
    # Sonnet: 60,000 × 9/30 = 18,000 input, 15,000 × 9/30 = 4,500 output → $0.054 + $0.0675 = $0.1215
    assert (sonnet.input_tokens, sonnet.output_tokens, sonnet.realtime_cost) == (18_000, 4_500, D("0.1215"))
    # Haiku: 4,500 / 3 = 1,500 input; 1,001 / 3 = 333.67 → 334 output → $0.0015 + $0.00167 = $0.00317
    assert (haiku.input_tokens, haiku.output_tokens, haiku.realtime_cost) == (1_500, 334, D("0.00317"))


# --------------------------------------------------------------------------------------------------
# What-if


def test_compare_ranks_by_average_monthly_cost(table: PriceTable) -> None:
    w = chat(requests=100, per="month", growth_percent=0)
    c = compare(w, ["sonnet-4.6", "haiku-4.5"], start="2026-12", months=3, table=table)
    # Sonnet 4.6: $0.0135 × 100 = $1.35 real time, $0.675 batch
    # Haiku 4.5 ($1 / $5): 2,000 × $1 + 500 × $5 = $0.0045 × 100 = $0.45, batch $0.225
    ranked = [(s.rank, s.model, s.mode, s.average_monthly_cost, s.vs_cheapest_percent) for s in c.scenarios]
    assert ranked == [
        (1, "claude-haiku-4-5-20251001", "batch", D("0.225"), D(0)),
        (2, "claude-haiku-4-5-20251001", "realtime", D("0.45"), D(100)),
        (3, "claude-sonnet-4-6", "batch", D("0.675"), D(200)),
        (4, "claude-sonnet-4-6", "realtime", D("1.35"), D(500)),
    ]
    assert c.scenarios[0].total_cost == D("0.675")  # 3 months × $0.225
    assert c.scenarios[0].monthly_costs == (D("0.225"),) * 3


def test_compare_default_modes_follow_the_workloads(table: PriceTable) -> None:
    assert compare(chat(), ["sonnet-4.6"], start="2026-12", table=table).modes == ("realtime", "batch")
    both = chat(usage=CACHED, cache_hit_rate="0.8", batch_share="0.7")
    modes = compare(both, ["sonnet-4.6"], start="2026-12", table=table).modes
    assert modes == ("realtime", "batch", "batch+cache", "hybrid")


def test_compare_family_names_resolve_and_duplicates_collapse(table: PriceTable) -> None:
    c = compare(
        chat(),
        ["sonnet", "sonnet-5.5", "claude-sonnet-5-5"],
        modes=["realtime"],
        start="2026-12",
        table=table,
    )
    assert [(s.model, s.requested_model) for s in c.scenarios] == [("claude-sonnet-5-5", "sonnet")]


def test_compare_warns_about_tokenizers(table: PriceTable) -> None:
    c = compare(chat(), ["sonnet-4.6", "sonnet-5.5"], start="2026-12", months=1, table=table)
    assert any("different tokenizers" in x for x in c.warnings)
    c = compare(chat(), ["sonnet-4.6", "haiku-4.5"], start="2026-12", months=1, table=table)
    assert not any("different tokenizers" in x for x in c.warnings)


def test_compare_model_without_batch_has_only_real_time(table: PriceTable) -> None:
    c = compare(chat(), ["claude-3-sonnet-20240229", "sonnet-3.7"], start="2025-06", months=1, table=table)
    modes = {(s.model, s.mode) for s in c.scenarios}
    assert ("claude-3-sonnet-20240229", "batch") not in modes
    assert ("claude-3-sonnet-20240229", "realtime") in modes
    assert any("not available in the Message Batches API" in x for x in c.warnings)


def test_compare_errors(table: PriceTable) -> None:
    with pytest.raises(UsageError, match="needs a cache hit rate"):
        compare(chat(), ["sonnet-4.6"], modes=["batch+cache"], start="2026-12", table=table)
    with pytest.raises(UsageError, match="unknown mode"):
        compare(chat(), ["sonnet-4.6"], modes=["cheap"], start="2026-12", table=table)  # type: ignore[list-item]
    with pytest.raises(UsageError, match="at least one model"):
        compare(chat(), [], start="2026-12", table=table)
    with pytest.raises(UnknownModelError):
        compare(chat(), ["sonnet-4.6", "hiaku"], start="2026-12", table=table)


# --------------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("months", [0, -1, 1201, True])
def test_horizon_bounds(table: PriceTable, months: int) -> None:
    with pytest.raises(UsageError, match="months must be a whole number from 1 to 1200"):
        project(chat(), start="2026-12", months=months, table=table)


def test_other_bad_options(table: PriceTable) -> None:
    with pytest.raises(UsageError, match="month_length"):
        project(chat(), start="2026-12", month_length="lunar", table=table)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="repeated: chat"):
        project([chat(), chat()], start="2026-12", table=table)
    with pytest.raises(UsageError, match="no workloads"):
        project([], start="2026-12", table=table)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("requests", -1, r"requests must be 0 or more \(got -1\)"),
        ("requests", "-5", "is negative"),
        ("requests", 1.5, "not float"),
        ("growth_percent", -100, r"growth_percent must be more than -100 \(got -100\)"),
        ("growth_percent", "-100.01", "growth_percent must be more than -100"),
        ("batch_share", "1.01", "batch_share must be 1 or less"),
        ("cache_hit_rate", -1, "cache_hit_rate must be 0 or more"),
        ("per", "year", "per must be 'day', 'week' or 'month'"),
    ],
)
def test_workload_rejects(field: str, value: object, message: str) -> None:
    # a UsageError (a ValueError) in plain words, never pydantic's
    with pytest.raises(UsageError, match=message) as info:
        chat(**{field: value})
    assert field in str(info.value)
    assert "Input should" not in str(info.value)


def test_growth_just_above_minus_100_is_accepted(table: PriceTable) -> None:
    # -99.9%: 1,000,000 a month, then 1,000, then 1
    w = chat(requests=1_000_000, per="month", growth_percent="-99.9")
    assert [m.requests for m in project(w, start="2026-12", months=3, table=table).months] == [
        1_000_000,
        1_000,
        1,
    ]


# --------------------------------------------------------------------------------------------------
# Invariants


MODELS = ["sonnet-4.6", "haiku-5.5", "opus-4.1", "sonnet-5.5", "claude-3-5-haiku-20241022"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    input_tokens=st.integers(0, 300_000),
    cache_write=st.integers(0, 5_000),
    cache_read=st.integers(0, 50_000),
    output_tokens=st.integers(0, 20_000),
    requests=st.integers(0, 50_000),
    model=st.sampled_from(MODELS),
    start=st.sampled_from(["2026-01", "2026-10", "2026-12", "2027-06"]),
)
def test_months_match_cost_of_the_same_usage(
    table: PriceTable,
    input_tokens: int,
    cache_write: int,
    cache_read: int,
    output_tokens: int,
    requests: int,
    model: str,
    start: str,
) -> None:
    """Each month costs exactly what cost() says for its requests on the month's first day."""
    usage = Usage(
        input_tokens=input_tokens,
        cache_write_5m_tokens=cache_write,
        cache_read_tokens=cache_read,
        output_tokens=output_tokens,
    )
    w = Workload(name="w", model=model, usage=usage, requests=requests, growth_percent=7)
    try:
        p = project(w, start=start, months=3, table=table)
    except PriceNotAvailableError:
        return  # a month before the model's release
    for m in p.workloads[0].months:
        if m.requests == 0:
            assert m.realtime_cost == m.batch_cost == 0
            continue
        total = usage * m.requests
        expect_rt = cost(total, model, requests=m.requests, at=m.month, table=table).total
        expect_batch = cost(total, model, mode="batch", requests=m.requests, at=m.month, table=table).total
        assert (m.realtime_cost, m.batch_cost) == (expect_rt, expect_batch)
        assert m.batch_cost * 2 == m.realtime_cost  # no web search: batch is exactly half
        assert m.input_tokens == usage.prompt_tokens * m.requests
    running = D(0)
    for total_row in p.months:
        running += total_row.savings
        assert total_row.cumulative_savings == running
        assert total_row.realtime_cost >= total_row.blended_cost >= total_row.batch_cost >= 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    share=st.decimals(min_value=0, max_value=1, places=2),
    hit=st.none() | st.decimals(min_value=0, max_value=1, places=2),
    requests=st.integers(0, 10_000),
)
def test_workloads_add_up_to_the_totals(table: PriceTable, share: D, hit: D | None, requests: int) -> None:
    a = chat(usage=CACHED, requests=requests, per="week", batch_share=share, cache_hit_rate=hit)
    b = chat(name="b", model="haiku-5.5", requests=requests, per="month", growth_percent=-3)
    p = project([a, b], start="2026-12", months=14, table=table)
    for k, total in enumerate(p.months):
        rows = [w.months[k] for w in p.workloads]
        for key in (
            "requests",
            "input_tokens",
            "output_tokens",
            "realtime_cost",
            "batch_cost",
            "blended_cost",
        ):
            assert getattr(total, key) == sum(getattr(r, key) for r in rows)
        for r in rows:
            assert 0 <= r.batch_requests <= r.requests
            assert min(r.realtime_cost, r.batch_cost) <= r.blended_cost <= max(r.realtime_cost, r.batch_cost)
    assert p.blended_cost == sum((y.blended_cost for y in p.years), D(0))
    assert p.savings == p.realtime_cost - p.blended_cost


# --------------------------------------------------------------------------------------------------
# DataFrames


def test_to_frame_keeps_exact_decimals(table: PriceTable) -> None:
    import pandas as pd

    p = project(chat(), start="2026-12", months=3, table=table)
    frame = p.to_frame()
    assert list(frame.index.astype(str)) == ["2026-12", "2027-01", "2027-02"]
    assert isinstance(frame.index, pd.PeriodIndex)
    assert frame["realtime_cost"].dtype == object
    assert frame["realtime_cost"].iloc[1] == D("439.425")
    assert isinstance(frame["cumulative_savings"].iloc[-1], D)
    assert frame["requests"].tolist() == [31_000, 32_550, 30_870]
    assert frame["retired"].dtype == bool

    by = project([chat(), chat(name="b", requests=1)], start="2026-12", months=2, table=table).to_frame(
        by_workload=True
    )
    assert by.index.names == ["workload", "month"]
    assert len(by) == 4
    # 1/day × 31 days = 31 in December; × 1.05 × 31 = 32.55 → 33 in January
    assert by["requests"].xs("b", level="workload").tolist() == [31, 33]


def test_comparison_to_frame(table: PriceTable) -> None:
    c = compare(
        chat(requests=100, per="month", growth_percent=0), ["haiku-4.5"], start="2026-12", table=table
    )
    frame = c.to_frame()
    assert frame.index.name == "rank"
    assert frame["mode"].tolist() == ["batch", "realtime"]
    assert frame.loc[1, "average_monthly_cost"] == D("0.225")


def test_projection_json_round_trips_months(tmp_path: Path, table: PriceTable) -> None:
    import json

    from claude_quote import render

    data = json.loads(render(project(chat(), start="2026-12", months=2, table=table), "json"))
    assert data["kind"] == "projection"
    assert data["schema_version"] == 1
    assert data["pricing_version"] == table.version
    assert data["pricing_sha256"] == table.sha256
    assert data["months"][1]["cumulative_savings"] == "428.9625"
    assert data["workloads"][0]["months"][0]["requests_unrounded"] == "31000"
    assert data["years"][0]["realtime_cost"] == "857.925"
