"""What every command shares: option types, argument parsers, and turning errors into exit codes."""

from __future__ import annotations

import decimal
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TextIO

import typer

from claude_quote.errors import ClaudeQuoteError, UsageError

if TYPE_CHECKING:
    from claude_quote.pricing import PriceTable

from ._params import choice_option, count_option, parse_day

PRICING_ENV_VAR = "CLAUDE_QUOTE_PRICING"
"""``claude_quote.pricing.ENV_VAR``, here so that the options are made without the price table's
schema (``--help`` imports no pydantic model; a test checks the two are the same)."""

__all__ = [
    "AtOption",
    "DaskOption",
    "FormatOption",
    "JobsOption",
    "MaxLineBytesOption",
    "OutputFormat",
    "PricingOption",
    "ProgressOption",
    "QuietOption",
    "deprecated",
    "emit",
    "emit_report",
    "parse_date",
    "parse_decimal",
    "reading_limits",
    "showing",
    "shown",
    "table_from",
    "tokens_option",
    "user_errors",
]


class OutputFormat(StrEnum):
    """Output formats every pricing command offers."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


def _parse_tokens(text: str | int) -> int:
    if isinstance(text, int):  # the default, passed through the parser by typer
        return text
    try:
        from claude_quote.usage import parse_token_count

        return parse_token_count(text)
    except ClaudeQuoteError as exc:
        raise typer.BadParameter(str(exc)) from None


def tokens_option(flag: str, help_text: str, *aliases: str) -> typer.models.OptionInfo:
    """An option that takes a human token count (5M, 2.5k, 1,000,000); ``aliases`` are other spellings."""
    option: typer.models.OptionInfo = typer.Option(
        flag, *aliases, parser=_parse_tokens, metavar="TOKENS", help=help_text
    )
    return option


def parse_date(text: str | date | None) -> date | None:
    """``YYYY-MM-DD`` → date, with a clear message otherwise (a date passes through)."""
    return parse_day(text)


def parse_decimal(text: str | None, flag: str, *, percent: bool = False) -> Decimal | None:
    """A decimal option's value (``percent``: ``30%`` is 0.3), with a clear message otherwise."""
    if text is None:
        return None
    from claude_quote.money import to_decimal

    raw = text.strip()
    scale = Decimal(1)
    if percent and raw.endswith("%"):
        raw, scale = raw[:-1], Decimal(100)
    try:
        Decimal(raw)
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not a decimal number", param_hint=flag) from None
    try:
        value = to_decimal(raw, what=repr(text))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=flag) from None
    return value / scale


FORMAT_HINTS = {
    "github": "github is the pull-request comment of `claude-quote check`; for a Markdown report "
    "use --format markdown",
    "md": "write markdown",
    "text": "the table is the text format",
}
"""What to say when a command is asked for a format it does not write."""

FormatOption = Annotated[
    OutputFormat,
    choice_option(OutputFormat, "--format", "-f", help="Output format.", hints=FORMAT_HINTS),
]
PricingOption = Annotated[
    Path | None,
    typer.Option(
        "--pricing",
        envvar=PRICING_ENV_VAR,
        metavar="FILE",
        help='A custom price table (same format as the bundled one; may `extends = "builtin"`).',
    ),
]
AtOption = Annotated[
    date | None,
    typer.Option(
        "--at",
        parser=parse_day,
        metavar="YYYY-MM-DD",
        help="Price as of this date (default: today, UTC).",
    ),
]
ProgressOption = Annotated[
    bool,
    typer.Option(
        "--progress/--no-progress",
        help="A progress bar on a terminal for inputs that take a while (never in a pipe or in CI).",
    ),
]


JobsOption = Annotated[
    int | None,
    count_option(
        "--jobs",
        "-j",
        minimum=1,
        help="Worker processes for a big input (default: one per core; 1: this process only); "
        "the result is the same.",
    ),
]
DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="ADDRESS",
        help="Count on a Dask cluster: its scheduler's address (tcp://host:8786), or local for a "
        "cluster of this machine's cores. Needs claude-quote[dask] on the client and the workers, "
        "which must be able to read the paths (a shared filesystem, or URLs).",
    ),
]


