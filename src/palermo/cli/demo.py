"""``palermo demo``: load a generated world into this node, one agency partition each.

Reads ``WORLD/agencies.json`` (agencies with their groups and demo users) and imports each
agency's ``WORLD/<AGENCY>/entities.ftm.json`` as that agency's user, so every agency sees
only its own records plus what the others shared with it. The ground truth under
``WORLD/truth`` is never loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from palermo.access.viewer import Viewer
from palermo.cli.common import CliError, console, open_store
from palermo.ingest import ImportMode, import_file
from palermo.store.directory import Agency
from palermo.store.store import Store

app = typer.Typer(help="Demo worlds.", no_args_is_help=True)
DEFAULT_ROLES = "analyst,officer"


def demo_password(username: str) -> str:
    return f"demo-{username}"


def _users(spec: dict[str, Any]) -> list[dict[str, Any]]:
    users = spec.get("users") or ([spec["user"]] if spec.get("user") else [])
    if not users:
        users = [{"username": f"analyst-{spec['code'].lower()}"}]
    return [u if isinstance(u, dict) else {"username": str(u)} for u in users]


def load_world(store: Store, world: Path) -> list[tuple[str, str, str, int]]:
    """Create agencies and demo users, import each agency's file; returns login rows."""
    index = world / "agencies.json"
    if not index.exists():
        raise CliError(f"{index}: not found (generate a world with `palermo world generate`)")
    specs = json.loads(index.read_text(encoding="utf-8"))
    specs = specs.get("agencies", specs) if isinstance(specs, dict) else specs
    system = Viewer.system()
    logins = []
    for spec in specs:
        store.add_agency(
            system,
            Agency(
                spec["code"],
                spec.get("name", spec["code"]),
                spec["country"].upper(),
                spec.get("kind", "police"),
                tuple(spec.get("groups", ())),
            ),
        )
    for spec in specs:
        first = None
        for user in _users(spec):
            roles = user.get("roles", DEFAULT_ROLES)
            roles = ",".join(roles) if isinstance(roles, list) else roles
            name = user["username"]
            store.add_user(system, name, spec["code"], roles, user.get("name"), demo_password(name))
            first = first or name
        assert first is not None
        path = world / spec["code"] / "entities.ftm.json"
        report = import_file(store, store.viewer(first), path, mode=ImportMode.SKIP_BAD)
        for error in report.errors[:5]:
            console.print(f"[yellow]{error}[/yellow]")
        for user in _users(spec):
            logins.append(
                (
                    spec["code"],
                    user["username"],
                    demo_password(user["username"]),
                    report.entities_imported,
                )
            )
    return logins


@app.command("load")
def load(
    ctx: typer.Context, world: Annotated[Path, typer.Argument(help="World directory")]
) -> None:
    """Load a generated world into this (empty) node and print the demo logins."""
    store = open_store(ctx)
    logins = load_world(store, world)
    from palermo.world.scenario import play

    story = play(store)
    console.print(
        f"demo story: cases {', '.join(story.cases.values())}; {story.hits} deconfliction hits;"
        f" operation {story.operation}; MLA request {story.mla_request}"
    )
    console.print("[bold]demo logins[/bold] (agency, user, password, records imported):")
    for agency, user, password, count in logins:
        console.print(f"  {agency:<16} {user:<28} {password:<34} {count}", soft_wrap=True)
