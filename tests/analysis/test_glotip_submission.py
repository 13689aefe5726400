"""A GLOTIP submission from a generated world, checked against the world's ground truth."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from palermo.analysis import glotip_submission as gs
from palermo.analysis.glotip_submission import CONTACT, CellKey
from palermo.cli.common import CliError
from palermo.cli.demo import load_world
from palermo.cli.main import app
from palermo.datasets.glotip import CONVICTED, PROSECUTED, VICTIMS, load_glotip, load_glotip_csv
from palermo.store.store import Store
from palermo.world.generate import generate
from tests.conftest import wipe

AGENCY = "DE-BKA"
FORM = "by form of exploitation"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, 300, 5)
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(
    request: pytest.FixtureRequest, world: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The world loaded into a node, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'w.db'}"
    else:
        url = str(request.getfixturevalue("pg_database"))
    store = Store.open(url)
    wipe(store)
    load_world(store, world)
    store.close()
    return url


@pytest.fixture(scope="module")
def store(db: str) -> Iterator[Store]:
    store = Store.open(db)
    yield store
    store.close()


def truth(world: Path) -> list[dict[str, str]]:
    """One row per victim record DE-BKA wrote, with the true person and network."""
    def rows(name: str) -> list[dict[str, str]]:
        with (world / "truth" / name).open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    persons = {r["true_id"]: r for r in rows("persons.csv")}
    networks = {r["network_id"]: r for r in rows("networks.csv")}
    return [
        r | persons[r["true_id"]] | {"form": networks[r["network_id"]]["form"],
                                     "year": networks[r["network_id"]]["year"]}
        for r in rows("records.csv")
        if r["agency"] == AGENCY and r["schema"] == "VictimRecord"
    ]  # fmt: skip


def family(form: str) -> str:
    if form == "sexual":
        return "Sexual exploitation"
    return "Forced labour" if form.startswith("forced-labour") else "Other forms of exploitation"


def count(sub: gs.Submission, *key: str) -> int:
    cell = sub.cell(CellKey(*key))
    return 0 if cell is None else cell.count


def test_victim_tables_equal_the_ground_truth(world: Path, store: Store) -> None:
    sub = gs.from_store(store, store.viewer("support-de-bka"), None)
    rows = truth(world)
    assert rows and count(sub, VICTIMS, "Total", "Total", "Total", "Total") == len(rows)
    for form, n in Counter(family(r["form"]) for r in rows).items():
        assert count(sub, VICTIMS, FORM, form, "Total", "Total") == n
    children = sum(1 for r in rows if int(r["birth_date"][:4]) > 2026 - 18)
    assert count(sub, VICTIMS, "Total", "Total", "Total", "0 to 17 years") == children
    adults = count(sub, VICTIMS, "Total", "Total", "Total", "18 years or over")
    assert adults == len(rows) - children
    # a record may leave the victim's sex out; what it says is never wrong
    for sex, n in Counter(r["sex"] for r in rows).items():
        assert count(sub, VICTIMS, "Total", "Total", sex.title(), "Total") <= n
    known = sum(count(sub, VICTIMS, "Total", "Total", s, "Total") for s in ("Female", "Male"))
    assert known >= 0.8 * len(rows)


def test_a_year_counts_the_victims_registered_that_year(world: Path, store: Store) -> None:
    rows = truth(world)
    year = int(Counter(r["year"] for r in rows).most_common(1)[0][0])
    sub = gs.from_store(store, store.viewer("support-de-bka"), year)
    got = count(sub, VICTIMS, "Total", "Total", "Total", "Total")
    # the world registers a victim in its network's year or the next one
    assert 1 <= got <= sum(r["year"] in (str(year), str(year - 1)) for r in rows)
    assert got < len(rows)  # not every year's victims


def test_cells_are_traceable_to_own_records_and_small_ones_suppressed(store: Store) -> None:
    sub = gs.from_store(store, store.viewer("support-de-bka"), None)
    for cell in sub.cells:
        assert cell.records and all(r.startswith("de-bka.") for r in cell.records), cell
        assert cell.text == ("<5" if cell.count < 5 else f"{cell.count:,}")
    small = next(c for c in sub.cells if c.count < 5)
    assert gs.trace(sub, small.key) == list(small.records)
    with pytest.raises(KeyError, match="no cell"):
        gs.trace(sub, CellKey(VICTIMS, FORM, "Organ removal", "Total", "Total"))
    with pytest.raises(ValueError, match="INDICATOR/DIMENSION"):
        gs.parse_cell("Detected trafficking victims/Total")


def test_without_victim_support_the_victim_tables_are_withheld(store: Store) -> None:
    sub = gs.from_store(store, store.viewer("analyst-de-bka"), None)
    assert sub.withheld and "victim-support" in sub.withheld[0]
    assert {c.key.indicator for c in sub.cells} == {CONTACT, PROSECUTED, CONVICTED}
    assert count(sub, CONTACT, "Total", "Total", "Total", "Total") > 0


def test_round_trip_through_the_glotip_loader(
    world: Path, store: Store, tmp_path: Path
) -> None:
    year = int(Counter(r["year"] for r in truth(world)).most_common(1)[0][0])
    sub = gs.from_store(store, store.viewer("support-de-bka"), year)
    assert sub.cells
    xlsx, csv_path = tmp_path / "sub.xlsx", tmp_path / "sub.csv"
    gs.write_xlsx(sub, xlsx)
    csv_path.write_text(gs.to_csv(sub), encoding="utf-8")
    for loaded in (list(load_glotip(xlsx)), list(load_glotip_csv(csv_path))):
        back = {(r.indicator, r.dimension, r.category, r.sex, r.age): r for r in loaded}
        assert len(back) == len(sub.cells)
        for cell in sub.cells:
            r = back[(cell.key.indicator, cell.key.dimension, cell.key.category,
                      cell.key.sex, cell.key.age)]  # fmt: skip
            assert r.text == cell.text and r.year == sub.year and r.iso3 == "DEU"
            assert (r.low, r.high) == ((0, 4) if cell.count < 5 else (cell.count, cell.count))


def test_cli_writes_the_submission_and_traces_a_cell(
    world: Path, db: str, tmp_path: Path
) -> None:
    year = int(Counter(r["year"] for r in truth(world)).most_common(1)[0][0])
    out, env = tmp_path / "de.xlsx", {"PALERMO_DB": db}
    args = ["analyze", "glotip-submission", "--year", str(year), "--as", "support-de-bka"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    total = next(r for r in load_glotip(out) if (r.dimension, r.sex, r.age) == ("Total",) * 3
                 and r.indicator == VICTIMS)  # fmt: skip
    cell = "Detected trafficking victims/Total/Total/Total/Total"
    traced = CliRunner().invoke(app, [*args, "--trace", cell], env=env)
    assert traced.exit_code == 0, traced.output
    assert traced.output.count("de-bka.") == total.low or total.text == "<5"
    bad = CliRunner().invoke(app, [*args, "--trace", "nonsense"], env=env)
    assert isinstance(bad.exception, CliError) and str(bad.exception).startswith("--trace:")


# Court outcomes: persons prosecuted and convicted, against truth/court.csv and the agency's
# own file (the sex the record gives), never through palermo's reading of the store.


def court_truth(world: Path) -> list[dict[str, str]]:
    with (world / "truth" / "court.csv").open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["agency"] == AGENCY]


def recorded_sex(world: Path) -> dict[str, str]:
    """DE-BKA's person record id -> the sex its record gives (GLOTIP spelling), from the file."""
    out = {}
    for line in (world / AGENCY / "entities.ftm.json").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        if e["schema"] == "Person":
            out[e["id"]] = {"female": "Female", "male": "Male"}.get(
                (e["properties"].get("gender") or ["?"])[0], "Unknown")
    return out


