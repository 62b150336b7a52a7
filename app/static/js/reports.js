// Polls the build status of a report and shows the download link when it is ready (works without JS too).
(function () {
  "use strict";
  var box = document.getElementById("report-status");
  if (!box) { return; }
  var status = box.getAttribute("data-status");
  if (status === "done" || status === "failed") { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("report-progress");
  var text = document.getElementById("report-progress-text");
  var hint = box.querySelector(".no-js-hint");
  if (hint) { hint.hidden = true; }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        if (bar) { bar.value = data.progress; }
        if (text) { text.textContent = data.progress + "\u00a0%"; }
        if (data.status === "done") {
          document.getElementById("report-ready").hidden = false;
          if (bar) { bar.parentNode.hidden = true; }
          return;
        }
        if (data.status === "failed") {
          var failed = document.getElementById("report-failed");
          failed.textContent = "Отчет не построен: " + data.error;
          failed.hidden = false;
          var again = document.getElementById("report-rebuild");
          if (again) { again.hidden = false; }
          if (bar) { bar.parentNode.hidden = true; }
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { if (hint) { hint.hidden = false; } window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
}());
