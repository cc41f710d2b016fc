"""Cross-check the price table against other public price lists, field by field.

    python -m claude_quote.pricing.crosscheck [--at DATE] [--pricing FILE] [--allow FILE]
        [--no-genai-prices] [--litellm FILE | --no-litellm] [--format text|json]

Sources (each optional; at least one is needed):

- **genai-prices** (pydantic), when installed: ``pip install 'claude-quote[crosscheck]'``. Its Anthropic
  rows carry dated prices, batch and fast-mode variants and prompt-length tiers.
- **litellm**'s ``model_prices_and_context_window.json``: a file given with ``--litellm FILE``, or the
  copy inside an installed ``litellm`` package (found without importing litellm, which is heavy).

Compared on the date (default today, UTC), for every model both sides know: input, output, both cache
writes and cache reads; the batch rates; prompt-length tiers; fast-mode rates; the context window,
maximum output and minimum cacheable prompt; the US data-residency multiplier; retirement date,
deprecation and recommended replacement. A source that does not state a fact is not compared on it. A
model one side lists and the other lacks is a disagreement too: that is how a new model shows up.

Known, justified disagreements live in ``pricing/crosscheck-allow.toml`` with their reason; an entry may
pin the source's value (``theirs``) so it lapses when the source changes. Every other disagreement is
printed. Exit status: 0 when everything agrees or is allowed, 1 when a disagreement is not allowed,
2 on bad input (no source, an unreadable file, a malformed allow-list).

Sources are pluggable (:class:`PriceSource`): tests pass small in-memory ones and never need the
real packages.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import textwrap
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from claude_quote.errors import ClaudeQuoteError, PricingDataError, UsageError

from .load import builtin_pricing_path, load_pricing
from .model import ModelInfo, PriceTable, Rates

__all__ = [
    "ALLOW_FILE",
    "Allowance",
    "Disagreement",
    "ExternalModel",
    "GenaiPricesSource",
    "LitellmSource",
    "PriceSource",
    "Report",
    "crosscheck",
    "load_allowances",
    "main",
    "our_facts",
    "parser",
    "report_json",
    "report_text",
    "tier_key",
]

Value = Decimal | int | date | str | bool
"""A comparable fact: a USD/MTok rate, a token count, a date, a model id or a flag."""

ALLOW_FILE = "crosscheck-allow.toml"
"""The reviewed allow-list, next to the bundled price table."""

_RATES = (
    ("input", "input_per_mtok"),
    ("output", "output_per_mtok"),
    ("cache_write_5m", "cache_write_5m_per_mtok"),
    ("cache_write_1h", "cache_write_1h_per_mtok"),
    ("cache_read", "cache_read_per_mtok"),
)


def tier_key(kind: str, threshold: int) -> str:
    """The field name of a tier rate: ``input (prompt > 200,000)``."""
    return f"{kind} (prompt > {threshold:,})"


@dataclass(frozen=True)
class ExternalModel:
    """One model as another price list describes it: the facts it states, under our field names."""

    name: str
    """The source's model name."""
    matches: Callable[[str], bool]
    """Whether an API model name (one of our ids, snapshots or aliases) is this model."""
    facts: Mapping[str, Value]
    """Field → value, for the fields the source states."""


class PriceSource(Protocol):
    """A price list to compare with."""

    name: str
    """Short id used in the allow-list (``genai-prices``, ``litellm``)."""
    label: str
    """What was read, with its version (``genai-prices 0.2.3``)."""

    def models(self, at: date) -> Sequence[ExternalModel]:
        """The source's Claude models, with the facts in effect on ``at``."""
        ...


# --- our side -----------------------------------------------------------------------------------------


def our_facts(model: ModelInfo, table: PriceTable, at: date) -> dict[str, Value | None]:
    """Every fact of ``model`` on ``at`` under the cross-check's field names (None: we have none)."""
    facts: dict[str, Value | None] = {}
    entry = model.price_at(at)
    batch = model.batch and entry is not None and at >= table.batch.effective_from
    factor = table.batch.factor
    rated: list[tuple[str, Rates]] = []
    if entry is not None:
        rated.append(("", entry))
        rated += [(f"@{t.above_prompt_tokens}", t) for t in entry.tiers]
    for where, rates in rated:
        for kind, attr in _RATES:
            value: Decimal | None = getattr(rates, attr)
            key = kind if not where else tier_key(kind, int(where[1:]))
            facts[key] = value
            facts[f"batch {key}"] = value * factor if batch and value is not None else None
    fast = model.fast_mode_at(at)
    for kind, attr in _RATES:
        facts[f"fast {kind}"] = getattr(fast, attr) if fast is not None else None
    facts["context_window"] = model.context_window_at(at)
    facts["max_output"] = model.max_output
    facts["min_cacheable"] = model.min_cacheable_tokens
    facts["us_multiplier"] = table.data_residency.multiplier if model.us_data_residency else None
    facts["retired"] = model.retired
    facts["deprecated"] = model.is_retired(at) or (model.deprecated is not None and at >= model.deprecated)
    facts["replacement"] = model.replacement
    facts["model"] = "listed" if entry is not None else None
    return facts


