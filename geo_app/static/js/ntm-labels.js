/* District labels that never overlap: greedy placement with collision avoidance on the web map.
 *
 * Labels are placed in order of importance (the chosen district first, then by number of communes). Each
 * tries its anchor (the district's label point), then positions around it; a label that fits nowhere is
 * tried again in its compact form (name only), and if that fits nowhere either it is dropped — it comes
 * back when zooming in makes room. On a narrow map (a phone's) every label is compact, so the labels leave the
 * communes visible. Map controls (legend, search, zoom, attribution) and the pilot markers
 * are obstacles too. A label moved off its anchor gets a leader line from the anchor to the label's nearest
 * edge (as the static exports draw them). Runs after every zoom, pan and resize. Reads `inst.labels` from
 * ntm-map.js.
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

  /** Boxes labels must keep clear of: visible controls and pilot markers, and the commune whose facts are open
   * (a label sat on the commune just opened from the table or the search box), in container coordinates. */
  function obstacles(inst) {
    var container = inst.map.getContainer();
    var origin = container.getBoundingClientRect();
    var nodes = container.querySelectorAll(".leaflet-control, .ntm-pilot-marker");
    var out = [];
    Array.prototype.forEach.call(nodes, function (el) {
      var r = relative(el, origin);
      if (r.width > 0 && r.height > 0) out.push(r);
    });
    var open = openCommune(inst);
    if (open) out.push(open);
    return out;
  }

  /** The box of the commune whose facts are open (ntm-map.js outlineOpen), or null. */
  function openCommune(inst) {
    var layer = inst._open;
    if (!layer || !inst.communes || !inst.communes.hasLayer(layer)) return null;
    var bounds = layer.getBounds();
    var nw = inst.map.latLngToContainerPoint(bounds.getNorthWest());
    var se = inst.map.latLngToContainerPoint(bounds.getSouthEast());
    return box(nw.x, nw.y, se.x - nw.x, se.y - nw.y);
  }

  var LEADER_STEPS = [16, 32]; // px further out than touching the anchor, joined to it by a leader line
  var LEADER_MIN = GAP + 4; // a label this far from its anchor gets a leader line

  /** Offsets (dx, dy) from the anchor to try, nearest first, for a w×h label: on it, touching it, then
   * further out (those get a leader line). */
  function candidates(w, h) {
    var dx = w / 2 + GAP, dy = h / 2 + GAP;
    var out = [[0, 0], [0, -dy], [0, dy], [dx, 0], [-dx, 0], [dx, -dy], [-dx, -dy], [dx, dy], [-dx, dy],
               [0, -2 * dy], [0, 2 * dy]];
    LEADER_STEPS.forEach(function (s) {
      out.push([0, -dy - s], [0, dy + s], [dx + s, 0], [-dx - s, 0], [dx + s, -dy - s], [-dx - s, -dy - s],
               [dx + s, dy + s], [-dx - s, dy + s]);
    });
    return out;
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

  var LEADER_PANE = "ntmLeaders";

  /** The point of box b nearest to (x, y). */
  function nearest(b, x, y) {
    return [Math.max(b.left, Math.min(x, b.right)), Math.max(b.top, Math.min(y, b.bottom))];
  }

  /** A thin line from the anchor to the label, drawn under the labels (none when the label sits on it). */
  function leader(inst, label, anchor, b) {
    var end = nearest(b, anchor.x, anchor.y);
    if (Math.max(Math.abs(end[0] - anchor.x), Math.abs(end[1] - anchor.y)) < LEADER_MIN) return null;
    var map = inst.map;
    if (!map.getPane(LEADER_PANE)) {
      var pane = map.createPane(LEADER_PANE);
      pane.style.zIndex = 640; // above the shapes and markers, below the labels (tooltip pane, 650)
      pane.style.pointerEvents = "none";
    }
    return L.polyline([map.containerPointToLatLng(anchor), map.containerPointToLatLng(L.point(end[0], end[1]))],
                      { pane: LEADER_PANE, interactive: false, color: "#252525", weight: 1.2, opacity: 0.9,
                        className: "ntm-leader" }).addTo(map);
  }

  /** Both forms' sizes of every label, read after all are set to that form: two layouts, not one per label. */
  function measureForms(labels) {
    var sizes = labels.map(function () { return {}; });
    [false, true].forEach(function (compact) {
      labels.forEach(function (label) { setForm(label, compact, false); });
      labels.forEach(function (label, i) {
        var el = label.tooltip.getElement();
        sizes[i][compact ? "compact" : "full"] = el ? { w: el.offsetWidth, h: el.offsetHeight } : null;
      });
    });
    return sizes;
  }

  /** Where the label goes (offset from its anchor, box, form), clear of the boxes `taken`; null: nowhere. */
  function spotFor(anchor, size, sizes, taken, forms) {
    var spot = null;
    forms.some(function (compact) {
      var s = sizes[compact ? "compact" : "full"];
      if (!s) return false;
      return candidates(s.w, s.h).some(function (off) {
        var b = box(anchor.x + off[0] - s.w / 2, anchor.y + off[1] - s.h / 2, s.w, s.h);
        if (b.left < EDGE || b.top < EDGE || b.right > size.x - EDGE || b.bottom > size.y - EDGE) return false;
        if (taken.some(function (t) { return intersects(b, t); })) return false;
        spot = { offset: off, box: b, compact: compact };
        return true;
      });
    });
    return spot;
  }

  /** The label at its offset, without re-laying out the page per label (Leaflet's `update()` puts the content
   * back into the page first; only its position changes here). */
  function moveLabel(tooltip) {
    if (typeof tooltip._updatePosition === "function") tooltip._updatePosition(); // Leaflet 1.9 (vendored)
    else tooltip.update();
  }

  /** Every label's place, in order of importance; the page's layout is read first, then only written (the
   * same places as measuring each label in turn). */
  function place(inst) {
    var labels = (inst.labels || []).slice();
    if (!labels.length) return;
    labels.forEach(function (label) {
      if (label.leader) { label.leader.remove(); label.leader = null; }
    });
    var size = inst.map.getSize();
    var forms = inst.isNarrow && inst.isNarrow() ? [true] : [false, true]; // a phone's map: names only
    var taken = obstacles(inst);
    labels.sort(function (a, b) { return importance(inst, b) - importance(inst, a); });
    var sizes = measureForms(labels);
    var anchors = labels.map(function (label) { return inst.map.latLngToContainerPoint(label.tooltip.getLatLng()); });
    var spots = labels.map(function (label, i) {
      var spot = spotFor(anchors[i], size, sizes[i], taken, forms);
      if (spot) taken.push(spot.box);
      return spot;
    });
    labels.forEach(function (label, i) { setForm(label, spots[i] ? spots[i].compact : true, !spots[i]); });
    labels.forEach(function (label, i) {
      var spot = spots[i];
      label.placed = spot;
      if (!spot) return;
      label.tooltip.options.offset = L.point(spot.offset[0], spot.offset[1]);
      moveLabel(label.tooltip);
      label.leader = leader(inst, label, anchors[i], spot.box);
    });
  }

  function attach(inst) {
    if (!inst.labels || !inst.labels.length) return;
    var pending = null;
    function schedule() {
      window.cancelAnimationFrame(pending);
      pending = window.requestAnimationFrame(function () { place(inst); });
    }
    inst.map.on("zoomend moveend resize popupopen popupclose", schedule);
    place(inst);
    inst.placeLabels = function () { place(inst); };
  }

  var NTM = window.NTM || (window.NTM = { maps: [] });
  NTM.maps.forEach(attach);
  document.addEventListener("ntm:map-ready", function (ev) { attach(ev.detail); });
})();
