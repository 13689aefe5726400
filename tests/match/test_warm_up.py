"""A server loads the name tables as it starts, so no request pays for them (warm_up)."""

from __future__ import annotations

import subprocess
import sys

LAZY = ("pypinyin", "ToJyutping", "pykakasi")


def loaded_after(code: str) -> set[str]:
    """Which of the lazily imported table modules a fresh interpreter holds after `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {LAZY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    return set(out.stdout.split())


def test_the_tables_are_not_loaded_by_importing_the_matcher() -> None:
    """The premise: the CLI, which runs once, does not pay for tables it may never use."""
    assert loaded_after("import palermo.match.names, palermo.match.screening") == set()


def test_the_background_load_leaves_every_lazy_table_loaded() -> None:
    code = "from palermo.match import warm_up\nwarm_up.in_background().join()"
    assert loaded_after(code) == set(LAZY)
