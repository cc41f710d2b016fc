"""``shape_request`` takes a request of plain text (string system prompt and contents, no tools, no
automatic caching) apart without its builder: the shape must be the builder's.

The builder's shape of the same request comes from writing each string as one text block (a
``text`` block is read as its string, and the builder walks every list of blocks).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote import load_pricing
from claude_quote.errors import WorkloadError
from claude_quote.tokens.request import ModelFacts, RequestShape, shape_request

TABLE = load_pricing()
FACTS = ModelFacts.of(next(m for m in TABLE.models if m.id == "claude-sonnet-4-6"), TABLE)


def _facts(name: str) -> ModelFacts:
    return FACTS


def _shape(params: dict[str, Any]) -> RequestShape:
    return shape_request(params, custom_id="r-1", facts_for=_facts, where="f.jsonl", line=3, size_bytes=9)


def _as_blocks(params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    if isinstance(out.get("system"), str) and out["system"]:
        out["system"] = [{"type": "text", "text": out["system"]}]
    out["messages"] = [{**m, "content": [{"type": "text", "text": m["content"]}]} for m in out["messages"]]
    return out


def _fields(shape: RequestShape) -> dict[str, Any]:
    return {f.name: getattr(shape, f.name) for f in dataclasses.fields(shape)}


texts = st.text(st.characters(exclude_categories=()), max_size=12)
extras = st.fixed_dictionaries(
    {},
    optional={
        "thinking": st.sampled_from([{"type": "enabled", "budget_tokens": 2_048}, {"type": "disabled"}]),
        "tools": st.sampled_from([[], None]),
        "cache_control": st.none(),
        "inference_geo": st.sampled_from(["us", "global"]),
        "speed": st.just("fast"),
        "service_tier": st.just("auto"),
        "temperature": st.just(0.5),
    },
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.none(), texts),
    st.lists(st.tuples(st.sampled_from(["user", "assistant"]), texts), min_size=1, max_size=5),
    extras,
)
def test_a_plain_request_is_shaped_as_the_builder_shapes_it(
    system: str | None, messages: list[tuple[str, str]], extra: dict[str, Any]
) -> None:
    params: dict[str, Any] = {"model": "claude-sonnet-4-6", "max_tokens": 100, **extra}
    params["messages"] = [{"role": role, "content": text} for role, text in messages]
    if system is not None:
        params["system"] = system
    plain = _fields(_shape(params))
    built = _fields(_shape(_as_blocks(params)))
    if system == "":  # an empty string is no system prompt (an empty list of blocks too)
        built["system"] = False
    assert plain == built


def test_a_plain_request_by_hand() -> None:
    shape = _shape(
        {
            "model": "claude-sonnet-4-6",
            "max_tokens": 100,
            "system": "Be brief.",
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": ""},
                {"role": "user", "content": "Sum 2+2"},
            ],
        }
    )
    # one segment: the system prompt and the non-empty contents joined by newlines; three messages
    assert (shape.texts, shape.fixed, shape.messages, shape.system) == (
        ["Be brief.\nHi\nSum 2+2"],
        [0],
        [3],
        True,
    )
    assert (shape.tool_texts, shape.breaks, dict(shape.notes), shape.thinking_budget) == (None, [], {}, 0)
    empty = _shape(
        {"model": "claude-sonnet-4-6", "max_tokens": 1, "system": "", "messages": [{"content": ""}]}
    )
    assert (empty.texts, empty.messages, empty.system) == ([""], [1], False)


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([{"role": "user"}], "params.messages[0] must be an object with role and content"),
        (
            [{"role": "user", "content": "a"}, "b"],
            "params.messages[1] must be an object with role and content",
        ),
        ([{"role": "user", "content": None}], "params.messages[0].content must be a string or a list"),
        ([{"role": "user", "content": 5}], "params.messages[0].content must be a string or a list"),
        ([], "params.messages must be a non-empty list"),
        ({"role": "user"}, "params.messages must be a non-empty list"),
    ],
)
def test_a_request_that_is_not_plain_text_is_still_checked(messages: Any, message: str) -> None:
    with pytest.raises(WorkloadError, match="^" + re.escape(f"f.jsonl:3: r-1: {message}")):
        _shape({"model": "claude-sonnet-4-6", "max_tokens": 100, "system": "s", "messages": messages})
