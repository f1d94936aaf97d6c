/* The kabupaten map of the web pages: desa choropleth (share of people in extreme poverty),
   pocket outlines and numbered markers for the priority desa listed on the page. The markers
   come inline (#peta-data); the desa and pocket layers from this server (data.url, one per
   run and kept by the browser). Plain Leaflet, no tiles, nothing from elsewhere. */
(function () {
  "use strict";
  var el = document.getElementById("peta");
  var src = document.getElementById("peta-data");
  if (!el || !src || typeof L === "undefined") { return; }
  var data = JSON.parse(src.textContent);
  var teks = JSON.parse(document.getElementById("peta-teks").textContent);
  var fokus = el.getAttribute("data-fokus");
  var BREAKS = [2, 5, 10, 15, 20];
  var COLORS = ["#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"];

  function colour(p) {
    if (p === null || p === undefined) { return "#bdbdbd"; }
    for (var i = 0; i < BREAKS.length; i++) { if (p < BREAKS[i]) { return COLORS[i]; } }
    return COLORS[COLORS.length - 1];
  }
  function fmt(p) {
    if (p === null || p === undefined) { return teks.disembunyikan; }
    var s = p.toFixed(1);
    return s.replace(".", teks.desimal || ".") + (teks.persen === undefined ? "%" : teks.persen);
  }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  var map = L.map(el, {preferCanvas: false, zoomSnap: 0.25, attributionControl: false});
  window.gsPeta = map;
  fetch(data.url, {credentials: "same-origin"})
    .then(function (r) { if (!r.ok) { throw new Error("peta " + r.status); } return r.json(); })
    .then(draw);

  function draw(layers) {
  var desa = L.geoJSON(layers.desa, {
    style: function (f) {
      var p = f.properties;
      var hidden = p.disembunyikan === true;
      return {color: p.kode_desa === fokus ? "#000" : "#666", weight: p.kode_desa === fokus ? 3 : 0.6,
              fillColor: hidden ? "#bdbdbd" : colour(p.pct_jiwa_ekstrem), fillOpacity: 0.8};
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindTooltip("<b>" + esc(p.nama_desa) + "</b><br>" + esc(p.nama_kec) + "<br>" +
        esc(teks.pct) + ": " + esc(p.disembunyikan ? teks.disembunyikan : fmt(p.pct_jiwa_ekstrem)));
      layer.on("click", function () {
        window.location.href = "/kabupaten/" + data.kab + "/hal/desa/" + encodeURIComponent(p.kode_desa);
      });
    }
  }).addTo(map);
  L.geoJSON(layers.kantong, {
    style: function () { return {color: "#67001f", weight: 3, fill: false, dashArray: "6 4"}; },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindTooltip(esc(teks.kantong) + " " + esc(p.nomor || p.kantong_id || ""));
    }
  }).addTo(map);
  var markers = L.layerGroup();
  (data.prioritas || []).forEach(function (d) {
    var icon = L.divIcon({className: "label-peringkat", html: esc(d.peringkat === null ? "" : d.peringkat), iconSize: [26, 26]});
    L.marker([d.y, d.x], {icon: icon, title: d.nama_desa, kodeDesa: d.kode_desa})
      .bindTooltip(esc(teks.peringkat) + " " + esc(d.peringkat) + ": " + esc(d.nama_desa))
      .on("click", function () {
        window.location.href = "/kabupaten/" + data.kab + "/hal/desa/" + encodeURIComponent(d.kode_desa);
      })
      .addTo(markers);
  });
  markers.addTo(map);
  window.gsPetaPrioritas = markers;

  var bounds = desa.getBounds();
  if (fokus) {
    desa.eachLayer(function (l) { if (l.feature.properties.kode_desa === fokus) { bounds = l.getBounds().pad(1.5); } });
  }
  if (bounds.isValid()) { map.fitBounds(bounds); }

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legenda");
    div.id = "legenda";
    div.style.background = "#fff"; div.style.padding = "6px 8px"; div.style.border = "1px solid #999";
    var html = "<b>" + esc(teks.pct) + "</b><br>";
    var lo = 0;
    for (var i = 0; i < COLORS.length; i++) {
      var hi = BREAKS[i];
      html += "<span style='display:inline-block;width:14px;height:12px;background:" + COLORS[i] + "'></span> " +
        lo + (hi === undefined ? "+" : "–" + hi) + "%<br>";
      lo = hi;
    }
    html += "<span style='display:inline-block;width:14px;height:12px;background:#bdbdbd'></span> " + esc(teks.disembunyikan);
    div.innerHTML = html;
    return div;
  };
  legend.addTo(map);
  window.gsPetaSiap = true;
  }
  window.addEventListener("beforeprint", function () { map.invalidateSize(); });
})();
