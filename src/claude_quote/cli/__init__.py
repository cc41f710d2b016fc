"""The ``claude-quote`` command line: thin wrappers that parse, call the library, render, exit."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._command import Command

if TYPE_CHECKING:
    app: typer.Typer

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


_COMMANDS: dict[str, tuple[str, str]] = {
    "price": ("price", "price"),
    "models": ("models", "models"),
    "estimate": ("estimate", "estimate_command"),
    "project": ("project", "project_command"),
    "reconcile": ("reconcile", "reconcile"),
    "calibrate": ("calibrate", "calibrate_command"),
    "plan": ("plan", "plan_command"),
    "check": ("check", "check_command"),
}
"""Every command (its module here and its function), in the order ``--help`` lists them. A command's
module is imported only when that command runs (or ``--help`` lists them all)."""


def _command(name: str) -> Callable[..., None]:
    module, function = _COMMANDS[name]
    found: Callable[..., None] = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return found


def _app(names: list[str]) -> typer.Typer:
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
    for name in names:
        application.command(name, cls=Command)(_command(name))
    return application


def __getattr__(name: str) -> Any:
    """``app``, the whole command line (tests invoke it in-process with typer's CliRunner), and
    ``COMMANDS`` (name → function), made on first use."""
    if name == "app":
        application = _app(list(_COMMANDS))
        globals()["app"] = application
        return application
    if name == "COMMANDS":
        return {command: _command(command) for command in _COMMANDS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point.

    typer turns every parameter of every command into a click parameter before it runs any; when argv
    names a command, only that one is built, and only its module imported (a visible share of a
    ``price`` start-up).
    """
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    (_app([name]) if name in _COMMANDS else _app(list(_COMMANDS)))()
