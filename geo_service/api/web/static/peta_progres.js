/* Ground-check progress per desa on a map (share of sampled families done). Inline data. */
(function () {
  "use strict";
  var el = document.getElementById("peta-progres");
  var src = document.getElementById("progres-data");
  if (!el || !src || typeof L === "undefined") { return; }
  var fc = JSON.parse(src.textContent);
  var map = L.map(el, {attributionControl: false});
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }
  function colour(p) {
    if (p === null || p === undefined) { return "#bdbdbd"; }
    return p >= 100 ? "#1a9850" : p >= 50 ? "#91cf60" : p > 0 ? "#fee08b" : "#d73027";
  }
  var layer = L.geoJSON(fc, {
    style: function (f) { return {color: "#555", weight: 0.8, fillColor: colour(f.properties.pct_selesai), fillOpacity: 0.75}; },
    onEachFeature: function (f, l) {
      var p = f.properties;
      l.bindTooltip(esc(p.kode_desa) + ": " + esc(p.n_selesai) + " / " + esc(p.n_sampel));
    }
  }).addTo(map);
  if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); } else { map.setView([-7, 110], 9); }
})();
