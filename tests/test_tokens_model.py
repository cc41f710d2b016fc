"""The counting model: the class scan, the token data file, framing, tools, thinking, the fit."""

from __future__ import annotations

import importlib.util
import itertools
import json
import string
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claude_quote import EstimateOptions, estimate, estimate_requests
from claude_quote.errors import ConfigError
from claude_quote.tokens import media
from claude_quote.tokens.classes import CLASSES, FEATURES, JOINS, ClassName, scan
from claude_quote.tokens.correction import counting_model_for_tokenizer
from claude_quote.tokens.data import load_token_data, parse_token_data
from claude_quote.tokens.fit import fit, fit_linear, summarize_errors
from tests.conftest import DAY, ROOT
from tests.workload_files import request, words, write_jsonl


def _load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("token_accuracy", ROOT / "benchmarks" / "token_accuracy.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


token_accuracy = _load_benchmark()


def _class_of(char: str) -> ClassName:
    """The reference classifier, one character at a time (what the scan does in bulk)."""
    code = ord(char)
    if code < 0x80:
        if char.isascii() and char.isalpha():
            return "latin"
        if char.isdigit():
            return "digits"
        if 0x21 <= code <= 0x7E:
            return "punct"
        return "space"
    if code < 0x300:
        return "latin_ext"
    if 0x380 <= code < 0x580:
        return "cyrillic"
    if code < 0x2000:
        return "other"
    if code < 0x2080:
        return "punct"  # general punctuation, superscripts
    if code < 0x3000:
        return "symbols"
    if code < 0x10000:
        return "cjk"
    return "emoji"


def _joins_of(text: str) -> tuple[int, ...]:
    """The joins, one pair of characters at a time (the reference for scan's byte counts)."""
    punct_letter = lower_upper = upper_upper = space_nonascii = 0
    for a, b in itertools.pairwise(text):
        punct_letter += a in string.punctuation and b in string.ascii_letters
        lower_upper += a in string.ascii_lowercase and b in string.ascii_uppercase
        upper_upper += a in string.ascii_uppercase and b in string.ascii_uppercase
        space_nonascii += _class_of(a) == "space" and not b.isascii()
    start_digit = int(text[:1] in tuple(string.digits))
    return punct_letter, lower_upper, start_digit, text.count("\n"), upper_upper, space_nonascii


@given(st.text())
def test_scan_counts_every_character_once_in_its_class(text: str) -> None:
    expected = dict.fromkeys(CLASSES, 0)
    for char in text:
        expected[_class_of(char)] += 1
    counts = scan(text)
    assert len(counts) == len(FEATURES) == len(CLASSES) + len(JOINS)
    assert dict(zip(CLASSES, counts[: len(CLASSES)], strict=True)) == expected


@given(st.text(alphabet=st.sampled_from("aZQ.(_ 9é→—“٣日😀\n\t\x00")) | st.text())
def test_scan_counts_every_join(text: str) -> None:
    assert scan(text)[len(CLASSES) :] == _joins_of(text)


@pytest.mark.parametrize("prefix", ["x", "é"])
@pytest.mark.parametrize("pair", ["!a", "aA", "9A", "é!", "a—", "—a", "AB", " é", "\n\n"])
@pytest.mark.parametrize("cut", [-2, -1, 0, 1])
def test_scan_counts_joins_and_classes_across_its_64_kib_blocks(prefix: str, pair: str, cut: int) -> None:
    # the scan reads ASCII flags in blocks of 65,536 bytes: put a pair of characters just before, on
    # and just after the cut (é is two bytes, so "é" * 32,768 is one block), and repeat the block
    body = prefix * ((1 << 16) // len(prefix.encode())) + "y" * (cut + 2)
    text = (body[: len(body) - 2] + pair + "Zz!") * 3
    expected = dict.fromkeys(CLASSES, 0)
    for char in text:
        expected[_class_of(char)] += 1
    assert scan(text) == (*expected.values(), *_joins_of(text))


def test_scan_by_hand() -> None:
    # "Hi 42!\n": H, i letters; 4, 2 digits; ! punctuation; a space and a newline; one join: the newline
    assert scan("Hi 42!\n") == (2, 2, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)
    # é (U+00E9), Ω (U+03A9), א (U+05D0), → (U+2192), 日 (U+65E5), 😀 (U+1F600)
    assert scan("éΩא→日😀") == (0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0)
    # general punctuation counts as punct: — (U+2014), “ ” (U+201C, U+201D), … (U+2026), ⁴ (U+2074);
    # ₂ (U+2082, the first code point after them) and € (U+20AC) are symbols; ＃ (U+FF03) is CJK
    assert scan("—“”…⁴₂€＃") == (0, 0, 5, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0)
    # "x.fooBar(é_A": punctuation before a letter at ".f" and "_A" (not "(é": é is not ASCII);
    # a lower-case letter before a capital at "oB"
    assert scan("x.fooBar(é_A")[len(CLASSES) :] == (2, 1, 0, 0, 0, 0)
    # "GET /API\n\n→ 東京\t😀": punctuation before a letter at "/A"; capitals after capitals at "GE",
    # "ET", "AP", "PI" (not "T /A"); two newlines;
    # whitespace before a non-ASCII character at "\n→", " 東" and "\t😀" (not "東京")
    assert scan("GET /API\n\n→ 東京\t😀")[len(CLASSES) :] == (1, 0, 0, 2, 4, 3)
    # an ASCII digit first: the start of the text is a join; not a space or an Arabic-Indic digit first
    start_digit = FEATURES.index("start_digit")
    assert [scan(t)[start_digit] for t in ("42 apples", "9é", " 42", "٣ apples", "", "a1")] == [
        1,
        1,
        0,
        0,
        0,
        0,
    ]


def test_the_data_file_loads_with_every_class_and_tokenizer() -> None:
    data = load_token_data()
    assert list(data.classes) == list(CLASSES)
    assert set(data.tokenizers) == {"claude-3", "claude-4.7"}
    assert data.interval == Decimal("0.9")
    for tok in data.tokenizers.values():
        assert set(tok.factors) == set(CLASSES)
        assert tok.error.low < 0 < tok.error.high
        assert all(source in data.sources for source in tok.sources)


def _data_text() -> str:
    return (ROOT / "pricing" / "tokens.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("factors = { latin = 1.041, ", "factors = { ", "tokenizers.claude-3.factors: missing latin"),
        (
            "joins = { punct_letter = 0.4,",
            "joins = { dot_letter = 0.4,",
            "tokenizers.claude-3.joins.dot_letter",
        ),
        (
            "joins = { punct_letter = 0.4,",
            "joins = { punct_letter = -0.4,",
            "tokenizers.claude-3.joins.punct_letter",
        ),
        ("request_tokens = 7\n", "request_tokens = -7\n", "tokenizers.claude-3.request_tokens"),
        ('sources = ["VISION"]', 'sources = ["NOPE"]', "media.sources: unknown source id(s) NOPE"),
        ("tokens_per_char = 0.238", "tokens_per_char = 0", "classes.latin.tokens_per_char"),
        ("interval = 0.9", "interval = 1.5", "interval"),
    ],
)
def test_bad_token_data_names_the_key(old: str, new: str, message: str) -> None:
    text = _data_text()
    assert old in text
    with pytest.raises(
        ConfigError, match=message.replace(".", r"\.").replace("(", r"\(").replace(")", r"\)")
    ):
        parse_token_data(text.replace(old, new, 1).encode(), origin="tokens.toml")


def test_the_validated_token_data_is_the_toml_parsed() -> None:
    """The bundled token data is read from tokens.validated.json when it was made from this TOML."""
    import hashlib
    import importlib

    data_module = importlib.import_module("claude_quote.tokens.data")
    path = data_module.builtin_token_data_path()
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    validated = data_module.bundled_data_file(data_module.VALIDATED_FILE, "validated token data")
    remake = "run: python -c 'from claude_quote.tokens.data import write_validated_token_data as w; w()'"
    assert validated.read_bytes().startswith(f"sha256 {digest}\n".encode()), f"stale: {remake}"
    parsed = parse_token_data(data, origin=str(path))
    loaded = data_module._validated(digest)
    assert loaded is not None
    assert loaded == parsed
    assert repr(loaded.model_dump()) == repr(parsed.model_dump())  # the same Decimals, digit for digit
    assert load_token_data() == parsed


def test_validated_token_data_of_another_toml_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    data_module = importlib.import_module("claude_quote.tokens.data")
    assert data_module._validated("0" * 64) is None  # made from another TOML: parse the TOML instead
    parsed: list[str] = []
    real = data_module.parse_token_data

    def spy(data: bytes, *, origin: str) -> Any:
        parsed.append(origin)
        return real(data, origin=origin)

    monkeypatch.setattr(data_module, "parse_token_data", spy)
    monkeypatch.setattr(data_module, "_validated", lambda digest: None)
    loaded = data_module.load_token_data.__wrapped__()  # past its cache (kept for the other tests)
    assert parsed == [str(data_module.builtin_token_data_path())]
    assert loaded == load_token_data()


def test_media_constants_are_the_codes() -> None:
    data = load_token_data().media
    assert data.pdf_text_tokens_per_page == media.PDF_TEXT_TOKENS_PER_PAGE
    # 750 pixels per token: a 750 × 1 image is one token, 751 × 1 two
    assert media.image_tokens(750, 1, long_edge=1568, max_tokens=1568) == 1
    assert media.image_tokens(751, 1, long_edge=1568, max_tokens=1568) == 2
    assert data.pixels_per_token == 750


def test_shipped_factors_are_the_refit_of_the_committed_measurements() -> None:
    rows = token_accuracy.load()
    fitted = token_accuracy.refit(rows)
    data = load_token_data()
    assert fitted["tau"] == {c: float(data.classes[c].tokens_per_char) for c in CLASSES}
    for tokenizer in ("claude-3", "claude-4.7"):
        assert fitted[tokenizer] == {c: float(f) for c, f in data.tokenizers[tokenizer].factors.items()}


def test_shipped_error_bands_are_measured_on_the_committed_measurements() -> None:
    bands = token_accuracy.error_bands(token_accuracy.load())
    data = load_token_data()
    for tokenizer, band in bands.items():
        error = data.tokenizers[tokenizer].error
        assert (float(error.low), float(error.high), float(error.mean_abs)) == (
            band["low"],
            band["high"],
            band["mean_abs"],
        )
        assert error.samples == band["samples"]


def test_the_accuracy_tables_of_the_docs_are_the_benchmark_s_output() -> None:
    page = (ROOT / "docs" / "tokens.md").read_text(encoding="utf-8")
    assert token_accuracy.table(token_accuracy.load()).strip() in page


def test_the_committed_measurements_hold_only_features_and_sources() -> None:
    for line in (ROOT / "tests" / "data" / "token-measurements.jsonl").read_text().splitlines():
        row = json.loads(line)
        assert "text" not in row
        assert sum(row["classes"]) == row["chars"]
        assert len(row["joins"]) == len(JOINS)
        assert sum(row["cl100k_classes"]) == row["cl100k"]
        assert row["split"] in ("fit", "held_out")


# -- framing, tools, thinking ------------------------------------------------------------------------


def _prompt(tmp_path: Path, line: dict[str, Any], model: str | None = None) -> int:
    return estimate(
        [write_jsonl(tmp_path / "r.jsonl", [line])], EstimateOptions(output_tokens=0, model=model), at=DAY
    ).input_tokens


def test_framing_per_request_message_and_system(tmp_path: Path) -> None:
    # "hello": 1 tiktoken token of 5 letters, × 1.041 = 1.041 Claude tokens
    one = _prompt(tmp_path, request("hello"))
    assert one == 8  # 7 framing + 1.041 → 8.041 → 8: count_tokens says 8 for one short word
    three = request("hello")
    three["params"]["messages"] = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "hello"},
    ]
    # one segment "hello\nhello\nhello": 5 tiktoken tokens of 15 letters and 2 newlines (2 newline
    # joins of 0.3), (5 + 0.6) × (15 × 0.238 × 1.041 + 2 × 0.159 × 1.088) ÷ (15 × 0.238 + 2 × 0.159)
    # = 5.6 × 1.04484 = 5.851; + 7 + 2 × 3 (the two messages after the first) = 18.851 → 19
    assert _prompt(tmp_path, three) == 19
    # a system prompt adds its text and the newline joining it to the message, no framing:
    # "hello\nhello" is 3 tiktoken tokens and a newline join, (3 + 0.3) × (10 × 0.238 × 1.041 + 0.159 ×
    # 1.088) ÷ 2.539 = 3.3 × 1.04394 = 3.445; + 7 = 10.445 → 10
    assert _prompt(tmp_path, request("hello", system="hello")) == 10
    # the claude-4.7 tokenizer: 11 framing + 1.783 = 12.783 → 13
    assert _prompt(tmp_path, request("hello"), model="opus-5") == 13


def test_tool_definitions_cost_their_factor_more_than_their_json(tmp_path: Path) -> None:
    tool = {"name": "lookup", "description": words(200), "input_schema": {"type": "object"}}
    with_tool = estimate_requests(
        write_jsonl(tmp_path / "t.jsonl", [request("hello", tools=[tool], custom_id="t")]),
        EstimateOptions(output_tokens=0),
        at=DAY,
    )["t"]
    as_text = json.dumps(tool, separators=(",", ":"))
    plain = estimate_requests(
        write_jsonl(tmp_path / "p.jsonl", [request([{"type": "text", "text": as_text}], custom_id="p")]),
        EstimateOptions(output_tokens=0),
        at=DAY,
    )["p"]
    model = counting_model_for_tokenizer("claude-3")
    # the same JSON, once as a message (7 framing + its tokens), once as a tool (× 1.05, + "hello",
    # + the tool-use system prompt, which is fixed)
    json_tokens = plain.usage.prompt_tokens - 7
    expected = 7 + model.tool_factor * json_tokens + 1.041 + with_tool.fixed_tokens
    assert abs(with_tool.usage.prompt_tokens - expected) <= 1.5


def test_thinking_of_the_current_turn_counts_and_of_earlier_turns_not(tmp_path: Path) -> None:
    thinking = {"type": "thinking", "thinking": words(100), "signature": "x"}
    tool_use = {"type": "tool_use", "id": "t1", "name": "f", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "t1", "content": "ok"}
    current = request("hello")
    current["params"]["messages"] = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": [thinking, tool_use]},
        {"role": "user", "content": [result]},
    ]
    earlier = request("hello")
    earlier["params"]["messages"] = [*current["params"]["messages"], {"role": "user", "content": "hello"}]
    earlier["params"]["messages"][2] = {"role": "user", "content": [result, {"type": "text", "text": "next"}]}
    with_thinking = _prompt(tmp_path, current)
    without = _prompt(tmp_path, earlier)
    # the current turn's 100 thinking tokens (× 1.041: 104.1 Claude tokens) count, an earlier turn's are
    # ignored; `earlier` adds only "next", a message "hello" and its framing (under 10 tokens)
    assert with_thinking - without > 94


