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
from claude_quote.tokens.classes import JOINS
from claude_quote.tokens.correction import CountingModel, TokenMethod, counting_model, factor_ratio
from claude_quote.tokens.request import MAX_BREAKPOINTS, ModelFacts, RequestShape, shape_request
from claude_quote.workloads.requests import BatchRequest

from .limits import OUTPUT_300K_BETA, OUTPUT_300K_MAX_TOKENS, OUTPUT_300K_MODELS
from .models import ProblemCode, Severity
from .parts import place

if TYPE_CHECKING:
    from .planner import Planner

_CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


@dataclass(frozen=True)
class PlanModel:
    info: ModelInfo
    facts: ModelFacts
    method: TokenMethod
    counting: CountingModel
    card: RateCard
    """Standard real-time rates on the plan's date: the tiers a prompt can cross."""


@dataclass(frozen=True)
class Resolved:
    model: PlanModel | None
    problems: tuple[tuple[Severity, ProblemCode, str], ...]


def check(planner: Planner, request: BatchRequest, size: int) -> RequestShape | None:
    """Check one request (``size``: bytes of its line with a newline); its shape if it is worth counting.

    A request of text alone whose line is far below every limit is not taken apart at all: its
    texts have at most as many UTF-8 bytes as its line, and tiktoken never makes more tokens than
    bytes."""
    line, custom_id, params = request.line, request.custom_id, request.params
    planner.requests += 1
    check_custom_id(planner, line, custom_id)
    model = _request_model(planner, line, custom_id, params.get("model"))
    place(planner, line, custom_id, size, model, params.get("model"))
    _check_batch_options(planner, line, custom_id, params)
    if model is not None:
        _check_modifiers(planner, line, custom_id, params, model)
    if "betas" in params:
        _check_betas_param(planner, line, custom_id, params["betas"])
    window_max = _checked_max_tokens(planner, line, custom_id, params, model)
    if model is None:
        return None
    if _text_only(params):
        tools = max(model.facts.tool_auto, model.facts.tool_any) if params.get("tools") else 0
        messages = params["messages"]
        framing = math.ceil(model.counting.framing(len(messages), params.get("system") is not None))
        if not _could_flag(planner, model, _bound(planner, model, size, tools + framing), window_max):
            return None
    shape = _shape(planner, request, model, window_max)
    if shape is None or not _shape_could_flag(planner, model, shape, window_max):
        return None
    planner.pending[line] = window_max
    return shape


def check_custom_id(planner: Planner, line: int, custom_id: str) -> None:
    if not _CUSTOM_ID.fullmatch(custom_id):
        planner.add(line, custom_id, "error", "custom_id_format", _custom_id_message(custom_id))
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


def _check_batch_options(planner: Planner, line: int, custom_id: str, params: dict[str, Any]) -> None:
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
    planner: Planner, line: int, custom_id: str, params: dict[str, Any], model: PlanModel
) -> None:
    """``inference_geo``, ``speed`` and ``service_tier`` as the pricing engine takes them (fast mode in a
    batch is :func:`_check_batch_options`' error)."""
    speed = params.get("speed")
    if (speed is None or speed == "fast") and "inference_geo" not in params and "service_tier" not in params:
        return  # standard modifiers: the model's own card (``model.card``), made when it was resolved
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
    planner: Planner, request: BatchRequest, model: PlanModel, window_max: int | None
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
    except RecursionError:
        planner.add(line, custom_id, "error", "invalid_params", "params are nested too deeply to read")
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


def _request_model(planner: Planner, line: int, custom_id: str, name: Any) -> PlanModel | None:
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


_ModelProblem = tuple[Severity, ProblemCode, str]


def _resolve(planner: Planner, name: str) -> Resolved:
    """The model a request names, and the problems every request naming it has."""
    problems: list[_ModelProblem] = []
    info = planner.api_names.get(name)
    if info is None:
        try:
            info = resolve_model(planner.table, name, planner.at)
        except UnknownModelError as exc:
            return Resolved(None, (("error", "unknown_model", str(exc)),))
        except PriceNotAvailableError as exc:
            return Resolved(None, (("error", "unknown_model", f"model {name!r}: {exc}"),))
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
        return Resolved(None, (("error", "unknown_model", message),))
    if info.is_retired(planner.at):
        problems.append(_retired(planner, info))
    if not info.batch or planner.at < planner.table.batch.effective_from:
        problems.append(_not_batchable(info))
    return Resolved(_plan_model(planner, info), tuple(problems))


