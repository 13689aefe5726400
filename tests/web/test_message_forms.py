"""Agency messages through the web form (issue 16): write to another agency with files
attached, the recipient reads it and downloads them (its read receipt goes back); no one
else sees message or files. Refused input is shown next to its field and sends nothing;
CSRF. SQLite and PostgreSQL."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from palermo.access.viewer import Viewer
from palermo.exchange import messages
from palermo.store.store import Store
from tests.web.coord_forms_support import client, error_of, login, world, writes_since

__all__ = ["client", "world"]  # fixtures
FileList = list[tuple[str, tuple[str, bytes, str]]]


def letter(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "to_agency": "B2",
        "kind": "request",
        "subject": "Passenger lists, bus 4711",
        "body": "Please send the lists of 3 and 4 November.",
        "about": "a1.p1",
        **fields,
    }


def sent_by(store: Store, viewer: Viewer) -> list[str]:
    return [e.id for e in store.entities(viewer, schema="AgencyMessage", limit=100)]


def test_send_a_message_with_attachments_and_the_recipient_reads_it(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    files: FileList = [
        ("attachments", ("lists.csv", b"seat,name\n12,I. Petrov\n", "text/csv")),
        ("attachments", ("photo.jpg", bytes(range(256)) * 4, "image/jpeg")),
    ]
    before = len(store.audit_entries())
    done = client.post("/messages/new", data=letter(csrf), files=files, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert writes_since(store, before) == [("write", "ada", "A1")] * 3  # message + 2 files
    message_id = unquote(done.headers["location"].split("sent=", 1)[1])
    assert "sent to B2" in client.get(done.headers["location"]).text

    csrf = login(client, "bea")
    [inbox] = messages.inbox(store, world["B2"])
    assert inbox.id == message_id and inbox.values("about") == ["a1.p1"]
    page = client.get(f"/messages/{message_id}")
    assert page.status_code == 200 and "lists.csv" in page.text and "photo.jpg" in page.text
    download = client.get(f"/messages/{message_id}/attachments/1")
    assert download.status_code == 200 and download.content == bytes(range(256)) * 4
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert messages.receipts(store, world["A1"], message_id) == ["bea@B2"]  # shared back
    client.get(f"/messages/{message_id}")  # read twice: still one receipt
    assert messages.receipts(store, world["A1"], message_id) == ["bea@B2"]

    login(client, "cyd")  # a third agency: neither the message nor its files exist for it
    assert client.get(f"/messages/{message_id}").status_code == 404
    assert client.get(f"/messages/{message_id}/attachments/0").status_code == 404


@pytest.mark.parametrize(
    ("fields", "name", "reason"),
    [
        ({"to_agency": "A1"}, "to_agency", "a message goes to another agency"),
        ({"to_agency": "ZZ9"}, "to_agency", "no agency 'ZZ9'"),
        ({"to_agency": ""}, "to_agency", "choose the agency"),
        ({"subject": ""}, "subject", "give the message a subject"),
        ({"body": ""}, "body", "write the message"),
        ({"kind": "gossip"}, "kind", "is not one of"),
        ({"about": "b2.p9"}, "about", "no visible record 'b2.p9'"),  # B2's, unshared
    ],
)
def test_a_refused_field_is_shown_next_to_it_and_nothing_is_sent(
    client: TestClient,
    store: Store,
    world: dict[str, Viewer],
    fields: dict[str, str],
    name: str,
    reason: str,
) -> None:
    csrf = login(client, "ada")
    answer = client.post("/messages/new", data=letter(csrf, **fields))
    assert answer.status_code == 422
    assert reason in error_of(answer.text, name)
    assert name == "body" or "Please send the lists of 3 and 4 November." in answer.text
    assert sent_by(store, world["A1"]) == []


def test_too_many_or_too_large_files_are_refused(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    csrf = login(client, "ada")
    six: FileList = [("attachments", (f"f{i}.txt", b"x", "text/plain")) for i in range(6)]
    answer = client.post("/messages/new", data=letter(csrf), files=six)
    assert answer.status_code == 422 and "at most 5 files" in error_of(answer.text, "attachments")
    big: FileList = [("attachments", ("big.bin", b"0" * (messages.MAX_ATTACHMENT + 1), "x/y"))]
    answer = client.post("/messages/new", data=letter(csrf), files=big)
    assert answer.status_code == 422 and "is larger than" in error_of(answer.text, "attachments")
    assert sent_by(store, world["A1"]) == []


def test_without_the_csrf_token_nothing_is_sent(
    client: TestClient, store: Store, world: dict[str, Viewer]
) -> None:
    login(client, "ada")
    files: FileList = [("attachments", ("a.txt", b"a", "text/plain"))]
    refused = client.post("/messages/new", data=letter("forged"), files=files)
    assert refused.status_code == 403
    assert sent_by(store, world["A1"]) == []
