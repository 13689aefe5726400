"""World generator benchmark: persons/second and peak memory by world size.

    .venv/bin/python bench/world.py                     # 10k, 100k, 1M persons
    .venv/bin/python bench/world.py --sizes 10000,100000

Each size runs in a fresh process so peak RSS is that run's own; memory should stay flat
as the world grows (the generator streams network by network).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

CHILD = """
import json, resource, sys, time
from pathlib import Path
from palermo.world import generate
started = time.perf_counter()
summary = generate(Path(sys.argv[1]), int(sys.argv[2]), seed=1)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "records": sum(summary.records.values()),
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run(persons: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, tmp, str(persons)],
            capture_output=True,
            text=True,
            check=True,
        )
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    result: dict[str, float] = json.loads(done.stdout)
    result["bytes"] = size
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    table = Table(title="palermo world generator (one process, seed 1)")
    for col in ("persons", "agency records", "seconds", "persons/s", "peak RSS MiB", "output MiB"):
        table.add_column(col, justify="right")
    for persons in (int(s) for s in args.sizes.split(",")):
        r = run(persons)
        table.add_row(
            f"{persons:,}",
            f"{r['records']:,.0f}",
            f"{r['seconds']:.1f}",
            f"{persons / r['seconds']:,.0f}",
            f"{r['rss_kb'] / 1024:.0f}",
            f"{r['bytes'] / 2**20:.0f}",
        )
    Console(width=110).print(table)


if __name__ == "__main__":
    main()
