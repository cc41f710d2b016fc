"""The state of one estimate (:class:`_Run`): its options, model lookups and token methods, and the
running sums. :meth:`_Run.measure` turns one counted request into its prompt, cache writes and reads in
every band and its expected output; :meth:`_Run.add` sums it into its (model, tier, group) bucket.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from claude_quote.cost import Cost, cost
from claude_quote.errors import ConfigError, UnknownModelError, WorkloadError
from claude_quote.pricing import ModelInfo, PriceTable, resolve_model
from claude_quote.tokens.correction import CountingModel, TextCount, corrected, counting_model
from claude_quote.tokens.request import ModelFacts, RequestShape
from claude_quote.usage import Usage
from claude_quote.workloads.requests import custom_id_prefix

from .bands import _NO_CACHE, _Bucket, _Cache, _Measured, _round, _scaled_prefixes
from .models import GroupBy
from .notes import MAX_TOKENS_OUTPUT

if TYPE_CHECKING:
    from claude_quote.calibration import Calibration, ModelCalibration


@dataclass(frozen=True, slots=True)
class _Record:
    custom_id: str
    where: str
    line: int | None
    measured: _Measured
    framing: tuple[int, bool] = (1, False)
    """The request's messages and whether it has a system prompt (the framing's inputs)."""


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
        self._methods: dict[str, CountingModel] = {}
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

    def method(self, info: ModelInfo) -> CountingModel:
        """How ``info``'s tiktoken counts become Claude counts (its token method is ``.method``)."""
        found = self._methods.get(info.id)
        if found is None:
            found = self._methods[info.id] = counting_model(
                info,
                token_factor=self.token_factor,
                calibration=self.cal_models.get(info.id),
                calibration_file=self.calibration_path,
            )
        return found

    def skip(self, error: WorkloadError) -> None:
        self.skipped += 1
        if self.first_skip is None:
            self.first_skip = error

    # -- adding one counted request ---------------------------------------------------------------

    def add(self, shape: RequestShape, raw: Sequence[TextCount], exact: int | None = None) -> None:
        """Count one request into its bucket (and record it, when per-request records are kept)."""
        m = self.measure(shape, raw, exact)
        key = (m.model, m.tier, m.group)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket()
        bucket.add(m)
        self.requests += 1
        if self.records is not None:
            framing = (sum(shape.messages), shape.system)
            self.records.append(_Record(shape.custom_id, shape.where, shape.line, m, framing))

    def measure(self, shape: RequestShape, raw: Sequence[TextCount], exact: int | None = None) -> _Measured:
        """One request's prompt, cache writes and reads in every band, and expected output.

        ``raw`` holds the cl100k_base count and class scan of each text of the shape
        (:func:`~claude_quote.estimate.pipeline.texts_of`); ``exact`` is the request's whole prompt
        from count_tokens (``--exact``), whose cache prefixes then take the offline shares.
        """
        mid = shape.facts.model.id
        tally = self.tally.setdefault(mid, _ModelTally(outputs=Counter()))
        prefixes, raw_text, modelled = self._prefixes(shape, raw, exact, tally)
        prompt = prefixes[-1]
        cache = self._cache(shape, prefixes) if shape.breaks else _NO_CACHE
        for code, count in shape.notes.items():
            self.notes[code, mid] += count

        expected, label = self._expected_output(shape, prompt)
        assert tally.outputs is not None
        tally.outputs[label] += 1

        return _Measured(
            model=mid,
            tier=self._tier(shape, prompt),
            group=custom_id_prefix(shape.custom_id) if self.group_by == "prefix" else "",
            prompt=prompt,
            write_5m=cache.write_5m,
            write_1h=cache.write_1h,
            read_best=cache.read_best,
            write_5m_best=cache.write_5m_best,
            write_1h_best=cache.write_1h_best,
            write_5m_expected=cache.write_5m_expected,
            write_1h_expected=cache.write_1h_expected,
            output=expected,
            max_tokens=shape.max_tokens,
            raw_text=raw_text,
            fixed=sum(shape.fixed) if not shape.given else prompt,
            modelled=modelled,
            features=self._features(shape, raw) if self.records is not None and not shape.given else None,
        )

    def _prefixes(
        self, shape: RequestShape, raw: Sequence[TextCount], exact: int | None, tally: _ModelTally
    ) -> tuple[list[int], int, int]:
        """The prompt's length at the end of each segment (the last is the prompt), its raw text
        count, and how many of its tokens the counting model estimated (text and framing; 0 when the
        count was given or exact)."""
        if shape.given:
            tally.given += 1
            prefixes: list[int] = []
            total = 0
            for fixed in shape.fixed:
                total += fixed
                prefixes.append(total)
            return prefixes, 0, 0
        width = len(shape.texts)
        tools = raw[width:] if shape.tool_texts is not None else None
        prefixes, raw_text, modelled = self.method(shape.facts.model).prefixes(
            raw[:width], tools, shape.fixed, shape.messages, shape.system
        )
        if exact is None:
            tally.counted += 1
        else:
            tally.exact += 1
            prefixes, modelled = _scaled_prefixes(prefixes, exact), 0
        return prefixes, raw_text, modelled

    def _features(self, shape: RequestShape, raw: Sequence[TextCount]) -> tuple[float, ...]:
        """The request's tiktoken tokens per content class (tools × their factor): what calibration fits."""
        model = self.method(shape.facts.model)
        width = len(shape.texts)
        sums = [0.0] * len(model.tau)
        for i, count in enumerate(raw):
            scale = 1.0 if i < width else model.tool_factor
            for c, value in enumerate(model.class_tokens(count, scale)):
                sums[c] += value
        return tuple(sums)

    def _cache(self, shape: RequestShape, prefixes: list[int]) -> _Cache:
        """Cache writes and reads of a request with breakpoints, in every band (remembers its prefixes)."""
        facts = shape.facts
        mid = facts.model.id
        write_5m = write_1h = read = write_5m_best = write_1h_best = 0
        write_5m_expected = write_1h_expected = 0
        if facts.min_cacheable_note:
            self.notes["min_cacheable_fallback", mid] += 1
        minimum = facts.min_cacheable
        valid = [
            (prefixes[i], one_hour, digest) for i, one_hour, digest in shape.breaks if prefixes[i] >= minimum
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
        return _Cache(
            write_5m, write_1h, read, write_5m_best, write_1h_best, write_5m_expected, write_1h_expected
        )

    def _tier(self, shape: RequestShape, prompt: int) -> int:
        """The price tier of the request's prompt (0: the base rates); notes a request over a limit."""
        info = shape.facts.model
        mid = info.id
        entry = info.price_at(self.at)
        tier = 0 if entry is None else sum(1 for t in entry.tiers if prompt > t.above_prompt_tokens)
        if tier:
            self.notes["tier", mid] += 1
        window = info.context_window_at(self.at)
        if window is not None and prompt + shape.max_tokens > window:
            self.notes["over_window", mid] += 1
        if info.max_output is not None and shape.max_tokens > info.max_output:
            self.notes["over_max_output", mid] += 1
        return tier

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

    # -- pricing --------------------------------------------------------------------------------------

    def batchable(self, info: ModelInfo) -> bool:
        return info.batch and self.at >= self.table.batch.effective_from

    def price(self, info: ModelInfo, usage: Usage, requests: int) -> tuple[Usage, Cost, Cost | None]:
        realtime = cost(usage, info, mode="realtime", requests=requests, at=self.at, table=self.table)
        batch = None
        if self.batchable(info):
            batch = cost(usage, info, mode="batch", requests=requests, at=self.at, table=self.table)
        return usage, realtime, batch
