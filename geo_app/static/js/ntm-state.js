/* URL is the state: the map's zoom and centre (z, lat, lng) and the open commune (sel) live in the page's URL.
 *
 * - moving the map replaces the current history entry (no entry per pan);
 * - opening a commune pushes an entry, so Back closes it / reopens the previous one;
 * - Back/Forward (popstate) and opening a shared URL restore the view and the open commune.
 * Works on any page that mounts an NTM map (/, /lagging, /embed); silent where history cannot be written
 * (a file:// export). Year, layer, criterion and district are server-side parameters: changing them loads
 * a new page, and the form carries z/lat/lng/sel along (static/js/map.js).
 */
(function () {
  "use strict";

  var DIGITS = 5; // ~1 m

  function canWrite() {
    return /^https?:$/.test(window.location.protocol) && window.history && window.history.replaceState;
  }

  function readState() {
    var q = new URLSearchParams(window.location.search);
    var z = parseFloat(q.get("z")), lat = parseFloat(q.get("lat")), lng = parseFloat(q.get("lng"));
    var view = isFinite(z) && isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180 ?
      { z: z, lat: lat, lng: lng } : null;
    var sel = q.get("sel");
    return { view: view, sel: sel && /^[0-9A-Za-z_-]{1,12}$/.test(sel) ? sel : null };
  }

  function write(mutate, push) {
    if (!canWrite()) return;
    var url = new URL(window.location.href);
    mutate(url.searchParams);
    var next = url.pathname + url.search + url.hash;
    if (next === window.location.pathname + window.location.search + window.location.hash) return;
    try {
      window.history[push ? "pushState" : "replaceState"]({ ntm: true }, "", next);
    } catch (e) { /* sandboxed frame: the map still works, the URL just does not follow */ }
  }

  function popupCode(popup) {
    var src = popup && popup._source;
    var p = src && src.feature && src.feature.properties;
    return p && p.ward_code ? p.ward_code : null;
  }

  function attach(inst) {
    var map = inst.map;
    var restoring = 0;
    var pending = null;

    function saveView() {
      if (restoring) return;
      var c = map.getCenter();
      write(function (q) {
        q.set("z", String(Math.round(map.getZoom() * 100) / 100));
        q.set("lat", c.lat.toFixed(DIGITS));
        q.set("lng", c.lng.toFixed(DIGITS));
      }, false);
    }

    function restore(state, initial) {
      restoring += 1;
      try {
        if (state.view) map.setView([state.view.lat, state.view.lng], state.view.z, { animate: false });
        else if (!initial) inst.fit();
        if (state.sel && inst.byCode[state.sel]) {
          if (state.view) inst.openCommune(state.sel);
          else inst.focus(state.sel);
        } else if (!initial) {
          map.closePopup();
        }
      } finally {
        window.setTimeout(function () { restoring -= 1; }, 0);
      }
    }

    restore(readState(), true);

    map.on("moveend", function () {
      if (restoring) return;
      window.clearTimeout(pending); // after a selection's pushState, so the new entry gets the new view
      pending = window.setTimeout(saveView, 0);
    });
    map.on("popupopen", function (ev) {
      var code = popupCode(ev.popup);
      if (restoring || !code || readState().sel === code) return;
      write(function (q) { q.set("sel", code); }, true);
    });
    map.on("popupclose", function (ev) {
      var code = popupCode(ev.popup);
      if (restoring || !code || readState().sel !== code) return;
      window.setTimeout(function () { // opening another commune closes this one first: keep this entry's sel
        if (map._popup && map._popup.isOpen()) return;
        if (readState().sel === code) write(function (q) { q.delete("sel"); }, false);
      }, 0);
    });
    window.addEventListener("popstate", function () { restore(readState(), false); });
    inst.urlState = { read: readState, save: saveView };
  }

  var NTM = window.NTM || (window.NTM = { maps: [] });
  NTM.urlState = { read: readState, write: write };
  NTM.maps.forEach(attach);
  document.addEventListener("ntm:map-ready", function (ev) { attach(ev.detail); });
})();
