"""Cross-referencing: resolve person records from all agencies into identities.

The model is Splink's Fellegi-Sunter with EM-estimated weights on DuckDB (Spark for scale
out: the same settings run on `splink.backends.spark.SparkAPI`). palermo adds what plain
Splink cannot see across scripts: every name is transliterated and folded
(`match.names`) before Splink compares it, blocking uses phonetic keys of the folded name
parts, and birth dates compare with a level for swapped day and month.

Strong identifiers decide (`strong_links`, ADR 0011): two records that share a document
number (same issuing country), a phone, an e-mail or a bank account, and whose names are
compatible, are linked whatever the model's weights say, unless a strong contradiction
(sex, full birth dates more than two years apart) or an analyst's rejection stands against
it; a document reported stolen or lost flags such a link for review instead of dropping it.

Training cannot crash (`train`): EM that fails on small, skewed or namesake-heavy data keeps
the documented priors for that round, and every probability is clamped before use.

Analysts' judgements (confirm / reject / unsure) are kept as `MatchJudgement` statements
and applied on every run: confirmed pairs are linked whatever the model says, rejected
pairs are never put in one identity.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

from palermo.match.engines import Batched, DuckDB, Engine, PairFunction
from palermo.match.mrz import normalise_document_number
from palermo.match.names import (
    best_part_similarity,
    fold,
    keys,
    latinize,
    name_forms,
    parts_similarity,
    skeleton,
)
from palermo.match.xref_address import address_batch
from palermo.match.xref_batch import NameFunctions, Primed, Remembered
from palermo.match.xref_document import document_batch
from palermo.match.xref_model import DEFAULT, XrefModel, deployment_model
from palermo.match.xref_primed import (
    Array,
    PairsScorer,
    PrimedPairList,
    in_two_processes,
    one_table,
    pair_columns,
    primed_lists,
    scored_aside,
)
from palermo.match.xref_screen import name_bound, provably_below
from palermo.match.xref_threshold import XREF_THRESHOLD

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
    # Every value of the strong identifiers (the single fields above hold the first one
    # for the model; `strong_links` compares all of them).
    documents: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    # The rest of what an FtM Person says about who someone is (issue 22). Name parts only
    # where the source gives them: a full name alone does not say which part is the family.
    first_names: tuple[str, ...] = ()  # firstName
    middle_names: tuple[str, ...] = ()  # middleName, secondName
    father_names: tuple[str, ...] = ()  # fatherName (patronymic)
    last_names: tuple[str, ...] = ()  # lastName
    birth_place: str | None = None
    nationalities: tuple[str, ...] = ()  # nationality, citizenship
    addresses: tuple[str, ...] = ()
    occupations: tuple[str, ...] = ()  # position, occupation, profession
    identifiers: tuple[Identifier, ...] = ()  # every identifier, with its kind and country


class Identifier(NamedTuple):
    """One identifier of a person: its kind (`IDENTIFIER_PROPS`), the value as written,
    and the issuing country where the record says it (a person with one nationality)."""

    kind: str
    value: str
    country: str | None = None


# FtM property -> identifier kind. Documents (passport, ID, tax, social security) compare
# with a misread-character level; contacts (e-mail, account) exactly after normalisation.
IDENTIFIER_PROPS = {
    "passportNumber": "passport",
    "idNumber": "id",
    "taxNumber": "tax",
    "innCode": "tax",
    "vatCode": "tax",
    "socialSecurityNumber": "social",
    "phone": "phone",
    "email": "email",
}
DOCUMENT_KINDS = ("passport", "id", "tax", "social")


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

    names = all_of("name", "alias")
    parts = [all_of(p) for p in ("firstName", "middleName", "secondName", "fatherName", "lastName")]
    if not names and any(parts):  # a record of parts only still has a name
        names = [" ".join(next(iter(each), "") for each in parts if each)]
    nationalities = tuple(dict.fromkeys(v.lower() for v in all_of("nationality", "citizenship")))
    country = nationalities[0] if len(nationalities) == 1 else None
    identifiers = tuple(
        Identifier(kind, value, country if kind in DOCUMENT_KINDS else None)
        for prop, kind in IDENTIFIER_PROPS.items()
        for value in dict.fromkeys(all_of(prop))
    )
    return XrefRecord(
        record_id,
        agency,
        tuple(names),
        first("birthDate"),
        first("nationality"),
        first("gender"),
        first("passportNumber", "idNumber", "taxNumber", "socialSecurityNumber"),
        first("address", "addressFull"),
        first("phone"),
        tuple(all_of("passportNumber", "idNumber", "taxNumber", "socialSecurityNumber")),
        tuple(all_of("phone")),
        tuple(all_of("email")),
        first_names=tuple(parts[0]),
        middle_names=tuple(parts[1] + parts[2]),
        father_names=tuple(parts[3]),
        last_names=tuple(parts[4]),
        birth_place=first("birthPlace"),
        nationalities=nationalities,
        addresses=tuple(dict.fromkeys(all_of("address", "addressFull"))),
        occupations=tuple(dict.fromkeys(all_of("position", "occupation", "profession"))),
        identifiers=identifiers,
    )


@dataclass(frozen=True)
class Link:
    left: str
    right: str
    probability: float
    weights: dict[str, float] = field(default_factory=dict)  # match weight per comparison
    judged: str | None = None
    # Set when a shared strong identifier decided the link (`strong_links`): what was shared.
    evidence: str | None = None
    # Set when the link needs an analyst's eye although it stands (an impostor risk).
    review: str | None = None

    @property
    def strong(self) -> bool:
        return self.evidence is not None


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
        **rich_features(record),
    }


def rich_features(record: XrefRecord) -> dict[str, str | None]:
    """The columns for the evidence beyond name, date and first document (issue 22):
    name parts where the source gives them, birth place, occupation and every
    identifier, each normalised once here so that SQL compares plain strings."""
    phones = sorted({k for p in record.phones or (record.phone,) if (k := phone_key(p))})
    documents = sorted(
        {
            n
            for i in record.identifiers
            if i.kind in DOCUMENT_KINDS and len(n := normalise_document_number(i.value)) >= 3
        }
        | {normalise_document_number(d) for d in (record.document, *record.documents) if d}
    )
    contacts = sorted(
        {f"e:{v}" for e in record.emails if "@" in (v := e.strip().lower())}
        | {f"a:{v}" for a in record.accounts if (v := re.sub(r"[^0-9A-Z]", "", a.upper()))}
    )
    addresses = sorted({a for a in map(_address_key, (record.address, *record.addresses)) if a})
    return {
        "given": _part_key(record.first_names),
        "family": _part_key(record.last_names),
        "birth_place": place_key(record.birth_place),
        "occupation": _text_key(record.occupations[0]) if record.occupations else None,
        "documents": "|".join(documents) or None,
        "phones": "|".join(phones) or None,
        "contacts": "|".join(contacts) or None,
        "addresses": "|".join(addresses) or None,
    }


def _part_key(values: Sequence[str]) -> str | None:
    """One name part as compared across scripts: its first Latin form, folded."""
    for value in values:
        parts = name_forms(value)[0]
        if parts:
            return " ".join(fold(t) for t in parts)
    return None


@lru_cache(maxsize=200_000)
def place_key(value: str | None) -> str | None:
    """A place in Latin letters, folded, its words sorted ("Benin City" ~ "BENIN-CITY")."""
    if not value:
        return None
    words = latinize(re.sub(r"[-,./()]", " ", value)).split()
    return " ".join(sorted(fold(w) for w in words)) or None


def _text_key(value: str) -> str | None:
    return " ".join(latinize(value).split()) or None


def _address_key(value: str | None) -> str | None:
    return " ".join(sorted(fold(t) for t in (value or "").lower().split())) or None


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
UNDATED = "(l.dob IS NULL OR r.dob IS NULL)"
# The rules that pair a whole name (or its skeleton) when one side is undated join every
# undated holder of a name with every holder: a name n records share gives up to n²/2
# pairs, and names gain holders as the records grow (ADR 0058). They block on the name's
# `rare_` column instead, the name itself where at most UNDATED_BLOCK_MAX records hold it
# (`rare_keys`); a saved model's rules on the plain columns still run (ADR 0059).
RARE = {"rare_each_0": "name_each_0", "rare_each_1": "name_each_1", "rare_skel": "name_skel"}
# Columns whose values are counted together: a whole name is one key in either slot.
RARE_GROUPS = (("rare_each_0", "rare_each_1"), ("rare_skel",))
# One name of either record the same as one of the other's, with the birth year or
# without a date on one side: every pairing of the two per-name columns.
EACH_NAME_SQL = tuple(
    when
    for i in range(EACH_NAMES)
    for j in range(EACH_NAMES)
    for when in (
        f"l.name_each_{i} = r.name_each_{j} AND l.dob_year = r.dob_year",
        f"l.rare_each_{i} = r.rare_each_{j} AND {UNDATED}",
    )
)
TIGHT_SQL = (
    "l.name_key1 = r.name_key1 AND l.dob = r.dob_swap",
    *EACH_NAME_SQL,
    f"l.rare_skel = r.rare_skel AND {UNDATED}",
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
# The most records that may hold a whole name (or skeleton) for the undated rules to
# block on it. An undated record then gets at most 19 partners from each such rule, so
# their pairs grow with the records, not with the square of a name's holders. The name
# alone cannot tell an undated record from its namesakes past a handful of holders; what
# can (a document, a phone, an address, a date on both sides) has rules of its own, which
# still pair such a name's holders. In bench/xref.py's world no key has more holders at
# 10k (19 at most); at 100k 27 whole names of 44,500 and 166 skeletons do (2,500 of 1.29
# million candidate pairs); at 1M the undated rules' pairs fall from 13.8 to 0.71 million
# and the candidate pairs from 18.0 to 11.5 million (ADR 0059).
UNDATED_BLOCK_MAX = 20
# Broad rules whose key stays a column (a saved model's rules name their columns by
# number) but no longer blocks in a new model: a name key with the birth year. At 100,000
# records they were the two largest rules (0.81 of 2.09 million candidate pairs, each
# scored by palermo's name functions: most of the run's time) for 93 links, 34 true, most
# of which other rules find too (the same name key with the full birth date, a whole name
# or skeleton with the year, both name keys): F1 0.8886 -> 0.8891, 10k unchanged (ADR 0058).
BROAD_RETIRED = frozenset({("name_key1", "dob_year"), ("name_key2", "dob_year")})


def joined_key(row: Mapping[str, Any], columns: Sequence[str]) -> str | None:
    """A blocking key over several columns (broad rules, EM's blockings), or None where one
    of them is empty: the same key for the batch, for arrivals and for training."""
    if all(row.get(c) for c in columns):
        return "\x1f".join(str(row[c]) for c in columns)
    return None


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
        values = [joined_key(r, cols) for r in rows]
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
    rare_keys(rows)


def rare_keys(rows: Sequence[dict[str, Any]], limit: int = UNDATED_BLOCK_MAX) -> None:
    """Add the undated rules' columns (`RARE`) to each row: the whole name or skeleton
    where at most `limit` records hold it, else None. Called by `broad_keys`, so every
    table that blocks has them; the holders are counted over the rows given, as the broad
    keys are (`incremental.Candidates.rare_values` counts an arrival the same way)."""
    for group in RARE_GROUPS:
        counts = Counter(v for row in rows for v in {row.get(RARE[c]) for c in group} if v)
        for row in rows:
            for column in group:
                value = row.get(RARE[column])
                row[column] = value if value and counts[value] <= limit else None


def blocking_rules() -> list[Any]:
    from splink import block_on

    tight = [block_on(*cols) for cols in TIGHT] + list(TIGHT_SQL)
    return tight + [
        block_on(f"broad{i}") for i, cols in enumerate(BROAD) if cols not in BROAD_RETIRED
    ]


FIXED_M = {"fix_m_probability": True}


def _tf(model: XrefModel, tf_field: str, column: str) -> dict[str, Any]:
    """Splink's term-frequency adjustment for a level, if the model asks for it: the level's
    u is replaced by how often the value occurs among the records being resolved (the
    greater of the two sides' frequencies, for a fuzzy level), so a shared rare surname
    or village says more than a shared common one."""
    if not model.tf(tf_field):
        return {}
    return {
        "tf_adjustment_column": column,
        "tf_adjustment_weight": 1.0,
        "tf_minimum_u_value": TF_MINIMUM_U,
        # the baseline is the level's own u, also where the level is not an exact match
        "disable_tf_exact_match_detection": True,
    }


TF_MINIMUM_U = 1e-6  # no value, however rare, weighs more than this frequency allows


def _custom(
    model: XrefModel,
    name: str,
    null: str,
    levels: Sequence[tuple[str, dict[str, Any]]],
    otherwise: tuple[float, float],
    output: str | None = None,
    fix_else: bool = False,
) -> Any:
    """A comparison with the model's levels of `levels` (key, level), its null level
    first and an "else" level last; the priors are renormalised by `clamped`."""
    import splink.comparison_library as cl

    kept = [level for key, level in levels if model.uses(name, key)]
    return cl.CustomComparison(
        output_column_name=output or name,
        comparison_levels=[
            _null(null),
            *kept,
            {**_level("ELSE", "else", *otherwise), **(FIXED_M if fix_else else {})},
        ],
    )


def _name_comparison(model: XrefModel = DEFAULT) -> Any:
    sim = "palermo_name_sim(name_parts_l, name_parts_r)"
    part = "palermo_name_part(name_parts_l, name_parts_r)"
    return _custom(
        model,
        "name",
        "name_parts",
        [
            (
                "same",
                {
                    **_level(f"{sim} >= 0.97", "same name (any script)", 0.7, 0.001),
                    **_tf(model, "name", "name_each_0"),
                },
            ),
            ("very_similar", _level(f"{sim} >= 0.9", "very similar", 0.15, 0.003)),
            ("similar", _level(f"{sim} >= 0.8", "similar", 0.08, 0.02)),
            ("somewhat_similar", _level(f"{sim} >= 0.65", "somewhat similar", 0.04, 0.08)),
            # Where the source gives the parts: the family name (or the given name) the
            # same while the whole name is not (a nickname, a married name, a typo).
            (
                "family_same",
                {
                    **_level("family_l = family_r", "family name the same", 0.01, 0.001),
                    **_tf(model, "family_name", "family"),
                },
            ),
            (
                "given_same",
                {
                    **_level("given_l = given_r", "given name the same", 0.005, 0.002),
                    **_tf(model, "given_name", "given"),
                },
            ),
            ("one_part", _level(f"{part} >= 0.97", "one part the same", 0.02, 0.05)),
        ],
        (0.01, 0.846),
    )


def _dob_comparison(model: XrefModel = DEFAULT) -> Any:
    return _custom(
        model,
        "birth_date",
        "dob",
        [
            ("exact", _level("dob_l = dob_r", "exact", 0.7, 0.0003)),
            ("swapped", _level("dob_l = dob_swap_r", "day/month swapped", 0.08, 0.0001)),
            ("day_month", _level("dob_md_l = dob_md_r", "same day and month", 0.05, 0.003)),
            ("one_edit", _level("levenshtein(dob_l, dob_r) <= 1", "1 edit", 0.07, 0.01)),
        ],
        (0.1, 0.9866),
        output="dob",
    )


def _document_comparison(model: XrefModel = DEFAULT) -> Any:
    sim = "palermo_document_sim(documents_l, documents_r)"
    return _custom(
        model,
        "document",
        "documents",
        [
            ("exact", _level(f"{sim} >= 1", "exact", 0.6, 0.00001)),
            ("misread", _level(f"{sim} >= 0.5", "one misread character", 0.2, 0.0005)),
        ],
        (0.2, 0.99949),
    )


def _address_comparison(model: XrefModel = DEFAULT) -> Any:
    sim = "palermo_address_sim(addresses_l, addresses_r)"
    return _custom(
        model,
        "address",
        "addresses",
        [
            (
                "exact",
                {
                    **_level("address_l = address_r", "exact", 0.5, 0.001),
                    **_tf(model, "address", "address"),
                },
            ),
            ("very_similar", _level(f"{sim} >= 0.9", "very similar", 0.2, 0.005)),
            ("similar", _level(f"{sim} >= 0.7", "similar", 0.1, 0.02)),
        ],
        (0.2, 0.974),
    )


def _shared_value_comparison(
    model: XrefModel, name: str, column: str, label: str, m: float, else_m: float
) -> Any:
    """Any value in common (`palermo_shared`) with a fixed m: people (traffickers above all)
    change numbers and addresses, but records of one person made weeks apart often agree on
    one, and EM then learns that matches never differ in it (m underflows to 0 and Splink
    refuses it)."""
    shared = f"palermo_shared({column}_l, {column}_r) >= 1"
    return _custom(
        model,
        name,
        column,
        [("same", {**_level(shared, label, m, 0.0001), **FIXED_M})],
        (else_m, 0.9999),
        fix_else=True,
    )


def _phone_comparison(model: XrefModel = DEFAULT) -> Any:
    return _shared_value_comparison(model, "phone", "phones", "same number", 0.6, 0.4)


def _contact_comparison(model: XrefModel = DEFAULT) -> Any:
    return _shared_value_comparison(
        model, "contact", "contacts", "same e-mail or account", 0.5, 0.5
    )


def _birth_place_comparison(model: XrefModel = DEFAULT) -> Any:
    sim = "palermo_address_sim(birth_place_l, birth_place_r)"
    return _custom(
        model,
        "birth_place",
        "birth_place",
        [
            (
                "exact",
                {
                    **_level("birth_place_l = birth_place_r", "exact", 0.75, 0.02),
                    **_tf(model, "birth_place", "birth_place"),
                },
            ),
            ("similar", _level(f"{sim} >= 0.8", "similar words", 0.1, 0.005)),
        ],
        (0.15, 0.975),
    )


def _occupation_comparison(model: XrefModel = DEFAULT) -> Any:
    return _custom(
        model,
        "occupation",
        "occupation",
        [
            (
                "same",
                {
                    **_level("occupation_l = occupation_r", "same", 0.6, 0.05),
                    **_tf(model, "occupation", "occupation"),
                },
            )
        ],
        (0.4, 0.95),
    )


def _exact(model: XrefModel, name: str, m: float, u: float) -> Any:
    column = "sex" if name == "sex" else name
    return _custom(
        model,
        name,
        column,
        [
            (
                "same",
                {**_level(f"{column}_l = {column}_r", "exact", m, u), **_tf(model, name, column)},
            )
        ],
        (1 - m, 1 - u),
    )


def comparisons(model: XrefModel = DEFAULT) -> list[Any]:
    """The model's comparisons, in a fixed order (engines and saved models agree)."""
    built: dict[str, Callable[[XrefModel], Any]] = {
        "name": _name_comparison,
        "birth_date": _dob_comparison,
        "document": _document_comparison,
        "address": _address_comparison,
        "phone": _phone_comparison,
        "nationality": lambda m: _exact(m, "nationality", 0.9, 0.2),
        "sex": lambda m: _exact(m, "sex", 0.95, 0.5),
        "birth_place": _birth_place_comparison,
        "occupation": _occupation_comparison,
        "contact": _contact_comparison,
    }
    return [make(model) for name, make in built.items() if model.uses(name)]


def settings(link_type: Any = "dedupe_only", model: XrefModel | None = None) -> Any:
    """Splink settings: palermo's name similarity, dates with a swapped-day level, every
    document, nationality and sex, and the rest an FtM person holds (birth place,
    occupation, e-mails and accounts), as the deployment's `XrefModel` says; priors for
    every level so small runs still score."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,
        comparisons=comparisons(model or deployment_model()),
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=0.0001,
        retain_intermediate_calculation_columns=True,
    )


@lru_cache(maxsize=2_000_000)
def _split(value: str | None) -> tuple[tuple[str, ...], ...]:
    """A record's names (`features()["name_parts"]`) split into parts, once per record
    value: the pair functions see each record in thousands of pairs (ADR 0054)."""
    return tuple(tuple(name.split()) for name in value.split("|")) if value else ()


@lru_cache(maxsize=2_000_000)
def _names(value: str) -> frozenset[tuple[str, ...]]:
    """A record's names as part tuples, as a set (empty names left out), once per record."""
    return frozenset(name for name in _split(value) if name)


@lru_cache(maxsize=2_000_000)
def _parts(value: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """Every distinct part of a record's names, sorted and as a set, once per record."""
    every = {t for name in _split(value) for t in name}
    return tuple(sorted(every)), frozenset(every)


# Small on purpose: the name comparison calls this through `screened_name_similarity`,
# which caches the pair itself, so a pair comes back here only from `names_compatible`
# (strong identifiers). Two million entries (1.15 million pairs filled at 100,000 records)
# held ~400 MB for 1 hit in 100 (ADR 0054).
@lru_cache(maxsize=100_000)
def best_name_similarity(left: str | None, right: str | None) -> float:
    """palermo's cross-script name similarity, best over every name of either record
    (arguments are `features()["name_parts"]`: names already transliterated into parts).
    A name both records hold, part for part, scores 1 (`parts_similarity` of a name with
    itself, the most it gives), which settles the pair without scoring the others."""
    if not left or not right:
        return 0.0
    if not _names(left).isdisjoint(_names(right)):
        return 1.0
    pairs = [(a, b) for a in _split(left) for b in _split(right)]
    return max((parts_similarity(a, b) for a, b in pairs), default=0.0)


@lru_cache(maxsize=2_000_000)
def best_single_part(left: str | None, right: str | None) -> float:
    """The best agreement of one name part of either record with one of the other's.
    A part both records hold agrees fully (`token_similarity` of a part with itself is
    1), which settles the pair without scoring the others."""
    if not left or not right:
        return 0.0
    (a, set_a), (b, set_b) = _parts(left), _parts(right)
    if not set_a.isdisjoint(set_b):
        return 1.0
    return best_part_similarity(a, b)


@lru_cache(maxsize=1_000_000)
def address_similarity(left: str | None, right: str | None) -> float:
    """Token-set similarity of two addresses (a missing suburb or street still agrees);
    best over every address of either side ("|"-separated, `features()["addresses"]`)."""
    if not left or not right:
        return 0.0
    if "|" in left or "|" in right:
        return max(_one_address(a, b) for a in left.split("|") for b in right.split("|"))
    return _one_address(left, right)


def _one_address(left: str, right: str) -> float:
    if not left or not right:
        return 0.0
    shorter = min(left.count(" "), right.count(" ")) + 1
    sort = fuzz.token_sort_ratio(left, right)
    subset = fuzz.token_set_ratio(left, right) if shorter >= 3 else 0.0
    return max(sort, subset) / 100


@lru_cache(maxsize=1_000_000)
def document_similarity(left: str | None, right: str | None) -> float:
    """1 if the two records share a document number ("|"-separated, normalised), 0.5 if
    two differ by one misread or transposed character (of numbers of five or more), else 0."""
    if not left or not right:
        return 0.0
    a, b = set(left.split("|")), set(right.split("|"))
    if a & b:
        return 1.0
    close = any(
        min(len(x), len(y)) >= STRONG_MIN_CHARS and DamerauLevenshtein.distance(x, y) <= 1
        for x in a
        for y in b
    )
    return 0.5 if close else 0.0


def shared_value(left: str | None, right: str | None) -> float:
    """1 if two "|"-separated sets of normalised identifiers share one, else 0."""
    if not left or not right:
        return 0.0
    return 1.0 if set(left.split("|")) & set(right.split("|")) else 0.0


@lru_cache(maxsize=2_000_000)
def screened_name_similarity(left: str | None, right: str | None) -> float:
    """`best_name_similarity` where it reaches the name comparison's lowest level, else a
    bound under that level (`match.xref_screen`): the same level for every pair, without
    the exact score's cost for the pairs (most random and many blocked ones) that share
    no name part closely enough to reach it."""
    if not left or not right:
        return 0.0
    bound = name_bound(left, right, best_single_part(left, right))
    return bound if provably_below(bound) else best_name_similarity(left, right)


# DuckDB calls the name functions a batch of pairs at a time (`match.xref_batch`): u's
# random pairs are screened side against side in C, every pair in the same level.
_NAME_BATCHES = NameFunctions(screened_name_similarity, best_single_part)
# each pair once across the calls DuckDB makes per level (ADR 0057, 2026-11-30)
_ADDRESS_BATCHES = Remembered(address_batch())
_DOCUMENT_BATCHES = Remembered(document_batch())
UDFS: dict[str, PairFunction] = {
    "palermo_name_sim": Batched(screened_name_similarity, _NAME_BATCHES.name_sim),
    "palermo_name_part": Batched(best_single_part, _NAME_BATCHES.name_part),
    "palermo_address_sim": Batched(address_similarity, _ADDRESS_BATCHES),
    "palermo_document_sim": Batched(document_similarity, _DOCUMENT_BATCHES),
    "palermo_shared": shared_value,
}
# The columns each function compares in the comparisons (`_address_comparison`,
# `_birth_place_comparison`, `_document_comparison`): u's sample of each is scored
# before Splink asks (`_estimate_u`).
U_PRIMED_COLUMNS_OF: dict[Remembered, tuple[str, ...]] = {
    _ADDRESS_BATCHES: ("addresses", "birth_place"),
    _DOCUMENT_BATCHES: ("documents",),
}
U_PRIMED_COLUMNS = tuple(c for columns in U_PRIMED_COLUMNS_OF.values() for c in columns)
# ... and every function's, for the candidate pairs (`candidate_vectors`)
PRIMED_COLUMNS_OF: dict[Primed, tuple[str, ...]] = {
    function: columns
    for function, columns in [(_NAME_BATCHES, ("name_parts",)), *U_PRIMED_COLUMNS_OF.items()]
}
# Past this many distinct name pairs, half are scored in a second process (`in_two_processes`):
# spawning it and importing palermo there takes ~1 s, the name scorer ~11 µs a pair.
NAME_PAIRS_SPLIT = 1_000_000


def name_pairs(values: list[str], rows_l: Array, rows_r: Array) -> dict[str, Array]:
    """The name function's `score_pairs`, as a module function another process can run."""
    return _NAME_BATCHES.score_pairs(values, rows_l, rows_r)


def _name_pairs_split(values: list[str], rows_l: Array, rows_r: Array) -> dict[str, Array]:
    return in_two_processes(name_pairs, values, rows_l, rows_r, NAME_PAIRS_SPLIT)


_CANDIDATE_SCORERS: dict[str, PairsScorer] = {
    column: _name_pairs_split if function is _NAME_BATCHES else function.score_pairs
    for function, columns in PRIMED_COLUMNS_OF.items()
    for column in columns
}


TRAIN_MIN = 1000  # below this many records EM has too little to learn from: use the priors
# Term frequencies are measured on the records being resolved. In a few hundred records a
# surname seen twice has a frequency of 1% (a population's is a thousandth of that) and
# the adjustment would count every shared name against a match: below this many records
# the levels keep their priors, which describe a population (ADR 0014).
TF_MIN_RECORDS = 1000
TRAIN_MAX = 200_000  # above this, learn the weights on a sample; they do not depend on size


def _quiet() -> None:
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _linker(table: Any, model: Any, engine: Engine, api: Any = None) -> Any:
    """A Splink linker of `table` under `model`, on a fresh database with palermo's
    functions, or on `api` (a linker's `_db_api`) to read tables made there."""
    from splink import Linker

    api = api if api is not None else engine.api(UDFS)
    if isinstance(model, dict) and "palermo_fallbacks" in model:
        model = {k: v for k, v in model.items() if k != "palermo_fallbacks"}
    # palermo's settings are fixed code, checked by the tests: Splink's check of every SQL
    # string (sqlglot parses each level's condition) cost a second or more per linker.
    return Linker(engine.register(api, table), model, log_level="ERROR", validate_settings=False)


def train(
    rows: Sequence[Mapping[str, Any]],
    link_type: Any = "dedupe_only",
    engine: Engine | None = None,
    model: XrefModel | None = None,
) -> dict[str, Any]:
    """Learn the model: the prior match rate from deterministic rules, u by random
    sampling, m by EM on two blockings; on a sample when there are many records.
    Returns Splink's model as a dict (its JSON form).

    Training refines priors that are valid on their own (`settings`), so it must not be
    able to fail a resolution: a step that raises on small, skewed or namesake-heavy data
    (EM driving a level's m to 0, which Splink refuses) is undone and the values from
    before it stay; the model's `palermo_fallbacks` names each such step. Every m and u
    is then clamped to [PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR]."""
    return _train(rows, link_type, engine, model)[0]


@dataclass(frozen=True)
class Candidates:
    """The candidate pairs' comparison vectors, made while calibrating the prior: every
    Python similarity of every candidate pair is in them, so the final prediction scores
    them again under the final model instead of recomputing them. `linker` is the linker
    (and so the database) that holds `vectors`; `table` the records it was made from."""

    linker: Any
    vectors: Any
    table: Any


def _train(
    rows: Sequence[Mapping[str, Any]],
    link_type: Any = "dedupe_only",
    engine: Engine | None = None,
    model: XrefModel | None = None,
) -> tuple[dict[str, Any], Candidates | None]:
    """`train`, and the candidate pairs' vectors where training scored them all (every
    record was in the training sample): `predict` scores those again."""
    import pyarrow as pa
    from splink import block_on

    sample = [dict(r) for r in _sample(rows, TRAIN_MAX)]
    broad_keys(sample)
    em = em_rules(sample) if len(sample) >= TRAIN_MIN else []
    table = pa.Table.from_pylist(sample)
    engine = engine or DuckDB()
    chosen = model or deployment_model()
    if len(rows) < TF_MIN_RECORDS:
        chosen = replace(chosen, term_frequencies=())
    linker = _linker(table, settings(link_type, chosen), engine)
    fallbacks: list[str] = []
    candidates: Candidates | None = None
    if len(sample) >= TRAIN_MIN:
        steps: list[tuple[str, Callable[[Any], Any]]] = [
            (
                "prior",
                lambda lk: lk.training.estimate_probability_two_random_records_match(
                    [block_on("name_fold", "dob"), block_on("document")], recall=0.7
                ),
            ),
            ("u", _estimate_u),
        ]
        pairs = training_pairs(linker, em)
        for name, step in steps:
            linker = _guarded(name, step, linker, table, engine, fallbacks)
        primed = pairs.primed()
        with answering(primed):
            for rule in em:
                linker = _guarded(
                    f"em {_rule_name(rule)}", _em_step(rule), linker, table, engine, fallbacks
                )
            trained: dict[str, Any] = clamped(linker.misc.save_model_to_json())
            if link_type == "dedupe_only":
                trained, candidates = _unmixed(
                    trained, table, len(sample), engine, fallbacks, pairs.candidates, not primed
                )
    else:
        trained = clamped(linker.misc.save_model_to_json())
    if TRAIN_MIN > len(sample) >= CALIBRATE_MIN and link_type == "dedupe_only":
        trained, candidates = _calibrated(trained, table, len(sample), engine, fallbacks)
    if len(sample) < len(rows) and len(sample) > 1:
        # True pairs grow with n, all pairs with n squared: the prior shrinks accordingly.
        trained["probability_two_random_records_match"] *= (len(sample) - 1) / (len(rows) - 1)
        candidates = None  # scored on the sample only: the prediction needs every record
    trained["palermo_fallbacks"] = fallbacks
    return trained, candidates


def _unmixed(
    model: dict[str, Any],
    table: Any,
    records: int,
    engine: Engine,
    fallbacks: list[str],
    blocked: Any,
    prime: bool,
) -> tuple[dict[str, Any], Candidates | None]:
    """`unmixed`, or the model as it is if that fails (training may not fail)."""
    try:
        unmixed_model, candidates = unmixed(model, table, records, engine, blocked, prime)
        return clamped(unmixed_model), candidates
    except Exception as exc:  # see `train`
        fallbacks.append(f"unmix: {_short(exc)}")
        log.warning("cross-referencing: u not unmixed (%s); measured u kept", _short(exc))
        return model, None


def _estimate_u(linker: Any) -> None:
    """u by Splink's random sampling of `U_PAIRS` pairs; `unmixed` then takes the true
    matches' share out of it (ADR 0007). ADR 0044's alternative, each sampled pair counted
    by its probability of not being a match, lost F1 and was removed (ADR 0054).

    The Python functions score the sample's pairs before Splink asks (ADR 0061):
    `u_sample` reads the records Splink will sample, the name functions compare them all
    at once (`xref_batch.PrimedSample`), the address and document functions score every
    two of each column's values (`xref_batch.PrimedPairs`)."""
    sample = u_sample(linker, [*U_PRIMED_COLUMNS, "name_parts"]) or {}
    names = _NAME_BATCHES.prime(sample["name_parts"]) if "name_parts" in sample else []
    primed = {
        function: function.prime([sample[c] for c in columns if c in sample])
        for function, columns in U_PRIMED_COLUMNS_OF.items()
    }
    try:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=U_PAIRS, seed=U_SEED, num_chunks=U_CHUNKS
        )
    finally:
        _NAME_BATCHES.unprime(names)
        for function, kept in primed.items():
            function.unprime(kept)


def u_sample(linker: Any, columns: Sequence[str]) -> dict[str, list[str]] | None:
    """The values of `columns` in the records Splink's u sampling will pick:
    `estimate_u_values` keeps a record where a hash of its id falls under the sample's
    share, so the same filter on the same table gives the same records. Columns the
    table lacks are left out; None where palermo cannot read the sample so (not DuckDB,
    or not one table deduplicated). Functions whose values are not read score each batch
    on their own, with the same results."""
    found = one_table(linker)
    columns = [c for c in columns if found is not None and c in found.columns]
    if found is None or not columns:
        return None
    con, table, settings_obj = found.con, found.name, linker._settings_obj
    total = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    # Splink's `_rows_needed_for_n_pairs`: r records give r(r-1)/2 pairs
    rows_needed = 0.5 * ((8 * U_PAIRS + 1) ** 0.5 + 1)
    share = min(1.0, rows_needed / max(int(total), 1))
    ids = settings_obj.column_info_settings.unique_id_input_columns
    where = linker._proportion_sample_sql(share, ids, seed=U_SEED)
    selected = ", ".join(f'"{c}"' for c in columns)
    rows = con.execute(f"SELECT {selected} FROM {table} WHERE 1=1 {where}").fetchall()
    return {c: [str(r[k]) for r in rows if r[k]] for k, c in enumerate(columns)}


# Splink 5 counts u one comparison at a time over `num_chunks` slices of the sample, after
# a probe of a tenth of a slice, and stops a comparison once every level has been seen 100
# times. Each slice is its own query (a join of the sample with a slice of it, the
# comparison's SQL, a grouping): palermo's name, dob, document, address and contact
# comparisons have a level rarer than 100 in 300,000, so they ran all 11 queries, and the
# common-valued ones (nationality, sex, birth place, occupation) stopped after the probe's
# 3,000 pairs. One slice runs each comparison once over every sampled pair: the same u where
# all slices ran, u from 100 times the pairs where the probe stopped (ADR 0057 amendment of
# 2026-12-01).
U_CHUNKS = 1


CALIBRATE_MIN = 100  # from here on the prior is calibrated even where EM cannot run


def _calibrated(
    model: dict[str, Any], table: Any, records: int, engine: Engine, fallbacks: list[str]
) -> tuple[dict[str, Any], Candidates | None]:
    """The priors' model with the prior match rate fitted to the data (`calibrated_prior`).
    A fixed 1e-4 suits a big set; in a few hundred records of agencies that hold the same
    people one pair in a thousand matches, and a same-name pair born a year apart scored
    0.69 (the demo's child victim, issue 15). Too few records to say: the fixed prior."""
    candidates = None
    try:
        prior = float(model["probability_two_random_records_match"])
        linker = _linker(table, model, engine)
        candidates = Candidates(linker, candidate_vectors(linker), table)
        model["probability_two_random_records_match"] = calibrated_prior(
            linker, prior, records, engine, candidates.vectors
        )
    except Exception as exc:  # training may not fail (see `train`)
        fallbacks.append(f"prior: {_short(exc)}")
    return clamped(model), candidates


def _em_step(rule: Any) -> Callable[[Any], Any]:
    return lambda lk: lk.training.estimate_parameters_using_expectation_maximisation(rule)


def _rule_name(rule: Any) -> str:
    try:
        return str(rule.get_blocking_rule("duckdb").blocking_rule_sql)
    except Exception:  # a label only
        return str(rule)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"


def _guarded(
    name: str,
    step: Callable[[Any], Any],
    linker: Any,
    table: Any,
    engine: Engine,
    fallbacks: list[str],
) -> Any:
    """Run one training step; if it raises, a linker with the model from before it."""
    before = linker.misc.save_model_to_json()
    try:
        step(linker)
        return linker
    except Exception as exc:  # see `train`: a failed step keeps the priors
        fallbacks.append(f"{name}: {_short(exc)}")
        log.warning(
            "cross-referencing: training step %r failed (%s); kept the values from before it",
            name,
            _short(exc),
        )
        return _linker(table, clamped(before), engine)


PROBABILITY_FLOOR = 1e-9  # no level is impossible: m or u of 0 would veto a pair forever


def clamped(model: dict[str, Any]) -> dict[str, Any]:
    """The model with every m and u a finite probability inside the floor (levels Splink
    could not observe keep their marker) and each comparison's m and u summing to one."""
    for comparison in model.get("comparisons", []):
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for key in ("m_probability", "u_probability"):
            numeric = [lv for lv in levels if isinstance(lv.get(key), int | float)]
            for level in numeric:
                level[key] = _clamp(float(level[key]))
            total = sum(lv[key] for lv in numeric)
            if len(numeric) == len(levels) and total > 0:
                for level in numeric:
                    level[key] /= total
    prior = model.get("probability_two_random_records_match")
    if isinstance(prior, int | float):
        ok = math.isfinite(prior)
        model["probability_two_random_records_match"] = min(max(prior, 1e-12), 0.5) if ok else 1e-4
    return model


def _clamp(value: float) -> float:
    if not math.isfinite(value):
        return PROBABILITY_FLOOR
    return min(max(value, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR)


# Random pairs sampled for u. Each costs palermo's Python similarities (name, part, address,
# document; ~100 µs a new pair), and u sampling was 70% of a run's CPU at 300,000 (FEBRL3,
# issue 22). At 120,000 F1 was unchanged on FEBRL3 and the rich world, but the cross-script
# world of bench/match_scripts.py fell from 0.970 to 0.959: u of the rare "same name in any
# script" level is the sample's rate minus the true matches' share, a difference of two close
# numbers, and the smaller sample overstated it 1.7x, so same-name pairs without a birth date
# fell under 0.9. Accuracy first: 300,000 until that level's u is estimated robustly.
U_PAIRS = 300_000
# Splink picks the u sample by a hash of each record's id (mixed with a seed if one is
# given): the same records give the same sample, hence the same model, on every run
# (tests/match/test_xref_screen.py). No seed keeps the sample the weights were tuned on;
# another sample moves F1 (rich world: seed 22 gave 0.9212 against 0.9488 without).
U_SEED: int | None = None
UNMIX_MAX_DROP = 0.1


def unmixed(
    model: dict[str, Any],
    table: Any,
    records: int,
    engine: Engine,
    blocked: Any = None,
    prime: bool = True,
) -> tuple[dict[str, Any], Candidates]:
    """Take the true matches out of the randomly sampled u probabilities.

    A random pair is a match with probability λ (the prior), so what random sampling
    measures for a level is λ·m + (1-λ)·u, not u. Where duplicates are dense (a few
    thousand records, each agency holding the same people) λ·m is most of what is
    measured for rare levels like "same name": u came out ten times too high and a
    same-name pair with nothing else to compare scored under 0.9 though nine in ten were
    one person. λ is calibrated once, on the measured u (`calibrated_prior`), and kept:
    calibrating again on the lowered u would feed back (lower u, higher scores, higher
    λ, lower u). At a million records λ is ~1e-6 and this changes next to nothing.
    Also returns the candidate pairs' vectors the calibration scored (`Candidates`);
    `blocked` and `prime`: see `candidate_vectors`."""
    linker = _linker(table, model, engine, blocked.db_api if blocked is not None else None)
    candidates = Candidates(linker, candidate_vectors(linker, prime, blocked), table)
    prior = calibrated_prior(
        linker,
        float(model["probability_two_random_records_match"]),
        records,
        engine,
        candidates.vectors,
    )
    for comparison in model["comparisons"]:
        _unmix_levels(comparison["comparison_levels"], prior)
    model["probability_two_random_records_match"] = prior
    return model, candidates


def candidate_vectors(linker: Any, prime: bool = True, blocked: Any = None) -> Any:
    """The comparison vectors of every candidate pair (the blocking rules' pairs), as
    Splink's `predict` computes them before it weighs them, kept as a table: computing
    them runs palermo's Python similarities, weighing them is arithmetic on level
    numbers, so one table serves every model of the same comparisons (`score`).

    The table keeps the pair's ids, its level per comparison and the term frequencies:
    all that weighing reads. Splink's own vectors also carry both records' compared
    values (`retain_matching_columns`), every name, address and key twice per pair;
    at 100,000 records those copies held gigabytes for the whole run (ADR 0054).

    The Python functions score every candidate pair before Splink asks, each distinct
    pair of values once (`xref_primed`, ADR 0062); not with `prime` false, where the
    caller has primed them (`training_pairs`). `blocked`: the candidate pairs where the
    caller has blocked them already, on the linker's database."""
    if blocked is None:
        blocked = linker.inference.compute_blocked_pairs_for_predict()
    if not prime:  # the caller primed them (`_train`)
        return _vectors(linker, blocked)
    with answering(primed_lists(linker, [blocked], _CANDIDATE_SCORERS)):
        return _vectors(linker, blocked)


@contextmanager
def answering(primed: Mapping[str, PrimedPairList]) -> Iterator[None]:
    """The Python functions answer batches from `primed` (per column they compare)."""
    added = [
        (function, function.add_primed([primed[c] for c in columns if c in primed]))
        for function, columns in PRIMED_COLUMNS_OF.items()
    ]
    try:
        yield
    finally:
        for function, kept in added:
            function.unprime(kept)


@dataclass(frozen=True)
class TrainingPairs:
    """The candidate pairs as training blocks them (`candidates`, Splink's blocked-pairs
    table, or None) and the scoring of those and EM's pairs under way (`scoring`)."""

    candidates: Any = None
    scoring: Future[dict[str, PrimedPairList]] | None = None

    def primed(self) -> dict[str, PrimedPairList]:
        """The pairs' scores once ready ({} if they could not be made)."""
        try:
            return self.scoring.result() if self.scoring is not None else {}
        except Exception as exc:  # priming saves time only: training may not fail
            log.warning("cross-referencing: training pairs not primed (%s)", _short(exc))
            return {}


def training_pairs(linker: Any, em: Sequence[Any]) -> TrainingPairs:
    """The pairs training scores, being primed at once on another thread
    (`xref_primed.scored_aside`) while u is counted: EM's pairs and the candidate pairs
    `unmixed` computes the vectors of (blocked once, here). Blocking on a birth date or a
    name, EM's pairs are candidates as well: scored once, not once per use (ADR 0062).
    Nothing if the pairs cannot be read; training then blocks and scores as before."""
    try:
        candidates = linker.inference.compute_blocked_pairs_for_predict()
        blocked = [candidates, *(_em_pairs(linker, rule) for rule in em)]
        columns = pair_columns(linker, blocked, list(_CANDIDATE_SCORERS))
        return TrainingPairs(candidates, scored_aside(columns, _CANDIDATE_SCORERS))
    except Exception as exc:  # priming saves time only: training may not fail
        log.warning("cross-referencing: training pairs not primed (%s)", _short(exc))
        return TrainingPairs()


def _em_pairs(linker: Any, rule: Any) -> Any:
    """The pairs Splink's EM blocks on `rule` (`EMTrainingSession._comparison_vectors`,
    without sampling: palermo's EM rules thin themselves, `em_rules`)."""
    from splink.internals.blocking import block_using_rules_sqls
    from splink.internals.blocking_rule_creator_utils import to_blocking_rule_creator
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.vertically_concatenate import enqueue_df_concat

    info = linker._settings_obj.column_info_settings
    pipeline = CTEPipeline()
    enqueue_df_concat(linker, pipeline)
    pipeline.enqueue_list_of_sqls(
        block_using_rules_sqls(
            input_tablename_l="__splink__df_concat",
            input_tablename_r="__splink__df_concat",
            blocking_rules=[
                to_blocking_rule_creator(rule).get_blocking_rule(linker._sql_dialect_str)
            ],
            link_type=linker._settings_obj._link_type,
            source_dataset_input_column=info.source_dataset_input_column,
            unique_id_input_column=info.unique_id_input_column,
        )
    )
    return linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)


def _vectors(linker: Any, blocked: Any) -> Any:
    """`candidate_vectors` of the blocked pairs: Splink's SQL for them."""
    from splink.internals.comparison_vector_values import (
        compute_comparison_vector_values_from_id_pairs_sqls,
    )
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.settings import Settings
    from splink.internals.vertically_concatenate import enqueue_df_concat_with_tf

    settings_obj = linker._settings_obj
    info = settings_obj.column_info_settings
    pipeline = CTEPipeline([blocked])
    enqueue_df_concat_with_tf(linker, pipeline)
    pipeline.enqueue_list_of_sqls(
        compute_comparison_vector_values_from_id_pairs_sqls(
            settings_obj._columns_to_select_for_blocking,
            Settings.columns_to_select_for_comparison_vector_values(
                unique_id_input_columns=info.unique_id_input_columns,
                comparisons=settings_obj.core_model_settings.comparisons,
                retain_matching_columns=False,
                additional_columns_to_retain=[],
            ),
            input_tablename_l="__splink__df_concat_with_tf",
            input_tablename_r="__splink__df_concat_with_tf",
            source_dataset_input_column=info.source_dataset_input_column,
            unique_id_input_column=info.unique_id_input_column,
            link_type=settings_obj._link_type,
            sql_dialect_str=linker._sql_dialect_str,
        )
    )
    return linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)


def score(
    linker: Any,
    vectors: Any,
    threshold_match_probability: float | None = None,
    threshold_match_weight: float | None = None,
) -> Any:
    """Splink's prediction of the pairs in `vectors` (`candidate_vectors`, on the same
    database) under `linker`'s model: the very SQL `predict` runs after computing them,
    with the per-comparison weights (`mw_*`) but without the compared values, which the
    vectors do not keep."""
    from splink.internals.dialects import SplinkDialect
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.predict import predict_from_comparison_vectors_sqls

    settings_obj = linker._settings_obj
    pipeline = CTEPipeline([vectors])
    pipeline.enqueue_list_of_sqls(
        predict_from_comparison_vectors_sqls(
            unique_id_input_columns=settings_obj.column_info_settings.unique_id_input_columns,
            core_model_settings=settings_obj.core_model_settings,
            sql_dialect=SplinkDialect.from_string(settings_obj._sql_dialect_str),
            threshold_match_probability=threshold_match_probability,
            threshold_match_weight=threshold_match_weight,
            retain_matching_columns=False,
            retain_intermediate_calculation_columns=True,
        )
    )
    return linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)


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


