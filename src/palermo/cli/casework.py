"""``palermo operation|mla|victim``: joint operations, legal assistance and victim protection
from the shell.

Each command is a thin layer over the function the API route calls (`coordination.operations`,
`coordination.mla`, `coordination.victims`), so the CLI, the API and the web forms cannot
disagree about who may do what: an agency reports results only for its own country, only the
two parties of an MLA request change its status, only victim-support staff write victim
records. Lists page like the API (``--limit``/``--offset``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import typer

from palermo.cli.common import CliError, emit
from palermo.cli.coordination import (
    AsJson,
    AsUser,
    acting,
    created,
    entity_line,
    iso_date,
    reading,
    say,
    say_withheld,
)
from palermo.cli.data import ReadPurpose
from palermo.coordination import legal, mla, operations, victims
from palermo.store.views import Entity

operation_app = typer.Typer(
    help="Joint operations: plan, report, show, list.", no_args_is_help=True
)
mla_app = typer.Typer(
    help="Mutual legal assistance: create, status, list, reminders.", no_args_is_help=True
)
victim_app = typer.Typer(
    help="Victim records and referrals (victim-support): record, refer, referral-status, list.",
    no_args_is_help=True,
)

Limit = Annotated[int, typer.Option(min=1, max=500, help="Entries per page")]
Offset = Annotated[int, typer.Option(min=0, help="Entries to skip")]


def listing(
    ctx: typer.Context,
    user: str | None,
    schema: str,
    limit: int,
    offset: int,
    purpose: str | None = None,
) -> tuple[list[Entity], int | None]:
    """One page of the visible entities of a schema and the next page's offset (None at the
    end): the same paging as the API's list routes, for ``--purpose`` (H0, ADR 0051)."""
    store, viewer = reading(ctx, user, purpose)
    found = store.entities(
        viewer, schema=schema, limit=limit + 1, offset=offset, purpose=store.read_purpose
    )
    say_withheld(found[:limit])
    return found[:limit], offset + limit if len(found) > limit else None


def print_page(
    found: list[Entity], next_offset: int | None, as_json: bool, empty: str, *props: str
) -> None:
    if as_json:
        emit({"results": [e.to_ftm() for e in found], "next_offset": next_offset}, True)
        return
    for entity in found:
        say(entity_line(entity, *props))
    if not found:
        say(empty)
    elif next_offset is not None:
        say(f"more: --offset {next_offset}")


# --- operations -------------------------------------------------------------------------


def _participant(i: int, text: str) -> operations.Participant:
    parts = text.split(":")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise CliError(
            f"--participant {i + 1}: {text!r} is not AGENCY:COUNTRY:TIMEZONE "
            "(e.g. DE-BKA:DE:Europe/Berlin)"
        )
    agency, country, zone = (p.strip() for p in parts)
    return operations.Participant(agency, country, zone)


