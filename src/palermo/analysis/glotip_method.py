"""The Global Report on Trafficking in Persons' way of turning the GLOTIP export into figures.

Summing the export the obvious way does not give what UNODC published from it (issue 20): the
Report compares a trend only over the countries that reported both years, computes a profile
(sex, age, form of exploitation) only over the victims whose breakdown is known, and gives
every country, not every victim, a say in a regional or global profile, so that one country
with tens of thousands of detections does not stand for the world. Each of these steps is a
named function here; `headline_figures` applies them to the 2024 Report's headline figures
under one `Rules` set, and `rank_rule_sets` scores every set on all figures at once.
Where the Report's own notes do not say how (the treatment of "<5" cells, the outlier rule,
totals the export leaves out, years a country did not report), the rule used is ours and says
so in its docstring and in docs/analysis.md; `rule_sets` varies every such choice and `pivotal`
shows which national counts a trend hangs on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from statistics import fmean
from typing import Any

from palermo.datasets.glotip import VICTIMS, GlotipRecord

# The Global Report's regions (2018 edition onwards), built from the export's UN M49
# subregions plus the country moves the Report makes (Mexico with North America, the
# Baltic and Balkan states with Central and South-Eastern Europe, the Caucasus with Eastern
# Europe and Central Asia).
NORTH_AMERICA = "North America"
CENTRAL_AMERICA = "Central America and the Caribbean"
SOUTH_AMERICA = "South America"
WEST_SOUTH_EUROPE = "Western and Southern Europe"
CENTRAL_SE_EUROPE = "Central and South-Eastern Europe"
EAST_EUROPE_CA = "Eastern Europe and Central Asia"
NORTH_AFRICA_ME = "North Africa and the Middle East"
SUB_SAHARAN = "Sub-Saharan Africa"
EAST_ASIA_PACIFIC = "East Asia and the Pacific"
SOUTH_ASIA = "South Asia"
GR_REGIONS = (
    NORTH_AMERICA, CENTRAL_AMERICA, SOUTH_AMERICA, WEST_SOUTH_EUROPE, CENTRAL_SE_EUROPE,
    EAST_EUROPE_CA, NORTH_AFRICA_ME, SUB_SAHARAN, EAST_ASIA_PACIFIC, SOUTH_ASIA,
)  # fmt: skip
_BY_COUNTRY = {
    NORTH_AMERICA: "MEX",
    SOUTH_AMERICA: "ARG BOL BRA CHL COL ECU GUY PER PRY SUR URY VEN",
    CENTRAL_SE_EUROPE: "ALB BIH BGR CZE EST HRV HUN LTU LVA MKD MNE POL ROU SRB SVK SVN TUR XKX",
    EAST_EUROPE_CA: "ARM AZE BLR GEO MDA RUS UKR",
}
_COUNTRY_REGION = {iso: region for region, codes in _BY_COUNTRY.items() for iso in codes.split()}
_SUBREGION = {
    "Northern America": NORTH_AMERICA,
    "Latin America and the Caribbean": CENTRAL_AMERICA,
    "Western Europe": WEST_SOUTH_EUROPE,
    "Northern Europe": WEST_SOUTH_EUROPE,
    "Southern Europe": WEST_SOUTH_EUROPE,
    "Eastern Europe": CENTRAL_SE_EUROPE,
    "Central Asia": EAST_EUROPE_CA,
    "Western Asia": NORTH_AFRICA_ME,
    "Northern Africa": NORTH_AFRICA_ME,
    "Sub-Saharan Africa": SUB_SAHARAN,
    "Eastern Asia": EAST_ASIA_PACIFIC,
    "South-eastern Asia": EAST_ASIA_PACIFIC,
    "Australia and New Zealand": EAST_ASIA_PACIFIC,
    "Melanesia": EAST_ASIA_PACIFIC,
    "Micronesia": EAST_ASIA_PACIFIC,
    "Polynesia": EAST_ASIA_PACIFIC,
    "Southern Asia": SOUTH_ASIA,
}
CYPRUS = "CYP"  # UN M49 puts Cyprus in Western Asia; the Report in Western and Southern Europe

SMALL_CELL = 2.0  # what a "<5" cell counts as: the middle of 0..4 (our rule; see `value`)
DOMINANT_SHARE = 0.4  # a country above this share of a panel's total is set aside (our rule)


def gr_region(iso3: str, subregion: str) -> str:
    """The Global Report region of a country, from its ISO3 code and M49 subregion.

    Raises ValueError naming the subregion when it is not one the export uses."""
    if iso3 == CYPRUS:
        return WEST_SOUTH_EUROPE
    if iso3 in _COUNTRY_REGION:
        return _COUNTRY_REGION[iso3]
    if subregion not in _SUBREGION:
        raise ValueError(f"Subregion: {subregion!r} is not a UN M49 subregion of the export")
    return _SUBREGION[subregion]


@dataclass(frozen=True)
class Key:
    """One series of the export: a dimension, its category, sex and age."""

    dimension: str = "Total"
    category: str = "Total"
    sex: str = "Total"
    age: str = "Total"

    def matches(self, r: GlotipRecord) -> bool:
        return (r.dimension, r.category, r.sex, r.age) == (
            self.dimension, self.category, self.sex, self.age,
        )  # fmt: skip


TOTAL = Key()
CHILDREN = Key(age="0 to 17 years")
ADULTS = Key(age="18 years or over")
WOMEN = Key(sex="Female", age="18 years or over")
GIRLS = Key(sex="Female", age="0 to 17 years")
MEN = Key(sex="Male", age="18 years or over")
BOYS = Key(sex="Male", age="0 to 17 years")
FORMS = {
    "Sexual exploitation": Key("by form of exploitation", "Sexual exploitation"),
    "Forced labour": Key("by form of exploitation", "Forced labour"),
    "Other forms of exploitation": Key("by form of exploitation", "Other forms of exploitation"),
}
SEX_AGE = {"women": WOMEN, "girls": GIRLS, "men": MEN, "boys": BOYS}


def value(record: GlotipRecord, small: float = SMALL_CELL) -> float:
    """A cell's count; a "<5" cell (bounds 0..4) counts as ``small``.

    UNODC publishes counts below five as "<5" to protect victims; the Report's notes do not
    say what it adds for them, so we take the middle of the interval. The bounds stay on the
    record (`low`, `high`) for anyone who wants the range instead."""
    return float(record.low) if record.exact else small


def country_values(
    records: Iterable[GlotipRecord], key: Key, year: int, indicator: str = VICTIMS,
    small: float = SMALL_CELL,
) -> dict[str, float]:  # fmt: skip
    """ISO3 -> the country's count of one series in one year (implausible cells left out)."""
    out: dict[str, float] = {}
    for r in records:
        if r.year == year and r.indicator == indicator and r.plausible and key.matches(r):
            out[r.iso3] = out.get(r.iso3, 0.0) + value(r, small)
    return out


