"""What a person is in the analysis: victim, suspect, witness, person of interest.

Kept apart from the graph code so the CLI and API can check a role name without loading
igraph. Where roles come from (and why masked values never give one) is in `linkgraph`.
"""

from __future__ import annotations

from collections.abc import Iterable

VICTIM, SUSPECT, WITNESS, INTEREST = "victim", "suspect", "witness", "person of interest"
ROLES = (VICTIM, SUSPECT, WITNESS, INTEREST)
# Roles left out of the key-broker ranking unless asked for: a victim lies on the paths
# between recruiter, transporter and exploiter, so betweenness ranks her as a "broker".
BROKER_EXCLUDES = (VICTIM,)


def check_roles(field_name: str, roles: Iterable[str]) -> None:
    """Refuse an unknown role name, naming the field and the known roles."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError(f"{field_name}: unknown role {unknown[0]!r} (known: {', '.join(ROLES)})")
