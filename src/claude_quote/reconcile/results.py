"""What a batch cost: a Message Batches results file priced exactly (:func:`reconcile_results`).

Only succeeded requests are billed. Each is priced from its own ``usage`` — its model, the data
residency and speed it reports, its tier chosen from its own prompt — through the pricing engine: the
requests are summed by what decides their price (:class:`~claude_quote.engine.Ledger`) and each group
is priced once, which is exact. The same usage is also priced in real time, for the savings.

>>> import json, tempfile, pathlib
>>> from datetime import date
>>> lines = [
...     {"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6",
...      "usage": {"input_tokens": 1_000_000, "output_tokens": 100_000}}}},
...     {"custom_id": "b", "result": {"type": "canceled"}},
... ]
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.jsonl"
>>> _ = path.write_text("\\n".join(json.dumps(x) for x in lines))
>>> actuals = reconcile_results(path, at=date(2026, 11, 25))
>>> actuals.counts.succeeded, actuals.counts.canceled, actuals.billed_requests
(1, 1, 1)
>>> actuals.batch.total, actuals.realtime.total, actuals.savings.percent  # 1M × $3 + 0.1M × $15 = $4.50
(Decimal('2.25'), Decimal('4.5'), Decimal('50'))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, computed_field

from claude_quote.engine import (
    Cost,
    Engine,
    Ledger,
    Modifiers,
    RateCard,
    Savings,
    card_notes,
    engine_for,
    today,
)
from claude_quote.errors import ClaudeQuoteError, WorkloadError
from claude_quote.pricing import PriceTable
from claude_quote.usage import Usage
from claude_quote.workloads.results import BatchResult, InvalidLine, ResultsReader, TierOf

__all__ = [
    "BatchActuals",
    "ModelActual",
    "Pricer",
    "ResultCounts",
    "actuals_and_reader",
    "actuals_from",
    "read_actuals",
    "reconcile_results",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ResultCounts(_Frozen):
    """How many requests ended in each result type."""

    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        """All result lines read (skipped lines excluded)."""
        return self.succeeded + self.errored + self.canceled + self.expired


class ModelActual(_Frozen):
    """The succeeded requests of one model."""

    model: str
    """Canonical model id."""
    model_name: str
    requests: int
    usage: Usage
    batch: Cost
    """What they cost: batch prices."""
    realtime: Cost
    """What the same usage would have cost in real time."""


class BatchActuals(_Frozen):
    """What a batch cost, from its results file."""

    path: str
    """The results file."""
    at: date
    """Whose prices were used (results carry no dates)."""
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    counts: ResultCounts
    errors_by_type: dict[str, int]
    """Errored requests by API error type (``unknown`` when the line did not say)."""
    usage: Usage
    """Total billed usage (succeeded requests)."""
    batch: Cost
    """The actual cost, at batch prices."""
    realtime: Cost
    """The real-time equivalent of the same usage."""
    savings: Savings
    """What batch saved against real time."""
    by_model: tuple[ModelActual, ...]
    cache_split_missing: int
    """Succeeded lines whose cache writes had no 5m/1h split (taken as 5-minute writes)."""
    skipped: int
    """Invalid lines skipped (``skip_invalid``)."""
    skipped_lines: tuple[InvalidLine, ...]
    """The first skipped lines, with reasons."""
    warnings: tuple[str, ...]

    @property
    def billed_requests(self) -> int:
        """Only succeeded requests are billed."""
        return self.counts.succeeded


class Pricer:
    """The batch and real-time cards of each model as its requests ran (remembered), for the reader."""

    def __init__(self, engine: Engine, at: date, path: str) -> None:
        self.engine, self.at, self.path = engine, at, path
        self.cards: dict[tuple[str, Modifiers], tuple[RateCard, RateCard]] = {}

    def cards_for(
        self, model: str, geo: object, speed: object, line: int, custom_id: str
    ) -> tuple[RateCard, RateCard]:
        """The cards of ``model`` run that way; an error names the line."""
        mods = _modifiers(geo, speed, custom_id, self.path, line)
        key = (model, mods)
        found = self.cards.get(key)
        if found is None:
            try:
                batch = self.engine.card(model, self.at, mods)
                realtime = self.engine.card(batch.model, self.at, mods.with_mode("realtime"))
            except ClaudeQuoteError as exc:
                raise WorkloadError(f"result.message.model: {exc}", path=self.path, line=line) from None
            if (
                realtime.thresholds != batch.thresholds
            ):  # pragma: no cover - one price entry, one set of tiers
                raise AssertionError(f"{batch.model.id}: batch and real-time tiers differ")
            found = self.cards[key] = (batch, realtime)
        return found

    def tiers_for(self, model: str, geo: object, speed: object, line: int, custom_id: str) -> TierOf | None:
        """How the reader splits these requests into tiers: the batch card's (None without tiers)."""
        batch, _ = self.cards_for(model, geo, speed, line, custom_id)
        return batch.tier if batch.thresholds else None


