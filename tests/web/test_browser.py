"""The analyst's day in a real browser: Debian's Chromium driven by Playwright.

A demo node (a generated world, each agency's records loaded as that agency, the demo story
played: two cases on one trafficker, a deconfliction hit, a joint operation) is served by
`palermo serve` in a subprocess. The tests log in, search, open an entity, expand the link
chart, screen a manifest and open a deconfliction hit, saving a screenshot of each step in
test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from palermo.cli.demo import demo_password, load_world
from palermo.store.store import Store
from palermo.world.generate import generate
from palermo.world.scenario import play
from tests.web.served import served

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER = "analyst-de-bka"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (make browser installs Debian's package)")
        pytest.skip("Debian's chromium is not installed (make browser)")
    tmp = tmp_path_factory.mktemp("node")
    world = tmp / "world"
    generate(world, 300, 2024)
    db = f"sqlite:///{tmp / 'node.db'}"
    store = Store.open(db)
    load_world(store, world)
    story = play(store)
    store.close()
    with served(db, {"PALERMO_MAPPINGS": str(tmp / "mappings")}) as base:
        yield {"base": base, "world": world, "story": story, "db": db}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, node: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.goto(f"{node['base']}/login")
    pg.get_by_label("User name").fill(USER)
    pg.get_by_label("Password").fill(demo_password(USER))
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{node['base']}/")
    yield pg
    context.close()


def shot(pg: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_login_search_and_open_an_entity(page: Any, node: dict[str, Any]) -> None:
    shot(page, "01-home")
    suspect = Store.open(node["db"]).entity(
        Store.open(node["db"]).viewer(USER), node["story"].cases["DE-BKA"]
    )
    assert suspect is not None
    subject = suspect.first("subjects")
    name = Store.open(node["db"]).entity(Store.open(node["db"]).viewer(USER), subject).first("name")  # type: ignore[union-attr]
    page.get_by_label("Search names and identifiers").fill(name.split()[0])
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_selector("table.results")
    shot(page, "02-search")
    # the country facet (read through ix_statement_facet, migration 0027) narrows the list
    country = page.locator("aside.facets section", has_text="Country")
    assert country.count() == 1
    first = country.locator("li a").first
    label = first.inner_text()
    first.click()
    page.wait_for_selector("aside.facets strong[aria-current=true]")
    assert label in page.locator("aside.facets strong[aria-current=true]").first.inner_text()
    page.go_back()
    page.wait_for_selector("table.results")
    page.locator(f"a[href='/entities/{subject}']").click()
    page.wait_for_selector("table.values")
    shot(page, "03-entity")
    text = page.locator("table.values").inner_text()
    assert "DE-BKA" in text and name in text  # each value with its source agency
    assert page.locator("th", has_text="Sharing").count() == 1


def test_link_chart_expands(page: Any, node: dict[str, Any]) -> None:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    graph = httpx.get(f"{node['base']}/api/v1/analysis/graph", cookies=cookies, timeout=300).json()
    ego, neighbour = pick_expandable(graph)
    page.goto(f"{node['base']}/graph?ego={ego}&hops=1")
    page.wait_for_selector("#nodes tbody tr")
    before = page.locator("#nodes tbody tr").count()
    page.get_by_role("button", name=f"Expand {neighbour['label']}").first.click()
    rows = page.locator("#nodes tbody tr")
    for _ in range(200):  # polled from here: the page's CSP forbids wait_for_function's eval
        if rows.count() > before:
            break
        page.wait_for_timeout(100)
    after = page.locator("#nodes tbody tr").count()
    shot(page, "04-link-chart")
    assert after > before
    assert page.locator("#kinds input[type=checkbox]").count() >= 1  # link filters


def pick_expandable(graph: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An ego whose neighbour has links of its own beyond the ego's 1-hop network."""
    adjacency: dict[str, set[str]] = {}
    for link in graph["links"]:
        adjacency.setdefault(link["source"], set()).add(link["target"])
        adjacency.setdefault(link["target"], set()).add(link["source"])
    nodes = {n["id"]: n for n in graph["nodes"]}
    labels: dict[str, int] = {}
    for n in graph["nodes"]:
        labels[n["label"]] = labels.get(n["label"], 0) + 1
    for ego, near in sorted(adjacency.items()):
        if nodes[ego]["schema"] != "Person":
            continue
        ring = near | {ego}
        for other in sorted(near):
            if labels[nodes[other]["label"]] == 1 and adjacency.get(other, set()) - ring:
                return ego, nodes[other]
    raise AssertionError("no expandable node in the demo graph")


