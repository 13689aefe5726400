"""The link graph an analyst works on: resolved identities and what connects them.

Records of one person held by several agencies are one node (the identity cross-referencing
resolved them to); things are one node per identifier, so that two agencies' records of the
same phone number, IBAN, number plate, passport or street address meet in one place even
when no record links them. Edges come from three sources:

- link records (Associate, Family, Employment, Payment, Ownership, ...), dated;
- references (a border crossing's traveller and trip -- co-travel is two people on one trip);
- shared identifiers (a person's phone, address or passport number equal to another
  record's).

The input is entities as a viewer sees them (`Store.export`), so the graph never holds what
the viewer may not see.

Every node and edge carries a marking (`model.record_marking`): a node the merge of the records
placed in it, an edge the merge of the record that made it and both its end nodes, so the
strictest handling code and weakest grade of any input reach the chart and its exports.

Each node also carries its roles (`ROLES`: victim, suspect, witness, person of interest),
read from the records: a VictimRecord naming the record as its victim, a Person's FtM
`topics` (crime.*, wanted: suspect; poi: person of interest) and its `keywords` when one is
a role word. Only values the viewer reads unmasked count: a masked victim reference says
nothing, so a viewer without victim-support never learns a role from a masked record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from palermo.analysis.graph import Graph
from palermo.analysis.networks import Edge
from palermo.analysis.roles import INTEREST, ROLES, SUSPECT, VICTIM
from palermo.match.mrz import normalise_document_number
from palermo.model.handling_merge import Marking, merge
from palermo.model.record_marking import carried_marking, record_markings
from palermo.store.visibility import MASK

# Link schemata: (source property, target property, kind of link).
LINKS: dict[str, tuple[str, str, str]] = {
    "Associate": ("person", "associate", "associate"),
    "Family": ("person", "relative", "family"),
    "Employment": ("employer", "employee", "employment"),
    "Membership": ("member", "organization", "membership"),
    "Directorship": ("director", "organization", "directorship"),
    "Ownership": ("owner", "asset", "ownership"),
    "Payment": ("payer", "beneficiary", "payment"),
    "UnknownLink": ("subject", "object", "link"),
}
# References that make an edge from the entity's subject to another entity.
REFERENCES: dict[str, tuple[str, str, str]] = {
    "BorderCrossing": ("traveller", "trip", "travel"),
    "Passport": ("holder", "", "document"),
    "Identification": ("holder", "", "document"),
    "Vehicle": ("owner", "", "vehicle"),
    "Phone": ("owner", "", "phone"),
}
# Identifiers that make a thing one node whoever recorded it: schema -> (property, kind).
THING_KEYS: dict[str, tuple[str, str]] = {
    "Phone": ("number", "phone"),
    "BankAccount": ("iban", "account"),
    "Vehicle": ("registrationNumber", "vehicle"),
    "Passport": ("number", "document"),
    "Identification": ("number", "document"),
    "Address": ("full", "address"),
}
# A person's own identifier properties that point at such a thing.
PERSON_KEYS: dict[str, str] = {
    "phone": "phone",
    "email": "email",
    "address": "address",
    "passportNumber": "document",
}
PERSON_SCHEMATA = frozenset({"Person", "Organization", "Company", "LegalEntity"})
# FtM topics that say what a person is in a case: prefix -> role.
ROLE_TOPICS = {"crime": SUSPECT, "wanted": SUSPECT, "poi": INTEREST}
# Records that name a person in a role: schema -> (property naming the person, role).
ROLE_REFERENCES = {"VictimRecord": ("victim", VICTIM)}
DATE_PROPS = ("date", "startDate")


def normalise(kind: str, value: str) -> str:
    """The identifier's comparable form; "" for a value the viewer only sees masked."""
    if value == MASK:
        return ""
    if kind == "document":
        return normalise_document_number(value)
    if kind == "phone":
        return re.sub(r"[^\d+]", "", value)
    if kind in ("account", "vehicle"):
        return re.sub(r"[^0-9A-Z]", "", value.upper())
    return " ".join(re.sub(r"[^\w]+", " ", value.lower()).split())


