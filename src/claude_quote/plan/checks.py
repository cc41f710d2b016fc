"""The checks of one request as it is read: custom_id (format, uniqueness), the model (known, an
API id, released, not retired, batchable), ``max_tokens``, fast mode and streaming, cache breakpoints.
A request whose prompt could reach a context-window or tier threshold is passed on to be counted.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claude_quote.engine import Modifiers, RateCard, engine_for
from claude_quote.errors import ClaudeQuoteError, PriceNotAvailableError, UnknownModelError, WorkloadError
from claude_quote.pricing import ModelInfo, resolve_model
from claude_quote.tokens.correction import CountingModel, TokenMethod, corrected, counting_model
from claude_quote.tokens.request import MAX_BREAKPOINTS, ModelFacts, RequestShape, shape_request
from claude_quote.workloads.requests import BatchRequest

from .digests import _digest_add, _id_bytes
from .models import ProblemCode, Severity
from .parts import place

if TYPE_CHECKING:
    from .planner import _Planner

_CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


@dataclass(frozen=True)
class _Model:
    info: ModelInfo
    facts: ModelFacts
    method: TokenMethod
    counting: CountingModel
    card: RateCard
    """Standard real-time rates on the plan's date: the tiers a prompt can cross."""


@dataclass(frozen=True)
class _Resolved:
    model: _Model | None
    problems: tuple[tuple[Severity, ProblemCode, str], ...]


def check(planner: _Planner, request: BatchRequest, content: bytes) -> RequestShape | None:
    """Check one request (``content``: its line as in the file); its shape if it is worth counting."""
    line, custom_id, params = request.line, request.custom_id, request.params
    planner.requests += 1
    planner.lines.update(content)
    planner.lines.update(b"\n")
    planner.lines_digest = _digest_add(planner.lines_digest, content)
    _check_custom_id(planner, line, custom_id)
    model = _request_model(planner, line, custom_id, params.get("model"))
    place(planner, line, custom_id, len(content) + 1, model, params.get("model"))
    _check_batch_options(planner, line, custom_id, params)
    if model is not None:
        _check_modifiers(planner, line, custom_id, params, model)
    window_max = _checked_max_tokens(planner, line, custom_id, params, model)
    if model is None:
        return None
    shape = _shape(planner, request, model, window_max)
    if shape is None or not _could_flag(planner, model, shape, window_max):
        return None
    planner.pending[line] = window_max
    return shape


def _check_custom_id(planner: _Planner, line: int, custom_id: str) -> None:
    if not _CUSTOM_ID.fullmatch(custom_id):
        planner.add(line, custom_id, "error", "custom_id_format", _custom_id_message(custom_id))
    planner.ids_digest = _digest_add(planner.ids_digest, _id_bytes(custom_id))
    first = planner.first_line.get(custom_id)
    if first is None:
        planner.first_line[custom_id] = line
    else:
        planner.add(
            line,
            custom_id,
            "error",
            "custom_id_duplicate",
            f"custom_id {_short(custom_id)} repeats line {first}: custom_ids must be unique in a batch "
            "(results are matched by custom_id); rename one",
        )


def _check_batch_options(planner: _Planner, line: int, custom_id: str, params: dict[str, Any]) -> None:
    """What a batch refuses: streaming and fast mode."""
    if params.get("stream") is True:
        planner.add(
            line,
            custom_id,
            "error",
            "streaming_in_batch",
            'params.stream is true: a batch does not stream; remove "stream" (results arrive when the batch ends)',
        )
    betas = params.get("betas")
    fast_beta = isinstance(betas, list) and any(str(b).startswith("fast-mode") for b in betas)
    if params.get("speed") == "fast" or fast_beta:
        shown = '"speed": "fast"' if params.get("speed") == "fast" else f"betas {_short(betas)}"
        planner.add(
            line,
            custom_id,
            "error",
            "fast_mode_in_batch",
            f"{shown}: fast mode is not available in the Message Batches API; remove it (the batch "
            "runs at standard speed, at half price) or send this request in real time",
        )


def _check_modifiers(
    planner: _Planner, line: int, custom_id: str, params: dict[str, Any], model: _Model
) -> None:
    """``inference_geo``, ``speed`` and ``service_tier`` as the pricing engine takes them (fast mode in a
    batch is :func:`_check_batch_options`' error)."""
    speed = params.get("speed")
    try:
        mods = Modifiers.from_api(
            inference_geo=params.get("inference_geo"),
            speed=None if speed == "fast" else speed,
            service_tier=params.get("service_tier"),
        )
        engine_for(planner.table).card(model.info, planner.at, mods)
    except ClaudeQuoteError as exc:
        planner.add(line, custom_id, "error", "invalid_modifier", f"params: {exc}")


def _shape(
    planner: _Planner, request: BatchRequest, model: _Model, window_max: int | None
) -> RequestShape | None:
    """The request's shape (None, and an ``invalid_params`` error, if its params cannot be read)."""
    line, custom_id, params = request.line, request.custom_id, request.params
    shaped = params if window_max is not None else {**params, "max_tokens": 1}
    try:
        shape = shape_request(
            shaped,
            custom_id=custom_id,
            facts_for=lambda _name: model.facts,
            where=planner.where,
            line=line,
            size_bytes=request.size_bytes,
        )
    except WorkloadError as exc:
        reason = str(exc).removeprefix(f"{planner.where}:{line}: ").removeprefix(f"{custom_id}: ")
        planner.add(line, custom_id, "error", "invalid_params", f"{reason}; the API rejects it")
        return None
    if shape.notes.get("too_many_breakpoints"):
        planner.add(
            line,
            custom_id,
            "error",
            "too_many_cache_breakpoints",
            f"{len(shape.breaks)} cache_control breakpoints: the API allows at most {MAX_BREAKPOINTS}; "
            "remove some",
        )
    return shape


