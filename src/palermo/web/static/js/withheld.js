// The H0 note of the analysis pages (ADR 0051): the API's answers carry `withheld`
// (agency -> records with values left out for the session's purpose); when it is not empty
// the page says whom to ask, as the link chart and risk pages do. Text nodes only: agency
// codes come from data and never reach innerHTML.
(function () {
  "use strict";
  // Show `withheld` (one answer's marker, or several merged) in the element `note`, or hide it.
  window.palermoWithheld = function (note, withheld) {
    if (!note) return;
    const counts = withheld || {};
    const owners = Object.keys(counts).sort();
    while (note.firstChild) note.removeChild(note.firstChild);
    note.hidden = !owners.length;
    // whether an answer has been shown yet, and what it said (waited on by the browser tests)
    note.setAttribute("data-state", owners.length ? "withheld" : "none");
    if (!owners.length) return;
    const strong = document.createElement("strong");
    strong.appendChild(document.createTextNode("withheld: H0, stated for other purposes; ask " + owners.join(", ")));
    note.appendChild(strong);
    const purpose = note.getAttribute("data-purpose") || "none declared";
    note.appendChild(document.createTextNode(
      " (records with values left out for purpose " + purpose + ": " +
      owners.map(function (a) { return a + " " + counts[a]; }).join(", ") + ")"));
  };
})();
