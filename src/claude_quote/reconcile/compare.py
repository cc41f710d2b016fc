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
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, overload

from pydantic import BaseModel, ConfigDict

from claude_quote.engine import Engine, Modifiers, RateCard, engine_for, percent_of
from claude_quote.errors import ClaudeQuoteError, WorkloadError
from claude_quote.model_rows import ModelRows
from claude_quote.money import EXACT, plain
from claude_quote.pricing import PriceTable
from claude_quote.usage import Usage
from claude_quote.workloads.results import BatchResult

from .results import BatchActuals, actuals_and_reader, batch_modifiers
from .store import Rows, Store

__all__ = [
    "WORST_DEFAULT",
    "EstimateRecords",
    "ModelComparison",
    "Reconciliation",
    "RequestComparison",
    "RequestRows",
    "compare",
    "compare_totals",
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


_Row = tuple[str, int, str, str, tuple[int, ...], tuple[int, ...], str, str]
"""A compared request as kept: custom_id, line, model, estimate model, both usages' buckets, the
estimate and the actual as exact decimal text (the error and its percentage follow from them)."""


def _row(
    line: BatchResult,
    actual_card: RateCard,
    estimate_card: RateCard,
    usage: Usage,
    estimate: Decimal,
    actual: Decimal,
) -> _Row:
    assert line.usage is not None
    return (
        line.custom_id,
        line.line,
        actual_card.model.id,
        estimate_card.model.id,
        usage.buckets(),
        line.usage.buckets(),
        str(estimate),
        str(actual),
    )


def _request(row: _Row) -> RequestComparison:
    estimate, actual = Decimal(row[6]), Decimal(row[7])
    with decimal.localcontext(EXACT):
        return _comparison(row, estimate, actual)


def _comparison(row: _Row, estimate: Decimal, actual: Decimal) -> RequestComparison:
    return RequestComparison(
        custom_id=row[0],
        line=row[1],
        model=row[2],
        estimate_model=row[3],
        estimate_usage=Usage.from_buckets(_buckets(row[4])),
        actual_usage=Usage.from_buckets(_buckets(row[5])),
        estimate=estimate,
        actual=actual,
        error=_sum((estimate, -actual)),
        error_percent=error_percent(estimate, actual),
    )


def _buckets(values: tuple[int, ...]) -> tuple[int, int, int, int, int, int]:
    a, b, c, d, e, f = values
    return (a, b, c, d, e, f)


class RequestRows(ModelRows[RequestComparison]):
    """The compared requests, in results-file order: in memory, or on disk (a temporary database,
    removed with the report) when they come from files of any size. Each is made when it is read.
    Equal to any sequence of the same :class:`RequestComparison` s."""

    __slots__ = ("_rows",)
    item = RequestComparison
    what = "requests"

    def __init__(self, rows: Sequence[_Row] | Rows) -> None:
        self._rows = rows

    @classmethod
    def of(cls, requests: Iterable[RequestComparison]) -> RequestRows:
        return cls(
            [
                (
                    r.custom_id,
                    r.line,
                    r.model,
                    r.estimate_model,
                    r.estimate_usage.buckets(),
                    r.actual_usage.buckets(),
                    str(r.estimate),
                    str(r.actual),
                )
                for r in requests
            ]
        )

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[RequestComparison]:
        return (_request(row) for row in self._rows)

    @overload
    def __getitem__(self, index: int) -> RequestComparison: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[RequestComparison]: ...
    def __getitem__(self, index: int | slice) -> RequestComparison | Sequence[RequestComparison]:
        if isinstance(index, slice):
            return tuple(self)[index]
        return _request(self._rows[index])


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
    requests: RequestRows
    """Every compared request, in results-file order (kept on disk for a large batch: see
    :class:`RequestRows`)."""
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
    missing = [custom_id for custom_id in estimates if custom_id not in requests]
    return _compare(
        actuals,
        requests.values(),
        estimates.get,
        lambda: (len(missing), missing[:_SHOWN_MISSING]),
        [],
        table=table,
        worst=worst,
    )


def compare_totals(
    actuals: BatchActuals,
    requests: Mapping[str, BatchResult],
    estimates: Mapping[str, tuple[str, Usage]],
    *,
    table: PriceTable | None = None,
) -> tuple[Decimal, Decimal, dict[str, tuple[Decimal, Decimal]]]:
    """The totals of :func:`compare` (estimate, actual, and both per model id), priced as it prices
    them, without the report (what ``calibrate`` sums over chunks of a batch). Raises as it raises."""
    prices = _Prices(engine_for(table), actuals)
    rows: list[_Row] = []
    _match(prices, requests.values(), estimates.get, rows)
    sums = _Sums(prices.engine)
    for row in rows:
        sums.add(row)
    by_model = {model: (_sum((est,)), _sum((act,))) for model, (_, est, act) in sums.models.items()}
    return _sum((sums.estimate,)), _sum((sums.actual,)), by_model


_SHOWN_MISSING = 10
"""Estimated custom_ids without a result line the report lists."""

_Missing = Callable[[], tuple[int, list[str]]]
"""How many estimates found no result line, and the first of them in the request file's order."""


def _compare(
    actuals: BatchActuals,
    lines: Iterable[BatchResult],
    find: Callable[[str], tuple[str, Usage] | None],
    missing: _Missing,
    rows: list[_Row] | Rows,
    *,
    table: PriceTable | None,
    worst: int,
) -> Reconciliation:
    """:func:`compare` of ``lines`` (in results order) with the estimate ``find`` gives for each id;
    the compared requests are added to ``rows`` (a list, or on disk), then summed from there."""
    prices = _Prices(engine_for(table), actuals)
    not_billed, not_billed_estimate, unestimated, unestimated_actual = _match(prices, lines, find, rows)
    sums = _Sums(prices.engine)
    for row in rows:
        sums.add(row)
    total_estimate, total_actual = _sum((sums.estimate,)), _sum((sums.actual,))
    missing_count, missing_ids = missing()
    shown = RequestRows(rows)
    return Reconciliation(
        actuals=actuals,
        compared=len(rows),
        estimate_usage=Usage.from_buckets(_buckets(tuple(sums.estimate_usage))),
        actual_usage=Usage.from_buckets(_buckets(tuple(sums.actual_usage))),
        estimate=total_estimate,
        actual=total_actual,
        error=_sum((total_estimate, -total_actual)),
        error_percent=error_percent(total_estimate, total_actual),
        by_model=sums.by_model(),
        requests=shown,
        worst=tuple(_request(r) for r in heapq.nsmallest(max(worst, 0), rows, key=_miss)),
        not_billed=dict(sorted(not_billed.items())),
        not_billed_estimate=plain(not_billed_estimate),
        missing_results=missing_count,
        missing_result_ids=tuple(missing_ids),
        unestimated=unestimated,
        unestimated_actual=plain(unestimated_actual),
        warnings=tuple(_warnings(sums.switched, not_billed, missing_count, missing_ids, unestimated)),
    )


def _match(
    prices: _Prices,
    lines: Iterable[BatchResult],
    find: Callable[[str], tuple[str, Usage] | None],
    rows: list[_Row] | Rows,
) -> tuple[Counter[str], Decimal, int, Decimal]:
    """Each result line priced and matched with its estimate: the compared requests added to
    ``rows``; estimated requests not billed (by result type, and their estimate), and billed
    requests without an estimate (how many, and what they cost)."""
    not_billed: Counter[str] = Counter()
    not_billed_estimate = unestimated_actual = Decimal(0)
    unestimated = 0
    with decimal.localcontext(EXACT):
        for line in lines:
            estimate = find(line.custom_id)
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
    return not_billed, not_billed_estimate, unestimated, unestimated_actual


def _miss(row: _Row) -> tuple[Decimal, int]:
    """The order of the worst misses: largest dollar error first, then by line."""
    with decimal.localcontext(EXACT):
        return -abs(Decimal(row[6]) - Decimal(row[7])), row[1]


class _Sums:
    """The compared requests summed, in one reading of them: totals, usages, by model."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.estimate = self.actual = Decimal(0)
        self.estimate_usage = [0] * 6
        self.actual_usage = [0] * 6
        self.models: dict[str, list[Any]] = {}
        self.switched = 0

    def add(self, row: _Row) -> None:
        estimate, actual = Decimal(row[6]), Decimal(row[7])
        with decimal.localcontext(EXACT):
            self.estimate += estimate
            self.actual += actual
            found = self.models.get(row[2])
            if found is None:
                found = self.models[row[2]] = [0, Decimal(0), Decimal(0)]
            found[0] += 1
            found[1] += estimate
            found[2] += actual
        for index in range(6):
            self.estimate_usage[index] += row[4][index]
            self.actual_usage[index] += row[5][index]
        if row[2] != row[3]:
            self.switched += 1

    def by_model(self) -> tuple[ModelComparison, ...]:
        names = {m.id: m.name for m in self.engine.table.models}
        out = []
        for model_id in sorted(self.models):
            requests, est, act = self.models[model_id]
            est, act = _sum((est,)), _sum((act,))
            out.append(
                ModelComparison(
                    model=model_id,
                    model_name=names.get(model_id, model_id),
                    requests=requests,
                    estimate=est,
                    actual=act,
                    error=_sum((est, -act)),
                    error_percent=error_percent(est, act),
                )
            )
        return tuple(out)


def _sum(values: Iterable[Decimal]) -> Decimal:
    with decimal.localcontext(EXACT):
        return plain(sum(values, Decimal(0)))


def _warnings(
    switched: int, not_billed: Mapping[str, int], missing: int, missing_ids: list[str], unestimated: int
) -> list[str]:
    out: list[str] = []
    if switched:
        out.append(f"{switched} request(s) were estimated for a different model than the one that answered")
    if not_billed:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(not_billed.items()))
        out.append(f"estimated requests that were not billed ({kinds}) are left out of the comparison")
    if missing:
        shown = ", ".join(repr(m) for m in missing_ids[:5])
        out.append(f"{missing} estimated request(s) have no line in the results file (e.g. {shown})")
    if unestimated:
        out.append(f"{unestimated} succeeded request(s) have no estimate and are left out of the comparison")
    return out


class EstimateRecords(Mapping[str, tuple[str, Usage]]):
    """Estimates by custom_id (model, usage) kept on disk, for :func:`reconcile_with_estimates` on a
    request file of any size: ``add`` each, in the request file's order."""

    def __init__(self) -> None:
        self._records = Store().records()

    def add(self, custom_id: str, model: str, usage: Usage) -> None:
        self._records.add(custom_id, (custom_id, model, usage.buckets()))

    def __getitem__(self, custom_id: str) -> tuple[str, Usage]:
        record = self._records.get(custom_id)
        if record is None:
            raise KeyError(custom_id)
        return _estimate(record)

    def __iter__(self) -> Iterator[str]:
        return (record[0] for record in self._records)

    def __len__(self) -> int:
        return len(self._records)

    def take(self, custom_id: str) -> tuple[str, Usage] | None:
        """The estimate of ``custom_id``, noted as found."""
        record = self._records.take(custom_id)
        return None if record is None else _estimate(record)

    def not_taken(self, first: int) -> tuple[int, list[str]]:
        """How many were never found, and the first ``first`` of their ids (request file order)."""
        count, records = self._records.unused(first)
        return count, [record[0] for record in records]


def _estimate(record: tuple[str, str, tuple[int, ...]]) -> tuple[str, Usage]:
    return record[1], Usage.from_buckets(_buckets(record[2]))


def reconcile_with_estimates(
    path: str | Path,
    estimates: Mapping[str, tuple[str, Usage]],
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    skip_invalid: bool = False,
    worst: int = WORST_DEFAULT,
) -> Reconciliation:
    """Read a results file and :func:`compare` it with ``estimates`` (custom_id → (model, usage)).

    The results are read as a stream (no line is kept) and the compared requests kept on disk; with
    ``estimates`` on disk too (:class:`EstimateRecords`), memory does not grow with the batch.
    """
    actuals, reader = actuals_and_reader(path, at=at, table=table, skip_invalid=skip_invalid)
    if isinstance(estimates, EstimateRecords):
        found = estimates.take

        def missing() -> tuple[int, list[str]]:
            return estimates.not_taken(_SHOWN_MISSING)

    else:
        seen: set[str] = set()

        def found(custom_id: str) -> tuple[str, Usage] | None:
            estimate = estimates.get(custom_id)
            if estimate is not None:
                seen.add(custom_id)
            return estimate

        def missing() -> tuple[int, list[str]]:
            ids = [custom_id for custom_id in estimates if custom_id not in seen]
            return len(ids), ids[:_SHOWN_MISSING]

    return _compare(actuals, reader, found, missing, Store().rows(), table=table, worst=worst)
