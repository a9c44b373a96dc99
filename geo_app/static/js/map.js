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

  /* A control that loads another view gets the focus back in that view (sessionStorage, this tab only): a
   * keyboard or screen-reader user was sent back to the top of the page at every change. */
  var REFOCUS_KEY = "ntm-refocus";
  var lastInput = "pointer"; // what the reader last used: "key" or "pointer"
  document.addEventListener("keydown", function () { lastInput = "key"; }, true);
  document.addEventListener("pointerdown", function () { lastInput = "pointer"; }, true);

  function refocusAfterLoad(control) {
    try {
      window.sessionStorage.setItem(REFOCUS_KEY, JSON.stringify({
        path: window.location.pathname, id: control.id, keyboard: lastInput === "key"
      }));
    } catch (e) { /* storage refused: the focus starts at the top, as before */ }
  }

  function restoreFocus() {
    var saved = null;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(REFOCUS_KEY) || "null");
      window.sessionStorage.removeItem(REFOCUS_KEY);
    } catch (e) { return; }
    var control = saved && saved.path === window.location.pathname && saved.id && document.getElementById(saved.id);
    if (!control || control.disabled) return;
    var body = document.getElementById("map-options-body"), toggle = document.getElementById("map-options-toggle");
    if (body && body.hidden && body.contains(control)) { // a phone's folded options
      if (!saved.keyboard || !toggle) return; // a tap: the options fold and the map is on the first screen
      toggle.click();
    }
    control.focus();
  }

  /* Keys that change a select or the year slider without a pointer: those changes wait for Enter (or the
   * "Show" button) instead of loading the view at once, so arrowing through the years or the districts does not
   * reload the page at every step (WCAG 3.2.2). A choice made with the pointer, or in a phone's picker, loads
   * the view at once as before. */
  var STEP_KEYS = /^(Arrow(Up|Down|Left|Right)|Home|End|PageUp|PageDown|.)$/;

  function keyedChanges(control) {
    control.addEventListener("keydown", function (ev) {
      if (STEP_KEYS.test(ev.key)) control.keyed = true; // not Enter, Tab or Escape (several letters)
    });
    control.addEventListener("pointerdown", function () { control.keyed = false; });
  }

  function setupControls(form) {
    if (!form) return;
    form.setAttribute("autocomplete", "off");
    syncForm(form);
    window.addEventListener("pageshow", function () { syncForm(form); });
    window.addEventListener("popstate", function () { syncForm(form); });
    form.addEventListener("submit", function () {
      keepView(form, null);
      if (document.activeElement && form.contains(document.activeElement) && document.activeElement.id) {
        refocusAfterLoad(document.activeElement);
      }
    });
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (button, i) {
      if (!button.id) button.id = form.id + "-button-" + i;
    });
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      if (!select.id) select.id = form.id + "-" + select.name;
      keyedChanges(select);
      select.addEventListener("keydown", function (ev) {
        if (ev.key !== "Enter") return;
        ev.preventDefault();
        keepView(form, select.name);
        refocusAfterLoad(select);
        form.submit();
      });
      select.addEventListener("change", function () {
        syncCriterion(form);
        if (select.keyed) return; // Enter or the button loads it
        keepView(form, select.name);
        refocusAfterLoad(select);
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
    keyedChanges(slider);
    function showChosen() {
      if (Number(slider.value) === year) return;
      refocusAfterLoad(slider);
      window.location.assign(yearUrl(slider.value, false));
    }
    slider.addEventListener("change", function () {
      if (slider.keyed) { // the year is shown on Enter; the output says so
        output.textContent = slider.value + (Number(slider.value) !== year ? " · " + box.getAttribute("data-enter-hint") : "");
        return;
      }
      showChosen();
    });
    slider.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); showChosen(); }
    });
    function next() { // later steps replace the entry: Back leaves the show instead of restarting it
      var i = years.indexOf(year);
      if (document.activeElement === button) refocusAfterLoad(button); // its next press pauses the show
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
      if (year !== years[0]) {
        if (document.activeElement === button) refocusAfterLoad(button);
        window.location.assign(yearUrl(years[0], true));
      }
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
  restoreFocus();
})();
