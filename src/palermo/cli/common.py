"""What every command shares: opening the store, the acting user, output and errors."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from palermo.access.viewer import Viewer
from palermo.store.store import Store

console = Console()
errors = Console(stderr=True)


class CliError(Exception):
    """An error to print as one line, without a traceback."""


def open_store(ctx: typer.Context) -> Store:
    state = ctx.ensure_object(dict)
    store = state.get("store")
    if store is None:
        store = state["store"] = Store.open(state.get("db"))
    assert isinstance(store, Store)
    return store


def acting_viewer(store: Store, username: str | None) -> Viewer:
    name = username or os.environ.get("PALERMO_USER")
    if not name:
        raise CliError("--as: say which user acts (or set PALERMO_USER)")
    return store.viewer(name)


def emit(data: Any, as_json: bool) -> None:
    """Machine-readable output when --json is given, Rich otherwise."""
    if as_json:
        typer.echo(json.dumps(data, default=str, ensure_ascii=False))
    else:
        console.print(data)


PERIOD = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def check_period(option: str, value: str) -> str:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a real date), else a one-line error naming
    the option: a period like ``banana`` would otherwise filter everything out silently."""
    if not value:
        return value
    match = PERIOD.fullmatch(value)
    if match is None:
        raise CliError(f"{option}: {value!r} is not a period (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise CliError(f"{option}: {value!r} is not a calendar date") from None
    return value


def check_choice(option: str, value: str | None, choices: Iterable[str]) -> str | None:
    """``value`` if it is one of ``choices`` (or not given), else an error listing them."""
    allowed = list(choices)
    if value is not None and value not in allowed:
        raise CliError(f"{option}: {value!r} is not one of {', '.join(allowed)}")
    return value


def check_out_file(option: str, path: Path, suffixes: Iterable[str]) -> Path:
    """An output file with a known suffix in an existing, writable directory, checked before
    any work is done (so a typo does not cost a whole analysis and then a traceback)."""
    allowed = list(suffixes)
    if path.suffix.lower() not in allowed:
        raise CliError(
            f"{option}: unknown format {path.suffix or path.name!r} (use {' or '.join(allowed)})"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CliError(f"{option}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise CliError(f"{option}: directory {str(parent)!r} is not writable")
    if path.is_dir():
        raise CliError(f"{option}: {str(path)!r} is a directory")
    return path
