"""Estimate what a workload will cost, from the files you are about to send: real time vs batch.

:func:`estimate` reads Message Batches JSONL, Messages request JSON, text files (through a prompt
template) or tables, counts their tokens offline (tiktoken ``cl100k_base`` × a per-tokenizer Claude
correction, see :mod:`claude_quote.tokens`), and prices every request with the cost engine.

How the numbers are made (``docs/workloads.md`` has the long form):

- **Input** is counted per request, as Claude bills it (:mod:`claude_quote.tokens.request`).
- **Output** is unknown before a run. The expected output per request is, in order: the given
  ``output_tokens`` (+ the thinking budget), ``output_ratio`` × the prompt (+ the thinking budget),
  a table's ``output_tokens`` column, the calibration file's ``output_p50`` (custom_id prefix, then
  model), and otherwise the request's ``max_tokens``: then expected = worst case, and the report warns.
  Expected output never exceeds ``max_tokens``. The **worst case** always uses every request's
  ``max_tokens`` with no cache hits.
- **Caching**: requests with ``cache_control`` get four bands. ``no_cache``: as if caching were off;
  ``miss``: every request writes its cacheable prefix and none reads (requests in one batch run in
  parallel); ``best``: a request reads the longest prefix an earlier request wrote (same model,
  same content up to a breakpoint); ``expected``: ``cache_hit_rate`` of the best case's reads hit,
  the rest are written again (default 30%, the low end of Anthropic's "typically 30% to 98%" for
  batches). A prefix shorter than the model's minimum cacheable length is not cached.
- **Tiers** are chosen per request; requests are grouped by (model, tier) and each group is priced
  with one exact :func:`~claude_quote.cost.cost` call.
"""

from __future__ import annotations

import decimal
import functools
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from . import _progress
from .cost import Cost, Savings, cost, price_model, today
from .errors import ConfigError, UnknownModelError, UsageError, WorkloadError
from .pricing import ModelInfo, PriceTable, load_pricing, resolve_model
from .sampling import Extrapolation, SampleEstimate
from .tokens.correction import TokenMethod, corrected, factor_ratio, method_for
from .tokens.encoding import ENCODING_NAME, load_encoding
from .tokens.media import PDF_TEXT_TOKENS_PER_PAGE
from .tokens.request import MAX_BREAKPOINTS, ModelFacts, RequestShape, shape_request, shape_text
from .usage import Usage
from .workloads.requests import BatchRequest, custom_id_prefix, iter_requests, jsonl_kind
from .workloads.text import DEFAULT_TEMPLATE, check_template, expand_paths, fill_template, read_text_file

if TYPE_CHECKING:  # imported where used, so that `import claude_quote` (and `claude-quote price`) stays fast
    from concurrent.futures import Future

    from .calibration import Calibration, ModelCalibration
    from .tokens_exact import ExactCounter

__all__ = [
    "DEFAULT_CACHE_HIT_RATE",
    "BandName",
    "CacheBand",
    "CacheBands",
    "Estimate",
    "GroupBy",
    "GroupEstimate",
    "ModelEstimate",
    "Priced",
    "RequestEstimate",
    "WorstCase",
    "counted",
    "estimate",
    "estimate_requests",
]

DEFAULT_CACHE_HIT_RATE = Decimal("0.3")
"""Share of the possible cache reads assumed to hit (Anthropic: "typically 30% to 98%" in batches)."""

GroupBy = Literal["model", "prefix"]
BandName = Literal["no_cache", "miss", "expected", "best"]
BANDS: tuple[BandName, ...] = ("no_cache", "miss", "expected", "best")

EXACT_METHOD = TokenMethod(
    method="exact",
    encoding=None,
    factor=None,
    calibrated=False,
    description="exact (count_tokens): Anthropic's count of each whole request; cache prefixes in proportion to the offline count",
)
"""The token method of ``--exact`` counts."""

MAX_TOKENS_OUTPUT = "max_tokens of each request (no output estimate given, so expected = worst case)"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Priced(_Frozen):
    """Usage and what it costs in real time and in batch."""

    usage: Usage
    """Token usage (expected unless said otherwise), summed over the requests."""
    realtime: Cost
    batch: Cost | None
    """None when a model involved is not available in the Message Batches API."""
    savings: Savings | None


class WorstCase(Priced):
    """Every request writes its full ``max_tokens`` and no cache read hits."""

    @property
    def output_tokens(self) -> int:
        """The sum of every request's ``max_tokens``."""
        return self.usage.output_tokens


class CacheBand(Priced):
    """One caching scenario (same expected output in every band)."""

    name: BandName
    description: str


class CacheBands(_Frozen):
    """Costs under the caching scenarios, for workloads that use ``cache_control``."""

    hit_rate: Decimal
    """Share of the best case's cache reads that the ``expected`` band assumes hit."""
    bands: tuple[CacheBand, ...]

    def band(self, name: BandName) -> CacheBand:
        """The band called ``name``."""
        return next(b for b in self.bands if b.name == name)


class ModelEstimate(Priced):
    """The requests of one model."""

    model: str
    """Canonical model id."""
    model_name: str
    requests: int
    worst_case: WorstCase
    token_method: TokenMethod
    output_method: str
    """How the expected output of these requests was set."""


class GroupEstimate(Priced):
    """The requests whose custom_id has one prefix (``group_by="prefix"``)."""

    prefix: str
    requests: int
    models: tuple[str, ...]
    worst_case: WorstCase


class Estimate(Priced):
    """What a workload will cost: expected and worst case, real time and batch, per model."""

    files: tuple[str, ...]
    """The files read."""
    requests: int
    skipped: int
    """Invalid lines or rows skipped (with ``skip_invalid``)."""
    worst_case: WorstCase
    by_model: tuple[ModelEstimate, ...]
    groups: tuple[GroupEstimate, ...] | None
    cache_bands: CacheBands | None
    """None when no request uses ``cache_control``."""
    token_method: TokenMethod
    output_method: str
    warnings: tuple[str, ...]
    pricing_version: str
    pricing_sha256: str
    at: date
    sample: SampleEstimate | None = None
    """With ``sample``: the whole input's extrapolated cost (everything else is the sample's own)."""

    @property
    def input_tokens(self) -> int:
        """Prompt tokens (uncached input + cache writes + cache reads), expected."""
        return self.usage.prompt_tokens

    @property
    def output_tokens(self) -> int:
        """Output tokens, expected."""
        return self.usage.output_tokens


# --------------------------------------------------------------------------------------------------
# Accumulating requests


