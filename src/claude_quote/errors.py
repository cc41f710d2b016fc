"""Every error claude-quote raises on purpose.

The hierarchy, with the built-in each class also subclasses so callers can catch either::

    ClaudeQuoteError                         (Exception)
    ├── UnknownModelError                    (LookupError)   a name matches no model in the table
    ├── PriceNotAvailableError               (LookupError)   the model exists but has no price for what was asked
    ├── PricingDataError                     (ValueError)    a pricing table file is malformed or breaks an invariant
    ├── UsageError                           (ValueError)    a token count or option is invalid
    ├── WorkloadError                        (ValueError)    an input file (requests, results, table) is invalid
    │   └── NotTextError                                         a file read as text is binary or not in its encoding
    ├── ConfigError                          (ValueError)    a claude-quote config file is invalid
    ├── TokenizerUnavailableError            (RuntimeError)  no offline tokenizer data could be loaded
    └── ExactCountError                      (RuntimeError)  count_tokens is unavailable or kept failing

Each carries ``exit_code`` (2 for all of these: bad input) which the CLI uses, and a message that quotes
the offending value and says what to do. A budget that is exceeded is a result, not an error: ``check``
reports it and exits 1.

>>> from claude_quote import UnknownModelError, quote, Usage
>>> try:
...     quote(Usage(input_tokens=1), "sonet-4.6")
... except LookupError as exc:
...     print(exc)
unknown model 'sonet-4.6'; did you mean 'sonnet-4.6', 'sonnet-4.5' or 'sonnet-4'? Run `claude-quote models --all` to list every model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ClaudeQuoteError",
    "ConfigError",
    "ExactCountError",
    "NotTextError",
    "PriceNotAvailableError",
    "PricingDataError",
    "TokenizerUnavailableError",
    "UnknownModelError",
    "UsageError",
    "WorkloadError",
    "invalid_fields",
    "plain_message",
]


class ClaudeQuoteError(Exception):
    """Base class of every error claude-quote raises on purpose."""

    exit_code: int = 2


class UnknownModelError(ClaudeQuoteError, LookupError):
    """A model name matched nothing in the price table. Never priced as $0."""

    def __init__(self, name: str, suggestions: list[str], *, table: str | None = None) -> None:
        self.name = name
        self.suggestions = suggestions
        self.table = table
        """The custom price table searched (its file), when it was not the bundled one."""
        where = "" if table is None else f" in the price table {table}"
        if suggestions:
            quoted = [repr(s) for s in suggestions]
            hint = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
            did_you_mean = f"{where}; did you mean {hint}?"
        else:
            did_you_mean = f"{where}."
        super().__init__(
            f"unknown model {name!r}{did_you_mean} Run `claude-quote models --all` to list every model."
        )

    def __str__(self) -> str:
        return str(self.args[0])


class PriceNotAvailableError(ClaudeQuoteError, LookupError):
    """The model is known but has no price for the date, mode or option asked for."""

    def __str__(self) -> str:
        return str(self.args[0])


class PricingDataError(ClaudeQuoteError, ValueError):
    """A pricing table is malformed or breaks an invariant; the message names the file and field."""


class UsageError(ClaudeQuoteError, ValueError):
    """A token count, request count or option is invalid; the message quotes the value.

    ``field`` names the option in library terms (``output_tokens``); the command line shows the same
    message with its flag instead (:meth:`in_terms_of`).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)

    def in_terms_of(self, names: Mapping[str, str]) -> str:
        """The message with every option named in library terms replaced by ``names[option]``.

        >>> UsageError("output_tokens must be 0 or more, got -1", field="output_tokens").in_terms_of(
        ...     {"output_tokens": "--output-tokens"})
        '--output-tokens must be 0 or more, got -1'
        """
        import re

        text = str(self)
        for name, shown in names.items():
            text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", shown, text)
        return text


class WorkloadError(ClaudeQuoteError, ValueError):
    """An input file is invalid; the message names the file and line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        """What is wrong, without the file and line (the text of the error has them in front)."""
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)


class NotTextError(WorkloadError):
    """A file read as text is binary, or not text in the encoding given (a directory estimate skips it)."""


class ConfigError(ClaudeQuoteError, ValueError):
    """A claude-quote config file is invalid; the message names the file and key."""


class TokenizerUnavailableError(ClaudeQuoteError, RuntimeError):
    """No offline tokenizer data could be loaded; the message says how to install it."""


class ExactCountError(ClaudeQuoteError, RuntimeError):
    """Exact counting is unavailable (no SDK, no key) or count_tokens failed; the message says what to do."""


_PLAIN = {
    "greater_than_equal": "must be {ge} or more",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be {le} or less",
    "less_than": "must be less than {lt}",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "decimal_type": "must be a decimal number",
    "decimal_parsing": "must be a decimal number",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "literal_error": "must be {expected}",
    "enum": "must be {expected}",
    "missing": "missing (required)",
    "extra_forbidden": "is not a field here",
    "date_type": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "dict_type": "must be a table of keys and values",
    "list_type": "must be a list",
}


def plain_message(error: Mapping[str, Any]) -> str:
    """One validation problem (an item of pydantic's ``ValidationError.errors()``) in plain words.

    >>> plain_message({"type": "greater_than_equal", "msg": "Input should be greater than or equal to 0",
    ...                "ctx": {"ge": 0}})
    'must be 0 or more'
    >>> plain_message({"type": "value_error", "msg": "Value error, 'x' is not a model"})
    "'x' is not a model"
    """
    template = _PLAIN.get(str(error.get("type")))
    context = error.get("ctx") or {}
    if template is not None:
        try:
            return template.format(**context)
        except (KeyError, IndexError):
            pass
    message = str(error.get("msg", ""))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return re.sub(r"^Input should be ", "must be ", message)


def invalid_fields(errors: Sequence[Mapping[str, Any]]) -> str:
    """``field: plain message (got value)`` for each problem, joined with ``; ``."""
    out = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ())) or "value"
        message = plain_message(error)
        shown = ""
        if error.get("type") not in ("missing", "extra_forbidden") and "input" in error:
            value = error["input"]
            if not isinstance(value, dict | list | tuple):
                shown = f" (got {value})" if type(value).__name__ == "Decimal" else f" (got {value!r})"
        out.append(
            f"{where} {message}{shown}"
            if message.startswith(("must", "is "))
            else f"{where}: {message}{shown}"
        )
    return "; ".join(out)
