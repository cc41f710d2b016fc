"""Organisation bills: Usage & Cost Admin API exports priced with our table, against the cost report.

:func:`reconcile_usage_report` reads a ``usage_report/messages`` export
(:mod:`claude_quote.workloads.admin_exports`), prices every row at the prices in effect on its bucket's
date, and, given a ``cost_report`` export, compares our figure with what Anthropic billed per model and
service tier and in total. Web search fees are priced and compared on a line of their own: the cost
report bills them on rows without a model.

The two sides are named as in every reconcile report: ``estimate`` (our prices on the usage) and
``actual`` (what Anthropic billed), ``error = estimate − actual`` and ``error_percent`` of the actual.

>>> import json, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> usage = {"data": [{"starting_at": "2026-11-02T00:00:00Z", "ending_at": "2026-11-03T00:00:00Z",
...     "results": [{"model": "claude-sonnet-4-6", "service_tier": "batch", "context_window": "0-200k",
...                  "inference_geo": "global", "speed": "standard",
...                  "uncached_input_tokens": 2_000_000, "output_tokens": 100_000}]}]}
>>> cost = {"data": [{"starting_at": "2026-11-02T00:00:00Z", "ending_at": "2026-11-03T00:00:00Z",
...     "results": [
...       {"amount": "300", "currency": "USD", "cost_type": "tokens", "token_type": "uncached_input_tokens",
...        "model": "claude-sonnet-4-6", "service_tier": "batch"},
...       {"amount": "75", "currency": "USD", "cost_type": "tokens", "token_type": "output_tokens",
...        "model": "claude-sonnet-4-6", "service_tier": "batch"}]}]}
>>> _ = (folder / "usage.json").write_text(json.dumps(usage))
>>> _ = (folder / "cost.json").write_text(json.dumps(cost))
>>> r = reconcile_usage_report(folder / "usage.json", folder / "cost.json")
>>> r.estimate, r.actual, r.error_percent  # 2M × $1.50 + 0.1M × $7.50 = $3.75; 375 cents billed
(Decimal('3.75'), Decimal('3.75'), Decimal('0'))
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from claude_quote.engine import Cost, Engine, Modifiers, RateCard, card_notes, engine_for
from claude_quote.errors import ClaudeQuoteError, UnknownModelError, WorkloadError
from claude_quote.money import EXACT, decimal_str
from claude_quote.pricing import ModelInfo, PriceTable
from claude_quote.usage import Usage
from claude_quote.workloads.admin_exports import (
    CostReport,
    UsageReport,
    UsageRow,
    read_cost_report,
    read_usage_report,
)
from claude_quote.workloads.results import MAX_SKIPPED_SHOWN, InvalidLine

from .compare import error_percent

__all__ = [
    "LONG_CONTEXT_BUCKET",
    "PRICED_SERVICE_TIERS",
    "OrgLine",
    "OrgReconciliation",
    "reconcile_usage_report",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


PRICED_SERVICE_TIERS = ("standard", "batch")
"""Service tiers the table has prices for; priority, flex and the rest are reported unpriced."""

LONG_CONTEXT_BUCKET = 200_000
"""The Admin API's ``context_window`` buckets split prompts at 200K tokens: ``0-200k`` / ``200k-1M``."""


LineKind = Literal["tokens", "web_search"]


class OrgLine(_Frozen):
    """Usage of one model in one service tier over the report (or every web search), priced, and what
    was billed for it."""

    kind: LineKind = "tokens"
    """``tokens`` (one model and tier) or ``web_search`` (every search fee, billed without a model)."""
    model: str | None
    """Canonical model id; None when the report is not grouped by model, and on the web search line."""
    model_name: str | None
    service_tier: str | None
    """``standard``, ``batch``, ``priority``, ...; None when not grouped by service tier."""
    rows: int
    """Usage rows that went into this line."""
    usage: Usage
    cost: Cost | None
    """Our prices applied to the usage, line by line; None when it could not be priced."""
    unpriced_reason: str | None = None
    lower_bound: bool = False
    """Some rows could not be placed in a tier, data residency or speed: the estimate is a lower bound."""
    estimate: Decimal | None = None
    """Our total for this line (``cost.total``); None when unpriced."""
    actual: Decimal | None = None
    """What the cost report billed for this line (USD); None without a matching report."""
    error: Decimal | None = None
    """``estimate − actual``."""
    error_percent: Decimal | None = None
    """``error`` as a percentage of ``actual``."""

    @property
    def label(self) -> str:
        """``model / tier``, or ``web search``."""
        if self.kind == "web_search":
            return "web search (all models)"
        return f"{self.model or 'all models'} / {self.service_tier or 'all tiers'}"