def _request_model(planner: _Planner, line: int, custom_id: str, name: Any) -> _Model | None:
    if not isinstance(name, str) or not name:
        planner.add(
            line,
            custom_id,
            "error",
            "invalid_params",
            f"params.model must be a model id, got {'nothing' if name is None else _short(name)}",
        )
        return None
    resolved = planner.resolved.get(name)
    if resolved is None:
        resolved = planner.resolved[name] = _resolve(planner, name)
    for severity, code, message in resolved.problems:
        planner.add(line, custom_id, severity, code, message)
    return resolved.model


def _resolve(planner: _Planner, name: str) -> _Resolved:
    """The model a request names, and the problems every request naming it has."""
    problems: list[tuple[Severity, ProblemCode, str]] = []
    info = planner.api_names.get(name)
    if info is None:
        try:
            info = resolve_model(planner.table, name, planner.at)
        except UnknownModelError as exc:
            return _Resolved(None, (("error", "unknown_model", str(exc)),))
        except PriceNotAvailableError as exc:
            return _Resolved(None, (("error", "unknown_model", f"model {name!r}: {exc}"),))
        problems.append(
            (
                "error",
                "model_not_api_id",
                f"model {name!r} is claude-quote's name for {info.id}, not an API model id; "
                f'write "model": "{info.id}"',
            )
        )
    if info.released > planner.at:
        message = (
            f"model {name!r} was released on {info.released.isoformat()}, after {planner.at.isoformat()}: "
            "the API did not serve it yet"
        )
        return _Resolved(None, (("error", "unknown_model", message),))
    if info.is_retired(planner.at):
        assert info.retired is not None
        doubt = _uncertain(info, "retired")
        instead = ""
        with contextlib.suppress(PriceNotAvailableError):
            newest = resolve_model(planner.table, info.family, planner.at)
            if newest.id != info.id:
                instead = f"; use {newest.id} instead"
        problems.append(
            (
                "warning" if doubt else "error",
                "retired_model",
                f"{info.id} was retired on {info.retired.isoformat()}: the API no longer serves it"
                f"{instead}{doubt or ''}",
            )
        )
    if not info.batch or planner.at < planner.table.batch.effective_from:
        doubt = _uncertain(info, "batch")
        problems.append(
            (
                "warning" if doubt else "error",
                "model_not_batchable",
                f"{info.id} is not available in the Message Batches API; send it in real time or pick "
                f"another model{doubt or ''}",
            )
        )
    model = planner.by_id.get(info.id)
    if model is None:
        counting = counting_model(info, token_factor=planner.token_factor)
        card = engine_for(planner.table).card(info, planner.at)
        model = planner.by_id[info.id] = _Model(
            info, ModelFacts.of(info, planner.table), counting.method, counting, card
        )
    return _Resolved(model, tuple(problems))


def _checked_max_tokens(
    planner: _Planner, line: int, custom_id: str, params: dict[str, Any], model: _Model | None
) -> int | None:
    value = params.get("max_tokens")
    if value is None:
        planner.add(
            line,
            custom_id,
            "error",
            "max_tokens_missing",
            "params.max_tokens is missing: the Messages API requires it (the most output tokens to write)",
        )
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        planner.add(
            line,
            custom_id,
            "error",
            "max_tokens_invalid",
            f"params.max_tokens must be a whole number of at least 1, got {_short(value)}",
        )
        return None
    if value == 0:
        planner.add(
            line,
            custom_id,
            "warning",
            "max_tokens_zero",
            "params.max_tokens is 0: reported as not supported inside a batch (UNCERTAIN); give at least 1",
        )
        return None
    if model is not None:
        info = model.info
        if info.max_output is not None and value > info.max_output:
            doubt = _uncertain(info, "max_output")
            planner.add(
                line,
                custom_id,
                "warning" if doubt else "error",
                "max_tokens_over_limit",
                f"max_tokens {value:,} is over {info.id}'s maximum output of {info.max_output:,}: "
                f"the API rejects it; lower max_tokens{doubt or ''}",
            )
    return value


def _could_flag(planner: _Planner, model: _Model, shape: RequestShape, max_tokens: int | None) -> bool:
    """Whether the prompt could reach a warning threshold: tiktoken never makes more tokens than
    UTF-8 bytes, at most 4 per character, so requests far below every limit are not tokenized."""
    chars = sum(len(t) for t in shape.texts) + sum(len(t) for t in shape.tool_texts or ())
    framing = model.counting.framing(sum(shape.messages), shape.system)
    bound = corrected(4 * chars, model.counting.max_factor) + math.ceil(framing) + sum(shape.fixed)
    keep = Decimal(1) - planner.margin
    info = model.info
    window = info.context_window_at(planner.at)
    if window is not None and bound + (max_tokens or 0) > window * keep:
        return True
    return any(bound > threshold * keep for threshold in model.card.thresholds)


def _uncertain(info: ModelInfo, fact: str) -> str | None:
    reason = info.uncertain.get(fact)
    return None if reason is None else f" ({fact} is UNCERTAIN in the price data: {reason})"


def _short(value: Any, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _custom_id_message(custom_id: str) -> str:
    allowed = "1 to 64 letters, digits, _ or -"
    if not custom_id:
        return f"custom_id is empty: the API needs {allowed}"
    bad = sorted({c for c in custom_id if not _CUSTOM_ID.fullmatch(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5]) + (", …" if len(bad) > 5 else "")
        return f"custom_id {_short(custom_id)} has characters the API rejects ({shown}): use {allowed}"
    return f"custom_id {_short(custom_id)} is {len(custom_id):,} characters: the API allows {allowed}; shorten it"
