"""Budget checks: monthly costs per workload against limits and a baseline, every violation at once.

This module is pure: it takes what each workload costs per month (computed elsewhere from the price
table) and the limits from the config, and returns a :class:`CheckReport`. Limits are inclusive: a cost
equal to its limit passes; one cent over fails.

Exit codes (:attr:`CheckReport.exit_code`): 0 within budget, 1 over budget, 3 when the price table is
older than a ``fail`` staleness policy allows (which wins over 1: the figures can't be trusted).
Config and input errors never reach here; they exit 2 where they are found.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from claude_quote.engine import Savings
from claude_quote.errors import ConfigError
from claude_quote.money import EXACT, MAX_PLACES, plain, to_decimal

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "BaselineDiff",
    "Budgets",
    "CheckReport",
    "Delta",
    "Freshness",
    "Limits",
    "Statistic",
    "Violation",
    "WorkloadCost",
    "WorkloadResult",
    "evaluate",
    "freshness",
]

REPORT_SCHEMA_VERSION = 1
"""Version of the ``check`` JSON report; ``--baseline`` accepts this version."""

Statistic = Literal["expected", "worst_case"]
Mode = Literal["realtime", "batch"]
_RATIO = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_EVEN)
"""Percentages are ratios and rarely terminate: they carry 40 significant digits."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Limits(_Frozen):
    """Limits for one workload (all optional, USD or percent)."""

    monthly: Decimal | None = None
    """Maximum monthly cost of the workload."""
    per_request: Decimal | None = None
    """Maximum cost of one request (the average request of a file source)."""
    min_batch_savings_percent: Decimal | None = None
    """Batch must save at least this percentage against real time (flags fees batch doesn't discount)."""


class Budgets(_Frozen):
    """Limits for the whole config."""

    monthly: Decimal | None = None
    """Maximum monthly cost of all workloads together."""
    max_increase: Decimal | None = None
    """Maximum increase in total monthly cost against the baseline, in USD."""
    max_increase_percent: Decimal | None = None
    """Maximum increase in total monthly cost against the baseline, in percent."""
    statistic: Statistic = "expected"
    """Which figure limits apply to: ``expected`` or ``worst_case`` (every request uses max_tokens)."""


class WorkloadCost(_Frozen):
    """What one workload costs per month, in both modes and both statistics (the input to a check)."""

    name: str
    mode: Mode
    """The mode the workload runs in: its billed cost is this mode's."""
    models: tuple[str, ...]
    requests_per_month: Decimal
    realtime: Decimal
    """Expected monthly cost in real time."""
    batch: Decimal | None
    """Expected monthly cost in batch (None when the workload can't be batched)."""
    worst_realtime: Decimal
    worst_batch: Decimal | None
    per_request: Decimal
    """Expected cost of one request in the workload's mode."""
    worst_per_request: Decimal
    limits: Limits = Limits()
    token_method: str = "given"
    warnings: tuple[str, ...] = ()

    def billed(self, statistic: Statistic) -> Decimal:
        """The monthly cost in the workload's own mode for ``statistic``."""
        if statistic == "worst_case":
            return (
                self.worst_batch
                if self.mode == "batch" and self.worst_batch is not None
                else self.worst_realtime
            )
        return self.batch if self.mode == "batch" and self.batch is not None else self.realtime


Rule = Literal[
    "monthly",
    "workload_monthly",
    "per_request",
    "max_increase",
    "max_increase_percent",
    "min_batch_savings_percent",
]


class Violation(_Frozen):
    """One limit exceeded: which rule, for which workload (None: the whole config), limit and actual.

    Amounts are USD per month (``monthly``, ``workload_monthly``, ``max_increase``), USD per request
    (``per_request``) or percent (``max_increase_percent``, ``min_batch_savings_percent``, where the
    actual is the saving achieved and falls *below* the limit).
    """

    rule: Rule
    workload: str | None
    limit: Decimal
    actual: Decimal


class Delta(_Frozen):
    """Before and after, with the change in USD and percent (percent None when before is 0)."""

    before: Decimal
    after: Decimal
    change: Decimal
    percent: Decimal | None

    @classmethod
    def of(cls, before: Decimal, after: Decimal) -> Delta:
        with decimal.localcontext(EXACT):
            change = plain(after - before)
        percent = None
        if not before.is_zero():
            with decimal.localcontext(_RATIO):
                percent = plain(change * 100 / before)
        return cls(before=before, after=after, change=change, percent=percent)


