"""``palermo screen``: documents, persons, manifests and cross-referencing from the shell.

Every screening command tells the owner of each other agency's record it hit, with the
notice the API sends for the same screening (`coordination.screening_notices`), in the
transaction of the screening's own audit row (one commit, ADR 0052). There is no opt-out:
an owner must learn of every hit on its records whatever the interface. Only ``xref`` has
``--no-notify``, which stops its messages to the agencies (not the notices).
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from palermo.access.viewer import Viewer
from palermo.cli.common import CliError, acting_viewer, console, emit, errors, open_store
from palermo.coordination import screening_notices
from palermo.match import manifest as manifests
from palermo.match.mrz import MRZError
from palermo.match.mrz_check import read_mrz, screen_mrz, summary_lines
from palermo.match.screening import SCREENING_THRESHOLD, ScreeningIndex, build_index
from palermo.match.screening_purpose import screening_purpose
from palermo.match.service import visible_entities
from palermo.store.group_write import BatchInterrupted
from palermo.store.store import Store

Audited = tuple[str, str, dict[str, Any]]  # a screening's audit row: action, target, detail
app = typer.Typer(help="Screen documents, persons and passenger manifests; cross-reference.")
AsUser = Annotated[str | None, typer.Option("--as", help="acting user (or PALERMO_USER)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
ScreenPurpose = Annotated[
    str | None,
    typer.Option(
        help="why you screen; a coded purpose (e.g. investigation) is the H0 purpose, other "
        "text screens for 'screening'; told to the owner of every other agency's record "
        "hit. Values whose H0 excludes it are withheld from the answer (ADR 0041)"
    ),
]


def purpose_index(
    store: Store, viewer: Viewer, quiet: bool, declared: str | None
) -> ScreeningIndex:
    """The viewer's index answering for the screening's H0 purpose."""
    from palermo.coordination.hit_notices import MAX_PURPOSE

    if declared is not None and len(declared) > MAX_PURPOSE:
        raise CliError(f"--purpose: longer than {MAX_PURPOSE} characters")
    return index_for(store, viewer, quiet).for_purpose(screening_purpose(declared))


def tell_owners(
    store: Store,
    viewer: Viewer,
    index: ScreeningIndex,
    ids: list[str],
    declared: str | None,
    audited: Audited,
) -> None:
    """The owner of every other agency's record hit gets a hit notice, the one the API
    sends for the same screening (`screening_notices`; marked where H0 withheld values),
    and the screening's audit row ``audited`` is committed in the same transaction (ADR
    0052), or alone when no other agency's record was hit. If that write fails nothing was
    recorded: the command prints no answer and exits non-zero with one line saying so."""
    try:
        screening_notices.notify(store, viewer, index, ids, declared, audited)
    except (SQLAlchemyError, BatchInterrupted) as exc:
        cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CliError(
            f"{audited[0]}: not recorded (the audit row and hit notices were not written), "
            f"so no answer is given: {cause}"
        ) from None


def index_for(store: Store, viewer: Viewer, quiet: bool) -> ScreeningIndex:
    """The viewer's screening index, read through the store with a progress line."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=errors,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("reading records you may see", total=None)
        seen = 0

        def counted() -> Any:
            nonlocal seen
            for entity in visible_entities(store, viewer):
                seen += 1
                if seen % 1000 == 0:
                    bar.update(task, description=f"indexed {seen:,} records")
                yield entity

        return build_index(counted())


@app.command()
def document(
    number: str,
    ctx: typer.Context,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ScreenPurpose = None,
) -> None:
    """Is a travel document reported stolen, lost, revoked or forged?"""
    store = open_store(ctx)
    viewer = acting_viewer(store, user)
    index = purpose_index(store, viewer, as_json, purpose)
    check = index.check_document(number)
    audited: Audited = ("screen.document", check.number, {"status": check.status})
    tell_owners(store, viewer, index, [h.entity_id for h in check.hits], purpose, audited)
    result = {
        "number": check.number,
        "status": check.status,
        "agencies": sorted({h.agency for h in check.hits}),
        "age_days": check.age_days(date.today()),
    }
    if as_json:
        emit(result, True)
    else:
        console.print(escape(document_line(result)), soft_wrap=True)
    if check.status != "clear":
        raise typer.Exit(3)  # scripts at a gate can branch on the exit code


def document_line(result: dict[str, Any]) -> str:
    """``ZF8635347: stolen (reported by DE-BKA; oldest report 12 days old)``, or ``: clear``."""
    line = f"{result['number']}: {result['status']}"
    if result["agencies"]:
        age = result["age_days"]
        when = f"; oldest report {age} days old" if age is not None else ""
        line += f" (reported by {', '.join(result['agencies'])}{when})"
    return line


