"""Cross-referencing: resolve person records from all agencies into identities.

The model is Splink's Fellegi-Sunter with EM-estimated weights on DuckDB (Spark for scale
out: the same settings run on `splink.backends.spark.SparkAPI`). palermo adds what plain
Splink cannot see across scripts: every name is transliterated and folded
(`match.names`) before Splink compares it, blocking uses phonetic keys of the folded name
parts, and birth dates compare with a level for swapped day and month.

Analysts' judgements (confirm / reject / unsure) are kept as `MatchJudgement` statements
and applied on every run: confirmed pairs are linked whatever the model says, rejected
pairs are never put in one identity.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from palermo.match.mrz import normalise_document_number
from palermo.match.names import fold, keys, name_similarity, skeleton, tokens

log = logging.getLogger(__name__)
CONFIRM, REJECT, UNSURE = "confirm", "reject", "unsure"


@dataclass(frozen=True)
class XrefRecord:
    id: str
    agency: str
    names: tuple[str, ...]
    birth_date: str | None = None
    nationality: str | None = None
    sex: str | None = None
    document: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Link:
    left: str
    right: str
    probability: float
    weights: dict[str, float] = field(default_factory=dict)  # match weight per comparison
    judged: str | None = None


@dataclass
class Resolution:
    links: list[Link]
    clusters: list[list[str]]

    def identity_of(self) -> dict[str, str]:
        out = {}
        for members in self.clusters:
            rid = "rid-" + hashlib.sha1("|".join(sorted(members)).encode()).hexdigest()[:16]
            for member in members:
                out[member] = rid
        return out


def features(record: XrefRecord) -> dict[str, Any]:
    """One row for Splink: folded name parts, skeleton, phonetic blocking keys."""
    parts = sorted({fold(t) for name in record.names for t in tokens(name)})
    first = min(parts, key=len) if parts else None
    return {
        "unique_id": record.id,
        "agency": record.agency,
        "names": "|".join(record.names) or None,
        "name_fold": " ".join(parts) or None,
        "name_skel": " ".join(sorted({skeleton(t) for t in parts if skeleton(t)})) or None,
        "name_key1": parts[0][:4] if parts else None,
        "name_key2": parts[-1][:4] if parts else None,
        "name_short": first,
        "name_phon": min(
            sorted(k for n in record.names for k in keys(n) if k.startswith("m:")), default=None
        ),
        "dob": record.birth_date if record.birth_date and len(record.birth_date) == 10 else None,
        "dob_year": record.birth_date[:4] if record.birth_date else None,
        "nationality": record.nationality,
        "sex": record.sex,
        "document": normalise_document_number(record.document) if record.document else None,
        "address": " ".join(sorted(fold(t) for t in (record.address or "").lower().split()))
        or None,
    }


def _null(column: str) -> dict[str, Any]:
    """The level for pairs where either side lacks the value: it neither helps nor hurts."""
    return {
        "sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
        "label_for_charts": "null",
        "is_null_level": True,
    }


def _level(sql: str, label: str, m: float, u: float) -> dict[str, Any]:
    """A comparison level with prior m and u probabilities (EM refines them)."""
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u}


def settings(link_type: Any = "dedupe_only") -> Any:
    """Splink settings: palermo's name similarity, dates with a swapped-day level, exact
    document, nationality and sex; priors for every level so small runs still score."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    sim = 'palermo_name_sim("names_l", "names_r")'
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            _null("names"),
            _level(f"{sim} >= 0.97", "same name (any script)", 0.7, 0.001),
            _level(f"{sim} >= 0.9", "very similar", 0.15, 0.003),
            _level(f"{sim} >= 0.8", "similar", 0.08, 0.02),
            _level(f"{sim} >= 0.65", "somewhat similar", 0.04, 0.08),
            _level("ELSE", "else", 0.03, 0.896),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            _null("dob"),
            _level('"dob_l" = "dob_r"', "exact", 0.7, 0.0003),
            _level(
                'substr("dob_l", 1, 4) = substr("dob_r", 1, 4) AND '
                'substr("dob_l", 6, 2) = substr("dob_r", 9, 2) AND '
                'substr("dob_l", 9, 2) = substr("dob_r", 6, 2)',
                "day/month swapped",
                0.08,
                0.0001,
            ),
            _level(
                'substr("dob_l", 6, 5) = substr("dob_r", 6, 5)', "same day and month", 0.05, 0.003
            ),
            _level('levenshtein("dob_l", "dob_r") <= 1', "1 edit", 0.07, 0.01),
            _level("ELSE", "else", 0.1, 0.9866),
        ],
    )
    return SettingsCreator(
        link_type=link_type,
        comparisons=[
            name,
            dob,
            cl.CustomComparison(
                output_column_name="document",
                comparison_levels=[
                    _null("document"),
                    _level('"document_l" = "document_r"', "exact", 0.6, 0.00001),
                    _level(
                        'damerau_levenshtein("document_l", "document_r") <= 1',
                        "one misread character",
                        0.2,
                        0.0005,
                    ),
                    _level("ELSE", "else", 0.2, 0.99949),
                ],
            ),
            cl.CustomComparison(
                output_column_name="address",
                comparison_levels=[
                    _null("address"),
                    _level('"address_l" = "address_r"', "exact", 0.6, 0.001),
                    _level(
                        'jaro_winkler_similarity("address_l", "address_r") >= 0.9',
                        "similar",
                        0.2,
                        0.01,
                    ),
                    _level("ELSE", "else", 0.2, 0.989),
                ],
            ),
            cl.ExactMatch("nationality").configure(
                m_probabilities=[0.9, 0.1], u_probabilities=[0.2, 0.8]
            ),
            cl.ExactMatch("sex").configure(
                m_probabilities=[0.95, 0.05], u_probabilities=[0.5, 0.5]
            ),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_key1", "dob_year"),
            block_on("name_key2", "dob_year"),
            block_on("name_key1", "name_key2"),
            block_on("document"),
            block_on("dob"),
            block_on("name_skel"),
            block_on("name_phon", "dob_year"),
            block_on("name_phon", "nationality"),
        ],
        probability_two_random_records_match=0.0001,
        retain_intermediate_calculation_columns=True,
    )