def expected_court(world: Path, year: int | None) -> Counter[tuple[str, str, str]]:
    """(indicator, dimension/category, sex) -> persons, counted from the truth."""
    sex, out = recorded_sex(world), Counter[tuple[str, str, str]]()
    prosecuted: set[str] = set()
    convicted: dict[str, str] = {}
    for r in court_truth(world):
        if year is None or r["prosecution_date"][:4] == str(year):
            prosecuted.add(r["defendant_record"])
        if r["verdict"] == "convicted" and (year is None or r["verdict_date"][:4] == str(year)):
            convicted.setdefault(r["defendant_record"], r["offence_code"])
    for indicator, people in ((PROSECUTED, dict.fromkeys(prosecuted, "")), (CONVICTED, convicted)):
        for person, code in people.items():
            out[(indicator, "Total", "Total")] += 1
            out[(indicator, "Total", sex[person])] += 1
            if indicator == CONVICTED:
                form = {"02041": "Sexual exploitation", "02042": "Forced labour"}.get(
                    code, "Other forms of exploitation")
                out[(indicator, form, "Total")] += 1
    return out


def court_counts(sub: gs.Submission) -> Counter[tuple[str, str, str]]:
    return Counter({
        (c.key.indicator, c.key.category, c.key.sex): c.count
        for c in sub.cells if c.key.indicator in (PROSECUTED, CONVICTED)
    })  # fmt: skip


