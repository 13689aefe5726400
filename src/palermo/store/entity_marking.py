"""The marking (handling codes, grade) of an entity as one viewer reads it.

An entity is assembled from values with their own sharing policies; anything built from the
whole entity (an analysis record, an export line) carries the strictest of them, by the one
merge rule of :mod:`palermo.model.handling_merge`.
"""

from __future__ import annotations

from functools import lru_cache

from palermo.model.handling_merge import Marking, merge
from palermo.store.views import Entity, Value


@lru_cache(maxsize=4096)
def policy_marking(canonical: str) -> Marking:
    """The marking of one stored policy text (cached: a few distinct policies, many values)."""
    return Marking.of_policy(canonical)


def value_marking(value: Value) -> Marking:
    return policy_marking(value.policy)


def entity_marking(entity: Entity) -> Marking:
    """The strictest marking of all the values of ``entity`` the viewer read."""
    return merge(value_marking(v) for values in entity.properties.values() for v in values)
