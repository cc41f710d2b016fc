"""The content-class scan: how many characters of a text fall in each content class.

Claude's tokenizers differ from tiktoken's ``cl100k_base`` differently for different kinds of text:
against ``cl100k_base``, Claude 3–4.6 uses about 1.1–1.2 tokens per token of English prose, more
for punctuation-heavy code and symbols, and fewer for CJK and other non-Latin scripts; the 4.7
tokenizer raised Latin-script text and left other scripts alone (docs/tokens.md has the figures).
The scan tells the counting model (:mod:`.correction`) how a text is made up, so each part gets its
own factor.

The classes, by character (a non-ASCII character is classed by the lead byte of its UTF-8 form, and
the general punctuation block by its first two bytes):

============  ===========================================================================
``latin``     ASCII letters
``digits``    ASCII digits
``punct``     ASCII punctuation and symbols (``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~``), and
              U+2000–U+207F: general punctuation (curly quotes, dashes, ``…``, ``•``, the
              special spaces and joiners) and superscripts
``space``     ASCII whitespace and control characters
``latin_ext`` U+0080–U+02FF: Latin-1 supplement, Latin Extended-A/B, IPA (é, ß, ©, ±)
``cyrillic``  U+0380–U+057F: Greek, Cyrillic, Armenian
``other``     U+0300–U+037F and U+0580–U+1FFF: combining marks, Hebrew, Arabic, Syriac, Indic,
              Thai, Georgian, Hangul Jamo, Ethiopic … and Latin/Greek Extended Additional
``symbols``   U+2080–U+2FFF: subscripts, currency, letterlike symbols, arrows, maths,
              technical, box drawing, shapes, miscellaneous symbols, dingbats
``cjk``       U+3000–U+FFFF: CJK punctuation, kana, CJK ideographs, Yi, Hangul, and the
              private use, compatibility, variation selector and fullwidth forms blocks
``emoji``     every character above U+FFFF (four UTF-8 bytes): emoji, and rarer, mathematical
              alphanumerics and CJK extension B and later
============  ===========================================================================

Besides the classes, the scan counts six **joins**, places where Claude's tokenizers start a new
token where ``cl100k_base`` does not (:data:`JOINS`; measured on the public counts, see
docs/tokens.md): ``punct_letter``, an ASCII punctuation mark directly before an ASCII letter
(``.kotlin``, ``(self``, ``_name``: ``cl100k_base``'s pattern attaches one such mark to the word
after it), ``lower_upper``, a lower-case letter directly before a capital (``camelCase``),
``start_digit``, 1 when the text starts with an ASCII digit (Claude's framing joins the start of a
message that begins with a letter, "Hi" → 8 tokens, but not one that begins with a digit, "1" → 9),
``newline``, each line feed (``cl100k_base`` merges runs of them, and a newline with the
punctuation before it), ``upper_upper``, a capital directly after a capital (``HTTP``,
``CHAPTER``), and ``space_nonascii``, an ASCII whitespace or control character directly before a
non-ASCII character (``" →"``, ``" 東"``: ``cl100k_base`` attaches the space to it). The last three
were found by the fit alone (no probe isolates them; UNCERTAIN in the data).

ASCII text (``str.isascii`` is free in CPython), the common case, is counted with no Python loop over
characters: one ``bytes.translate`` maps each byte to a set of flag bits (punctuation, letter,
lower-case, upper-case twice, digit), the result is read as one integer (``int.from_bytes``), and each
count is a ``bit_count`` of that integer masked to one flag in every byte. A join is a flag of one byte
and a flag of the next, so the three joins of two ASCII characters come from one ``x & (x >> 9)``
(the next byte's letter flag lands on this byte's punctuation flag, its upper-case flag on this
byte's lower-case flag, its second upper-case flag on this byte's upper-case flag).
Other text is counted the same way for its ASCII bytes (non-ASCII bytes have no flag, except 0xE2
and the continuation bytes 0x80 and 0x81: the same ``x & (x >> 9)`` finds the first two bytes of
U+2000–U+207F, general punctuation, which counts as ``punct``; read only when the text has a
character of U+2000–U+2FFF), and a second ``bytes.translate`` drops every ASCII and continuation
byte and maps each lead byte left (one per non-ASCII character) to its class; a ``bytes.count`` per
class over those counts them (the last by subtraction). ``start_digit`` is the first character's,
``newline`` a ``bytes.count``, and ``space_nonascii`` (only in text with a non-ASCII character and a
space) a third ``bytes.translate`` (whitespace to 1, lead bytes to 2, the rest to 0) and a count of
``b"\\x01\\x02"``.

>>> dict(zip(FEATURES, scan("Hello, world 42")))
{'latin': 10, 'digits': 2, 'punct': 1, 'space': 2, 'latin_ext': 0, 'cyrillic': 0, 'other': 0, 'symbols': 0, 'cjk': 0, 'emoji': 0, 'punct_letter': 0, 'lower_upper': 0, 'start_digit': 0, 'newline': 0, 'upper_upper': 0, 'space_nonascii': 0}
>>> dict(zip(FEATURES, scan("café → 東京 🙂 Москва — “ok”")))
{'latin': 5, 'digits': 0, 'punct': 3, 'space': 6, 'latin_ext': 1, 'cyrillic': 6, 'other': 0, 'symbols': 1, 'cjk': 2, 'emoji': 1, 'punct_letter': 0, 'lower_upper': 0, 'start_digit': 0, 'newline': 0, 'upper_upper': 0, 'space_nonascii': 6}
>>> scan("self.fooBar(x)")[len(CLASSES):], scan("42 apples")[len(CLASSES):]
((2, 1, 0, 0, 0, 0), (0, 0, 1, 0, 0, 0))
>>> scan("HTTP GET\\n→ ok")[len(CLASSES):]
(0, 0, 0, 1, 5, 1)
"""

