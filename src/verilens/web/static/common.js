/* Shared helpers: CSRF-carrying fetch, page data, text-only DOM building. */
"use strict";
const VL = (() => {
  const token = () => document.querySelector('meta[name="csrf-token"]').content;
  async function api(method, url, body) {
    const opts = { method, headers: { "X-CSRF-Token": token(), "Accept": "application/json" } };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(url, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      let msg = data && data.detail ? data.detail : r.statusText;
      if (Array.isArray(msg)) msg = msg.map(d => (d.loc || []).join(".") + ": " + d.msg).join("; ");
      throw new Error(String(msg));
    }
    return data;
  }
  function pageData() {
    const el = document.getElementById("page-data");
    return el ? JSON.parse(el.textContent) : {};
  }
  /* Build an element; text is always set as text, never as HTML. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v; else if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  async function placeAutocomplete(input, datalist, hint) {
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = input.value.trim();
        if (q.length < 2) return;
        try {
          const res = await api("GET", "/api/places?limit=10&q=" + encodeURIComponent(q));
          datalist.replaceChildren(...res.candidates.map(c => el("option", {
            value: c.kind === "coordinates" ? c.query : c.name,
            label: [c.name, c.region, c.country, c.kind].filter(Boolean).join(" · ") + " (" + Number(c.lat).toFixed(4) + ", " + Number(c.lon).toFixed(4) + ")",
          })));
          if (hint) hint.textContent = res.reason ? res.reason : (res.candidates.length ? res.candidates.length + " match(es)" : "no match in the offline gazetteer");
        } catch (e) { if (hint) hint.textContent = e.message; }
      }, 250);
    });
  }
  return { api, pageData, el, placeAutocomplete, token };
})();
