"""The ``claude-quote`` command line: thin wrappers that parse, call the library, render, exit."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from ._command import Command
from .calibrate import calibrate_command
from .check import check_command
from .estimate import estimate_command
from .models import models
from .plan import plan_command
from .price import price
from .project import project_command
from .reconcile import reconcile

__all__ = ["COMMANDS", "app", "main"]


def _show_version(value: bool) -> None:
    if value:
        from claude_quote._version import __version__

        typer.echo(f"claude-quote {__version__}")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", help="Show the version and exit.", is_eager=True, callback=_show_version),
    ] = False,
) -> None:
    """What Claude API work will cost before you run it, and what it did cost after."""
    if ctx.invoked_subcommand is None:  # bare `claude-quote`: the help, and success
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


COMMANDS: dict[str, Callable[..., None]] = {
    "price": price,
    "models": models,
    "estimate": estimate_command,
    "project": project_command,
    "reconcile": reconcile,
    "calibrate": calibrate_command,
    "plan": plan_command,
    "check": check_command,
}
"""Every command, in the order ``--help`` lists them."""


def _app(commands: dict[str, Callable[..., None]]) -> typer.Typer:
    application = typer.Typer(
        name="claude-quote",
        help="What Claude API work will cost before you run it, and what it did cost after.",
        invoke_without_command=True,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    application.callback()(_root)
    for name, function in commands.items():
        application.command(name, cls=Command)(function)
    return application


app = _app(COMMANDS)
"""The whole command line (tests invoke it in-process with typer's CliRunner)."""


def main() -> None:
    """Console-script entry point.

    typer turns every parameter of every command into a click parameter before it runs any; when argv
    names a command, only that one is built (a visible share of a ``price`` start-up).
    """
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    (_app({name: COMMANDS[name]}) if name in COMMANDS else app)()