def _api_names(model: ModelInfo) -> tuple[str, ...]:
    return (model.id, *model.snapshots, *model.aliases)


# --- comparing ----------------------------------------------------------------------------------------


class Allowance(BaseModel):
    """A reviewed, justified disagreement."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    source: str
    """``genai-prices``, ``litellm`` or ``*``."""
    model: str
    """Our model id, or the source's name for a model we do not have."""
    field: str
    """The field (as printed) or ``*``."""
    theirs: str | None = None
    """The source's value as printed; when given, the allowance lapses once the source changes it."""
    reason: str
    """Why the disagreement is right (cite the evidence)."""
    reviewed: date
    """When someone last checked the reason."""

    def covers(self, d: Disagreement) -> bool:
        """Whether this allowance covers ``d``."""
        return (
            self.source in ("*", d.source)
            and self.model in (d.model, d.their_name)
            and self.field in ("*", d.field)
            and (self.theirs is None or self.theirs == d.theirs)
        )


class _AllowFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    allow: list[Allowance] = []


@dataclass(frozen=True)
class Disagreement:
    """One fact on which our table and a source differ."""

    source: str
    model: str
    """Our model id (the source's name when we do not have the model)."""
    their_name: str
    field: str
    ours: str
    theirs: str
    allowed: Allowance | None = None
    """The allow-list entry that covers it, when the disagreement is a known one."""


@dataclass
class Report:
    """The outcome of a cross-check."""

    at: date
    pricing_version: str
    pricing_checked: date
    sources: list[str]
    compared: dict[str, int] = field(default_factory=dict)
    """Facts compared per source."""
    disagreements: list[Disagreement] = field(default_factory=list)
    unused: list[Allowance] = field(default_factory=list)
    """Allow-list entries that matched nothing (the source caught up, or the entry is stale)."""

    @property
    def failing(self) -> list[Disagreement]:
        """Disagreements the allow-list does not cover."""
        return [d for d in self.disagreements if d.allowed is None]

    @property
    def exit_code(self) -> int:
        """0 when everything agrees or is allowed, else 1."""
        return 1 if self.failing else 0