def _time(option: str, value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise CliError(
            f"{option}: {value!r} is not a date and time (e.g. 2026-12-03T05:30+01:00)"
        ) from None


@operation_app.command("plan")
def operation_plan(
    ctx: typer.Context,
    name: str,
    participant: Annotated[
        list[str], typer.Option(help="AGENCY:COUNTRY:TIMEZONE (repeat for each agency)")
    ],
    action_time: Annotated[str, typer.Option(help="Action time with zone, ISO 8601")],
    target: Annotated[list[str] | None, typer.Option(help="Target entity id (repeat)")] = None,
    notes: Annotated[str, typer.Option(help="Notes on the targets")] = "",
    case: Annotated[str | None, typer.Option(help="Case id it belongs to")] = None,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Plan a joint operation shared with its participants."""
    store, viewer = acting(ctx, user)
    people = [_participant(i, p) for i, p in enumerate(participant)]
    when = _time("--action-time", action_time)
    op_id = operations.plan_operation(
        store, viewer, name, people, when, list(target or []), notes, case
    )
    created(as_json, op_id, f"operation planned: {op_id}")


@operation_app.command("report")
def operation_report(
    ctx: typer.Context,
    operation_id: str,
    country: Annotated[str, typer.Option(help="Your country in the operation")],
    arrests: Annotated[int, typer.Option(min=0)] = 0,
    victims_identified: Annotated[int, typer.Option(min=0)] = 0,
    victims_rescued: Annotated[int, typer.Option(min=0)] = 0,
    documents_seized: Annotated[int, typer.Option(min=0)] = 0,
    checks_performed: Annotated[int, typer.Option(min=0)] = 0,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Report your agency's results for its own country."""
    store, viewer = acting(ctx, user)
    result_id = operations.report_result(
        store,
        viewer,
        operation_id,
        country,
        arrests=arrests,
        victimsIdentified=victims_identified,
        victimsRescued=victims_rescued,
        documentsSeized=documents_seized,
        checksPerformed=checks_performed,
    )
    created(as_json, result_id, f"result reported: {result_id}")


@operation_app.command("show")
def operation_show(
    ctx: typer.Context,
    operation_id: str,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """Local action times, results by country, totals and who has not reported."""
    store, viewer = reading(ctx, user, purpose)
    board = operations.dashboard(store, viewer, operation_id)
    say_withheld(board.held)
    out: dict[str, Any] = {
        "id": operation_id,
        "local_action_times": board.local_action_times,
        "by_country": board.by_country,
        "totals": board.totals,
        "missing_reports": board.missing_reports,
    }
    if as_json:
        emit(out, True)
        return
    say(operations.after_action_report(store, viewer, operation_id))


@operation_app.command("list")
def operation_list(
    ctx: typer.Context,
    limit: Limit = 50,
    offset: Offset = 0,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """Joint operations your agency coordinates or takes part in."""
    found, more = listing(ctx, user, "JointOperation", limit, offset, purpose)
    print_page(found, more, as_json, "no operations", "name", "actionTime", "operationStatus")


# --- legal assistance -------------------------------------------------------------------


def _required_date(option: str, value: str) -> date:
    day = iso_date(option, value)
    assert day is not None  # a given value is a date or an error
    return day


@mla_app.command("create")
def mla_create(
    ctx: typer.Context,
    reference: str,
    requesting_country: Annotated[str, typer.Option(help="Your country")],
    requested_country: Annotated[str, typer.Option(help="The country asked")],
    requested_agency: Annotated[str, typer.Option(help="The agency asked")],
    request_type: Annotated[str, typer.Option("--type", help=", ".join(mla.TYPES))],
    legal_basis: Annotated[str, typer.Option(help="Treaty or law the request rests on")],
    deadline: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    act: Annotated[list[str] | None, typer.Option(help="Act of the facts (repeat)")] = None,
    means: Annotated[list[str] | None, typer.Option(help="Means of the facts (repeat)")] = None,
    purpose: Annotated[list[str] | None, typer.Option(help="Form of exploitation (repeat)")] = None,
    victim_age: Annotated[int | None, typer.Option(min=0, max=120)] = None,
    case: Annotated[str | None, typer.Option(help="Case id it belongs to")] = None,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Send a mutual legal assistance request to one other agency."""
    store, viewer = acting(ctx, user)
    facts = legal.Facts(
        frozenset(act or []), frozenset(means or []), frozenset(purpose or []), victim_age
    )
    request_id = mla.create_request(
        store,
        viewer,
        reference,
        requesting_country,
        requested_country,
        requested_agency,
        request_type,
        legal_basis,
        _required_date("--deadline", deadline),
        facts,
        case,
    )
    created(as_json, request_id, f"MLA request sent: {request_id}")


@mla_app.command("status")
def mla_status(
    ctx: typer.Context,
    request_id: str,
    status: Annotated[str, typer.Argument(help=", ".join(mla.STATUSES))],
    user: AsUser = None,
) -> None:
    """Change a request's status (the requesting or the requested agency)."""
    store, viewer = acting(ctx, user)
    mla.set_status(store, viewer, request_id, status)
    say(f"{request_id}: {status}")


@mla_app.command("list")
def mla_list(
    ctx: typer.Context,
    limit: Limit = 50,
    offset: Offset = 0,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """MLA requests your agency sent or received."""
    found, more = listing(ctx, user, "LegalAssistanceRequest", limit, offset, purpose)
    print_page(found, more, as_json, "no MLA requests", "reference", "requestType", "deadline")


@mla_app.command("reminders")
def mla_reminders(
    ctx: typer.Context,
    today: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """Open requests past their deadline, most overdue first."""
    store, viewer = reading(ctx, user, purpose)
    day = iso_date("--today", today) or date.today()
    found = mla.reminders(store, viewer, day)
    if as_json:
        emit([r.__dict__ for r in found], True)
        return
    for r in found:
        say(f"{r.request_id} {r.reference}: deadline {r.deadline}, {r.days_overdue} days overdue")
    if not found:
        say("no overdue requests")


# --- victims ----------------------------------------------------------------------------


@victim_app.command("record")
def victim_record(
    ctx: typer.Context,
    person_id: str,
    form: Annotated[str, typer.Option("--form", help="Form of exploitation")],
    consent: Annotated[str, typer.Option(help=", ".join(victims.CONSENT))] = "none",
    partner: Annotated[
        list[str] | None, typer.Option(help="Partner agency (consent 'partners'; repeat)")
    ] = None,
    need: Annotated[list[str] | None, typer.Option(help="Protection need (repeat)")] = None,
    risk: Annotated[str, typer.Option(help="Re-trafficking risk: low, medium, high")] = "medium",
    punishable: Annotated[
        bool, typer.Option("--punishable", help="Non-punishment does not apply")
    ] = False,
    country: Annotated[str | None, typer.Option(help="Country of exploitation")] = None,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Record an identified victim; consent decides who else may learn of it."""
    store, viewer = acting(ctx, user)
    if risk not in RISKS:
        raise CliError(f"--risk: {risk!r} is not one of {', '.join(RISKS)}")
    record_id = victims.record_victim(
        store,
        viewer,
        person_id,
        form,
        consent,
        frozenset(partner or []),
        list(need or []),
        risk,
        not punishable,
        country,
    )
    created(as_json, record_id, f"victim record: {record_id}")


RISKS = ("low", "medium", "high")


@victim_app.command("refer")
def victim_refer(
    ctx: typer.Context,
    record_id: str,
    service: Annotated[str, typer.Option(help=", ".join(victims.SERVICES))],
    provider: Annotated[str, typer.Option(help="Who provides the service")],
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Refer the victim of one of your victim records to a protection service."""
    store, viewer = acting(ctx, user)
    referral_id = victims.refer(store, viewer, record_id, service, provider)
    created(as_json, referral_id, f"referral: {referral_id} (requested)")


@victim_app.command("referral-status")
def victim_referral_status(
    ctx: typer.Context,
    referral_id: str,
    status: Annotated[str, typer.Argument(help=", ".join(victims.REFERRAL_STATUSES))],
    user: AsUser = None,
) -> None:
    """Change the status of one of your referrals."""
    store, viewer = acting(ctx, user)
    victims.update_referral(store, viewer, referral_id, status)
    say(f"{referral_id}: {status}")


@victim_app.command("list")
def victim_list(
    ctx: typer.Context,
    referrals: Annotated[bool, typer.Option(help="List referrals instead of records")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """Victim records (or referrals) you may see; details are masked unless victim-support."""
    if referrals:
        found, more = listing(ctx, user, "Referral", limit, offset, purpose)
        print_page(found, more, as_json, "no referrals", "serviceType", "referralStatus")
        return
    found, more = listing(ctx, user, "VictimRecord", limit, offset, purpose)
    print_page(found, more, as_json, "no victim records", "victim", "exploitationForm", "consent")
