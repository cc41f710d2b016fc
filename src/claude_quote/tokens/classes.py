"""The content-class scan: how many characters of a text fall in each content class.

Claude's tokenizers differ from tiktoken's ``cl100k_base`` differently for different kinds of text:
against ``cl100k_base``, Claude 3–4.6 uses about 1.1–1.2 tokens per token of English prose, more
for punctuation-heavy code and symbols, and fewer for CJK and other non-Latin scripts; the 4.7
tokenizer raised Latin-script text and left other scripts alone (docs/tokens.md has the figures).
The scan tells the counting model (:mod:`.correction`) how a text is made up, so each part gets its
own factor.

The classes, by character (a non-ASCII character is classed by the lead byte of its UTF-8 form):

============  ===========================================================================
``latin``     ASCII letters
``digits``    ASCII digits
``punct``     ASCII punctuation and symbols (``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~``)
``space``     ASCII whitespace and control characters
``latin_ext`` U+0080–U+02FF: Latin-1 supplement, Latin Extended-A/B, IPA (é, ß, ©, ±)
``cyrillic``  U+0380–U+057F: Greek, Cyrillic, Armenian
``other``     U+0300–U+037F and U+0580–U+1FFF: combining marks, Hebrew, Arabic, Syriac, Indic,
              Thai, Georgian, Hangul Jamo, Ethiopic … and Latin/Greek Extended Additional
``symbols``   U+2000–U+2FFF (punctuation, arrows, maths, box drawing, dingbats),
              U+E000–U+FFFF (private use, compatibility, fullwidth forms, variation selectors)
              and every character above U+FFFF (emoji)
``cjk``       U+3000–U+DFFF: CJK punctuation, kana, CJK ideographs, Yi, Hangul
============  ===========================================================================

Besides the classes, the scan counts two **joins**, places where Claude's tokenizers start a new
token inside what ``cl100k_base`` keeps as one (:data:`JOINS`; measured on the public counts, see
docs/tokens.md): ``punct_letter``, an ASCII punctuation mark directly before an ASCII letter
(``.kotlin``, ``(self``, ``_name``: ``cl100k_base``'s pattern attaches one such mark to the word
after it), and ``lower_upper``, a lower-case letter directly before a capital (``camelCase``).

One ``bytes.translate`` over the UTF-8 bytes (mapping each byte to its class and dropping letters) and
a ``bytes.count`` per class over what is left: no Python loop over characters. ASCII-only text
(``str.isascii`` is free in CPython) needs two counts. The joins are one more ``bytes.translate``
(lower-case letters, capitals and punctuation to three codes, the rest to a space); the result read
as UTF-16 twice (from the first byte and from the second) makes every pair of neighbouring bytes one
character, so each join is a ``str.count`` of one character (``"!a"`` is U+6121): a two-byte
``bytes.count`` takes about four times as long.

>>> dict(zip(FEATURES, scan("Hello, world 42")))
{'latin': 10, 'digits': 2, 'punct': 1, 'space': 2, 'latin_ext': 0, 'cyrillic': 0, 'other': 0, 'symbols': 0, 'cjk': 0, 'punct_letter': 0, 'lower_upper': 0}
>>> dict(zip(FEATURES, scan("café → 東京 🙂 Москва")))
{'latin': 3, 'digits': 0, 'punct': 0, 'space': 4, 'latin_ext': 1, 'cyrillic': 6, 'other': 0, 'symbols': 2, 'cjk': 2, 'punct_letter': 0, 'lower_upper': 0}
>>> scan("self.fooBar(x)")[len(CLASSES):]
(2, 1)
"""

from __future__ import annotations

import string
from typing import Final, Literal, get_args

__all__ = ["CLASSES", "FEATURES", "JOINS", "ClassName", "JoinName", "scan"]

ClassName = Literal["latin", "digits", "punct", "space", "latin_ext", "cyrillic", "other", "symbols", "cjk"]
CLASSES: Final[tuple[ClassName, ...]] = get_args(ClassName)
"""The content classes, in the order :func:`scan` returns their counts."""

JoinName = Literal["punct_letter", "lower_upper"]
JOINS: Final[tuple[JoinName, ...]] = get_args(JoinName)
"""The joins :func:`scan` counts after the classes (see the module docs)."""

FEATURES: Final[tuple[str, ...]] = (*CLASSES, *JOINS)
"""What :func:`scan` returns, in order: characters per class, then the count of each join."""

_LATIN, _DIGITS, _PUNCT, _SPACE, _LATIN_EXT, _CYRILLIC, _OTHER, _SYMBOLS, _CJK = range(9)
_CONTINUATION = 9


