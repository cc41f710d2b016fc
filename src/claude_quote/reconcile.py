"""What work did cost: batch results priced exactly, compared with estimates and with organisation bills.

Three reports:

- :func:`reconcile_results` → :class:`BatchActuals`: a Message Batches results file priced from each
  succeeded request's ``usage`` (only succeeded requests are billed), with what the same usage would
  have cost in real time, counts by result type and a breakdown by model.
- :func:`compare` / :func:`reconcile_with_estimates` → :class:`Reconciliation`: those actuals set against
  an estimate per ``custom_id`` (model and :class:`~claude_quote.usage.Usage`), per request, per model
  and in total, with the error in percent and the worst misses.
- :func:`claude_quote.reconcile_org.reconcile_usage_report`: Usage & Cost Admin API exports priced
  with our table, compared with what Anthropic billed.

Tiers are chosen per request. To stay fast on large files, requests are grouped by (model, data
residency, tier they fall in) and each group is priced once with ``cost(total, model, requests=n)``:
exact, because the average prompt of a group stays inside its tier.

The error of an estimate is ``estimate − actual``; ``error_percent`` is that as a percentage of the
actual (positive: the estimate was too high).

>>> import json, tempfile, pathlib
>>> from datetime import date
>>> lines = [
...     {"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6",
...      "usage": {"input_tokens": 1_000_000, "output_tokens": 100_000}}}},
...     {"custom_id": "b", "result": {"type": "canceled"}},
... ]
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.jsonl"
>>> _ = path.write_text("\\n".join(json.dumps(x) for x in lines))
>>> actuals = reconcile_results(path, at=date(2026, 11, 25))
>>> actuals.counts.succeeded, actuals.counts.canceled, actuals.billed_requests
(1, 1, 1)
>>> actuals.batch.total, actuals.realtime.total, actuals.savings.percent  # 1M × $3 + 0.1M × $15 = $4.50
(Decimal('2.25'), Decimal('4.5'), Decimal('50'))
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, computed_field

from .cost import Cost, Geo, LineKind, Mode, Savings, cost, today
from .money import EXACT, PER_MTOK, PER_THOUSAND, plain
from .pricing import ModelInfo, PriceTable, load_pricing, resolve_model
from .usage import Usage
from .workloads.results import BatchResult, InvalidLine, ResultsReader

__all__ = [
    "WORST_DEFAULT",
    "BatchActuals",
    "ModelActual",
    "ModelComparison",
    "Reconciliation",
    "RequestComparison",
    "ResultCounts",
    "compare",
    "error_percent",
    "read_actuals",
    "reconcile_results",
    "reconcile_with_estimates",
]

WORST_DEFAULT = 10
"""How many worst misses a comparison lists by default."""

_FIELDS = (
    "input_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "output_tokens",
    "web_search_requests",
)
_KIND_FIELD: dict[LineKind, str] = {
    "input": "input_tokens",
    "cache_write_5m": "cache_write_5m_tokens",
    "cache_write_1h": "cache_write_1h_tokens",
    "cache_read": "cache_read_tokens",
    "output": "output_tokens",
    "web_search": "web_search_requests",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    with decimal.localcontext(prec=28):
        return plain(difference * 100 / actual)


def _zero(mode: Mode) -> Cost:
    return Cost(mode=mode, requests=0, lines=())


def _sum_costs(costs: Iterable[Cost], mode: Mode) -> Cost:
    total = _zero(mode)
    for item in costs:
        total = total + item
    return total


# --- pricing many requests exactly -----------------------------------------------------------------


@dataclass
class _Group:
    info: ModelInfo
    geo: Geo
    requests: int = 0
    totals: list[int] = field(default_factory=lambda: [0] * len(_FIELDS))

    def usage(self) -> Usage:
        return Usage(**dict(zip(_FIELDS, self.totals, strict=True)))


_GroupKey = tuple[str, Geo, int]


class _TierGroups:
    """Requests grouped by (model, geo, tier index); each group priced once, exactly."""

    def __init__(self, at: date, table: PriceTable) -> None:
        self.at = at
        self.table = table
        self.groups: dict[_GroupKey, _Group] = {}
        self._thresholds: dict[str, tuple[int, ...]] = {}
        self._costs: dict[tuple[_GroupKey, Mode], Cost] = {}
        self._rates: dict[tuple[_GroupKey, Mode], tuple[tuple[str, Decimal | None], ...]] = {}

    def key(self, info: ModelInfo, geo: Geo, usage: Usage) -> _GroupKey:
        thresholds = self._thresholds.get(info.id)
        if thresholds is None:
            entry = info.price_at(self.at)
            thresholds = tuple(t.above_prompt_tokens for t in entry.tiers) if entry else ()
            self._thresholds[info.id] = thresholds
        prompt = usage.prompt_tokens
        return (info.id, geo, sum(1 for t in thresholds if prompt > t))

    def add(self, info: ModelInfo, geo: Geo, usage: Usage) -> _GroupKey:
        key = self.key(info, geo, usage)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(info, geo)
        group.requests += 1
        totals = group.totals
        for i, name in enumerate(_FIELDS):
            totals[i] += getattr(usage, name)
        return key

    def cost(self, key: _GroupKey, mode: Mode) -> Cost:
        cached = self._costs.get((key, mode))
        if cached is None:
            group = self.groups[key]
            cached = cost(
                group.usage(),
                group.info,
                mode=mode,
                requests=group.requests,
                at=self.at,
                geo=group.geo,
                table=self.table,
            )
            self._costs[(key, mode)] = cached
        return cached

    def amount(self, key: _GroupKey, usage: Usage, mode: Mode) -> Decimal:
        """One request's exact cost, at the rates its group was priced at."""
        rates = self._rates.get((key, mode))
        if rates is None:
            # Within a group every bucket has one rate (one model, geo, tier and mode); a bucket a
            # request uses is non-zero in the group's total, so the group priced it.
            lines = {line.kind: line for line in self.cost(key, mode).lines}
            rates = self._rates[(key, mode)] = tuple(
                (name, lines[kind].rate if kind in lines else None) for kind, name in _KIND_FIELD.items()
            )
        with decimal.localcontext(EXACT):
            tokens = Decimal(0)
            searches = Decimal(0)
            for name, rate in rates:
                quantity: int = getattr(usage, name)
                if quantity:
                    assert rate is not None
                    if name == "web_search_requests":
                        searches = rate * quantity / PER_THOUSAND
                    else:
                        tokens += rate * quantity
            return tokens / PER_MTOK + searches


