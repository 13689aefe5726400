"""Property: a name alert is raised by a value the subscriber reads, and by every one it
reads that screening would match (ADR 0056).

Name subscriptions match across scripts and through typos now (`exchange.alert_names`),
so one subscription answers many spellings: any of them in a record the subscriber may
not read (unshared with its agency, or victim-sensitive and masked for its role) must
raise nothing, or the alert tells that such a record exists. Random worlds of persons
named in spellings of a few names (Latin, Cyrillic, Chinese, Arabic, typos), each with a
random owner, audience and sensitivity; every user subscribes to every name before the
data arrives. The expected alerts are worked out from the world alone (who may read what)
and the name matcher; the scan must raise exactly those. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.access.viewer import Role
from palermo.exchange import alerts
from palermo.exchange.alert_names import NameSubscription
from palermo.ingest.build import build
from palermo.model.sharing import Sharing
from palermo.store.store import Store
from tests.conftest import wipe
from tests.store.factories import SYSTEM, setup_agencies

AGENCIES = ("A1", "B2", "C3")
GROUPS = {"A1": ("G",), "B2": ("G",), "C3": ()}
SCOPES = ("owner", "all", "group:G", "A1", "B2", "C3")
SUBSCRIPTIONS = ("Ivan Petrenko", "Tong Io Cheng", "Mohamed Hassan")
SPELLINGS = (
    "Ivan Petrenko",
    "Иван Петренко",
    "Ivan Petrneko",
    "Ivan Sidorov",
    "唐曉晴",
    "Tong Io Cheng",
    "唐家輝",
    "محمد حسن",
    "Mohamed Hasan",
    "Mohamed Osman",
)


def reaches(owner: str, sharing: Sharing, agency: str) -> bool:
    """Whether a record of ``owner`` reaches ``agency``: the sharing rule in Python
    (`Sharing.reaches`), which the scan's SQL visibility rule must agree with."""
    return agency == owner or sharing.reaches(owner, agency, GROUPS.get(agency, ()))


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    persons=st.lists(
        st.tuples(
            st.sampled_from(AGENCIES),
            st.sampled_from(SCOPES),
            st.booleans(),
            st.sampled_from(SPELLINGS),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_name_alerts_come_only_from_values_the_subscriber_reads(
    store: Store, persons: list[tuple[str, str, bool, str]]
) -> None:
    wipe(store)
    analysts = setup_agencies(store, GROUPS)
    viewers = dict(analysts)
    for code in AGENCIES:
        user = store.add_user(SYSTEM, f"support-{code.lower()}", code, "analyst,victim-support")
        viewers[f"support-{code}"] = user.viewer()
    subscribed: dict[int, tuple[str, str]] = {}  # subscription -> (username, name)
    for viewer in viewers.values():
        for wanted in SUBSCRIPTIONS:
            sub = alerts.subscribe(store, viewer, "name", wanted)
            subscribed[sub] = (viewer.username, wanted)
    ids: dict[str, tuple[str, Sharing, bool, str]] = {}
    for n, (owner, scope, sensitive, name) in enumerate(persons):
        sharing = Sharing.parse(scope, ["victim-sensitive"] if sensitive else [])
        eid = f"{owner.lower()}.p{n}"
        ids[eid] = (owner, sharing, sensitive, name)
        store.write(analysts[owner], build(owner, eid, "Person", {"name": name}, sharing))

    created = alerts.scan(store)

    expected = set()
    for sub, (username, wanted) in subscribed.items():
        viewer = next(v for v in viewers.values() if v.username == username)
        support = Role.VICTIM_SUPPORT in viewer.roles
        for eid, (owner, sharing, sensitive, name) in ids.items():
            readable = reaches(owner, sharing, viewer.agency) and (support or not sensitive)
            if readable and NameSubscription.of(wanted).matches("name", name):
                expected.add((sub, eid))
    found = {(a.subscription_id, a.entity_id) for a in created}
    leaked = {(subscribed[s][0], e, ids[e]) for s, e in found - expected if e in ids}
    assert not leaked, f"alerts on values the subscriber may not read: {leaked}"
    assert found == expected
    assert all("[masked]" not in a.summary for a in created)
