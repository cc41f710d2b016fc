"""plan()'s inputs: every documented shape (JSONL, .json batch-create body, gzip, standard input, a
pipe read once), the line-length cap, the 300K-output beta and ``params.betas``."""

from __future__ import annotations

import gzip
import hashlib
import importlib
import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote.errors import UsageError, WorkloadError
from claude_quote.plan import OUTPUT_300K_BETA, OUTPUT_300K_MODELS, plan
from tests.conftest import DAY, ROOT, console_script, run_cli
from tests.workload_files import request, words, write_jsonl

checks = importlib.import_module("claude_quote.plan.checks")


def _codes(p: Any) -> list[tuple[int, str, str]]:
    return [(x.line, x.code, x.severity) for x in p.problems]


# --------------------------------------------------------------------------------------------------
# The batch-create body, .json


def test_a_batch_create_body_is_read_and_split_as_compact_lines(tmp_path: Path) -> None:
    body = {"requests": [request(custom_id="a"), request("é", custom_id="b"), request(custom_id="a")]}
    path = tmp_path / "create.json"
    path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    p = plan(path, at=DAY, split=tmp_path / "out")
    # the third request repeats the first's custom_id: its "line" is its position in the list
    assert _codes(p) == [(3, "custom_id_duplicate", "error")]
    assert (p.requests, p.bytes) == (3, path.stat().st_size)
    assert p.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert p.split is None  # an error: nothing written
    p = plan(path, at=DAY, split=tmp_path / "out", force=True)
    lines = [
        json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in body["requests"]
    ]
    written = b"".join(
        (tmp_path / "out" / name).read_bytes() for name in ("part-0001.jsonl", "part-0002.jsonl")
    )
    assert written == b"".join(lines)  # the duplicate starts the second part
    assert p.lines_sha256 == hashlib.sha256(b"".join(lines)).hexdigest()
    assert [part.bytes for part in p.parts] == [len(lines[0]) + len(lines[1]), len(lines[2])]


def test_a_gzipped_batch_create_body_reads_as_the_body(tmp_path: Path) -> None:
    # body.json.gz is the JSON document gzipped: read whole, as body.json is (not as JSONL, whose one
    # line would be "a batch-create body on one line"; not as a text file by estimate)
    from claude_quote import EstimateOptions, estimate

    body = {"requests": [request(words(30), custom_id="a"), request(words(9), custom_id="b")]}
    plain = tmp_path / "body.json"
    plain.write_text(json.dumps(body, indent=2), encoding="utf-8")
    packed = tmp_path / "body.JSON.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    p = plan(packed, at=DAY, split=tmp_path / "out")
    assert (p.requests, _codes(p)) == (2, [])
    lines = [json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in body["requests"]]
    assert (tmp_path / "out" / "part-0001.jsonl").read_bytes() == b"".join(lines)
    options = EstimateOptions(output_tokens=10)
    assert (
        estimate([packed], options, at=DAY).realtime.total
        == estimate([plain], options, at=DAY).realtime.total
    )
    result = run_cli(["estimate", str(packed), "--at", "2026-11-25", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["requests"] == 2


def test_a_json_list_of_requests_and_one_request(tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([request(custom_id="a"), request(custom_id="b")]), encoding="utf-8")
    assert plan(listed, at=DAY).requests == 2
    one = tmp_path / "one.json"
    one.write_text(json.dumps(request(custom_id="a")), encoding="utf-8")
    assert plan(one, at=DAY).requests == 1


def test_a_bare_messages_body_says_it_lacks_a_custom_id(tmp_path: Path) -> None:
    single = tmp_path / "body.json"
    single.write_text(json.dumps(request()["params"]), encoding="utf-8")
    with pytest.raises(
        WorkloadError, match=r'body\.json: holds one bare Messages API request body, without "custom_id"'
    ):
        plan(single, at=DAY)
    mixed = tmp_path / "mixed.json"
    mixed.write_text(
        json.dumps({"requests": [request()["params"], request(custom_id="b")]}), encoding="utf-8"
    )
    p = plan(mixed, at=DAY)
    assert _codes(p) == [(1, "invalid_line", "error")]
    assert p.problems[0].message.startswith(
        'a bare Messages API request body, without "custom_id": a batch line is'
    )


def test_a_batch_create_body_on_one_jsonl_line_says_what_to_do(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [{"requests": [request()]}, request(custom_id="b")])
    p = plan(path, at=DAY)
    assert _codes(p) == [(1, "invalid_line", "error")]
    assert "save it as a .json file" in p.problems[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ('"just a string"', r"expected a Messages API request body"),
        ("[" * 100_000, r"not valid JSON \(nested too deeply"),
    ],
)
def test_a_bad_json_document_is_one_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WorkloadError, match=rf"bad\.json(:\d+)?: {message}"):  # the line, when known
        plan(path, at=DAY)


