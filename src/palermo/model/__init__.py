"""The core data model: followthemoney's schemata plus palermo's extensions.

Everything above this package (store, match, exchange, analysis, ...) speaks in these
schemata, so that data round-trips to Aleph/OpenSanctions tools unchanged.
"""

from palermo.model.schemata import model
from palermo.model.sharing import Handling, Scope, ScopeKind, Sharing
from palermo.model.statement import Statement, make_entity_id

__all__ = [
    "Handling",
    "Scope",
    "ScopeKind",
    "Sharing",
    "Statement",
    "make_entity_id",
    "model",
]
