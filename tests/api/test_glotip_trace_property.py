"""Property: the GLOTIP trace never returns a record another agency did not share.

Random agencies write suspects and court outcomes under random sharing (some outcomes name
another agency's person, some records get a value added by a third agency); then, for every
agency and year, every record behind every cell of its submission, as the trace reads it
(`api.glotip_routes.readable_records`, what the API and the page call), is one the store
shows that agency and one it holds a statement of, and nothing the cell counted is dropped.
Where no agency added to another's record, the convicted count equals an oracle computed
from what was written. On SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.analysis import glotip_submission as gs
from palermo.api.glotip_routes import readable_records
from palermo.datasets.glotip import CONVICTED
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import setup_agencies

AGENCIES = ["DE-BKA", "NL-KMAR", "TH-RTP"]
YEARS = (2022, 2023)
sharings = st.one_of(
    st.just(Sharing.owner_only()),
    st.just(Sharing.to_all()),
    st.frozensets(st.sampled_from(AGENCIES), min_size=1, max_size=2).map(
        lambda a: Sharing(agencies=a)
    ),
)


@dataclass(frozen=True)
class Outcome:
    writer: str
    defendant: int  # index into the persons
    verdict: str
    year: int
    sharing: Sharing


persons_st = st.lists(st.tuples(st.sampled_from(AGENCIES), sharings), min_size=1, max_size=5)
outcomes_st = st.lists(
    st.builds(
        Outcome,
        st.sampled_from(AGENCIES),
        st.integers(0, 4),
        st.sampled_from(["convicted", "acquitted", "pending"]),
        st.sampled_from(YEARS),
        sharings,
    ),
    max_size=8,
)
additions_st = st.lists(
    st.tuples(st.sampled_from(AGENCIES), st.integers(0, 7), sharings), max_size=2
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(persons=persons_st, outcomes=outcomes_st, additions=additions_st)
def test_trace_returns_only_what_the_caller_may_read(
    store: Store,
    persons: list[tuple[str, Sharing]],
    outcomes: list[Outcome],
    additions: list[tuple[str, int, Sharing]],
) -> None:
    wipe(store)
    viewers = setup_agencies(store, {a: () for a in AGENCIES})
    person_ids = [
        (owner, write_entity(store, viewers[owner], "Person",
                             {"name": f"Suspect {n}", "gender": "female"}, sharing, kind="p"))
        for n, (owner, sharing) in enumerate(persons)
    ]  # fmt: skip
    holders: dict[str, set[str]] = {}  # record id -> agencies with a statement on it
    for owner, pid in person_ids:
        holders[pid] = {owner}
    written: list[tuple[Outcome, str, str]] = []  # outcome, its id, the defendant's owner
    for o in outcomes:
        owner, pid = person_ids[o.defendant % len(person_ids)]
        props = {"defendant": pid, "verdict": o.verdict, "prosecutionDate": f"{o.year}-03-01"}
        if o.verdict != "pending":
            props["verdictDate"] = f"{o.year}-06-01"
        oid = write_entity(store, viewers[o.writer], "CourtOutcome", props, o.sharing, kind="co")
        holders[oid] = {o.writer}
        written.append((o, oid, owner))
    for adder, index, sharing in additions:
        if not written:
            break
        _, oid, _ = written[index % len(written)]
        if store.entity(viewers[adder], oid, purpose=None) is None:
            continue  # the store refuses a value on a record the writer cannot read
        value = Statement(oid, "CourtOutcome", "court", f"court of {adder}", adder, oid, sharing)
        store.write(viewers[adder], [value], target=oid)
        holders[oid].add(adder)

    for agency, viewer in viewers.items():
        for year in YEARS:
            sub = gs.from_store(store, viewer, year)
            for cell in sub.cells:
                traced = readable_records(store, viewer, cell)
                assert [e.id for e in traced] == list(cell.records), cell.key
                for e in traced:
                    assert agency in holders[e.id], (agency, e.id, holders[e.id])
                    assert store.entity(viewer, e.id, purpose=None) is not None
            if any(len(h) > 1 for h in holders.values()):
                continue
            convicted = {
                pid_owner_pid
                for o, _, owner in written
                for pid_owner_pid in [person_ids[o.defendant % len(person_ids)][1]]
                if o.writer == agency == owner and o.verdict == "convicted" and o.year == year
            }
            cell = sub.cell(gs.CellKey(CONVICTED, "Total", "Total", "Total", "Total"))
            assert (cell.count if cell else 0) == len(convicted)
