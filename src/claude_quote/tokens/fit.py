"""Fitting the counting model to measured Claude counts: a fixed part and a factor per content class.

One routine serves both the shipped factors (``benchmarks/token_accuracy.py`` fits them on public
``count_tokens`` measurements) and ``claude-quote calibrate`` (which fits them on a batch's actual
usage). The model of a request's prompt, in Claude tokens, is

    actual − known = intercept + Σ_c factor_c × cl100k_c

where ``known`` is what is counted without the model (images, PDF pages, the tool-use system prompt),
``cl100k_c`` is the request's tiktoken count apportioned to content class ``c`` by the class scan
(:func:`apportion`), and ``intercept`` is the fixed per-request part (the framing Claude adds around
the messages, when it is learned rather than known).

**Weighted least squares with a prior.** Each request is weighted by ``1 ÷ actual ** 1.5``
(:data:`WEIGHT_POWER`), so neither a 10-token request nor a 10,000-token one drowns the other. Every
parameter is pulled toward its prior value (the shipped factors and framing) by a
pseudo-observation worth :data:`PRIOR_REQUESTS` average requests: with two short requests the prior
wins and a fixed framing cannot turn into a ×3 factor; with hundreds of requests the data wins. A class
that does not occur in the data keeps its prior factor exactly.

Everything is plain Python floats: these are token estimates, not money (the result is rounded to
whole tokens before any price is applied).

>>> s = [Sample(raw=10, chars=(40, 0, 0, 0, 0, 0, 0, 0), actual=19), Sample(raw=20, chars=(80, 0, 0, 0, 0, 0, 0, 0), actual=29)]
>>> f = fit(s, tau=(0.25,) * 8, prior_factors=(1.0,) * 8, prior_intercept=7.0, prior_requests=1e-6)
>>> round(f.intercept, 2), round(f.factors[0], 2)
(9.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "LEVEL_PRIOR_REQUESTS",
    "MIN_FACTOR",
    "PRIOR_REQUESTS",
    "RARE_CLASS_PRIOR",
    "WEIGHT_POWER",
    "ErrorSummary",
    "Fit",
    "Sample",
    "apportion",
    "fit",
    "fit_features",
    "fit_linear",
    "fit_scaled",
    "summarize_errors",
]

PRIOR_REQUESTS = 5.0
"""How many average requests the prior (shipped factors and framing) is worth in a fit."""


WEIGHT_POWER = 1.5
"""Each request is weighted by ``1 ÷ actual ** WEIGHT_POWER``: between 1 (the variance of a count,
which lets long texts dominate) and 2 (relative errors, every request alike). 1.5 fitted the public
measurements best of 1, 1.5 and 2 on the fit split (benchmarks/token_accuracy.py)."""

LEVEL_PRIOR_REQUESTS = 2.0
"""How many requests the default model is worth in :func:`fit_scaled`'s first step (the fixed part and
the overall level): two short requests stay near the default, a hundred are pulled by 2%."""

MIN_FACTOR = 0.01
"""Fitted factors are at least this: text always costs tokens (data that cannot tell text from the
fixed part, such as requests all of one size, could otherwise give 0)."""

RARE_CLASS_PRIOR = 0.1
"""A class rare in the data is pulled toward its prior at least as strongly as ``RARE_CLASS_PRIOR`` ×
an average class: a handful of ``©`` signs must not set the factor of every accented letter."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured request (or text): its tiktoken count, class scan, and Claude's count."""

    raw: int
    """tiktoken ``cl100k_base`` tokens of the text."""
    chars: tuple[int, ...]
    """Characters per content class (:func:`claude_quote.tokens.classes.scan`)."""
    actual: float
    """Claude's count minus what is known without the model (fixed tokens; framing when not fitted)."""


@dataclass(frozen=True, slots=True)
class Fit:
    """The fitted parameters."""

    factors: tuple[float, ...]
    """Claude tokens per cl100k_base token, per content class."""
    intercept: float
    """The fixed per-request part (0 when it was not fitted)."""
    samples: int


def apportion(raw: int, chars: Sequence[int], tau: Sequence[float]) -> list[float]:
    """``raw`` tiktoken tokens split across the classes in proportion to ``chars × tau``.

    ``tau`` is cl100k_base tokens per character of each class (a property of cl100k_base, stored in
    the token data), so a text of 400 English letters and 100 CJK characters is mostly CJK tokens.

    >>> apportion(30, (40, 0, 0, 0, 0, 0, 0, 10), (0.25, 1, 1, 1, 1, 1, 1, 1.0))
    [15.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 15.0]
    """
    weights = [c * t for c, t in zip(chars, tau, strict=True)]
    total = sum(weights)
    if total <= 0:
        return [float(raw) if i == 0 else 0.0 for i in range(len(weights))]
    return [raw * w / total for w in weights]


