"""Small inputs counted without tiktoken's encoder (tokens/bpe.py) give tiktoken's own tokens; the
sorted ranks file (tokens/ranks.py) holds the official ranks; estimate switches to tiktoken past
SMALL_INPUT_CHARS or at the first text outside the covered scripts, with the same figures either way."""

from __future__ import annotations

import json
import marshal
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote.estimate import pipeline
from claude_quote.tokens import encoding as enc
from claude_quote.tokens.bpe import COVERED, MAX_PIECE_BYTES, bpe_counts, pieces, token_bytes
from claude_quote.tokens.ranks import FORMAT, SortedRanks
from tests.conftest import ROOT


def _ranks() -> SortedRanks:
    ranks = enc.bundled_ranks()
    assert ranks is not None, "claude-quote bundles the sorted ranks (vendor/tiktoken)"
    return ranks


def _tiktoken(texts: list[str]) -> list[int]:
    encoding, _ = enc.load_encoding()
    return [len(encoding.encode_ordinary(text)) for text in texts]


def _tiktoken_tokens(text: str) -> list[bytes]:
    encoding, _ = enc.load_encoding()
    return [encoding.decode_single_token_bytes(token) for token in encoding.encode_ordinary(text)]


_OUTSIDE = "[^" + "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in COVERED) + "]+"


def _repository_texts() -> list[str]:
    """The repository's code, tests, docs and examples: each file, or each stretch of a file within the
    covered scripts."""
    texts: list[str] = []
    for pattern in ("src/**/*.py", "tests/**/*.py", "docs/**/*.md", "examples/*", "benchmarks/*.py", "*.md"):
        for path in sorted(ROOT.glob(pattern)):
            if path.is_file():
                texts.extend(re.split(_OUTSIDE, path.read_text(encoding="utf-8", errors="replace")))
    return [text for text in texts if text]


def test_the_repository_counts_as_tiktoken_counts_it() -> None:
    texts = _repository_texts()
    assert sum(map(len, texts)) > 2_000_000
    assert sum(not text.isascii() for text in texts) > 100  # × — é ’ ≤ and more
    counted = [bpe_counts([text], _ranks()) for text in texts]
    # Left to tiktoken only for a piece over MAX_PIECE_BYTES (a long run of ---- or spaces).
    assert sum(count is None for count in counted) <= len(texts) // 100
    pairs = [(count[0], tiktoken) for count, tiktoken in zip(counted, _tiktoken(texts), strict=True) if count]
    assert [ours for ours, _ in pairs] == [theirs for _, theirs in pairs]


def _covered() -> list[str]:
    return [
        chr(code) for low, high in COVERED for code in range(low, high + 1) if not 0xD800 <= code <= 0xDFFF
    ]


# Each covered character in the contexts that tell the pattern's classes apart: after and before a
# letter, a digit, a space, an apostrophe, a newline, itself; so a character that Python's Unicode
# database and tiktoken's regex crate classed differently (letter, number, White_Space, other) would
# cut a piece elsewhere and give other tokens.
_CONTEXTS = [
    "a{}b",
    "{}{}{}",
    " {}1",
    "1{}2",
    "'{}",
    "x'{}",
    "{} ",
    " {}",
    "\n{}\n",
    "{}\r\n",
    "!{}?",
    "  {}x",
    "{}'s",
]


def test_every_covered_character_is_cut_and_merged_as_tiktoken_does() -> None:
    ranks = _ranks()
    characters = _covered()
    assert len(characters) == 0x800 + 0x100 + 0xD0
    differ = [
        (context, char)
        for char in characters
        for context in _CONTEXTS
        if token_bytes(text := context.replace("{}", char), ranks) != _tiktoken_tokens(text)
    ]
    assert differ == []


