"""The one place numbers are rounded and formatted for people. JSON and CSV never come through here."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["percent", "quantity", "rate", "tokens", "usd"]

_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")


def usd(value: Decimal) -> str:
    """Dollars for display: cents from one cent up, more digits below a cent so nothing shows as $0.00.

    >>> usd(Decimal("1234.565")), usd(Decimal("22.5")), usd(Decimal("0.0035")), usd(Decimal("0"))
    ('$1,234.56', '$22.50', '$0.0035', '$0.00')
    >>> usd(Decimal("-3.2")), usd(Decimal("0.0000001"))
    ('-$3.20', '<$0.000001')
    """
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude.is_zero():
        return "$0.00"
    if magnitude >= _CENT:
        return f"{sign}${magnitude.quantize(_CENT, rounding=ROUND_HALF_EVEN):,}"
    small = magnitude.quantize(_MICRO, rounding=ROUND_HALF_EVEN)
    if small.is_zero():
        return f"{sign}<$0.000001"
    text = format(small.normalize(), "f")
    return f"{sign}${text}"


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

    >>> tokens(5_000_000)
    '5,000,000'
    """
    return f"{value:,}"


def percent(value: Decimal) -> str:
    """A percentage to two decimals, trailing zeros dropped.

    >>> percent(Decimal("50")), percent(Decimal("49.98765")), percent(Decimal("33.3"))
    ('50%', '49.99%', '33.3%')
    """
    rounded = value.quantize(_CENT, rounding=ROUND_HALF_EVEN).normalize()
    return f"{format(rounded, 'f')}%"


def quantity(value: Decimal) -> str:
    """A decimal count (requests, days, shares) with thousands separators: exact up to two decimals,
    otherwise rounded half-even to two and marked with ``≈``.

    >>> quantity(Decimal("1000")), quantity(Decimal("30.4375")), quantity(Decimal("0.7")), quantity(Decimal("2500.0"))
    ('1,000', '≈30.44', '0.7', '2,500')
    """
    normal = value.normalize() if not value.is_zero() else Decimal(0)
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent >= -2:
        whole, dot, frac = format(normal, "f").partition(".")
        return f"{int(whole):,}{dot}{frac}"
    return f"≈{value.quantize(_CENT, rounding=ROUND_HALF_EVEN):,}"
