"""H0 applied value by value, for the outputs that use values rather than ship lines.

An export refuses a whole line when another agency's value in it is stated (H0) for other
purposes (`store.marked_export`). A report or a screening answer is built from many
records' values, so it leaves out the *values* a declared purpose may not use and keeps the
rest (ADR 0041). The analysis and screening caches hold FtM dicts, which lose per-value
markings; `value_copies` keeps, under :data:`H0_KEY`, each statement's property, value,
stated purposes and marking for the few entities that hold a restricted value, and
`for_purpose` / `withheld` read it back for a declared purpose. An entity without such a
value gets no key and costs nothing.

A value is usable for a purpose when any copy of it allows that purpose: a copy of the
viewer's own agency (H0 restricts receivers, not the provider), a copy without stated
purposes, or one whose stated purposes include it.

Reads (search, entity pages, the link chart, risk, trends) apply the same rule to the
entities the store loads, for the purpose the request declares (ADR 0051):
`entity_for_purpose` leaves the withheld values out of an `Entity` and names their owners
(`Entity.withheld`); a read that declares no purpose uses :data:`UNDECLARED`, which no
stated purpose lists, so values stated for purposes only are withheld (deny by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from palermo.access.viewer import Viewer
from palermo.model.handling_merge import Marking, merge
from palermo.model.handling_terms import check_purpose
from palermo.model.statement import BASE
from palermo.store.entity_marking import policy_marking
from palermo.store.views import Entity

H0_KEY = "h0"  # in an analysis or screening dict: [[prop, value, purposes|None, marking, agency]]

Copy = list[Any]  # [prop, value, sorted purposes or None (any), marking text, agency]

# The purpose of a read that declares none: in no value's stated purposes, so only values
# without stated purposes (and the reader's own) are usable -- deny by default (ADR 0051).
UNDECLARED = ""


def read_purpose(declared: str | None, field: str = "purpose") -> str:
    """The H0 purpose of a read: a coded purpose (lower case), :data:`UNDECLARED` when none
    is declared (None or blank), else an error naming ``field`` (`TermError`)."""
    if declared is None or not declared.strip():
        return UNDECLARED
    return check_purpose(declared, field)


def withheld_note(owners: list[str] | set[str]) -> str:
    """The marker shown where values were left out for the read's purpose."""
    return f"withheld: H0, stated for other purposes; ask {', '.join(sorted(owners))}"


def value_copies(entity: Entity, viewer: Viewer) -> list[Copy] | None:
    """Every statement of ``entity`` as a JSON-ready copy, when one of them is another
    agency's value with stated purposes; None (nothing to keep) otherwise."""
    copies: list[Copy] = []
    restricted = False
    for prop, values in entity.properties.items():
        for v in values:
            copy = statement_copy(prop, v.value, v.agency, v.policy, viewer)
            restricted = restricted or copy[2] is not None
            copies.append(copy)
    return copies if restricted else None


def statement_copy(prop: str, value: str, agency: str, policy: str, viewer: Viewer) -> Copy:
    """One statement as ``viewer`` reads it, as a copy (``policy``: the canonical policy
    text): its stated purposes, or None when it allows any (no H0 purposes, or the
    viewer's own). The one place a statement's purposes are read, for entities
    (`value_copies`) and for rows a query read without assembling entities (search facets)."""
    marking = policy_marking(policy)
    purposes = None if agency == viewer.agency else marking.purposes
    stated = sorted(purposes) if purposes is not None else None
    return [prop, value, stated, marking.text, agency]


def copy_usable(copy: Copy, purpose: str) -> bool:
    """Whether this one copy allows ``purpose`` (a value is usable when any copy does)."""
    return copy[2] is None or purpose in copy[2]


def usable_values(copies: list[Copy], purpose: str) -> set[tuple[str, str]]:
    """(prop, value) of ``copies`` that ``purpose`` may use: the rule of `withheld`."""
    gone = withheld({H0_KEY: copies}, purpose)
    return {(c[0], c[1]) for c in copies if c[1] not in gone.get(c[0], ())}


def withheld(data: Mapping[str, Any], purpose: str) -> dict[str, set[str]]:
    """prop -> the values of ``data`` that no copy allows for ``purpose`` (empty: none)."""
    copies: list[Copy] = data.get(H0_KEY) or []
    usable = {(c[0], c[1]) for c in copies if copy_usable(c, purpose)}
    out: dict[str, set[str]] = {}
    for c in copies:
        if (c[0], c[1]) not in usable:
            out.setdefault(c[0], set()).add(c[1])
    return out


def withheld_owners(data: Mapping[str, Any], purpose: str) -> list[str]:
    """The agencies whose values of ``data`` are withheld for ``purpose``: whom to ask."""
    copies: list[Copy] = data.get(H0_KEY) or []
    usable = {(c[0], c[1]) for c in copies if copy_usable(c, purpose)}
    return sorted({str(c[4]) for c in copies if (c[0], c[1]) not in usable and len(c) > 4})


def for_purpose(data: dict[str, Any], purpose: str) -> dict[str, Any] | None:
    """``data`` with only the values usable for ``purpose`` and the marking of the
    statements kept; None when its id statement or every one of its values is withheld
    (the record itself may then not be used: counted, charted or named)."""
    copies: list[Copy] | None = data.get(H0_KEY)
    if not copies:
        return data
    gone = withheld(data, purpose)
    if not gone:
        return data
    if BASE in gone:
        return None
    props = {
        p: kept
        for p, values in data.get("properties", {}).items()
        if (kept := [v for v in values if v not in gone.get(p, ())])
    }
    if not props and data.get("properties"):
        return None
    kept_copies = [c for c in copies if copy_usable(c, purpose)]
    marking = merge(Marking.parse(str(c[3])) for c in kept_copies)
    out = {k: v for k, v in data.items() if k != H0_KEY}
    out["properties"] = props
    out["handling"] = marking.text
    return out


def entity_for_purpose(entity: Entity, viewer: Viewer, purpose: str) -> Entity:
    """``entity`` without the values no copy allows for ``purpose`` (the rule of
    `withheld`), with ``withheld`` naming prop -> the agencies that stated them; the
    entity itself when nothing is withheld. The record stays (a search still reports the
    hit, as screening does); its id is not a value shown, so it is kept."""
    copies = value_copies(entity, viewer)
    if copies is None:
        return entity
    gone = withheld({H0_KEY: copies}, purpose)
    gone.pop(BASE, None)
    if not gone:
        return entity
    props: dict[str, list[Any]] = {}
    owners: dict[str, set[str]] = {}
    for prop, values in entity.properties.items():
        out = gone.get(prop, set())
        for v in values:
            if v.value in out:
                owners.setdefault(prop, set()).add(v.agency)
        if kept := [v for v in values if v.value not in out]:
            props[prop] = kept
    return replace(
        entity, properties=props, withheld={p: sorted(a) for p, a in sorted(owners.items())}
    )