def test_cache_breakpoints_keep_the_framing_in_the_first_segment() -> None:
    model = counting_model_for_tokenizer("claude-3")
    latin = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    text = (100, (400, *latin[1:]))
    # segment 1: 7 framing + 100 × 1.041 = 111.1 → 111; segment 2 adds a message (+ 3) and
    # another 104.1: 218.2 → 218 in all
    prefixes, raw, modelled = model.prefixes([text, text], None, [0, 0], [1, 1], False)
    assert (prefixes, raw, modelled) == ([111, 218], 200, 218)


def test_joins_add_their_extra_tokens_before_the_class_factors() -> None:
    model = counting_model_for_tokenizer("claude-3")
    assert model.joins == (0.4, 0.9, 1.0, 0.3, 0.2, 0.6)
    latin_only = (40, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    # 10 tiktoken tokens of letters with 2 punct_letter and 1 lower_upper joins:
    # (10 + 2 × 0.4 + 1 × 0.9) × 1.041 = 11.7 × 1.041 = 12.1797
    assert round(model.text_tokens((10, (*latin_only, 2, 1, 0, 0, 0, 0))), 4) == 12.1797
    # and starting with a digit: (10 + 0.8 + 0.9 + 1) × 1.041 = 12.7 × 1.041 = 13.2207
    assert round(model.text_tokens((10, (*latin_only, 2, 1, 1, 0, 0, 0))), 4) == 13.2207
    # 2 newlines, 3 capitals after capitals, 1 space before a non-ASCII character:
    # (10 + 2 × 0.3 + 3 × 0.2 + 1 × 0.6) × 1.041 = 11.8 × 1.041 = 12.2838
    assert round(model.text_tokens((10, (*latin_only, 0, 0, 0, 2, 3, 1))), 4) == 12.2838
    assert round(model.text_tokens((10, (*latin_only, 2, 1, 1))), 4) == 13.2207  # an older scan: 3 joins
    assert round(model.text_tokens((10, latin_only)), 4) == 10.41  # a scan without joins: none
    assert model.text_tokens((0, (*latin_only, 2, 1, 1, 2, 3, 1))) == 0.0  # no text, no tokens
    # calibration fits the same effective count, apportioned (all of it latin here)
    assert [round(x, 4) for x in model.class_tokens((10, (*latin_only, 2, 1, 0, 2, 0, 0)))][:2] == [12.3, 0.0]


def test_the_largest_factor_covers_the_joins() -> None:
    model = counting_model_for_tokenizer("claude-3")
    # the largest class factor (symbols 1.621) × the tool factor 1.05 × (1 + the largest join, 1.0)
    # = 3.4041 → 3.405 (rounded up)
    assert model.max_factor == Decimal("3.405")


@given(st.text(alphabet=st.sampled_from("aZé.(_ 9→—日😀\n")) | st.text())
def test_no_text_counts_more_than_its_bytes_times_the_largest_factor(text: str) -> None:
    from claude_quote.tokens.encoding import load_encoding

    encoding, _ = load_encoding()
    for tokenizer in ("claude-3", "claude-4.7"):
        model = counting_model_for_tokenizer(tokenizer)
        tokens = model.text_tokens((len(encoding.encode_ordinary(text)), scan(text)))
        assert tokens <= len(text.encode("utf-8", "surrogatepass")) * float(model.max_factor)


# -- fitting -----------------------------------------------------------------------------------------


def test_fit_linear_solves_exactly_without_a_prior() -> None:
    # y = 2a + 3b exactly: the prior worth 10⁻⁹ requests changes nothing
    rows = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]]
    beta = fit_linear(rows, [2, 3, 5, 7], [1.0, 1.0], prior_requests=1e-9)
    assert [round(b, 6) for b in beta] == [2.0, 3.0]


