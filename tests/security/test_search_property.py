"""Property: search never finds an entity the viewer cannot read, nor by a masked value.

Random small worlds of persons, each with a random owner, audience and handling for its
name and, separately, for its passport number (so an entity can be readable by its name
while its passport is victim-sensitive). Surnames come from a small pool, so one query
matches records on both sides of every rule. For every agency, as an analyst and as a
victim-support user, searching a surname or a passport number (typed with spaces) must
return exactly the entities whose matching value the viewer may read unmasked: nothing
unshared, nothing found through a masked value, no alias of an opaque entity, and counts
(total, facets) that reveal no more than the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.model.sharing import Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies

AGENCIES = ("A1", "B2", "C3")
GROUPS = {"A1": ("G",), "B2": ("G",), "C3": ()}
SCOPES = ("owner", "all", "group:G", "A1", "B2", "C3")
SURNAMES = ("Petrov", "Haddad", "Nguyen")


@dataclass(frozen=True)
class Value:
    scope: str
    sensitive: bool

    def sharing(self) -> Sharing:
        return Sharing.parse(self.scope, ["victim-sensitive"] if self.sensitive else [])

    def readable(self, owner: str, agency: str, victim_support: bool) -> bool:
        """The viewer may read this value unmasked."""
        reaches = agency == owner or self.sharing().reaches(owner, agency, GROUPS[agency])
        return reaches and (victim_support or not self.sensitive)


@dataclass(frozen=True)
class Record:
    owner: str
    number: int
    surname: str
    name: Value
    passport: Value

    @property
    def entity_id(self) -> str:
        return f"{self.owner.lower()}.p{self.number}"

    @property
    def passport_number(self) -> str:
        return f"XK{self.number:07d}"

    def statements(self) -> list[Statement]:
        eid, local = self.entity_id, f"p{self.number}"
        name = f"Olga {self.surname}"
        return [
            Statement(eid, "Person", BASE, eid, self.owner, local, self.name.sharing()),
            Statement(eid, "Person", "name", name, self.owner, local, self.name.sharing()),
            Statement(
                eid,
                "Person",
                "passportNumber",
                self.passport_number,
                self.owner,
                local,
                self.passport.sharing(),
            ),
        ]


values = st.builds(Value, st.sampled_from(SCOPES), st.booleans())
records = st.lists(
    st.tuples(st.sampled_from(AGENCIES), st.sampled_from(SURNAMES), values, values),
    min_size=1,
    max_size=8,
).map(lambda rows: [Record(o, n, s, a, b) for n, (o, s, a, b) in enumerate(rows)])


def users(store: Store) -> list[tuple[Viewer, bool]]:
    out = []
    for code in AGENCIES:
        support = store.add_user(SYSTEM, f"vs-{code}".lower(), code, "analyst,victim-support")
        out.append((store.viewer(f"analyst-{code}".lower()), False))
        out.append((support.viewer(), True))
    return out


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=records)
def test_search_finds_only_what_the_viewer_reads_unmasked(
    store: Store, world: list[Record]
) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    for record in world:
        store.write(viewers[record.owner], record.statements())
    for viewer, support in users(store):
        agency = viewer.agency
        for surname in SURNAMES:
            expected = {
                r.entity_id
                for r in world
                if r.surname == surname and r.name.readable(r.owner, agency, support)
            }
            found = store.search(viewer, surname.lower(), limit=50)
            assert {e.id for e in found} == expected, (agency, support, surname)
            assert found.total == len(expected)
            assert sum(c for _, c in found.facets["schema"]) == len(expected)
        for record in world:
            typed = f"{record.passport_number[:2]} {record.passport_number[2:]}"
            found = store.search(viewer, typed)
            readable = record.passport.readable(record.owner, agency, support)
            assert [e.id for e in found] == ([record.entity_id] if readable else []), (
                agency,
                support,
                record,
            )
            assert all(not e.id.startswith("masked-") for e in found)
