// Link chart: Cytoscape over /api/v1/analysis JSON; every action also has a keyboard path
// through the node table (expand buttons) and the path form.
(function () {
  "use strict";
  const PALETTE = ["#1b6ca8", "#d1495b", "#2e8540", "#8c5bb0", "#e07a00", "#00798c",
    "#6b4226", "#c2185b", "#546e7a", "#9e9d24"];
  const params = new URLSearchParams(location.search);
  const status = document.getElementById("status");
  const tbody = document.querySelector("#nodes tbody");
  const kinds = document.getElementById("kinds");
  if (!window.cytoscape) { status.textContent = "Chart library missing (run make setup)."; return; }
  const cy = cytoscape({
    container: document.getElementById("chart"),
    style: [
      { selector: "node", style: { "background-color": "data(colour)", label: "data(label)",
        "font-size": 9, width: "mapData(score, 0, 0.2, 14, 40)", height: "mapData(score, 0, 0.2, 14, 40)" } },
      { selector: "node[schema != 'Person']", style: { shape: "round-rectangle" } },
      { selector: "edge", style: { width: 1.5, "line-color": "#9aa5b1", label: "data(kind)", "font-size": 7 } },
      // Restricted by a handling code (docs/trust.md): dashed, so it does not rest on colour alone.
      { selector: "node.restricted", style: { "border-width": 3, "border-style": "dashed", "border-color": "#7a1f1f" } },
      { selector: "edge.restricted", style: { "line-style": "dashed", "line-color": "#7a1f1f", width: 2 } },
      { selector: ".path", style: { "line-color": "#ffbf00", "background-color": "#ffbf00", width: 5 } },
      { selector: ".hidden", style: { display: "none" } },
    ],
    layout: { name: "cose" },
  });

  function add(data) {
    data.nodes.forEach(function (n) {
      if (cy.getElementById(n.id).length) return;
      cy.add({ group: "nodes", data: { id: n.id, label: n.label, schema: n.schema, score: n.score,
        community: n.community, colour: PALETTE[n.community % PALETTE.length], records: n.records || [],
        roles: n.roles || [], handling: n.handling || "" }, classes: restricted(n.handling) ? "restricted" : "" });
    });
    data.links.forEach(function (l) {
      const id = l.source + "|" + l.target + "|" + l.kind;
      if (!cy.getElementById(id).length) cy.add({ group: "edges", data: { id: id, source: l.source, target: l.target,
        kind: l.kind, handling: l.handling || "" }, classes: restricted(l.handling) ? "restricted" : "" });
    });
    cy.layout({ name: "cose", animate: false }).run();
    refreshTable(); refreshKinds();
    status.textContent = cy.nodes().length + " nodes, " + cy.edges().length + " links.";
    // values left out for the session's declared purpose (H0, ADR 0051): say whom to ask
    window.palermoWithheld(document.getElementById("withheld"), data.withheld);
  }

  // A marking text is "CODES|GRADE" (model.handling_merge.Marking.text); H3 texts escape , | %.
  function codesOf(marking) {
    const codes = String(marking || "").split("|")[0];
    return codes ? codes.split(",").map(function (c) {
      return c.replace(/%2C/gi, ",").replace(/%7C/gi, "|").replace(/%25/g, "%");
    }) : [];
  }
  function restricted(marking) { return codesOf(marking).length > 0; }
  function describe(marking) {
    const grade = String(marking || "").split("|")[1] || "";
    const words = codesOf(marking).map(function (c) {
      if (c.indexOf("H0:") === 0) return "H0 (for " + c.slice(3) + " only)";
      if (c.indexOf("H3:") === 0) return "H3 (" + c.slice(3) + ")";
      return c;
    });
    if (grade) words.push("grade " + grade);
    return words.length ? words.join(", ") : "none";
  }

  function load(ego, hops) {
    const url = "/api/v1/analysis/graph?hops=" + hops + (ego ? "&ego=" + encodeURIComponent(ego) : "");
    status.textContent = "Loading…";
    return fetch(url).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { status.textContent = body.detail || body.title || "Error"; return; }
        add(body);
      });
    });
  }

  function refreshTable() {
    tbody.innerHTML = "";
    cy.nodes().sort(function (a, b) { return b.data("score") - a.data("score"); }).forEach(function (n) {
      const tr = document.createElement("tr");
      const cells = [n.data("label"), n.data("schema"), (n.data("roles") || []).join(", "), String(n.data("community")),
        n.data("score").toFixed(4), (n.data("records") || []).join(", "), describe(n.data("handling"))];
      cells.forEach(function (text, i) {
        const td = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) { td.scope = "row"; td.style.borderLeft = "6px solid " + n.data("colour"); }
        td.textContent = text; tr.appendChild(td);
      });
      const td = document.createElement("td");
      const button = document.createElement("button");
      button.type = "button"; button.textContent = "Expand"; button.className = "expand";
      button.setAttribute("aria-label", "Expand " + n.data("label"));
      button.addEventListener("click", function () { load(n.id(), 1); });
      td.appendChild(button); tr.appendChild(td); tbody.appendChild(tr);
    });
  }

  function refreshKinds() {
    const present = new Set(cy.edges().map(function (e) { return e.data("kind"); }));
    present.forEach(function (kind) {
      if (kinds.querySelector("[value='" + kind + "']")) return;
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox"; box.checked = true; box.value = kind;
      box.addEventListener("change", function () {
        cy.edges("[kind = '" + kind + "']").toggleClass("hidden", !box.checked);
      });
      label.appendChild(box); label.append(" " + kind); kinds.appendChild(label);
    });
  }

  cy.on("tap", "node", function (evt) {
    const from = document.getElementById("path-from"), to = document.getElementById("path-to");
    if (!from.value || (from.value && to.value)) { from.value = evt.target.id(); to.value = ""; }
    else { to.value = evt.target.id(); }
  });
  cy.on("dbltap", "node", function (evt) { load(evt.target.id(), 1); });

  document.getElementById("path-form").addEventListener("submit", function (event) {
    event.preventDefault();
    const a = document.getElementById("path-from").value, b = document.getElementById("path-to").value;
    const out = document.getElementById("path-result");
    fetch("/api/v1/analysis/path?source=" + encodeURIComponent(a) + "&target=" + encodeURIComponent(b))
      .then(function (r) { return r.json().then(function (body) {
        if (!r.ok) { out.textContent = body.detail || "No path."; return; }
        cy.elements().removeClass("path");
        body.forEach(function (n, i) {
          cy.getElementById(n.id).addClass("path");
          if (i > 0) cy.edges().filter(function (e) {
            const s = e.data("source"), t = e.data("target"), p = body[i - 1].id;
            return (s === p && t === n.id) || (t === p && s === n.id);
          }).addClass("path");
        });
        out.textContent = "Path: " + body.map(function (n) { return n.label; }).join(" → ");
      }); });
  });

  function loadBrokers() {
    const role = document.getElementById("broker-role").value;
    const victims = document.getElementById("broker-victims").checked;
    const url = "/api/v1/analysis/brokers?top=10" + (role ? "&role=" + encodeURIComponent(role) : "") +
      (victims ? "&include_victims=true" : "");
    fetch(url).then(function (r) { return r.ok ? r.json() : { results: [] }; }).then(function (body) {
      const rows = body.results || [];
      const list = document.getElementById("brokers");
      list.innerHTML = "";
      rows.forEach(function (b) {
        const li = document.createElement("li"), a = document.createElement("a");
        const roles = (b.roles || []).length ? ", " + b.roles.join(", ") : "";
        a.href = "/graph?ego=" + encodeURIComponent(b.id); a.textContent = b.label + " (" + b.betweenness.toFixed(4) + roles + ")";
        li.appendChild(a); list.appendChild(li);
      });
    });
  }
  document.getElementById("broker-role").addEventListener("change", loadBrokers);
  document.getElementById("broker-victims").addEventListener("change", loadBrokers);
  loadBrokers();
  const ego = params.get("ego");
  if (ego) load(ego, params.get("hops") || 2);
  else status.textContent = "Give an entity, or start from a key broker below.";
})();
