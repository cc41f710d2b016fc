"""Counting texts that begin alike (a batch's system prompt, its few-shot examples, the same tool
definitions in every request) without tokenizing the beginning again: exactly tiktoken's count.

``cl100k_base`` counts a text as the byte-pair tokens of each piece its pattern
(:data:`~claude_quote.tokens.encoding.PAT_STR`) cuts the text into, piece by piece, so a text's count
is the sum of its pieces' counts. Where an ASCII letter is followed by a space, a piece always ends
between the two: the only parts of the pattern that take a letter are the letter run
(``[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++``), which ends at the first character that is not a letter, and the
contractions (``'s``, ``'ll`` …), which end at a letter. The pieces before that point are those of the
beginning alone (it ends in that letter run, at the end of the text), and matching resumes at the
space exactly as it starts on the rest alone (the pattern has no look-behind, and its one anchor,
``$``, is the end of both). So, for such a point ``p``::

    count(text) == count(text[:p]) + count(text[p:])

:class:`SharedPrefixes` finds such beginnings as the texts come: it files each text under its first
:data:`KEY_CHARS` characters; a second text under the same key shares some beginning with the first,
whose longest part that ends at such a point (if at least :data:`MIN_SHARED_CHARS` long) is counted
once and kept. A text that starts with a kept beginning (and its space) is counted as the beginning's
count plus the rest's. A text that parts from the kept beginning earlier shortens it (when what is
left is still long enough): the beginning all of them share. A text that comes twice, whole (the
same tool definitions in every request), is kept whole, with its count.

Memory stays flat: at most :data:`MAX_KEYS` texts of :data:`MAX_CHARS` characters in all wait for a
second one under their key, and at most as many beginnings of as many characters are kept; past that
the older half is forgotten (the counts stay exact; only sharing is lost).

>>> words = lambda text: len(text.split())  # stands in for tiktoken here
>>> shared = SharedPrefixes(words)
>>> prompt = "You sort support tickets into billing, bugs and feature requests. " * 2
>>> [shared.count(prompt + ask) for ask in ("Refund me", "The app crashes", "Add dark mode")]
[22, 23, 23]
>>> shared.kept_chars()  # the prompt up to its last letter followed by a space (before "requests.")
121
"""

from __future__ import annotations

from collections.abc import Callable
from operator import add
from typing import Generic, TypeVar

__all__ = [
    "KEY_CHARS",
    "MAX_CHARS",
    "MAX_KEYS",
    "MIN_MEASURED_CHARS",
    "MIN_SHARED_CHARS",
    "SharedPrefixes",
    "split_point",
]

KEY_CHARS = 64
"""Texts are filed under their first this many characters."""

MIN_SHARED_CHARS = 64
"""A shared beginning shorter than this is not kept: tokenizing it again costs less than keeping it."""

MIN_MEASURED_CHARS = 512
"""A kept beginning shorter than this is measured again with each text (:meth:`SharedPrefixes.features`):
adding two measures costs more than measuring a short beginning."""

MAX_KEYS = 4_096
"""Texts waiting for a second one under their key, and beginnings kept, at most."""

V = TypeVar("V")

MAX_CHARS = 1 << 22
"""Characters of the texts waiting, and of the beginnings kept, at most (4 Mi each)."""

_Kept = tuple[str, int, bool, tuple[int, ...] | None]
"""A kept beginning (with its space) or whole text, its tokens, whether it is whole, and its measure."""

_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def split_point(text: str, end: int) -> int:
    """The largest ``p <= end`` (``p < len(text)``) where ``text[p - 1]`` is an ASCII letter and
    ``text[p]`` a space: a point ``cl100k_base`` cuts at (see the module docs); 0 when there is none.

    >>> split_point("Sort these: one two", 19), split_point("Sort these: one two", 14)
    (15, 4)
    >>> split_point("a, b", 4)
    0
    """
    p = text.rfind(" ", 0, min(end, len(text) - 1) + 1)
    while p > 0:
        if text[p - 1] in _LETTERS:
            return p
        p = text.rfind(" ", 0, p)
    return 0


