"""The ``claude-quote`` command line: thin wrappers that parse, call the library, render, exit."""

from __future__ import annotations

import typer

from .estimate import estimate_command
from .models import models
from .price import price

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
app.command("estimate")(estimate_command)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Show the version and exit.", is_eager=True),
) -> None:
    if version:
        from claude_quote._version import __version__

        typer.echo(f"claude-quote {__version__}")
        raise typer.Exit()


def main() -> None:
    """Console-script entry point."""
    app()
