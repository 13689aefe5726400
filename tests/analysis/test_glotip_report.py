"""The 2024 headline figures and charts from the real GLOTIP export, and the CLI's --glotip."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from palermo.analysis import glotip_method as gm
from palermo.analysis.report import glotip_charts
from palermo.cli.main import app
from palermo.datasets.glotip import VICTIMS, GlotipRecord, load_glotip
from palermo.datasets.paths import shared_data_dir

XLSX = shared_data_dir() / "glotip" / "data_glotip.xlsx"
pytestmark = pytest.mark.skipif(not XLSX.exists(), reason="shared data not present")


@pytest.fixture(scope="module")
def records() -> list[GlotipRecord]:
    return list(load_glotip(XLSX))


def test_every_country_has_a_report_region(records: list[GlotipRecord]) -> None:
    regions = gm.regions_of(records)
    assert set(regions.values()) == set(gm.GR_REGIONS)


def test_headline_figures_use_the_panel_and_the_known_breakdown(
    records: list[GlotipRecord],
) -> None:
    figures = {f.name: f for f in gm.headline_figures(records)}
    total = figures["detected victims 2022 vs 2019"]
    # the panel changes the answer's sign against the obvious sum (issue 20)
    assert total.naive is not None and total.naive < 0 < (total.value or 0)
    children = figures["share of children, 2022"]
    assert children.value is not None and abs(children.value - 38) < abs((children.naive or 0) - 38)
    crim = figures["share of forced criminality, 2022"]
    assert crim.value is None and "Other forms" in crim.note


def test_charts_are_regenerated_from_the_export(records: list[GlotipRecord]) -> None:
    charts = {caption: counts for caption, counts, _ in glotip_charts(records)}
    years = charts["Detected victims per year, reporting countries"]
    totals = [r for r in records if r.indicator == VICTIMS and r.dimension == r.sex == "Total"
              and r.age == "Total" and r.plausible]  # fmt: skip
    assert (min(years), max(years)) == (str(min(r.year for r in totals)), "2022")
    nld = next(r for r in totals if r.iso3 == "NLD" and r.year == 2019)
    assert years["2019"] >= nld.low > 0
    forced = next(c for k, c in charts.items() if k.startswith("Forced labour"))
    assert set(forced) <= set(gm.GR_REGIONS) and all(0 <= v <= 100 for v in forced.values())


def test_cli_prints_published_values_and_writes_charts(tmp_path: Path) -> None:
    out = tmp_path / "glotip.html"
    result = CliRunner().invoke(app, ["analyze", "report", "--glotip", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "+25.0%" in result.output and "published" in result.output
    assert out.read_text(encoding="utf-8").count("<svg") == 5


def test_rule_sets_are_ranked_on_all_figures_at_once(records: list[GlotipRecord]) -> None:
    series = gm.Series(records)
    pooled = gm.replace(gm.DEFAULT_RULES, weighting="pooled")
    ranked = gm.rank_rule_sets(series, [pooled, gm.DEFAULT_RULES])
    assert [s for s, _, _ in ranked] == sorted(s for s, _, _ in ranked)
    for score, rules, figures in ranked:
        assert score == gm.miss(figures) and len(figures) == 9
        shares = [f for f in figures if f.unit == "%" and f.value is not None]
        assert shares and all(f.method.startswith(rules.weighting) for f in shares)


def test_forms_fill_only_the_country_years_whose_total_rows_are_absent(
    records: list[GlotipRecord],
) -> None:
    """The export marks a missing breakdown by leaving its rows out: a country-year can hold
    its victims by form with no "Total" row (the United Kingdom in 2022, docs/analysis.md)."""
    victims = [r for r in records if r.indicator == VICTIMS and r.plausible]
    rows_only = gm.country_values(victims, gm.TOTAL, 2022)
    filled = gm.filled_values(victims, gm.TOTAL, 2022)
    added = set(filled) - set(rows_only)
    assert "GBR" in added and {k: filled[k] for k in rows_only} == rows_only
    for iso in added:
        mine = [r for r in victims if r.iso3 == iso and r.year == 2022]
        assert not any(gm.TOTAL.matches(r) for r in mine)
        forms = [sum(gm.value(r) for r in mine if part.matches(r))
                 for part in gm.form_parts(gm.TOTAL)]  # fmt: skip
        assert filled[iso] == pytest.approx(sum(forms))


def test_the_dominant_country_rule_acts_per_panel(records: list[GlotipRecord]) -> None:
    """Pakistan's 2019 count is over 40 % of the 2019 panel and is set aside there; in the
    2020 panel no country is, so the 2022-vs-2020 trend keeps every country."""
    figures = {f.name: f for f in gm.headline_figures(records)}
    assert "PAK" in figures["detected victims 2022 vs 2019"].method
    since_2020 = figures["detected victims 2022 vs 2020"]
    assert "set aside: none" in since_2020.method
    assert since_2020.value == since_2020.extra["nothing set aside"]
