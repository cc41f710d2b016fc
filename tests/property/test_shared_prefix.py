"""Texts counted with their shared beginnings tokenized once (``claude_quote.tokens.shared_prefix``)
get exactly tiktoken's count, text by text, whatever came before: for texts that share beginnings,
part from them early or late, or share nothing, in any order, with any characters (letters, spaces,
digits, punctuation, contractions, newlines, CJK, emoji), and with the tables forgetting (a small
``MAX_KEYS``)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote.estimate import EstimateOptions, estimate
from claude_quote.tokens import shared_prefix
from claude_quote.tokens.classes import scan
from claude_quote.tokens.encoding import load_encoding, token_counter
from claude_quote.tokens.shared_prefix import (
    KEY_CHARS,
    MIN_MEASURED_CHARS,
    MIN_SHARED_CHARS,
    SharedPrefixes,
    split_point,
)

pipeline = importlib.import_module("claude_quote.estimate.pipeline")
R = TypeVar("R")
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENCODE = load_encoding()[0].encode_ordinary
COUNT = token_counter(load_encoding()[0])  # what estimate counts with; ENCODE is the reference

# Pieces the texts are made of: what the cl100k pattern treats differently (letter runs, a space
# before them or not, digit runs, punctuation runs with newlines, contractions, whitespace runs,
# other scripts), so the joins between pieces hit every part of the pattern.
PIECES = st.sampled_from(
    [
        "word",
        "Word",
        " word",
        "  ",
        " ",
        "\n",
        "\n\n",
        " \n",
        "'s",
        "'ll",
        "n't",
        "don't",
        "42",
        "2026",
        " 7",
        ".",
        ". ",
        ", ",
        "!?",
        "...\n",
        "(x)",
        "-",
        "_id",
        "東京",
        " 東",
        "é",
        "🙂",
        "\t",
        "A",
        "z ",
    ]
)
TEXT = st.lists(PIECES, min_size=0, max_size=40).map("".join)
LONG = st.lists(PIECES, min_size=30, max_size=80).map("".join)


@st.composite
def alike(draw: st.DrawFn) -> list[str]:
    """Texts that begin alike: each one of a few beginnings (or a cut of it: some texts part from it
    early), then a rest."""
    beginnings = draw(st.lists(LONG, min_size=1, max_size=3))
    texts = []
    for rest in draw(st.lists(TEXT, min_size=1, max_size=12)):
        beginning = draw(st.sampled_from(beginnings))
        cut = draw(st.integers(0, len(beginning)))
        texts.append(beginning[:cut] + rest if draw(st.booleans()) else beginning + rest)
    return texts


@SETTINGS
@given(texts=alike())
def test_every_count_is_tiktoken_s(texts: list[str]) -> None:
    shared = SharedPrefixes(COUNT)
    for text in texts:
        assert shared.count(text) == len(ENCODE(text)), text


@SETTINGS
@given(texts=alike())
def test_every_scan_is_the_whole_text_s(texts: list[str]) -> None:
    # the content-class scan adds up where a letter meets a space, as tiktoken's count does: a kept
    # beginning's scan plus the rest's is the whole text's, joins and the first character included
    shared = SharedPrefixes(COUNT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shared_prefix, "MIN_MEASURED_CHARS", 0)  # every kept beginning scanned once
        for text in texts:  # counting learns the beginnings; scanning comes after, as in a chunk
            shared.count(text)
        for text in texts:
            assert shared.features(text, scan) == scan(text), text


@SETTINGS
@given(texts=st.lists(st.one_of(LONG, TEXT), min_size=1, max_size=30))
def test_with_tables_that_forget(texts: list[str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shared_prefix, "MAX_KEYS", 2)
        patch.setattr(shared_prefix, "MAX_CHARS", 300)
        shared = SharedPrefixes(COUNT)
        for text in texts * 2:
            assert shared.count(text) == len(ENCODE(text))
            waiting, kept, chars = shared.sizes()
            assert waiting <= 2
            assert kept <= 2
            assert chars <= 2 * 300


@SETTINGS
@given(text=LONG, end=st.integers(0, 400))
def test_a_split_point_is_a_letter_then_a_space_where_tiktoken_cuts(text: str, end: int) -> None:
    p = split_point(text, end)
    if p:
        assert p <= end
        assert text[p - 1].isascii()
        assert text[p - 1].isalpha()
        assert text[p] == " "
        assert len(ENCODE(text)) == len(ENCODE(text[:p])) + len(ENCODE(text[p:]))
    else:  # no such point at or before end
        assert not any(
            text[q - 1].isascii() and text[q - 1].isalpha() and text[q] == " "
            for q in range(1, min(end, len(text) - 1) + 1)
        )


def recording(function: Callable[[str], R], seen: list[str]) -> Callable[[str], R]:
    """``function``, noting in ``seen`` each text it is given."""

    def recorded(text: str) -> R:
        seen.append(text)
        return function(text)

    return recorded


def test_split_points_on_both_sides() -> None:
    # "Sort these: one two": spaces at 4 (after "t"), 11 (after ":"), 15 (after "e")
    text = "Sort these: one two"
    assert split_point(text, 15) == 15  # the point itself
    assert split_point(text, 14) == 4  # one before it: the space after ":" is no such point
    assert split_point(text, 3) == 0
    assert split_point("a, b 1 c", 8) == 4  # after "b"; the space after "1" is no such point
    assert split_point("a, 1 c", 6) == 0  # after "," and after "1": no letter before either space
    assert split_point("ab ", 99) == 2  # a space at the end: "ab" and " " are pieces of their own
    assert split_point("ab", 99) == 0


def test_a_shared_beginning_is_tokenized_once() -> None:
    seen: list[str] = []
    shared = SharedPrefixes(recording(COUNT, seen))
    prompt = "You sort support tickets into billing, bugs and feature requests. Reply with one word only."
    asks = ["My card was charged twice", "The export button does nothing", "Please add a dark mode"]
    counts = [shared.count(f"{prompt}\n{ask}") for ask in asks]
    assert counts == [len(ENCODE(f"{prompt}\n{ask}")) for ask in asks]
    # first: the whole text (nothing to share yet); second: the shared beginning, up to "one word"
    # (its last letter followed by a space: "only." is not), once, then its rest; third: the rest alone
    head = prompt[: prompt.rindex(" only.")]
    assert len(head) >= MIN_SHARED_CHARS
    assert seen == [f"{prompt}\n{asks[0]}", head, f" only.\n{asks[1]}", f" only.\n{asks[2]}"]
    assert shared.kept_chars() == len(head)


def test_short_texts_and_short_beginnings_are_not_kept() -> None:
    shared = SharedPrefixes(COUNT)
    short = "x" * KEY_CHARS  # not longer than the key: counted as it is, never filed
    assert shared.count(short) == len(ENCODE(short))
    assert shared.sizes() == (0, 0, 0)
    # 64 characters alike, then they part: the shared part ends at a point 59 characters in
    alike = "abc " * 15 + "wxyz"  # 64 characters
    assert split_point(alike + "1", 64) == 59 < MIN_SHARED_CHARS  # too short to keep
    for rest in ("1 one", "2 two"):
        assert shared.count(alike + rest) == len(ENCODE(alike + rest))
    assert shared.sizes() == (1, 0, len(alike) + 5)  # the first still waits; nothing kept
    # one more space alike: the point after "wxyz" (64) is kept
    for rest in (" 3", " 4"):
        assert shared.count(alike + rest) == len(ENCODE(alike + rest))
    assert shared.sizes() == (0, 1, 65)  # the beginning and its space
    assert shared.kept_chars() == 64


def test_the_tables_hold_at_most_their_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_prefix, "MAX_CHARS", 1_000)
    shared = SharedPrefixes(COUNT)
    texts = [f"{i:03d} " + "lorem ipsum " * 25 for i in range(10)]  # 10 distinct keys, 304 characters each
    for text in texts:
        assert shared.count(text) == len(ENCODE(text))
    # 1,000 characters hold three texts of 304: filing a fourth forgets the older half (two), and so on
    waiting, kept, chars = shared.sizes()
    assert (waiting, kept) == (2, 0)
    assert chars == 2 * 304
    too_long = "x " * 600  # 1,200 characters: filed nowhere, and nothing forgotten for it
    assert shared.count(too_long) == len(ENCODE(too_long))
    assert shared.sizes() == (2, 0, 2 * 304)


def test_a_shared_beginning_is_scanned_once() -> None:
    measured: list[str] = []
    measure = recording(scan, measured)
    shared = SharedPrefixes(COUNT)
    prompt = (
        "You sort support tickets into billing, bugs and feature requests. " * 8 + "Reply in one word only."
    )
    asks = ("My card was charged twice", "The export does nothing", "Dark mode")
    texts = [f"{prompt}\n{ask}" for ask in asks]
    for text in texts:
        shared.count(text)
    assert [shared.features(text, measure) for text in texts] == [scan(text) for text in texts]
    head = prompt[: prompt.rindex(" only.")]
    assert len(head) > MIN_MEASURED_CHARS
    # the beginning once, then each text's rest (the first text too: the beginning was kept by then)
    assert measured == [head, *(text[len(head) :] for text in texts)]
    tools = (
        '{"name":"lookup","description":"' + "Find the plan a customer is on. " * 20 + '","input_schema":{}}'
    )
    shared.count(tools)
    shared.count(tools)  # kept whole
    measured.clear()
    assert [shared.features(tools, measure) for _ in range(3)] == [scan(tools)] * 3
    assert measured == [tools]


def test_a_short_shared_beginning_is_scanned_with_each_text() -> None:
    measured: list[str] = []
    measure = recording(scan, measured)
    shared = SharedPrefixes(COUNT)
    prompt = "You sort support tickets into billing, bugs and feature requests. " * 7  # 462 characters
    texts = [f"{prompt}Ticket {i}" for i in range(3)]
    for text in texts:
        shared.count(text)
    assert 64 < shared.kept_chars() <= MIN_MEASURED_CHARS  # kept for counting, not for scanning
    assert [shared.features(text, measure) for text in texts] == [scan(text) for text in texts]
    assert measured == texts  # each scanned whole: adding two scans costs more than the beginning


def test_a_text_that_comes_again_whole_is_counted_once() -> None:
    seen: list[str] = []
    shared = SharedPrefixes(recording(COUNT, seen))
    tools = '{"name":"get_weather","description":"The weather at a place","input_schema":{"type":"object"}}'
    assert [shared.count(tools) for _ in range(4)] == [len(ENCODE(tools))] * 4
    assert seen == [tools, tools]  # the first time, and once more when it is found to have come twice
    assert shared.sizes() == (0, 1, len(tools))
    longer = tools + " and more"  # starts with the whole text: a beginning is kept instead
    assert shared.count(longer) == len(ENCODE(longer))
    assert shared.count(tools) == len(ENCODE(tools))


class _Unshared:
    """Every text tokenized and scanned whole: what counting was before shared beginnings."""

    def __init__(self, tokens: Callable[[str], int]) -> None:
        self.count = tokens

    def features(self, text: str, measure: Callable[[str], tuple[int, ...]]) -> tuple[int, ...]:
        return measure(text)


def test_an_estimate_is_the_same_with_and_without_sharing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 300 requests sharing a system prompt and tools, some parting from the prompt early, some the
    # same request again: more than the 32 Ki characters counted without tiktoken, so tiktoken counts
    prompt = "You sort support tickets into billing, bugs and feature requests. Reply with one word. " * 4
    tools = [
        {"name": "lookup", "description": "Find the customer's plan", "input_schema": {"type": "object"}}
    ]
    path = tmp_path / "batch.jsonl"
    with path.open("w") as out:
        for i in range(300):
            system = prompt if i % 7 else prompt[: 40 + i % 50]
            params = {
                "model": "claude-sonnet-4-6",
                "max_tokens": 100,
                "system": system,
                "messages": [{"role": "user", "content": f"Ticket {i % 40}: my card was charged twice"}],
                **({"tools": tools} if i % 3 else {}),
            }
            out.write(json.dumps({"custom_id": f"r{i}", "params": params}) + "\n")
    options = EstimateOptions(output_tokens=10)
    made: list[SharedPrefixes] = []

    class Recorded(SharedPrefixes):
        def __init__(self, tokens: Callable[[str], int]) -> None:
            super().__init__(tokens)
            made.append(self)

    monkeypatch.setattr(pipeline, "SharedPrefixes", Recorded)
    shared = estimate([path], options, at=date(2026, 11, 25), jobs=1)
    assert made[0].kept_chars() > 0  # the prompt and the tools were shared
    monkeypatch.setattr(pipeline, "SharedPrefixes", _Unshared)
    whole = estimate([path], options, at=date(2026, 11, 25), jobs=1)
    assert shared.input_tokens == whole.input_tokens
    assert shared.model_dump_json() == whole.model_dump_json()
