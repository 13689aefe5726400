"""The import wizard (issue 16): upload, preview the first rows as entities with every bad
row, then import atomically or skipping bad rows, with a default sharing read by the one
strict parser. Unusable input (no file, no mapping for a CSV, an unknown agency in the
sharing, a broken mapping, a file over the limit) is shown next to its field and stores
nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.api.app import create_app
from palermo.store.store import Store
from palermo.web.import_wizard import MAX_UPLOAD
from tests.store.factories import SYSTEM, setup_agencies
from tests.web.test_case_forms import login

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"
CSV = (
    "id,name,birth_date,nationality,passport\n"
    "n1,Ivan Petrov,1980-02-03,ru,RU1234567\n"
    "n2,Olga Petrova,1980-13-03,ru,\n"
    "n3,Mira Lenk,1991-05-06,Atlantis,\n"
    "n4,Dara Chan,1990-01-01,kh,KH7654321\n"
)


@pytest.fixture
def world(store: Store) -> dict[str, Viewer]:
    v = setup_agencies(store, {"A1": ("EU",), "B2": ("EU",), "C3": ()})
    store.add_user(SYSTEM, "ada", "A1", "analyst", password="pw-ada")
    store.add_user(SYSTEM, "adm", "A1", "admin", password="pw-adm")
    return v


@pytest.fixture
def client(store: Store, world: dict[str, Viewer]) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def preview(
    client: TestClient, csrf: str, name: str, content: str, mapping_file: str = "", **fields: str
) -> httpx.Response:
    files = {"file": (name, content.encode(), "text/plain")}
    if mapping_file:
        files["mapping_file"] = ("mine.yml", mapping_file.encode(), "application/yaml")
    data = {"csrf_token": csrf, "format": "auto", "mapping": "", "sharing": "", "mode": "atomic"}
    return client.post("/imports/preview", data={**data, **fields}, files=files)


def hidden_fields(page: str) -> dict[str, str]:
    form = page.split('id="import-run"', 1)[1]
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return {name: html.unescape(value) for name, value in found}


def run(client: TestClient, fields: dict[str, str], mode: str) -> httpx.Response:
    return client.post("/imports/run", data={**fields, "mode": mode}, files={"x": ("", b"")})


def persons(store: Store, viewer: Viewer) -> list[str]:
    return sorted(e.first("name") or "" for e in store.entities(viewer, schema="Person"))


def field_error(page: str, field: str) -> str:
    found = re.search(rf'id="{field}-error" role="alert">([^<]*)<', page)
    assert found is not None, page
    return html.unescape(found.group(1))


def test_csv_with_a_library_mapping_preview_errors_atomic_then_skip_bad(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    form = client.get("/imports/new").text
    assert '<option value="persons"' in form and 'enctype="multipart/form-data"' in form
    shown = preview(client, csrf, "people.csv", CSV, mapping="persons", sharing="group:EU")
    assert shown.status_code == 200, shown.text
    page = shown.text
    assert "4 rows read, 2 bad rows" in page
    assert "Ivan Petrov" in page and "RU1234567" in page and "Dara Chan" in page
    assert re.search(r"<code>a1\.[0-9a-f]{40}</code>", page)  # ids namespaced as A1's
    assert "group:EU" in page
    errors = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    assert [(line, field) for line, field, _ in errors] == [
        ("3", "birthDate"),
        ("4", "nationality"),
    ]
    assert persons(store, world["A1"]) == []  # a preview stores nothing

    fields = hidden_fields(page)
    assert fields["content"].replace("\r\n", "\n") == CSV and fields["mapping"] == "persons"
    rejected = run(client, fields, "atomic")
    assert rejected.status_code == 422
    assert "Rejected, nothing imported" in rejected.text
    assert persons(store, world["A1"]) == []
    done = run(client, fields, "skip-bad")
    assert done.status_code == 200, done.text
    assert "Imported: 4 rows read" in done.text
    assert persons(store, world["A1"]) == ["Dara Chan", "Ivan Petrov"]
    assert persons(store, world["B2"]) == ["Dara Chan", "Ivan Petrov"]  # the default: group:EU
    assert persons(store, world["C3"]) == []


def test_ftm_json_with_a_bad_line_and_an_uploaded_mapping_for_csv(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    lines = '{"id": "p1", "schema": "Person", "properties": {"name": ["Anna Berg"]}}\n{not json\n'
    shown = preview(client, csrf, "de.json", lines)
    assert "2 rows read, 1 bad rows" in shown.text
    assert "not valid JSON" in shown.text and "a1.p1" in shown.text
    done = run(client, hidden_fields(shown.text), "skip-bad")
    assert done.status_code == 200 and persons(store, world["A1"]) == ["Anna Berg"]
    assert persons(store, world["B2"]) == []  # no default sharing: A1 only

    mapping = (DATA / "persons.mapping.yml").read_text(encoding="utf-8")
    data = (DATA / "persons.csv").read_text(encoding="utf-8")
    shown = preview(client, csrf, "persons.csv", data, mapping_file=mapping)
    assert shown.status_code == 200, shown.text
    assert "Олена Коваленко" in shown.text
    fields = hidden_fields(shown.text)
    assert "key_literal: person" in fields["mapping_text"]
    done = run(client, fields, "skip-bad")
    assert done.status_code == 200
    assert "Олена Коваленко" in persons(store, world["A1"])
    assert "Олена Коваленко" in persons(store, world["B2"])  # its row said group:EU


@pytest.mark.parametrize(
    ("name", "content", "fields", "field", "reason"),
    [
        ("empty.json", "", {}, "file", "choose a file"),
        ("people.csv", CSV, {}, "mapping", "needs a mapping"),
        ("people.csv", CSV, {"mapping": "../../etc/passwd"}, "mapping", "no mapping named"),
        ("people.csv", CSV, {"mapping": "persons", "sharing": "NL-KMR"}, "sharing", "unknown"),
        ("people.csv", CSV, {"mapping_file": "a: [b"}, "mapping", "not valid YAML"),
        (
            "people.csv",
            "who,when\nx,y\n",
            {"mapping": "persons"},
            "mapping",
            "which the CSV header does not have",
        ),
        ("big.json", "x" * (MAX_UPLOAD + 1), {}, "file", "larger than"),
        ("de.json", "{}", {"format": "xml"}, "format", "is not one of"),
    ],
)
def test_unusable_input_is_shown_next_to_its_field(
    client: TestClient,
    store: Store,
    world: dict[str, Viewer],
    name: str,
    content: str,
    fields: dict[str, str],
    field: str,
    reason: str,
) -> None:
    csrf = login(client, "ada")
    extra = dict(fields)
    mapping_file = extra.pop("mapping_file", "")
    shown = preview(client, csrf, name, content, mapping_file, **extra)
    assert shown.status_code == 422
    assert reason in field_error(shown.text, field)
    assert persons(store, world["A1"]) == []


def test_the_last_step_checks_everything_again(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    shown = preview(client, csrf, "people.csv", CSV, mapping="persons")
    fields = {**hidden_fields(shown.text), "sharing": "group:NOPE"}
    answer = run(client, fields, "skip-bad")
    assert answer.status_code == 422
    assert "unknown" in field_error(answer.text, "sharing")
    assert persons(store, world["A1"]) == []


def test_no_import_without_a_data_role_or_the_csrf_token(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "adm")
    assert client.get("/imports/new").status_code == 403
    lines = '{"id": "p1", "schema": "Person", "properties": {"name": ["Anna Berg"]}}\n'
    assert preview(client, csrf, "de.json", lines).status_code == 403
    csrf = login(client, "ada")
    assert preview(client, "forged", "de.json", lines).status_code == 403
    assert persons(store, world["A1"]) == []
