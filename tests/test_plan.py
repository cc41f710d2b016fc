"""plan(): every check on both sides of its threshold, the split rules, and write_parts()."""

from __future__ import annotations

import errno
import gzip
import hashlib
import importlib
import inspect
import json
import os
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import pytest

import claude_quote
from claude_quote import EstimateOptions, estimate
from claude_quote import plan as plan_module_function
from claude_quote.errors import UsageError, WorkloadError
from claude_quote.plan import (
    MAX_BYTES,
    MAX_BYTES_CEILING,
    MAX_REQUESTS,
    Plan,
    ProblemCode,
    parse_size,
    plan,
    write_parts,
)
from claude_quote.plan.writing import PartFile, cannot
from claude_quote.pricing import PriceTable
from tests.conftest import DAY, ROOT
from tests.workload_files import request, words, write_jsonl

ONE = Decimal(1)
module = importlib.import_module("claude_quote.plan.planner")  # the module that reads the raw lines


def _plan(tmp_path: Path, lines: Sequence[dict[str, Any] | str], **options: Any) -> Plan:
    options.setdefault("at", DAY)
    return plan(write_jsonl(tmp_path / "batch.jsonl", lines), **options)


def _codes(p: Plan) -> list[tuple[int, str, str]]:
    return [(x.line, x.code, x.severity) for x in p.problems]


def _line_bytes(line: dict[str, Any]) -> int:
    return len(json.dumps(line).encode()) + 1


# --------------------------------------------------------------------------------------------------
# custom_id


def test_custom_id_of_64_characters_is_fine_and_65_is_an_error(tmp_path: Path) -> None:
    ok, long = "a" * 64, "b" * 65
    p = _plan(tmp_path, [request(custom_id=ok), request(custom_id=long)])
    assert _codes(p) == [(2, "custom_id_format", "error")]
    assert p.problems[0].custom_id == long
    assert (
        "is 65 characters: the API allows 1 to 64 letters, digits, _ or -; shorten it"
        in p.problems[0].message
    )


@pytest.mark.parametrize(
    ("custom_id", "shown"),
    [("sum 002", "' '"), ("a.b", "'.'"), ("café", "'é'"), ("ends-with-newline\n", "'\\n'")],
)
def test_custom_id_with_characters_the_api_rejects(tmp_path: Path, custom_id: str, shown: str) -> None:
    p = _plan(tmp_path, [request(custom_id=custom_id)])
    assert _codes(p) == [(1, "custom_id_format", "error")]
    assert f"has characters the API rejects ({shown})" in p.problems[0].message


def test_letters_digits_underscore_and_dash_are_fine(tmp_path: Path) -> None:
    p = _plan(tmp_path, [request(custom_id="Eval_q3-0042"), request(custom_id="0")])
    assert p.problems == ()


def test_a_duplicate_names_the_later_line_and_the_first(tmp_path: Path) -> None:
    lines = [request(custom_id="a"), request(custom_id="b"), request(custom_id="a"), request(custom_id="a")]
    p = _plan(tmp_path, lines)
    assert _codes(p) == [(3, "custom_id_duplicate", "error"), (4, "custom_id_duplicate", "error")]
    assert all("custom_id 'a' repeats line 1:" in x.message for x in p.problems)
    assert p.custom_ids == 2
    assert p.requests == 4


def test_an_empty_custom_id_is_an_invalid_line(tmp_path: Path) -> None:
    p = _plan(tmp_path, [request(custom_id="ok"), request(custom_id="")])
    assert _codes(p) == [(2, "invalid_line", "error")]
    assert p.problems[0].message == "custom_id must be a non-empty string, got '' (written to no part)"
    assert (p.requests, p.skipped) == (1, 1)


# --------------------------------------------------------------------------------------------------
# Models


def test_unknown_model_is_an_error_with_suggestions(tmp_path: Path) -> None:
    p = _plan(tmp_path, [request(model="claude-sonet-4-6")])
    assert _codes(p) == [(1, "unknown_model", "error")]
    assert p.problems[0].message.startswith(
        "unknown model 'claude-sonet-4-6'; did you mean 'claude-sonnet-4-6'"
    )
    assert p.parts[0].models == ("claude-sonet-4-6",)


def test_claude_quote_short_names_are_not_api_ids(tmp_path: Path) -> None:
    lines = [
        request(model="sonnet-4.6", custom_id="a"),
        request(model="claude-haiku-4.5", custom_id="b"),
        request(model="claude-haiku-4-5", custom_id="c"),  # an API alias
        request(model="claude-haiku-4-5-20251001", custom_id="d"),  # the snapshot id
    ]
    p = _plan(tmp_path, lines)
    assert _codes(p) == [(1, "model_not_api_id", "error"), (2, "model_not_api_id", "error")]
    assert 'write "model": "claude-sonnet-4-6"' in p.problems[0].message
    assert 'write "model": "claude-haiku-4-5-20251001"' in p.problems[1].message


