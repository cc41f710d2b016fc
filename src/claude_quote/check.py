"""``claude-quote check``: price every workload of a config for a month and check it against budgets.

A month is 30.4375 days (the average Gregorian month), so ``requests = 1000, per = "day"`` is 30,437.5
requests a month and ``per = "week"`` is 30.4375 / 7 weeks. A workload's monthly cost is its cost per
request times its monthly requests:

- with ``tokens``: the exact cost of one request (tiers chosen for that request) from the cost engine;
- with a ``source``: the estimate of the files scaled by monthly requests / the files' requests, which
  keeps every request's own tier. Without ``requests``, the files are one month's volume.

Scaled amounts are ratios and carry 40 significant digits; money is rounded only when displayed.
"""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from claude_quote.budget import CheckReport, WorkloadCost, evaluate, freshness
from claude_quote.config import Config, WorkloadConfig, shown_path
from claude_quote.engine import Cost, Engine, Modifiers, engine_for, today
from claude_quote.errors import ClaudeQuoteError, ConfigError, UsageError
from claude_quote.money import plain
from claude_quote.pricing import PriceTable, load_pricing
from claude_quote.usage import Usage
from claude_quote.validation import in_workload
from claude_quote.workload_spec import AVERAGE_MONTH_DAYS

__all__ = ["check", "read_baseline", "requests_per_month", "run_check", "workload_cost"]

_DAYS_PER = {"day": Decimal(1), "week": Decimal(7)}
_RATIO = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_EVEN)


def requests_per_month(requests: Decimal, per: str) -> Decimal:
    """Requests in an average month (30.4375 days).

    >>> requests_per_month(Decimal(1000), "day"), requests_per_month(Decimal(7), "week"), requests_per_month(Decimal(5), "month")
    (Decimal('30437.5'), Decimal('30.4375'), Decimal('5'))
    """
    if per == "month":
        return requests
    with decimal.localcontext(_RATIO):
        return plain(requests * AVERAGE_MONTH_DAYS / _DAYS_PER[per])


def _scale(amount: Decimal, numerator: Decimal, denominator: Decimal | int) -> Decimal:
    with decimal.localcontext(_RATIO):
        return plain(amount * numerator / denominator)


def workload_cost(
    workload: WorkloadConfig, *, base: Path, at: date, table: PriceTable, progress: bool = False
) -> WorkloadCost:
    """What ``workload`` costs per month in both modes, expected and worst case."""
    if workload.tokens is not None:
        return _from_tokens(workload, at=at, table=table)
    return _from_source(workload, base=base, at=at, table=table, progress=progress)


def _pair(usage: Usage, w: WorkloadConfig, at: date, engine: Engine) -> tuple[Cost, Cost | None]:
    """One request of ``w`` in real time and, when the Batch API can run it, in batch."""
    assert w.model is not None
    mods = Modifiers("realtime", w.geo or "global", "fast" if w.fast else "standard")
    try:
        card = engine.card(w.model, at, mods)
        realtime = engine.cost(usage, card, requests=1)
        batch = None
        if engine.batchable(card.model, at, mods):
            batch = engine.cost(usage, engine.card(card.model, at, mods.with_mode("batch")), requests=1)
    except UsageError as exc:
        raise ConfigError(f"workload {w.name!r}: {exc}") from None
    return realtime, batch


def _from_tokens(w: WorkloadConfig, *, at: date, table: PriceTable) -> WorkloadCost:
    assert w.tokens is not None
    assert w.model is not None
    assert w.requests is not None
    engine = engine_for(table)
    usage = w.tokens.to_usage()
    worst_usage = usage if w.max_tokens is None else usage.model_copy(update={"output_tokens": w.max_tokens})
    realtime, batch = _pair(usage, w, at, engine)
    worst_realtime, worst_batch = _pair(worst_usage, w, at, engine)
    _require_batch(w, batch, w.model)
    month = requests_per_month(w.requests, w.per)
    warnings: tuple[str, ...] = ()
    if w.max_tokens is None:
        warnings = (f"workload {w.name!r}: no max_tokens, so the worst case equals the expected cost",)
    mine = batch if w.mode == "batch" else realtime
    worst_mine = worst_batch if w.mode == "batch" else worst_realtime
    assert mine is not None
    assert worst_mine is not None
    return WorkloadCost(
        name=w.name,
        mode=w.mode,
        models=(_canonical(w.model, at, table),),
        requests_per_month=month,
        realtime=_scale(realtime.total, month, 1),
        batch=None if batch is None else _scale(batch.total, month, 1),
        worst_realtime=_scale(worst_realtime.total, month, 1),
        worst_batch=None if worst_batch is None else _scale(worst_batch.total, month, 1),
        per_request=mine.total,
        worst_per_request=worst_mine.total,
        limits=w.limits(),
        token_method="given",
        warnings=warnings,
    )


