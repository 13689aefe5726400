"""The viewer: an agency, a user and the roles the user holds there.

Every read and write in palermo takes a viewer. Nothing is readable without one, and a
viewer without a reading role reads nothing (deny by default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ANALYST = "analyst"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    VICTIM_SUPPORT = "victim-support"
    ADMIN = "admin"
    # An outside organisation (carrier, bank, NGO) that may only submit name-free pre-checks
    # (POST /api/v1/precheck); it reads nothing and holds no other role.
    PRECHECK = "precheck"


DATA_ROLES = frozenset({Role.ANALYST, Role.OFFICER, Role.SUPERVISOR, Role.VICTIM_SUPPORT})

SYSTEM_AGENCY = "_system"


class AccessDenied(PermissionError):
    """The viewer may not do this. The message names what was refused and why."""


class NotVisible(LookupError):
    """The target does not exist for this viewer (missing, unshared or of another kind).

    A 404 that says the same for "missing" and "not yours", so a refused write reveals no
    more than a refused read. The message starts with the field, e.g. ``request_id: ...``."""


def parse_roles(roles: Iterable[str] | str) -> frozenset[Role]:
    """Roles from a list or a comma string, naming any unknown role."""
    items = roles.split(",") if isinstance(roles, str) else list(roles)
    out: set[Role] = set()
    for item in (r.strip() for r in items):
        if not item:
            continue
        try:
            out.add(Role(item))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {item!r} (known: {known})") from None
    if Role.PRECHECK in out and len(out) > 1:
        raise ValueError("roles: precheck is for outside organisations and takes no other role")
    return frozenset(out)


@dataclass(frozen=True)
class Viewer:
    agency: str
    username: str
    roles: frozenset[Role] = field(default_factory=frozenset)

    @classmethod
    def system(cls) -> Viewer:
        """The node itself, for setup tasks: it administers but reads no case data."""
        return cls(agency=SYSTEM_AGENCY, username="system", roles=frozenset({Role.ADMIN}))

    @property
    def is_system(self) -> bool:
        return self.agency == SYSTEM_AGENCY

    @property
    def is_precheck(self) -> bool:
        """An outside organisation's pre-check account: refused on every other route."""
        return Role.PRECHECK in self.roles

    @property
    def sees_victim_details(self) -> bool:
        return Role.VICTIM_SUPPORT in self.roles

    def require_data_role(self, action: str) -> None:
        if self.is_system or not (self.roles & DATA_ROLES):
            raise AccessDenied(
                f"{self.username}@{self.agency} may not {action}: "
                "needs one of the roles analyst, officer, supervisor, victim-support"
            )

    def require_admin(self, action: str, agency: str | None = None) -> None:
        """Admins manage their own agency; only the node (system) manages every agency."""
        if Role.ADMIN not in self.roles:
            raise AccessDenied(f"{self.username}@{self.agency} may not {action}: needs admin")
        if agency is not None and not self.is_system and agency != self.agency:
            raise AccessDenied(
                f"{self.username}@{self.agency} may not {action} for agency {agency}"
            )
