"""estimate(): request counting, output policy, cache bands, tiers, grouping, calibration, errors.

Most tests pass ``token_factor=1`` so that Claude tokens equal tiktoken tokens and the arithmetic stays
readable; ``words(n)`` is exactly n cl100k_base tokens, and pieces of one cache segment are joined
with a newline (one more token).
"""

from __future__ import annotations

import base64
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claude_quote import Estimate, estimate
from claude_quote.errors import ConfigError, UnknownModelError, UsageError, WorkloadError
from claude_quote.estimate import MAX_TOKENS_OUTPUT, EstimateOptions
from tests.conftest import DAY
from tests.test_tokens_media import png
from tests.workload_files import request, words, write_jsonl

ONE = Decimal(1)


def est(tmp_path: Path, lines: list[Any], *, at: date = DAY, **options: Any) -> Estimate:
    path = write_jsonl(tmp_path / "batch.jsonl", lines)
    options.setdefault("token_factor", ONE)
    return estimate([path], EstimateOptions(**options), at=at)


def cached_system(n: int, ttl: str = "5m") -> list[dict[str, Any]]:
    return [{"type": "text", "text": words(n), "cache_control": {"type": "ephemeral", "ttl": ttl}}]


# -- counting ----------------------------------------------------------------------------------------


def test_one_request_priced_by_hand(tmp_path: Path) -> None:
    e = est(tmp_path, [request(words(20), system=words(10), max_tokens=100)], output_tokens=40)
    # prompt: "w10\nw20" = 10 + 1 + 20 = 31 tokens (factor 1)
    assert (e.requests, e.input_tokens, e.output_tokens) == (1, 31, 40)
    # 31 × $3/MTok = $0.000093; 40 × $15/MTok = $0.0006; total $0.000693; batch half
    assert e.realtime.total == Decimal("0.000693")
    assert e.batch is not None
    assert e.batch.total == Decimal("0.0003465")
    assert e.savings is not None
    assert (e.savings.amount, e.savings.percent) == (Decimal("0.0003465"), Decimal(50))
    # worst: 31 × $3/MTok + 100 × $15/MTok = $0.000093 + $0.0015 = $0.001593
    assert e.worst_case.output_tokens == 100
    assert e.worst_case.realtime.total == Decimal("0.001593")
    assert e.token_method.factor == ONE
    assert e.token_method.description == (
        "tiktoken cl100k_base × 1, factor given by the user (no content classes, no framing; error unknown)"
    )
    assert e.token_band is None  # no measured error for a factor the user chose
    assert e.cache_bands is None
    assert e.groups is None


def test_default_counting_model_per_tokenizer(tmp_path: Path) -> None:
    line = request(words(20), system=words(10))
    sonnet = est(tmp_path, [line], token_factor=None, output_tokens=0)
    # "hello …\nhello …": 31 tiktoken tokens and one newline join (0.3); 150 letters × 0.238 = 35.7 and
    # 29 spaces × 0.159 = 4.611 of cl100k weight (pricing/tokens.toml), so 31.3 × (35.7 × 1.041 + 4.611
    # × 1.088) ÷ 40.311 = 32.75 Claude tokens of text, + 7 framing tokens = 39.75 → 40 (a system prompt
    # adds no framing).
    assert sonnet.input_tokens == 40
    assert sonnet.token_method.description == (
        "tiktoken cl100k_base × claude-3 content-class factors + framing, uncalibrated; 90% of requests "
        "within −10%/+8% (partly UNCERTAIN, see docs/tokens.md)"
    )
    opus5 = est(tmp_path, [line], token_factor=None, output_tokens=0, model="opus-5")
    # claude-4.7: 31.3 × (35.7 × 1.783 + 4.611 × 1.438) ÷ 40.311 = 54.57, + 11 framing = 65.57 → 66
    assert opus5.input_tokens == 66
    assert opus5.token_method.factor is None
    assert opus5.token_method.request_tokens == 11


