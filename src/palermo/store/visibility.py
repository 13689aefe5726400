"""The sharing rules compiled into SQL, so unshared statements never leave the database.

This is the one place that decides what a viewer may read. Every read path of the store
selects statements through :func:`visible_statements`; nothing filters rows in Python
afterwards. The Python twin of the rule is ``Sharing.reaches``; property-based tests
check that both agree.

Masking (victim-sensitive statements read without the victim-support role)
--------------------------------------------------------------------------
A statement is *masked* for a viewer when its policy carries the ``victim-sensitive``
handling code and the viewer lacks the victim-support role. Of a masked statement the
viewer sees that it exists (schema, property, agency, dates, sharing) but not what it
says: its value, its ``source_record_id`` and its statement id (a content hash of the
value, so it would be an offline oracle) all read :data:`MASK`.

Ids are data too (security review 2026-11-29, finding 3). An entity is *opaque* for a
viewer when every statement of it the viewer may read is masked: the viewer then sees it
under its **alias** only, a random id (``masked-`` and 32 hex digits) drawn when the first
victim-sensitive statement of the entity is written (table ``entity_alias``), which says
nothing about the real id. The rule, applied in SQL on every read path:

1. A row's ``entity_id`` is the entity's *shown id*: the alias if the entity is opaque
   for the viewer, else the real id.
2. A value that names an entity (a reference such as ``person``/``victim``/``holder``, or
   the entity's own ``id`` statement) is rewritten to that entity's shown id for this
   viewer, even when the referring statement itself is not masked. A reference shared
   openly therefore points at the alias, never at the real id: an unmasked Employment
   naming a victim does not hand out the victim's real id, and following it leads to the
   alias. (A masked reference reads :data:`MASK` like any masked value.)
3. Looking an opaque entity up by its real id finds nothing, exactly like an entity that
   does not exist (a 404), and ``referencing(real id)`` finds nothing either; lookups by
   the alias work. Without this the real id could be confirmed by guessing.
4. As soon as the viewer may read one unmasked statement of the entity (another agency
   shared something about it openly, or the viewer holds victim-support), the entity is
   not opaque and is shown under its real id, which that statement discloses anyway.
5. So that an agency cannot make rule 4 fire on a guessed id with its own statements,
   ``Store.write`` refuses statements on an id outside the writer agency's namespace
   (``<agency>.``) unless the writer may already read an unmasked statement of it from
   another agency (:func:`readable_from_others`); a missing and an opaque entity are
   refused with the same 404. Ids starting with :data:`ALIAS_PREFIX` are refused too.

Values that merely *contain* an id inside free text are not rewritten; the world
generator and importers must therefore not compose ids of victim-related records from
other ids (they use counters or hashes unrelated to the person ids instead).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, False_
from sqlalchemy.sql.selectable import FromClause

from palermo.access.viewer import Role, Viewer
from palermo.model.statement import BASE
from palermo.store.tables import (
    entity_alias,
    group_member,
    policy,
    policy_agency,
    policy_group,
    statement,
)

MASK = "[masked]"
# Aliases look like this; writes of entity ids with this prefix are refused (see Store.write)
# so no one can create an entity that would be shown under another entity's alias.
ALIAS_PREFIX = "masked-"


def new_alias() -> str:
    """A fresh random alias: 128 bits from the OS, unrelated to any id."""
    return ALIAS_PREFIX + secrets.token_hex(16)


def visible_policy_ids(viewer: Viewer) -> sa.CompoundSelect[tuple[str]]:
    """Ids of the policies whose audience includes the viewer's agency."""
    return sa.union(
        sa.select(policy.c.id).where(policy.c.everyone.is_(True)),
        sa.select(policy_agency.c.policy_id).where(policy_agency.c.agency_code == viewer.agency),
        sa.select(policy_group.c.policy_id)
        .join(group_member, group_member.c.group_code == policy_group.c.group_code)
        .where(group_member.c.agency_code == viewer.agency),
    )


def may_see(viewer: Viewer, table: FromClause = statement) -> ColumnElement[bool]:
    """True for statements the viewer's agency owns or that were shared with it."""
    if viewer.is_system or not viewer.roles:
        return sa.false()
    return sa.or_(
        table.c.agency == viewer.agency,
        table.c.policy_id.in_(visible_policy_ids(viewer)),
    )


def is_current(table: FromClause = statement) -> ColumnElement[bool]:
    """Asserted and not withdrawn by a later retraction of the same key."""
    later = statement.alias("later")
    retracted_later = (
        sa.select(later.c.seq)
        .where(later.c.key == table.c.key)
        .where(later.c.retracted.is_(True))
        .where(later.c.seq > table.c.seq)
        .exists()
    )
    return sa.and_(table.c.retracted.is_(False), sa.not_(retracted_later))


