"""Who may correct or retract a court outcome, and who reads its history (issue 20).

For random worlds of three agencies (suspects, court outcomes under random sharing, values
added to some outcomes by a partner that reads them) and random correct/retract attempts by
random agencies: an attempt succeeds exactly when the actor is the agency that recorded the
outcome (stated its defendant) and the outcome is still there; an agency that cannot read
it gets NotVisible (404), one that reads it but did not record it AccessDenied (403), and
nothing is written by a refused attempt. After every change the history is read by exactly
the agencies the outcome was shared with, a retracted outcome is read by no one and counted
in no GLOTIP submission. SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import AccessDenied, NotVisible
from palermo.analysis import glotip_submission as gs
from palermo.analysis.statistics import SUSPECT_TOPIC
from palermo.coordination import court, court_changes
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.model.statement import Statement
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import setup_agencies

AGENCIES = ("A1", "B2", "C3")
sharings = st.sampled_from(
    [Sharing.owner_only(), Sharing.to_all(), Sharing(agencies=frozenset({"B2"}))]
)
outcomes_st = st.lists(st.tuples(st.sampled_from(AGENCIES), sharings), min_size=1, max_size=4)
additions_st = st.lists(st.tuples(st.sampled_from(AGENCIES), st.integers(0, 3)), max_size=2)
attempts_st = st.lists(
    st.tuples(
        st.sampled_from(AGENCIES), st.integers(0, 3), st.sampled_from(["correct", "retract"])
    ),
    min_size=1,
    max_size=5,
)


def readers(owner: str, sharing: Sharing) -> set[str]:
    if sharing.everyone:
        return set(AGENCIES)
    return {owner, *sharing.agencies}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(outcomes=outcomes_st, additions=additions_st, attempts=attempts_st)
def test_only_the_recorder_changes_an_outcome_and_the_history_follows_its_sharing(
    store: Store,
    outcomes: list[tuple[str, Sharing]],
    additions: list[tuple[str, int]],
    attempts: list[tuple[str, int, str]],
) -> None:
    wipe(store)
    viewers = setup_agencies(store, {a: () for a in AGENCIES})
    persons = {
        a: write_entity(
            store,
            viewers[a],
            "Person",
            {"name": f"Suspect of {a}", "gender": "male", "topics": SUSPECT_TOPIC},
            Sharing.to_all(),
            kind="p",
        )
        for a in AGENCIES
    }
    written: list[tuple[str, str, Sharing]] = []  # id, recorder, sharing
    for owner, sharing in outcomes:
        values = court.CourtOutcomeInput(
            persons[owner], "convicted", "2023-02-01", "2023-06-01", "02042", "forced-labour"
        )
        written.append(
            (court.record_court_outcome(store, viewers[owner], values, sharing), owner, sharing)
        )
    for adder, index in additions:
        oid, _, _ = written[index % len(written)]
        if store.entity(viewers[adder], oid, purpose=None) is None:
            continue
        value = Statement(
            oid, "CourtOutcome", "court", f"court of {adder}", adder, oid, Sharing.to_all()
        )
        store.write(viewers[adder], [value], target=oid)
    retracted: set[str] = set()
    for n, (actor, index, kind) in enumerate(attempts):
        oid, recorder, sharing = written[index % len(written)]
        before = len(court_changes.history(store, viewers[recorder], oid))
        reads = actor in readers(recorder, sharing) and oid not in retracted
        try:
            if kind == "retract":
                court_changes.retract_court_outcome(store, viewers[actor], oid, f"why {n}")
                retracted.add(oid)
            else:
                values = court.CourtOutcomeInput(
                    "",
                    "convicted",
                    "2023-02-01",
                    "2023-06-01",
                    "0204",
                    "forced-labour",
                    f"court {n}",
                )
                court_changes.correct_court_outcome(store, viewers[actor], oid, values, f"why {n}")
        except NotVisible:
            assert not reads, (actor, oid)
            assert len(court_changes.history(store, viewers[recorder], oid)) == before
            continue
        except AccessDenied:
            assert reads and actor != recorder, (actor, recorder, oid)
            assert len(court_changes.history(store, viewers[recorder], oid)) == before
            continue
        assert actor == recorder and reads, (actor, recorder, oid)
        assert len(court_changes.history(store, viewers[recorder], oid)) == before + 1
        for agency, viewer in viewers.items():
            seen = court_changes.history(store, viewer, oid)
            assert bool(seen) == (agency in readers(recorder, sharing)), (agency, oid)
    for agency, viewer in viewers.items():
        counted = {r for c in gs.from_store(store, viewer, 2023).cells for r in c.records}
        assert not counted & retracted
        for oid in retracted:
            outcome = store.entity(viewer, oid, purpose=None)
            assert outcome is None or not outcome.values("defendant"), (agency, oid)
