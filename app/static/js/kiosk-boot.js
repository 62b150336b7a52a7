// Kiosk start-up, without the device token in any URL (URLs end up in access logs).
// - On the one-time enrolment page (/kiosk/enrol/<code>): POST the code, keep the returned device token
//   in localStorage (next to the offline queue in IndexedDB, same origin) and go to the token-free home.
// - On a kiosk shell (/kiosk/, /kiosk/survey, /kiosk/review): fetch this kiosk's screen with the
//   X-Kiosk-Token header, put it in place of the shell and start kiosk.js. The service worker caches the
//   shells and screens by URL, so the kiosk also starts offline.
(function () {
  "use strict";

  var TOKEN_KEY = "otklik-kiosk-token";
  function storedToken() {
    try { return window.localStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  function enrol(box) {
    var status = document.getElementById("kiosk-enrol-status");
    function say(text) { status.textContent = text; }
    fetch(box.dataset.exchangeUrl, {
      method: "POST", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code: box.dataset.code })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok || !data.token) {
          say(data.error || "Не удалось подключить киоск. Попросите администратора выдать новую ссылку подключения.");
          return;
        }
        try {
          window.localStorage.setItem(TOKEN_KEY, data.token);
        } catch (e) {
          say("Браузер не дает сохранить ключ киоска: разрешите хранение данных для этого сайта.");
          return;
        }
        document.documentElement.dataset.kioskEnrolled = "1";
        window.location.replace(data.home_url);  // the enrolment address leaves the history
      });
    }).catch(function () {
      say("Нет связи с сервером. Проверьте подключение к сети и обновите страницу.");
    });
  }

  function showState(shell, name) {
    shell.querySelectorAll("[data-shell-state]").forEach(function (el) {
      el.classList.toggle("hidden", el.dataset.shellState !== name);
    });
  }

  function boot(shell) {
    var token = storedToken();
    if (!token) { showState(shell, "not-enrolled"); return; }
    fetch(shell.dataset.screenUrl, {
      credentials: "omit", cache: "no-store", headers: { "X-Kiosk-Token": token }
    }).then(function (response) {
      if (!response.ok) { showState(shell, "invalid"); return; }
      return response.text().then(function (html) {
        shell.insertAdjacentHTML("afterend", html);
        shell.parentNode.removeChild(shell);
        var screen = document.getElementById("kiosk");
        if (screen && screen.dataset.title) document.title = screen.dataset.title;
        var script = document.createElement("script");
        script.src = shell.dataset.scriptUrl;
        // kiosk.js has run: its handlers are on the screen (tests wait for this instead of sleeping).
        script.addEventListener("load", function () { document.documentElement.dataset.kioskReady = "1"; });
        document.body.appendChild(script);
      });
    }).catch(function () { showState(shell, "offline"); });
  }

  var box = document.getElementById("kiosk-enrol");
  if (box) { enrol(box); return; }
  var shell = document.getElementById("kiosk-shell");
  if (shell) boot(shell);
})();
