// Sorting and filtering for the portfolio table. The page reads fine without it.
(function () {
  "use strict";
  var table = document.getElementById("accounts-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var owner = document.getElementById("filter-owner");
  var level = document.getElementById("filter-level");
  var count = document.getElementById("shown-count");
  document.getElementById("filters").hidden = false;

  function filter() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!owner.value || row.dataset.owner === owner.value) && (!level.value || row.dataset.level === level.value);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " accounts";
  }

  function sortBy(th, index) {
    var numeric = th.dataset.sort === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
      var d = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return ascending ? d : -d;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    if (!th.dataset.sort) { return; }
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th, index); });
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th, index); } });
  });
  owner.addEventListener("change", filter);
  level.addEventListener("change", filter);
  filter();
}());
