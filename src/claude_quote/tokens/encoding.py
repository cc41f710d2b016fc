"""Loading tiktoken's ``cl100k_base`` encoding offline: never a download, at import or at run time.

tiktoken fetches its encoding files over the network on first use, which fails on machines without
internet. We build the :class:`tiktoken.Encoding` ourselves from a local copy of the official
``cl100k_base.tiktoken`` file, verified against its official sha256, looked for in this order:

1. ``$TIKTOKEN_CACHE_DIR`` (or ``$DATA_GYM_CACHE_DIR``, which tiktoken also honours), under the name
   tiktoken itself caches the file as: ``sha1(official URL)``.
2. The copy that ships in claude-quote's own wheel (``claude_quote/_data/cl100k_base.tiktoken``, from
   ``vendor/tiktoken`` in the source tree: the official file, unchanged, under tiktoken's MIT licence,
   with its NOTICE). No other package is needed.

A cached file whose hash does not match is skipped (the report says so) and the bundled copy is used;
when neither is usable, :class:`~claude_quote.errors.TokenizerUnavailableError` names both fixes.

We read and verify the bytes ourselves and parse them as ``tiktoken.load.load_tiktoken_bpe`` does (one
``base64-token rank`` pair per line; :func:`parse_bpe` gives the same dict, about twice as fast).
We do not call ``load_tiktoken_bpe`` because its ``read_file_cached`` writes a copy of the file into a
cache directory as a side effect, and on a hash mismatch deletes the cached file and downloads a new
one. Nothing here writes a file or opens a socket. The bundled copy is also shipped parsed
(:data:`RANKS_FILE`, the ranks sorted by their bytes, :mod:`claude_quote.tokens.ranks`): it loads in
about 7 ms, small inputs are counted from it without tiktoken (:mod:`claude_quote.tokens.bpe`),
and the dict tiktoken's encoder needs is built from it in about 25 ms more, a third of what parsing
the official file takes. The encoding is loaded once per process, in about 110 ms of CPU (building
tiktoken's encoder is most of it).

The encoder is built with cl100k_base's ranks and special tokens, and its pattern as tiktoken writes
it (:data:`PAT_STR`) or, from tiktoken 0.13 on, the same pattern without possessive quantifiers where
they change nothing (:data:`FAST_PAT_STR`): the same tokens, about 1.4× as fast there. Counting takes
the tokens' number from a buffer rather than a list (:func:`token_counter`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import itertools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from claude_quote.errors import TokenizerUnavailableError

from .ranks import SortedRanks

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "ENCODING_NAME",
    "FAST_PATTERN_SINCE",
    "FAST_PAT_STR",
    "OFFICIAL_SHA256",
    "OFFICIAL_URL",
    "PAT_STR",
    "SPECIAL_TOKENS",
    "EncodingSource",
    "bundled_ranks",
    "cache_file_name",
    "clear_cache",
    "counting_pattern",
    "find_encoding_file",
    "load_encoding",
    "packaged_encoding_file",
    "packaged_ranks_file",
    "parse_bpe",
    "token_counter",
    "write_ranks_cache",
]

ENCODING_NAME = "cl100k_base"
OFFICIAL_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
"""Where tiktoken downloads the file from; only used to compute the cache file name (never fetched)."""
OFFICIAL_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
"""The sha256 tiktoken itself checks the downloaded file against (``tiktoken_ext/openai_public.py``)."""

FILE_NAME = "cl100k_base.tiktoken"

# The pattern and special tokens of cl100k_base, as in tiktoken_ext/openai_public.py.
PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
FAST_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
r""":data:`PAT_STR` without the possessive quantifiers of its letter, number and punctuation
alternatives (the whitespace alternatives unchanged): the same pieces of every text, which tiktoken
0.13 and later find about 1.4× as fast (:func:`counting_pattern`).