@app.command()
def mrz(
    lines: Annotated[
        list[str], typer.Argument(help="the zone's lines (quote each), or - to read stdin")
    ],
    ctx: typer.Context,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Check a passport, ID card or visa MRZ (ICAO 9303 TD1/TD2/TD3, MRV-A/MRV-B visas, French
    ID card): check digits, dates, expiry, then its document number against stolen/lost
    reports.

    Exit code 0 valid and not reported, 3 reported, 4 failed checks or expired."""
    text = sys.stdin.read() if lines == ["-"] else "\n".join(lines)
    try:
        zone = read_mrz(text)
    except MRZError as exc:
        raise CliError(f"mrz: {exc}") from None
    store = open_store(ctx)
    viewer = acting_viewer(store, user)
    index = purpose_index(store, viewer, as_json, None)  # H0, as the API's MRZ check
    check = screen_mrz(index, zone)
    audited: Audited = ("screen.mrz", check.document.number, check.audit_detail())
    tell_owners(store, viewer, index, [h.entity_id for h in check.document.hits], None, audited)
    if as_json:
        emit(check.as_dict(), True)
    else:
        for line in summary_lines(check):
            console.print(escape(line), soft_wrap=True)
    if check.verdict != "valid":
        raise typer.Exit(3 if check.verdict == "reported" else 4)


@app.command()
def person(
    name: str,
    ctx: typer.Context,
    birth_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    nationality: Annotated[str | None, typer.Option(help="ISO code, e.g. ua")] = None,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ScreenPurpose = None,
) -> None:
    """Ranked candidates for a name in any script, each feature explained."""
    store = open_store(ctx)
    viewer = acting_viewer(store, user)
    query = manifests.passenger(
        {"name": name, "birth_date": birth_date, "nationality": nationality}, 0
    )
    index = purpose_index(store, viewer, as_json, purpose)
    found = index.screen(query, limit=20, threshold=SCREENING_THRESHOLD)
    audited: Audited = ("screen.person", name, {"hits": len(found)})
    tell_owners(store, viewer, index, [c.person.id for c in found], purpose, audited)
    if as_json:
        emit(
            [
                {
                    "id": c.person.id,
                    "names": list(c.person.names),
                    "agency": c.person.agency,
                    "score": c.score.value,
                    "features": [asdict(f) for f in c.score.features],
                    "flags": list(c.flags),
                }
                for c in found
            ],
            True,
        )
        return
    table = Table("record", "names", "agency", "score", "why", "flags")
    for c in found:
        table.add_row(
            c.person.id,
            " / ".join(c.person.names),
            c.person.agency,
            f"{c.score.value:.2f}",
            c.score.explain(),
            ", ".join(c.flags),
        )
    console.print(table)


@app.command()
def manifest(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV manifest")],
    ctx: typer.Context,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ScreenPurpose = None,
) -> None:
    """Screen a passenger list (CSV: name, birth_date, nationality, sex, document_number)."""
    store = open_store(ctx)
    viewer = acting_viewer(store, user)
    index = purpose_index(store, viewer, as_json, purpose)
    result = manifests.screen_manifest(index, manifests.read_csv(path.read_text("utf-8-sig")))
    flagged = sum(1 for p in result.passengers if p.risk > 0)
    audited: Audited = ("screen.manifest", path.name, {"flagged": flagged})
    tell_owners(store, viewer, index, screening_notices.manifest_hits(result), purpose, audited)
    if as_json:
        emit(
            {
                "passengers": [
                    {
                        "row": p.row,
                        "name": p.passenger.names[0],
                        "risk": p.risk,
                        "reasons": p.reasons,
                    }
                    for p in result.passengers
                ],
                "errors": [asdict(e) for e in result.errors],
            },
            True,
        )
        return
    table = Table("row", "passenger", "risk", "reasons")
    for p in result.passengers:
        table.add_row(str(p.row), p.passenger.names[0], f"{p.risk:.2f}", "; ".join(p.reasons))
    console.print(table)
    for e in result.errors:
        errors.print(f"[yellow]{path.name}:{e.row}: {e.field}: {e.reason}[/yellow]")


@app.command()
def xref(
    ctx: typer.Context,
    user: AsUser = None,
    threshold: Annotated[float, typer.Option(min=0.5, max=1.0)] = 0.9,
    no_notify: Annotated[bool, typer.Option(help="do not message other agencies")] = False,
    purpose: Annotated[
        str | None, typer.Option(help="why you search (told to the owners of records hit)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Cross-reference every person record you may see into identities; hits are messaged,
    and the owner of every other agency's record hit gets a hit notice (ADR 0018) as from
    the API."""
    from palermo.coordination import hit_notices
    from palermo.match.resolution import cross_reference

    if purpose is not None and len(purpose) > hit_notices.MAX_PURPOSE:
        raise CliError(f"--purpose: longer than {hit_notices.MAX_PURPOSE} characters")
    store = open_store(ctx)
    viewer = acting_viewer(store, user)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=errors,
        disable=as_json,
        transient=True,
    ) as bar:
        bar.add_task("cross-referencing (Splink on DuckDB)", total=None)
        result, hits = cross_reference(store, viewer, threshold, notify=not no_notify)
    linked = [record for h in hits for record in (h.left, h.right)]
    hit_notices.notify_ids(store, viewer, linked, "xref", purpose)
    merged = [c for c in result.clusters if len(c) > 1]
    summary = {
        "identities": len(result.clusters),
        "merged": merged,
        "cross_agency_hits": [asdict(h) for h in hits],
    }
    if as_json:
        emit(summary, True)
        return
    console.print(
        f"{len(result.clusters):,} identities; {len(merged):,} with several records; "
        f"{len(hits):,} cross-agency hits"
    )
