/* Planning pages: "show on map" buttons in the lagging table focus the commune on the map; on phones the
 * filters fold behind one button that names the filters in force, so the list and map start on the first
 * screen. Text is written with textContent only. */
(function () {
  "use strict";

  function mountedMap() {
    var maps = window.NTM && window.NTM.maps;
    return maps && maps.length ? maps[0] : null;
  }

  function onFocusClick(event) {
    var button = event.target.closest("button.pl-focus");
    if (!button) return;
    var map = mountedMap();
    var code = button.getAttribute("data-ward-code");
    if (!map || !code || typeof map.focus !== "function" || !map.focus(code)) return;
    var section = document.querySelector(".pl-map");
    if (section && section.scrollIntoView) section.scrollIntoView({ behavior: "smooth", block: "start" });
    // Focus goes to the commune's facts (the criteria it misses), and back to this button when they close.
    map.focusPopup(button, true);
  }

  document.addEventListener("click", onFocusClick);

  var PHONE_QUERY = "(max-width: 640px)"; // as the map page's options (map.js)

  /** The filters in force, as their chosen options read ("2024 · Toàn tỉnh · Tất cả"); an option read by more
   * than one filter is named with its filter ("Nhóm: Tất cả"): "Tất cả · Tất cả" did not say which was which. */
  function chosen(form) {
    var picks = Array.prototype.map.call(form.querySelectorAll("select"), function (select) {
      var option = select.options[select.selectedIndex], label = select.closest("label");
      var name = label && label.firstChild && label.firstChild.nodeType === 3 ? label.firstChild.textContent.trim() : "";
      return { text: option ? option.textContent.trim() : "", name: name };
    }).filter(function (pick) { return pick.text; });
    return picks.map(function (pick) {
      var repeated = picks.filter(function (other) { return other.text === pick.text; }).length > 1;
      return repeated && pick.name ? pick.name + ": " + pick.text : pick.text;
    }).join(" · ");
  }

  /** A table wider than its box scrolls inside it: the box is then a tab stop, a region named for the table
   * (data-region-label), so it can be scrolled from the keyboard (axe: scrollable-region-focusable); a box that
   * fits is neither an extra stop nor an extra landmark. */
  function scrollableByKeyboard(wrap) {
    function apply() {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1, label = wrap.getAttribute("data-region-label");
      if (scrolls) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (label) wrap.setAttribute("aria-label", label);
      } else {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    }
    apply();
    if (window.ResizeObserver) new window.ResizeObserver(apply).observe(wrap);
  }

  function setupFilters(toggle) {
    var form = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!form || !window.matchMedia) return;
    var phone = window.matchMedia(PHONE_QUERY);
    var open = false;
    toggle.querySelector(".pl-filters-now").textContent = chosen(form);
    function apply() {
      toggle.hidden = !phone.matches;
      toggle.setAttribute("aria-expanded", open || !phone.matches ? "true" : "false");
      form.hidden = phone.matches && !open;
    }
    toggle.addEventListener("click", function () { open = !open; apply(); });
    if (phone.addEventListener) phone.addEventListener("change", apply); else phone.addListener(apply);
    apply();
  }

  Array.prototype.forEach.call(document.querySelectorAll(".pl-filters-toggle"), setupFilters);
  Array.prototype.forEach.call(document.querySelectorAll(".pl-table-wrap"), scrollableByKeyboard);
})();
