"""Estimates against what requests did cost: :func:`compare` and :func:`reconcile_with_estimates`.

Each request with an estimate (``custom_id`` → model and :class:`~claude_quote.usage.Usage`) and a
succeeded result is priced on both sides at batch prices on the results' date, one request at a time
(each with its own tier; the estimate at the data residency and speed the result reports), and the
differences are summed per model and overall. Requests that were not billed, had no result or no
estimate are counted, not compared.

The error of an estimate is ``estimate − actual``; ``error_percent`` is that as a percentage of the
actual (positive: the estimate was too high). Both reconcile reports use these four names.
"""

from __future__ import annotations

import decimal
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from claude_quote.engine import Engine, Modifiers, RateCard, engine_for, percent_of
from claude_quote.errors import ClaudeQuoteError, WorkloadError
from claude_quote.money import EXACT, plain
from claude_quote.pricing import PriceTable
from claude_quote.usage import Usage
from claude_quote.workloads.results import BatchResult

from .results import BatchActuals, batch_modifiers, read_actuals

__all__ = [
    "WORST_DEFAULT",
    "ModelComparison",
    "Reconciliation",
    "RequestComparison",
    "compare",
    "error_percent",
    "reconcile_with_estimates",
]

WORST_DEFAULT = 10
"""How many worst misses a comparison lists by default."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def error_percent(estimate: Decimal, actual: Decimal) -> Decimal | None:
    """``(estimate − actual) ÷ actual × 100``, or None when ``actual`` is 0.

    A percentage is a ratio, so it is computed to 28 significant digits (like savings percentages);
    money itself is never rounded.

    >>> error_percent(Decimal("11"), Decimal("10")), error_percent(Decimal("9"), Decimal("12"))
    (Decimal('10'), Decimal('-25'))
    >>> error_percent(Decimal("1"), Decimal("0")) is None
    True
    """
    if actual.is_zero():
        return None
    with decimal.localcontext(EXACT):
        difference = estimate - actual
    return percent_of(difference, actual)


class RequestComparison(_Frozen):
    """One request: its estimate against what it cost (batch prices)."""

    custom_id: str
    line: int
    """Line of the result in the results file."""
    model: str
    """The model that answered."""
    estimate_model: str
    """The model the estimate was priced for."""
    estimate_usage: Usage
    actual_usage: Usage
    estimate: Decimal
    actual: Decimal
    error: Decimal
    """``estimate − actual``."""
    error_percent: Decimal | None
    """``error`` as a percentage of ``actual``; None when the request cost nothing."""


class ModelComparison(_Frozen):
    """Estimate against actual for one model's compared requests."""

    model: str
    model_name: str
    requests: int
    estimate: Decimal
    actual: Decimal
    error: Decimal
    error_percent: Decimal | None


class Reconciliation(_Frozen):
    """Batch actuals compared with an estimate per request."""

    actuals: BatchActuals
    compared: int
    """Requests with both an estimate and a succeeded result."""
    estimate_usage: Usage
    actual_usage: Usage
    estimate: Decimal
    """Estimated batch cost of the compared requests."""
    actual: Decimal
    """Actual batch cost of the compared requests."""
    error: Decimal
    error_percent: Decimal | None
    by_model: tuple[ModelComparison, ...]
    requests: tuple[RequestComparison, ...]
    """Every compared request, in results-file order."""
    worst: tuple[RequestComparison, ...]
    """The largest misses by absolute dollar error, largest first."""
    not_billed: dict[str, int]
    """Estimated requests whose result was errored / canceled / expired, by type: not billed."""
    not_billed_estimate: Decimal
    """What the estimate had for those requests."""
    missing_results: int
    """Estimated custom_ids absent from the results file."""
    missing_result_ids: tuple[str, ...]
    """The first of them."""
    unestimated: int
    """Succeeded results with no estimate."""
    unestimated_actual: Decimal
    """What those cost (not in the comparison)."""
    warnings: tuple[str, ...]


class _Prices:
    """One request's batch price on either side, through the engine (cards remembered)."""

    def __init__(self, engine: Engine, actuals: BatchActuals) -> None:
        self.engine, self.at, self.path = engine, actuals.at, actuals.path
        self.cards: dict[tuple[str, Modifiers], RateCard] = {}

    def card(self, model: str, line: BatchResult, *, actual: bool) -> RateCard:
        """The batch card of ``model`` as ``line`` ran; an actual model that cannot be priced is an
        error at the line, an estimate's model raises as it is (the estimate named it)."""
        mods = batch_modifiers(line, self.path)
        key = (model, mods)
        found = self.cards.get(key)
        if found is None:
            try:
                found = self.cards[key] = self.engine.card(model, self.at, mods)
            except ClaudeQuoteError as exc:
                if not actual:
                    raise
                raise WorkloadError(f"result.message.model: {exc}", path=self.path, line=line.line) from None
        return found

    def of(self, model: str, line: BatchResult, usage: Usage, *, actual: bool) -> tuple[RateCard, Decimal]:
        card = self.card(model, line, actual=actual)
        return card, self.engine.amount(usage.buckets(), card)


