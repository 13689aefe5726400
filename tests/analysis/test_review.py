"""The identity review queue (issue 15): a borderline pair is queued for the analyst, a
confirmation takes it out and makes the two records one identity, undo restores two
identities, and a record the viewer may not see never appears. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from palermo.access.viewer import Viewer
from palermo.analysis import review
from palermo.coordination import cases, victims
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.store.factories import SYSTEM, setup_agencies

EU = Sharing.parse("group:EU")
# Same name, birth dates one year apart: the resolver scores this pair about 0.54, between
# the reject (0.5) and link (0.9) thresholds.
BORDERLINE = (("Ivan Petrov", "1980-02-03"), ("Ivan Petrov", "1981-02-03"))
OTHERS = (
    ("Maria Lopez", "1990-01-01"),
    ("John Smith", "1975-05-05"),
    ("Chen Wei", "1988-08-08"),
    ("Olga Sidorova", "1970-03-03"),
)


def person(store: Store, viewer: Viewer, name: str, born: str, sharing: Sharing) -> str:
    return write_entity(store, viewer, "Person", {"name": name, "birthDate": born}, sharing)


def world(store: Store) -> tuple[dict[str, Viewer], str, str]:
    v = setup_agencies(store, {"A": ("EU",), "B": ("EU",), "C": ()})
    left = person(store, v["A"], *BORDERLINE[0], EU)
    right = person(store, v["B"], *BORDERLINE[1], EU)
    for name, born in OTHERS:
        person(store, v["A"], name, born, EU)
    return v, left, right


def pairs(items: list[review.ReviewItem]) -> set[frozenset[str]]:
    return {frozenset((i.left, i.right)) for i in items}


def test_borderline_pair_is_queued_with_values_and_features(store: Store) -> None:
    v, left, right = world(store)
    items = review.queue(store, v["A"])
    assert pairs(items) == {frozenset((left, right))}
    item = items[0]
    assert review.REJECT_THRESHOLD <= item.probability < review.LINK_THRESHOLD
    assert item.features, "the features that drove the score are shown"
    values = {prop: (lv, rv) for prop, lv, rv in item.values}
    by_side = {item.left: 0, item.right: 1}
    assert values["birthDate"][by_side[left]] == ("1980-02-03",)
    assert values["birthDate"][by_side[right]] == ("1981-02-03",)


def test_confirm_links_and_undo_splits(store: Store) -> None:
    v, left, right = world(store)
    before = review.identities(store, v["A"])
    assert before[left] != before[right]
    review.decide(store, v["A"], left, right, "confirm", "same man, age typed as year")
    assert frozenset((left, right)) not in pairs(review.queue(store, v["A"]))
    merged = review.identities(store, v["A"])
    assert merged[left] == merged[right]
    review.decide(store, v["A"], left, right, "undo")
    split = review.identities(store, v["A"])
    assert split[left] != split[right]
    assert frozenset((left, right)) in pairs(review.queue(store, v["A"]))


def test_reject_leaves_the_queue_and_bad_input_names_the_field(store: Store) -> None:
    v, left, right = world(store)
    review.decide(store, v["A"], left, right, "reject")
    assert review.queue(store, v["A"]) == []
    with pytest.raises(ValueError, match="judgement"):
        review.decide(store, v["A"], left, right, "maybe")
    with pytest.raises(ValueError, match="left/right"):
        review.decide(store, v["A"], left, left, "confirm")
    review.decide(store, v["A"], left, right, "unsure")  # supersedes the rejection
    with pytest.raises(ValueError, match="undo needs"):
        review.decide(store, v["A"], left, right, "undo")


def test_unshared_record_never_appears(store: Store) -> None:
    v = setup_agencies(store, {"A": ("EU",), "B": ("EU",)})
    mine = person(store, v["A"], *BORDERLINE[0], EU)
    hidden = person(store, v["B"], *BORDERLINE[1], Sharing())  # B keeps it to itself
    for name, born in OTHERS:
        person(store, v["B"], name, born, EU)
    assert review.queue(store, v["A"]) == []
    assert pairs(review.queue(store, v["B"])) == {frozenset((mine, hidden))}


def test_case_subjects_rank_first(store: Store) -> None:
    v, left, right = world(store)
    third = person(store, v["B"], "Olga Sidorova", "1971-03-03", EU)
    cases.open_case(store, v["A"], "A-CASE-1", "Olga", "sexual", [third])
    items = review.queue(store, v["A"])
    assert len(items) == 2
    assert third in (items[0].left, items[0].right)
    assert items[0].value == review.IN_CASE and items[0].reasons[0].startswith("in case")
    assert items[1].value == 0
    assert {items[1].left, items[1].right} == {left, right}


def test_victims_rank_first_only_for_victim_support(store: Store) -> None:
    v, left, right = world(store)
    third = person(store, v["B"], "Olga Sidorova", "1971-03-03", EU)
    support = store.add_user(SYSTEM, "vs-a", "A", "analyst,victim-support").viewer()
    victims.record_victim(store, support, third, "sexual")
    supported = review.queue(store, support)
    assert [i.value for i in supported] == [review.VICTIM, 0]
    assert third in (supported[0].left, supported[0].right)
    assert {supported[1].left, supported[1].right} == {left, right}
    plain = review.queue(store, v["A"])  # the analyst may not see who is a victim
    assert [i.value for i in plain] == [0, 0]
    assert all("victim" not in i.reasons for i in plain)
