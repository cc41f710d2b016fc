"""Price table 2026.12.01 (issue #12): every changed fact, quoted by hand on both sides of its date.

Each fact's sources and the date they were read are in ``pricing/anthropic.toml`` and
docs/pricing-data.md ("What changed in 2026.12.01").
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote import (
    Estimate,
    EstimateOptions,
    PriceNotAvailableError,
    PriceTable,
    PricingDataError,
    Usage,
    estimate,
    quote,
)
from claude_quote.pricing import parse_pricing, resolve_model
from claude_quote.tokens.request import ModelFacts
from tests.conftest import DAY, run_cli
from tests.workload_files import request, words, write_jsonl

D = Decimal
FAST = Usage(input_tokens=100_000, output_tokens=10_000)
"""100K in, 10K out: fast-mode examples."""


# --- Opus 4.6 fast mode ended 2026-06-29: requests run and bill at standard rates --------------------


def test_opus_46_fast_before_its_withdrawal(table: PriceTable) -> None:
    q = quote(FAST, "opus-4.6", fast=True, at=date(2026, 6, 28), table=table)
    # 6x rates: 0.1M × $30 + 0.01M × $150 = $3 + $1.50 = $4.50
    assert q.realtime.total == D("4.5")
    assert not any("withdrawn" in w for w in q.warnings)


@pytest.mark.parametrize("day", [date(2026, 6, 29), date(2026, 6, 30), DAY])
def test_opus_46_fast_after_its_withdrawal_bills_standard_rates(table: PriceTable, day: date) -> None:
    q = quote(FAST, "opus-4.6", fast=True, at=day, table=table)
    # standard rates: 0.1M × $5 + 0.01M × $25 = $0.50 + $0.25 = $0.75
    assert q.realtime.total == D("0.75")
    assert [(ln.kind, ln.rate) for ln in q.realtime.lines] == [("input", D(5)), ("output", D(25))]
    assert q.fast is True
    assert q.batch is None  # fast mode still has no batch
    assert (
        'fast mode for claude-opus-4-6 was withdrawn on 2026-06-29: a `speed: "fast"` request runs at '
        "standard speed and is billed at standard rates"
    ) in q.warnings


def test_opus_46_fast_withdrawal_on_the_command_line() -> None:
    before = run_cli("price opus-4.6 --input 100k --output 10k --fast --at 2026-06-28 --format json")
    after = run_cli("price opus-4.6 --input 100k --output 10k --fast --at 2026-06-30 --format json")
    assert before.exit_code == after.exit_code == 0, after.output
    assert json.loads(before.stdout)["realtime"]["total"] == "4.5"
    data = json.loads(after.stdout)
    assert data["realtime"]["total"] == "0.75"
    assert any("withdrawn on 2026-06-29" in w for w in data["warnings"])


CUSTOM = """
extends = "builtin"
version = "test"

[[models]]
id = "claude-test-9"
name = "Claude Test 9"
family = "opus"
version = "9"
released = 2026-01-01
tokenizer = "claude-4.7"
sources = ["P-SEP26"]
checked = 2026-12-01
{extra}
[[models.prices]]
effective_from = 2026-01-01
input_per_mtok = 3
output_per_mtok = 15
sources = ["P-SEP26"]

