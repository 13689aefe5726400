"""Mapped CSV through followthemoney's mapping engine: FtM's ids (checked against
``ftm map-csv``), one record per person of an edge list, the same-name rule and its
option, and mapping errors that name the key."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from palermo.access.viewer import Viewer
from palermo.ingest import ImportMode, import_file
from palermo.ingest.mapping import MappingError, load_mapping
from palermo.store.store import Store
from tests.ingest.ftm_oracle import ftm_id, ftm_map_csv
from tests.store.factories import setup_agencies

EDGES_MAPPING = """
edges:
  query:
    entities:
      source:
        schema: Person
        keys: [from]
        properties:
          name: {column: from}
      target:
        schema: Person
        keys: [to]
        properties:
          name: {column: to}
      tie:
        schema: Associate
        key_literal: tie
        keys: [from, to]
        properties:
          person: {entity: source}
          associate: {entity: target}
          relationship: {literal: associate}
"""

# One Person per row, keyed by the row number: the same man is named on several rows.
ROWS_MAPPING = """
rows:
  query:
    same_name: {mode}
    entities:
      person:
        schema: Person
        key_literal: person
        keys: [row]
        properties:
          name: {{column: name}}
          birthDate: {{column: born}}
          nationality: {{column: country}}
      passport:
        schema: Passport
        keys: [passport]
        properties:
          number: {{column: passport}}
          holder: {{entity: person}}
"""
ROWS = """row,name,born,country,passport
1,Jean David,1930-03-02,France,
2,JEAN  DAVID,,,FR0001
3,Jean David,1931-07-09,,
4,Ange Luciani,,France,
5,Ange Luciani,,Italy,
6,Jean David,1930,,
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def persons(store: Store, viewer: Viewer) -> list[tuple[str, list[str]]]:
    return sorted((e.id, e.values("name")) for e in store.entities(viewer, schema="Person"))


def test_edge_list_makes_one_person_per_name_with_ftm_ids(store: Store, tmp_path: Path) -> None:
    """Paul Mondoloni is in the 'from' column of one row and the 'to' column of two:
    FtM's keys give him one id, so he is one record (in two ties)."""
    viewers = setup_agencies(store, {"A1": ()})
    csv_path = write(
        tmp_path / "edges.csv",
        "from,to\nPaul Mondoloni,Jean David\nAnge Luciani,Paul Mondoloni\n"
        "Jean David,Paul Mondoloni\nJean David,Ange Luciani\n",
    )
    mapping = write(tmp_path / "edges.yml", EDGES_MAPPING)
    report = import_file(store, viewers["A1"], csv_path, mapping=mapping)
    assert report.committed and not report.errors and report.rows_read == 4
    found = persons(store, viewers["A1"])
    assert sorted(n for _, ns in found for n in ns) == [
        "Ange Luciani",
        "Jean David",
        "Paul Mondoloni",
    ]
    ftm = ftm_map_csv(csv_path, mapping)
    for _, names in found:
        assert f"a1.{ftm_id(ftm, 'Person', 'name', names[0])}" in {i for i, _ in found}
    ties = list(store.entities(viewers["A1"], schema="Associate"))
    assert {t.id for t in ties} == {f"a1.{e['id']}" for e in ftm if e["schema"] == "Associate"}
    paul = f"a1.{ftm_id(ftm, 'Person', 'name', 'Paul Mondoloni')}"
    # FtM sorts key values: "Paul Mondoloni,Jean David" and the reverse row are one tie
    assert sum(paul in t.values("person") + t.values("associate") for t in ties) == 2
    assert len(ties) == 3 and report.entities_imported == 6