@dataclass
class LinkGraph:
    """A graph plus what the chart and the analyst need to know about each node."""

    graph: Graph
    labels: dict[str, str] = field(default_factory=dict)
    schema: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[str]] = field(default_factory=dict)  # node -> record ids
    edges: list[Edge] = field(default_factory=list)
    roles: dict[str, list[str]] = field(default_factory=dict)  # node -> roles, sorted
    handling: dict[str, str] = field(default_factory=dict)  # node -> marking text

    def persons(self) -> list[str]:
        return [n for n, s in self.schema.items() if s in PERSON_SCHEMATA]

    def until(self, date: str) -> LinkGraph:
        """The graph as it stood at ``date``: links first seen later are left out."""
        kept = [e for e in self.edges if not e.date or e.date[:10] <= date]
        return self._with(kept)

    def _with(self, edges: list[Edge]) -> LinkGraph:
        graph = Graph.from_edges(self.labels, edges)
        return LinkGraph(
            graph, self.labels, self.schema, self.records, edges, self.roles, self.handling
        )


@dataclass
class _Builder:
    identity_of: Mapping[str, str]
    node_of: dict[str, str] = field(default_factory=dict)  # entity id -> node
    labels: dict[str, str] = field(default_factory=dict)
    schema: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[str]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    roles: dict[str, set[str]] = field(default_factory=dict)
    marking_of: dict[str, Marking] = field(default_factory=dict)  # entity id -> its marking
    node_inputs: dict[str, list[Marking]] = field(default_factory=dict)
    cause: Marking = field(default_factory=Marking)  # marking of the record being linked

    def place(self, entity: Mapping[str, Any]) -> None:
        """Decide the node of one entity (its identity, its identifier, or itself)."""
        eid, schema = str(entity["id"]), str(entity["schema"])
        props: Mapping[str, list[str]] = entity.get("properties", {})
        node = self.identity_of.get(eid, eid)
        if schema in THING_KEYS:
            prop, kind = THING_KEYS[schema]
            key = next((normalise(kind, v) for v in props.get(prop, []) if v), "")
            if key:
                node = f"{kind}:{key}"
        elif schema not in PERSON_SCHEMATA and schema != "Trip":
            return
        self.node_of[eid] = node
        self.records.setdefault(node, []).append(eid)
        self.node_inputs.setdefault(node, []).append(self.marking_of[eid])
        if node not in self.labels:
            names = props.get("name") or props.get(THING_KEYS.get(schema, ("name", ""))[0]) or []
            self.labels[node] = names[0] if names else node
            self.schema[node] = schema

    def link(self, entity: Mapping[str, Any]) -> None:
        schema = str(entity["schema"])
        self.cause = self.marking_of[str(entity["id"])]
        props: Mapping[str, list[str]] = entity.get("properties", {})
        date = next((v[0] for p in DATE_PROPS if (v := props.get(p))), "")
        if schema in LINKS or schema in REFERENCES:
            src_prop, dst_prop, kind = LINKS.get(schema) or REFERENCES[schema]
            target = (
                self.node_of.get(str(entity["id"]))
                if not dst_prop
                else self._node(props.get(dst_prop))
            )
            self._edge(self._node(props.get(src_prop)), target, kind, date)
        if schema in PERSON_SCHEMATA:
            me = self.node_of.get(str(entity["id"]))
            for prop, kind in PERSON_KEYS.items():
                for value in props.get(prop, []):
                    key = normalise(kind, value)
                    if key:
                        thing = f"{kind}:{key}"
                        self.labels.setdefault(thing, value)
                        self.schema.setdefault(thing, kind)
                        self.node_inputs.setdefault(thing, []).append(self.cause)
                        self._edge(me, thing, kind, "")

    def role(self, entity: Mapping[str, Any]) -> None:
        """Note the roles this entity gives a node (see the module docstring)."""
        schema = str(entity["schema"])
        props: Mapping[str, list[str]] = entity.get("properties", {})
        if schema in ROLE_REFERENCES:
            prop, role = ROLE_REFERENCES[schema]
            for value in props.get(prop, []):
                node = self.node_of.get(value) if value != MASK else None
                if node:
                    self.roles.setdefault(node, set()).add(role)
        if schema in PERSON_SCHEMATA and (node := self.node_of.get(str(entity["id"]))):
            found = {r for t in props.get("topics", []) if (r := topic_role(t))}
            found |= {k.strip().lower() for k in props.get("keywords", [])} & set(ROLES)
            if found:
                self.roles.setdefault(node, set()).update(found)

    def _node(self, values: list[str] | None) -> str | None:
        return self.node_of.get(values[0]) if values else None

    def _edge(self, a: str | None, b: str | None, kind: str, date: str) -> None:
        """An edge, noted with the marking of the record that made it (``cause``); its end
        nodes' markings are merged in by :meth:`marked`, once every node is complete."""
        if a and b and a != b:
            self.edges.append(Edge(a, b, 1.0, kind, date, self.cause.text))

    def node_markings(self) -> dict[str, Marking]:
        return {node: merge(inputs) for node, inputs in self.node_inputs.items()}

    def marked(self, nodes: Mapping[str, Marking]) -> list[Edge]:
        """The edges with the merge of cause, source node and target node."""
        empty = Marking()
        return [
            Edge(
                e.source,
                e.target,
                e.weight,
                e.kind,
                e.date,
                merge([e.handling, nodes.get(e.source, empty), nodes.get(e.target, empty)]).text,
            )
            for e in self.edges
        ]