def is_masked(viewer: Viewer, table: FromClause = statement) -> ColumnElement[bool]:
    """True for victim-sensitive statements read without the victim-support role."""
    if viewer.sees_victim_details:
        return sa.false()
    sensitive = (
        sa.select(policy.c.victim_sensitive)
        .where(policy.c.id == table.c.policy_id)
        .scalar_subquery()
    )
    return sensitive.is_(True)


def shown_id(viewer: Viewer, entity_id: ColumnElement[str]) -> ColumnElement[str]:
    """The id the viewer knows the entity ``entity_id`` by: its alias if the entity is
    opaque for the viewer (rule 1 and 2 of the module docstring), else the id itself.

    The CASE tests the cheap condition first: entities that never had a victim-sensitive
    statement have no alias row and are never opaque."""
    if viewer.sees_victim_details:
        return entity_id
    if entity_id is statement.c.entity_id or entity_id is statement.c.value:
        return _cached_shown_id(_canonical(viewer), entity_id.key)
    return _build_shown_id(viewer, entity_id)


@functools.lru_cache(maxsize=512)
def _cached_shown_id(viewer: Viewer, column: str) -> ColumnElement[str]:
    return _build_shown_id(viewer, statement.c[column])


def _build_shown_id(viewer: Viewer, entity_id: ColumnElement[str]) -> ColumnElement[str]:
    has_alias = sa.select(entity_alias.c.alias).where(entity_alias.c.entity_id == entity_id)
    other = statement.alias("open_stmt")
    readable_unmasked = (
        sa.select(other.c.seq)
        .where(
            other.c.entity_id == entity_id,
            may_see(viewer, other),
            sa.not_(is_masked(viewer, other)),
            is_current(other),
        )
        .exists()
    )
    return sa.case(
        (sa.not_(has_alias.exists()), entity_id),
        (readable_unmasked, entity_id),
        else_=has_alias.scalar_subquery(),
    )


def behind_aliases(ids: Sequence[str]) -> sa.Select[str]:
    """The real ids behind those of ``ids`` that are aliases. Only a pre-filter for an
    index lookup (callers add them to the ids they filter the raw ``entity_id`` or
    ``value`` column on); whether the viewer may name the entity so is decided by
    comparing the shown column (see :func:`for_ids`)."""
    aliases = [i for i in ids if i.startswith(ALIAS_PREFIX)]
    return sa.select(entity_alias.c.entity_id).where(entity_alias.c.alias.in_(aliases))


def visible_statements(viewer: Viewer) -> sa.Select[tuple[object, ...]]:
    """Current statements the viewer may read, masked and with ids shown as the viewer
    knows them (see the module docstring). Further ``where`` clauses on the raw
    ``statement`` columns can be added to narrow it before it is used as a subquery.

    Built once per agency and role class: building the expression costs more than
    running it (selects are immutable, so sharing them is safe)."""
    return _visible_statements(_canonical(viewer))


def _canonical(viewer: Viewer) -> Viewer:
    """The viewer reduced to what the rule depends on: its agency and whether it reads
    nothing, everything masked or everything unmasked (the user name plays no part)."""
    if viewer.sees_victim_details:
        roles = frozenset({Role.VICTIM_SUPPORT})
    else:
        roles = frozenset({Role.ANALYST}) if viewer.roles else frozenset()
    return Viewer(viewer.agency, "", roles)


@functools.lru_cache(maxsize=512)
def _visible_statements(viewer: Viewer) -> sa.Select[tuple[object, ...]]:
    masked = is_masked(viewer)
    masked_value = sa.and_(masked, statement.c.prop != BASE)
    return sa.select(
        statement.c.seq,
        _unless(masked, statement.c.id).label("id"),
        shown_id(viewer, statement.c.entity_id).label("entity_id"),
        statement.c.schema,
        statement.c.prop,
        _unless(masked_value, shown_id(viewer, statement.c.value)).label("value"),
        statement.c.agency,
        _unless(masked, statement.c.source_record_id).label("source_record_id"),
        statement.c.policy_id,
        statement.c.first_seen,
        statement.c.last_seen,
        masked_value.label("masked"),
        sa.select(policy.c.canonical)
        .where(policy.c.id == statement.c.policy_id)
        .scalar_subquery()
        .label("policy"),
    ).where(may_see(viewer), is_current())


def visible_entities(viewer: Viewer) -> sa.Select[Any]:
    """The ids (as shown to the viewer, column ``entity_id``) of the entities it may read
    a current statement of: one row per entity, so the shown id is worked out once per
    entity rather than once per statement (lists and pages). Narrow it like
    :func:`visible_statements`, with ``where`` clauses on the raw columns."""
    return _visible_entities(_canonical(viewer))


