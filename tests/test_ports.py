"""The test servers' ports: two processes never hand out the same one."""

from __future__ import annotations

import subprocess
import sys

from tests import ports


def test_a_port_claimed_by_a_living_process_is_never_handed_out_again() -> None:
    here = {ports.free_port() for _ in range(5)}
    code = (
        "import itertools, sys; from tests import ports; "
        f"ports._PORTS = itertools.count({min(here)}); "  # start on this process's ports
        "print(ports.free_port())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert int(other) not in here and len(here) == 5


def test_a_dead_processs_claims_lapse(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ports, "_CLAIMS", tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (tmp_path / "20001").write_text(dead)
    (tmp_path / "20002").write_text("1")  # init: alive
    assert ports._claim(20001)
    assert not ports._claim(20002)
