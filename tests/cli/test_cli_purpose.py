"""H0 purposes and H3 restrictions through the CLI: an import states them, an export for a
declared purpose leaves out (and names) lines whose other-agency H0 values are stated for
another purpose, and every line carries its H3 restriction text (ADR 0034)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from palermo.cli.common import CliError
from palermo.cli.main import app
from tests.cli.test_cli import palermo, runner

RESTRICTION = "do not contact the family, ask DE-BKA first"


def _setup(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    for code in ("DE-BKA", "NL-KMAR"):
        args = ["agency", "add", code, "--name", code, "--country", code[:2], "--kind", "police"]
        assert palermo(db, *args)[0] == 0
    assert palermo(db, "user", "add", "anna", "--agency", "DE-BKA", "--roles", "analyst")[0] == 0
    assert palermo(db, "user", "add", "bram", "--agency", "NL-KMAR", "--roles", "analyst")[0] == 0
    rows = [
        {
            "id": "p1",
            "schema": "Person",
            "properties": {"name": ["Ivan"]},
            "sharing": "all|H0:investigation,H0:analysis",
        },
        {
            "id": "p2",
            "schema": "Person",
            "properties": {"name": ["Ana"]},
            "sharing": {"scope": "all", "handling": ["H3:" + RESTRICTION]},
        },
        {"id": "p3", "schema": "Person", "properties": {"name": ["Olga"]}, "sharing": "all"},
    ]
    data = tmp_path / "de.json"
    data.write_text("\n".join(json.dumps(r) for r in rows))
    assert palermo(db, "import", str(data), "--as", "anna")[0] == 0
    return db


def _ids(path: Path) -> list[str]:
    return sorted(json.loads(x)["id"] for x in path.read_text().splitlines())


def test_export_for_another_purpose_leaves_out_and_names_h0_lines(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    out = tmp_path / "out.json"
    code, said = palermo(db, "export", "--as", "bram", "--purpose", "court", "-o", str(out))
    assert code == 1
    assert "de-bka.p1: H0 value(s) of DE-BKA stated for analysis, investigation only" in said
    assert _ids(out) == ["de-bka.p2", "de-bka.p3"]

    code, _ = palermo(db, "export", "--as", "bram", "--purpose", "investigation", "-o", str(out))
    assert code == 0 and _ids(out) == ["de-bka.p1", "de-bka.p2", "de-bka.p3"]
    # the provider's own values are never refused: H0 restricts the receivers
    code, _ = palermo(db, "export", "--as", "anna", "--purpose", "court", "-o", str(out))
    assert code == 0 and len(_ids(out)) == 3


def test_bad_purpose_is_a_clear_error_naming_the_field(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    args = ["--db", db, "export", "--as", "bram", "--purpose", "investigaton"]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, CliError)  # printed as one line by cli.main
    assert str(result.exception).startswith("--purpose: 'investigaton' is not one of analysis")
    bad = tmp_path / "bad.json"
    row = {"id": "p9", "schema": "Person", "properties": {"name": ["X"]}, "sharing": "all|H0:fun"}
    bad.write_text(json.dumps(row))
    code, said = palermo(db, "import", str(bad), "--as", "anna")
    assert code == 1 and "H0: 'fun' is not one of" in said


def test_every_export_line_repeats_the_h3_restriction(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    out = tmp_path / "out.json"
    assert palermo(db, "export", "--as", "bram", "-o", str(out))[0] == 0
    lines = {json.loads(x)["id"]: json.loads(x) for x in out.read_text().splitlines()}
    assert lines["de-bka.p2"]["restrictions"] == [RESTRICTION]
    assert lines["de-bka.p2"]["handling"] == "H3:do not contact the family%2C ask DE-BKA first|"
    assert "restrictions" not in lines["de-bka.p3"]
    assert lines["de-bka.p1"]["handling"] == "H0:analysis,H0:investigation|"

    table = tmp_path / "out.csv"
    assert palermo(db, "export", "--as", "bram", "--format", "csv", "-o", str(table))[0] == 0
    with table.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_entity = {r["entity_id"]: r for r in rows}
    assert by_entity["de-bka.p2"]["restrictions"] == RESTRICTION
    assert by_entity["de-bka.p3"]["restrictions"] == ""
