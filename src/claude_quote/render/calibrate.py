"""How ``claude-quote calibrate`` reports look: its JSON here, its document (table, CSV, Markdown) in
:mod:`.calibrate_document`, imported only for those formats."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from claude_quote.calibrate import CalibrationReport

from .json import SCHEMA_VERSION

if TYPE_CHECKING:
    from .document import Document

__all__ = ["calibration_document", "calibration_json", "calibration_warnings"]


def calibration_json(r: CalibrationReport) -> dict[str, Any]:
    """The JSON contract of ``calibrate``: counts, per-model and per-prefix statistics, the effect."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "calibration",
        "pricing_version": r.pricing_version,
        "pricing_sha256": r.pricing_sha256,
        "pricing_checked": r.pricing_checked,
        "at": r.at,
        "files": {"requests": r.requests_file, "results": r.results_file},
        "output": r.output,
        "min_samples": r.min_samples,
        "counts": {
            "requests": r.requests,
            "results": r.results,
            "joined": r.joined,
            "not_succeeded": r.not_succeeded,
            "requests_without_result": {
                "count": r.requests_without_result,
                "custom_ids": list(r.requests_without_result_ids),
            },
            "results_without_request": {
                "count": r.results_without_request,
                "custom_ids": list(r.results_without_request_ids),
            },
            "model_mismatch": r.model_mismatch,
            "skipped": {"requests": r.skipped_requests, "results": r.skipped_results},
        },
        "models": [m.model_dump(mode="python") for m in r.models],
        "prefixes": [p.model_dump(mode="python") for p in r.prefixes],
        "effect": [e.model_dump(mode="python") for e in r.effect],
        "calibration": r.calibration.model_dump(mode="python"),
        "warnings": list(r.warnings),
    }


def calibration_document(r: CalibrationReport) -> Document:
    """The human-readable calibration report (:func:`.calibrate_document.calibration_document`)."""
    from .calibrate_document import calibration_document as document

    return document(r)


def calibration_warnings(r: CalibrationReport) -> list[str]:
    """The document's warnings (:func:`calibration_document` shows the report's own, in order)."""
    return list(r.warnings)
