"""What-if comparison (:func:`compare`): the same workloads on each model in each mode (real time,
batch, batch with caching, the blended plan), priced over the horizon and ranked by total cost.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from claude_quote.errors import UsageError
from claude_quote.money import plain
from claude_quote.pricing import ModelInfo, PriceTable
from claude_quote.workload_spec import Workload

from .arithmetic import MoneyColumns, exact_sum
from .engine import MonthPricer, cache_warnings, month_rows, setup_projection
from .months import MonthLength, monthly_requests
from .results import SCENARIO_MODES, Comparison, Scenario, ScenarioMode, WorkloadSummary


def compare(
    workloads: Workload | Iterable[Workload],
    models: Sequence[str],
    *,
    modes: Sequence[ScenarioMode] | None = None,
    start: str | date | None = None,
    months: int = 12,
    month_length: MonthLength = "calendar",
    table: PriceTable | None = None,
) -> Comparison:
    """Price the same workloads on each of ``models`` in each mode, ranked by average monthly cost.

    Every workload's model is replaced by each model in turn (family names resolve to the newest
    model on the start date); volumes, growth and tokens per request stay the same. Modes:

    - ``realtime``: every request in real time;
    - ``batch``: every request through the Batch API, tokens as given;
    - ``batch+cache``: batch with each workload's ``cache_hit_rate`` (workloads without one keep
      their tokens as given);
    - ``hybrid``: ``batch_share`` of the requests in batch (with the cache hit rate, if any), the
      rest in real time (workloads without a share are all batch).

    By default: realtime and batch, plus batch+cache when a workload has a cache hit rate and hybrid
    when one has a batch share. Scenarios are ranked by their total over the horizon (the same order
    as the average month); a model the Batch API does not take has no batch scenarios (warned).
    """
    items, first, starts, length, engine = setup_projection(workloads, start, months, month_length, table)
    if not models:
        raise UsageError("compare needs at least one model")
    chosen = _modes(items, modes)
    infos = _models(engine, models, first)
    for workload in items:
        cache_warnings(engine, workload, comparing=True)
    volumes = [monthly_requests(w, starts, length) for w in items]
    found: list[_Found] = []
    for requested, info in infos:
        found += _scenarios(engine, requested, info, items, starts, volumes, chosen)
    return Comparison(
        start=first,
        horizon=len(starts),
        month_length=length,
        pricing_version=engine.table.version,
        pricing_checked=engine.table.checked,
        pricing_sha256=engine.table.sha256,
        workloads=tuple(WorkloadSummary.of(w) for w in items),
        modes=tuple(chosen),
        scenarios=_rank(found),
        warnings=tuple(engine.warnings),
    )


_Found = tuple[str, ModelInfo, ScenarioMode, list[Decimal], int]
"""A scenario before ranking: the model as asked for, the model, the mode, monthly costs, retired months."""


def _models(engine: MonthPricer, models: Sequence[str], first: date) -> list[tuple[str, ModelInfo]]:
    """Each distinct model (as asked for, and resolved on the first day); warns of mixed tokenizers."""
    infos: list[tuple[str, ModelInfo]] = []
    for name in models:
        info = engine.resolve(name, first)
        if info.id not in {i.id for _, i in infos}:
            infos.append((name, info))
    tokenizers = {info.tokenizer for _, info in infos}
    if len(tokenizers) > 1:
        engine.warn(
            "token counts are used as given for every model, but these models use different tokenizers ("
            + ", ".join(sorted(tokenizers))
            + "): the claude-4.7 tokenizer counts about 30% more tokens for the same text"
        )
    return infos


_COLUMNS: dict[ScenarioMode, int] = {"realtime": 0, "batch": 1, "batch+cache": 2, "hybrid": 3}


def _scenarios(
    engine: MonthPricer,
    requested: str,
    info: ModelInfo,
    items: Sequence[Workload],
    starts: Sequence[date],
    volumes: Sequence[Sequence[tuple[Decimal, int]]],
    chosen: Sequence[ScenarioMode],
) -> list[_Found]:
    """Every workload on ``info``, summed per month in each mode (real time only if it has no batch)."""
    modes_here = list(chosen)
    if not info.batch:
        modes_here = [m for m in chosen if m == "realtime"]
    money = MoneyColumns(4, len(starts))  # real time, batch, batch + cache, hybrid
    retired_months = 0
    for index, workload in enumerate(items):
        engine.check_model(workload, info, starts)
        retired = 0
        columns = money.columns
        for k, _, _, _, _, _, rt, batch, cached, blended, exponent, _, flagged in month_rows(
            engine, workload, info, volumes[index]
        ):
            factor = 1
            if exponent != money.exponent:
                factor = money.scale(exponent)
                columns = money.columns
            columns[0][k] += rt * factor
            columns[1][k] += batch * factor
            columns[2][k] += cached * factor
            columns[3][k] += blended * factor
            retired += flagged
        retired_months = max(retired_months, retired)
    return [
        (
            requested,
            info,
            mode,
            [money.decimal(_COLUMNS[mode], k) for k in range(len(starts))],
            retired_months,
        )
        for mode in modes_here
    ]


def _modes(items: Sequence[Workload], modes: Sequence[ScenarioMode] | None) -> list[ScenarioMode]:
    has_hit = any(w.cache_hit_rate is not None for w in items)
    has_share = any(w.batch_share is not None for w in items)
    if modes is None:
        chosen: list[ScenarioMode] = ["realtime", "batch"]
        if has_hit:
            chosen.append("batch+cache")
        if has_share:
            chosen.append("hybrid")
        return chosen
    out: list[ScenarioMode] = []
    for mode in modes:
        if mode not in SCENARIO_MODES:
            raise UsageError(f"unknown mode {mode!r}; choose from {', '.join(SCENARIO_MODES)}")
        if mode == "batch+cache" and not has_hit:
            raise UsageError("mode 'batch+cache' needs a cache hit rate (--cache-hit-rate / cache_hit_rate)")
        if mode not in out:
            out.append(mode)
    if not out:
        raise UsageError("compare needs at least one mode")
    return out


def _rank(found: Sequence[_Found]) -> tuple[Scenario, ...]:
    totals = [exact_sum(monthly) for _, _, _, monthly, _ in found]
    order = sorted(range(len(found)), key=lambda i: (totals[i], i))
    cheapest = totals[order[0]] if order else Decimal(0)
    out = []
    for rank, i in enumerate(order, start=1):
        requested, info, mode, monthly, retired = found[i]
        with decimal.localcontext(prec=28):
            average = plain(totals[i] / len(monthly))
            above = Decimal(0) if cheapest.is_zero() else plain((totals[i] - cheapest) * 100 / cheapest)
        out.append(
            Scenario(
                rank=rank,
                model=info.id,
                model_name=info.name,
                requested_model=requested,
                mode=mode,
                monthly_costs=tuple(plain(m) for m in monthly),
                total_cost=totals[i],
                average_monthly_cost=average,
                vs_cheapest_percent=above,
                retired_months=retired,
            )
        )
    return tuple(out)
