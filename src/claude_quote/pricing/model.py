"""The pricing table's schema: pydantic models that forbid unknown keys and keep every number a Decimal.

The attribute docstrings below become the descriptions in ``pricing/schema.json``, so they are the
reference for everyone who edits ``pricing/anthropic.toml``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)

from claude_quote.money import MAX_PLACES, to_decimal

__all__ = [
    "BatchModifier",
    "DataResidencyModifier",
    "FastModeEntry",
    "ModelInfo",
    "PriceEntry",
    "PriceTable",
    "Rates",
    "Source",
    "Tier",
    "TokenizerName",
    "ToolOverhead",
    "WebSearchFee",
]


def _decimal_in(value: object) -> Decimal:
    return to_decimal(value, what="a price", places=MAX_PLACES)


Usd = Annotated[
    Decimal,
    BeforeValidator(_decimal_in),
    Field(ge=0),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": ["number", "string"], "minimum": 0}),
]
"""USD as an exact Decimal. Written in TOML as a number (read as Decimal, never float) or a string."""

TokenCount = Annotated[int, Field(ge=0, strict=True)]
PositiveTokens = Annotated[int, Field(gt=0, strict=True)]
ModelId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$", max_length=100)]
SourceId = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9\-]*$")]
TokenizerName = Literal["claude-3", "claude-4.7"]
Family = Literal["opus", "sonnet", "haiku", "fable", "mythos"]


class _Model(BaseModel):
    # Attribute docstrings document the fields; schema.py copies them into schema.json (reading them
    # here with use_attribute_docstrings=True would parse the source at every start-up).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Source(_Model):
    """Where prices and facts come from; models and entries cite sources by id."""

    title: str
    """What the source is and how recent the copy is."""
    url: str | None = None
    """Where to read it."""


class Rates(_Model):
    """USD per million tokens for each token category of the API's ``usage`` object."""

    input_per_mtok: Usd
    """Uncached input tokens (``usage.input_tokens``)."""
    output_per_mtok: Usd
    """Output tokens, thinking included (``usage.output_tokens``)."""
    cache_write_5m_per_mtok: Usd | None = None
    """5-minute cache writes (``cache_creation.ephemeral_5m_input_tokens``); absent if never offered."""
    cache_write_1h_per_mtok: Usd | None = None
    """1-hour cache writes (``cache_creation.ephemeral_1h_input_tokens``); absent if never offered."""
    cache_read_per_mtok: Usd | None = None
    """Cache reads (``usage.cache_read_input_tokens``). Explicit: not always 0.1x input."""

    @model_validator(mode="after")
    def _cache_rates_are_plausible(self) -> Rates:
        base = self.input_per_mtok
        read = self.cache_read_per_mtok
        if read is not None and read > base:
            raise ValueError(
                f"cache_read_per_mtok {read} is above input_per_mtok {base}; cache reads are a discount"
            )
        for key in ("cache_write_5m_per_mtok", "cache_write_1h_per_mtok"):
            value: Decimal | None = getattr(self, key)
            if value is not None and value < base:
                raise ValueError(f"{key} {value} is below input_per_mtok {base}; cache writes cost more")
        return self


class Tier(Rates):
    """Rates for a whole request whose prompt is above a threshold (long-context / prompt-length tiers)."""

    above_prompt_tokens: PositiveTokens
    """The tier applies when uncached input + cache writes + cache reads of ONE request exceed this.
    Every token of that request, output included, is then billed at the tier's rates."""