class OrgReconciliation(_Frozen):
    """An organisation's usage report priced with our table, against its cost report."""

    usage_report: str
    cost_report: str | None
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    first_day: date | None
    """First bucket start date in the usage report (UTC)."""
    last_day: date | None
    """Last bucket start date in the usage report (UTC)."""
    buckets: int
    rows: int
    usage: Usage
    """Usage of the priced rows."""
    estimate: Decimal
    """Our total for the priced rows."""
    actual: Decimal | None
    """Billed total for the same models and tiers (tokens and web search); None without a cost report."""
    error: Decimal | None
    """``estimate − actual``."""
    error_percent: Decimal | None
    """``(estimate − actual) ÷ actual × 100``: positive when our prices come out higher than the bill."""
    lines: tuple[OrgLine, ...]
    billed_not_compared: dict[str, Decimal]
    """Billed amounts with nothing to compare against (code execution, unpriced tiers, ...), USD."""
    skipped: int
    skipped_lines: tuple[InvalidLine, ...]
    warnings: tuple[str, ...]


_Key = tuple[LineKind, str | None, str | None]
_SEARCH_KEY: _Key = ("web_search", None, None)


@dataclass
class _OrgAccumulator:
    kind: LineKind
    info: ModelInfo | None
    tier: str | None
    rows: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: Cost | None = None
    unpriced_reason: str | None = None
    lower_bound: bool = False
    billed: Decimal | None = None

    def add_cost(self, cost: Cost) -> None:
        self.cost = cost if self.cost is None else self.cost + cost


@dataclass
class _State:
    """What the rows of a usage report (and a cost report) add up to, by line."""

    engine: Engine
    skip_invalid: bool
    acc: dict[_Key, _OrgAccumulator] = field(default_factory=dict)
    flags: dict[str, set[str]] = field(default_factory=dict)
    models: dict[str, tuple[ModelInfo, set[date]]] = field(default_factory=dict)
    notes: dict[str, None] = field(default_factory=dict)
    """What the cards used say (UNCERTAIN rates, fast mode withdrawn), in order, once each."""
    skipped: int = 0
    skipped_lines: list[InvalidLine] = field(default_factory=list)
    billed_not_compared: dict[str, Decimal] = field(default_factory=dict)
    per_model_billing: bool = False
    cost_days: set[date] = field(default_factory=set)

    def line(self, key: _Key, info: ModelInfo | None) -> _OrgAccumulator:
        found = self.acc.get(key)
        if found is None:
            found = self.acc[key] = _OrgAccumulator(key[0], info, key[2])
        return found

    def skip(self, line: int | None, reason: str) -> None:
        self.skipped += 1
        if len(self.skipped_lines) < MAX_SKIPPED_SHOWN:
            self.skipped_lines.append(InvalidLine(line=line, reason=reason))


def reconcile_usage_report(
    usage_report: str | Path,
    cost_report: str | Path | None = None,
    *,
    table: PriceTable | None = None,
    skip_invalid: bool = False,
) -> OrgReconciliation:
    """Price a Usage Admin API export with our table and compare it with a Cost Admin API export.

    Each row is priced at the prices in effect on its bucket's start date (UTC): ``batch`` rows at
    batch prices, ``standard`` rows at real-time prices, ``inference_geo: "us"`` ×1.1, ``speed: "fast"``
    at fast-mode rates, and ``context_window: "200k-1M"`` rows at the model's long-context tier when it
    had one that day. A row aggregates many requests and cannot be split per request, but every
    request in the ``200k-1M`` bucket had a prompt over 200K tokens, which is exactly what a 200K tier
    bills. Service tiers without prices in the table (``priority``, ``flex``, ...) are reported
    unpriced, never as $0 and never guessed. Web search fees are a line of their own.

    Raises:
        WorkloadError: a file or row is invalid, or a model is unknown or has no price on a bucket's date.
    """
    state = _State(engine_for(table), skip_invalid)
    usage = read_usage_report(usage_report, skip_invalid=skip_invalid)
    _price_rows(state, usage)
    costs = None
    if cost_report is not None:
        costs = read_cost_report(cost_report, skip_invalid=skip_invalid)
        _bill(state, costs)
    lines = _org_lines(state.acc, costs is not None, state.per_model_billing)
    estimate, actual, error = _totals(state, lines, costs is not None)
    days = sorted({row.day for row in usage.rows})
    priced_usage = sum((ln.usage for ln in lines if ln.cost is not None and ln.kind == "tokens"), Usage())
    searches = sum(ln.usage.web_search_requests for ln in lines if ln.kind == "web_search" and ln.cost)
    return OrgReconciliation(
        usage_report=usage.path,
        cost_report=None if costs is None else costs.path,
        pricing_version=state.engine.table.version,
        pricing_checked=state.engine.table.checked,
        pricing_sha256=state.engine.table.sha256,
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        buckets=usage.buckets,
        rows=len(usage.rows),
        usage=priced_usage + Usage(web_search_requests=searches),
        estimate=estimate,
        actual=actual,
        error=error,
        error_percent=None if actual is None else error_percent(estimate, actual),
        lines=tuple(lines),
        billed_not_compared=dict(sorted(state.billed_not_compared.items())),
        skipped=state.skipped,
        skipped_lines=tuple(state.skipped_lines),
        warnings=tuple(_org_warnings(lines, state, costs is not None, set(days))),
    )


