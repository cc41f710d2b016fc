"""GitHub Actions output: workflow-command annotations and the job's step summary.

Used by ``claude-quote check`` when ``GITHUB_ACTIONS`` is ``true``: every violation becomes an
``::error`` annotation on the config file (on the line of the workload's ``name``, or of ``[budgets]``)
and every warning a ``::warning``, and the Markdown report is appended to the file named by
``GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from claude_quote.budget import CheckReport

__all__ = ["escape_data", "escape_property", "in_github_actions", "workflow_commands", "write_step_summary"]


def in_github_actions(env: Mapping[str, str] | None = None) -> bool:
    """Whether we run inside a GitHub Actions job."""
    return (os.environ if env is None else env).get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """Escape a workflow-command message (``%``, CR and LF), as the Actions toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property (``file=``, ``title=``): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(report: CheckReport, lines: Mapping[str, int] | None = None) -> list[str]:
    """``::error`` for each violation, ``::warning`` for each warning, ``::error`` for stale prices.

    Each is an annotation on the config file (``report.config``, relative to the repository's root);
    ``lines`` gives the line of each workload by name, and of the budgets under ``""`` (see
    :func:`claude_quote.config.config_lines`).
    """
    from claude_quote.render.check import violation_text

    where = lines or {}

    def command(kind: str, title: str, message: str, line: int | None = None) -> str:
        props = [f"file={escape_property(report.config)}"]
        if line is not None:
            props.append(f"line={line}")
        props.append(f"title={escape_property(title)}")
        return f"::{kind} {','.join(props)}::{escape_data(message)}"

    out = [
        command("error", "claude-quote budget", violation_text(v, report), where.get(v.workload or ""))
        for v in report.violations
    ]
    if report.status == "stale":
        out.append(
            command(
                "error",
                "claude-quote prices",
                f"the price table {report.pricing_version} is too old for this config's staleness policy",
                where.get("[pricing]"),
            )
        )
    out += [command("warning", "claude-quote", w) for w in report.warnings]
    out += [
        command("warning", "claude-quote", w, where.get(r.cost.name))
        for r in report.workloads
        for w in r.cost.warnings
    ]
    return out


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