def form_parts(key: Key) -> tuple[Key, ...]:
    """The three form-of-exploitation series of the same sex and age as ``key`` (sexual
    exploitation, forced labour, "other forms": every form a victim can be recorded under)."""
    return tuple(Key(f.dimension, f.category, key.sex, key.age) for f in FORMS.values())


def filled_values(
    records: Iterable[GlotipRecord], key: Key, year: int, indicator: str = VICTIMS,
    small: float = SMALL_CELL,
) -> dict[str, float]:  # fmt: skip
    """`country_values`, and for a country with no row of an overall series (dimension
    "Total") that year but a row for each of the three forms of the same sex and age: their
    sum.

    The export marks a missing breakdown by leaving its rows out, not by a code: the United
    Kingdom's 2022 answer has all its victims by form, sex and age (15,092) and no "Total"
    rows at all, so a rule that reads only "Total" rows drops one of the largest reporters
    from 2022 while keeping it in 2019. The forms' sum is the country's own count but not
    exactly what a "Total" row would say: where both exist (exact cells, 2017-2022) the sum
    equals the total for 40 country-years, is below it for 98 (victims of unknown form) and
    above it for 87 (victims counted under more than one form)."""
    items = list(records)
    out = country_values(items, key, year, indicator, small)
    if key.dimension != TOTAL.dimension:
        return out
    parts = [country_values(items, part, year, indicator, small) for part in form_parts(key)]
    for iso in set.intersection(*(set(p) for p in parts)) - set(out):
        out[iso] = sum(p[iso] for p in parts)
    return out


