// The job page (/jobber/{id}): while the job runs, ask the API every 1.5 s how far it has come and
// update the progress bar. The status line (aria-live="polite") changes only when the step changes or
// the job ends, so a screen reader hears each step once, not every percent. Without JavaScript the
// page has an "Oppdater" link instead.
(function () {
  var root = document.getElementById("jobb");
  var active = {queued: true, running: true};
  if (!root || !active[root.getAttribute("data-state")] || !window.fetch) return;
  var id = root.getAttribute("data-id");
  var bar = document.getElementById("jobb-fremdrift");
  var percent = document.getElementById("jobb-prosent");
  var step = document.getElementById("jobb-steg");
  var state = document.getElementById("jobb-tilstand");
  var labels = {queued: "I kø", running: "Pågår", done: "Ferdig", failed: "Feilet", interrupted: "Avbrutt",
                cancelled: "Stoppet av bruker"};
  var lastMessage = step.textContent;
  var misses = 0;

  function show(job) {
    var p = Math.round((job.progress || 0) * 100);
    bar.value = p;
    bar.textContent = p + " %";
    percent.textContent = p + " %";
    state.textContent = labels[job.state] || job.state;
    state.className = "status job-" + job.state;
    if (active[job.state]) {
      if (job.message && job.message !== lastMessage) {
        lastMessage = job.message;
        step.textContent = job.message;
      }
      return false;
    }
    root.setAttribute("data-state", job.state);
    document.getElementById("jobb-oppdater").hidden = true;
    if (job.state === "done") {
      var said = job.message || "";
      step.textContent = said.indexOf("Ferdig") === 0 ? said : ("Ferdig. " + said).trim();
      document.getElementById("jobb-ferdig").hidden = false;
    } else {
      step.textContent = "Jobben stoppet: " + (job.error || "");
      document.getElementById("jobb-feiltekst").textContent = job.error || "";
      document.getElementById("jobb-tilbake").href = job.result_url || root.getAttribute("data-back");
      document.getElementById("jobb-feil").hidden = false;
    }
    document.title = document.title.replace(/ – kommuneki$/, "") + ": " + state.textContent.toLowerCase() +
      " – kommuneki";
    return true;
  }

  function poll() {
    fetch("/api/v1/jobs/" + encodeURIComponent(id), {credentials: "same-origin",
                                                      headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (job) { misses = 0; if (!show(job)) window.setTimeout(poll, 1500); })
      .catch(function () { misses += 1; window.setTimeout(poll, Math.min(10000, 1500 * (misses + 1))); });
  }

  window.setTimeout(poll, 1000);
})();