def _sum_usage(usages: Iterable[Usage]) -> Usage:
    totals = [0] * len(_FIELDS)
    for usage in usages:
        for i, name in enumerate(_FIELDS):
            totals[i] += getattr(usage, name)
    return Usage(**dict(zip(_FIELDS, totals, strict=True)))


# --- batch results ---------------------------------------------------------------------------------


class ResultCounts(_Frozen):
    """How many requests ended in each result type."""

    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        """All result lines read (skipped lines excluded)."""
        return self.succeeded + self.errored + self.canceled + self.expired


class ModelActual(_Frozen):
    """The succeeded requests of one model."""

    model: str
    """Canonical model id."""
    model_name: str
    requests: int
    usage: Usage
    batch: Cost
    """What they cost: batch prices."""
    realtime: Cost
    """What the same usage would have cost in real time."""


class BatchActuals(_Frozen):
    """What a batch cost, from its results file."""

    path: str
    """The results file."""
    at: date
    """Whose prices were used (results carry no dates)."""
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    counts: ResultCounts
    errors_by_type: dict[str, int]
    """Errored requests by API error type (``unknown`` when the line did not say)."""
    usage: Usage
    """Total billed usage (succeeded requests)."""
    batch: Cost
    """The actual cost, at batch prices."""
    realtime: Cost
    """The real-time equivalent of the same usage."""
    savings: Savings
    """What batch saved against real time."""
    by_model: tuple[ModelActual, ...]
    cache_split_missing: int
    """Succeeded lines whose cache writes had no 5m/1h split (taken as 5-minute writes)."""
    skipped: int
    """Invalid lines skipped (``skip_invalid``)."""
    skipped_lines: tuple[InvalidLine, ...]
    """The first skipped lines, with reasons."""
    warnings: tuple[str, ...]

    @property
    def billed_requests(self) -> int:
        """Only succeeded requests are billed."""
        return self.counts.succeeded


