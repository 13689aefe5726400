"""H0 in an alert: the alert stays, a value stated for other purposes leaves its summary.

An alert's summary quotes the value of the statement that triggered it (``name 'volkov':
Person.name = Oleksandr Volkov``): written when the statement arrived, for every subscriber
who reads it unmasked, whatever the purpose of a later read. Shown on the home dashboard
or by ``GET /api/v1/alerts``, it is a read like any other (ADR 0051): another agency's
value whose H0 purposes exclude the read's purpose (or any value stated for a purpose, when
none is declared) is replaced by the marker the other pages use ("withheld: H0, stated for
other purposes; ask B2"). The alert itself, its entity id and the subscription's own text
stay, as a search keeps a hit found through a withheld name: the subscriber should know
something arrived, and whom to ask.

The rule is `purpose_view`'s, judged on the one statement the summary quotes
(`statement_copy`, `copy_usable`): the viewer's own statement, or one without stated
purposes, shows. That is stricter than the any-copy rule of entity reads (a value another
agency also stated for no purpose is still withheld here), never looser. An alert whose
statement is no longer held (erased) cannot be judged and keeps its summary: retention's
erasure, not H0, decides what it still says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from palermo.access.viewer import AccessDenied, Viewer
from palermo.exchange.alerts import Alert
from palermo.store.purpose_view import UNDECLARED, copy_usable, statement_copy, withheld_note
from palermo.store.store import Store
from palermo.store.tables import policy, statement


@dataclass(frozen=True)
class HeldAlert:
    """An alert whose summary was cut for the read's purpose, shaped like an `Entity` for
    the pages' withheld note (`_withheld_rows.html`): prop -> owners to ask."""

    alert: Alert
    withheld: dict[str, list[str]] = field(default_factory=dict)

    @property
    def withheld_owners(self) -> list[str]:
        return sorted({a for owners in self.withheld.values() for a in owners})


def for_purpose(
    store: Store, viewer: Viewer, alerts: Sequence[Alert], purpose: str | None
) -> tuple[list[Alert], list[HeldAlert]]:
    """``alerts`` as ``purpose`` may show them to ``viewer``, and those that were cut.
    ``purpose`` None (an internal caller) keeps every summary."""
    if purpose is None or not alerts:
        return list(alerts), []
    rows = _statements(store, sorted({a.statement_id for a in alerts}))
    out: list[Alert] = []
    held: list[HeldAlert] = []
    for a in alerts:
        found = rows.get(a.statement_id)
        if found is None:
            out.append(a)
            continue
        prop, value, agency, canonical = found
        copy = statement_copy(prop, value, agency, canonical, viewer)
        if copy_usable(copy, purpose):
            out.append(a)
            continue
        cut = replace(a, summary=_cut(a.summary, value, agency))
        out.append(cut)
        held.append(HeldAlert(cut, {prop: [agency]}))
    return out, held


def undeclared_push(
    store: Store, publish: Callable[[list[Alert]], None]
) -> Callable[[list[Alert]], None]:
    """``publish`` (the NATS push) behind H0: each alert as its subscriber may read it with
    no purpose declared.

    A pushed alert is read by whatever client listens on the subscriber's subject, which
    cannot declare a purpose; so, as for every read that declares none (ADR 0051), another
    agency's value stated for a purpose leaves the summary and the marker says whom to
    ask. A subscriber who is no longer a user gets nothing pushed.
    """

    def push(created: list[Alert]) -> None:
        by_user: dict[str, list[Alert]] = {}
        for a in created:
            by_user.setdefault(a.username, []).append(a)
        shown: dict[int, Alert] = {}
        for username, theirs in by_user.items():
            try:
                viewer = store.viewer(username)
            except AccessDenied:
                continue
            cut, _ = for_purpose(store, viewer, theirs, UNDECLARED)
            shown.update((a.id, a) for a in cut)
        out = [shown[a.id] for a in created if a.id in shown]
        if out:
            publish(out)

    return push


def _cut(summary: str, value: str, agency: str) -> str:
    """The summary without the quoted value: ``<subscription>: <schema>.<prop>`` and the
    marker; only the marker when the summary does not end in the value as written."""
    note = withheld_note([agency])
    tail = f" = {value}"
    if summary.endswith(tail):
        return f"{summary[: -len(tail)]} ({note})"
    return note


def _statements(store: Store, ids: list[str]) -> dict[str, tuple[str, str, str, str]]:
    """statement id -> (prop, value, agency, canonical policy text)."""
    query = (
        sa.select(statement.c.id, statement.c.prop, statement.c.value, statement.c.agency)
        .add_columns(policy.c.canonical)
        .select_from(statement.join(policy, policy.c.id == statement.c.policy_id))
        .where(statement.c.id.in_(ids))
    )
    with store.engine.connect() as conn:
        return {r.id: (r.prop, r.value, r.agency, r.canonical) for r in conn.execute(query)}
