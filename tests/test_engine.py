"""The pricing engine: modifiers as the API spells them, rate cards, tiers, and volume pricing.

Every figure is derived by hand from pricing/anthropic.toml (rates in USD per million tokens).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote import Engine, Ledger, Modifiers, PriceNotAvailableError, Usage, UsageError, price_requests
from claude_quote.cost import cost
from claude_quote.pricing import PriceTable, parse_pricing
from tests.conftest import DAY


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


# --- modifiers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, Modifiers("realtime", "global", "standard")),
        ({"inference_geo": "us"}, Modifiers("realtime", "us", "standard")),
        ({"inference_geo": "not_available"}, Modifiers("realtime", "global", "standard")),
        ({"speed": "fast"}, Modifiers("realtime", "global", "fast")),
        ({"service_tier": "batch"}, Modifiers("batch", "global", "standard")),
        ({"service_tier": "standard"}, Modifiers("realtime", "global", "standard")),
        ({"service_tier": "auto"}, Modifiers("realtime", "global", "standard")),
        ({"service_tier": "standard_only"}, Modifiers("realtime", "global", "standard")),
    ],
)
def test_modifiers_from_the_api_fields(fields: dict[str, Any], expected: Modifiers) -> None:
    assert Modifiers.from_api(**fields) == expected


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"inference_geo": "eu"}, "inference_geo 'eu' is not one of global, us, not_available"),
        ({"inference_geo": ["us"]}, 'inference_geo ["us"] is not one of global, us, not_available'),
        ({"speed": "fats"}, "speed 'fats' is not one of standard, fast; did you mean 'fast'?"),
        ({"speed": 2}, "speed 2 is not one of standard, fast"),
        ({"service_tier": "batched"}, "service_tier 'batched' is not one of standard, batch, auto"),
    ],
)
def test_unknown_modifiers_are_errors_that_name_them(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as info:
        Modifiers.from_api(**fields)
    assert message in str(info.value)


def test_priority_tier_has_no_price_never_zero() -> None:
    with pytest.raises(PriceNotAvailableError, match="service_tier 'priority' has no published prices"):
        Modifiers.from_api(service_tier="priority")


def test_modifiers_refuse_values_outside_their_types() -> None:
    with pytest.raises(UsageError, match="mode must be one of realtime, batch; got 'bulk'"):
        Modifiers(mode="bulk")  # type: ignore[arg-type]


# --- rate cards ------------------------------------------------------------------------------------


def test_card_applies_batch_and_residency_to_every_token_rate(engine: Engine) -> None:
    card = engine.card("sonnet-4.6", DAY, Modifiers("batch", "us"))
    # $3 × 0.5 × 1.1 = $1.65 input; $15 × 0.55 = $8.25 output; read $0.30 × 0.55 = $0.165
    assert card.rate("input") == D("1.65")
    assert card.rate("output") == D("8.25")
    assert card.rate("cache_read") == D("0.165")
    assert card.rate("web_search") == D(10)  # web search fees are not discounted nor multiplied


def test_tier_is_chosen_per_request_on_both_sides_of_the_line(engine: Engine) -> None:
    card = engine.card("haiku-5.5", DAY)
    assert card.thresholds == (100_000,)
    assert card.tier(100_000) == 0
    assert card.tier(100_001) == 1
    # 3 requests totalling 300,003 tokens: 100,001 each, over the line; 300,000: 100,000 each, not
    assert card.tier_of_total(300_003, 3) == 1
    assert card.tier_of_total(300_000, 3) == 0
    assert card.tier_label(1) == "prompt > 100,000 tokens"


def test_fast_mode_has_no_tiers_and_is_not_batchable(engine: Engine) -> None:
    card = engine.card("opus-4.6", date(2026, 2, 10), Modifiers(speed="fast"))
    assert (card.speed, card.thresholds, card.rate("input"), card.rate("output")) == (
        "fast",
        (),
        D(30),
        D(150),
    )
    with pytest.raises(UsageError, match="fast mode is not available with the Batch API"):
        engine.card("opus-5", DAY, Modifiers("batch", speed="fast"))
    info = engine.model("opus-5", DAY)
    assert not engine.batchable(info, DAY, Modifiers(speed="fast"))
    assert engine.batchable(info, DAY)


def test_residency_on_a_model_without_it_is_an_error(engine: Engine) -> None:
    with pytest.raises(
        PriceNotAvailableError, match="claude-haiku-4-5-20251001 does not accept inference_geo 'us'"
    ):
        engine.card("haiku-4.5", DAY, Modifiers(geo="us"))


def _withdrawn_fast_table() -> PriceTable:
    """The bundled table with Opus 4.8's withdrawn fast mode billed at standard rates afterwards."""
    text = """
extends = "builtin"
[[models]]
id = "claude-opus-4-8"
name = "Claude Opus 4.8"
family = "opus"
version = "4.8"
released = 2026-05-28
context_window = 1_000_000
max_output = 128_000
us_data_residency = true
tokenizer = "claude-4.7"
sources = ["P-SEP26"]
checked = 2026-11-25
fast_mode_removed = 2026-11-30
fast_mode_after_removal = "standard"
[[models.prices]]
effective_from = 2026-05-28
input_per_mtok = 5
output_per_mtok = 25
cache_write_5m_per_mtok = 6.25
cache_write_1h_per_mtok = 10
cache_read_per_mtok = 0.50
sources = ["P-SEP26"]
[[models.fast_mode]]
effective_from = 2026-05-28
input_per_mtok = 10
output_per_mtok = 50
sources = ["P-SEP26"]
"""
    return parse_pricing(text.encode(), origin="withdrawn-fast.toml")