def reconcile_results(
    path: str | Path,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    skip_invalid: bool = False,
) -> BatchActuals:
    """Price a Message Batches results file exactly: actual batch cost and the real-time equivalent.

    Args:
        path: the results JSONL.
        at: whose prices to use (default today, UTC). Results carry no dates: pass the day the batch
            ran when prices changed since.
        table: the price table (default: the bundled one).
        skip_invalid: skip invalid lines (counted, the first few listed) instead of failing.

    Raises:
        WorkloadError: a line is invalid, or a model is unknown or has no price on ``at``.
    """
    actuals, _ = read_actuals(path, at=at, table=table, skip_invalid=skip_invalid, keep_requests=False)
    return actuals


def read_actuals(
    path: str | Path,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    skip_invalid: bool = False,
    keep_requests: bool = True,
) -> tuple[BatchActuals, dict[str, BatchResult]]:
    """:func:`reconcile_results`, plus every line by ``custom_id`` (when ``keep_requests``).

    The lines (:class:`~claude_quote.workloads.results.BatchResult`) are what :func:`compare` takes.
    """
    table = table or load_pricing()
    at = at or today()
    reader = ResultsReader(path, at=at, table=table, skip_invalid=skip_invalid)
    groups = _TierGroups(at, table)
    counts = dict.fromkeys(("succeeded", "errored", "canceled", "expired"), 0)
    errors: dict[str, int] = {}
    requests: dict[str, BatchResult] = {}
    missing_split = missing_split_tokens = 0
    tiers: dict[str, int] = {}
    other_tiers: dict[str, int] = {}
    for result in reader:
        counts[result.type] += 1
        if result.type == "errored":
            errors[result.error_type or "unknown"] = errors.get(result.error_type or "unknown", 0) + 1
        if result.usage is not None:
            assert result.model is not None
            info = reader.models[result.model]
            key = groups.add(info, result.geo, result.usage)
            if key[2]:
                tiers[result.model] = tiers.get(result.model, 0) + 1
            if result.service_tier not in (None, "batch"):
                other_tiers[result.service_tier] = other_tiers.get(result.service_tier, 0) + 1
            if result.cache_split_missing:
                missing_split += 1
                missing_split_tokens += result.usage.cache_write_5m_tokens
        if keep_requests:
            requests[result.custom_id] = result
    by_model = _by_model(groups)
    batch = _sum_costs((m.batch for m in by_model), "batch")
    realtime = _sum_costs((m.realtime for m in by_model), "realtime")
    usage = _sum_usage(m.usage for m in by_model)
    warnings = _result_warnings(
        reader, table, at, usage, missing_split, missing_split_tokens, tiers, other_tiers
    )
    actuals = BatchActuals(
        path=str(path),
        at=at,
        pricing_version=table.version,
        pricing_checked=table.checked,
        pricing_sha256=table.sha256,
        counts=ResultCounts(**counts),
        errors_by_type=dict(sorted(errors.items())),
        usage=usage,
        batch=batch,
        realtime=realtime,
        savings=Savings.between(realtime, batch),
        by_model=by_model,
        cache_split_missing=missing_split,
        skipped=reader.skipped,
        skipped_lines=tuple(reader.skipped_lines),
        warnings=tuple(warnings),
    )
    return actuals, requests