# Pieces that exercise each alternative of the pattern, and what separates them: contractions in any
# case, letter runs after a punctuation or a space, digit runs split in threes, punctuation runs with
# trailing newlines, whitespace before a word, at the end, and the ASCII controls \x1c-\x1f (not
# White_Space in Unicode, so not spaces for tiktoken, though Python's str.isspace says they are).
_FRAGMENTS = [
    *("'s", "'S", "'t", "'ll", "'LL", "'Ve", "'re", "'d", "'m", "'x", "''", "'ſ", "'K"),
    *(" ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f"),
    *("\x00", "\x7f", "\x85", "\xa0", "\u2003", "\u2028", "\u202f", "\u205f", "\u200b"),
    *("a", "the", "The", " the", "don", "HTTP", "json", "é", "café", " naïve", "Straße", "Ελλάδα", "Москва"),
    *("1", "12", "123", "1234", "12345", "3.14", "½", "²", "٣٤٥", "Ⅻ"),
    *("!", "?!", "...", "-->", '{"', '"}', "=>", "```", "#", "@", "_", "__init__", "x_y", "a1b2"),
    *(" \n", " !\n\n", "“", "”", "’s", "—", "…", "€", "•"),
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_FRAGMENTS),
            st.text(st.characters(max_codepoint=127), max_size=12),
            st.text(st.sampled_from(_covered()), max_size=6),
        ),
        max_size=30,
    ).map("".join)
)
def test_any_covered_text_gives_the_tokens_tiktoken_gives(text: str) -> None:
    ours = token_bytes(text, _ranks())
    if ours is not None:  # None only for a piece over MAX_PIECE_BYTES (or Ⅻ, which is outside)
        assert ours == _tiktoken_tokens(text)
        assert bpe_counts([text], _ranks()) == [len(ours)]