from __future__ import annotations

import string
from typing import Final, Literal, get_args

__all__ = ["ASCII_CLASSES", "CLASSES", "FEATURES", "JOINS", "ClassName", "JoinName", "scan"]

ClassName = Literal[
    "latin", "digits", "punct", "space", "latin_ext", "cyrillic", "other", "symbols", "cjk", "emoji"
]
CLASSES: Final[tuple[ClassName, ...]] = get_args(ClassName)
"""The content classes, in the order :func:`scan` returns their counts."""

JoinName = Literal["punct_letter", "lower_upper", "start_digit", "newline", "upper_upper", "space_nonascii"]
JOINS: Final[tuple[JoinName, ...]] = get_args(JoinName)
"""The joins :func:`scan` counts after the classes (see the module docs)."""

FEATURES: Final[tuple[str, ...]] = (*CLASSES, *JOINS)
"""What :func:`scan` returns, in order: characters per class, then the count of each join."""

ASCII_CLASSES: Final = 4
"""The classes of ASCII characters come first (``latin``, ``digits``, ``punct``, ``space``): an ASCII
text counts 0 in each of the others."""

_LATIN_EXT, _CYRILLIC, _OTHER, _SYMBOLS, _CJK, _EMOJI = range(4, 10)


def _table() -> bytes:
    """The class of each non-ASCII character by the lead byte of its UTF-8 form (ASCII bytes and
    continuation bytes are dropped before it matters)."""
    table = bytearray(256)
    for first, last, cls in (
        (0xC0, 0xCB, _LATIN_EXT),  # U+0080–U+02FF
        (0xCC, 0xE1, _OTHER),  # U+0300–U+1FFF, but:
        (0xCE, 0xD5, _CYRILLIC),  # U+0380–U+057F
        (0xE2, 0xE2, _SYMBOLS),  # U+2000–U+2FFF (U+2000–U+207F moved to punct by scan)
        (0xE3, 0xEF, _CJK),  # U+3000–U+FFFF
        (0xF0, 0xFF, _EMOJI),  # 4-byte sequences (U+10000 and above)
    ):
        for byte in range(first, last + 1):
            table[byte] = cls
    return bytes(table)


def _flag_table() -> bytes:
    table = bytearray(256)  # whitespace, controls and non-ASCII bytes: no flag
    for char in string.punctuation:
        table[ord(char)] = _F_PUNCT
    for char in string.ascii_lowercase:
        table[ord(char)] = _F_LETTER | _F_LOWER
    for char in string.ascii_uppercase:
        table[ord(char)] = _F_LETTER | _F_UPPER | _F_UPPER_NEXT
    for char in string.digits:
        table[ord(char)] = _F_DIGIT
    table[0xE2] = _F_E2  # U+2000–U+2FFF: the lead byte, then
    table[0x80] = table[0x81] = _F_GENERAL  # a continuation byte that makes it U+2000–U+207F
    return bytes(table)


def _space_lead_table() -> bytes:
    """ASCII whitespace and control bytes (the ``space`` class) → 1, lead bytes of non-ASCII
    characters → 2, every other byte → 0: ``space_nonascii`` is the count of ``b"\\x01\\x02"``."""
    table = bytearray(256)
    for byte in range(0x80):
        if not chr(byte).isalnum() and chr(byte) not in string.punctuation:
            table[byte] = 1
    for byte in range(0xC0, 0x100):
        table[byte] = 2
    return bytes(table)


