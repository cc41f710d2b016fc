"""Offline loading of tiktoken's cl100k_base: cache dir, bundled copy, corruption, nothing at all, no network."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote.errors import TokenizerUnavailableError
from claude_quote.tokens import encoding as enc


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test loads the encoding anew, in an environment without cache variables."""
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)
    enc.clear_cache()
    yield
    enc.clear_cache()


def _packaged_bytes() -> bytes:
    path = enc.packaged_encoding_file()
    assert path is not None, "claude-quote bundles cl100k_base.tiktoken (vendor/tiktoken, claude_quote/_data)"
    return path.read_bytes()


def test_packaged_file_is_the_official_one_with_its_licence() -> None:
    path = enc.packaged_encoding_file()
    assert path is not None
    assert hashlib.sha256(path.read_bytes()).hexdigest() == enc.OFFICIAL_SHA256
    licence = path.parent / ("LICENSE" if path.parent.name == "tiktoken" else "tiktoken-LICENSE")
    assert "MIT License" in licence.read_text()
    assert "Copyright (c) 2022 OpenAI" in licence.read_text()


def test_parse_bpe_gives_what_tiktoken_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    from tiktoken.load import load_tiktoken_bpe

    path = enc.packaged_encoding_file()
    assert path is not None
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # tiktoken's own reader on a local path, no cache
    theirs = load_tiktoken_bpe(str(path), enc.OFFICIAL_SHA256)
    assert enc.parse_bpe(path.read_bytes(), str(path)) == theirs


def test_cache_file_name_is_sha1_of_the_official_url() -> None:
    # tiktoken's read_file_cached names the file sha1(blobpath).hexdigest()
    assert enc.cache_file_name() == hashlib.sha1(enc.OFFICIAL_URL.encode()).hexdigest()


def test_loads_from_the_package_when_no_cache_dir_is_set() -> None:
    encoding, source = enc.load_encoding()
    assert source.origin == "package"
    assert source.skipped == ()
    # well-known cl100k_base ids
    assert encoding.encode_ordinary("hello world") == [15339, 1917]
    assert encoding.name == "cl100k_base"


def test_loads_from_tiktoken_cache_dir_when_it_holds_a_valid_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / enc.cache_file_name()).write_bytes(_packaged_bytes())
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    encoding, source = enc.load_encoding()
    assert source.origin == "cache"
    assert source.path == tmp_path / enc.cache_file_name()
    assert encoding.encode_ordinary("hello world") == [15339, 1917]


def test_data_gym_cache_dir_is_honoured_like_tiktoken_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / enc.cache_file_name()).write_bytes(_packaged_bytes())
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(tmp_path))
    assert enc.load_encoding()[1].origin == "cache"


def test_a_corrupted_cache_file_falls_back_to_the_package_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / enc.cache_file_name()
    bad.write_bytes(_packaged_bytes()[:-10])
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    _, source = enc.load_encoding()
    assert source.origin == "package"
    assert len(source.skipped) == 1
    assert str(bad) in source.skipped[0]
    assert "corrupted" in source.skipped[0]
    assert bad.exists(), "a bad cache file is reported, never deleted"


def test_neither_source_raises_naming_both_fixes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(enc, "packaged_encoding_file", lambda: None)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    with pytest.raises(TokenizerUnavailableError) as info:
        enc.load_encoding()
    message = str(info.value)
    assert "reinstall claude-quote" in message
    assert "TIKTOKEN_CACHE_DIR" in message
    assert enc.cache_file_name() in message
    assert info.value.exit_code == 2


def test_no_cache_dir_and_no_package_says_the_variable_is_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(enc, "packaged_encoding_file", lambda: None)
    with pytest.raises(TokenizerUnavailableError, match=r"\$TIKTOKEN_CACHE_DIR \(not set\)"):
        enc.load_encoding()


def test_corrupted_cache_and_no_package_names_the_bad_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / enc.cache_file_name()).write_bytes(b"not an encoding\n")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(enc, "packaged_encoding_file", lambda: None)
    with pytest.raises(TokenizerUnavailableError, match="corrupted"):
        enc.load_encoding()


def test_loading_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    encoding, _ = enc.load_encoding()
    assert len(encoding.encode_ordinary("hello " * 50)) > 0


def test_loading_writes_nothing_into_the_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tiktoken's own loader would copy the file into the cache directory; ours must not
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    _, source = enc.load_encoding()
    assert source.origin == "package"
    assert list(tmp_path.iterdir()) == []


def test_the_encoding_is_loaded_once_per_process() -> None:
    first = enc.load_encoding()[0]
    assert enc.load_encoding()[0] is first


def test_parse_bpe_rejects_a_malformed_line() -> None:
    with pytest.raises(TokenizerUnavailableError, match="cannot parse line"):
        enc.parse_bpe(b"aGVsbG8= 1\nbroken\n", "x.tiktoken")


