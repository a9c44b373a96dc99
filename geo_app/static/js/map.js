/* Map page glue: controls that change the URL, the sortable table, table -> map focus. */
(function () {
  "use strict";

  function setupControls() {
    var form = document.getElementById("map-controls");
    if (!form) return;
    var layer = form.elements.layer;
    var criterion = form.elements.criterion;
    function sync() { criterion.disabled = layer.value !== "criterion"; }
    sync();
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () {
        sync();
        form.submit();
      });
    });
  }

  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (kind === "number") {
      var n = parseFloat(raw);
      return isNaN(n) ? -Infinity : n;
    }
    return raw.toLocaleLowerCase("vi");
  }

  function setupTable(table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var kind = th.getAttribute("data-sort-type") || "text";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var va = cellValue(a, index, kind), vb = cellValue(b, index, kind);
          var cmp = kind === "number" ? va - vb : String(va).localeCompare(String(vb), "vi");
          return ascending ? cmp : -cmp;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function setupFocus() {
    document.addEventListener("click", function (ev) {
      var target = ev.target.closest ? ev.target.closest(".focus-commune") : null;
      if (!target || !window.NTM || !window.NTM.maps.length) return;
      var code = target.getAttribute("data-ward-code");
      if (window.NTM.maps[0].focus(code)) {
        var frame = document.querySelector(".map-frame");
        if (frame && frame.scrollIntoView) frame.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    });
  }

  setupControls();
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), setupTable);
  setupFocus();
})();
