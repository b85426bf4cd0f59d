"use strict";
/* A Leaflet map with the offline land outline; an online tile layer only when configured. */
const VLMap = (() => {
  const colours = { claim: "#1f6feb", gps: "#d1242f", ocr: "#8250df", place: "#bf8700", ring: "#e36209" };
  async function make(divId, noteId, tileUrl) {
    const map = L.map(divId, { worldCopyJump: true, attributionControl: true }).setView([48.5, 31.5], 5);
    const note = document.getElementById(noteId);
    const notes = [];
    try {
      const res = await VL.api("GET", "/api/basemap");
      if (res.available) {
        L.geoJSON(res.geojson, { style: { color: "#8c959f", weight: 1, fillColor: "#f6f3ea", fillOpacity: 1 }, interactive: false }).addTo(map);
        notes.push("Offline basemap (land outline).");
      } else notes.push("Offline basemap unavailable: " + res.reason);
    } catch (e) { notes.push("Offline basemap unavailable: " + e.message); }
    if (tileUrl) {
      L.tileLayer(tileUrl, { maxZoom: 18, attribution: "tiles: " + tileUrl }).addTo(map);
      notes.push("Online tiles from " + tileUrl + " (requests go to that server).");
    }
    const legend = L.control({ position: "bottomleft" });
    legend.onAdd = () => {
      const div = L.DomUtil.create("div", "map-legend");
      for (const [k, label] of [["claim", "claimed place"], ["gps", "GPS in the file"], ["ocr", "place read in the picture"], ["ring", "shadow ring"]]) {
        const sw = L.DomUtil.create("span", "swatch", div); sw.style.background = colours[k];
        div.append(" " + label + " ");
      }
      return div;
    };
    legend.addTo(map);
    if (note) note.textContent = notes.join(" ");
    return map;
  }
  function points(map, pts) {
    const layers = [];
    for (const p of pts || []) {
      const c = colours[p.kind] || "#57606a";
      const m = L.circleMarker([p.lat, p.lon], { radius: 7, color: c, fillColor: c, fillOpacity: 0.8 });
      m.bindTooltip(document.createTextNode(p.label || p.kind));  /* text node: never HTML */
      m.addTo(map); layers.push(m);
      if (p.radius_km) { const r = L.circle([p.lat, p.lon], { radius: p.radius_km * 1000, color: c, fill: false }); r.addTo(map); layers.push(r); }
    }
    if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds().pad(0.5), { maxZoom: 10, animate: false });
    return layers;
  }
  return { make, points, colours };
})();