def fit(
    samples: Sequence[Sample],
    *,
    tau: Sequence[float],
    prior_factors: Sequence[float],
    prior_intercept: float | None,
    prior_requests: float = PRIOR_REQUESTS,
) -> Fit:
    """Fit class factors (and, unless ``prior_intercept`` is None, a fixed part) to ``samples``.

    Raises:
        ValueError: no samples, or the sizes of ``tau`` and ``prior_factors`` differ.
    """
    if not samples:
        raise ValueError("no samples to fit")
    k = len(prior_factors)
    if len(tau) != k:
        raise ValueError(f"tau has {len(tau)} classes, prior_factors {k}")
    return fit_features(
        [apportion(s.raw, s.chars, tau) for s in samples],
        [s.actual for s in samples],
        prior_factors=prior_factors,
        prior_intercept=prior_intercept,
        prior_requests=prior_requests,
    )


def fit_features(
    features: Sequence[Sequence[float]],
    targets: Sequence[float],
    *,
    prior_factors: Sequence[float],
    prior_intercept: float | None,
    prior_requests: float = PRIOR_REQUESTS,
) -> Fit:
    """:func:`fit` on requests already apportioned to the classes (tiktoken tokens per class).

    >>> f = fit_features([[10.0, 0.0], [20.0, 0.0]], [19, 29], prior_factors=[1.0, 0.5], prior_intercept=7.0, prior_requests=1e-6)
    >>> round(f.intercept, 2), [round(x, 2) for x in f.factors]
    (9.0, [1.0, 0.5])
    """
    if not targets:
        raise ValueError("no samples to fit")
    k = len(prior_factors)
    rows = [[*row, 1.0] if prior_intercept is not None else list(row) for row in features]
    prior = [*prior_factors, *([prior_intercept] if prior_intercept is not None else [])]
    beta = fit_linear(rows, targets, prior, prior_requests=prior_requests)
    factors = tuple(max(b, MIN_FACTOR) for b in beta[:k])
    intercept = max(beta[k], 0.0) if prior_intercept is not None else 0.0
    return Fit(factors=factors, intercept=intercept, samples=len(targets))


def fit_scaled(
    features: Sequence[Sequence[float]],
    targets: Sequence[float],
    *,
    prior_factors: Sequence[float],
    prior_intercept: float,
    level_prior_requests: float = LEVEL_PRIOR_REQUESTS,
    prior_requests: float = PRIOR_REQUESTS,
) -> Fit:
    """Calibration's fit, in two steps, so that what the data cannot tell apart keeps its default.

    1. The fixed part and one scale for all the prior factors (``target ≈ intercept + scale ×
       Σ prior_c × x_c``). The prior is ``level_prior_requests`` pseudo-requests shaped like the data
       and counted by the prior model (every request again, with weight ``level_prior_requests ÷ n``
       and its default count as target): it weighs as much as that many requests whatever the units, so two
       requests cannot move far from the default and hundreds are barely pulled. A vanishing direct
       prior settles what the data cannot tell apart (requests all of one size: the default framing).
    2. The factor of each class, on ``target − intercept``, pulled toward ``scale × prior_c`` with
       the weight of ``prior_requests`` average requests' information about it: a class moves away
       from the scaled default only as far as the data demand, so classes that always come in the
       same proportion keep their default ratio.

    >>> f = fit_scaled([[10.0, 0.0], [20.0, 0.0], [40.0, 0.0]] * 20, [22, 35, 61] * 20, prior_factors=[1.0, 0.5], prior_intercept=7.0)
    >>> round(f.intercept, 1), [round(x, 2) for x in f.factors]
    (8.9, [1.3, 0.64])
    """
    if not targets:
        raise ValueError("no samples to fit")
    n = len(targets)
    combined = [[sum(p * x for p, x in zip(prior_factors, row, strict=True)), 1.0] for row in features]
    defaults = [prior_intercept + row[0] for row in combined]
    scale, intercept = fit_linear(
        [*combined, *combined],
        [*targets, *defaults],
        [1.0, prior_intercept],
        prior_requests=1e-6,
        multipliers=[1.0] * n + [level_prior_requests / n] * n,
    )
    scale, intercept = max(scale, 0.0), max(intercept, 0.0)
    step = fit_features(
        features,
        [t - intercept for t in targets],
        prior_factors=[scale * p for p in prior_factors],
        prior_intercept=None,
        prior_requests=prior_requests,
    )
    return Fit(factors=step.factors, intercept=intercept, samples=n)


