"""The one place numbers are rounded and formatted for people. JSON and CSV never come through here.

The rounding rule (docs/cli.md, "How numbers are shown"):

- Rounding is half up (away from zero): $0.825 shows as $0.83, 12.345% as 12.35%. The exact amounts
  stay in JSON and CSV.
- Dollars show cents. An amount under a cent shows as many decimals as it needs, up to six (the
  micro-dollar), so nothing shows as $0.00 that is not zero.
- A column shows every amount with the same number of decimals: the most any amount in it needs.
- A total is the exact sum, rounded once; the rows above it are each rounded on their own, so as shown
  they may miss the total by a cent. When they do, a note under the table says so
  (:func:`usd_column`); a sentence that adds or subtracts amounts says "rounded" (:func:`usd_terms`).
- Percentages show up to two decimals, again the same number in a whole column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal

__all__ = [
    "axis_range",
    "axis_usd",
    "change_percent",
    "percent",
    "percent_apart",
    "percent_places",
    "plain",
    "quantity",
    "rate",
    "round_half_up",
    "tokens",
    "usd",
    "usd_apart",
    "usd_column",
    "usd_places",
    "usd_terms",
]

_CENT = Decimal("0.01")
MAX_PLACES = 6
"""Most decimals a dollar amount shows (the micro-dollar)."""
PERCENT_PLACES = 2
"""Most decimals a percentage shows."""


def round_half_up(value: Decimal, places: int) -> Decimal:
    """``value`` rounded half up (away from zero) to ``places`` decimals.

    >>> round_half_up(Decimal("0.825"), 2), round_half_up(Decimal("-0.825"), 2), round_half_up(Decimal("2.5"), 0)
    (Decimal('0.83'), Decimal('-0.83'), Decimal('3'))
    """
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _needed(value: Decimal, least: int, most: int, *, tiny: int) -> int:
    """Decimals ``value`` needs, from ``least`` to ``most``: its digits at ``most``, trailing zeros
    dropped; ``tiny`` when it is not zero but rounds to zero."""
    if value.is_zero():
        return least
    rounded = round_half_up(abs(value), most)
    if rounded.is_zero():
        return tiny
    exponent = rounded.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return min(most, max(least, -exponent))


def usd_places(values: Iterable[Decimal | None]) -> int:
    """Decimals a column of dollar amounts shows: 2, or more when an amount is under a cent (at most 6).

    >>> usd_places([Decimal("1234.5678"), Decimal("0.36")]), usd_places([Decimal("0.36"), Decimal("0.0035")])
    (2, 4)
    >>> usd_places([Decimal("0.000653"), Decimal("0.0000001")]), usd_places([])
    (6, 2)
    """
    places = 2
    for value in values:
        if value is not None and abs(value) < _CENT:
            places = max(places, _needed(value, 2, MAX_PLACES, tiny=MAX_PLACES))
    return places


def usd(value: Decimal, places: int | None = None) -> str:
    """Dollars for display, rounded half up: cents, or the decimals an amount under a cent needs.

    >>> usd(Decimal("1234.565")), usd(Decimal("22.5")), usd(Decimal("0.0035")), usd(Decimal("0"))
    ('$1,234.57', '$22.50', '$0.0035', '$0.00')
    >>> usd(Decimal("-3.2")), usd(Decimal("0.0000001")), usd(Decimal("0.825")), usd(Decimal("0.36"), 4)
    ('-$3.20', '<$0.000001', '$0.83', '$0.3600')
    """
    if places is None:
        places = usd_places([value])
    sign = "-" if value < 0 else ""
    rounded = round_half_up(abs(value), places)
    if rounded.is_zero() and not value.is_zero():
        return f"{sign}<${Decimal(1).scaleb(-places):f}"
    return f"{sign}${rounded:,}"


def usd_column(values: Sequence[Decimal | None], total: Decimal | None = None) -> tuple[int, bool]:
    """Decimals for a column of amounts and its total (:func:`usd_places`), and whether the rows as
    shown add up to the total as shown. ``True`` also when the total is not the exact sum of the rows
    (then there is nothing to add up).

    >>> usd_column([Decimal("2.75"), Decimal("1.1"), Decimal("0.825"), Decimal("6.875")], Decimal("11.55"))
    (2, False)
    >>> usd_column([Decimal("2.75"), Decimal("1.1")], Decimal("3.85")), usd_column([Decimal("1")], Decimal("5"))
    ((2, True), (2, True))
    """
    present = [v for v in values if v is not None]
    places = usd_places([*present, total])
    if total is None or sum(present, Decimal(0)) != total:
        return places, True
    shown = sum((round_half_up(v, places) for v in present), Decimal(0))
    return places, shown == round_half_up(total, places)


def usd_terms(
    parts: Sequence[Decimal], total: Decimal, places: int | None = None
) -> tuple[list[str], str, bool]:
    """A sum in words (``$A + $B = $T``, or ``$T − $A = $B``): the parts and the total at one number of
    decimals (``places``, e.g. those of the table the sentence sums up; by default what they need),
    and whether they add up as shown (if not, the sentence should say they are rounded).

    >>> usd_terms([Decimal("0.0351"), Decimal("0.3251")], Decimal("0.3602"))
    (['$0.04', '$0.33'], '$0.36', False)
    >>> usd_terms([Decimal("11.55"), Decimal("11.55")], Decimal("23.10"))
    (['$11.55', '$11.55'], '$23.10', True)
    """
    needed, _ = usd_column(list(parts), total)
    places = needed if places is None else max(places, needed)
    shown = sum((round_half_up(p, places) for p in parts), Decimal(0))
    added_up = sum(parts, Decimal(0)) != total or shown == round_half_up(total, places)
    return [usd(p, places) for p in parts], usd(total, places), added_up


def usd_all(values: Sequence[Decimal]) -> list[str]:
    """Amounts named in one sentence, at one number of decimals (:func:`usd_places`).

    >>> usd_all([Decimal("0.001372"), Decimal("0.015852")])
    ['$0.001372', '$0.015852']
    """
    places = usd_places(values)
    return [usd(v, places) for v in values]


def usd_apart(value: Decimal, other: Decimal) -> tuple[str, str]:
    """Two amounts that differ, shown with enough decimals (at most six) to look different.

    For a cost against a limit: $600.001 is over a $600 budget, so it must not read "$600.00".

    >>> usd_apart(Decimal("600.001"), Decimal("600")), usd_apart(Decimal("12"), Decimal("7.5"))
    (('$600.001', '$600.000'), ('$12.00', '$7.50'))
    """
    places = _apart(value, other, usd_places([value, other]))
    return usd(value, places), usd(other, places)


def percent_apart(value: Decimal, other: Decimal) -> tuple[str, str]:
    """Two percentages that differ, with enough decimals (at most six) to look different.

    >>> percent_apart(Decimal("20.001"), Decimal("20")), percent_apart(Decimal("42.5"), Decimal("45"))
    (('20.001%', '20.000%'), ('42.5%', '45.0%'))
    """
    places = _apart(value, other, percent_places([value, other]))
    return percent(value, places), percent(other, places)


def _apart(value: Decimal, other: Decimal, places: int) -> int:
    """At least ``places`` decimals, more (up to ``MAX_PLACES``) until two different values round apart."""
    while (
        places < MAX_PLACES
        and value != other
        and round_half_up(value, places) == round_half_up(other, places)
    ):
        places += 1
    return places


def rate(value: Decimal) -> str:
    """A unit price, exact, with at least two decimals.

    >>> rate(Decimal("3")), rate(Decimal("0.3")), rate(Decimal("0.025")), rate(Decimal("1.650"))
    ('$3.00', '$0.30', '$0.025', '$1.65')
    """
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"${int(whole):,}.{frac.ljust(2, '0')}"


def tokens(value: int) -> str:
    """A count with thousands separators.

    >>> tokens(5_000_000), tokens(80096)
    ('5,000,000', '80,096')
    """
    return f"{value:,}"


def percent_places(values: Iterable[Decimal | None]) -> int:
    """Decimals a column of percentages shows: what its most precise value needs, at most two.

    >>> percent_places([Decimal("50"), Decimal("46.1111")]), percent_places([Decimal("50"), Decimal("12.5")])
    (2, 1)
    >>> percent_places([Decimal("0.001")])
    0
    """
    return max((_needed(v, 0, PERCENT_PLACES, tiny=0) for v in values if v is not None), default=0)


def percent(value: Decimal, places: int | None = None) -> str:
    """A percentage, rounded half up to two decimals (trailing zeros dropped) or to ``places``.

    >>> percent(Decimal("50")), percent(Decimal("49.98765")), percent(Decimal("33.3")), percent(Decimal("12.345"))
    ('50%', '49.99%', '33.3%', '12.35%')
    >>> percent(Decimal("448.8"), 2), percent(Decimal("-25.28"))
    ('448.80%', '-25.28%')
    """
    if places is None:
        places = percent_places([value])
    rounded = round_half_up(value, places)
    if rounded.is_zero():
        rounded = abs(rounded)
    return f"{rounded:f}%"


def change_percent(value: Decimal, places: int | None = None) -> str:
    """A change in percent with its sign: ``+20%``, ``-3.5%``, ``0%``.

    >>> change_percent(Decimal("19.999")), change_percent(Decimal("-3.5")), change_percent(Decimal("0.001"))
    ('+20%', '-3.5%', '0%')
    """
    text = percent(value, places)
    return text if text.startswith("-") or text.strip("0.%") == "" else f"+{text}"


def quantity(value: Decimal) -> str:
    """A decimal count (requests, days, shares) with thousands separators: exact up to two decimals,
    otherwise rounded half up to two and marked with ``≈``.

    >>> quantity(Decimal("1000")), quantity(Decimal("30.4375")), quantity(Decimal("0.7")), quantity(Decimal("2500.0"))
    ('1,000', '≈30.44', '0.7', '2,500')
    """
    normal = value.normalize() if not value.is_zero() else Decimal(0)
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent >= -2:
        whole, dot, frac = format(normal, "f").partition(".")
        return f"{int(whole):,}{dot}{frac}"
    return f"≈{round_half_up(value, 2):,}"


def plain(value: Decimal, places: int = 2) -> str:
    """A number for a chart's data (Mermaid): rounded half up, no separators, no unit.

    >>> plain(Decimal("1234.565")), plain(Decimal("-0.5")), plain(Decimal("7"))
    ('1234.57', '-0.50', '7.00')
    """
    return f"{round_half_up(value, places):f}"


def axis_range(values: Iterable[Decimal]) -> tuple[str, str]:
    """A chart's y-axis from zero (or below, for negative values) to a round number a tenth of the
    range beyond the data: two significant digits, rounded away from zero.

    >>> axis_range([Decimal("558"), Decimal("279")]), axis_range([Decimal("-1234"), Decimal("50")])
    (('0', '620'), ('-1400', '180'))
    >>> axis_range([]), axis_range([Decimal("0.0042")]), axis_range([Decimal("-1.005"), Decimal("2")])
    (('0', '1'), ('0', '0.0047'), ('-1.4', '2.4'))
    """
    found = list(values)
    low, high = min([Decimal(0), *found]), max([Decimal(0), *found])
    if low == high:
        return "0", "1"
    headroom = (high - low) / 10
    return _round_out(low - headroom if low < 0 else low), _round_out(high + headroom if high > 0 else high)


def _round_out(value: Decimal) -> str:
    if value.is_zero():
        return "0"
    step = Decimal(1).scaleb(value.copy_abs().adjusted() - 1)
    rounded = (value / step).to_integral_value(rounding=ROUND_UP) * step
    return format(rounded.normalize(), "f")


def axis_usd(value: float) -> str:
    """A chart axis tick in whole dollars, with a real minus sign: ``−$1,000``, never ``$-1,000``.

    Ticks are positions on an axis (floats drawn by matplotlib), not amounts of money.

    >>> axis_usd(-1000.0), axis_usd(2500.4), axis_usd(-0.2)
    ('−$1,000', '$2,500', '$0')
    """
    whole = round(abs(value))
    return f"{'−' if value < 0 and whole else ''}${whole:,}"
