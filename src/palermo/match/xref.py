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
import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from palermo.match.engines import DuckDB, Engine
from palermo.match.mrz import normalise_document_number
from palermo.match.names import (
    best_part_similarity,
    fold,
    keys,
    name_forms,
    parts_similarity,
    skeleton,
)

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
    phone: str | None = None


def from_ftm(
    record_id: str,
    agency: str,
    values: Callable[[str], Iterable[str]],
    hidden: Collection[str] = (),
) -> XrefRecord:
    """The resolver's view of a FollowTheMoney Person: `values(prop)` gives a property's
    values; those in `hidden` (the store's mask for fields the viewer may not read) are
    as good as missing."""

    def all_of(*props: str) -> list[str]:
        return [v for p in props for v in values(p) if v and v not in hidden]

    def first(*props: str) -> str | None:
        return next(iter(all_of(*props)), None)

    return XrefRecord(
        record_id,
        agency,
        tuple(all_of("name", "alias")),
        first("birthDate"),
        first("nationality"),
        first("gender"),
        first("passportNumber", "idNumber"),
        first("address", "addressFull"),
        first("phone"),
    )


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
    """One row for Splink: names transliterated once into parts, keys for blocking."""
    forms = [name_forms(name) for name in record.names]
    split = [each[0] for each in forms]
    # Other spellings of a name (Thai: the RTGS rules' and passport habits') compare and
    # block after every record name's first form.
    spellings = split + [other for each in forms for other in each[1:]]
    parts = sorted({fold(t) for name in split for t in name})
    dob = record.birth_date if record.birth_date and len(record.birth_date) == 10 else None
    return {
        "unique_id": record.id,
        "agency": record.agency,
        "name_parts": "|".join(" ".join(name) for name in spellings if name) or None,
        "name_fold": " ".join(parts) or None,
        **_each_name(spellings),
        "name_skel": " ".join(sorted({skeleton(t) for t in parts if skeleton(t)})) or None,
        "name_key1": parts[0][:4] if parts else None,
        "name_key2": parts[-1][:4] if parts else None,
        "name_phon": min(
            sorted(k for n in record.names for k in keys(n) if k.startswith("m:")), default=None
        ),
        "dob": dob,
        "dob_swap": f"{dob[:4]}-{dob[8:10]}-{dob[5:7]}" if dob else None,
        "dob_md": dob[5:] if dob else None,
        "dob_year": record.birth_date[:4] if record.birth_date else None,
        "nationality": record.nationality,
        "sex": record.sex,
        "document": normalise_document_number(record.document) if record.document else None,
        "address": " ".join(sorted(fold(t) for t in (record.address or "").lower().split()))
        or None,
        "phone": phone_key(record.phone),
    }


def _each_name(split: Sequence[Sequence[str]]) -> dict[str, str | None]:
    """The first two names of a record, each folded on its own: a record that holds
    "Srisuk Pairoj" and the Thai script's "Phairo Srisuk" must still block with a
    record of plain "Pairoj Srisuk", which `name_fold` (all names together) does not."""
    each = list(dict.fromkeys(" ".join(sorted({fold(t) for t in name})) for name in split if name))
    return {f"name_each_{i}": each[i] if len(each) > i else None for i in range(EACH_NAMES)}


EACH_NAMES = 2
PHONE_DIGITS = 9  # the subscriber part: +234 803..., 0803... and 803... agree


def phone_key(phone: str | None) -> str | None:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return digits[-PHONE_DIGITS:] if len(digits) >= 6 else None


def _null(column: str) -> dict[str, Any]:
    """The level for pairs where either side lacks the value: it neither helps nor hurts."""
    return {
        "sql_condition": f"{column}_l IS NULL OR {column}_r IS NULL",
        "label_for_charts": "null",
        "is_null_level": True,
    }


def _level(sql: str, label: str, m: float, u: float) -> dict[str, Any]:
    """A comparison level with prior m and u probabilities (EM refines them)."""
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u}


