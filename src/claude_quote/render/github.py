"""GitHub Actions output: workflow-command annotations and the job's step summary.

Used by ``claude-quote check`` when ``GITHUB_ACTIONS`` is ``true``: every violation becomes an
``::error`` annotation and every warning a ``::warning``, and the Markdown report is appended to the
file named by ``GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from claude_quote.budget import CheckReport

__all__ = ["escape_data", "in_github_actions", "workflow_commands", "write_step_summary"]


def in_github_actions(env: Mapping[str, str] | None = None) -> bool:
    """Whether we run inside a GitHub Actions job."""
    return (os.environ if env is None else env).get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """Escape a workflow-command message (``%``, CR and LF), as the Actions toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_commands(report: CheckReport) -> list[str]:
    """``::error`` for each violation, ``::warning`` for each warning, ``::error`` for stale prices."""
    from claude_quote.render.check import violation_text

    lines = [
        f"::error title=claude-quote budget::{escape_data(violation_text(v, report))}"
        for v in report.violations
    ]
    if report.status == "stale":
        lines.append(
            "::error title=claude-quote prices::"
            + escape_data(
                f"the price table {report.pricing_version} is too old for this config's staleness policy"
            )
        )
    warnings = [*report.warnings, *(w for r in report.workloads for w in r.cost.warnings)]
    lines += [f"::warning title=claude-quote::{escape_data(w)}" for w in warnings]
    return lines


def write_step_summary(report: CheckReport, env: Mapping[str, str] | None = None) -> Path | None:
    """Append the Markdown report to ``$GITHUB_STEP_SUMMARY``; returns the file, or None if unset."""
    from claude_quote.render.check import check_document
    from claude_quote.render.text import to_markdown

    target = (os.environ if env is None else env).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(to_markdown(check_document(report)) + "\n")
    return path