def _by_model(groups: _TierGroups) -> tuple[ModelActual, ...]:
    per_model: dict[str, list[_GroupKey]] = {}
    for key in groups.groups:
        per_model.setdefault(key[0], []).append(key)
    out = []
    for model_id in sorted(per_model):
        keys = per_model[model_id]
        info = groups.groups[keys[0]].info
        out.append(
            ModelActual(
                model=model_id,
                model_name=info.name,
                requests=sum(groups.groups[k].requests for k in keys),
                usage=_sum_usage(groups.groups[k].usage() for k in keys),
                batch=_sum_costs((groups.cost(k, "batch") for k in keys), "batch"),
                realtime=_sum_costs((groups.cost(k, "realtime") for k in keys), "realtime"),
            )
        )
    return tuple(out)


def _result_warnings(
    reader: ResultsReader,
    table: PriceTable,
    at: date,
    usage: Usage,
    missing_split: int,
    missing_split_tokens: int,
    tiers: Mapping[str, int],
    other_tiers: Mapping[str, int],
) -> list[str]:
    out: list[str] = []
    if other_tiers:
        kinds = ", ".join(f"{tier} {n}" for tier, n in sorted(other_tiers.items()))
        out.append(
            f"some succeeded results report usage.service_tier other than batch ({kinds}); is this a "
            "Message Batches results file? They were priced at batch prices"
        )
    if missing_split:
        out.append(
            f"{missing_split} succeeded result(s) report cache writes without the 5-minute/1-hour split "
            f"(usage.cache_creation is missing, as in older API responses); their "
            f"{missing_split_tokens:,} cache-write tokens were priced as 5-minute writes"
        )
    for model_id, count in sorted(tiers.items()):
        info = reader.models[model_id]
        entry = info.price_at(at)
        assert entry is not None
        out.append(
            f"{count} {model_id} request(s) had a prompt over {entry.tiers[0].above_prompt_tokens:,} "
            "tokens, so every token of each of them, output included, was billed at the higher tier rates"
        )
    for info in sorted(reader.models.values(), key=lambda m: m.id):
        if info.is_retired(at):
            assert info.retired is not None
            out.append(
                f"{info.id} was retired on {info.retired.isoformat()}; priced at its last list price. "
                "Results carry no dates: pass --at with the day the batch ran"
            )
        entry = info.price_at(at)
        if entry is not None and entry.uncertain:
            out.append(
                f"the {info.id} rates in effect from {entry.effective_from.isoformat()} are marked "
                f"UNCERTAIN in the price data: {entry.uncertain}"
            )
    if usage.web_search_requests and not table.web_search.batch_discount:
        out.append(
            "web search fees were not discounted in batch (Anthropic does not document a discount; "
            "UNCERTAIN), so batch saved less than 50%"
        )
    if reader.skipped:
        shown = "; ".join(f"line {s.line}: {s.reason}" for s in reader.skipped_lines[:5])
        more = " (first 5 shown)" if reader.skipped > 5 else ""
        out.append(f"skipped {reader.skipped} invalid line(s){more}: {shown}")
    return out