# --------------------------------------------------------------------------------------------------
# gzip, standard input, pipes


def test_gzip_is_recognised_by_its_magic_bytes_too(tmp_path: Path) -> None:
    plain = (ROOT / "examples" / "batch-requests.jsonl").read_bytes()
    path = tmp_path / "packed.jsonl"  # no .gz suffix
    path.write_bytes(gzip.compress(plain))
    p = plan(path, at=DAY)
    assert (p.requests, p.bytes) == (4, len(plain))
    assert p.source_sha256 == hashlib.sha256(plain).hexdigest()


def test_standard_input_is_read_once_and_can_be_split(tmp_path: Path) -> None:
    content = (ROOT / "examples" / "batch-requests.jsonl").read_text(encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli(
        ["plan", "-", "--at", "2026-11-25", "--max-requests", "3", "--split", str(out), "-f", "json"],
        input=content,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["file"], data["requests"], data["split"]["requests"]) == ("-", 4, 4)
    assert (out / "part-0001.jsonl").read_text(encoding="utf-8") + (out / "part-0002.jsonl").read_text(
        encoding="utf-8"
    ) == content


def test_write_parts_cannot_read_standard_input_again(tmp_path: Path) -> None:
    from claude_quote.plan import write_parts

    p = plan(write_jsonl(tmp_path / "b.jsonl", [request()]), at=DAY).model_copy(update={"file": "-"})
    with pytest.raises(WorkloadError, match="standard input, which cannot be read again"):
        write_parts(p, tmp_path / "out")


@pytest.mark.slow
def test_a_pipe_is_read_once_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = f'"{console_script()}" plan <(cat examples/batch-requests.jsonl) --at 2026-11-25 --split "{out}"'
    proc = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "part-0001.jsonl").read_bytes() == (ROOT / "examples" / "batch-requests.jsonl").read_bytes()


# --------------------------------------------------------------------------------------------------
# The line-length cap


def test_a_line_at_the_cap_is_read_and_one_byte_more_is_an_error(tmp_path: Path) -> None:
    line = json.dumps(request(custom_id="a")) + "\n"
    cap = len(line.encode())
    path = tmp_path / "b.jsonl"
    path.write_text(line + line.replace('"a"', '"b"'), encoding="utf-8")
    assert plan(path, at=DAY, max_line_bytes=cap).requests == 2
    path.write_text(line + line.replace('"a"', '"bb"'), encoding="utf-8")  # line 2: cap + 1 bytes
    with pytest.raises(
        WorkloadError, match=rf"b\.jsonl:2: the line is longer than {cap:,} bytes, the line-length cap"
    ):
        plan(path, at=DAY, max_line_bytes=cap)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this platform")
def test_dev_zero_is_an_error_not_all_the_memory() -> None:
    result = run_cli(["plan", "/dev/zero", "--max-line-bytes", "1MB"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: /dev/zero:1: the line is longer than 1,000,000 bytes, the line-length cap (--max-line-bytes)"
    )


def test_the_cap_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="max_line_bytes must be at least 1"):
        plan(write_jsonl(tmp_path / "b.jsonl", [request()]), at=DAY, max_line_bytes=0)


# --------------------------------------------------------------------------------------------------
# The 300K-output beta (claude-opus-4-6: 128,000 output tokens; with the beta, 300,000)


def _max_tokens(tmp_path: Path, model: str, value: int, **options: Any) -> Any:
    return plan(
        write_jsonl(tmp_path / "b.jsonl", [request(model=model, max_tokens=value)]), at=DAY, **options
    )


