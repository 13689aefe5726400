"""Import, victims, referrals, alerts and statistics in a real browser (Debian's Chromium,
with test_browser.py's demo node): NL-KMAR imports a CSV through the wizard (preview, the bad
rows shown, import skipping them); FairWork's victim-support worker records one of the
imported persons as a victim with consent for NL-KMAR and refers her to a shelter; NL-KMAR's
analyst sees that a record exists but none of its details; the analyst subscribes to alerts
and deletes the subscription. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from palermo.cli.demo import demo_password
from palermo.store.store import Store
from tests.store.factories import aliases_of
from tests.web.test_accessibility import AXE, describe, violations
from tests.web.test_browser import browser, node, shot  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve()
ANALYST = "analyst-nl-kmar"
SUPPORT = "support-nl-ngo-fairwork"
CSV = (
    "id,name,birth_date,nationality,passport\n"
    "k1,Zorana Velikova,1994-03-08,bg,BG4471902\n"
    "k2,Petra Ilieva,1994-02-30,bg,\n"
    "k3,Ivo Marinov,1988-11-21,bg,BG5530117\n"
)


@pytest.fixture
def login(browser: Any, node: dict[str, Any]) -> Iterator[Any]:  # noqa: F811
    """A function that opens a new browser context logged in as the given user."""
    contexts: list[Any] = []

    def open_as(user: str) -> Any:
        # CSP bypassed only so that axe-core can be injected (the CSP is tested elsewhere)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(20_000)
        pg.goto(f"{node['base']}/login")
        pg.get_by_label("User name").fill(user)
        pg.get_by_label("Password").fill(demo_password(user))
        pg.get_by_role("button", name="Log in").click()
        pg.wait_for_url(f"{node['base']}/")
        return pg

    yield open_as
    for context in contexts:
        context.close()


def accessible(pg: Any) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    found = violations(pg, AXE.read_text(encoding="utf-8"))
    assert not found, f"{pg.url}:\n{describe(found)}"


def test_import_record_refer_mask_subscribe(login: Any, node: dict[str, Any]) -> None:  # noqa: F811
    base = node["base"]

    # 1. NL-KMAR imports a CSV through the wizard
    kmar = login(ANALYST)
    kmar.locator("nav").get_by_role("link", name="Import", exact=True).click()
    kmar.wait_for_selector("#import-form")
    kmar.set_input_files(
        "#file", files=[{"name": "kmar.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    kmar.get_by_label("Pick from the library").select_option("persons")
    kmar.get_by_label("Default sharing", exact=False).fill("group:EU")
    shot(kmar, "40-import-form")
    kmar.get_by_role("button", name="Preview").click()
    kmar.wait_for_selector("#row-errors")
    shot(kmar, "41-import-preview")
    accessible(kmar)
    assert "3 rows read, 1 bad rows" in kmar.locator("#preview-summary").inner_text()
    assert "Zorana Velikova" in kmar.locator("main").inner_text()
    assert "birthDate" in kmar.locator("#row-errors").inner_text()
    kmar.get_by_label("skip-bad: import the good rows").check()
    kmar.get_by_role("button", name="Import", exact=True).click()
    kmar.wait_for_selector("#import-outcome")
    shot(kmar, "42-import-result")
    assert "Imported: 3 rows read" in kmar.locator("#import-outcome").inner_text()

    store = Store.open(node["db"])
    support_viewer = store.viewer(SUPPORT)
    found = store.search(support_viewer, "Zorana Velikova", schema="Person")
    store.close()
    assert len(found) == 1, "the imported person reaches FairWork (group:EU)"
    person_id = found[0].id

    # 2. FairWork's victim-support worker records her as a victim and refers her
    ngo = login(SUPPORT)
    ngo.locator("nav").get_by_role("link", name="Victims", exact=True).click()
    ngo.get_by_role("link", name="Record a victim").click()
    ngo.wait_for_selector("#victim-form")
    ngo.locator("#person_id").fill(person_id)
    ngo.get_by_label("Form of exploitation").select_option("forced-labour-agriculture")
    ngo.get_by_label("Country of exploitation").fill("nl")
    ngo.get_by_label("partners: the agencies ticked below").check()
    ngo.locator("#partner_NL-KMAR").check()
    ngo.get_by_label("Protection needs").fill("shelter\ninterpreter (Bulgarian)")
    ngo.get_by_label("Risk of re-trafficking").select_option("high")
    shot(ngo, "43-victim-form")
    ngo.get_by_role("button", name="Record the victim").click()
    ngo.wait_for_selector("#referral-form")
    record_url = ngo.url
    assert "Zorana Velikova" in ngo.locator("#victim-person").inner_text()
    ngo.locator("#referral-service").select_option("shelter")
    ngo.locator("#referral-provider").fill("Shelter Amsterdam-Noord")
    ngo.get_by_role("button", name="Refer", exact=True).click()
    ngo.wait_for_selector("#referral-table")
    ngo.locator("#referral-table select").first.select_option("accepted")
    ngo.get_by_role("button", name="Set status").first.click()
    ngo.wait_for_selector("#referral-table")
    shot(ngo, "44-victim-record")
    accessible(ngo)
    table = ngo.locator("#referral-table").inner_text()
    assert "Shelter Amsterdam-Noord" in table and "accepted" in table

    # 3. NL-KMAR's analyst: the record exists, its details do not show
    kmar.goto(f"{base}/victims")
    kmar.wait_for_selector("#victim-records")
    listing = kmar.locator("main").inner_text()
    assert "masked" in listing and "forced-labour-agriculture" not in listing
    store = Store.open(node["db"])  # her record's alias, looked up from above (no viewer)
    alias = aliases_of(store)[unquote(record_url.rsplit("/victims/", 1)[1])]
    store.close()
    kmar.locator(f"#victim-records a[href='/victims/{alias}']").click()
    kmar.wait_for_selector("#masked-note")
    shot(kmar, "45-victim-record-analyst")
    accessible(kmar)
    text = kmar.locator("main").inner_text()
    for secret in ("Zorana", person_id, "forced-labour-agriculture", "Shelter Amsterdam", "high"):
        assert secret not in text, secret
    kmar.goto(record_url)  # FairWork's link (the real id) finds nothing for the analyst
    assert kmar.locator("main h1").inner_text() != "Victim record"
    kmar.locator("nav").get_by_role("link", name="Victim statistics").click()
    kmar.wait_for_selector("main h1")
    shot(kmar, "46-victim-statistics")
    accessible(kmar)
    for secret in ("Zorana", person_id):
        assert secret not in kmar.locator("main").inner_text()

    # 4. the analyst subscribes to alerts, then deletes the subscription
    kmar.locator("nav").get_by_role("link", name="Subscriptions").click()
    kmar.get_by_label("Kind").select_option("name")
    kmar.get_by_label("Value").fill("Ivo Marinov")
    kmar.get_by_role("button", name="Subscribe").click()
    kmar.wait_for_selector("#subscriptions")
    shot(kmar, "47-subscriptions")
    assert "Ivo Marinov" in kmar.locator("#subscriptions").inner_text()
    kmar.get_by_role("button", name="Delete the subscription name Ivo Marinov").click()
    kmar.wait_for_selector("#no-subscriptions")
    shot(kmar, "48-subscription-deleted")


def test_the_wizard_saves_an_uploaded_mapping_and_offers_it(login: Any) -> None:
    """An uploaded mapping saved from the preview is in the pick list of the next import
    and maps the same file the same way (the node's mapping folder, PALERMO_MAPPINGS)."""
    mapping = (HERE.parents[2] / "src/palermo/web/import_mappings/persons.yml").read_bytes()
    csv_file = {"name": "kmar.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    kmar = login(ANALYST)
    kmar.locator("nav").get_by_role("link", name="Import", exact=True).click()
    kmar.wait_for_selector("#import-form")
    kmar.set_input_files("#file", files=[csv_file])
    kmar.set_input_files(
        "#mapping_file",
        files=[{"name": "kmar.yml", "mimeType": "application/yaml", "buffer": mapping}],
    )
    kmar.get_by_role("button", name="Preview").click()
    kmar.wait_for_selector("#save-mapping")
    kmar.get_by_label("Save this mapping to the library as", exact=False).fill("Bad Name")
    kmar.get_by_role("button", name="Save mapping").click()
    kmar.wait_for_selector("#name-error")
    assert "is not a library name" in kmar.locator("#name-error").inner_text()
    kmar.get_by_label("Save this mapping to the library as", exact=False).fill("kmar-persons")
    kmar.get_by_role("button", name="Save mapping").click()
    kmar.wait_for_selector("#mapping-saved")
    shot(kmar, "49-import-mapping-saved")
    accessible(kmar)
    assert "3 rows read, 1 bad rows" in kmar.locator("#preview-summary").inner_text()

    kmar.goto(kmar.url.rsplit("/imports/", 1)[0] + "/imports/new")
    kmar.set_input_files("#file", files=[csv_file])
    kmar.get_by_label("Pick from the library").select_option("kmar-persons")
    kmar.get_by_role("button", name="Preview").click()
    kmar.wait_for_selector("#row-errors")
    assert "3 rows read, 1 bad rows" in kmar.locator("#preview-summary").inner_text()
    assert "Zorana Velikova" in kmar.locator("main").inner_text()
    assert kmar.locator("#save-mapping").count() == 0  # a picked mapping is saved already
