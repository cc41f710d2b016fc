"""python -m claude_quote.pricing.crosscheck: our table against other price lists, on small fixtures.

No test needs genai-prices or litellm installed: the comparison takes pluggable sources, the litellm
reader takes a file (tests/data/litellm-sample.json, a few rows in litellm's format), and the
genai-prices reader takes a provider object (a stand-in here with the same attributes).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from claude_quote.pricing import PriceTable
from claude_quote.pricing.crosscheck import (
    ALLOW_FILE,
    Allowance,
    ExternalModel,
    GenaiPricesSource,
    LitellmSource,
    PriceSource,
    crosscheck,
    load_allowances,
    main,
    our_facts,
    parser,
    report_text,
)
from claude_quote.pricing.load import builtin_pricing_path
from tests.conftest import DAY, ROOT

D = Decimal
SAMPLE = ROOT / "tests" / "data" / "litellm-sample.json"


@dataclass
class FakeSource:
    """A price list given as facts per model name (exact names only)."""

    rows: dict[str, dict[str, Any]]
    name: str = "fake"
    label: str = "fake 1.0"

    def models(self, at: date) -> list[ExternalModel]:
        return [ExternalModel(name=n, matches=_exact(n), facts=f) for n, f in self.rows.items()]


def _exact(name: str) -> Callable[[str], bool]:
    return lambda api_name: api_name == name


SONNET_46 = {
    "input": D(3),
    "output": D(15),
    "cache_write_5m": D("3.75"),
    "cache_write_1h": D(6),
    "cache_read": D("0.30"),
    "batch input": D("1.5"),
    "context_window": 1_000_000,
    "max_output": 128_000,
}


def check(
    table: PriceTable, rows: dict[str, dict[str, Any]], **kwargs: Any
) -> list[tuple[str, str, str, str]]:
    """(model, field, ours, theirs) of every disagreement about the models in ``rows``."""
    report = crosscheck(table, [FakeSource(rows)], at=kwargs.pop("at", DAY), **kwargs)
    return [
        (d.model, d.field, d.ours, d.theirs)
        for d in report.disagreements
        if d.model in rows or d.their_name in rows
    ]


def test_agreeing_facts(table: PriceTable) -> None:
    report = crosscheck(table, [FakeSource({"claude-sonnet-4-6": SONNET_46})], at=DAY)
    assert report.compared == {"fake 1.0": 8}
    assert [d for d in report.disagreements if d.model == "claude-sonnet-4-6"] == []


def test_every_differing_fact_is_reported(table: PriceTable) -> None:
    theirs = {**SONNET_46, "input": D("3.5"), "batch input": D(2), "max_output": 64_000, "retired": DAY}
    assert check(table, {"claude-sonnet-4-6": theirs}) == [
        ("claude-sonnet-4-6", "input", "3", "3.5"),
        ("claude-sonnet-4-6", "batch input", "1.5", "2"),
        ("claude-sonnet-4-6", "max_output", "128000", "64000"),
        ("claude-sonnet-4-6", "retired", "-", "2026-11-25"),
    ]


def test_models_only_one_side_lists(table: PriceTable) -> None:
    report = crosscheck(table, [FakeSource({"claude-opus-6": {"input": D(3)}})], at=DAY)
    pairs = {(d.model, d.field, d.ours, d.theirs) for d in report.disagreements}
    assert ("claude-opus-6", "model", "-", "listed") in pairs  # theirs, not ours: a new model?
    assert ("claude-sonnet-4-6", "model", "listed", "-") in pairs  # ours and available, not theirs
    assert not any(d.model == "claude-opus-4-1-20250805" for d in report.disagreements)  # retired: fine


def test_a_model_not_yet_released_on_the_date(table: PriceTable) -> None:
    assert check(table, {"claude-opus-5-5": {"input": D(4)}}, at=date(2026, 9, 21)) == [
        ("claude-opus-5-5", "model", "released 2026-09-22", "listed")
    ]
    assert check(table, {"claude-opus-5-5": {"input": D(4)}}, at=date(2026, 9, 22)) == []


def test_a_tier_the_source_does_not_state(table: PriceTable) -> None:
    # Haiku 5.5 reprices the whole request above 100K prompt tokens; a source that states the base
    # input rate but no tier disagrees on the tier
    got = check(table, {"claude-haiku-5-5": {"input": D("0.10")}})
    assert got == [("claude-haiku-5-5", "input (prompt > 100,000)", "0.5", "-")]


def test_allowances_cover_known_disagreements(table: PriceTable) -> None:
    rows = {"claude-sonnet-4-6": {**SONNET_46, "input": D("3.5")}}
    allow = [
        Allowance(
            source="fake", model="claude-sonnet-4-6", field="input", theirs="3.5", reason="r", reviewed=DAY
        ),
        Allowance(source="*", model="claude-nope", field="*", reason="stale", reviewed=DAY),
    ]
    report = crosscheck(table, [FakeSource(rows)], at=DAY, allowances=allow)
    (input_line,) = [d for d in report.disagreements if d.model == "claude-sonnet-4-6"]
    assert input_line.allowed == allow[0]
    assert input_line not in report.failing
    assert report.unused == [allow[1]]
    # the pin: when the source moves to another value the allowance no longer applies
    moved = {"claude-sonnet-4-6": {**SONNET_46, "input": D(4)}}
    again = crosscheck(table, [FakeSource(moved)], at=DAY, allowances=allow)
    assert [d.theirs for d in again.failing if d.model == "claude-sonnet-4-6"] == ["4"]


def agreeing(table: PriceTable) -> dict[str, dict[str, Any]]:
    """A source that states every fact of every model we price on DAY, exactly as we do."""
    rows = {}
    for m in table.models:
        if m.price_at(DAY) is not None:
            facts = our_facts(m, table, DAY)
            rows[m.id] = {k: v for k, v in facts.items() if v is not None and k != "model"}
    return rows


def test_exit_code_and_text(table: PriceTable) -> None:
    everything = agreeing(table)
    ok = crosscheck(table, [FakeSource(everything)], at=DAY)
    assert (ok.exit_code, ok.failing) == (0, [])
    assert "No disagreements outside the allow-list." in report_text(ok)
    bad = crosscheck(table, [FakeSource({**everything, "claude-sonnet-4-6": {"input": D(9)}})], at=DAY)
    assert bad.exit_code == 1
    text = report_text(bad)
    assert "Disagreements (1):" in text
    assert re.search(r"fake\s+claude-sonnet-4-6\s+input\s+3\s+9", text)


# --- litellm's file ---------------------------------------------------------------------------------


def test_litellm_rows_become_facts() -> None:
    models = {m.name: m for m in LitellmSource(SAMPLE).models(DAY)}
    assert set(models) == {
        "claude-haiku-5-5",
        "claude-opus-4-6-20260205",
        "claude-sonnet-4-5",
        "claude-opus-6",
    }
    haiku = dict(models["claude-haiku-5-5"].facts)
    # per token × 1,000,000, exact: 1e-07 → 0.1, 2.5e-07 → 0.25
    assert haiku == {
        "input": D("0.1"),
        "output": D("0.5"),
        "cache_write_5m": D("0.125"),
        "cache_write_1h": D("0.2"),
        "cache_read": D("0.01"),
        "batch input": D("0.05"),
        "batch output": D("0.25"),
        "input (prompt > 100,000)": D("0.5"),
        "output (prompt > 100,000)": D("2.5"),
        "batch input (prompt > 100,000)": D("0.25"),
        "context_window": 1_000_000,
        "max_output": 128_000,
        "us_multiplier": D("1.1"),
    }
    assert all(type(v) is Decimal for v in haiku.values() if not isinstance(v, int))
    opus = models["claude-opus-4-6-20260205"]
    assert opus.matches("claude-opus-4-6")  # a dated name matches our undated id
    assert (opus.facts["fast input"], opus.facts["fast output"]) == (D(30), D(150))  # 6x of $5 / $25
    sonnet = models["claude-sonnet-4-5"].facts
    assert (sonnet["retired"], sonnet["replacement"]) == (date(2026, 11, 30), "claude-sonnet-5-5")


def test_litellm_against_the_table(table: PriceTable) -> None:
    source = LitellmSource(SAMPLE, "1.0")
    assert source.label == "litellm 1.0"
    report = crosscheck(table, [source], at=DAY)
    got = {(d.model, d.field, d.ours, d.theirs) for d in report.disagreements if d.their_name != "-"}
    assert got == {
        # Haiku 5.5: the cache rates are repriced above 100K too; the sample states their base only
        ("claude-haiku-5-5", "cache_write_5m (prompt > 100,000)", "0.625", "-"),
        ("claude-haiku-5-5", "cache_write_1h (prompt > 100,000)", "1", "-"),
        ("claude-haiku-5-5", "cache_read (prompt > 100,000)", "0.05", "-"),
        ("claude-haiku-5-5", "batch output (prompt > 100,000)", "1.25", "-"),
        # Opus 4.6 fast mode was withdrawn on 2026-06-29; the sample still has the 6x multiplier
        ("claude-opus-4-6", "fast input", "-", "30"),
        ("claude-opus-4-6", "fast output", "-", "150"),
        ("claude-opus-6", "model", "-", "listed"),
    }
    before = crosscheck(table, [source], at=date(2026, 6, 28))
    assert not any(d.field.startswith("fast") for d in before.disagreements)


def test_litellm_bad_files(tmp_path: Path) -> None:
    from claude_quote import PricingDataError

    with pytest.raises(PricingDataError, match="cannot read litellm price file"):
        LitellmSource(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(PricingDataError, match=r"bad\.json: not valid JSON"):
        LitellmSource(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(PricingDataError, match="expected a JSON object of models, got list"):
        LitellmSource(tmp_path / "list.json")


# --- genai-prices (a stand-in with the package's attributes) ------------------------------------------


@dataclass
class _Tier:
    start: int
    price: Decimal


@dataclass
class _Tiered:
    base: Decimal
    tiers: list[_Tier]


@dataclass
class _From:
    start_date: date

    def active(self, stamp: datetime) -> bool:
        return stamp.date() >= self.start_date


@dataclass
class _Variant:
    when: dict[str, str]
    prices: Any
    constraint: _From | None = None


@dataclass
class _Prices:
    input_mtok: Any = None
    output_mtok: Any = None
    cache_write_mtok: Any = None
    cache_write_1h_mtok: Any = None
    cache_read_mtok: Any = None


@dataclass
class _Model:
    id: str
    prefix: str
    standard: _Prices
    price_variants: list[_Variant] = field(default_factory=list)
    context_window: int | None = None
    deprecated: bool | None = None

    def is_match(self, name: str) -> bool:
        return name.lower().startswith(self.prefix)

    def get_prices(self, stamp: datetime) -> _Prices:
        return self.standard


@dataclass
class _Provider:
    models: Sequence[_Model]


def test_genai_prices_rows_become_facts(table: PriceTable) -> None:
    haiku = _Model(
        "claude-haiku-5-5",
        "claude-haiku-5-5",
        _Prices(
            input_mtok=_Tiered(D("0.1"), [_Tier(100_000, D("0.5"))]),
            output_mtok=_Tiered(D("0.5"), [_Tier(100_000, D("2.5"))]),
            cache_read_mtok=D("0.01"),
        ),
        [
            _Variant({"processing": "batch"}, _Prices(input_mtok=D("0.05")), _From(date(2026, 10, 14))),
            _Variant({"speed": "fast"}, _Prices(input_mtok=D(1))),
        ],
        context_window=1_000_000,
    )
    source = GenaiPricesSource(_Provider([haiku]), "9.9")
    assert source.label == "genai-prices 9.9"
    (model,) = source.models(DAY)
    assert dict(model.facts) == {
        "input": D("0.1"),
        "input (prompt > 100,000)": D("0.5"),
        "output": D("0.5"),
        "output (prompt > 100,000)": D("2.5"),
        "cache_read": D("0.01"),
        "batch input": D("0.05"),
        "fast input": D(1),
        "context_window": 1_000_000,
    }
    # the batch variant starts 2026-10-14: not stated the day before
    assert "batch input" not in source.models(date(2026, 10, 13))[0].facts
    report = crosscheck(table, [source], at=DAY)
    mine = {(d.field, d.ours, d.theirs) for d in report.disagreements if d.model == "claude-haiku-5-5"}
    # Haiku 5.5 has no fast mode; the cache read tier is not stated; the batch tier is not stated
    assert mine == {
        ("fast input", "-", "1"),
        ("cache_read (prompt > 100,000)", "0.05", "-"),
        ("batch input (prompt > 100,000)", "0.25", "-"),
    }


# --- the command and the allow-list --------------------------------------------------------------------


def test_the_bundled_allow_list_is_valid() -> None:
    allowances = load_allowances(builtin_pricing_path().parent / ALLOW_FILE)
    assert len(allowances) >= 10
    assert all(a.reason and a.reviewed <= date(2026, 12, 1) for a in allowances)
    assert {a.source for a in allowances} <= {"genai-prices", "litellm", "*"}


def test_bad_allow_lists(tmp_path: Path) -> None:
    from claude_quote import PricingDataError

    bad = tmp_path / "allow.toml"
    bad.write_text('[[allow]]\nsource = "litellm"\nmodel = "x"\nfield = "input"\n')
    with pytest.raises(PricingDataError, match=r"allow.toml: allow.0.reason: Field required"):
        load_allowances(bad)
    bad.write_text("[[allow]\n")
    with pytest.raises(PricingDataError, match="not valid TOML"):
        load_allowances(bad)


def _sources(rows: dict[str, dict[str, Any]]) -> list[PriceSource]:
    return [FakeSource(rows)]


def test_main_exit_codes(table: PriceTable, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    everything = agreeing(table)
    assert main(["--at", "2026-11-25"], sources=_sources(everything)) == 0
    assert "No disagreements outside the allow-list." in capsys.readouterr().out
    wrong = {**everything, "claude-sonnet-4-6": {"input": D(9)}}
    assert main(["--at", "2026-11-25", "--format", "json"], sources=_sources(wrong)) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["kind"], data["exit_code"], data["pricing_version"]) == ("crosscheck", 1, "2026.12.01")
    failing = [d for d in data["disagreements"] if d["allowed"] is None]
    assert failing == [
        {
            "source": "fake",
            "model": "claude-sonnet-4-6",
            "their_name": "claude-sonnet-4-6",
            "field": "input",
            "ours": "3",
            "theirs": "9",
            "allowed": None,
        }
    ]
    assert main(["--at", "2026-13-01"], sources=_sources(everything)) == 2
    assert "--at '2026-13-01' is not a date" in capsys.readouterr().err
    assert main(["--allow", str(tmp_path / "none.toml")], sources=_sources(everything)) == 2
    assert "cannot read allow-list" in capsys.readouterr().err


def test_main_needs_a_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-genai-prices", "--no-litellm"]) == 2
    assert "nothing to compare with: pip install 'claude-quote[crosscheck]'" in capsys.readouterr().err
    assert main(["--no-genai-prices", "--litellm", "missing.json"]) == 2
    assert "cannot read litellm price file 'missing.json'" in capsys.readouterr().err
    assert main(["--no-genai-prices", "--litellm", "x.json", "--no-litellm"]) == 2
    assert "contradict each other" in capsys.readouterr().err


@pytest.mark.slow
def test_module_runs_as_a_script() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "claude_quote.pricing.crosscheck",
            "--no-genai-prices",
            "--litellm",
            str(SAMPLE),
            "--at",
            "2026-11-25",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 1, proc.stderr  # the sample lacks most models and has Claude Opus 6
    assert "claude-opus-6" in proc.stdout


# --- the scheduled workflow documented in docs/pricing-data.md -----------------------------------------


def _workflow() -> dict[Any, Any]:
    page = (ROOT / "docs" / "pricing-data.md").read_text()
    blocks = re.findall(r"^```yaml\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    found: dict[Any, Any] = yaml.safe_load(next(b for b in blocks if "crosscheck" in b))
    return found


def test_documented_workflow() -> None:
    workflow = _workflow()
    triggers = workflow["on"] if "on" in workflow else workflow[True]  # YAML 1.1 reads `on` as true
    assert triggers["schedule"][0]["cron"]
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "issues": "write"}
    steps = workflow["jobs"]["crosscheck"]["steps"]
    run = "\n".join(str(s.get("run", "")) for s in steps)
    assert 'pip install ".[crosscheck]"' in run
    check = next(s for s in steps if "python -m claude_quote.pricing.crosscheck" in str(s.get("run", "")))
    assert check["id"] == "check"
    issue = next(s for s in steps if "gh issue create" in str(s.get("run", "")))
    assert issue["if"] == "steps.check.outputs.exit-code != '0'"
    assert issue["env"]["GH_TOKEN"] == "${{ github.token }}"
    # every option the workflow passes exists
    help_text = parser().format_help()
    for option in re.findall(r"(--[a-z-]+)", check["run"]):
        assert option in help_text, option
