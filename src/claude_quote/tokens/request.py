"""A Messages API request, taken apart the way Claude bills it, ready to be tokenized.

:func:`shape_request` walks a request body in the order the prompt cache sees it (tools → system →
messages) and produces a :class:`RequestShape`: the request's text, cut into segments at each
``cache_control`` breakpoint, plus the tokens that are not text (the tool-use system prompt, images,
PDF pages), plus the breakpoints with a digest of everything before them (to find requests that
share a cacheable prefix). Tokenizing the text is left to the caller, which batches it.

What is counted:

- ``system`` (a string or text blocks) and every message's ``content`` (a string or blocks);
- ``text`` blocks; ``tool_use`` / ``server_tool_use`` blocks (name and JSON input); ``tool_result``
  blocks (their text, images and documents); other block types as their JSON text;
- ``tools``: each definition as compact JSON (kept apart, :attr:`RequestShape.tool_texts`: Claude
  renders definitions in a little more tokens than the JSON, see :mod:`.correction`), plus the
  model's tool-use system prompt (``tool_use_system_prompt_tokens``: ``auto`` for tool_choice
  auto/none, ``any`` for any/tool);
- images by their pixel size (:mod:`.media`); images given by URL or file id cost the model's cap;
- PDFs by page count (:mod:`.media`); text documents as text;
- ``thinking`` blocks of the current assistant turn (the last assistant message, when nothing but
  tool results follows it) as their text: Anthropic counts them; earlier turns' thinking is ignored;
- ``thinking.budget_tokens`` is output, not input: kept as :attr:`RequestShape.thinking_budget`;
- the framing Claude adds around the messages: the shape records how many messages begin in each
  segment and whether there is a system prompt; the counting model adds the tokens.

Not counted: thinking of earlier turns and every ``redacted_thinking`` block (its length is not
knowable offline), and the extra system prompt of specific tools (bash, text editor, computer use).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from claude_quote.errors import WorkloadError
from claude_quote.money import MAX_COUNT
from claude_quote.pricing import ModelInfo, PriceTable

from .media import image_size_from_base64, image_tokens, pdf_page_count, pdf_tokens

__all__ = ["ModelFacts", "RequestShape", "shape_request", "shape_text"]

MAX_BREAKPOINTS = 4
"""The API accepts at most four cache_control breakpoints per request."""


@dataclass(frozen=True)
class ModelFacts:
    """What counting needs to know about a model, with documented fallbacks for unpublished facts."""

    model: ModelInfo
    tool_auto: int
    tool_any: int
    tool_note: str | None
    """Set when the table has no tool-use overhead for the model and a fallback was used."""
    min_cacheable: int
    min_cacheable_note: str | None
    """Set when the table has no minimum cacheable length for the model and a fallback was used."""

    @classmethod
    def of(cls, model: ModelInfo, table: PriceTable) -> ModelFacts:
        """Facts for ``model``; a missing value falls back to the largest published for its tokenizer."""
        peers = [m for m in table.models if m.tokenizer == model.tokenizer]
        tool_note = None
        overhead = model.tool_use_system_prompt_tokens
        if overhead is not None:
            tool_auto, tool_any = overhead.auto, overhead.any
        else:
            known = [m.tool_use_system_prompt_tokens for m in peers]
            known = (
                known
                if any(o is not None for o in known)
                else [m.tool_use_system_prompt_tokens for m in table.models]
            )
            all_known = [o for o in known if o is not None]
            tool_auto = max((o.auto for o in all_known), default=0)
            tool_any = max((o.any for o in all_known), default=0)
            tool_note = (
                f"{model.id} has no published tool-use system prompt size; used {tool_auto:,} "
                f"(tool_choice auto) / {tool_any:,} (any), the largest published for the "
                f"{model.tokenizer} tokenizer (UNCERTAIN)"
            )
        minimum_note = None
        if model.min_cacheable_tokens is not None:
            minimum = model.min_cacheable_tokens
        else:
            values = [m.min_cacheable_tokens for m in peers if m.min_cacheable_tokens is not None] or [
                m.min_cacheable_tokens for m in table.models if m.min_cacheable_tokens is not None
            ]
            minimum = max(values, default=1)
            minimum_note = (
                f"{model.id} has no published minimum cacheable prompt length; assumed {minimum:,} "
                f"tokens, the largest published for the {model.tokenizer} tokenizer (UNCERTAIN)"
            )
        return cls(model, tool_auto, tool_any, tool_note, minimum, minimum_note)


@dataclass(slots=True)
class RequestShape:
    """One request before tokenizing: text per cache segment, fixed tokens, breakpoints."""

    facts: ModelFacts
    custom_id: str
    max_tokens: int
    texts: list[str]
    """Text of each segment; a segment ends at a cache breakpoint (the last one at the end)."""
    fixed: list[int]
    """Tokens that are not text (tool-use system prompt, images, PDF pages) in each segment."""
    tool_texts: list[str] | None = None
    """The ``tools`` definitions' JSON in each segment; None when the request has no tools."""
    messages: list[int] = field(default_factory=lambda: [1])
    """How many messages begin in each segment (the counting model adds framing per message)."""
    system: bool = False
    """Whether the request has a system prompt."""
    breaks: list[tuple[int, bool, bytes]] = field(default_factory=list)
    """(segment index the breakpoint closes, whether its TTL is 1 hour, digest of the prefix)."""
    thinking_budget: int = 0
    notes: Counter[str] = field(default_factory=Counter)
    """Things to warn about, by kind (``image_unsized``, ``pdf_pages``, ...) with counts."""
    given: bool = False
    """True when the token count was given (a table's input_tokens), not counted: no correction."""
    given_output: int | None = None
    size_bytes: int = 0
    where: str = ""
    line: int | None = None
    params: dict[str, Any] | None = None
    """The request body, kept only when it is to be counted exactly (``estimate --exact``)."""
    inference_geo: object = None
    """``params.inference_geo`` as written (priced by the engine: ``us`` ×1.1)."""
    speed: object = None
    """``params.speed`` as written (``fast``: fast-mode rates, not in batch)."""
    service_tier: object = None
    """``params.service_tier`` as written (``auto`` / ``standard_only``)."""