def test_court_tables_equal_the_ground_truth(world: Path, store: Store) -> None:
    rows = court_truth(world)
    assert len(rows) >= 5 and any(r["verdict"] == "convicted" for r in rows)
    viewer = store.viewer("analyst-de-bka")  # court outcomes need no victim-support role
    years = sorted({int(r["prosecution_date"][:4]) for r in rows})
    for year in [None, *years]:
        sub = gs.from_store(store, viewer, year)
        assert court_counts(sub) == expected_court(world, year), year
        for cell in sub.cells:
            if cell.key.indicator in (PROSECUTED, CONVICTED):
                assert all(r.startswith("de-bka.") for r in cell.records), cell


def _outcome(oid: str, agency: str, defendant: str, verdict: str, prosecuted: str,
             decided: str = "", form: str = "sexual") -> dict[str, Any]:  # fmt: skip
    props = {"defendant": [defendant], "verdict": [verdict], "prosecutionDate": [prosecuted],
             "exploitationForm": [form]}  # fmt: skip
    if decided:
        props["verdictDate"] = [decided]
    return {"id": oid, "schema": "CourtOutcome", "agency": agency, "properties": props}


def _person(pid: str, agency: str, sex: str = "female") -> dict[str, Any]:
    return {"id": pid, "schema": "Person", "agency": agency, "properties": {"gender": [sex]}}


def test_a_person_counts_once_and_undated_verdicts_only_in_all_years() -> None:
    entities = [
        _person("a.p1", "A"), _person("a.p2", "A", "male"), _person("b.p3", "B"),
        _outcome("a.c2", "A", "a.p1", "convicted", "2023-02-01", "2023-09-01"),
        _outcome("a.c1", "A", "a.p1", "convicted", "2023-05-01", "2023-10-01", "forced-labour"),
        _outcome("a.c3", "A", "a.p2", "convicted", "2023-03-01"),  # verdict date missing
        _outcome("a.c4", "A", "b.p3", "convicted", "2023-03-01", "2023-04-01"),  # not A's person
        _outcome("b.c5", "B", "b.p3", "convicted", "2023-03-01", "2023-04-01"),  # B's outcome
        _outcome("a.c6", "A", "a.p2", "acquitted", "2022-03-01", "2023-04-01"),
    ]  # fmt: skip
    cells = gs.court_cells(entities, "A", 2023)
    assert cells[CellKey(PROSECUTED, "Total", "Total", "Total", "Total")] == ["a.c1", "a.c3"]
    assert cells[CellKey(CONVICTED, "Total", "Total", "Female", "Total")] == ["a.c1"]
    assert cells[CellKey(CONVICTED, FORM, "Forced labour", "Total", "Total")] == ["a.c1"]
    assert CellKey(CONVICTED, "Total", "Total", "Male", "Total") not in cells
    everything = gs.court_cells(entities, "A", None)
    assert everything[CellKey(CONVICTED, "Total", "Total", "Total", "Total")] == ["a.c1", "a.c3"]
    assert everything[CellKey(PROSECUTED, "Total", "Total", "Male", "Total")] == ["a.c3"]


