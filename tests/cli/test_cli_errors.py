"""Every error a user can provoke on the command line is one line naming what was wrong,
with a non-zero exit code and never a traceback; machine output stays machine-readable.

The commands run through ``palermo.cli.main.main`` (the installed entry point) in this
process, so an exception that would reach the user as a traceback fails the test; one
subprocess test checks the real interpreter output end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from palermo.cli.main import app, main

ANALYST = "support-de-bka"  # a demo login of the generated world (sees victim data too)


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small generated world loaded into a SQLite node (the walk-through's setup)."""
    where = tmp_path_factory.mktemp("cli-errors")
    db = f"sqlite:///{where / 'w.db'}"
    runner = CliRunner()
    out = str(where / "world")
    made = runner.invoke(
        app, ["world", "generate", "--out", out, "--persons", "80", "--seed", "11"]
    )
    assert made.exit_code == 0, made.output
    loaded = runner.invoke(app, ["--db", db, "demo", "load", out])
    assert loaded.exit_code == 0, loaded.output
    yield db


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """``palermo ARGS`` through the entry point: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["palermo", *args])
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_one_line_error(code: int, out: str, err: str, *expected: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0, (out, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in out + err
    for text in expected:
        assert text in lines[0], (text, lines[0])


def test_report_into_a_missing_directory_fails_before_the_analysis(
    world_db: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from palermo.analysis import service

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the analysis ran before --out was checked")

    monkeypatch.setattr(service.Workspace, "load", never)
    target = tmp_path / "missing" / "dir" / "x.pdf"
    result = run(capsys, monkeypatch, "--db", world_db, "analyze", "report", "--as", ANALYST,
                 "--out", str(target))  # fmt: skip
    assert_one_line_error(*result, "--out", "does not exist", str(target.parent))
    assert not target.parent.exists()


def test_graph_out_with_an_unknown_format_fails_before_the_analysis(
    world_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(capsys, monkeypatch, "--db", world_db, "analyze", "graph", "--as", ANALYST,
                 "--out", "x.csv")  # fmt: skip
    assert_one_line_error(*result, "--out", "'.csv'", ".graphml")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("garbage", "'garbage' is not a URL"),
        ("mysql://root:s3cret@127.0.0.1/x", "'mysql' is not supported"),
        ("postgresql+psycopg2://u@127.0.0.1/x", "'postgresql+psycopg2' is not supported"),
    ],
)
def test_a_malformed_or_unsupported_database_url_is_one_line(
    url: str,
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PALERMO_DB", url)
    code, out, err = run(capsys, monkeypatch, "search", "x", "--as", "anna")
    assert_one_line_error(code, out, err, "PALERMO_DB", expected)
    assert "s3cret" not in err  # a password in the URL is never echoed
    assert not (tmp_path / "palermo.db").exists()


def test_palermo_db_error_from_the_installed_interpreter(tmp_path: Path) -> None:
    """End to end: what the shell shows for a malformed $PALERMO_DB."""
    proc = subprocess.run(
        [sys.executable, "-c", "from palermo.cli.main import main; main()", "search", "x",
         "--as", "anna"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PALERMO_DB": "garbage"},
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().count("\n") == 0 and "is not a URL" in proc.stderr


def test_ego_network_is_valid_json_on_stdout_and_path_is_readable(
    world_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ("--db", world_db, "analyze", "graph", "--as", ANALYST)
    code, out, _ = run(capsys, monkeypatch, *base, "--json")
    assert code == 0
    centre = json.loads(out)[0]["id"]
    code, out, err = run(capsys, monkeypatch, *base, "--ego", centre)  # as in `> ego.json`
    assert code == 0, err
    ego = json.loads(out)  # no spinner frame, no progress: the whole stdout is the JSON
    neighbour = next(n["id"] for n in ego["nodes"] if n["id"] != centre)
    code, out, err = run(capsys, monkeypatch, *base, "--path", centre, neighbour)
    assert code == 0, err
    assert "Shortest path" in out and centre in out and "{'" not in out and "'id':" not in out
    code, out, _ = run(capsys, monkeypatch, *base, "--path", centre, neighbour, "--json")
    steps = json.loads(out)
    assert steps[0]["id"] == centre and steps[-1]["id"] == neighbour


def test_screen_document_prints_a_sentence_not_a_python_dict(
    world_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, monkeypatch, "--db", world_db, "screen", "document",
                       "XX0000000", "--as", ANALYST)  # fmt: skip
    assert code == 0 and out.strip() == "XX0000000: clear"
    assert "{" not in out and "'number'" not in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["analyze", "routes", "--new-since", "banana"], ("--new-since", "'banana'")),
        (["analyze", "routes", "--new-since", "2024-13"], ("--new-since", "'2024-13'")),
        (["analyze", "hotspots", "--kind", "bogus"], ("--kind", "'bogus'", "exploitation")),
        (["analyze", "hotspots", "--start", "last year"], ("--start", "'last year'")),
        (["analyze", "routes", "--form", "knitting"], ("--form", "'knitting'")),
        (["analyze", "graph", "--hops", "9"], ("'--hops'",)),
        (["export", "--json"], ("--json",)),
    ],
)
def test_wrong_option_values_are_errors_naming_the_option(
    world_db: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    expected: tuple[str, ...],
) -> None:
    result = run(capsys, monkeypatch, "--db", world_db, *args, "--as", ANALYST)
    assert_one_line_error(*result, *expected)
    assert result[1].strip() == ""  # no empty table on stdout
