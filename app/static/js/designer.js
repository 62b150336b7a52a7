/* Survey designer: show only the fields of the chosen question type, live preview of the JSON editor. */
(function () {
  "use strict";

  // Structured question form: hide blocks that do not apply to the selected type.
  var typeSelect = document.querySelector("[data-type-select]");
  function syncTypeBlocks() {
    var type = typeSelect.value;
    document.querySelectorAll(".type-block").forEach(function (block) {
      var types = (block.getAttribute("data-types") || "").split(/\s+/);
      block.classList.toggle("is-hidden", types.indexOf(type) === -1);
    });
  }
  if (typeSelect) {
    typeSelect.addEventListener("change", syncTypeBlocks);
    syncTypeBlocks();
  }

  // JSON editor: re-render the preview (server-side, nothing saved) as the document changes.
  var editor = document.getElementById("document");
  var target = document.getElementById("live-preview");
  if (!editor || !target) { return; }
  var url = editor.getAttribute("data-preview-url");
  var form = document.getElementById("json-form");
  var tokenInput = form ? form.querySelector("input[name=csrf_token]") : null;
  var device = "phone";
  var timer = null;
  var note = document.getElementById("live-note");
  if (note) { note.classList.remove("hidden"); }

  function refresh() {
    var request = new XMLHttpRequest();
    request.open("POST", url + "?device=" + encodeURIComponent(device));
    request.setRequestHeader("Content-Type", "application/json");
    if (tokenInput) { request.setRequestHeader("X-CSRFToken", tokenInput.value); }
    request.onload = function () {
      // The server renders the fragment with every staff string escaped.
      target.innerHTML = request.responseText;
    };
    request.send(editor.value);
  }

  editor.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 600);
  });
  document.querySelectorAll("[data-device]").forEach(function (button) {
    button.addEventListener("click", function () {
      device = button.getAttribute("data-device");
      document.querySelectorAll("[data-device]").forEach(function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      refresh();
    });
  });
  refresh();
})();