@dataclass(slots=True)
class _Measured:
    """One request's counted figures: what a bucket sums and what a per-request estimate records."""

    model: str
    tier: int
    group: str
    prompt: int
    write_5m: int
    """Cache writes when nothing hits (the ``miss`` band)."""
    write_1h: int
    read_best: int
    """Cache reads when every possible read hits (the ``best`` band)."""
    write_5m_best: int
    write_1h_best: int
    write_5m_expected: int
    """Cache writes in the ``expected`` band (rounded per request, so requests sum to their bucket)."""
    write_1h_expected: int
    output: int
    """Expected output tokens."""
    max_tokens: int
    raw_text: int
    """Uncorrected cl100k_base tokens of the request's text (0 when the count was given)."""
    fixed: int
    """Tokens that are not text (tool-use system prompt, images, PDF pages), or a given count."""

    def usage(self, band: BandName = "expected", *, worst: bool = False) -> Usage:
        """This request's usage in ``band`` (the worst case: the ``miss`` band with ``max_tokens``)."""
        return _band_usage(self, band, self.max_tokens if worst else self.output)


@dataclass
class _Bucket:
    """Token sums of requests of one model, one tier and one group."""

    requests: int = 0
    prompt: int = 0
    write_5m: int = 0
    write_1h: int = 0
    read_best: int = 0
    write_5m_best: int = 0
    write_1h_best: int = 0
    write_5m_expected: int = 0
    write_1h_expected: int = 0
    output_expected: int = 0
    output_worst: int = 0

    def add(self, m: _Measured) -> None:
        self.requests += 1
        self.prompt += m.prompt
        self.write_5m += m.write_5m
        self.write_1h += m.write_1h
        self.read_best += m.read_best
        self.write_5m_best += m.write_5m_best
        self.write_1h_best += m.write_1h_best
        self.write_5m_expected += m.write_5m_expected
        self.write_1h_expected += m.write_1h_expected
        self.output_expected += m.output
        self.output_worst += m.max_tokens

    def usage(self, band: BandName, *, worst: bool = False) -> Usage:
        return _band_usage(self, band, self.output_worst if worst else self.output_expected)


def _band_usage(sums: _Measured | _Bucket, band: BandName, output: int) -> Usage:
    """Usage in ``band`` of one request or of a bucket's sums (the same arithmetic for both)."""
    cached = sums.write_5m + sums.write_1h
    if band == "no_cache":
        return Usage(input_tokens=sums.prompt, output_tokens=output)
    write_5m, write_1h, read = sums.write_5m, sums.write_1h, 0
    if band == "best":
        write_5m, write_1h, read = sums.write_5m_best, sums.write_1h_best, sums.read_best
    elif band == "expected":
        write_5m, write_1h = sums.write_5m_expected, sums.write_1h_expected
        read = cached - write_5m - write_1h
    return Usage(
        input_tokens=sums.prompt - cached,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
        cache_read_tokens=read,
        output_tokens=output,
    )


def _round(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))


