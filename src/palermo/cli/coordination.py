"""``palermo case|notice|message|subscription|judgement``: coordination from the shell.

Each command is a thin layer over the same function the API route calls, so the CLI and
the API cannot disagree about who may do what."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from palermo.access.viewer import NotVisible, Viewer
from palermo.cli.common import CliError, acting_viewer, console, emit, errors, open_store
from palermo.cli.data import ReadPurpose, checked_read_purpose
from palermo.coordination import cases
from palermo.exchange import alerts, messages, notices
from palermo.ingest.audiences import checked_sharing
from palermo.store.purpose_view import withheld_note
from palermo.store.store import Store
from palermo.store.views import Entity

AsUser = Annotated[str | None, typer.Option("--as", help="Acting user (or $PALERMO_USER)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Limit = Annotated[int, typer.Option(min=1, max=500, help="Entries per page")]
Offset = Annotated[int, typer.Option(min=0, help="Entries to skip")]

case_app = typer.Typer(help="Cases: open, list, show, close, reopen, team.", no_args_is_help=True)
team_app = typer.Typer(help="A case's team: add, role, remove (lead agency).", no_args_is_help=True)
case_app.add_typer(team_app, name="team")
notice_app = typer.Typer(help="Notices: issue, approve, withdraw, list.", no_args_is_help=True)
message_app = typer.Typer(help="Agency messages: send, list.", no_args_is_help=True)
subscription_app = typer.Typer(help="Alert subscriptions: add, list, delete.", no_args_is_help=True)


def acting(ctx: typer.Context, user: str | None) -> tuple[Store, Viewer]:
    store = open_store(ctx)
    return store, acting_viewer(store, user)


def reading(ctx: typer.Context, user: str | None, purpose: str | None) -> tuple[Store, Viewer]:
    """The store with its reads bound to ``--purpose`` (checked first: a typo is one line
    naming the option) and the acting user: what a listing or a show reads through, so
    another agency's values stated (H0) for other purposes are left out (ADR 0051)."""
    declared = checked_read_purpose(purpose)
    store, viewer = acting(ctx, user)
    return store.for_purpose(declared), viewer


def say_withheld(found: list[Entity]) -> None:
    """On stderr, whom to ask for the values left out (stdout keeps its shape)."""
    owners = sorted({a for e in found for a in e.withheld_owners})
    if owners:
        held = sum(1 for e in found if e.withheld)
        errors.print(f"{withheld_note(owners)} ({held} records)", highlight=False, markup=False)


