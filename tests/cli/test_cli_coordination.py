"""Issue 21: coordination, corrections, notices, messages, subscriptions and judgements
from the CLI, thin over the functions the API calls (both backends)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from palermo.access.viewer import AccessDenied, NotVisible
from palermo.cli.main import app
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, person, setup_agencies

runner = CliRunner()


@pytest.fixture
def node(store: Store) -> Store:
    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",), "TH-RTP": ()})
    store.add_user(SYSTEM, "olaf", "DE-BKA", "officer")
    store.add_user(SYSTEM, "sven", "DE-BKA", "supervisor")
    eu = Sharing.parse("group:EU")
    store.write(viewers["DE-BKA"], person("DE-BKA", "p1", eu, name="Ivan Petrov"))
    store.write(viewers["DE-BKA"], person("DE-BKA", "p2", eu, name="Iwan Petrow"))
    return store


def run(store: Store, *args: str) -> tuple[int, str]:
    """The command in-process on the test's store (its engine is disposed by the fixture)."""
    result = runner.invoke(app, list(args), obj={"store": store})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def js(store: Store, *args: str) -> object:
    code, out = run(store, *args, "--json")
    assert code == 0, out
    return json.loads(out)


def every(store: Store, kind: str, *args: str) -> list[dict[str, object]]:
    """Every entry of a paged `KIND list --json`, following `next_offset` a page of one at a
    time (so paging itself is exercised)."""
    out: list[dict[str, object]] = []
    offset: object = 0
    while offset is not None:
        page = js(store, kind, "list", "--limit", "1", "--offset", str(offset), *args)
        assert isinstance(page, dict)
        out.extend(page["results"])
        offset = page["next_offset"]
    return out


DE = ("--as", "analyst-de-bka")
NL = ("--as", "analyst-nl-kmar")


def test_finding_10_case_lifecycle_from_the_cli(node: Store) -> None:
    opened = js(
        node,
        "case",
        "open",
        "BKA-1",
        "--title",
        "Salons",
        "--form",
        "forced-labour",
        "--subject",
        "de-bka.p1",
        "--member",
        "NL-KMAR:member",
        *DE,
    )
    assert isinstance(opened, dict)
    case_id = opened["id"]
    listed = js(node, "case", "list", *NL)
    assert [c["id"] for c in listed] == [case_id]  # type: ignore[union-attr]
    code, out = run(node, "case", "show", case_id, *DE)
    assert code == 0 and "team NL-KMAR: member" in out and "caseStatus=open" in out
    assert run(node, "case", "close", case_id, *DE) == (0, f"case closed: {case_id}\n")
    shown = js(node, "case", "show", case_id, *NL)
    assert shown["case"]["properties"]["caseStatus"] == ["closed"]  # type: ignore[index]
    assert run(node, "case", "reopen", case_id, *DE)[0] == 0
    assert run(node, "case", "team", "add", case_id, "TH-RTP", "--role", "observer", *DE)[0] == 0
    assert run(node, "case", "team", "role", case_id, "TH-RTP", "member", *DE)[0] == 0
    assert run(node, "case", "team", "remove", case_id, "NL-KMAR", *DE)[0] == 0
    assert js(node, "case", "list", *NL) == []
    team = js(node, "case", "show", case_id, *DE)["team"]  # type: ignore[index]
    assert team == {"DE-BKA": "lead", "TH-RTP": "member"}
    with pytest.raises(AccessDenied, match=r"^case_id: only the lead agency"):
        run(node, "case", "close", case_id, "--as", "analyst-th-rtp")
    with pytest.raises(ValueError, match=r"^exploitation_form: 'knitting'"):
        run(node, "case", "open", "BKA-2", "--title", "t", "--form", "knitting", *DE)
    with pytest.raises(ValueError, match=r"^case_number: DE-BKA already has"):
        run(node, "case", "open", "BKA-1", "--title", "t", "--form", "sexual", *DE)