def test_string_and_block_content_count_alike(tmp_path: Path) -> None:
    blocks = request([{"type": "text", "text": words(20)}], system=[{"type": "text", "text": words(10)}])
    assert est(tmp_path, [blocks], output_tokens=0).input_tokens == 31


def test_tool_overhead_depends_on_tool_choice(tmp_path: Path) -> None:
    tool = {"name": "label", "description": "Label it", "input_schema": {"type": "object"}}
    auto = est(tmp_path, [request(words(5), tools=[tool])], output_tokens=0)
    forced = est(tmp_path, [request(words(5), tools=[tool], tool_choice={"type": "any"})], output_tokens=0)
    named = est(
        tmp_path,
        [request(words(5), tools=[tool], tool_choice={"type": "tool", "name": "label"})],
        output_tokens=0,
    )
    none = est(tmp_path, [request(words(5))], output_tokens=0)
    # Sonnet 4.6 tool-use system prompt: 497 (auto/none) vs 589 (any/tool)
    assert forced.input_tokens - auto.input_tokens == 589 - 497
    assert named.input_tokens == forced.input_tokens
    # with tools: 497 + the tool's JSON + a newline + the 5-token message, more than just 5 + 497
    assert auto.input_tokens > none.input_tokens + 497


def test_unpublished_tool_overhead_falls_back_and_warns(tmp_path: Path) -> None:
    tool = {"name": "t", "input_schema": {"type": "object"}}
    e = est(tmp_path, [request("hi", model="haiku-5.5", tools=[tool])], output_tokens=0)
    assert any(
        "claude-haiku-5-5 has no published tool-use system prompt size; used 675" in w for w in e.warnings
    )


def png_block(width: int, height: int) -> dict[str, Any]:
    data = base64.b64encode(png(width, height)).decode()
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def test_images_by_pixel_size(tmp_path: Path) -> None:
    e = est(tmp_path, [request([png_block(1000, 1000)])], output_tokens=0)
    assert e.input_tokens == 1334  # 1,000,000 px ÷ 750 = 1,333.3 → 1,334; no text
    big = est(tmp_path, [request([png_block(4000, 3000)])], output_tokens=0)
    assert big.input_tokens == 1568  # scaled to 1568 × 1176, 2,458.6 → capped at 1,568


def test_images_by_url_cost_the_cap_and_warn(tmp_path: Path) -> None:
    url = {"type": "image", "source": {"type": "url", "url": "https://example.com/x.png"}}
    e = est(tmp_path, [request([url, url])], output_tokens=0)
    assert e.input_tokens == 2 * 1568 + 0  # two images at the cap, no text
    assert any("2 images given by URL or file id" in w for w in e.warnings)
    opus47 = est(tmp_path, [request([url], model="opus-4.7")], output_tokens=0)
    assert opus47.input_tokens == 4784  # Opus 4.7's higher cap


def test_pdf_pages(tmp_path: Path) -> None:
    pdf = b"%PDF-1.7 <</Type /Pages /Count 3>> <</Type /Page>> <</Type /Page>> <</Type /Page>>"
    doc = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": base64.b64encode(pdf).decode()},
    }
    e = est(tmp_path, [request([doc])], output_tokens=0)
    assert e.input_tokens == 3 * (2250 + 1568)  # 11,454
    assert any("3 PDF pages" in w and "an estimate" in w for w in e.warnings)


def test_text_documents_and_tool_results_count_as_text(tmp_path: Path) -> None:
    doc = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": words(7)}}
    result = {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": words(4)}]}
    e = est(tmp_path, [request([doc, result])], output_tokens=0)
    assert e.input_tokens == 7 + 1 + 4  # joined by a newline


def test_thinking_budget_is_output_and_old_thinking_is_not_input(tmp_path: Path) -> None:
    messages = [
        {"role": "user", "content": words(5)},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": words(100), "signature": "s"},
                {"type": "text", "text": words(5)},
            ],
        },
        {"role": "user", "content": words(5)},
    ]
    line = {
        "custom_id": "t-1",
        "params": {
            "model": "sonnet-4.6",
            "max_tokens": 2000,
            "messages": messages,
            "thinking": {"type": "enabled", "budget_tokens": 1000},
        },
    }
    e = est(tmp_path, [line], output_tokens=40)
    assert e.input_tokens == 5 + 1 + 5 + 1 + 5  # the thinking block is not input
    assert e.output_tokens == 1040  # 40 + the 1,000 thinking budget
    assert e.worst_case.output_tokens == 2000
    assert e.output_method == "40 tokens per request (given) + thinking budget"


