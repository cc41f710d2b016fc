"""Exact input-token counts from Anthropic's free ``count_tokens`` endpoint (optional extra: ``exact``).

``POST /v1/messages/count_tokens`` returns the input tokens a Messages request would have, for the
model's own tokenizer, without running it. It is free but rate-limited (Tier 1: 100 requests per
minute; its limits are separate from the Messages API's). This module wraps the official SDK call
``anthropic.Anthropic(api_key=..., base_url=...).messages.count_tokens(model=..., messages=...,
system=..., tools=..., tool_choice=..., thinking=...)`` with:

- a content-hash cache: sha256 of the canonical JSON of the parameters that affect the count
  (:data:`COUNT_KEYS`), in memory and, optionally, on disk (one small JSON file per hash under
  ``<cache dir>/count_tokens/``; see :func:`default_cache_dir`);
- a client-side rate limiter (a sliding one-minute window, ``rpm`` requests per minute);
- retries on 429 (honouring ``retry-after-ms`` / ``retry-after`` up to :data:`MAX_RETRY_AFTER`
  seconds: a server that asks for longer is reported, not waited for), 529 and 5xx, with backoff
  otherwise;
- a connect timeout (:data:`CONNECT_TIMEOUT`) and a read timeout (:data:`READ_TIMEOUT`) per request;
  a request that times out is retried once (a silent server is reported in about a minute, not after
  six minutes of retries);
- clear errors when the ``anthropic`` package is missing (``pip install 'claude-quote[exact]'``),
  ``ANTHROPIC_API_KEY`` is unset or malformed (a trailing newline from ``$(cat key.txt)`` is refused
  before anything is sent), ``ANTHROPIC_BASE_URL`` is not an http(s) URL, or an answer is malformed,
  empty or absurd. The key is never part of a message, a repr or a log line of ours — not even when a
  server echoes it back in an answer.

Use :func:`count_exact` for one count (a shared client built from the environment), or build an
:class:`ExactCounter` to control the key, endpoint, rate, cache and clock::

    counter = ExactCounter(rpm=2_000, cache_dir=default_cache_dir())
    counter.count({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hi"}]})

Counts are estimates by Anthropic's own account: they may include a few system tokens that are not
billed, and they know nothing of caching.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ExactCountError, WorkloadError
from .parsing import loads_json

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "CACHE_DIR_ENV",
    "CONNECT_TIMEOUT",
    "COUNT_KEYS",
    "DEFAULT_RPM",
    "MAX_REQUEST_TOKENS",
    "MAX_RETRY_AFTER",
    "READ_TIMEOUT",
    "RPM_ENV",
    "ExactCountError",
    "ExactCounter",
    "ExactStats",
    "RateLimiter",
    "cache_key",
    "count_exact",
    "counter_from_env",
    "default_cache_dir",
]

API_KEY_ENV = "ANTHROPIC_API_KEY"
"""Where the API key is read from."""

CACHE_DIR_ENV = "CLAUDE_QUOTE_CACHE_DIR"
"""Overrides the user cache directory (``count_tokens/`` is created inside it)."""

RPM_ENV = "CLAUDE_QUOTE_COUNT_TOKENS_RPM"
"""Requests per minute for the shared client of :func:`count_exact` (default :data:`DEFAULT_RPM`)."""

DEFAULT_RPM = 100
"""count_tokens requests per minute at usage Tier 1 (Tier 2: 2,000; Tier 3: 4,000; Tier 4: 8,000)."""

COUNT_KEYS = ("model", "messages", "system", "tools", "tool_choice", "thinking")
"""The request parameters that change a count; everything else (max_tokens, temperature, ...) is ignored."""

BASE_URL_ENV = "ANTHROPIC_BASE_URL"
"""Where the SDK reads another endpoint from (a proxy, a gateway)."""

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a connection to the endpoint."""

READ_TIMEOUT = 30.0
"""Seconds to wait for an answer (count_tokens answers in well under a second)."""

MAX_RETRY_AFTER = 60.0
"""The longest ``retry-after`` waited for (the rate limit is per minute); a longer one is an error."""

MAX_REQUEST_TOKENS = 100_000_000
"""More input tokens than any one request can hold (100× the largest context window): an answer above
it is not a count."""

_CACHE_VERSION = "count_tokens/v1"
_WINDOW = 60.0
_RETRY_STATUS = {429, 500, 502, 503, 504, 529}
_TIMEOUT_RETRIES = 1


@dataclass
class ExactStats:
    """What an :class:`ExactCounter` has done."""

    requests: int = 0
    """HTTP requests sent (retries included)."""
    memory_hits: int = 0
    disk_hits: int = 0
    retries: int = 0
    waited: float = 0.0
    """Seconds slept for the rate limiter and retries."""