def _retired(planner: Planner, info: ModelInfo) -> _ModelProblem:
    """A model retired on the plan's date (a warning when the date is uncertain), and its successor."""
    assert info.retired is not None
    doubt = uncertain_note(info, "retired")
    instead = ""
    with contextlib.suppress(PriceNotAvailableError):
        newest = resolve_model(planner.table, info.family, planner.at)
        if newest.id != info.id:
            instead = f"; use {newest.id} instead"
    return (
        "warning" if doubt else "error",
        "retired_model",
        f"{info.id} was retired on {info.retired.isoformat()}: the API no longer serves it"
        f"{instead}{doubt or ''}",
    )


def _not_batchable(info: ModelInfo) -> _ModelProblem:
    """A model the Message Batches API does not run (a warning when that is uncertain)."""
    doubt = uncertain_note(info, "batch")
    return (
        "warning" if doubt else "error",
        "model_not_batchable",
        f"{info.id} is not available in the Message Batches API; send it in real time or pick "
        f"another model{doubt or ''}",
    )


def _plan_model(planner: Planner, info: ModelInfo) -> PlanModel:
    """What the plan keeps of a model (made once per model): facts, token counting and rates."""
    model = planner.by_id.get(info.id)
    if model is None:
        counting = counting_model(info, token_factor=planner.token_factor)
        card = engine_for(planner.table).card(info, planner.at)
        model = planner.by_id[info.id] = PlanModel(
            info, ModelFacts.of(info, planner.table), counting.method, counting, card
        )
    return model


