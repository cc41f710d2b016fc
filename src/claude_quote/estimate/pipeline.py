"""Counting tokens: shapes in chunks, each text's tiktoken count taken in the calling thread (and, with
``--exact``, count_tokens asked on a small thread pool meanwhile), in order and with flat memory
(:func:`counted`, which ``claude-quote plan`` reuses), and each counted request added to the run.

tiktoken runs in the thread that reads. Threads do not pay here (measured 2026-12-01, tiktoken 0.14,
docs/performance.md): each ``encode_ordinary`` call releases the GIL and takes it back, so a
tokenizing thread waits for the reading thread at every text, and two threads sharing one encoding
contend for its regex caches (``perf`` showed a fifth of the CPU in the regex pool). With a thread
pool, estimate took 2.2× the CPU and 1.3× the wall-clock time of counting inline. The cores are used
by worker processes instead (``--jobs``, :mod:`claude_quote.scale.local`).

A small input (up to :data:`SMALL_INPUT_CHARS`, in the common scripts) is counted without building
tiktoken's encoder, by the same byte-pair merging (:mod:`claude_quote.tokens.bpe`): the counts are
tiktoken's, and the command starts about 100 ms sooner.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from claude_quote.tokens.bpe import bpe_counts
from claude_quote.tokens.classes import scan
from claude_quote.tokens.correction import ZERO_COUNT, TextCount
from claude_quote.tokens.encoding import bundled_ranks, load_encoding, token_counter
from claude_quote.tokens.request import RequestShape
from claude_quote.tokens.shared_prefix import SharedPrefixes

from .run import EstimateRun

if TYPE_CHECKING:  # imported where used, so that `import claude_quote` (and `claude-quote price`) stays fast
    from concurrent.futures import Future

    from claude_quote.tokens_exact import ExactCounter


_CHUNK_CHARS = 1 << 22
_CHUNK_REQUESTS = 2_048


def _chunks(shapes: Iterator[RequestShape]) -> Iterator[tuple[list[RequestShape], list[str]]]:
    """The shapes in chunks, each with the texts to count: :func:`texts_of` each shape whose count is
    not given, in order (gathered here, where each shape's texts are looked at anyway)."""
    chunk: list[RequestShape] = []
    texts: list[str] = []
    chars = 0
    for shape in shapes:
        chunk.append(shape)
        chars += sum(map(len, shape.texts))
        if not shape.given:
            texts += shape.texts
        if shape.tool_texts is not None:
            chars += sum(map(len, shape.tool_texts))
            if not shape.given:
                texts += shape.tool_texts
        if chars >= _CHUNK_CHARS or len(chunk) >= _CHUNK_REQUESTS:
            yield chunk, texts
            chunk, texts, chars = [], [], 0
    if chunk:
        yield chunk, texts


SMALL_INPUT_CHARS = 1 << 15
"""Texts are counted without building tiktoken's encoder (:mod:`claude_quote.tokens.bpe`) while they
are in the scripts it covers (:data:`~claude_quote.tokens.bpe.COVERED`) and add up to at most this
many characters; then tiktoken counts the rest. Building the encoder costs about 110 ms of CPU,
counting 32 Ki characters that way about 3-35 ms (prose repeats its pieces, code less): so a small
input (a CI check, a few requests) starts faster, and a large one loses at most that much. The
counts are the same either way."""


class _TextCounter:
    """Raw tiktoken counts of texts: small inputs by :func:`bpe_counts`, the rest by tiktoken
    (loaded on first need; where its data came from goes into the run's notes), a beginning many texts
    share (a system prompt, tool definitions) tokenized once (:mod:`claude_quote.tokens.shared_prefix`:
    the same counts)."""

    def __init__(self, run: _EncodingNotes) -> None:
        self._run = run
        self._count: Callable[[str], int] | None = None
        self._shared: SharedPrefixes | None = None
        self._small_left = SMALL_INPUT_CHARS

    def counts(self, texts: list[str]) -> list[int]:
        if self._count is None:
            size = sum(map(len, texts))
            if size <= self._small_left:
                ranks = bundled_ranks()
                counts = None if ranks is None else bpe_counts(texts, ranks)
                if counts is not None:
                    self._small_left -= size
                    return counts
            self._shared = SharedPrefixes(_encoder(self._run))
            self._count = self._shared.count
        count = self._count
        return [count(text) if text else 0 for text in texts]

    def scan(self, text: str) -> tuple[int, ...]:
        """The content-class scan of ``text``: of a kept shared beginning once, then of the rest
        (:meth:`SharedPrefixes.features`: the same counts)."""
        shared = self._shared
        return scan(text) if shared is None else shared.features(text, scan)


def text_counts(
    shape: RequestShape, counts: list[int] | None, scan_text: Callable[[str], tuple[int, ...]] = scan
) -> list[TextCount]:
    """The shape's texts (:func:`texts_of`) with their tiktoken counts and content-class scans (by
    ``scan_text``: :func:`~claude_quote.tokens.classes.scan`, or a counter's, which scans a shared
    beginning once)."""
    texts = texts_of(shape)
    if counts is None:
        return [ZERO_COUNT] * len(texts)
    if len(texts) == 1 == len(counts):  # the common request: one text
        return [(counts[0], scan_text(texts[0])) if counts[0] else ZERO_COUNT]
    return [
        (count, scan_text(text)) if count else ZERO_COUNT for count, text in zip(counts, texts, strict=True)
    ]


def texts_of(shape: RequestShape) -> list[str]:
    """The texts of a shape to count, in order: each segment's text, then each segment's tools."""
    return shape.texts if shape.tool_texts is None else [*shape.texts, *shape.tool_texts]


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _exact_body(shape: RequestShape) -> dict[str, Any]:
    """The Messages request count_tokens counts: the request itself, or a user message of the text."""
    model = shape.facts.model.id
    if shape.params is not None:
        return {**shape.params, "model": model}
    return {"model": model, "messages": [{"role": "user", "content": "".join(shape.texts)}]}


def _exact_counts(counter: ExactCounter, bodies: list[dict[str, Any]]) -> list[int]:
    return [counter.count(body) for body in bodies]


_Counted = tuple[list[RequestShape], list[int] | None, list[int] | None]


class _EncodingNotes(Protocol):
    encoding_notes: tuple[str, ...]


def counted(
    run: _EncodingNotes,
    shapes: Iterator[RequestShape],
    counter: ExactCounter | None = None,
    text_counter: _TextCounter | None = None,
) -> Iterator[_Counted]:
    """Chunks of shapes with the raw tiktoken count of every text (:func:`texts_of`), in order (and,
    with ``counter``, every counted request's exact prompt from count_tokens). ``claude-quote plan``
    reuses it; :func:`text_counts` adds the class scans.

    tiktoken counts in the calling thread (see the module docs), by ``text_counter`` when given (its
    ``scan`` then scans what it has seen shared once). count_tokens answers are waited for on a small
    thread pool, at most twice as many chunks as threads in flight, so memory stays flat.
    """
    if text_counter is None:
        text_counter = _TextCounter(run)
    if counter is None:
        yield from _counted_inline(shapes, text_counter)
        return
    from concurrent.futures import ThreadPoolExecutor

    workers = _workers()
    pending: deque[tuple[list[RequestShape], list[int] | None, Future[list[int]] | None]] = deque()

    def ready() -> _Counted:
        done, counts, exact = pending.popleft()
        return done, counts, None if exact is None else exact.result()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="claude-quote-count-tokens") as pool:
        for chunk, texts in _chunks(shapes):
            bodies = [_exact_body(shape) for shape in chunk if not shape.given]
            exact = pool.submit(_exact_counts, counter, bodies) if bodies else None
            counts = text_counter.counts(texts) if any(texts) else None
            pending.append((chunk, counts, exact))
            if len(pending) >= 2 * workers:
                yield ready()
        while pending:
            yield ready()


