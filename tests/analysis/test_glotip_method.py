"""The Global Report's method on hand-made GLOTIP rows with answers worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.analysis import glotip_method as gm
from palermo.datasets.glotip import VICTIMS, GlotipRecord, parse_value


def row(iso: str, year: int, text: str, key: gm.Key = gm.TOTAL, sub: str = "Western Europe"):
    low, high = parse_value(text)
    return GlotipRecord(iso, iso, "Europe", sub, VICTIMS, key.dimension, key.category,
                        key.sex, key.age, year, "Counts", text, low, high, "GLOTIP")  # fmt: skip


def test_regions_follow_the_report_not_m49() -> None:
    assert gm.gr_region("MEX", "Latin America and the Caribbean") == gm.NORTH_AMERICA
    assert gm.gr_region("BRA", "Latin America and the Caribbean") == gm.SOUTH_AMERICA
    assert gm.gr_region("GTM", "Latin America and the Caribbean") == gm.CENTRAL_AMERICA
    assert gm.gr_region("LVA", "Northern Europe") == gm.CENTRAL_SE_EUROPE
    assert gm.gr_region("GEO", "Western Asia") == gm.EAST_EUROPE_CA
    assert gm.gr_region("CYP", "Western Asia") == gm.WEST_SOUTH_EUROPE
    assert gm.gr_region("JOR", "Western Asia") == gm.NORTH_AFRICA_ME
    with pytest.raises(ValueError, match="Subregion: 'Atlantis'"):
        gm.gr_region("XXX", "Atlantis")


def test_small_cells_count_as_the_middle_of_their_interval() -> None:
    assert gm.value(row("NLD", 2022, "<5")) == 2.0
    assert gm.value(row("NLD", 2022, "1,204")) == 1204.0


def test_trend_compares_only_countries_reporting_both_years() -> None:
    rows = [row("A", 2019, "100"), row("A", 2022, "150"), row("B", 2019, "50"),
            row("B", 2022, "50"), row("C", 2022, "900"), row("D", 2019, "400")]  # fmt: skip
    got = gm.change(rows, gm.TOTAL, 2019, 2022, drop_dominant=False)
    assert got.countries == 2 and got.percent == pytest.approx(100 * (200 / 150 - 1))
    assert gm.naive_change(rows, gm.TOTAL, 2019, 2022) == pytest.approx(100 * (1100 / 550 - 1))


def test_a_dominant_country_is_set_aside_and_named() -> None:
    rows = [row("A", 2019, "100"), row("A", 2022, "150"), row("B", 2019, "100"),
            row("B", 2022, "100"), row("P", 2019, "1000"), row("P", 2022, "500")]  # fmt: skip
    got = gm.change(rows, gm.TOTAL, 2019, 2022)
    assert got.set_aside == ("P",) and got.percent == pytest.approx(25.0)
    with pytest.raises(ValueError, match="no country reported"):
        gm.change(rows, gm.TOTAL, 2019, 2023)


def test_shares_are_over_the_known_breakdown_and_weigh_countries_or_regions() -> None:
    ages = {"children": gm.CHILDREN, "adults": gm.ADULTS}
    rows = [row("A", 2022, "10", gm.CHILDREN), row("A", 2022, "30", gm.ADULTS),
            row("A", 2022, "60", gm.TOTAL),  # 20 of unknown age: not in the denominator
            row("B", 2022, "90", gm.CHILDREN), row("B", 2022, "10", gm.ADULTS),
            row("C", 2022, "5", gm.CHILDREN, "Sub-Saharan Africa"),
            row("C", 2022, "5", gm.ADULTS, "Sub-Saharan Africa"),
            row("D", 2022, "7", gm.CHILDREN)]  # no adults reported: left out  # fmt: skip
    shares = gm.known_shares(rows, 2022, ages)
    assert set(shares) == {"A", "B", "C"} and shares["A"]["children"] == 0.25
    assert gm.pooled(shares, {"A": 40, "B": 100, "C": 10})["children"] == pytest.approx(105 / 150)
    assert gm.country_mean(shares)["children"] == pytest.approx((0.25 + 0.9 + 0.5) / 3)
    regions = gm.regions_of(rows)
    by_region = gm.region_mean(shares, regions)
    assert by_region["children"] == pytest.approx(((0.25 + 0.9) / 2 + 0.5) / 2)


def test_figures_say_whether_they_meet_the_target() -> None:
    share = gm.Figure("s", "%", 61, None, 62.5, "m")
    change = gm.Figure("c", "% change", 25, None, 27, "m")
    missing = gm.Figure("f", "%", 8, None, None, "m", note="why")
    assert share.within_target and not change.within_target and missing.within_target is None
    assert gm.figure_rows([missing])[0][2:5] == ["n/a", "n/a", "n/a"]


def test_a_country_missing_the_year_is_taken_at_its_latest_earlier_year() -> None:
    ages = {"children": gm.CHILDREN, "adults": gm.ADULTS}
    rows = [row("A", 2022, "10", gm.CHILDREN), row("A", 2022, "30", gm.ADULTS),
            row("A", 2021, "90", gm.CHILDREN), row("A", 2021, "10", gm.ADULTS),  # older: unused
            row("B", 2021, "5", gm.CHILDREN), row("B", 2021, "15", gm.ADULTS),
            row("B", 2020, "50", gm.CHILDREN), row("B", 2020, "50", gm.ADULTS),
            row("C", 2019, "7", gm.CHILDREN), row("C", 2019, "7", gm.ADULTS)]  # fmt: skip
    # C's latest year is older than the window: left out
    assert set(gm.known_shares(rows, 2022, ages)) == {"A"}
    shares = gm.known_shares(rows, 2022, ages, earlier=2)
    assert set(shares) == {"A", "B"}
    assert shares["A"]["children"] == 0.25 and shares["B"]["children"] == 0.25
    assert gm.known_counts(rows, 2022, ages, earlier=2)["B"] == {"children": 5.0, "adults": 15.0}
    # "<5" counts as the rule says
    small = [row("D", 2022, "<5", gm.CHILDREN), row("D", 2022, "6", gm.ADULTS)]
    assert gm.known_shares(small, 2022, ages, small=0.0)["D"]["children"] == 0.0
    assert gm.known_shares(small, 2022, ages, small=2.0)["D"]["children"] == 0.25


def test_a_trend_can_weigh_regions_equally() -> None:
    africa = "Sub-Saharan Africa"
    rows = [row("A", 2019, "100"), row("A", 2022, "200"), row("B", 2019, "100"),
            row("B", 2022, "100"), row("C", 2019, "1000", sub=africa),
            row("C", 2022, "900", sub=africa)]  # fmt: skip
    regions = gm.regions_of(rows)
    pooled = gm.change(rows, gm.TOTAL, 2019, 2022, drop_dominant=False)
    by_region = gm.change(rows, gm.TOTAL, 2019, 2022, drop_dominant=False, regions=regions)
    assert pooled.percent == pytest.approx(100 * (1200 / 1200 - 1))
    assert by_region.percent == pytest.approx((50.0 + -10.0) / 2)


def test_rule_sets_change_one_rule_at_a_time_and_are_judged_on_all_figures() -> None:
    sets = gm.rule_sets()
    assert len(sets) == len(set(sets)) == 3 * 2 * 3 * 2 * 3 * 2 * 2 * 2 and gm.DEFAULT_RULES in sets
    named = gm.one_change_rule_sets()
    assert named[0] == ("default", gm.DEFAULT_RULES)
    base = vars(gm.DEFAULT_RULES)
    for name, rules in named[1:]:
        changed = [k for k, v in vars(rules).items() if base[k] != v]
        assert len(changed) == 1, (name, changed)
    with pytest.raises(ValueError, match="weighting: 'median'"):
        gm.Rules(weighting="median")
    with pytest.raises(ValueError, match="trend: 'median'"):
        gm.Rules(trend="median")
    figures = [gm.Figure("s", "%", 61, None, 65, "m"),  # 2 targets away
               gm.Figure("c", "% change", 40, None, 38, "m"),  # 1 target away
               gm.Figure("x", "%", 8, None, None, "m")]  # not reproducible  # fmt: skip
    assert gm.miss(figures) == pytest.approx(1.5)


def test_children_from_the_sex_age_table_are_girls_and_boys() -> None:
    rows = []
    for iso, women, girls, men, boys, children, adults in (
        ("A", "50", "30", "10", "10", "60", "40"),  # age table disagrees with sex x age
        ("B", "10", "10", "10", "10", "20", "20"),
    ):  # fmt: skip
        for y in (2019, 2022):
            rows += [row(iso, y, women, gm.WOMEN), row(iso, y, girls, gm.GIRLS),
                     row(iso, y, men, gm.MEN), row(iso, y, boys, gm.BOYS),
                     row(iso, y, children, gm.CHILDREN), row(iso, y, adults, gm.ADULTS),
                     row(iso, y, "100"), row(iso, y, "10", gm.FORMS["Forced labour"]),
                     row(iso, y, "5", gm.FORMS["Sexual exploitation"]),
                     row(iso, y, "5", gm.FORMS["Other forms of exploitation"])]  # fmt: skip
    series = gm.Series(rows)

    def children(rules: gm.Rules) -> float | None:
        figures = {f.name: f for f in gm.headline_figures(series, rules)}
        return figures["share of children, 2022"].value

    both = gm.Rules(
        weighting="country", children_from_sex_age=True, earlier=0, set_aside_dominant=False
    )
    assert children(both) == pytest.approx(100 * (0.4 + 0.5) / 2)
    assert children(gm.replace(both, children_from_sex_age=False)) == pytest.approx(
        100 * (0.6 + 0.5) / 2
    )


FL, SX, OTHER = (gm.FORMS[f] for f in ("Forced labour", "Sexual exploitation",
                                       "Other forms of exploitation"))  # fmt: skip


def test_forms_fill_a_missing_total_and_nothing_else() -> None:
    rows = [
        row("A", 2022, "100"),
        row("A", 2022, "70", FL),  # its own total row wins
        row("A", 2022, "10", SX),
        row("A", 2022, "5", OTHER),
        row("B", 2022, "10", FL),
        row("B", 2022, "20", SX),
        row("B", 2022, "<5", OTHER),
        row("C", 2022, "10", FL),
        row("C", 2022, "20", SX),  # a form missing: no total
        row("D", 2021, "7", FL),
        row("D", 2021, "7", SX),
        row("D", 2021, "7", OTHER),
    ]
    assert gm.filled_values(rows, gm.TOTAL, 2022) == {"A": 100.0, "B": 32.0}
    assert gm.country_values(rows, gm.TOTAL, 2022) == {"A": 100.0}
    assert gm.filled_values(rows, FL, 2022) == gm.country_values(rows, FL, 2022)  # not "Total"
    girls = [row("B", 2022, "3", gm.Key(FL.dimension, FL.category, "Female", "0 to 17 years")),
             row("B", 2022, "4", gm.Key(SX.dimension, SX.category, "Female", "0 to 17 years")),
             row("B", 2022, "0", gm.Key(OTHER.dimension, OTHER.category, "Female",
                                        "0 to 17 years"))]  # fmt: skip
    assert gm.filled_values(girls, gm.GIRLS, 2022) == {"B": 7.0}
    assert gm.Key(FL.dimension, FL.category, "Female", "0 to 17 years") in gm.form_parts(gm.GIRLS)


def test_a_missing_year_is_the_mean_of_the_years_either_side() -> None:
    by_year = {2018: {"A": 10.0, "B": 8.0}, 2019: {"A": 12.0}, 2020: {"B": 4.0, "C": 6.0}}
    got = gm.impute_neighbours(by_year, 2019)
    assert got == {"A": 12.0, "B": 6.0, "C": 6.0}  # A as reported, B (8+4)/2, C its 2020
    assert gm.impute_neighbours(by_year, 2022) == {}
    rows = [row("A", 2019, "100"), row("A", 2022, "150"),
            row("B", 2019, "50"), row("B", 2021, "60"), row("B", 2023, "80"),
            row("C", 2018, "10"), row("C", 2020, "30"), row("C", 2022, "40")]  # fmt: skip
    plain = gm.change(rows, gm.TOTAL, 2019, 2022, drop_dominant=False)
    imputed = gm.change(rows, gm.TOTAL, 2019, 2022, drop_dominant=False, impute=True)
    assert plain.countries == 1 and plain.percent == pytest.approx(50.0)
    # B 2022 = (60 + 80) / 2 = 70, C 2019 = (10 + 30) / 2 = 20
    assert imputed.countries == 3
    assert imputed.percent == pytest.approx(100 * ((150 + 70 + 40) / (100 + 50 + 20) - 1))


def test_a_trend_can_be_the_mean_count_per_reporting_country() -> None:
    rows = [row("A", 2019, "100"), row("A", 2022, "90"), row("B", 2019, "50"),
            row("C", 2022, "80"), row("D", 2022, "70")]  # fmt: skip
    got = gm.change(rows, gm.TOTAL, 2019, 2022, drop_dominant=False, per_country=True)
    # 2019: 150 over 2 countries = 75; 2022: 240 over 3 = 80
    assert got.percent == pytest.approx(100 * (80 / 75 - 1)) and got.countries == 4
    big = [*rows, row("P", 2019, "1000")]  # more than 40 % of 2019's total: set aside
    assert gm.change(big, gm.TOTAL, 2019, 2022, per_country=True).set_aside == ("P",)


def test_rules_for_fill_impute_and_per_country_reach_the_figures() -> None:
    rows = []
    for iso, y19, y22 in (("A", "100", "200"), ("B", "100", None), ("C", "100", "100")):
        rows.append(row(iso, 2019, y19))
        if y22:
            rows.append(row(iso, 2022, y22))
    rows += [row("B", 2022, "60", FL), row("B", 2022, "40", SX), row("B", 2022, "0", OTHER)]
    series = gm.Series(rows)
    base = gm.Rules(set_aside_dominant=False)

    def total(rules: gm.Rules) -> float | None:
        return {f.name: f for f in gm.headline_figures(series, rules)}[
            "detected victims 2022 vs 2019"
        ].value

    assert total(base) == pytest.approx(100 * (300 / 200 - 1))  # B left out: no total row
    assert total(gm.replace(base, fill_from_forms=True)) == pytest.approx(100 * (400 / 300 - 1))
    assert total(gm.replace(base, trend="per country")) == pytest.approx(
        100 * ((300 / 2) / (300 / 3) - 1)
    )


def test_pivotal_names_the_counts_a_trend_hangs_on() -> None:
    rows = [row("A", 2019, "100"), row("A", 2022, "300"), row("B", 2019, "100"),
            row("B", 2022, "110"), row("C", 2019, "100"), row("C", 2022, "90")]  # fmt: skip
    pivots = gm.pivotal(rows, gm.TOTAL, 2019, 2022, gm.Rules(set_aside_dominant=False), count=2)
    # all: 500 / 300 = +66.7 %; without A: 200 / 200 = 0 %; without C: 410 / 200 = +105 %
    assert [p.iso3 for p in pivots] == ["A", "C"]
    assert pivots[0].without == pytest.approx(0.0) and pivots[0].after == 300.0
    assert pivots[1].without == pytest.approx(105.0)


@given(
    st.dictionaries(st.sampled_from("ABCDEF"), st.floats(0, 1e4), max_size=6),
    st.dictionaries(st.sampled_from("ABCDEF"), st.floats(0, 1e4), max_size=6),
    st.dictionaries(st.sampled_from("ABCDEF"), st.floats(0, 1e4), max_size=6),
)
def test_imputation_never_changes_or_drops_what_a_country_reported(
    before: dict[str, float], year: dict[str, float], after: dict[str, float]
) -> None:
    got = gm.impute_neighbours({2018: before, 2019: year, 2020: after}, 2019)
    assert {k: got[k] for k in year} == year
    assert set(got) == set(before) | set(year) | set(after)
    for iso in set(got) - set(year):
        near = [v[iso] for v in (before, after) if iso in v]
        assert min(near) <= got[iso] <= max(near)