_COMPACT: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":"), "sort_keys": False}


def _json_text(value: Any) -> str:
    if isinstance(value, dict) and "cache_control" in value:
        value = {k: v for k, v in value.items() if k != "cache_control"}
    return json.dumps(value, **_COMPACT)


_NO_NOTES: Counter[str] = Counter()
"""The notes of a request with nothing to note, shared (never written: :meth:`_Builder.note` makes a
request its own Counter first)."""


class _Invalid(Exception):
    """A request is malformed; the message says where in it."""


class _Builder:
    def __init__(self, facts: ModelFacts) -> None:
        self.facts = facts
        self.texts: list[str] = []
        self.fixed: list[int] = []
        self.tool_texts: list[str] = []
        self.messages: list[int] = []
        self.has_tools = False
        self._tool_pieces: list[str] = []
        self._messages = 0
        self.breaks: list[tuple[int, bool, bytes]] = []
        self.notes: Counter[str] = _NO_NOTES
        self._pieces: list[str] = []
        self._fixed = 0
        self._ids: list[str] = []
        self._hash: Any = None  # made at the first breakpoint: most requests have none

    def note(self, kind: str, count: int = 1) -> None:
        if self.notes is _NO_NOTES:
            self.notes = Counter()
        self.notes[kind] += count

    def text(self, text: str) -> None:
        if text:
            self._pieces.append(text)

    def tool(self, text: str) -> None:
        self.has_tools = True
        self._tool_pieces.append(text)

    def message(self) -> None:
        self._messages += 1

    def tokens(self, count: int, identity: str) -> None:
        self._fixed += count
        self._ids.append(identity)

    def cache_point(self, control: Any, where: str) -> None:
        if not isinstance(control, dict) or control.get("type", "ephemeral") != "ephemeral":
            raise _Invalid(f'{where}.cache_control must be {{"type": "ephemeral"}}, got {control!r}')
        ttl = control.get("ttl", "5m")
        if ttl not in ("5m", "1h"):
            raise _Invalid(f'{where}.cache_control.ttl must be "5m" or "1h", got {ttl!r}')
        text, ids = self._close()
        if self._hash is None:
            self._hash = hashlib.blake2b(self.facts.model.id.encode(), digest_size=16)
        self._hash.update(self.tool_texts[-1].encode("utf-8", "surrogatepass") + b"\0")
        self._hash.update(text.encode("utf-8", "surrogatepass"))
        for identity in ids:
            self._hash.update(b"\0" + identity.encode("utf-8", "surrogatepass"))
        self.breaks.append((len(self.texts) - 1, ttl == "1h", self._hash.digest()))

    def _close(self) -> tuple[str, list[str]]:
        text, ids = "\n".join(self._pieces), self._ids
        self.texts.append(text)
        self.fixed.append(self._fixed)
        self.tool_texts.append("\n".join(self._tool_pieces))
        self.messages.append(self._messages)
        self._pieces, self._fixed, self._ids, self._tool_pieces, self._messages = [], 0, [], [], 0
        return text, ids

    def finish(self) -> None:
        if self._pieces or self._fixed or self._tool_pieces or self._messages or not self.texts:
            self._close()