def _checked_max_tokens(
    planner: Planner, line: int, custom_id: str, params: dict[str, Any], model: PlanModel | None
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
    if model is not None and model.info.max_output is not None and value > model.info.max_output:
        _check_max_output(planner, line, custom_id, model.info, value)
    return value


def _check_max_output(planner: Planner, line: int, custom_id: str, info: ModelInfo, value: int) -> None:
    """``max_tokens`` over the model's maximum output: an error, unless the 300K-output beta is
    declared (``--beta``) and lifts it on this model."""
    assert info.max_output is not None
    beta = OUTPUT_300K_BETA if OUTPUT_300K_BETA in planner.betas else None
    lifts = info.id in OUTPUT_300K_MODELS
    if beta and lifts and value <= OUTPUT_300K_MAX_TOKENS:
        reason = OUTPUT_300K_MODELS[info.id]
        if reason is not None:
            planner.add(
                line,
                custom_id,
                "warning",
                "max_tokens_over_limit",
                f"max_tokens {value:,} is over {info.id}'s maximum output of {info.max_output:,} and "
                f"needs the {beta} beta, which lifts it to {OUTPUT_300K_MAX_TOKENS:,} on this model "
                f"(UNCERTAIN: {reason})",
            )
        return
    if beta and lifts:
        limit, tail = OUTPUT_300K_MAX_TOKENS, f" with the {beta} beta: the API rejects it; lower max_tokens"
        doubt = None
    else:
        limit, doubt = info.max_output, uncertain_note(info, "max_output")
        if beta:
            tail = f": the API rejects it (the {beta} beta does not lift it on this model); lower max_tokens"
        elif lifts and value <= OUTPUT_300K_MAX_TOKENS:
            tail = (
                f": the API rejects it; lower max_tokens, or, if you create the batch with the "
                f"{OUTPUT_300K_BETA} beta (up to {OUTPUT_300K_MAX_TOKENS:,} on this model), declare it: "
                f"--beta {OUTPUT_300K_BETA}"
            )
        else:
            tail = ": the API rejects it; lower max_tokens"
    planner.add(
        line,
        custom_id,
        "warning" if doubt else "error",
        "max_tokens_over_limit",
        f"max_tokens {value:,} is over {info.id}'s maximum output of {limit:,}{tail}{doubt or ''}",
    )


def _check_betas_param(planner: Planner, line: int, custom_id: str, betas: Any) -> None:
    planner.add(
        line,
        custom_id,
        "warning",
        "betas_in_params",
        f"params.betas {_short(betas)} is not how the API takes betas: it reads them from the "
        'anthropic-beta header of the batch-create request (the SDK\'s betas=[...]); remove "betas" '
        "from params, and declare the betas to plan with --beta NAME",
    )


_TEXT_BLOCK_KEYS = frozenset({"type", "text", "cache_control"})
_SIMPLE_KEYS = frozenset(
    {
        "model",
        "max_tokens",
        "messages",
        "system",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "metadata",
    }
    | {
        "stream",
        "speed",
        "betas",
        "service_tier",
        "inference_geo",
        "container",
        "mcp_servers",
        "output_config",
    }
)
"""Keys of a request that :func:`shape_request` does not read, or reads only as checked here."""


def _text_only(params: dict[str, Any]) -> bool:
    """Whether the request is text alone, as :func:`shape_request` reads it, so that its line's
    bytes bound its texts' bytes and nothing in it is malformed: a system prompt and messages of
    strings or text blocks, tool definitions without decimal numbers (as compact JSON they are no
    longer than in the line), valid cache_control breakpoints (at most four); no images, documents
    or other blocks."""
    messages = params.get("messages")
    if type(messages) is not list or not messages:
        return False
    if (
        _SIMPLE_KEYS.issuperset(params)
        and isinstance(params.get("system", ""), str)
        and _string_contents(messages)
    ):
        return True  # the common case, quickly
    if not _valid_thinking(params.get("thinking")):
        return False
    counts = (
        _tool_breakpoints(params.get("tools")),
        _control_breakpoints(params.get("cache_control")),
        _block_breakpoints(messages, params.get("system")),
    )
    return None not in counts and sum(c for c in counts if c is not None) <= MAX_BREAKPOINTS


def _string_contents(messages: list[Any]) -> bool:
    """Every message an object whose content is a string."""
    for message in messages:
        if type(message) is not dict or type(message.get("content")) is not str:
            return False
    return True


def _valid_thinking(thinking: Any) -> bool:
    """No thinking setting, or one whose budget (when enabled) is a whole number of at least 1."""
    if thinking is None:
        return True
    if not isinstance(thinking, dict):
        return False
    if thinking.get("type") != "enabled":
        return True
    budget = thinking.get("budget_tokens")
    return not isinstance(budget, bool) and isinstance(budget, int) and budget >= 1


def _tool_breakpoints(tools: Any) -> int | None:
    """The cache breakpoints on tool definitions, or None when a definition is not plain text."""
    if not tools:
        return 0
    if not isinstance(tools, list):
        return None
    breakpoints = 0
    for tool in tools:
        if not isinstance(tool, dict) or not _whole_numbers(tool):
            return None
        if "cache_control" in tool:
            if not _valid_control(tool["cache_control"]):
                return None
            breakpoints += 1
    return breakpoints


def _control_breakpoints(control: Any) -> int | None:
    """The request's own breakpoint (0 or 1), or None when it is malformed."""
    if control is None:
        return 0
    return 1 if _valid_control(control) else None


def _block_breakpoints(messages: list[Any], system: Any) -> int | None:
    """The breakpoints on text blocks of the messages and the system prompt, or None when a content
    is not a string or a list of text blocks."""
    contents = [message.get("content") if type(message) is dict else None for message in messages]
    if system is not None:
        contents.append(system)
    breakpoints = 0
    for content in contents:
        if type(content) is str:
            continue
        if type(content) is not list:
            return None  # not a list of blocks, or a message that is no object or has no content
        for block in content:
            if (
                type(block) is not dict
                or block.get("type") != "text"
                or type(block.get("text")) is not str
                or not _TEXT_BLOCK_KEYS.issuperset(block)
            ):
                return None
            if "cache_control" in block:
                if not _valid_control(block["cache_control"]):
                    return None
                breakpoints += 1
    return breakpoints


def _whole_numbers(value: Any, depth: int = 0) -> bool:
    """No decimal number anywhere in ``value`` (``1e5`` is ``100000.0`` as JSON again: longer)."""
    if isinstance(value, float) or depth > 64:
        return False
    if isinstance(value, dict):
        return all(_whole_numbers(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(_whole_numbers(v, depth + 1) for v in value)
    return True


def _valid_control(control: Any) -> bool:
    return (
        isinstance(control, dict)
        and control.get("type", "ephemeral") == "ephemeral"
        and control.get("ttl", "5m") in ("5m", "1h")
    )


def _shape_could_flag(
    planner: Planner, model: PlanModel, shape: RequestShape, max_tokens: int | None
) -> bool:
    """Whether the request's texts, framing and fixed tokens could reach a threshold. tiktoken makes
    at most one token per UTF-8 byte, and a character is at most 4 bytes: that bound first, then the
    bytes."""
    fixed = sum(shape.fixed) + math.ceil(model.counting.framing(sum(shape.messages), shape.system))
    texts = [*shape.texts, *(shape.tool_texts or ())]
    quotes = 2 * len(texts)  # as in a line: what pays for a text's start_digit (see line_factor)
    rough = quotes + sum(len(t) if t.isascii() else 4 * len(t) for t in texts)
    if not _could_flag(planner, model, _bound(planner, model, rough, fixed), max_tokens):
        return False
    exact = quotes + sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)
    return _could_flag(planner, model, _bound(planner, model, exact, fixed), max_tokens)


@dataclass(frozen=True)
class Bounds:
    """What the bound check needs of a model, worked out once per plan: its largest token factor as
    a fraction, and the most tokens that stay under every warning threshold (prompt + max_tokens
    under the context window; the prompt under the lowest tier)."""

    num: int
    den: int
    window: int | None
    tier: int | None


def _bounds(planner: Planner, model: PlanModel) -> Bounds:
    found = planner.bounds.get(model.info.id)
    if found is None:
        num, den = factor_ratio(line_factor(model.counting))
        keep = Decimal(1) - planner.margin
        window = model.info.context_window_at(planner.at)
        tiers = [int(threshold * keep) for threshold in model.card.thresholds]
        found = planner.bounds[model.info.id] = Bounds(
            num, den, None if window is None else int(window * keep), min(tiers, default=None)
        )
    return found


def line_factor(counting: CountingModel) -> Decimal:
    """The most estimated tokens per byte of a request's line (the bound of :func:`_could_flag`).

    A text's estimate is at most ``(tiktoken tokens + Σ joins × their weight) × the largest factor``,
    and tiktoken makes at most one token per byte. The joins (:data:`~claude_quote.tokens.classes.JOINS`)
    are rarer than one a byte, and each byte ends at most one: ``punct_letter`` ends on an ASCII
    letter after an ASCII mark, ``lower_upper`` and ``upper_upper`` on a capital after a lower-case
    letter or a capital, ``newline`` on a line feed, ``space_nonascii`` on a non-ASCII character (two
    bytes or more) after an ASCII space or control character. Charging each join to its own bytes and
    the byte before it that no other join is charged to: a mark and a letter (``pl/2`` a byte); a
    lower-case letter and a capital (``lu/2``), or a mark, a lower-case letter and a capital
    (``(pl+lu)/3``); a capital alone (``uu``); a line feed alone (``nl``); a space or control byte
    and a two-byte character (``sn/3``), or a line feed and one (``(nl+sn)/3``). The densest of these
    is the most a byte. ``start_digit`` (once a text, on its first byte) is paid for by the text's two
    quotes in the line, which are no text. The factor per text byte (``counting.max_factor``: one
    join a byte) is the fallback for a join this bound does not know."""
    known = ("punct_letter", "lower_upper", "start_digit", "newline", "upper_upper", "space_nonascii")
    if counting.factors is None or sorted(JOINS) != sorted(known) or len(counting.joins) != len(JOINS):
        return counting.max_factor
    weight = dict(zip(JOINS, counting.joins, strict=True))
    pl, lu, uu = weight["punct_letter"], weight["lower_upper"], weight["upper_upper"]
    nl, sn = weight["newline"], weight["space_nonascii"]
    density = max(pl / 2, lu / 2, (pl + lu) / 3, uu, nl, sn / 3, (nl + sn) / 3, 0.0)
    if weight["start_digit"] > 2 * (1.0 + density):  # the two quotes of a text no longer pay for it
        return counting.max_factor
    top = max(counting.factors) * max(counting.tool_factor, 1.0) * (1.0 + density)
    return min(counting.max_factor, Decimal(str(math.ceil(top * 1000) / 1000)))


def _bound(planner: Planner, model: PlanModel, text_bytes: int, fixed: int = 0) -> int:
    """The most prompt tokens a request with these text bytes could have (``ceil(bytes × factor)``)."""
    bounds = _bounds(planner, model)
    return -((-text_bytes * bounds.num) // bounds.den) + fixed


def _could_flag(planner: Planner, model: PlanModel, bound: int, max_tokens: int | None) -> bool:
    """Whether a prompt of at most ``bound`` tokens could reach a warning threshold (over the
    context window with ``max_tokens``, or a price tier, less the margin): requests far below
    every limit are not tokenized."""
    bounds = _bounds(planner, model)
    if bounds.window is not None and bound + (max_tokens or 0) > bounds.window:
        return True
    return bounds.tier is not None and bound > bounds.tier


def uncertain_note(info: ModelInfo, fact: str) -> str | None:
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