def test_every_line_naming_a_problem_model_gets_the_problem(tmp_path: Path) -> None:
    lines = [request(model="claude-3-opus-20240229", custom_id=f"r{i}") for i in range(3)]
    p = _plan(tmp_path, lines)
    assert _codes(p) == [(i, "retired_model", "error") for i in (1, 2, 3)]


def test_retired_model_on_and_before_its_retirement(tmp_path: Path) -> None:
    # claude-3-opus-20240229 retired 2026-01-05
    lines = [request(model="claude-3-opus-20240229", max_tokens=4096)]
    before = _plan(tmp_path, lines, at=date(2026, 1, 4))
    on = _plan(tmp_path, lines, at=date(2026, 1, 5))
    assert before.problems == ()
    assert _codes(on) == [(1, "retired_model", "error")]
    assert on.problems[0].message == (
        "claude-3-opus-20240229 was retired on 2026-01-05: the API no longer serves it; "
        "use claude-opus-4-5-20251101 instead"
    )


def test_an_uncertain_retirement_is_a_warning(tmp_path: Path) -> None:
    # claude-3-haiku-20240307: retired 2026-04-20, the date marked uncertain in the data
    p = _plan(tmp_path, [request(model="claude-3-haiku-20240307", max_tokens=100)])
    assert _codes(p) == [(1, "retired_model", "warning")]
    assert "retired is UNCERTAIN in the price data" in p.problems[0].message


def test_model_not_in_the_batch_api(tmp_path: Path, table: PriceTable) -> None:
    # claude-mythos-preview: batch = false, marked uncertain → warning (besides its retirement)
    p = _plan(tmp_path, [request(model="claude-mythos-preview", max_tokens=100)], at=date(2026, 5, 1))
    assert _codes(p) == [(1, "model_not_batchable", "warning")]
    # the same model with the fact certain → error
    models = tuple(
        m.model_copy(update={"uncertain": {}}) if m.id == "claude-mythos-preview" else m for m in table.models
    )
    certain = table.model_copy(update={"models": models})
    p = _plan(
        tmp_path, [request(model="claude-mythos-preview", max_tokens=100)], at=date(2026, 5, 1), table=certain
    )
    assert _codes(p) == [(1, "model_not_batchable", "error")]
    assert p.problems[0].message.startswith(
        "claude-mythos-preview is not available in the Message Batches API"
    )


def test_before_the_batch_api_existed_no_model_is_batchable(tmp_path: Path, table: PriceTable) -> None:
    start = table.batch.effective_from
    lines = [request(model="claude-3-haiku-20240307", max_tokens=100)]
    assert _plan(tmp_path, lines, at=start).problems == ()
    before = _plan(tmp_path, lines, at=date.fromordinal(start.toordinal() - 1))
    assert _codes(before) == [(1, "model_not_batchable", "error")]


def test_a_model_released_after_the_date_is_unknown(tmp_path: Path) -> None:
    p = _plan(tmp_path, [request(model="claude-haiku-5-5")], at=date(2026, 10, 6))
    assert _codes(p) == [(1, "unknown_model", "error")]
    assert "was released on 2026-10-07, after 2026-10-06" in p.problems[0].message
    assert _plan(tmp_path, [request(model="claude-haiku-5-5")], at=date(2026, 10, 7)).problems == ()


@pytest.mark.parametrize("model", [None, 42, ""])
def test_a_missing_model_is_invalid_params(tmp_path: Path, model: Any) -> None:
    line = request()
    line["params"]["model"] = model
    p = _plan(tmp_path, [line])
    assert _codes(p) == [(1, "invalid_params", "error")]
    assert p.problems[0].message.startswith("params.model must be a model id")


# --------------------------------------------------------------------------------------------------
# max_tokens


def test_max_tokens_at_and_over_the_models_maximum_output(tmp_path: Path) -> None:
    # claude-haiku-4-5-20251001: max_output 64,000
    at_limit = _plan(tmp_path, [request(model="claude-haiku-4-5", max_tokens=64_000)])
    over = _plan(tmp_path, [request(model="claude-haiku-4-5", max_tokens=64_001)])
    assert at_limit.problems == ()
    assert _codes(over) == [(1, "max_tokens_over_limit", "error")]
    assert over.problems[0].message == (
        "max_tokens 64,001 is over claude-haiku-4-5-20251001's maximum output of 64,000: the API rejects it; "
        "lower max_tokens"
    )


