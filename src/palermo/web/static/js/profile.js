// The identity profile's small link chart: the person and its relations (the list beside
// it on the page carries the same links as text). Data comes from the page itself.
(function () {
  "use strict";
  const box = document.getElementById("link-chart");
  if (!box || !window.cytoscape) return;
  const data = JSON.parse(box.dataset.chart || '{"nodes": [], "edges": []}');
  if (!data.edges.length) { box.hidden = true; return; }
  // A marking text is "CODES|GRADE" (model.handling_merge.Marking.text): any code restricts.
  function restricted(marking) { return String(marking || "").split("|")[0] !== ""; }
  const elements = data.nodes.map(function (n, i) {
    return { group: "nodes", data: { id: n.id, label: n.label, schema: n.schema, ego: i === 0 ? 1 : 0 },
      classes: restricted(n.handling) ? "restricted" : "" };
  }).concat(data.edges.map(function (e, i) {
    return { group: "edges", data: { id: "e" + i, source: e.source, target: e.target, kind: e.kind },
      classes: restricted(e.handling) ? "restricted" : "" };
  }));
  const cy = window.cytoscape({
    container: box,
    elements: elements,
    style: [
      { selector: "node", style: { "background-color": "#0b3d91", label: "data(label)", "font-size": 10,
        "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis", "text-max-width": 110, width: 16, height: 16 } },
      { selector: "node[ego = 1]", style: { "background-color": "#8a1c00", width: 26, height: 26 } },
      { selector: "node[schema != 'Person']", style: { shape: "round-rectangle" } },
      { selector: "edge", style: { width: 1.5, "line-color": "#9aa5b1" } },
      // Restricted by a handling code (docs/trust.md): dashed, as on the link chart page.
      { selector: "node.restricted", style: { "border-width": 3, "border-style": "dashed", "border-color": "#7a1f1f" } },
      { selector: "edge.restricted", style: { "line-style": "dashed", "line-color": "#7a1f1f", width: 2 } },
    ],
    layout: { name: "concentric", concentric: function (n) { return n.data("ego"); },
      levelWidth: function () { return 1; }, minNodeSpacing: 70, padding: 24 },
  });
  // What was drawn dashed, for tests and tools reading the page (the list is the text form).
  box.dataset.restricted = String(cy.elements(".restricted").length);
  cy.on("tap", "node", function (event) {
    const id = event.target.id();
    if (id !== data.nodes[0].id) window.location.href = "/entities/" + encodeURIComponent(id);
  });
})();