_MODIFIERS: dict[tuple[object, object], Modifiers] = {}


def batch_modifiers(line: BatchResult, path: str) -> Modifiers:
    """How a succeeded result ran, from its ``usage`` (always batch); a value the API does not use is
    an error naming the file, the line and the field."""
    return _modifiers(line.inference_geo, line.speed, line.custom_id, path, line.line)


def _modifiers(geo: object, speed: object, custom_id: str, path: str, line: int) -> Modifiers:
    key = (geo, speed)
    try:
        return _MODIFIERS[key]
    except (KeyError, TypeError):  # TypeError: an unhashable value (a list), which is not valid anyway
        pass
    try:
        mods = Modifiers.from_api(mode="batch", inference_geo=geo, speed=speed)
    except ClaudeQuoteError as exc:
        raise WorkloadError(f"custom_id {custom_id!r}: usage.{exc}", path=path, line=line) from None
    _MODIFIERS[key] = mods
    return mods


def read_actuals(
    path: str | Path,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    skip_invalid: bool = False,
    keep_requests: bool = True,
) -> tuple[BatchActuals, dict[str, BatchResult]]:
    """:func:`reconcile_results`, plus every line by ``custom_id`` (when ``keep_requests``).

    The lines (:class:`~claude_quote.workloads.results.BatchResult`) are what
    :func:`~claude_quote.reconcile.compare` takes. (:func:`actuals_and_reader` reads them again as a
    stream instead of keeping them.)
    """
    actuals, reader = actuals_and_reader(path, at=at, table=table, skip_invalid=skip_invalid)
    lines: dict[str, BatchResult] = {}
    if keep_requests:
        lines = {line.custom_id: line for line in reader}
    return actuals, lines


def actuals_and_reader(
    path: str | Path,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    skip_invalid: bool = False,
) -> tuple[BatchActuals, ResultsReader]:
    """:func:`reconcile_results` in this process, and the reader that read the file: iterating it yields
    each line again (:class:`~claude_quote.workloads.results.BatchResult`, results order), one at a time.

    The file is added up without a line kept (:meth:`~claude_quote.workloads.results.ResultsReader.sums`):
    integer sums per model, way it ran and tier, priced once through the ledgers.
    """
    engine = engine_for(table)
    at = at or today()
    reader = ResultsReader(path, skip_invalid=skip_invalid)
    pricer = Pricer(engine, at, str(path))
    sums = reader.sums(pricer.tiers_for)
    batch, realtime = Ledger(engine), Ledger(engine)
    for found in sums.groups:  # in order of first line, so the ledgers' groups are too
        batch_card, realtime_card = pricer.cards_for(found.model, found.inference_geo, found.speed, 0, "")
        for ledger, card in ((batch, batch_card), (realtime, realtime_card)):
            ledger.add_group(card, found.tier, found.requests, found.buckets)
    actuals = actuals_from(
        str(path),
        at=at,
        engine=engine,
        batch=batch,
        realtime=realtime,
        counts=sums.counts,
        errors=sums.errors,
        missing=(sums.cache_split_missing, sums.cache_split_missing_tokens),
        other_tiers=Counter(sums.service_tiers),
        skipped=(reader.skipped, reader.skipped_lines),
    )
    return actuals, reader


def actuals_from(
    path: str,
    *,
    at: date,
    engine: Engine,
    batch: Ledger,
    realtime: Ledger,
    counts: Mapping[str, int],
    errors: Mapping[str, int],
    missing: tuple[int, int],
    other_tiers: Counter[str],
    skipped: tuple[int, Sequence[InvalidLine]],
) -> BatchActuals:
    """The actuals of summed results: ledgers of the succeeded requests at batch and real-time prices,
    the result counts, errored types, lines without a cache split (and their cache-write tokens),
    service tiers other than batch, and the skipped lines (a partial merge builds the same report)."""
    by_model = tuple(_by_model(batch, realtime))
    batch_cost = Cost.sum((m.batch for m in by_model), "batch")
    realtime_cost = Cost.sum((m.realtime for m in by_model), "realtime")
    usage = sum((m.usage for m in by_model), Usage())
    warnings = [
        *_service_tier_warning(other_tiers),
        *_split_warning(*missing),
        *_card_warnings(batch),
        *_search_warning(engine, usage),
        *_skipped_warning(*skipped),
    ]
    return BatchActuals(
        path=path,
        at=at,
        pricing_version=engine.table.version,
        pricing_sha256=engine.table.sha256,
        pricing_checked=engine.table.checked,
        counts=ResultCounts(**counts),
        errors_by_type=dict(sorted(errors.items())),
        usage=usage,
        batch=batch_cost,
        realtime=realtime_cost,
        savings=Savings.between(realtime_cost, batch_cost),
        by_model=by_model,
        cache_split_missing=missing[0],
        skipped=skipped[0],
        skipped_lines=tuple(skipped[1]),
        warnings=tuple(warnings),
    )


