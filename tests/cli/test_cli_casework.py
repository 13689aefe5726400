"""Issue 21: operations, MLA requests and victim records from the CLI, with the API's rules
(an agency reports only its own country, only the parties change an MLA request, only
victim-support writes victim records) and the API's paging (both backends)."""

from __future__ import annotations

import pytest

from palermo.access.viewer import AccessDenied, NotVisible
from palermo.cli.common import CliError
from palermo.store.store import Store
from tests.cli.test_cli_coordination import DE, NL, every, js, node, run
from tests.store.factories import SYSTEM

__all__ = ["node"]  # the fixture, imported for its name


def test_operation_plan_report_and_show(node: Store) -> None:
    planned = js(
        node,
        "operation",
        "plan",
        "Dawn",
        "--participant",
        "DE-BKA:DE:Europe/Berlin",
        "--participant",
        "NL-KMAR:NL:Europe/Amsterdam",
        "--action-time",
        "2026-12-03T05:30+01:00",
        "--target",
        "de-bka.p1",
        *DE,
    )
    op_id = planned["id"]  # type: ignore[index]
    assert js(node, "operation", "report", op_id, "--country", "NL", "--arrests", "2", *NL)
    with pytest.raises(AccessDenied, match=r"^country: NL-KMAR reports results for NL only"):
        run(node, "operation", "report", op_id, "--country", "DE", "--arrests", "9", *NL)
    board = js(node, "operation", "show", op_id, *DE)
    assert board["totals"]["arrests"] == 2  # type: ignore[index]
    assert board["missing_reports"] == ["DE-BKA"]  # type: ignore[index]
    assert board["local_action_times"]["NL-KMAR"].startswith("2026-12-03T05:30")  # type: ignore[index]
    assert [o["id"] for o in every(node, "operation", *NL)] == [op_id]
    assert every(node, "operation", "--as", "analyst-th-rtp") == []


def test_operation_bad_input_names_the_option(node: Store) -> None:
    with pytest.raises(CliError, match=r"^--participant 1: 'DE-BKA' is not AGENCY:COUNTRY"):
        run(node, "operation", "plan", "X", "--participant", "DE-BKA", "--action-time", "x", *DE)
    with pytest.raises(CliError, match=r"^--action-time: 'tomorrow' is not a date and time"):
        args = ("--participant", "DE-BKA:DE:Europe/Berlin", "--action-time", "tomorrow")
        run(node, "operation", "plan", "X", *args, *DE)
    code, out = run(node, "operation", "report", "x", "--country", "DE", "--arrests", "-1", *DE)
    assert code == 2 and "--arrests" in out


def mla_request(store: Store, *extra: str) -> object:
    return js(
        store,
        "mla",
        "create",
        "BKA-MLA-1",
        "--requesting-country",
        "DE",
        "--requested-country",
        "NL",
        "--requested-agency",
        "NL-KMAR",
        "--type",
        "evidence",
        "--legal-basis",
        "EU MLA Convention 2000",
        "--deadline",
        "2026-12-01",
        "--act",
        "recruitment",
        "--purpose",
        "sexual-exploitation",
        *extra,
        *DE,
    )


def test_mla_create_answer_and_remind(node: Store) -> None:
    request_id = mla_request(node)["id"]  # type: ignore[index]
    assert [r["id"] for r in every(node, "mla", *NL)] == [request_id]
    assert every(node, "mla", "--as", "analyst-th-rtp") == []
    assert run(node, "mla", "status", request_id, "in-progress", *NL)[0] == 0
    with pytest.raises((AccessDenied, NotVisible)):
        run(node, "mla", "status", request_id, "executed", "--as", "analyst-th-rtp")
    due = js(node, "mla", "reminders", "--today", "2026-12-05", *DE)
    assert [(r["request_id"], r["days_overdue"]) for r in due] == [(request_id, 4)]  # type: ignore[index, union-attr]
    assert js(node, "mla", "reminders", "--today", "2026-11-30", *DE) == []


def test_mla_bad_input_names_the_field(node: Store) -> None:
    with pytest.raises(ValueError, match=r"^facts.purposes: "):
        mla_request(node, "--purpose", "banana")
    with pytest.raises(CliError, match=r"^--today: 'soon' is not a date"):
        run(node, "mla", "reminders", "--today", "soon", *DE)


def test_victim_record_refer_and_status_need_victim_support(node: Store) -> None:
    node.add_user(SYSTEM, "vera", "DE-BKA", "victim-support")
    record = ("victim", "record", "de-bka.p1", "--form", "sexual-exploitation")
    with pytest.raises(AccessDenied, match="needs the victim-support role"):
        run(node, *record, *DE)
    record_id = js(node, *record, "--consent", "agency", "--need", "shelter", "--as", "vera")["id"]  # type: ignore[index]
    referral = js(
        node,
        "victim",
        "refer",
        record_id,
        "--service",
        "shelter",
        "--provider",
        "Ban Ying",
        "--as",
        "vera",
    )
    referral_id = referral["id"]  # type: ignore[index]
    assert run(node, "victim", "referral-status", referral_id, "accepted", "--as", "vera")[0] == 0
    mine = every(node, "victim", "--referrals", "--as", "vera")
    assert [(r["id"], r["properties"]["referralStatus"]) for r in mine] == [  # type: ignore[index]
        (referral_id, ["accepted"])
    ]
    # The analyst of the same agency learns of no victim value; other agencies of nothing.
    seen = every(node, "victim", *DE)
    assert all("sexual-exploitation" not in str(r["properties"]) for r in seen)
    assert every(node, "victim", *NL) == []
    with pytest.raises(ValueError, match=r"^status: 'done' is not one of"):
        run(node, "victim", "referral-status", referral_id, "done", "--as", "vera")
    with pytest.raises(CliError, match=r"^--risk: 'extreme'"):
        run(node, *record, "--risk", "extreme", "--as", "vera")