def _canonical(model: str, at: date, table: PriceTable) -> str:
    return engine_for(table).model(model, at).id


def _from_source(
    w: WorkloadConfig, *, base: Path, at: date, table: PriceTable, progress: bool
) -> WorkloadCost:
    from claude_quote.estimate import estimate

    paths = [str(base / s) for s in w.sources]
    try:
        options = w.estimate_options(base)
    except UsageError as exc:
        raise ConfigError(f"workload {w.name!r}: {exc}") from None
    est = estimate(paths, options, at=at, table=table, progress=progress)
    if est.requests == 0:
        raise ConfigError(f"workload {w.name!r}: its source {w.source!r} holds no requests")
    models = tuple(m.model for m in est.by_model)
    _require_batch(w, est.batch, ", ".join(models))
    month = Decimal(est.requests) if w.requests is None else requests_per_month(w.requests, w.per)
    n = est.requests
    worst = est.worst_case
    mine, worst_mine = (est.batch, worst.batch) if w.mode == "batch" else (est.realtime, worst.realtime)
    assert mine is not None
    assert worst_mine is not None
    return WorkloadCost(
        name=w.name,
        mode=w.mode,
        models=models,
        requests_per_month=month,
        realtime=_scale(est.realtime.total, month, n),
        batch=None if est.batch is None else _scale(est.batch.total, month, n),
        worst_realtime=_scale(worst.realtime.total, month, n),
        worst_batch=None if worst.batch is None else _scale(worst.batch.total, month, n),
        per_request=_scale(mine.total, Decimal(1), n),
        worst_per_request=_scale(worst_mine.total, Decimal(1), n),
        limits=w.limits(),
        token_method=est.token_method.description,
        warnings=tuple(f"workload {w.name!r}: {message}" for message in est.warnings),
    )


def _require_batch(w: WorkloadConfig, batch: Cost | None, models: str) -> None:
    if w.mode == "batch" and batch is None:
        raise ConfigError(
            f"workload {w.name!r} has mode 'batch' but {models} cannot be priced in the Message Batches API; "
            "set mode = 'realtime' or choose another model"
        )


def read_baseline(path: Path) -> dict[str, Any]:
    """A ``check`` JSON report written earlier (e.g. on the main branch)."""
    from claude_quote.workloads.files import read_json_document

    data = read_json_document(path, what="baseline report")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object (a claude-quote check report)")
    return data


def run_check(
    config: Config,
    config_path: Path,
    *,
    at: date | None = None,
    baseline: Path | None = None,
    pricing: Path | None = None,
    progress: bool = False,
) -> CheckReport:
    """Price every workload of ``config`` and check the budgets; see :mod:`claude_quote.budget`."""
    base = config_path.parent
    table_file = (
        pricing if pricing is not None else (base / config.pricing.file if config.pricing.file else None)
    )
    table = load_pricing(table_file)
    at = at or today()
    costs = []
    for index, w in enumerate(config.workloads):
        try:
            costs.append(workload_cost(w, base=base, at=at, table=table, progress=progress))
        except ClaudeQuoteError as exc:
            named = [(x.name, x.model) for x in config.workloads]
            prefix = "tool.claude-quote." if config_path.name == "pyproject.toml" else ""
            raise in_workload(
                exc, origin=str(config_path), workloads=named, index=index, prefix=prefix
            ) from None
    policy = config.pricing
    return evaluate(
        costs,
        config.budgets.to_budgets(),
        at=at,
        pricing_version=table.version,
        pricing_sha256=table.sha256,
        freshness=freshness(table.checked, at, policy.max_age_days, policy.on_stale),
        config=shown_path(config_path),
        baseline=None if baseline is None else read_baseline(baseline),
        baseline_source=str(baseline) if baseline is not None else "baseline",
    )


def check(
    config: str | Path | None = None,
    *,
    at: date | None = None,
    baseline: str | Path | None = None,
    pricing: str | Path | None = None,
    progress: bool = False,
) -> CheckReport:
    """Price every workload of a ``check`` config for a month and check it against its budgets.

    ``config`` is a ``claude-quote.toml`` or a ``pyproject.toml`` with ``[tool.claude-quote]`` (default:
    found in the working directory). The report's ``exit_code`` is what ``claude-quote check`` exits
    with: 0 within budget, 1 over budget, 3 the price table is too old under a ``fail`` policy.

    Raises:
        ConfigError: the config, a workload or the baseline is invalid (the message names the key).
    """
    from claude_quote.config import load_config

    cfg, path = load_config(config)
    return run_check(
        cfg,
        path,
        at=at,
        baseline=None if baseline is None else Path(baseline),
        pricing=None if pricing is None else Path(pricing),
        progress=progress,
    )