def reconcile_results(
    path: str | Path,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    skip_invalid: bool = False,
    jobs: int | None = 1,
    progress: bool = False,
) -> BatchActuals:
    """Price a Message Batches results file exactly: actual batch cost and the real-time equivalent.

    Args:
        path: the results JSONL.
        at: whose prices to use (default today, UTC). Results carry no dates: pass the day the batch
            ran when prices changed since.
        table: the price table (default: the bundled one).
        skip_invalid: skip invalid lines (counted, the first few listed) instead of failing.
        jobs: worker processes that read pieces of a big file at once (None: one per core; 1: this
            process only); files under 24 MiB are read here. The result is the same.
        progress: with worker processes, a progress bar of what they have read (on a terminal).

    Raises:
        WorkloadError: a line is invalid, or a model or modifier cannot be priced on ``at`` (always:
            skipping a billed request would understate what the batch cost).
    """
    from claude_quote.scale import local
    from claude_quote.scale.pieces import cuttable, resolve_jobs

    workers = resolve_jobs(jobs)
    file = Path(path)
    if (
        workers > 1
        and str(path) != "-"
        and cuttable(file)
        and file.stat().st_size >= local.MIN_PARALLEL_BYTES
    ):
        from .partial import parallel_actuals

        day = at or today()
        found = parallel_actuals(
            file, at=day, table=table, skip_invalid=skip_invalid, jobs=workers, progress=progress
        )
        if found is not None:
            return found
        at = day  # a custom_id repeats across pieces while skipping: only one reader knows which to skip
    actuals, _ = actuals_and_reader(path, at=at, table=table, skip_invalid=skip_invalid)
    return actuals


def _by_model(batch: Ledger, realtime: Ledger) -> Iterator[ModelActual]:
    twins = realtime.by_model()
    for model_id, groups in batch.by_model().items():
        info = groups[0].card.model
        yield ModelActual(
            model=model_id,
            model_name=info.name,
            requests=sum(g.requests for g in groups),
            usage=sum((g.usage for g in groups), Usage()),
            batch=batch.cost(groups),
            realtime=realtime.cost(twins[model_id]),
        )


def _service_tier_warning(other_tiers: Counter[str]) -> list[str]:
    if not other_tiers:
        return []
    kinds = ", ".join(f"{tier} {n}" for tier, n in sorted(other_tiers.items()))
    return [
        f"some succeeded results report usage.service_tier other than batch ({kinds}); is this a "
        "Message Batches results file? They were priced at batch prices"
    ]


def _split_warning(missing: int, tokens: int) -> list[str]:
    if not missing:
        return []
    return [
        f"{missing} succeeded result(s) report cache writes without the 5-minute/1-hour split "
        f"(usage.cache_creation is missing, as in older API responses); their "
        f"{tokens:,} cache-write tokens were priced as 5-minute writes"
    ]


def _card_warnings(batch: Ledger) -> list[str]:
    """Tiers crossed, retired models and UNCERTAIN rates, per model."""
    out: list[str] = []
    tiered: Counter[tuple[str, int]] = Counter()
    cards: dict[str, RateCard] = {}
    for group in batch.groups.values():
        card = group.card
        cards.setdefault(card.model.id, card)
        if group.tier:
            tiered[card.model.id, card.thresholds[0]] += group.requests
    for (model_id, threshold), count in sorted(tiered.items()):
        out.append(
            f"{count} {model_id} request(s) had a prompt over {threshold:,} tokens, so every token of "
            "each of them, output included, was billed at the higher tier rates"
        )
    for _, card in sorted(cards.items()):
        notes = card_notes(card)
        if card.model.is_retired(card.at):
            notes[0] += ". Results carry no dates: pass --at with the day the batch ran"
        out.extend(notes)
    return out


def _search_warning(engine: Engine, usage: Usage) -> list[str]:
    if usage.web_search_requests and not engine.table.web_search.batch_discount:
        return [
            "web search fees were not discounted in batch (Anthropic does not document a discount; "
            "UNCERTAIN), so batch saved less than 50%"
        ]
    return []


def _skipped_warning(skipped: int, lines: Sequence[InvalidLine]) -> list[str]:
    if not skipped:
        return []
    shown = "; ".join(f"line {s.line}: {s.reason}" for s in lines[:5])
    more = " (first 5 shown)" if skipped > 5 else ""
    return [f"skipped {skipped} invalid line(s){more}: {shown}"]
