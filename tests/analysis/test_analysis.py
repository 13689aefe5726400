"""Link graph, routes, hotspots, indicator rules, statistics and reports on known inputs."""

from __future__ import annotations

import io
import math
from typing import Any

import h3
import pytest
from pypdf import PdfReader

from palermo.analysis import hotspots, indicators, linkgraph, routes, statistics
from palermo.analysis.report import build_report, render_html, render_pdf
from palermo.store.visibility import MASK


def e(eid: str, schema: str, **props: Any) -> dict[str, Any]:
    return {
        "id": eid,
        "schema": schema,
        "properties": {k: v if isinstance(v, list) else [v] for k, v in props.items()},
    }


SUSPECT = "crime.traffick.human"
WORLD = [
    e("a1", "Person", name="Ivan Petrenko", phone="+380 67 123 4567", topics=SUSPECT),
    e("b1", "Person", name="Іван Петренко"),  # same man, other agency
    e("b2", "Person", name="Olena K", phone="+380671234567"),  # shares his phone
    e("c1", "Person", name="Mila", birthDate="2009-05-01", passportNumber="AB 123456",
      gender="female"),
    e("c2", "Person", name="Lena", address="12 Harbour Road, Berlin"),
    e("x1", "Person", name="Dieter", address="12 harbour road  Berlin", topics=SUSPECT),
    e("m1", "Person", name="Masked", address=MASK, phone=MASK),
    e("t1", "Trip", name="UA -> PL -> DE", date="2025-03-01"),
    e("bc1", "BorderCrossing", traveller="c1", trip="t1", date="2025-03-02",
      fromCountry="ua", toCountry="pl", indicators=["unodc-scripted-story"]),
    e("bc2", "BorderCrossing", traveller="a1", trip="t1", date="2025-03-02",
      fromCountry="ua", toCountry="pl"),
    e("as1", "Associate", person="a1", associate="x1", relationship="co-offender",
      date="2026-01-10"),
    e("vr1", "VictimRecord", victim="c1", recruitmentCountry="ua", exploitationCountry="de",
      exploitationForm="forced-labour-agriculture", startDate="2025-03-01",
      registrationYear="2025", isMinor="true", indicators=["ilo-debt-bondage"]),
    e("dr1", "DocumentReport", documentNumber="AB123456", reportStatus="stolen"),
]  # fmt: skip
IDENTITY = {"a1": "ivan", "b1": "ivan"}


def test_link_graph_merges_identities_and_meets_on_shared_identifiers() -> None:
    lg = linkgraph.build(WORLD, IDENTITY)
    assert lg.records["ivan"] == ["a1", "b1"]
    # Olena reaches Ivan through the one phone both records give, written differently.
    assert lg.graph.shortest_path("b2", "ivan") == ["b2", "phone:+380671234567", "ivan"]
    # Co-travel: Mila and Ivan crossed on one trip; Lena and Dieter live at one address.
    assert lg.graph.shortest_path("c1", "ivan") == ["c1", "t1", "ivan"]
    assert "address:12 harbour road berlin" in lg.graph.ego("c2", hops=1)
    assert "x1" in lg.graph.ego("c2", hops=2)
    # A masked value is no identifier: it must not become a hub joining strangers.
    assert not any("masked" in n for n in lg.labels)
    assert lg.graph.ego("m1", hops=3) == ["m1"]


def test_graph_over_time_and_changes() -> None:
    lg = linkgraph.build(WORLD, IDENTITY)
    before = lg.until("2025-12-31")
    assert "x1" not in before.graph.ego("ivan", hops=1)  # the association is from 2026
    assert "x1" in lg.graph.ego("ivan", hops=1)
    diff = linkgraph.changes(lg, "2025-12-31", "2026-12-31")
    assert [(x.source, x.target, x.kind) for x in diff.new_links] == [("ivan", "x1", "associate")]
    assert ("ivan", 2, 3) in [(n, a, b) for n, a, b in diff.degree_change]


def test_route_joins_victim_record_and_crossings_of_one_identity() -> None:
    flows = routes.flows(WORLD, IDENTITY)
    mila = next(f for f in flows if f.identity == "c1")
    assert mila.route == "UA -> PL -> DE" and mila.form == "forced-labour-agriculture"
    assert mila.date == "2025-03-01"
    ivan = next(f for f in flows if f.identity == "ivan")
    assert ivan.route == "UA -> PL"
    assert routes.top_routes(flows) == [("UA -> PL", 1), ("UA -> PL -> DE", 1)]
    assert routes.top_routes(flows, form="forced-labour") == [("UA -> PL -> DE", 1)]
    assert [r for r, _, _ in routes.new_routes(flows, "2025-03", "2025-03")] == [
        "UA -> PL",
        "UA -> PL -> DE",
    ]
    assert routes.new_routes(flows, "2025-04", "2025-12") == []