Why the pieces are the same. A possessive quantifier differs from the greedy one only when the
regex engine backtracks into it because what follows it in its alternative fails to match; the
pattern is a bare alternation, so nothing follows an alternative but the end of the match. In
``[^\r\n\p{L}\p{N}]?\p{L}+``, when the optional character is taken and no letter follows, giving it
back cannot help: the letter run would then have to start on that character, which is not a letter.
``\p{L}+`` and ``\p{N}{1,3}`` end their alternative: the longest run is tried first, and it
matches. In `` ?[^\s\p{L}\p{N}]+[\r\n]*``, ``[\r\n]*`` matches after any run (if only the empty
string), and ends the alternative; `` ?`` was not possessive. So at every position each alternative
matches what it matched before, or fails as before, and the same alternative is the first to match.
The tests compare the tokens of both patterns on generated and real texts.
"""

FAST_PATTERN_SINCE = (0, 13)
"""tiktoken versions from which :data:`FAST_PAT_STR` is used. Measured 2026-12-02 (1,000 requests of
``benchmarks/bench_estimate.py``, the two patterns in turn, 15 times, median): the time with
:data:`PAT_STR` ÷ the time with :data:`FAST_PAT_STR` was 0.70 on tiktoken 0.8, 0.68 on 0.9, 0.64 on
0.10, 0.74 on 0.11, 0.73 on 0.12, 1.40 on 0.13 and 1.39 on 0.14 (its regex library finds these
alternatives faster without the possessive quantifiers from 0.13 on; before, slower)."""
SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}

_FIX = (
    "reinstall claude-quote (its wheel ships the file), or put the official "
    f"{ENCODING_NAME}.tiktoken file (sha256 {OFFICIAL_SHA256[:12]}…) in $TIKTOKEN_CACHE_DIR "
    f"as {{cache_name}}"
)


def cache_file_name() -> str:
    """The file name tiktoken caches the encoding under: ``sha1(OFFICIAL_URL)``.

    >>> cache_file_name()
    '9b5ad71b2ce5302211f9c61530b329a4922fc6a4'
    """
    return hashlib.sha1(OFFICIAL_URL.encode()).hexdigest()


@dataclass(frozen=True)
class EncodingSource:
    """Where the encoding was loaded from, and anything that was skipped on the way."""

    path: Path
    origin: Literal["cache", "package"]
    skipped: tuple[str, ...] = ()
    """Why a candidate was not used (e.g. a cached file with the wrong hash); reports warn with it."""


def packaged_encoding_file() -> Path | None:
    """The ``cl100k_base.tiktoken`` bundled with claude-quote: in the installed package, else the
    source tree's ``vendor/tiktoken``; None when neither is there (a broken install)."""
    here = Path(__file__).resolve()
    for path in (here.parents[1] / "_data" / FILE_NAME, here.parents[3] / "vendor" / "tiktoken" / FILE_NAME):
        if path.is_file():
            return path
    return None


def _cache_dir() -> Path | None:
    for name in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        value = os.environ.get(name)
        if value:
            return Path(value)
    return None


