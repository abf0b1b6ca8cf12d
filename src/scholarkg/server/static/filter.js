/* Filter the rows of a table by name as one types (the people index). */
"use strict";
(function () {
  for (const input of document.querySelectorAll("input[data-filter]")) {
    const table = document.getElementById(input.dataset.filter);
    if (!table) continue;
    input.addEventListener("input", () => {
      const wanted = input.value.trim().toLowerCase();
      for (const row of table.tBodies[0].rows) {
        row.hidden = wanted !== "" && !(row.dataset.name || "").includes(wanted);
      }
    });
  }
})();
