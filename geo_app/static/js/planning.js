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

  /** The filters in force, as their chosen options read ("2024 · Whole province · Any"). */
  function chosen(form) {
    return Array.prototype.map.call(form.querySelectorAll("select"), function (select) {
      var option = select.options[select.selectedIndex];
      return option ? option.textContent.trim() : "";
    }).filter(Boolean).join(" · ");
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
})();
