"""Correction factors and calibration files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from claude_quote.calibration import load_calibration, parse_calibration
from claude_quote.errors import ConfigError
from claude_quote.pricing import PriceTable, resolve_model
from claude_quote.tokens.correction import FACTORS, corrected, default_method, method_for
from tests.conftest import DAY


def test_default_factors_and_their_derivation() -> None:
    # claude-3: 1.16 (Claude vs o200k) ÷ ~1.10 (cl100k vs o200k) ≈ 1.05; claude-4.7: 1.05 × 1.35 = 1.4175
    assert {"claude-3": Decimal("1.05"), "claude-4.7": Decimal("1.4175")} == FACTORS


def test_corrected_rounds_up_exactly() -> None:
    assert corrected(100, Decimal("1.05")) == 105  # exact
    assert corrected(31, Decimal("1.05")) == 33  # 32.55 → 33
    assert corrected(31, Decimal("1.4175")) == 44  # 43.9425 → 44
    assert corrected(20, Decimal("1.4175")) == 29  # 28.35 → 29
    assert corrected(0, Decimal("1.05")) == 0


def test_default_method_says_method_and_factor() -> None:
    method = default_method("claude-3")
    assert method.description.startswith("tiktoken cl100k_base × 1.05, uncalibrated")
    assert method.calibrated is False


def test_given_factor_wins_over_calibration(table: PriceTable) -> None:
    sonnet = resolve_model(table, "sonnet-4.6", DAY)
    given = method_for(sonnet, token_factor=Decimal("1.2"), calibrated_factor=Decimal("1.07"))
    assert given.factor == Decimal("1.2")
    assert given.calibrated is False
    calibrated = method_for(sonnet, calibrated_factor=Decimal("1.07"), calibration_file=Path("cal.toml"))
    assert calibrated.calibrated is True
    assert calibrated.description == "tiktoken cl100k_base × 1.07, calibrated (cal.toml)"
    opus5 = resolve_model(table, "opus-5", DAY)
    assert method_for(opus5).factor == Decimal("1.4175")


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
        ("schema_version = 2\n", "schema_version"),
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
