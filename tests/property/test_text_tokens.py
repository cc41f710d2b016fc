"""``CountingModel.text_tokens`` sums an ASCII text's classes only up to the ASCII ones: the same
float, bit for bit, as the sum over every class it replaced (the module docs of
``claude_quote.tokens.correction`` say why), for any counts and any finite factors.

The reference is the formula as it was written before: every class, ``chars × tau`` in class order.
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal
from operator import mul

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote.tokens.classes import ASCII_CLASSES, CLASSES, JOINS, scan
from claude_quote.tokens.correction import CountingModel, TokenMethod, counting_model_for_tokenizer

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NCLASSES = len(CLASSES)


def _reference(model: CountingModel, raw: int, chars: tuple[int, ...]) -> float:
    """The sum over every class, int × float, as ``text_tokens`` computed it before."""
    if not raw:
        return 0.0
    den: float = sum(map(mul, chars, model.tau))
    effective: float = raw + sum(map(mul, chars[NCLASSES:], model.joins))
    if den <= 0:
        assert model.factors is not None
        return effective * model.factors[0]
    num: float = sum(map(mul, chars, model.weights))
    return effective * num / den


def _bits(value: float) -> bytes:
    """The float's bytes: ``-0.0`` differs from ``0.0``, and a NaN equals itself."""
    return struct.pack("<d", value)


def _model(tau: list[float], factors: list[float], joins: list[float]) -> CountingModel:
    base = counting_model_for_tokenizer("claude-3")
    return CountingModel(
        method=TokenMethod.model_validate(base.method.model_dump()),
        tau=tuple(tau),
        factors=tuple(factors),
        factor_num=0,
        factor_den=1,
        request_tokens=7.0,
        message_tokens=3.0,
        system_tokens=0.0,
        tool_factor=1.0,
        band=None,
        joins=tuple(joins),
    )


finite = st.floats(allow_nan=False, allow_infinity=False)
small = st.floats(min_value=-4.0, max_value=4.0, allow_nan=False)
any_float = st.floats()  # infinities and NaN too: the ASCII sums are then not used
count = st.integers(min_value=0, max_value=2**60)
ascii_chars = st.tuples(*[count] * ASCII_CLASSES).map(lambda c: (*c, *(0,) * (NCLASSES - ASCII_CLASSES)))
every_chars = st.tuples(*[count] * NCLASSES)
join_counts = st.lists(st.integers(min_value=0, max_value=10**6), min_size=0, max_size=len(JOINS))


@SETTINGS
@given(
    tau=st.lists(st.one_of(finite, small), min_size=NCLASSES, max_size=NCLASSES),
    factors=st.lists(st.one_of(finite, small), min_size=NCLASSES, max_size=NCLASSES),
    joins=st.lists(small, min_size=len(JOINS), max_size=len(JOINS)),
    raw=count,
    chars=st.one_of(ascii_chars, every_chars),
    extra=join_counts,
)
def test_the_ascii_sum_is_the_sum_over_every_class(
    tau: list[float],
    factors: list[float],
    joins: list[float],
    raw: int,
    chars: tuple[int, ...],
    extra: list[int],
) -> None:
    model = _model(tau, factors, joins)
    count_ = (raw, (*chars, *extra))
    assert _bits(model.text_tokens(count_)) == _bits(_reference(model, raw, count_[1]))


@SETTINGS
@given(
    tau=st.lists(any_float, min_size=NCLASSES, max_size=NCLASSES),
    factors=st.lists(any_float, min_size=NCLASSES, max_size=NCLASSES),
    raw=count,
    chars=ascii_chars,
)
def test_a_factor_that_is_not_finite_sums_every_class(
    tau: list[float], factors: list[float], raw: int, chars: tuple[int, ...]
) -> None:
    model = _model(tau, factors, [0.0] * len(JOINS))
    wide = model.tau[ASCII_CLASSES:] + model.weights[ASCII_CLASSES:]
    assert bool(model.ascii_tau) == all(math.isfinite(v) for v in wide)
    assert _bits(model.text_tokens((raw, chars))) == _bits(_reference(model, raw, chars))


@SETTINGS
@given(text=st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=200) | st.text(max_size=200))
def test_the_bundled_models_on_scanned_texts(text: str) -> None:
    for tokenizer in ("claude-3", "claude-4.7"):
        model = counting_model_for_tokenizer(tokenizer)
        assert model.ascii_tau  # the bundled factors are finite: ASCII texts take the short sums
        raw = max(1, len(text) // 4)
        chars = scan(text)
        assert _bits(model.text_tokens((raw, chars))) == _bits(_reference(model, raw, chars))


def test_an_ascii_text_takes_the_short_sums() -> None:
    # the bundled claude-3 model on 40 letters (all latin, tau and factor from the data): the short
    # sums give the same float as every class, 10 × 1.041 = 10.41 as in test_tokens_model
    model = counting_model_for_tokenizer("claude-3")
    chars = (40, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert len(model.ascii_tau) == len(model.ascii_weights) == ASCII_CLASSES == 4
    assert round(model.text_tokens((10, chars)), 4) == 10.41
    assert model.text_tokens((10, chars)) == _reference(model, 10, chars)
    assert Decimal(model.text_tokens((10, (*chars[:4], 1, 0, 0, 0, 0, 0)))) != Decimal(
        model.text_tokens((10, chars))
    )  # a non-ASCII character: every class is summed