# -- output policy ------------------------------------------------------------------------------------


def test_without_an_output_estimate_expected_is_the_worst_case_and_says_so(tmp_path: Path) -> None:
    e = est(tmp_path, [request(words(10), max_tokens=300)])
    assert e.output_tokens == 300
    assert e.realtime.total == e.worst_case.realtime.total
    assert e.output_method == MAX_TOKENS_OUTPUT
    assert e.warnings[0].startswith("no output estimate was given")


def test_output_ratio(tmp_path: Path) -> None:
    e = est(tmp_path, [request(words(20), system=words(10))], output_ratio=Decimal("0.5"))
    assert e.output_tokens == 16  # 0.5 × 31 = 15.5 → 16
    assert e.output_method == "0.5 × prompt tokens (given ratio)"


def test_expected_output_is_capped_at_max_tokens(tmp_path: Path) -> None:
    e = est(tmp_path, [request("hi", max_tokens=100)], output_tokens=500)
    assert e.output_tokens == 100
    assert any("expected output was above max_tokens and was capped" in w for w in e.warnings)


# -- caching ------------------------------------------------------------------------------------------


def three_cached(tmp_path: Path, system_tokens: int = 1024, **options: Any) -> Estimate:
    lines = [request(words(10), system=cached_system(system_tokens), custom_id=f"c-{i}") for i in range(3)]
    return est(tmp_path, lines, output_tokens=0, **options)


def test_cache_bands_by_hand(tmp_path: Path) -> None:
    e = three_cached(tmp_path)
    # each request: cached prefix = the 1,024-token system prompt (Sonnet 4.6 minimum: 1,024), then 10
    assert e.cache_bands is not None
    bands = {b.name: b for b in e.cache_bands.bands}
    assert bands["no_cache"].usage.input_tokens == 3 * 1034
    miss = bands["miss"].usage
    assert (miss.input_tokens, miss.cache_write_5m_tokens, miss.cache_read_tokens) == (30, 3072, 0)
    best = bands["best"].usage  # the first request writes, the other two read
    assert (best.input_tokens, best.cache_write_5m_tokens, best.cache_read_tokens) == (30, 1024, 2048)
    # expected at 30%: writes = 1,024 + round(0.7 × 2,048 = 1,433.6) = 2,458; reads = 3,072 − 2,458 = 614
    expected = bands["expected"].usage
    assert (expected.input_tokens, expected.cache_write_5m_tokens, expected.cache_read_tokens) == (
        30,
        2458,
        614,
    )
    assert e.usage == expected
    # Sonnet 4.6: input $3, 5m write $3.75, read $0.30 per MTok
    # expected: 30 × 3 + 2,458 × 3.75 + 614 × 0.30 = 90 + 9,217.5 + 184.2 = 9,491.7 µ$ → $0.0094917
    assert e.realtime.total == Decimal("0.0094917")
    # best: 90 + 1,024 × 3.75 + 2,048 × 0.30 = 90 + 3,840 + 614.4 = 4,544.4 µ$
    assert bands["best"].realtime.total == Decimal("0.0045444")
    # miss: 90 + 3,072 × 3.75 = 11,610 µ$; no cache: 3,102 × 3 = 9,306 µ$
    assert bands["miss"].realtime.total == Decimal("0.01161")
    assert bands["no_cache"].realtime.total == Decimal("0.009306")
    # worst case: the miss band plus 3 × 100 max_tokens × $15 = 4,500 µ$ → $0.01611
    assert e.worst_case.realtime.total == Decimal("0.01611")
    assert any('recommends ttl "1h"' in w for w in e.warnings)


