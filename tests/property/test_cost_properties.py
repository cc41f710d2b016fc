"""Invariants of the cost engine, over generated usages, models and dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote import Usage, cost, load_pricing
from claude_quote.money import decimal_str

TABLE = load_pricing()
SETTINGS = settings(max_examples=200, deadline=None)

counts = st.integers(min_value=0, max_value=5_000_000)


@st.composite
def usages(draw: st.DrawFn, cache: bool = True) -> Usage:
    zero = st.just(0)
    return Usage(
        input_tokens=draw(counts),
        cache_write_5m_tokens=draw(counts if cache else zero),
        cache_write_1h_tokens=draw(counts if cache else zero),
        cache_read_tokens=draw(counts if cache else zero),
        output_tokens=draw(counts),
        web_search_requests=draw(st.integers(min_value=0, max_value=10_000)),
    )


@st.composite
def priced_models(draw: st.DrawFn) -> tuple[str, date]:
    """A model with full cache prices that the Batch API takes, and a date it (and web search) has a price on."""
    searchable = TABLE.web_search.effective_from
    model = draw(
        st.sampled_from(
            [
                m
                for m in TABLE.models
                if m.batch
                and m.prices[0].cache_write_1h_per_mtok is not None
                and (m.retired is None or m.retired > searchable)
            ]
        )
    )
    first = max(model.released, searchable)
    last = model.retired or date(2027, 1, 1)
    day = draw(st.integers(min_value=0, max_value=(last - first).days - 1))
    return model.id, first + timedelta(days=day)


@SETTINGS
@given(usages(), priced_models(), st.integers(min_value=1, max_value=50))
def test_cost_is_linear_in_identical_requests(u: Usage, model: tuple[str, date], k: int) -> None:
    one = cost(u, model[0], requests=1, at=model[1], table=TABLE)
    many = cost(u * k, model[0], requests=k, at=model[1], table=TABLE)
    assert many.total == one.total * k


@SETTINGS
@given(usages(), priced_models())
def test_batch_token_lines_are_exactly_half(u: Usage, model: tuple[str, date]) -> None:
    realtime = cost(u, model[0], requests=1, at=model[1], table=TABLE)
    batch = cost(u, model[0], mode="batch", requests=1, at=model[1], table=TABLE)
    pairs = zip(realtime.lines, batch.lines, strict=True)
    for rt, b in pairs:
        assert (rt.kind, rt.quantity, rt.tier) == (b.kind, b.quantity, b.tier)
        if rt.kind == "web_search":
            assert b.amount == rt.amount  # not discounted
        else:
            assert b.amount * 2 == rt.amount
    assert batch.total <= realtime.total


@SETTINGS
@given(usages(), priced_models(), st.sampled_from(["realtime", "batch"]))
def test_lines_sum_to_the_total_and_nothing_is_negative(u: Usage, model: tuple[str, date], mode: str) -> None:
    c = cost(u, model[0], mode=mode, requests=1, at=model[1], table=TABLE)  # type: ignore[arg-type]
    assert sum((ln.amount for ln in c.lines), Decimal(0)) == c.total
    assert all(ln.amount >= 0 and ln.rate >= 0 for ln in c.lines)
    assert c.total >= 0


@SETTINGS
@given(usages(), usages(), priced_models())
def test_costs_add_up(a: Usage, b: Usage, model: tuple[str, date]) -> None:
    ca = cost(a, model[0], requests=1, at=model[1], table=TABLE)
    cb = cost(b, model[0], requests=1, at=model[1], table=TABLE)
    both = ca + cb
    assert both.total == ca.total + cb.total
    assert both.requests == 2


@SETTINGS
@given(usages(), usages(), usages())
def test_usage_addition_is_associative_and_commutative(a: Usage, b: Usage, c: Usage) -> None:
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert (a + b).prompt_tokens == a.prompt_tokens + b.prompt_tokens


@SETTINGS
@given(usages(cache=False), priced_models())
def test_more_tokens_never_cost_less(u: Usage, model: tuple[str, date]) -> None:
    bigger = u + Usage(output_tokens=1)
    assert (
        cost(bigger, model[0], requests=1, at=model[1], table=TABLE).total
        >= cost(u, model[0], requests=1, at=model[1], table=TABLE).total
    )


@SETTINGS
@given(st.decimals(allow_nan=False, allow_infinity=False, places=12, min_value=-(10**9), max_value=10**9))
def test_decimal_strings_round_trip_exactly(value: Decimal) -> None:
    text = decimal_str(value)
    assert "E" not in text
    assert Decimal(text) == value
