"""How a ``claude-quote check`` report looks: JSON (the baseline format), table, Markdown, PR comment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from claude_quote.budget import (
    REPORT_SCHEMA_VERSION,
    BaselineDiff,
    CheckReport,
    Delta,
    Violation,
    WorkloadResult,
)
from claude_quote.render import format as fmt
from claude_quote.render.document import Cell, Chart, Document, Series, Table

__all__ = [
    "COMMENT_MARKER",
    "check_charts",
    "check_document",
    "check_json",
    "delta_text",
    "github_comment",
    "violation_text",
]

COMMENT_MARKER = "<!-- claude-quote check -->"
"""First line of the PR comment, so a workflow finds and updates its own comment instead of adding one."""

_STAT = {"expected": "expected", "worst_case": "worst case"}


def violation_text(v: Violation, report: CheckReport) -> str:
    """One violation as a sentence naming the workload, the limit and the amount (with enough decimals
    that the amount never reads the same as the limit it exceeds)."""
    stat = _STAT[report.statistic]
    who = f"workload {v.workload!r}" if v.workload else "all workloads"
    source = report.baseline.source if report.baseline else "the baseline"
    if v.rule in ("max_increase_percent", "min_batch_savings_percent"):
        actual, limit = fmt.percent_apart(v.actual, v.limit)
    else:
        actual, limit = fmt.usd_apart(v.actual, v.limit)
    if v.rule in ("monthly", "workload_monthly"):
        return f"{who} cost {actual}/month ({stat}), over the {limit}/month budget"
    if v.rule == "per_request":
        return f"{who} costs {actual} per request ({stat}), over the {limit} limit"
    if v.rule == "max_increase":
        return f"monthly cost rises by {actual} against {source}, more than the {limit} allowed"
    if v.rule == "max_increase_percent":
        return f"monthly cost rises by {actual} against {source}, more than the {limit} allowed"
    return f"{who} saves {actual} in batch, less than the {limit} minimum"


def delta_text(delta: Delta) -> str:
    """``+$312.40/month (+18%)``; a fall is ``-$12.00/month (-3.5%)``."""
    sign = "+" if delta.change >= 0 else "-"
    text = f"{sign}{fmt.usd(abs(delta.change))}/month"
    if delta.percent is not None:
        text += f" ({fmt.change_percent(delta.percent)})"
    return text


def _workload_json(r: WorkloadResult) -> dict[str, Any]:
    c = r.cost
    return {
        "name": c.name,
        "mode": c.mode,
        "models": list(c.models),
        "requests_per_month": c.requests_per_month,
        "billed": r.billed,
        "status": r.status,
        "expected": {"realtime": c.realtime, "batch": c.batch},
        "worst_case": {"realtime": c.worst_realtime, "batch": c.worst_batch},
        "per_request": {"expected": c.per_request, "worst_case": c.worst_per_request},
        "limits": c.limits.model_dump(mode="python"),
        "token_method": c.token_method,
        "warnings": list(c.warnings),
    }


def _age(days: int, at: date) -> str:
    """``12 days before 2026-11-25``, ``1 day before``; a table checked after the quote date says so."""
    if days < 0:
        return f"{_days(-days)} after {at.isoformat()}"
    return f"{_days(days)} before {at.isoformat()}"


def check_json(report: CheckReport) -> dict[str, Any]:
    """The versioned report; ``--baseline`` reads it back."""
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "kind": "check",
        "status": report.status,
        "exit_code": report.exit_code,
        "at": report.at,
        "pricing_version": report.pricing_version,
        "pricing_sha256": report.pricing_sha256,
        "freshness": report.freshness.model_dump(mode="python"),
        "config": report.config,
        "statistic": report.statistic,
        "total": report.total,
        "total_expected": report.total_expected,
        "total_worst_case": report.total_worst_case,
        "budgets": report.budgets.model_dump(mode="python"),
        "workloads": [_workload_json(r) for r in report.workloads],
        "violations": [
            {**v.model_dump(mode="python"), "message": violation_text(v, report)} for v in report.violations
        ],
        "baseline": None if report.baseline is None else report.baseline.model_dump(mode="python"),
        "warnings": list(report.warnings),
    }


def _headline(report: CheckReport) -> str:
    if report.status == "stale":
        return "claude-quote check: price table too old"
    if report.violations:
        n = len(report.violations)
        return f"claude-quote check: over budget ({n:,} violation{'s' if n > 1 else ''})"
    return "claude-quote check: within budget"


def check_document(report: CheckReport) -> Document:
    """Workloads with their monthly cost, limits and change, then every violation."""
    warnings = list(report.warnings) + [w for r in report.workloads for w in r.cost.warnings]
    return Document(
        title=_headline(report),
        facts=_facts(report),
        tables=[_workloads_table(report)],
        notes=_notes(report),
        warnings=warnings,
        charts=check_charts(report),
        csv=_csv_table(report),
    )


def _facts(report: CheckReport) -> list[tuple[str, str]]:
    """The config, the prices and their age, the statistic, the total (against the baseline)."""
    budget = f" of {fmt.usd(report.budgets.monthly)}" if report.budgets.monthly is not None else ""
    facts = [
        ("config", report.config),
        (
            "prices",
            f"table {report.pricing_version}, checked {report.freshness.checked.isoformat()} "
            f"({_age(report.freshness.age_days, report.at)})",
        ),
        ("statistic", _STAT[report.statistic]),
        ("total", f"{fmt.usd(report.total)}/month{budget}"),
    ]
    if report.baseline is not None:
        facts.append(("vs baseline", f"{delta_text(report.baseline.total)} vs {report.baseline.source}"))
    return facts


def _workloads_table(report: CheckReport) -> Table:
    """One row per workload: its monthly cost, budget, change against the baseline and status."""
    diff = report.baseline
    columns = ["workload", "mode", "model", "requests per month", "monthly cost", "budget"]
    if diff is not None:
        columns.append("change")
    columns.append("status")
    rows: list[list[Cell | str]] = []
    for r in report.workloads:
        c = r.cost
        row: list[Cell | str] = [
            c.name,
            c.mode,
            ", ".join(c.models),
            Cell(_requests(c.requests_per_month), "count"),
            Cell.usd(r.billed),
            Cell.usd(c.limits.monthly),
        ]
        if diff is not None:
            row.append(delta_text(diff.workloads[c.name]) if c.name in diff.workloads else "new")
        row.append("over" if r.status == "fail" else "ok")
        rows.append(row)
    return Table(columns=columns, rows=rows)


def _notes(report: CheckReport) -> list[str]:
    """Every violation, the workloads removed since the baseline, how tokens were counted."""
    notes = [f"Over budget: {violation_text(v, report)}." for v in report.violations]
    if report.baseline is not None and report.baseline.removed:
        notes.append(f"Removed since the baseline: {', '.join(report.baseline.removed)}.")
    methods = sorted({r.cost.token_method for r in report.workloads})
    notes.append(f"Token counts: {'; '.join(methods)}.")
    return notes


def _csv_table(report: CheckReport) -> Table:
    """One row per workload with exact figures (models separated by ``;``)."""
    diff = report.baseline
    columns = ["workload", "mode", "models", "requests_per_month", "monthly_cost", "budget"]
    if diff is not None:
        columns += ["baseline", "change", "change_percent"]
    columns.append("status")
    rows: list[list[Cell | str]] = []
    for r in report.workloads:
        c = r.cost
        row: list[Cell | str] = [
            c.name,
            c.mode,
            ";".join(c.models),
            Cell(c.requests_per_month, "count"),
            Cell.usd(r.billed),
            Cell.usd(c.limits.monthly),
        ]
        if diff is not None:
            delta = diff.workloads.get(c.name)
            row += [
                Cell.usd(None if delta is None else delta.before),
                Cell.usd(None if delta is None else delta.change),
                Cell.change(None if delta is None else delta.percent),
            ]
        row.append("over" if r.status == "fail" else "ok")
        rows.append(row)
    return Table(columns=columns, rows=rows)


def check_charts(report: CheckReport) -> list[Chart]:
    """Each workload's monthly cost (bars) against its budget (line), and against the baseline."""
    if not report.workloads:
        return []
    charts = [_cost_chart(report)]
    if report.baseline is not None:
        charts.append(_baseline_chart(report, report.baseline))
    return charts


