"""Handling codes and grades through the CLI: an import sets them, the export carries them,
a court export refuses another agency's H1 line until its consent is recorded."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import palermo


def test_import_export_and_court_consent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    for code in ("DE-BKA", "NL-KMAR"):
        args = ["agency", "add", code, "--name", code, "--country", code[:2], "--kind", "police"]
        assert palermo(db, *args)[0] == 0
    assert palermo(db, "user", "add", "anna", "--agency", "DE-BKA", "--roles", "analyst")[0] == 0
    assert palermo(db, "user", "add", "bram", "--agency", "NL-KMAR", "--roles", "analyst")[0] == 0
    data = tmp_path / "de.json"
    rows = [
        {"id": "p1", "schema": "Person", "properties": {"name": ["Ivan"]}, "sharing": "all|h1|b2"},
        {"id": "p2", "schema": "Person", "properties": {"name": ["Ana"]}},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows))
    assert palermo(db, "import", str(data), "--as", "anna", "--share", "all|H2")[0] == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**rows[0], "id": "p3", "sharing": "all|H1|Q7"}))
    code, out = palermo(db, "import", str(bad), "--as", "anna")
    assert code == 1 and "sharing: grade: source 'Q'" in out

    out_file = tmp_path / "out.json"
    assert palermo(db, "export", "--as", "bram", "-o", str(out_file))[0] == 0
    lines = {json.loads(x)["id"]: json.loads(x) for x in out_file.read_text().splitlines()}
    assert lines["de-bka.p1"]["handling"] == "H1|B2"
    assert lines["de-bka.p2"]["handling"] == "H2|"

    code, out = palermo(db, "export", "--as", "bram", "--purpose", "court", "-o", str(out_file))
    assert code == 1 and "de-bka.p1: H1 value(s) of DE-BKA without recorded consent" in out
    assert [json.loads(x)["id"] for x in out_file.read_text().splitlines()] == ["de-bka.p2"]

    consent = ["handling", "consent", "--provider", "DE-BKA", "--entity", "de-bka.p1"]
    code, out = palermo(db, *consent, "--reference", "SIENA 1", "--as", "bram", "--json")
    assert code == 0 and json.loads(out)["granted_to"] == "NL-KMAR"
    code, _ = palermo(db, "export", "--as", "bram", "--purpose", "court", "-o", str(out_file))
    assert code == 0 and len(out_file.read_text().splitlines()) == 2

    csv_file = tmp_path / "out.csv"
    assert palermo(db, "export", "--as", "bram", "--format", "csv", "-o", str(csv_file))[0] == 0
    header, *body = csv_file.read_text().splitlines()
    assert header.endswith(",handling,restrictions") and any(r.endswith(",H1|B2,") for r in body)
