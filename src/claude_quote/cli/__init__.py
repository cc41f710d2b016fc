"""The ``claude-quote`` command line: thin wrappers that parse, call the library, render, exit."""

from __future__ import annotations

from typing import Annotated

import typer

from .estimate import estimate_command
from .models import models
from .price import price
from .project import project_command
from .reconcile import reconcile

__all__ = ["app", "main"]

app = typer.Typer(
    name="claude-quote",
    help="What Claude API work will cost before you run it, and what it did cost after.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("price")(price)
app.command("models")(models)
app.command("reconcile")(reconcile)
app.command("project")(project_command)
app.command("estimate")(estimate_command)


def _show_version(value: bool) -> None:
    if value:
        from claude_quote._version import __version__

        typer.echo(f"claude-quote {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Show the version and exit.", is_eager=True, callback=_show_version),
    ] = False,
) -> None:
    """What Claude API work will cost before you run it, and what it did cost after."""


def main() -> None:
    """Console-script entry point."""
    app()
