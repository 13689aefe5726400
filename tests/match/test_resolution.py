"""Cross-referencing through the store: judgements persist, hits notify, sharing holds."""

from __future__ import annotations

from palermo.exchange.messages import inbox
from palermo.ingest.build import build
from palermo.match.resolution import cross_reference, judge, judgements
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import setup_agencies


def add(store: Store, viewer: object, eid: str, scope: str, **props: str) -> None:
    agency = eid.split(".")[0].upper()
    store.write(viewer, build(agency, eid, "Person", props, Sharing.parse(scope)))  # type: ignore[arg-type]


def test_links_across_scripts_judgements_and_hits(store: Store) -> None:
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    add(
        store,
        v["A1"],
        "a1.volkov",
        "group:EU",
        name="Олександр Волков",
        birthDate="1983-04-12",
        nationality="ua",
        passportNumber="FP123456",
    )
    add(
        store,
        v["B2"],
        "b2.wolkow",
        "group:EU",
        name="WOLKOW Aleksandr",
        birthDate="1983-12-04",
        nationality="ua",
        passportNumber="FP 123456",
    )
    add(
        store,
        v["A1"],
        "a1.somchai",
        "owner",
        name="Somchai Jaidee",
        birthDate="1990-01-02",
        nationality="th",
    )
    add(
        store,
        v["B2"],
        "b2.somchai",
        "all",
        name="สมชาย ใจดี",
        birthDate="1990-01-02",
        nationality="th",
    )
    add(store, v["B2"], "b2.berg", "all", name="Anna Berg", birthDate="1970-05-05")
    add(
        store,
        v["C3"],
        "c3.volkov",
        "owner",
        name="Volkov Oleksandr",
        birthDate="1983-04-12",
        passportNumber="FP123456",
    )

    result, hits = cross_reference(store, v["A1"], threshold=0.8)
    clusters = [c for c in result.clusters if len(c) > 1]
    assert ["a1.volkov", "b2.wolkow"] in clusters and ["a1.somchai", "b2.somchai"] in clusters
    assert all("c3.volkov" not in c for c in result.clusters)  # C3 shared nothing with A1
    assert {(h.left, h.right) for h in hits} >= {("a1.volkov", "b2.wolkow")}
    messages = inbox(store, v["B2"])
    bodies = " ".join(m.first("bodyText") or "" for m in messages)
    assert "its record a1.volkov" in bodies  # shared with B2 (EU group): named
    assert "a record it holds (not shared)" in bodies  # a1.somchai is owner-only: not named
    assert "a1.somchai" not in bodies

    judge(store, v["A1"], "a1.volkov", "b2.wolkow", "reject", "different fathers' names")
    assert judgements(store, v["A1"]) == {("a1.volkov", "b2.wolkow"): "reject"}
    again, _ = cross_reference(store, v["A1"], threshold=0.8, notify=False)
    assert all(not {"a1.volkov", "b2.wolkow"} <= set(c) for c in again.clusters)
    judge(store, v["A1"], "a1.somchai", "b2.berg", "confirm")
    third, _ = cross_reference(store, v["A1"], threshold=0.8, notify=False)
    assert any({"a1.somchai", "b2.berg"} <= set(c) for c in third.clusters)
    assert judgements(store, v["B2"])[("a1.volkov", "b2.wolkow")] == "reject"  # shared with B2


def test_a_hit_on_a_stolen_passport_stands_and_asks_for_review(store: Store) -> None:
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)})
    add(store, v["A1"], "a1.okoye", "group:EU", name="Osagie Ikponmwosa Okoye",
        birthDate="2008-03-14", nationality="ng", passportNumber="A04417392")
    add(store, v["B2"], "b2.okoye", "group:EU", name="OKOYE OSAGIE IKPONMWOSA",
        birthDate="2007-03-14", nationality="ng", passportNumber="A 04417392")
    report = build("B2", "b2.dr1", "DocumentReport",
                   {"documentNumber": "A04417392", "reportStatus": "stolen", "country": "ng"},
                   Sharing.parse("group:EU"))  # fmt: skip
    store.write(v["B2"], report)
    result, hits = cross_reference(store, v["A1"], notify=False)
    assert ["a1.okoye", "b2.okoye"] in result.clusters
    hit = next(h for h in hits if {h.left, h.right} == {"a1.okoye", "b2.okoye"})
    assert hit.evidence is not None and "A04417392" in hit.evidence
    assert hit.review is not None and "stolen" in hit.review


def test_a_quick_second_judgement_wins_over_the_first(store: Store) -> None:
    """Statements are stamped to the second: judging a pair twice within one second (a
    confirm, then at once a reject) must still leave the second decision standing."""
    v = setup_agencies(store, {"A1": ()})
    add(store, v["A1"], "a1.p1", "owner", name="Ivan Petrov")
    add(store, v["A1"], "a1.p2", "owner", name="Ivan Petrow")
    for verdict in ("confirm", "reject", "confirm", "reject"):
        judge(store, v["A1"], "a1.p1", "a1.p2", verdict)
        assert judgements(store, v["A1"])[("a1.p1", "a1.p2")] == verdict
