"""Property: a hit notice tells the owner and the searcher, and nobody else anything.

Random small worlds of persons (random owner, random audience), then random searches by
random agencies, each notifying the owners of the records it returned (the call the search
API, the search page and screening make). For every agency: the notices it reads are about
its own records; the follow-ups it reads are of its own searches and name only records it
found itself; a third agency reads nothing of a notice; no notice carries a value of the
record (names), and none names the searching user.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.coordination import hit_notices
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import setup_agencies

AGENCIES = ("A1", "B2", "C3", "D4")
GROUPS = {"A1": ("G",), "B2": ("G",), "C3": (), "D4": ()}
SCOPES = ("owner", "all", "group:G", "A1", "B2", "C3", "D4")
SURNAMES = ("Petrov", "Haddad", "Nguyen")


@dataclass(frozen=True)
class Record:
    owner: str
    number: int
    surname: str
    scope: str

    @property
    def entity_id(self) -> str:
        return f"{self.owner.lower()}.p{self.number}"

    @property
    def name(self) -> str:
        return f"Olga{self.number} {self.surname}"

    def statements(self) -> list[Statement]:
        eid, local, sharing = self.entity_id, f"p{self.number}", Sharing.parse(self.scope)
        return [
            Statement(eid, "Person", BASE, eid, self.owner, local, sharing),
            Statement(eid, "Person", "name", self.name, self.owner, local, sharing),
        ]


records = st.lists(
    st.tuples(st.sampled_from(AGENCIES), st.sampled_from(SURNAMES), st.sampled_from(SCOPES)),
    min_size=1,
    max_size=8,
).map(lambda rows: [Record(o, n, s, scope) for n, (o, s, scope) in enumerate(rows)])
searches = st.lists(
    st.tuples(st.sampled_from(AGENCIES), st.sampled_from(SURNAMES), st.sampled_from(["", "op X"])),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=records, asked=searches)
def test_notices_reach_only_owner_and_searcher(
    store: Store, world: list[Record], asked: list[tuple[str, str, str]]
) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    for record in world:
        store.write(viewers[record.owner], record.statements())
    found_by: dict[str, set[str]] = {code: set() for code in AGENCIES}
    expected: set[tuple[str, str]] = set()  # (searcher agency, record id) notified
    for agency, surname, purpose in asked:
        found = [e.id for e in store.search(viewers[agency], surname.lower(), limit=50)]
        found_by[agency] |= set(found)
        hit_notices.notify_ids(store, viewers[agency], found, "search", purpose)
        owners = {r.entity_id: r.owner for r in world}
        expected |= {(agency, i) for i in found if owners[i] != agency}

    every = {code: hit_notices.received(store, viewers[code]) for code in AGENCIES}
    told = {(n.searcher_agency, n.record_id) for code in AGENCIES for n in every[code]}
    assert told == expected  # every foreign hit told once a day, no own hit told
    names = [r.name for r in world] + [r.surname for r in world]
    for code in AGENCIES:
        received = every[code]
        sent = hit_notices.sent(store, viewers[code])
        # own notices only: about its own records, hit by someone else
        assert all(n.record_id.startswith(code.lower() + ".") for n in received)
        assert all(n.searcher_agency != code for n in received)
        # own follow-ups only, naming only records this agency found itself
        assert all(f.owner_agency != code for f in sent)
        assert {f.record_id for f in sent} <= found_by[code]
        mine = {n.id for n in received} | {f.id for f in sent}
        others = {
            n.id
            for other in AGENCIES
            for n in every[other]
            if code not in (other, n.searcher_agency)
        }
        assert not mine & others  # a third agency reads nothing of a notice
        text = json.dumps([n.to_json() for n in received] + [f.to_json() for f in sent])
        assert not [name for name in names if name in text]  # no value of the record
        assert not [v.username for v in viewers.values() if v.username in text]
