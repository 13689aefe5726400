"""Coordination workflows on one node: cases, victims, operations, MLA, training."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from palermo.access.viewer import AccessDenied, Role, Viewer
from palermo.coordination import cases, legal, mla, operations, training, victims
from palermo.coordination.operations import Participant
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, person, setup_agencies


@pytest.fixture
def node(tmp_path: Path) -> tuple[Store, dict[str, Viewer]]:
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    viewers = setup_agencies(store, {"DE-BKA": ("EU",), "NL-KMAR": ("EU",), "TH-RTP": ()})
    return store, viewers


def test_case_team_sees_case_tasks_and_notes_outsiders_do_not(node: tuple) -> None:
    store, v = node
    case_id = cases.open_case(
        store,
        v["DE-BKA"],
        "BKA-2026-17",
        "Nail salons",
        "forced-labour",
        team={"NL-KMAR": "member"},
    )
    cases.add_task(store, v["DE-BKA"], case_id, "Check flights AMS-FRA", "bram@NL-KMAR")
    cases.add_note(store, v["NL-KMAR"], case_id, "Two crossings at Schiphol")
    for agency in ("DE-BKA", "NL-KMAR"):
        file = cases.case_file(store, v[agency], case_id)
        assert file is not None and len(file.tasks) == 1 and len(file.notes) == 1
        assert file.team == {"DE-BKA": "lead", "NL-KMAR": "member"}
    assert cases.case_file(store, v["TH-RTP"], case_id) is None
    cases.add_to_team(store, v["DE-BKA"], case_id, "TH-RTP", "observer")
    file = cases.case_file(store, v["TH-RTP"], case_id)
    assert file is not None and len(file.tasks) == 1 and file.team["TH-RTP"] == "observer"
    cases.set_status(store, v["DE-BKA"], case_id, "closed")
    assert store.entity(v["NL-KMAR"], case_id).values("caseStatus") == ["closed"]  # type: ignore[union-attr]
    with pytest.raises(AccessDenied):
        cases.set_status(store, v["NL-KMAR"], case_id, "open")  # only the owner changes it
    actions = {e.action for e in store.audit_entries()}
    assert {"write", "case.share", "set.caseStatus"} <= actions


def test_victim_data_is_masked_by_role_and_consent_widens_only_the_audience(node: tuple) -> None:
    store, v = node
    de = v["DE-BKA"]
    support = Viewer("DE-BKA", "vs", frozenset({Role.VICTIM_SUPPORT}))
    store.write(de, person("DE-BKA", "mai", Sharing.to_all(), name="Mai Tran"))
    local_id = victims.record_victim(store, support, "de-bka.mai", "sexual-exploitation")
    partner_id = victims.record_victim(
        store,
        support,
        "de-bka.mai",
        "sexual-exploitation",
        consent="partners",
        partners=frozenset({"NL-KMAR"}),
    )
    open_id = victims.record_victim(store, support, "de-bka.mai", "forced-labour", consent="all")
    analyst = store.entity(de, partner_id)  # masked, or not found at all (opaque id)
    assert analyst is None or analyst.values("exploitationForm") == ["[masked]"]
    assert store.entity(support, partner_id).values("exploitationForm") == ["sexual-exploitation"]  # type: ignore[union-attr]
    nl_support = Viewer("NL-KMAR", "vs-nl", frozenset({Role.VICTIM_SUPPORT}))
    assert store.entity(nl_support, local_id) is None  # consent none: own agency only
    assert store.entity(nl_support, partner_id).values("exploitationForm") == [  # type: ignore[union-attr]
        "sexual-exploitation"
    ]
    assert store.entity(v["TH-RTP"], partner_id) is None  # consent partners: partners only
    consented = store.entity(v["TH-RTP"], open_id)
    assert consented is None or consented.values("exploitationForm") == ["[masked]"]
    th_support = Viewer("TH-RTP", "vs-th", frozenset({Role.VICTIM_SUPPORT}))
    assert store.entity(th_support, open_id).values("exploitationForm") == ["forced-labour"]  # type: ignore[union-attr]
    assert not victims.non_punishment(store, v["NL-KMAR"], "de-bka.mai")  # masked for analysts
    assert victims.non_punishment(store, nl_support, "de-bka.mai")
    with pytest.raises(ValueError, match="partners"):
        victims.record_victim(
            store, support, "de-bka.mai", "x", consent="none", partners=frozenset({"NL-KMAR"})
        )
    with pytest.raises(AccessDenied, match="victim-support"):
        victims.record_victim(store, de, "de-bka.mai", "forced-labour", consent="all")


def test_referrals_follow_their_record_and_validate(node: tuple) -> None:
    store, v = node
    support = store.add_user(SYSTEM, "vs-de", "DE-BKA", "victim-support").viewer()
    record = victims.record_victim(store, support, "de-bka.x", "forced-labour", consent="none")
    ref = victims.refer(store, support, record, "shelter", "Frauenhaus Berlin")
    victims.update_referral(store, support, ref, "accepted")
    got = store.entity(support, ref)
    assert got is not None and got.values("referralStatus") == ["accepted"]
    analyst = store.entity(v["DE-BKA"], ref)  # masked, or not found at all (opaque id)
    assert analyst is None or analyst.values("provider") == ["[masked]"]
    with pytest.raises(ValueError, match="service"):
        victims.refer(store, support, record, "spa", "x")


def test_operation_results_roll_up_per_country(node: tuple) -> None:
    store, v = node
    action = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    op = operations.plan_operation(
        store,
        v["DE-BKA"],
        "Liberterra-EU",
        [
            Participant("DE-BKA", "DE", "Europe/Berlin"),
            Participant("NL-KMAR", "NL", "Europe/Amsterdam"),
            Participant("TH-RTP", "TH", "Asia/Bangkok"),
        ],
        action,
    )
    operations.report_result(store, v["DE-BKA"], op, "DE", arrests=3, victimsRescued=5)
    operations.report_result(store, v["DE-BKA"], op, "DE", arrests=1, checksPerformed=40)
    operations.report_result(store, v["NL-KMAR"], op, "NL", arrests=2, documentsSeized=7)
    board = operations.dashboard(store, v["TH-RTP"], op)
    assert board.by_country["DE"]["arrests"] == 4 and board.by_country["DE"]["victimsRescued"] == 5
    assert board.by_country["NL"]["documentsSeized"] == 7
    assert board.totals["arrests"] == 6 and board.missing_reports == ["TH-RTP"]
    assert board.local_action_times["TH-RTP"].startswith("2026-12-01T12:00:00+07:00")
    with pytest.raises(ValueError, match="arrests"):
        operations.report_result(store, v["NL-KMAR"], op, "NL", arrests=-1)
    with pytest.raises(ValueError, match="timezone"):
        operations.plan_operation(
            store, v["DE-BKA"], "x", [Participant("DE-BKA", "DE", "Mars/X")], action
        )


def test_mla_reminders_status_and_dual_criminality(node: tuple) -> None:
    store, v = node
    facts = legal.Facts(
        frozenset({"recruitment"}), frozenset({"deception"}), frozenset({"forced-labour"}), 30
    )
    req = mla.create_request(
        store,
        v["DE-BKA"],
        "MLA-1",
        "de",
        "th",
        "TH-RTP",
        "evidence",
        "UNTOC art. 18",
        date(2026, 11, 1),
        facts,
    )
    ok, findings = mla.check_dual_criminality(store.entity(v["TH-RTP"], req))  # type: ignore[arg-type]
    assert ok and {f.country for f in findings} == {"DE", "TH"}
    assert [r.days_overdue for r in mla.reminders(store, v["DE-BKA"], date(2026, 11, 11))] == [10]
    mla.set_status(store, v["TH-RTP"], req, "executed")
    request = store.entity(v["DE-BKA"], req)
    assert request is not None and mla.status_of(request) == "executed"
    assert mla.reminders(store, v["DE-BKA"], date(2026, 11, 11)) == []


def test_training_pack_is_deterministic_scored_and_tracked(node: tuple) -> None:
    store, v = node
    de = v["DE-BKA"]
    support = Viewer("DE-BKA", "vs", frozenset({Role.VICTIM_SUPPORT}))
    for i, ind in enumerate(["ilo-debt-bondage", "ilo-retention-of-documents", "ilo-isolation"]):
        victims.record_victim(store, support, f"de-bka.v{i}", "forced-labour", consent="all")
        store.write(
            de,
            [
                s
                for s in __import__("palermo.ingest.build", fromlist=["build"]).build(
                    "DE-BKA",
                    f"de-bka.rec{i}",
                    "VictimRecord",
                    {
                        "victim": f"de-bka.v{i}",
                        "indicators": [ind],
                        "exploitationForm": "forced-labour",
                    },
                    Sharing.to_all(),
                )
            ],
        )
    records = store.entities(de, schema="VictimRecord")
    pack = training.generate_pack(records, seed=3, size=5)
    assert pack == training.generate_pack(records, seed=3, size=5)
    assert len(pack.questions) == 3 and all("Mai" not in q.vignette for q in pack.questions)
    answers = [q.answer for q in pack.questions]
    assert training.record_completion(store, de, pack, answers) == 3
    wrong = [(q.answer + 1) % 4 for q in pack.questions]
    assert training.score(pack, wrong) == 0
    report = training.completion_report(store, de)
    assert report[f"{de.username}@DE-BKA"] == [(pack.id, 3, 3)]
    assert training.completion_report(store, v["NL-KMAR"]) == {}