def test_same_name_rule_merges_unless_a_field_contradicts(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    csv_path = write(tmp_path / "rows.csv", ROWS)
    mapping = write(tmp_path / "rows.yml", ROWS_MAPPING.format(mode="merge"))
    report = import_file(store, viewers["A1"], csv_path, mapping=mapping)
    assert report.committed and not report.errors
    found = persons(store, viewers["A1"])
    names = sorted(ns[0] for _, ns in found)
    # rows 1, 2 and 6 are one Jean David (no date on 2, the year 1930 on 6); row 3 was born
    # in 1931 and stays apart; the two Ange Luciani have different nationalities
    assert names == ["Ange Luciani", "Ange Luciani", "Jean David", "Jean David"]
    assert [(m.lines, m.name) for m in report.merged] == [
        ((2, 3), "Jean David"),
        ((2, 7), "Jean David"),
    ]
    ftm = ftm_map_csv(csv_path, mapping)
    kept = f"a1.{report.merged[0].kept}"
    jean = store.entity(viewers["A1"], kept)
    assert jean is not None and jean.values("birthDate") == ["1930-03-02", "1930"]
    # the passport of row 2 now points at the kept record, and its values keep their row
    passport = store.entity(viewers["A1"], "a1." + ftm_id(ftm, "Passport", "number", "FR0001"))
    assert passport is not None and passport.values("holder") == [kept]
    sources = {v.source_record_id for vs in jean.properties.values() for v in vs}
    assert {report.merged[0].kept, report.merged[0].merged, report.merged[1].merged} <= sources


def test_same_name_keep_in_the_mapping_keeps_every_row(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    csv_path = write(tmp_path / "rows.csv", ROWS)
    mapping = write(tmp_path / "rows.yml", ROWS_MAPPING.format(mode="keep"))
    report = import_file(store, viewers["A1"], csv_path, mapping=mapping)
    assert report.committed and report.merged == [] and len(persons(store, viewers["A1"])) == 6
    again = import_file(store, viewers["A1"], csv_path, mapping=mapping, same_names="merge")
    assert len(again.merged) == 2  # the caller's option wins over the mapping's


def test_same_name_merge_is_deterministic_and_idempotent(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    csv_path = write(tmp_path / "rows.csv", ROWS)
    mapping = write(tmp_path / "rows.yml", ROWS_MAPPING.format(mode="merge"))
    first = import_file(store, viewers["A1"], csv_path, mapping=mapping)
    count = store.count_statements()
    second = import_file(store, viewers["A1"], csv_path, mapping=mapping)
    assert second.merged == first.merged and second.statements == 0
    assert store.count_statements() == count


def visible_state(store: Store, viewer: Viewer) -> set[tuple[str, str, str, frozenset[str]]]:
    """Every visible entity's values, with the agency prefix taken off ids and references."""
    local = viewer.agency.lower() + "."
    return {
        (
            e.id.removeprefix(local),
            e.schema,
            prop,
            frozenset(v.value.removeprefix(local) for v in vs),
        )
        for schema in ("Person", "Passport")
        for e in store.entities(viewer, schema=schema)
        for prop, vs in e.properties.items()
    }


def test_split_undoes_a_merge_to_exactly_what_keep_imports(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    csv_path = write(tmp_path / "rows.csv", ROWS)
    mapping = write(tmp_path / "rows.yml", ROWS_MAPPING.format(mode="merge"))
    merged = import_file(store, viewers["A1"], csv_path, mapping=mapping)
    assert len(persons(store, viewers["A1"])) == 4
    split = import_file(store, viewers["A1"], csv_path, mapping=mapping, same_names="split")
    assert split.split == merged.merged and split.merged == []
    import_file(store, viewers["B2"], csv_path, mapping=mapping, same_names="keep")
    assert len(persons(store, viewers["A1"])) == 6
    assert visible_state(store, viewers["A1"]) == visible_state(store, viewers["B2"])
    kept = store.entity(viewers["A1"], f"a1.{merged.merged[0].kept}")
    assert kept is not None and kept.values("name") == ["Jean David"]
    assert kept.values("birthDate") == ["1930-03-02"]


def test_ftm_json_keeps_same_names_apart_unless_asked(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    rows = [
        {"id": "a", "schema": "Person", "properties": {"name": ["Ivan Petrov"]}},
        {"id": "b", "schema": "Person", "properties": {"name": ["ivan petrov"]}},
        {
            "id": "c",
            "schema": "Person",
            "properties": {"name": ["Ivan Petrov"], "gender": ["female"]},
        },
        {
            "id": "d",
            "schema": "Person",
            "properties": {"name": ["Ivan Petrov"], "gender": ["male"]},
        },
    ]
    path = write(tmp_path / "p.json", "\n".join(json.dumps(r) for r in rows) + "\n")
    report = import_file(store, viewers["A1"], path)
    assert report.merged == [] and len(persons(store, viewers["A1"])) == 4
    viewers |= setup_agencies(store, {"B2": ()})
    report = import_file(store, viewers["B2"], path, same_names="merge")
    # a, b and c are one; d's sex contradicts c's, so d starts a second Ivan Petrov
    assert [(m.kept, m.merged) for m in report.merged] == [("a", "b"), ("a", "c")]
    assert [i for i, _ in persons(store, viewers["B2"])] == ["b2.a", "b2.d"]


def test_identical_names_with_a_contradicting_birth_date_stay_two(
    store: Store, tmp_path: Path
) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    csv_path = write(
        tmp_path / "rows.csv",
        "row,name,born,country,passport\n1,Ugo Rossi,1920-01-05,,\n2,Ugo Rossi,1922-01-05,,\n",
    )
    mapping = write(tmp_path / "rows.yml", ROWS_MAPPING.format(mode="merge"))
    report = import_file(store, viewers["A1"], csv_path, mapping=mapping)
    assert report.merged == [] and len(persons(store, viewers["A1"])) == 2


def test_bare_query_mapping_of_earlier_releases_still_loads(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    mapping = write(
        tmp_path / "m.yml",
        "entities:\n  person:\n    schema: Person\n    keys: [nr]\n    sharing: all\n"
        "    properties:\n      name: {column: name}\n      alias: {column: aka, split: ';'}\n",
    )
    csv_path = write(tmp_path / "p.csv", "nr,name,aka\n1,Anna Berg,A. Berg;Annie\n")
    report = import_file(store, viewers["A1"], csv_path, mapping=mapping)
    assert report.committed and not report.errors
    (person,) = store.entities(viewers["A1"], schema="Person")
    assert sorted(person.values("alias")) == ["A. Berg", "Annie"]
    assert {v.policy_id for vs in person.properties.values() for v in vs}  # shared "all"


def test_provenance_columns_and_filters(store: Store, tmp_path: Path) -> None:
    """palermo's additions (sharing, first_seen per row) beside FtM's row filters."""
    viewers = setup_agencies(store, {"A1": (), "B2": ()})
    mapping = write(
        tmp_path / "m.yml",
        "victims:\n  query:\n    filters_not: {status: withdrawn}\n"
        "    first_seen: {column: reported}\n    entities:\n      person:\n"
        "        schema: Person\n        keys: [nr]\n        sharing: B2|no-onward\n"
        "        properties:\n          name: {column: name}\n",
    )
    csv_path = write(
        tmp_path / "v.csv",
        "nr,name,reported,status\n1,Mai Tran,2024-03-01,open\n2,Kim Le,2024-04-01,withdrawn\n",
    )
    report = import_file(store, viewers["A1"], csv_path, mapping=mapping)
    assert report.committed and report.entities_imported == 1
    (person,) = store.entities(viewers["A1"], schema="Person")
    (name,) = person.properties["name"]
    assert name.value == "Mai Tran" and name.first_seen.isoformat().startswith("2024-03-01")
    assert store.entities(viewers["B2"], schema="Person")  # shared with B2 by the mapping


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("entities: {p: {schema: Alien, keys: [a]}}", "entities.p.schema: no schema named 'Alien'"),
        ("entities: {p: {schema: Thing, keys: [a]}}", "entities.p.schema: Thing is abstract"),
        ("entities: {p: {schema: Person}}", "entities.p.keys: give keys"),
        (
            "entities: {p: {schema: Person, keys: [a], id_column: a}}",
            "entities.p.keys: give keys",
        ),
        (
            "entities: {p: {schema: Person, keys: [a], properties: {shoeSize: {column: a}}}}",
            "entities.p.properties.shoeSize: Person has no property 'shoeSize'",
        ),
        (
            "entities: {p: {schema: Person, keys: [a], properties: {name: {colum: a}}}}",
            "entities.p.properties.name.colum: not a mapping key",
        ),
        (
            "entities: {p: {schema: Person, keys: [a], properties: {name: {}}}}",
            "entities.p.properties.name: needs a source",
        ),
        (
            "entities: {p: {schema: Passport, keys: [a], properties: {holder: {entity: q}}}}",
            "entities.p.properties.holder.entity: no entity named 'q'",
        ),
        (
            "entities: {p: {schema: Person, keys: [a], properties: {name: {entity: p}}}}",
            "entities.p.properties.name.entity: name is a name, not an entity",
        ),
        (
            "entities: {p: {schema: Person, keys: [a], properites: {}}}",
            "entities.p.properites: not a mapping key",
        ),
        (
            "{same_name: sometimes, entities: {p: {schema: Person, keys: [a]}}}",
            "same_name: 'sometimes' is not one of merge, keep",
        ),
        ("entities: {p: {schema: Person, keys: [a], sharing: {col: s}}}", "entities.p.sharing"),
        (
            "entities:\n  c: {schema: Address, keys: [a]}\n"
            "  p: {schema: Passport, keys: [b], properties: {holder: {entity: c}}}",
            "entities.p.properties.holder.entity: holder takes a LegalEntity, "
            "and entity 'c' is an Address",
        ),
        ("ds: {queries: []}", "ds: has no 'queries'"),
        ("entities: {}", "entities: a mapping needs at least one entity"),
        ("entities: [", "not valid YAML"),
    ],
)
def test_invalid_mappings_name_the_key_and_the_reason(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = write(tmp_path / "bad.yml", yaml_text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith("mapping bad.yml: ")
    assert message in str(caught.value)


def test_a_column_the_csv_lacks_is_named(store: Store, tmp_path: Path) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    mapping = write(tmp_path / "rows.yml", ROWS_MAPPING.format(mode="merge"))
    csv_path = write(tmp_path / "rows.csv", "row,name,born,passport\n1,Jean David,,\n")
    with pytest.raises(MappingError, match="names column 'country', which the CSV header"):
        import_file(store, viewers["A1"], csv_path, mapping=mapping)
    assert store.count_statements() == 0


def test_a_value_ftm_cannot_clean_is_a_bad_row_not_a_lost_value(
    store: Store, tmp_path: Path
) -> None:
    viewers = setup_agencies(store, {"A1": ()})
    mapping = write(tmp_path / "rows.yml", ROWS_MAPPING.format(mode="merge"))
    csv_path = write(tmp_path / "rows.csv", "row,name,born,country,passport\n1,A B,,Atlantis,\n")
    report = import_file(store, viewers["A1"], csv_path, mapping=mapping, mode=ImportMode.SKIP_BAD)
    assert [str(e) for e in report.errors] == [
        "rows.csv:2: nationality: 'Atlantis' is not a valid country"
    ]


def test_cli_reports_merges_and_takes_the_option(
    backend_url: str,
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from palermo.cli.main import main

    setup_agencies(store, {"A1": ()})
    csv_path = write(tmp_path / "rows.csv", ROWS)
    mapping = write(tmp_path / "rows.yml", ROWS_MAPPING.format(mode="merge"))

    def palermo(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["palermo", "--db", backend_url, *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out + out.err

    base = ("import", str(csv_path), "--mapping", str(mapping), "--as", "analyst-a1")
    code, out = palermo(*base, "--same-names", "sometimes")
    assert code != 0 and "--same-names: 'sometimes' is not one of merge, keep, split" in out
    code, out = palermo(*base)
    assert code == 0, out
    assert "same name, merged: Jean David (line 3 into line 2)" in out
    assert "6 rows read, 5 entities" in out
    code, out = palermo(*base, "--same-names", "split", "--json")
    assert code == 0, out
    result = json.loads(out[out.index("{") :])
    assert [m["lines"] for m in result["split"]] == [[2, 3], [2, 7]] and result["merged"] == []
