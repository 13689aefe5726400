"""The coordination commands read for ``--purpose`` (ADR 0051, amendment; issue 19): DE-BKA's
case, shared with every agency, has its title stated (H0) for investigation only. NL-KMAR's
``case list``/``case show`` leave the title out without ``--purpose`` (and say on stderr
whom to ask), show it with ``--purpose investigation``, hide it for ``court``; a typo is a
one-line error naming ``--purpose``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from palermo.cli.common import CliError
from palermo.cli.main import app

runner = CliRunner()
TITLE = "Operation Quietharbour"
NOTE = "withheld: H0, stated for other purposes; ask DE-BKA (1 records)"


def _palermo(db: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def _setup(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    for code in ("DE-BKA", "NL-KMAR"):
        args = ["agency", "add", code, "--name", code, "--country", code[:2], "--kind", "police"]
        assert _palermo(db, *args)[0] == 0
    for user, agency in (("anna", "DE-BKA"), ("bram", "NL-KMAR")):
        assert _palermo(db, "user", "add", user, "--agency", agency, "--roles", "analyst")[0] == 0
    rows = [
        {
            "id": "case-1",
            "schema": "InvestigationCase",
            "sharing": "all",
            "properties": {"caseNumber": ["DE-2026-1"], "caseStatus": ["open"]},
        },
        {
            "id": "case-1",
            "schema": "InvestigationCase",
            "sharing": "all|H0:investigation",
            "properties": {"title": [TITLE]},
        },
    ]
    data = tmp_path / "de.json"
    data.write_text("\n".join(json.dumps(r) for r in rows))
    code, out, err = _palermo(db, "import", str(data), "--as", "anna")
    assert code == 0, out + err
    return db


def test_case_commands_read_for_the_declared_purpose(tmp_path: Path) -> None:
    db = _setup(tmp_path)
    for command in (["case", "list"], ["case", "show", "de-bka.case-1"]):
        code, out, err = _palermo(db, *command, "--as", "bram")
        assert code == 0, out + err
        assert "DE-2026-1" in out and TITLE not in out, command  # none declared
        assert NOTE in err, command
        code, out, err = _palermo(db, *command, "--as", "bram", "--purpose", "investigation")
        assert code == 0 and TITLE in out and "withheld" not in err, command
        code, out, err = _palermo(db, *command, "--as", "bram", "--purpose", "court")
        assert code == 0 and TITLE not in out and NOTE in err, command
    for command in (["case", "list"], ["operation", "list"], ["notice", "list"]):
        args = ["--db", db, *command, "--as", "bram", "--purpose", "investigaton"]
        result = runner.invoke(app, args)
        assert isinstance(result.exception, CliError), command  # one line by cli.main
        assert str(result.exception).startswith("--purpose: 'investigaton' is not one of")
    code, out, _ = _palermo(db, "case", "list", "--as", "anna")  # its own title: always
    assert code == 0 and TITLE in out