def test_indicator_rules_fire_with_their_records_and_combine() -> None:
    scores = {s.identity: s for s in indicators.score(WORLD, IDENTITY)}
    mila = scores["c1"]
    fired = {f.indicator: f.records for f in mila.fired}
    assert fired == {
        "ilo-debt-bondage": ("vr1",),
        "unodc-scripted-story": ("bc1",),
        "unodc-false-documents": ("dr1",),
        "unodc-child-travelling": ("bc1",),
        "unodc-travel-arranged-by-others": ("bc1", "bc2"),  # crossings: on one trip with a suspect
    }
    expected = 1 - math.prod(1 - f.weight for f in mila.fired)
    assert mila.score == pytest.approx(expected, abs=1e-6)
    assert "Debt bondage" in mila.explain() and "vr1" in mila.explain()
    assert scores["c2"].fired[0].indicator == "unodc-employer-provided-housing"
    assert scores["ivan"].score == 0  # suspects are not flagged for travelling with themselves
    without = {s.identity: s for s in indicators.score(WORLD, IDENTITY, use_victim_records=False)}
    assert "ilo-debt-bondage" not in {f.indicator for f in without["c1"].fired}
    assert without["c1"].score < mila.score


def test_hotspot_statistics() -> None:
    benin = [hotspots.Event("recruitment", 6.335, 5.627, "2025", f"r{i}") for i in range(30)]
    scattered = [
        hotspots.Event("recruitment", 10 + 3 * i, 20 + 3 * i, "2025", f"s{i}") for i in range(10)
    ]
    found = hotspots.hotspots(benin + scattered, "recruitment", resolution=5)
    top = found[0]
    assert top.cell == h3.latlng_to_cell(6.335, 5.627, 5) and top.count == 30
    assert top.z > 1.96 and top.p < 0.05 and top.significant
    assert not any(h.significant for h in found[1:])
    # Against a baseline in which the town already had as many events, it is no news.
    same = hotspots.hotspots(benin + scattered, "recruitment", 5, baseline=benin + scattered)
    assert same[0].p_baseline is not None and same[0].p_baseline > 0.05
    assert not same[0].significant
    quiet = hotspots.hotspots(benin + scattered, "recruitment", 5, baseline=scattered)
    assert quiet[0].p_baseline is not None and quiet[0].p_baseline < 0.001


def test_poisson_tail_matches_the_closed_form() -> None:
    assert hotspots.poisson_sf(2, 1.0) == pytest.approx(1 - math.exp(-1) * 2, rel=1e-12)
    assert hotspots.poisson_sf(0, 3.0) == 1.0


def test_events_come_from_victim_places_crossings_and_safe_houses() -> None:
    items = [
        e("ra", "Address", full="Benin City, NG", latitude="6.33", longitude="5.62"),
        e("house", "Address", full="1 Canal Street", latitude="52.37", longitude="4.89"),
        e("bad", "Address", full="nowhere", latitude="north", longitude="4.89"),
        e("v", "VictimRecord", victim="p", recruitmentAddress="ra", startDate="2024-01-01"),
        e("x", "BorderCrossing", traveller="p", latitude="52.31", longitude="4.76", date="2024"),
    ]
    found = sorted((ev.kind, ev.record) for ev in hotspots.events(items))
    assert found == [("exploitation", "house"), ("recruitment", "v"), ("transit", "x")]


def test_statistics_use_global_report_categories() -> None:
    stats = statistics.victim_statistics(WORLD)
    assert stats.total == 1
    assert stats.by_sex_age == {"girls": 1}
    assert stats.by_year == {"2025": 1} and stats.by_form == {"Forced labour": 1}
    suspects = statistics.suspect_statistics(WORLD)
    assert suspects.total == 2


def test_report_pdf_and_html_carry_the_same_numbers() -> None:
    data = build_report(WORLD, "Test report", "unit test", [("UA -> PL", 1)])
    page = render_html(data)
    assert "<svg" in page and "Detected victims by sex and age group" in page
    assert "<th scope='row'>girls</th><td>1</td><td>100.0%</td>" in page
    pdf = render_pdf(data)
    assert pdf.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Test report" in text and "1 victim records" in text and "2 suspects" in text
    assert "UA -> PL" in text
