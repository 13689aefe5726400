"""Where the shared reference data lives.

The real data sets are not part of the repository (their licences and size forbid it);
they sit in ``../shared/data`` beside the checkout, on developer machines and in CI alike.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_data_dir() -> Path:
    """``$PALERMO_SHARED_DATA`` if set, else ``<repo>/../shared/data``."""
    override = os.environ.get("PALERMO_SHARED_DATA")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "data"