def say(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def created(as_json: bool, new_id: object, text: str) -> None:
    """What a command that made something prints: ``{"id": ...}`` for scripts, else a line."""
    if as_json:
        emit({"id": new_id}, True)
    else:
        say(text)


def entity_line(entity: Entity, *props: str) -> str:
    shown = " ".join(f"{p}={entity.first(p) or '-'}" for p in props)
    return f"{entity.id} {shown}".rstrip()


# --- cases ------------------------------------------------------------------------------


@case_app.command("open")
def case_open(
    ctx: typer.Context,
    case_number: Annotated[str, typer.Argument(help="Your agency's case number")],
    title: Annotated[str, typer.Option(help="Case title")],
    form: Annotated[str, typer.Option("--form", help="Form of exploitation")],
    subject: Annotated[list[str] | None, typer.Option(help="Subject entity id (repeat)")] = None,
    member: Annotated[
        list[str] | None, typer.Option(help="Team agency as AGENCY:ROLE (member/observer)")
    ] = None,
    country: Annotated[str | None, typer.Option(help="Country code")] = None,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Open a case led by your agency, shared with its team."""
    store, viewer = acting(ctx, user)
    team = dict(_team_entry(m) for m in member or [])
    case_id = cases.open_case(
        store, viewer, case_number, title, form, list(subject or []), team, country
    )
    if as_json:
        emit({"id": case_id}, True)
    else:
        say(f"case opened: {case_id}")


def _team_entry(text: str) -> tuple[str, str]:
    agency, colon, role = text.partition(":")
    if not colon or not agency or not role:
        raise CliError(f"--member: {text!r} is not AGENCY:ROLE (e.g. NL-KMAR:member)")
    return agency, role


@case_app.command("list")
def case_list(
    ctx: typer.Context, user: AsUser = None, as_json: AsJson = False, purpose: ReadPurpose = None
) -> None:
    """Cases your agency leads or is on the team of."""
    store, viewer = reading(ctx, user, purpose)
    found = store.entities(
        viewer, schema="InvestigationCase", limit=500, purpose=store.read_purpose
    )
    say_withheld(found)
    if as_json:
        emit([e.to_ftm() for e in found], True)
        return
    for case in found:
        say(entity_line(case, "caseNumber", "caseStatus", "title"))
    if not found:
        say("no cases")


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    case_id: str,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """A case with its team, tasks and notes."""
    store, viewer = reading(ctx, user, purpose)
    file = cases.case_file(store, viewer, case_id)
    if file is None:
        raise NotVisible(f"case_id: no visible case {case_id!r}")
    say_withheld([file.case, *file.tasks, *file.notes])
    if as_json:
        emit(
            {
                "case": file.case.to_ftm(),
                "team": cases.team_of(file.case),
                "tasks": [t.to_ftm() for t in file.tasks],
                "notes": [n.to_ftm() for n in file.notes],
            },
            True,
        )
        return
    say(entity_line(file.case, "caseNumber", "caseStatus", "title"))
    for agency, role in sorted(cases.team_of(file.case).items()):
        say(f"  team {agency}: {role}")
    for task in file.tasks:
        say(f"  task {entity_line(task, 'title', 'taskStatus')}")
    for note in file.notes:
        say(f"  note {entity_line(note, 'author', 'bodyText')}")


@case_app.command("close")
def case_close(ctx: typer.Context, case_id: str, user: AsUser = None) -> None:
    """Close a case (lead agency only)."""
    store, viewer = acting(ctx, user)
    cases.close_case(store, viewer, case_id)
    say(f"case closed: {case_id}")


@case_app.command("reopen")
def case_reopen(ctx: typer.Context, case_id: str, user: AsUser = None) -> None:
    """Reopen a case (lead agency only)."""
    store, viewer = acting(ctx, user)
    cases.reopen_case(store, viewer, case_id)
    say(f"case reopened: {case_id}")


@team_app.command("add")
def team_add(
    ctx: typer.Context,
    case_id: str,
    agency: str,
    role: Annotated[str, typer.Option(help="member or observer")] = "member",
    user: AsUser = None,
) -> None:
    """Add an agency to the team; the case, tasks and notes are shared with it."""
    store, viewer = acting(ctx, user)
    cases.add_to_team(store, viewer, case_id, agency, role)
    say(f"{agency} added to {case_id} as {role}")


@team_app.command("role")
def team_role(
    ctx: typer.Context, case_id: str, agency: str, role: str, user: AsUser = None
) -> None:
    """Change a team member's role (member or observer)."""
    store, viewer = acting(ctx, user)
    cases.set_role(store, viewer, case_id, agency, role)
    say(f"{agency} is now {role} of {case_id}")


@team_app.command("remove")
def team_remove(ctx: typer.Context, case_id: str, agency: str, user: AsUser = None) -> None:
    """Take an agency off the team; the case is re-shared without it."""
    store, viewer = acting(ctx, user)
    cases.remove_from_team(store, viewer, case_id, agency)
    say(f"{agency} removed from {case_id}")


# --- notices ----------------------------------------------------------------------------


@notice_app.command("issue")
def notice_issue(
    ctx: typer.Context,
    notice_type: Annotated[str, typer.Argument(help=", ".join(notices.NOTICE_TYPES))],
    subject_id: str,
    reason: Annotated[str, typer.Option(help="Why the notice is issued")],
    share: Annotated[str, typer.Option(help="Sharing, AUDIENCE|HANDLING")] = "all",
    expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    country: Annotated[str | None, typer.Option(help="Issuing country")] = None,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Issue a notice (red and yellow ones from an officer wait for a supervisor)."""
    store, viewer = acting(ctx, user)
    sharing = checked_sharing(store, share, "--share")
    until = iso_date("--expires", expires)
    notice_id = notices.issue_notice(
        store, viewer, notice_type, subject_id, reason, sharing, until, country
    )
    entity = store.entity(viewer, notice_id, purpose=None)  # its own new record
    status = entity.first("noticeStatus") if entity else "?"
    if as_json:
        emit({"id": notice_id, "status": status}, True)
    else:
        say(f"notice {notice_id}: {status}")


def iso_date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


@notice_app.command("approve")
def notice_approve(ctx: typer.Context, notice_id: str, user: AsUser = None) -> None:
    """Approve a requested red or yellow notice (supervisor)."""
    store, viewer = acting(ctx, user)
    notices.approve_notice(store, viewer, notice_id)
    say(f"notice {notice_id}: {notices.ACTIVE}")


@notice_app.command("withdraw")
def notice_withdraw(ctx: typer.Context, notice_id: str, user: AsUser = None) -> None:
    """Withdraw one of your agency's notices."""
    store, viewer = acting(ctx, user)
    notices.withdraw_notice(store, viewer, notice_id)
    say(f"notice {notice_id}: withdrawn")


@notice_app.command("list")
def notice_list(
    ctx: typer.Context,
    limit: Limit = 50,
    offset: Offset = 0,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """Active notices you may see, a page at a time."""
    store, viewer = reading(ctx, user, purpose)
    page, more = paged(notices.active_notices(store, viewer), limit, offset)
    say_withheld(page)
    if as_json:
        emit({"results": [n.to_ftm() for n in page], "next_offset": more}, True)
        return
    for notice in page:
        say(entity_line(notice, "noticeType", "subject", "reason"))
    say_end(page, more, "no active notices")


def paged(found: list[Entity], limit: int, offset: int) -> tuple[list[Entity], int | None]:
    """One page of a list and the next page's offset (None on the last page), as the API."""
    return found[offset : offset + limit], offset + limit if len(found) > offset + limit else None


def say_end(page: list[Entity], more: int | None, empty: str) -> None:
    if not page:
        say(empty)
    elif more is not None:
        say(f"more: --offset {more}")


# --- messages ---------------------------------------------------------------------------


@message_app.command("send")
def message_send(
    ctx: typer.Context,
    to_agency: str,
    subject: Annotated[str, typer.Option(help="Subject line")],
    body: Annotated[str, typer.Option(help="Message text")],
    kind: Annotated[str, typer.Option(help="request, reply or notification")] = "request",
    about: Annotated[list[str] | None, typer.Option(help="Entity id it is about")] = None,
    reply_to: Annotated[str | None, typer.Option(help="Message id it answers")] = None,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Send a message to another agency."""
    store, viewer = acting(ctx, user)
    message_id = messages.send_message(
        store, viewer, to_agency, subject, body, kind, list(about or []), reply_to
    )
    created(as_json, message_id, f"message sent: {message_id}")


@message_app.command("list")
def message_list(
    ctx: typer.Context,
    limit: Limit = 50,
    offset: Offset = 0,
    user: AsUser = None,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """Messages to your agency, newest first, a page at a time."""
    store, viewer = reading(ctx, user, purpose)
    page, more = paged(messages.inbox(store, viewer), limit, offset)
    say_withheld(page)
    if as_json:
        emit({"results": [m.to_ftm() for m in page], "next_offset": more}, True)
        return
    for m in page:
        say(f"{m.id} from {','.join(sorted(m.agencies))}: {m.first('subject') or ''}")
    say_end(page, more, "no messages")


# --- subscriptions ----------------------------------------------------------------------


@subscription_app.command("add")
def subscription_add(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=", ".join(alerts.KINDS))],
    value: str,
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Be alerted when matching data arrives."""
    store, viewer = acting(ctx, user)
    sub_id = alerts.subscribe(store, viewer, kind, value)
    created(as_json, sub_id, f"subscription {sub_id}: {kind} {value}")


@subscription_app.command("list")
def subscription_list(ctx: typer.Context, user: AsUser = None, as_json: AsJson = False) -> None:
    """Your subscriptions."""
    store, viewer = acting(ctx, user)
    found = alerts.subscriptions_of(store, viewer)
    if as_json:
        emit(found, True)
        return
    for sub in found:
        say(f"{sub['id']} {sub['kind']} {sub['value']}")
    if not found:
        say("no subscriptions")


@subscription_app.command("delete")
def subscription_delete(ctx: typer.Context, subscription_id: int, user: AsUser = None) -> None:
    """Delete one of your subscriptions."""
    store, viewer = acting(ctx, user)
    alerts.unsubscribe(store, viewer, subscription_id)
    say(f"subscription {subscription_id} deleted")


# --- judgements -------------------------------------------------------------------------


def judgement_command(
    ctx: typer.Context,
    verdict: Annotated[str, typer.Argument(help="confirm, reject or unsure")],
    left: Annotated[str, typer.Argument(help="One person record id")],
    right: Annotated[str, typer.Argument(help="The other person record id")],
    reason: Annotated[str, typer.Option(help="Why")] = "",
    user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Judge a cross-reference pair: every later `screen xref` run respects it."""
    from palermo.match.resolution import judge

    store, viewer = acting(ctx, user)
    judgement_id = judge(store, viewer, left, right, verdict, reason)
    out: dict[str, Any] = {"id": judgement_id, "judgement": verdict}
    if as_json:
        emit(out, True)
    else:
        say(f"judgement {judgement_id}: {verdict} {left} {right}")