def impute_neighbours(by_year: Mapping[int, Mapping[str, float]], year: int) -> dict[str, float]:
    """``year``'s values with each country that did not report it taken at the mean of its
    values in the years either side (``year`` - 1 and ``year`` + 1), or at the one of the two
    it reported. A country with neither stays out. ``by_year`` must hold the three years
    (an absent year counts as nobody reporting)."""
    out = dict(by_year.get(year, {}))
    before, after = by_year.get(year - 1, {}), by_year.get(year + 1, {})
    for iso in (set(before) | set(after)) - set(out):
        near = [v[iso] for v in (before, after) if iso in v]
        out[iso] = fmean(near)
    return out


def panel(before: Mapping[str, float], after: Mapping[str, float]) -> list[str]:
    """The countries a trend compares: those that reported the series in both years."""
    return sorted(set(before) & set(after))


def dominant(
    before: Mapping[str, float], after: Mapping[str, float], countries: Iterable[str],
    share: float = DOMINANT_SHARE,
) -> list[str]:  # fmt: skip
    """Countries holding more than ``share`` of the panel's total in either year.

    Our outlier rule: one country's recording practice (Pakistan's 2019 count is about half
    of all victims the panel reports) would otherwise make the global trend that country's
    trend. The rule is applied once; the countries it sets aside are reported."""
    names = list(countries)
    out = set()
    for values in (before, after):
        total = sum(values[c] for c in names)
        out |= {c for c in names if total and values[c] > share * total}
    return sorted(out)


@dataclass(frozen=True)
class Change:
    """A change between two years over a panel of countries."""

    percent: float
    countries: int
    before: float
    after: float
    set_aside: tuple[str, ...] = ()


TRENDS = ("panel", "regions", "per country")


def year_values(
    records: Iterable[GlotipRecord], key: Key, year: int, indicator: str = VICTIMS,
    small: float = SMALL_CELL, fill: bool = False, impute: bool = False,
) -> dict[str, float]:  # fmt: skip
    """ISO3 -> a country's count of a series in a year under the counting rules of `Rules`:
    ``fill`` adds `filled_values`, ``impute`` adds `impute_neighbours`."""
    items = list(records)

    def at(y: int) -> dict[str, float]:
        if fill:
            return filled_values(items, key, y, indicator, small)
        return country_values(items, key, y, indicator, small)

    if not impute:
        return at(year)
    return impute_neighbours({y: at(y) for y in (year - 1, year, year + 1)}, year)


def change(
    records: Iterable[GlotipRecord], key: Key, start: int, end: int,
    drop_dominant: bool = True, indicator: str = VICTIMS, small: float = SMALL_CELL,
    regions: Mapping[str, str] | None = None, fill: bool = False, impute: bool = False,
    per_country: bool = False,
) -> Change:  # fmt: skip
    """Percent change of a series from ``start`` to ``end`` over the countries reporting both.

    ``regions`` (ISO3 -> region) given: the mean of each region's change over its panel
    countries, so every region weighs the same, as `region_mean` does for profiles.
    ``per_country``: no panel; the change of the mean count per reporting country, each year
    over the countries that reported it (the 2018 Report's "average number of detected and
    reported victims per country"); `dominant` is then applied to each year's own total.
    ``fill`` and ``impute``: see `year_values`.
    Raises ValueError when no country reported both years (nothing to compare)."""
    items = list(records)
    before = year_values(items, key, start, indicator, small, fill, impute)
    after = year_values(items, key, end, indicator, small, fill, impute)
    if per_country:
        # each year against its own total: `dominant` over one year's countries, twice
        aside = sorted(
            {c for year in (before, after) for c in dominant(year, year, year)}
            if drop_dominant else set()
        )  # fmt: skip
        a_kept = [v for c, v in before.items() if c not in aside]
        b_kept = [v for c, v in after.items() if c not in aside]
        if not a_kept or not b_kept or sum(a_kept) == 0:
            raise ValueError(f"no country reported {key} in both {start} and {end}")
        percent = 100 * (fmean(b_kept) / fmean(a_kept) - 1)
        return Change(percent, len(set(before) | set(after)) - len(aside), sum(a_kept),
                      sum(b_kept), tuple(aside))  # fmt: skip
    countries = panel(before, after)
    aside = dominant(before, after, countries) if drop_dominant else []
    kept = [c for c in countries if c not in aside]
    a, b = sum(before[c] for c in kept), sum(after[c] for c in kept)
    if not kept or a == 0:
        raise ValueError(f"no country reported {key} in both {start} and {end}")
    percent = 100 * (b / a - 1)
    if regions is not None:
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for c in kept:
            sums[regions[c]][0] += before[c]
            sums[regions[c]][1] += after[c]
        percent = fmean(100 * (y / x - 1) for x, y in sums.values() if x > 0)
    return Change(percent, len(kept), a, b, tuple(aside))


