// Eiendomsskatt, mapping editor: progressive enhancement only (the form works without it). While a
// valuation runs, say so, and ignore a second press of the button.
(function () {
  var form = document.querySelector("form.es-editor");
  var busy = document.getElementById("es-busy");
  if (!form || !busy) return;
  var sent = false;
  form.addEventListener("submit", function (e) {
    if (!e.submitter || e.submitter.value !== "verdsett") return;
    if (sent) { e.preventDefault(); return; }
    sent = true;
    busy.textContent = "Starter verdsettingen … Vent til siden skifter.";
  });
})();
