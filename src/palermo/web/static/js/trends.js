// Trend charts from the Global-Report tables (/api/v1/analysis/trends).
(function () {
  "use strict";
  const box = document.getElementById("charts");
  fetch("/api/v1/analysis/trends").then(function (r) { return r.json(); }).then(function (body) {
    // values left out for the session's declared purpose (H0, ADR 0051): say whom to ask,
    // even when the chart library is missing
    if (window.palermoWithheld) window.palermoWithheld(document.getElementById("withheld"), body.withheld);
    if (!window.Chart) return;
    const tables = body.tables || {};
    Object.keys(tables).forEach(function (caption) {
      const counts = tables[caption];
      let keys = Object.keys(counts);
      const yearly = /by year/.test(caption);
      keys = yearly ? keys.filter(function (k) { return k !== "unknown"; }).sort()
                    : keys.sort(function (a, b) { return counts[b] - counts[a]; }).slice(0, 12);
      const figure = document.createElement("figure");
      const canvas = document.createElement("canvas");
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", caption + ": " + keys.map(function (k) { return k + " " + counts[k]; }).join(", "));
      const cap = document.createElement("figcaption"); cap.textContent = caption;
      figure.appendChild(cap); figure.appendChild(canvas); box.appendChild(figure);
      new Chart(canvas, {
        type: yearly ? "line" : "bar",
        data: { labels: keys, datasets: [{ label: caption, data: keys.map(function (k) { return counts[k]; }),
          backgroundColor: "#1b6ca8", borderColor: "#1b6ca8" }] },
        options: { animation: false, plugins: { legend: { display: false } }, indexAxis: yearly ? "x" : "y" },
      });
    });
  });
})();