@dataclass(frozen=True)
class Pivot:
    """One country of a trend's panel and what the trend would be without it."""

    iso3: str
    without: float  # the panel-sum change in % with this country left out
    before: float
    after: float


def pivotal(
    records: Iterable[GlotipRecord], key: Key, start: int, end: int,
    rules: Rules | None = None, count: int = 3,
) -> list[Pivot]:  # fmt: skip
    """The ``count`` countries whose own counts move a panel-sum trend most, each with the
    trend without it, most moving first.

    A diagnostic, never a rule: it says on which national counts a figure that misses
    hangs (docs/analysis.md, bench/glotip_report.py); no figure is ever computed with a
    country left out because of it. Counting follows ``rules`` (default: `DEFAULT_RULES`)."""
    r = DEFAULT_RULES if rules is None else rules
    items = list(records)
    before = year_values(items, key, start, small=r.small, fill=r.fill_from_forms,
                         impute=r.impute_neighbours)  # fmt: skip
    after = year_values(items, key, end, small=r.small, fill=r.fill_from_forms,
                        impute=r.impute_neighbours)  # fmt: skip
    countries = panel(before, after)
    aside = dominant(before, after, countries) if r.set_aside_dominant else []
    kept = [c for c in countries if c not in aside]
    a, b = sum(before[c] for c in kept), sum(after[c] for c in kept)
    if a == 0:
        raise ValueError(f"no country reported {key} in both {start} and {end}")
    percent = 100 * (b / a - 1)
    out = [Pivot(c, 100 * ((b - after[c]) / (a - before[c]) - 1), before[c], after[c])
           for c in kept if a - before[c] > 0]  # fmt: skip
    return sorted(out, key=lambda p: (-abs(p.without - percent), p.iso3))[:count]


def known_shares(
    records: Iterable[GlotipRecord], year: int, parts: Mapping[str, Key],
    indicator: str = VICTIMS, small: float = SMALL_CELL, earlier: int = 0,
) -> dict[str, dict[str, float]]:  # fmt: skip
    """ISO3 -> each part's share of the victims whose breakdown is known, per country.

    A country counts only if it reported every part and at least one victim in them: the
    shares are over the victims it could classify (unknown sex, age or form left out), not
    over its total. ``earlier`` > 0: a country that did not report ``year`` is taken at its
    most recent year among the ``earlier`` years before it (the Report's "or most recent
    year" profiles), so one late national answer does not drop a country from the profile."""
    counts = known_counts(records, year, parts, indicator, small, earlier)
    return {iso: {n: v / sum(c.values()) for n, v in c.items()} for iso, c in counts.items()}


def known_counts(
    records: Iterable[GlotipRecord], year: int, parts: Mapping[str, Key],
    indicator: str = VICTIMS, small: float = SMALL_CELL, earlier: int = 0, fill: bool = False,
) -> dict[str, dict[str, float]]:  # fmt: skip
    """ISO3 -> each part's count, for the countries and years `known_shares` uses (``fill``:
    a part missing as a row is the sum of its forms, `filled_values`)."""
    items = list(records)
    out: dict[str, dict[str, float]] = {}
    for y in range(year, year - earlier - 1, -1):
        values = {n: year_values(items, k, y, indicator, small, fill) for n, k in parts.items()}
        for iso in set.intersection(*(set(v) for v in values.values())) - set(out):
            if sum(values[name][iso] for name in parts) > 0:
                out[iso] = {name: values[name][iso] for name in parts}
    return out


