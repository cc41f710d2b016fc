"""Workload specs (TOML) and estimate JSON as workloads: reading, validation messages, the schema."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claude_quote import ConfigError, Usage, WorkloadError, load_workload_spec, workloads_from_estimate
from claude_quote.workload_spec import TokensPerRequest, WorkloadEntry, WorkloadSpec, parse_volume
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "workloads.toml"
ESTIMATE = ROOT / "tests" / "data" / "estimate.json"


def test_example_spec_loads() -> None:
    spec = load_workload_spec(EXAMPLE)
    assert [w.name for w in spec.workloads] == ["support-chat", "nightly-summaries", "contract-review"]
    chat, nightly, review = spec.to_workloads()
    assert chat.usage == Usage(input_tokens=1_500, cache_read_tokens=6_000, output_tokens=400)
    assert (chat.requests, chat.per, chat.growth_percent, chat.batch_share) == (
        Decimal(2000),
        "day",
        Decimal(5),
        Decimal(0),
    )
    assert (nightly.per, nightly.cache_hit_rate, nightly.batch_share) == ("week", Decimal("0.8"), None)
    # Strings with suffixes: requests "2.5k" and tokens "30k" / "2k"
    assert review.requests == 2_500
    assert review.usage == Usage(input_tokens=30_000, output_tokens=2_000)
    assert review.batch_share == Decimal("0.7")


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
schema_version = 1
[[workloads]]
name = "a"
model = "sonnet-4.6"
requests = 10
[workloads.tokens]
input = 100
"""


def test_minimal_spec_defaults(tmp_path: Path) -> None:
    (w,) = load_workload_spec(_spec(tmp_path, GOOD)).to_workloads()
    assert (w.per, w.growth_percent, w.batch_share, w.cache_hit_rate) == ("month", Decimal(0), None, None)


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (("requests = 10", "requests = -5"), "workloads[0] (a).requests", "must be 0 or more (got -5)"),
        (("requests = 10", 'requests = "-5"'), "workloads[0] (a).requests", "is negative"),
        (
            ("requests = 10", "requests = 10\ngrowth_percent = -100"),
            "workloads[0] (a).growth_percent",
            "-100",
        ),
        (
            ("requests = 10", "requests = 10\nbatch_share = 1.5"),
            "workloads[0] (a).batch_share",
            "must be 1 or less (got 1.5)",
        ),
        (
            ("requests = 10", "requests = 10\nper = 'year'"),
            "workloads[0] (a).per",
            "'day', 'week' or 'month'",
        ),
        (("input = 100", "inptu = 100"), "workloads[0] (a).tokens.inptu", "unknown key"),
        (("input = 100", 'input = "1.5"'), "workloads[0] (a).tokens.input", "not a whole number of tokens"),
        (("input = 100", "input = -1"), "workloads[0] (a).tokens.input", "must be 0 or more (got -1)"),
        (('model = "sonnet-4.6"\n', ""), "workloads[0] (a).model", "missing (required)"),
        (("schema_version = 1", "schema_version = 2"), "schema_version", "must be 1 (got 2)"),
    ],
)
def test_spec_errors_name_the_file_and_key(
    tmp_path: Path, change: tuple[str, str], where: str, message: str
) -> None:
    path = _spec(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_workload_spec(path)
    text = str(info.value)
    assert text.startswith(f"{path}: {where}: "), text
    assert message in text
    for pydantic_words in ("Input should", "Value error", "Decimal("):
        assert pydantic_words not in text


def test_spec_duplicate_names(tmp_path: Path) -> None:
    path = _spec(tmp_path, GOOD + GOOD.replace("schema_version = 1", ""))
    with pytest.raises(ConfigError, match=r"workloads: workload name 'a' is used twice"):
        load_workload_spec(path)


def test_spec_without_workloads(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"spec\.toml: workloads: missing \(required\)"):
        load_workload_spec(_spec(tmp_path, "schema_version = 1\n"))


def test_spec_not_toml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"spec.toml: not valid TOML: .*line 3"):
        load_workload_spec(_spec(tmp_path, "schema_version = 1\n[[workloads]]\nname = \n"))


def test_spec_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read workload spec '.*nope.toml'"):
        load_workload_spec(tmp_path / "nope.toml")


