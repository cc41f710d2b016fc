"""``claude-quote calibrate``: learn token factors and output lengths from a batch's requests and results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    AtOption,
    FormatOption,
    JobsOption,
    MaxLineBytesOption,
    OutputFormat,
    PricingOption,
    ProgressOption,
    QuietOption,
    deprecated,
    emit_report,
    parse_date,
    reading_limits,
    table_from,
    user_errors,
)
from ._params import count_option

_USAGE = "calibrate REQUESTS.jsonl RESULTS.jsonl"


def calibrate_command(
    requests: Annotated[
        Path,
        typer.Argument(
            metavar="REQUESTS.jsonl",
            help="The Message Batches request file that was sent (- reads standard input).",
        ),
    ],
    results: Annotated[
        Path,
        typer.Argument(
            metavar="RESULTS.jsonl",
            help="Its results (client.messages.batches.results(batch_id); - reads standard input).",
        ),
    ],
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output-file",
            "-o",
            metavar="FILE",
            help="Write the calibration file here (TOML; replaced atomically).",
        ),
    ] = None,
    old_output: Annotated[
        Path | None,
        typer.Option("--output", metavar="FILE", hidden=True, help="Deprecated: -o/--output-file."),
    ] = None,
    min_samples: Annotated[
        int,
        count_option(
            "--min-samples",
            minimum=1,
            help="Joined requests a model or custom_id prefix needs to be written (default 30).",
        ),
    ] = 30,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Skip invalid lines of either file (counted and reported)."),
    ] = False,
    jobs: JobsOption = None,
    max_line_bytes: MaxLineBytesOption = None,
    progress: ProgressOption = True,
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
    from claude_quote.terminal_progress import watching

    from ._inputs import check_not_swapped, standard_input

    if old_output is not None:
        deprecated("--output FILE", "-o/--output-file FILE", quiet=quiet)
    with (
        user_errors(absent=("--model",)),
        reading_limits(max_line_bytes),
        standard_input([requests, results]) as (requests_name, results_name),
    ):
        assert requests_name is not None
        assert results_name is not None
        check_not_swapped(requests_name, results_name, usage=_USAGE)
        with watching([requests_name, results_name], enabled=progress, label="calibrating"):
            report = calibrate(
                requests_name,
                results_name,
                at=parse_date(at),
                table=table_from(pricing),
                min_samples=min_samples,
                skip_invalid=skip_invalid,
                output=output_file or old_output,
                jobs=jobs,
            )
        emit_report(report, output_format.value, quiet=quiet)
