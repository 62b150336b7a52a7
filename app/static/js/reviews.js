// Review form niceties (the form works without this): a live character counter for the text.
(function () {
  "use strict";
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var out = document.getElementById(area.dataset.counter);
    var max = parseInt(area.getAttribute("maxlength"), 10) || 4000;
    if (!out) return;
    function update() {
      out.textContent = "Осталось знаков: " + (max - area.value.length) + " из " + max + ".";
    }
    area.addEventListener("input", update);
    update();
  });
})();