def _shown(value: Value | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _same(ours: Value | None, theirs: Value) -> bool:
    if ours is None:
        return False
    if isinstance(ours, Decimal | int) and isinstance(theirs, Decimal | int) and not isinstance(theirs, bool):
        return Decimal(ours) == Decimal(theirs)
    return ours == theirs


def crosscheck(
    table: PriceTable,
    sources: Sequence[PriceSource],
    *,
    at: date,
    allowances: Sequence[Allowance] = (),
) -> Report:
    """Compare ``table`` with every source on ``at``; known disagreements carry their allowance's reason."""
    report = Report(
        at=at,
        pricing_version=table.version,
        pricing_checked=table.checked,
        sources=[s.label for s in sources],
    )
    found: list[Disagreement] = []
    for source in sources:
        report.compared[source.label] = _compare_source(table, source, at, found)
    _allow(report, found, allowances)
    return report


def _compare_source(table: PriceTable, source: PriceSource, at: date, found: list[Disagreement]) -> int:
    """Every model ``source`` lists set against ours, and ours it does not list (disagreements added to
    ``found``); how many facts were compared."""
    seen: set[str] = set()
    count = 0
    for ext in sorted(source.models(at), key=lambda e: e.name):
        ours = [m for m in table.models if any(ext.matches(n) for n in _api_names(m))]
        if not ours:
            found.append(Disagreement(source.name, ext.name, ext.name, "model", "-", "listed"))
            continue
        for model in ours:
            seen.add(model.id)
            count += _compare_model(table, source, ext, model, at, found)
    for model in table.models:
        available = model.released <= at and not model.is_retired(at)
        if available and model.id not in seen:
            found.append(Disagreement(source.name, model.id, "-", "model", "listed", "-"))
    return count


def _compare_model(
    table: PriceTable,
    source: PriceSource,
    ext: ExternalModel,
    model: ModelInfo,
    at: date,
    found: list[Disagreement],
) -> int:
    """One of our models against the source's entry for it; how many of the source's facts were compared."""
    if model.price_at(at) is None:
        released = f"released {model.released.isoformat()}"
        found.append(Disagreement(source.name, model.id, ext.name, "model", released, "listed"))
        return 0
    facts = our_facts(model, table, at)
    for key, theirs in ext.facts.items():
        if not _same(facts.get(key), theirs):
            found.append(
                Disagreement(source.name, model.id, ext.name, key, _shown(facts.get(key)), _shown(theirs))
            )
    # a tier we have and the source does not state, where it states the base rate
    for key, value in facts.items():
        base = key.split(" (prompt >")[0]
        if value is not None and key != base and key not in ext.facts and base in ext.facts:
            found.append(Disagreement(source.name, model.id, ext.name, key, _shown(value), "-"))
    return len(ext.facts)


def _allow(report: Report, found: list[Disagreement], allowances: Sequence[Allowance]) -> None:
    """The disagreements into ``report``, each with the first allowance that covers it; the allowances
    that covered none listed as unused."""
    used: set[int] = set()
    for d in found:
        allowance = next((i for i, a in enumerate(allowances) if a.covers(d)), None)
        if allowance is not None:
            used.add(allowance)
            d = Disagreement(**{**d.__dict__, "allowed": allowances[allowance]})
        report.disagreements.append(d)
    report.unused = [a for i, a in enumerate(allowances) if i not in used]


def load_allowances(path: Path) -> list[Allowance]:
    """Read an allow-list file; a malformed one is a :class:`PricingDataError` naming the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PricingDataError(f"cannot read allow-list {str(path)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PricingDataError(f"{path}: not valid TOML: {exc}") from None
    try:
        return _AllowFile.model_validate(raw).allow
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PricingDataError(f"{path}: {where}: {first['msg']}") from None


# --- sources ------------------------------------------------------------------------------------------


class GenaiPricesSource:
    """pydantic's genai-prices package (its bundled snapshot; nothing is downloaded)."""

    name = "genai-prices"

    def __init__(self, provider: Any | None = None, version: str | None = None) -> None:
        """Read the installed package, or a given provider object (tests pass a small stand-in)."""
        if provider is None:
            try:
                import genai_prices
                from genai_prices import data_snapshot
            except ImportError:
                raise UsageError(
                    "genai-prices is not installed: pip install 'claude-quote[crosscheck]', "
                    "or leave it out with --no-genai-prices"
                ) from None
            provider = next(p for p in data_snapshot.get_snapshot().providers if p.id == "anthropic")
            version = genai_prices.__version__
        self._provider = provider
        self.label = f"genai-prices {version or '?'}"

    def models(self, at: date) -> list[ExternalModel]:
        stamp = datetime(at.year, at.month, at.day, 12, tzinfo=UTC)
        out = []
        for m in self._provider.models:
            facts: dict[str, Value] = {}
            _genai_rates(facts, "", m.get_prices(stamp))
            for variant in m.price_variants or ():
                if variant.constraint is not None and not variant.constraint.active(stamp):
                    continue
                prefix = {"processing": "batch ", "speed": "fast "}.get(next(iter(variant.when)))
                if prefix is not None and len(variant.when) == 1:
                    _genai_rates(facts, prefix, variant.prices)
            if m.context_window is not None:
                facts["context_window"] = m.context_window
            if m.deprecated is not None:
                facts["deprecated"] = bool(m.deprecated)
            out.append(ExternalModel(name=m.id, matches=m.is_match, facts=facts))
        return out


_GENAI_KEYS = {
    "input": "input_mtok",
    "output": "output_mtok",
    "cache_write_5m": "cache_write_mtok",
    "cache_write_1h": "cache_write_1h_mtok",
    "cache_read": "cache_read_mtok",
}


def _genai_rates(facts: dict[str, Value], prefix: str, prices: Any) -> None:
    for kind, attr in _GENAI_KEYS.items():
        value = getattr(prices, attr, None)
        if value is None:
            continue
        if hasattr(value, "tiers"):  # TieredPrices: base + [(start, price)], start exclusive as ours
            facts[prefix + kind] = Decimal(value.base)
            for tier in value.tiers:
                facts[prefix + tier_key(kind, int(tier.start))] = Decimal(tier.price)
        else:
            facts[prefix + kind] = Decimal(value)


_DATE_SUFFIX = re.compile(r"-\d{8}$")
_LITELLM_RATE = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_creation_input_token_cost": "cache_write_5m",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
    "cache_read_input_token_cost": "cache_read",
}
_LITELLM_KEY = re.compile(r"^(?P<base>[a-z0-9_]+?)(?:_above_(?P<k>\d+)k_tokens)?(?P<batch>_batches)?$")
_MTOK = Decimal(1_000_000)