def test_cache_hit_rate_moves_expected_between_miss_and_best(tmp_path: Path) -> None:
    all_hit = three_cached(tmp_path, cache_hit_rate=ONE)
    no_hit = three_cached(tmp_path, cache_hit_rate=Decimal(0))
    assert all_hit.cache_bands is not None
    assert no_hit.cache_bands is not None
    assert all_hit.usage == all_hit.cache_bands.band("best").usage
    assert no_hit.usage == no_hit.cache_bands.band("miss").usage


def test_prefix_below_the_minimum_is_not_cached(tmp_path: Path) -> None:
    e = three_cached(tmp_path, system_tokens=1023)  # one token short of Sonnet 4.6's 1,024
    assert e.cache_bands is None
    assert e.usage.cache_write_tokens == 0
    assert e.input_tokens == 3 * 1033
    assert any(
        "3 claude-sonnet-4-6 requests have cache_control but a cacheable prefix shorter than the model's minimum of 1,024"
        in w
        for w in e.warnings
    )


def test_one_hour_ttl(tmp_path: Path) -> None:
    lines = [request(words(10), system=cached_system(1024, "1h"), custom_id=f"c-{i}") for i in range(2)]
    e = est(tmp_path, lines, output_tokens=0, cache_hit_rate=ONE)
    assert (e.usage.cache_write_1h_tokens, e.usage.cache_write_5m_tokens, e.usage.cache_read_tokens) == (
        1024,
        0,
        1024,
    )
    assert not any("recommends ttl" in w for w in e.warnings)


def test_different_prefixes_do_not_read_each_other(tmp_path: Path) -> None:
    lines = [
        request(words(10), system=cached_system(1024), custom_id="a"),
        request(words(10), system=cached_system(1025), custom_id="b"),
    ]
    e = est(tmp_path, lines, output_tokens=0)
    assert e.cache_bands is not None
    assert e.cache_bands.band("best").usage == e.cache_bands.band("miss").usage


def test_a_shared_first_breakpoint_is_read_and_the_rest_written(tmp_path: Path) -> None:
    def line(n: int, custom_id: str) -> dict[str, Any]:
        content = [{"type": "text", "text": words(n), "cache_control": {"type": "ephemeral"}}]
        return request(content, system=cached_system(1024), custom_id=custom_id)

    e = est(tmp_path, [line(500, "a"), line(501, "b")], output_tokens=0)
    assert e.cache_bands is not None
    best = e.cache_bands.band("best").usage
    # a writes 1,024 + 500 = 1,524; b reads the shared 1,024 and writes its own 501
    assert (best.input_tokens, best.cache_write_5m_tokens, best.cache_read_tokens) == (0, 2025, 1024)
    assert e.cache_bands.band("miss").usage.cache_write_5m_tokens == 1524 + 1525


def test_automatic_caching_caches_up_to_the_last_block(tmp_path: Path) -> None:
    lines = [
        request(words(10), system=words(1024), cache_control={"type": "ephemeral"}, custom_id=f"a-{i}")
        for i in range(2)
    ]
    e = est(tmp_path, lines, output_tokens=0, cache_hit_rate=ONE)
    # the whole prompt "w1024\nw10" = 1,035 tokens is the prefix; the second request reads it all
    assert (e.usage.input_tokens, e.usage.cache_write_5m_tokens, e.usage.cache_read_tokens) == (0, 1035, 1035)


def test_unpublished_minimum_falls_back_and_warns(tmp_path: Path) -> None:
    e = est(tmp_path, [request("hi", model="haiku-5.5", system=cached_system(2048))], output_tokens=0)
    assert any(
        "assumed 2,048 tokens, the largest published for the claude-4.7 tokenizer" in w for w in e.warnings
    )
    assert e.cache_bands is not None  # 2,048 reaches the assumed minimum


