"""The cost engine against hand-derived figures. Each expectation shows its arithmetic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from claude_quote import (
    ClaudeQuoteError,
    PriceNotAvailableError,
    PriceTable,
    UnknownModelError,
    Usage,
    UsageError,
    cost,
    quote,
)
from tests.conftest import DAY

D = Decimal


def lines(c: object) -> dict[str, tuple[int, Decimal, Decimal]]:
    from claude_quote.cost import Cost

    assert isinstance(c, Cost)
    return {ln.kind: (ln.quantity, ln.rate, ln.amount) for ln in c.lines}


class TestHeadlineExample:
    """The example a circulating article gets wrong by a factor of 1,000 ($45,000 vs $22,500)."""

    def test_sonnet_46_five_million_in_two_million_out(self, table: PriceTable) -> None:
        u = Usage(input_tokens=5_000_000, output_tokens=2_000_000)
        q = quote(u, "sonnet-4.6", requests=1_000, at=DAY, table=table)
        # real time: 5M × $3/MTok = $15; 2M × $15/MTok = $30; total $45
        assert lines(q.realtime) == {
            "input": (5_000_000, D(3), D(15)),
            "output": (2_000_000, D(15), D(30)),
        }
        assert q.realtime.total == D(45)
        # batch: every rate × 0.5 → 5M × $1.50 = $7.50; 2M × $7.50 = $15; total $22.50
        assert q.batch is not None
        assert q.batch.total == D("22.5")
        assert q.savings is not None
        assert (q.savings.amount, q.savings.percent) == (D("22.5"), D(50))
        assert q.model == "claude-sonnet-4-6"
        assert q.warnings == ()

    def test_as_one_request_it_would_not_fit(self, table: PriceTable) -> None:
        u = Usage(input_tokens=5_000_000, output_tokens=2_000_000)
        q = quote(u, "sonnet-4.6", requests=1, at=DAY, table=table)
        assert q.realtime.total == D(45)  # same money: Sonnet 4.6 has no tier
        assert any("1,000,000-token context window" in w for w in q.warnings)


class TestCacheAndBatch:
    def test_cache_write_ttls_are_priced_separately(self, table: PriceTable) -> None:
        u = Usage(cache_write_5m_tokens=1_000_000, cache_write_1h_tokens=1_000_000)
        c = cost(u, "sonnet-4.6", requests=1, at=DAY, table=table)
        # 5-minute write 1.25 × $3 = $3.75; 1-hour write 2 × $3 = $6 (not the 5m rate)
        assert lines(c)["cache_write_5m"] == (1_000_000, D("3.75"), D("3.75"))
        assert lines(c)["cache_write_1h"] == (1_000_000, D(6), D(6))

    def test_batch_halves_cache_reads_and_writes_too(self, table: PriceTable) -> None:
        u = Usage(
            input_tokens=2_000_000,
            cache_write_5m_tokens=1_000_000,
            cache_write_1h_tokens=1_000_000,
            cache_read_tokens=10_000_000,
            output_tokens=1_000_000,
        )
        c = cost(u, "opus-4.6", mode="batch", requests=1, at=DAY, table=table)
        # Opus 4.6 batch: input $2.50, 5m $3.125, 1h $5, read $0.25 (facts: "batch cache read = $0.25"), out $12.50
        assert lines(c) == {
            "input": (2_000_000, D("2.5"), D(5)),
            "cache_write_5m": (1_000_000, D("3.125"), D("3.125")),
            "cache_write_1h": (1_000_000, D(5), D(5)),
            "cache_read": (10_000_000, D("0.25"), D("2.5")),
            "output": (1_000_000, D("12.5"), D("12.5")),
        }
        # $5 + $3.125 + $5 + $2.50 + $12.50 = $28.125
        assert c.total == D("28.125")

    def test_cache_reads_are_not_a_blanket_tenth(self, table: PriceTable) -> None:
        u = Usage(cache_read_tokens=1_000_000)
        # Fable 5.1 reads at 0.025 × $10 = $0.25; Opus 5.5 at 0.05 × $4 = $0.20; Sonnet 4.6 at 0.1 × $3 = $0.30
        assert lines(cost(u, "fable-5.1", requests=1, at=DAY, table=table))["cache_read"][2] == D("0.25")
        assert lines(cost(u, "opus-5.5", requests=1, at=DAY, table=table))["cache_read"][2] == D("0.2")
        assert lines(cost(u, "sonnet-4.6", requests=1, at=DAY, table=table))["cache_read"][2] == D("0.3")

    def test_model_without_cache_prices_refuses_cache_tokens(self, table: PriceTable) -> None:
        with pytest.raises(PriceNotAvailableError, match="no published 5-minute cache write price"):
            cost(
                Usage(cache_write_5m_tokens=1),
                "claude-3-sonnet-20240229",
                requests=1,
                at=date(2025, 1, 1),
                table=table,
            )


class TestTiers:
    """Whole-request tiers: chosen from one request's prompt, repricing every token of it."""

    def test_haiku_55_at_the_100k_line(self, table: PriceTable) -> None:
        at_line = cost(
            Usage(input_tokens=100_000, output_tokens=1_000), "haiku-5.5", requests=1, at=DAY, table=table
        )
        # 100,000 is not over 100,000: base rates. 100,000 × $0.10 = $0.01; 1,000 × $0.50 = $0.0005
        assert at_line.total == D("0.0105")
        assert all(ln.tier is None for ln in at_line.lines)
        over = cost(
            Usage(input_tokens=100_001, output_tokens=1_000), "haiku-5.5", requests=1, at=DAY, table=table
        )
        # 100,001 × $0.50 = $0.0500005; output repriced too: 1,000 × $2.50 = $0.0025
        assert over.total == D("0.0525005")
        assert {ln.tier for ln in over.lines} == {"prompt > 100,000 tokens"}

    def test_cache_tokens_count_towards_the_prompt(self, table: PriceTable) -> None:
        u = Usage(input_tokens=50_000, cache_read_tokens=50_001, output_tokens=0)
        c = cost(u, "haiku-5.5", requests=1, at=DAY, table=table)
        # prompt 100,001 > 100,000: tier. 50,000 × $0.50 + 50,001 × $0.05 = $0.025 + $0.00250005
        assert c.total == D("0.02750005")

    def test_tier_is_chosen_per_request_not_on_the_aggregate(self, table: PriceTable) -> None:
        # 300,000 prompt tokens over 3 requests = 100,000 each: base rate ($0.10) → $0.03
        three = cost(Usage(input_tokens=300_000), "haiku-5.5", requests=3, at=DAY, table=table)
        assert three.total == D("0.03")
        # 300,003 over 3 = 100,001 each: every request in the tier ($0.50) → $0.1500015
        tiered = cost(Usage(input_tokens=300_003), "haiku-5.5", requests=3, at=DAY, table=table)
        assert tiered.total == D("0.1500015")
        # as one request the aggregate would be tiered, as 3 it is not: the per-token approach is wrong
        one = cost(Usage(input_tokens=300_000), "haiku-5.5", requests=1, at=DAY, table=table)
        assert one.total == D("0.15")

    def test_unknown_request_count_applies_no_tier_and_says_so(self, table: PriceTable) -> None:
        q = quote(Usage(input_tokens=5_000_000), "haiku-5.5", requests=None, at=DAY, table=table)
        assert q.realtime.total == D("0.5")  # 5M × $0.10
        assert any("number of requests is unknown" in w for w in q.warnings)
        small = quote(Usage(input_tokens=100_000), "haiku-5.5", requests=None, at=DAY, table=table)
        assert small.warnings == ()  # no request can be over the line, so nothing to warn about

    def test_sonnet_45_long_context_premium_until_the_beta_ended(self, table: PriceTable) -> None:
        u = Usage(input_tokens=200_001, output_tokens=1_000)
        during = cost(u, "sonnet-4.5", requests=1, at=date(2026, 1, 15), table=table)
        # premium: 200,001 × $6 = $1.200006; 1,000 × $22.50 = $0.0225
        assert during.total == D("1.222506")
        edge = cost(
            Usage(input_tokens=200_000, output_tokens=1_000),
            "sonnet-4.5",
            requests=1,
            at=date(2026, 1, 15),
            table=table,
        )
        # 200,000 × $3 = $0.60; 1,000 × $15 = $0.015
        assert edge.total == D("0.615")
        after = quote(u, "sonnet-4.5", requests=1, at=date(2026, 4, 30), table=table)
        # beta retired 2026-04-30: base rates, and the request no longer fits the 200K window
        assert after.realtime.total == D("0.615003")
        assert any("context window" in w for w in after.warnings)

    def test_premium_removed_for_46_on_2026_03_13(self, table: PriceTable) -> None:
        u = Usage(input_tokens=250_000)
        # 2026-03-12: Opus 4.6 beta premium $10/MTok → $2.50; 2026-03-13 GA at $5 → $1.25
        assert cost(u, "opus-4.6", requests=1, at=date(2026, 3, 12), table=table).total == D("2.5")
        assert cost(u, "opus-4.6", requests=1, at=date(2026, 3, 13), table=table).total == D("1.25")

    def test_tier_reprices_cache_lines_and_batch_stacks(self, table: PriceTable) -> None:
        u = Usage(input_tokens=150_000, cache_write_1h_tokens=100_000, output_tokens=10_000)
        c = cost(u, "haiku-5.5", mode="batch", requests=1, at=DAY, table=table)
        # tier × batch: input $0.25, 1h write $0.50, output $1.25
        # 150,000 × 0.25 = $0.0375; 100,000 × 0.50 = $0.05; 10,000 × 1.25 = $0.0125 → $0.10
        assert c.total == D("0.1")


