"""Organisation bills: Usage & Cost Admin API exports priced with our table, against the cost report.

:func:`reconcile_usage_report` reads a ``usage_report/messages`` export
(:mod:`claude_quote.workloads.admin_exports`), prices every row at the prices in effect on its bucket's
date, and, given a ``cost_report`` export, compares our figure with what Anthropic billed per model and
service tier and in total.

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
>>> r.priced, r.billed, r.error_percent  # 2M × $1.50 + 0.1M × $7.50 = $3.75; 375 cents billed
(Decimal('3.75'), Decimal('3.75'), Decimal('0'))
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .cost import Cost, Geo, Mode, cost
from .errors import ClaudeQuoteError, UnknownModelError, WorkloadError
from .money import EXACT, decimal_str
from .pricing import ModelInfo, PriceTable, load_pricing, resolve_model
from .reconcile import error_percent
from .usage import Usage
from .workloads.admin_exports import UsageRow, read_cost_report, read_usage_report
from .workloads.results import MAX_SKIPPED_SHOWN, InvalidLine

__all__ = [
    "LONG_CONTEXT_BUCKET",
    "PRICED_SERVICE_TIERS",
    "OrgLine",
    "OrgReconciliation",
    "reconcile_usage_report",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


PRICED_SERVICE_TIERS = ("standard", "batch")
"""Service tiers the table has prices for; priority, flex and the rest are reported unpriced."""

LONG_CONTEXT_BUCKET = 200_000
"""The Admin API's ``context_window`` buckets split prompts at 200K tokens: ``0-200k`` / ``200k-1M``."""


class OrgLine(_Frozen):
    """Usage of one model in one service tier over the report, priced, and what was billed for it."""

    model: str | None
    """Canonical model id; None when the report is not grouped by model."""
    model_name: str | None
    service_tier: str | None
    """``standard``, ``batch``, ``priority``, ...; None when not grouped by service tier."""
    rows: int
    """Usage rows that went into this line."""
    usage: Usage
    priced: Cost | None
    """Our prices applied to the usage; None when it could not be priced (see ``unpriced_reason``)."""
    unpriced_reason: str | None = None
    lower_bound: bool = False
    """Some rows could not be placed in a tier, data residency or speed: ``priced`` is a lower bound."""
    billed: Decimal | None = None
    """What the cost report billed for this model and tier (USD); None without a matching report."""
    difference: Decimal | None = None
    """``priced − billed``."""
    error_percent: Decimal | None = None
    """``difference`` as a percentage of ``billed``."""


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
    priced: Decimal
    """Our total for the priced rows."""
    billed: Decimal | None
    """Billed total for the same models and tiers (tokens and web search); None without a cost report."""
    difference: Decimal | None
    error_percent: Decimal | None
    """``(priced − billed) ÷ billed × 100``: positive when our prices come out higher than the bill."""
    lines: tuple[OrgLine, ...]
    billed_not_compared: dict[str, Decimal]
    """Billed amounts with nothing to compare against (code execution, unpriced tiers, ...), USD."""
    skipped: int
    skipped_lines: tuple[InvalidLine, ...]
    warnings: tuple[str, ...]