def _table() -> bytes:
    table = bytearray([_SPACE] * 256)  # ASCII controls count as whitespace
    for char in string.ascii_letters:
        table[ord(char)] = _LATIN
    for char in string.digits:
        table[ord(char)] = _DIGITS
    for char in string.punctuation:
        table[ord(char)] = _PUNCT
    for byte in range(0x80, 0xC0):
        table[byte] = _CONTINUATION
    for first, last, cls in (
        (0xC0, 0xCB, _LATIN_EXT),  # U+0080–U+02FF
        (0xCC, 0xE1, _OTHER),  # U+0300–U+1FFF, but:
        (0xCE, 0xD5, _CYRILLIC),  # U+0380–U+057F
        (0xE2, 0xE2, _SYMBOLS),  # U+2000–U+2FFF
        (0xE3, 0xED, _CJK),  # U+3000–U+DFFF
        (0xEE, 0xFF, _SYMBOLS),  # U+E000–U+FFFF and 4-byte sequences (U+10000 and above)
    ):
        for byte in range(first, last + 1):
            table[byte] = cls
    return bytes(table)


def _join_table() -> bytes:
    table = bytearray(b" " * 256)
    for char in string.ascii_lowercase:
        table[ord(char)] = ord("a")
    for char in string.ascii_uppercase:
        table[ord(char)] = ord("A")
    for char in string.punctuation:
        table[ord(char)] = ord("!")
    return bytes(table)


_TABLE: Final = _table()
_JOIN_TABLE: Final = _join_table()
_ASCII_LETTERS: Final = string.ascii_letters.encode()
_LETTERS_AND_CONTINUATIONS: Final = _ASCII_LETTERS + bytes(range(0x80, 0xC0))


_PUNCT_LOWER, _PUNCT_UPPER, _LOWER_UPPER = "\u6121", "\u4121", "\u4161"
"""``"!a"``, ``"!A"`` and ``"aA"`` of the join codes, read as one UTF-16 (little-endian) character."""


def _joins(codes: bytes) -> tuple[int, int]:
    """punct_letter and lower_upper joins of UTF-8 bytes translated by ``_JOIN_TABLE`` (module docs)."""
    if len(codes) < 2:
        return 0, 0
    odd = len(codes) & 1
    pairs = (codes + b" " if odd else codes).decode("utf-16-le")  # bytes 0-1, 2-3, …
    shifted = (codes[1:] if odd else codes[1:] + b" ").decode("utf-16-le")  # bytes 1-2, 3-4, …
    return (
        pairs.count(_PUNCT_LOWER)
        + pairs.count(_PUNCT_UPPER)
        + shifted.count(_PUNCT_LOWER)
        + shifted.count(_PUNCT_UPPER),
        pairs.count(_LOWER_UPPER) + shifted.count(_LOWER_UPPER),
    )


def scan(text: str) -> tuple[int, ...]:
    """Characters of ``text`` in each of :data:`CLASSES` (they sum to ``len(text)``), then the count of
    each of :data:`JOINS`: one tuple in :data:`FEATURES` order.

    ASCII letters (and UTF-8 continuation bytes) are deleted in the same pass that maps every other
    byte to its class, so the counts run over the rest only; letters are what is left of ``len(text)``.
    The joins come from a second translate (:func:`_joins`).
    """
    if text.isascii():
        data = text.encode("ascii")
        rest = data.translate(_TABLE, _ASCII_LETTERS)
        digits, punct = rest.count(_DIGITS), rest.count(_PUNCT)
        joins = _joins(data.translate(_JOIN_TABLE))
        return (len(text) - len(rest), digits, punct, len(rest) - digits - punct, 0, 0, 0, 0, 0, *joins)
    data = text.encode("utf-8", "surrogatepass")
    rest = data.translate(_TABLE, _LETTERS_AND_CONTINUATIONS)
    digits, punct, ext, cyrillic, other, symbols, cjk = (
        rest.count(_DIGITS),
        rest.count(_PUNCT),
        rest.count(_LATIN_EXT),
        rest.count(_CYRILLIC),
        rest.count(_OTHER),
        rest.count(_SYMBOLS),
        rest.count(_CJK),
    )
    space = len(rest) - digits - punct - ext - cyrillic - other - symbols - cjk
    joins = _joins(data.translate(_JOIN_TABLE))  # the bytes of other characters join nothing
    return (len(text) - len(rest), digits, punct, space, ext, cyrillic, other, symbols, cjk, *joins)