def _totals(
    state: _State, lines: list[OrgLine], with_costs: bool
) -> tuple[Decimal, Decimal | None, Decimal | None]:
    """Our estimate, the bill of the lines we priced (with a cost report) and the difference; what
    was billed for a line we did not price is kept as billed and not compared."""
    with decimal.localcontext(EXACT):
        estimate = sum((ln.estimate for ln in lines if ln.estimate is not None), Decimal(0))
        actual: Decimal | None = None
        if with_costs:
            actual = sum((ln.actual or Decimal(0) for ln in lines if ln.unpriced_reason is None), Decimal(0))
            for ln in lines:
                if ln.unpriced_reason is not None and ln.actual:
                    _add(state.billed_not_compared, f"{ln.label} (not priced)", ln.actual)
        error = None if actual is None else estimate - actual
    return estimate, actual, error


def _price_rows(state: _State, usage: UsageReport) -> None:
    """Every usage row priced into its line; a row that cannot be priced is skipped or raised."""
    state.skipped, state.skipped_lines = usage.skipped, list(usage.skipped_lines)
    for row in usage.rows:
        try:
            _add_row(state, row, usage.path)
        except _RowInvalid as exc:
            if not state.skip_invalid:
                raise WorkloadError(f"{row.where}: {exc}", path=usage.path, line=row.line) from None
            state.skip(row.line, f"{row.where}: {exc}")


def _bill(state: _State, costs: CostReport) -> None:
    """What the cost report billed, onto the same lines (or set aside as not comparable)."""
    state.skipped += costs.skipped
    state.skipped_lines += costs.skipped_lines[: max(MAX_SKIPPED_SHOWN - len(state.skipped_lines), 0)]
    for cost_row in costs.rows:
        day = cost_row.starting_at.astimezone(UTC).date()
        state.cost_days.add(day)
        label = _not_comparable(cost_row.cost_type, cost_row.service_tier)
        if label is not None:
            _add(state.billed_not_compared, label, cost_row.dollars)
            continue
        if cost_row.cost_type == "web_search":
            line = state.line(_SEARCH_KEY, None)
        else:
            info = _org_model(state.engine, cost_row.model, day, costs.path, cost_row.line, cost_row.where)
            state.per_model_billing = state.per_model_billing or info is not None
            line = state.line(("tokens", info.id if info else None, cost_row.service_tier), info)
        with decimal.localcontext(EXACT):
            line.billed = (line.billed or Decimal(0)) + cost_row.dollars


def _add_row(state: _State, row: UsageRow, path: str) -> None:
    """Price one usage row into its model line (tokens) and the web search line (fees)."""
    info = _org_model(state.engine, row.model, row.day, path, row.line, row.where)
    reason = _unpriced_reason(row.model, row.service_tier)
    tokens = row.usage.model_copy(update={"web_search_requests": 0})
    searches = row.usage.web_search_requests
    priced: tuple[Cost, Cost | None, list[str], RateCard] | None = None
    if reason is None:
        assert info is not None
        priced = _price_usage_row(state.engine, row, info, tokens, searches)
    line = state.line(("tokens", info.id if info else None, row.service_tier), info)
    line.rows += 1
    if info is not None:
        state.models.setdefault(info.id, (info, set()))[1].add(row.day)
    if priced is None:
        line.usage = line.usage + row.usage  # its searches stay here, unpriced with it
        line.unpriced_reason = reason
        return
    line.usage = line.usage + tokens
    token_cost, search_cost, flags, card = priced
    state.notes.update(dict.fromkeys(card_notes(card, lifecycle=False)))
    line.add_cost(token_cost)
    if search_cost is not None:
        search_line = state.line(_SEARCH_KEY, None)
        search_line.rows += 1
        search_line.usage = search_line.usage + Usage(web_search_requests=searches)
        search_line.add_cost(search_cost)
    if flags:
        line.lower_bound = True
        assert info is not None
        for flag in flags:
            state.flags.setdefault(flag, set()).add(info.id)


