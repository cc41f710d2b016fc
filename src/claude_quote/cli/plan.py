"""``claude-quote plan``: check a Message Batches file before you submit it, and split it into batches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    AtOption,
    FormatOption,
    JobsOption,
    OutputFormat,
    PricingOption,
    ProgressOption,
    QuietOption,
    emit_report,
    parse_date,
    parse_decimal,
    table_from,
    user_errors,
)
from ._params import count_option


def plan_command(
    requests: Annotated[
        Path,
        typer.Argument(
            metavar="REQUESTS.jsonl",
            help='Message Batches JSONL, one {"custom_id", "params"} per line (*.jsonl.gz too; - reads '
            'standard input), or a .json batch-create body {"requests": [...]}.',
            show_default=False,
        ),
    ],
    split: Annotated[
        Path | None,
        typer.Option(
            "--split",
            metavar="DIR",
            help="Write the parts (part-0001.jsonl, ...) and manifest.json into DIR; refused while there are errors.",
        ),
    ] = None,
    max_requests: Annotated[
        int, count_option("--max-requests", minimum=1, maximum=100_000, help="Most requests per batch.")
    ] = 100_000,
    max_bytes: Annotated[
        str | None,
        typer.Option(
            "--max-bytes",
            metavar="BYTES",
            help="Most bytes of request body per batch (e.g. 200MB, 250MiB; default 256MB = 256,000,000).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="With --split: write the parts even when there are errors.")
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="With --split: replace the part files and manifest already in DIR."),
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="List lines that are not batch requests as warnings, not errors (they go in no part either way).",
        ),
    ] = False,
    beta: Annotated[
        list[str] | None,
        typer.Option(
            "--beta",
            metavar="NAME",
            help="A beta the batch will be created with (the SDK's betas=; repeatable), e.g. "
            "output-300k-2026-03-24: max_tokens up to 300,000 on the models that take it.",
        ),
    ] = None,
    max_line_bytes: Annotated[
        str | None,
        typer.Option(
            "--max-line-bytes",
            metavar="BYTES",
            help="The longest line read (default 512MiB, twice a whole batch); a longer one is an error.",
        ),
    ] = None,
    token_factor: Annotated[
        str | None,
        typer.Option(
            "--token-factor", metavar="X", help="Claude tokens per tiktoken token, for every model."
        ),
    ] = None,
    jobs: JobsOption = None,
    progress: ProgressOption = True,
    at: AtOption = None,
    pricing: PricingOption = None,
    output_format: FormatOption = OutputFormat.table,
    quiet: QuietOption = False,
) -> None:
    """Check every request of a batch file before you submit it, and plan its split into batches.

    Lists every problem with its line: lines that are no batch request, custom_id format and
    uniqueness, unknown or retired models, max_tokens over the model's limit, prompts over the
    context window or a price tier (estimated token counts), fast mode and streaming (not allowed in
    a batch). Then the split: at most 100,000 requests and 256 MB per batch. Reads the file once.
    Exit 0 without errors (warnings allowed), 2 with errors or bad input.
    """
    from claude_quote.plan import plan
    from claude_quote.plan.writing import refused
    from claude_quote.terminal_progress import watching

    factor = parse_decimal(token_factor, "--token-factor")
    with user_errors():
        limit, line_limit = _byte_limits(max_bytes, max_line_bytes)
        watched = _bar_here(progress, split, jobs)
        with watching([requests], enabled=watched, label="planning"):
            result = plan(
                requests,
                at=parse_date(at),
                table=table_from(pricing),
                max_requests=max_requests,
                max_bytes=limit,
                token_factor=factor,
                skip_invalid=skip_invalid,
                betas=beta or (),
                max_line_bytes=line_limit,
                split=split,
                overwrite=overwrite,
                force=force,
                jobs=jobs,
                progress=progress and not watched,
            )
        emit_report(result, output_format.value, quiet=quiet)
        if split is not None and result.split is None:
            raise refused(result)  # errors, no --force: nothing written
    if result.errors:
        raise typer.Exit(2)


def _byte_limits(max_bytes: str | None, max_line_bytes: str | None) -> tuple[int, int]:
    """The most bytes of request body per batch and the longest line read (their defaults if not given)."""
    from claude_quote.plan import MAX_BYTES, parse_size
    from claude_quote.workloads.requests import DEFAULT_MAX_LINE_BYTES

    limit = MAX_BYTES if max_bytes is None else parse_size(max_bytes)
    line_limit = DEFAULT_MAX_LINE_BYTES if max_line_bytes is None else parse_size(max_line_bytes)
    return limit, line_limit


def _bar_here(progress: bool, split: Path | None, jobs: int | None) -> bool:
    """Whether this process shows the progress bar: without --split, worker processes check a big
    file and show their own bar."""
    return progress and (split is not None or jobs == 1)