def test_finding_10_notices_from_the_cli(node: Store) -> None:
    issued = js(
        node,
        "notice",
        "issue",
        "yellow",
        "de-bka.p1",
        "--reason",
        "missing",
        "--share",
        "group:EU",
        "--as",
        "olaf",
    )
    assert issued["status"] == "requested"  # type: ignore[index]
    notice_id = issued["id"]  # type: ignore[index]
    assert every(node, "notice", *NL) == []
    assert run(node, "notice", "approve", notice_id, "--as", "sven")[0] == 0
    assert [n["id"] for n in every(node, "notice", *NL)] == [notice_id]
    assert run(node, "notice", "withdraw", notice_id, "--as", "olaf")[0] == 0
    assert every(node, "notice", *NL) == []
    with pytest.raises(ValueError, match=r"^--share: unknown group 'group:UE'"):
        run(
            node,
            "notice",
            "issue",
            "blue",
            "de-bka.p1",
            "--reason",
            "x",
            "--share",
            "group:UE",
            "--as",
            "olaf",
        )


def test_finding_10_messages_subscriptions_and_judgements(node: Store) -> None:
    sent = js(
        node,
        "message",
        "send",
        "NL-KMAR",
        "--subject",
        "Flights",
        "--body",
        "Please check",
        "--about",
        "de-bka.p1",
        *DE,
    )
    inbox = every(node, "message", *NL)
    assert [m["id"] for m in inbox] == [sent["id"]]  # type: ignore[index]
    sub = js(node, "subscription", "add", "name", "Ivan Petrov", *NL)["id"]  # type: ignore[index]
    listed = js(node, "subscription", "list", *NL)
    assert [(s["id"], s["kind"]) for s in listed] == [(sub, "name")]  # type: ignore[index, union-attr]
    assert js(node, "subscription", "list", *DE) == []
    with pytest.raises(NotVisible, match=r"^subscription_id: "):
        run(node, "subscription", "delete", str(sub), *DE)
    assert run(node, "subscription", "delete", str(sub), *NL)[0] == 0
    assert js(node, "subscription", "list", *NL) == []
    judged = js(node, "judgement", "reject", "de-bka.p1", "de-bka.p2", "--reason", "twins", *DE)
    assert judged["judgement"] == "reject"  # type: ignore[index]
    from palermo.match.resolution import judgements

    assert judgements(node, node.viewer("analyst-de-bka")) == {("de-bka.p1", "de-bka.p2"): "reject"}
    with pytest.raises(ValueError, match=r"^judgement: 'maybe'"):
        run(node, "judgement", "maybe", "de-bka.p1", "de-bka.p2", *DE)


def test_finding_22_corrections_from_the_cli(node: Store) -> None:
    out = js(node, "correct", "replace", "de-bka.p1", "name", "Ivan Petrov", "Ivan Petrow", *DE)
    assert out == {
        "entity_id": "de-bka.p1",
        "prop": "name",
        "action": "replace",
        "retracted": 1,
        "asserted": 1,
    }
    with pytest.raises(ValueError, match=r"^sharing: .*wider"):
        run(node, "correct", "share", "de-bka.p1", "name", "Ivan Petrow", "all", *DE)
    with pytest.raises(AccessDenied, match=r"^value: "):
        run(node, "correct", "retract", "de-bka.p1", "name", "Ivan Petrow", *NL)
    code, text = run(node, "correct", "share", "de-bka.p1", "name", "Ivan Petrow", "owner", *DE)
    assert code == 0 and text == "share: de-bka.p1 name: 1 retracted, 1 new\n"
    def ids(found: object) -> set[str]:  # search folds spellings: Iwan Petrow is found too
        return {e["id"] for e in found}  # type: ignore[attr-defined, index]

    assert "de-bka.p1" not in ids(js(node, "search", "Ivan Petrow", *NL))  # narrowed to DE only
    assert "de-bka.p1" in ids(js(node, "search", "Ivan Petrow", *DE))
    assert run(node, "correct", "retract", "de-bka.p1", "name", "Ivan Petrow", *DE)[0] == 0
    assert "de-bka.p1" not in ids(js(node, "search", "Ivan Petrow", *DE))


def test_finding_10_errors_are_one_line(tmp_path: Path) -> None:
    """Through the real entry point: a refused correction and an unknown case are one
    line on stderr with exit code 2, never a traceback."""
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store.open(db)
    setup_agencies(store, {"DE-BKA": ("EU",)})
    store.close()
    for args, message in (
        (["case", "show", "de-bka.nope", *DE], "case_id: no visible case 'de-bka.nope'"),
        (["correct", "retract", "de-bka.x", "name", "X", *DE], "entity_id: no visible entity"),
    ):
        proc = subprocess.run(
            [sys.executable, "-c", "from palermo.cli.main import main; main()", "--db", db, *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and message in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
