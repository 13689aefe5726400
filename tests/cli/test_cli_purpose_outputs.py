"""H0 through the CLI beyond exports (ADR 0041): ``analyze report --purpose`` states its
purpose and refuses an unknown one naming the option; ``screen person --purpose`` reports
the hit on another agency's record but withholds the names its H0 keeps for other purposes,
and tells the owner."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from palermo.cli.common import CliError
from palermo.cli.main import app
from palermo.store.store import Store
from palermo.store.tables import hit_notice
from tests.cli.test_cli import palermo, runner
from tests.cli.test_cli_purpose import _setup


def test_report_states_its_purpose_and_names_a_bad_one(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    out = tmp_path / "r.html"
    bad = ["--db", db, "analyze", "report", "--as", "bram", "--out", str(out), "--purpose", "fun"]
    result = runner.invoke(app, bad)
    assert isinstance(result.exception, CliError)  # printed as one line by cli.main
    assert str(result.exception).startswith("--purpose: 'fun' is not one of analysis")


def test_screening_withholds_h0_names_but_reports_the_hit(tmp_path: Path) -> None:
    db = _setup(tmp_path)  # DE-BKA's p1 "Ivan" is stated for investigation and analysis only
    base = ("screen", "person", "IVAN", "--as", "bram", "--json")
    code, said = palermo(db, *base, "--purpose", "border check")
    assert code == 0, said
    hits = {c["id"]: c for c in json.loads(said)}
    assert hits["de-bka.p1"]["names"] == []
    assert any(f.startswith("H0: values withheld (name)") for f in hits["de-bka.p1"]["flags"])
    code, said = palermo(db, *base, "--purpose", "investigation")
    assert {c["id"]: c["names"] for c in json.loads(said)}["de-bka.p1"] == ["Ivan"]
    with Store.open(db).engine.connect() as conn:
        told = conn.execute(sa.select(hit_notice.c.record_id, hit_notice.c.purpose)).all()
    assert ("de-bka.p1", "border check [screening; H0 values withheld from the answer]") in [
        (str(r.record_id), str(r.purpose)) for r in told
    ]