AGENCIES = ("A", "B")
outcomes = st.lists(
    st.tuples(
        st.sampled_from(AGENCIES), st.integers(0, 5), st.sampled_from(AGENCIES),
        st.sampled_from(("convicted", "acquitted", "pending")),
        st.sampled_from(("2022", "2023")), st.sampled_from(("", "2022", "2023")),
    ),
    max_size=25,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(outcomes)
def test_only_own_outcomes_about_own_persons_are_counted(found: list[tuple[Any, ...]]) -> None:
    """Whatever partners shared with the node, agency A's tables count only A's outcomes of
    A's person records, each person once: a partner's court data never enters A's answer."""
    persons = [_person(f"{a.lower()}.p{i}", a) for a in AGENCIES for i in range(6)]
    entities = persons + [
        _outcome(f"{owner.lower()}.c{n}", owner, f"{holder.lower()}.p{i}", verdict,
                 f"{year}-01-01", f"{decided}-06-01" if decided else "")
        for n, (owner, i, holder, verdict, year, decided) in enumerate(found)
    ]  # fmt: skip
    cells = gs.court_cells(entities, "A", 2023)
    own = {f"a.c{n}" for n, f in enumerate(found) if f[0] == "A" and f[2] == "A"}
    for ids in cells.values():
        assert set(ids) <= own and len(ids) == len(set(ids))
    expected = len({(i) for owner, i, holder, _, year, _ in found
                    if owner == holder == "A" and year == "2023"})  # fmt: skip
    got = cells.get(CellKey(PROSECUTED, "Total", "Total", "Total", "Total"), [])
    assert len(got) == expected


def test_court_tables_round_trip_and_show_in_the_cli(
    world: Path, db: str, store: Store, tmp_path: Path
) -> None:
    convictions = Counter(r["verdict_date"][:4] for r in court_truth(world)
                          if r["verdict"] == "convicted")  # fmt: skip
    year = int(convictions.most_common(1)[0][0])
    sub = gs.from_store(store, store.viewer("analyst-de-bka"), year)
    path = tmp_path / "court.csv"
    path.write_text(gs.to_csv(sub), encoding="utf-8")
    back = {(r.indicator, r.category, r.sex): r for r in load_glotip_csv(path)}
    for (indicator, category, sex), n in expected_court(world, year).items():
        r = back[(indicator, category, sex)]
        assert (r.low, r.high) == ((0, 4) if n < 5 else (n, n)) and r.year == year
    args = ["analyze", "glotip-submission", "--year", str(year), "--as", "analyst-de-bka"]
    result = CliRunner().invoke(app, [*args, "--json"], env={"PALERMO_DB": db})
    assert result.exit_code == 0, result.output
    shown = {(c["Indicator"], c["Category"], c["Sex"]): c["txtVALUE"]
             for c in json.loads(result.output)["cells"]}  # fmt: skip
    for key, n in expected_court(world, year).items():
        assert shown[key] == ("<5" if n < 5 else f"{n:,}"), key
    cell = f"{CONVICTED}/Total/Total/Total/Total"
    traced = CliRunner().invoke(app, [*args, "--trace", cell], env={"PALERMO_DB": db})
    assert traced.exit_code == 0 and traced.output.count("de-bka.") == sum(
        1 for r in court_truth(world) if r["verdict"] == "convicted"
        and r["verdict_date"][:4] == str(year))  # fmt: skip
