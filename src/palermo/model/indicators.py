"""The catalogue of trafficking indicators (ILO forced labour, UNODC), shared by the risk
rules (analysis) and the training packs (coordination)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

INDICATORS_FILE = Path(__file__).parent / "indicators.yaml"


@cache
def indicators() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = yaml.safe_load(INDICATORS_FILE.read_text("utf-8"))
    return data
