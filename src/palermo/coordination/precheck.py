"""Name-free pre-check: an outside organisation checks a document number, learns nothing.

Carriers, banks and NGOs (INTERPOL's I-Checkit model) hold a ``precheck`` account: they
submit a travel or identity document number - or its keyed hash - and the issuing
country. The answer (``api/precheck_routes.py``) is the same bytes, status and (padded)
time whether the number is held or not; a hit opens a hit notice for the agency that holds
the number (``hit_notices``, channel ``precheck``) naming the submitting organisation and
account and the time, so the owner can act (e.g. meet the flight). The submitter never
reads anything: the role is refused on every other route.

What is matched: current document numbers of every agency on the node, found through the
search index (``search_term``, kind identifier) - ``documentNumber`` of a DocumentReport,
``number`` of a Passport/Identification, ``passportNumber``/``idNumber`` of a Person -
whatever their sharing, because nothing of them reaches the submitter and the notice goes
to the value's own agency. An entity that states an issuing country (``country``) must
state the submitted one; one that states none matches on the number.

The keyed hash: ``HMAC-SHA256(key, normalised number)`` in hex, where the number is
normalised as everywhere in palermo (upper case; spaces, dashes, dots and slashes removed;
an all-digit number read with O as 0) and ``key`` is the node's pre-check key, derived one
way from the node secret (``palermo precheck key`` prints it for the admins to hand over).
It keeps numbers out of the submitter's logs and transit; it is not a secret from the node.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from palermo.access.viewer import AccessDenied, Viewer
from palermo.coordination import hit_notices
from palermo.coordination.deconfliction import node_secret
from palermo.match.mrz import normalise_document_number
from palermo.model.schemata import model
from palermo.store import audit
from palermo.store.search_index import IDENTIFIER, search_term
from palermo.store.store import Store
from palermo.store.tables import statement
from palermo.store.visibility import is_current

PERSON_PROPS = ("passportNumber", "idNumber")
REPORT_PROPS = ("documentNumber",)
DIGEST = re.compile(r"^[0-9a-f]{64}$")
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
MAX_NUMBER = 64


@dataclass(frozen=True)
class Submission:
    """One checked request: exactly one of ``number`` and ``digest``, and the country."""

    country: str
    number: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, number: str | None, digest: str | None, country: str) -> Submission:
        """Checks each field and names the one that is wrong."""
        if (number is None) == (digest is None):
            raise ValueError("document_number: give either document_number or document_digest")
        if not COUNTRY.match(country or ""):
            raise ValueError("country: the issuing country as ISO 3166 alpha-2, e.g. DE")
        if digest is not None and not DIGEST.match(digest):
            raise ValueError("document_digest: 64 lower-case hex digits (HMAC-SHA256)")
        if number is not None:
            clean = normalise_document_number(number)
            if not clean or len(clean) > MAX_NUMBER or not clean.isalnum():
                raise ValueError("document_number: letters and digits, at most 64")
            return cls(country.lower(), number=clean)
        return cls(country.lower(), digest=digest)


def precheck_key(store: Store) -> bytes:
    """The node's pre-check key: a one-way derivation of the node secret, so it is backed
    up sealed with it and handing it out reveals nothing of the secret."""
    return hashlib.blake2b(
        b"palermo precheck key v1", key=node_secret(store), digest_size=32
    ).digest()


def keyed_digest(key: bytes, number: str) -> str:
    """What a submitter sends instead of the number."""
    return hmac.new(key, normalise_document_number(number).encode(), hashlib.sha256).hexdigest()


@dataclass
class DigestIndex:
    """Digest -> normalised number for every document term in the search index, extended
    from the last statement seq it saw (terms are only ever added); one per store."""

    key: bytes
    mark: int = 0
    numbers: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lookup(self, conn: Connection, digest: str) -> str | None:
        with self.lock:
            new = conn.execute(
                sa.select(search_term.c.term, search_term.c.seq)
                .join(statement, statement.c.seq == search_term.c.seq)
                .where(search_term.c.kind == IDENTIFIER, search_term.c.seq > self.mark)
                .where(_document_value())
            ).all()
            for term, seq in new:
                self.numbers[hmac.new(self.key, term.encode(), hashlib.sha256).hexdigest()] = term
                self.mark = max(self.mark, int(seq))
            return self.numbers.get(digest)


_indexes: weakref.WeakKeyDictionary[Store, DigestIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def _digest_index(store: Store, conn: Connection) -> DigestIndex:
    """The store's digest map; made afresh when the key changed (a new node secret) or the
    index shrank below what the map has seen (statements erased, a restore)."""
    key = precheck_key(store)
    newest = int(conn.execute(sa.select(sa.func.max(search_term.c.seq))).scalar() or 0)
    with _indexes_lock:
        found = _indexes.get(store)
        if found is None or found.key != key or newest < found.mark:
            found = _indexes[store] = DigestIndex(key)
        return found


def _document_value() -> sa.ColumnElement[bool]:
    """Statements that hold a document number (see the module docstring)."""
    identification = [s.name for s in model.schemata.values() if s.is_a("Identification")]
    return sa.or_(
        statement.c.prop.in_(PERSON_PROPS + REPORT_PROPS),
        sa.and_(statement.c.prop == "number", statement.c.schema.in_(identification)),
    )


def holders(conn: Connection, number: str, country: str) -> list[hit_notices.HitRef]:
    """(record, owning agency) of every current statement holding this normalised number,
    on an entity that states no issuing country or this one."""
    rows = conn.execute(
        sa.select(statement.c.entity_id, statement.c.agency)
        .join(search_term, search_term.c.seq == statement.c.seq)
        .where(search_term.c.term == number, search_term.c.kind == IDENTIFIER)
        .where(_document_value(), is_current())
        .distinct()
    ).all()
    if not rows:
        return []
    countries: dict[str, set[str]] = {}
    for entity_id, value in conn.execute(
        sa.select(statement.c.entity_id, statement.c.value).where(
            statement.c.entity_id.in_(sorted({r[0] for r in rows})),
            statement.c.prop == "country",
            is_current(),
        )
    ):
        countries.setdefault(entity_id, set()).add(str(value).lower())
    return [
        hit_notices.HitRef(entity_id, owner)
        for entity_id, owner in rows
        if country in countries.get(entity_id, {country})
    ]


def submit(
    store: Store, submitter: Viewer, request: Submission, now: datetime | None = None
) -> int:
    """Check one submission and notify the holders; returns how many notices it opened or
    counted up (for tests and the audit, never for the submitter's answer). The request
    itself is audited under the submitter with the keyed digest, never the number."""
    if not submitter.is_precheck:
        raise AccessDenied(f"{submitter.username}@{submitter.agency} may not submit pre-checks")
    key = precheck_key(store)
    digest = request.digest or keyed_digest(key, request.number or "")
    with store.transaction() as conn:
        number = request.number or _digest_index(store, conn).lookup(conn, digest)
        found = holders(conn, number, request.country) if number else []
        purpose = f"pre-check by {submitter.username}@{submitter.agency}"
        ids = hit_notices.notify_in(
            conn, submitter.agency, submitter.username, found, "precheck", purpose, now
        )
        form = "digest" if request.digest else "number"
        detail = {"country": request.country, "form": form}
        audit.append(conn, submitter.agency, submitter.username, "precheck", digest, detail)
    return len(ids)