def table_from(path: Path | None) -> PriceTable:
    """The bundled table, or the custom one named by --pricing / $CLAUDE_QUOTE_PRICING."""
    from claude_quote.pricing import load_pricing

    return load_pricing(path)


ESTIMATE_FLAGS: dict[str, str] = {
    "model": "--model",
    "output_tokens": "--output-tokens",
    "output_ratio": "--output-ratio",
    "template": "--template",
    "max_tokens": "--max-tokens",
    "text_column": "--text-column",
    "calibration": "--calibration",
    "token_factor": "--token-factor",
    "cache_hit_rate": "--cache-hit-rate",
    "group_by": "--group-by",
    "geo": "--geo",
    "fast": "--fast",
    "skip_invalid": "--skip-invalid",
    "exact": "--exact",
    "sample": "--sample",
    "seed": "--seed",
    "include": "--include",
    "exclude": "--exclude",
    "encoding": "--encoding",
}
"""The flag of each :class:`~claude_quote.estimate.EstimateOptions` field (library errors name fields)."""


_SHOWN: dict[str, str] = {}
"""Paths shown under another name (standard input, read through a temporary file, is shown as ``-``)."""


def shown(text: str) -> str:
    """``text`` with every path of :data:`_SHOWN` replaced by the name users gave it."""
    for path, name in _SHOWN.items():
        text = text.replace(path, name)
    return text


@contextmanager
def showing(path: str, name: str) -> Iterator[None]:
    """Show ``path`` as ``name`` in the reports, warnings and errors written inside the block."""
    _SHOWN[path] = name
    try:
        yield
    except ClaudeQuoteError as exc:  # its message is shown after the block: rename the path now
        exc.args = (shown(str(exc)), *exc.args[1:])
        raise
    finally:
        _SHOWN.pop(path, None)


def _without_hints_for(text: str, absent: tuple[str, ...]) -> str:
    """``text`` without a parenthesised hint that names an option the command does not have."""
    for flag in absent:
        text = re.sub(rf"\s*\((?:or )?(?:pass |give |use )?{re.escape(flag)}\b[^)]*\)", "", text)
    return text


