"""Saving an uploaded mapping to the node's library from the import wizard (issue 16): the
saved mapping is then in the pick list and imports like a shipped one. Names are checked
(field-named errors), a name is never reused (shipped or saved), a broken mapping is never
saved, and saving needs the CSRF token and a data role like every wizard step."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.store.store import Store
from palermo.web.mapping_library import FOLDER_ENV
from tests.web import test_import_wizard as wizard
from tests.web.test_case_forms import login
from tests.web.test_import_wizard import CSV, field_error, hidden_fields, persons, preview, run

world = wizard.world  # the wizard's fixtures: agencies A1, B2 (group EU), C3; users ada, adm
client = wizard.client

MAPPING = (
    Path(__file__).resolve().parents[2] / "src/palermo/web/import_mappings/persons.yml"
).read_text(encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "mappings"
    monkeypatch.setenv(FOLDER_ENV, str(target))
    return target


def save_fields(page: str) -> dict[str, str]:
    form = page.split('id="save-mapping"', 1)[1].split("</form>", 1)[0]
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return {name: html.unescape(value) for name, value in found}


def save(client: TestClient, fields: dict[str, str], name: str) -> httpx.Response:
    return client.post("/imports/mappings", data={**fields, "name": name}, files={"x": ("", b"")})


def test_a_saved_mapping_is_picked_from_the_library_and_imports(
    client: TestClient,
    store: Store,
    world: dict[str, Viewer],
    folder: Path,
) -> None:
    csrf = login(client, "ada")
    shown = preview(client, csrf, "people.csv", CSV, mapping_file=MAPPING, sharing="group:EU")
    assert shown.status_code == 200, shown.text
    assert 'id="save-mapping"' in shown.text
    fields = save_fields(shown.text)
    assert fields["mapping_text"] == MAPPING and fields["csrf_token"] == csrf

    saved = save(client, fields, "a1-persons")
    assert saved.status_code == 200, saved.text
    assert "a1-persons" in saved.text and 'id="mapping-saved"' in saved.text
    assert (folder / "a1-persons.yml").read_text(encoding="utf-8") == MAPPING
    again = hidden_fields(saved.text)  # the preview again, the mapping now picked by name
    assert again["mapping"] == "a1-persons" and again["mapping_text"] == ""
    assert 'id="save-mapping"' not in saved.text  # nothing left to save
    assert "4 rows read, 2 bad rows" in saved.text

    form = client.get("/imports/new").text
    assert '<option value="a1-persons"' in form and '<option value="persons"' in form
    reused = preview(client, csrf, "more.csv", CSV, mapping="a1-persons", sharing="group:EU")
    assert reused.status_code == 200, reused.text
    done = run(client, hidden_fields(reused.text), "skip-bad")
    assert done.status_code == 200, done.text
    assert persons(store, world["B2"]) == ["Dara Chan", "Ivan Petrov"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "give the mapping a name"),
        ("Bad Name", "is not a library name"),
        ("../../etc/passwd", "is not a library name"),
        ("x", "is not a library name"),
        ("-lead", "is not a library name"),
        ("a" * 64, "is not a library name"),
        ("persons", "already has a mapping named 'persons'"),  # the shipped one
    ],
)
def test_bad_names_are_refused_next_to_the_name_field(
    client: TestClient,
    folder: Path,
    name: str,
    reason: str,
) -> None:
    csrf = login(client, "ada")
    shown = preview(client, csrf, "people.csv", CSV, mapping_file=MAPPING)
    answer = save(client, save_fields(shown.text), name)
    assert answer.status_code == 422
    assert reason in field_error(answer.text, "name")
    assert 'id="import-run"' in answer.text  # the preview stays usable
    assert not folder.exists() or not any(folder.iterdir())


def test_a_saved_name_is_never_overwritten(client: TestClient, folder: Path) -> None:
    csrf = login(client, "ada")
    fields = save_fields(preview(client, csrf, "p.csv", CSV, mapping_file=MAPPING).text)
    assert save(client, fields, "mine").status_code == 200
    other = MAPPING + "# a second version\n"
    fields = save_fields(preview(client, csrf, "p.csv", CSV, mapping_file=other).text)
    answer = save(client, fields, "mine")
    assert answer.status_code == 422
    assert "already has a mapping named 'mine'" in field_error(answer.text, "name")
    assert (folder / "mine.yml").read_text(encoding="utf-8") == MAPPING


def test_a_broken_mapping_is_never_saved(client: TestClient, folder: Path) -> None:
    csrf = login(client, "ada")
    fields = save_fields(preview(client, csrf, "p.csv", CSV, mapping_file=MAPPING).text)
    answer = save(client, {**fields, "mapping_text": "a: [b"}, "broken")
    assert answer.status_code == 422
    assert "not valid YAML" in field_error(answer.text, "mapping")
    answer = save(client, {**fields, "mapping_text": ""}, "empty")
    assert answer.status_code == 422
    assert "only an uploaded mapping" in field_error(answer.text, "mapping")
    assert not folder.exists() or not any(folder.iterdir())


def test_without_a_node_folder_there_is_nothing_to_save_into(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(FOLDER_ENV, raising=False)
    csrf = login(client, "ada")
    shown = preview(client, csrf, "p.csv", CSV, mapping_file=MAPPING)
    assert shown.status_code == 200 and 'id="save-mapping"' not in shown.text
    fields = {**hidden_fields(shown.text), "csrf_token": csrf}
    answer = save(client, fields, "mine")
    assert answer.status_code == 422
    assert FOLDER_ENV in field_error(answer.text, "name")


def test_saving_needs_the_csrf_token_and_a_data_role(
    client: TestClient,
    folder: Path,
) -> None:
    csrf = login(client, "ada")
    fields = save_fields(preview(client, csrf, "p.csv", CSV, mapping_file=MAPPING).text)
    assert save(client, {**fields, "csrf_token": "forged"}, "forged").status_code == 403
    admin_csrf = login(client, "adm")
    assert save(client, {**fields, "csrf_token": admin_csrf}, "admins").status_code == 403
    assert not folder.exists() or not any(folder.iterdir())
