"""Victim statistics an analyst may see (issue 16): Global-Report counts from victim records
whose values the analyst reads masked, released only as k-suppressed tables.

Properties: no released cell is below k; the pooled row, the only thing a total minus the
shown cells gives back, always holds at least two categories and more victims than
categories, so no hidden count can be worked out; and an agency's tables count exactly
the records whose consent reaches it (another agency's unshared records change nothing).
The page itself, as an analyst, shows the tables and no value of any one victim.
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import AccessDenied, Viewer
from palermo.analysis.suppression import K, SafeTable, suppress
from palermo.analysis.victim_aggregates import CAPTIONS, victim_tables
from palermo.api.app import create_app
from palermo.coordination.victims import consent_sharing
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.test_case_forms import login

# --- the suppression rule on its own ----------------------------------------------------

counts = st.dictionaries(
    st.sampled_from([f"c{i}" for i in range(14)]), st.integers(0, 60), max_size=14
)


@settings(max_examples=400, deadline=None)
@given(table=counts, k=st.sampled_from([K, 5, 20]))
def test_no_cell_below_k_and_no_hidden_count_can_be_worked_out(
    table: dict[str, int], k: int
) -> None:
    safe = suppress("t", table, k)
    true_total = sum(table.values())
    if true_total < k:
        assert safe.withheld and safe.cells() == [] and safe.other is None
        return
    assert all(n >= k for n in safe.cells()), safe  # no cell below k, pooled row included
    shown = dict(safe.rows)
    assert all(table[c] == n for c, n in shown.items())  # shown cells are the true counts
    assert safe.total == true_total
    hidden = {c: n for c, n in table.items() if n > 0 and c not in shown}
    assert (safe.other or 0) == sum(hidden.values())  # total - shown == the pool, nothing else
    if hidden:
        # Worst case: the observer knows which categories are pooled and that each holds
        # at least one victim; a hidden count then lies in [1, pool - (members - 1)].
        assert len(hidden) >= 2, safe
        assert safe.other is not None
        highest = safe.other - (len(hidden) - 1)
        assert highest >= 2, f"every pooled count is pinned to 1: {safe}"
    assert all(table[c] >= k for c in shown)  # nothing small was published as shown


@pytest.mark.parametrize(
    ("table", "rows", "other"),
    [
        ({"f": 40, "m": 30}, (("f", 40), ("m", 30)), None),
        ({"f": 40, "m": 3}, (), 43),  # one small cell: its complement joins the pool
        ({"f": 40, "m": 12, "x": 3}, (("f", 40),), 15),
        ({"a": 50, "b": 6, "c": 6}, (("a", 50),), 12),  # two small cells, already >= k
        ({**{f"s{i}": 1 for i in range(11)}, "big": 30}, (), 41),  # ones only: pinned
    ],
)
def test_examples(table: dict[str, int], rows: tuple[tuple[str, int], ...], other: int) -> None:
    safe = suppress("t", table)
    assert (safe.rows, safe.other, safe.total) == (rows, other, sum(table.values()))


def test_a_table_of_fewer_than_k_victims_is_withheld() -> None:
    assert suppress("t", {"f": 6, "m": 4}) == SafeTable("t", (), None, None)


# --- the aggregates over a store, as each agency ------------------------------------

AGENCIES = ("A1", "B2", "C3")
GROUPS = {"A1": ("G",), "B2": ("G",), "C3": ()}
PARTNERS = {"A1": ("B2", "C3"), "B2": ("A1", "C3"), "C3": ("A1", "B2")}


@dataclass(frozen=True)
class Victim:
    """One victim record of ``owner`` with its person; consent decides the audience."""

    owner: str
    number: int
    consent: str
    partner: int  # which partner (consent "partners")
    form: str
    gender: str
    minor: bool
    person_open: bool  # the person record is shared with all (else owner only)

    def audience(self) -> Sharing:
        partners = frozenset({PARTNERS[self.owner][self.partner]})
        return consent_sharing(
            self.consent, partners if self.consent == "partners" else frozenset()
        )

    def reaches(self, agency: str) -> bool:
        return self.audience().reaches(self.owner, agency, GROUPS[agency])

    def person_reaches(self, agency: str) -> bool:
        return self.person_open or agency == self.owner

    def statements(self) -> list[object]:
        pid = f"{self.owner.lower()}.person-{self.number}"
        person = build(
            self.owner,
            pid,
            "Person",
            {"name": f"Person {self.number}", "gender": self.gender},
            Sharing.to_all() if self.person_open else Sharing.owner_only(),
        )
        record = build(
            self.owner,
            f"{self.owner.lower()}.victim-{self.number}",
            "VictimRecord",
            {
                "victim": pid,
                "exploitationForm": self.form,
                "isMinor": "true" if self.minor else "false",
                "registrationYear": "2025",
                "consent": self.consent,
            },
            self.audience(),
        )
        return [*person, *record]


victims_st = st.lists(
    st.tuples(
        st.sampled_from(AGENCIES),
        st.sampled_from(("none", "agency", "partners", "all")),
        st.integers(0, 1),
        st.sampled_from(("sexual", "forced-labour", "forced-begging")),
        st.sampled_from(("female", "male")),
        st.booleans(),
        st.booleans(),
    ),
    max_size=45,
).map(lambda rows: [Victim(r[0], n, *r[1:]) for n, r in enumerate(rows)])


def expected_sex_age(victims: list[Victim], agency: str) -> Counter[str]:
    labels = {("female", False): "women", ("female", True): "girls"}
    labels |= {("male", False): "men", ("male", True): "boys"}
    out: Counter[str] = Counter()
    for v in victims:
        if v.reaches(agency):
            known = v.person_reaches(agency)
            out[labels[(v.gender, v.minor)] if known else "unknown"] += 1
    return out


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=victims_st)
def test_each_agency_counts_exactly_what_consent_shares_with_it_suppressed(
    store: Store, world: list[Victim]
) -> None:
    wipe(store)
    analysts = setup_agencies(store, GROUPS)
    for code in AGENCIES:
        owned = [s for v in world if v.owner == code for s in v.statements()]
        if owned:
            store.write(analysts[code], owned)  # type: ignore[arg-type]
    for code in AGENCIES:
        support = store.add_user(SYSTEM, f"vs-{code}".lower(), code, "victim-support").viewer()
        found = victim_tables(store, analysts[code])
        shared = [v for v in world if v.reaches(code)]
        for table in found.tables:
            assert all(n >= K for n in table.cells()), table
        assert found.total == (len(shared) if len(shared) >= K else None)
        by_caption = {t.caption: t for t in found.tables}
        want = suppress(CAPTIONS["sex_age"], expected_sex_age(world, code))
        assert by_caption[CAPTIONS["sex_age"]] == want
        # the role does not change a count: analysts and victim-support see the same tables
        assert victim_tables(store, support) == found


@pytest.fixture
def analysts(store: Store) -> dict[str, Viewer]:
    return setup_agencies(store, GROUPS)


def test_others_unshared_records_change_nothing(store: Store, analysts: dict[str, Viewer]) -> None:
    mine = [Victim("A1", n, "agency", 0, "sexual", "female", n % 2 == 0, True) for n in range(30)]
    for v in mine:
        store.write(analysts["A1"], v.statements())  # type: ignore[arg-type]
    before = victim_tables(store, analysts["A1"])
    theirs = [
        Victim("B2", 100 + n, "none", 0, "forced-labour", "male", False, True) for n in range(25)
    ]
    for v in theirs:
        store.write(analysts["B2"], v.statements())  # type: ignore[arg-type]
    assert victim_tables(store, analysts["A1"]) == before
    assert victim_tables(store, analysts["B2"]).total == 25


def test_a_reader_without_a_data_role_reads_no_statistics(store: Store) -> None:
    setup_agencies(store, GROUPS)
    admin = store.add_user(SYSTEM, "admin-a1", "A1", "admin").viewer()
    with pytest.raises(AccessDenied):
        victim_tables(store, admin)


# --- the page ------------------------------------------------------------------------


@pytest.fixture
def client(store: Store, analysts: dict[str, Viewer]) -> Iterator[TestClient]:
    store.add_user(SYSTEM, "ada", "A1", "analyst", password="pw-ada")
    with TestClient(create_app(store)) as c:
        yield c


def numbers(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', page)]


def test_the_page_shows_suppressed_tables_and_no_victim(
    client: TestClient, store: Store, analysts: dict[str, Viewer]
) -> None:
    login(client, "ada")
    assert "Fewer than 11 victim records" in client.get("/statistics").text
    world = [
        Victim("A1", n, "agency", 0, "sexual" if n < 12 else "forced-labour", "female", n < 3, True)
        for n in range(26)
    ]
    for v in world:
        store.write(analysts["A1"], v.statements())  # type: ignore[arg-type]
    page = client.get("/statistics").text
    assert 'id="statistics-total">26<' in page
    assert numbers(page) and min(numbers(page)) >= K
    # 23 women and 3 girls: the girls are pooled with the women, never shown as 3
    assert ">girls<" not in page and ">women<" not in page
    assert "Sexual exploitation" in page and "Forced labour" in page  # 12 and 14: shown
    assert '<td class="num">12</td>' in page and '<td class="num">14</td>' in page
    assert "Person 1" not in page and "a1.person-" not in page  # no individual
    assert store.entity(analysts["A1"], "a1.victim-1") is None  # the analyst reads it masked
