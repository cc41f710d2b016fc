"""Every report, at 80, 100, 120 and 200 columns, shows every figure of its JSON whole (issue #14).

Each command runs twice in-process: ``--format json`` (the exact figures) and the table, with the
terminal width patched. Every figure the table shows is looked up in the table's text as it must
appear: an amount as some ``$`` token that is the exact amount rounded half up to that token's own
decimals (so ``$0.0006`` does not stand for $0.000653, nor ``160,0`` for 160,000), a token count with
thousands separators, a percentage likewise rounded, an id as a whole word. The rounding here is
written out independently of ``render/format.py``.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import shlex
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from tests.conftest import ROOT, run_cli

WIDTHS = (80, 100, 120, 200)
EX = ROOT / "examples"

_USAGE = [
    "input_tokens:tokens",
    "cache_write_5m_tokens:tokens",
    "cache_write_1h_tokens:tokens",
    "cache_read_tokens:tokens",
    "output_tokens:tokens",
]
_RATES = [
    "input_per_mtok",
    "output_per_mtok",
    "cache_write_5m_per_mtok",
    "cache_write_1h_per_mtok",
    "cache_read_per_mtok",
]


def _lines(prefix: str) -> list[str]:
    return [
        f"{prefix}.lines[*].amount:usd",
        f"{prefix}.lines[*].tokens:tokens",
        f"{prefix}.lines[*].rate_per_mtok:rate",
    ]


def _priced(prefix: str) -> list[str]:
    return [f"{prefix}.realtime.total:usd", f"{prefix}.batch.total:usd"]


REPORTS: dict[str, tuple[str, list[str]]] = {
    "price": (
        "price opus-4.6 --input 1M --cache-write-1h 200k --cache-read 3M --output 500k --web-searches 12 "
        "--geo us --at 2026-11-25",
        [
            "model:id",
            "realtime.total:usd",
            "batch.total:usd",
            *_lines("realtime"),
            *_lines("batch")[:1],
            "savings.amount:usd",
            "savings.percent:percent",
        ],
    ),
    "models": (
        "models --at 2026-11-25",
        ["models[*].id:id", *(f"models[*].prices.{r}:rate" for r in _RATES)],
    ),
    "model detail": (
        "models haiku-5.5 --at 2026-11-25",
        [
            "model.id:id",
            "model.context_window:tokens",
            "model.max_output:tokens",
            *(f"model.prices[*].{r}:rate" for r in _RATES),
            *(f"model.prices[*].tiers[*].{r}:rate" for r in _RATES),
            "model.prices[*].tiers[*].above_prompt_tokens:tokens",
        ],
    ),
    "estimate": (
        f"estimate {EX}/batch-cached.jsonl {EX}/batch-requests.jsonl --output-tokens 150 "
        "--cache-hit-rate 50% --group-by prefix --at 2026-11-25",
        [
            "requests:tokens",
            "input_tokens:tokens",
            "output_tokens:tokens",
            "realtime.total:usd",
            "batch.total:usd",
            "savings.amount:usd",
            "savings.percent:percent",
            "worst_case.output_tokens:tokens",
            *_priced("worst_case"),
            "worst_case.savings.amount:usd",
            *_lines("realtime"),
            *_lines("batch"),
            "by_model[*].model:id",
            "by_model[*].requests:tokens",
            "by_model[*].input_tokens:tokens",
            "by_model[*].output_tokens:tokens",
            *_priced("by_model[*]"),
            *_priced("by_model[*].worst_case"),
            "groups[*].prefix:id",
            "groups[*].requests:tokens",
            "groups[*].input_tokens:tokens",
            "groups[*].output_tokens:tokens",
            *_priced("groups[*]"),
            *_priced("groups[*].worst_case"),
            "cache_bands.hit_rate:share",
            *_priced("cache_bands.bands.*"),
            "cache_bands.bands.*.usage.input_tokens:tokens",
            "cache_bands.bands.*.usage.cache_write_1h_tokens:tokens",
            "cache_bands.bands.*.usage.cache_read_tokens:tokens",
        ],
    ),
    "reconcile": (
        f"reconcile {EX}/batch-results.jsonl --at 2026-11-25",
        [
            "billed_requests:tokens",
            *(f"usage.{u}" for u in _USAGE),
            "usage.web_search_requests:tokens",
            "actual.batch.total:usd",
            "actual.realtime_equivalent.total:usd",
            "savings.amount:usd",
            "savings.percent:percent",
            "by_model[*].model:id",
            "by_model[*].requests:tokens",
            *(f"by_model[*].usage.{u}" for u in _USAGE),
            "by_model[*].actual.batch.total:usd",
            "by_model[*].actual.realtime_equivalent.total:usd",
        ],
    ),
    "reconcile --requests": (
        f"reconcile {EX}/batch-results-support.jsonl --requests {EX}/batch-requests-support.jsonl "
        "--at 2026-11-25",
        [
            "by_model[*].model:id",
            "by_model[*].actual.batch.total:usd",
            "comparison.requests:tokens",
            "comparison.estimate.total:usd",
            "comparison.actual.total:usd",
            "comparison.error:usd",
            "comparison.error_percent:percent",
            "comparison.by_model[*].model:id",
            "comparison.by_model[*].requests:tokens",
            "comparison.by_model[*].estimate:usd",
            "comparison.by_model[*].actual:usd",
            "comparison.by_model[*].error:usd",
            "comparison.by_model[*].error_percent:percent",
            "comparison.worst[*].custom_id:id",
            "comparison.worst[*].line:tokens",
            "comparison.worst[*].estimate:usd",
            "comparison.worst[*].actual:usd",
            "comparison.worst[*].error:usd",
            "comparison.worst[*].error_percent:percent",
            "comparison.worst[*].estimate_usage.output_tokens:tokens",
            "comparison.worst[*].actual_usage.output_tokens:tokens",
        ],
    ),
    "reconcile --usage-report": (
        f"reconcile --usage-report {EX}/usage-report.json --cost-report {EX}/cost-report.json",
        [
            *(f"usage.{u}" for u in _USAGE),
            "actual.priced:usd",
            "actual.billed:usd",
            "difference:usd",
            "lines[*].model:id",
            "lines[*].service_tier:id",
            *(f"lines[*].usage.{u}" for u in _USAGE),
            "lines[*].priced.total:usd",
            "lines[*].billed:usd",
            "lines[*].difference:usd",
            "lines[*].error_percent:percent",
        ],
    ),
    "project": (
        f"project --spec {EX}/workloads.toml --start 2026-12 --months 14",
        [
            "months[*].month:id",
            "months[*].requests:tokens",
            "months[*].input_tokens:tokens",
            "months[*].output_tokens:tokens",
            "months[*].realtime_cost:usd",
            "months[*].batch_cost:usd",
            "months[*].blended_cost:usd",
            "months[*].savings:usd",
            "months[*].cumulative_savings:usd",
            "years[*].requests:tokens",
            "years[*].realtime_cost:usd",
            "years[*].batch_cost:usd",
            "years[*].blended_cost:usd",
            "years[*].savings:usd",
            "totals.requests:tokens",
            "totals.input_tokens:tokens",
            "totals.output_tokens:tokens",
            "totals.realtime_cost:usd",
            "totals.blended_cost:usd",
            "totals.savings:usd",
            "workloads[*].name:id",
            "workloads[*].model:id",
            "workloads[*].totals.requests:tokens",
            "workloads[*].totals.realtime_cost:usd",
            "workloads[*].totals.batch_cost:usd",
            "workloads[*].totals.blended_cost:usd",
            "workloads[*].totals.savings:usd",
        ],
    ),
    "project --compare": (
        "project sonnet-4.6 --input 2k --output 500 --requests 1000 --per day --growth 5 --start 2026-12 "
        "--compare opus,sonnet,haiku,sonnet-4.6 --batch-share 0.7",
        [
            "scenarios[*].rank:tokens",
            "scenarios[*].model:id",
            "scenarios[*].first_month_cost:usd",
            "scenarios[*].average_monthly_cost:usd",
            "scenarios[*].total_cost:usd",
            "scenarios[*].vs_cheapest_percent:vs cheapest",
        ],
    ),
    "calibrate": (
        f"calibrate {EX}/batch-requests-support.jsonl {EX}/batch-results-support.jsonl --at 2026-11-25",
        [
            "counts.joined:tokens",
            "models[*].model:id",
            "models[*].samples:tokens",
            "models[*].fitted.mean_abs_error:share",
            "models[*].uncalibrated.mean_abs_error:share",
            "models[*].fitted.r2:id",
            "models[*].output_p50:tokens",
            "models[*].output_p95:tokens",
            "prefixes[*].prefix:id",
            "prefixes[*].samples:tokens",
            "prefixes[*].output_p95:tokens",
            "effect[*].requests:tokens",
            "effect[*].actual_prompt_tokens:tokens",
            "effect[*].uncalibrated_prompt_tokens:tokens",
            "effect[*].calibrated_prompt_tokens:tokens",
            "effect[*].actual_output_tokens:tokens",
            "effect[*].uncalibrated_output_tokens:tokens",
            "effect[*].calibrated_output_tokens:tokens",
            "effect[*].actual:usd",
            "effect[*].uncalibrated:usd",
            "effect[*].calibrated:usd",
            "effect[*].uncalibrated_error_percent:percent",
            "effect[*].calibrated_error_percent:percent",
        ],
    ),
    "plan": (
        f"plan {EX}/batch-requests-problems.jsonl --max-requests 5 --at 2026-11-25",
        [
            "requests:tokens",
            "bytes:tokens",
            "problems[*].code:id",
            "problems[*].custom_id:id",
            "parts[*].file:id",
            "parts[*].requests:tokens",
            "parts[*].bytes:tokens",
        ],
    ),
    "check": (
        f"check --config {EX}/claude-quote.toml --at 2026-11-25",
        [
            "total:usd",
            "budgets.monthly:usd",
            "workloads[*].name:id",
            "workloads[*].models[*]:id",
            "workloads[*].requests_per_month:share",
            "workloads[*].billed:usd",
            "workloads[*].limits.monthly:usd",
        ],
    ),
}


# --- looking figures up --------------------------------------------------------------------------


def _pick(data: Any, path: str) -> Iterator[Any]:
    """Values at a path like ``a.b[*].c`` (``*`` alone: every value of a mapping)."""
    if not path:
        yield data
        return
    head, _, rest = path.partition(".")
    if head == "*":
        for value in data.values():
            yield from _pick(value, rest)
        return
    key, star = (head[:-3], True) if head.endswith("[*]") else (head, False)
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        return
    if star:
        for item in value:
            yield from _pick(item, rest)
    else:
        yield from _pick(value, rest)


_AMOUNT = re.compile(r"(?<![\w$])(-?)(<?)\$(\d{1,3}(?:,\d{3})*)(?:\.(\d+))?(?![\d,]|\.\d)")
_PERCENT = re.compile(r"(?<![\w.])([+-]?)(\d+)(?:\.(\d+))?%")


def _half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _amounts(text: str) -> list[tuple[Decimal, int, bool]]:
    """Every ``$`` amount in ``text``: (signed value, decimals, "below this" marker)."""
    found = []
    for sign, below, whole, frac in _AMOUNT.findall(text):
        value = Decimal(whole.replace(",", "") + (f".{frac}" if frac else ""))
        found.append((-value if sign else value, len(frac), bool(below)))
    return found


def _shows_amount(text: str, amount: Decimal, *, exact: bool = False) -> bool:
    for value, places, below in _amounts(text):
        if exact:
            if value == amount and places >= 2:
                return True
        elif below:
            if 0 < abs(amount) < abs(value) and (amount < 0) == (value < 0):
                return True
        elif places >= 2 and _half_up(amount, places) == value and (amount.is_zero() or not value.is_zero()):
            return True
    return False


def _shows_percent(text: str, percent: Decimal) -> bool:
    for sign, whole, frac in _PERCENT.findall(text):
        value = Decimal(whole + (f".{frac}" if frac else ""))
        if sign == "-":
            value = -value
        if _half_up(percent, len(frac)) == value and len(frac) <= 2 and (sign != "+" or percent > 0):
            return True
    return False


def _shows_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def _shows(text: str, kind: str, value: Any) -> bool:
    if kind == "usd":
        return _shows_amount(text, Decimal(value))
    if kind == "rate":
        return _shows_amount(text, Decimal(value), exact=True)
    if kind == "tokens":
        return re.search(rf"(?<![\d,.]){value:,}(?![\d,]|\.\d)", text) is not None
    if kind == "percent":
        return _shows_percent(text, Decimal(value))
    if kind == "share":  # a decimal quantity: exact up to two decimals, with separators
        number = Decimal(value)
        return _shows_word(text, f"{number:,.2f}".rstrip("0").rstrip(".")) or _shows_percent(
            text, number * 100
        )
    if kind == "vs cheapest":  # the cheapest scenario says so in words
        return (
            _shows_word(text, "cheapest")
            if Decimal(value).is_zero()
            else _shows_percent(text, Decimal(value))
        )
    if kind == "factor":
        return f"× {value}" in text
    return _shows_word(text, str(value))


def _table(command: str, width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(importlib.import_module("claude_quote.render.text"), "terminal_width", lambda: width)
    result = run_cli(shlex.split(command))
    assert result.exit_code in (0, 2), result.output  # plan exits 2: its file has errors
    return result.stdout


@functools.cache
def _json_text(command: str) -> str:
    return str(run_cli([*shlex.split(command), "--format", "json"]).stdout)


def _json(command: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_json_text(command))  # a fresh copy each time
    return data


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("report", list(REPORTS))
def test_every_figure_of_the_json_appears_whole(
    report: str, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.cells import cell_len

    command, fields = REPORTS[report]
    data = _json(command)
    text = _table(command, width, monkeypatch)
    missing = []
    checked = 0
    for field in fields:
        path, _, kind = field.partition(":")
        values = [v for v in _pick(data, path) if v is not None]
        assert values, f"{report}: nothing at {path} in the JSON (the test's list is stale)"
        for value in values:
            checked += 1
            if not _shows(text, kind or "tokens", value):
                missing.append(f"{path} = {value!r}")
    assert not missing, f"{report} at {width} columns lost:\n" + "\n".join(missing) + "\n\n" + text
    assert checked >= len(fields)
    too_wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert not too_wide, f"{report} at {width} columns: lines wider than the terminal:\n" + "\n".join(
        too_wide
    )


def test_the_checker_catches_a_cropped_number() -> None:
    # What rich printed at 80 and 120 columns before: $0.0006 for $0.000653, 160,0 for 160,000.
    assert not _shows("real-time $0.0006", "usd", "0.000653")
    assert _shows("real-time $0.000653", "usd", "0.000653")
    assert not _shows("input 160,0  x", "tokens", 160000)
    assert _shows("input 160,000  x", "tokens", 160000)
    assert not _shows("claude-haiku-4-5-2025", "id", "claude-haiku-4-5-20251001")
    # $0.825 rounds half up to $0.83, never to $0.82; 905.3513% never shows as 905.3%
    assert _shows("$0.83", "usd", "0.825")
    assert not _shows("$0.82", "usd", "0.825")
    assert _shows("+905.35%", "percent", "905.3513")
    assert not _shows("905.3%", "percent", "905.3513")


def test_the_80_column_example_in_the_docs_is_what_the_command_prints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- 80 columns: (.*?) -->\n```text\n(.*?)```", page, re.DOTALL)
    assert m, "docs/cli.md lost its 80-column example"
    assert _table(m[1], 80, monkeypatch) == m[2]
