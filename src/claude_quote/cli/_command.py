"""The command class every ``claude-quote`` command uses: help that reads as words, and option values
that are not swallowed by a neighbouring option.

typer's own help shows an argument as ``{MODEL}`` in the usage line and ``MODEL <str>`` in the list,
and an option without a metavar as ``<int range>``; here an argument is ``MODEL`` (``[MODEL]`` when
optional), and every option that takes a value names it with a word (the commands give each one a
metavar; ``tests/test_cli_conventions.py`` checks every command's help).

An option that takes a value takes the next word, whatever it is: ``check --json --at 2026-11-25``
would write the JSON report to a file named ``--at``. :meth:`Command.parse_args` refuses that, naming
both options.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperCommand

__all__ = ["Command", "plain_wording"]

_PYDANTIC = (
    (re.compile(r"^Value error, "), ""),
    (re.compile(r"^Input should be greater than or equal to (\S+)$"), r"must be \1 or more"),
    (re.compile(r"^Input should be greater than (\S+)$"), r"must be more than \1"),
    (re.compile(r"^Input should be less than or equal to (\S+)$"), r"must be \1 or less"),
    (re.compile(r"^Input should be a valid integer.*$"), "must be a whole number"),
    (re.compile(r"^Input should be a valid number.*$"), "must be a number"),
    (re.compile(r"^Input should be "), "must be "),
)


def plain_wording(message: str) -> str:
    """A validation message without pydantic's phrasing (a last guard: our parsers word their own).

    >>> plain_wording("Input should be greater than or equal to 1")
    'must be 1 or more'
    >>> plain_wording("Value error, 'x' is not one of 'a', 'b'.")
    "'x' is not one of 'a', 'b'."
    """
    for pattern, replacement in _PYDANTIC:
        message = pattern.sub(replacement, message)
    return message


def _argument_name(param: Any) -> str:
    name = str(param.metavar or param.name.upper())
    if name.startswith("[") and name.endswith("]"):  # the usage line adds the brackets of an optional one
        name = name[1:-1]
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name


class Command(TyperCommand):
    """A typer command with plain help and a guard against an option value that is another option."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments = [
            (_argument_name(p), getattr(p, "help", None) or "")
            for p in self.get_params(ctx)
            if p.param_type_name == "argument" and not getattr(p, "hidden", False)
        ]
        options = [
            record
            for p in self.get_params(ctx)
            if p.param_type_name == "option" and (record := p.get_help_record(ctx)) is not None
        ]
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        self._refuse_swallowed_options(ctx, args)
        try:
            return super().parse_args(ctx, args)
        except typer.BadParameter as exc:
            exc.message = plain_wording(exc.message)
            raise

    def _refuse_swallowed_options(self, ctx: typer.Context, args: list[str]) -> None:
        """``--json --at DAY``: an option that takes a value followed by another option of the command."""
        takes_value: dict[str, str] = {}
        known = set(ctx.help_option_names)
        for param in self.get_params(ctx):
            if param.param_type_name != "option":
                continue
            names = [*param.opts, *param.secondary_opts]
            known.update(names)
            if not getattr(param, "is_flag", False) and not getattr(param, "count", False):
                for name in names:
                    takes_value[name] = str(param.metavar or "VALUE")
        position = 0
        while position < len(args):
            word = args[position]
            if word == "--":
                return
            if word in takes_value:
                following = args[position + 1] if position + 1 < len(args) else None
                if following is not None and following.split("=", 1)[0] in known:
                    metavar = takes_value[word]
                    ctx.fail(
                        f"{word} takes a value ({metavar}), but the next word is the option {following}; "
                        f"write {word} {metavar} before or after it"
                    )
                position += 2
            else:
                position += 1
