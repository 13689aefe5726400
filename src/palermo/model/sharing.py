"""Who may see a statement: its sharing scope and handling codes.

A scope is set by the owning agency when it writes a value. It is never widened by anyone
else: exchange and every read path compare the viewer against exactly this object. The
text form (``owner``, ``all``, ``DE-BKA,group:EU``) is what the CLI, importers and the
exchange protocol carry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class ScopeKind(StrEnum):
    """A coarse label for a scope, for display and statistics."""

    OWNER = "owner"
    PARTNERS = "partners"
    GROUP = "group"
    MIXED = "partners+group"
    ALL = "all"


class Handling(StrEnum):
    """Handling codes that travel with a value, like MISP's distribution + TLP markings."""

    NO_ONWARD = "no-onward"  # a receiving node must not pass it on to anyone
    VICTIM_SENSITIVE = "victim-sensitive"  # masked unless the reader has the victim-support role


class SharingError(ValueError):
    """A sharing specification that cannot be understood."""


GROUP_PREFIX = "group:"


@dataclass(frozen=True)
class Sharing:
    """The audience of a statement beyond its owning agency (who always sees its own)."""

    everyone: bool = False
    agencies: frozenset[str] = field(default_factory=frozenset)
    groups: frozenset[str] = field(default_factory=frozenset)
    handling: frozenset[Handling] = field(default_factory=frozenset)

    @classmethod
    def owner_only(cls, handling: Iterable[Handling] = ()) -> Sharing:
        return cls(handling=frozenset(handling))

    @classmethod
    def to_all(cls, handling: Iterable[Handling] = ()) -> Sharing:
        return cls(everyone=True, handling=frozenset(handling))

    @classmethod
    def parse(cls, scope: str, handling: Iterable[str] = ()) -> Sharing:
        """Read ``owner``, ``all`` or a comma list of agency codes and ``group:NAME``."""
        codes = frozenset(parse_handling(handling))
        text = scope.strip()
        if text in ("", "owner"):
            return cls(handling=codes)
        if text == "all":
            return cls(everyone=True, handling=codes)
        agencies: set[str] = set()
        groups: set[str] = set()
        for part in (p.strip() for p in text.split(",")):
            if not part:
                raise SharingError(f"empty audience in scope {scope!r}")
            if part in ("owner", "all"):
                raise SharingError(f"{part!r} cannot be combined with other audiences")
            if part.startswith(GROUP_PREFIX):
                name = part[len(GROUP_PREFIX) :].strip()
                if not name:
                    raise SharingError(f"group without a name in scope {scope!r}")
                groups.add(name)
            else:
                agencies.add(part)
        return cls(agencies=frozenset(agencies), groups=frozenset(groups), handling=codes)

    @classmethod
    def from_canonical(cls, canonical: str) -> Sharing:
        """Inverse of :attr:`canonical` (``scope|handling``), as stored and exchanged."""
        scope, _, handling = canonical.partition("|")
        return cls.parse(scope, handling.split(",") if handling else ())

    @property
    def kind(self) -> ScopeKind:
        if self.everyone:
            return ScopeKind.ALL
        if self.agencies and self.groups:
            return ScopeKind.MIXED
        if self.agencies:
            return ScopeKind.PARTNERS
        if self.groups:
            return ScopeKind.GROUP
        return ScopeKind.OWNER

    @property
    def scope_text(self) -> str:
        """The canonical text form of the audience (without handling codes)."""
        if self.everyone:
            return "all"
        parts = sorted(self.agencies) + sorted(GROUP_PREFIX + g for g in self.groups)
        return ",".join(parts) if parts else "owner"

    @property
    def canonical(self) -> str:
        """Audience and handling in one stable string: the identity of a sharing policy."""
        handling = ",".join(sorted(h.value for h in self.handling))
        return f"{self.scope_text}|{handling}"

    @property
    def policy_id(self) -> str:
        return hashlib.sha1(self.canonical.encode("utf-8")).hexdigest()[:20]

    @property
    def victim_sensitive(self) -> bool:
        return Handling.VICTIM_SENSITIVE in self.handling

    @property
    def no_onward(self) -> bool:
        return Handling.NO_ONWARD in self.handling

    def reaches(self, owner: str, agency: str, agency_groups: Iterable[str]) -> bool:
        """The reference rule: may ``agency`` (member of ``agency_groups``) see this value?

        The store compiles the same rule into SQL; tests check the two agree.
        """
        if agency == owner or self.everyone or agency in self.agencies:
            return True
        return not self.groups.isdisjoint(agency_groups)


def parse_handling(codes: Iterable[str]) -> list[Handling]:
    """Turn handling code strings into :class:`Handling`, naming any unknown code."""
    out: list[Handling] = []
    for code in codes:
        code = code.strip()
        if not code:
            continue
        try:
            out.append(Handling(code))
        except ValueError:
            known = ", ".join(h.value for h in Handling)
            raise SharingError(f"unknown handling code {code!r} (known: {known})") from None
    return out


Scope = Sharing  # short alias used in signatures that talk about "a scope"
