"""Screening through the store: documents, persons, manifests - never an unshared record."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Viewer
from palermo.exchange.notices import issue_notice
from palermo.ingest.build import build
from palermo.match.manifest import read_csv, screen_manifest
from palermo.match.person import PersonRecord
from palermo.match.service import IndexCache
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies

AGENCIES = ["A1", "B2", "C3"]
NAMES = ["Олександр Волков", "Somchai Jaidee", "محمد علي", "Anna Berg", "王小明"]
SCOPES = ["owner", "all", "group:EU", "B2", "C3"]


def person(store: Store, viewer: Viewer, local: str, name: str, scope: str, **props: str) -> str:
    eid = f"{viewer.agency.lower()}.{local}"
    store.write(
        viewer, build(viewer.agency, eid, "Person", {"name": name, **props}, Sharing.parse(scope))
    )
    return eid


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(AGENCIES), st.sampled_from(NAMES), st.sampled_from(SCOPES)),
        min_size=1,
        max_size=12,
    )
)
def test_screening_never_returns_what_the_viewer_may_not_see(
    store: Store, rows: list[tuple[str, str, str]]
) -> None:
    wipe(store)
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    for n, (agency, name, scope) in enumerate(rows):
        person(store, viewers[agency], f"p{n}", name, scope)
    cache = IndexCache(store)
    for agency, viewer in viewers.items():
        visible = {e.id for e in store.entities(viewer, schema="Person", limit=1000)}
        index = cache.for_viewer(viewer)
        for name in NAMES:
            for cand in index.screen(PersonRecord("q", (name,)), limit=100, threshold=0.0):
                assert cand.person.id in visible, (agency, cand.person.id)
        all_found = {
            c.person.id
            for name in NAMES
            for c in index.screen(PersonRecord("q", (name,)), limit=100, threshold=0.8)
        }
        assert all_found == visible  # and everything visible is findable by its own name


def test_document_check_names_status_owner_and_age(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    a1 = viewers["A1"]
    store.write(
        a1,
        build(
            "A1",
            "a1.pp1",
            "Passport",
            {"number": "FP 123-456", "country": "ua"},
            Sharing.parse("group:EU"),
        ),
    )
    store.write(
        a1,
        build(
            "A1",
            "a1.dr1",
            "DocumentReport",
            {"document": "a1.pp1", "reportStatus": "stolen", "date": "2026-01-10"},
            Sharing.parse("group:EU"),
        ),
    )
    cache = IndexCache(store)
    check = cache.for_viewer(viewers["B2"]).check_document("fp123456")
    assert check.status == "stolen" and {h.agency for h in check.hits} == {"A1"}
    assert check.age_days(date(2026, 1, 20)) == 10
    assert cache.for_viewer(viewers["C3"]).check_document("FP123456").status == "clear"


def test_manifest_flags_notices_and_stolen_documents_and_reports_bad_rows(store: Store) -> None:
    viewers = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    a1, b2 = viewers["A1"], viewers["B2"]
    volkov = person(
        store, a1, "v", "Олександр Волков", "group:EU", birthDate="1983-04-12", nationality="ua"
    )
    # Issuing is an officer's act; a supervisor's red/yellow notice is active at once.
    chief = store.add_user(SYSTEM, "chief-a1", "A1", "officer,supervisor").viewer()
    issue_notice(store, chief, "red", volkov, "wanted for trafficking", Sharing.parse("group:EU"))
    mai = person(store, a1, "m", "Mai Tran", "all", birthDate="2004-06-01")
    issue_notice(store, chief, "yellow", mai, "missing, possible victim")
    store.write(
        a1,
        build(
            "A1",
            "a1.dr",
            "DocumentReport",
            {"documentNumber": "XY9876543", "reportStatus": "lost"},
            Sharing.to_all(),
        ),
    )
    csv_text = (
        "name,birth_date,nationality,sex,document_number\n"
        "Jan Jansen,1990-01-01,nl,M,NL1234567\n"
        "WOLKOW Aleksandr,1983-12-04,ua,M,\n"  # day/month swapped
        "Tran Mai,2004-06-01,vn,F,XY9876543\n"
        ",1990-01-01,nl,M,\n"
        "Ola Nordmann,31/31/1990,no,M,\n"
    )
    result = screen_manifest(IndexCache(store).for_viewer(b2), read_csv(csv_text))
    assert [(e.row, e.field) for e in result.errors] == [(5, "name"), (6, "birth_date")]
    ranked = [(p.passenger.names[0], p.risk > 0) for p in result.passengers]
    assert ranked[0] == ("WOLKOW Aleksandr", True)  # red notice: highest risk
    assert ranked[1] == ("Tran Mai", True) and ranked[2] == ("Jan Jansen", False)
    volkov_row = result.passengers[0]
    assert "red notice" in volkov_row.reasons[0]
    assert any(
        "day and month swapped" in f.explanation for f in volkov_row.candidates[0].score.features
    )
    assert any("reported lost by A1" in r for r in result.passengers[1].reasons)
