/* District labels that never overlap: greedy placement with collision avoidance on the web map.
 *
 * Labels are placed in order of importance (the chosen district first, then by number of communes). Each
 * tries its anchor (the district's label point), then positions around it; a label that fits nowhere is
 * tried again in its compact form (name only), and if that fits nowhere either it is dropped — it comes
 * back when zooming in makes room. Map controls (legend, search, zoom, attribution) and the pilot markers
 * are obstacles too. Runs after every zoom, pan and resize. Reads `inst.labels` from ntm-map.js.
 */
(function () {
  "use strict";

  var GAP = 3; // px kept clear between labels and around obstacles
  var EDGE = 2; // px kept clear from the map's edge

  function box(x, y, w, h) { return { left: x, top: y, right: x + w, bottom: y + h }; }

  function intersects(a, b) {
    return a.left < b.right + GAP && b.left < a.right + GAP && a.top < b.bottom + GAP && b.top < a.bottom + GAP;
  }

  function relative(el, origin) {
    var r = el.getBoundingClientRect();
    return { left: r.left - origin.left, top: r.top - origin.top, right: r.right - origin.left,
             bottom: r.bottom - origin.top, width: r.width, height: r.height };
  }

  /** Boxes labels must keep clear of: visible controls and pilot markers (container coordinates). */
  function obstacles(inst) {
    var container = inst.map.getContainer();
    var origin = container.getBoundingClientRect();
    var nodes = container.querySelectorAll(".leaflet-control, .ntm-pilot-marker");
    var out = [];
    Array.prototype.forEach.call(nodes, function (el) {
      var r = relative(el, origin);
      if (r.width > 0 && r.height > 0) out.push(r);
    });
    return out;
  }

  /** Offsets (dx, dy) from the anchor to try, nearest first, for a w×h label. */
  function candidates(w, h) {
    var dx = w / 2 + GAP, dy = h / 2 + GAP;
    return [[0, 0], [0, -dy], [0, dy], [dx, 0], [-dx, 0], [dx, -dy], [-dx, -dy], [dx, dy], [-dx, dy],
            [0, -2 * dy], [0, 2 * dy]];
  }

  function importance(inst, label) {
    var p = label.props;
    return (inst.cfg.district === p.district_code ? 1000 : 0) + (p.xa_total || 0) + (p.xa_ntm || 0) / 100;
  }

  function setForm(label, compact, dropped) {
    var el = label.tooltip.getElement();
    if (!el) return;
    el.classList.toggle("ntm-label-compact", compact);
    el.classList.toggle("ntm-label-dropped", dropped);
    el.setAttribute("aria-hidden", dropped ? "true" : "false");
    if (label.node.tagName === "A") label.node.tabIndex = dropped ? -1 : 0;
  }

  function place(inst) {
    var labels = (inst.labels || []).slice();
    if (!labels.length) return;
    var size = inst.map.getSize();
    var taken = obstacles(inst);
    labels.sort(function (a, b) { return importance(inst, b) - importance(inst, a); });
    labels.forEach(function (label) {
      var anchor = inst.map.latLngToContainerPoint(label.tooltip.getLatLng());
      var spot = null;
      [false, true].some(function (compact) {
        setForm(label, compact, false);
        var el = label.tooltip.getElement();
        var w = el.offsetWidth, h = el.offsetHeight;
        return candidates(w, h).some(function (off) {
          var b = box(anchor.x + off[0] - w / 2, anchor.y + off[1] - h / 2, w, h);
          if (b.left < EDGE || b.top < EDGE || b.right > size.x - EDGE || b.bottom > size.y - EDGE) return false;
          if (taken.some(function (t) { return intersects(b, t); })) return false;
          spot = { offset: off, box: b, compact: compact };
          return true;
        });
      });
      if (spot) {
        taken.push(spot.box);
        label.tooltip.options.offset = L.point(spot.offset[0], spot.offset[1]);
        label.tooltip.update();
        label.placed = spot;
      } else {
        setForm(label, true, true);
        label.placed = null;
      }
    });
  }

  function attach(inst) {
    if (!inst.labels || !inst.labels.length) return;
    var pending = null;
    function schedule() {
      window.cancelAnimationFrame(pending);
      pending = window.requestAnimationFrame(function () { place(inst); });
    }
    inst.map.on("zoomend moveend resize", schedule);
    place(inst);
    inst.placeLabels = function () { place(inst); };
  }

  var NTM = window.NTM || (window.NTM = { maps: [] });
  NTM.maps.forEach(attach);
  document.addEventListener("ntm:map-ready", function (ev) { attach(ev.detail); });
})();
