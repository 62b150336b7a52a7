/* Survey designer: changes in place (fetch + the server's re-rendered fragment), drag and drop ordering,
   option rows, condition dropdowns and the JSON editor's live preview. Every form also works without it. */
(function () {
  "use strict";

  var root = document.getElementById("designer-body");
  document.documentElement.classList.add("js");

  // Question editors: show only the fields of the chosen type.
  function syncTypeBlocks(form) {
    var select = form.querySelector("[data-type-select]");
    if (!select) { return; }
    form.querySelectorAll(".type-block").forEach(function (block) {
      var types = (block.getAttribute("data-types") || "").split(/\s+/);
      block.classList.toggle("is-hidden", types.indexOf(select.value) === -1);
    });
  }

  // Conditions: the value list offers only the values of the chosen question.
  function syncConditionValues(form) {
    var question = form.querySelector("[data-cond-question]");
    var values = form.querySelector("[data-cond-value]");
    if (!question || !values) { return; }
    values.querySelectorAll("optgroup").forEach(function (group) {
      var mine = group.getAttribute("data-for") === question.value;
      group.hidden = !mine;
      group.disabled = !mine;
    });
    var chosen = values.options[values.selectedIndex];
    if (chosen && chosen.parentElement && chosen.parentElement.disabled) { values.value = ""; }
  }

  function enhance(scope) {
    scope.querySelectorAll("form").forEach(function (form) {
      syncTypeBlocks(form);
      syncConditionValues(form);
    });
    scope.querySelectorAll("[data-add-option]").forEach(function (button) { button.hidden = false; });
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form) { return; }
    if (event.target.matches("[data-type-select]")) { syncTypeBlocks(form); }
    if (event.target.matches("[data-cond-question]")) { syncConditionValues(form); }
  });

  // «+ вариант»: one more empty option row.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-option]");
    if (!button) { return; }
    var list = document.getElementById(button.getAttribute("data-add-option"));
    var last = list ? list.lastElementChild : null;
    if (!last) { return; }
    var row = last.cloneNode(true);
    var text = row.querySelector("input[name=opt_text]");
    text.value = "";
    text.setAttribute("aria-label", text.getAttribute("aria-label").replace(/\d+$/, String(list.children.length + 1)));
    row.querySelector("input[name=opt_orig]").value = "";
    list.appendChild(row);
    text.focus();
  });

  enhance(document);
  if (!root) { return; }

  // ------------------------------------------------------------------ changes in place

  function swap(html) {
    var open = [];
    root.querySelectorAll("details[data-keep-open][open]").forEach(function (d) { open.push(d.id); });
    root.innerHTML = html;  // the server renders the fragment with every staff string escaped
    open.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) { details.open = true; }
    });
    enhance(root);
    var editor = root.querySelector("details.q-editor[open]");
    var marker = root.querySelector("[data-focus]");
    var target = editor ? editor.querySelector("textarea, input:not([type=hidden])") : null;
    if (!target && marker) { target = document.getElementById(marker.getAttribute("data-focus")); }
    if (target) {
      target.focus();
      if (target.scrollIntoView) { target.scrollIntoView({block: "center"}); }
    }
    refreshJsonPreview();
  }

  function send(form) {
    var body = new FormData(form);  // every designer form carries its action in hidden fields, not in the button
    var token = form.querySelector("input[name=csrf_token]");
    root.setAttribute("aria-busy", "true");
    return fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch", "X-CSRFToken": token ? token.value : ""}
    }).then(function (response) {
      if (response.status !== 200 && response.status !== 422) { throw new Error(String(response.status)); }
      return response.text().then(swap);
    }).catch(function () {
      form.submit();  // the plain form post: the server answers with a page
    }).then(function () {
      root.removeAttribute("aria-busy");
    });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-fetch")) { return; }
    event.preventDefault();
    send(form);
  });

  // ------------------------------------------------------------------ drag and drop (the buttons stay)

  var dragged = null;
  root.addEventListener("dragstart", function (event) {
    var item = event.target.closest ? event.target.closest(".question-item") : null;
    if (!item) { return; }
    dragged = item;
    item.classList.add("is-dragged");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.id);
  });
  root.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("is-dragged"); }
    dragged = null;
    root.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });
  root.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    var over = event.target.closest(".question-item, [data-drop-page]");
    if (!over) { return; }
    event.preventDefault();
    root.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
    over.classList.add("drop-target");
  });
  root.addEventListener("drop", function (event) {
    if (!dragged) { return; }
    var item = event.target.closest(".question-item");
    var list = event.target.closest("[data-drop-page]");
    if (!item && !list) { return; }
    event.preventDefault();
    var form = document.getElementById("move-form");
    form.elements.page.value = dragged.getAttribute("data-page");
    form.elements.index.value = dragged.getAttribute("data-index");
    if (item) {
      form.elements.to_page.value = item.getAttribute("data-page");
      form.elements.to_index.value = item.getAttribute("data-index");
    } else {
      form.elements.to_page.value = list.getAttribute("data-drop-page");
      form.elements.to_index.value = String(list.querySelectorAll(".question-item").length);
    }
    if (item === dragged) { return; }
    send(form);
  });

  // ------------------------------------------------------------------ JSON editor: live preview

  var device = "phone";
  var timer = null;

  function refreshJsonPreview() {
    var editor = document.getElementById("document");
    var target = document.getElementById("live-preview");
    var details = document.getElementById("designer-advanced");
    if (!editor || !target || (details && !details.open)) { return; }
    var note = document.getElementById("live-note");
    if (note) { note.classList.remove("hidden"); }
    var token = document.querySelector("#json-form input[name=csrf_token]");
    fetch(editor.getAttribute("data-preview-url") + "?device=" + encodeURIComponent(device), {
      method: "POST",
      body: editor.value,
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""}
    }).then(function (response) { return response.text(); }).then(function (html) {
      target.innerHTML = html;  // escaped by the server
    }).catch(function () { /* the preview is a convenience; saving still checks everything */ });
  }

  root.addEventListener("input", function (event) {
    if (event.target.id !== "document") { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(refreshJsonPreview, 600);
  });
  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-device]");
    if (!button) { return; }
    device = button.getAttribute("data-device");
    root.querySelectorAll("[data-device]").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    refreshJsonPreview();
  });
  document.addEventListener("toggle", function (event) {
    if (event.target.id === "designer-advanced") { refreshJsonPreview(); }
  }, true);
})();
