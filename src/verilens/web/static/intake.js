"use strict";
(() => {
  const form = document.getElementById("intake");
  const drop = document.getElementById("drop");
  const input = document.getElementById("files");
  const list = document.getElementById("file-list");
  const err = document.getElementById("intake-error");
  let dropped = [];
  VL.placeAutocomplete(document.getElementById("claim-place"), document.getElementById("place-options"),
                       document.getElementById("place-hint"));
  function showFiles() {
    const files = dropped.length ? dropped : Array.from(input.files);
    list.replaceChildren(...files.map(f => VL.el("li", { text: f.name + " · " + (f.size / 1048576).toFixed(2) + " MiB" })));
  }
  input.addEventListener("change", () => { dropped = []; showFiles(); });
  ["dragenter", "dragover"].forEach(ev => drop.addEventListener(ev, e => { e.preventDefault(); drop.classList.add("hover"); }));
  ["dragleave", "drop"].forEach(ev => drop.addEventListener(ev, e => { e.preventDefault(); drop.classList.remove("hover"); }));
  drop.addEventListener("drop", e => { dropped = Array.from(e.dataTransfer.files); showFiles(); });

  async function poll(jobUrl) {
    const fill = document.getElementById("bar-fill"), text = document.getElementById("progress-text");
    const events = document.getElementById("progress-events");
    for (;;) {
      const job = await VL.api("GET", jobUrl);
      text.textContent = job.state + " · " + job.message + (job.checks_total ? " (of about " + job.checks_total + ")" : "");
      const frac = job.checks_total ? job.checks_done / job.checks_total : Math.min(0.9, job.checks_done / 25);
      fill.style.width = job.state === "done" || job.state === "error" ? "100%" : Math.round(5 + 90 * Math.min(1, frac)) + "%";
      events.replaceChildren(...job.events.slice(-6).map(t => VL.el("li", { text: t })));
      if (job.state === "done" || job.state === "error") return job;
      await new Promise(r => setTimeout(r, 700));
    }
  }
  form.addEventListener("submit", async e => {
    e.preventDefault();
    err.hidden = true;
    const fd = new FormData(form);
    if (dropped.length) { fd.delete("files"); dropped.forEach(f => fd.append("files", f, f.name)); }
    const btn = document.getElementById("start");
    btn.disabled = true;
    document.getElementById("progress").hidden = false;
    try {
      const res = await VL.api("POST", "/api/intake", fd);
      const job = await poll(res.job_url);
      const out = document.getElementById("intake-result");
      out.hidden = false;
      if (job.state === "error") throw new Error(job.error || "the job failed");
      const links = [VL.el("a", { href: job.result.case_url, id: "case-link", text: "Open the case" })];
      (job.result.item_urls || []).forEach((u, i) => links.push(" · ", VL.el("a", { href: u, class: "item-link", text: "item " + (i + 1) })));
      const errs = (job.result.errors || []).map(x => VL.el("li", { class: "error", text: typeof x === "string" ? x : JSON.stringify(x) }));
      out.replaceChildren(VL.el("p", { id: "intake-done" }, "Checked. ", ...links), VL.el("ul", {}, ...errs));
    } catch (ex) {
      err.textContent = ex.message; err.hidden = false;
    } finally { btn.disabled = false; }
  });
})();
