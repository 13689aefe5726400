"""``palermo world``: generate a synthetic world."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from palermo.cli.common import console, errors

app = typer.Typer(help="The synthetic trafficking world.", no_args_is_help=True)


@app.command("generate")
def generate_command(
    persons: Annotated[int, typer.Option(min=1, help="How many true persons")] = 200,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes")] = 1,
    out: Annotated[Path, typer.Option(help="Output directory")] = Path("var/world"),
) -> None:
    """Write agencies.json, each agency's FtM file and the ground truth under OUT."""
    from palermo.world import generate

    with Progress(
        TextColumn("generating world"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
    ) as progress:
        task = progress.add_task("persons", total=persons)
        summary = generate(out, persons, seed, lambda n: progress.update(task, completed=n))
    records = sum(summary.records.values())
    console.print(
        f"{summary.persons:,} persons in {summary.networks:,} networks; "
        f"{records:,} agency records in {out}"
    )
