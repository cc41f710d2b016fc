"""``claude-quote reconcile``: what a batch (or an organisation) actually cost, against our prices."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from claude_quote.errors import UsageError

if TYPE_CHECKING:
    from claude_quote.pricing import PriceTable
    from claude_quote.usage import Usage

from ._common import (
    ESTIMATE_FLAGS,
    AtOption,
    CalibrationOption,
    FormatOption,
    JobsOption,
    MaxLineBytesOption,
    OutputFormat,
    OutputRatioOption,
    OutputTokensOption,
    PricingOption,
    ProgressOption,
    QuietOption,
    TokenFactorOption,
    deprecated,
    emit_report,
    parse_date,
    parse_decimal,
    reading_limits,
    table_from,
    user_errors,
)
from ._params import count_option

_FileArg = Annotated[
    Path | None,
    typer.Argument(
        metavar="RESULTS.jsonl",
        help="Message Batches results JSONL (client.messages.batches.results(batch_id)); - reads "
        "standard input.",
        show_default=False,
    ),
]


def reconcile(
    results: _FileArg = None,
    request_file: Annotated[
        Path | None,
        typer.Option(
            "--request-file",
            metavar="REQUESTS.jsonl",
            help="The batch's request file: compare our estimate with the actual cost per request.",
        ),
    ] = None,
    old_request_file: Annotated[
        Path | None,
        typer.Option("--requests", metavar="REQUESTS.jsonl", hidden=True, help="Deprecated: --request-file."),
    ] = None,
    usage_report: Annotated[
        Path | None,
        typer.Option(
            "--usage-report",
            metavar="FILE",
            help="Usage Admin API export (usage_report/messages): price it with our table.",
        ),
    ] = None,
    cost_report: Annotated[
        Path | None,
        typer.Option(
            "--cost-report",
            metavar="FILE",
            help="Cost Admin API export (cost_report): compare our prices with the bill (needs --usage-report).",
        ),
    ] = None,
    worst: Annotated[
        int, count_option("--worst", help="How many worst misses to list (with --request-file).")
    ] = 10,
    output_tokens: OutputTokensOption = None,
    output_ratio: OutputRatioOption = None,
    calibration: CalibrationOption = None,
    token_factor: TokenFactorOption = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Skip invalid lines or rows (counted and reported) instead of failing."
        ),
    ] = False,
    jobs: JobsOption = None,
    max_line_bytes: MaxLineBytesOption = None,
    progress: ProgressOption = True,
    at: AtOption = None,
    pricing: PricingOption = None,
    output_format: FormatOption = OutputFormat.table,
    quiet: QuietOption = False,
) -> None:
    """What work actually cost: batch results priced exactly, or an organisation's usage vs its bill.

    With RESULTS.jsonl: only succeeded requests are billed; each is priced from its usage at batch
    prices, beside what it would have cost in real time. Results carry no dates: --at the day the batch
    ran (default today). With --usage-report: each row is priced at its bucket's date.
    """

    if old_request_file is not None:
        deprecated("--requests FILE", "--request-file FILE", quiet=quiet)
    requests = request_file or old_request_file
    ratio = parse_decimal(output_ratio, "--output-ratio")
    factor = parse_decimal(token_factor, "--token-factor")
    shape = _EstimateShape(output_tokens, ratio, calibration, factor)
    with user_errors(ESTIMATE_FLAGS, absent=("--model",)), reading_limits(max_line_bytes):
        table = table_from(pricing)
        day = parse_date(at)
        _check_inputs(results, requests, usage_report, cost_report, shape, at)
        if usage_report is not None:
            report = _usage_report(
                usage_report, cost_report, table, skip_invalid=skip_invalid, progress=progress
            )
            emit_report(report, output_format.value, quiet=quiet)
            return
        assert results is not None
        _reconcile_results(
            results,
            requests,
            day,
            table,
            shape,
            worst=worst,
            skip_invalid=skip_invalid,
            jobs=jobs,
            progress=progress,
            emit=lambda report: emit_report(report, output_format.value, quiet=quiet),
        )


@dataclass(frozen=True)
class _EstimateShape:
    """The options that shape the estimate of ``--request-file`` (as in ``claude-quote estimate``)."""

    output_tokens: int | None
    output_ratio: Decimal | None
    calibration: Path | None
    token_factor: Decimal | None

    def given(self) -> bool:
        return any(option is not None for option in astuple(self))


def _check_inputs(
    results: Path | None,
    requests: Path | None,
    usage_report: Path | None,
    cost_report: Path | None,
    shape: _EstimateShape,
    at: date | None,
) -> None:
    """Either a results file (maybe with its request file) or an Admin API usage export, not both."""
    if requests is None and shape.given():
        raise UsageError(
            "--output-tokens, --output-ratio, --calibration and --token-factor shape the estimate "
            "of --request-file; give --request-file REQUESTS.jsonl"
        )
    if usage_report is not None:
        if results is not None or requests is not None:
            raise UsageError("give either RESULTS.jsonl (with --request-file) or --usage-report, not both")
        if at is not None:
            raise UsageError("--at does not apply to --usage-report: each row is priced at its bucket's date")
        return
    if cost_report is not None:
        raise UsageError("--cost-report needs --usage-report (the usage to compare the bill with)")
    if results is None:
        raise UsageError("give a results file (RESULTS.jsonl) or --usage-report FILE")


def _usage_report(
    usage_report: Path, cost_report: Path | None, table: PriceTable, *, skip_invalid: bool, progress: bool
) -> object:
    """An Admin API usage export priced with our table (and compared with the cost export)."""
    from claude_quote.reconcile import reconcile_usage_report
    from claude_quote.terminal_progress import watching

    reports = [usage_report, *([cost_report] if cost_report is not None else [])]
    with watching(reports, enabled=progress, label="reconciling"):
        return reconcile_usage_report(usage_report, cost_report, table=table, skip_invalid=skip_invalid)


def _reconcile_results(
    results: Path,
    requests: Path | None,
    day: date | None,
    table: PriceTable,
    shape: _EstimateShape,
    *,
    worst: int,
    skip_invalid: bool,
    jobs: int | None,
    progress: bool,
    emit: Callable[[object], None],
) -> None:
    """A results file priced (or compared with its request file's estimate) and emitted, with a
    progress bar; either file may be ``-`` (standard input)."""
    from claude_quote.terminal_progress import watching

    from ._inputs import check_not_swapped, standard_input

    with standard_input([results, requests]) as (results_name, requests_name):
        assert results_name is not None
        check_not_swapped(
            requests_name, results_name, usage="reconcile RESULTS.jsonl --request-file REQUESTS.jsonl"
        )
        paths = [name for name in (results_name, requests_name) if name is not None]
        # without a request file, worker processes read the results and show their own bar
        watched = progress and (requests_name is not None or jobs == 1)
        with watching(paths, enabled=watched, label="reconciling"):
            report = _reconcile(
                Path(results_name),
                None if requests_name is None else Path(requests_name),
                day,
                table,
                worst=worst,
                skip_invalid=skip_invalid,
                output_tokens=shape.output_tokens,
                output_ratio=shape.output_ratio,
                calibration=shape.calibration,
                token_factor=shape.token_factor,
                jobs=jobs,
                progress=progress and not watched,
            )
        emit(report)


def _reconcile(
    results: Path,
    requests: Path | None,
    day: date | None,
    table: PriceTable,
    *,
    worst: int,
    skip_invalid: bool,
    output_tokens: int | None,
    output_ratio: Decimal | None,
    calibration: Path | None,
    token_factor: Decimal | None,
    jobs: int | None = 1,
    progress: bool = False,
) -> object:
    """A results file priced, or compared with the estimate of its request file."""
    from claude_quote.engine import today
    from claude_quote.reconcile import reconcile_results, reconcile_with_estimates

    day = day or today()
    if requests is None:
        return reconcile_results(
            results, at=day, table=table, skip_invalid=skip_invalid, jobs=jobs, progress=progress
        )
    estimates = _estimate_requests(
        requests,
        day,
        table,
        output_tokens=output_tokens,
        output_ratio=output_ratio,
        calibration=calibration,
        token_factor=token_factor,
        skip_invalid=skip_invalid,
        jobs=jobs,
    )
    return reconcile_with_estimates(
        results, estimates, at=day, table=table, skip_invalid=skip_invalid, worst=worst
    )


def _estimate_requests(
    path: Path,
    at: date,
    table: PriceTable,
    *,
    output_tokens: int | None = None,
    output_ratio: Decimal | None = None,
    calibration: Path | None = None,
    token_factor: Decimal | None = None,
    skip_invalid: bool = False,
    jobs: int | None = 1,
) -> Mapping[str, tuple[str, Usage]]:
    """Per-request estimates for ``reconcile --request-file``: custom_id → (model, expected usage).
    In one process they are kept on disk as they are made (:class:`~claude_quote.reconcile.
    EstimateRecords`), so a batch of any size fits; worker processes (``jobs``) return them whole.

    Errors are ClaudeQuoteErrors naming the file and line (exit 2).
    """
    from claude_quote.estimate import EstimateOptions, estimate_into, estimate_requests
    from claude_quote.reconcile import EstimateRecords
    from claude_quote.scale.pieces import resolve_jobs

    options = EstimateOptions(
        output_tokens=output_tokens,
        output_ratio=output_ratio,
        calibration=calibration,
        token_factor=token_factor,
        skip_invalid=skip_invalid,
    )
    if resolve_jobs(jobs) == 1:
        kept = EstimateRecords()
        estimate_into(path, lambda e: kept.add(e.custom_id, e.model, e.usage), options, at=at, table=table)
        return kept
    estimates = estimate_requests(path, options, at=at, table=table, jobs=jobs)
    return {custom_id: (e.model, e.usage) for custom_id, e in estimates.items()}
