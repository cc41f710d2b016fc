"""The encoder's faster pattern (``encoding.FAST_PAT_STR``) cuts every text into the pieces tiktoken's
own cl100k_base pattern (``encoding.PAT_STR``) cuts it into: the same tokens, on generated texts that
hit each alternative of the pattern and its whitespace cases, on random Unicode, and on the
repository's own files; and it is chosen by tiktoken's version."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import pytest
import tiktoken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote.tokens import encoding as enc

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def _encoder(pattern: str) -> tiktoken.Encoding:
    ranks = enc.bundled_ranks()
    assert ranks is not None
    return tiktoken.Encoding(
        name=f"cl100k_base-{len(pattern)}",
        pat_str=pattern,
        mergeable_ranks=ranks.to_dict(),
        special_tokens=enc.SPECIAL_TOKENS,
    )


def _same_tokens(text: str) -> None:
    official = _encoder(enc.PAT_STR).encode_ordinary(text)
    assert _encoder(enc.FAST_PAT_STR).encode_ordinary(text) == official, repr(text)


# What each alternative of the pattern takes, and what sits around it: contractions (in either
# case), a non-letter before letters (punctuation, a space, a digit, a newline, which the letter run
# may not take), letter runs of several scripts and combining marks, number runs longer than three
# (and non-ASCII digits), punctuation runs with newlines after them, and whitespace runs of every
# kind (before a letter, before the end, with newlines, Unicode spaces).
PIECES = st.sampled_from(
    [
        "'s", "'S", "'ll", "'LL", "'ve", "'re", "'d", "'m", "'t", "'x", "'",
        "word", "Word", "WORD", "é", "ß", "Ωμέγα", "слово", "東京", "한국", "ا", "e\u0301",
        "0", "42", "1234567", "٣٤٥", "①", "½",
        ".", "...", "!?", "(", ")", "{}", "->", "_", "-", "@", "#", "«", "—", "→", "🙂", "👍🏽",
        " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", " \n\n  ", "\u00a0", "\u3000",
        "\u2028", "\x0b", "\x0c", "\x85", "\x1c",
    ]
)  # fmt: skip


@SETTINGS
@given(text=st.lists(PIECES, max_size=60).map("".join))
def test_the_same_tokens_on_texts_made_of_the_pattern_s_cases(text: str) -> None:
    _same_tokens(text)


@SETTINGS
@given(text=st.text(max_size=200))
def test_the_same_tokens_on_any_text(text: str) -> None:
    _same_tokens(text)


@pytest.mark.parametrize(
    "text",
    [
        " " * 20_000 + "x",
        "\n" * 20_000 + "x",
        "x" + " " * 20_000,
        "a" * 50_000,
        "7" * 50_000,
        "!" * 20_000 + "\n" * 500 + "a",
        " !" * 20_000,
        "'s" * 20_000,
        " \n" * 20_000 + "y",
    ],
    ids=["spaces", "newlines", "trailing", "letters", "digits", "punct", "space-punct", "s", "space-nl"],
)
def test_the_same_tokens_on_long_runs(text: str) -> None:
    _same_tokens(text)


def test_the_same_tokens_on_the_repository_s_files() -> None:
    """Prose, code, JSON, TOML and YAML: this repository's docs, sources, tests and examples."""
    paths = sorted(
        path
        for pattern in ("docs/*.md", "src/**/*.py", "tests/**/*.py", "examples/*", "pricing/*", "*.md")
        for path in ROOT.glob(pattern)
        if path.is_file() and path.suffix != ".gz"
    )
    assert len(paths) > 100
    for path in paths:
        _same_tokens(path.read_text(encoding="utf-8", errors="replace"))


def test_the_fast_pattern_is_tiktoken_s_without_possessive_quantifiers() -> None:
    """The fast pattern is the official one with exactly these quantifiers made greedy: the letter run,
    the number run and the punctuation run (the whitespace alternatives are as they are)."""
    greedy = (
        enc.PAT_STR.replace(r"]?+\p{L}++", r"]?\p{L}+")
        .replace(r"\p{N}{1,3}+", r"\p{N}{1,3}")
        .replace(r"]++[\r\n]*+", r"]+[\r\n]*")
    )
    assert greedy == enc.FAST_PAT_STR != enc.PAT_STR
    assert enc.FAST_PAT_STR.endswith(r"|\s++$|\s*[\r\n]|\s+(?!\S)|\s")


def test_the_official_pattern_is_the_one_tiktoken_ships() -> None:
    spec = importlib.util.find_spec("tiktoken_ext.openai_public")
    assert spec is not None
    assert spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    cl100k = source[source.index("def cl100k_base") :]
    assert f'"pat_str": r"""{enc.PAT_STR}"""' in cl100k[: cl100k.index("def ", 10)]


@pytest.mark.parametrize(
    ("version", "fast"),
    [
        ("0.8.0", False),
        ("0.12.0", False),
        ("0.12.9", False),
        ("0.13.0", True),
        ("0.13", True),
        ("0.14.0", True),
        ("0.14.0rc1", True),
        ("1.0.0", True),
        ("0.9", False),
        ("unknown", False),
        ("", False),
    ],
)
def test_the_pattern_is_chosen_by_tiktoken_s_version(version: str, fast: bool) -> None:
    assert enc.counting_pattern(version) == (enc.FAST_PAT_STR if fast else enc.PAT_STR)


def test_the_loaded_encoding_uses_the_pattern_for_the_installed_tiktoken() -> None:
    encoding = enc.load_encoding()[0]
    assert encoding._pat_str == enc.counting_pattern(tiktoken.__version__)
