"""``claude-quote models``: the price table, or one model's price history."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import (
    AtOption,
    FormatOption,
    OutputFormat,
    PricingOption,
    QuietOption,
    emit_report,
    parse_date,
    table_from,
    user_errors,
)


def models(
    model: Annotated[
        str | None,
        typer.Argument(metavar="[MODEL]", help="Show this model's details and price history."),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Include retired and not-yet-released models.")
    ] = False,
    uncertain: Annotated[
        bool, typer.Option("--uncertain", help="List every fact the table flags as UNCERTAIN.")
    ] = False,
    at: AtOption = None,
    pricing: PricingOption = None,
    output_format: FormatOption = OutputFormat.table,
    quiet: QuietOption = False,
) -> None:
    """List models with the prices in effect on a date, or show one model in full."""
    from claude_quote.catalog import (
        ModelDetail,
        ModelList,
        UncertainFacts,
        describe_model,
        list_models,
        uncertain_facts,
    )

    with user_errors():
        table = table_from(pricing)
        day = parse_date(at)
        report: ModelDetail | ModelList | UncertainFacts
        if uncertain:
            report = uncertain_facts(table=table)
        elif model:
            report = describe_model(model, at=day, table=table)
        else:
            report = list_models(at=day, include_all=show_all, table=table)
        emit_report(report, output_format.value, quiet=quiet)
