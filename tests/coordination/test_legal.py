"""Coded laws: comparison and dual criminality on the shipped (illustrative) laws."""

from __future__ import annotations

import pytest

from palermo.coordination.legal import Facts, assess, compare, dual_criminality, laws


def facts(acts: str, means: str, purposes: str, age: int | None = None) -> Facts:
    split = lambda s: frozenset(x for x in s.split(",") if x)  # noqa: E731
    return Facts(split(acts), split(means), split(purposes), age)


def test_every_shipped_law_is_marked_illustrative_and_sourced() -> None:
    assert {"UN", "DE", "NL", "GB", "US", "TH"} <= set(laws())
    assert all(law.illustrative and law.source for law in laws().values())


def test_adult_forced_labour_by_deception_is_trafficking_everywhere() -> None:
    case = facts("recruitment,transportation", "deception", "forced-labour", age=30)
    assert all(assess(case, c).criminal for c in ("UN", "DE", "NL", "GB", "US", "TH"))


def test_child_needs_no_means_except_where_the_law_says_otherwise() -> None:
    child_labour = facts("recruitment", "", "forced-labour", age=16)
    assert assess(child_labour, "NL").criminal
    assert assess(child_labour, "GB").criminal  # no means element at all
    us = assess(child_labour, "US")
    assert not us.criminal and "means" in " ".join(us.reasons)
    assert assess(facts("recruitment", "", "sexual-exploitation", age=16), "US").criminal


def test_germany_protects_under_21s_without_means() -> None:
    young_adult = facts("recruitment", "", "sexual-exploitation", age=19)
    assert assess(young_adult, "DE").criminal
    assert not assess(young_adult, "NL").criminal
    ok, findings = dual_criminality(young_adult, "DE", "NL")
    assert not ok and [f.criminal for f in findings] == [True, False]


def test_organ_removal_is_not_covered_by_the_coded_us_law() -> None:
    organs = facts("recruitment", "fraud", "organ-removal", age=40)
    ok, findings = dual_criminality(organs, "GB", "US")
    assert not ok and findings[1].country == "US" and "purpose" in findings[1].reasons[0]
    assert dual_criminality(organs, "GB", "TH")[0]


def test_comparison_lists_only_differences() -> None:
    rows = compare(["DE", "NL"])
    keys = {(r["element"], r["value"]) for r in rows}
    assert ("purposes", "forced-begging") in keys  # DE covers begging, NL's coding does not
    assert ("acts", "recruitment") not in keys  # both cover it
    assert ("no_means_below_age", "") in keys


def test_unknown_country_is_named() -> None:
    with pytest.raises(ValueError, match="country: no coded law for 'XX'"):
        assess(facts("recruitment", "", "forced-labour"), "XX")
