/* Map page glue: controls that change the URL, the sortable table, table -> map focus. */
(function () {
  "use strict";

  var VIEW_KEYS = ["z", "lat", "lng", "sel"]; // the map's own view (ntm-state.js keeps it in the URL)

  /** Set every control from the URL (or, for a parameter the URL leaves out, from the page as served), so the
   * form always describes the map shown: after Back/Forward (bfcache, popstate) as after a fresh load. */
  function syncForm(form) {
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      var wanted = params.get(select.name);
      var option = null;
      Array.prototype.forEach.call(select.options, function (o) {
        if (wanted !== null ? o.value === wanted : o.defaultSelected) option = o;
      });
      if (!option && wanted === null) option = select.options[0];
      if (option) select.value = option.value;
    });
    syncCriterion(form);
  }

  function syncCriterion(form) {
    form.elements.criterion.disabled = form.elements.layer.value !== "criterion";
  }

  /** Carry the map's zoom, centre and open commune into the next view (not when the district changes:
   * that view frames its district). */
  function keepView(form, changed) {
    Array.prototype.forEach.call(form.querySelectorAll("input[data-view-key]"), function (i) { i.remove(); });
    if (changed === "district") return;
    var params = new URLSearchParams(window.location.search);
    VIEW_KEYS.forEach(function (key) {
      var value = params.get(key);
      if (value === null) return;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = key;
      input.value = value;
      input.setAttribute("data-view-key", "");
      form.appendChild(input);
    });
  }

  function setupControls() {
    var form = document.getElementById("map-controls");
    if (!form) return;
    form.setAttribute("autocomplete", "off");
    syncForm(form);
    window.addEventListener("pageshow", function () { syncForm(form); });
    window.addEventListener("popstate", function () { syncForm(form); });
    form.addEventListener("submit", function () { keepView(form, null); });
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () {
        syncCriterion(form);
        keepView(form, select.name);
        form.submit();
      });
    });
  }

  /** A cell's sort key; null when the cell has no value (sorted last in both directions). */
  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (raw === "" || raw === "—") return null;
    if (kind === "number") {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw.toLocaleLowerCase("vi");
  }

  function compareRows(index, kind, ascending) {
    return function (a, b) {
      var va = cellValue(a, index, kind), vb = cellValue(b, index, kind);
      if (va === null || vb === null) return va === vb ? 0 : (va === null ? 1 : -1);
      var cmp = kind === "number" ? va - vb : String(va).localeCompare(String(vb), "vi");
      return ascending ? cmp : -cmp;
    };
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
        rows.sort(compareRows(index, kind, ascending));
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