class TestModifiers:
    def test_us_data_residency_multiplies_every_token_line(self, table: PriceTable) -> None:
        u = Usage(input_tokens=1_000_000, cache_read_tokens=1_000_000, output_tokens=1_000_000)
        c = cost(u, "sonnet-4.6", geo="us", requests=1, at=DAY, table=table)
        # × 1.1: input $3.30, read $0.33, output $16.50 → $20.13
        assert c.total == D("20.13")
        b = cost(u, "sonnet-4.6", geo="us", mode="batch", requests=1, at=DAY, table=table)
        # × 1.1 × 0.5: $1.65 + $0.165 + $8.25 = $10.065
        assert b.total == D("10.065")

    def test_us_data_residency_needs_claude_46_or_later(self, table: PriceTable) -> None:
        with pytest.raises(PriceNotAvailableError, match="does not accept inference_geo 'us'"):
            cost(Usage(input_tokens=1), "sonnet-4.5", geo="us", requests=1, at=DAY, table=table)

    def test_fast_mode_rates(self, table: PriceTable) -> None:
        u = Usage(input_tokens=1_000_000, output_tokens=100_000)
        # Opus 4.6 fast (before its withdrawal on 2026-06-29): $30 in, $150 out → $30 + $15 = $45
        assert cost(u, "opus-4.6", fast=True, requests=1, at=date(2026, 6, 28), table=table).total == D(45)
        # Opus 5 fast: $10 in, $50 out → $10 + $5 = $15
        assert cost(u, "opus-5", fast=True, requests=1, at=DAY, table=table).total == D(15)

    def test_fast_mode_with_batch_is_an_error(self, table: PriceTable) -> None:
        with pytest.raises(UsageError, match="fast mode is not available with the Batch API"):
            cost(Usage(input_tokens=1), "opus-5", fast=True, mode="batch", requests=1, at=DAY, table=table)
        q = quote(Usage(input_tokens=1), "opus-5", fast=True, requests=1, at=DAY, table=table)
        assert q.batch is None
        assert q.savings is None
        assert any("fast mode is not available with the Batch API" in w for w in q.warnings)

    def test_fast_mode_withdrawn(self, table: PriceTable) -> None:
        u = Usage(input_tokens=1_000_000)
        assert cost(u, "opus-4.8", fast=True, requests=1, at=date(2026, 11, 29), table=table).total == D(10)
        with pytest.raises(PriceNotAvailableError, match="withdrawn on 2026-11-30"):
            cost(u, "opus-4.8", fast=True, requests=1, at=date(2026, 11, 30), table=table)

    def test_fast_mode_not_offered(self, table: PriceTable) -> None:
        with pytest.raises(PriceNotAvailableError, match="claude-sonnet-4-6 has no fast-mode price"):
            cost(Usage(input_tokens=1), "sonnet-4.6", fast=True, requests=1, at=DAY, table=table)

    def test_web_search_fee_is_not_discounted_in_batch(self, table: PriceTable) -> None:
        q = quote(Usage(web_search_requests=1_000), "sonnet-4.6", at=DAY, table=table)
        # 1,000 searches × $10 / 1,000 = $10, in both modes
        assert lines(q.realtime)["web_search"] == (1_000, D(10), D(10))
        assert q.batch is not None
        assert lines(q.batch)["web_search"] == (1_000, D(10), D(10))
        assert any("not discounted in batch" in w for w in q.warnings)