def test_an_uncertain_maximum_output_is_a_warning(tmp_path: Path) -> None:
    # claude-3-5-haiku-20241022: max_output 8,192, marked uncertain; not yet retired in mid-2025
    at = date(2025, 6, 1)
    assert (
        _plan(tmp_path, [request(model="claude-3-5-haiku-20241022", max_tokens=8_192)], at=at).problems == ()
    )
    p = _plan(tmp_path, [request(model="claude-3-5-haiku-20241022", max_tokens=8_193)], at=at)
    assert _codes(p) == [(1, "max_tokens_over_limit", "warning")]
    assert "max_output is UNCERTAIN in the price data" in p.problems[0].message


def test_max_tokens_missing(tmp_path: Path) -> None:
    line = request()
    del line["params"]["max_tokens"]
    p = _plan(tmp_path, [line])
    assert _codes(p) == [(1, "max_tokens_missing", "error")]


@pytest.mark.parametrize("value", ["100", -1, 1.5, True])
def test_max_tokens_not_a_whole_number(tmp_path: Path, value: Any) -> None:
    p = _plan(tmp_path, [request(max_tokens=value)])
    assert _codes(p) == [(1, "max_tokens_invalid", "error")]
    assert f"got {value!r}" in p.problems[0].message


def test_max_tokens_zero_is_a_warning_because_the_fact_is_uncertain(tmp_path: Path) -> None:
    assert _plan(tmp_path, [request(max_tokens=1)]).problems == ()
    p = _plan(tmp_path, [request(max_tokens=0)])
    assert _codes(p) == [(1, "max_tokens_zero", "warning")]
    assert "(UNCERTAIN)" in p.problems[0].message


# --------------------------------------------------------------------------------------------------
# Context window and tiers (token_factor 1: `words(n)` is exactly n tokens)


def _window(tmp_path: Path, prompt: int, max_tokens: int) -> Plan:
    line = request(words(prompt), model="claude-haiku-4-5", max_tokens=max_tokens)
    return _plan(tmp_path, [line], token_factor=ONE)


def test_context_window_at_and_over(tmp_path: Path) -> None:
    # claude-haiku-4-5: 200,000-token window. 136,000 + 64,000 = 200,000: at it, only a warning
    at_window = _window(tmp_path, 136_000, 64_000)
    over = _window(tmp_path, 136_001, 64_000)
    assert _codes(at_window) == [(1, "near_context_window", "warning")]
    assert _codes(over) == [(1, "over_context_window", "error")]
    assert over.problems[0].message == (
        "estimated prompt 136,001 + max_tokens 64,000 = 200,001 tokens, over claude-haiku-4-5-20251001's "
        "200,000-token context window: the API rejects it; shorten the prompt or lower max_tokens "
        "(an estimate: tiktoken × 1)"
    )


def test_an_uncertain_context_window_makes_over_a_warning(tmp_path: Path, table: PriceTable) -> None:
    models = tuple(
        m.model_copy(update={"uncertain": {"context_window": "one source"}})
        if m.id.startswith("claude-haiku-4-5")
        else m
        for m in table.models
    )
    doubtful = table.model_copy(update={"models": models})
    line = request(words(136_001), model="claude-haiku-4-5", max_tokens=64_000)
    p = _plan(tmp_path, [line], token_factor=ONE, table=doubtful)
    assert _codes(p) == [(1, "over_context_window", "warning")]
    assert p.problems[0].message.endswith("(context_window is UNCERTAIN in the price data: one source)")


def test_near_the_context_window_starts_past_ninety_percent(tmp_path: Path) -> None:
    # 10% margin: 180,000 is not flagged, 180,001 is
    assert _window(tmp_path, 120_000, 60_000).problems == ()
    near = _window(tmp_path, 120_001, 60_000)
    assert _codes(near) == [(1, "near_context_window", "warning")]
    assert (
        "within 10% of claude-haiku-4-5-20251001's 200,000-token context window" in near.problems[0].message
    )


def test_margin_is_a_parameter(tmp_path: Path) -> None:
    line = request(words(120_001), model="claude-haiku-4-5", max_tokens=60_000)
    p = _plan(tmp_path, [line], token_factor=ONE, margin=Decimal("0.05"))
    assert p.problems == ()


def _haiku55(tmp_path: Path, n: int, factor: Decimal | None = ONE) -> Plan:
    return _plan(tmp_path, [request(words(n), model="claude-haiku-5-5", max_tokens=100)], token_factor=factor)


