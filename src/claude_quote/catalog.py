"""What the price table knows, as reports: the list of models on a date, and one model's history."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .cost import today
from .pricing import ModelInfo, PriceEntry, PriceTable, Source, load_pricing, resolve_model
from .pricing.lookup import FAMILIES

__all__ = [
    "ModelDetail",
    "ModelList",
    "ModelSummary",
    "Status",
    "UncertainFact",
    "UncertainFacts",
    "describe_model",
    "list_models",
    "model_status",
    "uncertain_facts",
]

Status = Literal["current", "legacy", "retired", "unreleased"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def model_status(table: PriceTable, model: ModelInfo, at: date) -> Status:
    """``current`` (newest of its family), ``legacy``, ``retired`` or ``unreleased`` on ``at``."""
    if model.released > at:
        return "unreleased"
    if model.is_retired(at):
        return "retired"
    newest = resolve_model(table, model.family, at) if model.family in FAMILIES else model
    return "current" if newest.id == model.id else "legacy"


class ModelSummary(_Frozen):
    """One row of ``claude-quote models``."""

    id: str
    short_name: str
    name: str
    status: Status
    released: date
    retired: date | None
    context_window: int | None
    max_output: int | None
    batch: bool
    prices: PriceEntry | None
    """The standard rates in effect on the list's date (None before release)."""
    uncertain: bool
    """Whether any fact or the rates in effect are flagged UNCERTAIN."""


class ModelList(_Frozen):
    """Every model (or the available ones) with the rates in effect on ``at``."""

    at: date
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    batch_factor: str
    models: tuple[ModelSummary, ...]


class ModelDetail(_Frozen):
    """One model with its whole price history and sources."""

    at: date
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    status: Status
    model: ModelInfo
    sources: dict[str, Source]
    lifecycle: str | None = None
    """The model's lifecycle warning on ``at`` (retired, deprecated, replacement), if any."""


def list_models(
    *, at: date | None = None, include_all: bool = False, table: PriceTable | None = None
) -> ModelList:
    """Models released and not retired on ``at`` (every model with ``include_all``), newest first."""
    table = table or load_pricing()
    at = at or today()
    rows = []
    for model in table.models:
        status = model_status(table, model, at)
        if not include_all and status in ("retired", "unreleased"):
            continue
        entry = model.price_at(at)
        rows.append(
            ModelSummary(
                id=model.id,
                short_name=model.short_name,
                name=model.name,
                status=status,
                released=model.released,
                retired=model.retired,
                context_window=model.context_window_at(at),
                max_output=model.max_output,
                batch=model.batch,
                prices=entry,
                uncertain=bool(model.uncertain) or bool(entry and entry.uncertain),
            )
        )
    family = {m.id: FAMILIES.index(m.family) for m in table.models}
    rows.sort(key=lambda r: (family[r.id], -r.released.toordinal(), r.id))
    return ModelList(
        at=at,
        pricing_version=table.version,
        pricing_checked=table.checked,
        pricing_sha256=table.sha256,
        batch_factor=format(table.batch.factor, "f"),
        models=tuple(rows),
    )


def describe_model(name: str, *, at: date | None = None, table: PriceTable | None = None) -> ModelDetail:
    """One model, by any of its names, with its price history and the sources it cites."""
    table = table or load_pricing()
    at = at or today()
    model = resolve_model(table, name, at)
    cited = {s for e in model.prices for s in e.sources} | set(model.sources)
    cited |= {s for f in model.fast_mode for s in f.sources}
    return ModelDetail(
        at=at,
        pricing_version=table.version,
        pricing_checked=table.checked,
        pricing_sha256=table.sha256,
        status=model_status(table, model, at),
        model=model,
        sources={k: v for k, v in table.sources.items() if k in cited},
        lifecycle=model.lifecycle_warning(at, table),
    )


class UncertainFact(_Frozen):
    """One fact in the table that rests on weak or conflicting sources."""

    subject: str
    """A model id, or ``data_residency`` / ``web_search``."""
    fact: str
    """Which field or price entry."""
    why: str


class UncertainFacts(_Frozen):
    """Every fact flagged UNCERTAIN in a price table."""

    pricing_version: str
    pricing_sha256: str

    pricing_checked: date

    """When the price table was last checked against its sources (its ``checked`` date)."""
    facts: tuple[UncertainFact, ...]


def uncertain_facts(*, table: PriceTable | None = None) -> UncertainFacts:
    """Everything the table flags as UNCERTAIN, model by model, then the table-wide modifiers."""
    table = table or load_pricing()
    facts: list[UncertainFact] = []
    for model in table.models:
        for field, why in model.uncertain.items():
            facts.append(UncertainFact(subject=model.id, fact=field, why=why))
        for entry in model.prices:
            if entry.uncertain:
                facts.append(
                    UncertainFact(
                        subject=model.id, fact=f"prices from {entry.effective_from}", why=entry.uncertain
                    )
                )
        for fast in model.fast_mode:
            if fast.uncertain:
                facts.append(
                    UncertainFact(
                        subject=model.id, fact=f"fast mode from {fast.effective_from}", why=fast.uncertain
                    )
                )
    for name in ("data_residency", "web_search"):
        why = getattr(table, name).uncertain
        if why:
            facts.append(UncertainFact(subject=name, fact="modifier", why=why))
    return UncertainFacts(
        pricing_version=table.version,
        pricing_sha256=table.sha256,
        pricing_checked=table.checked,
        facts=tuple(facts),
    )
