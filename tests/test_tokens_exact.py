"""Exact counts through count_tokens, against a small HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from claude_quote import tokens_exact
from claude_quote.tokens_exact import (
    ExactCounter,
    ExactCountError,
    RateLimiter,
    cache_key,
    count_exact,
    default_cache_dir,
)

KEY = "sk-ant-api03-TEST-never-print-me-7f3a9c"
PARAMS: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 1024,
    "system": "You summarise contracts.",
    "messages": [{"role": "user", "content": "Summarise clause 4."}],
    "temperature": 0.2,
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[dict[str, Any]] = []
        self.script: list[tuple[int, dict[str, str], dict[str, Any] | bytes]] = []
        """Answers to give, in order: (status, headers, JSON payload or raw body bytes)."""
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        with self.server.lock:
            self.server.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
            scripted = self.server.script.pop(0) if self.server.script else None
        status: int
        headers: dict[str, str]
        payload: dict[str, Any] | bytes
        if self.path != "/v1/messages/count_tokens":
            status, headers, payload = (
                404,
                {},
                {"type": "error", "error": {"type": "not_found_error", "message": self.path}},
            )
        elif scripted is not None:
            status, headers, payload = scripted
            if isinstance(payload, bytes):  # a raw answer, as is (or with the key echoed in it)
                payload = payload.replace(b"{key}", _sent_key(dict(self.headers)).encode())
            elif "{key}" in json.dumps(payload):  # a server that echoes the key back: we must not print it
                payload = json.loads(json.dumps(payload).replace("{key}", _sent_key(dict(self.headers))))
        else:
            # A deterministic stand-in for a tokenizer: one token per 4 characters of the counted JSON.
            counted = {k: body[k] for k in ("system", "messages", "tools") if k in body}
            status, headers, payload = 200, {}, {"input_tokens": len(json.dumps(counted)) // 4}
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {"content-type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _sent_key(headers: dict[str, str]) -> str:
    """The key as the SDK sent it: ``x-api-key``, or ``Authorization: Bearer`` in newer SDKs."""
    return headers.get("x-api-key") or headers.get("Authorization", "").removeprefix("Bearer ")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


class FakeTime:
    """An injectable clock: sleeping advances it; nothing really waits."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def counter(server: _Server, fake: FakeTime, **kwargs: Any) -> ExactCounter:
    return ExactCounter(api_key=KEY, base_url=server.url, clock=fake.clock, sleep=fake.sleep, **kwargs)


def expected(params: dict[str, Any]) -> int:
    return len(json.dumps({k: params[k] for k in ("system", "messages", "tools") if k in params})) // 4


def test_counts_through_the_endpoint(server: _Server, fake: FakeTime) -> None:
    with counter(server, fake) as c:
        assert c.count(PARAMS) == expected(PARAMS)
    (request,) = server.seen
    assert request["path"] == "/v1/messages/count_tokens"
    assert _sent_key(request["headers"]) == KEY
    # only what changes the count is sent: max_tokens and temperature are not
    assert request["body"] == {k: PARAMS[k] for k in ("model", "system", "messages")}


def test_second_identical_call_does_not_reach_the_server(server: _Server, fake: FakeTime) -> None:
    with counter(server, fake) as c:
        first = c.count(PARAMS)
        reordered = dict(reversed(list(PARAMS.items())), max_tokens=9)  # same counted content
        assert c.count(reordered) == first
        assert len(server.seen) == 1
        assert (c.stats.requests, c.stats.memory_hits) == (1, 1)
        c.count({**PARAMS, "model": "claude-opus-4-7"})  # the model changes the count
        assert len(server.seen) == 2


def test_disk_cache_survives_the_client(server: _Server, fake: FakeTime, tmp_path: Path) -> None:
    with counter(server, fake, cache_dir=tmp_path) as c:
        tokens = c.count(PARAMS)
    stored = json.loads((tmp_path / "count_tokens" / f"{cache_key(PARAMS)}.json").read_text())
    assert (stored["input_tokens"], stored["model"]) == (tokens, "claude-sonnet-4-6")
    with counter(server, fake, cache_dir=tmp_path) as again:
        assert again.count(PARAMS) == tokens
        assert again.stats.disk_hits == 1
    assert len(server.seen) == 1


def test_a_corrupt_disk_entry_is_a_miss(server: _Server, fake: FakeTime, tmp_path: Path) -> None:
    folder = tmp_path / "count_tokens"
    folder.mkdir()
    (folder / f"{cache_key(PARAMS)}.json").write_text("{not json")
    with counter(server, fake, cache_dir=tmp_path) as c:
        assert c.count(PARAMS) == expected(PARAMS)
    assert len(server.seen) == 1


