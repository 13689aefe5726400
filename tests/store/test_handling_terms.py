"""H0 purposes and H3 restrictions in the sharing text (ADR 0034): every existing form and
stored text unchanged, the qualified forms read, written and merged strictest-first, bad
input named, and a correction cannot loosen them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.model.handling_merge import Marking, merge
from palermo.model.handling_terms import MAX_RESTRICTION, PURPOSES
from palermo.model.sharing import Sharing, SharingError, parse_sharing
from palermo.store.corrections import widening


@pytest.mark.parametrize(
    "text", ["all", "owner|", "group:EU|victim-sensitive", "all|H0,H3", "NL-KMAR|H1,H2|B2"]
)
def test_unqualified_forms_keep_their_stored_text(text: str) -> None:
    sharing = parse_sharing(text)
    assert not sharing.purposes and not sharing.restrictions
    assert "H0:" not in sharing.canonical and "H3:" not in sharing.canonical
    assert Sharing.from_canonical(sharing.canonical) == sharing


def test_qualified_codes_are_read_and_written_canonically() -> None:
    sharing = parse_sharing({"scope": "all", "handling": ["h0:Court", "H0:analysis", "H3:a, b|c%"]})
    assert sharing.purposes == {"court", "analysis"}
    assert sharing.restrictions == {"a, b|c%"}
    assert sharing.canonical == "all|H0:analysis,H0:court,H3:a%2C b%7Cc%25"
    assert Sharing.from_canonical(sharing.canonical) == sharing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("all|H0:fun", "H0: 'fun' is not one of analysis"),
        ("all|H3:", "H3: the restriction text is empty"),
        ("all|H3:" + "x" * (MAX_RESTRICTION + 1), "H3: restriction longer than 200"),
        ("all|H3:bell\x07", "H3: restriction contains a control"),
        ("all|H1:court", "'H1' takes no qualifier"),
        ("all|H0:none", "H0: 'none' is not one of"),  # only a derived marking may say it
    ],
)
def test_bad_qualifiers_are_named(text: str, message: str) -> None:
    with pytest.raises(SharingError, match=message.replace("(", r"\(")):
        parse_sharing(text)


def test_merge_intersects_purposes_and_unites_restrictions() -> None:
    merged = merge(["H0:analysis,H0:court|", "H0:court,H3:x|", "H1|", "H3:y|"])
    assert merged.purposes == {"court"} and merged.restrictions == {"x", "y"}
    assert merge(["H0:analysis|", "H0:court|"]).text == "H0:none|"
    assert Marking.parse("H0:none|").purposes == frozenset()
    assert not Marking.parse("H0:none|").allows("analysis")
    assert merge(["H0|", "H1|"]).purposes is None  # a bare H0 states no purpose


purpose_sets = st.one_of(st.none(), st.frozensets(st.sampled_from(PURPOSES), min_size=1))
texts = st.frozensets(
    st.text(alphabet="ab,|% ", min_size=1, max_size=5).map(str.strip).filter(bool)
)


@given(st.lists(st.tuples(purpose_sets, texts), min_size=1, max_size=4))
def test_a_merge_is_no_looser_than_any_input(
    inputs: list[tuple[frozenset[str] | None, frozenset[str]]],
) -> None:
    markings = [
        Marking(frozenset(), None, p, frozenset(" ".join(t.split()) for t in r)) for p, r in inputs
    ]
    merged = merge(markings)
    assert all(merged.no_looser_than(m) for m in markings)
    assert Marking.parse(merged.text) == merged


def test_a_correction_cannot_widen_purposes_or_drop_a_restriction() -> None:
    old = parse_sharing("all|H0:investigation,H3:ask first")
    assert widening(old, parse_sharing("all|H0:investigation,H0:court,H3:ask first"), {})
    assert widening(old, parse_sharing("all|H0,H3:ask first"), {})
    assert "H3 restriction 'ask first'" in widening(
        old, parse_sharing("all|H0:investigation,H3"), {}
    )
    assert widening(old, parse_sharing("all|H0:investigation,H3:ask first,H3:more"), {}) == ""
