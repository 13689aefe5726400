"""Analysts' judgements laid over a view's identities (issue 15, ADR 0036, ADR 0046).

Confirm and reject are statements; a judgement is in the arrival feed and the view's
resolver rebuilds on it, but until that run is done the ledger may not obey it yet. So
every reader of identities (the analyses, the review queue, the profile and the
single-record lookup `ledger_access.identity_of`) lays the newest visible judgements over
the ledger with this one function, so they cannot disagree: a confirmed pair's identities
are one (never joining two that hold a rejected pair), and an identity holding a pair an
analyst rejected is shown as its separate records - which of its other records belong
with which side only a run can tell, and showing two people as one is the error analysts
must never be shown after saying "not the same".

The overlay is local: a record's result depends only on the identities connected to its
own by confirmed pairs (`identity_lookup` reads just those for one record).
"""

from __future__ import annotations

from collections.abc import Mapping

from palermo.match.xref import CONFIRM, REJECT

Verdicts = Mapping[tuple[str, str], str]


def apply_verdicts(identity_of: Mapping[str, str], verdicts: Verdicts) -> dict[str, str]:
    """The ledger's identities with judgements laid over them (see the module docstring).
    Pairs naming a record not in `identity_of` (not visible, not a resolved person) are
    ignored: a judgement never brings a record into the graph."""
    out = dict(identity_of)
    rejected = [(a, b) for (a, b), v in verdicts.items() if v == REJECT and a in out and b in out]
    for a, b in rejected:
        if out[a] == out[b]:
            _separate(out, out[a])
    members: dict[str, set[str]] = {}
    for record, identity in out.items():
        members.setdefault(identity, set()).add(record)
    apart = {(min(a, b), max(a, b)) for a, b in rejected}
    for (a, b), verdict in sorted(verdicts.items()):
        if verdict != CONFIRM or a not in out or b not in out or out[a] == out[b]:
            continue
        keep, gone = sorted((out[a], out[b]), key=lambda i: (-len(members[i]), i))
        if any((min(x, y), max(x, y)) in apart for x in members[keep] for y in members[gone]):
            continue
        for record in members[gone]:
            out[record] = keep
        members[keep] |= members.pop(gone)
    return out


def _separate(identity_of: dict[str, str], identity: str) -> None:
    """Every record of `identity` becomes its own node (its record id: records' and
    identities' ids never collide, `ledger.ID_PREFIX`)."""
    for record, current in list(identity_of.items()):
        if current == identity:
            identity_of[record] = record
