"""estimate --exact: every prompt counted by count_tokens, against a server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from claude_quote import EstimateOptions, estimate, estimate_requests
from claude_quote.errors import ExactCountError
from tests.conftest import DAY, run_cli
from tests.test_tokens_exact import KEY, _Server, server  # noqa: F401 - the server fixture
from tests.workload_files import request, words, write_jsonl


def counted(body: dict[str, Any]) -> int:
    """What the test server answers: one token per 4 characters of the counted JSON."""
    return len(json.dumps({k: body[k] for k in ("system", "messages", "tools") if k in body})) // 4


@pytest.fixture
def env(server: _Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> _Server:  # noqa: F811
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("CLAUDE_QUOTE_CACHE_DIR", str(tmp_path / "cache"))
    return server


def test_request_file_counted_exactly(env: _Server) -> None:
    lines = [json.loads(line) for line in Path("examples/batch-requests.jsonl").read_text().splitlines()]
    e = estimate(["examples/batch-requests.jsonl"], EstimateOptions(output_tokens=10, exact=True), at=DAY)
    # the prompt is count_tokens' answer for each request, nothing added (no fixed tokens on top)
    assert e.input_tokens == sum(counted(line["params"]) for line in lines)
    assert e.token_method.method == "exact"
    assert e.token_method.description.startswith("exact (count_tokens)")
    assert len(env.seen) == 4
    sent = env.seen[2]["body"]
    # the model is sent as the canonical id; max_tokens is not counted, so not sent
    assert sent["model"] == "claude-haiku-4-5-20251001"
    assert "max_tokens" not in sent
    again = estimate(["examples/batch-requests.jsonl"], EstimateOptions(output_tokens=10, exact=True), at=DAY)
    assert again.usage == e.usage
    assert len(env.seen) == 4  # the disk cache answered


def test_cli_says_exact_and_never_prints_the_key(env: _Server) -> None:
    result = run_cli(["estimate", "examples/batch-requests.jsonl", "--exact", "--at", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert "token counts     exact (count_tokens)" in result.stdout
    assert "exact (count_tokens)" in result.stdout.split("By model")[1]
    assert KEY not in result.output


def test_text_files_are_sent_as_one_user_message(env: _Server, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Hello there.")
    e = estimate(
        [folder],
        EstimateOptions(exact=True, model="haiku-4.5", max_tokens=10, template="Summarize: {text}"),
        at=DAY,
    )
    body = {"messages": [{"role": "user", "content": "Summarize: Hello there."}]}
    assert e.input_tokens == counted(body)
    assert env.seen[0]["body"] == {"model": "claude-haiku-4-5-20251001", **body}


def test_cache_prefixes_take_the_offline_shares(env: _Server, tmp_path: Path) -> None:
    system = [{"type": "text", "text": words(3000), "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    line = request(words(1000), custom_id="c-1", system=system)
    path = write_jsonl(tmp_path / "c.jsonl", [line])
    offline = estimate_requests(path, at=DAY)["c-1"].usage
    exact = estimate_requests(path, EstimateOptions(exact=True), at=DAY)["c-1"].usage
    total = counted(line["params"])
    assert exact.prompt_tokens == total
    # offline (claude-3 content model): the prefix is 7 framing + 3,000 × 1.046538 (15,000 letters and
    # 2,999 spaces: (15,000 × 0.238 × 1.041 + 2,999 × 0.159 × 1.088) ÷ (15,000 × 0.238 + 2,999 × 0.159))
    # = 3,146.61 → 3,147; with the message, 1,000 words: 3,146.61 + 1,000 × 1.046535 = 4,193.15 → a
    # 4,193-token prompt; exact: the same share, half up
    assert (offline.cache_write_1h_tokens, offline.prompt_tokens) == (3147, 4193)
    assert exact.cache_write_1h_tokens == (2 * total * 3147 + 4193) // (2 * 4193)


def test_exact_needs_a_key_and_no_token_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ExactCountError, match="ANTHROPIC_API_KEY is not set"):
        estimate(["examples/batch-requests.jsonl"], EstimateOptions(exact=True), at=DAY)
    result = run_cli(["estimate", "examples/batch-requests.jsonl", "--exact", "--token-factor", "1.1"])
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: give either --exact or --token-factor, not both: counts from count_tokens need no factor\n"
    )


def test_a_failing_endpoint_exits_2_without_the_key(env: _Server) -> None:
    denied = {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key {key}"},
    }
    env.script = [(401, {}, denied)]
    result = run_cli(["estimate", "examples/batch-requests.jsonl", "--exact", "--at", "2026-11-25"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: count_tokens for ")
    assert "HTTP 401" in result.stderr
    assert KEY not in result.output