def fit_linear(
    rows: Sequence[Sequence[float]],
    targets: Sequence[float],
    prior: Sequence[float],
    *,
    prior_requests: float = PRIOR_REQUESTS,
    multipliers: Sequence[float] | None = None,
) -> list[float]:
    """Weighted least squares of ``targets`` on ``rows`` (see :data:`WEIGHT_POWER`), pulled toward ``prior``.

    The prior of each coefficient is worth ``prior_requests`` average rows of information about it;
    a coefficient whose column is all zero is the prior exactly. ``multipliers`` scale each row's weight.

    >>> [round(b, 3) for b in fit_linear([[1, 0], [2, 0]], [3, 6], [1.0, 5.0], prior_requests=1e-6)]
    [3.0, 5.0]
    """
    size = len(prior)
    # Normal equations of weighted least squares: (XᵀWX + Λ) β = XᵀWy + Λ β₀.
    xtx = [[0.0] * size for _ in range(size)]
    xty = [0.0] * size
    info = [0.0] * size
    scales = multipliers if multipliers is not None else [1.0] * len(targets)
    for row, target, scale in zip(rows, targets, scales, strict=True):
        w = scale / max(target, 1.0) ** WEIGHT_POWER
        for i in range(size):
            wi = w * row[i]
            if wi == 0.0:
                continue
            xty[i] += wi * target
            info[i] += wi * row[i]
            for j in range(size):
                xtx[i][j] += wi * row[j]
    n = max(len(targets), 1)
    floor = max(sum(info) / size / n * RARE_CLASS_PRIOR, 1e-12)
    for i in range(size):
        strength = prior_requests * max(info[i] / n, floor)
        xtx[i][i] += strength
        xty[i] += strength * prior[i]
    return _solve(xtx, xty)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve ``a x = b`` (Gaussian elimination with partial pivoting; ``a`` is positive definite)."""
    n = len(b)
    m = [[*row, rhs] for row, rhs in zip(a, b, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if m[col][col] == 0.0:
            raise ValueError("singular system")  # pragma: no cover - the prior keeps it regular
        for r in range(col + 1, n):
            ratio = m[r][col] / m[col][col]
            if ratio:
                for c in range(col, n + 1):
                    m[r][c] -= ratio * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


@dataclass(frozen=True, slots=True)
class ErrorSummary:
    """How far predictions are from actual counts, per request: ``(predicted − actual) ÷ actual``."""

    samples: int
    mean_abs: float
    mean_signed: float
    p5: float
    """5th percentile of the relative error (linear interpolation between order statistics)."""
    p95: float
    aggregate: float
    """``(Σ predicted − Σ actual) ÷ Σ actual``: the error of a total."""
    r2: float
    """Coefficient of determination of the predicted counts (1 − SSres ÷ SStot)."""


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize_errors(predicted: Sequence[float], actual: Sequence[float]) -> ErrorSummary:
    """Per-request relative errors of ``predicted`` against ``actual`` (each actual above 0).

    >>> e = summarize_errors([11, 9, 20], [10, 10, 20])
    >>> round(e.mean_abs, 4), round(e.mean_signed, 4), e.aggregate
    (0.0667, 0.0, 0.0)
    """
    if not actual or len(predicted) != len(actual):
        raise ValueError("need as many predictions as actual counts, at least one")
    errors = sorted((p - a) / a for p, a in zip(predicted, actual, strict=True))
    n = len(errors)
    mean = sum(actual) / n
    ss_tot = sum((a - mean) ** 2 for a in actual)
    ss_res = sum((p - a) ** 2 for p, a in zip(predicted, actual, strict=True))
    return ErrorSummary(
        samples=n,
        mean_abs=sum(abs(e) for e in errors) / n,
        mean_signed=sum(errors) / n,
        p5=_quantile(errors, 0.05),
        p95=_quantile(errors, 0.95),
        aggregate=(sum(predicted) - sum(actual)) / sum(actual),
        r2=1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0),
    )
