"""Finding a model by any of its names, on a given date."""

from __future__ import annotations

import re
from datetime import date
from typing import get_args

from claude_quote.errors import PriceNotAvailableError, UnknownModelError

from .model import Family, ModelInfo, PriceTable, normalise_name

__all__ = ["FAMILIES", "resolve_model"]

_DATE_SUFFIX = re.compile(r"-\d{8}$")
_LABEL = re.compile(r"\[[^\]]*\]$")

FAMILIES: tuple[str, ...] = get_args(Family)
"""Family names that resolve to the family's newest model on the quote date."""


def resolve_model(table: PriceTable, name: str, at: date) -> ModelInfo:
    """The model ``name`` refers to on ``at``.

    ``name`` may be a canonical id (``claude-sonnet-4-6``), a dated snapshot id
    (``claude-haiku-4-5-20251001``), an API alias (``claude-opus-4-0``), a short name (``sonnet-4.6``
    or ``sonnet-4-6``) or a family (``sonnet``: the newest Sonnet released and not retired on ``at``).
    Case does not matter.

    Raises:
        UnknownModelError: nothing matches; carries the closest names.
        PriceNotAvailableError: a family had no released model on ``at``.
    """
    key = normalise_name(name)
    if key in FAMILIES:
        return _newest_in_family(table, key, at)
    found = table.by_name(key)
    if found is not None:
        return found
    custom = table.origin not in ("builtin", "(in memory)")
    raise UnknownModelError(name, _suggestions(table, name), table=table.origin if custom else None)


def _suggestions(table: PriceTable, name: str) -> list[str]:
    """Closest names; a wrong date suffix or a Claude Code label like ``[1m]`` is stripped first."""
    stripped = _LABEL.sub("", _DATE_SUFFIX.sub("", name.strip()))
    first: list[str] = []
    if stripped != name.strip():
        key = normalise_name(stripped)
        first = [m.id for m in table.models if key in {normalise_name(n) for n in m.names}]
    rest = [s for s in table.suggest(name) if s not in first]
    return (first + rest)[:3]


def _newest_in_family(table: PriceTable, family: str, at: date) -> ModelInfo:
    live = [m for m in table.models if m.family == family and m.released <= at and not m.is_retired(at)]
    if not live:
        raise PriceNotAvailableError(
            f"no {family} model was available on {at.isoformat()}; name a specific model"
        )
    return max(live, key=lambda m: (m.released, m.id))