@contextmanager
def user_errors(flags: Mapping[str, str] | None = None, *, absent: tuple[str, ...] = ()) -> Iterator[None]:
    """Turn claude-quote errors into one line on stderr and the error's exit code (no traceback).

    An option error names the option as the library calls it; ``flags`` maps those names to the
    command's flags, which the message then shows instead. A hint that names a flag in ``absent`` (one
    the command does not have, e.g. ``--model`` in ``calibrate``) is left out.
    """
    try:
        yield
    except ClaudeQuoteError as exc:
        text = exc.in_terms_of(flags) if flags and isinstance(exc, UsageError) else str(exc)
        typer.echo(f"error: {shown(_without_hints_for(text, absent))}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except decimal.DecimalException as exc:  # a last guard: inputs are bounded where they are read
        from claude_quote.money import EXACT

        typer.echo(
            f"error: a figure went beyond the {EXACT.prec} significant digits claude-quote computes "
            f"exactly ({type(exc).__name__}); an input holds a number too large or too precise",
            err=True,
        )
        raise typer.Exit(2) from None


def deprecated(old: str, new: str, *, quiet: bool = False) -> None:
    """Say on stderr that ``old`` is a deprecated spelling of ``new`` (it still works, for one release)."""
    if not quiet:
        typer.echo(
            f"warning: {old} is deprecated and will be removed in the next release; use {new}", err=True
        )


class GeoChoice(StrEnum):
    """Where inference runs."""

    global_ = "global"
    us = "us"


GeoOption = Annotated[
    GeoChoice | None,
    choice_option(GeoChoice, "--geo", help="us: US-only inference (×1.1, Claude 4.6+); global: without."),
]
FastOption = Annotated[
    bool | None,
    typer.Option("--fast/--no-fast", help="Fast-mode rates (real time only)."),
]


def geo_value(choice: GeoChoice | None) -> Literal["global", "us"] | None:
    """The library's value of ``--geo``."""
    if choice is None:
        return None
    return "us" if choice is GeoChoice.us else "global"


def emit(text: str | Iterable[str], stream: TextIO | None = None) -> None:
    """Write a rendered report to stdout (or ``stream``): a whole text, or its pieces as they come (a
    path or a value is never cut between two pieces). A character the stream's encoding cannot hold
    (a lone surrogate from an input's ``\\ud800``) is written as its escape, as Python does on stderr."""
    out = sys.stdout if stream is None else stream
    for piece in (text,) if isinstance(text, str) else text:
        piece = shown(piece)
        try:
            out.write(piece)
        except UnicodeEncodeError:
            encoding = getattr(out, "encoding", None) or "utf-8"
            out.write(piece.encode(encoding, "backslashreplace").decode(encoding))
    out.flush()


MaxLineBytesOption = Annotated[
    str | None,
    typer.Option(
        "--max-line-bytes",
        metavar="BYTES",
        help="The longest line (or whole JSON or text file) read: default 512MiB, twice a whole batch. "
        "A longer one is an error.",
    ),
]


@contextmanager
def reading_limits(max_line_bytes: str | None) -> Iterator[None]:
    """Apply ``--max-line-bytes`` to every reader called inside (call it inside ``user_errors``)."""
    if max_line_bytes is None:
        yield
        return
    from claude_quote.plan.limits import parse_size
    from claude_quote.workloads.files import input_limits

    try:
        size = parse_size(max_line_bytes.strip())
    except UsageError as exc:
        raise UsageError(f"--max-line-bytes {exc}") from None
    except ValueError:  # more digits than int() converts
        raise UsageError(f"--max-line-bytes {max_line_bytes[:40]!r}… is not a size") from None
    if size < 1:
        raise UsageError(f"--max-line-bytes must be at least 1 byte, got {max_line_bytes!r}")
    with input_limits(max_line_bytes=size):
        yield


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No warnings on stderr or in the table (JSON and Markdown reports still list them).",
    ),
]


def warn(warnings: list[str]) -> None:
    """Warnings on stderr, one ``warning: ...`` line each; on a terminal, folded to its width as a
    table folds them (no number split at the edge)."""
    if not warnings:
        return
    if not sys.stderr.isatty():
        for warning in warnings:
            typer.echo(f"warning: {shown(warning)}", err=True)
        return
    from claude_quote.render.text import warning_lines

    try:  # stderr's own size: stdout may be a file (--format json > report.json)
        width = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):  # pragma: no cover - a terminal without a size
        width = 100
    for warning in warnings:
        for line in warning_lines(shown(warning), width):
            typer.echo(line, err=True)


def emit_report(report: object, fmt: str, *, quiet: bool = False) -> None:
    """Write ``report`` to stdout in ``fmt``. A table shows its warnings below it; JSON, CSV and Markdown
    are for programs and documents, so their warnings are also written to stderr. ``quiet``: neither."""
    from claude_quote.render import render, render_chunks, warnings_of

    if fmt == "table":
        emit(render(report, fmt, warnings=not quiet))
        return
    emit(render_chunks(report, fmt))
    if not quiet:
        warn(warnings_of(report))


# Options that shape an estimate, shared by `estimate` and `reconcile --request-file`.
OutputTokensOption = Annotated[
    int | None,
    tokens_option("--output-tokens", "Expected output tokens per request (thinking budget added)."),
]
OutputRatioOption = Annotated[
    str | None,
    typer.Option("--output-ratio", metavar="R", help="Expected output = R × each request's prompt tokens."),
]
CalibrationOption = Annotated[
    Path | None,
    typer.Option(
        "--calibration",
        metavar="FILE",
        help="Measured token factors and output sizes (from claude-quote calibrate).",
    ),
]
TokenFactorOption = Annotated[
    str | None,
    typer.Option("--token-factor", metavar="X", help="Claude tokens per tiktoken token, for every model."),
]