def test_several_problems_are_listed(tmp_path: Path) -> None:
    path = _spec(tmp_path, GOOD.replace("requests = 10", "requests = -1\nper = 'hour'"))
    with pytest.raises(
        ConfigError, match=r"2 problems: workloads\[0\] \(a\)\.requests: .*; workloads\[0\] \(a\)\.per"
    ):
        load_workload_spec(path)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1000", 1000), ("2.5k", 2500), ("1,000", 1000), ("0.5", Decimal("0.5")), ("3M", 3_000_000), ("0", 0)],
)
def test_parse_volume(text: str, value: Decimal) -> None:
    assert parse_volume(text) == value


@pytest.mark.parametrize("text", ["-1", "abc", "1e3", "", "k"])
def test_parse_volume_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="requests"):
        parse_volume(text)


# --------------------------------------------------------------------------------------------------
# The published schema, and the docs describe every key


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = list(schema.get("properties", {}).items())
    for definition in schema.get("$defs", {}).values():
        found += list(definition.get("properties", {}).items())
    return found


def test_docs_describe_every_spec_key() -> None:
    page = (ROOT / "docs" / "projections.md").read_text(encoding="utf-8")
    keys = {*WorkloadSpec.model_fields, *WorkloadEntry.model_fields, *TokensPerRequest.model_fields}
    undocumented = sorted(k for k in keys if not re.search(rf"^\| `{re.escape(k)}` ", page, re.MULTILINE))
    assert undocumented == []


def test_example_spec_points_at_the_schema() -> None:
    assert EXAMPLE.read_text(encoding="utf-8").startswith("#:schema ./workloads.schema.json\n")


# --------------------------------------------------------------------------------------------------
# Estimates


def test_estimate_workloads() -> None:
    sonnet, haiku = workloads_from_estimate(ESTIMATE, requests=66, per="day", growth_percent=2)
    assert (sonnet.model, sonnet.sample_requests, sonnet.requests) == ("claude-sonnet-4-6", 30, Decimal(60))
    # 66 a day split 30 : 3 → 60 and 6
    assert (haiku.model, haiku.sample_requests, haiku.requests, haiku.per) == (
        "claude-haiku-4-5-20251001",
        3,
        Decimal(6),
        "day",
    )
    assert haiku.usage == Usage(input_tokens=4_500, output_tokens=1_001)
    assert sonnet.growth_percent == 2


def _estimate(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ESTIMATE.read_text(encoding="utf-8"))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_estimate(kind="quote"), "kind is 'quote', expected 'estimate'"),
        (_estimate(schema_version=2), "schema_version is 2; this version of claude-quote reads 1"),
        (_estimate(by_model=[]), "by_model: expected a non-empty list"),
        (_estimate(requests=34), "requests is 34 but by_model requests add up to 33"),
        (
            _estimate(by_model=[{"model": "claude-sonnet-4-6", "requests": 0, "usage": {}}], requests=1),
            r"by_model\[0\].requests: expected a whole number of at least 1, got 0",
        ),
        (
            _estimate(by_model=[{"model": "x", "requests": 1, "usage": {"input_tokens": -3}}], requests=1),
            r"by_model\[0\].usage.input_tokens: expected a whole number of at least 0, got -3",
        ),
        (
            _estimate(by_model=[{"model": "x", "requests": 1, "usage": {"output_tokens": 1.5}}], requests=1),
            r"by_model\[0\].usage.output_tokens: expected a whole number",
        ),
        (
            _estimate(by_model=[{"requests": 1, "usage": {}}], requests=1),
            r"by_model\[0\].model: expected a model id",
        ),
        (
            _estimate(by_model=[{"model": "x", "requests": 1}], requests=1),
            r"by_model\[0\].usage: expected an object",
        ),
    ],
)
def test_estimate_errors_name_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(WorkloadError, match=r"^est.json: " + message):
        workloads_from_estimate(data, origin="est.json")


def test_estimate_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "kind": "estimate",\n  oops\n}\n', encoding="utf-8")
    with pytest.raises(WorkloadError, match=r"bad.json:3: not valid JSON"):
        workloads_from_estimate(bad)
    with pytest.raises(WorkloadError, match=r"missing.json: cannot read estimate"):
        workloads_from_estimate(tmp_path / "missing.json")
