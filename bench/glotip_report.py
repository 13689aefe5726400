"""The 2024 Global Report's headline figures recomputed from the open GLOTIP export.

    .venv/bin/python bench/glotip_report.py

For each figure: the value UNODC published, palermo's value by the Report's method
(`palermo.analysis.glotip_method`), the difference, whether it meets issue 20's target (2
points for a share, 5 % relative for a change), and what the obvious sum over every country
gives (what palermo printed before). Reads ../shared/data/glotip/data_glotip.xlsx in place.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.table import Table

from palermo.analysis.glotip_method import FIGURE_COLUMNS, figure_rows, headline_figures
from palermo.datasets.glotip import load_glotip
from palermo.datasets.paths import shared_data_dir


def main() -> int:
    path = shared_data_dir() / "glotip" / "data_glotip.xlsx"
    if not path.exists():
        print(f"{path} is missing: the GLOTIP export is needed (see ../shared/data/README.md)")
        return 1
    started = time.perf_counter()
    records = list(load_glotip(path))
    loaded = time.perf_counter() - started
    figures = headline_figures(records)
    table = Table(title=f"Global Report 2024 headline figures from {path.name}")
    for column in FIGURE_COLUMNS:
        table.add_column(column, overflow="fold")
    for row in figure_rows(figures):
        table.add_row(*row)
    console = Console(width=200)
    console.print(table)
    met = sum(1 for f in figures if f.within_target)
    scored = sum(1 for f in figures if f.within_target is not None)
    console.print(
        f"{len(records):,} rows loaded in {loaded:.1f} s; {met} of {scored} reproducible "
        f"figures within target; {len(figures) - scored} not reproducible from the export"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