def _content(b: _Builder, content: Any, where: str, *, thinking: bool = False) -> None:
    if isinstance(content, str):
        b.text(content)
        return
    if not isinstance(content, list):
        raise _Invalid(f"{where} must be a string or a list of content blocks, got {type(content).__name__}")
    for i, block in enumerate(content):
        _block(b, block, f"{where}[{i}]", thinking=thinking)


def _block(b: _Builder, block: Any, where: str, *, thinking: bool = False) -> None:
    if not isinstance(block, dict):
        raise _Invalid(f"{where} must be a content block object, got {_short(block)}")
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        if not isinstance(text, str):
            raise _Invalid(f"{where}.text must be a string, got {_short(text)}")
        b.text(text)
    elif kind == "image":
        _image(b, block, where)
    elif kind == "document":
        _document(b, block, where)
    elif kind in ("tool_use", "server_tool_use"):
        b.text(str(block.get("name", "")))
        b.text(_json_text(block.get("input", {})))
    elif kind == "tool_result":
        inner = block.get("content")
        if inner is not None:
            _content(b, inner, f"{where}.content")
    elif kind == "thinking":
        if thinking:  # the current assistant turn's thinking is counted; earlier turns' is not
            text = block.get("thinking")
            if isinstance(text, str):
                b.text(text)
    elif kind == "redacted_thinking":
        pass  # encrypted: its length in tokens is not knowable offline
    elif isinstance(kind, str):
        b.text(_json_text(block))
    else:
        raise _Invalid(f"{where} has no block type: {_short(block)}")
    if "cache_control" in block:
        b.cache_point(block["cache_control"], where)


def _image(b: _Builder, block: dict[str, Any], where: str) -> None:
    model = b.facts.model
    cap = model.image_max_tokens
    source = block.get("source")
    if not isinstance(source, dict):
        raise _Invalid(f"{where}.source must be an object, got {_short(source)}")
    if source.get("type") == "base64":
        data = source.get("data")
        if not isinstance(data, str):
            raise _Invalid(f"{where}.source.data must be a base64 string")
        try:
            size = image_size_from_base64(data)
        except ValueError as exc:
            raise _Invalid(f"{where}.source.data: {exc}") from None
        if size is None:
            b.note("image_unknown_format")
            b.tokens(cap, data)
        else:
            width, height = size
            tokens = image_tokens(width, height, long_edge=model.image_max_long_edge_px, max_tokens=cap)
            if tokens == cap:
                b.note("image_capped")
            b.tokens(tokens, data)
        return
    b.note("image_unsized")
    b.tokens(cap, _json_text(source))


