// Live alerts: the server-sent event stream of the user's alert subscriptions.
(function () {
  "use strict";
  if (!window.EventSource) return;
  const badge = document.getElementById("alert-count");
  const list = document.getElementById("live-alerts");
  let count = 0;
  const source = new EventSource("/api/v1/alerts/stream");
  source.addEventListener("alert", function (event) {
    const alert = JSON.parse(event.data);
    count += 1;
    if (badge) badge.textContent = String(count);
    if (list) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "/entities/" + encodeURIComponent(alert.entity_id || "");
      link.textContent = alert.summary || alert.entity_id || "alert";
      item.appendChild(link);
      list.prepend(item);
    }
  });
})();
