"""followthemoney's own command line as the oracle for mapped ids: ``ftm map-csv --no-sign``
maps the same CSV with the same mapping file, independently of palermo's importer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

FTM = Path(sys.executable).parent / "ftm"


def ftm_map_csv(csv_path: Path, mapping: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [str(FTM), "map-csv", "--no-sign", "-i", str(csv_path), str(mapping)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def ftm_id(entities: list[dict[str, Any]], schema: str, prop: str, value: str) -> str:
    """The id FtM gave the one entity of ``schema`` whose ``prop`` holds ``value``."""
    found = {
        e["id"]
        for e in entities
        if e["schema"] == schema and value in e["properties"].get(prop, [])
    }
    assert len(found) == 1, (schema, prop, value, found)
    return found.pop()