def test_bad_cache_control(tmp_path: Path) -> None:
    system = [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": "2h"}}]
    with pytest.raises(
        WorkloadError,
        match=r'batch.jsonl:1: req-1: params.system\[0\].cache_control.ttl must be "5m" or "1h", got \'2h\'',
    ):
        est(tmp_path, [request("hi", system=system)])


# -- tiers, limits, models ----------------------------------------------------------------------------


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_haiku_5_5_tier_on_both_sides_of_100k(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        "custom_id,input_tokens,output_tokens,max_tokens",
        ["a,100000,0,10", "b,100001,0,10"],
    )
    e = estimate([path], EstimateOptions(model="haiku-5.5"), at=DAY)
    # a: 100,000 × $0.10/MTok = $0.01 (base); b: 100,001 × $0.50/MTok = $0.0500005 (whole request in the tier)
    assert e.realtime.total == Decimal("0.0600005")
    assert e.batch is not None
    assert e.batch.total == Decimal("0.03000025")
    # worst: + 10 × $0.50/MTok (a) + 10 × $2.50/MTok (b) = $0.000005 + $0.000025
    assert e.worst_case.realtime.total == Decimal("0.0600305")
    assert "1 claude-haiku-5-5 request has a prompt over 100,000 tokens" in " ".join(e.warnings)
    assert e.token_method.method == "given"
    assert e.output_method == "the table's output_tokens column"


def test_limits_are_warned_about(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "input_tokens,max_tokens", ["199950,100", "10,70000"])
    e = estimate([path], EstimateOptions(model="haiku-4.5", output_tokens=0), at=DAY)
    text = " ".join(e.warnings)
    # 199,950 + 100 > 200,000 context window; 70,000 > Haiku 4.5's 64,000 max output
    assert "request has prompt + max_tokens above the 200,000-token context window" in text
    assert "asks for max_tokens above the model's maximum output of 64,000" in text


def test_model_override_and_per_model_breakdown(tmp_path: Path) -> None:
    lines = [request(words(10), custom_id="a-1"), request(words(10), model="haiku-4.5", custom_id="b-1")]
    mixed = est(tmp_path, lines, output_tokens=0)
    assert [(m.model, m.requests, m.usage.prompt_tokens) for m in mixed.by_model] == [
        ("claude-haiku-4-5-20251001", 1, 10),
        ("claude-sonnet-4-6", 1, 10),
    ]
    # 10 × $1/MTok + 10 × $3/MTok = $0.00004
    assert mixed.realtime.total == Decimal("0.00004")
    assert sum(m.realtime.total for m in mixed.by_model) == mixed.realtime.total
    override = est(tmp_path, lines, output_tokens=0, model="opus-5")
    assert [m.model for m in override.by_model] == ["claude-opus-5"]


def test_a_model_without_batch_has_no_batch_price(tmp_path: Path) -> None:
    e = est(tmp_path, [request("hi", model="claude-3-sonnet-20240229")], output_tokens=0)
    assert e.batch is None
    assert e.savings is None
    assert any("not available in the Message Batches API" in w for w in e.warnings)
    assert any("was retired on 2025-07-21" in w for w in e.warnings)


def test_group_by_prefix(tmp_path: Path) -> None:
    lines = [request(words(10), custom_id=c) for c in ("sum-1", "sum-2", "cls-1")]
    e = est(tmp_path, lines, output_tokens=0, group_by="prefix")
    assert e.groups is not None
    assert [(g.prefix, g.requests, g.usage.prompt_tokens) for g in e.groups] == [
        ("cls", 1, 10),
        ("sum", 2, 20),
    ]
    assert sum(g.realtime.total for g in e.groups) == e.realtime.total


# -- calibration --------------------------------------------------------------------------------------


def test_calibration_sets_factor_and_expected_output(tmp_path: Path) -> None:
    cal = tmp_path / "cal.toml"
    cal.write_text(
        'schema_version = 1\n[models."sonnet-4.6"]\ninput_factor = 2\noutput_p50 = 7\n[prefixes.sum]\noutput_p50 = 3\n',
        encoding="utf-8",
    )
    lines = [request(words(10), custom_id="sum-1"), request(words(10), custom_id="other-1")]
    e = est(tmp_path, lines, token_factor=None, calibration=cal)
    assert e.input_tokens == 40  # 2 × 10 tokens × factor 2
    assert e.output_tokens == 10  # 3 (prefix "sum") + 7 (the model)
    assert e.token_method.calibrated is True
    assert e.token_method.description == (
        "tiktoken cl100k_base × 2, calibrated (cal.toml) (one factor, framing included; error band of "
        "the uncalibrated model)"
    )
    assert "1 request: calibrated output_p50 of custom_id prefix 'sum'" in e.output_method
    assert not any(w.startswith("no output estimate") for w in e.warnings)


def test_version_2_calibration_fixed_part_and_class_factors(tmp_path: Path) -> None:
    cal = tmp_path / "cal.toml"
    cal.write_text(
        'schema_version = 2\n[models."sonnet-4.6"]\nrequest_tokens = 5\nfactors = { latin = 2, space = 2 }\n'
        "error_low = -0.1\nerror_high = 0.25\n",
        encoding="utf-8",
    )
    line = request(words(10), max_tokens=10)
    e = est(tmp_path, [line, line], token_factor=None, calibration=cal, output_tokens=0)
    # each: 10 tokens of letters and spaces, all × 2 = 20, + 5 fixed = 25; two requests = 50
    assert e.input_tokens == 50
    assert e.token_method.calibrated is True
    assert (e.token_method.error_low, e.token_method.error_high) == (Decimal("-0.1"), Decimal("0.25"))
    band = e.token_band
    assert band is not None
    # actual = estimated ÷ (1 + error): 50 ÷ 1.25 = 40 at the low end, 50 ÷ 0.9 = 55.6 → 56 at the high end
    assert (band.estimated_input_tokens, band.input_tokens_low, band.input_tokens_high) == (50, 40, 56)
    # 40 × $3/MTok = $0.00012; 56 × $3/MTok = $0.000168; batch half
    assert (band.realtime_low, band.realtime_high) == (Decimal("0.00012"), Decimal("0.000168"))
    assert (band.batch_low, band.batch_high) == (Decimal("0.00006"), Decimal("0.000084"))


def test_calibration_naming_an_unknown_model(tmp_path: Path) -> None:
    cal = tmp_path / "cal.toml"
    cal.write_text('schema_version = 1\n[models."sonet-4.6"]\ninput_factor = 2\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"models.'sonet-4.6': unknown model"):
        est(tmp_path, [request("hi")], calibration=cal)


# -- other sources ------------------------------------------------------------------------------------


def test_text_files_with_a_template(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(words(10), encoding="utf-8")
    (tmp_path / "docs" / "b.txt").write_text(words(20), encoding="utf-8")
    plain = estimate(
        [tmp_path / "docs"],
        EstimateOptions(model="sonnet-4.6", max_tokens=50, token_factor=ONE, output_tokens=5),
        at=DAY,
    )
    assert (plain.requests, plain.input_tokens, plain.output_tokens) == (2, 30, 10)
    templated = estimate(
        [str(tmp_path / "docs" / "*.txt")],
        EstimateOptions(model="sonnet-4.6", max_tokens=50, token_factor=ONE, template="{text} hello"),
        at=DAY,
    )
    assert templated.input_tokens == 32  # each file gains one " hello" token
    assert templated.worst_case.output_tokens == 100


def test_table_with_a_text_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", "ticket,max_tokens", [f"{words(5)},50", f"{words(7)},60"])
    e = estimate(
        [path],
        EstimateOptions(model="haiku-4.5", text_column="ticket", token_factor=ONE, output_tokens=0),
        at=DAY,
    )
    assert (e.requests, e.input_tokens, e.worst_case.output_tokens) == (2, 12, 110)


# -- bad input ----------------------------------------------------------------------------------------


def test_malformed_line(tmp_path: Path) -> None:
    with pytest.raises(WorkloadError, match=r"batch.jsonl:2: not valid JSON .*'\{oops'"):
        est(tmp_path, [request("hi"), "{oops"])


def test_skip_invalid_counts_and_warns(tmp_path: Path) -> None:
    bad_params = {"custom_id": "x", "params": {"model": "sonnet-4.6", "messages": []}}
    e = est(tmp_path, [request("hi"), "{oops", bad_params], output_tokens=0, skip_invalid=True)
    assert (e.requests, e.skipped) == (1, 2)
    path = str(tmp_path / "batch.jsonl")
    assert [(s.file, s.line) for s in e.skipped_lines] == [(path, 2), (path, 3)]
    assert e.skipped_lines[0].reason.startswith("not valid JSON")
    assert (
        e.skipped_lines[1].reason == "x: params.max_tokens must be a whole number of at least 1, got missing"
    )
    # every skipped line, under the one warning
    assert f"skipped 2 invalid lines or rows:\n  {path}:2: not valid JSON" in e.warnings[-1]
    assert f"\n  {path}:3: x: params.max_tokens" in e.warnings[-1]


def test_request_without_max_tokens(tmp_path: Path) -> None:
    line = {
        "custom_id": "x",
        "params": {"model": "sonnet-4.6", "messages": [{"role": "user", "content": "hi"}]},
    }
    with pytest.raises(
        WorkloadError,
        match=r"batch.jsonl:1: x: params.max_tokens must be a whole number of at least 1, got missing",
    ):
        est(tmp_path, [line])


def test_unknown_model_in_a_request(tmp_path: Path) -> None:
    with pytest.raises(UnknownModelError) as info:
        est(tmp_path, [request("hi"), request("hi", model="claude-sonet-4-6")])
    assert str(info.value).endswith(
        "batch.jsonl:2: unknown model 'claude-sonet-4-6'; did you mean 'claude-sonnet-4-6', 'claude-sonnet-4-5-20250929' or 'claude-sonnet-4-20250514'? Run `claude-quote models --all` to list every model."
    )


def test_unknown_model_option_fails_before_reading(tmp_path: Path) -> None:
    with pytest.raises(UnknownModelError):
        estimate([tmp_path / "missing.jsonl"], EstimateOptions(model="sonet"), at=DAY)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(WorkloadError, match="no requests found"):
        estimate([empty], at=DAY)
    with pytest.raises(WorkloadError, match="no such file or directory"):
        estimate([tmp_path / "missing.jsonl"], at=DAY)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"output_tokens": 1, "output_ratio": Decimal(1)}, "either output_tokens or output_ratio"),
        ({"cache_hit_rate": Decimal("1.5")}, "cache_hit_rate must be between 0 and 1"),
        ({"token_factor": Decimal(0)}, "token_factor must be more than 0"),
        ({"max_tokens": 0}, "max_tokens must be at least 1"),
        ({"template": "no placeholder"}, "no {text} placeholder"),
    ],
)
def test_bad_options(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("{", r"\{").replace("}", r"\}")):
        est(tmp_path, [request("hi")], **options)


def test_paths_must_be_a_non_empty_list(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="give a list of one or more files"):
        estimate([], at=DAY)
    with pytest.raises(UsageError, match="give a list of one or more files"):
        estimate(str(tmp_path / "a.jsonl"), at=DAY)  # a str is a Sequence, but not a list of paths


def test_text_files_need_model_and_max_tokens(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("hello", encoding="utf-8")
    with pytest.raises(UsageError, match="text files need --model"):
        estimate([doc], at=DAY)
    with pytest.raises(UsageError, match="text files need --max-tokens N"):
        estimate([doc], EstimateOptions(model="sonnet"), at=DAY)


def test_request_json_file(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(request(words(10))["params"]), encoding="utf-8")
    e = estimate([path], EstimateOptions(token_factor=ONE, output_tokens=0), at=DAY)
    assert (e.requests, e.input_tokens) == (1, 10)
