"""A GLOTIP submission from a generated world, checked against the world's ground truth."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from palermo.analysis import glotip_submission as gs
from palermo.analysis.glotip_submission import CONTACT, CellKey
from palermo.cli.common import CliError
from palermo.cli.demo import load_world
from palermo.cli.main import app
from palermo.datasets.glotip import VICTIMS, load_glotip, load_glotip_csv
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
    assert {c.key.indicator for c in sub.cells} == {CONTACT}
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
