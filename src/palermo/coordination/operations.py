"""Joint operations: one coordinator, several countries, one synchronised action day.

The operation and its tasks are shared with every participating agency; each participant
reports results (additive: a second report adds to the first), and the dashboard and the
after-action report roll them up per country.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from palermo.access.viewer import AccessDenied, Viewer
from palermo.coordination.records import as_int
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from palermo.store.views import Entity

COUNTS = ("arrests", "victimsIdentified", "victimsRescued", "documentsSeized", "checksPerformed")


@dataclass(frozen=True)
class Participant:
    agency: str
    country: str
    timezone: str

    def encode(self) -> str:
        return f"{self.agency}|{self.country.upper()}|{self.timezone}"

    @classmethod
    def decode(cls, text: str) -> Participant:
        agency, country, tz = text.split("|", 2)
        return cls(agency, country, tz)


@dataclass
class Dashboard:
    operation: Entity
    participants: list[Participant]
    local_action_times: dict[str, str]
    by_country: dict[str, dict[str, int]] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    # the records read with values left out for the read's purpose (H0, ADR 0051): the page
    # says whom to ask, since a count it left out is missing from the totals
    held: list[Entity] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {c: sum(row[c] for row in self.by_country.values()) for c in COUNTS}

    @property
    def missing_reports(self) -> list[str]:
        return sorted(p.agency for p in self.participants if p.agency not in self.reported)


def plan_operation(
    store: Store,
    viewer: Viewer,
    name: str,
    participants: list[Participant],
    action_time: datetime,
    targets: list[str] | None = None,
    target_notes: str = "",
    case_id: str | None = None,
) -> str:
    """Plan an operation shared with its participants. Every participant agency must be
    in the directory: an unknown code (a typo) would be a participant nobody can be."""
    viewer.require_data_role("plan operations")
    if action_time.tzinfo is None:
        raise ValueError("action_time: give a time zone (e.g. 2026-12-01T05:00+01:00)")
    check_participants(store, participants)
    agencies = {p.agency for p in participants} - {viewer.agency}
    props: dict[str, str | list[str]] = {
        "name": name,
        "coordinator": viewer.agency,
        "operationStatus": "planned",
        "participants": [p.encode() for p in participants],
        "actionTime": action_time.astimezone(UTC).isoformat(),
        "targets": targets or [],
        "targetNotes": target_notes,
    }
    if case_id:
        props["case"] = case_id
    return write_entity(
        store, viewer, "JointOperation", props, Sharing(agencies=frozenset(agencies)), kind="op"
    )


def check_participants(store: Store, participants: list[Participant]) -> None:
    """Every participant is a directory agency with a country code and a real time zone:
    an unknown code (a typo) would be a participant nobody can be. For a new plan and a
    changed one alike."""
    if not participants:
        raise ValueError("participants: give at least one participating agency")
    known = {a.code for a in store.agencies()}
    for i, p in enumerate(participants):
        if p.agency not in known:
            raise ValueError(f"participants.{i}.agency: unknown agency {p.agency!r}")
        if not p.country.strip() or "|" in p.country or "|" in p.agency:
            raise ValueError(f"participants.{i}.country: {p.country!r} is not a country code")
        _zone(p.timezone)


def add_task(
    store: Store, viewer: Viewer, operation_id: str, country: str, agency: str, title: str
) -> str:
    op = _operation(store, viewer, operation_id)
    return write_entity(
        store,
        viewer,
        "OperationTask",
        {
            "operation": operation_id,
            "country": country,
            "agency": agency,
            "title": title,
        },
        _audience(op, viewer),
        kind="optask",
    )


def report_result(
    store: Store, viewer: Viewer, operation_id: str, country: str, **counts: int
) -> str:
    """Report results for the reporting agency's own country: only a participant may, and
    only for the country it takes part for (NL cannot add arrests to DE's figures)."""
    op = _operation(store, viewer, operation_id)
    own = {p.country.upper() for p in _participants(op) if p.agency == viewer.agency}
    if not own:
        raise AccessDenied(f"operation_id: {viewer.agency} does not take part in {operation_id}")
    if country.strip().upper() not in own:
        raise AccessDenied(
            f"country: {viewer.agency} reports results for {', '.join(sorted(own))} only, "
            f"not {country!r}"
        )
    unknown = set(counts) - set(COUNTS)
    if unknown:
        raise ValueError(f"{sorted(unknown)[0]}: not a result field ({', '.join(COUNTS)})")
    for key, value in counts.items():
        if value < 0:
            raise ValueError(f"{key}: must not be negative")
    props = {
        "operation": operation_id,
        "agency": viewer.agency,
        "country": country,
        **{k: str(v) for k, v in counts.items()},
    }
    return write_entity(
        store, viewer, "OperationResult", props, _audience(op, viewer), kind="opresult"
    )


def dashboard(store: Store, viewer: Viewer, operation_id: str) -> Dashboard:
    op = _operation(store, viewer, operation_id)
    participants = _participants(op)
    local = _local_times(op, participants)
    board = Dashboard(op, participants, local, held=[op] if op.withheld else [])
    for result in store.referencing(viewer, operation_id, schema="OperationResult"):
        if result.withheld:
            board.held.append(result)
        country = (result.first("country") or "").upper()
        row = board.by_country.setdefault(country, dict.fromkeys(COUNTS, 0))
        for count in COUNTS:
            row[count] += sum(as_int(v.value) for v in result.properties.get(count, []))
        board.reported.add(result.first("agency") or "")
    return board


def after_action_report(store: Store, viewer: Viewer, operation_id: str) -> str:
    """A plain-text (Markdown) after-action report of the operation's results."""
    board = dashboard(store, viewer, operation_id)
    op = board.operation
    lines = [
        f"# After-action report: {op.first('name')}",
        "",
        f"Coordinator: {op.first('coordinator')}  ",
        f"Action time (UTC): {op.first('actionTime')}",
        "",
        "| country | " + " | ".join(COUNTS) + " |",
        "|---|" + "---|" * len(COUNTS),
    ]
    for country, row in sorted(board.by_country.items()):
        lines.append(f"| {country} | " + " | ".join(str(row[c]) for c in COUNTS) + " |")
    lines.append("| **total** | " + " | ".join(str(board.totals[c]) for c in COUNTS) + " |")
    if board.missing_reports:
        lines += ["", f"No results reported yet by: {', '.join(board.missing_reports)}"]
    return "\n".join(lines) + "\n"


def _operation(store: Store, viewer: Viewer, operation_id: str) -> Entity:
    op = store.entity(viewer, operation_id)
    if op is None or op.schema != "JointOperation":
        raise ValueError(f"operation_id: no visible operation {operation_id!r}")
    return op


def _local_times(op: Entity, participants: list[Participant]) -> dict[str, str]:
    """The action time in each participant's zone; none when the read's purpose withheld
    the action time (H0, ADR 0051): the board still shows, without local times."""
    when = op.first("actionTime")
    if when is None and op.withheld:
        return {}
    action = datetime.fromisoformat(when or "")
    return {p.agency: action.astimezone(_zone(p.timezone)).isoformat() for p in participants}


def _participants(op: Entity) -> list[Participant]:
    return [Participant.decode(v) for v in op.values("participants")]


def _audience(op: Entity, viewer: Viewer) -> Sharing:
    agencies = {p.agency for p in _participants(op)} | {op.first("coordinator") or ""}
    return Sharing(agencies=frozenset(agencies - {viewer.agency, ""}))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: {name!r} is not an IANA time zone") from None
