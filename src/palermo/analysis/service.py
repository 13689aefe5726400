"""Analysis as a viewer: read what the viewer may see through the store, then analyse.

Every function here starts from `Store.export`, so access control stays in the query and
every page read is audited; nothing in `analysis` reads tables directly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from h3 import cell_to_boundary
from rigour.territories import get_territory

from palermo.access.viewer import Viewer
from palermo.analysis import hotspots as hotspots_mod
from palermo.analysis import indicators as indicators_mod
from palermo.analysis import linkgraph
from palermo.analysis import routes as routes_mod
from palermo.analysis.graph import subgraph
from palermo.analysis.identities import resolution_of
from palermo.analysis.ledger_identities import ledger_identities
from palermo.analysis.linkgraph import LinkGraph
from palermo.analysis.purpose_identities import Evidence, EvidenceOf, identities_for_purpose
from palermo.analysis.report import ReportData, build_report
from palermo.analysis.roles import BROKER_EXCLUDES, check_roles
from palermo.match import ledger, ledger_pairs
from palermo.match.incremental import load_model
from palermo.match.resolution import judgements
from palermo.match.xref_threshold import XREF_THRESHOLD
from palermo.store.entity_marking import entity_marking
from palermo.store.purpose_view import H0_KEY, for_purpose, value_copies, withheld_owners
from palermo.store.store import Store
from palermo.store.viewer_cache import ViewerCache

BATCH_THRESHOLD = 0.9  # `identities.resolve_identities`'s, for a view never resolved

ANALYSED = (
    "Person",
    "Organization",
    "Company",
    "Associate",
    "Family",
    "Employment",
    "Membership",
    "Ownership",
    "Payment",
    "UnknownLink",
    "Passport",
    "Identification",
    "Phone",
    "Vehicle",
    "BankAccount",
    "Address",
    "Trip",
    "BorderCrossing",
    "DocumentReport",
    "VictimRecord",
)


def visible(
    store: Store,
    viewer: Viewer,
    schemata: Iterable[str] = ANALYSED,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """The viewer's entities as FtM dicts, each with the agencies that hold it."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for schema in schemata:
        for entity in store.export(viewer, schema=schema, batch=5000):
            if entity.id in seen:  # a descendant schema, already read under its parent
                continue
            seen.add(entity.id)
            data = entity.to_ftm()
            data["agency"] = ",".join(sorted(entity.agencies))
            data["handling"] = entity_marking(entity).text  # follows into every artefact
            if (copies := value_copies(entity, viewer)) is not None:
                data[H0_KEY] = copies  # a report for a declared purpose reads it (ADR 0041)
            out.append(data)
            if progress is not None and len(out) % 1000 == 0:
                progress(len(out))
    return out


