"""Property test: for every viewer, the store returns exactly what the sharing rules allow.

Random agencies and groups, random statements with random scopes and handling codes, some
of them retracted later; then each agency reads through the store and must get the set of
(entity, property, value) triples that ``Sharing.reaches`` allows - no more, no less - with
victim-sensitive values masked unless it holds the victim-support role.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Role, Viewer
from palermo.model.sharing import Handling, Sharing
from palermo.model.statement import Statement
from palermo.store.store import Store
from palermo.store.visibility import MASK
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies

AGENCIES = ["A1", "B2", "C3", "D4"]
GROUPS = ["EU", "ASEAN"]

sharings = st.builds(
    Sharing,
    everyone=st.booleans(),
    agencies=st.frozensets(st.sampled_from(AGENCIES), max_size=2),
    groups=st.frozensets(st.sampled_from(GROUPS), max_size=1),
    handling=st.frozensets(st.sampled_from(list(Handling)), max_size=2),
)

statements = st.builds(
    lambda owner, ent, prop, value, sharing: Statement(
        f"{owner.lower()}.e{ent}", "Person", prop, value, owner, f"e{ent}", sharing
    ),
    st.sampled_from(AGENCIES),
    st.integers(0, 4),
    st.sampled_from(["name", "birthDate", "nationality"]),
    st.sampled_from(["v1", "v2", "v3"]).map(lambda v: v if v != "v3" else "1980-01-01"),
    sharings,
)

memberships = st.fixed_dictionaries(
    {a: st.frozensets(st.sampled_from(GROUPS), max_size=2).map(tuple) for a in AGENCIES}
)


def expected(
    stmts: list[Statement],
    retracted: set[str],
    agency: str,
    groups: dict[str, tuple[str, ...]],
    victim: bool,
) -> set[tuple[str, str, str]]:
    out = set()
    for s in stmts:
        if s.key in retracted or not s.sharing.reaches(s.agency, agency, groups[agency]):
            continue
        masked = s.sharing.victim_sensitive and not victim
        out.add((s.entity_id, s.prop, MASK if masked else s.value))
    return out


def seen(store: Store, viewer: Viewer) -> set[tuple[str, str, str]]:
    got = set()
    for entity in store.entities(viewer, limit=1000):
        for prop, values in entity.properties.items():
            for v in values:
                got.add((entity.id, prop, v.value))
    return got


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=memberships,
    stmts=st.lists(statements, max_size=25),
    retract=st.lists(st.integers(0, 24), max_size=4),
)
def test_each_viewer_sees_exactly_what_was_shared(
    store: Store, groups: dict[str, tuple[str, ...]], stmts: list[Statement], retract: list[int]
) -> None:
    wipe(store)
    viewers = setup_agencies(store, groups)
    for owner in AGENCIES:
        own = [s for s in stmts if s.agency == owner]
        if own:
            store.write(viewers[owner], own)
    retracted = set()
    for index in retract:
        if index < len(stmts):
            victim = stmts[index]
            store.write(viewers[victim.agency], [victim.retraction()])
            retracted.add(victim.key)
    for agency in AGENCIES:
        plain = viewers[agency]
        assert seen(store, plain) == expected(stmts, retracted, agency, groups, victim=False)
        support = Viewer(agency, plain.username, frozenset({Role.VICTIM_SUPPORT}))
        assert seen(store, support) == expected(stmts, retracted, agency, groups, victim=True)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stmts=st.lists(statements, min_size=1, max_size=10))
def test_viewers_without_data_roles_see_nothing(store: Store, stmts: list[Statement]) -> None:
    wipe(store)
    viewers = setup_agencies(store, {a: () for a in AGENCIES})
    for owner in AGENCIES:
        own = [s for s in stmts if s.agency == owner]
        if own:
            store.write(viewers[owner], own)
    from palermo.access.viewer import AccessDenied

    for viewer in (
        SYSTEM,
        Viewer("A1", "admin-a1", frozenset({Role.ADMIN})),
        Viewer("A1", "nobody", frozenset()),
    ):
        try:
            store.entities(viewer)
        except AccessDenied:
            continue
        raise AssertionError(f"{viewer} read entity data")