class BaselineDiff(_Frozen):
    """The change against a baseline report (e.g. the main branch's)."""

    source: str
    pricing_version: str
    total: Delta
    workloads: dict[str, Delta]
    added: tuple[str, ...]
    removed: tuple[str, ...]


class WorkloadResult(_Frozen):
    """A workload as reported: its costs, the billed figure and whether it passed."""

    cost: WorkloadCost
    billed: Decimal
    """Monthly cost in the workload's mode for the checked statistic."""
    status: Literal["pass", "fail"]


class Freshness(_Frozen):
    """How old the price table is, and what the policy says about it."""

    checked: date
    age_days: int
    max_age_days: int | None
    policy: Literal["warn", "fail"]
    stale: bool


def freshness(
    checked: date, today: date, max_age_days: int | None, policy: Literal["warn", "fail"] = "warn"
) -> Freshness:
    """Whether a table last checked on ``checked`` is stale on ``today`` (older than the maximum age)."""
    age = (today - checked).days
    return Freshness(
        checked=checked,
        age_days=age,
        max_age_days=max_age_days,
        policy=policy,
        stale=max_age_days is not None and age > max_age_days,
    )


class CheckReport(_Frozen):
    """The result of ``claude-quote check``; its JSON is what ``--baseline`` reads back."""

    at: date
    pricing_version: str
    pricing_sha256: str
    statistic: Statistic
    config: str
    workloads: tuple[WorkloadResult, ...]
    total: Decimal
    """Monthly cost of all workloads for the checked statistic."""
    total_expected: Decimal
    total_worst_case: Decimal
    budgets: Budgets
    violations: tuple[Violation, ...]
    baseline: BaselineDiff | None
    freshness: Freshness
    warnings: tuple[str, ...] = Field(default=())

    @property
    def exit_code(self) -> int:
        """0 within budget, 1 over budget, 3 stale prices under a ``fail`` policy."""
        if self.freshness.stale and self.freshness.policy == "fail":
            return 3
        return 1 if self.violations else 0

    @property
    def status(self) -> Literal["pass", "fail", "stale"]:
        """``pass``, ``fail`` (over budget) or ``stale`` (prices too old under a fail policy)."""
        return {0: "pass", 1: "fail", 3: "stale"}[self.exit_code]  # type: ignore[return-value]


def _sum(values: Sequence[Decimal]) -> Decimal:
    with decimal.localcontext(EXACT):
        return plain(sum(values, Decimal(0)))


def evaluate(
    workloads: Sequence[WorkloadCost],
    budgets: Budgets,
    *,
    at: date,
    pricing_version: str,
    pricing_sha256: str,
    freshness: Freshness,
    config: str,
    baseline: Mapping[str, Any] | None = None,
    baseline_source: str = "baseline",
    warnings: Sequence[str] = (),
) -> CheckReport:
    """Check every limit and report every violation (not just the first)."""
    stat = budgets.statistic
    violations: list[Violation] = []
    results: list[WorkloadResult] = []
    for w in workloads:
        found = _workload_violations(w, stat)
        violations += found
        results.append(WorkloadResult(cost=w, billed=w.billed(stat), status="fail" if found else "pass"))
    total = _sum([r.billed for r in results])
    if budgets.monthly is not None and total > budgets.monthly:
        violations.append(
            Violation(
                rule="monthly",
                workload=None,
                limit=budgets.monthly,
                actual=total,
            )
        )
    diff = None if baseline is None else compare_baseline(baseline, results, total, stat, baseline_source)
    if diff is not None:
        violations += _increase_violations(diff, budgets)
    notes = _notes(warnings, budgets, checked_baseline=diff is not None, freshness=freshness)
    return CheckReport(
        at=at,
        pricing_version=pricing_version,
        pricing_sha256=pricing_sha256,
        statistic=stat,
        config=config,
        workloads=tuple(results),
        total=total,
        total_expected=_sum([w.billed("expected") for w in workloads]),
        total_worst_case=_sum([w.billed("worst_case") for w in workloads]),
        budgets=budgets,
        violations=tuple(violations),
        baseline=diff,
        freshness=freshness,
        warnings=tuple(notes),
    )