def test_429_is_retried_after_retry_after(server: _Server, fake: FakeTime) -> None:
    limited = {"type": "error", "error": {"type": "rate_limit_error", "message": "rate limited"}}
    server.script = [(429, {"retry-after": "7"}, limited)]
    with counter(server, fake) as c:
        assert c.count(PARAMS) == expected(PARAMS)
        assert (c.stats.requests, c.stats.retries) == (2, 1)
    assert fake.sleeps == [7.0]
    assert len(server.seen) == 2


def test_529_and_5xx_back_off(server: _Server, fake: FakeTime) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    server.script = [(529, {}, overloaded), (503, {}, overloaded)]
    with counter(server, fake) as c:
        assert c.count(PARAMS) == expected(PARAMS)
    assert fake.sleeps == [1.0, 2.0]  # 2**0, 2**1


def test_gives_up_after_max_retries(server: _Server, fake: FakeTime) -> None:
    limited = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    server.script = [(429, {"retry-after": "1"}, limited)] * 3
    with counter(server, fake, max_retries=2) as c, pytest.raises(ExactCountError) as info:
        c.count(PARAMS)
    assert str(info.value) == (
        f"count_tokens for claude-sonnet-4-6 at {server.url} failed after 3 attempts: HTTP 429: slow down"
    )
    assert info.value.exit_code == 2


def test_client_errors_are_not_retried(server: _Server, fake: FakeTime) -> None:
    bad = {"type": "error", "error": {"type": "invalid_request_error", "message": "model: not found"}}
    server.script = [(400, {}, bad)]
    with (
        counter(server, fake) as c,
        pytest.raises(ExactCountError, match="failed: HTTP 400: model: not found"),
    ):
        c.count(PARAMS)
    assert len(server.seen) == 1
    assert fake.sleeps == []


def test_rate_limiter_spaces_requests(server: _Server, fake: FakeTime) -> None:
    with counter(server, fake, rpm=2) as c:
        for i in range(5):
            c.count({**PARAMS, "messages": [{"role": "user", "content": f"clause {i}"}]})
    # two per minute: requests 3 and 5 wait for the window to reopen; the fake clock never moved otherwise
    assert fake.sleeps == [60.0, 60.0]
    assert len(server.seen) == 5


def test_rate_limiter_alone(fake: FakeTime) -> None:
    limiter = RateLimiter(3, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        assert limiter.acquire() == 0
    fake.now += 45  # 45 s later the window still holds three
    assert limiter.acquire() == 15.0
    assert fake.sleeps == [15.0]
    with pytest.raises(ExactCountError, match="at least 1, got 0"):
        RateLimiter(0)


def test_the_key_never_appears(
    server: _Server, fake: FakeTime, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key {key}"}}
    server.script = [(401, {}, echo)]
    with counter(server, fake) as c:
        assert KEY not in repr(c)
        assert KEY not in str(c)
        assert "api_key=<hidden>" in repr(c)
        with pytest.raises(ExactCountError) as info:
            c.count(PARAMS)
        c.count(PARAMS)
    assert str(info.value).endswith("HTTP 401: invalid x-api-key <hidden>")
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)
    out = capsys.readouterr()
    assert KEY not in out.out + out.err
    assert KEY not in caplog.text
    with pytest.raises(TypeError, match="cannot be pickled"):
        __import__("pickle").dumps(c)


def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ExactCountError, match="ANTHROPIC_API_KEY is not set"):
        ExactCounter()
    with pytest.raises(ExactCountError, match="ANTHROPIC_API_KEY is not set"):
        ExactCounter(api_key="")


def test_missing_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(ExactCountError) as info:
        ExactCounter(api_key=KEY)
    assert str(info.value) == (
        "exact token counts need the official anthropic SDK: pip install 'claude-quote[exact]'"
    )


def test_connection_refused_is_retried_then_reported(fake: FakeTime) -> None:
    srv = _Server()  # bound, never served, then closed: nothing listens on the port
    url = srv.url
    srv.server_close()
    c = ExactCounter(api_key=KEY, base_url=url, max_retries=1, clock=fake.clock, sleep=fake.sleep)
    with c, pytest.raises(ExactCountError, match=r"failed after 2 attempts: APIConnectionError") as info:
        c.count(PARAMS)
    assert fake.sleeps == [1.0]
    assert KEY not in str(info.value)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"messages": []}, "needs a model"),
        ({"model": "claude-sonnet-4-6"}, r"needs a model \(string\) and messages"),
        ({"model": "claude-sonnet-4-6", "messages": [{"content": {1, 2}}]}, "must be plain JSON"),
    ],
)
def test_bad_parameters(server: _Server, fake: FakeTime, params: dict[str, Any], message: str) -> None:
    with counter(server, fake) as c, pytest.raises(ExactCountError, match=message):
        c.count(params)
    assert server.seen == []


