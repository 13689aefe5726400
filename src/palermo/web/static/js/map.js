// Routes and hotspots on a base map of country boundaries shipped with the node (no tiles).
(function () {
  "use strict";
  if (!window.L || !window.topojson) return;
  // The SVG renderer draws one viewport of padding on every side (Leaflet's default is a
  // tenth), so the country layer stays whole when the map is resized or panned; the view is
  // held to the one world the layer draws (no empty copies beside it when zoomed out).
  const world = L.latLngBounds([[-85, -180], [85, 180]]);
  const map = L.map("map", {
    attributionControl: false, renderer: L.svg({ padding: 1 }), zoomSnap: 0.25,
    maxBounds: world, maxBoundsViscosity: 1
  });
  function fitWorld() {
    map.invalidateSize();
    // the lowest zoom (in quarter steps) at which one world is as wide as the map
    const fill = Math.ceil(4 * Math.log2(Math.max(map.getSize().x, 256) / 256)) / 4;
    map.setMinZoom(fill);
    if (map.getZoom() === undefined || map.getZoom() < fill) map.setView([30, 40], fill);
  }
  map.setView([30, 40], 2);
  fitWorld();
  window.addEventListener("resize", fitWorld);
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

  // Rings that cross the antimeridian (Russia's Chukotka, Fiji) come as longitudes on both
  // sides of +-180, which would draw a line across the whole world: move their western
  // points one turn east so the ring stays in one piece.
  function unwrapAntimeridian(feature) {
    const g = feature.geometry;
    if (!g) return;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    polygons.forEach(function (polygon) {
      polygon.forEach(function (ring) {
        const lons = ring.map(function (p) { return p[0]; });
        if (Math.max.apply(null, lons) - Math.min.apply(null, lons) > 180) {
          ring.forEach(function (p) { if (p[0] < 0) p[0] += 360; });
        }
      });
    });
  }

  function centreOf(name) { return centres[name.toLowerCase()]; }

  fetch("/static/vendor/countries-50m.json").then(function (r) { return r.json(); }).then(function (world) {
    const land = topojson.feature(world, world.objects.countries);
    land.features.forEach(unwrapAntimeridian);
    L.geoJSON(land, { style: { color: "#7a8794", weight: 0.6, fillColor: "#eef1f4", fillOpacity: 1 },
      onEachFeature: function (f, layer) {
        centres[(f.properties.name || "").toLowerCase()] = mainlandCentre(layer);
      } }).addTo(map);
    fitWorld();
    update();
  });

  function update() {
    const q = function (id) { return document.getElementById(id).value; };
    const period = "&start=" + encodeURIComponent(q("start")) + "&end=" + encodeURIComponent(q("end"));
    fetch("/api/v1/analysis/routes").then(function (r) { return r.json(); }).then(function (body) {
      showWithheld("routes", body.withheld); drawRoutes(body);
    });
    fetch("/api/v1/analysis/hotspots?resolution=" + q("resolution") + (q("kind") ? "&kind=" + q("kind") : "") + period)
      .then(function (r) { return r.json(); }).then(function (body) {
        showWithheld("hotspots", body.withheld); drawCells(body.results || []);
      });
  }

  // Values left out for the session's declared purpose (H0, ADR 0051), by answer: both
  // answers come from the same workspace, so the note shows the largest count per agency.
  const withheldBy = {};
  function showWithheld(source, withheld) {
    withheldBy[source] = withheld || {};
    const merged = {};
    Object.keys(withheldBy).forEach(function (s) {
      Object.keys(withheldBy[s]).forEach(function (a) { merged[a] = Math.max(merged[a] || 0, withheldBy[s][a]); });
    });
    if (window.palermoWithheld) window.palermoWithheld(document.getElementById("withheld"), merged);
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
        .bindTooltip((c.place ? c.place + ": " : "") + c.count + " events, Gi* z = " + c.z).addTo(cellLayer);
      const tr = document.createElement("tr");
      [c.place || "-", c.cell, c.count, c.z, c.significant ? "yes" : "no"].forEach(function (v) {
        const td = document.createElement("td"); td.textContent = String(v); tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }

  document.getElementById("map-form").addEventListener("submit", function (e) { e.preventDefault(); update(); });
})();
