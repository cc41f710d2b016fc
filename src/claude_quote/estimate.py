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
    "WorstCase",
    "counted",
    "estimate",
]

DEFAULT_CACHE_HIT_RATE = Decimal("0.3")
"""Share of the possible cache reads assumed to hit (Anthropic: "typically 30% to 98%" in batches)."""

GroupBy = Literal["model", "prefix"]
BandName = Literal["no_cache", "miss", "expected", "best"]
BANDS: tuple[BandName, ...] = ("no_cache", "miss", "expected", "best")

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
    output_expected: int = 0
    output_worst: int = 0

    def usage(self, band: BandName, hit_rate: Decimal, *, worst: bool = False) -> Usage:
        output = self.output_worst if worst else self.output_expected
        cached = self.write_5m + self.write_1h
        if band == "no_cache":
            return Usage(input_tokens=self.prompt, output_tokens=output)
        write_5m, write_1h, read = self.write_5m, self.write_1h, 0
        if band == "best":
            write_5m, write_1h, read = self.write_5m_best, self.write_1h_best, self.read_best
        elif band == "expected":
            miss = Decimal(1) - hit_rate
            write_1h = self.write_1h_best + _round(miss * (self.write_1h - self.write_1h_best))
            write_5m = self.write_5m_best + _round(miss * (self.write_5m - self.write_5m_best))
            read = cached - write_1h - write_5m
        return Usage(
            input_tokens=self.prompt - cached,
            cache_write_5m_tokens=write_5m,
            cache_write_1h_tokens=write_1h,
            cache_read_tokens=read,
            output_tokens=output,
        )


def _round(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))


@dataclass
class _ModelTally:
    counted: int = 0
    given: int = 0
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
    ) -> None:
        self.table, self.at = table, at
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
            try:
                shape = self._guard(functools.partial(self._shape_request, path, request))
            except UnknownModelError as exc:
                exc.args = (f"{path}:{request.line}: {exc.args[0]}",)
                raise
            if shape is not None:
                yield shape

    def _shape_request(self, path: Path, request: BatchRequest) -> RequestShape:
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

    # -- adding one counted request ---------------------------------------------------------------

    def add(self, shape: RequestShape, raw: Sequence[int]) -> None:
        facts = shape.facts
        info = facts.model
        mid = info.id
        tally = self.tally.setdefault(mid, _ModelTally(outputs=Counter()))
        prefixes: list[int] = []
        if shape.given:
            tally.given += 1
            total = 0
            for fixed in shape.fixed:
                total += fixed
                prefixes.append(total)
        else:
            tally.counted += 1
            _, num, den = self.method(info)
            cum_raw = cum_fixed = 0
            for count, fixed in zip(raw, shape.fixed, strict=True):
                cum_raw += count
                cum_fixed += fixed
                prefixes.append(-((-cum_raw * num) // den) + cum_fixed)
        prompt = prefixes[-1]

        write_5m = write_1h = read = write_5m_best = write_1h_best = 0
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

        group = custom_id_prefix(shape.custom_id) if self.group_by == "prefix" else ""
        bucket = self.buckets.get((mid, tier, group))
        if bucket is None:
            bucket = self.buckets[mid, tier, group] = _Bucket()
        bucket.requests += 1
        bucket.prompt += prompt
        bucket.write_5m += write_5m
        bucket.write_1h += write_1h
        bucket.read_best += read
        bucket.write_5m_best += write_5m_best
        bucket.write_1h_best += write_1h_best
        bucket.output_expected += expected
        bucket.output_worst += shape.max_tokens
        self.requests += 1

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
                priced[key, band] = self._price(info, bucket.usage(band, self.hit_rate), bucket.requests)
            worst_usage = bucket.usage("miss", self.hit_rate, worst=True)
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
        if tally.counted == 0:
            return TokenMethod(
                method="given",
                encoding=None,
                factor=None,
                calibrated=False,
                description="token counts given in the input (input_tokens column), not counted",
            )
        method = self.method(info)[0]
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


class _EncodingNotes(Protocol):
    encoding_notes: tuple[str, ...]


def counted(
    run: _EncodingNotes, shapes: Iterator[RequestShape]
) -> Iterator[tuple[list[RequestShape], list[int] | None]]:
    """Chunks of shapes with the raw tiktoken count of every text, in order (``claude-quote plan`` reuses it).

    The calling thread reads and parses (which holds the GIL) while a small pool encodes (tiktoken
    releases the GIL); at most twice as many chunks as workers are in flight, so memory stays flat.
    """
    from concurrent.futures import ThreadPoolExecutor

    encode: Callable[[str], list[int]] | None = None
    workers = _workers()
    pending: deque[tuple[list[RequestShape], Future[list[int]] | None]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="claude-quote-tokens") as pool:
        for chunk in _chunks(shapes):
            texts = [text for shape in chunk if not shape.given for text in shape.texts]
            future: Future[list[int]] | None = None
            if any(texts):
                if encode is None:
                    encoding, source = load_encoding()
                    encode = encoding.encode_ordinary
                    run.encoding_notes = tuple(
                        f"tokenizer data: skipped {reason}; used {source.path}" for reason in source.skipped
                    )
                future = pool.submit(_encode_counts, encode, texts)
            pending.append((chunk, future))
            if len(pending) >= 2 * workers:
                done, fut = pending.popleft()
                yield done, None if fut is None else fut.result()
        while pending:
            done, fut = pending.popleft()
            yield done, None if fut is None else fut.result()


def _apply(run: _Run, chunk: list[RequestShape], counts: list[int] | None) -> None:
    position = 0
    for shape in chunk:
        if shape.given:
            run.add(shape, ())
            continue
        width = len(shape.texts)
        run.add(shape, [0] * width if counts is None else counts[position : position + width])
        position += width


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

    Raises:
        WorkloadError: a file is missing or malformed (the message names file and line).
        UnknownModelError: a request names an unknown model (with suggestions).
        UsageError: contradictory or invalid options.
        ConfigError: an invalid calibration file.
        TokenizerUnavailableError: no offline copy of the tiktoken encoding.
    """
    _check_options(output_tokens, output_ratio, max_tokens, token_factor, cache_hit_rate, template, group_by)
    if isinstance(paths, str | Path) or not paths:
        raise UsageError("give a list of one or more files, directories or glob patterns to estimate")
    table = table or load_pricing()
    at = at or today()
    cal = None
    if calibration is not None:
        from .calibration import load_calibration

        cal = load_calibration(calibration)
    run = _Run(
        table=table,
        at=at,
        model=model,
        output_tokens=output_tokens,
        output_ratio=output_ratio,
        template=template if template is not None else DEFAULT_TEMPLATE,
        max_tokens=max_tokens,
        text_column=text_column,
        calibration=cal,
        calibration_path=Path(calibration) if calibration is not None else None,
        token_factor=token_factor,
        hit_rate=cache_hit_rate if cache_hit_rate is not None else DEFAULT_CACHE_HIT_RATE,
        group_by=group_by,
        skip_invalid=skip_invalid,
    )
    if model is not None:
        run.facts_for(model)  # an unknown --model fails before any file is read
    files = expand_paths(paths)
    total = sum(f.stat().st_size for f in files)
    with _progress.progress_bar(total, enabled=progress) as advance:
        for chunk, counts in counted(run, run.shapes(files, advance)):
            _apply(run, chunk, counts)
    return run.result(files)
