"""What every command shares: opening the store, the acting user, output and errors."""

from __future__ import annotations

import json
import os
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
