"""Who may see a statement: its sharing scope and handling codes.

A scope is set by the owning agency when it writes a value. It is never widened by anyone
else: exchange and every read path compare the viewer against exactly this object. The
text form is ``AUDIENCE|HANDLING|GRADE``: the audience is ``owner``, ``all`` or a comma list
of agency codes and ``group:NAME``; the handling part (optional, with or without the ``|``) a
comma list of handling codes, e.g. ``NL-KMAR|no-onward``, ``group:EU|victim-sensitive`` or
``all|H1,H2``; the grade (optional) the Europol 4x4 source/information evaluation
(:mod:`palermo.model.grading`), e.g. ``all|H1|B2``.
It is what the CLI, importers, the API and the exchange protocol carry, and every one of
them reads it with :func:`parse_sharing`, which also checks the codes against the directory
(:class:`KnownAudiences`) so that a typo is an error instead of an audience of no one.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from palermo.model.grading import Grade, GradeError, parse_grade
from palermo.model.handling_terms import TermError, read_codes, tokens


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
    # Europol handling codes (SIENA); they follow the value into everything derived from it.
    H0 = "H0"  # use for the stated purpose only
    H1 = "H1"  # not for use in court without the provider's consent
    H2 = "H2"  # no onward dissemination without the provider's consent (as no-onward)
    H3 = "H3"  # other restrictions (stated with the data)


ONWARD_BLOCKING = frozenset({Handling.NO_ONWARD, Handling.H2})


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
    grade: Grade | None = None
    # H0's stated purposes and H3's restriction texts (`model.handling_terms`); a purpose
    # implies H0 and a restriction H3, added here if the caller left them out.
    purposes: frozenset[str] = field(default_factory=frozenset)
    restrictions: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        implied = {Handling.H0} if self.purposes else set()
        implied |= {Handling.H3} if self.restrictions else set()
        if not implied <= self.handling:
            object.__setattr__(self, "handling", self.handling | implied)

    @classmethod
    def owner_only(cls, handling: Iterable[Handling] = ()) -> Sharing:
        return cls(handling=frozenset(handling))

    @classmethod
    def to_all(cls, handling: Iterable[Handling] = ()) -> Sharing:
        return cls(everyone=True, handling=frozenset(handling))

    @classmethod
    def parse(cls, scope: str, handling: Iterable[str] = (), grade: Any = None) -> Sharing:
        """Read ``AUDIENCE[|HANDLING[|GRADE]]``; ``handling`` and ``grade`` may also be
        given separately (a grade in both places must agree).

        The audience is ``owner``, ``all`` or a comma list of agency codes and
        ``group:NAME``. Codes are checked for form only; :class:`KnownAudiences` checks
        them against the directory."""
        parts = scope.split("|")
        if len(parts) > 3:
            raise SharingError(
                f"{scope!r} has more than two '|' (the form is AUDIENCE|HANDLING|GRADE)"
            )
        text, extra = parts[0], parts[1] if len(parts) > 1 else ""
        try:
            read = read_codes([*handling, *extra.split(",")])
        except TermError as exc:
            raise SharingError(str(exc)) from None
        codes = frozenset(parse_handling(read.codes))
        graded = _grade(parts[2] if len(parts) > 2 else None, grade)
        text = text.strip()
        if text in ("", "owner"):
            return cls(
                handling=codes,
                grade=graded,
                purposes=read.purposes,
                restrictions=read.restrictions,
            )
        if text == "all":
            return cls(
                everyone=True,
                handling=codes,
                grade=graded,
                purposes=read.purposes,
                restrictions=read.restrictions,
            )
        agencies: set[str] = set()
        groups: set[str] = set()
        for part in (p.strip() for p in text.split(",")):
            if not part:
                raise SharingError(f"empty audience in scope {scope!r}")
            if part in ("owner", "all"):
                raise SharingError(f"{part!r} cannot be combined with other audiences")
            if any(c.isspace() for c in part):
                raise SharingError(f"{part!r} is not an agency code or group:NAME (no spaces)")
            if part.startswith(GROUP_PREFIX):
                name = part[len(GROUP_PREFIX) :].strip()
                if not name:
                    raise SharingError(f"group without a name in scope {scope!r}")
                groups.add(name)
            else:
                agencies.add(part)
        return cls(
            agencies=frozenset(agencies),
            groups=frozenset(groups),
            handling=codes,
            grade=graded,
            purposes=read.purposes,
            restrictions=read.restrictions,
        )

    @classmethod
    def from_canonical(cls, canonical: str) -> Sharing:
        """Inverse of :attr:`canonical` (``scope|handling[|grade]``), as stored and exchanged."""
        return cls.parse(canonical)

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
        """Audience, handling and grade in one stable string: the identity of a sharing
        policy. Without a grade it is ``scope|handling`` exactly as before grades existed,
        so every stored policy id stays the same."""
        if self.purposes or self.restrictions:
            handling = tokens((h.value for h in self.handling), self.purposes, self.restrictions)
        else:  # the common case, as fast as before qualifiers existed
            handling = ",".join(sorted(h.value for h in self.handling))
        grade = f"|{self.grade.text}" if self.grade is not None else ""
        return f"{self.scope_text}|{handling}{grade}"

    @property
    def policy_id(self) -> str:
        return hashlib.sha1(self.canonical.encode("utf-8")).hexdigest()[:20]

    @property
    def victim_sensitive(self) -> bool:
        return Handling.VICTIM_SENSITIVE in self.handling

    @property
    def no_onward(self) -> bool:
        """May a receiving node not pass it on? (no-onward, or Europol H2.)"""
        return not ONWARD_BLOCKING.isdisjoint(self.handling)

    def reaches(self, owner: str, agency: str, agency_groups: Iterable[str]) -> bool:
        """The reference rule: may ``agency`` (member of ``agency_groups``) see this value?

        The store compiles the same rule into SQL; tests check the two agree.
        """
        if agency == owner or self.everyone or agency in self.agencies:
            return True
        return not self.groups.isdisjoint(agency_groups)


def parse_handling(codes: Iterable[str]) -> list[Handling]:
    """Turn handling code strings into :class:`Handling`, naming any unknown code.

    Codes are read case-insensitively (``h1`` is ``H1``, ``No-Onward`` is ``no-onward``)."""
    out: list[Handling] = []
    for code in codes:
        code = code.strip()
        if not code:
            continue
        try:
            out.append(Handling(code.upper() if code.upper() in _H_CODES else code.lower()))
        except ValueError:
            known = ", ".join(h.value for h in Handling)
            raise SharingError(f"unknown handling code {code!r} (known: {known})") from None
    return out


_H_CODES = frozenset({"H0", "H1", "H2", "H3"})


def _grade(in_text: str | None, given: Any) -> Grade | None:
    """The grade from the text form and/or a separate field; they must not disagree."""
    try:
        first, second = parse_grade(in_text), parse_grade(given)
    except GradeError as exc:
        raise SharingError(str(exc)) from None
    if first is not None and second is not None and first != second:
        raise SharingError(f"grade: {first.text!r} in the text and {second.text!r} given")
    return first or second


class _Member(Protocol):
    """What :class:`KnownAudiences` needs of a directory agency."""

    @property
    def code(self) -> str: ...

    @property
    def groups(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class KnownAudiences:
    """A snapshot of the directory's agency and group codes, to check a sharing against.

    An unknown code in a sharing is almost always a typo (``NL-KMR``, ``group:UE``); stored
    as is, it is an audience of no one and the partner silently never gets the data."""

    agencies: frozenset[str]
    groups: frozenset[str]

    @classmethod
    def of(cls, members: Iterable[_Member]) -> KnownAudiences:
        listed = list(members)
        return cls(
            agencies=frozenset(m.code for m in listed),
            groups=frozenset(g for m in listed for g in m.groups),
        )

    def check(self, sharing: Sharing) -> Sharing:
        """``sharing`` itself, or a :class:`SharingError` naming the first unknown code."""
        for code in sorted(sharing.agencies):
            if code not in self.agencies:
                raise SharingError(f"unknown agency {code!r}{_known(code, self.agencies)}")
        names = {GROUP_PREFIX + g for g in self.groups}
        for group in sorted(GROUP_PREFIX + g for g in sharing.groups):
            if group not in names:
                raise SharingError(f"unknown group {group!r}{_known(group, names)}")
        return sharing


def _known(code: str, known: Iterable[str], shown: int = 12) -> str:
    """`` (known: A, B, ...; did you mean B?)``: enough for the user to fix the typo."""
    ordered = sorted(known)
    if not ordered:
        return " (the directory has none; add it with `palermo agency add` first)"
    listing = ", ".join(ordered[:shown]) + (", ..." if len(ordered) > shown else "")
    close = difflib.get_close_matches(code, ordered, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f" (known: {listing}{hint})"


def parse_sharing(
    value: Any, known: KnownAudiences | None = None, default: Sharing | None = None
) -> Sharing:
    """The one strict reader of a sharing, for every entry point (import rows, mapping
    columns, API bodies, CLI options).

    ``value`` is the text form ``AUDIENCE|HANDLING|GRADE`` or a ``{"scope", "handling",
    "grade"}`` object (handling a list or a comma string, grade e.g. ``"B2"``); ``None``
    gives ``default`` (owner only if none).
    With ``known`` the agency and group codes must exist in the directory."""
    if value is None:
        return default if default is not None else Sharing.owner_only()
    if isinstance(value, str):
        sharing = Sharing.parse(value)
    elif isinstance(value, Mapping):
        scope = value.get("scope", "owner")
        handling = value.get("handling", [])
        if isinstance(handling, str):
            handling = handling.split(",")
        if not isinstance(scope, str) or not isinstance(handling, list | tuple):
            raise SharingError("scope must be text and handling a list of codes")
        sharing = Sharing.parse(scope, [str(h) for h in handling], value.get("grade"))
    else:
        raise SharingError(
            "must be AUDIENCE|HANDLING|GRADE text or an object {scope, handling, grade}"
        )
    return known.check(sharing) if known is not None else sharing


Scope = Sharing  # short alias used in signatures that talk about "a scope"