def _scaled_prefixes(offline: list[int], exact: int) -> list[int]:
    """Cache prefix lengths for an exact total: each offline prefix's share of the offline total.

    count_tokens counts a whole request and knows nothing of caching, so a breakpoint's prefix is
    ``exact × offline prefix ÷ offline total``, rounded half up; the last prefix is ``exact`` itself.

    >>> _scaled_prefixes([300, 1000], 1200), _scaled_prefixes([0], 7)
    ([360, 1200], [7])
    """
    total = offline[-1]
    if total == 0:
        return [exact] * len(offline)
    return [(2 * exact * p + total) // (2 * total) for p in offline]


@dataclass(frozen=True, slots=True)
class _Record:
    custom_id: str
    where: str
    line: int | None
    measured: _Measured


@dataclass
class _ModelTally:
    counted: int = 0
    given: int = 0
    exact: int = 0
    outputs: Counter[str] | None = None


_Key = tuple[str, int, str]  # model id, tier index, group


class _Run:
    """One estimate: options, model lookups, and the running sums."""

    def __init__(
        self,
        *,
        table: PriceTable,
        at: date,
        model: str | None,
        output_tokens: int | None,
        output_ratio: Decimal | None,
        template: str,
        max_tokens: int | None,
        text_column: str | None,
        calibration: Calibration | None,
        calibration_path: Path | None,
        token_factor: Decimal | None,
        hit_rate: Decimal,
        group_by: GroupBy | None,
        skip_invalid: bool,
        exact: bool = False,
    ) -> None:
        self.table, self.at = table, at
        self.exact = exact
        self.model = model
        self.output_tokens, self.output_ratio = output_tokens, output_ratio
        self.template, self.max_tokens, self.text_column = template, max_tokens, text_column
        self.calibration, self.calibration_path = calibration, calibration_path
        self.token_factor, self.hit_rate = token_factor, hit_rate
        self.group_by, self.skip_invalid = group_by, skip_invalid
        self._facts: dict[str, ModelFacts] = {}
        self._methods: dict[str, tuple[TokenMethod, int, int]] = {}
        self.cal_models = self._calibrated_models()
        self.buckets: dict[_Key, _Bucket] = {}
        self.models: dict[str, ModelFacts] = {}
        self.tally: dict[str, _ModelTally] = {}
        self.seen: set[bytes] = set()
        self.notes: Counter[tuple[str, str]] = Counter()
        self.has_cache = False
        self.requests = 0
        self.skipped = 0
        self.first_skip: WorkloadError | None = None
        self.encoding_notes: tuple[str, ...] = ()
        self.records: list[_Record] | None = None
        """Every request's figures, in order, when asked for (per-request estimates, samples)."""
        self.unique_ids: dict[str, int] | None = None
        """custom_id → line, when custom_ids must be unique (per-request estimates)."""

    # -- lookups -------------------------------------------------------------------------------

    def _calibrated_models(self) -> dict[str, ModelCalibration]:
        if self.calibration is None:
            return {}
        out: dict[str, ModelCalibration] = {}
        for name, entry in self.calibration.models.items():
            try:
                info = resolve_model(self.table, name, self.at)
            except UnknownModelError as exc:
                raise ConfigError(f"{self.calibration_path}: models.{name!r}: {exc}") from None
            out[info.id] = entry
        return out

    def facts_for(self, name: str) -> ModelFacts:
        facts = self._facts.get(name)
        if facts is None:
            info = resolve_model(self.table, name, self.at)
            facts = self.models.get(info.id) or ModelFacts.of(info, self.table)
            self._facts[name] = self.models[info.id] = facts
        return facts

    def method(self, info: ModelInfo) -> tuple[TokenMethod, int, int]:
        found = self._methods.get(info.id)
        if found is None:
            entry = self.cal_models.get(info.id)
            method = method_for(
                info,
                token_factor=self.token_factor,
                calibrated_factor=entry.input_factor if entry else None,
                calibration_file=self.calibration_path,
            )
            assert method.factor is not None
            found = (method, *factor_ratio(method.factor))
            self._methods[info.id] = found
        return found

    # -- reading -------------------------------------------------------------------------------

    def skip(self, error: WorkloadError) -> None:
        self.skipped += 1
        if self.first_skip is None:
            self.first_skip = error

    def shapes(self, files: Sequence[Path], advance: Callable[[int], None]) -> Iterator[RequestShape]:
        for path in files:
            size = path.stat().st_size
            done = 0
            for shape in self._file_shapes(path):
                done += shape.size_bytes
                advance(shape.size_bytes)
                yield shape
            advance(max(0, size - done))

    def _file_shapes(self, path: Path) -> Iterator[RequestShape]:
        kind = _classify(path)
        if kind == "requests":
            yield from self._request_shapes(path)
        elif kind == "table":
            yield from self._table_shapes(path)
        elif kind == "text":
            yield self._text_shape(path)

    def _guard(self, make: Callable[[], RequestShape]) -> RequestShape | None:
        try:
            return make()
        except WorkloadError as exc:
            if not self.skip_invalid:
                raise
            self.skip(exc)
            return None

    def _request_shapes(self, path: Path) -> Iterator[RequestShape]:
        for request in iter_requests(path, skip_invalid=self.skip_invalid, on_skip=self.skip):
            if self.unique_ids is not None and not self._first_use(path, request):
                continue
            try:
                shape = self._guard(functools.partial(self._shape_request, path, request))
            except UnknownModelError as exc:
                exc.args = (f"{path}:{request.line}: {exc.args[0]}",)
                raise
            if shape is not None:
                yield shape

    def _first_use(self, path: Path, request: BatchRequest) -> bool:
        assert self.unique_ids is not None
        first = self.unique_ids.get(request.custom_id)
        if first is None:
            self.unique_ids[request.custom_id] = request.line
            return True
        error = WorkloadError(
            f"custom_id {request.custom_id!r} already appeared on line {first}; ids are unique in a batch",
            path=str(path),
            line=request.line,
        )
        if not self.skip_invalid:
            raise error
        self.skip(error)
        return False

    def _shape_request(self, path: Path, request: BatchRequest) -> RequestShape:
        shape = self._shape_request_body(path, request)
        if self.exact:
            shape.params = request.params
        return shape

    def _shape_request_body(self, path: Path, request: BatchRequest) -> RequestShape:
        return shape_request(
            request.params,
            custom_id=request.custom_id,
            facts_for=self.facts_for,
            model=self.model,
            where=str(path),
            line=request.line,
            size_bytes=request.size_bytes,
        )

    def _need_model_and_max(self, what: str) -> tuple[ModelFacts, int]:
        if self.model is None:
            raise UsageError(f"{what} need --model: the model to price them on")
        if self.max_tokens is None:
            raise UsageError(f"{what} need --max-tokens N: each request's output limit, for the worst case")
        return self.facts_for(self.model), self.max_tokens

    def _text_shape(self, path: Path) -> RequestShape:
        facts, max_tokens = self._need_model_and_max("text files")
        document = read_text_file(path)
        return shape_text(
            fill_template(self.template, document.text, name=path.name),
            facts=facts,
            custom_id=path.stem,
            max_tokens=max_tokens,
            size_bytes=document.size_bytes,
            where=str(path),
        )

    def _table_shapes(self, path: Path) -> Iterator[RequestShape]:
        from .workloads.tables import iter_table_rows

        for row in iter_table_rows(
            path, text_column=self.text_column, skip_invalid=self.skip_invalid, on_skip=self.skip
        ):
            name = self.model or row.model
            max_tokens = row.max_tokens if row.max_tokens is not None else self.max_tokens
            problem = None
            if name is None:
                problem = f"row {row.row}: no model: pass --model or add a model column"
            elif max_tokens is None or max_tokens < 1:
                problem = (
                    f"row {row.row}: no max_tokens: add a max_tokens column or pass --max-tokens N "
                    "(the worst case needs it)"
                )
            if problem is not None:
                error = WorkloadError(problem, path=str(path))
                if not self.skip_invalid:
                    raise error
                self.skip(error)
                continue
            assert name is not None
            assert max_tokens is not None
            try:
                facts = self.facts_for(name)
            except UnknownModelError as exc:
                exc.args = (f"{path}: row {row.row}: {exc.args[0]}",)
                raise
            custom_id = row.custom_id or f"row-{row.row}"
            if row.text is not None:
                text = fill_template(self.template, row.text, name=custom_id)
                shape = shape_text(
                    text, facts=facts, custom_id=custom_id, max_tokens=max_tokens, size_bytes=row.size_bytes
                )
            else:
                assert row.input_tokens is not None
                shape = RequestShape(
                    facts=facts,
                    custom_id=custom_id,
                    max_tokens=max_tokens,
                    texts=[""],
                    fixed=[row.input_tokens],
                    given=True,
                )
            shape.given_output = row.output_tokens
            yield shape

    # -- sampling ----------------------------------------------------------------------------------

    def items(self, files: Sequence[Path], advance: Callable[[int], None]) -> Iterator[RequestShape | Path]:
        """Every request of ``files`` in order, checked; text files as their paths (read only if sampled)."""
        for path in files:
            if _classify(path) == "text":
                yield path
            else:
                yield from self._file_shapes(path)
            advance(path.stat().st_size)

    def materialize(self, item: RequestShape | Path) -> RequestShape:
        """A sampled item as a request shape (reads a sampled text file)."""
        return self._text_shape(item) if isinstance(item, Path) else item

    def request_costs(
        self, records: Sequence[_Record]
    ) -> tuple[list[Decimal], list[Decimal] | None, list[Decimal], list[Decimal] | None]:
        """Each recorded request's expected and worst-case cost, real time and batch, priced alone."""
        realtime: list[Decimal] = []
        worst_realtime: list[Decimal] = []
        batch: list[Decimal] | None = []
        worst_batch: list[Decimal] | None = []
        for record in records:
            m = record.measured
            info = self.models[m.model].model
            _, rt, bt = self._price(info, m.usage("expected"), 1)
            _, worst_rt, worst_bt = self._price(info, m.usage("miss", worst=True), 1)
            realtime.append(rt.total)
            worst_realtime.append(worst_rt.total)
            if bt is None or worst_bt is None:
                batch = worst_batch = None
            elif batch is not None and worst_batch is not None:
                batch.append(bt.total)
                worst_batch.append(worst_bt.total)
        return realtime, batch, worst_realtime, worst_batch

    def request_estimate(self, record: _Record) -> RequestEstimate:
        m = record.measured
        return RequestEstimate(
            custom_id=record.custom_id,
            model=m.model,
            usage=m.usage("expected"),
            raw_text_tokens=m.raw_text,
            fixed_tokens=m.fixed,
            max_tokens=m.max_tokens,
            line=record.line,
        )

    # -- adding one counted request ---------------------------------------------------------------

    def add(self, shape: RequestShape, raw: Sequence[int], exact: int | None = None) -> None:
        """Count one request into its bucket (and record it, when per-request records are kept)."""
        m = self.measure(shape, raw, exact)
        key = (m.model, m.tier, m.group)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket()
        bucket.add(m)
        self.requests += 1
        if self.records is not None:
            self.records.append(_Record(shape.custom_id, shape.where, shape.line, m))

    def measure(self, shape: RequestShape, raw: Sequence[int], exact: int | None = None) -> _Measured:
        """One request's prompt, cache writes and reads in every band, and expected output.

        ``raw`` holds the cl100k_base count of each text segment; ``exact`` is the request's whole
        prompt from count_tokens (``--exact``), whose cache prefixes then take the offline shares.
        """
        facts = shape.facts
        info = facts.model
        mid = info.id
        tally = self.tally.setdefault(mid, _ModelTally(outputs=Counter()))
        prefixes: list[int] = []
        raw_text = 0
        fixed_total = sum(shape.fixed)
        if shape.given:
            tally.given += 1
            total = 0
            for fixed in shape.fixed:
                total += fixed
                prefixes.append(total)
        else:
            _, num, den = self.method(info)
            cum_fixed = 0
            for count, fixed in zip(raw, shape.fixed, strict=True):
                raw_text += count
                cum_fixed += fixed
                prefixes.append(-((-raw_text * num) // den) + cum_fixed)
            if exact is None:
                tally.counted += 1
            else:
                tally.exact += 1
                prefixes = _scaled_prefixes(prefixes, exact)
        prompt = prefixes[-1]

        write_5m = write_1h = read = write_5m_best = write_1h_best = 0
        write_5m_expected = write_1h_expected = 0
        if shape.breaks:
            if facts.min_cacheable_note:
                self.notes["min_cacheable_fallback", mid] += 1
            minimum = facts.min_cacheable
            valid = [
                (prefixes[i], one_hour, digest)
                for i, one_hour, digest in shape.breaks
                if prefixes[i] >= minimum
            ]
            if not valid:
                self.notes["below_min_cacheable", mid] += 1
            else:
                self.has_cache = True
                length = valid[-1][0]
                write_1h = max((n for n, one_hour, _ in valid if one_hour), default=0)
                write_5m = length - write_1h
                read = max((n for n, _, digest in valid if digest in self.seen), default=0)
                self.seen.update(digest for _, _, digest in valid)
                write_1h_best = max(0, write_1h - read)
                write_5m_best = write_5m - max(0, read - write_1h)
                miss = Decimal(1) - self.hit_rate
                write_1h_expected = write_1h_best + _round(miss * (write_1h - write_1h_best))
                write_5m_expected = write_5m_best + _round(miss * (write_5m - write_5m_best))
                if any(not one_hour for _, one_hour, _ in valid):
                    self.notes["ttl_5m", mid] += 1
        for code, count in shape.notes.items():
            self.notes[code, mid] += count

        expected, label = self._expected_output(shape, prompt)
        assert tally.outputs is not None
        tally.outputs[label] += 1

        entry = info.price_at(self.at)
        tier = 0 if entry is None else sum(1 for t in entry.tiers if prompt > t.above_prompt_tokens)
        if tier:
            self.notes["tier", mid] += 1
        window = info.context_window_at(self.at)
        if window is not None and prompt + shape.max_tokens > window:
            self.notes["over_window", mid] += 1
        if info.max_output is not None and shape.max_tokens > info.max_output:
            self.notes["over_max_output", mid] += 1

        return _Measured(
            model=mid,
            tier=tier,
            group=custom_id_prefix(shape.custom_id) if self.group_by == "prefix" else "",
            prompt=prompt,
            write_5m=write_5m,
            write_1h=write_1h,
            read_best=read,
            write_5m_best=write_5m_best,
            write_1h_best=write_1h_best,
            write_5m_expected=write_5m_expected,
            write_1h_expected=write_1h_expected,
            output=expected,
            max_tokens=shape.max_tokens,
            raw_text=raw_text,
            fixed=fixed_total if not shape.given else prompt,
        )

    def _expected_output(self, shape: RequestShape, prompt: int) -> tuple[int, str]:
        budget = shape.thinking_budget
        plus = " + thinking budget" if budget else ""
        if self.output_tokens is not None:
            value, label = (
                self.output_tokens + budget,
                f"{self.output_tokens:,} tokens per request (given){plus}",
            )
        elif self.output_ratio is not None:
            value = corrected(prompt, self.output_ratio) + budget
            label = f"{self.output_ratio} × prompt tokens (given ratio){plus}"
        elif shape.given_output is not None:
            value, label = shape.given_output, "the table's output_tokens column"
        else:
            value, label = shape.max_tokens, MAX_TOKENS_OUTPUT
            if self.calibration is not None:
                prefix = self.calibration.prefixes.get(custom_id_prefix(shape.custom_id))
                model = self.cal_models.get(shape.facts.model.id)
                if prefix is not None and prefix.output_p50 is not None:
                    value = prefix.output_p50
                    label = f"calibrated output_p50 of custom_id prefix {custom_id_prefix(shape.custom_id)!r}"
                elif model is not None and model.output_p50 is not None:
                    value, label = model.output_p50, "calibrated output_p50 of the model"
        if value > shape.max_tokens:
            self.notes["output_capped", shape.facts.model.id] += 1
            value = shape.max_tokens
        return value, label

    # -- the result -------------------------------------------------------------------------------

    def _batchable(self, info: ModelInfo) -> bool:
        return info.batch and self.at >= self.table.batch.effective_from

    def _price(self, info: ModelInfo, usage: Usage, requests: int) -> tuple[Usage, Cost, Cost | None]:
        realtime = cost(usage, info, mode="realtime", requests=requests, at=self.at, table=self.table)
        batch = None
        if self._batchable(info):
            batch = cost(usage, info, mode="batch", requests=requests, at=self.at, table=self.table)
        return usage, realtime, batch

    def result(self, files: Sequence[Path]) -> Estimate:
        if self.requests == 0:
            names = ", ".join(str(f) for f in files)
            extra = f" ({self.skipped} invalid skipped)" if self.skipped else ""
            raise WorkloadError(f"no requests found in {names}{extra}")
        bands = BANDS if self.has_cache else ("expected",)
        priced: dict[tuple[_Key, str], tuple[Usage, Cost, Cost | None]] = {}
        for key, bucket in self.buckets.items():
            info = self.models[key[0]].model
            for band in bands:
                priced[key, band] = self._price(info, bucket.usage(band), bucket.requests)
            worst_usage = bucket.usage("miss", worst=True)
            priced[key, "worst"] = self._price(info, worst_usage, bucket.requests)

        def total(keys: Iterable[_Key], band: str, cls: type[_PT]) -> _PT:
            return _combine([priced[k, band] for k in keys], cls)

        keys = sorted(self.buckets)
        by_model: list[ModelEstimate] = []
        for mid in sorted({k[0] for k in keys}, key=lambda m: (self.models[m].model.family, m)):
            mine = [k for k in keys if k[0] == mid]
            part = total(mine, "expected", Priced)
            info = self.models[mid].model
            by_model.append(
                ModelEstimate(
                    **_parts(part),
                    model=mid,
                    model_name=info.name,
                    requests=sum(self.buckets[k].requests for k in mine),
                    worst_case=total(mine, "worst", WorstCase),
                    token_method=self._model_method(info),
                    output_method=self._output_method(self.tally[mid]),
                )
            )
        groups = None
        if self.group_by == "prefix":
            groups = tuple(
                GroupEstimate(
                    **_parts(total([k for k in keys if k[2] == g], "expected", Priced)),
                    prefix=g,
                    requests=sum(self.buckets[k].requests for k in keys if k[2] == g),
                    models=tuple(sorted({k[0] for k in keys if k[2] == g})),
                    worst_case=total([k for k in keys if k[2] == g], "worst", WorstCase),
                )
                for g in sorted({k[2] for k in keys})
            )
        cache_bands = None
        if self.has_cache:
            cache_bands = CacheBands(
                hit_rate=self.hit_rate,
                bands=tuple(
                    CacheBand(
                        **_parts(total(keys, band, Priced)), name=band, description=self._band_text(band)
                    )
                    for band in BANDS
                ),
            )
        overall = total(keys, "expected", Priced)
        methods = [m.token_method for m in by_model]
        outputs = {m.output_method for m in by_model}
        return Estimate(
            **_parts(overall),
            files=tuple(str(f) for f in files),
            requests=self.requests,
            skipped=self.skipped,
            worst_case=total(keys, "worst", WorstCase),
            by_model=tuple(by_model),
            groups=groups,
            cache_bands=cache_bands,
            token_method=_overall_method(methods, [m.model for m in by_model]),
            output_method=outputs.pop() if len(outputs) == 1 else "varies by model (see by_model)",
            warnings=tuple(self._warnings(by_model)),
            pricing_version=self.table.version,
            pricing_sha256=self.table.sha256,
            at=self.at,
        )

    def _band_text(self, band: BandName) -> str:
        percent = (self.hit_rate * 100).normalize()
        return {
            "no_cache": "cache_control ignored: every prompt token billed as uncached input",
            "miss": "no cache hits: every request writes its cacheable prefix (requests in one batch "
            "run in parallel and can all miss)",
            "expected": f"{format(percent, 'f')}% of the best case's cache reads hit; the rest write again",
            "best": "every request reads the longest prefix an earlier request wrote",
        }[band]

    def _model_method(self, info: ModelInfo) -> TokenMethod:
        tally = self.tally[info.id]
        if tally.counted == 0 and tally.exact == 0:
            return TokenMethod(
                method="given",
                encoding=None,
                factor=None,
                calibrated=False,
                description="token counts given in the input (input_tokens column), not counted",
            )
        method = EXACT_METHOD if tally.exact else self.method(info)[0]
        if tally.given == 0:
            return method
        return method.model_copy(
            update={
                "method": "mixed",
                "description": f"{method.description}; {tally.given:,} requests' counts given in the input",
            }
        )

    @staticmethod
    def _output_method(tally: _ModelTally) -> str:
        assert tally.outputs is not None
        if len(tally.outputs) == 1:
            return next(iter(tally.outputs))
        return "; ".join(f"{label} ({_n(n, 'request')})" for label, n in tally.outputs.most_common())

    def _warnings(self, by_model: Sequence[ModelEstimate]) -> list[str]:
        out: list[str] = []
        if any(MAX_TOKENS_OUTPUT in m.output_method for m in by_model):
            out.append(
                "no output estimate was given, so the expected cost assumes every request writes its "
                "full max_tokens (the worst case); pass --output-tokens N, --output-ratio R or a "
                "calibration file for a realistic expected cost"
            )
        for m in by_model:
            facts = self.models[m.model]
            out += self._price_warnings(facts.model)
            for code in _NOTE_ORDER:
                count = self.notes.get((code, m.model), 0)
                if count:
                    out.append(_note(code, count, facts, self.at))
        out += self.encoding_notes
        if self.skipped and self.first_skip is not None:
            out.append(
                f"skipped {_n(self.skipped, 'invalid line or row', 'invalid lines or rows')}; the first: {self.first_skip}"
            )
        return out

    def _price_warnings(self, info: ModelInfo) -> list[str]:
        out: list[str] = []
        if info.is_retired(self.at):
            assert info.retired is not None
            out.append(
                f"{info.id} was retired on {info.retired.isoformat()}: the Claude API no longer serves it; "
                "priced at its last list price"
            )
        priced = price_model(info, at=self.at, table=self.table)
        if priced.uncertain:
            out.append(
                f"the {info.id} rates in effect from {priced.effective_from.isoformat()} are marked "
                f"UNCERTAIN in the price data: {priced.uncertain}"
            )
        if not self._batchable(info):
            out.append(f"{info.id} is not available in the Message Batches API; no batch price is shown")
        return out


_PT = TypeVar("_PT", bound=Priced)


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


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


_NOTE_ORDER = (
    "tier",
    "over_window",
    "over_max_output",
    "output_capped",
    "tool_overhead_fallback",
    "image_unsized",
    "image_unknown_format",
    "pdf_pages",
    "pdf_pages_unknown",
    "below_min_cacheable",
    "min_cacheable_fallback",
    "ttl_5m",
    "too_many_breakpoints",
)


def _note(code: str, count: int, facts: ModelFacts, at: date) -> str:
    info = facts.model
    requests = _n(count, f"{info.id} request")
    have = "has" if count == 1 else "have"
    if code == "tier":
        entry = info.price_at(at)
        threshold = entry.tiers[0].above_prompt_tokens if entry and entry.tiers else 0
        return (
            f"{requests} {have} {'a prompt' if count == 1 else 'prompts'} over {threshold:,} tokens: "
            "each is billed whole, output included, "
            "at the higher tier rates"
        )
    if code == "over_window":
        return (
            f"{requests} {have} prompt + max_tokens above the {info.context_window_at(at) or 0:,}-token "
            "context window; the API may reject them"
        )
    if code == "over_max_output":
        return f"{requests} {'asks' if count == 1 else 'ask'} for max_tokens above the model's maximum output of {info.max_output or 0:,}"
    if code == "output_capped":
        return f"{requests}: the expected output was above max_tokens and was capped at max_tokens"
    if code == "tool_overhead_fallback":
        return facts.tool_note or ""
    if code == "min_cacheable_fallback":
        return facts.min_cacheable_note or ""
    if code == "image_unsized":
        return (
            f"{_n(count, 'image')} given by URL or file id ({info.id}): size unknown, counted at the "
            f"model's cap of {info.image_max_tokens:,} tokens each"
        )
    if code == "image_unknown_format":
        return (
            f"{_n(count, 'image')} in a format whose size could not be read ({info.id}): counted at "
            f"the cap of {info.image_max_tokens:,} tokens each"
        )
    if code == "pdf_pages":
        return (
            f"{_n(count, 'PDF page')} ({info.id}) estimated at {PDF_TEXT_TOKENS_PER_PAGE:,} text + "
            f"{info.image_max_tokens:,} image tokens per page (Anthropic: 1,500–3,000 text tokens per "
            "page plus the page as an image); an estimate"
        )
    if code == "pdf_pages_unknown":
        return (
            f"{_n(count, 'PDF document')} ({info.id}) with a page count that could not be read (URL, "
            "file id or compressed page tree): counted as one page each"
        )
    if code == "below_min_cacheable":
        return (
            f"{requests} {have} cache_control but a cacheable prefix shorter than the model's minimum "
            f"of {facts.min_cacheable:,} tokens, so the API does not cache that prefix (billed as uncached input)"
        )
    if code == "ttl_5m":
        return (
            f"{requests} {'caches' if count == 1 else 'cache'} with the 5-minute TTL: batches often run longer than 5 minutes, so "
            'Anthropic recommends ttl "1h" when caching in a batch'
        )
    if code == "too_many_breakpoints":
        return (
            f"{requests} {have} more than {MAX_BREAKPOINTS} cache_control breakpoints; the API rejects them"
        )
    raise AssertionError(code)  # pragma: no cover


def _classify(path: Path) -> Literal["requests", "table", "text", "empty"]:
    from .workloads.tables import TABLE_SUFFIXES

    name = path.name.lower()
    if name.endswith(".json"):
        return "requests"
    if name.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        kind = jsonl_kind(path)
        if kind in ("batch", "messages"):
            return "requests"
        return "empty" if kind == "empty" else "table"
    if path.suffix.lower() in TABLE_SUFFIXES:
        return "table"
    return "text"


# --------------------------------------------------------------------------------------------------
# Tokenizing in parallel


_CHUNK_CHARS = 1 << 22
_CHUNK_REQUESTS = 2_048


def _chunks(shapes: Iterator[RequestShape]) -> Iterator[list[RequestShape]]:
    chunk: list[RequestShape] = []
    chars = 0
    for shape in shapes:
        chunk.append(shape)
        chars += sum(len(t) for t in shape.texts)
        if chars >= _CHUNK_CHARS or len(chunk) >= _CHUNK_REQUESTS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def _encode_counts(encode: Callable[[str], list[int]], texts: list[str]) -> list[int]:
    return [len(encode(text)) if text else 0 for text in texts]


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _exact_body(shape: RequestShape) -> dict[str, Any]:
    """The Messages request count_tokens counts: the request itself, or a user message of the text."""
    model = shape.facts.model.id
    if shape.params is not None:
        return {**shape.params, "model": model}
    return {"model": model, "messages": [{"role": "user", "content": "".join(shape.texts)}]}


def _exact_counts(counter: ExactCounter, bodies: list[dict[str, Any]]) -> list[int]:
    return [counter.count(body) for body in bodies]


_Counted = tuple[list[RequestShape], list[int] | None, list[int] | None]


class _EncodingNotes(Protocol):
    encoding_notes: tuple[str, ...]


def counted(
    run: _EncodingNotes, shapes: Iterator[RequestShape], counter: ExactCounter | None = None
) -> Iterator[_Counted]:
    """Chunks of shapes with the raw tiktoken count of every text, in order (and, with ``counter``,
    every counted request's exact prompt from count_tokens). ``claude-quote plan`` reuses it.

    The calling thread reads and parses (which holds the GIL) while a small pool encodes (tiktoken
    releases the GIL) or waits on count_tokens; at most twice as many chunks as workers are in flight,
    so memory stays flat.
    """
    from concurrent.futures import ThreadPoolExecutor

    encode: Callable[[str], list[int]] | None = None
    workers = _workers()
    pending: deque[tuple[list[RequestShape], Future[list[int]] | None, Future[list[int]] | None]] = deque()

    def ready() -> _Counted:
        done, fut, exact = pending.popleft()
        return done, None if fut is None else fut.result(), None if exact is None else exact.result()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="claude-quote-tokens") as pool:
        for chunk in _chunks(shapes):
            texts = [text for shape in chunk if not shape.given for text in shape.texts]
            future: Future[list[int]] | None = None
            exact: Future[list[int]] | None = None
            if any(texts):
                if encode is None:
                    encoding, source = load_encoding()
                    encode = encoding.encode_ordinary
                    run.encoding_notes = tuple(
                        f"tokenizer data: skipped {reason}; used {source.path}" for reason in source.skipped
                    )
                future = pool.submit(_encode_counts, encode, texts)
            if counter is not None:
                bodies = [_exact_body(shape) for shape in chunk if not shape.given]
                if bodies:
                    exact = pool.submit(_exact_counts, counter, bodies)
            pending.append((chunk, future, exact))
            if len(pending) >= 2 * workers:
                yield ready()
        while pending:
            yield ready()


def _apply(run: _Run, chunk: list[RequestShape], counts: list[int] | None, exact: list[int] | None) -> None:
    position = 0
    counted = 0
    for shape in chunk:
        if shape.given:
            run.add(shape, ())
            continue
        width = len(shape.texts)
        raw = [0] * width if counts is None else counts[position : position + width]
        run.add(shape, raw, None if exact is None else exact[counted])
        position += width
        counted += 1


# --------------------------------------------------------------------------------------------------
# The API


def _check_options(
    output_tokens: int | None,
    output_ratio: Decimal | None,
    max_tokens: int | None,
    token_factor: Decimal | None,
    cache_hit_rate: Decimal | None,
    template: str | None,
    group_by: str | None,
) -> None:
    if output_tokens is not None and output_ratio is not None:
        raise UsageError("give either --output-tokens or --output-ratio, not both")
    if output_tokens is not None and output_tokens < 0:
        raise UsageError(f"--output-tokens must be 0 or more, got {output_tokens!r}")
    for name, value in (("--output-ratio", output_ratio), ("--token-factor", token_factor)):
        if value is not None and (not value.is_finite() or value < 0):
            raise UsageError(f"{name} must be a decimal number of 0 or more, got {value!r}")
    if token_factor is not None and token_factor == 0:
        raise UsageError("--token-factor must be more than 0")
    if max_tokens is not None and max_tokens < 1:
        raise UsageError(f"--max-tokens must be at least 1, got {max_tokens!r}")
    if cache_hit_rate is not None and not Decimal(0) <= cache_hit_rate <= Decimal(1):
        raise UsageError(f"--cache-hit-rate must be between 0 and 1, got {cache_hit_rate!r}")
    if template is not None:
        check_template(template)
    if group_by not in (None, "model", "prefix"):
        raise UsageError(f"group_by must be 'model' or 'prefix', got {group_by!r}")


def _calibration_from(calibration: Path | Calibration | None) -> tuple[Calibration | None, Path | None]:
    if calibration is None:
        return None, None
    from .calibration import Calibration, load_calibration

    if isinstance(calibration, Calibration):
        return calibration, None
    return load_calibration(calibration), Path(calibration)


def _new_run(
    *,
    table: PriceTable | None,
    at: date | None,
    model: str | None = None,
    output_tokens: int | None,
    output_ratio: Decimal | None,
    template: str | None = None,
    max_tokens: int | None = None,
    text_column: str | None = None,
    calibration: Path | Calibration | None,
    token_factor: Decimal | None,
    cache_hit_rate: Decimal | None,
    group_by: GroupBy | None = None,
    skip_invalid: bool,
    exact: bool,
) -> _Run:
    _check_options(output_tokens, output_ratio, max_tokens, token_factor, cache_hit_rate, template, group_by)
    if exact and token_factor is not None:
        raise UsageError("give either --exact or --token-factor, not both: exact counts need no factor")
    cal, cal_path = _calibration_from(calibration)
    run = _Run(
        table=table or load_pricing(),
        at=at or today(),
        model=model,
        output_tokens=output_tokens,
        output_ratio=output_ratio,
        template=template if template is not None else DEFAULT_TEMPLATE,
        max_tokens=max_tokens,
        text_column=text_column,
        calibration=cal,
        calibration_path=cal_path,
        token_factor=token_factor,
        hit_rate=cache_hit_rate if cache_hit_rate is not None else DEFAULT_CACHE_HIT_RATE,
        group_by=group_by,
        skip_invalid=skip_invalid,
        exact=exact,
    )
    if model is not None:
        run.facts_for(model)  # an unknown --model fails before any file is read
    return run


def _count_all(run: _Run, shapes: Iterator[RequestShape]) -> None:
    """Tokenize (and with ``--exact``, count through count_tokens) and add every shape to ``run``."""
    counter: ExactCounter | None = None
    if run.exact:
        from .tokens_exact import counter_from_env

        counter = counter_from_env()
    try:
        for chunk, counts, exact in counted(run, shapes, counter):
            _apply(run, chunk, counts, exact)
    finally:
        if counter is not None:
            counter.close()


def estimate(
    paths: Sequence[str | Path],
    *,
    model: str | None = None,
    output_tokens: int | None = None,
    output_ratio: Decimal | None = None,
    template: str | None = None,
    max_tokens: int | None = None,
    text_column: str | None = None,
    calibration: Path | None = None,
    token_factor: Decimal | None = None,
    cache_hit_rate: Decimal | None = None,
    group_by: GroupBy | None = None,
    at: date | None = None,
    table: PriceTable | None = None,
    progress: bool = False,
    skip_invalid: bool = False,
    exact: bool = False,
    sample: int | None = None,
    seed: int | None = None,
) -> Estimate:
    """Estimate the real-time and batch cost of the requests in ``paths``.

    Args:
        paths: Message Batches JSONL, request JSON, CSV/TSV/Parquet/JSONL tables, text files,
            directories (read recursively) or glob patterns.
        model: price every request on this model (text files and tables need it, or a model column).
        output_tokens: expected output tokens per request (the thinking budget is added).
        output_ratio: expected output as a multiple of each request's prompt tokens.
        template: prompt template for text files and text columns; ``{text}`` is the text.
        max_tokens: output limit per request for text files and tables (the worst case).
        text_column: a table's text column (default ``text``, or an ``input_tokens`` column).
        calibration: a calibration file (see :mod:`claude_quote.calibration`).
        token_factor: Claude tokens per tiktoken token for every model, instead of the defaults.
        cache_hit_rate: share of possible cache reads that hit in the expected band (default 0.3).
        group_by: ``"prefix"`` adds a breakdown by custom_id prefix (by model is always there).
        at: the date whose prices apply (default: today, UTC).
        table: the price table (default: the bundled one).
        progress: show a progress bar on stderr when it is a terminal and ``CI`` is not set.
        skip_invalid: skip malformed lines or rows (counted and warned about) instead of failing.
        exact: count every request's prompt with Anthropic's count_tokens endpoint (needs the
            ``exact`` extra and ``ANTHROPIC_API_KEY``; see :mod:`claude_quote.tokens_exact`).
        sample: estimate a uniform random sample of this many requests and extrapolate to the whole
            input with a 95% confidence interval (see :mod:`claude_quote.sampling`).
        seed: the sample's random seed (default: a random one, reported so the run can be repeated).

    Raises:
        WorkloadError: a file is missing or malformed (the message names file and line).
        UnknownModelError: a request names an unknown model (with suggestions).
        UsageError: contradictory or invalid options.
        ConfigError: an invalid calibration file.
        TokenizerUnavailableError: no offline copy of the tiktoken encoding.
        ExactCountError: ``exact`` without the SDK or a key, or count_tokens kept failing.
    """
    if isinstance(paths, str | Path) or not paths:
        raise UsageError("give a list of one or more files, directories or glob patterns to estimate")
    if sample is not None and sample < 2:
        raise UsageError(f"--sample must be at least 2 requests (a variance needs two), got {sample!r}")
    if seed is not None and sample is None:
        raise UsageError("--seed needs --sample N")
    run = _new_run(
        table=table,
        at=at,
        model=model,
        output_tokens=output_tokens,
        output_ratio=output_ratio,
        template=template,
        max_tokens=max_tokens,
        text_column=text_column,
        calibration=calibration,
        token_factor=token_factor,
        cache_hit_rate=cache_hit_rate,
        group_by=group_by,
        skip_invalid=skip_invalid,
        exact=exact,
    )
    files = expand_paths(paths)
    total = sum(f.stat().st_size for f in files)
    if sample is None:
        with _progress.progress_bar(total, enabled=progress) as advance:
            _count_all(run, run.shapes(files, advance))
        return run.result(files)
    return _sampled(run, files, total, size=sample, seed=seed, progress=progress)


# --------------------------------------------------------------------------------------------------
# Sampling huge inputs


def _sampled(
    run: _Run, files: Sequence[Path], total: int, *, size: int, seed: int | None, progress: bool
) -> Estimate:
    from .sampling import CONFIDENCE, METHOD, Reservoir

    if seed is None:
        import secrets

        seed = secrets.randbits(32)
    reservoir: Reservoir[RequestShape | Path] = Reservoir(size, seed=seed)
    with _progress.progress_bar(total, enabled=progress) as advance:
        for item in run.items(files, advance):
            reservoir.offer(item)
    population = reservoir.seen
    if population == 0:
        return run.result(files)  # raises: no requests
    run.records = []
    _count_all(run, (run.materialize(item) for item in reservoir.items()))
    result = run.result(files)
    records = run.records
    assert len(records) == len(reservoir.items())  # sampled requests were read and checked while streaming
    realtime, batch, worst_realtime, worst_batch = run.request_costs(records)
    extrapolate = functools.partial(_extrapolate, population=population)
    info = SampleEstimate(
        size=len(records),
        population=population,
        seed=seed,
        method=METHOD,
        confidence=CONFIDENCE,
        realtime=extrapolate(realtime),
        batch=None if batch is None else extrapolate(batch),
        worst_realtime=extrapolate(worst_realtime),
        worst_batch=None if worst_batch is None else extrapolate(worst_batch),
    )
    warnings = [*result.warnings, *_sample_warnings(info, run)]
    return result.model_copy(update={"sample": info, "warnings": tuple(warnings)})


def _extrapolate(values: list[Decimal], *, population: int) -> Extrapolation:
    from .sampling import extrapolate

    try:
        return extrapolate(values, population=population)
    except ValueError as exc:  # pragma: no cover - guarded by --sample >= 2
        raise UsageError(str(exc)) from None


def _sample_warnings(info: SampleEstimate, run: _Run) -> list[str]:
    out = []
    if info.size < info.population:
        out.append(
            f"estimated from a random sample of {info.size:,} of {info.population:,} requests (seed "
            f"{info.seed}): the extrapolated totals are estimates with a 95% confidence interval; the "
            "token, line and per-model figures are the sample's own"
        )
        if info.size < 30:
            out.append(
                f"a sample of {info.size} requests is small: the normal-approximation interval is "
                "unreliable below about 30; sample more"
            )
        if run.has_cache:
            out.append(
                "cache reads between requests are only found within the sample, so the extrapolated "
                "cost of a cached workload errs high (fewer shared prefixes are seen than in the full input)"
            )
    return out


# --------------------------------------------------------------------------------------------------
# Per-request estimates


@dataclass(frozen=True, slots=True)
class RequestEstimate:
    """One request's estimate: what ``reconcile --requests`` compares and ``calibrate`` learns from."""

    custom_id: str
    model: str
    """Canonical id of the model it is priced on."""
    usage: Usage
    """Expected usage (the ``expected`` cache band): requests sum to the estimate's expected usage."""
    raw_text_tokens: int
    """Uncorrected tiktoken cl100k_base count of the request's text (0 when its count was given)."""
    fixed_tokens: int
    """Tokens that are not text and not corrected: tool-use system prompt, images, PDF pages."""
    max_tokens: int
    line: int | None
    """Line of the request in its file."""


def estimate_requests(
    path: str | Path,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    output_tokens: int | None = None,
    output_ratio: Decimal | None = None,
    calibration: Path | Calibration | None = None,
    token_factor: Decimal | None = None,
    cache_hit_rate: Decimal | None = None,
    skip_invalid: bool = False,
    exact: bool = False,
) -> dict[str, RequestEstimate]:
    """Every request of a request file (Message Batches JSONL or request JSON), estimated one by one.

    The per-request figures are those :func:`estimate` sums: over all requests, the usages add up to
    its expected usage. Options are :func:`estimate`'s.

    Raises:
        WorkloadError: the file is not a request file, a line is malformed, or a custom_id repeats
            (``file:line``), unless ``skip_invalid``.
        UnknownModelError: a request names an unknown model.
        UsageError, ConfigError, ExactCountError: as :func:`estimate`.
    """
    records, _ = _estimate_each(
        path,
        at=at,
        table=table,
        output_tokens=output_tokens,
        output_ratio=output_ratio,
        calibration=calibration,
        token_factor=token_factor,
        cache_hit_rate=cache_hit_rate,
        skip_invalid=skip_invalid,
        exact=exact,
    )
    return records


def _estimate_each(
    path: str | Path,
    *,
    at: date | None,
    table: PriceTable | None,
    output_tokens: int | None = None,
    output_ratio: Decimal | None = None,
    calibration: Path | Calibration | None = None,
    token_factor: Decimal | None = None,
    cache_hit_rate: Decimal | None = None,
    skip_invalid: bool = False,
    exact: bool = False,
) -> tuple[dict[str, RequestEstimate], _Run]:
    """:func:`estimate_requests`, and the run (its skipped lines and token methods)."""
    run = _new_run(
        table=table,
        at=at,
        output_tokens=output_tokens,
        output_ratio=output_ratio,
        calibration=calibration,
        token_factor=token_factor,
        cache_hit_rate=cache_hit_rate,
        skip_invalid=skip_invalid,
        exact=exact,
    )
    file = Path(path)
    if not file.is_file():
        raise WorkloadError("no such file" if not file.exists() else "not a file", path=str(file))
    if not file.name.lower().endswith((".json", ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        raise WorkloadError(
            'not a request file: expected Message Batches JSONL ({"custom_id": ..., "params": {...}} per '
            "line) or a request JSON",
            path=str(file),
        )
    run.records = []
    run.unique_ids = {}
    _count_all(run, run._request_shapes(file))
    return {r.custom_id: run.request_estimate(r) for r in run.records}, run
