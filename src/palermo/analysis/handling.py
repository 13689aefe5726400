"""Markings of analysis artefacts: identities, graph nodes and edges, scores.

Analysis works on FtM dicts (`analysis.service.visible`), each carrying under ``handling``
the marking text of its entity (`store.entity_marking`). These helpers give every derived
artefact the merge (`model.handling_merge.merge`) of the dicts it was built from, so a
restriction on any record reaches everything the analyst sees or exports from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from palermo.model.handling_merge import Marking, merge_groups

KEY = "handling"


def record_marking(entity: Mapping[str, Any]) -> Marking:
    """The marking an analysis dict carries (none given: no codes, ungraded)."""
    text = entity.get(KEY)
    return Marking.parse(str(text)) if text else Marking()


def record_markings(entities: Iterable[Mapping[str, Any]]) -> dict[str, Marking]:
    """record id -> its marking."""
    return {str(e["id"]): record_marking(e) for e in entities}


def identity_markings(
    markings: Mapping[str, Marking], identity_of: Mapping[str, str]
) -> dict[str, Marking]:
    """identity id -> the merge of the markings of all its records (a record with no
    identity is its own)."""
    return merge_groups(markings, identity_of)
