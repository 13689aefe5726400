"""Sharing codes are read by one strict parser at every entry point and checked against the
directory: a typo in an agency, group or handling code is an error naming the row, field and
code, never an audience of no one; the canonical ``AUDIENCE|HANDLING`` form is accepted
everywhere (issue 21; walk-through finding 3)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from palermo.api.app import create_app
from palermo.ingest import ImportMode, import_file
from palermo.model.sharing import KnownAudiences, Sharing, SharingError, parse_sharing
from palermo.store.store import Store
from palermo.store.views import Entity
from tests.ingest.ftm_oracle import ftm_id, ftm_map_csv
from tests.store.factories import SYSTEM, setup_agencies

DIRECTORY = {"DE-BKA": ("EU",), "NL-KMAR": ("EU",), "TH-RTP": ()}
KNOWN = KnownAudiences(frozenset(DIRECTORY), frozenset({"EU"}))


def row(local_id: str, sharing: object) -> dict[str, object]:
    return {"id": local_id, "schema": "Person", "properties": {"name": [f"Person {local_id}"]},
            "sharing": sharing}  # fmt: skip


def policies(entity: Entity) -> set[str]:
    """The canonical sharing texts of an entity's visible values."""
    return {v.policy for values in entity.properties.values() for v in values}


def write_lines(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("NL-KMAR|no-onward", "NL-KMAR|no-onward"),
        ("group:EU|victim-sensitive", "group:EU|victim-sensitive"),
        ("owner", "owner|"),
        ("all", "all|"),
        ("all|", "all|"),
        (
            "TH-RTP,group:EU|no-onward,victim-sensitive",
            "TH-RTP,group:EU|no-onward,victim-sensitive",
        ),
        ({"scope": "NL-KMAR", "handling": ["no-onward"]}, "NL-KMAR|no-onward"),
        ({"scope": "group:EU", "handling": "victim-sensitive"}, "group:EU|victim-sensitive"),
    ],
)
def test_canonical_form_round_trips(text: object, canonical: str) -> None:
    parsed = parse_sharing(text, KNOWN)
    assert parsed.canonical == canonical
    assert Sharing.from_canonical(parsed.canonical) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "NL-KMR",
            "unknown agency 'NL-KMR' (known: DE-BKA, NL-KMAR, TH-RTP; did you mean 'NL-KMAR'?)",
        ),
        ("group:UE", "unknown group 'group:UE' (known: group:EU"),
        (
            "NL-KMAR|no-onwards",
            "unknown handling code 'no-onwards' "
            "(known: no-onward, victim-sensitive, H0, H1, H2, H3)",
        ),
        ("NL-KMAR|no-onward|x", "grade: 'x' is not a source letter"),
        ("NL-KMAR|no-onward|B2|x", "'NL-KMAR|no-onward|B2|x' has more than two '|'"),
        ("NL KMAR", "'NL KMAR' is not an agency code"),
        (42, "must be AUDIENCE|HANDLING|GRADE text"),
    ],
)
def test_unknown_or_malformed_codes_are_named(text: object, message: str) -> None:
    with pytest.raises(SharingError) as caught:
        parse_sharing(text, KNOWN)
    assert str(caught.value).startswith(message), caught.value


def test_finding_3_typos_in_an_import_name_row_field_and_code(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, DIRECTORY)
    path = write_lines(
        tmp_path / "de.json",
        [
            row("p1", "group:EU"),
            row("p2", "NL-KMR"),
            row("p3", "group:UE"),
            row("p4", {"scope": "NL-KMAR", "handling": ["secret"]}),
        ],
    )
    report = import_file(store, viewers["DE-BKA"], path)
    assert not report.committed and store.count_statements() == 0
    assert [str(e) for e in report.errors] == [
        "de.json:2: sharing: unknown agency 'NL-KMR' (known: DE-BKA, NL-KMAR, TH-RTP; "
        "did you mean 'NL-KMAR'?)",
        "de.json:3: sharing: unknown group 'group:UE' (known: group:EU; did you mean 'group:EU'?)",
        "de.json:4: sharing: unknown handling code 'secret' "
        "(known: no-onward, victim-sensitive, H0, H1, H2, H3)",
    ]


def test_finding_3_canonical_form_is_accepted_and_reaches_the_partner(
    store: Store, tmp_path: Path
) -> None:
    viewers = setup_agencies(store, DIRECTORY)
    path = write_lines(
        tmp_path / "share.json",
        [
            row("p1", "NL-KMAR|no-onward"),
            row("p2", "group:EU|victim-sensitive"),
            row("p3", "TH-RTP"),
        ],
    )
    report = import_file(store, viewers["DE-BKA"], path)
    assert report.committed and not report.errors
    p1 = store.entity(viewers["NL-KMAR"], "de-bka.p1")
    assert p1 is not None  # the partner sees it: the audience is NL-KMAR, handling no-onward
    assert policies(p1) == {"NL-KMAR|no-onward"}
    assert store.entity(viewers["TH-RTP"], "de-bka.p1") is None
    support = store.add_user(SYSTEM, "support-nl", "NL-KMAR", "victim-support").viewer()
    p2 = store.entity(support, "de-bka.p2")  # victim-sensitive: masked for others
    assert p2 is not None and policies(p2) == {"group:EU|victim-sensitive"}
    assert store.entity(viewers["TH-RTP"], "de-bka.p3") is not None