def test_haiku_5_5_prompt_of_100000_tokens_stays_in_the_base_tier_and_100001_crosses(tmp_path: Path) -> None:
    at_tier = _haiku55(tmp_path, 100_000)
    over = _haiku55(tmp_path, 100_001)
    assert _codes(at_tier) == [(1, "near_tier", "warning")]
    assert _codes(over) == [(1, "tier_crossed", "warning")]
    assert over.problems[0].message == (
        "estimated prompt 100,001 tokens, over claude-haiku-5-5's 100,000-token tier (an estimate: tiktoken × 1): "
        "the whole request, output included, is billed at the tier's rates (input $0.5 vs $0.1, output $2.5 vs "
        "$0.5 per MTok); shorten the prompt to stay under it"
    )


def test_near_tier_starts_past_ninety_percent(tmp_path: Path) -> None:
    assert _haiku55(tmp_path, 90_000).problems == ()
    assert _codes(_haiku55(tmp_path, 90_001)) == [(1, "near_tier", "warning")]


def test_tier_with_the_default_counting_model(tmp_path: Path) -> None:
    # claude-4.7 tokenizer, words(n): n tokens of 5n letters and n − 1 spaces (no joins), so
    # n × (5n × 0.238 × 1.783 + (n − 1) × 0.159 × 1.438) ÷ (5n × 0.238 + (n − 1) × 0.159) + 11 framing:
    # n = 57,388 → 100,000.25 → 100,000 (not over the tier); n = 57,389 → 100,001.99 → 100,002
    assert _codes(_haiku55(tmp_path, 57_388, None)) == [(1, "near_tier", "warning")]
    over = _haiku55(tmp_path, 57_389, None)
    assert _codes(over) == [(1, "tier_crossed", "warning")]
    assert "estimated prompt 100,002 tokens" in over.problems[0].message
    assert "(an estimate: tiktoken × content factors)" in over.problems[0].message


def _tier_requests() -> list[dict[str, Any]]:
    image = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    tool = {"name": "lookup", "description": words(50), "input_schema": {"type": "object"}}
    cached = {"type": "text", "text": words(60_000), "cache_control": {"type": "ephemeral", "ttl": "1h"}}
    return [
        request(words(72_000), model="claude-haiku-5-5", custom_id="plain"),
        request(words(70_000), model="claude-haiku-5-5", system=words(500), custom_id="system"),
        request(
            [*([image] * 60), {"type": "text", "text": words(3_000)}],
            model="claude-haiku-5-5",
            custom_id="img",
        ),
        request(words(10_000), model="claude-haiku-5-5", tools=[tool], system=[cached], custom_id="tools"),
    ]


@pytest.mark.parametrize("index", range(4))
def test_prompt_counts_match_the_estimator(tmp_path: Path, index: int) -> None:
    line = _tier_requests()[index]
    path = write_jsonl(tmp_path / "one.jsonl", [line])
    p = plan(path, at=DAY)
    found = re.search(r"estimated prompt ([\d,]+) tokens", p.problems[0].message)
    assert found is not None, p.problems
    e = estimate([path], EstimateOptions(output_tokens=0), at=DAY)
    assert int(found[1].replace(",", "")) == e.input_tokens


def test_small_requests_are_not_flagged(tmp_path: Path) -> None:
    # far below every limit: not even tokenized (the upper bound of 4 tokens per character proves it)
    p = _plan(tmp_path, [request(words(1_000), model="claude-haiku-5-5", max_tokens=100)])
    assert p.problems == ()


# --------------------------------------------------------------------------------------------------
# What a batch refuses


def test_fast_mode_is_not_allowed_in_a_batch(tmp_path: Path) -> None:
    lines = [
        request(model="claude-opus-4-6", speed="fast", custom_id="a"),
        request(model="claude-opus-4-6", speed="standard", custom_id="b"),
        request(model="claude-opus-4-6", betas=["fast-mode-2026-02-01"], custom_id="c"),
    ]
    p = _plan(tmp_path, lines)
    assert _codes(p) == [
        (1, "fast_mode_in_batch", "error"),
        (3, "fast_mode_in_batch", "error"),
        (3, "betas_in_params", "warning"),  # and betas do not go in params at all
    ]
    assert p.problems[0].message.startswith(
        '"speed": "fast": fast mode is not available in the Message Batches API'
    )


def test_streaming_is_not_allowed_in_a_batch(tmp_path: Path) -> None:
    p = _plan(tmp_path, [request(stream=True, custom_id="a"), request(stream=False, custom_id="b")])
    assert _codes(p) == [(1, "streaming_in_batch", "error")]


