"""The state of one estimate (:class:`EstimateRun`): its options, model lookups and token methods, and the
running sums. :meth:`EstimateRun.measure` turns one counted request into its prompt, cache writes and reads in
every band and its expected output; :meth:`EstimateRun.add` sums it into its bucket: (model, tier, group,
modifiers). Tiers and prices come from the pricing engine's rate cards (:meth:`EstimateRun.cards`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from claude_quote.engine import Cost, Engine, Modifiers, RateCard
from claude_quote.errors import ClaudeQuoteError, ConfigError, UnknownModelError, WorkloadError
from claude_quote.pricing import ModelInfo
from claude_quote.tokens.correction import CountingModel, TextCount, corrected, counting_model
from claude_quote.tokens.request import ModelFacts, RequestShape
from claude_quote.usage import Usage
from claude_quote.workloads.requests import custom_id_prefix
from claude_quote.workloads.results import MAX_SKIPPED_SHOWN

from .bands import NO_CACHE, Bucket, CacheFigures, Measured, round_half_even, scaled_prefixes
from .models import GroupBy
from .notes import MAX_TOKENS_OUTPUT

if TYPE_CHECKING:
    from claude_quote.calibration import Calibration, ModelCalibration

    from .options import EstimateOptions


@dataclass(frozen=True, slots=True)
class Record:
    custom_id: str
    where: str
    line: int | None
    measured: Measured
    framing: tuple[int, bool] = (1, False)
    """The request's messages and whether it has a system prompt (the framing's inputs)."""


@dataclass
class ModelTally:
    counted: int = 0
    given: int = 0
    exact: int = 0
    outputs: Counter[str] | None = None


BucketKey = tuple[str, int, str, Modifiers]  # model id, tier index, group, modifiers (mode realtime)


@dataclass(frozen=True, slots=True)
class Pricing:
    """How one bucket is priced: its real-time card, and its card in the batch figure: a batch card;
    the real-time one for requests the Batch API cannot run although the model is batchable (fast
    mode; ``batchable`` False); None when the model has no batch price on the day."""

    realtime: RateCard
    batch: RateCard | None
    batchable: bool


class EstimateRun:
    """One estimate: options, model lookups, and the running sums."""

    def __init__(
        self,
        *,
        options: EstimateOptions,
        engine: Engine,
        at: date,
        template: str,
        calibration: Calibration | None,
        calibration_path: Path | None,
        hit_rate: Decimal,
    ) -> None:
        self.options = options
        self.engine, self.table, self.at = engine, engine.table, at
        self.exact = options.exact
        self.model = options.model
        self.output_tokens, self.output_ratio = options.output_tokens, options.output_ratio
        self.template, self.max_tokens, self.text_column = template, options.max_tokens, options.text_column
        self.calibration, self.calibration_path = calibration, calibration_path
        self.token_factor, self.hit_rate = options.token_factor, hit_rate
        self.group_by: GroupBy | None = options.group_by
        self.skip_invalid = options.skip_invalid
        self.encoding = options.encoding
        self.found: frozenset[Path] = frozenset()
        """Files found in a directory or by a glob (not named): skipped, not refused, when not text."""
        self.not_text: list[str] = []
        """Files skipped because they are not text (``path (why)``)."""
        self._facts: dict[str, ModelFacts] = {}
        self._pricing: dict[tuple[str, Modifiers], Pricing] = {}
        self._modifiers: dict[tuple[object, object, object], Modifiers] = {}
        self._runs: dict[tuple[str, object, object, object], tuple[Modifiers, Pricing]] = {}
        self._methods: dict[str, CountingModel] = {}
        self._windows: dict[str, int | None] = {}
        self._given_labels: dict[int, str] = {}
        self.cal_models = self._calibrated_models()
        self.buckets: dict[BucketKey, Bucket] = {}
        self.models: dict[str, ModelFacts] = {}
        self.tally: dict[str, ModelTally] = {}
        self.seen: set[bytes] = set()
        self.notes: Counter[tuple[str, str]] = Counter()
        self.has_cache = False
        self.requests = 0
        self.skipped = 0
        self.skips: list[WorkloadError] = []
        """The first skipped lines (:data:`~claude_quote.workloads.results.MAX_SKIPPED_SHOWN`), in order."""
        self.encoding_notes: tuple[str, ...] = ()
        self.input_notes: list[str] = []
        """What reading the input left out (FIFOs, broken links in a directory), for the warnings."""
        self.records: list[Record] | None = None
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
                info = self.engine.model(name, self.at)
            except UnknownModelError as exc:
                raise ConfigError(f"{self.calibration_path}: models.{name!r}: {exc}") from None
            out[info.id] = entry
        return out

    def facts_for(self, name: str) -> ModelFacts:
        facts = self._facts.get(name)
        if facts is None:
            info = self.engine.model(name, self.at)
            facts = self.models.get(info.id) or ModelFacts.of(info, self.table)
            self._facts[name] = self.models[info.id] = facts
        return facts

    def modifiers_of(self, shape: RequestShape) -> Modifiers:
        """How ``shape`` runs: the request's own ``inference_geo`` and ``speed`` unless the options set
        them for every request (as ``model`` does)."""
        key = (shape.inference_geo, shape.speed, shape.service_tier)
        found = self._modifiers.get(key)
        if found is None:
            try:
                found = Modifiers.from_api(
                    inference_geo=shape.inference_geo, speed=shape.speed, service_tier=shape.service_tier
                )
            except ClaudeQuoteError as exc:
                raise WorkloadError(
                    f"{shape.custom_id}: params.{exc}", path=shape.where or None, line=shape.line
                ) from None
            geo = found.geo if self.options.geo is None else self.options.geo
            fast = found.speed == "fast" if self.options.fast is None else self.options.fast
            found = self._modifiers[key] = Modifiers("realtime", geo, "fast" if fast else "standard")
        return found

    def pricing(self, info: ModelInfo, modifiers: Modifiers, shape: RequestShape | None = None) -> Pricing:
        """The cards that price ``info`` requests with ``modifiers`` (a request that cannot be priced so
        is an error naming its line)."""
        key = (info.id, modifiers)
        found = self._pricing.get(key)
        if found is None:
            try:
                realtime = self.engine.card(info, self.at, modifiers)
                batch: RateCard | None = None
                batchable = self.engine.batchable(info, self.at, modifiers)
                if batchable:
                    batch = self.engine.card(info, self.at, modifiers.with_mode("batch"))
                elif self.engine.batchable(info, self.at):
                    batch = realtime
            except ClaudeQuoteError as exc:
                if shape is None:
                    raise
                raise WorkloadError(
                    f"{shape.custom_id}: {exc}", path=shape.where or None, line=shape.line
                ) from None
            found = self._pricing[key] = Pricing(realtime, batch, batchable)
        return found

    def pricings_of(self, model_id: str) -> list[Pricing]:
        """The cards used for ``model_id``'s requests (one per set of modifiers), in a stable order."""
        return [p for (mid, _), p in sorted(self._pricing.items()) if mid == model_id]

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
        if len(self.skips) < MAX_SKIPPED_SHOWN:
            self.skips.append(error)

    # -- adding one counted request ---------------------------------------------------------------

    def add(self, shape: RequestShape, raw: Sequence[TextCount], exact: int | None = None) -> None:
        """Count one request into its bucket (and record it, when per-request records are kept)."""
        m = self.measure(shape, raw, exact)
        key = (m.model, m.tier, m.group, m.modifiers)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket()
        bucket.add(m)
        self.requests += 1
        if self.records is not None:
            framing = (sum(shape.messages), shape.system)
            self.records.append(Record(shape.custom_id, shape.where, shape.line, m, framing))

    def measure(self, shape: RequestShape, raw: Sequence[TextCount], exact: int | None = None) -> Measured:
        """One request's prompt, cache writes and reads in every band, and expected output.

        ``raw`` holds the cl100k_base count and class scan of each text of the shape
        (:func:`~claude_quote.estimate.pipeline.texts_of`); ``exact`` is the request's whole prompt
        from count_tokens (``--exact``), whose cache prefixes then take the offline shares.
        """
        info = shape.facts.model
        mid = info.id
        tally = self.tally.get(mid) or self.tally.setdefault(mid, ModelTally(outputs=Counter()))
        prefixes, raw_text, modelled = self._prefixes(shape, raw, exact, tally)
        prompt = prefixes[-1]
        write_5m, write_1h, read_best, write_5m_best, write_1h_best, write_5m_expected, write_1h_expected = (
            self._cache(shape, prefixes) if shape.breaks else NO_CACHE
        )
        if shape.notes:
            for code, count in shape.notes.items():
                self.notes[code, mid] += count
        expected, label = self._expected_output(shape, prompt)
        assert tally.outputs is not None
        tally.outputs[label] += 1
        runs_as = self._runs.get((mid, shape.inference_geo, shape.speed, shape.service_tier))
        modifiers, pricing = runs_as or self._runs_as(shape)  # the call only the first time
        return Measured(  # positional, in the field order (a request's hot path)
            mid,
            self._tier(shape, prompt, pricing.realtime),
            modifiers,
            custom_id_prefix(shape.custom_id) if self.group_by == "prefix" else "",
            prompt,
            write_5m,  # each written out: *cache made Measured's call build a list of its arguments
            write_1h,
            read_best,
            write_5m_best,
            write_1h_best,
            write_5m_expected,
            write_1h_expected,
            expected,
            shape.max_tokens,
            raw_text,
            sum(shape.fixed) if not shape.given else prompt,
            modelled,
            self._features(shape, raw) if self.records is not None and not shape.given else None,
        )

    def _runs_as(self, shape: RequestShape) -> tuple[Modifiers, Pricing]:
        """:meth:`modifiers_of` the request and its :meth:`pricing`, remembered by the request's own
        model, ``inference_geo``, ``speed`` and ``service_tier``."""
        key = (shape.facts.model.id, shape.inference_geo, shape.speed, shape.service_tier)
        found = self._runs.get(key)
        if found is None:
            modifiers = self.modifiers_of(shape)
            found = self._runs[key] = (modifiers, self.pricing(shape.facts.model, modifiers, shape))
        return found

    def _prefixes(
        self, shape: RequestShape, raw: Sequence[TextCount], exact: int | None, tally: ModelTally
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
        if shape.tool_texts is None:
            texts, tools = raw, None
        else:
            width = len(shape.texts)
            texts, tools = raw[:width], raw[width:]
        info = shape.facts.model
        model = self._methods.get(info.id) or self.method(info)  # the call only the first time
        prefixes, raw_text, modelled = model.prefixes(texts, tools, shape.fixed, shape.messages, shape.system)
        if exact is None:
            tally.counted += 1
        else:
            tally.exact += 1
            prefixes, modelled = scaled_prefixes(prefixes, exact), 0
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

    def _cache(self, shape: RequestShape, prefixes: list[int]) -> CacheFigures:
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
            write_1h_expected = write_1h_best + round_half_even(miss * (write_1h - write_1h_best))
            write_5m_expected = write_5m_best + round_half_even(miss * (write_5m - write_5m_best))
            if any(not one_hour for _, one_hour, _ in valid):
                self.notes["ttl_5m", mid] += 1
        return CacheFigures(
            write_5m, write_1h, read, write_5m_best, write_1h_best, write_5m_expected, write_1h_expected
        )

    def _tier(self, shape: RequestShape, prompt: int, card: RateCard) -> int:
        """The price tier of the request's prompt (0: the base rates); notes a request over a limit."""
        info = shape.facts.model
        mid = info.id
        tier = card.tier(prompt)
        if tier:
            self.notes["tier", mid] += 1
        if card.speed == "fast":
            self.notes["fast", mid] += 1
        window = self._windows.get(mid, 0)
        if window == 0:
            window = self._windows[mid] = info.context_window_at(self.at)
        if window is not None and prompt + shape.max_tokens > window:
            self.notes["over_window", mid] += 1
        if info.max_output is not None and shape.max_tokens > info.max_output:
            self.notes["over_max_output", mid] += 1
        return tier

    def _expected_output(self, shape: RequestShape, prompt: int) -> tuple[int, str]:
        budget = shape.thinking_budget
        plus = " + thinking budget" if budget else ""
        if self.output_tokens is not None:
            value = self.output_tokens + budget
            label = self._given_labels.get(budget) or self._given_labels.setdefault(
                budget, f"{self.output_tokens:,} tokens per request (given){plus}"
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

    def price(self, key: BucketKey, usage: Usage, requests: int) -> tuple[Usage, Cost, Cost | None]:
        """A bucket's usage in real time and in the batch figure (None when its model has no batch
        price at all); requests the Batch API cannot run are in the batch figure at real-time rates."""
        info = self.models[key[0]].model
        pricing = self.pricing(info, key[3])
        note = pricing.realtime.modifiers.label
        realtime = self.engine.cost(usage, pricing.realtime, requests=requests, tier=key[1], note=note)
        if pricing.batch is None:
            return usage, realtime, None
        if not pricing.batchable:
            batch = realtime.model_copy(
                update={
                    "mode": "batch",
                    "lines": tuple(
                        ln.model_copy(update={"note": _real_time(ln.note)}) for ln in realtime.lines
                    ),
                }
            )
            return usage, realtime, batch
        batch = self.engine.cost(usage, pricing.batch, requests=requests, tier=key[1], note=note)
        return usage, realtime, batch


def _real_time(note: str | None) -> str:
    return "real time" if note is None else f"{note}, real time"
