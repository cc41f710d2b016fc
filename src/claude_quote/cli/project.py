"""``claude-quote project``: monthly and yearly cost of work as it grows, real time vs batch; what-if."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import (
    FastOption,
    FormatOption,
    GeoOption,
    OutputFormat,
    PricingOption,
    QuietOption,
    emit_report,
    geo_value,
    tokens_option,
    user_errors,
)
from ._params import choice_option, count_option, parse_count, parse_percent, share_option

if TYPE_CHECKING:
    from claude_quote.pricing import PriceTable
    from claude_quote.projections import MonthLength
    from claude_quote.workload_spec import Workload


class PerChoice(StrEnum):
    """The unit of --requests."""

    day = "day"
    week = "week"
    month = "month"


class MonthLengthChoice(StrEnum):
    """How long a month is when volumes are per day or week."""

    calendar = "calendar"
    average = "average"


def _parse_requests(text: str) -> Decimal:
    from claude_quote.errors import UsageError
    from claude_quote.workload_spec import parse_volume

    try:
        return parse_volume(text, what="requests")
    except UsageError as exc:
        raise typer.BadParameter(str(exc)) from None


def _parse_growth(text: str) -> Decimal:
    value = parse_percent(text)
    if value <= -100:
        raise typer.BadParameter(
            f"growth must be above -100% a month, got {text.strip().removesuffix('%')}% (at -100% all "
            "traffic stops after the first month)"
        )
    return value


def _opt(flag: str, parser: Callable[[str], object], metavar: str, help_text: str) -> typer.models.OptionInfo:
    option: typer.models.OptionInfo = typer.Option(flag, parser=parser, metavar=metavar, help=help_text)
    return option


def _parse_months(text: str) -> int:
    from claude_quote.projections.months import MAX_MONTHS

    return parse_count(text, minimum=1, maximum=MAX_MONTHS)


def project_command(
    model: Annotated[
        str | None,
        typer.Argument(
            metavar="[MODEL]",
            help="Model of one workload given by its tokens per request (instead of --from-estimate or --spec).",
        ),
    ] = None,
    input_tokens: Annotated[
        int | None, tokens_option("--input", "Uncached input tokens per request.")
    ] = None,
    output_tokens: Annotated[
        int | None, tokens_option("--output", "Output tokens per request.", "--output-tokens")
    ] = None,
    cache_read: Annotated[int | None, tokens_option("--cache-read", "Cache-read tokens per request.")] = None,
    cache_write: Annotated[
        int | None, tokens_option("--cache-write", "5-minute cache-write tokens per request.")
    ] = None,
    cache_write_1h: Annotated[
        int | None, tokens_option("--cache-write-1h", "1-hour cache-write tokens per request.")
    ] = None,
    web_searches: Annotated[
        int | None, count_option("--web-searches", help="Web searches per request.")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME", help="Label of the workload (default: the model)."),
    ] = None,
    from_estimate: Annotated[
        Path | None,
        typer.Option(
            "--from-estimate",
            metavar="FILE",
            help="The JSON of `claude-quote estimate --format json`: one workload per model at its average request.",
        ),
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option("--spec", metavar="FILE", help="A workload spec (TOML): several named workloads."),
    ] = None,
    requests: Annotated[
        Decimal | None,
        _opt(
            "--requests",
            _parse_requests,
            "N",
            "Requests per --per in the first month (1000, 2.5k). From an estimate: default its request count.",
        ),
    ] = None,
    per: Annotated[
        PerChoice | None, choice_option(PerChoice, "--per", help="Unit of --requests (default: month).")
    ] = None,
    growth: Annotated[
        Decimal | None,
        _opt(
            "--growth",
            _parse_growth,
            "PERCENT",
            "Growth per month in percent, compounding: 5 or 5%; above -100 (default 0).",
        ),
    ] = None,
    months: Annotated[int, _opt("--months", _parse_months, "N", "Horizon in months (1 to 1,200).")] = 12,
    start: Annotated[
        str | None,
        typer.Option("--start", metavar="YYYY-MM", help="First month (default: next month, UTC)."),
    ] = None,
    month_length: Annotated[
        MonthLengthChoice,
        choice_option(
            MonthLengthChoice,
            "--month-length",
            help="calendar: the days of each month; average: 30.4375 days. Matters for --per day|week.",
        ),
    ] = MonthLengthChoice.calendar,
    batch_share: Annotated[
        Decimal | None,
        share_option(
            "--batch-share",
            help="Blend: this share of requests in batch, the rest real time: 0.7 or 70%. Overrides the spec.",
        ),
    ] = None,
    cache_hit_rate: Annotated[
        Decimal | None,
        share_option(
            "--cache-hit-rate",
            help="In batch, this share of the cacheable prompt (cache reads + writes) is read from the "
            "cache, the rest written to the 1-hour cache: 0.5 or 50%. Overrides the spec.",
        ),
    ] = None,
    geo: GeoOption = None,
    fast: FastOption = None,
    compare_models: Annotated[
        str | None,
        typer.Option(
            "--compare",
            metavar="MODELS",
            help="What-if: the same workloads on each model (comma-separated: opus,sonnet,haiku,sonnet-4.6), "
            "in each mode, ranked by average monthly cost; MODEL, if given, is ranked too.",
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", metavar="FILE", help="Draw monthly costs and cumulative savings (.png or .svg)."
        ),
    ] = None,
    pricing: PricingOption = None,
    output_format: FormatOption = OutputFormat.table,
    quiet: QuietOption = False,
) -> None:
    """Project monthly and yearly cost as work grows: real time vs batch, savings, and what-if.

    Give the work one of three ways: MODEL with tokens per request (--input 2k --output 500), an
    estimate (--from-estimate), or a workload spec (--spec). Prices are those in effect on the first
    day of each month; requests are rounded half-even to whole requests each month.
    """

    with user_errors(_FLAGS):
        tokens = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_tokens": cache_read,
            "cache_write_5m_tokens": cache_write,
            "cache_write_1h_tokens": cache_write_1h,
            "web_search_requests": web_searches,
        }
        workloads = _workloads(
            model, tokens, name, from_estimate, spec, requests, per, growth, batch_share, cache_hit_rate
        )
        modifiers = {k: v for k, v in (("geo", geo_value(geo)), ("fast", fast)) if v is not None}
        if modifiers:  # like --batch-share, they override the spec's
            workloads = [w.model_copy(update=modifiers) for w in workloads]
        from ._common import table_from

        table = table_from(pricing)
        length: MonthLength = "average" if month_length is MonthLengthChoice.average else "calendar"
        source = (
            (str(spec), "workloads") if spec else (str(from_estimate), "by_model") if from_estimate else None
        )
        with _file_errors(source, workloads):
            report = _report(model, workloads, compare_models, plot, start, months, length, table)
        emit_report(report, output_format.value, quiet=quiet)


@contextmanager
def _file_errors(source: tuple[str, str] | None, workloads: list[Workload]) -> Iterator[None]:
    """Errors about the workloads of a file name the file and the key: ``workloads[0] (chat).model`` in
    a spec, ``by_model[1] (claude-x).model`` in an estimate report. ``source`` is (file, list key)."""
    from claude_quote.errors import ClaudeQuoteError, UnknownModelError
    from claude_quote.validation import in_workload

    try:
        yield
    except ClaudeQuoteError as exc:
        if source is None:
            raise
        named = [(w.name, w.model) for w in workloads]
        mine = any(str(exc).startswith(f"workload {name!r}") for name, _ in named) or (
            isinstance(exc, UnknownModelError) and exc.name in {model for _, model in named}
        )
        if not mine:
            raise  # an option's error (--compare, --start): the flag says where
        raise in_workload(exc, origin=source[0], workloads=named, key=source[1]) from None


def _report(
    model: str | None,
    workloads: list[Workload],
    compare_models: str | None,
    plot: Path | None,
    start: str | None,
    months: int,
    length: MonthLength,
    table: PriceTable,
) -> object:
    from claude_quote.projections import project

    if compare_models is not None:
        from claude_quote.projections import compare  # the what-if: imported only for it

        if plot is not None:
            raise _usage("--plot draws a projection; it cannot be combined with --compare")
        # MODEL is one of the scenarios too (listed again in --compare, it is ranked once)
        models = ([model] if model is not None else []) + _model_list(compare_models)
        return compare(workloads, models, start=start, months=months, month_length=length, table=table)
    result = project(workloads, start=start, months=months, month_length=length, table=table)
    if plot is not None:
        from claude_quote.render.plot import plot_projection

        typer.echo(f"wrote {plot_projection(result, plot)}", err=True)
    return result


_FLAGS = {"start": "--start", "growth_percent": "--growth", "months": "--months"}
"""The flag of each library argument a projection error may name."""


def _usage(message: str) -> Exception:
    from claude_quote.errors import UsageError

    return UsageError(message)


_TOKEN_FLAGS = {
    "input_tokens": "--input",
    "output_tokens": "--output",
    "cache_read_tokens": "--cache-read",
    "cache_write_5m_tokens": "--cache-write",
    "cache_write_1h_tokens": "--cache-write-1h",
    "web_search_requests": "--web-searches",
}


def _workloads(
    model: str | None,
    tokens: dict[str, int | None],
    name: str | None,
    from_estimate: Path | None,
    spec: Path | None,
    requests: Decimal | None,
    per: PerChoice | None,
    growth: Decimal | None,
    batch_share: Decimal | None,
    cache_hit_rate: Decimal | None,
) -> list[Workload]:
    """The workloads the options describe: exactly one of MODEL, --from-estimate, --spec."""
    from claude_quote.workload_spec import workloads_from_estimate

    _check_one_source(model, tokens, name, from_estimate, spec)
    overrides = {
        key: value
        for key, value in (("batch_share", batch_share), ("cache_hit_rate", cache_hit_rate))
        if value is not None
    }
    if spec is not None:
        found = _spec_workloads(spec, requests, per, growth)
    elif from_estimate is not None:
        found = workloads_from_estimate(
            from_estimate,
            requests=requests,
            per=per.value if per else "month",
            growth_percent=growth if growth is not None else 0,
        )
    else:
        assert model is not None
        found = [_model_workload(model, tokens, name, requests, per, growth)]
    return [w.model_copy(update=overrides) for w in found] if overrides else found


def _check_one_source(
    model: str | None,
    tokens: dict[str, int | None],
    name: str | None,
    from_estimate: Path | None,
    spec: Path | None,
) -> None:
    """The work is given one way, and tokens per request and --name only with MODEL."""
    sources = [
        label
        for label, value in (("MODEL", model), ("--from-estimate", from_estimate), ("--spec", spec))
        if value
    ]
    if len(sources) != 1:
        raise _usage(
            "give the work one way: MODEL with tokens per request, --from-estimate FILE or --spec FILE"
            + (f" (got {' and '.join(sources)})" if sources else "")
        )
    given_tokens = [_TOKEN_FLAGS[key] for key, value in tokens.items() if value is not None]
    if model is None and given_tokens:
        raise _usage(f"{', '.join(given_tokens)}: tokens per request go with MODEL, not with {sources[0]}")
    if model is None and name is not None:
        raise _usage(f"--name labels a MODEL workload; {sources[0]} names its own workloads")


def _spec_workloads(
    spec: Path, requests: Decimal | None, per: PerChoice | None, growth: Decimal | None
) -> list[Workload]:
    """The workloads of a spec file, which gives each one's volume and growth (not the flags)."""
    from claude_quote.workload_spec import load_workload_spec

    extra = [
        flag
        for flag, value in (("--requests", requests), ("--per", per), ("--growth", growth))
        if value is not None
    ]
    if extra:
        raise _usage(f"{', '.join(extra)}: the spec gives each workload's volume and growth; edit {spec}")
    return load_workload_spec(spec).to_workloads()


def _model_workload(
    model: str,
    tokens: dict[str, int | None],
    name: str | None,
    requests: Decimal | None,
    per: PerChoice | None,
    growth: Decimal | None,
) -> Workload:
    """One workload from MODEL, its tokens per request and --requests per --per."""
    from claude_quote.usage import Usage
    from claude_quote.workload_spec import Workload

    if requests is None:
        raise _usage(
            "--requests is required with MODEL: how many requests per --per (e.g. --requests 1000 --per day)"
        )
    return Workload(
        name=name or model,
        model=model,
        usage=Usage(**{key: value or 0 for key, value in tokens.items()}),
        requests=requests,
        per=per.value if per else "month",
        growth_percent=growth if growth is not None else Decimal(0),
    )


def _model_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise _usage(f"--compare {text!r}: name at least one model, e.g. --compare opus,sonnet,haiku")
    return names