def _encoder(run: _EncodingNotes) -> Callable[[str], int]:
    """The tokenizer's count of a text (:func:`~claude_quote.tokens.encoding.token_counter`: that of
    ``encode_ordinary``), loaded on first need; where its data came from goes into the run's notes."""
    encoding, source = load_encoding()
    run.encoding_notes = tuple(
        f"tokenizer data: skipped {reason}; used {source.path}" for reason in source.skipped
    )
    return token_counter(encoding)


def _counted_inline(shapes: Iterator[RequestShape], text_counter: _TextCounter) -> Iterator[_Counted]:
    for chunk, texts in _chunks(shapes):
        yield chunk, text_counter.counts(texts) if any(texts) else None, None


def _apply(
    run: EstimateRun,
    chunk: list[RequestShape],
    counts: list[int] | None,
    exact: list[int] | None,
    scan_text: Callable[[str], tuple[int, ...]],
) -> None:
    position = 0
    counted = 0
    add = run.add
    for shape in chunk:
        if shape.given:
            add(shape, ())
            continue
        texts = shape.texts
        if counts is not None and len(texts) == 1 and shape.tool_texts is None:  # the common request
            count = counts[position]
            raw = [(count, scan_text(texts[0])) if count else ZERO_COUNT]
            width = 1
        else:  # several segments, or tools
            width = len(texts) + (0 if shape.tool_texts is None else len(shape.tool_texts))
            raw = text_counts(
                shape, None if counts is None else counts[position : position + width], scan_text
            )
        add(shape, raw, None if exact is None else exact[counted])
        position += width
        counted += 1


def count_all(run: EstimateRun, shapes: Iterator[RequestShape]) -> None:
    """Tokenize (and with ``--exact``, count through count_tokens) and add every shape to ``run``."""
    counter: ExactCounter | None = None
    if run.exact:
        from claude_quote.tokens_exact import counter_from_env

        counter = counter_from_env()
    text_counter = _TextCounter(run)
    try:
        for chunk, counts, exact in counted(run, shapes, counter, text_counter):
            _apply(run, chunk, counts, exact, text_counter.scan)
    finally:
        if counter is not None:
            counter.close()
