"""Calibration files: per-model token factors and output statistics measured on real usage.

``claude-quote estimate --calibration FILE`` reads one; ``claude-quote calibrate`` (issue 5) will
write them from batch results. A versioned TOML file::

    schema_version = 1
    created = 2026-11-20              # optional
    note = "from batch msgbatch_01…"  # optional

    [models."claude-sonnet-4-6"]      # any model name claude-quote accepts
    input_factor = 1.07               # Claude tokens per tiktoken cl100k_base token
    output_p50 = 310                  # median output tokens per request (thinking included)
    output_p95 = 820                  # 95th percentile
    samples = 500                     # optional: how many requests these come from

    [prefixes."summarize"]            # a custom_id prefix (see workloads.requests.custom_id_prefix)
    output_p50 = 250
    output_p95 = 600

How ``estimate`` uses it: ``input_factor`` replaces the default correction factor for that model (the
token method then says "calibrated"); ``output_p50`` is the expected output per request when neither
``--output-tokens`` nor ``--output-ratio`` is given, the custom_id prefix's value before the model's.

>>> cal = parse_calibration(b'schema_version = 1\\n[models.sonnet-4-6]\\ninput_factor = 1.07\\n', origin="x")
>>> cal.models["sonnet-4-6"].input_factor
Decimal('1.07')
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from claude_quote._validation import parse_toml, read_toml, validate

from .money import MAX_COUNT, MAX_PLACES, to_decimal

__all__ = [
    "Calibration",
    "ModelCalibration",
    "PrefixCalibration",
    "load_calibration",
    "parse_calibration",
]


def _factor_in(value: object) -> Decimal:
    return to_decimal(value, what="input_factor", places=MAX_PLACES)


Factor = Annotated[Decimal, BeforeValidator(_factor_in), Field(gt=0, le=10)]
Tokens = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True, defer_build=True)


class PrefixCalibration(_Model):
    """Output statistics for requests whose custom_id has this prefix."""

    output_p50: Tokens | None = None
    """Median output tokens per request (thinking included)."""
    output_p95: Tokens | None = None
    """95th-percentile output tokens per request."""
    samples: Tokens | None = None
    """How many requests the statistics come from."""


class ModelCalibration(PrefixCalibration):
    """A model's measured token factor and output statistics."""

    input_factor: Factor | None = None
    """Claude input tokens per tiktoken cl100k_base token, measured on this model."""


class Calibration(_Model):
    """A calibration file."""

    schema_version: Literal[1]
    """Version of this file format."""
    created: date | None = None
    """When the file was written."""
    note: str | None = None
    """Where the measurements come from."""
    models: dict[str, ModelCalibration] = Field(default_factory=dict)
    """Per model (any accepted model name)."""
    prefixes: dict[str, PrefixCalibration] = Field(default_factory=dict)
    """Per custom_id prefix."""


def parse_calibration(data: bytes, *, origin: str) -> Calibration:
    """Parse TOML bytes; errors name ``origin`` and the key."""
    return validate(Calibration, parse_toml(data, origin=origin), origin=origin)


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file.

    Raises:
        ConfigError: the file is missing, not TOML, or breaks the format; the message names the key.
    """
    file = Path(path)
    return validate(Calibration, read_toml(file, what="calibration file"), origin=str(file))