class PriceEntry(Rates):
    """Standard rates from ``effective_from`` until the next entry's date. Append; never overwrite."""

    effective_from: date
    """First day (UTC) these rates apply."""
    tiers: tuple[Tier, ...] = ()
    """Whole-request tiers, ascending by threshold."""
    context_window: PositiveTokens | None = None
    """Context window while this entry applies, when it differs from the model's (e.g. a 1M beta)."""
    sources: tuple[SourceId, ...]
    """Ids of the sources for these rates (see [sources])."""
    note: str | None = None
    """Anything a reader of a quote should know about these rates."""
    uncertain: str | None = None
    """Set when the rates rest on a single third-party source or an inference; says why. Quotes warn."""

    @model_validator(mode="after")
    def _tiers_ascend(self) -> PriceEntry:
        thresholds = [t.above_prompt_tokens for t in self.tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValueError(f"tiers must ascend by above_prompt_tokens without repeats, got {thresholds}")
        return self


class FastModeEntry(Rates):
    """Fast-mode (``speed: "fast"``) rates from ``effective_from``. Fast mode is never batchable."""

    effective_from: date
    """First day these rates apply."""
    sources: tuple[SourceId, ...]
    """Ids of the sources for these rates."""
    note: str | None = None
    """Context for the reader."""
    uncertain: str | None = None
    """Set when the rates are not confirmed by an official source; says why."""


class ToolOverhead(_Model):
    """Tokens of the system prompt the API adds when a request has at least one tool."""

    auto: TokenCount
    """With ``tool_choice`` ``auto`` or ``none``."""
    any: TokenCount
    """With ``tool_choice`` ``any`` or ``tool``."""


class ModelInfo(_Model):
    """One Claude model: identity, dates, limits and dated prices."""

    id: ModelId
    """Canonical API model id (``claude-sonnet-4-6``)."""
    name: str
    """Display name (``Claude Sonnet 4.6``)."""
    family: Family
    """Model family; ``sonnet`` on the command line means the newest released Sonnet on the quote date."""
    version: str
    """Version within the family; ``{family}-{version}`` is accepted as a short name (``sonnet-4.6``)."""
    snapshots: tuple[ModelId, ...] = ()
    """Other dated snapshot ids billed as this model."""
    aliases: tuple[ModelId, ...] = ()
    """API aliases that point at this model (``claude-3-7-sonnet-latest``, ``claude-opus-4-0``)."""
    released: date
    """Release date on the first-party API."""
    retired: date | None = None
    """Date the first-party API stopped serving the model; quotes after it warn."""
    retires_not_before: date | None = None
    """Earliest retirement date Anthropic has committed to, if announced."""
    deprecated: date | None = None
    """Date Anthropic announced the model's deprecation (it still works until ``retired``)."""
    replacement: ModelId | None = None
    """Canonical id of the model Anthropic recommends instead, once deprecated or retired; warnings name it."""
    status_note: str | None = None
    """Availability remarks (limited access, still served on partner clouds, ...)."""
    context_window: PositiveTokens | None = None
    """Maximum prompt + output tokens per request; absent when unpublished."""
    max_output: PositiveTokens | None = None
    """Maximum ``max_tokens`` on the Messages API; absent when unpublished."""
    batch: bool = True
    """Whether the Message Batches API accepts the model."""
    us_data_residency: bool = False
    """Whether ``inference_geo: "us"`` is accepted (Claude 4.6 and later)."""
    tokenizer: TokenizerName
    """Which Claude tokenizer the model uses: ``claude-3`` (up to 4.6) or ``claude-4.7`` (4.7 and later,
    about 30% more tokens for the same text)."""
    min_cacheable_tokens: PositiveTokens | None = None
    """Shortest prompt prefix the model caches; shorter prefixes are silently not cached."""
    tool_use_system_prompt_tokens: ToolOverhead | None = None
    """System-prompt tokens added when tools are present."""
    image_max_long_edge_px: PositiveTokens = 1568
    """Images are scaled down to fit this long edge before being counted."""
    image_max_tokens: PositiveTokens = 1568
    """Upper bound on the tokens one image costs."""
    sources: tuple[SourceId, ...]
    """Ids of the sources for the model's facts."""
    checked: date
    """When these facts were last checked against the sources."""
    uncertain: dict[str, str] = Field(default_factory=dict)
    """Facts that rest on weak or conflicting sources: field name → why."""
    prices: tuple[PriceEntry, ...] = Field(min_length=1)
    """Standard rates, oldest first. Append a new entry when a price changes."""
    fast_mode: tuple[FastModeEntry, ...] = ()
    """Fast-mode rates, oldest first; empty when the model has no published fast-mode price."""
    fast_mode_removed: date | None = None
    """Date fast mode stopped being available, if it was withdrawn."""
    fast_mode_after_removal: Literal["rejected", "standard"] = "rejected"
    """What the API does with a ``speed: "fast"`` request after ``fast_mode_removed``: ``rejected`` (an
    error, nothing billed) or ``standard`` (it runs and bills at standard speed and rates)."""

    @property
    def short_name(self) -> str:
        """``{family}-{version}``, e.g. ``sonnet-4.6``."""
        return f"{self.family}-{self.version}"

    @property
    def names(self) -> tuple[str, ...]:
        """Every name this model answers to: id, snapshots, aliases, short name."""
        return (self.id, *self.snapshots, *self.aliases, self.short_name)

    def is_retired(self, at: date) -> bool:
        """Whether the first-party API had retired the model on ``at``."""
        return self.retired is not None and at >= self.retired

    def price_at(self, at: date) -> PriceEntry | None:
        """The standard rates in effect on ``at``, or None before the first entry."""
        return _latest(self.prices, at)

    def fast_mode_at(self, at: date) -> FastModeEntry | None:
        """The fast-mode rates in effect on ``at``, or None when fast mode was not offered."""
        if self.fast_mode_removed is not None and at >= self.fast_mode_removed:
            return None
        return _latest(self.fast_mode, at)

    def fast_mode_billing(self, at: date) -> Literal["fast", "standard", "unavailable"]:
        """How the API bills a ``speed: "fast"`` request on ``at``.

        ``fast``: at the fast-mode rates in effect. ``standard``: fast mode was withdrawn and the API runs
        the request at standard speed and bills standard rates. ``unavailable``: no fast-mode price (never
        offered, not yet offered, or withdrawn and rejected by the API).
        """
        if self.fast_mode_at(at) is not None:
            return "fast"
        removed = self.fast_mode_removed
        if removed is not None and at >= removed and self.fast_mode_after_removal == "standard":
            return "standard"
        return "unavailable"

    def fast_mode_fallback_warning(self, at: date) -> str | None:
        """The warning for a fast-mode request billed at standard rates on ``at``, else None."""
        if self.fast_mode_billing(at) != "standard":
            return None
        assert self.fast_mode_removed is not None
        return (
            f"fast mode for {self.id} was withdrawn on {self.fast_mode_removed.isoformat()}: a "
            '`speed: "fast"` request runs at standard speed and is billed at standard rates'
        )

    def lifecycle_warning(self, at: date, table: PriceTable | None = None) -> str | None:
        """The one warning about the model's lifecycle on ``at``, or None while it is simply available.

        Retired on ``at`` (no longer served); deprecated (still served until its retirement date); due to
        retire on a known date (no deprecation date recorded, past the earliest retirement date); or past
        the earliest retirement date Anthropic committed to with nothing else known (it may be gone).
        The text names Anthropic's recommended replacement when the table records one. With ``table``,
        a replacement that is itself retired on ``at`` is followed to its own replacement, and the
        replacement's display name is added: ``use claude-sonnet-5-5 (Claude Sonnet 5.5) instead``.
        """
        status = self._lifecycle_status(at)
        if status is None:
            return None
        text, shown = status
        advice = self._replacement_advice(at, table)
        if advice:
            shown.append("replacement")
            text += f"; {advice}"
        labels = {
            "retired": "retirement date",
            "deprecated": "deprecation date",
            "replacement": "replacement",
        }
        doubtful = [labels[f] for f in shown if f in self.uncertain]
        return text + (f" (UNCERTAIN: {', '.join(doubtful)})" if doubtful else "")

    def _lifecycle_status(self, at: date) -> tuple[str, list[str]] | None:
        """Where the model is in its lifecycle on ``at`` (retired, deprecated, due to retire, maybe
        retired), and the recorded fields the text relies on; None while it is simply available."""
        shown: list[str] = []
        if self.is_retired(at):
            assert self.retired is not None
            shown.append("retired")
            text = (
                f"{self.id} was retired on {self.retired.isoformat()}: the Claude API no longer serves it; "
                "priced at its last list price"
            )
        elif self.deprecated is not None and at >= self.deprecated:
            shown.append("deprecated")
            when = ""
            if self.retired is not None:
                shown.append("retired")
                when = f" and retires on {self.retired.isoformat()}"
            text = f"{self.id} was deprecated on {self.deprecated.isoformat()}{when}"
        elif (
            self.retired is not None
            and self.deprecated is None
            and self.retires_not_before is not None
            and at >= self.retires_not_before
        ):
            shown.append("retired")
            text = f"{self.id} is to be retired on {self.retired.isoformat()}"
        elif self.retires_not_before is not None and at >= self.retires_not_before:
            text = (
                f"{self.id} may be retired from {self.retires_not_before.isoformat()} on (the earliest "
                "date Anthropic committed to); check its status before relying on it"
            )
        else:
            return None
        return text, shown

    def _replacement_advice(self, at: date, table: PriceTable | None) -> str | None:
        if self.replacement is None:
            return None
        if table is None:
            return f"use {self.replacement} instead"
        by_id = {m.id: m for m in table.models}
        chain: list[ModelInfo] = []
        current = by_id.get(self.replacement)
        while current is not None and current not in chain:
            chain.append(current)
            if not current.is_retired(at) or current.replacement is None:
                break
            current = by_id.get(current.replacement)
        if not chain:
            return f"use {self.replacement} instead"
        final = chain[-1]
        via = "".join(
            f"Anthropic recommended {m.id}, itself retired on {m.retired.isoformat()}; "
            for m in chain[:-1]
            if m.retired is not None
        )
        return f"{via}use {final.id} ({final.name}) instead"

    def context_window_at(self, at: date) -> int | None:
        """The context window on ``at`` (some entries carried a temporary 1M beta)."""
        entry = self.price_at(at)
        if entry is not None and entry.context_window is not None:
            return entry.context_window
        return self.context_window

    @model_validator(mode="after")
    def _dates_are_ordered(self) -> ModelInfo:
        self._check_entry_order()
        self._check_after_release()
        self._check_fast_mode_removal()
        if self.deprecated is not None and self.retired is not None and self.deprecated > self.retired:
            raise ValueError(f"{self.id}: deprecated {self.deprecated} is after retired {self.retired}")
        if self.replacement == self.id:
            raise ValueError(f"{self.id}: replacement names the model itself; name the model to use instead")
        unknown = set(self.uncertain) - set(type(self).model_fields)
        if unknown:
            raise ValueError(
                f"{self.id}: uncertain names fields that do not exist: {sorted(unknown)}; "
                f"use one of {sorted(type(self).model_fields)}"
            )
        return self

    def _check_entry_order(self) -> None:
        """Price and fast-mode entries in ascending date order, the first price entry on the release."""
        for label, entries in (("prices", self.prices), ("fast_mode", self.fast_mode)):
            days = [e.effective_from for e in entries]
            if days != sorted(set(days)):
                raise ValueError(
                    f"{self.id}: {label} must be in ascending effective_from order without repeats, "
                    f"got {[d.isoformat() for d in days]}; append new entries at the end"
                )
        if self.prices[0].effective_from != self.released:
            raise ValueError(
                f"{self.id}: the first price entry starts {self.prices[0].effective_from}, "
                f"but the model was released {self.released}; they must match"
            )
        if self.fast_mode and self.fast_mode[0].effective_from < self.released:
            raise ValueError(f"{self.id}: fast_mode starts before the release date {self.released}")

    def _check_after_release(self) -> None:
        """Lifecycle dates after the release, and no price entry from the retirement on."""
        for label in ("retired", "retires_not_before", "deprecated", "fast_mode_removed"):
            day: date | None = getattr(self, label)
            if day is not None and day <= self.released:
                raise ValueError(f"{self.id}: {label} {day} is not after released {self.released}")
        if self.retired is not None and self.prices[-1].effective_from >= self.retired:
            raise ValueError(f"{self.id}: a price entry starts on or after retirement ({self.retired})")

    def _check_fast_mode_removal(self) -> None:
        """A withdrawal of fast mode with fast-mode entries before it, and its billing afterwards."""
        if self.fast_mode_removed is not None and not self.fast_mode:
            raise ValueError(f"{self.id}: fast_mode_removed is set but there are no fast_mode entries")
        if self.fast_mode_after_removal != "rejected" and self.fast_mode_removed is None:
            raise ValueError(
                f"{self.id}: fast_mode_after_removal is {self.fast_mode_after_removal!r} but fast_mode_removed "
                "is not set; give the date fast mode was withdrawn"
            )
        if self.fast_mode and self.fast_mode_removed is not None:
            last = self.fast_mode[-1].effective_from
            if last >= self.fast_mode_removed:
                raise ValueError(
                    f"{self.id}: a fast_mode entry starts on or after fast_mode_removed ({self.fast_mode_removed})"
                )


_E = TypeVar("_E", PriceEntry, FastModeEntry)


def _latest(entries: tuple[_E, ...], at: date) -> _E | None:
    found: _E | None = None
    for entry in entries:
        if entry.effective_from <= at:
            found = entry
    return found


class BatchModifier(_Model):
    """The Message Batches discount: every token category is multiplied by ``factor``."""

    factor: Usd = Field(gt=0, le=1)
    """Multiplier on every token line (0.5 = 50% off). Must not exceed 1: batch never costs more."""
    effective_from: date
    """When the Batch API became available."""
    sources: tuple[SourceId, ...]
    """Ids of the sources."""
    note: str | None = None
    """What the discount covers."""


class DataResidencyModifier(_Model):
    """US-only inference (``inference_geo: "us"``): every token category is multiplied."""

    multiplier: Usd = Field(ge=1)
    """Multiplier on every token line (1.1 = +10%)."""
    effective_from: date
    """When the option became available."""
    sources: tuple[SourceId, ...]
    """Ids of the sources."""
    note: str | None = None
    """What the multiplier covers."""
    uncertain: str | None = None
    """Set when part of this record is inferred; says what."""


class WebSearchFee(_Model):
    """The per-search fee of the server-side web search tool."""

    usd_per_thousand: Usd
    """USD per 1,000 searches (``usage.server_tool_use.web_search_requests``)."""
    effective_from: date
    """When the fee started."""
    batch_discount: bool = False
    """Whether the batch factor applies to the fee (undocumented, so false)."""
    sources: tuple[SourceId, ...]
    """Ids of the sources."""
    note: str | None = None
    """What the fee covers."""
    uncertain: str | None = None
    """Set when part of this record is not documented; says what."""


class PriceTable(_Model):
    """A complete, versioned price table."""

    schema_version: Literal[1]
    """Version of this file format."""
    version: str = Field(min_length=1)
    """Version of the prices (a date-like string); every report carries it."""
    currency: Literal["USD"]
    """All amounts are US dollars."""
    checked: date
    """When the table as a whole was last checked against its sources; staleness checks use it."""
    sources: dict[SourceId, Source]
    """Sources cited by id."""
    batch: BatchModifier
    """The Message Batches discount."""
    data_residency: DataResidencyModifier
    """The US data-residency multiplier."""
    web_search: WebSearchFee
    """The web search fee."""
    models: tuple[ModelInfo, ...] = Field(min_length=1)
    """Every model, current and retired, sorted by id."""

    _origin: str = PrivateAttr(default="(in memory)")
    _sha256: str = PrivateAttr(default="")
    _names: tuple[tuple[ModelInfo, ...], dict[str, ModelInfo]] | None = PrivateAttr(default=None)

    def by_name(self, name: str) -> ModelInfo | None:
        """The model one of whose names (:attr:`ModelInfo.names`) normalises like ``name``, or None."""
        index = self._names
        if index is None or index[0] is not self.models:  # a model_copy keeps private attributes
            index = self._names = (self.models, {normalise_name(n): m for m in self.models for n in m.names})
        return index[1].get(normalise_name(name))

    @property
    def origin(self) -> str:
        """Where the table was read from: ``builtin`` or a file path."""
        return self._origin

    @property
    def sha256(self) -> str:
        """sha256 of the file bytes the table was parsed from (bundled + custom when extending)."""
        return self._sha256

    @model_validator(mode="after")
    def _table_invariants(self) -> PriceTable:
        ids = [m.id for m in self.models]
        if ids != sorted(ids):
            for i, (got, want) in enumerate(zip(ids, sorted(ids), strict=True)):
                if got != want:
                    raise ValueError(
                        f"models must be sorted by id: entry {i + 1} is {got!r} but {want!r} belongs there"
                    )
        owner: dict[str, str] = {}
        for model in self.models:
            for name in {normalise_name(n) for n in model.names}:
                if name in owner and owner[name] != model.id:
                    raise ValueError(f"name {name!r} is claimed by both {owner[name]!r} and {model.id!r}")
                owner[name] = model.id
        cited = {s for m in self.models for s in m.sources}
        cited |= {s for m in self.models for e in m.prices for s in e.sources}
        cited |= {s for m in self.models for f in m.fast_mode for s in f.sources}
        cited |= {*self.batch.sources, *self.data_residency.sources, *self.web_search.sources}
        missing = sorted(cited - set(self.sources))
        if missing:
            raise ValueError(f"sources cited but not defined under [sources]: {missing}")
        for model in self.models:
            if model.replacement is not None and model.replacement not in ids:
                close = self.suggest(model.replacement, limit=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(
                    f"models[{model.id}].replacement: {model.replacement!r} is not the id of a model in the "
                    f"table; use a canonical id{hint}"
                )
        return self

    def model_ids(self) -> list[str]:
        """Canonical ids of every model, sorted."""
        return [m.id for m in self.models]

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """The closest known names to ``name``, best first (for "did you mean")."""
        import difflib

        owner = {normalise_name(n): m for m in self.models for n in m.names}
        close = difflib.get_close_matches(normalise_name(name), list(owner), n=len(owner), cutoff=0.6)
        # Answer in the style asked: API ids for "claude-..." names, short names otherwise.
        api_style = name.strip().lower().startswith("claude")
        found: list[str] = []
        for key in close:
            model = owner[key]
            shown = model.id if api_style else model.short_name
            if shown not in found:
                found.append(shown)
        return found[:limit]


def normalise_name(name: str) -> str:
    """Lookup key: case-insensitive, '.' and '-' equivalent, optional 'claude-' prefix."""
    key = name.strip().lower().replace(".", "-").replace("_", "-")
    return key.removeprefix("claude-")