@dataclass
class Workspace:
    """One viewer's material for analysis: visible entities and their resolved identities."""

    entities: list[dict[str, Any]]
    identity_of: dict[str, str]
    _graph: LinkGraph | None = None
    # set on a purpose's view (`for_purpose`): the purpose and, per agency to ask, how many
    # records it holds with values withheld from that purpose (ADR 0051)
    purpose: str | None = None
    withheld: dict[str, int] = field(default_factory=dict)
    _views: dict[str, Workspace] = field(default_factory=dict, repr=False)
    # what joined the identities, read when a purpose's view first needs it: a purpose's
    # identities are cut where a link needed a value withheld from it (`purpose_identities`)
    evidence: EvidenceOf | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        store: Store,
        viewer: Viewer,
        resolve: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> Workspace:
        viewer.require_data_role("analyse")
        entities = visible(store, viewer, progress=progress)
        if not resolve:
            return cls(entities, {})
        identity_of, evidence = identities_with_evidence(store, viewer, entities)
        return cls(entities, identity_of, evidence=evidence)

    def resolved(self) -> Workspace:
        """The same entities with person records cross-referenced into identities."""
        identity_of, evidence = _batch(self.entities, {})
        return Workspace(self.entities, identity_of, evidence=evidence)

    def identified(self, store: Store, viewer: Viewer) -> Workspace:
        """The same entities on the viewer's identities (`identities`)."""
        identity_of, evidence = identities_with_evidence(store, viewer, self.entities)
        return Workspace(self.entities, identity_of, evidence=evidence)

    def for_purpose(self, purpose: str) -> Workspace:
        """What a read declaring ``purpose`` (`purpose_view.read_purpose`) may analyse:
        every record through `purpose_view.for_purpose` -- its withheld values left out,
        a record whose id or every value is withheld dropped -- so the link chart, risk,
        routes, hotspots and trends are built only from usable values (ADR 0051). An
        identity is cut where a link that joined it needed a value withheld from the
        purpose (`purpose_identities`, ADR 0051's amendment of 2026-11-30), so a node never
        joins two records that only withheld values linked. Kept per purpose for this workspace
        (which the cache drops on every write); the workspace itself (with the purpose
        named) when no record holds a restricted value."""
        found = self._views.get(purpose)
        if found is not None:
            return found
        owners: Counter[str] = Counter()
        for e in self.entities:
            if e.get(H0_KEY):  # only records holding another agency's value with purposes
                owners.update(withheld_owners(e, purpose))
        if not owners:
            view = Workspace(self.entities, self.identity_of, self._graph, purpose)
        else:
            kept = [d for e in self.entities if (d := for_purpose(e, purpose)) is not None]
            identity_of = identities_for_purpose(
                self.entities, kept, self.identity_of, self.evidence, purpose
            )
            view = Workspace(kept, identity_of, None, purpose, dict(sorted(owners.items())))
        self._views[purpose] = view
        return view

    def audit_detail(self) -> dict[str, Any]:
        """What an analysis audit row records of H0 (ADR 0051): the declared purpose (None
        when none was) and, when any, the agencies whose values were withheld. One
        definition for the API's and the CLI's rows, so both say the same."""
        out: dict[str, Any] = {"purpose": self.purpose or None}
        if self.withheld:
            out["withheld"] = self.withheld
        return out

    def link_graph(self) -> LinkGraph:
        if self._graph is None:
            self._graph = linkgraph.build(self.entities, self.identity_of)
        return self._graph

    def node(self, record_id: str) -> str:
        """The graph node of a record id (its identity) or of an identity id itself."""
        node = self.identity_of.get(record_id, record_id)
        if node not in self.link_graph().labels:
            raise KeyError(f"entity: {record_id!r} is not in your link graph")
        return node

    def graph_json(self, ego: str | None = None, hops: int = 2) -> dict[str, Any]:
        lg = self.link_graph()
        graph = lg.graph
        if ego is not None:
            graph = subgraph(graph, graph.ego(self.node(ego), hops=hops))
        data = graph.to_json(labels=lg.labels, schema=lg.schema)
        for node in data["nodes"]:
            node["records"] = lg.records.get(node["id"], [])
            node["roles"] = lg.roles.get(node["id"], [])
            node["handling"] = lg.handling.get(node["id"], "")
        return data

    def path(self, source: str, target: str) -> list[dict[str, str]]:
        lg = self.link_graph()
        names = lg.graph.shortest_path(self.node(source), self.node(target))
        return [
            {"id": n, "label": lg.labels.get(n, n), "schema": lg.schema.get(n, "")} for n in names
        ]

    def brokers(
        self,
        top: int = 10,
        roles: Collection[str] = (),
        exclude: Collection[str] = BROKER_EXCLUDES,
    ) -> list[dict[str, Any]]:
        """Persons ranked by betweenness, each with its roles. By default a node with the
        victim role is left out: a victim sits between recruiters, transporters and
        exploiters on every path, and ranking her as a broker would send investigators
        after the person they should protect. `roles` keeps only nodes with one of them;
        `exclude=()` ranks everyone."""
        lg = self.link_graph()
        persons = set(lg.persons())
        check_roles("roles", roles)
        check_roles("exclude", exclude)
        ranked = [
            (n, s)
            for n, s in lg.graph.brokers(top=len(lg.labels))
            if n in persons and _role_filter(lg.roles.get(n, []), roles, exclude)
        ]
        return [
            {
                "id": n,
                "label": lg.labels[n],
                "betweenness": round(s, 6),
                "roles": lg.roles.get(n, []),
            }
            for n, s in ranked[:top]
        ]

    def communities(
        self, role: str | None = None, top: int = 20, seed: int = 0
    ) -> list[dict[str, Any]]:
        """Leiden communities of the link graph, largest first: how many persons hold each
        role, and the members (persons first, by betweenness). With `role`, only the
        communities holding someone in that role, and of their members only those."""
        if role is not None:
            check_roles("role", [role])
        lg = self.link_graph()
        community = lg.graph.communities(seed=seed)
        score = lg.graph.betweenness()
        persons = set(lg.persons())
        groups: dict[int, list[str]] = {}
        for node, c in community.items():
            groups.setdefault(c, []).append(node)
        out: list[dict[str, Any]] = []
        for c, nodes in groups.items():
            counts = Counter(r for n in nodes for r in lg.roles.get(n, []))
            members = [n for n in nodes if role is None or role in lg.roles.get(n, [])]
            if not members or len(nodes) < 2:
                continue
            members.sort(key=lambda n: (n not in persons, -score.get(n, 0.0), n))
            out.append(
                {
                    "community": c,
                    "size": len(nodes),
                    "persons": sum(n in persons for n in nodes),
                    "roles": dict(sorted(counts.items())),
                    "members": [
                        {
                            "id": n,
                            "label": lg.labels.get(n, n),
                            "schema": lg.schema.get(n, ""),
                            "roles": lg.roles.get(n, []),
                        }
                        for n in members
                    ],
                }
            )
        out.sort(key=lambda g: (-int(g["size"]), int(g["community"])))
        return out[:top]

    def routes(self, form: str | None = None, start: str = "", end: str = "") -> dict[str, Any]:
        all_flows = routes_mod.flows(self.entities, self.identity_of)
        result: dict[str, Any] = {
            "flows": len(all_flows),
            "top": [{"route": r, "flows": n} for r, n in routes_mod.top_routes(all_flows, form)],
            "by_form": {
                f: [{"route": r, "flows": n} for r, n in top]
                for f, top in routes_mod.routes_by_form(all_flows).items()
            },
        }
        codes = {c for f in all_flows for c in (f.origin, *f.transit, f.destination)}
        result["countries"] = {c.upper(): country_name(c) for c in sorted(codes)}
        if start:
            result["new"] = [
                {"route": r, "flows": n, "first_seen": d}
                for r, n, d in routes_mod.new_routes(all_flows, start, end or "9999")
            ]
        return result

    def hotspots(
        self,
        kind: str | None = None,
        resolution: int = 5,
        period: tuple[str, str] = ("", ""),
        baseline: tuple[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        events = hotspots_mod.events(self.entities)
        chosen = hotspots_mod.in_period(events, *period)
        base = hotspots_mod.in_period(events, *baseline) if baseline else None
        found = hotspots_mod.hotspots(chosen, kind, resolution, base)
        return [
            asdict(h)
            | {
                "significant": h.significant,
                "boundary": [list(p) for p in cell_to_boundary(h.cell)],
            }
            for h in found
        ]

    def risk(self, top: int = 50, use_victim_records: bool = True) -> list[dict[str, Any]]:
        scores = indicators_mod.score(self.entities, self.identity_of, use_victim_records)
        labels = self.link_graph().labels
        return [
            {
                "identity": s.identity,
                "label": labels.get(s.identity, s.identity),
                "score": s.score,
                "indicators": [asdict(f) for f in s.fired],
                "explanation": s.explain(),
                "handling": s.handling,
            }
            for s in scores[:top]
        ]

    def report(self, title: str, source: str, purpose: str | None = None) -> ReportData:
        """The report over every record, or for a declared ``purpose``: over the values
        that purpose may use (H0, `store.purpose_view`), stating the purpose."""
        entities = self.entities
        if purpose is not None:
            entities = [d for e in entities if (d := for_purpose(e, purpose)) is not None]
        top = routes_mod.top_routes(routes_mod.flows(entities, self.identity_of))
        return build_report(entities, title, source, top, purpose)

    def trends(self) -> dict[str, Any]:
        data = self.report("", "")
        return {caption: dict(counts) for caption, _, counts, _ in data.tables()}


def identities(store: Store, viewer: Viewer, entities: list[dict[str, Any]]) -> dict[str, str]:
    """record id -> identity for analysis: the view's ledger when it has one (what arrivals,
    runs and undos made it, ADR 0036), else the workspace's records resolved in batch.
    Analysts' confirm/reject decide over the model either way (graph, brokers, risk)."""
    return identities_with_evidence(store, viewer, entities)[0]


def identities_with_evidence(
    store: Store, viewer: Viewer, entities: list[dict[str, Any]]
) -> tuple[dict[str, str], EvidenceOf]:
    """`identities` and what joined them (`purpose_identities.Evidence`): the view's
    ledger pairs that joined, read only when a purpose's view needs them and only for the
    records whose identities it cuts, or the batch resolution's joining links."""
    decided = judgements(store, viewer)
    from_ledger = ledger_identities(store, viewer, entities, decided)
    if from_ledger is None:
        return _batch(entities, decided)
    scope = ledger.scope_of(viewer)

    def read(records: Collection[str]) -> Evidence:
        model = load_model(store, scope)
        threshold = model[1] if model is not None else XREF_THRESHOLD
        return Evidence(ledger_pairs.joining_links(store, scope, records), threshold, decided)

    return from_ledger, read


def _batch(
    entities: list[dict[str, Any]], decided: Mapping[tuple[str, str], str]
) -> tuple[dict[str, str], EvidenceOf]:
    """The workspace's records resolved in batch, with the links that joined them."""
    result = resolution_of(entities, BATCH_THRESHOLD, judgements=decided)
    joined = [lk for lk in result.links if lk.probability >= BATCH_THRESHOLD or lk.strong]
    evidence = Evidence(joined, BATCH_THRESHOLD, decided)
    return result.identity_of(), lambda records: evidence


def _role_filter(have: Iterable[str], keep: Collection[str], drop: Collection[str]) -> bool:
    mine = set(have)
    return (not keep or bool(mine & set(keep))) and not mine & set(drop)


def country_name(code: str) -> str:
    territory = get_territory(code.lower())
    return territory.name if territory is not None else code.upper()


class WorkspaceCache(ViewerCache[Workspace]):
    """Analysis workspaces per viewer (see `ViewerCache`)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store, lambda v: Workspace.load(store, v), "analyse")