@dataclass
class _OrgAccumulator:
    info: ModelInfo | None
    tier: str | None
    rows: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: Cost | None = None
    unpriced_reason: str | None = None
    lower_bound: bool = False
    billed: Decimal | None = None


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
    unpriced, never as $0 and never guessed.

    Raises:
        WorkloadError: a file or row is invalid, or a model is unknown or has no price on a bucket's date.
    """
    table = table or load_pricing()
    usage = read_usage_report(usage_report, skip_invalid=skip_invalid)
    costs = read_cost_report(cost_report, skip_invalid=skip_invalid) if cost_report is not None else None
    acc: dict[tuple[str | None, str | None], _OrgAccumulator] = {}
    flags_seen: dict[str, set[str]] = {}
    skipped_lines = list(usage.skipped_lines)
    skipped = usage.skipped
    models_seen: dict[str, tuple[ModelInfo, set[date]]] = {}
    for row in usage.rows:
        info = _org_model(table, row.model, row.day, usage.path, row.line, row.where)
        reason = _unpriced_reason(row.model, row.service_tier)
        priced: Cost | None = None
        flags: list[str] = []
        if reason is None:
            assert info is not None
            try:
                priced, flags = _price_usage_row(row, info, table)
            except _RowInvalid as exc:
                if not skip_invalid:
                    raise WorkloadError(f"{row.where}: {exc}", path=usage.path, line=row.line) from None
                skipped += 1
                if len(skipped_lines) < MAX_SKIPPED_SHOWN:
                    skipped_lines.append(InvalidLine(line=row.line, reason=f"{row.where}: {exc}"))
                continue
        key = (info.id if info else None, row.service_tier)
        line = acc.get(key)
        if line is None:
            line = acc[key] = _OrgAccumulator(info, row.service_tier)
        line.rows += 1
        line.usage = line.usage + row.usage
        if info is not None:
            models_seen.setdefault(info.id, (info, set()))[1].add(row.day)
        if priced is None:
            line.unpriced_reason = reason
            continue
        line.cost = priced if line.cost is None else line.cost + priced
        if flags:
            line.lower_bound = True
            assert info is not None
            for flag in flags:
                flags_seen.setdefault(flag, set()).add(info.id)

    billed_not_compared: dict[str, Decimal] = {}
    per_model_billing = False
    cost_days: set[date] = set()
    if costs is not None:
        skipped += costs.skipped
        skipped_lines += costs.skipped_lines[: max(MAX_SKIPPED_SHOWN - len(skipped_lines), 0)]
        for cost_row in costs.rows:
            day = cost_row.starting_at.astimezone(UTC).date()
            cost_days.add(day)
            label = _not_comparable(cost_row.cost_type, cost_row.service_tier)
            if label is not None:
                _add(billed_not_compared, label, cost_row.dollars)
                continue
            info = _org_model(table, cost_row.model, day, costs.path, cost_row.line, cost_row.where)
            per_model_billing = per_model_billing or info is not None
            key = (info.id if info else None, cost_row.service_tier)
            line = acc.get(key)
            if line is None:
                line = acc[key] = _OrgAccumulator(info, cost_row.service_tier)
            with decimal.localcontext(EXACT):
                line.billed = (line.billed or Decimal(0)) + cost_row.dollars

    lines = _org_lines(acc, costs is not None, per_model_billing)
    priced_lines = [ln for ln in lines if ln.priced is not None]
    with decimal.localcontext(EXACT):
        priced_total = sum((ln.priced.total for ln in priced_lines if ln.priced), Decimal(0))
        billed_total: Decimal | None = None
        if costs is not None:
            billed_total = sum(
                (ln.billed or Decimal(0) for ln in lines if ln.unpriced_reason is None), Decimal(0)
            )
            for ln in lines:
                if ln.unpriced_reason is not None and ln.billed:
                    _add(billed_not_compared, f"{_line_label(ln)} (not priced)", ln.billed)
        difference = None if billed_total is None else priced_total - billed_total
    days = sorted({row.day for row in usage.rows})
    warnings = _org_warnings(
        lines,
        flags_seen,
        models_seen,
        billed_not_compared,
        costs is not None,
        per_model_billing,
        set(days),
        cost_days,
        skipped,
        skipped_lines,
    )
    return OrgReconciliation(
        usage_report=usage.path,
        cost_report=None if costs is None else costs.path,
        pricing_version=table.version,
        pricing_checked=table.checked,
        pricing_sha256=table.sha256,
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        buckets=usage.buckets,
        rows=len(usage.rows),
        usage=sum((ln.usage for ln in priced_lines), Usage()),
        priced=priced_total,
        billed=billed_total,
        difference=difference,
        error_percent=None if billed_total is None else error_percent(priced_total, billed_total),
        lines=tuple(lines),
        billed_not_compared=dict(sorted(billed_not_compared.items())),
        skipped=skipped,
        skipped_lines=tuple(skipped_lines),
        warnings=tuple(warnings),
    )


class _RowInvalid(Exception):
    """A usage row cannot be priced as written (skippable)."""


_GEO_OF = {"global": "global", "not_available": "global", "us": "us"}
_LOWER_BOUND_CONTEXT = "context"
_LOWER_BOUND_GEO = "geo"
_LOWER_BOUND_SPEED = "speed"


def _add(into: dict[str, Decimal], key: str, value: Decimal) -> None:
    with decimal.localcontext(EXACT):
        into[key] = into.get(key, Decimal(0)) + value


def _org_model(
    table: PriceTable, name: str | None, day: date, path: str, line: int | None, where: str
) -> ModelInfo | None:
    if name is None:
        return None
    try:
        return resolve_model(table, name, day)
    except UnknownModelError as exc:
        by_name = [m for m in table.models if m.name.lower() == name.strip().lower()]
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


def _price_usage_row(row: UsageRow, info: ModelInfo, table: PriceTable) -> tuple[Cost, list[str]]:
    day = row.day
    mode: Mode = "batch" if row.service_tier == "batch" else "realtime"
    flags: list[str] = []
    if row.inference_geo is None:
        geo: Geo = "global"
        if info.us_data_residency:
            flags.append(_LOWER_BOUND_GEO)
    elif row.inference_geo in _GEO_OF:
        geo = "us" if row.inference_geo == "us" else "global"
    else:
        raise _RowInvalid(
            f"inference_geo {row.inference_geo!r} is not one of global, us, not_available; "
            "its price multiplier is unknown"
        )
    if row.speed not in (None, "standard", "fast"):
        raise _RowInvalid(f"speed {row.speed!r} is not standard or fast")
    fast = row.speed == "fast"
    if fast and mode == "batch":
        raise _RowInvalid("speed is fast but service_tier is batch; fast mode is not offered in batch")
    if row.speed is None and info.fast_mode_at(day) is not None:
        flags.append(_LOWER_BOUND_SPEED)
    entry = info.price_at(day)
    thresholds = [t.above_prompt_tokens for t in entry.tiers] if entry and not fast else []
    requests: int | None = None
    if row.context_window not in (None, "0-200k", "200k-1M"):
        raise _RowInvalid(f"context_window {row.context_window!r} is not 0-200k or 200k-1M")
    if thresholds:
        if row.context_window == "200k-1M":
            if any(t > LONG_CONTEXT_BUCKET for t in thresholds):
                raise _RowInvalid(
                    f"{info.id} has a tier above {LONG_CONTEXT_BUCKET:,} prompt tokens that the "
                    "200k-1M bucket cannot separate"
                )
            if row.usage.prompt_tokens <= max(thresholds):
                raise _RowInvalid(
                    f"context_window is 200k-1M but the row has only {row.usage.prompt_tokens:,} prompt "
                    "tokens (uncached input + cache writes + cache reads)"
                )
            requests = 1  # every request here was over every threshold: bill the whole row at the tier
        elif row.context_window is None or any(t < LONG_CONTEXT_BUCKET for t in thresholds):
            flags.append(_LOWER_BOUND_CONTEXT)
    try:
        priced = cost(row.usage, info, mode=mode, requests=requests, at=day, geo=geo, fast=fast, table=table)
    except ClaudeQuoteError as exc:
        raise _RowInvalid(f"{info.id} on {day.isoformat()}: {exc}") from None
    return priced, flags


def _not_comparable(cost_type: str | None, tier: str | None) -> str | None:
    if cost_type not in (None, "tokens", "web_search"):
        return f"{cost_type} (not in the usage report)"
    if tier is not None and tier not in PRICED_SERVICE_TIERS:
        return f"service_tier {tier} (no prices in the table)"
    return None


def _line_label(line: OrgLine) -> str:
    return f"{line.model or 'all models'} / {line.service_tier or 'all tiers'}"


def _org_lines(
    acc: Mapping[tuple[str | None, str | None], _OrgAccumulator], with_costs: bool, per_model: bool
) -> list[OrgLine]:
    out: list[OrgLine] = []
    for key in sorted(acc, key=lambda k: (k[0] is None, k[0] or "", k[1] or "")):
        a = acc[key]
        billed = a.billed
        if with_costs and per_model and billed is None and a.unpriced_reason is None and a.info is not None:
            billed = Decimal(0)  # the cost report has per-model rows, and none for this model and tier
        difference = pct = None
        if a.cost is not None and billed is not None and a.unpriced_reason is None:
            with decimal.localcontext(EXACT):
                difference = a.cost.total - billed
            pct = error_percent(a.cost.total, billed)
        out.append(
            OrgLine(
                model=key[0],
                model_name=a.info.name if a.info else None,
                service_tier=key[1],
                rows=a.rows,
                usage=a.usage,
                priced=None if a.unpriced_reason else a.cost,
                unpriced_reason=a.unpriced_reason,
                lower_bound=a.lower_bound,
                billed=billed,
                difference=difference,
                error_percent=pct,
            )
        )
    return out


def _org_warnings(
    lines: list[OrgLine],
    flags: Mapping[str, set[str]],
    models: Mapping[str, tuple[ModelInfo, set[date]]],
    billed_not_compared: Mapping[str, Decimal],
    with_costs: bool,
    per_model: bool,
    usage_days: set[date],
    cost_days: set[date],
    skipped: int,
    skipped_lines: list[InvalidLine],
) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line.unpriced_reason is not None:
            out.append(
                f"{_line_label(line)}: {line.usage.total_tokens:,} tokens in {line.rows} row(s) were not "
                f"priced: {line.unpriced_reason}"
            )
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
    for info, days in sorted(models.values(), key=lambda m: m[0].id):
        retired = sorted(d for d in days if info.is_retired(d))
        if retired:
            assert info.retired is not None
            out.append(
                f"{info.id} was retired on {info.retired.isoformat()} but has usage on "
                f"{_span(set(retired))}; priced at its last list price"
            )
        entries = {e.effective_from: e for d in days if (e := info.price_at(d)) is not None}
        for start, entry in sorted(entries.items()):
            if entry.uncertain:
                out.append(
                    f"the {info.id} rates in effect from {start.isoformat()} are marked "
                    f"UNCERTAIN in the price data: {entry.uncertain}"
                )
    if with_costs and not per_model:
        out.append(
            "the cost report has no per-model rows (export it with group_by[]=description), so only the "
            "totals are compared"
        )
    for label, dollars in sorted(billed_not_compared.items()):
        out.append(f"billed ${decimal_str(dollars)} for {label}: not compared")
    if with_costs and cost_days and usage_days and cost_days != usage_days:
        out.append(
            f"the usage report covers {_span(usage_days)} but the cost report {_span(cost_days)}; "
            "the totals may not cover the same days"
        )
    if skipped:
        shown = "; ".join((f"line {s.line}: " if s.line else "") + s.reason for s in skipped_lines[:5])
        more = " (first 5 shown)" if skipped > 5 else ""
        out.append(f"skipped {skipped} invalid row(s){more}: {shown}")
    return out


def _span(days: set[date]) -> str:
    first, last = min(days), max(days)
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
