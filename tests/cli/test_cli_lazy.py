"""A command line builds the CLI with only the command it names (start-up time): that CLI
must be the same command as in the whole one, and anything else gets the whole CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from palermo.cli import main as cli_main

runner = CliRunner()
NAMES = [*cli_main.COMMANDS, *cli_main.OPTIONAL_APPS]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["case", "list", "--as", "anna"], "case"),
        (["--db", "sqlite:///x.db", "agency", "list"], "agency"),
        (["--db=sqlite:///x.db", "import", "f.json"], "import"),
        (["--db", "x", "world"], "world"),
        (["--help", "case"], None),  # help before the command lists every command
        (["--dbx", "case"], None),
        (["nosuch"], None),
        (["init"], None),
        ([], None),
        (["--db"], None),
    ],
)
def test_the_named_command_is_the_first_word_after_the_database(
    args: list[str], named: str | None
) -> None:
    assert cli_main._named_command(args) == named


def test_every_command_is_in_the_whole_cli() -> None:
    listed = runner.invoke(cli_main._app(), ["--help"], terminal_width=200).output
    for name in [*NAMES, "init"]:
        assert f" {name} " in listed, name


@pytest.mark.parametrize("name", NAMES)
def test_a_command_alone_is_the_same_command(name: str) -> None:
    whole = runner.invoke(cli_main._app(), [name, "--help"], terminal_width=200)
    alone = runner.invoke(cli_main._app(name), [name, "--help"], terminal_width=200)
    assert whole.exit_code == alone.exit_code == 0, (whole.output, alone.output)
    assert alone.output == whole.output


def test_main_runs_the_named_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through `main` (the entry point) a named command runs on its own CLI and still
    fails as before: a usage error is one line naming the argument, status 2."""
    monkeypatch.setattr("sys.argv", ["palermo", "agency", "add"])
    with pytest.raises(SystemExit) as exited:
        cli_main.main()
    assert exited.value.code == 2
    assert "Missing argument 'code'" in capsys.readouterr().err