def test_without_the_beta_the_error_names_the_flag(tmp_path: Path) -> None:
    assert _codes(_max_tokens(tmp_path, "claude-opus-4-6", 128_000)) == []
    p = _max_tokens(tmp_path, "claude-opus-4-6", 128_001)
    assert _codes(p) == [(1, "max_tokens_over_limit", "error")]
    assert p.problems[0].message == (
        "max_tokens 128,001 is over claude-opus-4-6's maximum output of 128,000: the API rejects it; lower "
        "max_tokens, or, if you create the batch with the output-300k-2026-03-24 beta (up to 300,000 on this "
        "model), declare it: --beta output-300k-2026-03-24"
    )


def test_with_the_beta_300000_is_fine_and_300001_is_an_error(tmp_path: Path) -> None:
    betas = [OUTPUT_300K_BETA]
    assert _codes(_max_tokens(tmp_path, "claude-opus-4-6", 300_000, betas=betas)) == []
    p = _max_tokens(tmp_path, "claude-opus-4-6", 300_001, betas=betas)
    assert _codes(p) == [(1, "max_tokens_over_limit", "error")]
    assert p.problems[0].message == (
        "max_tokens 300,001 is over claude-opus-4-6's maximum output of 300,000 with the "
        "output-300k-2026-03-24 beta: the API rejects it; lower max_tokens"
    )
    assert p.betas == (OUTPUT_300K_BETA,)


def test_the_beta_does_not_lift_a_model_it_does_not_list(tmp_path: Path) -> None:
    assert "claude-haiku-4-5-20251001" not in OUTPUT_300K_MODELS
    p = _max_tokens(tmp_path, "claude-haiku-4-5", 64_001, betas=[OUTPUT_300K_BETA])
    assert _codes(p) == [(1, "max_tokens_over_limit", "error")]
    assert (
        "maximum output of 64,000: the API rejects it (the output-300k-2026-03-24 beta does not lift it"
        in (p.problems[0].message)
    )
    # without the beta, the message does not suggest a flag that would not help
    p = _max_tokens(tmp_path, "claude-haiku-4-5", 64_001)
    assert p.problems[0].message.endswith("the API rejects it; lower max_tokens")


def test_an_uncertain_model_under_the_beta_is_a_warning(tmp_path: Path) -> None:
    assert OUTPUT_300K_MODELS["claude-opus-4-8"] is not None
    p = _max_tokens(tmp_path, "claude-opus-4-8", 128_001, betas=[OUTPUT_300K_BETA])
    assert _codes(p) == [(1, "max_tokens_over_limit", "warning")]
    assert "(UNCERTAIN: only a third-party guide" in p.problems[0].message
    p = _max_tokens(tmp_path, "claude-opus-4-8", 300_001, betas=[OUTPUT_300K_BETA])
    assert _codes(p) == [(1, "max_tokens_over_limit", "error")]


def test_every_model_the_beta_lists_is_in_the_price_table(table: Any) -> None:
    ids = {m.id for m in table.models}
    assert set(OUTPUT_300K_MODELS) <= ids


def test_an_unknown_beta_is_noted(tmp_path: Path) -> None:
    p = plan(
        write_jsonl(tmp_path / "b.jsonl", [request()]),
        at=DAY,
        betas=["files-api-2025-04-14", OUTPUT_300K_BETA],
    )
    assert p.warnings == (
        "--beta files-api-2025-04-14: not a beta claude-quote knows (output-300k-2026-03-24); it changes none of "
        "the checks",
    )
    assert p.betas == ("files-api-2025-04-14", OUTPUT_300K_BETA)