def _read_verified(path: Path) -> bytes | str:
    """The file's bytes if its sha256 is the official one, else a reason it was rejected."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"{path} could not be read ({exc.strerror})"
    digest = hashlib.sha256(data).hexdigest()
    if digest != OFFICIAL_SHA256:
        return f"{path} has sha256 {digest[:12]}…, not the official {OFFICIAL_SHA256[:12]}… (corrupted?)"
    return data


def find_encoding_file() -> tuple[EncodingSource, bytes]:
    """The first verified copy of the encoding file, and its bytes.

    Raises:
        TokenizerUnavailableError: neither the cache directory nor the package holds a valid copy.
    """
    skipped: list[str] = []
    cache_dir = _cache_dir()
    if cache_dir is not None:
        candidate = cache_dir / cache_file_name()
        if candidate.is_file():
            data = _read_verified(candidate)
            if isinstance(data, bytes):
                return EncodingSource(candidate, "cache"), data
            skipped.append(data)
    packaged = packaged_encoding_file()
    if packaged is not None:
        data = _read_verified(packaged)
        if isinstance(data, bytes):
            return EncodingSource(packaged, "package", tuple(skipped)), data
        skipped.append(data)
    looked = f"$TIKTOKEN_CACHE_DIR ({cache_dir})" if cache_dir else "$TIKTOKEN_CACHE_DIR (not set)"
    problems = f" ({'; '.join(skipped)})" if skipped else ""
    raise TokenizerUnavailableError(
        f"no offline copy of tiktoken's {ENCODING_NAME} encoding found in {looked} or in "
        f"claude-quote's own files{problems}; claude-quote never downloads it. To fix: "
        + _FIX.format(cache_name=cache_file_name())
    )


def parse_bpe(data: bytes, origin: str) -> dict[bytes, int]:
    """Parse a ``.tiktoken`` file into the dict ``tiktoken.load.load_tiktoken_bpe`` returns.

    Every line is ``base64-token rank``: split the whole file on whitespace and decode the tokens in
    one pass (no per-line Python work). A file with other than two fields per line on average, or a
    field that does not decode, is parsed line by line to name the bad line. (Loaded files have the
    official sha256 before they get here.)
    """
    parts = data.split()
    lines = data.splitlines()
    if len(parts) == 2 * (len(lines) - lines.count(b"")):
        try:
            return dict(zip(map(binascii.a2b_base64, parts[0::2]), map(int, parts[1::2]), strict=True))
        except (ValueError, binascii.Error):
            pass  # find and name the bad line below
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
        except ValueError as exc:
            raise TokenizerUnavailableError(f"{origin}: cannot parse line {line[:40]!r}: {exc}") from None
    return ranks


_LOCK = threading.Lock()


RANKS_FILE = "cl100k_base.ranks.marshal"
"""The bundled file parsed once: its ranks sorted by their bytes (:class:`SortedRanks`), which load in
about 7 ms, answer lookups for small inputs (:mod:`claude_quote.tokens.bpe`) and give the dict
tiktoken's encoder is built from in about 25 ms more: together about a third of the time parsing the
official file takes (``write_ranks_cache``; a test checks it equals the parsed official file)."""
RANKS_SHA256 = "3da4ddeba1ac2983c3a7f9ee1a7fa32edee62805f642538a0e7c0659197f1fc2"
"""sha256 of :data:`RANKS_FILE` as shipped; a file that does not match is ignored (the official file is
parsed instead)."""


def packaged_ranks_file() -> Path | None:
    """The parsed ranks bundled beside :func:`packaged_encoding_file`, if any."""
    official = packaged_encoding_file()
    if official is None:
        return None
    path = official.with_name(RANKS_FILE)
    return path if path.is_file() else None


@functools.cache
def bundled_ranks() -> SortedRanks | None:
    """The bundled parsed ranks (read once per process), when present and intact; else None."""
    path = packaged_ranks_file()
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != RANKS_SHA256:
        return None
    try:
        ranks = SortedRanks.from_bytes(data)
    except ValueError:
        return None
    return ranks if len(ranks) == RANK_COUNT else None


RANK_COUNT = 100_256
"""How many mergeable ranks cl100k_base has."""


def write_ranks_cache(target: Path | None = None) -> str:
    """Write the parsed ranks of the bundled official file (``vendor/tiktoken``) and return its sha256
    (to set as :data:`RANKS_SHA256`). A development tool: nothing calls it at run time."""
    official = packaged_encoding_file()
    if official is None:  # pragma: no cover - the source tree always has it
        raise TokenizerUnavailableError("the bundled cl100k_base.tiktoken is missing")
    data = official.read_bytes()
    if hashlib.sha256(data).hexdigest() != OFFICIAL_SHA256:  # pragma: no cover
        raise TokenizerUnavailableError(f"{official} is not the official file")
    blob = SortedRanks.from_dict(parse_bpe(data, str(official))).to_bytes()
    (target or official.with_name(RANKS_FILE)).write_bytes(blob)
    return hashlib.sha256(blob).hexdigest()


def counting_pattern(tiktoken_version: str) -> str:
    """The pattern the encoding is built with under ``tiktoken_version``: :data:`FAST_PAT_STR` from
    :data:`FAST_PATTERN_SINCE` on, else :data:`PAT_STR` (the same tokens either way)."""
    numbers = []
    for part in tiktoken_version.split(".")[:2]:
        digits = "".join(itertools.takewhile(str.isdigit, part))
        if not digits:
            return PAT_STR  # a version we cannot read: tiktoken's own pattern
        numbers.append(int(digits))
    return FAST_PAT_STR if tuple(numbers) >= FAST_PATTERN_SINCE else PAT_STR


@functools.cache
def _load() -> tuple[tiktoken.Encoding, EncodingSource]:
    import tiktoken

    ranks: dict[bytes, int] | None = None
    cache_dir = _cache_dir()
    if cache_dir is None or not (cache_dir / cache_file_name()).is_file():
        sorted_ranks = bundled_ranks()  # the fast path: no parsing
        ranks = None if sorted_ranks is None else sorted_ranks.to_dict()
    if ranks is not None:
        official = packaged_encoding_file()
        assert official is not None
        source = EncodingSource(official, "package")
    else:
        source, data = find_encoding_file()
        ranks = parse_bpe(data, str(source.path))
    encoding = tiktoken.Encoding(
        name=ENCODING_NAME,
        pat_str=counting_pattern(tiktoken.__version__),
        mergeable_ranks=ranks,
        special_tokens=SPECIAL_TOKENS,
    )
    return encoding, source


def load_encoding() -> tuple[tiktoken.Encoding, EncodingSource]:
    """The ``cl100k_base`` encoding (loaded once per process, offline) and where it came from.

    Raises:
        TokenizerUnavailableError: no verified copy of the encoding file is available.
    """
    with _LOCK:
        return _load()


_PROBES = ("count me, please", "<|endoftext|> stays text, as <|fim_prefix|> does", "  \n\n\t x  ")
"""Texts :func:`token_counter` checks its counter on (special tokens among them: counted as text)."""


def token_counter(encoding: tiktoken.Encoding) -> Callable[[str], int]:
    """A function giving ``len(encoding.encode_ordinary(text))``, without building the list of tokens.

    ``encode_ordinary`` returns a Python list of ints, and making a few hundred int objects a text
    costs about 4 % of its time (callgrind, tiktoken 0.14). tiktoken's encoder can also write the
    tokens into a buffer (``encode_to_tiktoken_buffer``, what its public ``encode_to_numpy`` calls,
    without needing numpy): with no special token allowed, it cuts and merges as ``encode_ordinary``
    does, and the buffer's length (4 bytes a token) is the count. That method is not public API, so
    it is only used when the encoder has it and it counts a few probe texts (special tokens among
    them) exactly as ``encode_ordinary`` does; otherwise the count is ``len(encode_ordinary(text))``.
    A text with a lone surrogate (which the buffer call refuses) is counted by ``encode_ordinary``,
    which replaces it as tiktoken does.
    """
    encode = encoding.encode_ordinary

    def ordinary(text: str) -> int:
        return len(encode(text))

    to_buffer = getattr(getattr(encoding, "_core_bpe", None), "encode_to_tiktoken_buffer", None)
    if to_buffer is None:
        return ordinary
    allowed: set[str] = set()

    def count(text: str) -> int:
        try:
            return memoryview(to_buffer(text, allowed)).nbytes >> 2
        except UnicodeEncodeError:
            return ordinary(text)

    try:
        exact = all(count(text) == ordinary(text) for text in _PROBES)
    except Exception:  # a changed signature, or anything else: tiktoken's public method counts
        exact = False
    return count if exact else ordinary


def clear_cache() -> None:
    """Forget the loaded encoding (tests use this to load again under a different environment)."""
    with _LOCK:
        _load.cache_clear()
        bundled_ranks.cache_clear()