def test_count_exact_with_the_shared_client(
    server: _Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("CLAUDE_QUOTE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CLAUDE_QUOTE_COUNT_TOKENS_RPM", "2000")
    tokens_exact._shared.cache_clear()
    try:
        assert count_exact(PARAMS) == expected(PARAMS)
        assert count_exact(PARAMS) == expected(PARAMS)
        shared = tokens_exact._shared()
        assert shared.rpm == 2000
        assert shared.stats.memory_hits == 1
        assert (tmp_path / "count_tokens" / f"{cache_key(PARAMS)}.json").exists()
        shared.close()
    finally:
        tokens_exact._shared.cache_clear()
    assert len(server.seen) == 1


def test_count_exact_with_an_explicit_client(server: _Server, fake: FakeTime) -> None:
    with counter(server, fake) as c:
        assert count_exact(PARAMS, client=c) == expected(PARAMS)


def test_bad_rpm_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_QUOTE_COUNT_TOKENS_RPM", "lots")
    tokens_exact._shared.cache_clear()
    with pytest.raises(ExactCountError, match="must be a whole number of requests per minute, got 'lots'"):
        count_exact(PARAMS)
    tokens_exact._shared.cache_clear()


def test_retry_after_parsing() -> None:
    parse = tokens_exact._retry_after
    assert parse({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse({"retry-after": "3"}) == 3.0
    assert parse({}) is None
    assert parse({"retry-after": "soon"}) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    waited = parse({"retry-after": later})
    assert waited is not None
    assert 0 < waited <= 30


def test_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLAUDE_QUOTE_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("CLAUDE_QUOTE_CACHE_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "claude-quote"


# -- malformed, empty and absurd answers; keys; endpoints; timeouts (issue 13) ---------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"garbage", r"an answer that is not a count_tokens result \(JSONDecodeError"),
        (b"", r"an answer that is not a count_tokens result \(JSONDecodeError"),
        (
            b'{"input_tokens": ' + b"9" * 5_000 + b"}",
            r"not a count_tokens result \(ValueError: Exceeds the limit",
        ),
        (b'{"input_tokens": -1}', "an answer whose input_tokens is negative"),
        (b'{"input_tokens": 1.5}', r"input_tokens is not a whole number \(JSON number\)"),
        (b'{"input_tokens": "12"}', r"input_tokens is not a whole number \(JSON string\)"),
        (b'{"other": 1}', "an answer whose input_tokens is missing"),
        (b"[1, 2]", "an answer whose input_tokens is missing"),
        # one above the bound is absurd; the bound itself is a count (both sides of the threshold)
        (b'{"input_tokens": 100000001}', "more than 100,000,000 input tokens for one request"),
    ],
)
def test_a_malformed_empty_or_absurd_answer_is_an_error(
    server: _Server, fake: FakeTime, body: bytes, message: str
) -> None:
    server.script = [(200, {}, body)]
    with counter(server, fake) as c, pytest.raises(ExactCountError, match=message):
        c.count(PARAMS)
    assert len(server.seen) == 1  # not retried: the answer will not change


def test_the_largest_count_is_accepted(server: _Server, fake: FakeTime) -> None:
    server.script = [(200, {}, b'{"input_tokens": 100000000}')]
    with counter(server, fake) as c:
        assert c.count(PARAMS) == 100_000_000


@pytest.mark.parametrize(
    "body",
    [
        b'{"input_tokens": "{key}"}',  # the key as the count
        b"{key}",  # the key as the whole (non-JSON) answer
        b'{"type": "error", "error": {"type": "api_error", "message": "bad key {key}"}}',
    ],
)
def test_an_answer_that_echoes_the_key_never_shows_it(
    server: _Server, fake: FakeTime, body: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script = [(200 if b"error" not in body else 400, {}, body)]
    with counter(server, fake) as c, pytest.raises(ExactCountError) as info:
        c.count(PARAMS)
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)
    out = capsys.readouterr()
    assert KEY not in out.out + out.err


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (KEY + "\n", "ends with whitespace"),
        (" " + KEY, "starts or ends with whitespace"),
        (KEY + "\r\n", "ends with whitespace"),
        (KEY[:10] + " " + KEY[10:], "holds a space"),
        (KEY[:10] + "\x07" + KEY[10:], "holds a space, a control"),
        (KEY + "é", "non-ASCII"),
    ],
)
def test_a_malformed_key_is_refused_before_anything_is_sent(
    server: _Server, fake: FakeTime, monkeypatch: pytest.MonkeyPatch, key: str, message: str
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    with pytest.raises(ExactCountError, match=message.replace("ends with", "(starts or )?ends with")) as info:
        ExactCounter(base_url=server.url)
    assert "ANTHROPIC_API_KEY" in str(info.value)
    assert KEY not in str(info.value)
    assert server.seen == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not an http\\(s\\) URL with a host"),
        ("ftp://example.com", "not an http\\(s\\) URL"),
        ("http://", "not an http\\(s\\) URL with a host"),
        ("http://[::1", r"is not a URL \(Invalid IPv6 URL\)"),
        ("http://127.0.0.1:port", "is not a URL"),
    ],
)
def test_a_bad_base_url_is_refused_up_front(monkeypatch: pytest.MonkeyPatch, url: str, message: str) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    with pytest.raises(ExactCountError, match="ANTHROPIC_BASE_URL .*" + message):
        ExactCounter(api_key=KEY)
    with pytest.raises(ExactCountError, match="base_url .*" + message):
        ExactCounter(api_key=KEY, base_url=url)


