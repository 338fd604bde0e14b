"""The `selfmod` command line."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from selfmod.demo import run_demo

app = typer.Typer(help="Turn an agent's reflections into tested, audited fixes of its own code.", no_args_is_help=True)


@app.callback()
def _root() -> None:
    """selfmod command line."""


@app.command()
def demo(
    keep: Annotated[Path | None, typer.Option(help="Create the sample project here instead of a temp folder.")] = None,
) -> None:
    """Create a sample agent project with a seeded bug and show selfmod repairing it."""
    console = Console()
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        raise typer.Exit(run_demo(keep, console))
    with tempfile.TemporaryDirectory(prefix="selfmod-demo-") as tmp:
        raise typer.Exit(run_demo(Path(tmp), console))


def main() -> None:
    """Console-script entry point."""
    app()
