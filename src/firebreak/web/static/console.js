// The console's only script: load evidence on click, keyboard shortcuts, media blur toggle.
(function () {
  "use strict";
  const rows = () => Array.from(document.querySelectorAll("tr.member-row"));
  let selected = -1;

  function select(i) {
    const all = rows();
    if (!all.length) return;
    selected = (i + all.length) % all.length;
    document.querySelectorAll(".selected").forEach((el) => el.classList.remove("selected"));
    const row = all[selected];
    row.classList.add("selected");
    row.scrollIntoView({ block: "nearest" });
    const acct = row.dataset.account;
    const node = document.querySelector(`circle[data-account="${CSS.escape(acct)}"]`);
    if (node) node.classList.add("selected");
    const input = document.getElementById("decide-accounts");
    if (input) input.value = acct;
  }

  async function openEvidence(acct) {
    const panel = document.getElementById("evidence");
    if (!panel) return;
    const res = await fetch(`/console/accounts/${encodeURIComponent(acct)}/evidence`, { credentials: "same-origin" });
    panel.innerHTML = res.ok ? await res.text() : `<p class="error">Evidence not available (${res.status}).</p>`;
    const i = rows().findIndex((r) => r.dataset.account === acct);
    if (i >= 0) select(i);
  }

  document.addEventListener("click", (ev) => {
    const target = ev.target.closest("[data-account]");
    if (target && (target.matches("circle") || target.matches("a.account-link"))) {
      ev.preventDefault();
      openEvidence(target.dataset.account);
    }
    const ph = ev.target.closest(".placeholder");
    if (ph) ph.classList.toggle("blurred");
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.target.matches("input, textarea, select")) return;
    const all = rows();
    if (ev.key === "j") select(selected + 1);
    else if (ev.key === "k") select(selected - 1);
    else if (ev.key === "o" && selected >= 0) openEvidence(all[selected].dataset.account);
    else if (ev.key === "d") { const r = document.getElementById("decide-reason"); if (r) { ev.preventDefault(); r.focus(); } }
    else if (ev.key === "t") { const r = document.getElementById("takedown-reason"); if (r) { ev.preventDefault(); r.focus(); } }
    else if (ev.key === "m") document.querySelectorAll(".placeholder").forEach((p) => p.classList.toggle("blurred"));
  });
})();
