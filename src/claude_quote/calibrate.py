"""Learning a calibration file from a batch's requests and its results: ``claude-quote calibrate``.

:func:`calibrate` estimates every request of a Message Batches request file
(:func:`~claude_quote.estimate.estimate_requests`), joins it by ``custom_id`` with the succeeded
results of the same batch, and learns, per model (the model that answered):

- the **counting model**: a fixed part per request (``request_tokens``, replacing the default framing)
  and a factor per content class (``factors``), fitted by weighted least squares
  (:func:`claude_quote.tokens.fit.fit`) on ``actual prompt − fixed tokens − per-message framing =
  request_tokens + Σ factor_c × tiktoken tokens of class c``. The actual prompt is ``input_tokens +
  cache writes + cache reads`` of the result's usage (the whole prompt, whatever was cached); fixed
  tokens (tool-use system prompt, images, PDF pages) are counted in Claude tokens already. Every
  parameter is pulled toward its default (the shipped factors and framing) with the weight of a few
  requests, so a handful of short requests moves the fixed part, not the factors: a 7-token framing
  can no longer turn into a ×3 factor, as the ratio of sums of version 1 files did. Only classes with
  at least 1% of the tiktoken tokens are written (the others keep their default). The report gives
  the fit's per-request error (mean absolute, 5th and 95th percentile: the band ``estimate`` reports)
  and R², and the uncalibrated model's error on the same requests.
- ``output_p50`` / ``output_p95``: the nearest-rank percentiles of the actual output tokens
  (thinking included); the same per custom_id prefix.
- ``samples``: how many joined requests.

Percentiles are **nearest-rank**: the p-th percentile of n sorted values is the value at rank
``⌈p × n ÷ 100⌉`` (1-based), so a percentile of integers is one of them, an integer.

A model or prefix with fewer than ``min_samples`` (default :data:`MIN_SAMPLES`) joined requests is
left out of the file, with a warning: a factor or a p95 from a handful of requests is noise.

Factors, the fixed part and the errors are written with four decimal places (:data:`FACTOR_PLACES`,
half-even): the spread between requests is far wider than 0.0001. The fit itself is in floats (token
estimates, not money); what is written and reported is Decimal.

>>> percentile([10, 20, 30, 40], 50), percentile([10, 20, 30, 40], 95), percentile([7], 5)
(20, 40, 7)
"""

from __future__ import annotations

import decimal
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict

from .calibration import CURRENT_VERSION, Calibration, ModelCalibration, PrefixCalibration, parse_calibration
from .engine import today
from .errors import UsageError, WorkloadError
from .estimate import EstimateOptions, RequestEstimate, estimate_each, estimate_into, repeated_ids
from .money import EXACT, plain
from .pricing import PriceTable, load_pricing
from .pricing.model import TokenizerName
from .reconcile import BatchActuals, actuals_and_reader, compare_totals, error_percent
from .reconcile.store import Records, Store
from .reconcile.store import Rows as StoredRows
from .scale.pieces import resolve_jobs
from .tokens.classes import CLASSES, ClassName
from .tokens.correction import counting_model_for_tokenizer
from .tokens.fit import Fit, Rows, fit_scaled, summarize_errors
from .usage import Usage
from .workloads.requests import custom_id_prefix
from .workloads.results import BatchResult
from .writing import write_atomically

if TYPE_CHECKING:
    from .estimate.run import EstimateRun

__all__ = [
    "FACTOR_PLACES",
    "MIN_SAMPLES",
    "CalibrationReport",
    "Effect",
    "ModelLearned",
    "PrefixLearned",
    "calibrate",
    "calibration_toml",
    "percentile",
    "write_calibration",
]

MIN_SAMPLES = 30
"""Joined requests a model or prefix needs before its numbers are written (the usual CLT rule of thumb)."""

MIN_CLASS_SHARE = Decimal("0.01")
"""A content class needs this share of a model's tiktoken tokens for its factor to be written."""

FACTOR_PLACES = Decimal("0.0001")
"""Factors are written and shown with four decimal places."""

_RATIO = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)
_SHOWN_IDS = 5

V = TypeVar("V", int, Decimal)


