"""Counting models (default, given factor, calibrated) and calibration files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from claude_quote.calibration import load_calibration, parse_calibration
from claude_quote.errors import ConfigError
from claude_quote.pricing import PriceTable, resolve_model
from claude_quote.tokens.correction import corrected, counting_model, default_method, method_for
from tests.conftest import DAY


def test_corrected_rounds_up_exactly() -> None:
    assert corrected(100, Decimal("1.05")) == 105  # exact
    assert corrected(31, Decimal("1.05")) == 33  # 32.55 → 33
    assert corrected(31, Decimal("1.4175")) == 44  # 43.9425 → 44
    assert corrected(20, Decimal("1.4175")) == 29  # 28.35 → 29
    assert corrected(0, Decimal("1.05")) == 0


def test_default_method_says_method_classes_and_band() -> None:
    method = default_method("claude-3")
    assert method.description.startswith("tiktoken cl100k_base × claude-3 content-class factors + framing")
    assert "90% of requests within −10%/+8%" in method.description  # error band of pricing/tokens.toml
    assert method.calibrated is False
    assert method.factor is None
    assert method.factors is not None
    assert method.factors["latin"] == Decimal("1.041")
    assert method.request_tokens == 7
    assert (method.error_low, method.error_high, method.interval) == (
        Decimal("-0.099"),
        Decimal("0.083"),
        Decimal("0.9"),
    )


def test_given_factor_wins_over_calibration(table: PriceTable) -> None:
    sonnet = resolve_model(table, "sonnet-4.6", DAY)
    cal = parse_calibration(b"schema_version = 1\n[models.x]\ninput_factor = 1.07\n", origin="c").models["x"]
    given = method_for(sonnet, token_factor=Decimal("1.2"), calibration=cal)
    assert given.factor == Decimal("1.2")
    assert given.calibrated is False
    assert given.error_low is None  # nobody measured a factor the user made up
    assert "no content classes, no framing; error unknown" in given.description
    calibrated = method_for(sonnet, calibration=cal, calibration_file=Path("cal.toml"))
    assert calibrated.calibrated is True
    assert calibrated.factor == Decimal("1.07")
    assert calibrated.description.startswith("tiktoken cl100k_base × 1.07, calibrated (cal.toml) (one factor")
    opus5 = resolve_model(table, "opus-5", DAY)
    assert method_for(opus5).factors is not None
    assert method_for(opus5).request_tokens == 11  # the claude-4.7 tokenizer's framing


def test_version_2_calibration_replaces_factors_and_framing(table: PriceTable) -> None:
    sonnet = resolve_model(table, "sonnet-4.6", DAY)
    cal = parse_calibration(
        b"schema_version = 2\n[models.x]\nrequest_tokens = 9.5\nfactors = { latin = 1.25 }\n"
        b"error_low = -0.03\nerror_high = 0.04\n",
        origin="c",
    ).models["x"]
    model = counting_model(sonnet, calibration=cal)
    assert model.method.calibrated is True
    assert model.method.request_tokens == Decimal("9.5")
    assert model.method.factors is not None
    assert model.method.factors["latin"] == Decimal("1.25")  # learned
    assert model.method.factors["punct"] == Decimal("1.038")  # not learned: the default
    assert model.band == (Decimal("-0.03"), Decimal("0.04"))
    # 100 latin characters that tiktoken counts as 24 tokens: 24 × 1.25 = 30, + 9.5 framing = 39.5 → 40
    prefixes, raw, modelled = model.prefixes([(24, (100, 0, 0, 0, 0, 0, 0, 0, 0, 0))], None, [0], [1], False)
    assert (prefixes, raw, modelled) == ([40], 24, 40)


def test_calibration_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cal.toml"
    path.write_text(
        'schema_version = 1\ncreated = 2026-11-20\n[models."claude-sonnet-4-6"]\ninput_factor = 1.07\n'
        'output_p50 = 310\noutput_p95 = 820\nsamples = 500\n[prefixes."summarize"]\noutput_p50 = 250\n',
        encoding="utf-8",
    )
    cal = load_calibration(path)
    assert cal.models["claude-sonnet-4-6"].input_factor == Decimal("1.07")
    assert cal.models["claude-sonnet-4-6"].output_p95 == 820
    assert cal.prefixes["summarize"].output_p50 == 250


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema_version = 3\n", "schema_version"),
        ("schema_version = 2\n[models.x]\ninput_factor = 1.1\n", "input_factor is a version 1 key"),
        ("schema_version = 1\n[models.x]\nrequest_tokens = 7\n", "request_tokens needs schema_version = 2"),
        ("schema_version = 2\n[models.x]\nfactors = { prose = 1 }\n", "models.x.factors.prose"),
        ("schema_version = 2\n[models.x]\nerror_low = 0.1\n", "models.x.error_low"),
        ("schema_version = 1\n[models.x]\ninput_factor = -1\n", "models.x.input_factor"),
        ("schema_version = 1\n[models.x]\noutput_p50 = 1.5\n", "models.x.output_p50"),
        ("schema_version = 1\n[models.x]\nfactor = 1\n", "models.x.factor"),
        ("schema_version = \n", "not valid TOML"),
    ],
)
def test_invalid_calibration_files_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_calibration(text.encode(), origin="cal.toml")


def test_missing_calibration_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read calibration file"):
        load_calibration(tmp_path / "nope.toml")
