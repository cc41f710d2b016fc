"""The price table: schema, loading and model lookup."""

from .load import BUILTIN, ENV_VAR, builtin_pricing_path, load_pricing, parse_pricing
from .lookup import FAMILIES, resolve_model
from .model import (
    BatchModifier,
    DataResidencyModifier,
    FastModeEntry,
    ModelInfo,
    PriceEntry,
    PriceTable,
    Rates,
    Source,
    Tier,
    ToolOverhead,
    WebSearchFee,
)

__all__ = [
    "BUILTIN",
    "ENV_VAR",
    "FAMILIES",
    "BatchModifier",
    "DataResidencyModifier",
    "FastModeEntry",
    "ModelInfo",
    "PriceEntry",
    "PriceTable",
    "Rates",
    "Source",
    "Tier",
    "ToolOverhead",
    "WebSearchFee",
    "builtin_pricing_path",
    "load_pricing",
    "parse_pricing",
    "resolve_model",
]
