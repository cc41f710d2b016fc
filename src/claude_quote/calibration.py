"""Calibration files: per-model counting models and output statistics measured on real usage.

``claude-quote calibrate`` writes them from a batch's requests and results; ``claude-quote estimate
--calibration FILE`` reads them. A versioned TOML file; version 2 (written since issue 11)::

    schema_version = 2
    created = 2026-11-20              # optional
    note = "from batch msgbatch_01…"  # optional

    [models."claude-sonnet-4-6"]      # any model name claude-quote accepts
    request_tokens = 9.4              # the fixed part of every request (replaces the default framing)
    factors = { latin = 1.12, punct = 1.31 }   # per content class; classes not named keep the default
    error_low = -0.04                 # the fit's per-request error: 5th percentile …
    error_high = 0.05                 # … and 95th (estimate reports them as its band)
    mean_abs_error = 0.021            # optional: how well the fit fits
    r2 = 0.998                        # optional
    output_p50 = 310                  # median output tokens per request (thinking included)
    output_p95 = 820                  # 95th percentile
    samples = 500                     # optional: how many requests these come from

    [prefixes."summarize"]            # a custom_id prefix (see workloads.requests.custom_id_prefix)
    output_p50 = 250
    output_p95 = 600

Version 1 files are still read: their ``input_factor`` is one factor for every class, learned as a
ratio of sums with the framing inside it, so it is applied as it was learned (× tiktoken, no framing).
``input_factor`` is version 1 only; ``request_tokens``, ``factors`` and the error keys are version 2 only.

How ``estimate`` uses it: the model's counting model becomes the calibrated one (the token method then
says "calibrated"); ``output_p50`` is the expected output per request when neither
``--output-tokens`` nor ``--output-ratio`` is given, the custom_id prefix's value before the model's.

>>> cal = parse_calibration(b'schema_version = 1\\n[models.sonnet-4-6]\\ninput_factor = 1.07\\n', origin="x")
>>> cal.models["sonnet-4-6"].input_factor
Decimal('1.07')
>>> cal = parse_calibration(b'schema_version = 2\\n[models.sonnet-4-6]\\nrequest_tokens = 9\\nfactors = { latin = 1.2 }\\n', origin="x")
>>> cal.models["sonnet-4-6"].factors
{'latin': Decimal('1.2')}
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from claude_quote.validation import parse_toml, read_toml, validate

from .money import MAX_COUNT, MAX_PLACES, to_decimal
from .tokens.classes import ClassName

__all__ = [
    "CURRENT_VERSION",
    "Calibration",
    "ModelCalibration",
    "PrefixCalibration",
    "load_calibration",
    "parse_calibration",
]


def _factor_in(value: object) -> Decimal:
    return to_decimal(value, what="input_factor", places=MAX_PLACES)


def _number_in(value: object) -> Decimal:
    return to_decimal(value, what="a number", places=MAX_PLACES)


Factor = Annotated[Decimal, BeforeValidator(_factor_in), Field(gt=0, le=10)]
ClassFactor = Annotated[Decimal, BeforeValidator(_number_in), Field(gt=0, le=20)]
Fixed = Annotated[Decimal, BeforeValidator(_number_in), Field(ge=0, le=100_000)]
ErrorLow = Annotated[Decimal, BeforeValidator(_number_in), Field(gt=-1, le=0)]
ErrorHigh = Annotated[Decimal, BeforeValidator(_number_in), Field(ge=0, le=100)]
Share = Annotated[Decimal, BeforeValidator(_number_in), Field(ge=0)]
Fit = Annotated[Decimal, BeforeValidator(_number_in), Field(le=1)]
Tokens = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]

CURRENT_VERSION = 2
"""The version ``claude-quote calibrate`` writes."""


class _Model(BaseModel):
    # Attribute docstrings document the fields; schemas.py copies them into the JSON Schema (reading them
    # here with use_attribute_docstrings=True parses the module's source at every start-up).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class PrefixCalibration(_Model):
    """Output statistics for requests whose custom_id has this prefix."""

    output_p50: Tokens | None = None
    """Median output tokens per request (thinking included)."""
    output_p95: Tokens | None = None
    """95th-percentile output tokens per request."""
    samples: Tokens | None = None
    """How many requests the statistics come from."""


class ModelCalibration(PrefixCalibration):
    """A model's measured counting model and output statistics."""

    input_factor: Factor | None = None
    """Version 1: Claude input tokens per tiktoken cl100k_base token, framing included (a ratio of sums)."""
    request_tokens: Fixed | None = None
    """Version 2: the fixed Claude tokens of every request (replaces the default framing)."""
    factors: dict[ClassName, ClassFactor] | None = None
    """Version 2: Claude tokens per cl100k_base token of each content class (others keep the default)."""
    error_low: ErrorLow | None = None
    """Version 2: the fit's per-request relative error, low end (5th percentile); estimate's band."""
    error_high: ErrorHigh | None = None
    """Version 2: high end (95th percentile)."""
    mean_abs_error: Share | None = None
    """Version 2: the fit's mean absolute per-request relative error (informative)."""
    r2: Fit | None = None
    """Version 2: the fit's coefficient of determination (informative)."""


_V2_KEYS = ("request_tokens", "factors", "error_low", "error_high", "mean_abs_error", "r2")


class Calibration(_Model):
    """A calibration file."""

    schema_version: Literal[1, 2]
    """Version of this file format (1: one factor per model; 2: a fixed part and factors per class)."""
    created: date | None = None
    """When the file was written."""
    note: str | None = None
    """Where the measurements come from."""
    models: dict[str, ModelCalibration] = Field(default_factory=dict)
    """Per model (any accepted model name)."""
    prefixes: dict[str, PrefixCalibration] = Field(default_factory=dict)
    """Per custom_id prefix."""

    @model_validator(mode="after")
    def _keys_of_version(self) -> Calibration:
        for name, entry in self.models.items():
            if self.schema_version == 1:
                used = [key for key in _V2_KEYS if getattr(entry, key) is not None]
                if used:
                    raise ValueError(
                        f"models.{name}.{used[0]} needs schema_version = 2 (version 1 has input_factor only)"
                    )
            elif entry.input_factor is not None:
                raise ValueError(
                    f"models.{name}.input_factor is a version 1 key: give request_tokens and "
                    "factors = { latin = ..., ... } in schema_version = 2, or set schema_version = 1"
                )
        return self


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