def percentile(values: Sequence[V], p: int) -> V:
    """The nearest-rank ``p``-th percentile of ``values`` (sorted here): rank ``⌈p × n ÷ 100⌉``.

    Raises:
        ValueError: no values, or ``p`` outside 1–100.
    """
    if not values:
        raise ValueError("no values")
    if not 1 <= p <= 100:
        raise ValueError(f"percentile must be 1 to 100, got {p}")
    ordered = sorted(values)
    rank = -(-p * len(ordered) // 100)
    return ordered[rank - 1]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FitQuality(_Frozen):
    """How far a counting model's prompts are from the actual ones, per request (relative errors)."""

    mean_abs_error: Decimal
    mean_signed_error: Decimal
    error_p5: Decimal
    """5th percentile of ``(estimated − actual) ÷ actual``."""
    error_p95: Decimal
    aggregate_error: Decimal
    """Error of the summed prompts."""
    r2: Decimal
    """Coefficient of determination of the estimated prompts."""


class ModelLearned(_Frozen):
    """What was learned about one model."""

    model: str
    """Canonical id of the model that answered."""
    samples: int
    """Joined succeeded requests."""
    raw_text_tokens: int
    """Σ uncorrected cl100k_base tokens of their text."""
    fixed_tokens: int
    """Σ tokens counted without correction (tool-use system prompt, images, PDF pages)."""
    actual_prompt_tokens: int
    """Σ actual prompt tokens (input + cache writes + cache reads)."""
    class_shares: dict[str, Decimal]
    """Share of the tiktoken tokens in each content class present (three places)."""
    default_request_tokens: Decimal
    """The uncalibrated framing per request of the model's tokenizer."""
    request_tokens: Decimal | None
    """The learned fixed part per request; None when nothing was learned."""
    factors: dict[str, Decimal]
    """The learned factor of each class with at least 1% of the tokens (the others keep the default)."""
    fitted: FitQuality | None
    """The calibrated model's error on these requests (in-sample)."""
    uncalibrated: FitQuality | None
    """The default model's error on the same requests."""
    output_p50: int | None
    output_p95: int | None
    output_mean: Decimal | None
    """Mean output tokens (one decimal place): estimates use the median, which is below it when a few answers run long."""
    written: bool
    """Whether the model is in the calibration file (enough samples)."""


class PrefixLearned(_Frozen):
    """Output lengths of one custom_id prefix."""

    prefix: str
    samples: int
    output_p50: int
    output_p95: int
    written: bool


class Effect(_Frozen):
    """One model's joined requests (or all, ``model="total"``): actual vs estimated before and after."""

    model: str
    requests: int
    actual_prompt_tokens: int
    uncalibrated_prompt_tokens: int
    calibrated_prompt_tokens: int
    actual_output_tokens: int
    uncalibrated_output_tokens: int
    calibrated_output_tokens: int
    actual: Decimal
    """Actual batch cost."""
    uncalibrated: Decimal
    """Estimated batch cost with the default factors and no output estimate (each max_tokens)."""
    calibrated: Decimal
    """Estimated batch cost with the learned calibration."""
    uncalibrated_error_percent: Decimal | None
    calibrated_error_percent: Decimal | None


class CalibrationReport(_Frozen):
    """What ``calibrate`` learned, what it wrote, and how it changes estimates."""

    requests_file: str
    results_file: str
    output: str | None
    """Where the calibration file was written; None when it was not (no ``-o``)."""
    at: date
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    min_samples: int
    requests: int
    """Requests read from the request file."""
    results: int
    """Result lines read."""
    joined: int
    """Requests with a succeeded result (the measurements)."""
    not_succeeded: dict[str, int]
    """Requests whose result was errored / canceled / expired, by type (not billed, not learned from)."""
    requests_without_result: int
    requests_without_result_ids: tuple[str, ...]
    results_without_request: int
    results_without_request_ids: tuple[str, ...]
    model_mismatch: int
    """Joined requests answered by another model than the request named (left out)."""
    skipped_requests: int
    skipped_results: int
    models: tuple[ModelLearned, ...]
    prefixes: tuple[PrefixLearned, ...]
    effect: tuple[Effect, ...]
    """Per model, then the total: the joined requests estimated before and after calibration."""
    calibration: Calibration
    """The calibration file's content."""
    warnings: tuple[str, ...]


class _Ints:
    """A column of integers, 8 bytes each (a Python list only if one is beyond 64 bits)."""

    def __init__(self) -> None:
        self.values: array[int] | list[int] = array("q")

    def append(self, value: int) -> None:
        try:
            self.values.append(value)
        except OverflowError:
            self.values = [*self.values, value]

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[int]:
        return iter(self.values)

    def __getitem__(self, index: int) -> int:
        return self.values[index]


# The private records below are plain classes with __slots__, not dataclasses: a dataclass costs
# 0.5-1 ms to define (its methods are compiled when the module is imported), a share of every start.


class _Group:
    """The joined requests of one model (or custom_id prefix): sums and the output column here (8
    bytes a request); a model's requests as the fit needs them, on disk (:attr:`requests`)."""

    __slots__ = ("actual", "fixed", "outputs", "raw", "requests", "samples")

    def __init__(self, requests: StoredRows | None = None) -> None:
        self.samples = self.raw = self.fixed = self.actual = 0
        self.outputs = _Ints()
        self.requests = requests
        """Per joined request: its tokens per content class, the framing, the fixed tokens, the
        estimated (uncalibrated) prompt and the actual prompt."""

    def add(self, estimate: _Estimate, prompt: int) -> None:
        """A joined request of the model: its estimate and its actual prompt."""
        assert self.requests is not None
        self.requests.append(
            (
                tuple(estimate.class_tokens or _NO_CLASSES),
                estimate.framing_tokens,
                estimate.fixed_tokens,
                estimate.prompt_tokens,
                prompt,
            )
        )


_NO_CLASSES = (0.0,) * len(CLASSES)


class _Estimate:
    """What calibration needs of a request's estimate (kept on disk between readings; not changed)."""

    __slots__ = (
        "buckets",
        "class_tokens",
        "custom_id",
        "fixed_tokens",
        "framing_tokens",
        "model",
        "raw_text_tokens",
    )

    def __init__(
        self,
        custom_id: str,
        model: str,
        buckets: tuple[int, int, int, int, int, int],
        raw_text_tokens: int,
        fixed_tokens: int,
        class_tokens: tuple[float, ...] | None,
        framing_tokens: float,
    ) -> None:
        self.custom_id, self.model, self.buckets = custom_id, model, buckets
        self.raw_text_tokens, self.fixed_tokens = raw_text_tokens, fixed_tokens
        self.class_tokens, self.framing_tokens = class_tokens, framing_tokens

    @classmethod
    def of(cls, e: RequestEstimate) -> _Estimate:
        return cls(
            e.custom_id,
            e.model,
            e.usage.buckets(),
            e.raw_text_tokens,
            e.fixed_tokens,
            e.class_tokens,
            e.framing_tokens,
        )

    @property
    def usage(self) -> Usage:
        return Usage.from_buckets(self.buckets)

    @property
    def prompt_tokens(self) -> int:
        b = self.buckets
        return b[0] + b[1] + b[2] + b[3]

    def record(self) -> tuple[object, ...]:
        return (
            self.custom_id,
            self.model,
            self.buckets,
            self.raw_text_tokens,
            self.fixed_tokens,
            self.class_tokens,
            self.framing_tokens,
        )

    @classmethod
    def from_record(cls, record: tuple[Any, ...]) -> _Estimate:
        custom_id, model, buckets, raw, fixed, classes, framing = record
        return cls(custom_id, model, _six(buckets), raw, fixed, classes, framing)


def _six(values: Sequence[int]) -> tuple[int, int, int, int, int, int]:
    a, b, c, d, e, f = values
    return (a, b, c, d, e, f)


class _Pair:
    """A joined request: its estimate and its succeeded result line (what the effect prices)."""

    __slots__ = ("estimate", "line")

    def __init__(self, estimate: _Estimate, line: BatchResult) -> None:
        self.estimate, self.line = estimate, line

    def record(self) -> tuple[object, ...]:
        line = self.line
        assert line.usage is not None
        return (
            self.estimate.record(),
            line.line,
            line.custom_id,
            line.model,
            line.usage.buckets(),
            line.inference_geo,
            line.speed,
        )

    @classmethod
    def from_record(cls, record: tuple[Any, ...]) -> _Pair:
        estimate, number, custom_id, model, buckets, geo, speed = record
        line = BatchResult(
            number,
            custom_id,
            "succeeded",
            model=model,
            usage=Usage.from_buckets(_six(buckets)),
            inference_geo=geo,
            speed=speed,
        )
        return cls(_Estimate.from_record(estimate), line)


def _places(value: float) -> Decimal:
    """A float (a fitted figure, not money) as a Decimal with four places, half-even."""
    with decimal.localcontext(_RATIO):
        return Decimal(repr(value)).quantize(FACTOR_PLACES)


def calibrate(
    requests: str | Path,
    results: str | Path,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    min_samples: int = MIN_SAMPLES,
    skip_invalid: bool = False,
    created: date | None = None,
    output: str | Path | None = None,
    jobs: int | None = 1,
) -> CalibrationReport:
    """Learn a calibration from a batch's request file and its results file (see the module docs).

    Args:
        requests: the Message Batches request file that was sent.
        results: its results JSONL.
        at: whose prices the before/after comparison uses, and whose model names apply (default today).
        table: the price table (default: the bundled one).
        min_samples: joined requests a model or prefix needs to be written (default 30).
        skip_invalid: skip invalid lines of either file (counted) instead of failing.
        created: the file's ``created`` date (default today).
        output: write the calibration file here (atomically); None writes nothing.
        jobs: worker processes that estimate pieces of a big request file at once (None: one per
            core); the same report.

    Raises:
        WorkloadError: a file is missing or malformed (``file:line``), or nothing could be joined.
        UsageError: ``min_samples`` below 1.
    """
    if min_samples < 1:
        raise UsageError(f"--min-samples must be at least 1, got {min_samples!r}")
    batch = _read_batch(
        requests,
        results,
        table=table or load_pricing(),
        at=at or today(),
        skip_invalid=skip_invalid,
        jobs=jobs,
    )
    warnings: list[str] = []
    models = tuple(
        _learn_model(mid, group, min_samples, batch.run.models[mid].model.tokenizer, warnings)
        for mid, group in sorted(batch.joined.by_model.items())
    )
    prefixes = _learn_prefixes(batch.joined.by_prefix, min_samples, warnings)
    calibration = _calibration(models, prefixes, created=created or today(), note=_note(batch))
    if not calibration.models and not calibration.prefixes:
        warnings.append(
            f"nothing reached the minimum of {min_samples} joined requests: the calibration file is empty"
        )
    effect = _effect(batch, calibration)
    warnings += _join_warnings(batch.joined)
    warnings += _skip_warnings(batch)
    if output is not None:
        write_calibration(calibration, output, source=(str(requests), str(results)))
    return _report(
        batch,
        output=output,
        min_samples=min_samples,
        models=models,
        prefixes=prefixes,
        effect=effect,
        calibration=calibration,
        warnings=warnings,
    )


class _Batch:
    """A batch as calibrate reads it: its request file estimated (the records by custom_id, on disk),
    its results read and joined with them; and how to estimate it again (:func:`_effect`)."""

    def __init__(
        self,
        *,
        requests: str | Path,
        results: str | Path,
        table: PriceTable,
        at: date,
        skip_invalid: bool,
        jobs: int | None,
        repeated: set[str] | None,
        store: Store,
        estimates: Records,
        run: EstimateRun,
        actuals: BatchActuals,
        joined: _Joined,
    ) -> None:
        self.requests = requests
        self.results = results
        self.table = table
        self.at = at
        self.skip_invalid = skip_invalid
        self.jobs = jobs
        self.repeated = repeated
        """The custom_ids the request file repeats (read once, in this process)."""
        self.store = store
        self.estimates = estimates
        self.run = run
        self.actuals = actuals
        self.joined = joined


def _read_batch(
    requests: str | Path,
    results: str | Path,
    *,
    table: PriceTable,
    at: date,
    skip_invalid: bool,
    jobs: int | None,
) -> _Batch:
    """Estimate every request, read the results and join the two.

    Raises:
        WorkloadError: a file is missing or malformed, or no request joined a succeeded result.
    """
    store = Store()
    estimates = store.records()
    repeated = repeated_ids(requests) if resolve_jobs(jobs) == 1 else None
    options = EstimateOptions(skip_invalid=skip_invalid)
    run = _estimate_to(estimates, requests, options, at=at, table=table, jobs=jobs, repeated=repeated)
    actuals, lines = actuals_and_reader(results, at=at, table=table, skip_invalid=skip_invalid)
    joined = _join(lines, estimates, store)
    if not len(joined.pairs):
        raise WorkloadError(
            f"no request of {requests} has a succeeded result in {results} with the same custom_id and "
            "model: nothing to learn from (are they the same batch?)"
        )
    return _Batch(
        requests=requests,
        results=results,
        table=table,
        at=at,
        skip_invalid=skip_invalid,
        jobs=jobs,
        repeated=repeated,
        store=store,
        estimates=estimates,
        run=run,
        actuals=actuals,
        joined=joined,
    )


def _note(batch: _Batch) -> str:
    """The calibration file's note: how many requests of which files."""
    return (
        f"claude-quote calibrate: {len(batch.joined.pairs):,} requests of {_shown_text(Path(batch.requests).name)} "
        f"joined with {_shown_text(Path(batch.results).name)}"
    )


def _report(
    batch: _Batch,
    *,
    output: str | Path | None,
    min_samples: int,
    models: tuple[ModelLearned, ...],
    prefixes: tuple[PrefixLearned, ...],
    effect: tuple[Effect, ...],
    calibration: Calibration,
    warnings: list[str],
) -> CalibrationReport:
    joined, run, actuals = batch.joined, batch.run, batch.actuals
    return CalibrationReport(
        requests_file=str(batch.requests),
        results_file=str(batch.results),
        output=None if output is None else str(output),
        at=batch.at,
        pricing_version=batch.table.version,
        pricing_checked=batch.table.checked,
        pricing_sha256=batch.table.sha256,
        min_samples=min_samples,
        requests=len(batch.estimates) + run.skipped,
        results=actuals.counts.total + actuals.skipped,
        joined=len(joined.pairs),
        not_succeeded=dict(sorted(joined.not_succeeded.items())),
        requests_without_result=joined.without_result,
        requests_without_result_ids=joined.without_result_ids,
        results_without_request=joined.without_request,
        results_without_request_ids=tuple(joined.without_request_ids),
        model_mismatch=joined.mismatch,
        skipped_requests=run.skipped,
        skipped_results=actuals.skipped,
        models=models,
        prefixes=prefixes,
        effect=effect,
        calibration=calibration,
        warnings=tuple(warnings),
    )


def _estimate_to(
    records: Records,
    requests: str | Path,
    options: EstimateOptions,
    *,
    at: date,
    table: PriceTable,
    jobs: int | None,
    repeated: set[str] | None,
) -> EstimateRun:
    """Estimate every request of the file into ``records`` (by custom_id): in this process, each kept on
    disk as it is made, or in worker processes, whose estimates come back whole."""
    if resolve_jobs(jobs) == 1:
        return estimate_into(
            requests,
            lambda e: records.add(e.custom_id, _Estimate.of(e).record()),
            options,
            at=at,
            table=table,
            repeated=repeated,
        )
    each, run = estimate_each(requests, options, at=at, table=table, jobs=jobs)
    for e in each.values():
        records.add(e.custom_id, _Estimate.of(e).record())
    return run


class _Joined:
    """The requests joined by custom_id with their succeeded results, and what did not join."""

    def __init__(self, pairs: StoredRows) -> None:
        self.pairs = pairs
        """Every joined request (:meth:`_Pair.record`), in the results' order, on disk."""
        self.by_model: dict[str, _Group] = {}
        self.by_prefix: dict[str, _Group] = {}
        self.not_succeeded: dict[str, int] = {}
        self.without_request = 0
        self.without_request_ids: list[str] = []
        self.mismatch = 0
        self.without_result = 0
        self.without_result_ids: tuple[str, ...] = ()


def _join(lines: Iterable[BatchResult], estimates: Records, store: Store) -> _Joined:
    """Join each result line with its request's estimate by custom_id: a succeeded result of the model
    the request named is summed into its model's and its prefix's group (one pass, nothing per line
    kept in memory)."""
    joined = _Joined(pairs=store.rows())
    pairs, by_model, by_prefix = joined.pairs, joined.by_model, joined.by_prefix
    for line in lines:
        record = estimates.take(line.custom_id)
        if record is None:
            joined.without_request += 1
            if len(joined.without_request_ids) < _SHOWN_IDS:
                joined.without_request_ids.append(line.custom_id)
            continue
        estimate = _Estimate.from_record(record)
        if line.usage is None:
            joined.not_succeeded[line.type] = joined.not_succeeded.get(line.type, 0) + 1
        elif line.model != estimate.model:
            joined.mismatch += 1
        else:
            pairs.append(_Pair(estimate, line).record())
            actual_prompt = line.usage.prompt_tokens
            group = by_model.get(estimate.model)
            if group is None:
                group = by_model[estimate.model] = _Group(requests=store.rows())
            group.samples += 1
            group.raw += estimate.raw_text_tokens
            group.fixed += estimate.fixed_tokens
            group.actual += actual_prompt
            group.outputs.append(line.usage.output_tokens)
            group.add(estimate, actual_prompt)
            prefix = by_prefix.setdefault(custom_id_prefix(estimate.custom_id), _Group())
            prefix.samples += 1
            prefix.outputs.append(line.usage.output_tokens)
    joined.without_result, shown = estimates.unused(_SHOWN_IDS)
    joined.without_result_ids = tuple(r[0] for r in shown)
    return joined


def _learn_prefixes(
    by_prefix: Mapping[str, _Group], min_samples: int, warnings: list[str]
) -> tuple[PrefixLearned, ...]:
    """Output percentiles per custom_id prefix; a warning for each that is not written (and why)."""
    prefixes = tuple(
        PrefixLearned(
            prefix=name,
            samples=group.samples,
            output_p50=percentile(group.outputs.values, 50),
            output_p95=percentile(group.outputs.values, 95),
            written=group.samples >= min_samples and _writable(name),
        )
        for name, group in sorted(by_prefix.items())
    )
    for p in prefixes:
        if not _writable(p.prefix):
            warnings.append(
                f"custom_id prefix {p.prefix!r} holds a lone surrogate, which a TOML file cannot: it was "
                "not written (a Message Batches custom_id is letters, digits, _ and -)"
            )
        elif not p.written:
            warnings.append(
                f"custom_id prefix {p.prefix!r}: {p.samples} joined request(s), fewer than the minimum of "
                f"{min_samples}: its output percentiles were not written"
            )
    return prefixes


def _calibration(
    models: Sequence[ModelLearned], prefixes: Sequence[PrefixLearned], *, created: date, note: str
) -> Calibration:
    """The calibration file's content: the models and prefixes with enough samples."""
    return Calibration(
        schema_version=CURRENT_VERSION,
        created=created,
        note=note,
        models={m.model: _model_calibration(m) for m in models if m.written},
        prefixes={
            p.prefix: PrefixCalibration(output_p50=p.output_p50, output_p95=p.output_p95, samples=p.samples)
            for p in prefixes
            if p.written
        },
    )


def _model_calibration(m: ModelLearned) -> ModelCalibration:
    """A model's entry in the file: the fit, its error band (around zero) and the output percentiles."""
    return ModelCalibration(
        request_tokens=m.request_tokens,
        factors=_class_factors(m.factors),
        error_low=min(m.fitted.error_p5, Decimal(0)) if m.fitted else None,
        error_high=max(m.fitted.error_p95, Decimal(0)) if m.fitted else None,
        mean_abs_error=m.fitted.mean_abs_error if m.fitted else None,
        r2=min(m.fitted.r2, Decimal(1)) if m.fitted else None,
        output_p50=m.output_p50,
        output_p95=m.output_p95,
        samples=m.samples,
    )


def _skip_warnings(batch: _Batch) -> list[str]:
    """The invalid lines skipped (``skip_invalid``) in either file, with the first of each."""
    out: list[str] = []
    run, actuals = batch.run, batch.actuals
    if run.skipped:
        out.append(f"skipped {run.skipped} invalid line(s) of {batch.requests}; the first: {run.skips[0]}")
    if actuals.skipped:
        shown = "; ".join(f"line {s.line}: {s.reason}" for s in actuals.skipped_lines[:3])
        out.append(f"skipped {actuals.skipped} invalid line(s) of {batch.results}: {shown}")
    return out


def _quality(predicted: Sequence[float], actual: Sequence[float]) -> FitQuality | None:
    if not actual or min(actual) <= 0:
        return None
    e = summarize_errors(predicted, actual)
    return FitQuality(
        mean_abs_error=_places(e.mean_abs),
        mean_signed_error=_places(e.mean_signed),
        error_p5=_places(e.p5),
        error_p95=_places(e.p95),
        aggregate_error=_places(e.aggregate),
        r2=_places(e.r2),
    )


def _learn_model(
    mid: str, group: _Group, min_samples: int, tokenizer: TokenizerName, warnings: list[str]
) -> ModelLearned:
    """What a model's joined requests teach: its counting model (when there are enough of them), its
    outputs, and how far the default counting model was from the actual prompts."""
    written = group.samples >= min_samples
    default = counting_model_for_tokenizer(tokenizer)
    assert default.factors is not None
    requests = group.requests
    assert requests is not None
    totals = _class_totals(requests)
    actual = Rows(lambda: (prompt for *_, prompt in requests), len(requests))
    request_tokens: Decimal | None = None
    factors: dict[str, Decimal] = {}
    fitted: FitQuality | None = None
    if not written:
        warnings.append(
            f"{mid}: {group.samples} joined request(s), fewer than the minimum of {min_samples}: "
            "nothing was written for this model"
        )
    else:
        request_tokens, factors, fitted = _fit_model(
            mid, group, (default.factors, default.request_tokens), totals, actual, warnings
        )
    return ModelLearned(
        model=mid,
        samples=group.samples,
        raw_text_tokens=group.raw,
        fixed_tokens=group.fixed,
        actual_prompt_tokens=group.actual,
        class_shares=_class_shares(totals),
        default_request_tokens=_places(default.request_tokens),
        request_tokens=request_tokens,
        factors=factors,
        fitted=fitted,
        uncalibrated=_quality(
            Rows(lambda: (estimated for *_, estimated, _ in requests), len(requests)), actual
        ),
        output_p50=percentile(group.outputs.values, 50) if written else None,
        output_p95=percentile(group.outputs.values, 95) if written else None,
        output_mean=_mean(group.outputs, group.samples),
        written=written,
    )


def _class_totals(requests: StoredRows) -> list[float]:
    """The tiktoken tokens of each content class over the requests."""
    totals = [0.0] * len(CLASSES)
    for features, *_ in requests:
        for i, value in enumerate(features):
            totals[i] += value
    return totals


def _class_shares(totals: Sequence[float]) -> dict[str, Decimal]:
    """Each class's share of the tiktoken tokens (three places), the classes present."""
    total = sum(totals)
    if total <= 0:  # no text at all (images or documents only): no class has a share
        return {}
    shares = {
        c: Decimal(repr(t / total)).quantize(Decimal("0.001")) for c, t in zip(CLASSES, totals, strict=True)
    }
    return {c: v for c, v in shares.items() if v > 0}


def _mean(outputs: _Ints, samples: int) -> Decimal:
    """Mean output tokens, one decimal place (half-even)."""
    with decimal.localcontext(_RATIO):
        return (Decimal(sum(outputs)) / samples).quantize(Decimal("0.1"))


def _fit_model(
    mid: str,
    group: _Group,
    prior: tuple[tuple[float, ...], float],
    totals: Sequence[float],
    actual: Rows[int],
    warnings: list[str],
) -> tuple[Decimal, dict[str, Decimal], FitQuality | None]:
    """Fit the fixed part and the factors of the classes with 1% of the tokens (the others keep their
    default); how far the fitted model's prompts are from the actual ones. ``prior``: the default
    factors and fixed part, which the fit is pulled toward."""
    prior_factors, base = prior
    requests = group.requests
    assert requests is not None
    n = len(requests)
    # Read again for each use (a fit reads them several times): per request, not kept.
    samples = _Samples(
        lambda: (
            # per-message and system framing: kept from the default
            _FeatureSample(features, prompt - fixed - (framing - base))
            for features, framing, fixed, _, prompt in requests
        ),
        n,
    )
    result = _fit_features(samples, prior_factors, base)
    request_tokens = _places(result.intercept)
    total = sum(totals)
    factors: dict[str, Decimal] = {
        c: _places(f)
        for c, f, t in zip(CLASSES, result.factors, totals, strict=True)
        if total > 0 and Decimal(repr(t / total)) >= MIN_CLASS_SHARE
    }
    if not factors and group.raw:
        warnings.append(f"{mid}: no content class has 1% of the tokens; only the fixed part was learned")
    used = [float(factors.get(c, Decimal(repr(d)))) for c, d in zip(CLASSES, prior_factors, strict=True)]
    fixed_part = float(request_tokens)
    predicted = Rows(
        lambda: (
            fixed_part + sum(f * x for f, x in zip(used, s.features, strict=True)) + (a - s.target)
            for s, a in zip(samples, actual, strict=True)
        ),
        n,
    )
    return request_tokens, factors, _quality(predicted, actual)


def _class_factors(factors: Mapping[str, Decimal]) -> dict[ClassName, Decimal] | None:
    """The learned factors keyed by class name (they come from :data:`CLASSES`)."""
    out: dict[ClassName, Decimal] = {c: factors[c] for c in CLASSES if c in factors}
    return out or None


class _FeatureSample:
    __slots__ = ("features", "target")

    def __init__(self, features: tuple[float, ...], target: float) -> None:
        self.features = features
        """tiktoken tokens per class (tool definitions × their factor)."""
        self.target = target
        """Actual prompt − fixed tokens − per-message and system framing."""


class _Samples(Rows[_FeatureSample]):
    """The joined requests of a model as fit samples, made again each time they are read."""


def _fit_features(samples: Sequence[_FeatureSample], prior: tuple[float, ...], base: float) -> Fit:
    return fit_scaled(
        Rows(lambda: (s.features for s in samples), len(samples)),
        Rows(lambda: (s.target for s in samples), len(samples)),
        prior_factors=prior,
        prior_intercept=base,
    )


def _effect(batch: _Batch, calibration: Calibration) -> tuple[Effect, ...]:
    """The joined requests estimated without and with the calibration, against what they cost."""
    after = batch.store.records()
    options = EstimateOptions(calibration=calibration, skip_invalid=batch.skip_invalid)
    _estimate_to(
        after,
        batch.requests,
        options,
        at=batch.at,
        table=batch.table,
        jobs=batch.jobs,
        repeated=batch.repeated,
    )
    pairs = batch.joined.pairs
    before: dict[str, Decimal] = {}
    for chunk in _pair_chunks(pairs):  # every uncalibrated estimate first: its error, if any, comes first
        _add_prices(before, chunk, [p.estimate for p in chunk], batch)
    calibrated: dict[str, Decimal] = {}
    tokens: dict[str, list[int]] = {}
    for chunk in _pair_chunks(pairs):
        estimates = [_later(after, pair) for pair in chunk]
        _add_prices(calibrated, chunk, estimates, batch)
        _add_tokens(tokens, chunk, estimates)
    with decimal.localcontext(EXACT):
        cost_before = {key: plain(value) for key, value in before.items()}
        cost_after = {key: plain(value) for key, value in calibrated.items()}
    return tuple(
        _effect_of(key, tokens[key], cost_before, cost_after)
        for key in [*sorted(k for k in tokens if k != "total"), "total"]
    )


def _pair_chunks(pairs: StoredRows) -> Iterator[list[_Pair]]:
    return _chunks((_Pair.from_record(record) for record in pairs), _EFFECT_CHUNK)


def _later(after: Records, pair: _Pair) -> _Estimate:
    """The request's estimate with the calibration."""
    record = after.get(pair.estimate.custom_id)
    assert record is not None  # the same file: the same requests
    return _Estimate.from_record(record)


def _add_prices(
    sums: dict[str, Decimal], chunk: list[_Pair], estimates: list[_Estimate], batch: _Batch
) -> None:
    """Add the batch prices of the chunk's estimates and results (as :func:`compare` prices them), per
    model and in total."""
    estimate, actual, by_model = compare_totals(
        batch.actuals,
        {p.line.custom_id: p.line for p in chunk},
        {p.line.custom_id: (e.model, e.usage) for p, e in zip(chunk, estimates, strict=True)},
        table=batch.table,
    )
    found = {model: est for model, (est, _) in by_model.items()}
    found["total"] = estimate
    found["actual:total"] = actual
    found.update({f"actual:{model}": act for model, (_, act) in by_model.items()})
    with decimal.localcontext(EXACT):
        for key, value in found.items():
            sums[key] = sums.get(key, Decimal(0)) + value


def _add_tokens(tokens: dict[str, list[int]], chunk: list[_Pair], estimates: list[_Estimate]) -> None:
    """Add the chunk's requests and their prompt and output tokens (actual, estimated before and after
    calibration) to their model's sums and the total."""
    for pair, estimate in zip(chunk, estimates, strict=True):
        line = pair.line
        assert line.usage is not None
        for key in (pair.estimate.model, "total"):
            row = tokens.setdefault(key, [0] * 7)
            row[0] += 1
            row[1] += line.usage.prompt_tokens
            row[2] += pair.estimate.prompt_tokens
            row[3] += estimate.prompt_tokens
            row[4] += line.usage.output_tokens
            row[5] += pair.estimate.buckets[4]
            row[6] += estimate.buckets[4]


def _effect_of(
    key: str, tokens: list[int], cost_before: Mapping[str, Decimal], cost_after: Mapping[str, Decimal]
) -> Effect:
    """One model's (or the total's) effect: its token sums (:func:`_add_tokens`) and costs."""
    n, actual_prompt, before_prompt, after_prompt, actual_out, before_out, after_out = tokens
    actual = cost_before[f"actual:{key}"]
    return Effect(
        model=key,
        requests=n,
        actual_prompt_tokens=actual_prompt,
        uncalibrated_prompt_tokens=before_prompt,
        calibrated_prompt_tokens=after_prompt,
        actual_output_tokens=actual_out,
        uncalibrated_output_tokens=before_out,
        calibrated_output_tokens=after_out,
        actual=actual,
        uncalibrated=cost_before[key],
        calibrated=cost_after[key],
        uncalibrated_error_percent=error_percent(cost_before[key], actual),
        calibrated_error_percent=error_percent(cost_after[key], actual),
    )


_EFFECT_CHUNK = 4096
"""Joined requests priced per :func:`~claude_quote.reconcile.compare_totals` call in the effect."""

T = TypeVar("T")


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _join_warnings(joined: _Joined) -> list[str]:
    """What did not join: results not succeeded, requests without a result and the reverse, another model."""
    out: list[str] = []
    if joined.not_succeeded:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(joined.not_succeeded.items()))
        out.append(f"requests whose result was not succeeded ({kinds}) have no usage and were left out")
    if joined.without_result:
        shown = ", ".join(repr(c) for c in joined.without_result_ids[:_SHOWN_IDS])
        out.append(f"{joined.without_result} request(s) have no line in the results file (e.g. {shown})")
    if joined.without_request:
        shown = ", ".join(repr(c) for c in joined.without_request_ids[:_SHOWN_IDS])
        out.append(
            f"{joined.without_request} result line(s) have no request in the request file (e.g. {shown})"
        )
    if joined.mismatch:
        out.append(
            f"{joined.mismatch} request(s) were answered by another model than they named and were left out"
        )
    return out


