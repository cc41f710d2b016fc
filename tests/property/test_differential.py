"""Every way in gives one answer: the same requests priced through ``price`` (a quote), ``estimate`` (a
table of given token counts), ``reconcile`` (a results file carrying the same usage), one month of
``project`` and ``check`` cost exactly the same, for any model, date, mode and modifier.

Each example is N identical requests, so every command sees each request in the same tier. A table
of given counts carries the prompt as one number, so the ``estimate`` leg uses prompt + output only;
the other legs also carry cache writes, cache reads and web searches.
"""

from __future__ import annotations

import csv
import json
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from claude_quote import (
    ClaudeQuoteError,
    Engine,
    EstimateOptions,
    Modifiers,
    Usage,
    Workload,
    check,
    estimate,
    project,
    quote,
    reconcile_results,
)

ENGINE = Engine()
# First days of months (a projection prices a month on its first day) across the price changes:
# Opus/Sonnet 4.6 long-context tiers and Opus 4.6 fast mode (February), Sonnet 4.5's 200K tier
# (until 2026-04-30), Haiku 5.5's 100K tier (October on), Opus 4.8 fast mode (until 2026-11-30).
DAYS = [
    date(2026, 2, 1),
    date(2026, 3, 1),
    date(2026, 4, 1),
    date(2026, 6, 1),
    date(2026, 11, 1),
    date(2026, 12, 1),
]
MODELS = ["opus-4.6", "sonnet-4.6", "sonnet-4.5", "haiku-4.5", "haiku-5.5", "opus-4.8", "opus-5", "opus-5.5"]


@dataclass(frozen=True)
class Case:
    model: str
    at: date
    geo: str
    fast: bool
    requests: int
    one: Usage
    """One request's usage."""

    @property
    def total(self) -> Usage:
        return self.one * self.requests


@st.composite
def cases(draw: st.DrawFn, *, cache: bool) -> Case:
    model = draw(st.sampled_from(MODELS))
    at = draw(st.sampled_from(DAYS))
    geo = draw(st.sampled_from(["global", "us"]))
    fast = draw(st.booleans())
    try:
        ENGINE.card(model, at, Modifiers("realtime", geo, "fast" if fast else "standard"))  # type: ignore[arg-type]
    except ClaudeQuoteError:
        assume(False)
    # prompts either side of the 100K and 200K lines
    prompt = draw(
        st.sampled_from([0, 1, 1_000, 99_999, 100_000, 100_001, 199_999, 200_000, 200_001, 350_000])
    )
    if cache:
        read = draw(st.integers(0, prompt))
        write_1h = draw(st.integers(0, prompt - read))
        write_5m = draw(st.integers(0, prompt - read - write_1h))
        searches = draw(st.integers(0, 3))
    else:
        read = write_1h = write_5m = searches = 0
    one = Usage(
        input_tokens=prompt - read - write_1h - write_5m,
        cache_read_tokens=read,
        cache_write_1h_tokens=write_1h,
        cache_write_5m_tokens=write_5m,
        output_tokens=draw(st.integers(1, 8_000)),
        web_search_requests=searches,
    )
    return Case(model, at, geo, fast, draw(st.integers(1, 4)), one)


def _quote(case: Case) -> tuple[Decimal, Decimal | None]:
    q = quote(case.total, case.model, requests=case.requests, at=case.at, geo=case.geo, fast=case.fast)  # type: ignore[arg-type]
    return q.realtime.total, None if q.batch is None else q.batch.total


def _estimate(case: Case, folder: Path) -> tuple[Decimal, Decimal | None]:
    path = folder / "requests.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "input_tokens", "output_tokens", "max_tokens", "inference_geo", "speed"])
        for _ in range(case.requests):
            one = case.one
            speed = "fast" if case.fast else "standard"
            writer.writerow(
                [case.model, one.prompt_tokens, one.output_tokens, one.output_tokens, case.geo, speed]
            )
    e = estimate([path], EstimateOptions(), at=case.at)
    return e.realtime.total, None if e.batch is None else e.batch.total


def _reconcile(case: Case, folder: Path) -> tuple[Decimal, Decimal]:
    one = case.one
    usage = {
        "input_tokens": one.input_tokens,
        "cache_read_input_tokens": one.cache_read_tokens,
        "cache_creation_input_tokens": one.cache_write_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": one.cache_write_5m_tokens,
            "ephemeral_1h_input_tokens": one.cache_write_1h_tokens,
        },
        "output_tokens": one.output_tokens,
        "server_tool_use": {"web_search_requests": one.web_search_requests},
        "inference_geo": case.geo,
        "service_tier": "batch",
    }
    model_id = ENGINE.model(case.model, case.at).id
    path = folder / "results.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "custom_id": f"r{i}",
                    "result": {"type": "succeeded", "message": {"model": model_id, "usage": usage}},
                }
            )
            + "\n"
            for i in range(case.requests)
        )
    )
    a = reconcile_results(path, at=case.at)
    return a.realtime.total, a.batch.total


def _project(case: Case) -> tuple[Decimal, Decimal]:
    w = Workload(
        name="w",
        model=case.model,
        usage=case.one,
        requests=case.requests,
        per="month",
        geo=case.geo,
        fast=case.fast,
    )
    month = project(w, start=case.at, months=1).workloads[0].months[0]
    return month.realtime_cost, month.batch_cost


def _check(case: Case, folder: Path) -> tuple[Decimal, Decimal | None]:
    one = case.one
    config = folder / "claude-quote.toml"
    config.write_text(
        "schema_version = 1\n[[workloads]]\n"
        f'name = "w"\nmodel = "{case.model}"\nrequests = {case.requests}\nper = "month"\n'
        f'geo = "{case.geo}"\nfast = {"true" if case.fast else "false"}\n'
        f"tokens = {{ input = {one.input_tokens}, output = {one.output_tokens}, cache_read = {one.cache_read_tokens}, "
        f"cache_write_5m = {one.cache_write_5m_tokens}, cache_write_1h = {one.cache_write_1h_tokens}, "
        f"web_searches = {one.web_search_requests} }}\n"
    )
    cost = check(config, at=case.at).workloads[0].cost
    return cost.realtime, cost.batch


@settings(max_examples=60, deadline=None)
@given(case=cases(cache=True))
def test_price_reconcile_project_and_check_agree(case: Case) -> None:
    realtime, batch = _quote(case)
    with tempfile.TemporaryDirectory() as folder:
        assert _check(case, Path(folder)) == (realtime, batch)
        month_realtime, month_batch = _project(case)
        assert month_realtime == realtime
        assert month_batch == (
            realtime if batch is None else batch
        )  # fast mode: no batch, real time throughout
        if batch is not None:  # a results file is a batch: fast mode never appears in one
            assert _reconcile(case, Path(folder)) == (realtime, batch)


@settings(max_examples=40, deadline=None)
@given(case=cases(cache=False))
def test_estimate_agrees_with_price(case: Case) -> None:
    realtime, batch = _quote(case)
    with tempfile.TemporaryDirectory() as folder:
        est_realtime, est_batch = _estimate(case, Path(folder))
    assert est_realtime == realtime
    # fast requests can't be batched: the estimate's batch figure keeps them at their real-time price
    assert est_batch == (realtime if batch is None and case.fast else batch)