def test_more_than_four_cache_breakpoints(tmp_path: Path) -> None:
    def blocks(n: int) -> list[dict[str, Any]]:
        return [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}} for _ in range(n)]

    p = _plan(tmp_path, [request(blocks(4), custom_id="a"), request(blocks(5), custom_id="b")])
    assert _codes(p) == [(2, "too_many_cache_breakpoints", "error")]
    assert p.problems[0].message == "5 cache_control breakpoints: the API allows at most 4; remove some"


def test_malformed_params_are_listed_not_fatal(tmp_path: Path) -> None:
    line = request()
    del line["params"]["messages"]
    p = _plan(tmp_path, [line, request(custom_id="ok")])
    assert _codes(p) == [(1, "invalid_params", "error")]
    assert p.problems[0].message == "params.messages must be a non-empty list, got None; the API rejects it"
    assert p.parts[0].requests == 2


def test_problems_are_sorted_by_line(tmp_path: Path) -> None:
    lines = [
        request(words(100_001), model="claude-haiku-5-5", custom_id="big"),
        request(custom_id="bad id"),
    ]
    p = _plan(tmp_path, lines, token_factor=ONE)
    assert [x.line for x in p.problems] == [1, 2]


# --------------------------------------------------------------------------------------------------
# Bad input


def test_every_malformed_line_is_an_error_with_its_line(tmp_path: Path) -> None:
    lines: list[dict[str, Any] | str] = [
        request(custom_id="a"),
        "{not json",
        request(custom_id="c"),
        '{"custom_id": "x"}',
        request()["params"],  # a bare Messages body
        "[1, 2]",
        request(custom_id="g"),
    ]
    p = _plan(tmp_path, lines)
    assert _codes(p) == [(n, "invalid_line", "error") for n in (2, 4, 5, 6)]
    assert [x.message.split(" (")[0] for x in p.problems] == [
        "not valid JSON",
        '"params" must be an object with the Messages API request',
        'a bare Messages API request body, without "custom_id": a batch line is {"custom_id": "<1 to 64 letters, digits, _ or ->", "params": <this body>}',
        "expected a JSON object, got list",
    ]
    assert (p.requests, p.skipped, p.errors) == (3, 4, 4)
    assert [(x.first_line, x.last_line, x.requests) for x in p.parts] == [(1, 7, 3)]


