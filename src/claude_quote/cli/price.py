"""``claude-quote price``: real-time vs batch cost of a number of tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import (
    AtOption,
    FormatOption,
    GeoChoice,
    OutputFormat,
    PricingOption,
    QuietOption,
    emit_report,
    parse_date,
    tokens_option,
    user_errors,
)
from ._params import choice_option, count_option


def price(
    model: Annotated[
        str,
        typer.Argument(
            metavar="MODEL",
            help="Model: API id, snapshot id, short name (sonnet-4.6) or family (sonnet).",
        ),
    ],
    input_tokens: Annotated[int, tokens_option("--input", "Uncached input tokens (usage.input_tokens).")] = 0,
    output_tokens: Annotated[
        int, tokens_option("--output", "Output tokens, thinking included.", "--output-tokens")
    ] = 0,
    cache_read: Annotated[int, tokens_option("--cache-read", "Tokens read from the prompt cache.")] = 0,
    cache_write: Annotated[int, tokens_option("--cache-write", "Tokens written to the 5-minute cache.")] = 0,
    cache_write_1h: Annotated[
        int, tokens_option("--cache-write-1h", "Tokens written to the 1-hour cache.")
    ] = 0,
    requests: Annotated[
        int | None,
        count_option(
            "--requests",
            minimum=1,
            help="Spread the tokens over N equal requests; long-context and prompt-length tiers are "
            "then applied per request. Without it, no tier is applied (and the quote says so).",
        ),
    ] = None,
    web_searches: Annotated[int, count_option("--web-searches", help="Web searches ($10 per 1,000).")] = 0,
    geo: Annotated[
        GeoChoice, choice_option(GeoChoice, "--geo", help="us: US-only inference (×1.1, Claude 4.6+).")
    ] = GeoChoice.global_,
    fast: Annotated[bool, typer.Option("--fast", help="Fast-mode rates (real time only).")] = False,
    at: AtOption = None,
    pricing: PricingOption = None,
    output_format: FormatOption = OutputFormat.table,
    fail_on_retired: Annotated[
        bool,
        typer.Option(
            "--fail-on-retired",
            help="Exit 2 instead of warning when the model is retired on the date.",
        ),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Quote real-time vs Message Batches cost for a number of tokens.

    Token counts accept 42, 5M, 2.5k, 1,000,000 or 1_000_000. --input is uncached input; the cache
    flags add to it, as in the API's usage object.
    """
    from claude_quote.cost import quote
    from claude_quote.usage import Usage

    with user_errors():
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read,
            cache_write_5m_tokens=cache_write,
            cache_write_1h_tokens=cache_write_1h,
            web_search_requests=web_searches,
        )
        from ._common import table_from

        result = quote(
            usage,
            model,
            requests=requests,
            at=parse_date(at),
            geo="us" if geo is GeoChoice.us else "global",
            fast=fast,
            table=table_from(pricing),
            fail_on_retired=fail_on_retired,
        )
        emit_report(result, output_format.value, quiet=quiet)