def test_screen_a_manifest(page: Any, node: dict[str, Any], tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    with (node["world"] / "truth" / "persons.csv").open(encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    reported = {
        r["properties"]["documentNumber"][0]
        for f in node["world"].glob("*/entities.ftm.json")
        for r in map(json.loads, f.read_text(encoding="utf-8").splitlines())
        if r["schema"] == "DocumentReport" and r["properties"]["reportStatus"][0] != "forged"
    }
    stolen = [p for p in people if p["passport"] in reported][:3]
    rows = (
        stolen + people[:20] + [{"given_name": "", "family_name": "", "birth_date": "31/31/1990"}]
    )
    with manifest.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["name", "birth_date", "nationality", "document_number"])
        for p in rows:
            out.writerow(
                [
                    f"{p['given_name']} {p['family_name']}".strip(),
                    p.get("birth_date", ""),
                    p.get("nationality", ""),
                    p.get("passport", ""),
                ]
            )
    page.goto(f"{node['base']}/screening")
    page.get_by_label("CSV file").set_input_files(str(manifest))
    page.get_by_role("button", name="Screen manifest").click()
    page.wait_for_selector("#manifest-results")
    shot(page, "05-manifest")
    table = page.locator("#manifest-results").inner_text()
    assert len(stolen) >= 1 and "reported" in table  # stolen/lost documents flagged
    first_risk = float(
        page.locator("#manifest-results tbody tr td:nth-child(3)").first.inner_text()
    )
    assert first_risk > 0  # sorted by risk
    assert "name" in page.locator("table.errors").inner_text()  # the bad row, by field


def test_open_a_deconfliction_hit(page: Any, node: dict[str, Any]) -> None:
    page.goto(f"{node['base']}/hits")
    page.wait_for_selector("#hits")
    shot(page, "06-hits")
    text = page.locator("#hits").inner_text()
    # DE-BKA learns the other agency and its own case, never NL-KMAR's case reference
    assert "NL-KMAR" in text and "BKA-2026-0417" in text and "KMAR-2026-88" not in text
    page.locator("#hits tbody a").first.click()
    page.wait_for_selector("table.values")
    shot(page, "07-hit")
    assert "BKA-2026-0417" in page.locator("table.values").inner_text()


def test_map_trends_and_operation_render(page: Any, node: dict[str, Any]) -> None:
    page.goto(f"{node['base']}/map")
    page.wait_for_selector("#routes tbody tr")
    page.wait_for_selector("path.leaflet-interactive")
    shot(page, "08-map")
    assert page.locator("#cells tbody tr").count() > 0
    page.goto(f"{node['base']}/trends")
    page.wait_for_selector("#charts canvas")
    shot(page, "09-trends")
    page.goto(f"{node['base']}/operations/{node['story'].operation}")
    shot(page, "10-operation")
    totals = page.locator("#results tr.total").inner_text()
    assert "3" in totals and "4" in totals  # arrests 2+1, victims rescued 3+1


def test_keyboard_reaches_every_section(page: Any) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    links = page.locator("nav a")
    assert links.count() >= 12
    for i in range(links.count()):
        assert links.nth(i).get_attribute("href")


def test_check_an_mrz(page: Any, node: dict[str, Any]) -> None:
    """The screening page's MRZ form: check digits, expiry and the document lookup."""
    specimen = (
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
    )
    page.goto(f"{node['base']}/screening")
    page.get_by_label("MRZ of a passport or ID card").fill(specimen)
    page.get_by_role("button", name="Check MRZ").click()
    page.wait_for_selector("#mrz-verdict")
    shot(page, "11-mrz")
    assert page.locator("#mrz-verdict").inner_text().startswith("invalid")
    assert "expired on 2012-04-15" in page.locator("#mrz-verdict").inner_text()
    assert "Document L898902C3: clear" in page.locator("#mrz-h + p + dl ~ p").last.inner_text()


def test_correct_a_value_on_the_entity_page(page: Any, node: dict[str, Any]) -> None:
    """An analyst replaces a birth date their agency recorded, then sees a widening refused."""
    store = Store.open(node["db"])
    viewer = store.viewer(USER)
    person = next(
        p
        for p in store.export(viewer, schema="Person", batch=200)
        if any(
            v.agency == "DE-BKA" and not v.masked and v.policy != "all|"
            for v in p.properties.get("birthDate", [])
        )
    )
    store.close()
    page.goto(f"{node['base']}/entities/{person.id}")
    row = page.locator("tr", has=page.locator("input[name=prop][value=birthDate]")).first
    row.locator("summary").click()
    row.locator("select[name=action]").select_option("replace")
    row.locator("input[name=new_value]").fill("1971-07-21")
    row.get_by_role("button", name="Apply").click()
    page.wait_for_selector("table.values")
    shot(page, "12-corrected")
    assert "1971-07-21" in page.locator("table.values").inner_text()
    row = page.locator("tr", has=page.locator("input[name=prop][value=birthDate]")).first
    row.locator("summary").click()
    row.locator("select[name=action]").select_option("share")
    row.locator("input[name=sharing]").fill("all")
    row.get_by_role("button", name="Apply").click()
    page.wait_for_selector("table.values")
    assert "may only narrow" in page.content()
