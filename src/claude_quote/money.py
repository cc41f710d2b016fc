"""Exact money arithmetic: the units prices are quoted in, and the one Decimal context we compute in.

No float ever touches a price. Rates are ``Decimal`` per unit (``PER_MTOK`` tokens, ``PER_THOUSAND``
searches); amounts are computed by the pricing engine (:mod:`claude_quote.engine`) in the ``EXACT``
context and never rounded — rounding belongs to the renderers (:mod:`claude_quote.render.format`).

>>> decimal_str(Decimal("7.50"))
'7.5'
>>> decimal_str(Decimal("1E+2"))
'100'
"""

from __future__ import annotations

import decimal
from decimal import Decimal

__all__ = [
    "EXACT",
    "MAX_COUNT",
    "MAX_PLACES",
    "PER_MTOK",
    "PER_THOUSAND",
    "decimal_str",
    "from_units",
    "plain",
    "to_decimal",
]

PER_MTOK = 1_000_000
"""Token prices are quoted in USD per million tokens (keys ending ``_per_mtok``)."""

PER_THOUSAND = 1_000
"""Per-use fees such as web search are quoted in USD per thousand uses (keys ending ``_per_thousand``)."""

EXACT = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""The context money is computed in: any operation that would have to round raises instead."""

MAX_COUNT = 10**18
"""The largest count (tokens, requests, searches) claude-quote takes from any input: a quintillion, far
beyond any bill, so that sums of counts times rates stay inside :data:`EXACT`'s 60 digits."""

MAX_PLACES = 18
"""The most decimal places a price or an amount read from an input may have (``to_decimal(...,
places=MAX_PLACES)``): no real figure has more, and exact sums of such figures stay inside
:data:`EXACT`'s 60 digits."""


def to_decimal(value: object, *, what: str = "value", places: int | None = None) -> Decimal:
    """Convert an int, str or Decimal to Decimal, refusing floats and bools (which carry binary error).

    Also refused: a value that is not finite, or larger than :data:`MAX_COUNT` either way (no real
    figure is; ``1e999999`` would not fit exact arithmetic), and with ``places``, one with more decimal
    places (``1E-100`` added to a price would need a hundred digits).

    >>> to_decimal("7.50"), to_decimal(3)
    (Decimal('7.50'), Decimal('3'))
    >>> to_decimal("1e999999", what="amount")
    Traceback (most recent call last):
    ...
    ValueError: amount '1e999999' is too large: more than 1,000,000,000,000,000,000
    """
    if isinstance(value, (bool, float)):
        raise ValueError(
            f"{what} must be written as a decimal string or integer, not {type(value).__name__} "
            f"{value!r} (floats cannot represent most prices exactly)"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except decimal.InvalidOperation:
            raise ValueError(f"{what} {_short(value)} is not a decimal number") from None
    else:
        raise ValueError(f"{what} must be a decimal string or integer, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{what} {_short(value)} is not a finite number")
    if not result.is_zero():
        if result.adjusted() > 18 or abs(result) > MAX_COUNT:
            raise ValueError(f"{what} {_short(value)} is too large: more than {MAX_COUNT:,}")
        if places is not None and _normalize(result).as_tuple().exponent < -places:  # type: ignore[operator]
            raise ValueError(f"{what} {_short(value)} has more than {places} decimal places")
    return result


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def plain(value: Decimal) -> Decimal:
    """The same value without trailing zeros or an exponent: ``50.0`` → ``50``, ``5E+1`` → ``50``.

    >>> plain(Decimal("50.0")), plain(Decimal("5E+1")), plain(Decimal("0.50"))
    (Decimal('50'), Decimal('50'), Decimal('0.5'))
    >>> plain(Decimal("1.00000000000000000000000000000000001"))  # more digits than the default context
    Decimal('1.00000000000000000000000000000000001')
    >>> plain(Decimal("1E+30"))  # an integer of more digits than the default context
    Decimal('1000000000000000000000000000000')
    """
    normal = _normalize(value)
    if normal.adjusted() >= 0 and normal == normal.to_integral_value():
        return normal.quantize(_ONE, context=_WIDE)  # any number of digits: exact
    return normal


def from_units(units: int, exponent: int) -> Decimal:
    """``units × 10^exponent`` as :func:`plain` writes it: what the pricing engine's integer
    arithmetic (:meth:`~claude_quote.engine.Engine.amount`) turns back into money.

    More than 60 significant digits is more than :data:`EXACT` holds: ``decimal.Inexact``, as the
    same sum in Decimal would raise.

    >>> from_units(1_500, -2), from_units(1_500, -3), from_units(7, 2), from_units(-25, -1)
    (Decimal('15'), Decimal('1.5'), Decimal('700'), Decimal('-2.5'))
    """
    if not -_TOO_MANY_DIGITS < units < _TOO_MANY_DIGITS:
        EXACT.create_decimal(units)  # raises decimal.Inexact (60 significant digits at most)
    if exponent >= 0:
        return Decimal(units * 10**exponent)
    scale = _POWERS[-exponent] if -exponent < len(_POWERS) else 10**-exponent
    if units % 10:  # no trailing zero: already as plain as it gets
        return Decimal(units).scaleb(exponent, _WIDE)
    if units % scale == 0:
        return Decimal(units // scale)
    return Decimal(units).scaleb(exponent, _WIDE).normalize(_WIDE)


def decimal_str(value: Decimal) -> str:
    """The exact value as a plain decimal string: no exponent, no trailing zeros (``7.50`` → ``"7.5"``)."""
    text = str(value)
    if "E" not in text and (text[-1] != "0" or "." not in text):  # already plain: most values
        return "0" if text == "-0" else text
    if not value:
        return "0"
    return format(_normalize(value), "f")


def _normalize(value: Decimal) -> Decimal:
    """``value.normalize()`` without rounding: the default context would cut it to 28 digits."""
    if -_SAFE_EXPONENT < value.adjusted() < _SAFE_EXPONENT:
        return value.normalize(_WIDE)
    return value.normalize(decimal.Context(prec=max(len(value.as_tuple().digits), 1)))


_ONE = Decimal(1)
_WIDE = decimal.Context(prec=decimal.MAX_PREC, Emax=999_999, Emin=-999_999)
"""Precision enough for any value: nothing is rounded. Exponent limits as Python's default context."""
_SAFE_EXPONENT = 990_000
"""Values whose adjusted exponent is well inside those limits normalize alike in any precision."""
_TOO_MANY_DIGITS = 10**60
_POWERS = tuple(10**n for n in range(40))