def test_a_file_of_nothing_but_bad_lines_is_one_error_naming_the_first(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", ["", "{oops", "{oops"])
    with pytest.raises(
        WorkloadError,
        match=r"b\.jsonl: no requests found \(2 invalid lines; the first, .*b\.jsonl:2: not valid JSON",
    ):
        plan(path, at=DAY)


def test_skip_invalid_lists_and_excludes_the_lines(tmp_path: Path) -> None:
    lines: list[dict[str, Any] | str] = [
        request(custom_id="a"),
        "{not json",
        '{"custom_id": "x"}',
        request(custom_id="c"),
    ]
    p = _plan(tmp_path, lines, skip_invalid=True)
    assert _codes(p) == [(2, "invalid_line", "warning"), (3, "invalid_line", "warning")]
    assert p.skipped == 2
    assert p.requests == 2
    assert p.problems[1].message.startswith(
        'skipped (--skip-invalid) and written to no part: "params" must be'
    )
    assert [(x.first_line, x.last_line, x.requests) for x in p.parts] == [(1, 4, 2)]


def test_an_empty_file_has_no_requests(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(WorkloadError, match=r"empty\.jsonl: no requests found$"):
        plan(path, at=DAY)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkloadError, match="no such file"):
        plan(tmp_path / "nope.jsonl", at=DAY)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("max_requests", 0),
        ("max_requests", 100_001),
        ("max_bytes", 0),
        ("max_bytes", MAX_BYTES_CEILING + 1),
        ("margin", Decimal(1)),
        ("token_factor", Decimal(0)),
    ],
)
def test_limits_out_of_range(tmp_path: Path, option: str, value: Any) -> None:
    with pytest.raises(UsageError, match=option):
        _plan(tmp_path, [request()], **{option: value})


# --------------------------------------------------------------------------------------------------
# Splitting


def _ids(n: int) -> list[dict[str, Any]]:
    return [request(custom_id=f"r{i:03d}") for i in range(1, n + 1)]


def test_the_defaults_are_the_api_limits() -> None:
    defaults = inspect.signature(plan).parameters
    assert defaults["max_requests"].default == MAX_REQUESTS == 100_000
    assert defaults["max_bytes"].default == MAX_BYTES == 256_000_000
    assert MAX_BYTES_CEILING == 268_435_456


def test_exactly_max_requests_is_one_part_and_one_more_is_two(tmp_path: Path) -> None:
    three = _plan(tmp_path, _ids(3), max_requests=3)
    four = _plan(tmp_path, _ids(4), max_requests=3)
    assert [(x.first_line, x.last_line, x.requests, x.ended_by) for x in three.parts] == [
        (1, 3, 3, "end_of_file")
    ]
    assert [(x.first_line, x.last_line, x.requests, x.ended_by) for x in four.parts] == [
        (1, 3, 3, "max_requests"),
        (4, 4, 1, "end_of_file"),
    ]
    assert [x.file for x in four.parts] == ["part-0001.jsonl", "part-0002.jsonl"]


def test_bytes_at_and_over_the_limit(tmp_path: Path) -> None:
    lines = _ids(2)
    size = sum(_line_bytes(x) for x in lines)
    # body = {"requests":[ + line1 + , + line2 + ]} = part bytes + 14
    fits = _plan(tmp_path, lines, max_bytes=size + 14)
    split = _plan(tmp_path, lines, max_bytes=size + 13)
    assert [(x.requests, x.bytes, x.body_bytes) for x in fits.parts] == [(2, size, size + 14)]
    assert [(x.requests, x.ended_by) for x in split.parts] == [(1, "max_bytes"), (1, "end_of_file")]
    assert split.problems == ()


def test_the_body_size_is_what_json_would_send(tmp_path: Path) -> None:
    lines = _ids(3)
    p = _plan(tmp_path, lines)
    body = json.dumps({"requests": lines}, separators=(",", ":"))
    compact = [json.dumps(x, separators=(",", ":")) for x in lines]
    path = write_jsonl(tmp_path / "compact.jsonl", compact)
    q = plan(path, at=DAY)
    assert q.parts[0].body_bytes == len(body.encode())
    assert p.parts[0].body_bytes == sum(_line_bytes(x) for x in lines) + 14


def test_a_line_bigger_than_any_batch_is_an_error_alone_in_its_part(tmp_path: Path) -> None:
    small, big = request(custom_id="a"), request(words(200), custom_id="big")
    limit = _line_bytes(big) + 14
    fits = _plan(tmp_path, [small, big, small | {"custom_id": "c"}], max_bytes=limit)
    assert fits.problems == ()
    p = _plan(tmp_path, [small, big, small | {"custom_id": "c"}], max_bytes=limit - 1)
    assert _codes(p) == [(2, "line_too_large", "error")]
    assert [(x.first_line, x.requests, x.over_limit, x.ended_by) for x in p.parts] == [
        (1, 1, False, "line_too_large"),
        (2, 1, True, "line_too_large"),
        (3, 1, False, "end_of_file"),
    ]
    size = _line_bytes(big)
    assert p.problems[0].message.startswith(
        f"the line is {size:,} bytes ({size + 14:,} as a batch body), over the {limit - 1:,}-byte limit"
    )


def test_a_repeated_custom_id_starts_a_new_part(tmp_path: Path) -> None:
    lines = [request(custom_id="a"), request(custom_id="b"), request(custom_id="a")]
    p = _plan(tmp_path, lines)
    assert [(x.first_line, x.last_line, x.ended_by) for x in p.parts] == [
        (1, 2, "custom_id_duplicate"),
        (3, 3, "end_of_file"),
    ]


def test_blank_lines_are_not_requests(tmp_path: Path) -> None:
    p = _plan(tmp_path, [request(custom_id="a"), "", "   ", request(custom_id="b")], max_requests=1)
    assert [(x.first_line, x.last_line) for x in p.parts] == [(1, 1), (4, 4)]
    assert p.requests == 2


def test_a_missing_last_newline_is_counted(tmp_path: Path) -> None:
    line = json.dumps(request())
    path = tmp_path / "b.jsonl"
    path.write_bytes(line.encode())
    p = plan(path, at=DAY)
    assert p.bytes == len(line)
    assert p.parts[0].bytes == len(line) + 1  # the part gets the newline
    assert p.lines_sha256 == hashlib.sha256(line.encode() + b"\n").hexdigest()


def test_models_per_part(tmp_path: Path) -> None:
    lines = [request(model="claude-haiku-4-5", custom_id="a"), request(custom_id="b")]
    assert _plan(tmp_path, lines).parts[0].models == ("claude-haiku-4-5-20251001", "claude-sonnet-4-6")


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("256MB", 256_000_000),
        ("256 MiB", 268_435_456),
        ("500kB", 500_000),
        ("1,000", 1_000),
        ("250_000", 250_000),
        ("7b", 7),
        ("2GB", 2_000_000_000),
    ],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "1.5MB", "-3", "5 TB"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="is not a size"):
        parse_size(text)


