"use strict";
(() => {
  const note = document.getElementById("note-form");
  note && note.addEventListener("submit", async e => {
    e.preventDefault();
    const fd = new FormData(note);
    try {
      await VL.api("POST", "/api/cases/" + note.dataset.case + "/notes", { text: fd.get("text"), author: fd.get("author") || null,
                                                                        item_id: note.dataset.item || null });
      location.reload();
    } catch (ex) { alert(ex.message); }
  });
  const verdict = document.getElementById("verdict-form");
  verdict && verdict.addEventListener("submit", async e => {
    e.preventDefault();
    const fd = new FormData(verdict), msg = document.getElementById("verdict-msg");
    const body = { categories: fd.getAll("categories"), rating: fd.get("rating"), rationale: fd.get("rationale"),
                   item_id: fd.get("item_id") || null };
    try {
      await VL.api("POST", "/api/cases/" + verdict.dataset.case + "/verdict", body);
      msg.textContent = "Verdict saved."; msg.className = "small ok";
      setTimeout(() => location.reload(), 400);
    } catch (ex) { msg.textContent = ex.message; msg.className = "small error"; }
  });
  const verify = document.getElementById("verify");
  verify && verify.addEventListener("click", async () => {
    const msg = document.getElementById("verify-msg");
    try {
      const r = await VL.api("GET", "/api/cases/" + verify.dataset.case + "/verify");
      msg.textContent = r.ok ? "Custody log intact." : "Problems: " + r.problems.join("; ");
      msg.className = r.ok ? "small ok" : "small error";
    } catch (ex) { msg.textContent = ex.message; msg.className = "small error"; }
  });
})();