class LitellmSource:
    """litellm's ``model_prices_and_context_window.json`` (rates per token; read as exact decimals)."""

    name = "litellm"

    def __init__(self, path: Path, version: str | None = None) -> None:
        """Read the file at ``path``; a missing or malformed file is a :class:`PricingDataError`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        except OSError as exc:
            raise PricingDataError(f"cannot read litellm price file {str(path)!r}: {exc.strerror}") from None
        except ValueError as exc:
            raise PricingDataError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise PricingDataError(f"{path}: expected a JSON object of models, got {type(data).__name__}")
        self._data: dict[str, Any] = data
        self.label = f"litellm {version}" if version else f"litellm ({path.name})"

    @classmethod
    def installed(cls) -> LitellmSource | None:
        """The copy inside an installed litellm package, found without importing litellm."""
        spec = importlib.util.find_spec("litellm")
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = Path(next(iter(spec.submodule_search_locations)))
        path = folder / "model_prices_and_context_window_backup.json"
        if not path.is_file():
            return None
        from importlib.metadata import version

        return cls(path, version("litellm"))

    def models(self, at: date) -> list[ExternalModel]:
        out = []
        for name, row in self._data.items():
            if not isinstance(row, dict) or row.get("litellm_provider") != "anthropic":
                continue
            out.append(ExternalModel(name=name, matches=_litellm_matcher(name), facts=_litellm_facts(row)))
        return out


def _litellm_matcher(name: str) -> Callable[[str], bool]:
    names = {name, _DATE_SUFFIX.sub("", name)}
    return lambda api_name: api_name in names


def _litellm_facts(row: dict[str, Any]) -> dict[str, Value]:
    facts: dict[str, Value] = {}
    for key, value in row.items():
        m = _LITELLM_KEY.match(key)
        if m is None or not isinstance(value, Decimal | int) or isinstance(value, bool):
            continue
        base = m["base"]
        kind = _LITELLM_RATE.get(base)
        if kind is None:
            continue
        name = tier_key(kind, int(m["k"]) * 1000) if m["k"] else kind
        facts[("batch " if m["batch"] else "") + name] = Decimal(value) * _MTOK
    for ours, theirs in (
        ("context_window", "max_input_tokens"),
        ("max_output", "max_output_tokens"),
        ("min_cacheable", "prompt_cache_min_tokens"),
    ):
        if isinstance(row.get(theirs), int):
            facts[ours] = row[theirs]
    extra = row.get("provider_specific_entry")
    if isinstance(extra, dict):
        if isinstance(extra.get("us"), Decimal | int):
            facts["us_multiplier"] = Decimal(extra["us"])
        if isinstance(extra.get("fast"), Decimal | int):
            for kind in ("input", "output"):
                rate = facts.get(kind)
                if isinstance(rate, Decimal):
                    facts[f"fast {kind}"] = rate * Decimal(extra["fast"])
    if isinstance(row.get("deprecation_date"), str):
        try:
            facts["retired"] = date.fromisoformat(row["deprecation_date"])
        except ValueError:
            facts["retired"] = row["deprecation_date"]
    if isinstance(row.get("successor_model"), str):
        facts["replacement"] = row["successor_model"]
    return facts


# --- output -------------------------------------------------------------------------------------------


def report_text(report: Report) -> str:
    """The report for a person (and for a GitHub issue body: it is plain text in a code block)."""
    lines = [
        f"Cross-check of price table {report.pricing_version} (checked {report.pricing_checked.isoformat()}) "
        f"on {report.at.isoformat()}",
    ]
    for label, count in report.compared.items():
        lines.append(f"  {label}: {count:,} facts compared")
    failing, allowed = report.failing, [d for d in report.disagreements if d.allowed]
    if failing:
        lines += ["", f"Disagreements ({len(failing)}):", *_rows(failing)]
    else:
        lines += ["", "No disagreements outside the allow-list."]
    if allowed:
        groups: dict[int, tuple[Allowance, int]] = {}
        for d in allowed:
            assert d.allowed is not None
            entry, count = groups.get(id(d.allowed), (d.allowed, 0))
            groups[id(d.allowed)] = (entry, count + 1)
        lines += ["", f"Allowed ({len(allowed)} disagreements, {len(groups)} allow-list entries):"]
        for entry, count in groups.values():
            text = f"{entry.source} {entry.model} {entry.field} ({count}): {entry.reason}"
            lines += textwrap.wrap(text, width=100, initial_indent="  ", subsequent_indent="      ")
    if report.unused:
        lines += [
            "",
            f"Allow-list entries that matched nothing ({len(report.unused)}; remove them if stale):",
        ]
        for a in report.unused:
            text = f"{a.source} {a.model} {a.field}: {a.reason}"
            lines += textwrap.wrap(text, width=100, initial_indent="  ", subsequent_indent="      ")
    return "\n".join(lines) + "\n"


def _rows(items: Sequence[Disagreement]) -> list[str]:
    heads = ("source", "model", "their name", "field", "ours", "theirs")
    cells = [
        (d.source, d.model, d.their_name if d.their_name != d.model else "", d.field, d.ours, d.theirs)
        for d in items
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(heads)]
    fmt = "  " + "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*heads).rstrip()]
    out += [fmt.format(*c).rstrip() for c in cells]
    return out


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON (exact decimal strings)."""
    return {
        "schema_version": 1,
        "kind": "crosscheck",
        "at": report.at.isoformat(),
        "pricing_version": report.pricing_version,
        "pricing_checked": report.pricing_checked.isoformat(),
        "sources": report.sources,
        "compared": report.compared,
        "disagreements": [
            {**d.__dict__, "allowed": d.allowed.reason if d.allowed else None} for d in report.disagreements
        ],
        "unused_allowances": [a.model_dump(mode="json") for a in report.unused],
        "exit_code": report.exit_code,
    }