def test_beta_is_repeatable_on_the_command_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [request(model="claude-opus-4-6", max_tokens=200_000)])
    args = ["plan", str(path), "--at", "2026-11-25", "-f", "json"]
    assert run_cli(args).exit_code == 2
    result = run_cli([*args, "--beta", OUTPUT_300K_BETA, "--beta", "other-2026-01-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["betas"] == [OUTPUT_300K_BETA, "other-2026-01-01"]
    assert data["problems"] == []


def test_betas_in_params_are_a_warning(tmp_path: Path) -> None:
    lines = [request(custom_id="a", betas=[OUTPUT_300K_BETA], max_tokens=200_000, model="claude-opus-4-6")]
    p = plan(write_jsonl(tmp_path / "b.jsonl", lines), at=DAY)
    # the beta in params does not count: the API does not read it there
    assert _codes(p) == [(1, "betas_in_params", "warning"), (1, "max_tokens_over_limit", "error")]
    assert p.problems[0].message.startswith(
        "params.betas ['output-300k-2026-03-24'] is not how the API takes betas: it reads them from the "
        "anthropic-beta header"
    )


# --------------------------------------------------------------------------------------------------
# Requests of text alone are not taken apart unless they could reach a limit


def _plan_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[Any, Any]:
    fast = plan(path, at=DAY, **options)
    with monkeypatch.context() as patch:
        patch.setattr(checks, "_text_only", lambda _params: False)  # every request shaped, as before
        slow = plan(path, at=DAY, **options)
    return fast, slow


def test_the_haiku_5_5_tier_is_found_with_and_without_shaping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # token_factor 1: words(n) is n tokens; the tier is 100,000, its warning starts past 90,000
    tool = {"name": "lookup", "input_schema": {"type": "object"}}
    lines = [
        request(words(n), model="claude-haiku-5-5", custom_id=f"r{n}")
        for n in (10, 89_000, 90_001, 100_000, 100_001)
    ] + [request(words(89_500), model="claude-haiku-5-5", custom_id="tools", tools=[tool])]
    fast, slow = _plan_both_ways(
        write_jsonl(tmp_path / "b.jsonl", lines), monkeypatch, token_factor=Decimal(1)
    )
    assert _codes(fast) == [
        (3, "near_tier", "warning"),
        (4, "near_tier", "warning"),
        (5, "tier_crossed", "warning"),
        # 89,500 tokens of text + about 12 of the tool as JSON + 675 of haiku-5-5's tool-use system
        # prompt (tool_choice auto, a fallback): over 90,000; without the tool it would not be
        (6, "near_tier", "warning"),
    ]
    assert fast.problems == slow.problems


text = st.text(alphabet=st.sampled_from(["a", " ", "é", "🙂", "\n", '"', "\\"]), max_size=40)
blocks = st.lists(
    st.fixed_dictionaries({"type": st.just("text"), "text": text})
    | st.fixed_dictionaries(
        {
            "type": st.just("text"),
            "text": text,
            "cache_control": st.sampled_from([{"type": "ephemeral"}, {"ttl": "1d"}]),
        }
    )
    | st.fixed_dictionaries({"type": st.sampled_from(["image", "weird", 3])}),
    max_size=6,
)
params = st.fixed_dictionaries(
    {"model": st.just("claude-haiku-5-5"), "max_tokens": st.sampled_from([1, 100, 0, -1])},
    optional={
        "system": text | blocks,
        "messages": st.lists(
            st.fixed_dictionaries({"role": st.just("user"), "content": text | blocks}), max_size=3
        )
        | st.just("x"),
        "tools": st.sampled_from(
            [
                [{"name": "t", "input_schema": {"type": "object"}}],
                [{"name": "t", "input_schema": {"type": "number", "minimum": 1e5}}],
                [{"name": "t", "cache_control": {"type": "ephemeral"}}],
                [{"name": "t", "cache_control": {"type": "x"}}],
                "bad",
                [3],
            ]
        ),
        "thinking": st.sampled_from([{"type": "enabled", "budget_tokens": 0}, {"type": "adaptive"}, "on"]),
        "cache_control": st.sampled_from([{"type": "ephemeral"}, None, 5]),
    },
)


@settings(max_examples=60, deadline=None)
@given(st.lists(params, min_size=1, max_size=6))
def test_the_shortcut_finds_every_problem_shaping_finds(bodies: list[dict[str, Any]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        lines = [{"custom_id": f"r{i}", "params": body} for i, body in enumerate(bodies)]
        path = write_jsonl(Path(folder) / "b.jsonl", lines)
        fast = plan(path, at=DAY, token_factor=Decimal(1), margin=Decimal(0))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(checks, "_text_only", lambda _params: False)  # every request shaped
            slow = plan(path, at=DAY, token_factor=Decimal(1), margin=Decimal(0))
    assert fast.problems == slow.problems


# The bound per byte of a line: joins are rarer than one a byte


def _model_with(factors: tuple[float, ...], joins: tuple[float, ...], tool: float = 1.05) -> Any:
    import dataclasses

    from claude_quote.tokens.correction import counting_model_for_tokenizer

    base = counting_model_for_tokenizer("claude-3")
    return dataclasses.replace(base, factors=factors, tool_factor=tool, joins=joins)


def test_the_line_factor_counts_the_joins_at_their_densest() -> None:
    factors = (1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    # joins in JOINS order: punct_letter, lower_upper, start_digit, newline, upper_upper, space_nonascii
    # densest: max(0.4/2, 0.9/2, (0.4 + 0.9)/3, 0.2, 0.3, 0.6/3, (0.3 + 0.6)/3) = 0.45 a byte (aBaB...);
    # 2.0 × 1.05 × (1 + 0.45) = 3.045; one join a byte would be 2.0 × 1.05 × (1 + 1) = 4.2
    counting = _model_with(factors, (0.4, 0.9, 1.0, 0.3, 0.2, 0.6))
    assert checks.line_factor(counting) == Decimal("3.045")
    assert counting.max_factor == Decimal("4.2")
    # a start_digit of 3 is more than a text's two quotes pay for (2 × 1.45 = 2.9): the factor per
    # text byte, 2.0 × 1.05 × (1 + 3) = 8.4
    assert checks.line_factor(_model_with(factors, (0.4, 0.9, 3.0, 0.3, 0.2, 0.6))) == Decimal("8.4")
    # at 2.9 they still do
    assert checks.line_factor(_model_with(factors, (0.4, 0.9, 2.9, 0.3, 0.2, 0.6))) == Decimal("3.045")
    # With a tool factor of 1 (values exact in binary): line feeds at 0.5 each ("\n\n\n"): 2 × 1.5 = 3;
    # capitals at 0.75 each ("HTTP"): 2 × 1.75 = 3.5; a line feed then "é" at 0.25 + 1.25 over 3 bytes,
    # 0.5 a byte: 3 again (0.45 would give 2.9)
    assert checks.line_factor(_model_with(factors, (0.4, 0.9, 1.0, 0.5, 0.2, 0.6), 1.0)) == Decimal("3")
    assert checks.line_factor(_model_with(factors, (0.4, 0.9, 1.0, 0.3, 0.75, 0.6), 1.0)) == Decimal("3.5")
    assert checks.line_factor(_model_with(factors, (0.4, 0.9, 1.0, 0.25, 0.2, 1.25), 1.0)) == Decimal("3")
    assert checks.line_factor(_model_with(factors, (0.4, 0.9, 1.0, 0.3, 0.2, 0.6), 1.0)) == Decimal("2.9")


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(["a", "z", "B", "Q", ".", ",", "1", " ", "\n", "\x01", "é", "→", "🙂"]),
        max_size=50,
    ),
    tokenizer=st.sampled_from(["claude-3", "claude-4.7"]),
)
def test_no_text_estimates_over_the_line_bound(text: str, tokenizer: Any) -> None:
    from claude_quote.tokens.classes import scan
    from claude_quote.tokens.correction import counting_model_for_tokenizer
    from claude_quote.tokens.encoding import load_encoding

    counting = counting_model_for_tokenizer(tokenizer)
    size = len(text.encode("utf-8"))
    bound = (size + 2) * checks.line_factor(counting)  # the text in a line: its bytes and two quotes
    chars = scan(text)
    encoding, _ = load_encoding()
    for raw in (size, len(encoding.encode_ordinary(text))):  # the most tiktoken makes; the real count
        assert Decimal(counting.text_tokens((raw, chars))) <= bound


def test_a_25_kb_request_far_from_the_haiku_5_5_tier_is_not_taken_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 25,000 bytes × 4.087 (claude-4.7's factor per text byte: one join a byte) = 102,175 could be over
    # the 90,000 where the warning for the 100,000-token tier starts, so it would be taken apart and
    # counted; × 2.963 (1.946 × 1.05 × 1.45: the joins at their densest, line_factor) = 74,075 cannot
    shaped: list[int] = []
    original = checks._shape

    def shape(planner: Any, request: Any, *args: Any) -> Any:
        shaped.append(request.line)
        return original(planner, request, *args)

    monkeypatch.setattr(checks, "_shape", shape)
    text = ("Hello there. " * 2_500)[:24_800]
    path = write_jsonl(tmp_path / "b.jsonl", [request(text, model="claude-haiku-5-5")])
    assert 24_800 < path.stat().st_size <= 25_000
    p = plan(path, at=DAY)
    assert (p.requests, p.problems, shaped) == (1, (), [])