def test_the_base_url_variable_is_used(
    server: _Server, fake: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    with ExactCounter(api_key=KEY, clock=fake.clock, sleep=fake.sleep) as c:
        assert c.count(PARAMS) == expected(PARAMS)
    assert len(server.seen) == 1


def test_retry_after_beyond_the_cap_is_reported_not_waited(server: _Server, fake: FakeTime) -> None:
    server.script = [
        (429, {"retry-after": "86400"}, {"type": "error", "error": {"type": "rate_limit_error"}})
    ]
    with (
        counter(server, fake) as c,
        pytest.raises(ExactCountError, match="retry after 86,400 s, longer than the 60 s"),
    ):
        c.count(PARAMS)
    assert fake.sleeps == []
    assert len(server.seen) == 1


def test_retry_after_at_the_cap_is_waited(server: _Server, fake: FakeTime) -> None:
    server.script = [(429, {"retry-after": "60"}, {"type": "error", "error": {"type": "rate_limit_error"}})]
    with counter(server, fake) as c:
        assert c.count(PARAMS) == expected(PARAMS)
    assert fake.sleeps == [60.0]


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "Wed, 01 Jan 99999 00:00:00 GMT"])
def test_an_unreadable_retry_after_backs_off(server: _Server, fake: FakeTime, value: str) -> None:
    server.script = [(529, {"retry-after": value}, {"type": "error", "error": {"type": "overloaded_error"}})]
    with counter(server, fake) as c:
        assert c.count(PARAMS) == expected(PARAMS)
    assert fake.sleeps == [1.0]  # the first backoff: 2**0 s


def test_a_silent_server_times_out_and_is_retried_once(fake: FakeTime) -> None:
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are queued by the kernel, never answered
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    try:
        c = ExactCounter(
            api_key=KEY, base_url=url, timeout=0.2, connect_timeout=0.2, clock=fake.clock, sleep=fake.sleep
        )
        with c, pytest.raises(ExactCountError, match="after 2 attempts: no answer within the timeout"):
            c.count(PARAMS)
        assert c.stats.requests == 2  # max_retries is 5, but a timeout is retried only once
    finally:
        silent.close()


def test_the_timeouts_reach_the_client(server: _Server, fake: FakeTime) -> None:
    def timeouts(c: ExactCounter) -> tuple[object, object]:
        timeout: Any = c._client.timeout
        return timeout.read, timeout.connect

    with counter(server, fake, timeout=7.0, connect_timeout=3.0) as c:
        assert timeouts(c) == (7.0, 3.0)
    with counter(server, fake) as c:
        assert timeouts(c) == (tokens_exact.READ_TIMEOUT, tokens_exact.CONNECT_TIMEOUT)


def test_a_deep_or_absurd_disk_entry_is_a_miss(server: _Server, fake: FakeTime, tmp_path: Path) -> None:
    with counter(server, fake, cache_dir=tmp_path) as c:
        c.count(PARAMS)
    entry = next((tmp_path / "count_tokens").glob("*.json"))
    for text in ("[" * 5_000, '{"input_tokens": 100000001}', '{"input_tokens": ' + "9" * 5_000 + "}"):
        entry.write_text(text)
        with counter(server, fake, cache_dir=tmp_path) as c:
            assert c.count(PARAMS) == expected(PARAMS)
            assert c.stats.disk_hits == 0
