"""The command line end to end, and its errors: one clear line, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from palermo.cli.main import app

runner = CliRunner()


def palermo(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db, *args])
    return result.exit_code, result.output


def test_tour(backend_url: str, tmp_path: Path) -> None:
    from palermo.store.store import Store
    from tests.conftest import wipe

    wipe(Store.open(backend_url))
    assert palermo(backend_url, "init")[0] == 0
    for code, group in (("DE-BKA", "EU"), ("NL-KMAR", "EU"), ("TH-RTP", None)):
        args = ["agency", "add", code, "--name", code, "--country", code[:2], "--kind", "police"]
        assert palermo(backend_url, *args, *(["--group", group] if group else []))[0] == 0
    for user, agency in (("anna", "DE-BKA"), ("bram", "NL-KMAR"), ("chai", "TH-RTP")):
        assert (
            palermo(backend_url, "user", "add", user, "--agency", agency, "--roles", "analyst")[0]
            == 0
        )
    data = tmp_path / "de.json"
    rows = [
        {
            "id": "p1",
            "schema": "Person",
            "properties": {"name": ["Ivan Petrov"]},
            "sharing": "group:EU",
        },
        {"id": "p2", "schema": "Person", "properties": {"name": ["Anna Berg"]}, "sharing": "owner"},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows))
    code, out = palermo(backend_url, "import", str(data), "--as", "anna")
    assert code == 0 and "2 entities" in out
    code, out = palermo(backend_url, "search", "petrov", "--as", "bram", "--json")
    assert [e["id"] for e in json.loads(out)] == ["de-bka.p1"]
    assert json.loads(palermo(backend_url, "search", "berg", "--as", "bram", "--json")[1]) == []
    assert json.loads(palermo(backend_url, "search", "petrov", "--as", "chai", "--json")[1]) == []
    export = tmp_path / "out.json"
    assert palermo(backend_url, "export", "--as", "bram", "-o", str(export))[0] == 0
    assert [json.loads(line)["id"] for line in export.read_text().splitlines()] == ["de-bka.p1"]
    code, out = palermo(backend_url, "audit", "verify")
    assert code == 0 and "intact" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "add", "x", "--agency", "NOPE", "--roles", "analyst"], "agency: no agency"),
        (
            ["agency", "add", "X1", "--name", "x", "--country", "XYZ", "--kind", "police"],
            "country:",
        ),
        (["search", "x", "--as", "ghost"], "no user 'ghost'"),
        (["search", "x"], "--as"),
    ],
)
def test_bad_input_is_one_line_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    proc = subprocess.run(
        [sys.executable, "-c", "from palermo.cli.main import main; main()", "--db", db, *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_screen_commands_json_and_exit_codes(tmp_path: Path) -> None:
    """Document status drives the exit code (0 clear, 3 reported); JSON is one line."""
    from palermo.store.store import Store
    from tests.store.factories import setup_agencies

    db = f"sqlite:///{tmp_path / 's.db'}"
    store = Store.open(db)
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    from palermo.ingest.build import build
    from palermo.model.sharing import Sharing

    store.write(
        viewers["B2"],
        build("B2", "b2.r1", "DocumentReport",
              {"documentNumber": "XK123456", "reportStatus": "stolen"}, Sharing.parse("all")),
    )  # fmt: skip
    store.write(
        viewers["B2"],
        build("B2", "b2.p1", "Person", {"name": "Олена Коваленко", "birthDate": "1990-02-03"},
              Sharing.parse("all")),
    )  # fmt: skip
    code, out = palermo(db, "screen", "document", "xk 123456", "--as", "analyst-a1", "--json")
    assert code == 3 and json.loads(out.strip().splitlines()[-1])["status"] == "stolen"
    code, out = palermo(db, "screen", "document", "ZZ999", "--as", "analyst-a1", "--json")
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["status"] == "clear"
    code, out = palermo(db, "screen", "person", "KOVALENKO Olena", "--as", "analyst-a1", "--json")
    found = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and found[0]["id"] == "b2.p1" and found[0]["features"]
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "name,birth_date,document_number\nOlena Kovalenko,1990-02-03,XK123456\n,x,\n"
    )
    code, out = palermo(db, "screen", "manifest", str(manifest), "--as", "analyst-a1", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert result["passengers"][0]["risk"] > 0 and result["errors"][0]["row"] == 3