def _document(b: _Builder, block: dict[str, Any], where: str) -> None:
    for key in ("title", "context"):
        value = block.get(key)
        if isinstance(value, str):
            b.text(value)
    source = block.get("source")
    if not isinstance(source, dict):
        raise _Invalid(f"{where}.source must be an object, got {_short(source)}")
    kind = source.get("type")
    if kind == "text":
        data = source.get("data")
        if not isinstance(data, str):
            raise _Invalid(f"{where}.source.data must be a string")
        b.text(data)
    elif kind == "content":
        _content(b, source.get("content"), f"{where}.source.content")
    elif kind == "base64" and source.get("media_type") == "application/pdf":
        data = source.get("data")
        if not isinstance(data, str):
            raise _Invalid(f"{where}.source.data must be a base64 string")
        try:
            pages = pdf_page_count(base64.b64decode(data, validate=True))
        except binascii.Error as exc:
            raise _Invalid(f"{where}.source.data is not valid base64 ({exc})") from None
        if pages is None:
            b.note("pdf_pages_unknown")
            pages = 1
        b.note("pdf_pages", pages)
        b.tokens(pdf_tokens(pages, image_max_tokens=b.facts.model.image_max_tokens), data)
    elif kind == "base64":
        data = source.get("data")
        try:
            b.text(base64.b64decode(str(data), validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError):
            raise _Invalid(
                f"{where}.source: base64 {source.get('media_type')!r} data is not UTF-8 text"
            ) from None
    else:  # url, file: the page count is unknown
        b.note("pdf_pages_unknown")
        b.note("pdf_pages")
        b.tokens(pdf_tokens(1, image_max_tokens=b.facts.model.image_max_tokens), _json_text(source))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _count(value: Any, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        shown = "missing" if value is None else _short(value)
        raise _Invalid(f"params.{name} must be a whole number of at least {minimum}, got {shown}")
    if value > MAX_COUNT:
        raise _Invalid(
            f"params.{name} is {_short(value)}, more than {MAX_COUNT:,}; no real request asks for that"
        )
    return value


def shape_request(
    params: dict[str, Any],
    *,
    custom_id: str,
    facts_for: Callable[[str], ModelFacts],
    model: str | None = None,
    where: str = "",
    line: int | None = None,
    size_bytes: int = 0,
) -> RequestShape:
    """Take a Messages API request body apart (see the module docs).

    ``model`` replaces the request's own model. ``facts_for`` resolves a model name (it raises
    :class:`~claude_quote.errors.UnknownModelError` for an unknown one).

    Raises:
        WorkloadError: the request is malformed (``where:line: params.messages[2].content ...``).
    """
    try:
        return _shape(params, custom_id, facts_for, model, where, line, size_bytes)
    except _Invalid as exc:
        raise WorkloadError(f"{custom_id}: {exc}", path=where or None, line=line) from None


def _shape(
    params: dict[str, Any],
    custom_id: str,
    facts_for: Callable[[str], ModelFacts],
    model: str | None,
    where: str,
    line: int | None,
    size_bytes: int,
) -> RequestShape:
    name = model if model is not None else params.get("model")
    if not isinstance(name, str) or not name:
        raise _Invalid(f"params.model must be a model name, got {_short(name)} (or pass --model)")
    facts = facts_for(name)
    max_tokens = params.get("max_tokens")
    if type(max_tokens) is not int or not 1 <= max_tokens <= MAX_COUNT:  # else _count has nothing to do
        max_tokens = _count(max_tokens, "max_tokens", minimum=1)
    text = _plain_text(params)
    if text is not None:  # the common request: text only, nothing to cut or add
        return _plain_shape(params, text, facts, custom_id, max_tokens, where, line, size_bytes)
    b = _Builder(facts)
    _add_tools(b, params, facts)
    system = params.get("system")
    if system is not None:
        _content(b, system, "params.system")
    _add_messages(b, params.get("messages"))
    if "cache_control" in params and params["cache_control"] is not None:
        b.cache_point(params["cache_control"], "params")  # automatic caching: up to the last block
    b.finish()
    if len(b.breaks) > MAX_BREAKPOINTS:
        b.note("too_many_breakpoints")
    return RequestShape(
        facts=facts,
        custom_id=custom_id,
        max_tokens=max_tokens,
        texts=b.texts,
        fixed=b.fixed,
        tool_texts=b.tool_texts if b.has_tools else None,
        messages=b.messages,
        system=system is not None and system != "" and system != [],
        breaks=b.breaks,
        thinking_budget=_thinking_budget(params.get("thinking")),
        notes=b.notes,
        size_bytes=size_bytes,
        where=where,
        line=line,
        inference_geo=params.get("inference_geo"),
        speed=params.get("speed"),
        service_tier=params.get("service_tier"),
    )


def _plain_shape(
    params: dict[str, Any],
    text: str,
    facts: ModelFacts,
    custom_id: str,
    max_tokens: int,
    where: str,
    line: int | None,
    size_bytes: int,
) -> RequestShape:
    """The shape of a request of plain text (:func:`_plain_text`): one segment, no fixed tokens."""
    system = params.get("system")
    thinking = params.get("thinking")
    return RequestShape(  # every field, in order: half the cost of keywords, for the common request
        facts,
        custom_id,
        max_tokens,
        [text],  # texts
        [0],  # fixed
        None,  # tool_texts
        [len(params["messages"])],  # messages
        system is not None and system != "",  # system
        [],  # breaks
        0 if thinking is None else _thinking_budget(thinking),
        _NO_NOTES,  # notes
        False,  # given
        None,  # given_output
        size_bytes,
        where,
        line,
        None,  # params
        params.get("inference_geo"),
        params.get("speed"),
        params.get("service_tier"),
    )


def _plain_text(params: dict[str, Any]) -> str | None:
    """The text of a request whose system prompt (if any) and every message's content are strings,
    without tools or automatic caching: what :class:`_Builder` makes of it, one segment (None: another
    request, for the builder; it also finds what is malformed)."""
    messages = params.get("messages")
    system = params.get("system")
    if (
        type(messages) is not list
        or not messages
        or (system is not None and type(system) is not str)
        or params.get("tools")
        or params.get("cache_control") is not None
    ):
        return None
    pieces = [system] if system else []
    append = pieces.append
    for message in messages:
        if type(message) is not dict:
            return None
        content = message.get("content")
        if type(content) is not str:
            return None
        if content:
            append(content)
    return "\n".join(pieces)


def _add_tools(b: _Builder, params: dict[str, Any], facts: ModelFacts) -> None:
    """The tool definitions and the tool-use system prompt Claude adds for them."""
    tools = params.get("tools") or []
    if not isinstance(tools, list):
        raise _Invalid(f"params.tools must be a list, got {type(tools).__name__}")
    if tools:
        choice = params.get("tool_choice") or {}
        kind = choice.get("type", "auto") if isinstance(choice, dict) else "auto"
        forced = kind in ("any", "tool")
        b.tokens(facts.tool_any if forced else facts.tool_auto, f"tool-prompt:{forced}")
        if facts.tool_note:
            b.note("tool_overhead_fallback")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise _Invalid(f"params.tools[{i}] must be an object, got {_short(tool)}")
        b.tool(_json_text(tool))
        if "cache_control" in tool:
            b.cache_point(tool["cache_control"], f"params.tools[{i}]")


def _add_messages(b: _Builder, messages: Any) -> None:
    """Every message's content, thinking blocks of the current turn included."""
    if not isinstance(messages, list) or not messages:
        raise _Invalid(f"params.messages must be a non-empty list, got {_short(messages)}")
    current = _current_turn(messages)
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "content" not in message:
            raise _Invalid(
                f"params.messages[{i}] must be an object with role and content, got {_short(message)}"
            )
        b.message()
        content = message["content"]
        if isinstance(content, str):  # the common case, without building the error path
            b.text(content)
        else:
            _content(b, content, f"params.messages[{i}].content", thinking=i >= current)


def _thinking_budget(thinking: Any) -> int:
    """The thinking budget when extended thinking is enabled, else 0."""
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        return _count(thinking.get("budget_tokens"), "thinking.budget_tokens", minimum=1)
    return 0


def _current_turn(messages: list[Any]) -> int:
    """Index of the first message of the current assistant turn: the last assistant message, when
    every message after it is a user message of tool results only (len(messages) when there is none)."""
    turn = len(messages)
    for i in range(len(messages) - 1, -1, -1):
        message = messages[i]
        if not isinstance(message, dict):
            break
        if message.get("role") == "assistant":
            turn = i
            continue
        content = message.get("content")
        results = isinstance(content, list) and all(
            isinstance(block, dict) and block.get("type") == "tool_result" for block in content
        )
        if not results or not content:
            break
    return turn


def shape_text(
    text: str,
    *,
    facts: ModelFacts,
    custom_id: str,
    max_tokens: int,
    size_bytes: int = 0,
    where: str = "",
    line: int | None = None,
) -> RequestShape:
    """A request whose whole prompt is one user message of ``text``."""
    return RequestShape(
        facts=facts,
        custom_id=custom_id,
        max_tokens=max_tokens,
        texts=[text],
        fixed=[0],
        size_bytes=size_bytes,
        where=where,
        line=line,
    )
