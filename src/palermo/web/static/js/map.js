// Routes and hotspots on a base map of country boundaries shipped with the node (no tiles).
(function () {
  "use strict";
  if (!window.L || !window.topojson) return;
  const map = L.map("map", { worldCopyJump: true, attributionControl: false }).setView([30, 40], 2);
  const centres = {};
  const routeLayer = L.layerGroup().addTo(map), cellLayer = L.layerGroup().addTo(map);

  // The centre of a country's largest polygon (the Netherlands, not its Caribbean islands).
  function mainlandCentre(layer) {
    const rings = layer.getLatLngs();
    const parts = Array.isArray(rings[0][0]) ? rings : [rings];
    let best = null, area = -1;
    parts.forEach(function (part) {
      const b = L.latLngBounds(part[0]);
      const a = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
      if (a > area) { area = a; best = b; }
    });
    return best ? best.getCenter() : layer.getBounds().getCenter();
  }

  function centreOf(name) { return centres[name.toLowerCase()]; }

  fetch("/static/vendor/countries-50m.json").then(function (r) { return r.json(); }).then(function (world) {
    const land = topojson.feature(world, world.objects.countries);
    L.geoJSON(land, { style: { color: "#7a8794", weight: 0.6, fillColor: "#eef1f4", fillOpacity: 1 },
      onEachFeature: function (f, layer) {
        centres[(f.properties.name || "").toLowerCase()] = mainlandCentre(layer);
      } }).addTo(map);
    map.invalidateSize();
    update();
  });

  function update() {
    const q = function (id) { return document.getElementById(id).value; };
    const period = "&start=" + encodeURIComponent(q("start")) + "&end=" + encodeURIComponent(q("end"));
    fetch("/api/v1/analysis/routes").then(function (r) { return r.json(); }).then(drawRoutes);
    fetch("/api/v1/analysis/hotspots?resolution=" + q("resolution") + (q("kind") ? "&kind=" + q("kind") : "") + period)
      .then(function (r) { return r.json(); }).then(drawCells);
  }

  function drawRoutes(data) {
    routeLayer.clearLayers();
    const tbody = document.querySelector("#routes tbody"); tbody.innerHTML = "";
    const names = data.countries || {};
    data.top.forEach(function (route) {
      const stops = route.route.split(" -> ").map(function (code) { return centreOf(names[code] || code); });
      if (stops.every(Boolean)) {
        L.polyline(stops, { color: "#1b6ca8", weight: 1 + Math.log2(1 + route.flows), opacity: 0.7 })
          .bindTooltip(route.route + ": " + route.flows).addTo(routeLayer);
      }
      const tr = document.createElement("tr");
      tr.innerHTML = "<td></td><td></td>";
      tr.children[0].textContent = route.route; tr.children[1].textContent = route.flows;
      tbody.appendChild(tr);
    });
  }

  function drawCells(cells) {
    cellLayer.clearLayers();
    const tbody = document.querySelector("#cells tbody"); tbody.innerHTML = "";
    cells.forEach(function (c) {
      const colour = c.significant ? "#b00020" : "#e07a00";
      L.polygon(c.boundary, { color: colour, weight: 1, fillOpacity: 0.5 }).addTo(cellLayer);
      // A marker sized by count keeps small cells visible when zoomed out.
      L.circleMarker([c.lat, c.lon], { radius: 3 + Math.sqrt(c.count), color: colour, weight: 1, fillOpacity: 0.4 })
        .bindTooltip(c.count + " events, Gi* z = " + c.z).addTo(cellLayer);
      const tr = document.createElement("tr");
      [c.cell, c.count, c.z, c.significant ? "yes" : "no"].forEach(function (v) {
        const td = document.createElement("td"); td.textContent = String(v); tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }

  document.getElementById("map-form").addEventListener("submit", function (e) { e.preventDefault(); update(); });
})();