def _cost_chart(report: CheckReport) -> Chart:
    """The workloads with a monthly budget against it; every workload's cost when none has one."""
    stat = _STAT[report.statistic]
    total = f"All workloads: {fmt.usd(report.total)}/month"
    if report.budgets.monthly is not None:
        total += f" of the {fmt.usd(report.budgets.monthly)}/month budget"
    budgeted = [r for r in report.workloads if r.cost.limits.monthly is not None]
    if not budgeted:
        return Chart(
            title="Monthly cost by workload",
            x=[r.cost.name for r in report.workloads],
            y_label="USD per month",
            series=[Series("bar", "monthly cost", [r.billed for r in report.workloads])],
            caption=f"Monthly cost ({stat}) of each workload in USD. {total}.",
        )
    left_out = [r.cost.name for r in report.workloads if r.cost.limits.monthly is None]
    caption = f"Monthly cost ({stat}) of each workload with a monthly budget, in USD: cost as bars, budget as a line. {total}."
    if left_out:
        caption += f" Without a budget, not drawn: {', '.join(left_out)}."
    return Chart(
        title="Monthly cost (bars) vs budget (line)",
        x=[r.cost.name for r in budgeted],
        y_label="USD per month",
        series=[
            Series("bar", "monthly cost", [r.billed for r in budgeted]),
            Series("line", "budget", [r.cost.limits.monthly or Decimal(0) for r in budgeted]),
        ],
        caption=caption,
    )


def _baseline_chart(report: CheckReport, diff: BaselineDiff) -> Chart:
    """Each workload's monthly cost now against the baseline (0 for a new workload)."""
    before = [
        diff.workloads[r.cost.name].before if r.cost.name in diff.workloads else Decimal(0)
        for r in report.workloads
    ]
    caption = (
        f"Monthly cost ({_STAT[report.statistic]}) of each workload in USD: now as bars, {diff.source} as a line "
        f"(0 for a new workload). All workloads: {delta_text(diff.total)}."
    )
    if diff.removed:
        caption += f" Removed since the baseline, not drawn: {', '.join(diff.removed)}."
    return Chart(
        title="Monthly cost now (bars) vs baseline (line)",
        x=[r.cost.name for r in report.workloads],
        y_label="USD per month",
        series=[
            Series("bar", "now", [r.billed for r in report.workloads]),
            Series("line", "baseline", before),
        ],
        caption=caption,
    )


def _days(count: int) -> str:
    return f"{count:,} day{'s' if count != 1 else ''}"


def _requests(value: Decimal) -> str:
    whole = value.to_integral_value()
    return f"{whole:,}" if whole == value else f"{value:,.2f}"


def github_comment(report: CheckReport) -> str:
    """Markdown for a pull-request comment, led by a hidden marker so one comment is updated in place."""
    from claude_quote.render.text import to_markdown

    text = f"{COMMENT_MARKER}\n" + to_markdown(check_document(report))
    return text if text.endswith("\n") else text + "\n"
