"use strict";
(() => {
  const data = VL.pageData();
  const img = document.getElementById("shadow-img"), svg = document.getElementById("shadow-svg");
  const step = document.getElementById("step"), go = document.getElementById("shadow-go");
  const out = document.getElementById("shadow-result"), noteBtn = document.getElementById("shadow-note");
  const names = ["base", "top", "tip"], labels = ["the base of the object", "the top of the object", "the tip of its shadow"];
  let pts = [], map = null, ringLayer = null, last = null;
  VL.placeAutocomplete(document.getElementById("sh-place"), document.getElementById("place-options"), null);
  const NS = "http://www.w3.org/2000/svg";
  function toImage(e) {  /* click position in pixels of the original picture */
    const r = img.getBoundingClientRect();
    const sx = (data.width || img.naturalWidth) / r.width, sy = (data.height || img.naturalHeight) / r.height;
    return { x: (e.clientX - r.left) * sx, y: (e.clientY - r.top) * sy, dx: e.clientX - r.left, dy: e.clientY - r.top };
  }
  function draw() {
    svg.replaceChildren();
    const r = img.getBoundingClientRect();
    svg.setAttribute("width", r.width); svg.setAttribute("height", r.height);
    const line = (a, b, c) => { const l = document.createElementNS(NS, "line"); l.setAttribute("x1", a.dx); l.setAttribute("y1", a.dy); l.setAttribute("x2", b.dx); l.setAttribute("y2", b.dy); l.setAttribute("class", c); svg.append(l); };
    if (pts.length >= 2) line(pts[0], pts[1], "seg-object");
    if (pts.length >= 3) line(pts[0], pts[2], "seg-shadow");
    pts.forEach((p, i) => {
      const c = document.createElementNS(NS, "circle"); c.setAttribute("cx", p.dx); c.setAttribute("cy", p.dy); c.setAttribute("r", 5); c.setAttribute("class", "pt-" + names[i]); svg.append(c);
      const t = document.createElementNS(NS, "text"); t.setAttribute("x", p.dx + 8); t.setAttribute("y", p.dy - 8); t.textContent = names[i]; svg.append(t);
    });
    step.textContent = pts.length < 3 ? "Next: click " + labels[pts.length] : "Three points placed: compute, or start again.";
    go.disabled = pts.length < 3;
  }
  document.getElementById("shadow-stage").addEventListener("click", e => { if (pts.length < 3) { pts.push(toImage(e)); draw(); } });
  document.getElementById("shadow-reset").addEventListener("click", () => { pts = []; draw(); out.replaceChildren(); noteBtn.hidden = true; });
  draw();
  VLMap.make("map", "map-note", data.tile_url).then(m => { map = m; VLMap.points(map, data.map_points); });

  document.getElementById("shadow-form").addEventListener("submit", async e => {
    e.preventDefault();
    const placeText = document.getElementById("sh-place").value.trim();
    const body = { base: { x: pts[0].x, y: pts[0].y }, top: { x: pts[1].x, y: pts[1].y }, tip: { x: pts[2].x, y: pts[2].y },
                   place: placeText || null, date: document.getElementById("sh-date").value.trim() || null,
                   time: document.getElementById("sh-time").value.trim() || null,
                   tolerance: parseFloat(document.getElementById("sh-tol").value) || null };
    const bearing = parseFloat(document.getElementById("sh-bearing").value);
    if (!Number.isNaN(bearing)) body.shadow_bearing = ((bearing % 360) + 360) % 360;
    out.replaceChildren(VL.el("p", { text: "computing…" }));
    try {
      const r = await VL.api("POST", "/api/shadow", body);
      last = r;
      const g = r.geometry;
      const parts = [VL.el("p", { id: "elevation" }, VL.el("strong", { text: "Sun elevation ≈ " + g.elevation.toFixed(1) + "° ± " + g.tolerance.toFixed(1) + "°" }),
                           " (object " + g.object_height_px.toFixed(0) + " px, shadow " + g.shadow_length_px.toFixed(0) + " px)"),
                     VL.el("ul", { class: "muted" }, ...g.notes.map(n => VL.el("li", { text: n })))];
      if (r.azimuth) parts.push(VL.el("p", { id: "azimuth", text: "Sun azimuth " + r.azimuth.sun_azimuth.toFixed(0) + "° ± " + r.azimuth.tolerance + "° (shadow bearing " + r.azimuth.shadow_bearing + "°)." }));
      if (r.windows) {
        const ws = Array.isArray(r.windows) ? r.windows : (r.windows.windows || []);
        parts.push(VL.el("h3", { text: "Time windows (UTC) on " + body.date }));
        parts.push(VL.el("ul", { id: "windows" }, ...(ws.length ? ws.map(w => VL.el("li", { class: "window", text: w.start + " → " + w.end })) :
                                                      [VL.el("li", { class: "window-none", text: "The sun never stands at this elevation that day at that place." })])));
        const z = r.windows.zone;
        if (z) parts.push(VL.el("p", { id: "zone", text: "Clocks there: " + (z.zone || "?") + (z.utc_offset ? " (UTC" + z.utc_offset + ")" : "") +
                                       (z.iana_zone && z.iana_zone !== z.zone ? " — IANA says " + z.iana_zone : "") }));
        if (z && z.note) parts.push(VL.el("p", { class: "warn", text: z.note }));
        (r.windows.notes || []).forEach(n => parts.push(VL.el("p", { class: "muted", text: n })));
      } else parts.push(VL.el("p", { id: "windows-error", class: "warn", text: "Time windows: " + r.windows_error }));
      if (r.ring_error) parts.push(VL.el("p", { class: "muted", text: "Ring map: " + r.ring_error }));
      else if (r.ring) parts.push(VL.el("p", { id: "ring-summary", text: "Ring map: " + r.ring.cells + " grid cells where the sun stood at this elevation at " + (r.ring.time || body.time) + " (shaded on the map)." }));
      out.replaceChildren(...parts);
      noteBtn.hidden = false;
      if (body.time) {  /* the item page draws this ring on its map */
        try { localStorage.setItem("vl-shadow-" + data.item_id, JSON.stringify({ elevation: g.elevation, tolerance: g.tolerance, time: body.time, source: "shadow tool" })); } catch (e) { /* storage off */ }
      }
      if (map && r.ring) {
        if (ringLayer) map.removeLayer(ringLayer);
        const gj = r.ring.geojson || r.ring;
        if (gj && gj.type) { ringLayer = L.geoJSON(gj, { style: { color: VLMap.colours.ring, weight: 1, fillOpacity: 0.35 } }).addTo(map); map.fitBounds(ringLayer.getBounds(), { animate: false }); }
      }
    } catch (ex) { out.replaceChildren(VL.el("p", { class: "error", text: ex.message })); }
  });
  noteBtn.addEventListener("click", async () => {
    if (!last) return;
    const g = last.geometry, ws = last.windows ? (Array.isArray(last.windows) ? last.windows : last.windows.windows || []) : [];
    const text = "Shadow measurement: sun elevation " + g.elevation.toFixed(1) + "° ± " + g.tolerance.toFixed(1) +
      "° (object " + g.object_height_px.toFixed(0) + " px, shadow " + g.shadow_length_px.toFixed(0) + " px). " +
      (ws.length ? "Time windows (UTC): " + ws.map(w => w.start + "–" + w.end).join(", ") + "." : (last.windows_error || ""));
    try { await VL.api("POST", "/api/cases/" + data.case_id + "/notes", { text, item_id: data.item_id }); noteBtn.textContent = "Saved as a note"; noteBtn.disabled = true; }
    catch (ex) { alert(ex.message); }
  });
})();