class _RowInvalid(Exception):
    """A usage row cannot be priced as written (skippable)."""


_LOWER_BOUND_CONTEXT = "context"
_LOWER_BOUND_GEO = "geo"
_LOWER_BOUND_SPEED = "speed"


def _add(into: dict[str, Decimal], key: str, value: Decimal) -> None:
    with decimal.localcontext(EXACT):
        into[key] = into.get(key, Decimal(0)) + value


def _org_model(
    engine: Engine, name: str | None, day: date, path: str, line: int | None, where: str
) -> ModelInfo | None:
    if name is None:
        return None
    try:
        return engine.model(name, day)
    except UnknownModelError as exc:
        by_name = [m for m in engine.table.models if m.name.lower() == name.strip().lower()]
        if by_name:
            return by_name[0]
        raise WorkloadError(f"{where}.model: {exc}", path=path, line=line) from None
    except ClaudeQuoteError as exc:
        raise WorkloadError(f"{where}.model: {exc}", path=path, line=line) from None


def _unpriced_reason(model: str | None, tier: str | None) -> str | None:
    if model is None:
        return "the usage report is not grouped by model (export it with group_by[]=model)"
    if tier is None:
        return (
            "the usage report is not grouped by service_tier, so batch and standard usage cannot be "
            "told apart (export it with group_by[]=service_tier)"
        )
    if tier not in PRICED_SERVICE_TIERS:
        return f"the price table has no {tier} prices (Anthropic does not publish them)"
    return None


def _price_usage_row(
    engine: Engine, row: UsageRow, info: ModelInfo, tokens: Usage, searches: int
) -> tuple[Cost, Cost | None, list[str], RateCard]:
    """The row's token cost, its web search fees, what makes it a lower bound, and its rate card."""
    day = row.day
    flags: list[str] = []
    if row.inference_geo is None and info.us_data_residency:
        flags.append(_LOWER_BOUND_GEO)
    if row.speed is None and info.fast_mode_at(day) is not None:
        flags.append(_LOWER_BOUND_SPEED)
    if row.context_window not in (None, "0-200k", "200k-1M"):
        raise _RowInvalid(f"context_window {row.context_window!r} is not 0-200k or 200k-1M")
    try:
        mods = Modifiers.from_api(
            inference_geo=row.inference_geo, speed=row.speed, service_tier=row.service_tier
        )
        card = engine.card(info, day, mods)
    except ClaudeQuoteError as exc:
        raise _RowInvalid(f"{info.id} on {day.isoformat()}: {exc}") from None
    tier = 0
    if card.thresholds:
        if row.context_window == "200k-1M":
            tier = _long_context_tier(card, tokens)
        elif row.context_window is None or any(t < LONG_CONTEXT_BUCKET for t in card.thresholds):
            flags.append(_LOWER_BOUND_CONTEXT)
    try:
        token_cost = engine.cost(tokens, card, requests=None, tier=tier)
        search_cost = (
            engine.cost(Usage(web_search_requests=searches), card, requests=None) if searches else None
        )
    except ClaudeQuoteError as exc:
        raise _RowInvalid(f"{info.id} on {day.isoformat()}: {exc}") from None
    return token_cost, search_cost, flags, card


def _long_context_tier(card: RateCard, tokens: Usage) -> int:
    """The tier of a ``200k-1M`` row: every request in it had a prompt over 200,000 tokens."""
    if any(t > LONG_CONTEXT_BUCKET for t in card.thresholds):
        raise _RowInvalid(
            f"{card.model.id} has a tier above {LONG_CONTEXT_BUCKET:,} prompt tokens that the "
            "200k-1M bucket cannot separate"
        )
    if tokens.prompt_tokens <= max(card.thresholds):
        raise _RowInvalid(
            f"context_window is 200k-1M but the row has only {tokens.prompt_tokens:,} prompt "
            "tokens (uncached input + cache writes + cache reads)"
        )
    return card.tier(LONG_CONTEXT_BUCKET + 1)


def _not_comparable(cost_type: str | None, tier: str | None) -> str | None:
    if cost_type not in (None, "tokens", "web_search"):
        return f"{cost_type} (not in the usage report)"
    if tier is not None and tier not in PRICED_SERVICE_TIERS:
        return f"service_tier {tier} (no prices in the table)"
    return None


