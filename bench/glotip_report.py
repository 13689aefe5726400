"""The 2024 Global Report's headline figures recomputed from the open GLOTIP export.

    .venv/bin/python bench/glotip_report.py

For each figure: the value UNODC published, palermo's value by the default rule set
(`palermo.analysis.glotip_method.DEFAULT_RULES`), the difference, whether it meets issue 20's
target (2 points for a share, 5 % relative for a change), and what the obvious sum over every
country gives (what palermo printed before). Then one table of rule sets: the default, each
set that changes one of its rules (how that rule moves each figure), and the best five of all
864 combinations by `miss` (mean distance in units of the target, over all reproducible
figures at once: a rule is never chosen per figure). Between the two, for each trend that
misses, the national counts it hangs on (`gm.pivotal`: evidence, not a rule). Reads
../shared/data/glotip/data_glotip.xlsx in place.
"""

from __future__ import annotations

import os
import sys
import time

from rich.console import Console
from rich.table import Table

from palermo.analysis import glotip_method as gm
from palermo.datasets.glotip import load_glotip
from palermo.datasets.paths import shared_data_dir


def figure_table(figures: list[gm.Figure], title: str) -> Table:
    table = Table(title=title)
    for column in gm.FIGURE_COLUMNS:
        table.add_column(column, overflow="fold")
    for row in gm.figure_rows(figures):
        table.add_row(*row)
    return table


def rules_table(series: gm.Series) -> tuple[Table, int]:
    """Rule sets as rows, figures as columns; returns the table and how many sets were run."""
    variants = gm.one_change_rule_sets()
    ranked = gm.rank_rule_sets(series)
    rows = [(name, gm.miss(figs := gm.headline_figures(series, rules)), rules, figs)
            for name, rules in variants]  # fmt: skip
    rows += [(f"best #{i + 1} of {len(ranked)}", score, rules, figs)
             for i, (score, rules, figs) in enumerate(ranked[:5])]  # fmt: skip
    table = Table(title="Rule sets: each figure under each set (miss: mean |gap| / target)")
    table.add_column("rule set", overflow="fold")
    table.add_column("rules", overflow="fold", min_width=60)
    table.add_column("miss", justify="right")
    shown = [f for f in rows[0][3] if f.value is not None]
    for f in shown:
        table.add_column(f"{f.name} ({f.published:g})", justify="right", overflow="fold")
    for name, score, rules, figs in rows:
        values = [f"{f.value:+.1f}" if f.unit == "% change" else f"{f.value:.1f}"
                  for f in figs if f.value is not None]  # fmt: skip
        table.add_row(name, rules.label, f"{score:.2f}", *values)
    return table, len(ranked)


TRENDS = {  # the trend figures, by name: the series and years each compares
    "detected victims 2022 vs 2019": (gm.TOTAL, 2019),
    "detected victims 2022 vs 2020": (gm.TOTAL, 2020),
    "forced-labour victims 2022 vs 2019": (gm.FORMS["Forced labour"], 2019),
    "child victims 2022 vs 2019": (gm.CHILDREN, 2019),
    "girls 2022 vs 2019": (gm.GIRLS, 2019),
}


def pivot_table(series: gm.Series, figures: list[gm.Figure]) -> Table:
    """For each trend that misses: the three countries whose own counts move it most
    (`gm.pivotal`), each with the trend without it. Evidence for why a figure misses, not a
    rule: no figure is computed with a country left out because of this table."""
    table = Table(title="Trends that miss: the national counts each hangs on (default rules)")
    for column in ("figure", "published", "palermo", "country", "count then -> 2022",
                   "palermo without it"):  # fmt: skip
        table.add_column(column)
    for f in figures:
        if f.name not in TRENDS or f.within_target is not False or f.value is None:
            continue
        key, start = TRENDS[f.name]
        for i, p in enumerate(gm.pivotal(series.rows(key), key, start, 2022)):
            head = [f.name, f"{f.published:+.1f}%", f"{f.value:+.1f}%"] if i == 0 else [""] * 3
            table.add_row(*head, p.iso3, f"{p.before:,.0f} -> {p.after:,.0f}",
                          f"{p.without:+.1f}%")  # fmt: skip
    return table


def main() -> int:
    path = shared_data_dir() / "glotip" / "data_glotip.xlsx"
    if not path.exists():
        print(f"{path} is missing: the GLOTIP export is needed (see ../shared/data/README.md)")
        return 1
    started = time.perf_counter()
    records = list(load_glotip(path))
    loaded = time.perf_counter() - started
    series = gm.Series(records)
    figures = gm.headline_figures(series)
    console = Console(width=300)
    console.print(figure_table(figures, f"Global Report 2024 headline figures from {path.name}"))
    met = sum(1 for f in figures if f.within_target)
    scored = sum(1 for f in figures if f.within_target is not None)
    console.print(
        f"default rules: {gm.DEFAULT_RULES.label}\n{met} of {scored} reproducible figures "
        f"within target; {len(figures) - scored} not reproducible from the export"
    )
    console.print(pivot_table(series, figures))
    started = time.perf_counter()
    table, runs = rules_table(series)
    console.print(table)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    console.print(
        f"{len(records):,} rows loaded in {loaded:.1f} s; {runs} rule sets in "
        f"{time.perf_counter() - started:.1f} s; load average {load}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
