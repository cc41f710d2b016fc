"""From a run's buckets to the :class:`Estimate`: each (model, tier, group) bucket priced once per
cache band and for the worst case, then summed per model, per custom_id prefix, per band and overall,
with the token and output methods that say how the figures were made.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from claude_quote.engine import Cost, Savings
from claude_quote.errors import WorkloadError
from claude_quote.pricing import ModelInfo
from claude_quote.tokens.correction import TokenMethod
from claude_quote.tokens.encoding import ENCODING_NAME
from claude_quote.usage import Usage

from .models import (
    BANDS,
    CacheBand,
    CacheBands,
    Estimate,
    GroupEstimate,
    ModelEstimate,
    Priced,
    RunsAs,
    SkippedLine,
    TokenBand,
    WorstCase,
)
from .notes import band_text, count_of, warnings
from .run import BucketKey, EstimateRun, ModelTally

EXACT_METHOD = TokenMethod(
    method="exact",
    encoding=None,
    factor=None,
    calibrated=False,
    description="exact (count_tokens): Anthropic's count of each whole request; cache prefixes in proportion to the offline count",
)
"""The token method of ``--exact`` counts."""


def skipped_line(error: WorkloadError) -> SkippedLine:
    """A skipped line as the estimate lists it: its file and line apart from the reason."""
    return SkippedLine(file=error.path, line=error.line, reason=error.message)


def result(run: EstimateRun, files: Sequence[Path | str]) -> Estimate:
    """The estimate of every request added to ``run`` (read from ``files``)."""
    if run.requests == 0:
        names = ", ".join(str(f) for f in files)
        extra = f" ({run.skipped} invalid skipped)" if run.skipped else ""
        raise WorkloadError(f"no requests found in {names}{extra}")
    priced = _price_buckets(run)
    keys = sorted(run.buckets)
    by_model = _by_model(run, priced, keys)
    overall = _total(priced, keys, "expected", Priced)
    methods = [m.token_method for m in by_model]
    outputs = {m.output_method for m in by_model}
    return Estimate(
        **_parts(overall),
        files=tuple(str(f) for f in files),
        requests=run.requests,
        skipped=run.skipped,
        skipped_lines=tuple(skipped_line(error) for error in run.skips),
        worst_case=_total(priced, keys, "worst", WorstCase),
        by_model=tuple(by_model),
        groups=_groups(run, priced, keys) if run.group_by == "prefix" else None,
        cache_bands=_cache_bands(run, priced, keys) if run.has_cache else None,
        token_method=_overall_method(methods, [m.model for m in by_model]),
        output_method=outputs.pop() if len(outputs) == 1 else "varies by model (see by_model)",
        warnings=tuple(warnings(run, by_model)),
        pricing_version=run.table.version,
        pricing_checked=run.table.checked,
        pricing_sha256=run.table.sha256,
        at=run.at,
        token_band=_token_band(run, keys),
    )


_PT = TypeVar("_PT", bound=Priced)

_PricedBuckets = dict[tuple[BucketKey, str], tuple[Usage, Cost, Cost | None]]
"""Each bucket priced in each band (and ``"worst"``): its usage, real-time and batch cost."""


def _price_buckets(run: EstimateRun) -> _PricedBuckets:
    bands = BANDS if run.has_cache else ("expected",)
    priced: _PricedBuckets = {}
    for key, bucket in run.buckets.items():
        for band in bands:
            priced[key, band] = run.price(key, bucket.usage(band), bucket.requests)
        worst_usage = bucket.usage("miss", worst=True)
        priced[key, "worst"] = run.price(key, worst_usage, bucket.requests)
    return priced


def _total(priced: _PricedBuckets, keys: Iterable[BucketKey], band: str, cls: type[_PT]) -> _PT:
    return _combine([priced[k, band] for k in keys], cls)


def _by_model(run: EstimateRun, priced: _PricedBuckets, keys: list[BucketKey]) -> list[ModelEstimate]:
    by_model: list[ModelEstimate] = []
    for mid in sorted({k[0] for k in keys}, key=lambda m: (run.models[m].model.family, m)):
        mine = [k for k in keys if k[0] == mid]
        part = _total(priced, mine, "expected", Priced)
        info = run.models[mid].model
        by_model.append(
            ModelEstimate(
                **_parts(part),
                model=mid,
                model_name=info.name,
                requests=sum(run.buckets[k].requests for k in mine),
                worst_case=_total(priced, mine, "worst", WorstCase),
                token_method=_model_method(run, info),
                output_method=_output_method(run.tally[mid]),
                runs_as=_runs_as(run, priced, mine),
            )
        )
    return by_model


def _runs_as(run: EstimateRun, priced: _PricedBuckets, keys: list[BucketKey]) -> tuple[RunsAs, ...]:
    out = []
    for modifiers in sorted({k[3] for k in keys}):
        mine = [k for k in keys if k[3] == modifiers]
        out.append(
            RunsAs(
                geo=modifiers.geo,
                speed=modifiers.speed,
                requests=sum(run.buckets[k].requests for k in mine),
                usage=_total(priced, mine, "expected", Priced).usage,
            )
        )
    return tuple(out)


def _groups(run: EstimateRun, priced: _PricedBuckets, keys: list[BucketKey]) -> tuple[GroupEstimate, ...]:
    return tuple(
        GroupEstimate(
            **_parts(_total(priced, [k for k in keys if k[2] == g], "expected", Priced)),
            prefix=g,
            requests=sum(run.buckets[k].requests for k in keys if k[2] == g),
            models=tuple(sorted({k[0] for k in keys if k[2] == g})),
            worst_case=_total(priced, [k for k in keys if k[2] == g], "worst", WorstCase),
        )
        for g in sorted({k[2] for k in keys})
    )


def _cache_bands(run: EstimateRun, priced: _PricedBuckets, keys: list[BucketKey]) -> CacheBands:
    return CacheBands(
        hit_rate=run.hit_rate,
        bands=tuple(
            CacheBand(
                **_parts(_total(priced, keys, band, Priced)),
                name=band,
                description=band_text(run.hit_rate, band),
            )
            for band in BANDS
        ),
    )


def _model_method(run: EstimateRun, info: ModelInfo) -> TokenMethod:
    tally = run.tally[info.id]
    if tally.counted == 0 and tally.exact == 0:
        return TokenMethod(
            method="given",
            encoding=None,
            factor=None,
            calibrated=False,
            description="token counts given in the input (input_tokens column), not counted",
        )
    method = EXACT_METHOD if tally.exact else run.method(info).method
    if tally.given == 0:
        return method
    return method.model_copy(
        update={
            "method": "mixed",
            "description": f"{method.description}; {tally.given:,} requests' counts given in the input",
        }
    )


def _output_method(tally: ModelTally) -> str:
    assert tally.outputs is not None
    if len(tally.outputs) == 1:
        return next(iter(tally.outputs))
    return "; ".join(f"{count_of(n, 'request')}: {label}" for label, n in tally.outputs.most_common())


def _parts(priced: Priced) -> dict[str, Any]:
    return {
        "usage": priced.usage,
        "realtime": priced.realtime,
        "batch": priced.batch,
        "savings": priced.savings,
    }


def _combine(parts: Sequence[tuple[Usage, Cost, Cost | None]], cls: type[_PT]) -> _PT:
    usage = parts[0][0]
    realtime = parts[0][1]
    batch = parts[0][2]
    for u, r, b in parts[1:]:
        usage = usage + u
        realtime = realtime + r
        batch = None if batch is None or b is None else batch + b
    savings = None if batch is None else Savings.between(realtime, batch)
    return cls(usage=usage, realtime=realtime, batch=batch, savings=savings)


def _overall_method(methods: Sequence[TokenMethod], models: Sequence[str]) -> TokenMethod:
    first = methods[0]
    if all(m == first for m in methods):
        return first
    kinds = {m.method for m in methods}
    factors = {m.factor for m in methods}
    return TokenMethod(
        method=kinds.pop() if len(kinds) == 1 else "mixed",
        encoding=ENCODING_NAME if any(m.encoding for m in methods) else None,
        factor=factors.pop() if len(factors) == 1 else None,
        calibrated=all(m.calibrated for m in methods),
        description="; ".join(f"{model}: {m.description}" for model, m in zip(models, methods, strict=True)),
    )


def _shifted(usage: Usage, delta: int) -> Usage:
    """``usage`` with ``delta`` prompt tokens added (or taken), shared among the prompt's buckets in
    proportion (largest remainders), so cached and uncached input move together."""
    parts = [
        usage.input_tokens,
        usage.cache_write_5m_tokens,
        usage.cache_write_1h_tokens,
        usage.cache_read_tokens,
    ]
    total = sum(parts)
    if delta == 0 or total == 0:
        shares = [delta, 0, 0, 0] if total == 0 else [0, 0, 0, 0]
    else:
        exact = [delta * p for p in parts]
        shares = [e // total for e in exact]
        rest = delta - sum(shares)
        order = sorted(range(4), key=lambda i: exact[i] - shares[i] * total, reverse=True)
        for i in order[:rest]:
            shares[i] += 1
    return usage.model_copy(
        update={
            "input_tokens": parts[0] + shares[0],
            "cache_write_5m_tokens": parts[1] + shares[1],
            "cache_write_1h_tokens": parts[2] + shares[2],
            "cache_read_tokens": parts[3] + shares[3],
        }
    )


def _band_shift(modelled: int, band: tuple[Decimal, Decimal]) -> tuple[int, int]:
    """How many tokens fewer and more than the ``modelled`` count the error band allows (rounded
    outwards, at 28 digits)."""
    error_low, error_high = band
    with decimal.localcontext() as ctx:
        ctx.prec = 28
        fewer = modelled - int((Decimal(modelled) / (1 + error_high)).to_integral_value(decimal.ROUND_FLOOR))
        more = int((Decimal(modelled) / (1 + error_low)).to_integral_value(decimal.ROUND_CEILING)) - modelled
    return fewer, more


def _token_band(run: EstimateRun, keys: Sequence[BucketKey]) -> TokenBand | None:
    """The estimate's range from the counting model's error band (None when a band is unknown)."""
    from claude_quote.tokens.data import load_token_data

    interval = load_token_data().interval
    estimated = low_tokens = high_tokens = 0
    low: list[tuple[Usage, Cost, Cost | None]] = []
    high: list[tuple[Usage, Cost, Cost | None]] = []
    for key in keys:
        bucket = run.buckets[key]
        info = run.models[key[0]].model
        usage = bucket.usage("expected")
        fewer = more = 0
        if bucket.modelled:
            counting = run.method(info)
            if counting.band is None:
                return None
            interval = counting.method.interval or interval
            fewer, more = _band_shift(bucket.modelled, counting.band)
        estimated += bucket.modelled
        low_usage, high_usage = _shifted(usage, -fewer), _shifted(usage, more)
        low_tokens += low_usage.prompt_tokens
        high_tokens += high_usage.prompt_tokens
        low.append(run.price(key, low_usage, bucket.requests))
        high.append(run.price(key, high_usage, bucket.requests))
    low_total, high_total = _combine(low, Priced), _combine(high, Priced)
    share = f"{interval * 100:.0f}%"
    return TokenBand(
        interval=interval,
        estimated_input_tokens=estimated,
        input_tokens_low=low_tokens,
        input_tokens_high=high_tokens,
        realtime_low=low_total.realtime.total,
        realtime_high=high_total.realtime.total,
        batch_low=None if low_total.batch is None else low_total.batch.total,
        batch_high=None if high_total.batch is None else high_total.batch.total,
        description=(
            f"the range of {share} of requests' token-count errors as measured (expected cache band; "
            f"{estimated:,} of the input tokens were estimated by the counting model)"
        ),
    )