def test_withdrawn_fast_mode_can_bill_at_standard_rates_with_a_note() -> None:
    engine = Engine(_withdrawn_fast_table())
    before = engine.card("opus-4.8", date(2026, 11, 29), Modifiers(speed="fast"))
    after = engine.card("opus-4.8", date(2026, 11, 30), Modifiers(speed="fast"))
    assert (before.speed, before.rate("input")) == ("fast", D(10))
    assert (after.speed, after.rate("input")) == ("standard", D(5))
    assert after.notes == (
        'fast mode for claude-opus-4-8 was withdrawn on 2026-11-30: a `speed: "fast"` request runs at '
        "standard speed and is billed at standard rates",
    )
    # a fast request is never batched, even one that bills standard rates
    with pytest.raises(UsageError, match="fast mode is not available with the Batch API"):
        engine.card("opus-4.8", date(2026, 11, 30), Modifiers("batch", speed="fast"))
    # without that record, a fast request after withdrawal has no price
    with pytest.raises(
        PriceNotAvailableError, match=r"no fast-mode price on 2026-11-30 \(withdrawn on 2026-11-30\)"
    ):
        Engine().card("opus-4.8", date(2026, 11, 30), Modifiers(speed="fast"))


def test_cards_are_remembered(engine: Engine) -> None:
    assert engine.card("sonnet-4.6", DAY) is engine.card("claude-sonnet-4-6", DAY)


# --- volume ----------------------------------------------------------------------------------------


def test_price_requests_tiers_each_request_by_hand() -> None:
    usages = [Usage(input_tokens=100_000, output_tokens=1_000)] * 3 + [Usage(input_tokens=200_000)]
    c = price_requests(usages, "haiku-5.5", at=DAY)
    # 3 × (100,000 × $0.10 + 1,000 × $0.50) / 1M = $0.0315; 200,000 × $0.50 / 1M = $0.10
    assert c.total == D("0.1315")
    assert c.requests == 4
    assert {(ln.kind, ln.tier): ln.quantity for ln in c.lines} == {
        ("input", None): 300_000,
        ("input", "prompt > 100,000 tokens"): 200_000,
        ("output", None): 3_000,
    }


def test_price_requests_of_nothing_is_zero() -> None:
    assert price_requests([], "sonnet-4.6", mode="batch", at=DAY).total == 0


def test_ledger_keeps_modifiers_apart_and_labels_them(engine: Engine) -> None:
    ledger = Ledger(engine)
    ledger.add(engine.card("sonnet-4.6", DAY), Usage(input_tokens=1_000_000))
    ledger.add(engine.card("sonnet-4.6", DAY, Modifiers(geo="us")), Usage(input_tokens=1_000_000))
    c = ledger.cost()
    # $3 + $3.30
    assert c.total == D("6.3")
    assert sorted((ln.rate, ln.note) for ln in c.lines) == [(D(3), None), (D("3.3"), "US-only")]


def test_ledger_refuses_to_add_realtime_and_batch(engine: Engine) -> None:
    ledger = Ledger(engine)
    ledger.add(engine.card("sonnet-4.6", DAY), Usage(input_tokens=1))
    ledger.add(engine.card("sonnet-4.6", DAY, Modifiers("batch")), Usage(input_tokens=1))
    with pytest.raises(ValueError, match="cannot add realtime and batch"):
        ledger.cost()


_usage = st.builds(
    Usage,
    input_tokens=st.integers(0, 400_000),
    cache_write_5m_tokens=st.integers(0, 50_000),
    cache_write_1h_tokens=st.integers(0, 50_000),
    cache_read_tokens=st.integers(0, 200_000),
    output_tokens=st.integers(0, 64_000),
    web_search_requests=st.integers(0, 5),
)
# Haiku 5.5 has one tier; Sonnet 4.5 had one until 2026-04-30; the two-tier table tests the general path.
_cases = st.sampled_from(
    [("haiku-5.5", DAY), ("sonnet-4.5", date(2026, 1, 15)), ("sonnet-4.6", DAY), ("opus-5.5", DAY)]
)


@settings(max_examples=60, deadline=None)
@given(usages=st.lists(_usage, max_size=40), case=_cases, mode=st.sampled_from(["realtime", "batch"]))
def test_grouped_equals_one_by_one(usages: list[Usage], case: tuple[str, date], mode: str) -> None:
    model, at = case
    grouped = price_requests(usages, model, mode=mode, at=at)  # type: ignore[arg-type]
    one_by_one = sum((cost(u, model, mode=mode, requests=1, at=at).total for u in usages), D(0))  # type: ignore[arg-type]
    assert grouped.total == one_by_one
    assert grouped.requests == len(usages)


def _two_tier_table() -> PriceTable:
    base = Engine().table
    model = base.by_name("haiku-5.5")
    assert model is not None
    entry = model.prices[-1]
    tiers = (
        *entry.tiers,
        entry.tiers[0].model_copy(update={"above_prompt_tokens": 300_000, "input_per_mtok": D(1)}),
    )
    changed = model.model_copy(
        update={"prices": (*model.prices[:-1], entry.model_copy(update={"tiers": tiers}))}
    )
    return base.model_copy(update={"models": tuple(changed if m.id == model.id else m for m in base.models)})


@settings(max_examples=30, deadline=None)
@given(usages=st.lists(_usage, max_size=30))
def test_grouped_equals_one_by_one_with_two_tiers(usages: list[Usage]) -> None:
    table = _two_tier_table()
    grouped = price_requests(usages, "haiku-5.5", at=DAY, table=table)
    one_by_one = sum((cost(u, "haiku-5.5", requests=1, at=DAY, table=table).total for u in usages), D(0))
    assert grouped.total == one_by_one