def _notes(
    warnings: Sequence[str], budgets: Budgets, *, checked_baseline: bool, freshness: Freshness
) -> list[str]:
    """The report's warnings: those given, limits not checked without a baseline, stale prices."""
    notes = list(warnings)
    if not checked_baseline and (
        budgets.max_increase is not None or budgets.max_increase_percent is not None
    ):
        notes.append("max_increase limits were not checked: no --baseline report was given")
    if freshness.stale:
        notes.append(
            f"the price table was last checked {freshness.age_days} days ago ({freshness.checked.isoformat()}), "
            f"more than the {freshness.max_age_days} days allowed; update claude-quote or its prices"
        )
    return notes


def _workload_violations(w: WorkloadCost, stat: Statistic) -> list[Violation]:
    found: list[Violation] = []
    billed = w.billed(stat)
    limits = w.limits
    if limits.monthly is not None and billed > limits.monthly:
        found.append(
            Violation(
                rule="workload_monthly",
                workload=w.name,
                limit=limits.monthly,
                actual=billed,
            )
        )
    per_request = w.worst_per_request if stat == "worst_case" else w.per_request
    if limits.per_request is not None and per_request > limits.per_request:
        found.append(
            Violation(
                rule="per_request",
                workload=w.name,
                limit=limits.per_request,
                actual=per_request,
            )
        )
    if limits.min_batch_savings_percent is not None:
        found += _savings_violation(w, limits.min_batch_savings_percent, stat)
    return found


def _savings_violation(w: WorkloadCost, minimum: Decimal, stat: Statistic) -> list[Violation]:
    realtime = w.worst_realtime if stat == "worst_case" else w.realtime
    batch = w.worst_batch if stat == "worst_case" else w.batch
    if batch is None:
        return [
            Violation(
                rule="min_batch_savings_percent",
                workload=w.name,
                limit=minimum,
                actual=Decimal(0),
            )
        ]
    if realtime.is_zero():
        return []
    saved = Savings.between(realtime, batch).percent
    if saved >= minimum:
        return []
    return [
        Violation(
            rule="min_batch_savings_percent",
            workload=w.name,
            limit=minimum,
            actual=saved,
        )
    ]


def compare_baseline(
    baseline: Mapping[str, Any],
    results: Sequence[WorkloadResult],
    total: Decimal,
    stat: Statistic,
    source: str,
) -> BaselineDiff:
    """The change against a baseline ``check`` JSON report (same statistic)."""
    if baseline.get("kind") != "check" or baseline.get("schema_version") != REPORT_SCHEMA_VERSION:
        raise ConfigError(
            f"{source}: not a claude-quote check report (kind 'check', schema_version "
            f"{REPORT_SCHEMA_VERSION}); write one with `claude-quote check --format json --output FILE`"
        )
    if baseline.get("statistic") != stat:
        raise ConfigError(
            f"{source}: the baseline checked the {baseline.get('statistic')!r} statistic but this config checks "
            f"{stat!r}; compare like with like"
        )
    before_total = _baseline_amount(baseline.get("total"), "total", source)
    entries = baseline.get("workloads")
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: workloads must be a list of workloads, got {_shown(entries)}")
    before: dict[str, Decimal] = {}
    for i, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise ConfigError(f"{source}: workloads[{i}].name must be a string, got {_shown(name)}")
        before[name] = _baseline_amount(entry.get("billed"), f"workloads[{i}] ({name}).billed", source)
    after = {r.cost.name: r.billed for r in results}
    return BaselineDiff(
        source=source,
        pricing_version=str(baseline.get("pricing_version", "")),
        total=Delta.of(before_total, total),
        workloads={name: Delta.of(before[name], value) for name, value in after.items() if name in before},
        added=tuple(sorted(set(after) - set(before))),
        removed=tuple(sorted(set(before) - set(after))),
    )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _baseline_amount(value: object, key: str, source: str) -> Decimal:
    """An amount of a baseline report: a decimal string (as the report writes it), finite and in range."""
    try:
        return to_decimal(value, what=key, places=MAX_PLACES)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _increase_violations(diff: BaselineDiff, budgets: Budgets) -> list[Violation]:
    found: list[Violation] = []
    change, percent = diff.total.change, diff.total.percent
    if budgets.max_increase is not None and change > budgets.max_increase:
        found.append(
            Violation(
                rule="max_increase",
                workload=None,
                limit=budgets.max_increase,
                actual=change,
            )
        )
    if (
        budgets.max_increase_percent is not None
        and percent is not None
        and percent > budgets.max_increase_percent
    ):
        found.append(
            Violation(
                rule="max_increase_percent",
                workload=None,
                limit=budgets.max_increase_percent,
                actual=percent,
            )
        )
    return found
