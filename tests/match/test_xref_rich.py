"""Cross-referencing with everything an FtM Person holds (issue 22): name parts, birth
place, occupation, every identifier; term-frequency adjustments from the records resolved."""

from __future__ import annotations

import pytest

import palermo.match.xref as xref
from palermo.match.resolution import COMPARED
from palermo.match.xref import (
    Identifier,
    XrefRecord,
    features,
    from_ftm,
    predict,
    resolve,
)
from palermo.match.xref_model import XrefModel
from palermo.store.visibility import MASK

RICH = {
    "name": ["Ahmad Khalil Haddad"],
    "alias": ["أحمد خليل حداد"],
    "firstName": ["Ahmad"],
    "middleName": ["Khalil"],
    "fatherName": ["Khalil"],
    "lastName": ["Haddad"],
    "birthDate": ["1985-04-12"],
    "birthPlace": ["Aleppo"],
    "nationality": ["SY"],
    "citizenship": ["tr"],
    "gender": ["male"],
    "passportNumber": ["N 0123 4567"],
    "idNumber": ["03010123456"],
    "taxNumber": ["TR-998877"],
    "phone": ["+49 151 2345 6789"],
    "email": ["A.Haddad@example.org"],
    "address": ["Hauptstr. 5, Hamburg", "Bahnhofstr. 1, Kiel"],
    "position": ["Driver"],
}


def test_from_ftm_reads_every_field_that_bears_on_identity() -> None:
    record = from_ftm("p1", "DE-BKA", lambda p: RICH.get(p, []))
    assert record.names == ("Ahmad Khalil Haddad", "أحمد خليل حداد")
    assert record.first_names == ("Ahmad",)
    assert record.middle_names == ("Khalil",)
    assert record.father_names == ("Khalil",)
    assert record.last_names == ("Haddad",)
    assert record.birth_place == "Aleppo"
    assert record.nationalities == ("sy", "tr")
    assert record.addresses == ("Hauptstr. 5, Hamburg", "Bahnhofstr. 1, Kiel")
    assert record.occupations == ("Driver",)
    assert {(i.kind, i.value) for i in record.identifiers} == {
        ("passport", "N 0123 4567"),
        ("id", "03010123456"),
        ("tax", "TR-998877"),
        ("phone", "+49 151 2345 6789"),
        ("email", "A.Haddad@example.org"),
    }
    # two nationalities: which country issued the passport is not said
    assert all(i.country is None for i in record.identifiers)
    row = features(record)
    assert row["given"] == "ahmad" and row["family"] == "hadad"
    assert row["birth_place"] == "alepo" and row["occupation"] == "driver"
    assert row["documents"] == "03010123456|N01234567|TR998877"
    assert row["contacts"] == "e:a.haddad@example.org"
    assert row["phones"] == "123456789"
    assert row["addresses"] is not None and row["addresses"].count("|") == 1


def test_one_nationality_is_the_documents_country() -> None:
    props = {"name": ["Ana Pop"], "nationality": ["RO"], "idNumber": ["RX123456"]}
    record = from_ftm("p", "X", lambda p: props.get(p, []))
    assert record.identifiers == (Identifier("id", "RX123456", "ro"),)


def test_masked_values_are_missing() -> None:
    masked = {k: [MASK] * len(v) for k, v in RICH.items() if k != "name"}
    masked["name"] = RICH["name"]
    record = from_ftm("p1", "NGO", lambda p: masked.get(p, []), hidden=(MASK,))
    assert record.names == ("Ahmad Khalil Haddad",)
    assert record.first_names == record.last_names == record.father_names == ()
    assert record.birth_place is None and record.occupations == () and record.addresses == ()
    assert record.identifiers == () and record.nationalities == ()
    row = features(record)
    assert all(
        row[c] is None
        for c in (
            "given",
            "family",
            "birth_place",
            "occupation",
            "documents",
            "contacts",
            "addresses",
            "phones",
        )
    )


def test_parts_alone_make_a_name() -> None:
    props = {"firstName": ["Olena"], "lastName": ["Kovalenko"], "fatherName": ["Ivanivna"]}
    record = from_ftm("p", "X", lambda p: props.get(p, []))
    assert record.names == ("Olena Ivanivna Kovalenko",)


def test_the_resolver_reads_and_masks_every_rich_property() -> None:
    # `_sensitive` (no message for hits resting on victim-sensitive values) looks at these
    for prop in (
        "firstName",
        "lastName",
        "fatherName",
        "birthPlace",
        "taxNumber",
        "email",
        "position",
        "citizenship",
    ):
        assert prop in COMPARED


# Thirty women named Smith make "Smith" common; "Quistorp" is held by two records only.
GIVEN = [
    "Olga",
    "Irina",
    "Natalia",
    "Elena",
    "Svetlana",
    "Tatiana",
    "Galina",
    "Lyudmila",
    "Vera",
    "Nina",
    "Zoya",
    "Inna",
    "Larisa",
    "Oksana",
    "Yulia",
    "Daria",
    "Polina",
    "Sofia",
    "Alina",
    "Kira",
    "Lidia",
    "Raisa",
    "Valentina",
    "Marina",
    "Ksenia",
    "Viktoria",
    "Anastasia",
    "Ekaterina",
    "Alla",
    "Rimma",
]