def test_finding_3_mapped_csv_sharing_column_is_checked(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, DIRECTORY)
    mapping = Path(__file__).parent.parent / "data" / "ingest" / "persons.mapping.yml"
    csv_path = tmp_path / "persons.csv"
    csv_path.write_text(
        "record_no,full_name,dob,nationality,passport_no,share\n"
        "17,Olena Kovalenko,1995-04-12,Ukraine,FP123456,group:EU|no-onward\n"
        "18,Siti Rahmah,1999-11-30,Indonesia,FP765432,NL-KMR\n",
        encoding="utf-8",
    )
    report = import_file(
        store, viewers["DE-BKA"], csv_path, mapping=mapping, mode=ImportMode.SKIP_BAD
    )
    assert [str(e) for e in report.errors] == [
        "persons.csv:3: sharing: unknown agency 'NL-KMR' (known: DE-BKA, NL-KMAR, TH-RTP; "
        "did you mean 'NL-KMAR'?)"
    ]
    olena = ftm_id(ftm_map_csv(csv_path, mapping), "Person", "name", "Olena Kovalenko")
    assert store.entity(viewers["NL-KMAR"], f"de-bka.{olena}") is not None
    assert store.search(viewers["DE-BKA"], "FP765432") == []  # nothing of the bad row


def test_finding_3_default_sharing_of_an_import_is_checked(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, DIRECTORY)
    path = write_lines(tmp_path / "a.json", [{"id": "p1", "schema": "Person", "properties": {}}])
    with pytest.raises(ValueError) as caught:
        import_file(store, viewers["DE-BKA"], path, sharing=Sharing.parse("group:UE"))
    assert str(caught.value).startswith("sharing: unknown group 'group:UE'")
    assert store.count_statements() == 0


def test_finding_3_cli_share_option_is_checked(
    backend_url: str,
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from palermo.cli.main import main

    setup_agencies(store, DIRECTORY)
    path = write_lines(tmp_path / "a.json", [{"id": "p1", "schema": "Person", "properties": {}}])

    def palermo(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["palermo", "--db", backend_url, *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return code, capsys.readouterr().err.strip()

    code, err = palermo("import", str(path), "--as", "analyst-de-bka", "--share", "NL-KMR")
    assert code == 2 and "\n" not in err and "Traceback" not in err
    assert err.startswith("error: --share: unknown agency 'NL-KMR'")
    code, err = palermo("import", str(path), "--as", "analyst-de-bka", "--share",
                        "NL-KMAR|no-onward", "--json")  # fmt: skip
    assert code == 0, err
    viewer = store.viewer("analyst-nl-kmar")
    entity = store.entity(viewer, "de-bka.p1")
    assert entity is not None and policies(entity) == {"NL-KMAR|no-onward"}


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store, rate_limit=0)) as c:
        yield c


def test_finding_3_api_write_with_a_bad_code_names_the_field(
    client: TestClient, store: Store, tmp_path: Path
) -> None:
    viewers = setup_agencies(store, DIRECTORY)
    store.add_user(SYSTEM, "officer-de", "DE-BKA", "officer")
    import_file(store, viewers["DE-BKA"], write_lines(tmp_path / "s.json", [row("s1", "all")]))
    headers = {"Authorization": f"Bearer {store.create_token(SYSTEM, 'officer-de', 't')}"}
    notice = {"notice_type": "blue", "subject_id": "de-bka.s1", "reason": "locate"}
    for scope, reason in (
        ("NL-KMR", "unknown agency 'NL-KMR'"),
        ("group:UE", "unknown group 'group:UE'"),
        ("all|secret", "unknown handling code 'secret'"),
    ):
        answer = client.post("/api/v1/notices", json={**notice, "scope": scope}, headers=headers)
        assert answer.status_code in (400, 422), answer.text
        assert answer.json()["field"] == "scope"
        assert answer.json()["detail"].startswith(f"scope: {reason}")
    good = {**notice, "scope": "NL-KMAR|no-onward"}
    answer = client.post("/api/v1/notices", json=good, headers=headers)
    assert answer.status_code == 200, answer.text
    issued = store.entity(viewers["NL-KMAR"], answer.json()["id"])
    assert issued is not None and policies(issued) == {"NL-KMAR|no-onward"}
