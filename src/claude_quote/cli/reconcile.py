"""``claude-quote reconcile``: what a batch (or an organisation) actually cost, against our prices."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from claude_quote.errors import UsageError
from claude_quote.pricing import PriceTable
from claude_quote.usage import Usage

from ._common import (
    AtOption,
    FormatOption,
    OutputFormat,
    PricingOption,
    emit,
    parse_date,
    table_from,
    user_errors,
)

_FileArg = Annotated[
    Path | None,
    typer.Argument(
        metavar="RESULTS.jsonl",
        help="Message Batches results JSONL (client.messages.batches.results(batch_id)).",
        show_default=False,
    ),
]


def reconcile(
    results: _FileArg = None,
    requests: Annotated[
        Path | None,
        typer.Option(
            "--requests",
            metavar="REQUESTS.jsonl",
            help="The batch's request file: compare our estimate with the actual cost per request.",
        ),
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
        int, typer.Option("--worst", min=0, help="How many worst misses to list (with --requests).")
    ] = 10,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Skip invalid lines or rows (counted and reported) instead of failing."
        ),
    ] = False,
    at: AtOption = None,
    pricing: PricingOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """What work actually cost: batch results priced exactly, or an organisation's usage vs its bill.

    With RESULTS.jsonl: only succeeded requests are billed; each is priced from its usage at batch
    prices, beside what it would have cost in real time. Results carry no dates: --at the day the batch
    ran (default today). With --usage-report: each row is priced at its bucket's date.
    """
    from claude_quote.render import render

    with user_errors():
        table = table_from(pricing)
        day = parse_date(at)
        if usage_report is not None:
            if results is not None or requests is not None:
                raise UsageError("give either RESULTS.jsonl (with --requests) or --usage-report, not both")
            if at is not None:
                raise UsageError(
                    "--at does not apply to --usage-report: each row is priced at its bucket's date"
                )
            from claude_quote.reconcile_org import reconcile_usage_report

            emit(
                render(
                    reconcile_usage_report(usage_report, cost_report, table=table, skip_invalid=skip_invalid),
                    output_format.value,
                )
            )
            return
        if cost_report is not None:
            raise UsageError("--cost-report needs --usage-report (the usage to compare the bill with)")
        if results is None:
            raise UsageError("give a results file (RESULTS.jsonl) or --usage-report FILE")
        from claude_quote.cost import today
        from claude_quote.reconcile import read_actuals, reconcile_results

        day = day or today()
        if requests is None:
            report: object = reconcile_results(results, at=day, table=table, skip_invalid=skip_invalid)
        else:
            from claude_quote.reconcile import compare

            estimates = _estimate_requests(requests, day, table)
            actuals, per_request = read_actuals(results, at=day, table=table, skip_invalid=skip_invalid)
            report = compare(actuals, per_request, estimates, table=table, worst=worst)
        emit(render(report, output_format.value))


# ============================================================================================
# ADAPTER — estimator integration point (the only code that knows about claude_quote.estimate).
#
# Must return {custom_id: (model, Usage)} for every request in the batch request file at `path`:
#   - model: the request's params.model (any name resolve_model accepts; an API id is best);
#   - Usage: the ESTIMATED billed usage of that one request in the API's buckets — uncached input
#     (input_tokens), cache writes split 5m/1h, cache reads, output (the expected output, not
#     max_tokens), web searches — counted with the tokens the model's tokenizer would bill.
# Errors must be ClaudeQuoteError subclasses (WorkloadError naming file:line for bad lines) so the
# CLI exits 2 with one line. Until it is wired, --requests exits 2 with a clear message.
# ============================================================================================
def _estimate_requests(path: Path, at: date, table: PriceTable) -> dict[str, tuple[str, Usage]]:
    """Per-request estimates for ``reconcile --requests`` (see the ADAPTER note above)."""
    try:
        estimator = importlib.import_module("claude_quote.estimate")
    except ImportError:
        raise UsageError(
            "--requests is not available yet: it compares against claude-quote's estimator "
            "(claude_quote.estimate), which this build does not have; run reconcile without --requests "
            "for the actual cost"
        ) from None
    if getattr(estimator, "estimate_requests", None) is None:
        raise UsageError(
            "--requests is not available yet: claude_quote.estimate has no estimate_requests(); "
            "run reconcile without --requests for the actual cost"
        )
    raise UsageError(
        "--requests is not available yet: the estimator is installed but reconcile's adapter "
        "(claude_quote.cli.reconcile._estimate_requests) is not wired to it; run reconcile without "
        "--requests for the actual cost"
    )
