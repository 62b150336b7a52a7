// «Задать вопрос специалисту»: while the customer types, show the three articles that best match the
// question (a debounced GET of /ask/suggest, which answers with the same HTML fragment the server-side
// «Проверить ответы» step renders: titles escaped, answers sanitised). The form works without this.
(function () {
  "use strict";
  var form = document.getElementById("ask-form");
  if (!form) return;
  var area = document.getElementById("text");
  var box = document.getElementById("ask-suggestions");
  var url = form.dataset.suggestUrl;
  var timer = null;
  var asked = "";

  function ask() {
    var query = area.value.trim();
    if (query === asked) return;
    asked = query;
    if (query.length < 4) { box.hidden = true; return; }
    fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (fragment) {
        if (asked !== query) return;
        box.innerHTML = fragment;
        box.hidden = fragment.trim() === "";
      })
      .catch(function () { /* suggestions are a convenience: the form still sends */ });
  }

  area.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 400);
  });
})();
