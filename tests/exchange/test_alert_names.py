"""Name subscriptions alert as person screening matches names (ADR 0056): across scripts
and romanisations, through a typo, never on one shared common name part; their forms are
made once per scan. Scan tests run on SQLite and PostgreSQL. Names are made up or public
figures', not rows of the development data."""

from __future__ import annotations

import pytest

from palermo.access.viewer import Viewer
from palermo.exchange import alert_names, alerts
from palermo.exchange.alert_names import NameSubscription
from palermo.ingest.build import build
from palermo.match.person import PersonRecord, score_person
from palermo.match.screening import SCREENING_THRESHOLD, build_index
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import setup_agencies

ALERTED = [
    ("Ivan Petrenko", "Иван Петренко"),  # Cyrillic
    ("Natalia Ivanova", "Наталья Иванова"),  # Cyrillic, soft sign: no token in common
    ("Tong Io Cheng", "唐曉晴"),  # Chinese in Macao's Cantonese romanisation
    ("Chan Tai Man", "陳大文"),  # Chinese in Hong Kong's
    ("Mohamed Hassan", "محمد حسن"),  # Arabic
    ("Ivan Petrenko", "Ivan Petrneko"),  # a typo
    ("petrov ivan", "Ivan Petrov"),  # order and case
]
NOT_ALERTED = [
    ("Ivan Petrov", "Ivan Sidorov"),  # one common given name shared, nothing else
    ("Mohamed Hassan", "Mohamed Osman"),
    ("Wong Ka Neng", "黄家定"),  # 定 is ding, ting, deng: never neng (ADR 0056)
    ("Tong Io Cheng", "唐家輝"),  # the same family name in characters
    ("Ivan Petrenko", "Иван Кузнецов"),  # Ivan in Cyrillic, another family name
    ("Mohamed Hassan", "محمد عثمان"),  # Mohamed in Arabic, another family name
]


@pytest.mark.parametrize(("wanted", "value"), ALERTED)
def test_a_name_screening_would_match_alerts(wanted: str, value: str) -> None:
    assert NameSubscription.of(wanted).matches("name", value)
    assert alerts.matches("name", wanted, "Person", "alias", value, "x.1")


@pytest.mark.parametrize(("wanted", "value"), NOT_ALERTED)
def test_a_name_screening_would_not_match_does_not_alert(wanted: str, value: str) -> None:
    assert not NameSubscription.of(wanted).matches("name", value)


@pytest.mark.parametrize(("wanted", "value"), ALERTED + NOT_ALERTED)
def test_a_subscription_alerts_exactly_when_screening_finds_the_name(
    wanted: str, value: str
) -> None:
    """The screening of the subscription's name against an index holding one person named
    as the statement (blocking, prefilter and scorer): a hit there is an alert here."""
    index = build_index([{"id": "x.1", "schema": "Person", "properties": {"name": [value]}}])
    found = index.screen(PersonRecord("query", (wanted,)))
    assert bool(found) == NameSubscription.of(wanted).matches("name", value)


def test_the_threshold_is_the_screening_threshold() -> None:
    """One name pair scored just above and one just below it by the screening scorer."""
    for wanted, value in ALERTED + NOT_ALERTED:
        score = score_person(PersonRecord("a", (wanted,)), PersonRecord("b", (value,))).value
        assert (score >= SCREENING_THRESHOLD) == NameSubscription.of(wanted).matches("name", value)


def test_name_parts_answer_only_as_many_parts_as_they_hold() -> None:
    whole = NameSubscription.of("Ivan Petrov")
    assert not whole.matches("firstName", "Ivan")  # every Ivan is not Ivan Petrov
    assert whole.matches("name", "Ivan Petrov")
    assert NameSubscription.of("Petrov").matches("lastName", "Petrov")
    assert NameSubscription.of("Petrov").matches("name", "Ivan Petrov")
    assert not whole.matches("nationality", "Ivan Petrov")  # not a name property


def add(store: Store, owner: str, eid: str, **props: str) -> None:
    sharing = Sharing.from_canonical("all|")
    store.write(VIEWERS[owner], build(owner, eid, "Person", props, sharing))


VIEWERS: dict[str, Viewer] = {}


@pytest.fixture
def agencies(store: Store) -> Store:
    VIEWERS.clear()
    VIEWERS.update(setup_agencies(store, {"A1": ("EU",), "B2": ("EU",)}))
    return store


def test_scan_alerts_across_scripts_and_not_on_a_shared_given_name(agencies: Store) -> None:
    store = agencies
    analyst = VIEWERS["B2"]
    subs = {
        wanted: alerts.subscribe(store, analyst, "name", wanted)
        for wanted in ("Ivan Petrenko", "Tong Io Cheng", "Mohamed Hassan", "Ivan Kuznetsov")
    }
    add(store, "A1", "a1.p1", name="Иван Петренко")
    add(store, "A1", "a1.p2", name="唐曉晴")
    add(store, "A1", "a1.p3", name="محمد حسن")
    add(store, "A1", "a1.p4", name="Ivan Sidorov")  # shares Ivan with two subscriptions
    add(store, "A1", "a1.p5", name="Ivan Petrneko")  # a typo
    add(store, "A1", "a1.p6", firstName="Ivan")  # a given name alone
    found = {(a.subscription_id, a.entity_id) for a in alerts.scan(store)}
    assert found == {
        (subs["Ivan Petrenko"], "a1.p1"),
        (subs["Tong Io Cheng"], "a1.p2"),
        (subs["Mohamed Hassan"], "a1.p3"),
        (subs["Ivan Petrenko"], "a1.p5"),
    }
    assert alerts.scan(store) == []


def test_a_scan_makes_each_subscriptions_forms_once(
    agencies: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost stays one score per subscription and statement: the subscription's name
    forms are made once per scan, a statement value's keys once for all subscribers."""
    store = agencies
    for viewer in VIEWERS.values():
        alerts.subscribe(store, viewer, "name", "Ivan Petrenko")
    for n in range(6):
        add(store, "A1", f"a1.p{n}", name="Иван Петренко", alias=f"Ivan Petrenko {n}")
    made: list[str] = []
    keyed: list[str] = []
    real_of, real_keys = NameSubscription.of.__func__, alert_names.name_keys  # type: ignore[attr-defined]

    def counted_of(cls: type[NameSubscription], wanted: str) -> NameSubscription:
        made.append(wanted)
        return real_of(cls, wanted)  # type: ignore[no-any-return]

    def counted_keys(name: str) -> set[str]:
        keyed.append(name)
        return real_keys(name)

    monkeypatch.setattr(NameSubscription, "of", classmethod(counted_of))
    monkeypatch.setattr(alert_names, "name_keys", counted_keys)
    created = alerts.scan(store)
    assert len(created) == 2 * 6 * 2  # two subscribers, six persons, name and alias each
    assert made == ["Ivan Petrenko", "Ivan Petrenko"]  # once per subscription
    values = [v for v in keyed if v != "Ivan Petrenko"]
    assert sorted(values) == sorted({"Иван Петренко", *(f"Ivan Petrenko {n}" for n in range(6))})