@functools.lru_cache(maxsize=512)
def _visible_entities(viewer: Viewer) -> sa.Select[Any]:
    return (
        sa.select(shown_id(viewer, statement.c.entity_id).label("entity_id"))
        .where(may_see(viewer), is_current())
        .group_by(statement.c.entity_id)
    )


def visible_entity_keys(viewer: Viewer) -> sa.Select[Any]:
    """:func:`visible_entities` with each entity's stored id beside the shown one (columns
    ``key`` and ``entity_id``), for paging a whole export by the stored id: ``key > after``
    walks the index on ``statement.entity_id`` and stops after a page, where a filter on the
    shown id (an alias for an opaque entity) makes every page group the whole table. The
    key never leaves the store: callers hand out ``entity_id`` only."""
    return _visible_entity_keys(_canonical(viewer))


@functools.lru_cache(maxsize=512)
def _visible_entity_keys(viewer: Viewer) -> sa.Select[Any]:
    return (
        sa.select(
            statement.c.entity_id.label("key"),
            shown_id(viewer, statement.c.entity_id).label("entity_id"),
        )
        .where(may_see(viewer), is_current())
        .group_by(statement.c.entity_id)
    )


def for_ids(
    query: sa.Select[Any],
    viewer: Viewer,
    ids: Sequence[str],
    candidates: Sequence[str],
) -> sa.Select[Any]:
    """Narrow :func:`visible_statements` to the entities the viewer knows by one of
    ``ids``: an opaque entity matches its alias only, never its real id (rule 3).
    ``candidates`` are ``ids`` plus the real ids behind aliases (:func:`behind_aliases`),
    for the index on ``entity_id``."""
    return query.where(
        statement.c.entity_id.in_(candidates), shown_id(viewer, statement.c.entity_id).in_(ids)
    )


def referring_to(
    query: sa.Select[tuple[object, ...]],
    viewer: Viewer,
    target: str,
    candidates: Sequence[str],
) -> sa.Select[tuple[object, ...]]:
    """Narrow :func:`visible_statements` to unmasked values naming the entity the viewer
    knows as ``target`` (rule 3: an opaque entity is found by its alias only)."""
    masked = sa.and_(is_masked(viewer), statement.c.prop != BASE)
    return query.where(
        statement.c.prop != BASE,
        statement.c.value.in_(candidates),
        sa.not_(masked),
        shown_id(viewer, statement.c.value) == target,
    )


def unmasked_values(
    query: sa.Select[tuple[object, ...]], viewer: Viewer, props: Sequence[str]
) -> sa.Select[tuple[object, ...]]:
    """Narrow :func:`visible_statements` to unmasked values of ``props``, e.g. for search:
    a pattern matched against masked values would be an oracle on them (the shown value
    is the mask, but whether the hidden one matched would show in the hit list)."""
    return query.where(statement.c.prop.in_(props), sa.not_(is_masked(viewer)))


def readable_from_others(writer: Viewer, ids: Sequence[str]) -> sa.Select[str]:
    """Those of ``ids`` the writer knows by that id from another agency: it may read an
    unmasked current statement of the entity written by an agency other than its own (its
    own statements on a guessed id must not make an opaque entity show up under it)."""
    return (
        sa.select(statement.c.entity_id)
        .distinct()
        .where(
            statement.c.entity_id.in_(ids),
            statement.c.agency != writer.agency,
            may_see(writer),
            sa.not_(is_masked(writer)),
            is_current(),
        )
    )


def own_current_statements(writer: Viewer, entity_id: str) -> sa.Select[tuple[object, ...]]:
    """The writer agency's own current statements of an entity, unmasked and with the
    policy text, for computing retractions inside the store. Never returned to a caller
    (it bypasses masking because an agency retracts what it said, not what it may read)."""
    return (
        sa.select(
            statement,
            sa.select(policy.c.canonical)
            .where(policy.c.id == statement.c.policy_id)
            .scalar_subquery()
            .label("policy"),
        )
        .where(statement.c.entity_id == entity_id, statement.c.agency == writer.agency)
        .where(is_current())
    )


def resolve_shown_id(viewer: Viewer, shown: str, candidates: Sequence[str]) -> sa.Select[str]:
    """The real id of the entity the viewer knows as ``shown`` (none if it knows no such
    entity); for store-internal writes such as retraction, never for output."""
    return (
        sa.select(statement.c.entity_id)
        .where(
            statement.c.entity_id.in_(candidates),
            may_see(viewer),
            is_current(),
            shown_id(viewer, statement.c.entity_id) == shown,
        )
        .limit(1)
    )


def _unless(condition: ColumnElement[bool], column: ColumnElement[str]) -> ColumnElement[str]:
    """``column``, or :data:`MASK` where ``condition`` holds."""
    if isinstance(condition, False_):
        return column
    return sa.case((condition, sa.literal(MASK)), else_=column)