# --- command line -------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m claude_quote.pricing.crosscheck``."""
    p = argparse.ArgumentParser(
        prog="python -m claude_quote.pricing.crosscheck",
        description="Compare the price table with genai-prices and litellm, field by field.",
    )
    p.add_argument("--at", help="date to compare on (YYYY-MM-DD; default today, UTC)")
    p.add_argument("--pricing", help="a price table file (default: the bundled one)")
    p.add_argument("--allow", help=f"the allow-list (default: {ALLOW_FILE} next to the bundled table)")
    p.add_argument("--no-genai-prices", action="store_true", help="do not compare with genai-prices")
    p.add_argument("--litellm", help="litellm's model_prices_and_context_window.json")
    p.add_argument("--no-litellm", action="store_true", help="do not compare with litellm")
    p.add_argument("--format", choices=("text", "json"), default="text")
    return p


def main(argv: Sequence[str] | None = None, *, sources: Sequence[PriceSource] | None = None) -> int:
    """Run the cross-check and print the report; return the exit status (0, 1 or 2).

    ``sources`` replaces the ones the options would pick (tests pass in-memory sources).
    """
    args = parser().parse_args(argv)
    try:
        at = _date(args.at) if args.at else datetime.now(UTC).date()
        table = load_pricing(args.pricing)
        allow_path = Path(args.allow) if args.allow else builtin_pricing_path().parent / ALLOW_FILE
        allowances = load_allowances(allow_path)
        chosen = list(sources) if sources is not None else _pick_sources(args)
        report = crosscheck(table, chosen, at=at, allowances=allowances)
    except ClaudeQuoteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(report_json(report), indent=2, default=str))
    else:
        print(report_text(report), end="")
    return report.exit_code


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at {text!r} is not a date; use YYYY-MM-DD") from None


def _pick_sources(args: argparse.Namespace) -> list[PriceSource]:
    chosen: list[PriceSource] = []
    if not args.no_genai_prices and importlib.util.find_spec("genai_prices") is not None:
        chosen.append(GenaiPricesSource())
    if args.litellm and args.no_litellm:
        raise UsageError("--litellm and --no-litellm contradict each other; give one")
    if args.litellm:
        chosen.append(LitellmSource(Path(args.litellm)))
    elif not args.no_litellm and (installed := LitellmSource.installed()) is not None:
        chosen.append(installed)
    if not chosen:
        raise UsageError(
            "nothing to compare with: pip install 'claude-quote[crosscheck]' (genai-prices) or give "
            "--litellm FILE (litellm's model_prices_and_context_window.json)"
        )
    return chosen


if __name__ == "__main__":  # pragma: no cover - exercised through main() in the tests
    raise SystemExit(main())