def calibrated_prior(
    linker: Any, prior: float, records: int, engine: Engine, vectors: Any = None
) -> float:
    """The prior that agrees with the model's own scores: the share of all pairs that are
    expected to match, summed over the scored candidate pairs, iterated to a fixed point
    (EM on the prior alone, m and u held). The deterministic-rules estimate before it
    has to guess those rules' recall, which is low where many records lack a birth date.
    `vectors`: the candidate pairs' comparison vectors, if already computed."""
    import numpy as np

    if vectors is None:
        frame = linker.inference.predict(threshold_match_weight=-30)
    else:
        frame = score(linker, vectors, threshold_match_weight=-30)
    weights = engine.column(linker._db_api, frame.physical_name, "match_weight")
    # every candidate pair's weights, read once: the table would stay for the whole run
    frame.drop_table_from_database_and_remove_from_cache()
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


def em_blockings(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """EM learns m from pairs blocked on one field: birth date (for the other fields),
    then the name (for the date). Blocking on the name only works where most same-name
    pairs are one person; where namesakes are common, EM would learn that matches are
    born on other days, so the second round blocks on the document number (nearly always
    one person) if enough records share one, or else on name and birth year. Each
    blocking is the columns it joins on (`em_rules` makes the rules)."""
    if namesakes_rare(rows):
        return [("dob",), ("name_fold",)]
    documents = Counter(r["document"] for r in rows if r.get("document"))
    if sum(n * (n - 1) // 2 for n in documents.values()) >= EM_MIN_PAIRS:
        return [("dob",), ("document",)]
    return [("dob",), ("name_fold", "dob_year")]


# EM learns from the pairs one key joins (`em_blockings`), and their number grows with the
# square of the records: the birth date joined 6,260 pairs at 10,000 records of
# bench/xref.py's world and 387,997 at 100,000, each compared by the name functions and
# weighed in every EM round (EM took 45 of 183 CPU s at 100,000, ADR 0058). Above
# EM_PAIRS_MAX a blocking keeps only the keys whose hash falls in a share of EM_BUCKETS:
# whole blocks stay, so EM sees the same mix of matches and non-matches as from every key,
# only fewer pairs; 50,000 is eight times what the 10,000-record world gives (ADR 0060).
EM_PAIRS_MAX = 50_000
EM_BUCKETS = 4096


def em_rules(rows: Sequence[dict[str, Any]]) -> list[Any]:
    """The rules EM trains on, `em_blockings`' joins with at most about `EM_PAIRS_MAX`
    pairs each. A thinned blocking gets a column `em_keep_<n>` on every row (1 where its
    key's bucket is kept) and its rule keeps the left record's 1: the right one shares the
    key, so a block is kept or dropped whole. The buckets are hashed in Python, so DuckDB
    and Spark keep the same keys."""
    from splink import block_on

    rules: list[Any] = []
    for number, columns in enumerate(em_blockings(rows)):
        keys = [joined_key(row, columns) for row in rows]
        counts = Counter(key for key in keys if key is not None)
        pairs = sum(n * (n - 1) // 2 for n in counts.values())
        if pairs <= EM_PAIRS_MAX:
            rules.append(block_on(*columns))
            continue
        kept = max(1, EM_BUCKETS * EM_PAIRS_MAX // pairs)
        column = f"em_keep_{number}"
        for row, key in zip(rows, keys, strict=True):
            row[column] = int(key is not None and _em_bucket(key) < kept)
        join = " AND ".join(f"l.{c} = r.{c}" for c in columns)
        rules.append(f"{join} AND l.{column} = 1")
    return rules


def _em_bucket(key: str) -> int:
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % EM_BUCKETS


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
    model: XrefModel | None = None,
) -> list[Link]:
    """Train (see `train`) and score the candidate pairs with Splink on `engine`
    (DuckDB unless told otherwise), with the comparisons `model` names (the
    deployment's, `match.xref_model`, unless given). Term frequencies come from `rows`:
    the records being resolved, i.e. what the viewer may see."""
    import pyarrow as pa

    _quiet()
    engine = engine or DuckDB()
    prepared = [dict(r) for r in rows]
    trained, candidates = _train(prepared, link_type, engine, model)
    if candidates is not None:
        # Training scored every candidate pair (the prior's calibration): the same pairs,
        # weighed under the final model, on the database that holds their vectors.
        linker = _linker(candidates.table, trained, engine, candidates.linker._db_api)
        frame = score(linker, candidates.vectors, threshold_match_probability=threshold)
    else:
        broad_keys(prepared)
        linker = _linker(pa.Table.from_pylist(prepared), trained, engine)
        frame = _predicted(linker, threshold)
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


# Whether the final prediction of a sampled training (more than `TRAIN_MAX` records) scores
# its candidate pairs' Python similarities at once before Splink asks (`_predicted`, ADR
# 0063) or lets Splink's `predict` call them batch by batch (False: as before; benches).
PRIME_PREDICT = True


def _predicted(linker: Any, threshold: float) -> Any:
    """Splink's `predict` of every candidate pair above `threshold`. Where palermo can read
    the pairs (`one_table`), the pairs are blocked first, every distinct pair of values
    the Python functions will be asked about is scored at once, column by column
    (`xref_primed.primed_lists`), and the vectors are weighed by the same SQL `predict`
    runs (`candidate_vectors`, `score`): the pairs and their scores are the same, only
    grouped differently (ADR 0063)."""
    if not PRIME_PREDICT or one_table(linker) is None:
        return linker.inference.predict(threshold_match_probability=threshold)
    vectors = candidate_vectors(linker)
    return score(linker, vectors, threshold_match_probability=threshold)


# Strong identifiers (ADR 0011). A shared value of one of these, with a compatible name,
# decides a link; the bar for the name is lower than the model's "similar" level because
# the identifier already carries the evidence: the name only has to rule out a number
# typed against the wrong person (unrelated names score 0.45-0.6, one person's names
# in another order or script 0.85-1.0; see tests/match/test_xref_strong.py).
STRONG_NAME_BAR = 0.7
# ... or, part by part: every part of the shorter name has a partner in the other name at
# least this alike (Indel ratio of the parts or of their sorted letters, so "Eeka"/"Emeka",
# "Yui"/"Uyi" and "Ooro"/"Okoro" agree; "Petrov"/"Ivanov" 0.5 does not). The name score
# above caps a name with one differing part (right between namesakes); with an identifier
# shared, a typo in one part must not undo the link.
STRONG_PART_BAR = 0.65
STRONG_PROBABILITY = 0.99
# A value more records share than this is not one person's (an office phone, a placeholder
# number, a shelter's e-mail): it decides nothing, and the model still weighs it.
STRONG_GROUP_MAX = 8
STRONG_MIN_CHARS = 5  # shorter document or account numbers are too easily shared by chance
# Full birth dates further apart than this contradict a shared identifier. One-year errors
# are common on either side (an age turned into a year), so two records can be two apart.
DOB_CONTRADICTION_DAYS = 2 * 366
REPORTED = ("stolen", "stolen-blank", "lost", "forged", "revoked", "invalidated")


def strong_keys(record: XrefRecord) -> set[tuple[str, str]]:
    """(kind, comparable value) of every strong identifier the record carries."""
    out: set[tuple[str, str]] = set()
    for number in record.documents or ((record.document,) if record.document else ()):
        value = normalise_document_number(number)
        if len(value) >= STRONG_MIN_CHARS:
            out.add(("document", value))
    for phone in record.phones or ((record.phone,) if record.phone else ()):
        if key := phone_key(phone):
            out.add(("phone", key))
    for email in record.emails:
        value = email.strip().lower()
        if "@" in value and "." in value.split("@")[-1]:
            out.add(("email", value))
    for account in record.accounts:
        value = re.sub(r"[^0-9A-Z]", "", account.upper())
        if len(value) >= STRONG_MIN_CHARS:
            out.add(("account", value))
    return out


def reported_documents(
    entities: Iterable[Mapping[str, Any]], hidden: Collection[str] = ()
) -> dict[str, str]:
    """Normalised document number -> report status, from FtM DocumentReports; values in
    `hidden` (the store's mask) say nothing."""
    out: dict[str, str] = {}
    for e in entities:
        if e.get("schema") != "DocumentReport":
            continue
        props: Mapping[str, list[str]] = e.get("properties", {})
        status = next((s for s in props.get("reportStatus", []) if s in REPORTED), None)
        for number in props.get("documentNumber", []):
            if status and number not in hidden and (key := normalise_document_number(number)):
                out[key] = status
    return out


def contradiction(a: Mapping[str, Any], b: Mapping[str, Any]) -> str | None:
    """A reason two records (`features()` rows) cannot be one person whatever they share:
    different sex, or full birth dates more than two years apart."""
    sa, sb = _sex(a.get("sex")), _sex(b.get("sex"))
    if sa and sb and sa != sb:
        return f"sex differs ({a['sex']} / {b['sex']})"
    da, db = _date(a.get("dob")), _date(b.get("dob"))
    if da and db and abs((da - db).days) > DOB_CONTRADICTION_DAYS:
        return f"birth dates {a['dob']} and {b['dob']} years apart"
    return None


def _sex(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    return {"m": "male", "f": "female"}.get(text[:1]) if text[:1] in ("m", "f") else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def strong_links(
    records: Sequence[XrefRecord],
    rows: Mapping[str, Mapping[str, Any]],
    reported: Mapping[str, str] | None = None,
) -> list[Link]:
    """Links decided by a shared strong identifier (see the module docstring).

    `rows` are the records' `features()` by id; `reported` maps a normalised document
    number to its report status (stolen, lost, ...): a link resting on such a document
    stands but carries a `review` note, since an impostor may be using it."""
    holders: dict[tuple[str, str], list[XrefRecord]] = {}
    for record in records:
        for key in strong_keys(record):
            holders.setdefault(key, []).append(record)
    found: dict[tuple[str, str], Link] = {}
    for (kind, value), group in sorted(holders.items()):
        if len(group) > STRONG_GROUP_MAX:
            continue
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                pair = (a.id, b.id) if a.id < b.id else (b.id, a.id)
                if a.id == b.id or pair in found:
                    continue
                link = _strong_link(pair, kind, value, rows[a.id], rows[b.id], reported or {})
                if link is not None:
                    found[pair] = link
    return list(found.values())


def _strong_link(
    pair: tuple[str, str],
    kind: str,
    value: str,
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    reported: Mapping[str, str],
) -> Link | None:
    if kind == "document":
        ca, cb = (str(r.get("nationality") or "").lower() for r in (a, b))
        if ca and cb and ca != cb:  # the same number from two countries is two documents
            return None
    name = names_compatible(a.get("name_parts"), b.get("name_parts"))
    if name is None or contradiction(a, b) is not None:
        return None
    status = reported.get(value) if kind == "document" else None
    review = f"document {value} is reported {status}: check for an impostor" if status else None
    evidence = f"same {kind} {value}, names {name:.2f} alike"
    return Link(*pair, STRONG_PROBABILITY, {}, evidence=evidence, review=review)


def names_compatible(left: str | None, right: str | None) -> float | None:
    """How alike two records' names are (`features()["name_parts"]`: every name already
    transliterated), if alike enough to go with a shared identifier; else None."""
    score = best_name_similarity(left, right)
    if score >= STRONG_NAME_BAR:
        return score
    parts = max((_parts_agree(a, b) for a in _split(left) for b in _split(right)), default=0.0)
    return parts if parts >= STRONG_PART_BAR else None


def _parts_agree(a: Sequence[str], b: Sequence[str]) -> float:
    """The worst agreement of a part of the shorter name with its best partner."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if not short:
        return 0.0
    return min(max(_part_similarity(x, y) for y in long_) for x in short)


def _part_similarity(x: str, y: str) -> float:
    fx, fy = x.lower(), y.lower()  # already transliterated; `fold` would blur short parts
    plain = fuzz.ratio(fx, fy)
    letters = fuzz.ratio("".join(sorted(fx)), "".join(sorted(fy)))
    return max(plain, letters) / 100


def merge_links(model: Iterable[Link], strong: Iterable[Link]) -> list[Link]:
    """The model's links with the strong ones laid over them: a pair both found keeps the
    model's weights (the explanation) and the higher probability."""
    merged = {tuple(sorted((lk.left, lk.right))): lk for lk in model}
    for link in strong:
        key = (link.left, link.right)
        old = merged.get(key)
        if old is None:
            merged[key] = link
        else:
            merged[key] = Link(
                old.left,
                old.right,
                max(old.probability, link.probability),
                old.weights,
                old.judged,
                link.evidence,
                link.review,
            )
    return list(merged.values())


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
        (lk for lk in links if lk.probability >= threshold or lk.strong),
        key=lambda lk: -lk.probability,
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
    threshold: float = XREF_THRESHOLD,
    engine: Engine | None = None,
    reported: Mapping[str, str] | None = None,
    model: XrefModel | None = None,
) -> Resolution:
    """Link `records` into identities: Splink scores the pairs (on DuckDB unless an
    engine is given), shared strong identifiers decide where names are compatible and
    nothing contradicts (`strong_links`; `reported` maps normalised document numbers to
    a stolen/lost report status), judgements override both, and clustering never joins
    a rejected pair."""
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            raise ValueError(f"id: {record.id!r} appears twice; every record needs its own id")
        seen.add(record.id)
    judgements = dict(judgements or {})
    rows = [features(r) for r in records]
    links = predict(rows, min(threshold, 0.5), engine=engine, model=model) if len(rows) > 1 else []
    by_id = {row["unique_id"]: row for row in rows}
    links = merge_links(links, strong_links(records, by_id, reported))
    for i, link in enumerate(links):
        j = judgements.get((link.left, link.right)) or judgements.get((link.right, link.left))
        if j:
            links[i] = Link(
                link.left, link.right, link.probability, link.weights, j, link.evidence, link.review
            )
    clusters = cluster([r.id for r in records], links, threshold, judgements)
    return Resolution(links, clusters)
