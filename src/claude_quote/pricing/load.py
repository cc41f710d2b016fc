"""Reading price tables: the bundled one (cached) or a user's file, validated exactly alike."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from claude_quote.errors import PricingDataError
from claude_quote.parsing import loads_toml

from .model import PriceTable

__all__ = [
    "BUILTIN",
    "ENV_VAR",
    "MAX_TABLE_BYTES",
    "builtin_pricing_path",
    "bundled_data_file",
    "load_pricing",
    "parse_pricing",
]

BUILTIN = "builtin"
"""The name of the bundled table, usable as ``extends = "builtin"`` in a custom table."""

ENV_VAR = "CLAUDE_QUOTE_PRICING"
"""Environment variable the CLI reads for a custom table (same as ``--pricing``)."""

MAX_TABLE_BYTES = 64 * 2**20
"""The largest price table read (64 MiB; the bundled one is under 1 MiB): ``--pricing /dev/zero`` is
an error, not all the memory."""


def builtin_pricing_path() -> Path:
    """Where the bundled ``anthropic.toml`` is: inside the installed package, else the source tree."""
    return bundled_data_file("anthropic.toml", "price table")


def bundled_data_file(name: str, what: str) -> Path:
    """Where the bundled data file ``name`` (the ``what``, for the error) is: inside the installed
    package (``claude_quote/_data``), else the source tree's ``pricing/``."""
    # A plain path, not importlib.resources (20 ms of imports at every start): the wheel unpacks the
    # data next to the code, and zipimport installs are not supported.
    packaged = Path(__file__).resolve().parents[1] / "_data" / name
    if packaged.is_file():
        return packaged
    source_tree = Path(__file__).resolve().parents[3] / "pricing" / name
    if source_tree.is_file():
        return source_tree
    raise PricingDataError(  # pragma: no cover - only a broken install gets here
        f"the bundled {what} is missing (looked in {packaged} and {source_tree}); reinstall claude-quote"
    )


def load_pricing(path: str | Path | None = None) -> PriceTable:
    """Load and validate a price table.

    With no ``path``, returns the bundled table (parsed once, then cached). A custom table has the same
    format; with ``extends = "builtin"`` at the top it only needs the models and keys it changes.

    Raises:
        PricingDataError: the file is missing, not TOML, or breaks the schema; the message names the
            file and the field.
    """
    if path is None or str(path) == BUILTIN:
        return _builtin()
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_TABLE_BYTES + 1)
    except OSError as exc:
        raise PricingDataError(f"cannot read pricing table {str(file)!r}: {exc.strerror}") from None
    if len(data) > MAX_TABLE_BYTES:
        raise PricingDataError(
            f"{file}: larger than {MAX_TABLE_BYTES:,} bytes: not a price table (the bundled one is under 1 MiB)"
        )
    return parse_pricing(data, origin=str(file))


@functools.cache
def _builtin() -> PriceTable:
    path = builtin_pricing_path()
    return parse_pricing(path.read_bytes(), origin=BUILTIN)


def parse_pricing(data: bytes, *, origin: str) -> PriceTable:
    """Parse TOML bytes into a validated :class:`PriceTable`; ``origin`` names the file in errors."""
    raw = _parse_toml(data, origin)
    digest = hashlib.sha256(data)
    if raw.get("extends") is not None:
        if raw["extends"] != BUILTIN:
            raise PricingDataError(
                f"{origin}: extends = {raw['extends']!r} is not supported; use extends = {BUILTIN!r}"
            )
        _check_extension(raw, origin)
        base_bytes = builtin_pricing_path().read_bytes()
        base = _parse_toml(base_bytes, BUILTIN)
        raw = _merge(base, raw)
        digest = hashlib.sha256(base_bytes + b"\0" + data)
    try:
        table = PriceTable.model_validate(raw)
    except ValidationError as exc:
        raise PricingDataError(_describe(exc, raw, origin)) from None
    table._origin = origin
    table._sha256 = digest.hexdigest()
    return table


def _parse_toml(data: bytes, origin: str) -> dict[str, Any]:
    return loads_toml(data, origin=origin, error=PricingDataError)


def _check_extension(custom: dict[str, Any], origin: str) -> None:
    """What :func:`_merge` needs of a table that extends the bundled one: ``[sources]`` a table,
    ``[[models]]`` tables each with a string ``id``."""
    sources = custom.get("sources", {})
    if not isinstance(sources, dict):
        raise PricingDataError(
            f"{origin}: sources must be a table of sources ([sources.ID]), got {sources!r:.60}"
        )
    models = custom.get("models", [])
    if not isinstance(models, list):
        raise PricingDataError(
            f"{origin}: models must be an array of tables ([[models]]), got {models!r:.60}"
        )
    for i, model in enumerate(models):
        if not isinstance(model, dict):
            raise PricingDataError(f"{origin}: models[{i}] must be a table ([[models]]), got {model!r:.60}")
        if not isinstance(model.get("id"), str) or not model["id"]:
            raise PricingDataError(
                f"{origin}: models[{i}].id must be the model's API id (a string), got {model.get('id')!r:.60}"
            )


def _merge(base: dict[str, Any], custom: dict[str, Any]) -> dict[str, Any]:
    """A custom table on top of the bundled one: models replace or add by id, other keys override."""
    merged = {
        **base,
        **{k: v for k, v in custom.items() if k not in ("extends", "models", "sources")},
    }
    merged["sources"] = {**base.get("sources", {}), **custom.get("sources", {})}
    models = {m["id"]: m for m in base.get("models", [])}
    for model in custom.get("models", []):
        models[model.get("id")] = model
    merged["models"] = sorted(models.values(), key=lambda m: str(m.get("id")))
    if "version" not in custom:
        merged["version"] = f"{base['version']}+custom"
    return merged


def _describe(exc: ValidationError, raw: dict[str, Any], origin: str) -> str:
    errors = exc.errors(include_url=False)
    # An error inside an item makes pydantic also complain about the container; keep the precise one.
    locs = [tuple(e["loc"]) for e in errors]
    precise = [e for e in errors if not any(o != e["loc"] and o[: len(e["loc"])] == e["loc"] for o in locs)]
    noun = "problem" if len(precise) == 1 else "problems"
    lines = [f"{origin}: invalid pricing table ({len(precise)} {noun}):"]
    for error in precise:
        where = _location(error["loc"], raw)
        message = error["msg"].removeprefix("Value error, ")
        value = error.get("input")
        quoted = repr(value) in message or isinstance(value, dict | list) or where == "(table)"
        lines.append(f"  {where}: {message}" + ("" if quoted else f" (got {value!r})"))
    return "\n".join(lines)


def _location(loc: tuple[int | str, ...], raw: dict[str, Any]) -> str:
    """``('models', 3, 'prices', 0, 'input_per_mtok')`` → ``models[claude-x].prices[0].input_per_mtok``."""
    parts: list[str] = []
    node: Any = raw
    for key in loc:
        if isinstance(key, int):
            label = str(key)
            if isinstance(node, list) and key < len(node):
                node = node[key]
                if parts and parts[-1] == "models" and isinstance(node, dict) and "id" in node:
                    label = str(node["id"])
            parts[-1] += f"[{label}]"
        else:
            node = node.get(key) if isinstance(node, dict) else None
            parts.append(str(key))
    return ".".join(parts) or "(table)"