def _common_length(a: str, b: str) -> int:
    """The length of the longest common beginning of ``a`` and ``b`` (by halving: string compares in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class SharedPrefixes:
    """Exact token counts of texts, each shared beginning tokenized once (see the module docs).

    ``tokens`` is the tokenizer's count of a text (``len`` of tiktoken's ``encode_ordinary``);
    :meth:`count` gives ``tokens(text)`` for every text, whatever came before.
    """

    __slots__ = ("_firsts", "_kept", "_long", "_tokens")

    def __init__(self, tokens: Callable[[str], int]) -> None:
        self._tokens = tokens
        self._firsts = _Table[str]()
        """The first text under each key, until a second one comes."""
        self._kept = _Table[_Kept]()
        """Under each key: a shared beginning with its space (``text[:p + 1]``), the tokens of
        ``text[:p]``, False, and :meth:`features`' measure of ``text[:p]`` once made; or a whole text
        that came twice, its tokens, True and its measure once made."""
        self._long = False
        """Whether a beginning of more than :data:`MIN_MEASURED_CHARS` characters was ever kept."""

    def count(self, text: str) -> int:
        """``tokens(text)``, without tokenizing a kept beginning again."""
        if len(text) <= KEY_CHARS:
            return self._tokens(text)
        key = text[:KEY_CHARS]
        kept = self._kept.entries.get(key)
        if kept is not None:
            head, tokens, whole, _ = kept
            if whole:
                if text == head:
                    return tokens
            elif text.startswith(head):
                return tokens + self._tokens(text[len(head) - 1 :])
            return self._learn(key, head, text)
        first = self._firsts.entries.get(key)
        if first is None:
            self._firsts.file(key, text, len(text))
            return self._tokens(text)
        return self._learn(key, first, text)

    def _learn(self, key: str, other: str, text: str) -> int:
        """Count ``text``, which begins as ``other`` does for at least :data:`KEY_CHARS` characters,
        and keep the beginning they share (a shorter one than kept before, or none: see the module
        docs)."""
        common = _common_length(other, text)
        if common == len(text) == len(other):  # the same text again (tool definitions often are)
            self._firsts.drop(key)
            tokens = self._tokens(text)
            self._kept.file(key, (text, tokens, True, None), len(text))
            self._long = self._long or len(text) > MIN_MEASURED_CHARS
            return tokens
        p = split_point(text, common)
        if p < MIN_SHARED_CHARS:
            return self._tokens(text)
        self._firsts.drop(key)
        tokens = self._tokens(text[:p])
        self._kept.file(key, (text[: p + 1], tokens, False, None), p + 1)
        self._long = self._long or p + 1 > MIN_MEASURED_CHARS
        return tokens + self._tokens(text[p:])

    def features(self, text: str, measure: Callable[[str], tuple[int, ...]]) -> tuple[int, ...]:
        """``measure(text)``, taken as ``measure`` of the kept beginning ``text`` starts with (made once
        and kept with it) plus ``measure`` of the rest, element by element, or the kept whole text's:
        for a measure that adds up where a letter meets a space, as the content-class scan
        (:func:`~claude_quote.tokens.classes.scan`) does, the same tuple. One measure for the life of
        the object. Beginnings of up to :data:`MIN_MEASURED_CHARS` characters are measured again with
        each text."""
        if not self._long or len(text) <= KEY_CHARS:
            return measure(text)
        key = text[:KEY_CHARS]
        kept = self._kept.entries.get(key)
        if kept is None or len(kept[0]) <= MIN_MEASURED_CHARS:
            return measure(text)
        head, tokens, whole, made = kept
        if whole:
            if text != head:
                return measure(text)
        elif not text.startswith(head):
            return measure(text)
        if made is None:  # measured once, kept with the beginning (the same size: replaced in place)
            made = measure(head if whole else head[:-1])
            self._kept.entries[key] = (head, tokens, whole, made)
        if whole:
            return made
        return tuple(map(add, made, measure(text[len(head) - 1 :])))

    def kept_chars(self) -> int:
        """Characters of the beginnings and whole texts kept (a beginning without its space)."""
        return sum(len(head) - (0 if whole else 1) for head, _, whole, _ in self._kept.entries.values())

    def sizes(self) -> tuple[int, int, int]:
        """(texts waiting for a second one under their key, beginnings kept, the characters of both):
        at most :data:`MAX_KEYS` texts and as many beginnings, of at most :data:`MAX_CHARS`
        characters each."""
        return len(self._firsts.entries), len(self._kept.entries), self._firsts.chars + self._kept.chars


class _Table(Generic[V]):
    """Entries by key, with the characters they hold: at most :data:`MAX_KEYS` entries and
    :data:`MAX_CHARS` characters (the older entries forgotten first: a dict keeps the order entries
    were added in)."""

    __slots__ = ("chars", "entries", "sizes")

    def __init__(self) -> None:
        self.entries: dict[str, V] = {}
        self.sizes: dict[str, int] = {}
        self.chars = 0

    def file(self, key: str, value: V, size: int) -> None:
        """``entries[key] = value`` (holding ``size`` characters), forgetting the older half first
        when full."""
        self.drop(key)
        if size > MAX_CHARS:  # never fits: filed nowhere, nothing forgotten for it
            return
        if len(self.entries) >= MAX_KEYS or self.chars + size > MAX_CHARS:
            for old in list(self.entries)[: len(self.entries) // 2 + 1]:
                self.drop(old)
            while self.chars + size > MAX_CHARS:
                self.drop(next(iter(self.entries)))
        self.entries[key] = value
        self.sizes[key] = size
        self.chars += size

    def drop(self, key: str) -> None:
        if key in self.entries:
            del self.entries[key]
            self.chars -= self.sizes.pop(key)
