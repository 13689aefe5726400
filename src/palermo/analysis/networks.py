"""Published covert networks (UCINET collection): adjacency matrices into edge lists.

Each file is a square matrix with a header row and column of node ids (the first cell may
carry a UTF-8 byte-order mark). Values are tie strengths; CAVIAR's are directed and valued.
Two-mode matrices (rows and columns are different node sets) are rejected with a clear error.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


class NetworkFormatError(ValueError):
    """The file is not a square, labelled adjacency matrix; names the line."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    weight: float = 1.0
    kind: str = "tie"
    date: str = ""  # ISO date the link was observed, "" when the record gives none
    handling: str = ""  # marking text of what made the link (model.handling_merge.Marking)


def load_adjacency(path: Path, directed: bool = True) -> tuple[list[str], list[Edge]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise NetworkFormatError(f"{path.name}: empty file")
    header = [c.strip() for c in rows[0][1:]]
    labels = [r[0].strip() for r in rows[1:] if r]
    if sorted(header) != sorted(labels):
        raise NetworkFormatError(
            f"{path.name}: row and column labels differ (two-mode network?): "
            f"{len(labels)} rows, {len(header)} columns"
        )
    edges = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header) + 1:
            raise NetworkFormatError(
                f"{path.name}: line {number} has {len(row) - 1} values, expected {len(header)}"
            )
        for target, cell in zip(header, row[1:], strict=True):
            try:
                weight = float(cell or 0)
            except ValueError:
                raise NetworkFormatError(
                    f"{path.name}: line {number}: {cell!r} is not a number"
                ) from None
            if weight and (directed or row[0].strip() < target or row[0].strip() == target):
                edges.append(Edge(row[0].strip(), target, weight))
    return labels, edges
