"""Export lines that carry their handling, and the purpose check that reads it.

Every exported entity line carries the merged marking of the values it was built from
(`store.entity_marking`), so the handling codes and grade travel with the file. An export
for a stated purpose refuses the lines a handling code forbids for it: for ``court``, a line
with an H1 value provided by another agency is refused unless that agency's consent is
recorded for the value's statement or for the entity (`store.handling_consent`). For any
declared purpose, a line with another agency's H0 value whose stated purposes do not include
it is refused (H0: "use for the stated purpose only"; ADR 0034). The exporting agency's own
values never need consent: H1 and H0 restrict the receivers, not the provider. A line also
carries its H3 restriction texts (`ExportLine.restrictions`), so they travel with the data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from palermo.access.viewer import Viewer
from palermo.model.handling_merge import Marking
from palermo.model.handling_terms import check_purpose
from palermo.store.entity_marking import entity_marking, value_marking
from palermo.store.handling_consent import RESTRICTED_USES, consents
from palermo.store.store import Store
from palermo.store.views import Entity


@dataclass(frozen=True)
class ExportLine:
    entity: Entity
    marking: Marking

    @property
    def restrictions(self) -> list[str]:
        """The H3 restrictions of the line's values, to be repeated wherever it goes."""
        return sorted(self.marking.restrictions)


@dataclass(frozen=True)
class Refused:
    """A line left out of a purpose-bound export, and whose consent it lacks."""

    entity_id: str
    providers: tuple[str, ...]
    code: str
    purposes: tuple[str, ...] = ()  # H0: what the providers' values are stated for

    @property
    def reason(self) -> str:
        who = ", ".join(self.providers)
        if self.code == "H0":
            stated = ", ".join(self.purposes) or "no common purpose"
            return f"{self.entity_id}: H0 value(s) of {who} stated for {stated} only"
        return f"{self.entity_id}: {self.code} value(s) of {who} without recorded consent"


def check_export_purpose(purpose: str) -> str:
    """A declared export purpose, or an error naming the field (``purpose``)."""
    return check_purpose(purpose, "purpose")


def purpose_refusal(entity: Entity, viewer: Viewer, purpose: str) -> Refused | None:
    """The H0 refusal of ``entity`` for ``purpose``: other agencies' values whose stated
    purposes (`model.handling_terms`) exclude it, or None when every value allows it."""
    providers: set[str] = set()
    stated: set[str] = set()
    for values in entity.properties.values():
        for v in values:
            marking = value_marking(v)
            if v.agency != viewer.agency and not marking.allows(purpose):
                providers.add(v.agency)
                stated |= marking.purposes or set()
    if not providers:
        return None
    return Refused(entity.id, tuple(sorted(providers)), "H0", tuple(sorted(stated)))


def lacking_consent(
    entity: Entity, viewer: Viewer, code: str, allowed: set[tuple[str, str]]
) -> tuple[str, ...]:
    """The other agencies whose ``code`` values in ``entity`` have no consent in ``allowed``."""
    missing = {
        v.agency
        for values in entity.properties.values()
        for v in values
        if v.agency != viewer.agency
        and code in {h.value for h in value_marking(v).handling}
        and (v.agency, v.statement_id) not in allowed
        and (v.agency, entity.id) not in allowed
    }
    return tuple(sorted(missing))


def refusals(
    store: Store, viewer: Viewer, entities: list[Entity], purpose: str
) -> dict[str, Refused]:
    """entity id -> why it may not be used for ``purpose`` (H0, then H1 for court), for a
    use of a few entities (the web export of a record); the rest may be used."""
    purpose = check_export_purpose(purpose)
    code = RESTRICTED_USES[purpose].value if purpose in RESTRICTED_USES else None
    allowed = consents(store, viewer.agency, purpose) if code is not None else set()
    out: dict[str, Refused] = {}
    for entity in entities:
        if refused := purpose_refusal(entity, viewer, purpose):
            out[entity.id] = refused
        elif code is not None and (providers := lacking_consent(entity, viewer, code, allowed)):
            out[entity.id] = Refused(entity.id, providers, code)
    return out


def marked_lines(
    store: Store, viewer: Viewer, schema: str | None = None, purpose: str | None = None
) -> Iterator[ExportLine | Refused]:
    """Every entity the viewer may see, with its marking, or refused for ``purpose``
    (H0 purposes first, then the consent a restricted use such as ``court`` needs)."""
    code: str | None = None
    allowed: set[tuple[str, str]] = set()
    if purpose is not None:
        purpose = check_export_purpose(purpose)
        if purpose in RESTRICTED_USES:
            code = RESTRICTED_USES[purpose].value
            allowed = consents(store, viewer.agency, purpose)
    for entity in store.export(viewer, schema=schema):
        if purpose is not None and (refused := purpose_refusal(entity, viewer, purpose)):
            yield refused
            continue
        if code is not None and (providers := lacking_consent(entity, viewer, code, allowed)):
            yield Refused(entity.id, providers, code)
            continue
        yield ExportLine(entity, entity_marking(entity))
