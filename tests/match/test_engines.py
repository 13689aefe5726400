"""The same model on Spark as on DuckDB: Spark changes where pairs are scored, not scores."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from palermo.match.engines import Spark, spark_session
from palermo.match.xref import XrefRecord, resolve

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime"),
]

RECORDS = [
    XrefRecord("ua-1", "DE-BKA", ("Олександр Коваленко",), "1990-03-04", "UA", "male", "FA123456"),
    XrefRecord(
        "ua-2", "NL-KMAR", ("Oleksandr Kovalenko",), "1990-04-03", "UA", "male", None, "12 Main St"
    ),
    XrefRecord("ua-3", "PL-SG", ("Aleksandr Kowalenko",), None, "UA", "male", "FA123456"),
    XrefRecord(
        "th-1", "TH-RTP", ("สมชาย ใจดี",), "1985-01-02", "TH", "male", phone="+66 81 234 5678"
    ),
    XrefRecord(
        "th-2", "MY-IMM", ("Somchai Jaidee",), "1985-01-02", "TH", "male", phone="0812345678"
    ),
    XrefRecord("sy-1", "DE-BKA", ("محمد الحسن",), "1979-07-01", "SY", "male"),
    XrefRecord("sy-2", "NL-KMAR", ("Mohammed Al Hassan",), "1979-01-07", "SY", "male"),
    XrefRecord("de-1", "DE-BKA", ("Anna Berg",), "1970-05-05", "DE", "female"),
    XrefRecord("de-2", "NL-KMAR", ("Anna Bergmann",), "1981-11-30", "DE", "female"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[1]", "1g")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_scores_and_clusters_as_duckdb(spark: Any) -> None:
    on_duckdb = resolve(RECORDS)
    on_spark = resolve(RECORDS, engine=Spark(spark))
    duck = {(lk.left, lk.right): lk.probability for lk in on_duckdb.links}
    sparked = {(lk.left, lk.right): lk.probability for lk in on_spark.links}
    assert sparked.keys() == duck.keys()
    for pair, probability in duck.items():
        assert sparked[pair] == pytest.approx(probability, abs=1e-9), pair
    assert on_spark.clusters == on_duckdb.clusters
    # and the clusters are the right ones: scripts, swapped dates and phones bridged
    assert ["ua-1", "ua-2", "ua-3"] in on_spark.clusters
    assert ["th-1", "th-2"] in on_spark.clusters
    assert ("sy-1", "sy-2") in sparked  # a candidate across scripts, under 0.9 on priors
    assert ["de-1"] in on_spark.clusters and ["de-2"] in on_spark.clusters


@pytest.mark.parametrize("case", ["ten identical records", "no dates", "all names equal"])
def test_spark_trains_on_degenerate_inputs_without_crashing(
    spark: Any, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import palermo.match.xref as xref
    from tests.match.test_xref_training import CASES

    monkeypatch.setattr(xref, "TRAIN_MIN", 2)  # EM, u sampling and prior on tiny data
    records, expected = CASES[case]
    assert sorted(resolve(records, engine=Spark(spark)).clusters) == sorted(expected)
