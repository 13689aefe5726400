"""The sharing rules compiled into SQL, so unshared statements never leave the database.

This is the one place that decides what a viewer may read. Every read path of the store
selects statements through :func:`visible_statements`; nothing filters rows in Python
afterwards. The Python twin of the rule is ``Sharing.reaches``; property-based tests
check that both agree.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from palermo.access.viewer import Viewer
from palermo.store.tables import group_member, policy, policy_agency, policy_group, statement

MASK = "[masked]"


def visible_policy_ids(viewer: Viewer) -> sa.CompoundSelect[tuple[str]]:
    """Ids of the policies whose audience includes the viewer's agency."""
    return sa.union(
        sa.select(policy.c.id).where(policy.c.everyone.is_(True)),
        sa.select(policy_agency.c.policy_id).where(policy_agency.c.agency_code == viewer.agency),
        sa.select(policy_group.c.policy_id)
        .join(group_member, group_member.c.group_code == policy_group.c.group_code)
        .where(group_member.c.agency_code == viewer.agency),
    )


def may_see(viewer: Viewer) -> ColumnElement[bool]:
    """True for statements the viewer's agency owns or that were shared with it."""
    if viewer.is_system or not viewer.roles:
        return sa.false()
    return sa.or_(
        statement.c.agency == viewer.agency,
        statement.c.policy_id.in_(visible_policy_ids(viewer)),
    )


def is_current() -> ColumnElement[bool]:
    """Asserted and not withdrawn by a later retraction of the same key."""
    later = statement.alias("later")
    retracted_later = (
        sa.select(later.c.seq)
        .where(later.c.key == statement.c.key)
        .where(later.c.retracted.is_(True))
        .where(later.c.seq > statement.c.seq)
        .exists()
    )
    return sa.and_(statement.c.retracted.is_(False), sa.not_(retracted_later))


def shown_value(viewer: Viewer) -> ColumnElement[str]:
    """The value, or a mask for victim-sensitive values read without the victim-support role."""
    if viewer.sees_victim_details:
        return statement.c.value
    sensitive = (
        sa.select(policy.c.victim_sensitive)
        .where(policy.c.id == statement.c.policy_id)
        .scalar_subquery()
    )
    return sa.case(
        (sa.and_(sensitive.is_(True), statement.c.prop != "id"), sa.literal(MASK)),
        else_=statement.c.value,
    )


def visible_statements(viewer: Viewer) -> sa.Select[tuple[object, ...]]:
    """Current statements the viewer may read, with values masked where handling requires."""
    masked = shown_value(viewer)
    return sa.select(
        statement.c.seq,
        statement.c.id,
        statement.c.entity_id,
        statement.c.schema,
        statement.c.prop,
        masked.label("value"),
        statement.c.agency,
        statement.c.source_record_id,
        statement.c.policy_id,
        statement.c.first_seen,
        statement.c.last_seen,
        (masked != statement.c.value).label("masked"),
        sa.select(policy.c.canonical)
        .where(policy.c.id == statement.c.policy_id)
        .scalar_subquery()
        .label("policy"),
    ).where(may_see(viewer), is_current())
