"""The ``check`` config: workloads, budgets and a staleness policy, from ``claude-quote.toml`` or
``[tool.claude-quote]`` in ``pyproject.toml``.

The file format is versioned (``schema_version = 1``) and published as a JSON Schema,
``docs/config.schema.json`` (``python -m claude_quote.config_schema`` regenerates it). Paths in the file
are relative to the file's directory. Every key is documented in ``docs/config.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from claude_quote.budget import Budgets, Limits
from claude_quote.errors import ConfigError
from claude_quote.money import MAX_PLACES, to_decimal
from claude_quote.validation import read_toml, validate
from claude_quote.workload_spec import Per, Requests, Tokens, TokensPerRequest

if TYPE_CHECKING:
    from claude_quote.estimate import EstimateOptions

__all__ = [
    "CONFIG_FILE",
    "Config",
    "PricingPolicy",
    "WorkloadConfig",
    "find_config",
    "load_config",
]

CONFIG_FILE = "claude-quote.toml"
"""The standalone config file name, looked for in the working directory."""


def _decimal(value: object) -> Decimal:
    return to_decimal(value, what="an amount", places=MAX_PLACES)


Usd = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0)]
Percent = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100)]
Share = Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=1)]
Factor = Annotated[Decimal, BeforeValidator(_decimal), Field(gt=0)]


class _Model(BaseModel):
    # Attribute docstrings document the fields; schemas.py copies them into the JSON Schema (reading them
    # here with use_attribute_docstrings=True parses the module's source at every start-up).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class PricingPolicy(_Model):
    """Which price table to use and how old it may be."""

    file: str | None = None
    """A custom price table (negotiated rates); default: the bundled one. ``--pricing`` overrides it."""
    max_age_days: int | None = Field(default=None, ge=0)
    """The table's ``checked`` date may be at most this many days before the check's date."""
    on_stale: Literal["warn", "fail"] = "warn"
    """``warn``: report it; ``fail``: exit 3, because the figures can't be trusted."""


class BudgetConfig(_Model):
    """Limits on all workloads together."""

    monthly: Usd | None = None
    """Maximum monthly cost of all workloads (USD)."""
    max_increase: Usd | None = None
    """Maximum increase of the total monthly cost against ``--baseline`` (USD)."""
    max_increase_percent: Decimal | None = Field(default=None, ge=0)
    """Maximum increase of the total monthly cost against ``--baseline`` (percent)."""
    statistic: Literal["expected", "worst_case"] = "expected"
    """Which figure the limits apply to: ``expected``, or ``worst_case`` (every request uses its
    ``max_tokens``, no cache hits)."""

    def to_budgets(self) -> Budgets:
        """The limits as the budget checker takes them."""
        return Budgets(
            monthly=self.monthly,
            max_increase=self.max_increase,
            max_increase_percent=self.max_increase_percent,
            statistic=self.statistic,
        )


