"""``claude-quote check``: fail CI when Claude spend would go over budget."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import (
    AtOption,
    PricingOption,
    ProgressOption,
    QuietOption,
    deprecated,
    emit,
    parse_date,
    user_errors,
    warn,
)
from ._params import choice_option

if TYPE_CHECKING:
    from claude_quote.budget import CheckReport


class CheckFormat(StrEnum):
    """Report formats of ``check``."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    github = "github"


def check_command(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="claude-quote.toml or a pyproject.toml with [tool.claude-quote] (default: the first "
            "found from the working directory up to the repository's root).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            metavar="REPORT.json",
            help="A check report from earlier (e.g. the main branch): show the change and apply max_increase.",
        ),
    ] = None,
    output_format: Annotated[
        CheckFormat,
        choice_option(CheckFormat, "--format", "-f", help="Report format; github is a pull-request comment."),
    ] = CheckFormat.table,
    output_file: Annotated[
        Path | None,
        typer.Option("--output-file", "-o", metavar="FILE", help="Write the report here, not to stdout."),
    ] = None,
    old_output: Annotated[
        Path | None,
        typer.Option("--output", metavar="FILE", hidden=True, help="Deprecated: -o/--output-file."),
    ] = None,
    json_report: Annotated[
        Path | None,
        typer.Option(
            "--json", metavar="FILE", help="Also write the JSON report (what --baseline reads) here."
        ),
    ] = None,
    at: AtOption = None,
    pricing: PricingOption = None,
    progress: ProgressOption = True,
    quiet: QuietOption = False,
) -> None:
    """Check every workload's monthly cost against the config's budgets.

    Exit codes: 0 within budget, 1 over budget (every violation is listed), 2 a config or input error,
    3 the price table is older than a `fail` staleness policy allows. Under GitHub Actions, violations
    become annotations and the report is added to the job summary.
    """
    from claude_quote.check import run_check
    from claude_quote.config import load_config
    from claude_quote.render import render, warnings_of
    from claude_quote.render.check import github_comment

    if old_output is not None:
        deprecated("--output FILE", "-o/--output-file FILE", quiet=quiet)
    output = output_file or old_output
    with user_errors():
        cfg, path = load_config(config)
        report = run_check(
            cfg, path, at=parse_date(at), baseline=baseline, pricing=pricing, progress=progress
        )
        fmt = output_format.value
        text = github_comment(report) if fmt == "github" else render(report, fmt, warnings=not quiet)
        if json_report is not None:
            _write(json_report, text if fmt == "json" else render(report, "json"))
        if output is not None:
            _write(output, text)
        actions = _github_actions(report, path, fmt, output, quiet=quiet)
        if output is None:
            emit(text)
        if not quiet and not actions and (fmt != "table" or output is not None):
            warn(warnings_of(report))  # under Actions they are ::warning annotations
    raise typer.Exit(report.exit_code)


def _github_actions(report: CheckReport, path: Path, fmt: str, output: Path | None, *, quiet: bool) -> bool:
    """Under GitHub Actions, write the violations as workflow commands (annotations) and the report
    to the job summary; whether it runs under Actions."""
    from claude_quote.config import config_lines
    from claude_quote.render.github import in_github_actions, workflow_commands, write_step_summary

    if not in_github_actions():
        return False
    # Workflow commands are read from stdout; keep it clean when it carries JSON or CSV.
    stream = sys.stderr if fmt in ("json", "csv") and output is None else sys.stdout
    for line in workflow_commands(report, config_lines(path)):
        if not (quiet and line.startswith("::warning")):
            emit(line + "\n", stream)
    write_step_summary(report)
    return True


def _write(path: Path, text: str) -> None:
    """Write a report atomically: a failure leaves no empty or half-written file."""
    from claude_quote.writing import write_atomically

    write_atomically(path, text, what="report", errors="backslashreplace")