# --- estimate vs actual ----------------------------------------------------------------------------


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
    estimate at the data residency the result reports). Only requests with an estimate and a
    succeeded result are compared; the others are counted.
    """
    table = table or load_pricing()
    at = actuals.at
    actual_groups = _TierGroups(at, table)
    estimate_groups = _TierGroups(at, table)
    models: dict[str, ModelInfo] = {}

    def model(name: str) -> ModelInfo:
        if name not in models:
            models[name] = resolve_model(table, name, at)
        return models[name]

    pairs: list[tuple[BatchResult, ModelInfo, Usage, _GroupKey, _GroupKey]] = []
    not_billed: dict[str, int] = {}
    unestimated: list[BatchResult] = []
    unestimated_keys: list[_GroupKey] = []
    not_billed_items: list[tuple[_GroupKey, Usage]] = []
    for custom_id, request in requests.items():
        estimate = estimates.get(custom_id)
        if request.usage is None:
            if estimate is not None:
                not_billed[request.type] = not_billed.get(request.type, 0) + 1
                info = model(estimate[0])
                not_billed_items.append((estimate_groups.add(info, "global", estimate[1]), estimate[1]))
            continue
        assert request.model is not None
        actual_key = actual_groups.add(model(request.model), request.geo, request.usage)
        if estimate is None:
            unestimated.append(request)
            unestimated_keys.append(actual_key)
            continue
        info = model(estimate[0])
        estimate_key = estimate_groups.add(info, request.geo, estimate[1])
        pairs.append((request, info, estimate[1], actual_key, estimate_key))

    rows: list[RequestComparison] = []
    for request, info, estimate_usage, actual_key, estimate_key in pairs:
        assert request.usage is not None
        est = estimate_groups.amount(estimate_key, estimate_usage, "batch")
        act = actual_groups.amount(actual_key, request.usage, "batch")
        with decimal.localcontext(EXACT):
            err = est - act
        rows.append(
            RequestComparison(
                custom_id=request.custom_id,
                line=request.line,
                model=request.model,
                estimate_model=info.id,
                estimate_usage=estimate_usage,
                actual_usage=request.usage,
                estimate=est,
                actual=act,
                error=err,
                error_percent=error_percent(est, act),
            )
        )
    rows.sort(key=lambda r: r.line)
    with decimal.localcontext(EXACT):
        total_estimate = sum((r.estimate for r in rows), Decimal(0))
        total_actual = sum((r.actual for r in rows), Decimal(0))
        not_billed_estimate = sum(
            (estimate_groups.amount(k, u, "batch") for k, u in not_billed_items), Decimal(0)
        )
        unestimated_actual = sum(
            (
                actual_groups.amount(k, r.usage, "batch")
                for k, r in zip(unestimated_keys, unestimated, strict=True)
                if r.usage is not None
            ),
            Decimal(0),
        )
        total_error = total_estimate - total_actual
    missing = [custom_id for custom_id in estimates if custom_id not in requests]
    worst_rows = sorted(rows, key=lambda r: (-abs(r.error), r.line))[: max(worst, 0)]
    return Reconciliation(
        actuals=actuals,
        compared=len(rows),
        estimate_usage=_sum_usage(r.estimate_usage for r in rows),
        actual_usage=_sum_usage(r.actual_usage for r in rows),
        estimate=total_estimate,
        actual=total_actual,
        error=total_error,
        error_percent=error_percent(total_estimate, total_actual),
        by_model=_compare_by_model(rows, table),
        requests=tuple(rows),
        worst=tuple(worst_rows),
        not_billed=dict(sorted(not_billed.items())),
        not_billed_estimate=not_billed_estimate,
        missing_results=len(missing),
        missing_result_ids=tuple(missing[:10]),
        unestimated=len(unestimated),
        unestimated_actual=unestimated_actual,
        warnings=tuple(_compare_warnings(rows, not_billed, missing, unestimated)),
    )


def _compare_by_model(rows: list[RequestComparison], table: PriceTable) -> tuple[ModelComparison, ...]:
    per_model: dict[str, list[RequestComparison]] = {}
    for row in rows:
        per_model.setdefault(row.model, []).append(row)
    names = {m.id: m.name for m in table.models}
    out = []
    for model_id in sorted(per_model):
        group = per_model[model_id]
        with decimal.localcontext(EXACT):
            est = sum((r.estimate for r in group), Decimal(0))
            act = sum((r.actual for r in group), Decimal(0))
            err = est - act
        out.append(
            ModelComparison(
                model=model_id,
                model_name=names.get(model_id, model_id),
                requests=len(group),
                estimate=est,
                actual=act,
                error=err,
                error_percent=error_percent(est, act),
            )
        )
    return tuple(out)


def _compare_warnings(
    rows: list[RequestComparison],
    not_billed: Mapping[str, int],
    missing: list[str],
    unestimated: list[BatchResult],
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
        out.append(
            f"{len(unestimated)} succeeded request(s) have no estimate and are left out of the comparison"
        )
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
    table = table or load_pricing()
    actuals, requests = read_actuals(path, at=at, table=table, skip_invalid=skip_invalid)
    return compare(actuals, requests, estimates, table=table, worst=worst)