class WorkloadConfig(_Model):
    """One ``[[workloads]]`` table: what runs, how often, and its own limits.

    A workload has either ``tokens`` (one request's token counts) or ``source`` (files of requests,
    texts or tables that ``claude-quote estimate`` reads).
    """

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """Unique label in reports (letters, digits, ``.``, ``_``, ``-``)."""
    mode: Literal["realtime", "batch"] = "realtime"
    """How the workload runs; its billed cost is this mode's."""
    model: str | None = None
    """Model name (API id, short name or family). Required with ``tokens``, texts and tables; a batch
    request file names its models itself (this then overrides them)."""
    tokens: TokensPerRequest | None = None
    """Tokens of ONE request (``{ input = "2k", output = 500, cache_read = "8k" }``)."""
    max_tokens: Tokens | None = None
    """Output limit per request: the worst case (with ``tokens``) or for texts and tables."""
    source: str | list[str] | None = None
    """Files of requests to estimate: Message Batches JSONL, request JSON, CSV/Parquet/JSONL tables,
    text files, directories or globs (relative to the config file)."""
    template: str | None = None
    """Prompt template for text files and text columns (``{text}`` is the text)."""
    text_column: str | None = None
    """A table's text column."""
    output_tokens: Tokens | None = None
    """Expected output tokens per request of a ``source`` (default: the estimator's policy)."""
    output_ratio: Factor | None = None
    """Expected output as a multiple of each request's prompt tokens."""
    calibration: str | None = None
    """A calibration file written by ``claude-quote calibrate``."""
    token_factor: Factor | None = None
    """Claude tokens per tiktoken token, overriding the per-model default."""
    cache_hit_rate: Share | None = None
    """Share of possible cache reads that hit (default: the estimator's)."""
    geo: Literal["global", "us"] | None = None
    """``us``: US-only inference (×1.1, Claude 4.6 and later); ``global``: without. Omitted: global for
    ``tokens``, as each request says for a ``source``."""
    fast: bool | None = None
    """Fast mode (fast-mode rates, real time only). Omitted: off for ``tokens``, as each request says
    for a ``source``."""
    requests: Requests | None = None
    """Requests per ``per``. Required with ``tokens``; for a ``source``, default: the source's own
    request count, once a month."""
    per: Per = "month"
    """The unit of ``requests``: ``day``, ``week`` or ``month`` (a month is 30.4375 days)."""
    monthly_budget: Usd | None = None
    """Maximum monthly cost of this workload (USD)."""
    max_request_cost: Usd | None = None
    """Maximum cost of one request (USD; for a ``source``, its average request)."""
    min_batch_savings_percent: Percent | None = None
    """Batch must save at least this percentage against real time."""

    @model_validator(mode="after")
    def _one_source(self) -> WorkloadConfig:
        if (self.tokens is None) == (self.source is None):
            raise ValueError("give exactly one of `tokens` (one request's token counts) or `source` (files)")
        if self.tokens is not None:
            if self.model is None:
                raise ValueError("`model` is required with `tokens`")
            if self.requests is None:
                raise ValueError("`requests` is required with `tokens` (requests per `per`)")
            file_only = (
                "template",
                "text_column",
                "output_tokens",
                "output_ratio",
                "calibration",
                "token_factor",
            )
            given = [k for k in file_only if getattr(self, k) is not None]
            if given:
                raise ValueError(
                    f"{', '.join(given)} only apply to a `source`; with `tokens` give the counts"
                )
        if self.output_tokens is not None and self.output_ratio is not None:
            raise ValueError("give either `output_tokens` or `output_ratio`, not both")
        return self

    @property
    def sources(self) -> list[str]:
        """``source`` as a list."""
        if self.source is None:
            return []
        return [self.source] if isinstance(self.source, str) else list(self.source)

    def estimate_options(self, base: Path) -> EstimateOptions:
        """How ``claude-quote estimate`` reads this workload's ``source`` (paths relative to ``base``)."""
        from claude_quote.estimate import EstimateOptions

        return EstimateOptions(
            model=self.model,
            output_tokens=self.output_tokens,
            output_ratio=self.output_ratio,
            template=self.template,
            max_tokens=self.max_tokens,
            text_column=self.text_column,
            calibration=None if self.calibration is None else base / self.calibration,
            token_factor=self.token_factor,
            cache_hit_rate=self.cache_hit_rate,
            geo=self.geo,
            fast=self.fast,
        )

    def limits(self) -> Limits:
        """This workload's limits as the budget checker takes them."""
        return Limits(
            monthly=self.monthly_budget,
            per_request=self.max_request_cost,
            min_batch_savings_percent=self.min_batch_savings_percent,
        )


class Config(_Model):
    """A ``check`` config file."""

    schema_version: Literal[1]
    """Version of this file format: 1."""
    pricing: PricingPolicy = PricingPolicy()
    """The price table and its staleness policy (``[pricing]``)."""
    budgets: BudgetConfig = BudgetConfig()
    """Limits on all workloads together (``[budgets]``)."""
    workloads: tuple[WorkloadConfig, ...]
    """The workloads, one ``[[workloads]]`` table each; names must be unique."""

    @model_validator(mode="after")
    def _unique(self) -> Config:
        if not self.workloads:
            raise ValueError("at least one [[workloads]] table is required")
        seen: set[str] = set()
        for w in self.workloads:
            if w.name in seen:
                raise ValueError(f"workload name {w.name!r} is used twice; names must be unique")
            seen.add(w.name)
        return self


def _config_in(directory: Path) -> tuple[Path, dict[str, Any]] | None:
    standalone = directory / CONFIG_FILE
    if standalone.is_file():
        return standalone, read_toml(standalone, what="config")
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        document = read_toml(pyproject, what="config")
        if "claude-quote" in document.get("tool", {}):
            return pyproject, document
    return None


def _is_repository_root(directory: Path) -> bool:
    return any((directory / marker).exists() for marker in (".git", ".hg"))


