"""Estimating a workload too large to count in full from a uniform random sample of its requests.

``claude-quote estimate --sample N [--seed S]`` streams every input once, keeping a uniform random
sample of N requests (**reservoir sampling**, Vitter's Algorithm R: the i-th request, counting from
1, replaces a random slot with probability N/i, so every set of N requests is equally likely; memory
holds N requests whatever the input's size). Counting the population while streaming is cheap
(parsing a line costs far less than tokenizing it; text files outside the sample are never read).
Only the sample is tokenized and priced, each request on its own (tiers are per request).

The total is extrapolated with the usual estimator of a population total from a simple random
sample without replacement: with n sampled requests out of a population of N, per-request costs
``x_i``, their mean ``x̄`` and sample variance ``s² = Σ(x_i − x̄)² / (n − 1)``,

    total ≈ N × x̄,     standard error SE = N × √((1 − n/N) × s² / n)

(``1 − n/N`` is the finite population correction: a sample of the whole population has no error),
and the 95% confidence interval is ``N × x̄ ± 1.96 × SE`` (the normal approximation of the central
limit theorem, good when n is at least about 30 and no handful of requests dominates the cost). The
low end is never below what the sampled requests themselves cost (they are part of the population).

Everything is Decimal: the square root is ``Decimal.sqrt()`` in a 50-digit context. The extrapolated
total and the bounds are estimates, not amounts: they are rounded to a millionth of a dollar (the
total half-even, the low bound down, the high bound up).

>>> r = Reservoir(3, seed=7)
>>> for i in range(10):
...     r.offer(i)
>>> r.seen, len(r.items()), r.items() == sorted(r.items())
(10, 3, True)
>>> e = extrapolate([Decimal(1), Decimal(3)], population=4)   # mean 2, s² 2, SE = 4 × √(0.5 × 2 / 2)
>>> e.estimate, e.standard_error, e.low, e.high   # 8 ± 1.96 × 2.828427 = 8 ± 5.543717; low ≥ 1 + 3
(Decimal('8'), Decimal('2.828427'), Decimal('4'), Decimal('13.543718'))
"""

from __future__ import annotations

import decimal
import random
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from .money import plain

__all__ = [
    "CONFIDENCE",
    "METHOD",
    "Z_95",
    "Extrapolation",
    "Reservoir",
    "SampleEstimate",
    "extrapolate",
]

Z_95 = Decimal("1.96")
"""The two-sided 95% quantile of the standard normal distribution (1.959964…), as usually rounded."""

CONFIDENCE = Decimal("0.95")

METHOD = (
    "reservoir sample (Algorithm R); total = N × mean, 95% normal interval with finite population correction"
)

_MICRO = Decimal("0.000001")
_STATS = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_EVEN)

T = TypeVar("T")


class Reservoir(Generic[T]):
    """A uniform random sample of ``size`` items from a stream of unknown length (Algorithm R).

    Deterministic for a given ``seed``. :meth:`items` returns the sample in stream order.
    """

    def __init__(self, size: int, *, seed: int) -> None:
        if size < 1:
            raise ValueError(f"a sample needs at least 1 item, got {size}")
        self.size = size
        self.seen = 0
        """Items offered so far: the population."""
        self._rng = random.Random(seed)
        self._slots: list[tuple[int, T]] = []

    def offer(self, item: T) -> None:
        """Consider one more item of the stream."""
        index = self.seen
        self.seen += 1
        if index < self.size:
            self._slots.append((index, item))
            return
        slot = self._rng.randrange(index + 1)
        if slot < self.size:
            self._slots[slot] = (index, item)

    def items(self) -> list[T]:
        """The sampled items, in the order they came."""
        return [item for _, item in sorted(self._slots, key=lambda pair: pair[0])]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Extrapolation(_Frozen):
    """A population total estimated from a sample, with its 95% confidence interval (USD)."""

    estimate: Decimal
    """N × the sample mean, rounded to $0.000001 (exact when the sample is the whole input)."""
    low: Decimal
    """Lower bound of the 95% interval (rounded down; never below the sample's own total)."""
    high: Decimal
    """Upper bound of the 95% interval (rounded up)."""
    standard_error: Decimal
    """N × √((1 − n/N) × s² / n), rounded to $0.000001."""


class SampleEstimate(_Frozen):
    """How a sampled estimate extrapolates to the whole input."""

    size: int
    """Requests in the sample (those estimated)."""
    population: int
    """Requests in the whole input."""
    seed: int
    """The random seed (rerun with ``--seed`` to get the same sample)."""
    method: str
    confidence: Decimal
    realtime: Extrapolation
    """Expected real-time cost of the whole input."""
    batch: Extrapolation | None
    """Expected batch cost of the whole input (None when a model has no batch price)."""
    worst_realtime: Extrapolation
    """Worst-case (max_tokens, no cache hits) real-time cost of the whole input."""
    worst_batch: Extrapolation | None


def extrapolate(values: list[Decimal], *, population: int) -> Extrapolation:
    """Estimate the population total of ``values`` (a simple random sample of ``population`` items).

    Raises:
        ValueError: fewer than 2 values from a larger population (no variance to estimate), or more
            values than the population.
    """
    n, size = len(values), population
    if n > size or n == 0:
        raise ValueError(f"a sample of {n} from a population of {size}")
    with decimal.localcontext(_STATS):
        total = sum(values, Decimal(0))
        if n == size:  # the whole population: its exact total, no sampling error
            exact = plain(total)
            return Extrapolation(estimate=exact, low=exact, high=exact, standard_error=Decimal(0))
        if n < 2:
            raise ValueError("a sample of 1 from a larger population has no variance to estimate")
        mean = total / n
        variance = sum(((x - mean) ** 2 for x in values), Decimal(0)) / (n - 1)
        standard_error = size * ((1 - Decimal(n) / size) * variance / n).sqrt()
        estimate = size * mean
        margin = Z_95 * standard_error
        low = max(estimate - margin, total)
        high = estimate + margin
    return Extrapolation(
        estimate=plain(estimate.quantize(_MICRO, rounding=decimal.ROUND_HALF_EVEN)),
        low=plain(low.quantize(_MICRO, rounding=decimal.ROUND_FLOOR)),
        high=plain(high.quantize(_MICRO, rounding=decimal.ROUND_CEILING)),
        standard_error=plain(standard_error.quantize(_MICRO, rounding=decimal.ROUND_HALF_EVEN)),
    )