class TestDatesAndHistory:
    def test_sonnet_55_cache_read_cut_on_2026_10_07(self, table: PriceTable) -> None:
        u = Usage(cache_read_tokens=1_000_000)
        assert cost(u, "sonnet-5.5", requests=1, at=date(2026, 10, 6), table=table).total == D("0.2")
        assert cost(u, "sonnet-5.5", requests=1, at=date(2026, 10, 7), table=table).total == D("0.1")

    def test_haiku_35_price_cut(self, table: PriceTable) -> None:
        u = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
        assert cost(u, "haiku-3.5", requests=1, at=date(2024, 11, 30), table=table).total == D(6)  # $1 + $5
        assert cost(u, "haiku-3.5", requests=1, at=date(2024, 12, 1), table=table).total == D(
            "4.8"
        )  # $0.80 + $4

    def test_no_price_before_release(self, table: PriceTable) -> None:
        with pytest.raises(PriceNotAvailableError, match="released on 2026-11-09"):
            cost(Usage(input_tokens=1), "fable-5.2", requests=1, at=date(2026, 11, 8), table=table)

    def test_retired_model_warns_or_fails(self, table: PriceTable) -> None:
        q = quote(Usage(input_tokens=1_000_000), "opus-4.1", requests=1, at=DAY, table=table)
        assert q.realtime.total == D(15)
        assert q.warnings[0].startswith("claude-opus-4-1-20250805 was retired on 2026-08-05")
        with pytest.raises(PriceNotAvailableError, match="retired on 2026-08-05"):
            quote(Usage(input_tokens=1), "opus-4.1", requests=1, at=DAY, table=table, fail_on_retired=True)
        # the day before retirement there is nothing to warn about (no deprecation date is recorded)
        assert (
            quote(Usage(input_tokens=1), "opus-4.1", requests=1, at=date(2026, 8, 4), table=table).warnings
            == ()
        )

    def test_family_names_follow_the_quote_date(self, table: PriceTable) -> None:
        u = Usage(input_tokens=1)
        # Opus 5.5 was released on 2026-09-22 (table 2026.12.01; 2026.11.25 said 2026-09-24)
        assert quote(u, "opus", requests=1, at=date(2026, 9, 21), table=table).model == "claude-opus-5"
        assert quote(u, "opus", requests=1, at=date(2026, 9, 22), table=table).model == "claude-opus-5-5"
        assert quote(u, "haiku", requests=1, at=DAY, table=table).model == "claude-haiku-5-5"

    def test_batch_did_not_exist_before_october_2024(self, table: PriceTable) -> None:
        q = quote(Usage(input_tokens=1_000_000), "opus-3", requests=1, at=date(2024, 5, 1), table=table)
        assert q.batch is None
        assert any("Message Batches API started on 2024-10-08" in w for w in q.warnings)

    def test_models_the_batch_api_does_not_take(self, table: PriceTable) -> None:
        q = quote(
            Usage(input_tokens=1_000_000), "mythos-preview", requests=1, at=date(2026, 5, 1), table=table
        )
        assert q.realtime.total == D(25)
        assert q.batch is None
        assert any("UNCERTAIN" in w for w in q.warnings)


