"""The MRZ check is reachable from the CLI, the API and the web screening page, checks expiry,
answers an unsupported layout clearly, and screens the document number like
``screen document`` does (issue 21: "MRZ checking exists only as a Python function")."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from palermo.api.app import create_app
from palermo.ingest.build import build
from palermo.match.mrz import check_digit, parse_mrz
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.match.test_mrz_layouts import FR_ID, MRV_B
from tests.store.factories import SYSTEM, setup_agencies

STOLEN, CLEAN = "XK1234567", "YB7654321"


def td3(number: str, expiry: str = "341231", surname: str = "PETROVA", given: str = "OLGA") -> str:
    """A TD3 (passport) zone with correct check digits: ICAO 9303 part 4."""
    names = f"{surname}<<{given}".replace(" ", "<")
    line1 = f"P<UKR{names}".ljust(44, "<")
    num = number.ljust(9, "<")
    birth, optional = "900203", "<" * 14
    body = (
        f"{num}{check_digit(num)}UKR{birth}{check_digit(birth)}F"
        f"{expiry}{check_digit(expiry)}{optional}<"
    )
    composite = body[0:10] + body[13:20] + body[21:43]
    return f"{line1}\n{body}{check_digit(composite)}"


def mrv_a(number: str, expiry: str = "341231") -> str:
    """An MRV-A visa zone (ICAO 9303 part 7): no composite digit, 16 optional characters."""
    line1 = "V<DEUPETROVA<<OLGA".ljust(44, "<")
    num, birth = number.ljust(9, "<"), "900203"
    line2 = f"{num}{check_digit(num)}UKR{birth}{check_digit(birth)}F{expiry}{check_digit(expiry)}"
    return f"{line1}\n{line2.ljust(44, '<')}"


def test_td3_helper_makes_a_valid_zone() -> None:
    zone = parse_mrz(td3(CLEAN), date(2026, 1, 1))
    assert zone.valid and zone.document_number == CLEAN and not zone.expired


def test_expired_document_is_flagged() -> None:
    """The ICAO specimen expired on 2012-04-15: it used to get `problems: []`."""
    specimen = (
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
    )
    zone = parse_mrz(specimen, date(2026, 11, 29))
    assert zone.expired and not zone.valid
    assert [(p.field, p.reason) for p in zone.problems] == [
        ("expiry_date", "expired on 2012-04-15")
    ]
    assert parse_mrz(specimen, date(2012, 4, 15)).valid  # valid through its expiry day


@pytest.fixture
def reported(store: Store) -> Store:
    """A1 screens; B2 has reported STOLEN stolen and shares it with everyone."""
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    report = {"documentNumber": STOLEN, "reportStatus": "stolen"}
    store.write(viewers["B2"], build("B2", "b2.r1", "DocumentReport", report, Sharing.to_all()))
    return store


@pytest.fixture
def client(reported: Store) -> Iterator[TestClient]:
    with TestClient(create_app(reported, rate_limit=0)) as c:
        yield c


def token(store: Store) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.create_token(SYSTEM, 'analyst-a1', 'test')}"}


def test_api_checks_digits_expiry_and_the_document_number(
    client: TestClient, reported: Store
) -> None:
    headers = token(reported)
    ok = client.post("/api/v1/screening/mrz", json={"mrz": td3(CLEAN)}, headers=headers)
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert (body["verdict"], body["valid"], body["expired"], body["format"]) == (
        "valid",
        True,
        False,
        "TD3",
    )
    assert body["document"]["status"] == "clear" and body["surname"] == "PETROVA"

    stolen = client.post("/api/v1/screening/mrz", json={"mrz": td3(STOLEN)}, headers=headers)
    assert stolen.json()["verdict"] == "reported"
    assert stolen.json()["document"] | {"age_days": None} == {
        "number": STOLEN,
        "status": "stolen",
        "agencies": ["B2"],
        "age_days": None,
    }

    old = client.post(
        "/api/v1/screening/mrz", json={"mrz": td3(CLEAN, expiry="200101")}, headers=headers
    ).json()
    assert old["verdict"] == "invalid" and old["expired"] is True
    assert {"field": "expiry_date", "reason": "expired on 2020-01-01"} in old["problems"]

    spoiled = td3(CLEAN)[:-1] + str((int(td3(CLEAN)[-1]) + 1) % 10)
    bad = client.post("/api/v1/screening/mrz", json={"mrz": spoiled}, headers=headers).json()
    assert bad["verdict"] == "invalid" and [p["field"] for p in bad["problems"]] == ["composite"]

    audited = [e for e in reported.audit_entries() if e.action == "screen.mrz"]
    assert [e.target for e in audited] == [CLEAN, STOLEN, CLEAN, CLEAN]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("P<UTOERIKSSON", "1 line: not a supported MRZ layout"),
        ("P<UTO\nL8989", "line 1: 5 characters: a 2-line zone has 36"),
        (FR_ID.replace("IDFRA", "XXFRA"), "line 1, position 1: document code 'XX' in 2 lines"),
        ("D1NLD1234567890".ljust(30, "<"), "1 line: not a supported MRZ layout (a driving licence"),
        ("P<UTO ERIKSSON\nX", "line 1, position 6: character ' '"),
    ],
)
def test_api_unsupported_layout_is_a_422_naming_mrz(
    client: TestClient, reported: Store, text: str, reason: str
) -> None:
    answer = client.post("/api/v1/screening/mrz", json={"mrz": text}, headers=token(reported))
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["field"] == "mrz" and problem["detail"].startswith(f"mrz: {reason}"), problem
    assert "Traceback" not in answer.text


def test_api_requires_a_login(client: TestClient) -> None:
    assert client.post("/api/v1/screening/mrz", json={"mrz": td3(CLEAN)}).status_code == 401


def test_cli_screen_mrz(backend_url: str, reported: Store) -> None:
    from palermo.cli.main import app

    runner = CliRunner()
    line1, line2 = td3(STOLEN).splitlines()
    result = runner.invoke(
        app, ["--db", backend_url, "screen", "mrz", line1, line2, "--as", "analyst-a1", "--json"]
    )
    assert result.exit_code == 3, result.output  # reported: the same exit code as `document`
    assert json.loads(result.stdout)["document"]["status"] == "stolen"
    line1, line2 = td3(CLEAN, expiry="200101").splitlines()
    result = runner.invoke(
        app, ["--db", backend_url, "screen", "mrz", line1, line2, "--as", "analyst-a1"]
    )
    assert result.exit_code == 4  # failed checks or expired
    assert result.stdout.splitlines()[0] == f"TD3 P {CLEAN}: invalid"
    assert "problem: expiry_date: expired on 2020-01-01" in result.stdout
    result = runner.invoke(
        app,
        ["--db", backend_url, "screen", "mrz", "-", "--as", "analyst-a1"],
        input=td3(CLEAN) + "\n",
    )
    assert result.exit_code == 0 and f"TD3 P {CLEAN}: valid" in result.stdout


def test_cli_unsupported_layout_is_one_line(
    backend_url: str,
    reported: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from palermo.cli.main import main

    monkeypatch.setattr(
        sys, "argv", ["palermo", "--db", backend_url, "screen", "mrz", "P<UTO", "--as", "x"]
    )
    with pytest.raises(SystemExit) as stopped:
        main()
    err = capsys.readouterr().err.strip()
    assert stopped.value.code == 2 and "\n" not in err and "Traceback" not in err
    assert err.startswith("error: mrz: 1 line: not a supported MRZ layout")


def test_web_screening_page_has_an_mrz_form(client: TestClient, reported: Store) -> None:
    reported.add_user(SYSTEM, "ana", "A1", "analyst", password="pw-ana")
    login = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert login is not None
    client.post("/login", data={"username": "ana", "password": "pw-ana", "csrf_token": login[1]})
    page = client.get("/screening").text
    assert 'action="/screening/mrz"' in page
    csrf = re.search(r'action="/screening/mrz">\s*<input type="hidden" name="csrf_token" '
                     r'value="([^"]+)"', page)  # fmt: skip
    assert csrf is not None  # the form carries the session's CSRF token like the others
    shown = client.post("/screening/mrz", data={"mrz": td3(STOLEN), "csrf_token": csrf[1]})
    assert shown.status_code == 200
    assert re.search(r'id="mrz-verdict"[^>]*><strong>reported</strong>', shown.text)
    assert "stolen" in shown.text and "reported by B2" in shown.text
    bad = client.post("/screening/mrz", data={"mrz": "P<UTO", "csrf_token": csrf[1]})
    assert bad.status_code == 422 and "mrz: 1 line: not a supported MRZ layout" in bad.text
    forged = client.post("/screening/mrz", data={"mrz": td3(STOLEN), "csrf_token": "nope"})
    assert forged.status_code == 403


def test_td1_whose_optional_data_starts_with_a_filler_is_read_not_crashed() -> None:
    """Found by fuzzing the new endpoint: a '<' number check digit followed by '<' in the
    optional data raised IndexError (a 500 over the API)."""
    zone = (
        "CR<H1FMB5<I<R<<<M<2YV<RQ<<PPD<\n"
        "<<LW1<<9<7DW908M<81<E<R<<<<EQL\n"
        "GJDN<1<CD<F<646XGUCI8C2<IZ<<2B"
    )
    found = parse_mrz(zone, date(2026, 1, 1))
    assert found.format == "TD1" and not found.valid


def test_api_names_the_layout_of_visas_and_french_cards(
    client: TestClient, reported: Store
) -> None:
    headers = token(reported)
    visa = client.post("/api/v1/screening/mrz", json={"mrz": mrv_a(CLEAN)}, headers=headers)
    assert visa.status_code == 200, visa.text
    body = visa.json()
    assert (body["layout"], body["format"], body["verdict"], body["problems"]) == (
        "MRV-A",
        "MRV-A",
        "valid",
        [],
    )
    card = client.post("/api/v1/screening/mrz", json={"mrz": FR_ID}, headers=headers).json()
    assert (card["layout"], card["document_number"], card["issue_month"]) == (
        "FR-ID",
        "940992310285",
        "1994-09",
    )
    assert card["expiry_date"] is None and card["nationality"] == "FRA"
    assert [p["field"] for p in card["problems"]] == ["expiry_date"]  # 15 years ran out


def test_cli_shows_the_layout(backend_url: str, reported: Store) -> None:
    from palermo.cli.main import app

    runner = CliRunner()
    line1, line2 = mrv_a(STOLEN).splitlines()
    result = runner.invoke(
        app, ["--db", backend_url, "screen", "mrz", line1, line2, "--as", "analyst-a1"]
    )
    assert result.exit_code == 3, result.output
    assert result.stdout.splitlines()[0] == f"MRV-A V {STOLEN}: reported"
    assert "problem:" not in result.stdout  # a genuine visa: no failed check digit
    result = runner.invoke(
        app,
        ["--db", backend_url, "screen", "mrz", *FR_ID.splitlines(), "--as", "analyst-a1"],
    )
    assert result.exit_code == 4  # the card's 15 years have run out
    assert result.stdout.splitlines()[0] == "FR-ID ID 940992310285: invalid"
    assert "issued by FRA in 1994-09, expires ?" in result.stdout


def test_web_page_shows_the_layout(client: TestClient, reported: Store) -> None:
    reported.add_user(SYSTEM, "ana", "A1", "analyst", password="pw-ana")
    login = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert login is not None
    client.post("/login", data={"username": "ana", "password": "pw-ana", "csrf_token": login[1]})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/screening").text)
    assert csrf is not None
    shown = client.post("/screening/mrz", data={"mrz": MRV_B, "csrf_token": csrf[1]})
    assert shown.status_code == 200
    assert "MRZ MRV-B V L8988901C" in shown.text
    failed = re.search(r"<caption>Failed checks</caption>.*?</table>", shown.text, re.S)
    assert failed is not None and "expiry_date" in failed[0] and "composite" not in failed[0]
    card = client.post("/screening/mrz", data={"mrz": FR_ID, "csrf_token": csrf[1]}).text
    assert "MRZ FR-ID ID 940992310285" in card and "<dd>FRA in 1994-09, expires ?</dd>" in card
    bad = client.post("/screening/mrz", data={"mrz": MRV_B.replace("V<", "Q<", 1),
                                              "csrf_token": csrf[1]})  # fmt: skip
    assert bad.status_code == 422 and "document code &#39;Q&lt;&#39;" in bad.text
