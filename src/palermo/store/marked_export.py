"""Export lines that carry their handling, and the purpose check that reads it.

Every exported entity line carries the merged marking of the values it was built from
(`store.entity_marking`), so the handling codes and grade travel with the file. An export
for a stated purpose refuses the lines a handling code forbids for it: for ``court``, a line
with an H1 value provided by another agency is refused unless that agency's consent is
recorded for the value's statement or for the entity (`store.handling_consent`). The
exporting agency's own values never need consent: H1 restricts the receivers, not the
provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from palermo.access.viewer import Viewer
from palermo.model.handling_merge import Marking
from palermo.store.entity_marking import entity_marking, value_marking
from palermo.store.handling_consent import RESTRICTED_USES, check_use, consents
from palermo.store.store import Store
from palermo.store.views import Entity


@dataclass(frozen=True)
class ExportLine:
    entity: Entity
    marking: Marking


@dataclass(frozen=True)
class Refused:
    """A line left out of a purpose-bound export, and whose consent it lacks."""

    entity_id: str
    providers: tuple[str, ...]
    code: str

    @property
    def reason(self) -> str:
        who = ", ".join(self.providers)
        return f"{self.entity_id}: {self.code} value(s) of {who} without recorded consent"


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


def marked_lines(
    store: Store, viewer: Viewer, schema: str | None = None, purpose: str | None = None
) -> Iterator[ExportLine | Refused]:
    """Every entity the viewer may see, with its marking, or refused for ``purpose``."""
    code: str | None = None
    allowed: set[tuple[str, str]] = set()
    if purpose is not None:
        code = RESTRICTED_USES[check_use(purpose)].value
        allowed = consents(store, viewer.agency, purpose)
    for entity in store.export(viewer, schema=schema):
        if code is not None and (providers := lacking_consent(entity, viewer, code, allowed)):
            yield Refused(entity.id, providers, code)
            continue
        yield ExportLine(entity, entity_marking(entity))
