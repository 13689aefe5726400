"""Correcting and retracting a court outcome in the browser, and the case page listing the
court outcomes of its subjects (issue 20), through the web only, on SQLite and PostgreSQL.

A1's analyst records a conviction of A1's suspect, corrects it from the outcome's page
(first with an ICCS code of another form and without a reason, both refused next to their
fields), sees it marked corrected on the case page and counted with its new form in the
GLOTIP submission, then retracts it: the case page marks it retracted with the reason, the
submission no longer counts it. B2's analyst may not change it; a post without the CSRF
token is refused."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.coordination.cases import open_case
from palermo.store.store import Store
from tests.web.test_case_forms import login
from tests.web.test_glotip_pages import (  # noqa: F401 (fixtures)
    CONVICTED,
    client,
    error_of,
    outcome_form,
    outcomes,
    world,
)

LABOUR = "Persons convicted/by form of exploitation/Forced labour/Total/Total"
OTHER = "Persons convicted/by form of exploitation/Other forms of exploitation/Total/Total"


def correction(csrf: str, **fields: str) -> dict[str, str]:
    form = {"csrf_token": csrf, "verdict": "convicted", "prosecution_date": "2023-02-01",
            "verdict_date": "2023-09-10", "offence_code": "02042",
            "exploitation_form": "forced-labour", "court": "LG Köln", "reason": ""}  # fmt: skip
    return form | fields


def recorded(client: TestClient, csrf: str, **fields: str) -> str:  # noqa: F811
    done = client.post("/court-outcomes/new", data=outcome_form(csrf, **fields),
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    return done.headers["location"].removeprefix("/entities/")


def court_row(html: str, oid: str) -> str:
    found = re.search(rf'<tr data-outcome="{re.escape(oid)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found is not None, f"no row of {oid} on the case page"
    return found.group(0)


def test_correct_then_retract_shows_on_the_case_page_and_in_the_submission(
    client: TestClient,  # noqa: F811
    store: Store,
    world: dict[str, Viewer],  # noqa: F811
) -> None:
    case = open_case(store, world["A1"], "K-7", "Ring", "forced-labour", ["a1.p1"], {})
    csrf = login(client, "ada")
    oid = recorded(client, csrf)
    (stored,) = outcomes(store, world["A1"])
    assert quote(stored, safe="") == oid
    page = client.get(f"/entities/{oid}")
    assert f'href="/court-outcomes/{oid}/correct"' in page.text
    assert f'href="/court-outcomes/{oid}/retract"' in page.text
    form = client.get(f"/court-outcomes/{oid}/correct")
    assert form.status_code == 200 and 'value="LG Köln"' in form.text
    assert '<option value="02042" selected>' in form.text

    refused = client.post(f"/court-outcomes/{oid}/correct",
                          data=correction(csrf, offence_code="02041", reason="x"))  # fmt: skip
    assert refused.status_code == 422
    assert "exploitation_form" in error_of(refused.text, "offence_code")
    assert 'value="LG Köln"' in refused.text  # the values as typed
    unexplained = client.post(f"/court-outcomes/{oid}/correct",
                              data=correction(csrf, exploitation_form="slavery"))  # fmt: skip
    assert unexplained.status_code == 422 and "say why" in error_of(unexplained.text, "reason")
    assert client.get(f"/court-outcomes/{oid}/correct").text.count("court-history") == 0

    fixed = client.post(
        f"/court-outcomes/{oid}/correct",
        data=correction(csrf, offence_code="02044", exploitation_form="debt-bondage",
                        reason="the judgment names debt bondage"),
        follow_redirects=False,
    )  # fmt: skip
    assert fixed.status_code == 303 and fixed.headers["location"] == f"/entities/{oid}"
    shown = client.get(f"/entities/{oid}").text
    assert 'id="court-history"' in shown and "the judgment names debt bondage" in shown
    assert "exploitationForm: forced-labour -&gt; debt-bondage" in shown
    row = court_row(client.get(f"/cases/{case}").text, stored)
    assert 'class="mark-corrected"' in row and "debt-bondage" in row and "02044" in row
    assert "the judgment names debt bondage" in row and "/retract" in row
    glotip = client.get("/glotip?year=2023").text
    assert f'data-cell="{OTHER}"' in glotip and f'data-cell="{LABOUR}"' not in glotip

    gone = client.post(f"/court-outcomes/{oid}/retract",
                       data={"csrf_token": csrf, "reason": "recorded for the wrong trial"},
                       follow_redirects=False)  # fmt: skip
    assert gone.status_code == 303 and gone.headers["location"] == "/entities/a1.p1"
    assert client.get(f"/entities/{oid}").status_code == 404
    row = court_row(client.get(f"/cases/{case}").text, stored)
    assert 'class="retracted"' in row and 'class="mark-retracted"' in row
    assert "recorded for the wrong trial" in row and "/correct" not in row
    assert "<del>convicted</del>" in row and "debt-bondage" in row  # what it said
    glotip = client.get("/glotip?year=2023").text
    assert "Persons convicted" not in glotip and "Persons prosecuted" not in glotip
    assert outcomes(store, world["A1"]) == []


def test_who_may_change_an_outcome_and_csrf(
    client: TestClient,  # noqa: F811
    store: Store,
    world: dict[str, Viewer],  # noqa: F811
) -> None:
    csrf = login(client, "ada")
    private = recorded(client, csrf)
    shared = recorded(client, csrf, sharing="all", court="AG")
    no_token = correction("wrong", reason="x", court="AG Mitte")
    assert client.post(f"/court-outcomes/{private}/correct", data=no_token).status_code == 403
    del no_token["csrf_token"]
    assert client.post(f"/court-outcomes/{private}/retract", data=no_token).status_code == 403
    bea = TestClient(client.app)
    bea_csrf = login(bea, "bea")
    assert bea.get(f"/court-outcomes/{private}/correct").status_code == 404  # cannot read it
    assert bea.get(f"/court-outcomes/{shared}/retract").status_code == 403  # not B2's
    assert "Correct court outcome" not in bea.get(f"/entities/{shared}").text
    answer = bea.post(f"/court-outcomes/{shared}/retract",
                      data={"csrf_token": bea_csrf, "reason": "not ours"})  # fmt: skip
    assert answer.status_code == 403
    assert len(outcomes(store, world["A1"])) == 2  # both still there, unchanged
    empty = client.post(f"/court-outcomes/{private}/retract", data={"csrf_token": csrf})
    assert empty.status_code == 422 and "say why" in error_of(empty.text, "reason")


def test_the_case_page_without_court_outcomes(
    client: TestClient,  # noqa: F811
    store: Store,
    world: dict[str, Viewer],  # noqa: F811
) -> None:
    case = open_case(store, world["A1"], "K-8", "Ring", "forced-labour", ["a1.p1"], {})
    login(client, "ada")
    assert 'id="court-empty"' in client.get(f"/cases/{case}").text