@lru_cache(maxsize=1_000_000)
def best_name_similarity(left: str | None, right: str | None) -> float:
    """palermo's cross-script name similarity, best over every name of either record."""
    if not left or not right:
        return 0.0
    return max(name_similarity(a, b) for a in left.split("|") for b in right.split("|"))


def register_udfs(con: Any) -> None:
    """Make palermo's name similarity callable from Splink's SQL on DuckDB."""
    con.create_function(
        "palermo_name_sim",
        best_name_similarity,
        ["VARCHAR", "VARCHAR"],
        "DOUBLE",
        null_handling="special",
    )


TRAIN_MIN = 1000  # below this many records EM has too little to learn from: use the priors


def predict(
    rows: Sequence[Mapping[str, Any]], threshold: float = 0.5, link_type: Any = "dedupe_only"
) -> list[Link]:
    """Train (u by sampling, m by EM) and score candidate pairs with Splink on DuckDB."""
    import pyarrow as pa
    from splink import Linker, block_on
    from splink.backends.duckdb import DuckDBAPI

    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)
    table = pa.Table.from_pylist([dict(r) for r in rows])
    db_api = DuckDBAPI()
    register_udfs(db_api._con)
    linker = Linker(db_api.register(table), settings(link_type), log_level="ERROR")
    if len(rows) >= TRAIN_MIN:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name_fold", "dob"), block_on("document")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=3e5)
        for rule in (block_on("dob"), block_on("name_key1", "name_key2")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
    frame = linker.inference.predict(threshold_match_probability=threshold)
    links = []
    for row in frame.as_record_list():
        weights = {k[3:]: float(v) for k, v in row.items() if k.startswith("mw_") and v is not None}
        links.append(
            Link(
                str(row["unique_id_l"]),
                str(row["unique_id_r"]),
                float(row["match_probability"]),
                weights,
            )
        )
    return links


def cluster(
    ids: Iterable[str],
    links: Iterable[Link],
    threshold: float,
    judgements: Mapping[tuple[str, str], str],
) -> list[list[str]]:
    """Greedy union of links by probability; confirmed pairs first; never join a
    rejected pair into one identity."""
    parent = {i: i for i in ids}
    members = {i: {i} for i in parent}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    rejected = {pair for pair, j in judgements.items() if j == REJECT}

    def conflict(a: set[str], b: set[str]) -> bool:
        return any((x, y) in rejected or (y, x) in rejected for x in a for y in b)

    confirmed = [
        Link(a, b, 1.0, judged=CONFIRM)
        for (a, b), j in judgements.items()
        if j == CONFIRM and a in parent and b in parent
    ]
    ordered = confirmed + sorted(
        (lk for lk in links if lk.probability >= threshold), key=lambda lk: -lk.probability
    )
    for link in ordered:
        ra, rb = root(link.left), root(link.right)
        if ra == rb or conflict(members[ra], members[rb]):
            continue
        parent[rb] = ra
        members[ra] |= members.pop(rb)
    return sorted(sorted(m) for m in members.values())


def resolve(
    records: Sequence[XrefRecord],
    judgements: Mapping[tuple[str, str], str] | None = None,
    threshold: float = 0.9,
) -> Resolution:
    judgements = dict(judgements or {})
    rows = [features(r) for r in records]
    links = predict(rows, threshold=min(threshold, 0.5)) if len(rows) > 1 else []
    for i, link in enumerate(links):
        j = judgements.get((link.left, link.right)) or judgements.get((link.right, link.left))
        if j:
            links[i] = Link(link.left, link.right, link.probability, link.weights, j)
    clusters = cluster([r.id for r in records], links, threshold, judgements)
    return Resolution(links, clusters)