[[models.fast_mode]]
effective_from = 2026-01-01
input_per_mtok = 6
output_per_mtok = 30
sources = ["P-SEP26"]
"""


def custom(extra: str) -> bytes:
    return CUSTOM.format(extra=extra).encode()


@pytest.mark.parametrize(
    ("extra", "after"),
    [
        ('fast_mode_removed = 2026-03-01\nfast_mode_after_removal = "standard"', "standard"),
        ("fast_mode_removed = 2026-03-01", "unavailable"),  # the default: the API rejects it
    ],
)
def test_fast_mode_after_removal_is_data(extra: str, after: str) -> None:
    model = resolve_model(parse_pricing(custom(extra), origin="t.toml"), "claude-test-9", DAY)
    assert model.fast_mode_billing(date(2026, 2, 28)) == "fast"
    assert model.fast_mode_billing(date(2026, 3, 1)) == after


def test_fast_mode_after_removal_needs_the_removal_date() -> None:
    with pytest.raises(PricingDataError, match="fast_mode_after_removal is 'standard' but fast_mode_removed"):
        parse_pricing(custom('fast_mode_after_removal = "standard"'), origin="t.toml")


# --- Opus 4.7 had fast mode at 6x, from about 2026-05-12 (UNCERTAIN) until 2026-07-24 ----------------


def test_opus_47_fast_mode_history(table: PriceTable) -> None:
    with pytest.raises(PriceNotAvailableError, match="claude-opus-4-7 has no fast-mode price on 2026-05-11"):
        quote(FAST, "opus-4.7", fast=True, at=date(2026, 5, 11), table=table)
    for day in (date(2026, 5, 12), date(2026, 7, 23)):
        q = quote(FAST, "opus-4.7", fast=True, at=day, table=table)
        # 0.1M × $30 + 0.01M × $150 = $4.50, flagged UNCERTAIN
        assert q.realtime.total == D("4.5")
        assert any("rates in effect from 2026-05-12 are marked UNCERTAIN" in w for w in q.warnings)
    with pytest.raises(PriceNotAvailableError, match=r"withdrawn on 2026-07-24"):
        quote(FAST, "opus-4.7", fast=True, at=date(2026, 7, 24), table=table)


# --- Mythos 5.2 (2026-11-09) and Fable 5.2 fast mode -------------------------------------------------

ALL_BUCKETS = Usage(
    input_tokens=1_000_000,
    cache_write_1h_tokens=1_000_000,
    cache_read_tokens=1_000_000,
    output_tokens=1_000_000,
)


def test_mythos_52_realtime_and_batch(table: PriceTable) -> None:
    q = quote(ALL_BUCKETS, "mythos-5.2", at=DAY, table=table)
    # $8 in + $16 1h write + $0.20 read + $40 out = $64.20; batch × 0.5 = $32.10
    assert q.realtime.total == D("64.2")
    assert q.batch is not None
    assert q.batch.total == D("32.1")
    assert [ln.rate for ln in q.batch.lines] == [D(4), D(8), D("0.1"), D(20)]
    assert any("genai-prices 0.2.3 only" in w for w in q.warnings)  # cache rates: one third party
    with pytest.raises(
        PriceNotAvailableError, match="released on 2026-11-09; there is no price for 2026-11-08"
    ):
        quote(ALL_BUCKETS, "mythos-5.2", at=date(2026, 11, 8), table=table)


def test_mythos_is_the_newest_mythos(table: PriceTable) -> None:
    assert resolve_model(table, "mythos", date(2026, 11, 8)).id == "claude-mythos-5-1"
    assert resolve_model(table, "mythos", date(2026, 11, 9)).id == "claude-mythos-5-2"


@pytest.mark.parametrize("name", ["fable-5.2", "mythos-5.2"])
def test_52_fast_mode(table: PriceTable, name: str) -> None:
    q = quote(ALL_BUCKETS, name, fast=True, at=date(2026, 11, 9), table=table)
    # 2x: $16 in + $32 1h write + $0.40 read + $80 out = $128.40
    assert q.realtime.total == D("128.4")
    assert q.batch is None
    assert any("rates in effect from 2026-11-09 are marked UNCERTAIN" in w for w in q.warnings)
    with pytest.raises(PriceNotAvailableError, match="released on 2026-11-09"):
        quote(ALL_BUCKETS, name, fast=True, at=date(2026, 11, 8), table=table)


# --- Opus 5.5 prices start 2026-09-22 ------------------------------------------------------------------


def test_opus_55_has_a_price_from_2026_09_22(table: PriceTable) -> None:
    u = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    with pytest.raises(
        PriceNotAvailableError, match="released on 2026-09-22; there is no price for 2026-09-21"
    ):
        quote(u, "opus-5.5", at=date(2026, 9, 21), table=table)
    q = quote(u, "opus-5.5", at=date(2026, 9, 22), table=table)
    assert q.realtime.total == D(24)  # $4 + $20
    fast = quote(u, "opus-5.5", fast=True, at=date(2026, 9, 22), table=table)
    assert fast.realtime.total == D(48)  # $8 + $40


# --- Sonnet 4.5 retired 2026-11-30; replacement advice ------------------------------------------------


def test_sonnet_45_retirement_names_sonnet_55(table: PriceTable) -> None:
    u = Usage(input_tokens=1_000_000)
    before = quote(u, "sonnet-4.5", at=date(2026, 11, 29), table=table)
    assert before.realtime.total == D(3)
    assert before.warnings[0] == (
        "claude-sonnet-4-5-20250929 is to be retired on 2026-11-30; use claude-sonnet-5-5 (Claude Sonnet 5.5) "
        "instead"
    )
    after = quote(u, "sonnet-4.5", at=date(2026, 12, 1), table=table)
    assert after.realtime.total == D(3)  # priced at its last list price
    assert after.warnings[0] == (
        "claude-sonnet-4-5-20250929 was retired on 2026-11-30: the Claude API no longer serves it; priced at "
        "its last list price; use claude-sonnet-5-5 (Claude Sonnet 5.5) instead"
    )
    with pytest.raises(PriceNotAvailableError, match="use claude-sonnet-5-5"):
        quote(u, "sonnet-4.5", at=date(2026, 12, 1), table=table, fail_on_retired=True)
    # "sonnet" never meant Sonnet 4.5 on these dates, and a retired model is never the family's newest
    assert quote(u, "sonnet", at=date(2026, 12, 1), table=table).model == "claude-sonnet-5-5"


def test_models_shows_the_lifecycle_and_the_replacement() -> None:
    text = run_cli("models sonnet-4.5 --at 2026-12-01").stdout
    assert "  replacement              claude-sonnet-5-5\n" in text
    assert (
        "warning: claude-sonnet-4-5-20250929 was retired on 2026-11-30: the Claude API no longer serves it; "
        "priced at its last list price; use claude-sonnet-5-5 (Claude Sonnet 5.5) instead"
    ) in text
    assert "warning:" not in run_cli("models sonnet-4.5 --at 2026-09-28").stdout  # nothing due yet
    fast = run_cli("models opus-4.6 --at 2026-12-01").stdout
    assert re.search(r"2026-06-29 +fast mode withdrawn: requests run and bill at standard rates", fast)


def test_a_retired_replacement_is_followed_to_its_own(table: PriceTable) -> None:
    sonnet35 = resolve_model(table, "sonnet-3.5", DAY)
    # on 2026-11-29 the recommended Sonnet 4.5 still runs; from 2026-11-30 it is retired too
    assert sonnet35.lifecycle_warning(date(2026, 11, 29), table) == (
        "claude-3-5-sonnet-20241022 was retired on 2025-10-28: the Claude API no longer serves it; priced at "
        "its last list price; use claude-sonnet-4-5-20250929 (Claude Sonnet 4.5) instead"
    )
    assert sonnet35.lifecycle_warning(date(2026, 11, 30), table) == (
        "claude-3-5-sonnet-20241022 was retired on 2025-10-28: the Claude API no longer serves it; priced at "
        "its last list price; Anthropic recommended claude-sonnet-4-5-20250929, itself retired on 2026-11-30; "
        "use claude-sonnet-5-5 (Claude Sonnet 5.5) instead"
    )
    # without the table only the recorded id can be named
    assert sonnet35.lifecycle_warning(date(2026, 11, 30)) is not None
    assert str(sonnet35.lifecycle_warning(date(2026, 11, 30))).endswith(
        "use claude-sonnet-4-5-20250929 instead"
    )


def test_opus_45_deprecation_is_uncertain(table: PriceTable) -> None:
    opus45 = resolve_model(table, "opus-4.5", DAY)
    assert opus45.lifecycle_warning(date(2026, 11, 22), table) is None  # not yet deprecated
    assert opus45.lifecycle_warning(date(2026, 11, 23), table) == (
        "claude-opus-4-5-20251101 was deprecated on 2026-11-23 and retires on 2027-01-22; use claude-opus-5-5 "
        "(Claude Opus 5.5) instead (UNCERTAIN: deprecation date, retirement date, replacement)"
    )
    q = quote(Usage(input_tokens=1_000_000), "opus-4.5", at=date(2027, 1, 22), table=table)
    assert q.realtime.total == D(5)
    assert q.warnings[0].startswith("claude-opus-4-5-20251101 was retired on 2027-01-22: ")
    assert q.warnings[0].endswith("(UNCERTAIN: retirement date, replacement)")


def test_past_the_earliest_retirement_date_with_nothing_announced(table: PriceTable) -> None:
    haiku45 = resolve_model(table, "haiku-4.5", DAY)
    assert haiku45.lifecycle_warning(date(2026, 10, 14), table) is None
    assert haiku45.lifecycle_warning(date(2026, 10, 15), table) == (
        "claude-haiku-4-5-20251001 may be retired from 2026-10-15 on (the earliest date Anthropic committed "
        "to); check its status before relying on it"
    )


def test_replacement_must_name_a_model_in_the_table() -> None:
    with pytest.raises(PricingDataError) as info:
        parse_pricing(custom('replacement = "claude-opus-5-6"'), origin="t.toml")
    assert (
        "models[claude-test-9].replacement: 'claude-opus-5-6' is not the id of a model in the table; use a "
        "canonical id; did you mean 'claude-opus-5-5'?"
    ) in str(info.value)
    ok = parse_pricing(custom('replacement = "claude-opus-5-5"'), origin="t.toml")
    assert resolve_model(ok, "claude-test-9", DAY).replacement == "claude-opus-5-5"
    with pytest.raises(PricingDataError, match="replacement names the model itself"):
        parse_pricing(custom('replacement = "claude-test-9"'), origin="t.toml")


# --- Sonnet 3.5: the 1-hour cache write ----------------------------------------------------------------


def test_sonnet_35_one_hour_cache_write(table: PriceTable) -> None:
    q = quote(Usage(cache_write_1h_tokens=1_000_000), "sonnet-3.5", at=date(2025, 10, 27), table=table)
    # $6 per MTok (mid-2025 pricing page); batch $3
    assert q.realtime.total == D(6)
    assert q.batch is not None
    assert q.batch.total == D(3)


# --- Claude 3.x minimum cacheable prompt and the Sonnet 3.7 tool-use system prompt, in estimates ---------

BEFORE_RETIREMENTS = date(2025, 6, 2)
"""Sonnet 3.5, Opus 3 and Sonnet 3.7 were all served."""


def est(tmp_path: Path, lines: list[dict[str, Any]]) -> Estimate:
    path = write_jsonl(tmp_path / "batch.jsonl", lines)
    return estimate([path], EstimateOptions(token_factor=D(1), output_tokens=0), at=BEFORE_RETIREMENTS)


def cached(n: int, model: str) -> list[dict[str, Any]]:
    system = [{"type": "text", "text": words(n), "cache_control": {"type": "ephemeral"}}]
    return [request(words(10), system=system, model=model, custom_id=f"c-{i}") for i in range(2)]


@pytest.mark.parametrize("model", ["claude-3-5-sonnet-20241022", "claude-3-opus-20240229"])
def test_claude_3_minimum_cacheable_prompt_is_1024(tmp_path: Path, table: PriceTable, model: str) -> None:
    facts = ModelFacts.of(resolve_model(table, model, BEFORE_RETIREMENTS), table)
    assert (facts.min_cacheable, facts.min_cacheable_note) == (1024, None)  # was a 4,096 fallback
    e = est(tmp_path, cached(1024, model))
    # 1,024 tokens: cached; the first request writes them, the second may read them
    assert e.cache_bands is not None
    assert e.cache_bands.band("miss").usage.cache_write_5m_tokens == 2 * 1024
    short = est(tmp_path, cached(1023, model))
    assert short.cache_bands is None
    assert short.usage.cache_write_5m_tokens == 0
    assert any("minimum of 1,024" in w for w in short.warnings)


def test_sonnet_37_tool_use_system_prompt(tmp_path: Path, table: PriceTable) -> None:
    facts = ModelFacts.of(resolve_model(table, "sonnet-3.7", BEFORE_RETIREMENTS), table)
    assert (facts.tool_auto, facts.tool_any, facts.tool_note) == (346, 313, None)  # was 530 / 589
    tool = {"name": "label", "description": "Label it", "input_schema": {"type": "object"}}
    model = "claude-3-7-sonnet-20250219"
    auto = est(tmp_path, [request(words(5), model=model, tools=[tool])])
    forced = est(tmp_path, [request(words(5), model=model, tools=[tool], tool_choice={"type": "any"})])
    plain = est(tmp_path, [request(words(5), model=model)])
    # 346 (auto) vs 313 (any): the forced request is 33 tokens shorter
    assert auto.input_tokens - forced.input_tokens == 346 - 313
    assert auto.input_tokens > plain.input_tokens + 346
    assert not any("no published tool-use system prompt" in w for w in auto.warnings)


# --- `models --uncertain` lists the new facts that rest on weak evidence -------------------------------


def test_models_uncertain_lists_the_new_facts() -> None:
    result = run_cli("models --uncertain --format json")
    assert result.exit_code == 0
    facts = {(f["subject"], f["fact"]) for f in json.loads(result.stdout)["facts"]}
    assert {
        ("claude-opus-4-7", "fast mode from 2026-05-12"),
        ("claude-opus-4-6", "fast_mode_removed"),
        ("claude-opus-4-5-20251101", "deprecated"),
        ("claude-opus-4-5-20251101", "retired"),
        ("claude-opus-4-5-20251101", "replacement"),
        ("claude-mythos-5-2", "prices from 2026-11-09"),
        ("claude-mythos-5-2", "fast mode from 2026-11-09"),
        ("claude-fable-5-2", "fast mode from 2026-11-09"),
        ("claude-3-5-sonnet-20241022", "min_cacheable_tokens"),
        ("claude-3-opus-20240229", "min_cacheable_tokens"),
        ("claude-opus-5-5", "released"),
    } <= facts
    # settled by the model pages: no longer uncertain
    assert ("claude-sonnet-4-6", "max_output") not in facts
    assert ("claude-sonnet-4-5-20250929", "retired") not in facts


# --- freshness: every report shows the table's checked date ------------------------------------------

REPORTS = [
    "price sonnet-4.6 --input 5M --at 2026-11-25",
    "estimate examples/batch-requests.jsonl --output-tokens 60 --at 2026-11-25",
    "plan examples/batch-requests.jsonl --at 2026-11-25",
    "reconcile examples/batch-results.jsonl --at 2026-11-25",
    "reconcile --usage-report examples/usage-report.json --cost-report examples/cost-report.json",
    "project sonnet-4.6 --input 2k --requests 1000 --start 2026-12 --months 2",
    "project sonnet-4.6 --input 2k --requests 1000 --start 2026-12 --months 2 --compare opus,sonnet",
    "calibrate examples/batch-requests-support.jsonl examples/batch-results-support.jsonl --at 2026-11-25",
    "check --config examples/claude-quote.toml --at 2026-11-25",
    "models --at 2026-11-25",
    "models sonnet-4.6 --at 2026-11-25",
    "models --uncertain",
]


@pytest.mark.parametrize("command", REPORTS, ids=lambda c: " ".join(c.split()[:2]))
def test_every_report_shows_the_checked_date(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    text = run_cli(command)
    assert text.exit_code == 0, text.output
    assert "2026.12.01, checked 2026-12-01" in text.stdout or "2026.12.01 (checked 2026-12-01)" in text.stdout
    if command.startswith("check"):
        return  # check's JSON carries a freshness block instead (tests/test_check.py)
    data = json.loads(run_cli(f"{command} --format json").stdout)
    assert (data["pricing_version"], data["pricing_checked"]) == ("2026.12.01", "2026-12-01")


# --- invariants ---------------------------------------------------------------------------------------

tokens = st.integers(min_value=0, max_value=5_000_000)


@settings(max_examples=60, deadline=None)
@given(
    day=st.dates(min_value=date(2026, 3, 13), max_value=date(2027, 2, 4)),
    inp=tokens,
    w5=tokens,
    w1=tokens,
    read=tokens,
    out=st.integers(min_value=0, max_value=128_000),
)
def test_opus_46_fast_is_six_times_standard_until_withdrawn_then_standard(
    table: PriceTable, day: date, inp: int, w5: int, w1: int, read: int, out: int
) -> None:
    u = Usage(
        input_tokens=inp,
        cache_write_5m_tokens=w5,
        cache_write_1h_tokens=w1,
        cache_read_tokens=read,
        output_tokens=out,
    )
    fast = quote(u, "opus-4.6", fast=True, requests=None, at=day, table=table).realtime.total
    standard = quote(u, "opus-4.6", requests=None, at=day, table=table).realtime.total
    # from 2026-03-13 (no tier) every fast rate is 6x the standard one: $30/$5, $150/$25, $37.50/$6.25,
    # $60/$10, $3/$0.50; from 2026-06-29 a fast request bills exactly the standard rates
    assert fast == (standard * 6 if day < date(2026, 6, 29) else standard)