_F_PUNCT, _F_LETTER, _F_LOWER, _F_UPPER, _F_UPPER_NEXT, _F_E2, _F_GENERAL, _F_DIGIT = (
    1,
    2,
    4,
    8,
    16,
    32,
    64,
    128,
)
"""The flag bits of a byte. ``_F_LETTER`` is one bit above ``_F_PUNCT``, ``_F_UPPER`` one above
``_F_LOWER``, ``_F_UPPER_NEXT`` (a second upper-case flag) one above ``_F_UPPER`` and ``_F_GENERAL``
one above ``_F_E2``, so one shift by a byte and a bit (9) lines up the three joins of two ASCII
characters and the general punctuation (:func:`_flag_counts`)."""

_TABLE: Final = _table()
_FLAGS: Final = _flag_table()
_SPACE_LEAD: Final = _space_lead_table()
_ASCII_AND_CONTINUATIONS: Final = bytes(range(0xC0))

_BLOCK = 1 << 16
"""Bytes counted per integer: the masks below are this long (64 KiB each)."""
_EVERY_BYTE = int.from_bytes(b"\x01" * _BLOCK, "little")
_M_PUNCT, _M_LETTER, _M_LOWER, _M_UPPER, _M_DIGIT, _M_E2 = (
    _EVERY_BYTE * flag for flag in (_F_PUNCT, _F_LETTER, _F_LOWER, _F_UPPER, _F_DIGIT, _F_E2)
)


def _flag_counts(data: bytes, general: bool = False) -> tuple[int, int, int, int, int, int, int]:
    """ASCII letters, digits and punctuation in ``data``, its punct_letter, lower_upper and
    upper_upper joins, and (with ``general``; else 0) its characters of U+2000–U+207F.

    In blocks of :data:`_BLOCK` bytes, each read with the next block's first byte (a join may span the
    cut); the masks end at the block, so that byte is counted once, in its own block.
    """
    letters = digits = punct = punct_letter = lower_upper = upper_upper = general_punct = 0
    for start in range(0, len(data), _BLOCK):
        block = data if len(data) <= _BLOCK else data[start : start + _BLOCK + 1]  # no copy when short
        x = int.from_bytes(block.translate(_FLAGS), "little")
        # bit 0 of a byte: punct here, letter next; bit 2: lower here, upper next; bit 3: upper here,
        # upper next
        pairs = x & (x >> 9)
        letters += (x & _M_LETTER).bit_count()
        digits += (x & _M_DIGIT).bit_count()
        punct += (x & _M_PUNCT).bit_count()
        punct_letter += (pairs & _M_PUNCT).bit_count()
        lower_upper += (pairs & _M_LOWER).bit_count()
        upper_upper += (pairs & _M_UPPER).bit_count()
        if general:  # bit 5: 0xE2 here, 0x80 or 0x81 next
            general_punct += (pairs & _M_E2).bit_count()
    return letters, digits, punct, punct_letter, lower_upper, upper_upper, general_punct


def scan(text: str) -> tuple[int, ...]:
    """Characters of ``text`` in each of :data:`CLASSES` (they sum to ``len(text)``), then the count of
    each of :data:`JOINS`: one tuple in :data:`FEATURES` order (see the module docs for how)."""
    start_digit = int("0" <= text[:1] <= "9")
    if text.isascii():
        data = text.encode("ascii")
        latin, digits, punct, punct_letter, lower_upper, upper_upper, _ = _flag_counts(data)
        space = len(text) - latin - digits - punct
        newline = data.count(b"\n")
        return (
            latin,
            digits,
            punct,
            space,
            0,  # latin_ext, cyrillic, other, symbols, cjk and emoji: none in ASCII (written out, not
            0,  # unpacked from a tuple: one BUILD_TUPLE, no list built and converted)
            0,
            0,
            0,
            0,
            punct_letter,
            lower_upper,
            start_digit,
            newline,
            upper_upper,
            0,
        )
    data = text.encode("utf-8", "surrogatepass")
    leads = data.translate(_TABLE, _ASCII_AND_CONTINUATIONS)  # one byte per non-ASCII character
    ext, cyrillic, other, symbols, cjk = (
        leads.count(_LATIN_EXT),
        leads.count(_CYRILLIC),
        leads.count(_OTHER),
        leads.count(_SYMBOLS),
        leads.count(_CJK),
    )
    emoji = len(leads) - ext - cyrillic - other - symbols - cjk
    # the bytes of other characters have no flag (but those of U+2000–U+207F, counted with symbols)
    latin, digits, punct, punct_letter, lower_upper, upper_upper, general = _flag_counts(data, symbols > 0)
    space = len(text) - len(leads) - latin - digits - punct
    space_nonascii = data.translate(_SPACE_LEAD).count(b"\x01\x02") if space else 0
    classes = (latin, digits, punct + general, space, ext, cyrillic, other, symbols - general, cjk, emoji)
    return (*classes, punct_letter, lower_upper, start_digit, data.count(b"\n"), upper_upper, space_nonascii)