# --------------------------------------------------------------------------------------------------
# Writing the parts


def _sources(tmp_path: Path, n: int = 5) -> Path:
    lines: list[dict[str, Any] | str] = [
        request(f"ticket {i} — café", custom_id=f"t{i}") for i in range(1, n + 1)
    ]
    # an odd but valid line: spacing and key order are kept byte for byte
    lines.insert(
        2,
        '{"params": {"max_tokens": 5,   "model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "é"}]}, "custom_id": "odd"}',
    )
    lines.insert(4, "")
    return write_jsonl(tmp_path / "src.jsonl", lines)


def _request_lines(path: Path) -> list[bytes]:
    return [raw.rstrip(b"\n") + b"\n" for raw in path.read_bytes().splitlines(keepends=True) if raw.strip()]


def test_parts_are_byte_for_byte_copies_in_order(tmp_path: Path) -> None:
    source = _sources(tmp_path)
    p = write_parts(plan(source, at=DAY, max_requests=2), tmp_path / "out")
    files = sorted((tmp_path / "out").glob("part-*.jsonl"))
    assert [f.name for f in files] == ["part-0001.jsonl", "part-0002.jsonl", "part-0003.jsonl"]
    assert b"".join(f.read_bytes() for f in files) == b"".join(_request_lines(source))
    assert p.split is not None
    assert (p.split.requests, p.split.custom_ids) == (6, 6)
    assert p.split.lines_sha256 == p.lines_sha256
    assert sorted(x.name for x in (tmp_path / "out").iterdir()) == ["manifest.json", *(f.name for f in files)]