def namesakes() -> list[XrefRecord]:
    records = [
        XrefRecord(
            f"s{i}",
            "X",
            (f"{g} Smith",),
            f"19{40 + i}-0{1 + i % 9}-1{i % 9}",
            first_names=(g,),
            last_names=("Smith",),
        )
        for i, g in enumerate(GIVEN)
    ]
    for key, family in (("c", "Smith"), ("r", "Quistorp")):
        records += [
            XrefRecord(
                f"{key}1",
                "X",
                (f"Anna {family}",),
                "1980-01-01",
                first_names=("Anna",),
                last_names=(family,),
            ),
            XrefRecord(
                f"{key}2",
                "Y",
                (f"Maria {family}",),
                "1980-01-01",
                first_names=("Maria",),
                last_names=(family,),
            ),
        ]
    return records


def pair_scores(model: XrefModel) -> dict[str, tuple[float, dict[str, float]]]:
    links = predict([features(r) for r in namesakes()], threshold=0.0, model=model)
    out = {}
    for link in links:
        for key in ("c", "r"):
            if {link.left, link.right} == {f"{key}1", f"{key}2"}:
                out[key] = (link.probability, link.weights)
    assert out.keys() == {"c", "r"}
    return out


def test_a_shared_rare_surname_counts_more_than_a_common_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xref, "TF_MIN_RECORDS", 2)  # term frequencies on a small set
    scores = pair_scores(XrefModel())
    (common, common_w), (rare, rare_w) = scores["c"], scores["r"]
    assert rare > common
    # the difference is the adjustment, by the ratio of the two frequencies (32 vs 2)
    assert rare_w["tf_adj_name"] - common_w["tf_adj_name"] == pytest.approx(4.0, abs=1e-6)
    assert rare_w["name"] == common_w["name"] and rare_w["dob"] == common_w["dob"]
    # without term frequencies the two pairs are alike
    flat = pair_scores(XrefModel(term_frequencies=()))
    assert flat["c"][0] == pytest.approx(flat["r"][0], abs=1e-12)


def test_small_sets_keep_the_priors_instead_of_their_own_frequencies() -> None:
    scores = pair_scores(XrefModel())  # 34 records: below TF_MIN_RECORDS
    assert scores["c"][0] == pytest.approx(scores["r"][0], abs=1e-12)


def test_birth_place_and_occupation_tell_namesakes_apart() -> None:
    # no birth date: name, nationality and sex alone leave a namesake possible
    def pair(place: str, job: str) -> list[XrefRecord]:
        return [
            XrefRecord(
                "a",
                "X",
                ("Ivan Petrov",),
                None,
                "ua",
                "male",
                birth_place="Odesa",
                occupations=("driver",),
            ),
            XrefRecord(
                "b",
                "Y",
                ("ИВАН ПЕТРОВ",),
                None,
                "ua",
                "male",
                birth_place=place,
                occupations=(job,),
            ),
        ]

    def probability(records: list[XrefRecord]) -> float:
        links = resolve(records, threshold=0.0).links
        return next(lk.probability for lk in links if {lk.left, lk.right} == {"a", "b"})

    same = probability(pair("ODESSA", "Driver"))
    other = probability(pair("Lviv", "nurse"))
    assert same > 0.9 > other
    # and the explanation says why
    links = resolve(pair("Lviv", "nurse"), threshold=0.0).links
    assert links[0].weights["birth_place"] < 0 and links[0].weights["occupation"] < 0


def test_any_shared_identifier_of_each_kind_compares_and_decides() -> None:
    records = [
        XrefRecord(
            "a",
            "X",
            ("Chinedu Eze",),
            identifiers=(Identifier("tax", "NG-4455667"),),
            documents=("NG-4455667",),
            emails=("c.eze@example.org",),
        ),
        XrefRecord("b", "Y", ("EZE CHINEDU",), documents=("A1111111", "NG4455667")),
        XrefRecord("c", "Z", ("Chinedu Eze",), emails=("C.Eze@example.org",)),
        XrefRecord("d", "Z", ("Chinedu Eze",), documents=("NG4455668",)),
    ]
    rows = {r.id: features(r) for r in records}
    assert xref.document_similarity(rows["a"]["documents"], rows["b"]["documents"]) == 1.0
    assert xref.document_similarity(rows["a"]["documents"], rows["d"]["documents"]) == 0.5
    assert xref.shared_value(rows["a"]["contacts"], rows["c"]["contacts"]) == 1.0
    result = resolve(records)
    assert ["a", "b", "c"] in result.clusters or ["a", "b", "c", "d"] in result.clusters
    decided = {frozenset((lk.left, lk.right)) for lk in result.links if lk.strong}
    assert frozenset(("a", "b")) in decided and frozenset(("a", "c")) in decided