class RateLimiter:
    """At most ``rpm`` acquisitions in any 60 seconds of ``clock``; waits with ``sleep`` when full."""

    def __init__(
        self,
        rpm: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        valid: object = rpm
        if isinstance(valid, bool) or not isinstance(valid, int) or valid < 1:
            raise ExactCountError(f"requests per minute must be a whole number of at least 1, got {rpm!r}")
        self.rpm = rpm
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until a request may be sent; return the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and now - self._sent[0] >= _WINDOW:
                    self._sent.popleft()
                if len(self._sent) < self.rpm:
                    self._sent.append(now)
                    return waited
                pause = _WINDOW - (now - self._sent[0])
                self._sleep(pause)
                waited += pause


def cache_key(params: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of the counted parameters (:data:`COUNT_KEYS`).

    >>> a = cache_key({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hi"}],
    ...                "max_tokens": 10})
    >>> a == cache_key({"messages": [{"content": "Hi", "role": "user"}], "model": "claude-sonnet-4-6"})
    True
    >>> a == cache_key({"model": "claude-opus-4-7", "messages": [{"role": "user", "content": "Hi"}]})
    False
    """
    body = _counted(params)
    try:
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ExactCountError(f"count_tokens parameters must be plain JSON: {exc}") from None
    return hashlib.sha256(f"{_CACHE_VERSION}\n{text}".encode()).hexdigest()


def default_cache_dir() -> Path:
    """Where the on-disk cache lives: ``$CLAUDE_QUOTE_CACHE_DIR``, else the user cache directory.

    ``$XDG_CACHE_HOME/claude-quote`` or ``~/.cache/claude-quote`` on Linux, ``~/Library/Caches/claude-quote``
    on macOS, ``%LOCALAPPDATA%\\claude-quote\\Cache`` on Windows. Counts go in ``count_tokens/`` inside it.
    """
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        return (
            Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
            / "claude-quote"
            / "Cache"
        )
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "claude-quote"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "claude-quote"


def _counted(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: params[key] for key in COUNT_KEYS if key in params and params[key] is not None}


class ExactCounter:
    """A count_tokens client with a cache, a rate limiter and retries. Thread-safe.

    Args:
        api_key: the Anthropic API key (default ``$ANTHROPIC_API_KEY``). Never shown.
        base_url: the API endpoint (default ``$ANTHROPIC_BASE_URL``, else the SDK's).
        rpm: count_tokens requests per minute (default :data:`DEFAULT_RPM`, the Tier 1 limit).
        cache_dir: keep counts on disk under ``cache_dir/count_tokens/`` (default: memory only).
        max_retries: retries of a 429 / 529 / 5xx / connection error before giving up (a timeout is
            retried once).
        timeout: seconds to wait for an answer (:data:`READ_TIMEOUT`).
        connect_timeout: seconds to wait for a connection (:data:`CONNECT_TIMEOUT`).
        clock, sleep: injectable time, for tests (monotonic seconds; a sleep that takes seconds).

    Raises:
        ExactCountError: the ``anthropic`` package is not installed, no API key is set, the key has
            whitespace or control characters, or the endpoint is not an http(s) URL.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        rpm: int = DEFAULT_RPM,
        cache_dir: str | Path | None = None,
        max_retries: int = 5,
        timeout: float = READ_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            import anthropic
        except ImportError:
            raise ExactCountError(
                "exact token counts need the official anthropic SDK: pip install 'claude-quote[exact]'"
            ) from None
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not key:
            raise ExactCountError(
                f"{API_KEY_ENV} is not set: exact counts call Anthropic's count_tokens endpoint (free, "
                "rate-limited), which needs an API key; set it, or count offline without --exact"
            )
        _check_key(key, API_KEY_ENV if api_key is None else "api_key")
        if base_url is None and os.environ.get(BASE_URL_ENV):
            base_url = _check_base_url(os.environ[BASE_URL_ENV], BASE_URL_ENV)
        elif base_url is not None:
            base_url = _check_base_url(base_url, "base_url")
        self.__key = key
        self.base_url = base_url
        self.rpm = rpm
        self.cache_dir = None if cache_dir is None else Path(cache_dir) / "count_tokens"
        self.max_retries = max_retries
        self.stats = ExactStats()
        self._limiter = RateLimiter(rpm, clock=clock, sleep=sleep)
        self._sleep = sleep
        self._memory: dict[str, int] = {}
        self._lock = threading.Lock()
        self._sdk = anthropic
        self._client = anthropic.Anthropic(
            api_key=key,
            base_url=base_url,
            max_retries=0,
            timeout=anthropic.Timeout(timeout, connect=connect_timeout),
        )

    def __repr__(self) -> str:
        where = self.base_url or "the SDK's default endpoint"
        disk = f", cache_dir={str(self.cache_dir)!r}" if self.cache_dir else ""
        return f"ExactCounter({where}, rpm={self.rpm}{disk}, api_key=<hidden>)"

    __str__ = __repr__

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> ExactCounter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self) -> Any:
        raise TypeError("an ExactCounter holds an API key and cannot be pickled")

    def count(self, params: Mapping[str, Any]) -> int:
        """Input tokens of the Messages request ``params`` (``model``, ``messages``, ``system``, ...).

        Cached by content hash; identical parameters are only ever sent once per cache.
        """
        body = _counted(params)
        if not isinstance(body.get("model"), str) or not isinstance(body.get("messages"), list):
            raise ExactCountError("count_tokens needs a model (string) and messages (list) in the parameters")
        key = cache_key(body)
        with self._lock:
            if key in self._memory:
                self.stats.memory_hits += 1
                return self._memory[key]
        cached = self._read_disk(key)
        if cached is not None:
            with self._lock:
                self.stats.disk_hits += 1
                self._memory[key] = cached
            return cached
        tokens = self._request(body)
        with self._lock:
            self._memory[key] = tokens
        self._write_disk(key, body["model"], tokens)
        return tokens

    def _request(self, body: dict[str, Any]) -> int:
        sdk = self._sdk
        timeouts = 0
        for attempt in range(self.max_retries + 1):
            waited = self._limiter.acquire()
            with self._lock:
                self.stats.requests += 1
                self.stats.waited += waited
            try:
                result = self._client.messages.count_tokens(**body)
            except (TypeError, AttributeError) as exc:
                raise ExactCountError(
                    f"the installed anthropic SDK cannot send this count_tokens request ({self._scrub(str(exc))}); "
                    "upgrade it: pip install -U 'claude-quote[exact]'"
                ) from None
            except sdk.APIStatusError as exc:
                self._pause(self._retry_wait(body, exc, attempt))
                continue
            except sdk.APITimeoutError:
                timeouts += 1
                if timeouts > _TIMEOUT_RETRIES or attempt == self.max_retries:
                    raise ExactCountError(
                        self._failure(body, "no answer within the timeout (is the endpoint right?)", attempt)
                    ) from None
                continue
            except sdk.APIConnectionError as exc:
                if attempt == self.max_retries:
                    raise ExactCountError(self._failure(body, exc.__class__.__name__, attempt)) from None
                self._pause(_backoff(attempt))
                continue
            except Exception as exc:  # an answer the SDK cannot read: not JSON, empty, a 5,000-digit number
                reason = f"an answer that is not a count_tokens result ({type(exc).__name__}: {exc})"
                raise ExactCountError(self._failure(body, reason[:300], attempt)) from None
            return self._tokens(body, getattr(result, "input_tokens", None), attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_wait(self, body: Mapping[str, Any], exc: Any, attempt: int) -> float:
        """Seconds to wait before retrying after an HTTP error (``exc``, the SDK's APIStatusError): what
        the API asks (Retry-After) or the backoff; an error when the status or the wait is not retried."""
        status = exc.status_code
        if status not in _RETRY_STATUS or attempt == self.max_retries:
            raise ExactCountError(
                self._failure(body, f"HTTP {status}: {_api_message(exc)}", attempt)
            ) from None
        asked = _retry_after(exc.response.headers)
        if asked is not None and asked > MAX_RETRY_AFTER:
            raise ExactCountError(
                self._failure(
                    body,
                    f"HTTP {status} asking to retry after {asked:,.0f} s, longer than the "
                    f"{MAX_RETRY_AFTER:.0f} s claude-quote waits; try again later, or count "
                    "offline without --exact",
                    attempt,
                )
            ) from None
        return asked if asked is not None else _backoff(attempt)

    def _tokens(self, body: Mapping[str, Any], tokens: object, attempt: int) -> int:
        """The answer's ``input_tokens`` when it is a count (its value is never quoted: it may be anything)."""
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
            if tokens is None:
                shown = "missing"
            elif isinstance(tokens, int) and not isinstance(tokens, bool):
                shown = "negative"
            else:
                shown = f"not a whole number (JSON {_json_type(tokens)})"
            raise ExactCountError(self._failure(body, f"an answer whose input_tokens is {shown}", attempt))
        if tokens > MAX_REQUEST_TOKENS:
            raise ExactCountError(
                self._failure(
                    body,
                    f"an answer of more than {MAX_REQUEST_TOKENS:,} input tokens for one request, which no "
                    "model reads (is the endpoint Anthropic's API?)",
                    attempt,
                )
            )
        return tokens

    def _pause(self, seconds: float) -> None:
        seconds = min(max(seconds, 0.0), MAX_RETRY_AFTER)
        with self._lock:
            self.stats.retries += 1
            self.stats.waited += seconds
        self._sleep(seconds)

    def _failure(self, body: Mapping[str, Any], what: str, attempt: int) -> str:
        tries = f" after {attempt + 1} attempts" if attempt else ""
        where = f" at {self.base_url}" if self.base_url else ""
        return self._scrub(f"count_tokens for {body['model']}{where} failed{tries}: {what}")

    def _scrub(self, text: str) -> str:
        """``text`` without the key, whichever way it was written back (as is, or JSON-escaped)."""
        for form in {self.__key, json.dumps(self.__key)[1:-1]}:
            text = text.replace(form, "<hidden>")
        return text

    def _read_disk(self, key: str) -> int | None:
        if self.cache_dir is None:
            return None
        try:
            data = loads_json((self.cache_dir / f"{key}.json").read_bytes())
        except (OSError, WorkloadError):
            return None
        tokens = data.get("input_tokens") if isinstance(data, dict) else None
        valid = isinstance(tokens, int) and not isinstance(tokens, bool) and 0 <= tokens <= MAX_REQUEST_TOKENS
        return tokens if valid else None

    def _write_disk(self, key: str, model: str, tokens: int) -> None:
        if self.cache_dir is None:
            return
        record = {"input_tokens": tokens, "model": model, "counted_at": datetime.now(UTC).isoformat()}
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self.cache_dir, suffix=".tmp", delete=False, encoding="utf-8"
            ) as handle:
                json.dump(record, handle)
            Path(handle.name).replace(self.cache_dir / f"{key}.json")
        except OSError:
            return  # a cache that cannot be written only costs a request next time


def _api_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return str(getattr(exc, "message", "") or exc.__class__.__name__)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date); None when
    neither is there or readable (a negative, infinite or NaN number is not)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            value = float(millis) / 1000
        except ValueError:
            pass
        else:
            if math.isfinite(value) and value >= 0:
                return value
    text = headers.get("retry-after")
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _json_type(value: object) -> str:
    names = {str: "string", float: "number", bool: "boolean", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def _check_key(key: str, name: str) -> None:
    """Refuse a key with whitespace or control characters (never quoting it)."""
    if key != key.strip():
        raise ExactCountError(
            f"{name} starts or ends with whitespace (a newline from `$(cat key-file)`?); remove it: "
            "the key is sent as a header, where it would be refused or leak into a log"
        )
    if not key.isascii() or not key.isprintable() or any(char.isspace() for char in key):
        raise ExactCountError(f"{name} holds a space, a control or a non-ASCII character: not an API key")


def _check_base_url(url: str, name: str) -> str:
    """``url`` when it is an http(s) URL with a host, else an ExactCountError naming ``name``."""
    shown = url if len(url) <= 80 else url[:80] + "…"
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ExactCountError(f"{name} {shown!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ExactCountError(
            f"{name} {shown!r} is not an http(s) URL with a host, such as https://api.anthropic.com"
        )
    return url.strip()


def _backoff(attempt: int) -> float:
    return float(min(2**attempt, 60))


def counter_from_env() -> ExactCounter:
    """A new :class:`ExactCounter` set up from the environment, as :func:`count_exact`'s shared one.

    ``$ANTHROPIC_API_KEY``, ``$ANTHROPIC_BASE_URL`` (through the SDK), ``$CLAUDE_QUOTE_COUNT_TOKENS_RPM``
    (default 100) and the on-disk cache under :func:`default_cache_dir`. Close it when done.
    """
    rpm_text = os.environ.get(RPM_ENV)
    try:
        rpm = int(rpm_text) if rpm_text else DEFAULT_RPM
    except ValueError:
        raise ExactCountError(
            f"{RPM_ENV} must be a whole number of requests per minute, got {rpm_text!r}"
        ) from None
    return ExactCounter(rpm=rpm, cache_dir=default_cache_dir())


@functools.cache
def _shared() -> ExactCounter:
    return counter_from_env()


def count_exact(params: Mapping[str, Any], *, client: ExactCounter | None = None) -> int:
    """Input tokens of one Messages request by Anthropic's count_tokens endpoint.

    ``params`` are Messages API parameters (a batch request's ``params``); only :data:`COUNT_KEYS`
    are sent. Without ``client``, a shared :class:`ExactCounter` is built on first use from
    ``$ANTHROPIC_API_KEY`` (and ``$ANTHROPIC_BASE_URL`` if set), at ``$CLAUDE_QUOTE_COUNT_TOKENS_RPM``
    (default 100) requests per minute, caching on disk under :func:`default_cache_dir`.

    Raises:
        ExactCountError: no SDK, no key, bad parameters, or the endpoint kept failing.
    """
    return (client or _shared()).count(params)
