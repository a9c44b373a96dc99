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
    if (form.elements.criterion && form.elements.layer) {
      form.elements.criterion.disabled = form.elements.layer.value !== "criterion";
    }
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

  function setupControls(form) {
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
      var code = target.getAttribute("data-ward-code"), map = window.NTM.maps[0];
      if (map.focus(code)) {
        var frame = document.querySelector(".map-frame");
        if (frame && frame.scrollIntoView) frame.scrollIntoView({ behavior: "smooth", block: "start" });
        // Focus goes to the commune's facts (read, then Escape), and back to this row's name when they close.
        map.focusPopup(target, true);
      }
    });
  }


  /* Year slider: moving it shows that year (view kept); "play" steps 2021 → latest, one year every
   * PLAY_MS, with `play=1` in the URL so each page continues the show (Back returns to where the show started). */
  var PLAY_MS = 1500;

  function yearUrl(year, playing) {
    var url = new URL(window.location.href);
    url.searchParams.set("year", String(year));
    if (playing) url.searchParams.set("play", "1"); else url.searchParams.delete("play");
    return url.pathname + url.search;
  }

  function setupPlayer() {
    var box = document.getElementById("year-player");
    if (!box) return;
    var years = box.getAttribute("data-years").split(",").map(Number);
    var year = Number(box.getAttribute("data-year"));
    var slider = document.getElementById("year-slider");
    var output = document.getElementById("year-output");
    var button = document.getElementById("year-play");
    var timer = null;
    function playing(on) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = box.getAttribute(on ? "data-pause-label" : "data-play-label");
    }
    slider.addEventListener("input", function () {
      output.textContent = slider.value;
      slider.setAttribute("aria-valuetext", slider.value);
    });
    slider.addEventListener("change", function () {
      if (Number(slider.value) !== year) window.location.assign(yearUrl(slider.value, false));
    });
    function next() { // later steps replace the entry: Back leaves the show instead of restarting it
      var i = years.indexOf(year);
      var inShow = new URLSearchParams(window.location.search).get("play") === "1";
      if (i >= 0 && i < years.length - 1) window.location[inShow ? "replace" : "assign"](yearUrl(years[i + 1], true));
      else stop();
    }
    function stop() {
      window.clearTimeout(timer);
      timer = null;
      playing(false);
      if (new URLSearchParams(window.location.search).get("play")) {
        window.history.replaceState(window.history.state, "", yearUrl(year, false));
      }
    }
    button.addEventListener("click", function () {
      if (timer !== null || button.getAttribute("aria-pressed") === "true") { stop(); return; }
      playing(true);
      // The button says first → last: the show starts at the first year wherever it was pressed.
      if (year !== years[0]) window.location.assign(yearUrl(years[0], true));
      else timer = window.setTimeout(next, PLAY_MS);
    });
    if (new URLSearchParams(window.location.search).get("play") === "1") {
      playing(true);
      timer = window.setTimeout(next, PLAY_MS);
      // On a phone the open options would push the map off the screen: the player (its pause button) goes to
      // the top of the screen, the map under it.
      if (window.matchMedia && window.matchMedia(PHONE_QUERY).matches) box.scrollIntoView({ block: "start" });
    }
  }

  /** Phones: the view's options fold behind one "Map options" button so the map starts on the first screen
   * (open while the year player runs, so its pause button stays at hand). Wider screens: always open. */
  var PHONE_QUERY = "(max-width: 640px)";

  function setupOptions() {
    var toggle = document.getElementById("map-options-toggle");
    var body = document.getElementById("map-options-body");
    if (!toggle || !body || !window.matchMedia) return;
    var phone = window.matchMedia(PHONE_QUERY);
    var open = new URLSearchParams(window.location.search).get("play") === "1";
    function apply() {
      toggle.hidden = !phone.matches;
      toggle.setAttribute("aria-expanded", open || !phone.matches ? "true" : "false");
      body.hidden = phone.matches && !open;
    }
    toggle.addEventListener("click", function () {
      open = toggle.getAttribute("aria-expanded") !== "true";
      apply();
    });
    if (phone.addEventListener) phone.addEventListener("change", apply); else phone.addListener(apply);
    apply();
  }

  setupOptions();
  setupControls(document.getElementById("map-controls"));
  setupControls(document.getElementById("compare-controls"));
  setupPlayer();
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), setupTable);
  setupFocus();
})();