def repository_root(start: Path | None = None) -> Path | None:
    """The repository ``start`` (default: the working directory) is in: the nearest directory holding
    ``.git`` (or ``.hg``), or None outside a repository."""
    here = (start or Path.cwd()).resolve()
    return next((folder for folder in (here, *here.parents) if _is_repository_root(folder)), None)


def shown_path(path: Path, env: Mapping[str, str] | None = None) -> str:
    """``path`` as a pull request shows it: relative to the repository's root (``$GITHUB_WORKSPACE``
    under GitHub Actions), else to the working directory, else as given."""
    import os

    workspace = (os.environ if env is None else env).get("GITHUB_WORKSPACE")
    bases = [Path(workspace)] if workspace else []
    root = repository_root()
    bases += [*([root] if root else []), Path.cwd()]
    absolute = path.resolve()
    for base in bases:
        try:
            return absolute.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)


_TABLE = re.compile(r"^\s*\[\[?\s*([\w.\"-]+?)\s*\]\]?\s*(?:#.*)?$")
_NAME = re.compile(r"""^\s*name\s*=\s*["']([^"']*)["']""")


def config_lines(path: Path) -> dict[str, int]:
    """Where things are in a config file, for annotations: each workload's ``name`` line (by name), the
    ``[budgets]`` table (under ``""``) and ``[pricing]`` (under ``"[pricing]"``); empty if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header:
            table = header[1].replace('"', "").removeprefix("tool.claude-quote.")
            if table in ("budgets", "pricing"):
                found.setdefault("" if table == "budgets" else "[pricing]", number)
            continue
        name = _NAME.match(line)
        if name and table == "workloads":
            found.setdefault(name[1], number)
    return found


def find_config(directory: Path) -> tuple[Path, dict[str, Any]]:
    """``claude-quote.toml``, else a ``pyproject.toml`` with ``[tool.claude-quote]``, in ``directory`` or
    the nearest directory above it, up to the repository's root (the directory holding ``.git``) or the
    file system's root, as ruff and pytest look for their settings.

    Returns the path and its parsed contents. Raises ConfigError naming where it looked when none is found.
    """
    start = directory.resolve()
    for folder in (start, *start.parents):
        found = _config_in(folder)
        if found is not None:
            return found
        if _is_repository_root(folder):
            break
    where = (
        repr(str(directory)) if folder == start else f"{str(directory)!r} or above it up to {str(folder)!r}"
    )
    raise ConfigError(
        f"no config found: create {CONFIG_FILE} or a [tool.claude-quote] table in pyproject.toml in "
        f"{where}, or pass --config FILE (docs/config.md)"
    )


def load_config(path: str | Path | None = None, *, directory: Path | None = None) -> tuple[Config, Path]:
    """Read and validate a config; returns it with the file it came from.

    ``path`` may be a ``claude-quote.toml`` or a ``pyproject.toml`` (its ``[tool.claude-quote]`` table).
    With no path, :func:`find_config` looks in ``directory`` (default: the working directory) and the
    directories above it, up to the repository's root.

    Raises:
        ConfigError: missing, not TOML, or invalid; the message names the file and the key.
    """
    if path is None:
        file, raw = find_config(directory or Path.cwd())
    else:
        file = Path(path)
        raw = read_toml(file, what="config")
    prefix = ""
    if file.name == "pyproject.toml":
        raw = raw.get("tool", {}).get("claude-quote")
        prefix = "tool.claude-quote."
        if not isinstance(raw, dict):
            raise ConfigError(f"{file}: no [tool.claude-quote] table")
    _refuse_spec_keys(raw, file, prefix)
    return validate(Config, raw, origin=str(file), prefix=prefix), file


_SPEC_ONLY = ("growth_percent", "batch_share")
"""Keys of a workload spec (``project --spec``) that a check config has no use for."""


def _refuse_spec_keys(raw: dict[str, Any], file: Path, prefix: str) -> None:
    """A workload spec given to ``check`` (or its keys in a check config): say what each file is for."""
    workloads = raw.get("workloads")
    if not isinstance(workloads, list):
        return
    found = [
        f"{prefix}workloads[{i}] ({w.get('name')}).{key}"
        for i, w in enumerate(workloads)
        if isinstance(w, dict)
        for key in _SPEC_ONLY
        if key in w
    ]
    if found:
        raise ConfigError(
            f"{file}: {', '.join(found)}: growth and a batch share are keys of a workload spec for "
            "`claude-quote project --spec`, not of a check config: check prices one average month of "
            "each workload, in the mode it names, against its budgets (docs/config.md, 'check and project')"
        )
