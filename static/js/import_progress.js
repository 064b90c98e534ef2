// The progress page of a background CSV import (templates/admin/csv_import_job.html): polls the
// job's JSON status and updates the page; once the job has finished, reloads it to show the
// counts or the errors. A network hiccup just waits for the next poll.
(function () {
  "use strict";
  var table = document.getElementById("csv-import-job");
  if (!table) return;
  var url = table.getAttribute("data-status-url");
  var every = 1500;

  function show(name, text) {
    var node = table.querySelector('[data-field="' + name + '"]');
    if (node) node.textContent = text;
  }

  function render(status) {
    show("state", status.state);
    show("phase", status.phase || "waiting for a worker");
    show("rows_processed", String(status.rows_processed));
    if (status.rows_total !== null) show("rows_total", (status.rows_total_exact ? "" : "≈ ") + status.rows_total);
    var bar = table.querySelector('[data-field="percent"]');
    if (bar) bar.value = status.percent;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (status && status.finished) { window.location.reload(); return; }
        if (status) render(status);
        window.setTimeout(poll, every);
      })
      .catch(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
})();