# Candidate pairs come from two kinds of rule. Tight rules join on something close to the
# person (a document, a name key with a full birth date, a full name with part of the date)
# and stay small at any size. Broad rules catch typos in every field at once (a name key
# with only the year, the two name keys, a shared address...); each is applied only to
# keys shared by at most BROAD_BLOCK_MAX records, so a million records cannot turn a
# common name into a quadratic join while a small set still gets every broad candidate.
TIGHT = (
    ("document",),
    ("phone",),
    ("name_key1", "dob"),
    ("name_key2", "dob"),
    ("name_phon", "dob"),
    ("name_fold", "dob_md"),
    ("name_skel", "dob_year"),
)
# One name of either record the same as one of the other's, with the birth year or
# without a date on one side: every pairing of the two per-name columns.
EACH_NAME_SQL = tuple(
    f"l.name_each_{i} = r.name_each_{j} AND {when}"
    for i in range(EACH_NAMES)
    for j in range(EACH_NAMES)
    for when in ("l.dob_year = r.dob_year", "(l.dob IS NULL OR r.dob IS NULL)")
)
TIGHT_SQL = (
    "l.name_key1 = r.name_key1 AND l.dob = r.dob_swap",
    *EACH_NAME_SQL,
    "l.name_skel = r.name_skel AND (l.dob IS NULL OR r.dob IS NULL)",
)
BROAD = (
    ("name_key1", "dob_year"),
    ("name_key2", "dob_year"),
    ("name_key1", "name_key2"),
    ("name_phon", "nationality"),
    ("name_skel",),
    ("dob",),
    ("address",),
    ("name_key1",),
    ("name_key2",),
)
BROAD_BLOCK_MAX = 50
BROAD_PAIRS_PER_RECORD = 5


def broad_keys(
    rows: Sequence[dict[str, Any]],
    limit: int = BROAD_BLOCK_MAX,
    per_record: float = BROAD_PAIRS_PER_RECORD,
) -> None:
    """Add one column per broad rule to each row: the rule's key, or None where the key is
    too common. A key is kept if at most `limit` records share it and, rarest keys first,
    while the rule's pairs stay within `per_record` times the number of records; the
    pairs it leaves out are those the tight rules are there for."""
    for i, cols in enumerate(BROAD):
        column = f"broad{i}"
        values = [
            "\x1f".join(str(r[c]) for c in cols) if all(r.get(c) for c in cols) else None
            for r in rows
        ]
        counts = Counter(v for v in values if v is not None)
        kept, pairs = set(), 0
        for key, n in sorted(counts.items(), key=lambda kv: kv[1]):
            if n < 2:
                continue
            if n > limit or pairs + n * (n - 1) // 2 > per_record * len(rows):
                break
            kept.add(key)
            pairs += n * (n - 1) // 2
        for row, value in zip(rows, values, strict=True):
            row[column] = value if value in kept else None


def blocking_rules() -> list[Any]:
    from splink import block_on

    tight = [block_on(*cols) for cols in TIGHT] + list(TIGHT_SQL)
    return tight + [block_on(f"broad{i}") for i in range(len(BROAD))]


def _name_comparison() -> Any:
    import splink.comparison_library as cl

    sim = "palermo_name_sim(name_parts_l, name_parts_r)"
    part = "palermo_name_part(name_parts_l, name_parts_r)"
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            _null("name_parts"),
            _level(f"{sim} >= 0.97", "same name (any script)", 0.7, 0.001),
            _level(f"{sim} >= 0.9", "very similar", 0.15, 0.003),
            _level(f"{sim} >= 0.8", "similar", 0.08, 0.02),
            _level(f"{sim} >= 0.65", "somewhat similar", 0.04, 0.08),
            _level(f"{part} >= 0.97", "one part the same", 0.02, 0.05),
            _level("ELSE", "else", 0.01, 0.846),
        ],
    )