class TestWarningsAndErrors:
    def test_uncertain_rates_are_flagged_in_the_quote(self, table: PriceTable) -> None:
        q = quote(Usage(input_tokens=1), "fable-5.2", requests=1, at=DAY, table=table)
        assert any("marked UNCERTAIN" in w and "third parties" in w for w in q.warnings)

    def test_request_larger_than_the_context_window(self, table: PriceTable) -> None:
        # Haiku 4.5 on 2026-10-14, the day before the earliest retirement date: nothing else to warn about
        day = date(2026, 10, 14)
        fits = quote(
            Usage(input_tokens=190_000, output_tokens=10_000), "haiku-4.5", requests=1, at=day, table=table
        )
        assert fits.warnings == ()  # 200,000 = the window exactly
        over = quote(
            Usage(input_tokens=190_001, output_tokens=10_000), "haiku-4.5", requests=1, at=day, table=table
        )
        assert any("200,000-token context window" in w for w in over.warnings)
        spread = quote(
            Usage(input_tokens=380_002, output_tokens=20_000), "haiku-4.5", requests=2, at=day, table=table
        )
        assert any("200,001 tokens per request exceed" in w for w in spread.warnings)

    def test_output_above_the_model_maximum(self, table: PriceTable) -> None:
        # Sonnet 4.6's maximum output is 128K (table 2026.12.01; 2026.11.25 said 64K)
        ok = quote(Usage(output_tokens=128_000), "sonnet-4.6", requests=1, at=DAY, table=table)
        assert ok.warnings == ()
        over = quote(Usage(output_tokens=128_001), "sonnet-4.6", requests=1, at=DAY, table=table)
        assert any("maximum output of 128,000" in w for w in over.warnings)

    def test_unknown_model_is_an_error_never_zero(self, table: PriceTable) -> None:
        with pytest.raises(UnknownModelError) as info:
            quote(Usage(input_tokens=1), "claude-sonnet-4-6-20250514", requests=1, at=DAY, table=table)
        assert info.value.suggestions[0] == "claude-sonnet-4-6"
        assert isinstance(info.value, LookupError)

    @pytest.mark.parametrize("bad", [0, -1, True, 1.5])
    def test_requests_must_be_a_positive_whole_number(self, table: PriceTable, bad: object) -> None:
        with pytest.raises(UsageError, match="requests must be a whole number"):
            cost(Usage(input_tokens=1), "sonnet-4.6", requests=bad, at=DAY, table=table)  # type: ignore[arg-type]

    def test_usage_rejects_negative_and_fractional_counts(self) -> None:
        # a ClaudeQuoteError (UsageError), still a ValueError, in plain words naming the field
        with pytest.raises(
            UsageError, match=r"^invalid Usage: input_tokens must be 0 or more \(got -1\)$"
        ) as info:
            Usage(input_tokens=-1)
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, ClaudeQuoteError)
        assert info.value.field == "input_tokens"
        with pytest.raises(
            UsageError, match=r"^invalid Usage: input_tokens must be a whole number \(got 1\.5\)$"
        ):
            Usage(input_tokens=1.5)
        with pytest.raises(UsageError, match=r"^invalid Usage: inptu_tokens is not a field here$"):
            Usage(inptu_tokens=1)  # type: ignore[call-arg]
        for bad in ({"input_tokens": -1}, {"output_tokens": "3"}, {"web_search_requests": -2}):
            with pytest.raises(UsageError) as info:
                Usage(**bad)
            assert "Input should" not in str(info.value)
            assert "pydantic" not in str(info.value)


class TestUsageFromApi:
    def test_split_cache_creation(self) -> None:
        api = {
            "input_tokens": 10,
            "cache_creation_input_tokens": 30,
            "cache_creation": {"ephemeral_5m_input_tokens": 10, "ephemeral_1h_input_tokens": 20},
            "cache_read_input_tokens": 40,
            "output_tokens": 5,
            "server_tool_use": {"web_search_requests": 2},
            "service_tier": "batch",
        }
        u = Usage.from_api(api)
        assert (u.input_tokens, u.cache_write_5m_tokens, u.cache_write_1h_tokens) == (10, 10, 20)
        assert (u.cache_read_tokens, u.output_tokens, u.web_search_requests) == (40, 5, 2)
        assert u.prompt_tokens == 80  # 10 + 30 + 40
        assert not Usage.lacks_cache_split(api)

    def test_legacy_usage_without_the_split_counts_as_5m(self) -> None:
        api = {"input_tokens": 1, "cache_creation_input_tokens": 7, "output_tokens": 2}
        u = Usage.from_api(api)
        assert (u.cache_write_5m_tokens, u.cache_write_1h_tokens) == (7, 0)
        assert Usage.lacks_cache_split(api)
