"""The bundled price table: every figure of PRICING-FACTS §1, history, flags, and the schema's invariants."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from claude_quote import PriceTable, PricingDataError, load_pricing
from claude_quote.pricing import parse_pricing, resolve_model
from claude_quote.pricing.load import builtin_pricing_path
from tests.conftest import DAY

D = Decimal

# (model, date, input, output, 5m write, 1h write, cache read) re-typed from PRICING-FACTS.md §1.
FACTS = [
    ("claude-fable-5-2", DAY, "8", "40", "10", "16", "0.20"),
    ("claude-fable-5-1", DAY, "10", "50", "12.50", "20", "0.25"),
    ("claude-mythos-5-1", DAY, "10", "50", "12.50", "20", "0.25"),
    ("claude-mythos-5-2", DAY, "8", "40", "10", "16", "0.20"),
    ("claude-fable-5", DAY, "10", "50", "12.50", "20", "1.00"),
    ("claude-mythos-5", DAY, "10", "50", "12.50", "20", "1.00"),
    ("claude-mythos-preview", date(2026, 5, 1), "25", "125", None, None, None),
    ("claude-opus-5-5", DAY, "4", "20", "5", "8", "0.20"),
    ("claude-opus-5", DAY, "5", "25", "6.25", "10", "0.50"),
    ("claude-opus-4-8", DAY, "5", "25", "6.25", "10", "0.50"),
    ("claude-opus-4-7", DAY, "5", "25", "6.25", "10", "0.50"),
    ("claude-opus-4-6", DAY, "5", "25", "6.25", "10", "0.50"),
    ("claude-opus-4-5-20251101", DAY, "5", "25", "6.25", "10", "0.50"),
    ("claude-opus-4-1-20250805", DAY, "15", "75", "18.75", "30", "1.50"),
    ("claude-opus-4-20250514", DAY, "15", "75", "18.75", "30", "1.50"),
    ("claude-sonnet-5-5", date(2026, 9, 28), "2", "10", "2.50", "4", "0.20"),
    ("claude-sonnet-5-5", date(2026, 10, 7), "2", "10", "2.50", "4", "0.10"),
    ("claude-sonnet-5", DAY, "2", "10", "2.50", "4", "0.20"),
    ("claude-sonnet-4-6", DAY, "3", "15", "3.75", "6", "0.30"),
    ("claude-sonnet-4-5-20250929", DAY, "3", "15", "3.75", "6", "0.30"),
    ("claude-sonnet-4-20250514", DAY, "3", "15", "3.75", "6", "0.30"),
    ("claude-3-7-sonnet-20250219", DAY, "3", "15", "3.75", "6", "0.30"),
    ("claude-3-5-sonnet-20241022", DAY, "3", "15", "3.75", "6", "0.30"),
    ("claude-haiku-5-5", DAY, "0.10", "0.50", "0.125", "0.20", "0.01"),
    ("claude-haiku-4-5-20251001", DAY, "1", "5", "1.25", "2", "0.10"),
    ("claude-3-5-haiku-20241022", DAY, "0.80", "4", "1", "1.60", "0.08"),
    ("claude-3-haiku-20240307", DAY, "0.25", "1.25", "0.30", "0.50", "0.03"),
    ("claude-3-opus-20240229", DAY, "15", "75", "18.75", "30", "1.50"),
    ("claude-3-sonnet-20240229", DAY, "3", "15", None, None, None),
]


def _d(text: str | None) -> Decimal | None:
    return None if text is None else D(text)


@pytest.mark.parametrize(("model_id", "at", "inp", "out", "w5", "w1", "read"), FACTS)
def test_rates_match_the_facts(
    table: PriceTable,
    model_id: str,
    at: date,
    inp: str,
    out: str,
    w5: str | None,
    w1: str | None,
    read: str | None,
) -> None:
    entry = resolve_model(table, model_id, at).price_at(at)
    assert entry is not None
    got = (
        entry.input_per_mtok,
        entry.output_per_mtok,
        entry.cache_write_5m_per_mtok,
        entry.cache_write_1h_per_mtok,
        entry.cache_read_per_mtok,
    )
    assert got == (D(inp), D(out), _d(w5), _d(w1), _d(read))


def test_every_model_in_the_facts_is_present(table: PriceTable) -> None:
    assert {row[0] for row in FACTS} == set(table.model_ids())
    assert len(table.models) == 28


def test_every_price_is_an_exact_decimal(table: PriceTable) -> None:
    rates = [table.batch.factor, table.data_residency.multiplier, table.web_search.usd_per_thousand]
    for model in table.models:
        for entry in (*model.prices, *model.fast_mode, *(t for p in model.prices for t in p.tiers)):
            rates += [entry.input_per_mtok, entry.output_per_mtok]
            rates += [
                r
                for r in (
                    entry.cache_write_5m_per_mtok,
                    entry.cache_write_1h_per_mtok,
                    entry.cache_read_per_mtok,
                )
                if r is not None
            ]
    assert rates
    assert all(type(r) is Decimal for r in rates)


def test_modifiers(table: PriceTable) -> None:
    assert table.batch.factor == D("0.5")
    assert table.data_residency.multiplier == D("1.1")
    assert table.web_search.usd_per_thousand == D(10)
    assert table.web_search.batch_discount is False


def test_every_model_records_sources_and_a_check_date(table: PriceTable) -> None:
    for model in table.models:
        assert model.sources, model.id
        assert model.checked <= table.checked == date(2026, 12, 1), model.id
        assert all(entry.sources for entry in model.prices), model.id


def test_uncertain_facts_are_flagged(table: PriceTable) -> None:
    flagged_entries = {
        m.id: [e.effective_from.isoformat() for e in m.prices if e.uncertain] for m in table.models
    }
    assert flagged_entries["claude-fable-5-2"] == ["2026-11-09"]  # cache rates from third parties
    assert flagged_entries["claude-mythos-5-2"] == ["2026-11-09"]  # cache rates from genai-prices only
    assert flagged_entries["claude-sonnet-5-5"] == ["2026-10-07"]  # the cache-read cut
    assert flagged_entries["claude-mythos-preview"] == ["2026-04-07"]
    assert flagged_entries["claude-opus-4-6"] == ["2026-02-05"]  # the beta long-context premium
    assert flagged_entries["claude-sonnet-4-6"] == ["2026-02-17"]
    assert flagged_entries["claude-3-5-haiku-20241022"] == ["2024-11-04", "2024-12-01"]
    opus55 = resolve_model(table, "opus-5.5", DAY)
    assert "released" in opus55.uncertain
    assert opus55.fast_mode[0].uncertain
    assert "max_output" not in resolve_model(table, "sonnet-4.6", DAY).uncertain  # 128K, model page
    assert "retired" not in resolve_model(table, "sonnet-4.5", DAY).uncertain  # 2026-11-30, model page
    opus45 = resolve_model(table, "opus-4.5", DAY)
    assert set(opus45.uncertain) == {"deprecated", "retired", "replacement"}  # one third-party reading
    opus47 = resolve_model(table, "opus-4.7", DAY)
    assert [f.effective_from for f in opus47.fast_mode if f.uncertain] == [date(2026, 5, 12)]
    assert "fast_mode_removed" in resolve_model(table, "opus-4.6", DAY).uncertain
    for name in ("sonnet-3.5", "opus-3"):
        assert "min_cacheable_tokens" in resolve_model(table, name, DAY).uncertain
    assert table.web_search.uncertain is not None
    assert "Batch" in table.web_search.uncertain


def test_tiers(table: PriceTable) -> None:
    haiku = resolve_model(table, "haiku-5.5", DAY).price_at(DAY)
    assert haiku is not None
    assert [(t.above_prompt_tokens, t.input_per_mtok, t.output_per_mtok) for t in haiku.tiers] == [
        (100_000, D("0.50"), D("2.50"))
    ]
    for name in ("sonnet-4", "sonnet-4.5"):
        model = resolve_model(table, name, DAY)
        assert [len(e.tiers) for e in model.prices] == [1, 0]
        assert model.prices[1].effective_from == date(2026, 4, 30)
        assert model.context_window_at(date(2026, 4, 29)) == 1_000_000
        assert model.context_window_at(date(2026, 4, 30)) == 200_000
    for name in ("opus-4.6", "sonnet-4.6"):
        model = resolve_model(table, name, DAY)
        assert [len(e.tiers) for e in model.prices] == [1, 0]
        assert model.prices[1].effective_from == date(2026, 3, 13)


def test_names(table: PriceTable) -> None:
    for name, expected in [
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001"),
        ("claude-haiku-4-5", "claude-haiku-4-5-20251001"),
        ("haiku-4.5", "claude-haiku-4-5-20251001"),
        ("Haiku-4-5", "claude-haiku-4-5-20251001"),
        ("claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022"),
        ("claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219"),
        ("claude-opus-4-0", "claude-opus-4-20250514"),
        ("sonnet", "claude-sonnet-5-5"),
        ("mythos", "claude-mythos-5-2"),
    ]:
        assert resolve_model(table, name, DAY).id == expected, name


# --- invariants: each broken table fails with the file and the field named ---------------------------

MINIMAL = """
schema_version = 1
version = "test"
currency = "USD"
checked = 2026-11-25
[sources.X]
title = "test source"
[batch]
factor = 0.5
effective_from = 2024-10-08
sources = ["X"]
[data_residency]
multiplier = 1.1
effective_from = 2026-02-05
sources = ["X"]
[web_search]
usd_per_thousand = 10
effective_from = 2025-05-07
sources = ["X"]
"""

MODEL = """
[[models]]
id = "{id}"
name = "Test {id}"
family = "sonnet"
version = "{version}"
released = 2026-01-01
tokenizer = "claude-3"
sources = ["X"]
checked = 2026-11-25
[[models.prices]]
effective_from = 2026-01-01
input_per_mtok = 3
output_per_mtok = 15
cache_read_per_mtok = 0.30
sources = ["X"]
"""


def _table(*models: str, head: str = MINIMAL) -> bytes:
    return (textwrap.dedent(head) + "".join(textwrap.dedent(m) for m in models)).encode()


def _model(id: str = "claude-a", version: str = "9.1") -> str:
    return MODEL.format(id=id, version=version)


def test_minimal_table_is_valid() -> None:
    t = parse_pricing(_table(_model()), origin="mini.toml")
    assert t.model_ids() == ["claude-a"]
    assert t.origin == "mini.toml"
    assert len(t.sha256) == 64


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_table(_model("claude-b", "9.2"), _model("claude-a", "9.1")), "sorted by id: entry 1 is 'claude-b'"),
        (
            _table(_model("claude-a", "9.1"), _model("claude-b", "9.1")),
            "name 'sonnet-9-1' is claimed by both",
        ),
        (_table(_model().replace("input_per_mtok = 3", "input_per_mtok = -3")), "input_per_mtok"),
        (
            _table(_model().replace("cache_read_per_mtok = 0.30", "cache_read_per_mtok = 4")),
            "above input_per_mtok",
        ),
        (
            _table(_model().replace('tokenizer = "claude-3"', 'tokenizer = "gpt"')),
            "models[claude-a].tokenizer",
        ),
        (_table(_model().replace("checked = 2026-11-25", "checked = 2026-11-25\ncolour = 1")), "colour"),
        (_table(_model().replace('sources = ["X"]\nchecked', 'sources = ["Y"]\nchecked')), "not defined"),
        (
            _table(_model().replace("effective_from = 2026-01-01", "effective_from = 2026-01-02")),
            "must match",
        ),
        (_table(_model(), head=MINIMAL.replace("factor = 0.5", "factor = 1.5")), "batch.factor"),
        (_table(_model().replace("input_per_mtok = 3", 'input_per_mtok = "three"')), "input_per_mtok"),
        (
            _table(
                _model() + "[[models.prices]]\neffective_from = 2025-12-01\ninput_per_mtok = 3\n"
                'output_per_mtok = 15\nsources = ["X"]\n'
            ),
            "ascending effective_from",
        ),
        (
            _table(
                _model() + "[[models.prices.tiers]]\nabove_prompt_tokens = 200_000\ninput_per_mtok = 6\n"
                "output_per_mtok = 22.5\n[[models.prices.tiers]]\nabove_prompt_tokens = 100_000\n"
                "input_per_mtok = 6\noutput_per_mtok = 22.5\n"
            ),
            "tiers must ascend",
        ),
        (b"schema_version = 1\nversion = ", "not valid TOML"),
    ],
)
def test_broken_tables_name_the_file_and_field(data: bytes, message: str) -> None:
    with pytest.raises(PricingDataError) as info:
        parse_pricing(data, origin="broken.toml")
    text = str(info.value)
    assert text.startswith("broken.toml: "), text
    assert message in text, text


def test_a_float_can_never_become_a_price() -> None:
    from pydantic import ValidationError

    from claude_quote.pricing.model import PriceEntry

    raw = {"input_per_mtok": 3.3, "output_per_mtok": 15, "effective_from": "2026-01-01", "sources": ["X"]}
    with pytest.raises(ValidationError, match="floats cannot represent most prices exactly"):
        PriceEntry.model_validate(raw)
    ok = PriceEntry.model_validate({**raw, "input_per_mtok": "3.3"})
    assert ok.input_per_mtok == D("3.3")


# --- custom tables ------------------------------------------------------------------------------------


def test_custom_table_extending_the_builtin(tmp_path: Path) -> None:
    path = tmp_path / "negotiated.toml"
    path.write_text(
        textwrap.dedent(
            """
            extends = "builtin"
            version = "acme-2026-11"

            [[models]]
            id = "claude-opus-6"
            name = "Claude Opus 6"
            family = "opus"
            version = "6"
            released = 2026-11-20
            context_window = 1_000_000
            tokenizer = "claude-4.7"
            sources = ["P-SEP26"]
            checked = 2026-11-25

            [[models.prices]]
            effective_from = 2026-11-20
            input_per_mtok = 3
            output_per_mtok = 15
            sources = ["P-SEP26"]
            """
        )
    )
    t = load_pricing(path)
    assert t.version == "acme-2026-11"
    assert len(t.models) == 29
    assert resolve_model(t, "opus", DAY).id == "claude-opus-6"
    assert resolve_model(t, "sonnet-4.6", DAY).id == "claude-sonnet-4-6"  # the rest is inherited
    assert t.sha256 != load_pricing().sha256


def test_missing_custom_table() -> None:
    with pytest.raises(PricingDataError, match=r"cannot read pricing table 'nope\.toml'"):
        load_pricing("nope.toml")


def test_builtin_table_is_cached_and_found(table: PriceTable) -> None:
    assert load_pricing() is load_pricing()
    assert builtin_pricing_path().name == "anthropic.toml"
    assert table.version == "2026.12.01"
    assert table.checked == date(2026, 12, 1)
    assert table.origin == "builtin"


def test_the_validated_table_is_the_toml_parsed() -> None:
    """The bundled table is read from anthropic.validated.json when it was made from this TOML."""
    import hashlib
    import importlib

    load = importlib.import_module("claude_quote.pricing.load")
    data = builtin_pricing_path().read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    validated = load.bundled_data_file(load.VALIDATED_FILE, "validated price table")
    remake = "run: python -c 'from claude_quote.pricing.load import write_validated_table as w; w()'"
    assert validated.read_bytes().startswith(f"sha256 {digest}\n".encode()), f"stale: {remake}"
    parsed = parse_pricing(data, origin="builtin")
    table = load._validated(digest)
    assert table is not None
    assert table.model_dump() == parsed.model_dump()
    assert repr(table.model_dump()) == repr(parsed.model_dump())  # the same Decimals, digit for digit
    assert load_pricing().sha256 == digest == parsed.sha256


def test_a_validated_table_of_another_toml_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    load = importlib.import_module("claude_quote.pricing.load")
    assert load._validated("0" * 64) is None  # made from another TOML: parse the TOML instead
    parsed: list[str] = []

    def spy(data: bytes, *, origin: str) -> PriceTable:
        parsed.append(origin)
        return parse_pricing(data, origin=origin)

    monkeypatch.setattr(load, "parse_pricing", spy)
    monkeypatch.setattr(load, "_validated", lambda digest: None)
    table = load._builtin.__wrapped__()  # the loader itself, past its cache (kept for the other tests)
    assert parsed == ["builtin"]
    assert table.version == "2026.12.01"


def test_the_installed_package_carries_the_same_table() -> None:
    """From a wheel the table is read from inside the package; it must be the committed file."""
    import claude_quote
    from tests.conftest import ROOT

    package = Path(claude_quote.__file__).parent
    path = builtin_pricing_path()
    if ROOT / "src" in package.parents:  # an editable install reads the source tree
        assert path == ROOT / "pricing" / "anthropic.toml"
    else:  # pip install . (what CI does): the wheel's copy
        assert path == package / "_data" / "anthropic.toml"
        assert (package / "_data" / "schema.json").read_bytes() == (
            ROOT / "pricing" / "schema.json"
        ).read_bytes()
    assert path.read_bytes() == (ROOT / "pricing" / "anthropic.toml").read_bytes()
