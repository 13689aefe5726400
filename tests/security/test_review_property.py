"""Property: the review queue never shows a pair with a record the viewer may not see.

Random small worlds of namesakes (one name or a near variant, birth years a year apart, so
the resolver puts pairs between the reject and link thresholds), each record with a
random owner and audience, plus a few unrelated records shared with everyone. For every
agency, every record of every queued pair must be one the agency may read: its own, or
shared with it directly, by its group or with all. The fixed example is a pair one side
keeps to itself: only that side's agency may see the pair queued.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from palermo.analysis import review
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.analysis.test_review import OTHERS
from tests.conftest import wipe
from tests.store.factories import setup_agencies

AGENCIES = ("A1", "B2", "C3")
GROUPS = {"A1": ("G",), "B2": ("G",), "C3": ()}
SCOPES = ("owner", "all", "group:G", "A1", "B2", "C3")
NAMES = ("Ivan Petrov", "Ivan Petrova")
BORN = ("1980-02-03", "1981-02-03")


@dataclass(frozen=True)
class Record:
    owner: str
    scope: str
    name: str
    born: str

    def sharing(self) -> Sharing:
        return Sharing() if self.scope == "owner" else Sharing.parse(self.scope)

    def readable_by(self, agency: str) -> bool:
        return agency == self.owner or self.sharing().reaches(self.owner, agency, GROUPS[agency])


records = st.lists(
    st.builds(
        Record,
        st.sampled_from(AGENCIES),
        st.sampled_from(SCOPES),
        st.sampled_from(NAMES),
        st.sampled_from(BORN),
    ),
    min_size=2,
    max_size=4,
)
KEPT_APART = [Record("A1", "all", NAMES[0], BORN[0]), Record("B2", "owner", NAMES[0], BORN[1])]


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=records)
@example(world=KEPT_APART)
def test_review_queue_shows_only_visible_records(store: Store, world: list[Record]) -> None:
    wipe(store)
    viewers = setup_agencies(store, GROUPS)
    ids = {}
    for record in world:
        sharing = record.sharing()
        props = {"name": record.name, "birthDate": record.born}
        ids[write_entity(store, viewers[record.owner], "Person", props, sharing)] = record
    everyone = Sharing.parse("all")
    for name, born in OTHERS:
        write_entity(store, viewers["C3"], "Person", {"name": name, "birthDate": born}, everyone)
    queued = {}
    for agency in AGENCIES:
        queued[agency] = review.queue(store, viewers[agency])
        for item in queued[agency]:
            for rid in (item.left, item.right):
                assert rid not in ids or ids[rid].readable_by(agency), (agency, rid)
    if world == KEPT_APART:  # the one-sided pair: only B2 may see both records
        assert [len(queued[a]) for a in AGENCIES] == [0, 1, 0]