@pytest.mark.parametrize("length", [2, 3, 17, 100, MAX_PIECE_BYTES])
@pytest.mark.parametrize("unit", ["a", "ab", "xyz", "aab", "Qz", "!", "-=", " ", "é", "éa"])
def test_long_pieces_merge_as_tiktoken_merges_them(unit: str, length: int) -> None:
    text = (unit * length)[: length // len(unit[0].encode())]  # at most MAX_PIECE_BYTES bytes
    assert token_bytes(text, _ranks()) == _tiktoken_tokens(text)


def test_a_long_piece_or_an_uncovered_text_is_left_to_tiktoken() -> None:
    ranks = _ranks()
    at_limit, over = "a" * MAX_PIECE_BYTES, "a" * (MAX_PIECE_BYTES + 1)
    assert pieces().findall(over) == [over]  # one piece
    assert bpe_counts([at_limit], ranks) is not None
    assert bpe_counts([over], ranks) is None
    assert bpe_counts(["é" * (MAX_PIECE_BYTES // 2)], ranks) is not None  # 2 bytes each: 256 bytes
    assert bpe_counts(["é" * (MAX_PIECE_BYTES // 2 + 1)], ranks) is None
    assert bpe_counts(["plain", "café"], ranks) is not None
    for outside in ("漢字", "😀", "\u0800", "\u1dff", "\u1f00", "\u1fff", "\u20d0", "\ud800"):
        assert bpe_counts(["plain", f"a{outside}b"], ranks) is None, outside
    for inside in ("\u07ff", "\u1e00", "\u1eff", "\u2000", "\u20cf"):
        assert bpe_counts(["plain", f"a{inside}b"], ranks) is not None, inside
    assert bpe_counts(["", "hello world"], ranks) == [0, 2]  # "hello", " world"


def test_the_pattern_finds_the_pieces_tiktoken_finds() -> None:
    # By hand: a space before a digit is a piece of its own; of two spaces before a word the first is
    # one (`\s+(?!\S)` gives one back), the second joins the word; "\n\n  " before a word is "\n\n"
    # (`\s*[\r\n]`) then " " then " end"; spaces at the very end are one piece (`\s++$`).
    text = "Hello, world! It's 2026:  x\n\n  end  "
    expected = [
        "Hello",
        ",",
        " world",
        "!",
        " It",
        "'s",
        " ",
        "202",
        "6",
        ":",
        " ",
        " x",
        "\n\n",
        " ",
        " end",
        "  ",
    ]
    assert pieces().findall(text) == expected
    # Each of these pieces is one cl100k_base token, so tiktoken's tokens, decoded, are the same pieces.
    encoding, _ = enc.load_encoding()
    assert [
        encoding.decode_single_token_bytes(t).decode() for t in encoding.encode_ordinary(text)
    ] == expected


def test_the_sorted_ranks_are_the_official_ranks() -> None:
    ranks = _ranks()
    official = enc.packaged_encoding_file()
    assert official is not None
    parsed = enc.parse_bpe(official.read_bytes(), str(official))
    assert ranks.to_dict() == parsed
    assert len(ranks) == enc.RANK_COUNT == len(parsed)
    assert ranks.get(b"hello") == 15339  # well-known cl100k_base ids
    assert ranks.get(b" world") == 1917
    assert ranks.get(b"\x00\x00\x00\x00\x00\x00\x00\x00\x00not a token") is None
    assert ranks.get(b"\xff\xff\xff\xff") is None  # after the last token
    assert SortedRanks.from_bytes(ranks.to_bytes()).to_dict() == parsed


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        marshal.dumps(("other", [], b"")),
        marshal.dumps((FORMAT, [b"a"], b"")),  # a token without its rank
        marshal.dumps((FORMAT, [b"a"], b"\x01\x00\x00")),  # a rank of three bytes
        marshal.dumps((FORMAT, [b"a"], [1])),  # the ranks as a list (the first format)
        marshal.dumps(("claude-quote sorted ranks 1", [b"a"], [1])),
        marshal.dumps((FORMAT, (), b"")),
        marshal.dumps([FORMAT, [], b""]),
    ],
)
def test_a_file_that_is_not_sorted_ranks_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match=r"sorted-ranks file|tokens but"):
        SortedRanks.from_bytes(data)


def test_a_damaged_ranks_file_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    enc.clear_cache()
    monkeypatch.setattr(enc, "RANKS_SHA256", "0" * 64)
    try:
        assert enc.bundled_ranks() is None
    finally:
        enc.clear_cache()


# estimate: the switch to tiktoken, and the same figures from either counter.


def _requests(path: Path, texts: list[str]) -> Path:
    lines = [
        json.dumps(
            {
                "custom_id": f"r{i}",
                "params": {
                    "model": "claude-sonnet-4-6",
                    "max_tokens": 50,
                    "messages": [{"role": "user", "content": text}],
                },
            }
        )
        for i, text in enumerate(texts)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _estimate(path: Path) -> str:
    from claude_quote import estimate

    return estimate([path], at=date(2026, 11, 25)).model_dump_json()


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts how many times the estimate pipeline asks for tiktoken's encoder."""
    calls: list[int] = []
    real = enc.load_encoding

    def spy() -> object:
        calls.append(1)
        return real()

    monkeypatch.setattr(pipeline, "load_encoding", spy)
    return calls


def test_a_small_input_builds_no_encoder_and_gives_the_same_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[int]
) -> None:
    path = _requests(
        tmp_path / "small.jsonl", ["Summarize: my invoice is wrong.", "Translate 'hello' to French."]
    )
    small = _estimate(path)
    assert built == []
    monkeypatch.setattr(pipeline, "SMALL_INPUT_CHARS", -1)  # everything by tiktoken
    assert _estimate(path) == small
    assert built == [1]


@pytest.mark.parametrize("over", [0, 1])
def test_past_small_input_chars_tiktoken_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built: list[int], over: int
) -> None:
    # Two texts of 30 + 30 characters: 60 counted without the encoder at a limit of 60, not at 59.
    monkeypatch.setattr(pipeline, "SMALL_INPUT_CHARS", 60 - over)
    path = _requests(tmp_path / "edge.jsonl", ["x" * 29 + ".", "y" * 29 + "!"])
    result = _estimate(path)
    assert built == ([1] if over else [])
    monkeypatch.setattr(pipeline, "SMALL_INPUT_CHARS", -1)
    assert _estimate(path) == result


def test_a_text_outside_the_covered_scripts_is_counted_by_tiktoken(tmp_path: Path, built: list[int]) -> None:
    path = _requests(tmp_path / "tea.jsonl", ["one tea, please", "お茶をください"])
    _estimate(path)
    assert built == [1]