def test_manifest_contents(tmp_path: Path) -> None:
    source = _sources(tmp_path)
    p = write_parts(plan(source, at=DAY, max_requests=4), tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == 2
    assert manifest["kind"] == "plan-manifest"
    assert manifest["source"] == {
        "file": str(source),
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "bytes": len(source.read_bytes()),
        "requests": 6,
        "custom_ids": 6,
        "lines_sha256": hashlib.sha256(b"".join(_request_lines(source))).hexdigest(),
        "skipped_lines": [],
    }
    assert manifest["limits"]["max_requests"] == 4
    assert manifest["problems"] == {"errors": 0, "warnings": 0, "forced": False}
    parts = manifest["parts"]
    assert [(x["file"], x["first_line"], x["last_line"], x["requests"], x["custom_ids"]) for x in parts] == [
        ("part-0001.jsonl", 1, 4, 4, 4),  # lines 1, 2, 3 (odd), 4 (t3); the blank line 5 is no request
        ("part-0002.jsonl", 6, 7, 2, 2),
    ]
    through = hashlib.sha256()
    for entry in parts:
        data = (tmp_path / "out" / entry["file"]).read_bytes()
        through.update(data)  # the parts up to this one, concatenated
        assert entry["sha256_through"] == through.hexdigest()
        assert entry["bytes"] == len(data)
        assert entry["body_bytes"] == len(data) + 14
    assert parts[-1]["sha256_through"] == manifest["source"]["lines_sha256"]
    assert manifest["total"] == {"parts": 2, "requests": 6, "custom_ids": 6}
    assert p.split is not None
    assert p.split.files == (
        str(tmp_path / "out" / "part-0001.jsonl"),
        str(tmp_path / "out" / "part-0002.jsonl"),
    )


def test_errors_refuse_the_split_unless_forced(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "b.jsonl", [request(custom_id="a"), request(custom_id="a")])
    p = plan(source, at=DAY)
    with pytest.raises(
        WorkloadError, match=r"b\.jsonl: 1 error: no parts written; fix them, or pass --force"
    ):
        write_parts(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    forced = write_parts(p, tmp_path / "out", force=True)
    assert forced.split is not None
    # the duplicate went to its own part: no part repeats a custom_id
    for part in sorted((tmp_path / "out").glob("part-*.jsonl")):
        ids = [json.loads(x)["custom_id"] for x in part.read_text(encoding="utf-8").splitlines()]
        assert len(ids) == len(set(ids))
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["problems"] == {"errors": 1, "warnings": 0, "forced": True}
    assert manifest["total"] == {"parts": 2, "requests": 2, "custom_ids": 2}


def test_existing_parts_are_not_overwritten_without_asking(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_parts(plan(_sources(tmp_path), at=DAY, max_requests=1), out)
    assert len(list(out.glob("part-*.jsonl"))) == 6
    smaller = plan(_sources(tmp_path), at=DAY)
    with pytest.raises(
        UsageError, match=r"already holds manifest\.json, part-0001\.jsonl, part-0002\.jsonl, …"
    ):
        write_parts(smaller, out)
    write_parts(smaller, out, overwrite=True)
    assert sorted(x.name for x in out.iterdir()) == ["manifest.json", "part-0001.jsonl"]


def test_split_into_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="is not a directory"):
        write_parts(plan(_sources(tmp_path), at=DAY), target)


def _no_parts_left(folder: Path) -> None:
    """Nothing of the run is left: the directory it created is gone."""
    assert not folder.exists()


def test_a_failure_midway_leaves_no_part_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    original = PartFile.close

    def close(self: PartFile) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the third part cannot be flushed to disk
            raise cannot(
                self.folder, f"write part {self.index}", OSError(errno.ENOSPC, "No space left on device")
            )
        original(self)

    monkeypatch.setattr(PartFile, "close", close)
    p = plan(_sources(tmp_path), at=DAY, max_requests=2)
    with pytest.raises(UsageError, match=r"out: cannot write part 3: No space left on device \(ENOSPC\)"):
        write_parts(p, tmp_path / "out")
    _no_parts_left(tmp_path / "out")


def test_a_failure_inside_a_part_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write(self: PartFile, data: bytes, lines: int) -> None:
        raise cannot(self.folder, f"write part {self.index}", OSError(errno.EIO, "Input/output error"))

    monkeypatch.setattr(PartFile, "write", write)
    with pytest.raises(
        UsageError, match=r"cannot write part 1: Input/output error \(EIO\); no parts written"
    ):
        write_parts(plan(_sources(tmp_path), at=DAY), tmp_path / "out")
    _no_parts_left(tmp_path / "out")


def test_a_part_with_more_on_disk_than_was_written_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = PartFile.write

    def write(self: PartFile, data: bytes, lines: int) -> None:  # a bug that writes every block twice
        original(self, data, lines)
        assert self.fd is not None
        os.write(self.fd, data)

    monkeypatch.setattr(PartFile, "write", write)
    with pytest.raises(WorkloadError, match=r"part 1 holds (\d+) bytes on disk, not the \d+ written"):
        write_parts(plan(_sources(tmp_path), at=DAY, max_requests=2), tmp_path / "out")
    _no_parts_left(tmp_path / "out")


def test_a_source_changed_after_planning_is_refused(tmp_path: Path) -> None:
    source = _sources(tmp_path)
    p = plan(source, at=DAY)
    source.write_bytes(source.read_bytes().replace(b"ticket 1", b"ticket 9"))
    with pytest.raises(WorkloadError, match="changed since it was planned"):
        write_parts(p, tmp_path / "out")
    _no_parts_left(tmp_path / "out")


def test_skipped_lines_are_written_to_no_part(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "b.jsonl", [request(custom_id="a"), "{oops", request(custom_id="b")])
    p = write_parts(plan(source, at=DAY, skip_invalid=True), tmp_path / "out")
    data = (tmp_path / "out" / "part-0001.jsonl").read_bytes()
    assert b"oops" not in data
    assert data.count(b"\n") == 2
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"]["skipped_lines"] == [2]
    assert manifest["problems"]["warnings"] == 1
    assert p.split is not None


def test_gzip_sources_are_read_and_written_uncompressed(tmp_path: Path) -> None:
    plain = _sources(tmp_path)
    packed = tmp_path / "src.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    p = write_parts(plan(packed, at=DAY), tmp_path / "out")
    assert (tmp_path / "out" / "part-0001.jsonl").read_bytes() == b"".join(_request_lines(plain))
    assert p.source_sha256 == hashlib.sha256(plain.read_bytes()).hexdigest()


def test_more_than_9999_parts_widen_the_names(tmp_path: Path) -> None:
    lines = [json.dumps({"custom_id": f"r{i}", "params": {}}) for i in range(10_000)]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = plan(path, at=DAY, max_requests=1)
    assert (p.parts[0].file, p.parts[-1].file) == ("part-00001.jsonl", "part-10000.jsonl")


# --------------------------------------------------------------------------------------------------
# Public API


def test_plan_is_public_and_not_shadowed_by_its_module() -> None:
    assert callable(claude_quote.plan)
    assert claude_quote.plan is plan_module_function is plan
    assert claude_quote.write_parts is write_parts
    assert claude_quote.Plan is Plan


def test_every_problem_code_is_documented() -> None:
    page = (ROOT / "docs" / "plan.md").read_text(encoding="utf-8")
    for code in get_args(ProblemCode):
        assert f"| `{code}` |" in page, code
