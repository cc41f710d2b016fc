"""Reading TOML files as exact decimals, and validation errors as messages naming the file and key."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from claude_quote.errors import ClaudeQuoteError, ConfigError, UnknownModelError, WorkloadError, plain_message
from claude_quote.parsing import loads_toml

__all__ = ["describe", "in_workload", "location", "parse_toml", "problems", "read_toml", "validate"]

_M = TypeVar("_M", bound=BaseModel)


def read_toml(path: Path, *, what: str) -> dict[str, Any]:
    """A TOML file with every number read as an exact ``Decimal``; ConfigError names the file.

    Read through the readers' opener: at most the line-length cap (``/dev/zero`` is an error, not all
    the memory)."""
    from claude_quote.workloads.files import read_document

    try:
        data = read_document(path)
    except WorkloadError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        if reason == "no such file":
            reason = "No such file or directory"
        raise ConfigError(f"cannot read {what} {str(path)!r}: {reason}") from None
    return parse_toml(data, origin=str(path))


def parse_toml(data: bytes, *, origin: str) -> dict[str, Any]:
    """TOML bytes with every number read as an exact ``Decimal``; ConfigError names ``origin``
    (:func:`claude_quote.parsing.loads_toml`)."""
    return loads_toml(data, origin=origin, error=ConfigError)


def validate(model: type[_M], raw: Any, *, origin: str, prefix: str = "") -> _M:
    """``model.model_validate(raw)``, with a ConfigError naming ``origin`` and every bad key."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc, raw, origin=origin, prefix=prefix)) from None


def describe(exc: ValidationError, raw: Any, *, origin: str, prefix: str = "") -> str:
    """``file: key: message`` for one problem, ``file: N problems: ...; ...`` for several."""
    found = problems(exc, raw, prefix=prefix)
    if len(found) == 1:
        return f"{origin}: {found[0]}"
    return f"{origin}: {len(found)} problems: " + "; ".join(found)


def problems(exc: ValidationError, raw: Any, *, prefix: str = "", label: str = "name") -> list[str]:
    """One ``key.path: message (got value)`` line per problem.

    An error inside an item also makes pydantic complain about its container; only the precise one is
    kept. Unknown keys say so instead of pydantic's "Extra inputs are not permitted".
    """
    errors = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    precise = [e for e in errors if not any(o != e["loc"] and o[: len(e["loc"])] == e["loc"] for o in locs)]
    out = []
    for error in precise:
        where = prefix + location(error["loc"], raw, label=label)
        message = plain_message(error)
        value = error.get("input")
        quiet = error["type"] in ("missing", "extra_forbidden") or isinstance(value, dict | list)
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        out.append(
            f"{where}: {message}" + ("" if quiet or repr(value) in message else f" (got {_shown(value)})")
        )
    return out


def location(loc: tuple[int | str, ...], raw: Any, *, label: str = "name") -> str:
    """``('workloads', 1, 'requests')`` → ``workloads[1] (nightly).requests``, naming items by ``label``."""
    parts: list[str] = []
    node: Any = raw
    for key in loc:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
            text = f"[{key}]"
            if isinstance(node, dict) and isinstance(node.get(label), str):
                text += f" ({node[label]})"
            if parts:
                parts[-1] += text
            else:
                parts.append(text)
        elif not key.startswith("function-"):
            node = node.get(key) if isinstance(node, dict) else None
            parts.append(key)
    return ".".join(parts) or "(file)"


def _shown(value: Any) -> str:
    """A value as the file wrote it: ``-1``, not ``Decimal('-1')``."""
    from decimal import Decimal

    return str(value) if isinstance(value, Decimal) else repr(value)


def in_workload(
    exc: ClaudeQuoteError,
    *,
    origin: str,
    workloads: Sequence[tuple[str, str | None]],
    index: int | None = None,
    prefix: str = "",
    key: str = "workloads",
) -> ConfigError:
    """``exc``, raised while pricing the workloads of a file, as an error naming the file and the key.

    ``workloads`` holds each ``[[workloads]]`` table's (name, model) in file order (``key`` names the
    list: ``by_model`` in an estimate report); ``index`` is the one
    being priced, when known (else the one the error names). An unknown model is ``workloads[i]
    (name).model``, an error in a source file ``workloads[i] (name).source``, another error of the
    workload ``workloads[i] (name)``; an error of no one workload names the file alone.

    >>> str(in_workload(ConfigError("workload 'b': no batch"), origin="c.toml", workloads=[("a", None), ("b", None)]))
    'c.toml: workloads[1] (b): no batch'
    """
    text = str(exc)
    if index is None:
        for i, (name, model) in enumerate(workloads):
            named = text.startswith((f"workload {name!r}:", f"workload {name!r},", f"workload {name!r} "))
            if named or (isinstance(exc, UnknownModelError) and exc.name == model):
                index = i
                break
    if index is None:
        return ConfigError(f"{origin}: {text}")
    name, model = workloads[index]
    where = f"{prefix}{key}[{index}] ({name})"
    for marker in (f"workload {name!r}: ", f"workload {name!r}, "):
        text = text.removeprefix(marker)
    if isinstance(exc, UnknownModelError) and exc.name == model:
        where += ".model"
    elif isinstance(exc, WorkloadError) and exc.path is not None:
        where += ".source"
    return ConfigError(f"{origin}: {where}: {text}")
