// Sorting and filtering for the portfolio table. The page reads fine without it: the whole
// table is in the HTML, and the filters stay hidden until this script shows them.
(function () {
  "use strict";
  var table = document.getElementById("accounts-table");
  var form = document.getElementById("filters");
  if (!table || !form) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filters = {
    owner: document.getElementById("filter-owner"),
    level: document.getElementById("filter-level"),
    insight: document.getElementById("filter-insight")
  };
  var count = document.getElementById("shown-count");
  rows.forEach(function (row, index) { row.dataset.order = String(index); });
  form.hidden = false;

  function matches(row) {
    var insights = (row.dataset.insights || "").split(" ");
    return (!filters.owner.value || row.dataset.owner === filters.owner.value) &&
      (!filters.level.value || row.dataset.level === filters.level.value) &&
      (!filters.insight.value || insights.indexOf(filters.insight.value) >= 0);
  }

  function filter() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = matches(row);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " accounts";
  }

  function compare(numeric, index) {
    return function (a, b) {
      var x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
      var d = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return d || parseInt(a.dataset.order, 10) - parseInt(b.dataset.order, 10);
    };
  }

  function sortBy(th, index) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var order = compare(th.dataset.sort === "number", index);
    rows.sort(function (a, b) { return ascending ? order(a, b) : order(b, a); });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    if (!th.dataset.sort) { return; }
    var button = document.createElement("button");
    button.type = "button";
    while (th.firstChild) { button.appendChild(th.firstChild); }
    th.appendChild(button);
    button.addEventListener("click", function () { sortBy(th, index); });
  });
  Object.keys(filters).forEach(function (key) { filters[key].addEventListener("change", filter); });
  filter();
}());