def _org_lines(acc: Mapping[_Key, _OrgAccumulator], with_costs: bool, per_model: bool) -> list[OrgLine]:
    out: list[OrgLine] = []
    for key in sorted(acc, key=lambda k: (k[0] == "web_search", k[1] is None, k[1] or "", k[2] or "")):
        a = acc[key]
        billed = a.billed
        billable = a.kind == "web_search" or (per_model and a.info is not None)
        if with_costs and billed is None and a.unpriced_reason is None and billable:
            billed = Decimal(0)  # the cost report bills per model (and searches), and nothing here
        estimate = None if a.unpriced_reason or a.cost is None else a.cost.total
        error = pct = None
        if estimate is not None and billed is not None:
            with decimal.localcontext(EXACT):
                error = estimate - billed
            pct = error_percent(estimate, billed)
        out.append(
            OrgLine(
                kind=a.kind,
                model=key[1],
                model_name=a.info.name if a.info else None,
                service_tier=key[2],
                rows=a.rows,
                usage=a.usage,
                cost=None if a.unpriced_reason else a.cost,
                unpriced_reason=a.unpriced_reason,
                lower_bound=a.lower_bound,
                estimate=estimate,
                actual=billed,
                error=error,
                error_percent=pct,
            )
        )
    return out


def _org_warnings(lines: list[OrgLine], state: _State, with_costs: bool, usage_days: set[date]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line.unpriced_reason is not None:
            out.append(
                f"{line.label}: {line.usage.total_tokens:,} tokens in {line.rows} row(s) were not "
                f"priced: {line.unpriced_reason}"
            )
    out += _lower_bound_warnings(state.flags)
    out += _retired_warnings(state.models.values())
    out.extend(state.notes)
    out += _billing_warnings(state, with_costs, usage_days)
    if state.skipped:
        shown = "; ".join((f"line {s.line}: " if s.line else "") + s.reason for s in state.skipped_lines[:5])
        more = " (first 5 shown)" if state.skipped > 5 else ""
        out.append(f"skipped {state.skipped} invalid row(s){more}: {shown}")
    return out


def _lower_bound_warnings(flags: Mapping[str, set[str]]) -> list[str]:
    """What the usage report cannot show (a tier's threshold, US-only inference, fast mode), by model."""
    out: list[str] = []
    if _LOWER_BOUND_CONTEXT in flags:
        out.append(
            f"{', '.join(sorted(flags[_LOWER_BOUND_CONTEXT]))}: a request is billed at higher rates when "
            "its prompt is over a threshold the usage report cannot show (it only separates prompts over "
            "200,000 tokens, context_window 200k-1M, and only when grouped by context_window); those rows "
            "were priced at base rates, so their figure is a lower bound"
        )
    if _LOWER_BOUND_GEO in flags:
        out.append(
            f"{', '.join(sorted(flags[_LOWER_BOUND_GEO]))}: the usage report is not grouped by "
            "inference_geo, so US-only inference (×1.1) cannot be seen; priced as global (a lower bound)"
        )
    if _LOWER_BOUND_SPEED in flags:
        out.append(
            f"{', '.join(sorted(flags[_LOWER_BOUND_SPEED]))}: the usage report is not grouped by speed, "
            "so fast mode cannot be seen; priced at standard speed (a lower bound)"
        )
    return out


def _retired_warnings(models: Iterable[tuple[ModelInfo, set[date]]]) -> list[str]:
    """Models with usage on days after they were retired."""
    out: list[str] = []
    for info, days in sorted(models, key=lambda m: m[0].id):
        retired = sorted(d for d in days if info.is_retired(d))
        if retired:
            assert info.retired is not None
            out.append(
                f"{info.id} was retired on {info.retired.isoformat()} but has usage on "
                f"{_span(set(retired))}; priced at its last list price"
            )
    return out


def _billing_warnings(state: _State, with_costs: bool, usage_days: set[date]) -> list[str]:
    """What limits the comparison with the bill: no per-model rows, bills not compared, other days."""
    out: list[str] = []
    if with_costs and not state.per_model_billing:
        out.append(
            "the cost report has no per-model rows (export it with group_by[]=description), so only the "
            "totals are compared"
        )
    for label, dollars in sorted(state.billed_not_compared.items()):
        out.append(f"billed ${decimal_str(dollars)} for {label}: not compared")
    if with_costs and state.cost_days and usage_days and state.cost_days != usage_days:
        out.append(
            f"the usage report covers {_span(usage_days)} but the cost report {_span(state.cost_days)}; "
            "the totals may not cover the same days"
        )
    return out


def _span(days: set[date]) -> str:
    first, last = min(days), max(days)
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