def pooled(
    shares: Mapping[str, Mapping[str, float]], weights: Mapping[str, float]
) -> dict[str, float]:
    """Shares weighted by each country's count (every victim weighs the same)."""
    total = sum(weights[c] for c in shares)
    parts = next(iter(shares.values())).keys() if shares else []
    return {p: sum(shares[c][p] * weights[c] for c in shares) / total for p in parts}


def country_mean(shares: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """The mean of national shares: every reporting country weighs the same."""
    parts = next(iter(shares.values())).keys() if shares else []
    return {p: fmean(s[p] for s in shares.values()) for p in parts}


def region_mean(
    shares: Mapping[str, Mapping[str, float]], regions: Mapping[str, str]
) -> dict[str, float]:
    """The mean of regional means of national shares: every region weighs the same, so the
    many small European reporters do not outweigh Africa or South Asia."""
    by_region: dict[str, dict[str, Mapping[str, float]]] = defaultdict(dict)
    for iso, s in shares.items():
        by_region[regions[iso]][iso] = s
    means = [country_mean(group) for group in by_region.values()]
    parts = means[0].keys() if means else []
    return {p: fmean(m[p] for m in means) for p in parts}


def regions_of(records: Iterable[GlotipRecord]) -> dict[str, str]:
    """ISO3 -> Global Report region for every country in the records."""
    return {r.iso3: gr_region(r.iso3, r.subregion) for r in records}


def form_by_region(records: Iterable[GlotipRecord], year: int) -> dict[str, dict[str, float]]:
    """Region -> share of each form of exploitation (mean of national known-form shares)."""
    items = list(records)
    regions = regions_of(items)
    shares = known_shares(items, year, FORMS)
    out: dict[str, dict[str, float]] = {}
    for region in GR_REGIONS:
        group = {c: s for c, s in shares.items() if regions[c] == region}
        if group:
            out[region] = country_mean(group)
    return out


@dataclass
class Figure:
    """One published figure, palermo's value for it and how it was computed."""

    name: str
    unit: str  # "%" share or "% change"
    published: float
    naive: float | None  # the obvious sum over every country (what palermo gave before)
    value: float | None  # the Report's method as implemented here; None: not reproducible
    method: str
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def difference(self) -> float | None:
        return None if self.value is None else self.value - self.published

    @property
    def within_target(self) -> bool | None:
        """Target of issue 20: 2 points for a share, 5 % relative for a change."""
        if self.value is None:
            return None
        if self.unit == "%":
            return abs(self.value - self.published) <= 2
        return abs(self.value - self.published) <= 0.05 * abs(self.published)


def naive_change(records: Iterable[GlotipRecord], key: Key, start: int, end: int) -> float:
    """Every country's count summed each year, whoever reported (what not to do)."""
    items = list(records)
    a = sum(country_values(items, key, start).values())
    b = sum(country_values(items, key, end).values())
    return 100 * (b / a - 1)


def naive_share(records: Iterable[GlotipRecord], year: int, part: Key, of: Key = TOTAL) -> float:
    items = list(records)
    return (
        100
        * sum(country_values(items, part, year).values())
        / sum(country_values(items, of, year).values())
    )


class Series:
    """The export's plausible victim rows grouped by series (`Key`), built once, so that each
    figure scans only its own rows: the rule-set table recomputes every figure many times."""

    def __init__(self, records: Iterable[GlotipRecord]) -> None:
        self.groups: dict[Key, list[GlotipRecord]] = defaultdict(list)
        self.regions: dict[str, str] = {}
        self.memo: dict[tuple[object, ...], Any] = {}  # computed parts of figures, by rule
        for r in records:
            self.regions.setdefault(r.iso3, gr_region(r.iso3, r.subregion))
            if r.indicator == VICTIMS and r.plausible:
                self.groups[Key(r.dimension, r.category, r.sex, r.age)].append(r)

    def rows(self, *keys: Key) -> list[GlotipRecord]:
        return [r for k in dict.fromkeys(keys) for r in self.groups.get(k, ())]


WEIGHTINGS = ("pooled", "country", "region")


@dataclass(frozen=True)
class Rules:
    """One set of choices for turning the export into figures, applied to every figure alike
    (a rule is never picked per figure). `rule_sets()` varies them; `DEFAULT_RULES` is the
    set docs/analysis.md and ADR 0028 justify."""

    small: float = SMALL_CELL  # what a "<5" cell counts as
    earlier: int = 2  # shares: a country missing the year is taken at its latest of N before
    weighting: str = "country"  # shares: "pooled" (victims), "country" or "region" weigh equal
    set_aside_dominant: bool = True  # trends: the `dominant` rule
    trend: str = "panel"  # trends: panel sum, mean of regional changes, or mean per country
    children_from_sex_age: bool = True  # children = girls + boys of the sex x age table
    fill_from_forms: bool = False  # a missing overall row is the sum of its forms
    impute_neighbours: bool = False  # trends: a missing year from the years either side

    def __post_init__(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting: {self.weighting!r} is not one of {WEIGHTINGS}")
        if self.trend not in TRENDS:
            raise ValueError(f"trend: {self.trend!r} is not one of {TRENDS}")

    @property
    def label(self) -> str:
        trend = {"panel": "panel sum", "regions": "mean of regions",
                 "per country": "mean per reporting country"}[self.trend]  # fmt: skip
        return (f"<5={self.small:g}; latest of {self.earlier + 1} years; {self.weighting} "
                f"weights; dominant {'set aside' if self.set_aside_dominant else 'kept'}; "
                f"trend {trend}; "
                f"children from {'sex x age' if self.children_from_sex_age else 'age'}; "
                f"{'forms fill a missing total' if self.fill_from_forms else 'rows only'}; "
                f"{'neighbour years imputed' if self.impute_neighbours else 'no imputation'}"
                )  # fmt: skip


DEFAULT_RULES = Rules()


def weighted(
    shares: Mapping[str, Mapping[str, float]], totals: Mapping[str, float],
    regions: Mapping[str, str], weighting: str,
) -> dict[str, float]:  # fmt: skip
    """The global profile from national shares under one weighting (see `Rules`)."""
    if weighting == "pooled":
        return pooled(shares, totals)
    return country_mean(shares) if weighting == "country" else region_mean(shares, regions)


def _share_values(
    series: Series, year: int, parts: Mapping[str, Key], wanted: tuple[str, ...],
    naive_parts: tuple[Key, ...], small: float, earlier: int, fill: bool = False,
) -> tuple[dict[str, float], int, float]:  # fmt: skip
    """(weighting -> share in %, countries, obvious share) for one profile figure; no
    weighting when no country reported the breakdown."""
    forms = [f for k in parts.values() for f in form_parts(k)] if fill else []
    items = series.rows(*parts.values(), *forms, *naive_parts, TOTAL)
    counts = known_counts(items, year, parts, small=small, earlier=earlier, fill=fill)
    totals = {c: sum(v.values()) for c, v in counts.items()}
    shares = {c: {n: x / totals[c] for n, x in v.items()} for c, v in counts.items()}

    def pick(s: Mapping[str, float]) -> float:
        return 100 * sum(s[w] for w in wanted)

    if not shares:
        return {}, 0, float("nan")
    by_weighting = {w: pick(weighted(shares, totals, series.regions, w)) for w in WEIGHTINGS}
    return by_weighting, len(shares), sum(naive_share(items, year, k) for k in naive_parts)


def _share_figure(
    series: Series, name: str, published: float, year: int,
    parts: Mapping[str, Key], wanted: tuple[str, ...], naive_parts: tuple[Key, ...],
    rules: Rules = DEFAULT_RULES,
) -> Figure:  # fmt: skip
    memo = ("share", year, tuple(parts.items()), wanted, rules.small, rules.earlier,
            rules.fill_from_forms)  # fmt: skip
    if memo not in series.memo:
        series.memo[memo] = _share_values(series, year, parts, wanted, naive_parts, rules.small,
                                          rules.earlier, rules.fill_from_forms)  # fmt: skip
    values, countries, naive = series.memo[memo]
    others = dict(values)
    return Figure(
        name, "%", published, naive, others.pop(rules.weighting, None),
        f"{rules.weighting} weights of national shares of known breakdown, "
        f"{countries} countries", extra={f"{w} weights": v for w, v in others.items()},
    )  # fmt: skip


def _change_figure(
    series: Series, name: str, published: float, key: Key, rules: Rules = DEFAULT_RULES,
    start: int = 2019, end: int = 2022,
) -> Figure:  # fmt: skip
    items = series.rows(key, *(form_parts(key) if rules.fill_from_forms else ()))
    regions = series.regions if rules.trend == "regions" else None

    def memo(drop: bool) -> Change:
        at = ("change", key, start, end, rules.small, rules.trend, drop, rules.fill_from_forms,
              rules.impute_neighbours)  # fmt: skip
        if at not in series.memo:
            series.memo[at] = change(items, key, start, end, drop, small=rules.small,
                                     regions=regions, fill=rules.fill_from_forms,
                                     impute=rules.impute_neighbours,
                                     per_country=rules.trend == "per country")  # fmt: skip
        result: Change = series.memo[at]
        return result

    try:
        panel_all, kept = memo(False), memo(rules.set_aside_dominant)
    except ValueError as exc:  # nothing to compare in these records: say so, do not stop
        return Figure(name, "% change", published, None, None, "", note=str(exc))
    naive = naive_change(items, key, start, end)
    aside = ", ".join(kept.set_aside) or "none"
    what = ("countries reporting either year" if rules.trend == "per country"
            else f"countries reporting {start} and {end}")  # fmt: skip
    return Figure(
        name, "% change", published, naive, kept.percent,
        f"{rules.trend} of {kept.countries} {what}; set aside: {aside}",
        extra={"nothing set aside": panel_all.percent},
    )  # fmt: skip


FORCED_CRIMINALITY_NOTE = (
    "not reproducible: the export groups forced criminality with begging, organ removal, "
    "forced marriage and the rest under 'Other forms of exploitation'; the value shown is "
    "that group's share, an upper bound"
)


def headline_figures(
    records: Iterable[GlotipRecord] | Series, rules: Rules = DEFAULT_RULES
) -> list[Figure]:
    """The 2024 Report's headline figures (issue 20), each with palermo's value."""
    items = records if isinstance(records, Series) else Series(records)
    sex_age = dict(SEX_AGE)
    ages: Mapping[str, Key] = {"children": CHILDREN, "adults": ADULTS}
    young: tuple[str, ...] = ("children",)
    if rules.children_from_sex_age:
        ages, young = sex_age, ("girls", "boys")
    figures = [
        _change_figure(items, "detected victims 2022 vs 2019", 25, TOTAL, rules),
        _change_figure(items, "detected victims 2022 vs 2020", 43, TOTAL, rules, start=2020),
        _change_figure(items, "forced-labour victims 2022 vs 2019", 47, FORMS["Forced labour"],
                       rules),
        _change_figure(items, "child victims 2022 vs 2019", 31, CHILDREN, rules),
        _change_figure(items, "girls 2022 vs 2019", 38, GIRLS, rules),
        _share_figure(items, "share of women and girls, 2022", 61, 2022, sex_age,
                      ("women", "girls"), (WOMEN, GIRLS), rules),
        _share_figure(items, "share of children, 2022", 38, 2022, ages, young, (CHILDREN,),
                      rules),
    ]  # fmt: skip
    for year, published in ((2022, 8.0), (2016, 1.0)):
        other = _share_figure(
            items, f"share of forced criminality, {year}", published, year, FORMS,
            ("Other forms of exploitation",), (FORMS["Other forms of exploitation"],), rules,
        )  # fmt: skip
        if other.value is not None:
            other.extra["upper bound"] = other.value
        other.value, other.note = None, FORCED_CRIMINALITY_NOTE
        figures.append(other)
    return figures


SMALL_CELL_CHOICES = (0.0, SMALL_CELL, 2.5)  # "<5" as nothing, the middle of 0..4, of [0, 5)


def rule_sets() -> list[Rules]:
    """Every combination of the principled choices: "<5" value, latest year of three or the
    year only, weighting, dominant countries set aside or kept, how a trend is summed,
    children from which table, forms filling a missing total, neighbour-year imputation."""
    return [
        Rules(small, earlier, weighting, dominant, trend, sex_age, fill, impute)
        for small in SMALL_CELL_CHOICES for earlier in (0, 2) for weighting in WEIGHTINGS
        for dominant in (True, False) for trend in TRENDS for sex_age in (True, False)
        for fill in (False, True) for impute in (False, True)
    ]  # fmt: skip


def one_change_rule_sets(base: Rules = DEFAULT_RULES) -> list[tuple[str, Rules]]:
    """The base rule set and each set that changes exactly one of its choices, named by it:
    the table that shows how each single rule moves each figure."""
    out = [("default", base)]
    out += [(f"<5 = {v:g}", replace(base, small=v)) for v in SMALL_CELL_CHOICES if v != base.small]
    out.append(("year only" if base.earlier else "latest of 3 years",
                replace(base, earlier=0 if base.earlier else 2)))  # fmt: skip
    out += [(f"{w} weights", replace(base, weighting=w)) for w in WEIGHTINGS if w != base.weighting]
    out.append(
        (
            "dominant kept" if base.set_aside_dominant else "dominant set aside",
            replace(base, set_aside_dominant=not base.set_aside_dominant),
        )
    )
    out += [(f"trend: {t}", replace(base, trend=t)) for t in TRENDS if t != base.trend]
    out.append(("children from age table" if base.children_from_sex_age else
                "children from sex x age", replace(base, children_from_sex_age=not
                                                   base.children_from_sex_age)))  # fmt: skip
    out.append(
        (
            "total rows only" if base.fill_from_forms else "forms fill a missing total",
            replace(base, fill_from_forms=not base.fill_from_forms),
        )
    )
    out.append(
        (
            "no imputation" if base.impute_neighbours else "neighbour years imputed",
            replace(base, impute_neighbours=not base.impute_neighbours),
        )
    )
    return out


def miss(figures: Iterable[Figure]) -> float:
    """Mean distance of the reproducible figures from the published ones, in units of issue
    20's target (2 points for a share, 5 % of the published change): 1.0 or less on every
    figure would meet it. One number for all figures, so rules are judged across all."""
    gaps = []
    for f in figures:
        if f.value is not None:
            tolerance = 2.0 if f.unit == "%" else 0.05 * abs(f.published)
            gaps.append(abs(f.value - f.published) / tolerance)
    return fmean(gaps) if gaps else float("inf")


def rank_rule_sets(
    records: Iterable[GlotipRecord] | Series, sets: Iterable[Rules] | None = None
) -> list[tuple[float, Rules, list[Figure]]]:
    """Every rule set with its figures, best (smallest `miss`) first."""
    series = records if isinstance(records, Series) else Series(records)
    scored = []
    for rules in rule_sets() if sets is None else sets:
        figures = headline_figures(series, rules)
        scored.append((miss(figures), rules, figures))
    return sorted(scored, key=lambda t: t[0])


def victims_by_year(records: Iterable[GlotipRecord]) -> dict[int, float]:
    """Detected victims per year 2003-2022 (every reporting country; the trend chart)."""
    out: dict[int, float] = defaultdict(float)
    for r in records:
        if r.indicator == VICTIMS and r.plausible and TOTAL.matches(r):
            out[r.year] += value(r)
    return dict(sorted(out.items()))


FIGURE_COLUMNS = ["figure", "published", "palermo", "difference", "target", "obvious sum", "method"]


def _fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.1f}%" if unit == "% change" else f"{x:.1f}%"


def figure_rows(figures: Iterable[Figure]) -> list[list[str]]:
    """One row per figure for a table (bench and CLI print the same thing)."""
    rows = []
    for f in figures:
        diff = "n/a" if f.difference is None else f"{f.difference:+.1f}"
        target = {True: "met", False: "missed", None: "n/a"}[f.within_target]
        extra = "; ".join(f"{k} {_fmt(v, f.unit)}" for k, v in f.extra.items())
        method = "; ".join(x for x in (f.note or f.method, extra) if x)
        rows.append([f.name, _fmt(f.published, f.unit), _fmt(f.value, f.unit), diff, target,
                     _fmt(f.naive, f.unit), method])  # fmt: skip
    return rows