def _dob_comparison() -> Any:
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            _null("dob"),
            _level("dob_l = dob_r", "exact", 0.7, 0.0003),
            _level("dob_l = dob_swap_r", "day/month swapped", 0.08, 0.0001),
            _level("dob_md_l = dob_md_r", "same day and month", 0.05, 0.003),
            _level("levenshtein(dob_l, dob_r) <= 1", "1 edit", 0.07, 0.01),
            _level("ELSE", "else", 0.1, 0.9866),
        ],
    )


def _document_comparison() -> Any:
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="document",
        comparison_levels=[
            _null("document"),
            _level("document_l = document_r", "exact", 0.6, 0.00001),
            _level(
                "damerau_levenshtein(document_l, document_r) <= 1",
                "one misread character",
                0.2,
                0.0005,
            ),
            _level("ELSE", "else", 0.2, 0.99949),
        ],
    )


def _address_comparison() -> Any:
    import splink.comparison_library as cl

    sim = "palermo_address_sim(address_l, address_r)"
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            _null("address"),
            _level("address_l = address_r", "exact", 0.5, 0.001),
            _level(f"{sim} >= 0.9", "very similar", 0.2, 0.005),
            _level(f"{sim} >= 0.7", "similar", 0.1, 0.02),
            _level("ELSE", "else", 0.2, 0.974),
        ],
    )


FIXED_M = {"fix_m_probability": True}


def _phone_comparison() -> Any:
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[
            _null("phone"),
            # m is fixed: people (traffickers above all) change numbers, but records
            # of one person made weeks apart often agree on it, and EM then learns that
            # matches never differ in it (m underflows to 0 and Splink refuses it).
            {**_level("phone_l = phone_r", "same number", 0.6, 0.0001), **FIXED_M},
            {**_level("ELSE", "else", 0.4, 0.9999), **FIXED_M},
        ],
    )


def settings(link_type: Any = "dedupe_only") -> Any:
    """Splink settings: palermo's name similarity, dates with a swapped-day level, exact
    document, nationality and sex; priors for every level so small runs still score."""
    import splink.comparison_library as cl
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,
        comparisons=[
            _name_comparison(),
            _dob_comparison(),
            _document_comparison(),
            _address_comparison(),
            _phone_comparison(),
            cl.ExactMatch("nationality").configure(
                m_probabilities=[0.9, 0.1], u_probabilities=[0.2, 0.8]
            ),
            cl.ExactMatch("sex").configure(
                m_probabilities=[0.95, 0.05], u_probabilities=[0.5, 0.5]
            ),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=0.0001,
        retain_intermediate_calculation_columns=True,
    )


def _split(value: str | None) -> list[tuple[str, ...]]:
    return [tuple(name.split()) for name in value.split("|")] if value else []


@lru_cache(maxsize=2_000_000)
def best_name_similarity(left: str | None, right: str | None) -> float:
    """palermo's cross-script name similarity, best over every name of either record
    (arguments are `features()["name_parts"]`: names already transliterated into parts)."""
    pairs = [(a, b) for a in _split(left) for b in _split(right)]
    return max((parts_similarity(a, b) for a, b in pairs), default=0.0)


@lru_cache(maxsize=2_000_000)
def best_single_part(left: str | None, right: str | None) -> float:
    """The best agreement of one name part of either record with one of the other's."""
    a = {t for name in _split(left) for t in name}
    b = {t for name in _split(right) for t in name}
    return best_part_similarity(sorted(a), sorted(b))


@lru_cache(maxsize=1_000_000)
def address_similarity(left: str | None, right: str | None) -> float:
    """Token-set similarity of two addresses (a missing suburb or street still agrees)."""
    if not left or not right:
        return 0.0
    shorter = min(left.count(" "), right.count(" ")) + 1
    sort = fuzz.token_sort_ratio(left, right)
    subset = fuzz.token_set_ratio(left, right) if shorter >= 3 else 0.0
    return max(sort, subset) / 100


UDFS = {
    "palermo_name_sim": best_name_similarity,
    "palermo_name_part": best_single_part,
    "palermo_address_sim": address_similarity,
}