def compare(
    actuals: BatchActuals,
    requests: Mapping[str, BatchResult],
    estimates: Mapping[str, tuple[str, Usage]],
    *,
    table: PriceTable | None = None,
    worst: int = WORST_DEFAULT,
) -> Reconciliation:
    """Set ``estimates`` (custom_id → (model, usage)) against the actual requests of a results file.

    Both sides are priced at batch prices on ``actuals.at``, per request (tiers per request; the
    estimate at the data residency and speed the result reports). Only requests with an estimate and
    a succeeded result are compared; the others are counted.
    """
    prices = _Prices(engine_for(table), actuals)
    rows: list[RequestComparison] = []
    not_billed: Counter[str] = Counter()
    not_billed_estimate = unestimated_actual = Decimal(0)
    unestimated = 0
    with decimal.localcontext(EXACT):
        for custom_id, line in requests.items():
            estimate = estimates.get(custom_id)
            if line.usage is None:
                if estimate is not None:
                    not_billed[line.type] += 1
                    not_billed_estimate += prices.of(estimate[0], line, estimate[1], actual=False)[1]
                continue
            assert line.model is not None
            actual_card, actual = prices.of(line.model, line, line.usage, actual=True)
            if estimate is None:
                unestimated += 1
                unestimated_actual += actual
                continue
            estimate_card, estimated = prices.of(estimate[0], line, estimate[1], actual=False)
            rows.append(_row(line, actual_card, estimate_card, estimate[1], estimated, actual))
    rows.sort(key=lambda r: r.line)
    total_estimate = _sum(r.estimate for r in rows)
    total_actual = _sum(r.actual for r in rows)
    missing = [custom_id for custom_id in estimates if custom_id not in requests]
    return Reconciliation(
        actuals=actuals,
        compared=len(rows),
        estimate_usage=sum((r.estimate_usage for r in rows), Usage()),
        actual_usage=sum((r.actual_usage for r in rows), Usage()),
        estimate=total_estimate,
        actual=total_actual,
        error=_sum((total_estimate, -total_actual)),
        error_percent=error_percent(total_estimate, total_actual),
        by_model=_by_model(rows, prices.engine),
        requests=tuple(rows),
        worst=tuple(sorted(rows, key=lambda r: (-abs(r.error), r.line))[: max(worst, 0)]),
        not_billed=dict(sorted(not_billed.items())),
        not_billed_estimate=plain(not_billed_estimate),
        missing_results=len(missing),
        missing_result_ids=tuple(missing[:10]),
        unestimated=unestimated,
        unestimated_actual=plain(unestimated_actual),
        warnings=tuple(_warnings(rows, not_billed, missing, unestimated)),
    )


def _row(
    line: BatchResult,
    actual_card: RateCard,
    estimate_card: RateCard,
    estimate_usage: Usage,
    estimate: Decimal,
    actual: Decimal,
) -> RequestComparison:
    assert line.usage is not None
    return RequestComparison(
        custom_id=line.custom_id,
        line=line.line,
        model=actual_card.model.id,
        estimate_model=estimate_card.model.id,
        estimate_usage=estimate_usage,
        actual_usage=line.usage,
        estimate=estimate,
        actual=actual,
        error=_sum((estimate, -actual)),
        error_percent=error_percent(estimate, actual),
    )


def _sum(values: Iterable[Decimal]) -> Decimal:
    with decimal.localcontext(EXACT):
        return plain(sum(values, Decimal(0)))


def _by_model(rows: list[RequestComparison], engine: Engine) -> tuple[ModelComparison, ...]:
    per_model: dict[str, list[RequestComparison]] = {}
    for row in rows:
        per_model.setdefault(row.model, []).append(row)
    names = {m.id: m.name for m in engine.table.models}
    out = []
    for model_id in sorted(per_model):
        group = per_model[model_id]
        est = _sum(r.estimate for r in group)
        act = _sum(r.actual for r in group)
        out.append(
            ModelComparison(
                model=model_id,
                model_name=names.get(model_id, model_id),
                requests=len(group),
                estimate=est,
                actual=act,
                error=_sum((est, -act)),
                error_percent=error_percent(est, act),
            )
        )
    return tuple(out)


def _warnings(
    rows: list[RequestComparison], not_billed: Mapping[str, int], missing: list[str], unestimated: int
) -> list[str]:
    out: list[str] = []
    switched = sum(1 for r in rows if r.model != r.estimate_model)
    if switched:
        out.append(f"{switched} request(s) were estimated for a different model than the one that answered")
    if not_billed:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(not_billed.items()))
        out.append(f"estimated requests that were not billed ({kinds}) are left out of the comparison")
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5])
        out.append(f"{len(missing)} estimated request(s) have no line in the results file (e.g. {shown})")
    if unestimated:
        out.append(f"{unestimated} succeeded request(s) have no estimate and are left out of the comparison")
    return out


def reconcile_with_estimates(
    path: str | Path,
    estimates: Mapping[str, tuple[str, Usage]],
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    skip_invalid: bool = False,
    worst: int = WORST_DEFAULT,
) -> Reconciliation:
    """Read a results file and :func:`compare` it with ``estimates`` (custom_id → (model, usage))."""
    actuals, requests = read_actuals(path, at=at, table=table, skip_invalid=skip_invalid)
    return compare(actuals, requests, estimates, table=table, worst=worst)
