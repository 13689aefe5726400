"""Screening on OpenSanctions' UN benchmark (real list, yente's treatments and negatives):
the documented thresholds keep their measured quality (ADR 0010, bench/screening_real.py).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

import pytest
from followthemoney import registry

from palermo.datasets.paths import shared_data_dir
from palermo.match.manifest import MANIFEST_THRESHOLD, passenger
from palermo.match.person import PersonRecord
from palermo.match.screening import SCREENING_THRESHOLD, ScreeningIndex, build_index

DATA = shared_data_dir() / "yente-un-bench"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="shared data not present")
SEX = {"male": "M", "female": "F", "other": "X"}


def rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def watch_list() -> ScreeningIndex:
    entities = []
    for row in rows("un_watchlist.csv"):
        props = {"name": [row["full_name"]]}
        if row["date_of_birth"]:
            props["birthDate"] = [row["date_of_birth"]]
        if row["nationality"]:
            props["nationality"] = [row["nationality"]]
        entities.append({"id": row["list_id"], "schema": "Person", "properties": props})
    return build_index(entities)


def query(row: dict[str, str]) -> PersonRecord:
    fields = {
        "name": row["full_name"],
        "birth_date": row["date_of_birth"],
        "nationality": registry.country.clean(row["nationality"]) or "",
        "sex": SEX.get(row["gender"], ""),
    }
    try:
        return passenger(fields, 0)
    except ValueError:  # three impossible shifted dates (1974-01-32): screened without
        return passenger({**fields, "birth_date": ""}, 0)


@pytest.fixture(scope="module")
def tops() -> list[tuple[str, str, str, float]]:
    """(query set, expected id, top candidate id, its score) per query."""
    index = watch_list()
    out = []
    for row in rows("queries.csv"):
        found = index.screen(query(row), limit=1, threshold=0.0)
        top = (found[0].person.id, found[0].score.value) if found else ("", 0.0)
        out.append((row["query_set"], row["expected_list_id"], *top))
    return out


@pytest.mark.parametrize("threshold", [SCREENING_THRESHOLD, MANIFEST_THRESHOLD])
def test_recall_and_false_positive_rate_at_the_documented_thresholds(
    tops: list[tuple[str, str, str, float]], threshold: float
) -> None:
    positives = [(e, c, s) for _, e, c, s in tops if e]
    negatives = [s for _, e, _, s in tops if not e]
    assert len(positives) == 683 and len(negatives) == 2000
    recall = sum(c == e and s >= threshold for e, c, s in positives) / len(positives)
    false_hits = sum(s >= threshold for s in negatives)
    assert recall >= 0.97, recall
    assert false_hits / len(negatives) <= 0.001, false_hits