def test_parse_bpe_reads_token_rank_pairs() -> None:
    # "aGVsbG8=" is base64 for b"hello"
    assert enc.parse_bpe(b"aGVsbG8= 7\n\nIQ== 8\n", "x") == {b"hello": 7, b"!": 8}


def test_importing_the_package_does_not_import_tiktoken() -> None:
    import subprocess
    import sys

    code = "import claude_quote, claude_quote.estimate, sys; print('tiktoken' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_bundled_parsed_ranks_are_the_official_file_parsed(tmp_path: Path) -> None:
    from claude_quote.tokens.ranks import SortedRanks

    ranks_file = enc.packaged_ranks_file()
    assert ranks_file is not None
    assert hashlib.sha256(ranks_file.read_bytes()).hexdigest() == enc.RANKS_SHA256
    official = enc.packaged_encoding_file()
    assert official is not None
    parsed = enc.parse_bpe(official.read_bytes(), str(official))
    assert SortedRanks.from_bytes(ranks_file.read_bytes()).to_dict() == parsed
    # and write_ranks_cache writes the same bytes again (the file is what the tool makes)
    assert enc.write_ranks_cache(tmp_path / "again") == enc.RANKS_SHA256


def test_a_ranks_file_that_does_not_match_falls_back_to_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(enc, "RANKS_SHA256", "0" * 64)
    parsed: list[str] = []
    real = enc.parse_bpe

    def spy(data: bytes, origin: str) -> dict[bytes, int]:
        parsed.append(origin)
        return real(data, origin)

    monkeypatch.setattr(enc, "parse_bpe", spy)
    encoding, source = enc.load_encoding()
    assert source.origin == "package"
    assert parsed == [str(source.path)]  # the official file was parsed instead
    assert encoding.encode_ordinary("hello world") == [15339, 1917]


def test_the_bundled_ranks_are_used_without_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(data: bytes, origin: str) -> dict[bytes, int]:
        raise AssertionError("parsed although the bundled ranks are intact")

    monkeypatch.setattr(enc, "parse_bpe", refuse)
    encoding, source = enc.load_encoding()
    assert source.origin == "package"
    assert encoding.encode_ordinary("hello world") == [15339, 1917]


# -- token_counter: tiktoken's count without its list of tokens ----------------------------------------


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(max_size=300)
    | st.from_regex(r"(<\|endoftext\|>|<\|fim_prefix\|>| |\n|\s+|word|\d+|'s|\ud800)*")
)
def test_token_counter_counts_as_encode_ordinary(text: str) -> None:
    """Any text (special tokens and lone surrogates among them) counts as len(encode_ordinary)."""
    encoding = enc.load_encoding()[0]
    count = enc.token_counter(encoding)
    assert count(text) == len(encoding.encode_ordinary(text))


def test_token_counter_uses_the_buffer_and_special_tokens_stay_text() -> None:
    encoding = enc.load_encoding()[0]
    count = enc.token_counter(encoding)
    # "<|endoftext|>" as text is 7 tokens of cl100k_base (<, |, endo, ft, ext, |, >), as one special
    # token it would be 1
    assert count("<|endoftext|>") == len(encoding.encode_ordinary("<|endoftext|>")) == 7
    assert count("\ud800 lone") == len(encoding.encode_ordinary("\ud800 lone"))  # replaced, as tiktoken does


class _Core:
    """A buffer method that counts words (as the fake encode_ordinary does) or always ``tokens``,
    and remembers what it was asked."""

    def __init__(self, tokens_per_text: int | None) -> None:
        self.tokens = tokens_per_text
        self.asked: list[str] = []

    def encode_to_tiktoken_buffer(self, text: str, allowed: set[str]) -> bytes:
        assert allowed == set()
        self.asked.append(text)
        return b"\0\0\0\0" * (len(text.split()) if self.tokens is None else self.tokens)


class _Encoding:
    """An encoding whose encode_ordinary counts words, with a buffer method that agrees or not."""

    def __init__(self, core: object) -> None:
        self._core_bpe = core

    def encode_ordinary(self, text: str) -> list[int]:
        return [0] * len(text.split())


def test_token_counter_uses_the_buffer_only_when_it_counts_the_probes_right() -> None:
    agrees = _Core(None)
    count = enc.token_counter(_Encoding(agrees))  # type: ignore[arg-type]
    assert count("a b c") == 3
    assert agrees.asked[-1] == "a b c"  # counted by the buffer
    wrong = _Core(1)
    count = enc.token_counter(_Encoding(wrong))  # type: ignore[arg-type]
    assert count("a b c") == 3  # encode_ordinary's count, not the buffer's 1
    assert "a b c" not in wrong.asked
    count = enc.token_counter(_Encoding(object()))  # type: ignore[arg-type]  # no buffer method
    assert count("a b c") == 3