def build(
    entities: Iterable[Mapping[str, Any]], identity_of: Mapping[str, str] | None = None
) -> LinkGraph:
    """The link graph of the given entities; ``identity_of`` maps record id -> identity."""
    builder = _Builder(identity_of or {})
    items = list(entities)
    builder.marking_of = record_markings(items, carried_marking)
    for entity in items:
        builder.place(entity)
    for entity in items:
        builder.link(entity)
        builder.role(entity)
    nodes = builder.node_markings()
    builder.edges = builder.marked(nodes)
    # Things nobody links to are not part of any network: leave them out of the chart.
    linked = {n for e in builder.edges for n in (e.source, e.target)}
    keep = [n for n in builder.labels if n in linked or builder.schema[n] in PERSON_SCHEMATA]
    labels = {n: builder.labels[n] for n in keep}
    graph = Graph.from_edges(labels, builder.edges)
    schema = {n: builder.schema.get(n, "") for n in graph.g.vs["name"]}
    roles = {n: sorted(r) for n, r in builder.roles.items() if n in labels}
    handling = {n: nodes[n].text for n in graph.g.vs["name"] if n in nodes}
    graph.g.vs["handling"] = [handling.get(n, "") for n in graph.g.vs["name"]]
    return LinkGraph(graph, labels, schema, builder.records, builder.edges, roles, handling)


def topic_role(topic: str) -> str | None:
    """The role an FtM topic gives a person ("crime.traffick.human": suspect), if any."""
    if topic == MASK:
        return None
    return next(
        (r for t, r in ROLE_TOPICS.items() if topic == t or topic.startswith(t + ".")), None
    )


@dataclass
class Changes:
    """What changed in a network between two dates."""

    new_links: list[Edge]
    new_nodes: list[str]
    degree_change: list[tuple[str, int, int]]  # node, degree before, degree after
    merged_communities: int  # communities at `before` that are one community at `after`


def changes(link_graph: LinkGraph, before: str, after: str, top: int = 10) -> Changes:
    old, new = link_graph.until(before), link_graph.until(after)
    old_keys = {(e.source, e.target, e.kind) for e in old.edges}
    added = [e for e in new.edges if (e.source, e.target, e.kind) not in old_keys]
    old_nodes = {n for e in old.edges for n in (e.source, e.target)}
    new_nodes = sorted({n for e in added for n in (e.source, e.target)} - old_nodes)
    d_old, d_new = old.graph.degree(), new.graph.degree()
    grown = sorted(
        ((n, d_old.get(n, 0), d) for n, d in d_new.items() if d != d_old.get(n, 0)),
        key=lambda t: (t[1] - t[2], t[0]),
    )[:top]
    c_old, c_new = old.graph.communities(), new.graph.communities()
    joined: dict[int, set[int]] = {}
    for node, community in c_old.items():
        if d_old.get(node, 0):
            joined.setdefault(c_new[node], set()).add(community)
    merged = sum(len(parts) - 1 for parts in joined.values())
    return Changes(added, new_nodes, grown, merged)