# --- the file -------------------------------------------------------------------------------------


def _writable(text: str) -> bool:
    """Whether ``text`` can be written in a (UTF-8) TOML file: no lone surrogates."""
    return not any("\ud800" <= char <= "\udfff" for char in text)


def _shown_text(text: str) -> str:
    """``text`` with what a TOML comment or string cannot hold (control characters, lone surrogates from
    a file name that is not UTF-8) written as escapes: ``a\\x0ab``.

    >>> _shown_text("results\\udcff.jsonl"), _shown_text("a\\nb")
    ('results\\\\udcff.jsonl', 'a\\\\nb')
    """
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped.

    >>> print(_toml_string('a "b" \\\\ c'))
    "a \\"b\\" \\\\ c"
    """
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def calibration_toml(calibration: Calibration, *, source: tuple[str, str] | None = None) -> str:
    """The calibration file's text, in exactly the format :func:`~claude_quote.calibration.load_calibration` reads."""
    lines = [
        "# A calibration file learned by `claude-quote calibrate` (read by `claude-quote estimate --calibration FILE`).",
    ]
    if source is not None:
        lines.append(f"# requests: {_shown_text(source[0])}; results: {_shown_text(source[1])}")
    lines.append(f"schema_version = {calibration.schema_version}")
    if calibration.created is not None:
        lines.append(f"created = {calibration.created.isoformat()}")
    if calibration.note is not None:
        lines.append(f"note = {_toml_string(calibration.note)}")
    for name, entry in calibration.models.items():
        lines += ["", f"[models.{_toml_string(name)}]"]
        if entry.input_factor is not None:
            lines.append(f"input_factor = {entry.input_factor:f}")
        if entry.request_tokens is not None:
            lines.append(f"request_tokens = {entry.request_tokens:f}")
        if entry.factors:
            body = ", ".join(f"{cls} = {value:f}" for cls, value in entry.factors.items())
            lines.append(f"factors = {{ {body} }}")
        for key in ("error_low", "error_high", "mean_abs_error", "r2"):
            value = getattr(entry, key)
            if value is not None:
                lines.append(f"{key} = {value:f}")
        lines += _stats(entry)
    for name, prefix in calibration.prefixes.items():
        lines += ["", f"[prefixes.{_toml_string(name)}]", *_stats(prefix)]
    return "\n".join(lines) + "\n"


def _stats(entry: PrefixCalibration) -> list[str]:
    return [
        f"{key} = {value}"
        for key, value in (
            ("output_p50", entry.output_p50),
            ("output_p95", entry.output_p95),
            ("samples", entry.samples),
        )
        if value is not None
    ]


def write_calibration(
    calibration: Calibration, path: str | Path, *, source: tuple[str, str] | None = None
) -> None:
    """Write ``calibration`` to ``path`` atomically (a temporary file in the same folder, then a rename).

    Raises:
        WorkloadError: the file cannot be written.
    """
    target = Path(path)
    text = calibration_toml(calibration, source=source)
    assert parse_calibration(text.encode(), origin=str(target)) == calibration
    write_atomically(target, text, what="calibration file")