def test_a_class_the_data_lacks_keeps_its_prior() -> None:
    from claude_quote.tokens.fit import Sample

    samples = [Sample(raw=n, chars=(4 * n, 0), actual=1.2 * n) for n in (10, 20, 30)]
    result = fit(
        samples, tau=(0.25, 1.0), prior_factors=(1.0, 0.7), prior_intercept=None, prior_requests=0.01
    )
    assert abs(result.factors[0] - 1.2) < 0.001  # the data (prior worth 0.01 requests)
    assert result.factors[1] == 0.7  # no data: the prior exactly
    pulled = fit(samples, tau=(0.25, 1.0), prior_factors=(1.0, 0.7), prior_intercept=None)
    assert 1.0 < pulled.factors[0] < 1.2  # 5 requests' worth of prior against 3 requests of data


def test_error_summary_by_hand() -> None:
    # errors −10%, +10%, +20%, 0% → mean |e| 10%, mean e +5%; totals 102 vs 100 → +2%
    e = summarize_errors([9, 11, 12, 70], [10, 10, 10, 70])
    assert (round(e.mean_abs, 4), round(e.mean_signed, 4), round(e.aggregate, 4)) == (0.1, 0.05, 0.02)
    # linear interpolation: p5 at position 0.15 between −10% and 0%: −8.5%
    assert round(e.p5, 4) == -0.085


@given(st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=8))
def test_the_token_band_brackets_the_estimate(sizes: list[int]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = write_jsonl(
            Path(folder) / "b.jsonl", [request(words(n), custom_id=f"b-{i}") for i, n in enumerate(sizes)]
        )
        e = estimate([path], EstimateOptions(output_tokens=10), at=DAY)
    band = e.token_band
    assert band is not None
    assert band.input_tokens_low <= e.input_tokens <= band.input_tokens_high
    assert band.realtime_low <= e.realtime.total <= band.realtime_high
    assert band.estimated_input_tokens == e.input_tokens  # all of it came from the model