TRAIN_MIN = 1000  # below this many records EM has too little to learn from: use the priors
TRAIN_MAX = 200_000  # above this, learn the weights on a sample; they do not depend on size


def _quiet() -> None:
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _linker(table: Any, model: Any, engine: Engine) -> Any:
    from splink import Linker

    api = engine.api(UDFS)
    return Linker(engine.register(api, table), model, log_level="ERROR")


def train(
    rows: Sequence[Mapping[str, Any]],
    link_type: Any = "dedupe_only",
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Learn the model: the prior match rate from deterministic rules, u by random
    sampling, m by EM on two blockings; on a sample when there are many records.
    Returns Splink's model as a dict (its JSON form)."""
    import pyarrow as pa
    from splink import block_on

    sample = [dict(r) for r in _sample(rows, TRAIN_MAX)]
    broad_keys(sample)
    table = pa.Table.from_pylist(sample)
    engine = engine or DuckDB()
    linker = _linker(table, settings(link_type), engine)
    if len(sample) >= TRAIN_MIN:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name_fold", "dob"), block_on("document")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS)
        for rule in em_blockings(sample):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
    model: dict[str, Any] = linker.misc.save_model_to_json()
    if len(sample) >= TRAIN_MIN and link_type == "dedupe_only":
        model = unmixed(model, table, len(sample), engine)
    if len(sample) < len(rows) and len(sample) > 1:
        # True pairs grow with n, all pairs with n squared: the prior shrinks accordingly.
        model["probability_two_random_records_match"] *= (len(sample) - 1) / (len(rows) - 1)
    return model


U_PAIRS = 300_000  # random pairs sampled for u (more cost time, not F1, in bench/match_scripts)
UNMIX_MAX_DROP = 0.1


def unmixed(model: dict[str, Any], table: Any, records: int, engine: Engine) -> dict[str, Any]:
    """Take the true matches out of the randomly sampled u probabilities.

    A random pair is a match with probability λ (the prior), so what random sampling
    measures for a level is λ·m + (1-λ)·u, not u. Where duplicates are dense (a few
    thousand records, each agency holding the same people) λ·m is most of what is
    measured for rare levels like "same name": u came out ten times too high and a
    same-name pair with nothing else to compare scored under 0.9 though nine in ten were
    one person. λ is calibrated once, on the measured u (`calibrated_prior`), and kept:
    calibrating again on the lowered u would feed back (lower u, higher scores, higher
    λ, lower u). At a million records λ is ~1e-6 and this changes next to nothing."""
    prior = calibrated_prior(
        _linker(table, model, engine),
        float(model["probability_two_random_records_match"]),
        records,
        engine,
    )
    for comparison in model["comparisons"]:
        _unmix_levels(comparison["comparison_levels"], prior)
    model["probability_two_random_records_match"] = prior
    return model


def _unmix_levels(levels: list[dict[str, Any]], prior: float) -> None:
    # A level cannot be rarer among non-matches than what the sample could show, nor
    # drop below a tenth of what was measured (EM's m carries its own error).
    for level in levels:
        u, m = level.get("u_probability"), level.get("m_probability")
        if level.get("is_null_level") or u is None or m is None:
            continue
        unmixed_u = (u - prior * m) / (1 - prior)
        level["u_probability"] = max(unmixed_u, u * UNMIX_MAX_DROP, 0.5 / U_PAIRS)
    total = sum(lv["u_probability"] for lv in levels if not lv.get("is_null_level"))
    for level in levels:
        if not level.get("is_null_level"):
            level["u_probability"] /= total


def calibrated_prior(linker: Any, prior: float, records: int, engine: Engine) -> float:
    """The prior that agrees with the model's own scores: the share of all pairs that are
    expected to match, summed over the scored candidate pairs, iterated to a fixed point
    (EM on the prior alone, m and u held). The deterministic-rules estimate before it
    has to guess those rules' recall, which is low where many records lack a birth date."""
    import numpy as np

    frame = linker.inference.predict(threshold_match_weight=-30)
    weights = engine.column(linker._db_api, frame.physical_name, "match_weight")
    total = records * (records - 1) / 2
    if len(weights) == 0 or total <= 0:
        return prior
    factors = weights - _logit2(prior)
    current = prior
    for _ in range(PRIOR_ITERATIONS):
        expected = float(np.sum(1.0 / (1.0 + np.exp2(-(factors + _logit2(current))))))
        updated = min(max(expected / total, 1e-12), 0.5)
        if abs(updated - current) <= 1e-4 * current:
            log.debug("prior %s -> %s over %d pairs", prior, updated, len(weights))
            return updated
        current = updated
    return current


def _logit2(p: float) -> float:
    return float(math.log2(p / (1 - p)))


PRIOR_ITERATIONS = 200
EM_MIN_PAIRS = 50


def em_blockings(rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """EM learns m from pairs blocked on one field: birth date (for the other fields),
    then the name (for the date). Blocking on the name only works where most same-name
    pairs are one person; where namesakes are common, EM would learn that matches are
    born on other days, so the second round blocks on the document number (nearly always
    one person) if enough records share one, or else on name and birth year."""
    from splink import block_on

    if namesakes_rare(rows):
        return [block_on("dob"), block_on("name_fold")]
    documents = Counter(r["document"] for r in rows if r.get("document"))
    if sum(n * (n - 1) // 2 for n in documents.values()) >= EM_MIN_PAIRS:
        return [block_on("dob"), block_on("document")]
    return [block_on("dob"), block_on("name_fold", "dob_year")]


def namesakes_rare(rows: Sequence[Mapping[str, Any]], sample: int = 20) -> bool:
    """Do most same-name pairs (both dated) share the birth year? Looks at up to
    `sample` records per name so a popular name costs no more than a rare one."""
    years: dict[str, list[str]] = {}
    for row in rows:
        if row.get("name_fold") and row.get("dob_year"):
            group = years.setdefault(row["name_fold"], [])
            if len(group) < sample:
                group.append(row["dob_year"])
    same = pairs = 0
    for group in years.values():
        counts = Counter(group)
        pairs += len(group) * (len(group) - 1) // 2
        same += sum(n * (n - 1) // 2 for n in counts.values())
    return pairs == 0 or same >= pairs / 2


def _sample(rows: Sequence[Mapping[str, Any]], size: int) -> Sequence[Mapping[str, Any]]:
    """A deterministic sample (by hash of id), so reruns learn the same weights."""
    if len(rows) <= size:
        return rows
    keyed = sorted(rows, key=lambda r: hashlib.blake2b(str(r["unique_id"]).encode()).digest())
    return keyed[:size]


def predict(
    rows: Sequence[Mapping[str, Any]],
    threshold: float = 0.5,
    link_type: Any = "dedupe_only",
    engine: Engine | None = None,
) -> list[Link]:
    """Train (see `train`) and score the candidate pairs with Splink on `engine`
    (DuckDB unless told otherwise)."""
    import pyarrow as pa

    _quiet()
    engine = engine or DuckDB()
    prepared = [dict(r) for r in rows]
    model = train(prepared, link_type, engine)
    broad_keys(prepared)
    linker = _linker(pa.Table.from_pylist(prepared), model, engine)
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
    engine: Engine | None = None,
) -> Resolution:
    """Link `records` into identities: Splink scores the pairs (on DuckDB unless an
    engine is given), judgements override it, clustering never joins a rejected pair."""
    judgements = dict(judgements or {})
    rows = [features(r) for r in records]
    links = predict(rows, min(threshold, 0.5), engine=engine) if len(rows) > 1 else []
    for i, link in enumerate(links):
        j = judgements.get((link.left, link.right)) or judgements.get((link.right, link.left))
        if j:
            links[i] = Link(link.left, link.right, link.probability, link.weights, j)
    clusters = cluster([r.id for r in records], links, threshold, judgements)
    return Resolution(links, clusters)
