/* NTM map component: tooltips, popups, legend, district labels, pilot markers and search for a
 * Leaflet map built by geo_app/render/interactive.py, from the page's JSON document (config, the view's
 * attribute tables) and the geometry (inline, or fetched once from its content-hashed URL).
 *
 * Security: every piece of data text reaches the DOM through textContent / setAttribute only,
 * never innerHTML or string-built markup. Links are made only from http(s) URLs.
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var FIT_PADDING_PX = 8; // the inset of the server-drawn preview in ntm-map.css (.ntm-preview)
  var NARROW_PX = 600; // map width below which popups become a bottom sheet (the legend folds below LEGEND_ROOM_PX)
  var NARROW_TOP_PX = 68; // below LEGEND_ROOM_PX the view is fitted below the row of controls (ntm-map.css)
  var LEGEND_ROOM_PX = 800; // a map at least this wide is fitted left of its legend (ntm-map.css, @container);
  // a narrower one shows its legend as a button
  var LEGEND_RESERVE_PX = 300; // the legend's greatest width (290 px, ntm-map.css) and its 10 px margin; the
  // search box sits above the legend in that column
  var ATTRIBUTION_RESERVE_PX = 18; // the view is fitted above the attribution line at the map's foot (it lay over
  // the southern tip of Thạnh Phú): one line of 17 px (from LEGEND_ROOM_PX 12 px text, below it 9 px, ntm-map.css)
  var ATTRIBUTION_WRAPPED_PX = 26; // below NARROW_PX it may wrap: two lines of 9 px text (.ntm-preview too)
  var ZOOM_RESERVE_PX = 44; // beside that column, the view is also fitted right of the zoom buttons (10 + 34 px)
  var SHEET_SHARE = 0.45; // the bottom sheet's share of a narrow map's height
  var SHEET_CLEARANCE_PX = 40; // a tapped point this close to the bottom sheet or to the top controls is moved
  var LEGEND_GAP_PX = 10; // between a popup and the legend it was moved clear of
  var POPUP_SHARE = 0.55; // a popup takes at most this share of the map's height (the commune stays in view)

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** Lower-case, diacritic-free text for searching ("Giồng Trôm" -> "giong trom"). */
  function fold(text) {
    return String(text || "")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d")
      .toLowerCase()
      .replace(/\s+/g, " ")
      .trim();
  }

  /** A URL usable as a link, or null: only absolute http(s) URLs. */
  function safeUrl(raw) {
    if (!raw) return null;
    try {
      var url = new URL(String(raw).trim());
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function ensureHatchPatterns(hatches) {
    var holder = document.getElementById("ntm-svg-defs");
    if (!holder) {
      holder = document.createElementNS(SVG_NS, "svg");
      holder.setAttribute("id", "ntm-svg-defs");
      holder.setAttribute("width", "0");
      holder.setAttribute("height", "0");
      holder.setAttribute("aria-hidden", "true");
      holder.style.position = "absolute";
      holder.appendChild(document.createElementNS(SVG_NS, "defs"));
      document.body.appendChild(holder);
    }
    var defs = holder.firstChild;
    hatches.forEach(function (h) {
      if (document.getElementById(h.id)) return;
      var pattern = document.createElementNS(SVG_NS, "pattern");
      pattern.setAttribute("id", h.id);
      pattern.setAttribute("patternUnits", "userSpaceOnUse");
      pattern.setAttribute("width", "6");
      pattern.setAttribute("height", "6");
      pattern.setAttribute("patternTransform", "rotate(45)");
      var bg = document.createElementNS(SVG_NS, "rect");
      bg.setAttribute("width", "6");
      bg.setAttribute("height", "6");
      bg.setAttribute("fill", h.background);
      var line = document.createElementNS(SVG_NS, "rect");
      line.setAttribute("width", "2.5");
      line.setAttribute("height", "6");
      line.setAttribute("fill", h.color);
      pattern.appendChild(bg);
      pattern.appendChild(line);
      defs.appendChild(pattern);
    });
  }

  function swatch(cls) {
    var box = el("span", "ntm-swatch" + (cls.hatched ? " ntm-swatch-hatched" : ""));
    box.style.backgroundColor = cls.color;
    if (cls.hatched) box.style.setProperty("--ntm-hatch", cls.color);
    if (cls.outline) box.style.borderColor = cls.outline;
    box.setAttribute("aria-hidden", "true");
    return box;
  }

  var mapCount = 0;

  function NtmMap(map, doc) {
    this.map = map;
    this.doc = doc;
    this.cfg = doc.config;
    this.s = this.cfg.strings;
    this.id = ++mapCount; // ids of this map's controls (several maps on one page)
    this.communes = null; // L.GeoJSON layers, once the geometry is drawn
    this.districts = null;
    this.byCode = {};
    this.byDistrict = {};
    this.markers = {};
    this.search = null;
  }

  /** The rows of an attribute table ({fields, rows}) as objects, by their `key` field. */
  function records(table, key) {
    var out = {};
    var fields = table.fields;
    table.rows.forEach(function (row) {
      var p = {};
      for (var i = 0; i < fields.length; i++) p[fields[i]] = row[i];
      out[p[key]] = p;
    });
    return out;
  }

  /** A commune's criteria string ("1" met, "0" not met, "-" no value) as c1..c19 (true/false/null). */
  function expandCriteria(p) {
    var text = p.criteria || "";
    for (var i = 0; i < text.length; i++) p["c" + (i + 1)] = text.charAt(i) === "-" ? null : text.charAt(i) === "1";
    p.is_pilot = !!p.is_pilot;
    return p;
  }

  /** Geometry features joined with the view's attributes by code (a feature without attributes is left out). */
  function joined(features, byCode) {
    var out = [];
    features.forEach(function (f) {
      var p = byCode[f.id];
      if (!p) return;
      var label = f.properties && f.properties.label;
      if (label) { p.label_lon = label[0]; p.label_lat = label[1]; }
      out.push({ type: "Feature", id: f.id, properties: p, geometry: f.geometry });
    });
    return { type: "FeatureCollection", features: out };
  }

  /** The outline of a commune (or, on the district layer, a district) under the pointer or open in a popup;
   * pilots keep their own colour. */
  function outlineStyle(layer, options) {
    var p = layer.feature.properties;
    return p.is_pilot && options.pilotHover ? options.pilotHover : options.hover;
  }

  /** The hover outline of the layer that takes the pointer; the one open in a popup keeps it (`isOpen`). */
  function hoverOutline(group, options, isOpen) {
    if (!options.interactive || !options.hover) return;
    group.on("mouseover", function (ev) { ev.layer.setStyle(outlineStyle(ev.layer, options)); });
    group.on("mouseout", function (ev) { if (!isOpen(ev.layer)) group.resetStyle(ev.layer); });
  }

  /** Paths are reached through the search box and the table, not one Tab stop each (Chromium makes SVG
   * shapes with focus listeners focusable). */
  function untab(layer) {
    if (layer._path) layer._path.setAttribute("tabindex", "-1");
  }

  /** A popup that scrolls can be scrolled from the keyboard: its content is a named, focusable region. */
  function keyboardScroll(popup) {
    var node = popup.getElement && popup.getElement();
    var content = node && node.querySelector(".leaflet-popup-content");
    if (!content) return;
    var heading = content.querySelector(".ntm-popup-name");
    content.setAttribute("tabindex", "0");
    content.setAttribute("role", "region");
    content.setAttribute("aria-label", heading ? heading.textContent : "popup");
  }

  /** A Leaflet button named in the page's language (Leaflet names its buttons in English). */
  function nameButton(button, name) {
    if (button && name) { button.setAttribute("aria-label", name); button.title = name; }
  }

  /** The popup's close button named in the page's language (Leaflet names it "Close popup"). */
  function nameCloseButton(popup, name) {
    var node = popup.getElement && popup.getElement();
    nameButton(node && node.querySelector(".leaflet-popup-close-button"), name);
  }

  /** Escape closes a popup from inside it too (Leaflet closes it only while the map itself has focus). */
  function closeOnEscape(map, popup) {
    var node = popup.getElement && popup.getElement();
    if (!node || node.getAttribute("data-ntm-escape")) return;
    node.setAttribute("data-ntm-escape", "1");
    L.DomEvent.on(node, "keydown", function (ev) {
      if (ev.key === "Escape" && map.hasLayer(popup)) { L.DomEvent.stop(ev); map.closePopup(popup); }
    });
  }

  NtmMap.prototype.districtView = function () { return this.cfg.layer === "district"; };

  /** Before the geometry arrives: the first view (the URL's, else the view's bounds) and the controls. */
  NtmMap.prototype.prepare = function () {
    ensureHatchPatterns(this.cfg.hatches || []);
    this.nameZoomButtons();
    this.map.attributionControl.addAttribution(this.cfg.attribution);
    // Leaflet's own link carries an English tooltip ("A JavaScript library for interactive maps"): left out.
    var prefix = this.map.attributionControl.options.prefix;
    if (typeof prefix === "string") this.map.attributionControl.setPrefix(prefix.replace(/ title="[^"]*"/, ""));
    var saved = NTM.urlState && NTM.urlState.read().view;
    if (saved) {
      this.map.setView([saved.lat, saved.lng], saved.z, { animate: false });
      this.dropPreview();
    } else this.fit();
    if (this.cfg.showLegend) this.addLegend();
    if (this.cfg.showControls) this.addSearch();
    this.controlsFirst();
    this.layout();
    return this;
  };

  /** The controls (zoom, search, legend) come first in the keyboard's order, before the pilot stars and the
   * district labels (Leaflet puts its controls after the map's panes; their places on screen stay). */
  NtmMap.prototype.controlsFirst = function () {
    var corners = this.map._controlContainer, panes = this.map.getPane("mapPane");
    if (corners && panes && corners.parentNode === panes.parentNode) panes.parentNode.insertBefore(corners, panes);
  };

  /** The zoom buttons' names in the page's language. */
  NtmMap.prototype.nameZoomButtons = function () {
    var container = this.map.getContainer();
    nameButton(container.querySelector(".leaflet-control-zoom-in"), this.s.zoom_in);
    nameButton(container.querySelector(".leaflet-control-zoom-out"), this.s.zoom_out);
  };

  /** The two layers, styled for the view: the paths first, so the map shows as early as it can. */
  NtmMap.prototype.draw = function (geometry) {
    var self = this;
    var cfg = this.cfg;
    var communeRows = records(this.doc.communes, "ward_code");
    Object.keys(communeRows).forEach(function (code) { expandCriteria(communeRows[code]); });
    var districtRows = records(this.doc.districts, "district_code");
    function style(feature) { return cfg.styles[feature.properties.style]; }
    var lc = cfg.layers.communes, ld = cfg.layers.districts;
    this.communes = L.geoJSON(joined(geometry.communes, communeRows),
                              { pane: lc.pane, interactive: lc.interactive, className: "ntm-commune", style: style });
    this.districts = L.geoJSON(joined(geometry.districts, districtRows),
                               { pane: ld.pane, interactive: ld.interactive, className: "ntm-district", style: style });
    this.communes.addTo(this.map);
    this.districts.addTo(this.map);
    function isOpen(layer) { return layer === self._open; }
    hoverOutline(this.communes, lc, isOpen);
    hoverOutline(this.districts, ld, isOpen);
    this.communes.eachLayer(function (layer) {
      var p = layer.feature.properties;
      self.byCode[p.ward_code] = layer;
      if (layer._path) layer._path.setAttribute("data-ward-code", p.ward_code);
      untab(layer);
    });
    this.districts.eachLayer(function (layer) {
      var p = layer.feature.properties;
      self.byDistrict[p.district_code] = layer;
      if (layer._path) layer._path.setAttribute("data-district-code", p.district_code);
      untab(layer);
    });
    return this;
  };

  /** After the first paint: what answers the pointer (tooltips, popups, pilot markers). */
  NtmMap.prototype.bindPointer = function () {
    var self = this;
    var districtView = this.districtView();
    var popupOptions = this.popupOptions();
    this.communes.eachLayer(function (layer) {
      var p = layer.feature.properties;
      if (!districtView) { // on the district layer the districts answer the pointer, not the communes
        layer.bindTooltip(function () { return self.tooltip(p); }, { sticky: true, className: "ntm-tooltip" });
        layer.bindPopup(function () { return self.popup(p); }, popupOptions);
      }
      if (p.is_pilot) self.addPilotMarker(layer, p);
    });
    if (districtView) {
      this.districts.eachLayer(function (layer) {
        var p = layer.feature.properties;
        layer.bindTooltip(function () { return self.districtTooltip(p); },
                          { sticky: true, className: "ntm-tooltip ntm-district-tooltip" });
        layer.bindPopup(function () { return self.districtPopup(p); }, popupOptions);
      });
    }
    [this.communes, this.districts].forEach(function (group) {
      group.on("preclick", function (ev) { self._tapped = ev.layer || true; });
    });
    this.map.on("resize", function () { self.layout(); });
    this.map.on("popupclose", function (ev) { if (ev.popup._source === self._open) self.outlineOpen(null); });
    this.map.on("popupopen", function (ev) {
      self._popupOpen = ev.popup;
      self.outlineOpen(ev.popup._source);
      self.keepFocusInMap();
      keyboardScroll(ev.popup);
      closeOnEscape(self.map, ev.popup);
      nameCloseButton(ev.popup, self.s.close);
      self._tabbedInto = null; // Tab from the search box may go into this popup (once: addSearch)
      self.sheetInView(ev.popup);
      if (self._tapped) self.keepAboveSheet(ev.popup, self._tapped);
      self._tapped = false;
      self.clearOfLegend(ev.popup);
    });
    return this;
  };

  /** The commune (or district) whose facts a popup shows is outlined, as under the pointer, until it closes:
   * found by search, the table or a shared link, or tapped on a phone (no pointer), it is clear which shape is
   * meant. */
  NtmMap.prototype.outlineOpen = function (layer) {
    var group = layer && (this.communes.hasLayer(layer) ? this.communes : this.districts);
    var options = group && (group === this.communes ? this.cfg.layers.communes : this.cfg.layers.districts);
    if (this._open && this._open !== layer) this._openGroup.resetStyle(this._open);
    this._open = null;
    if (!group || !group.hasLayer(layer) || !options.hover) return;
    this._open = layer;
    this._openGroup = group;
    layer.setStyle(outlineStyle(layer, options));
    layer.bringToFront();
  };

  /** A shape clicked with the mouse took focus (Chromium focuses it) and lost it to the page when it was brought to
   * the front: focus goes back to the map, where Escape closes the popup (Leaflet's keyboard handler), without
   * scrolling. Focus elsewhere (a pilot star, the search box, a link) stays where it is. */
  NtmMap.prototype.keepFocusInMap = function () {
    var active = document.activeElement;
    if (!active || active === document.body) this.map.getContainer().focus({ preventScroll: true });
  };

  /** On a narrow map the bottom sheet sits at the map's foot, which may be below the screen (a commune tapped
   * near the top of a phone's screen showed only its name): the page scrolls until the whole sheet is seen. */
  NtmMap.prototype.sheetInView = function (popup) {
    var node = popup.getElement && popup.getElement();
    if (!this._narrow || !node || !node.scrollIntoView) return;
    var r = node.getBoundingClientRect();
    if (r.bottom > window.innerHeight || r.top < 0) node.scrollIntoView({ block: "nearest" });
  };

  /** Beside the legend (a wide map), a popup that opened under it (a commune near the map's right edge: its
   * criteria column was hidden) is moved clear of it, once Leaflet's own pan is done: left of the legend, or above
   * it where the map has no room on the left. */
  NtmMap.prototype.clearOfLegend = function (popup) {
    var node = popup.getElement && popup.getElement(), box = this.legend && this.legend.box, map = this.map;
    if (this._narrow || !node || !box || box.classList.contains("ntm-legend-collapsed")) return;
    if (!popup.options.autoPan) return; // a shared view being restored exactly
    function clear() {
      if (!popup.isOpen()) return;
      var p = node.getBoundingClientRect(), l = box.getBoundingClientRect();
      var c = map.getContainer().getBoundingClientRect();
      if (!l.width || p.right <= l.left || p.left >= l.right || p.bottom <= l.top || p.top >= l.bottom) return;
      var dx = Math.ceil(p.right - l.left) + LEGEND_GAP_PX, dy = Math.ceil(p.bottom - l.top) + LEGEND_GAP_PX;
      if (p.left - dx >= c.left + LEGEND_GAP_PX) map.panBy([dx, 0]);
      else if (p.top - dy >= c.top + LEGEND_GAP_PX) map.panBy([0, dy]);
    }
    if (map._panAnim && map._panAnim._inProgress) map.once("moveend", clear);
    else clear();
  };

  /** On a narrow map the bottom sheet covers the lower part of the map: a place tapped there (or under the
   * controls at the top) is brought into the middle of the clear part of the map, between the controls and the
   * sheet, so the commune (or district) stays in view beside its facts, and back when the sheet closes; its
   * hover tooltip, which a tap leaves behind on a touch screen, is closed. */
  NtmMap.prototype.keepAboveSheet = function (popup, tapped) {
    var node = popup.getElement && popup.getElement();
    if (!this._narrow || !node || !popup.getLatLng()) return;
    if (tapped && tapped.closeTooltip) tapped.closeTooltip();
    var origin = this.map.getContainer().getBoundingClientRect().top;
    var sheetTop = node.getBoundingClientRect().top - origin;
    var controlsBottom = Math.max(this.topControlsBottom(), -origin); // the map's top may be above the screen
    if (sheetTop <= controlsBottom) return;
    var point = this.map.latLngToContainerPoint(popup.getLatLng());
    if (point.y > controlsBottom + SHEET_CLEARANCE_PX && point.y < sheetTop - SHEET_CLEARANCE_PX) return;
    var dy = Math.round(point.y - (controlsBottom + sheetTop) / 2), map = this.map;
    map.panBy([0, dy], { animate: false });
    var moved = map.getCenter();
    map.once("popupclose", function (ev) { // the sheet closes: the map goes back, unless it was moved meanwhile
      if (ev.popup === popup && map.getCenter().equals(moved)) map.panBy([0, -dy], { animate: false });
    });
  };

  /** How far down the map the controls at its top reach (px from the map's top; 0 without any). */
  NtmMap.prototype.topControlsBottom = function () {
    var container = this.map.getContainer(), origin = container.getBoundingClientRect().top, bottom = 0;
    Array.prototype.forEach.call(container.querySelectorAll(".leaflet-top .leaflet-control"), function (el) {
      var r = el.getBoundingClientRect();
      if (r.height > 0) bottom = Math.max(bottom, r.bottom - origin);
    });
    return bottom;
  };

  /** Then, in a task of its own (the pointer is answered meanwhile): the district labels. */
  NtmMap.prototype.addLabels = function () {
    var self = this;
    this.districts.eachLayer(function (layer) { self.addDistrictLabel(layer.feature.properties); });
    return this;
  };

  /** Where the map cannot be drawn (the geometry did not load): say so in the map, not only in the console. */
  NtmMap.prototype.failed = function () {
    var box = el("div", "ntm-map-error", this.s.geometry_error);
    box.setAttribute("role", "alert");
    this.map.getContainer().appendChild(box);
  };

  /** The view's bounds, fitted exactly (the zoom is not snapped: the server-drawn preview is fitted so too,
   * inside the same padding, so the map takes its place without a jump), above the attribution line; below
   * LEGEND_ROOM_PX, below the controls; on a wide one, between the zoom buttons and the column of the legend and
   * the search box (in the corners they covered the east coast, Bình Đại's and Thạnh Phú's communes, and Chợ
   * Lách's western tip). */
  NtmMap.prototype.fit = function () {
    var b = this.cfg.bounds;
    if (!b) return;
    var size = this.map.getSize(), controlled = this.cfg.showControls || this.map.zoomControl; // .ntm-map-bare
    var row = size.x < LEGEND_ROOM_PX && controlled; // ntm-map.css: the controls share one row
    var snap = this.map.options.zoomSnap, top = row ? NARROW_TOP_PX : FIT_PADDING_PX;
    var beside = this.besideLegend(), left = beside ? ZOOM_RESERVE_PX : 0, right = beside ? LEGEND_RESERVE_PX : 0;
    var foot = size.x < NARROW_PX ? ATTRIBUTION_WRAPPED_PX : ATTRIBUTION_RESERVE_PX;
    if (size.x <= 2 * FIT_PADDING_PX + left + right || size.y <= top + FIT_PADDING_PX + foot) {
      this._fitPending = true; // no room (a hidden map): fitting gave an infinite zoom; fitted once it has (layout)
      return;
    }
    this._fitPending = false;
    this.map.options.zoomSnap = 0;
    this.map.fitBounds(b, { paddingTopLeft: [FIT_PADDING_PX + left, top],
                            paddingBottomRight: [FIT_PADDING_PX + right, FIT_PADDING_PX + foot],
                            animate: false });
    this.map.options.zoomSnap = snap;
    this._fittedView = { zoom: this.map.getZoom(), center: this.map.getCenter() };
  };

  /** Whether the map still shows the view `fit` made: the reader has not moved or zoomed it since (a resize
   * keeps the map's centre). */
  NtmMap.prototype.showsFittedView = function () {
    var fitted = this._fittedView, map = this.map;
    if (!fitted || map.getZoom() !== fitted.zoom) return false;
    return map.project(map.getCenter(), fitted.zoom).distanceTo(map.project(fitted.center, fitted.zoom)) < 1;
  };

  /** A map resized across LEGEND_ROOM_PX (a tablet turned, a window resized): the search box moves to the
   * corner of its layout, and a view the reader has not moved is fitted again for that layout (otherwise the
   * legend, unfolded, would cover the coast a narrow map's view had shown). */
  NtmMap.prototype.rearrange = function () {
    var search = this.searchControl, position = this.besideLegend() ? "topright" : "topleft";
    if (search && search.options.position !== position) { // moved whole: what was typed and its hits stay
      var box = search.getContainer(), focused = box.contains(document.activeElement) ? document.activeElement : null;
      search.options.position = position;
      this.map._controlCorners[position].appendChild(box);
      if (focused) focused.focus({ preventScroll: true }); // moving it took the focus away
    }
    if (this.showsFittedView()) this.fit();
  };

  /** Take away the server-drawn preview (render/preview.py): once the map has drawn its paths, or at once
   * where the map opens on another view than the one the preview shows. */
  NtmMap.prototype.dropPreview = function () {
    var preview = this.map.getContainer().querySelector(".ntm-preview");
    if (preview) preview.parentNode.removeChild(preview);
  };

  NtmMap.prototype.levelLabel = function (p) {
    return this.cfg.levels[p.level] || p.level;
  };

  NtmMap.prototype.tooltip = function (p) {
    var box = el("div", "ntm-tip");
    box.appendChild(el("strong", "ntm-tip-name", p.name));
    box.appendChild(el("div", "ntm-tip-district", p.district_name));
    var cls = this.cfg.classes[p["class"]];
    box.appendChild(el("div", "ntm-tip-class", cls ? cls.label : this.levelLabel(p)));
    if (p.is_pilot) box.appendChild(el("div", "ntm-tip-pilot", this.s.pilot));
    return box;
  };

  NtmMap.prototype.popup = function (p) {
    var s = this.s;
    var box = el("div", "ntm-popup");
    box.appendChild(el("h2", "ntm-popup-name", p.name)); // under the page's h1
    box.appendChild(el("p", "ntm-popup-sub", p.district_name + " · " + p.type));
    var dl = el("dl", "ntm-facts");
    function row(term, value) {
      dl.appendChild(el("dt", null, term));
      dl.appendChild(el("dd", null, value));
    }
    row(s.level, this.levelLabel(p));
    if (p.level !== "not_applicable" && p.level !== "no_data") {
      row(s.criteria_met, p.criteria_met + "/19");
      row(s.year_recognised, p.year_recognised ? String(p.year_recognised) : "—");
    }
    box.appendChild(dl);
    // A pilot's requirements after its level and criteria: first, they filled a phone's sheet and hid them.
    if (p.is_pilot) box.appendChild(this.pilotBox(p));
    if (p.level === "not_applicable") {
      box.appendChild(el("p", "ntm-popup-note", s.not_applicable_note));
    } else if (p.level === "no_data") {
      box.appendChild(el("p", "ntm-popup-note", s.no_data_note));
    } else {
      box.appendChild(this.checklist(p));
    }
    if (p.note) box.appendChild(el("p", "ntm-popup-note", p.note));
    box.appendChild(this.provenance(p));
    return box;
  };

  NtmMap.prototype.pilotBox = function (p) {
    var wrap = el("div", "ntm-pilot-box");
    wrap.appendChild(el("strong", null, this.s.pilot_heading));
    var ul = el("ul");
    (this.cfg.pilots[p.ward_code] || []).forEach(function (req) { ul.appendChild(el("li", null, req)); });
    wrap.appendChild(ul);
    wrap.appendChild(el("p", "ntm-pilot-status", this.s.pilot_no_status)); // a list, not a checklist
    return wrap;
  };

  NtmMap.prototype.checklist = function (p) {
    var s = this.s;
    var wrap = el("details", "ntm-checklist");
    wrap.open = this.cfg.openChecklist !== false; // open unless the config says otherwise
    wrap.appendChild(el("summary", null, s.checklist + " (" + p.criteria_met + "/19)"));
    var ol = el("ol");
    this.cfg.criteria.forEach(function (c) {
      var met = p["c" + c.number] === true;
      var li = el("li", met ? "ntm-met" : "ntm-not-met");
      li.appendChild(el("span", "ntm-mark", met ? "✓" : "✗")).setAttribute("aria-hidden", "true");
      li.appendChild(el("span", "ntm-crit-name", c.number + ". " + c.name));
      li.appendChild(el("span", "ntm-crit-state", met ? s.met : s.not_met));
      ol.appendChild(li);
    });
    wrap.appendChild(ol);
    return wrap;
  };

  NtmMap.prototype.provenance = function (p) {
    var s = this.s;
    var para = el("p", "ntm-provenance");
    var label = this.cfg.provenances[p.provenance] || p.provenance || s.unknown;
    para.appendChild(el("span", "ntm-prov-label ntm-prov-" + (p.provenance || "none"), s.provenance + ": " + label));
    var url = safeUrl(p.source_url);
    if (url) {
      para.appendChild(document.createTextNode(" · "));
      var a = el("a", null, s.source);
      a.setAttribute("href", url);
      a.setAttribute("rel", "noopener noreferrer");
      a.setAttribute("target", "_blank");
      a.setAttribute("title", url);
      para.appendChild(a);
    } else if (p.source_url) {
      para.appendChild(el("span", "ntm-source-text", " · " + s.source + ": " + p.source_url));
    }
    return para;
  };

  NtmMap.prototype.addPilotMarker = function (layer, p) {
    var self = this;
    var star = el("span", "ntm-pilot-star", "★");
    star.setAttribute("aria-hidden", "true"); // the marker's name says what it is (Leaflet's `alt` is for images)
    var icon = L.divIcon({ className: "ntm-pilot-marker", html: star, iconSize: [24, 24], iconAnchor: [12, 12] });
    var marker = L.marker([p.label_lat, p.label_lon], {
      icon: icon, title: p.name + " — " + this.s.pilot, alt: p.name, keyboard: true, riseOnHover: true
    });
    marker.on("click", function () { self._tapped = true; layer.openPopup(); });
    marker.addTo(this.map);
    var node = marker.getElement();
    if (node) {
      node.setAttribute("data-ward-code", p.ward_code);
      node.setAttribute("aria-label", p.name + " — " + this.s.pilot);
      L.DomEvent.on(node, "keydown", function (ev) { // a button: Enter or Space opens the commune
        if (ev.key !== "Enter" && ev.key !== " ") return;
        L.DomEvent.preventDefault(ev);
        layer.openPopup();
        self.focusPopup(node);
      });
    }
    this.markers[p.ward_code] = marker;
  };

  /** The content of this map's open popup (a focusable region once open: keyboardScroll), or null. A popup just
   * closed fades out for 200 ms, still in the page: the first one found there was the closed one, and focus sent
   * into it fell to the page's body (a commune opened from the table after one opened from the search box). */
  NtmMap.prototype.popupContent = function () {
    var popup = this._popupOpen, element = popup && popup.isOpen() && popup.getElement();
    return element ? element.querySelector(".leaflet-popup-content[tabindex]") : null;
  };

  /** Keyboard focus into the open popup; when it closes with focus inside, focus goes back to `opener`.
   * `keepScroll`: the page is not scrolled to the popup (the caller brings the map into view). */
  NtmMap.prototype.focusPopup = function (opener, keepScroll) {
    var content = this.popupContent();
    if (!content) return;
    var popup = content.closest(".leaflet-popup");
    content.focus(keepScroll ? { preventScroll: true } : undefined);
    this.map.once("popupclose", function () {
      window.setTimeout(function () {
        var active = document.activeElement;
        if (opener && (!active || active === document.body || popup.contains(active))) opener.focus();
      }, 0);
    });
  };

  /** On a narrow map a commune chosen in the search box opens in the sheet at the map's bottom, which may be
   * below the screen: the map is brought into view and focus goes into the sheet (a phone's keyboard closes;
   * it comes back to the search box when the sheet closes). */
  NtmMap.prototype.showSheet = function (opener) {
    this.focusPopup(opener);
    var container = this.map.getContainer();
    if (container.scrollIntoView) container.scrollIntoView({ block: "nearest" });
  };

  /** A URL of this page scoped to one district (its communes), or null where links cannot work (file://). */
  function scopeUrl(code) {
    if (!/^https?:$/.test(window.location.protocol)) return null;
    var url = new URL(window.location.href);
    ["z", "lat", "lng", "sel"].forEach(function (k) { url.searchParams.delete(k); });
    if (url.searchParams.get("layer") === "district") url.searchParams.set("layer", "level");
    url.searchParams.set("district", code);
    return url.pathname + url.search;
  }
  NtmMap.scopeUrl = scopeUrl;

  /** Criterion view: how many xã of each district meet the criterion (from the commune classes). */
  NtmMap.prototype.criterionCounts = function () {
    var counts = {};
    this.communes.eachLayer(function (layer) {
      var p = layer.feature.properties;
      if (p["class"] !== "met" && p["class"] !== "not_met") return;
      var c = counts[p.district_code] || (counts[p.district_code] = { met: 0, total: 0 });
      c.total += 1;
      if (p["class"] === "met") c.met += 1;
    });
    return counts;
  };

  /** A share rounded to a whole percent in the page's language ("76 %" / "76%"), "—" when unknown. */
  NtmMap.prototype.percent = function (v) {
    return v === null || v === undefined ? "—" : this.s.percent.replace("{n}", String(Math.round(v)));
  };

  /** The second line of a district label for the view's label mode ("" for the name only). */
  NtmMap.prototype.districtLabelLine = function (p) {
    var mode = this.cfg.labelMode || "level";
    if (mode === "criterion") {
      var c = (this._criterionCounts || (this._criterionCounts = this.criterionCounts()))[p.district_code];
      return c ? c.met + "/" + c.total + " " + this.s.criterion_met_short + " " + this.cfg.criterion : "";
    }
    if (mode === "plain") return "";
    var share = this.percent(p.pct_ntm);
    return share + " " + this.s.xa_ntm_short + " (" + p.xa_ntm + "/" + p.xa_total + ")";
  };

  NtmMap.prototype.addDistrictLabel = function (p) {
    var mode = this.cfg.labelMode || "level";
    var coloured = mode === "level" || mode === "district";
    var cls = this.cfg.districtClasses[p.level] || {};
    var href = scopeUrl(p.district_code);
    var box = el(href ? "a" : "div", "ntm-district-text");
    box.appendChild(el("span", "ntm-district-name", p.short_name));
    var line = this.districtLabelLine(p);
    if (line) box.appendChild(el("span", "ntm-district-share", line));
    if (href) { // the link's name is its visible text plus what it does (for screen readers)
      box.setAttribute("href", href);
      box.appendChild(el("span", "ntm-sr-only", " — " + this.s.open_district));
    }
    box.setAttribute("title", p.district_name + (coloured ? ": " + (cls.label || p.level) : ""));
    box.setAttribute("data-district-code", p.district_code);
    if (this.cfg.district === p.district_code) box.classList.add("ntm-district-chosen");
    box.style.backgroundColor = coloured ? (cls.color || "#fff") : "#ffffff";
    box.style.color = coloured ? (cls.text || "#111") : "#111111";
    if (!this.map.getPane("ntmLabels")) {
      var pane = this.map.createPane("ntmLabels");
      pane.style.zIndex = 560; // above the polygons, below the pilot markers (600)
      pane.style.pointerEvents = "none";
    }
    var label = L.tooltip({ permanent: true, direction: "center", className: "ntm-district-label", interactive: false,
                            pane: "ntmLabels" })
      .setLatLng([p.label_lat, p.label_lon])
      .setContent(box)
      .addTo(this.map);
    this.labels = this.labels || [];
    this.labels.push({ tooltip: label, props: p, node: box });
  };

  NtmMap.prototype.popupOptions = function () {
    if (this.isNarrow()) { // a bottom sheet: a pane outside the moving map pane, never auto-panned
      if (!this.map.getPane("ntmSheet")) this.map.createPane("ntmSheet", this.map.getContainer());
      return { pane: "ntmSheet", autoPan: false, maxWidth: 2000, minWidth: 0,
               maxHeight: Math.max(120, Math.round(this.map.getSize().y * SHEET_SHARE) - 24),
               className: "ntm-popup-wrap ntm-sheet" };
    }
    return { pane: "popupPane", autoPan: true, maxWidth: 340, minWidth: 50,
             maxHeight: Math.max(200, Math.round(this.map.getSize().y * POPUP_SHARE)),
             className: "ntm-popup-wrap", autoPanPaddingTopLeft: [10, 60] };
  };

  NtmMap.prototype.districtTooltip = function (p) {
    var box = el("div", "ntm-tip");
    box.appendChild(el("strong", "ntm-tip-name", p.district_name));
    var cls = this.cfg.districtClasses[p.level];
    box.appendChild(el("div", "ntm-tip-class", cls ? cls.label : p.level));
    box.appendChild(el("div", "ntm-tip-district", this.districtLabelLine(p)));
    return box;
  };

  NtmMap.prototype.districtPopup = function (p) {
    var s = this.s;
    var box = el("div", "ntm-popup ntm-district-popup");
    box.appendChild(el("h2", "ntm-popup-name", p.district_name));
    var dl = el("dl", "ntm-facts");
    function row(term, value) {
      dl.appendChild(el("dt", null, term));
      dl.appendChild(el("dd", null, value));
    }
    var cls = this.cfg.districtClasses[p.level];
    var pct = this.percent.bind(this);
    row(s.level, cls ? cls.label : p.level);
    row(s.decision, p.decision || "—");
    row(s.share_ntm, pct(p.pct_ntm) + " (" + p.xa_ntm + "/" + p.xa_total + ")");
    row(s.nang_cao, pct(p.pct_nang_cao) + " (" + p.xa_nang_cao + "/" + p.xa_total + ")");
    row(s.kieu_mau, String(p.xa_kieu_mau === undefined ? "—" : p.xa_kieu_mau));
    if (p.xa_no_data) row(s.no_data_short, String(p.xa_no_data));
    box.appendChild(dl);
    box.appendChild(el("p", "ntm-popup-note", s.district_criteria_note));
    if (p.note) box.appendChild(el("p", "ntm-popup-note", p.note));
    box.appendChild(this.provenance(p));
    var href = scopeUrl(p.district_code);
    if (href) {
      var a = el("a", "ntm-open-district", s.open_district);
      a.setAttribute("href", href);
      box.appendChild(a);
    }
    return box;
  };

  NtmMap.prototype.addLegend = function () {
    var self = this;
    var cfg = this.cfg;
    var s = this.s;
    var Legend = L.Control.extend({
      options: { position: "bottomright" },
      onAdd: function () {
        var outer = el("div", "ntm-legend leaflet-control");
        outer.setAttribute("role", "region");
        outer.setAttribute("aria-label", s.legend);
        var toggle = el("button", "ntm-legend-toggle", s.legend);
        toggle.type = "button";
        var box = el("div", "ntm-legend-body");
        box.id = "ntm-legend-body-" + self.id;
        toggle.setAttribute("aria-controls", box.id);
        outer.appendChild(toggle);
        outer.appendChild(box);
        box.appendChild(el("div", "ntm-legend-title", cfg.legendTitle));
        box.appendChild(legendList(cfg.legendRows, "ntm-legend-communes"));
        if (cfg.districtLegendRows && cfg.districtLegendRows.length) {
          box.appendChild(el("div", "ntm-legend-subtitle", s.district_legend));
          box.appendChild(legendList(cfg.districtLegendRows, "ntm-legend-districts"));
        }
        var extra = el("ul", "ntm-legend-list ntm-legend-symbols");
        if (cfg.highlightLegend) {
          var listed = el("li", "ntm-legend-row ntm-legend-listed");
          listed.appendChild(swatch({ color: "#ffffff", outline: cfg.highlightColor }));
          listed.lastChild.classList.add("ntm-swatch-outline");
          listed.appendChild(el("span", "ntm-legend-label", cfg.highlightLegend));
          extra.appendChild(listed);
        }
        if (cfg.pilotLegend) { // the pilots this layer holds (none: no row)
          var pilot = el("li", "ntm-legend-row");
          pilot.appendChild(el("span", "ntm-legend-star", "★")).setAttribute("aria-hidden", "true");
          pilot.appendChild(el("span", "ntm-legend-label", cfg.pilotLegend));
          extra.appendChild(pilot);
        }
        if (extra.firstChild) box.appendChild(extra);
        toggle.addEventListener("click", function () { self.setLegendOpen(outer.classList.contains("ntm-legend-collapsed")); });
        L.DomEvent.disableClickPropagation(outer);
        L.DomEvent.disableScrollPropagation(outer);
        self.legend = { box: outer, toggle: toggle };
        return outer;
      }
    });
    function legendList(rows, className) {
      var ul = el("ul", "ntm-legend-list " + className);
      rows.forEach(function (r) {
        var li = el("li", "ntm-legend-row");
        li.setAttribute("data-key", r.key);
        li.appendChild(swatch(r));
        li.appendChild(el("span", "ntm-legend-label", r.label));
        li.appendChild(el("span", "ntm-legend-count", r.count));
        ul.appendChild(li);
      });
      return ul;
    }
    new Legend().addTo(this.map);
  };

  /** Whether the map is fitted left of a column kept for its legend (at the bottom) and search box (at the top):
   * a map wide enough for both (`rearrange` follows a resize across LEGEND_ROOM_PX). */
  NtmMap.prototype.besideLegend = function () {
    return !!this.cfg.showLegend && this.map.getSize().x >= LEGEND_ROOM_PX;
  };

  /** Narrow maps (phones, small frames): popups are a bottom sheet and the district labels let taps through. */
  NtmMap.prototype.isNarrow = function () {
    return this.map.getSize().x < NARROW_PX;
  };

  NtmMap.prototype.setLegendOpen = function (open) {
    if (!this.legend) return;
    this.legend.box.classList.toggle("ntm-legend-collapsed", !open);
    this.legend.toggle.setAttribute("aria-expanded", open ? "true" : "false");
    this.placeLegendBody(open && this._folded);
  };

  /** On a map narrower than LEGEND_ROOM_PX the opened legend goes below the map (it never covers the area it
   * describes); otherwise it lives in the map's corner. On the page the map keeps its size; in a frame filling its
   * window (embed) the map gives the legend room and is resized. */
  NtmMap.prototype.placeLegendBody = function (below) {
    var body = this.legend.box.querySelector(".ntm-legend-body") || (this.legendSheet && this.legendSheet.firstChild);
    if (!body) return;
    var container = this.map.getContainer();
    var frame = (container.closest && container.closest(".map-frame, .ntm-doc-map")) || container;
    if (below) {
      if (!this.legendSheet) {
        this.legendSheet = el("div", "ntm-legend ntm-legend-sheet");
        this.legendSheet.setAttribute("role", "region");
        this.legendSheet.setAttribute("aria-label", this.s.legend);
      }
      if (body.parentNode === this.legendSheet) return;
      this.legendSheet.appendChild(body);
      frame.parentNode.insertBefore(this.legendSheet, frame.nextSibling);
    } else {
      if (body.parentNode === this.legend.box) return;
      this.legend.box.appendChild(body);
      if (this.legendSheet && this.legendSheet.parentNode) this.legendSheet.parentNode.removeChild(this.legendSheet);
    }
    if (frame.classList.contains("ntm-doc-map")) this.map.invalidateSize({ animate: false });
    if (below && this.legendSheet.scrollIntoView) this.legendSheet.scrollIntoView({ block: "nearest" });
  };

  /** Apply the narrow or wide layout; called at mount and whenever the map's size changes. Below
   * LEGEND_ROOM_PX the legend is a button (opened, it goes below the map), below NARROW_PX popups are a sheet too. */
  NtmMap.prototype.layout = function () {
    var size = this.map.getSize();
    if (!size.x || !size.y) return; // hidden, or the page being laid out again: laid out when it has a size
    if (this._fitPending) this.fit();
    // The legend in the map's corner scrolls inside the map where the map is shorter than it (a phone held
    // sideways: 311 px of legend in a map 376 px tall, under the search box). ntm-map.css reads the height.
    this.map.getContainer().style.setProperty("--ntm-map-height", size.y + "px");
    var narrow = this.isNarrow(), folded = size.x < LEGEND_ROOM_PX;
    if (folded !== this._folded) {
      var resized = this._folded !== undefined;
      this._folded = folded;
      if (this.legend) {
        this.legend.box.classList.toggle("ntm-legend-narrow", folded);
        // Folded, the box holds only its button (the legend opens below the map, a region of its own): not a
        // second region named "Legend".
        if (folded) { this.legend.box.removeAttribute("role"); this.legend.box.removeAttribute("aria-label"); }
        else { this.legend.box.setAttribute("role", "region"); this.legend.box.setAttribute("aria-label", this.s.legend); }
        this.setLegendOpen(!folded);
      }
      if (resized) this.rearrange();
    }
    if (narrow === this._narrow) return;
    this._narrow = narrow;
    this.map.getContainer().classList.toggle("ntm-map-narrow", narrow); // labels let taps through (ntm-map.css)
    var options = this.popupOptions();
    function update(layer) {
      var popup = layer.getPopup && layer.getPopup();
      if (popup) L.setOptions(popup, options);
    }
    if (this.communes) this.communes.eachLayer(update);
    if (this.districts) this.districts.eachLayer(update);
    if (this.map._popup && this.map._popup.isOpen()) { // move an open popup to its new home
      var source = this.map._popup._source, at = this.map._popup.getLatLng();
      this.map.closePopup();
      if (source && source.openPopup) source.openPopup(at);
    }
  };

  var TYPE_RANK = { "xa": 0, "thi tran": 1, "phuong": 2 }; // xã first when a query fits several types
  var TYPE_PREFIX = /^(xa|phuong|thi tran) /;
  var SHOWN_HITS = 8;

  /** How well a folded name answers a folded query (lower is better), or -1 for no match. */
  function matchQuality(key, q) {
    var bare = key.replace(TYPE_PREFIX, "");
    if (bare === q || key === q) return 0;
    if (bare.indexOf(q) === 0 || key.indexOf(q) === 0) return 1;
    if ((" " + bare).indexOf(" " + q) !== -1) return 2; // a word of the name starts with the query
    if (key.indexOf(q) !== -1) return 3;
    return -1;
  }

  /** The former name (2020's merged units, cfg.formerNames) by which `p` answers a folded query, or null when
   * its own name answers it as well. */
  NtmMap.prototype.formerMatch = function (p, q) {
    var own = matchQuality(p.search || fold(p.name), q), best = null, bestQuality = -1;
    ((this.cfg.formerNames || {})[p.ward_code] || []).forEach(function (name) {
      var quality = matchQuality(fold(name), q);
      if (quality >= 0 && (bestQuality < 0 || quality < bestQuality)) { best = name; bestQuality = quality; }
    });
    return best !== null && (own < 0 || bestQuality < own) ? { name: best, quality: bestQuality } : null;
  };

  /** Communes matching `query` by name or by a former name ("Giao Hòa" finds Giao Long), best first: match
   * quality (a former name's a step after the same quality of a name), then xã before thị trấn before phường,
   * then name. */
  NtmMap.prototype.find = function (query) {
    var self = this;
    var q = fold(query);
    if (!q || !this.communes) return [];
    var hits = [];
    this.communes.eachLayer(function (layer) {
      var p = layer.feature.properties;
      var key = p.search || fold(p.name);
      var quality = matchQuality(key, q);
      var former = self.formerMatch(p, q);
      if (former) quality = former.quality + 0.5;
      if (quality < 0) return;
      var type = TYPE_PREFIX.exec(key);
      hits.push({ p: p, quality: quality, type: type ? TYPE_RANK[type[1]] : 3 });
    });
    hits.sort(function (a, b) {
      return a.quality - b.quality || a.type - b.type || a.p.name.localeCompare(b.p.name, "vi") ||
        a.p.district_name.localeCompare(b.p.district_name, "vi");
    });
    return hits.map(function (h) { return h.p; });
  };

  /** Zoom to a commune and open it, keeping the commune itself in view: the popup takes the top part of the
   * map (anchored at the commune's north edge) or, on a narrow map, the bottom sheet; the commune the rest (on
   * a narrow map, below the controls at the top). */
  NtmMap.prototype.focus = function (code, openPopup) {
    var self = this;
    var layer = this.byCode[code];
    if (!layer) return false;
    if (this.map._animatingZoom) { // Leaflet ignores a new view while a zoom animation runs: wait for it
      this.map.once("zoomend", function () { self.focus(code, openPopup); });
      return true;
    }
    var opening = openPopup !== false && layer.getPopup();
    var size = this.map.getSize();
    var narrow = this.isNarrow();
    var reserve = opening && size.y >= 300 ? Math.round(size.y * (narrow ? SHEET_SHARE : POPUP_SHARE)) + 50 : 0;
    var bounds = layer.getBounds();
    var top = narrow ? Math.max(24, this.topControlsBottom() + 8) : reserve + 24; // a phone: below the controls
    this.map.fitBounds(bounds, {
      maxZoom: 13, animate: false,
      paddingTopLeft: [24, top], paddingBottomRight: [24, narrow ? reserve + 24 : 24]
    });
    if (opening) {
      layer.openPopup(narrow ? bounds.getCenter() : L.latLng(bounds.getNorth(), bounds.getCenter().lng));
    }
    return true;
  };

  /** Open a commune's popup where the map is (no zoom): restoring a shared or earlier view. */
  NtmMap.prototype.openCommune = function (code) {
    var layer = this.byCode[code];
    var popup = layer && layer.getPopup();
    if (!popup) return false;
    var p = layer.feature.properties;
    var autoPan = popup.options.autoPan;
    popup.options.autoPan = false; // the restored view is exactly the shared one
    layer.openPopup(L.latLng(p.label_lat, p.label_lon));
    popup.options.autoPan = autoPan;
    return true;
  };

  /** The search box: ranked hits (at most SHOWN_HITS, and how many more), arrow keys move through them,
   * Enter or a click opens one and closes the list. */
  NtmMap.prototype.addSearch = function () {
    var self = this;
    var s = this.s;
    var listId = "ntm-search-results-" + this.id;
    var Search = L.Control.extend({
      options: { position: this.besideLegend() ? "topright" : "topleft" },
      onAdd: function () {
        var box = el("div", "ntm-search leaflet-control");
        box.setAttribute("role", "search");
        var input = el("input", "ntm-search-input");
        input.type = "search";
        input.placeholder = s.search_placeholder;
        input.setAttribute("aria-label", s.search_label);
        input.setAttribute("autocomplete", "off");
        input.setAttribute("role", "combobox"); // a text box that shows a list of choices
        input.setAttribute("aria-autocomplete", "list");
        input.setAttribute("aria-controls", listId);
        input.setAttribute("aria-expanded", "false");
        var list = el("ul", "ntm-search-results");
        list.id = listId;
        var status = el("p", "ntm-search-status");
        status.setAttribute("role", "status");
        status.setAttribute("aria-live", "polite");

        function buttons() { return Array.prototype.slice.call(list.querySelectorAll(".ntm-search-hit")); }
        function close() {
          list.textContent = "";
          status.textContent = "";
          input.setAttribute("aria-expanded", "false");
        }
        function choose(code) {
          close();
          input.focus();
          self.focus(code);
          if (self._narrow && self.popupContent()) self.showSheet(input);
        }
        function render() {
          list.textContent = "";
          var all = self.find(input.value);
          var hits = all.slice(0, SHOWN_HITS);
          var query = input.value.trim();
          input.setAttribute("aria-expanded", hits.length ? "true" : "false");
          status.textContent = !query ? "" : (all.length ? all.length + " " + s.search_count : s.search_none);
          if (query && !hits.length) list.appendChild(el("li", "ntm-search-empty", s.search_none));
          hits.forEach(function (p) {
            var li = el("li");
            var btn = el("button", "ntm-search-hit");
            btn.type = "button";
            btn.setAttribute("data-ward-code", p.ward_code);
            btn.appendChild(el("span", "ntm-search-name", p.name));
            var former = self.formerMatch(p, fold(query));
            if (former) btn.appendChild(el("span", "ntm-search-former", s.formerly.replace("{names}", former.name)));
            btn.appendChild(el("span", "ntm-search-district", p.district_name));
            btn.addEventListener("click", function (ev) {
              // the list empties on choice: stop the click here, or the map would see a click from a
              // detached node (not inside the search box) and close the popup just opened
              L.DomEvent.stop(ev);
              choose(p.ward_code);
            });
            li.appendChild(btn);
            list.appendChild(li);
          });
          if (all.length > hits.length) {
            list.appendChild(el("li", "ntm-search-more", s.search_more.replace("{n}", all.length - hits.length)));
          }
        }
        input.addEventListener("input", render);
        input.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter") {
            ev.preventDefault();
            var first = self.find(input.value)[0];
            if (first) choose(first.ward_code);
          } else if (ev.key === "ArrowDown") {
            if (!buttons().length) render();
            var hits = buttons();
            if (hits.length) { ev.preventDefault(); hits[0].focus(); }
          } else if (ev.key === "Escape") {
            input.value = "";
            close();
          } else if (ev.key === "Tab" && !ev.shiftKey && self.popupContent() &&
                     self._tabbedInto !== self.popupContent()) {
            ev.preventDefault(); // the commune just opened comes next (its popup is elsewhere in the page); once,
            self._tabbedInto = self.popupContent(); // so Tab from here later goes on through the page
            self.focusPopup(input);
          }
        });
        list.addEventListener("keydown", function (ev) {
          var hits = buttons();
          var i = hits.indexOf(document.activeElement);
          if (i < 0) return;
          if (ev.key === "ArrowDown" && i < hits.length - 1) { ev.preventDefault(); hits[i + 1].focus(); }
          else if (ev.key === "ArrowUp") { ev.preventDefault(); (i > 0 ? hits[i - 1] : input).focus(); }
          else if (ev.key === "Home") { ev.preventDefault(); hits[0].focus(); }
          else if (ev.key === "End") { ev.preventDefault(); hits[hits.length - 1].focus(); }
          else if (ev.key === "Escape") { ev.preventDefault(); close(); input.focus(); }
        });
        box.appendChild(input);
        box.appendChild(status);
        box.appendChild(list);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        self.search = { input: input, list: list, render: render, close: close };
        return box;
      }
    });
    this.searchControl = new Search().addTo(this.map);
  };

  /** The layers of the geometry document ({communes: [Feature], districts: [Feature]}). The document is a
   * TopoJSON Topology (webgeo.geometry_document): each edge that neighbours share is stored once as an arc of
   * integer steps on a grid; a ring lists its arcs (~i: arc i walked backwards). Decoded once per document. */
  function geometryLayers(doc) {
    if (doc.type !== "Topology") return doc;
    var t = doc.transform;
    var sx = t ? t.scale[0] : 1, sy = t ? t.scale[1] : 1, tx = t ? t.translate[0] : 0, ty = t ? t.translate[1] : 0;
    var arcs = doc.arcs.map(function (arc) {
      var x = 0, y = 0, out = new Array(arc.length);
      for (var i = 0; i < arc.length; i++) {
        if (t) { x += arc[i][0]; y += arc[i][1]; } else { x = arc[i][0]; y = arc[i][1]; }
        out[i] = [x * sx + tx, y * sy + ty];
      }
      return out;
    });
    function ring(refs) {
      var points = [];
      for (var k = 0; k < refs.length; k++) {
        var ref = refs[k], arc = arcs[ref < 0 ? ~ref : ref], n = arc.length;
        for (var i = points.length ? 1 : 0; i < n; i++) points.push(ref < 0 ? arc[n - 1 - i] : arc[i]);
      }
      return points;
    }
    function polygon(rings) { return rings.map(ring); }
    function features(name) {
      return doc.objects[name].geometries.map(function (g) {
        var geometry = g.type === "Polygon" ? { type: "Polygon", coordinates: polygon(g.arcs) }
          : g.type === "MultiPolygon" ? { type: "MultiPolygon", coordinates: g.arcs.map(polygon) } : null;
        return { type: "Feature", id: g.id, properties: g.properties || {}, geometry: geometry };
      });
    }
    return { communes: features("communes"), districts: features("districts") };
  }

  /** The geometry document if the page already has it: inline, or registered by the geometry's <script>. */
  function geometryAtHand(source) {
    if (source.inline) return source.inline;
    var registry = window.NTM_GEOMETRY;
    return (source.key && registry && registry[source.key]) || null;
  }

  /** The geometry document fetched from its content-hashed URL (kept by the browser). */
  function fetchGeometry(source) {
    return window.fetch(source.url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("geometry: HTTP " + response.status);
      return response.json();
    });
  }

  /** Run `fn` once the browser has had a chance to paint (or soon, where no frames come: hidden pages). */
  function afterPaint(fn) {
    var done = false;
    function run() { if (!done) { done = true; fn(); } }
    if (window.requestAnimationFrame) window.requestAnimationFrame(function () { window.setTimeout(run, 0); });
    window.setTimeout(run, 200);
  }

  /** Whether the map the server drew is in the page and no frame has shown it yet (window.NTM_FRAMED, set by
   * the page before the map's scripts): then the paths wait for that frame rather than hold it back. */
  function previewUnpainted(instance) {
    return window.NTM_FRAMED === false && !!instance.map.getContainer().querySelector(".ntm-preview");
  }

  /** The page's content below the map, left unrendered while the map comes first (FRAME_WATCH), is rendered. */
  function mapFirstDone() {
    document.documentElement.classList.remove("ntm-map-first");
  }

  /** A User Timing mark (benchmarks read "ntm-map-drawn", "ntm-map-interactive" and "ntm-map-ready"). */
  function mark(name) {
    if (window.performance && window.performance.mark) window.performance.mark(name);
  }

  var NTM = window.NTM || { maps: [] };
  var mounting = []; // maps in page order; each joins NTM.maps (and announces itself) when ready, in that order
  NTM.fold = fold;
  NTM.geometryLayers = geometryLayers;
  NTM.safeUrl = safeUrl;

  function announceReady() {
    while (mounting.length && mounting[0].ready) {
      var instance = mounting.shift();
      NTM.maps.push(instance);
      document.dispatchEvent(new CustomEvent("ntm:map-ready", { detail: instance }));
    }
  }

  /** Mount the map `map` (Leaflet, made by Folium) with the JSON document in the element `dataId`: the view
   * and controls at once, the paths as soon as the geometry is there (at once when the page has it, else when
   * its fetch answers; they replace the map the server drew into the page) with what answers the pointer (in the
   * same task: bound after the first frame, the map answered 13-44 ms later in a same-run A/B); after that frame,
   * the district labels, and the map is ready. */
  NTM.mount = function (map, dataId) {
    var doc = JSON.parse(document.getElementById(dataId).textContent);
    var instance = new NtmMap(map, doc).prepare();
    mounting.push(instance);
    function draw(geometry) {
      instance.draw(geometryLayers(geometry));
      instance.dropPreview();
      mark("ntm-map-drawn");
      instance.bindPointer();
      mark("ntm-map-interactive");
      afterPaint(function () {
        instance.addLabels();
        instance.ready = true;
        announceReady();
        mark("ntm-map-ready");
        mapFirstDone();
      });
    }
    var atHand = geometryAtHand(doc.geometry);
    if (atHand) { // drawn now, before the parser reads the rest of the page; after the first frame on a repeat view
      if (previewUnpainted(instance)) afterPaint(function () { draw(atHand); });
      else draw(atHand);
      return instance;
    }
    fetchGeometry(doc.geometry).then(draw).catch(function (error) {
      mounting.splice(mounting.indexOf(instance), 1);
      announceReady();
      instance.failed(error);
      mapFirstDone();
      if (window.console) window.console.error(error);
    });
    return instance;
  };
  window.NTM = NTM;
})();