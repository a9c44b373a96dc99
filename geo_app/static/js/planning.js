/* Planning pages: "show on map" buttons in the lagging table focus the commune on the map.
 * No data text is written into the DOM here (buttons already carry their labels). */
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
    if (!map || !code || typeof map.focus !== "function") return;
    map.focus(code);
    var section = document.querySelector(".pl-map");
    if (section && section.scrollIntoView) section.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  document.addEventListener("click", onFocusClick);
})();
