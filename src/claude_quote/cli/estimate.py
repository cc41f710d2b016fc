"""``claude-quote estimate``: real-time vs batch cost of the requests in files, before you send them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import (
    ESTIMATE_FLAGS,
    AtOption,
    CalibrationOption,
    DaskOption,
    FastOption,
    FormatOption,
    GeoOption,
    JobsOption,
    MaxLineBytesOption,
    OutputFormat,
    OutputRatioOption,
    OutputTokensOption,
    PricingOption,
    ProgressOption,
    QuietOption,
    TokenFactorOption,
    emit_report,
    geo_value,
    parse_date,
    parse_decimal,
    reading_limits,
    table_from,
    tokens_option,
    user_errors,
)
from ._params import choice_option, count_option, share_option

if TYPE_CHECKING:
    from claude_quote.estimate import EstimateOptions


class GroupChoice(StrEnum):
    """Extra breakdowns."""

    model = "model"
    prefix = "prefix"


def estimate_command(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...",
            help="Message Batches JSONL, request JSON, CSV/TSV/Parquet/JSONL tables, text files, "
            "directories or quoted globs; - reads standard input (JSONL, JSON or text).",
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            metavar="MODEL",
            help="Price on this model: required for text files and tables without a model column; "
            "for request files it replaces each request's model.",
        ),
    ] = None,
    output_tokens: OutputTokensOption = None,
    output_ratio: OutputRatioOption = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="TEMPLATE",
            help="Prompt for text files and text columns: {text} is the text, {name} the file name or "
            'custom_id, {column} any column of a table (e.g. "Summarize: {text}").',
        ),
    ] = None,
    max_tokens: Annotated[
        int | None,
        tokens_option(
            "--max-tokens",
            "Output limit per request for text files and tables (the worst case); over a max_tokens column.",
        ),
    ] = None,
    text_column: Annotated[
        str | None,
        typer.Option("--text-column", metavar="NAME", help="A table's text column (default: text)."),
    ] = None,
    calibration: CalibrationOption = None,
    token_factor: TokenFactorOption = None,
    cache_hit_rate: Annotated[
        Decimal | None,
        share_option(
            "--cache-hit-rate",
            help="Share of possible cache reads that hit in the expected band: 0.3 or 30% (the default).",
        ),
    ] = None,
    group_by: Annotated[
        GroupChoice | None,
        choice_option(
            GroupChoice,
            "--group-by",
            help="prefix: add a breakdown by custom_id prefix (by model is always shown).",
        ),
    ] = None,
    geo: GeoOption = None,
    fast: FastOption = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Skip malformed lines or rows (counted and warned about).")
    ] = False,
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include",
            metavar="GLOB",
            help="Of the files in a directory, read only those that match (*.md, notes/*.txt); repeatable.",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            metavar="GLOB",
            help="Of the files in a directory, leave out those that match; repeatable.",
        ),
    ] = None,
    encoding: Annotated[
        str,
        typer.Option(
            "--encoding",
            metavar="NAME",
            help="Encoding of text files (utf-8; latin-1, cp1252, ...). In a directory, files that are "
            "not text are skipped and counted.",
        ),
    ] = "utf-8",
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="Count every prompt with Anthropic's free count_tokens endpoint (needs "
            "claude-quote[exact] and ANTHROPIC_API_KEY; cached, rate-limited).",
        ),
    ] = False,
    sample: Annotated[
        int | None,
        count_option(
            "--sample",
            help="Estimate a uniform random sample of N requests and extrapolate to the whole input "
            "with a 95% confidence interval.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        count_option(
            "--seed", metavar="SEED", help="Random seed of --sample (default: random, and reported)."
        ),
    ] = None,
    jobs: JobsOption = None,
    dask: DaskOption = None,
    progress: ProgressOption = True,
    max_line_bytes: MaxLineBytesOption = None,
    at: AtOption = None,
    pricing: PricingOption = None,
    output_format: FormatOption = OutputFormat.table,
    quiet: QuietOption = False,
) -> None:
    """Estimate real-time vs Message Batches cost of requests you are about to send.

    Tokens are counted offline with tiktoken cl100k_base and a per-model Claude correction; every report
    says which method and factor it used. Output tokens are unknown before a run: give --output-tokens
    or --output-ratio (or a calibration file); without them the expected cost uses each request's
    max_tokens. The worst case (every request's max_tokens, no cache hits) is always shown. Requests
    run as they say (inference_geo, speed) unless --geo or --fast/--no-fast set it for all of them.
    """
    from claude_quote.estimate import EstimateOptions

    ratio = parse_decimal(output_ratio, "--output-ratio")
    factor = parse_decimal(token_factor, "--token-factor")
    with user_errors(ESTIMATE_FLAGS), reading_limits(max_line_bytes):
        options = EstimateOptions(
            model=model,
            output_tokens=output_tokens,
            output_ratio=ratio,
            template=template,
            max_tokens=max_tokens,
            text_column=text_column,
            calibration=calibration,
            token_factor=factor,
            cache_hit_rate=cache_hit_rate,
            group_by=None if group_by is None else group_by.value,
            geo=geo_value(geo),
            fast=fast,
            skip_invalid=skip_invalid,
            exact=exact,
            sample=sample,
            seed=seed,
            include=tuple(include or ()),
            exclude=tuple(exclude or ()),
            encoding=encoding,
        )
        _estimate_files(
            files, options, at, pricing, jobs, dask, output_format, progress=progress, quiet=quiet
        )


def _estimate_files(
    files: list[str],
    options: EstimateOptions,
    at: date | None,
    pricing: Path | None,
    jobs: int | None,
    dask: str | None,
    fmt: OutputFormat,
    *,
    progress: bool,
    quiet: bool,
) -> None:
    """Estimate ``files`` (``-`` read from standard input) and write the report."""
    from claude_quote.estimate import estimate

    from ._inputs import standard_input

    with standard_input(files) as names:
        paths = [name for name in names if name is not None]
        result = estimate(
            paths,
            options,
            at=parse_date(at),
            table=table_from(pricing),
            progress=progress,
            jobs=jobs,
            dask=dask,
        )
        emit_report(result, fmt.value, quiet=quiet)
