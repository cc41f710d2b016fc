"""``claude-quote calibrate``: learn token factors and output lengths from a batch's requests and results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    AtOption,
    FormatOption,
    MaxLineBytesOption,
    OutputFormat,
    PricingOption,
    QuietOption,
    emit_report,
    parse_date,
    reading_limits,
    table_from,
    user_errors,
)


def calibrate_command(
    requests: Annotated[
        Path,
        typer.Argument(metavar="REQUESTS.jsonl", help="The Message Batches request file that was sent."),
    ],
    results: Annotated[
        Path,
        typer.Argument(
            metavar="RESULTS.jsonl", help="Its results (client.messages.batches.results(batch_id))."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the calibration file here (TOML; replaced atomically).",
        ),
    ] = None,
    min_samples: Annotated[
        int,
        typer.Option(
            "--min-samples",
            metavar="N",
            help="Joined requests a model or custom_id prefix needs to be written (default 30).",
        ),
    ] = 30,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Skip invalid lines of either file (counted and reported)."),
    ] = False,
    max_line_bytes: MaxLineBytesOption = None,
    at: AtOption = None,
    pricing: PricingOption = None,
    output_format: FormatOption = OutputFormat.table,
    quiet: QuietOption = False,
) -> None:
    """Learn a calibration file from a batch: per model, the token factor and output lengths.

    Joins the requests with their succeeded results by custom_id, learns each model's input factor
    (actual prompt tokens per tiktoken token) and output p50/p95 (also per custom_id prefix), and shows
    how the calibration changes the estimate of these requests. Use it with estimate --calibration FILE.
    """
    from claude_quote.calibrate import calibrate

    with user_errors(), reading_limits(max_line_bytes):
        report = calibrate(
            requests,
            results,
            at=parse_date(at),
            table=table_from(pricing),
            min_samples=min_samples,
            skip_invalid=skip_invalid,
            output=output,
        )
        emit_report(report, output_format.value, quiet=quiet)
