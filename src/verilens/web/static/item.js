"use strict";
(() => {
  const data = VL.pageData();
  const viewer = document.getElementById("viewer");
  if (viewer) {
    const stage = document.getElementById("stage"), img = document.getElementById("base-img");
    const mag = document.getElementById("magnifier");
    let scale = 1, tx = 0, ty = 0, drag = null, fit = 1;
    const apply = () => { stage.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`; };
    function reset() {
      const w = img.naturalWidth || 1, h = img.naturalHeight || 1;
      fit = Math.min(viewer.clientWidth / w, viewer.clientHeight / h, 1);
      scale = fit; tx = (viewer.clientWidth - w * scale) / 2; ty = (viewer.clientHeight - h * scale) / 2;
      stage.style.width = w + "px"; stage.style.height = h + "px";
      apply();
    }
    function zoomAt(f, cx, cy) {
      const ns = Math.max(fit * 0.5, Math.min(scale * f, 32));
      tx = cx - (cx - tx) * (ns / scale); ty = cy - (cy - ty) * (ns / scale); scale = ns; apply();
    }
    img.complete ? reset() : img.addEventListener("load", reset);
    window.addEventListener("resize", reset);
    document.getElementById("zoom-in").addEventListener("click", () => zoomAt(1.5, viewer.clientWidth / 2, viewer.clientHeight / 2));
    document.getElementById("zoom-out").addEventListener("click", () => zoomAt(1 / 1.5, viewer.clientWidth / 2, viewer.clientHeight / 2));
    document.getElementById("zoom-reset").addEventListener("click", reset);
    viewer.addEventListener("wheel", e => {
      e.preventDefault();
      const r = viewer.getBoundingClientRect();
      zoomAt(e.deltaY < 0 ? 1.2 : 1 / 1.2, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    viewer.addEventListener("pointerdown", e => { drag = { x: e.clientX - tx, y: e.clientY - ty }; viewer.setPointerCapture(e.pointerId); });
    viewer.addEventListener("pointerup", () => { drag = null; });
    const magToggle = document.getElementById("magnifier-toggle");
    magToggle.addEventListener("change", () => { mag.hidden = !magToggle.checked; });
    viewer.addEventListener("pointermove", e => {
      if (drag) { tx = e.clientX - drag.x; ty = e.clientY - drag.y; apply(); }
      if (!magToggle.checked) return;
      const r = viewer.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
      const ix = (x - tx) / scale, iy = (y - ty) / scale, z = 3, size = 160;
      mag.style.left = (x - size / 2) + "px"; mag.style.top = (y - size / 2) + "px";
      mag.style.backgroundImage = `url("${img.src}")`;
      mag.style.backgroundSize = (img.naturalWidth * z) + "px " + (img.naturalHeight * z) + "px";
      mag.style.backgroundPosition = (-(ix * z - size / 2)) + "px " + (-(iy * z - size / 2)) + "px";
    });
    const opacity = document.getElementById("opacity");
    const setOpacity = () => document.querySelectorAll(".overlay").forEach(o => { o.style.opacity = opacity ? opacity.value / 100 : 0.6; });
    opacity && opacity.addEventListener("input", setOpacity);
    document.querySelectorAll(".overlay-toggle").forEach(cb => cb.addEventListener("change", () => {
      const o = document.getElementById("overlay-" + cb.dataset.n);
      if (!o.getAttribute("src")) o.setAttribute("src", o.dataset.src);
      o.hidden = !cb.checked; setOpacity();
    }));
  }
  const search = document.getElementById("meta-search");
  search && search.addEventListener("input", () => {
    const q = search.value.toLowerCase();
    document.querySelectorAll(".meta-group").forEach(g => {
      let any = false;
      g.querySelectorAll(".meta-row").forEach(r => { const hit = !q || r.textContent.toLowerCase().includes(q); r.hidden = !hit; any = any || hit; });
      g.hidden = !any;
    });
  });
  VLMap.make("map", "map-note", data.tile_url).then(async map => {
    VLMap.points(map, data.item.map_points);
    /* the shadow ring: from the check's measurement, or the last one made with the shadow tool */
    let m = data.item.shadow;
    try { if (!m) m = JSON.parse(localStorage.getItem("vl-shadow-" + data.item.id) || "null"); } catch (e) { m = null; }
    if (!m || !m.time) return;
    const note = document.getElementById("map-note");
    try {
      const q = new URLSearchParams({ time: m.time, elevation: m.elevation, tolerance: m.tolerance || 2 });
      const r = await VL.api("GET", "/api/ring?" + q.toString());
      const gj = r.ring.geojson || r.ring;
      if (gj && gj.type) {
        L.geoJSON(gj, { style: { color: VLMap.colours.ring, weight: 1, fillOpacity: 0.3 }, interactive: false }).addTo(map);
        note.append(" Shadow ring: sun at " + Number(m.elevation).toFixed(1) + "° ± " + Number(m.tolerance || 2).toFixed(1) + "° at " + m.time + " (" + (m.source || "shadow tool") + ").");
      }
    } catch (e) { note.append(" Shadow ring unavailable: " + e.message); }
  });
})();
