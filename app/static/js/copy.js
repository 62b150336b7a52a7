/* Copy buttons: put a link on the clipboard and say so to screen readers (no inline script: CSP). */
(function () {
  "use strict";
  var status = document.getElementById("copy-status");
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      var done = function () {
        var label = button.textContent;
        button.textContent = "✓";
        if (status) { status.textContent = status.getAttribute("data-done") || ""; }
        setTimeout(function () { button.textContent = label; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else {  // plain http on a staff network: select the link so Ctrl+C copies it
        var code = button.previousElementSibling;
        var range = document.createRange();
        range.selectNodeContents(code);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { document.execCommand("copy"); done(); } catch (e) { /* selected for the user */ }
      }
    });
  });
})();
