"""Property test: for every viewer, the store returns exactly what the sharing rules allow.

Random agencies and groups, random statements with random scopes and handling codes, some
of them retracted later; then each agency reads through the store and must get the set of
(entity, property, value) triples that ``Sharing.reaches`` allows - no more, no less - with
victim-sensitive values masked unless it holds the victim-support role, and an entity all
of whose readable statements are masked shown under its alias only (finding 3). A second
property checks that no value, source record id, statement id or real id of a masked
statement reaches the viewer through any read path (list, entity, export, search,
referencing), references included.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Role, Viewer
from palermo.model.sharing import Handling, Sharing
from palermo.model.statement import BASE, Statement
from palermo.store.store import Store
from palermo.store.views import Entity
from palermo.store.visibility import MASK
from tests.conftest import wipe
from tests.store.factories import SYSTEM, aliases_of, setup_agencies

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
    aliases: dict[str, str],
) -> set[tuple[str, str, str]]:
    """What the viewer must read; an entity all of whose readable statements are masked
    is shown under its alias (finding 3)."""
    readable = [
        s
        for s in stmts
        if s.key not in retracted and s.sharing.reaches(s.agency, agency, groups[agency])
    ]
    masked = {s.id for s in readable if s.sharing.victim_sensitive and not victim}
    unmasked_entities = {s.entity_id for s in readable if s.id not in masked}
    out = set()
    for s in readable:
        shown = s.entity_id if s.entity_id in unmasked_entities else aliases[s.entity_id]
        out.add((shown, s.prop, MASK if s.id in masked else s.value))
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
    viewers, retracted = build_world(store, groups, stmts, retract)
    aliases = aliases_of(store)
    for agency in AGENCIES:
        plain = viewers[agency]
        want = expected(stmts, retracted, agency, groups, victim=False, aliases=aliases)
        assert seen(store, plain) == want
        support = Viewer(agency, plain.username, frozenset({Role.VICTIM_SUPPORT}))
        want = expected(stmts, retracted, agency, groups, victim=True, aliases=aliases)
        assert seen(store, support) == want


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


# --- finding 3: nothing of a masked statement leaks through ids, source ids or links ---

PEOPLE = 5  # entity numbers 0..4 per agency: "a1.e3"; no id is a substring of another


@st.composite
def leak_worlds(draw: st.DrawFn) -> list[Statement]:
    """Persons with unique-token values and source ids, and Associates whose references
    (masked or not) point at persons, so every id, value and source id is findable."""
    out: list[Statement] = []
    for n in range(draw(st.integers(1, 14))):
        owner = draw(st.sampled_from(AGENCIES))
        sharing = draw(sharings)
        source = f"src{n}x"
        if draw(st.booleans()):
            eid = f"{owner.lower()}.e{draw(st.integers(0, PEOPLE - 1))}"
            out.append(Statement(eid, "Person", BASE, eid, owner, source, sharing))
            prop = draw(st.sampled_from(["name", "alias", "notes"]))
            out.append(Statement(eid, "Person", prop, f"val{n}x", owner, source, sharing))
        else:
            eid = f"{owner.lower()}.link{n}x"
            target = f"{draw(st.sampled_from(AGENCIES)).lower()}.e{draw(st.integers(0, 4))}"
            out.append(Statement(eid, "Associate", BASE, eid, owner, source, sharing))
            out.append(Statement(eid, "Associate", "person", target, owner, source, sharing))
    return out


def rendered(entities: list[Entity]) -> str:
    """Everything the store handed out, as one text to search tokens in."""
    parts = []
    for e in entities:
        parts += [e.id, e.schema, e.caption, *sorted(e.agencies)]
        for prop, values in e.properties.items():
            for v in values:
                parts += [prop, v.value, v.source_record_id, v.statement_id, v.agency, v.policy]
    return "\n".join(parts)


def secrets_for(
    stmts: list[Statement], agency: str, groups: dict[str, tuple[str, ...]]
) -> tuple[set[str], set[str]]:
    """(tokens that must not reach an analyst of ``agency``, real ids of entities that
    are opaque for it). Secret: the value, source id and statement id of each readable
    masked statement and the real id of each entity it reads only masked; minus what an
    unmasked statement shows legitimately (its value, source id and entity id)."""
    readable = [s for s in stmts if s.sharing.reaches(s.agency, agency, groups[agency])]
    masked = [s for s in readable if s.sharing.victim_sensitive]
    unmasked = [s for s in readable if not s.sharing.victim_sensitive]
    open_entities = {s.entity_id for s in unmasked}
    opaque = {s.entity_id for s in masked} - open_entities
    secret = {t for s in masked for t in (s.value, s.source_record_id, s.id)} | opaque
    legit = {t for s in unmasked for t in (s.source_record_id, s.id, s.entity_id)}
    legit |= {s.value for s in unmasked if s.value not in opaque}
    return secret - legit, opaque


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(groups=memberships, stmts=leak_worlds())
def test_masked_statements_leak_through_no_id_source_or_link(
    store: Store, groups: dict[str, tuple[str, ...]], stmts: list[Statement]
) -> None:
    wipe(store)
    viewers = setup_agencies(store, groups)
    for owner in AGENCIES:
        own = [s for s in stmts if s.agency == owner]
        if own:
            store.write(viewers[owner], own)
    for agency in AGENCIES:
        viewer = viewers[agency]
        secret, opaque = secrets_for(stmts, agency, groups)
        listed = store.entities(viewer, limit=1000)
        shown = [e.id for e in listed]
        exported = list(store.export(viewer, batch=3))  # paged by stored id, shown ids out
        assert sorted((e.id, repr(e.to_ftm())) for e in exported) == sorted(
            (e.id, repr(e.to_ftm())) for e in listed
        ), "export and the list disagree"
        got = [*listed, *exported]
        for entity_id in shown:
            got += [*filter(None, [store.entity(viewer, entity_id)])]
            got += store.referencing(viewer, entity_id)
        for needle in ("val", "1x", "src", "mask"):
            got += store.search(viewer, needle)
        text = rendered(got)
        leaked = sorted(t for t in secret if t in text)
        assert not leaked, f"{agency} was handed masked tokens {leaked}"
        for real in opaque:
            assert store.entity(viewer, real) is None, f"{agency} opened {real} by its real id"
            assert store.referencing(viewer, real) == []
        assert len(set(shown)) == len(shown)
        assert {e.id for e in got} <= set(shown), "a read path used another id than the list"


def build_world(
    store: Store, groups: dict[str, tuple[str, ...]], stmts: list[Statement], retract: list[int]
) -> tuple[dict[str, Viewer], set[Any]]:
    """A wiped store with the agencies in ``groups``, each owner's statements written, then
    those at the indices in ``retract`` retracted; returns the viewers and retracted keys."""
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
    return viewers, retracted
