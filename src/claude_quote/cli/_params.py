"""How option values are read, the same way in every command: counts, shares, percentages, dates, choices.

Each parser (given to typer as an option's ``parser``) turns a bad value into ``typer.BadParameter``
with a plain message, so the error names the option (``Invalid value for '--at': ...``) and never shows the wording of the library typer validates
with. One spelling means one thing everywhere:

- a **share** (``--cache-hit-rate``, ``--batch-share``) is a number from 0 to 1 or a percentage:
  ``0.5`` and ``50%`` are the same;
- a **percentage** (``--growth``) is a number of percent, with or without the sign: ``5`` and ``5%``
  are the same;
- a **count** (``--requests``, ``--sample``, ...) is a whole number, written like a token count
  (``1000``, ``2.5k``, ``1,000``);
- a **date** is ``YYYY-MM-DD``.

>>> parse_share("50%"), parse_share("0.5")
(Decimal('0.5'), Decimal('0.5'))
>>> parse_percent("5%"), parse_percent("-2.5")
(Decimal('5'), Decimal('-2.5'))
>>> parse_count("2.5k", minimum=1)
2500
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

import typer

__all__ = [
    "choice_option",
    "count_option",
    "parse_choice",
    "parse_count",
    "parse_day",
    "parse_percent",
    "parse_share",
    "percent_option",
    "share_option",
]

E = TypeVar("E", bound=Enum)

_SHARE_HINT = "write a number from 0 to 1 (0.5) or a percentage (50%)"


def _number(text: str, hint: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace("_", ""))
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not a number; {hint}") from None
    if not value.is_finite():
        raise typer.BadParameter(f"{text!r} is not a finite number; {hint}")
    return value


def parse_share(text: str | Decimal) -> Decimal:
    """A share of a whole: ``0.5`` or ``50%`` (both are one half), from 0 to 1 inclusive."""
    if isinstance(text, Decimal):
        return text
    raw = text.strip()
    percent = raw.endswith("%")
    value = _number(raw.removesuffix("%"), _SHARE_HINT)
    if percent:
        value /= 100
    if not 0 <= value <= 1:
        shown = f"{raw} is above 100%" if value > 1 else f"{raw} is negative"
        if value > 1 and not percent:
            shown = f"{raw} is more than 1 (did you mean {raw}%?)"
        raise typer.BadParameter(f"{shown}; {_SHARE_HINT}")
    return value


def parse_percent(text: str | Decimal) -> Decimal:
    """A number of percent: ``5`` or ``5%`` (both are five percent); may be negative."""
    if isinstance(text, Decimal):
        return text
    return _number(text.strip().removesuffix("%"), "write a number of percent, e.g. 5 or 5%")


def parse_count(text: str | int, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number written like a token count (``1000``, ``2.5k``, ``1,000``), from ``minimum`` to
    ``maximum``."""
    from claude_quote.errors import UsageError
    from claude_quote.usage import parse_token_count

    if isinstance(text, int):  # a default, passed through the parser by typer
        return text
    raw = text.strip()
    if raw.startswith("-") and raw[1:].replace(",", "").replace("_", "").isdigit():
        raise typer.BadParameter(f"{raw} is negative; give {minimum} or more")
    try:
        value = parse_token_count(raw, what="")
    except UsageError as exc:
        if "no real count is that large" in str(exc):  # a whole number, beyond the bound on counts
            raise typer.BadParameter(str(exc).strip()) from None
        raise typer.BadParameter(f"{text!r} is not a whole number; write e.g. 1000, 2.5k or 1,000") from None
    if value < minimum:
        raise typer.BadParameter(f"{raw} is too small; give {minimum:,} or more")
    if maximum is not None and value > maximum:
        raise typer.BadParameter(f"{raw} is too large; give at most {maximum:,}")
    return value


def parse_day(text: str | date | None) -> date | None:
    """``YYYY-MM-DD`` → date."""
    if text is None or isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2026-09-01") from None


def parse_choice(text: str | E, choices: type[E], hints: dict[str, str] | None = None) -> E:
    """One of an enum's values, in any case; an unknown value lists the choices (and ``hints[value]``)."""
    if isinstance(text, choices):
        return text
    raw = str(text).strip()
    for choice in choices:
        if str(choice.value).lower() == raw.lower():
            return choice
    names = [str(c.value) for c in choices]
    listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    hint = (hints or {}).get(raw.lower())
    raise typer.BadParameter(f"{raw!r} is not one of {listed}" + (f"; {hint}" if hint else ""))


def _option(flags: tuple[str, ...], parser: Callable[[Any], Any], metavar: str, help_text: str) -> Any:
    return typer.Option(*flags, parser=parser, metavar=metavar, help=help_text)


def count_option(
    *flags: str,
    help: str,
    minimum: int = 0,
    maximum: int | None = None,
    metavar: str = "N",
) -> Any:
    """An option that takes a whole number (``1000``, ``2.5k``, ``1,000``) from ``minimum`` to ``maximum``."""
    return _option(flags, lambda text: parse_count(text, minimum=minimum, maximum=maximum), metavar, help)


def share_option(*flags: str, help: str, metavar: str = "SHARE") -> Any:
    """An option that takes a share: ``0.7`` or ``70%``."""
    return _option(flags, parse_share, metavar, help)


def percent_option(*flags: str, help: str, metavar: str = "PERCENT") -> Any:
    """An option that takes a number of percent: ``5`` or ``5%``."""
    return _option(flags, parse_percent, metavar, help)


def choice_option(
    choices: type[E],
    *flags: str,
    help: str,
    hints: dict[str, str] | None = None,
    metavar: str | None = None,
) -> Any:
    """An option that takes one of an enum's values (any case), listed in the help as ``a|b|c``."""
    shown = metavar or "|".join(str(c.value) for c in choices)
    return _option(flags, lambda text: parse_choice(text, choices, hints), shown, help)
