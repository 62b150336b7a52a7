// Kiosk mode: one-step-at-a-time forms, inactivity reset, offline queue (IndexedDB), heartbeat.
// Settings come from data- attributes on #kiosk (the CSP forbids inline scripts).
(function () {
  "use strict";

  var root = document.getElementById("kiosk");
  if (!root) return;

  // The device token: kept by kiosk-boot.js in localStorage at enrolment; sent only as X-Kiosk-Token.
  function deviceToken() {
    try { return window.localStorage.getItem("otklik-kiosk-token") || ""; } catch (e) { return ""; }
  }
  // Entries queued by an older version of this script name the token in their URL: send them to the
  // token-free endpoint instead.
  function postUrl(url) { return /^\/kiosk\/[^/]+\/reviews$/.test(url) ? "/kiosk/reviews" : url; }

  var cfg = {
    page: root.dataset.kioskPage,
    home: root.dataset.homeUrl,
    token: deviceToken(),
    center: root.dataset.centerCode,
    inactivity: Math.max(2, parseInt(root.dataset.inactivitySeconds, 10) || 60),
    heartbeat: root.dataset.heartbeatUrl,
    sw: root.dataset.swUrl,
    precache: JSON.parse(root.dataset.precache || "[]")
  };
  var CACHE = "otklik-kiosk-v1";
  var FLUSH_EVERY_MS = 5000;
  // A post the server refused (4xx) stays queued, marked, and is tried again only this rarely (with
  // jitter): never in a tight loop, nor on every "online" event or reload. The heartbeat reports it.
  var REFUSED_RETRY_MS = 3600000;
  var HEARTBEAT_MS = 60000;
  var THANKS_MS = 8000;
  var THANKS_RECEIPT_MS = 30000;

  function $(id) { return document.getElementById(id); }
  function show(el, on) { if (el) el.classList.toggle("hidden", !on); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ------------------------------------------------------------------ offline queue (IndexedDB)
  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("otklik-kiosk", 1);
        request.onupgradeneeded = function () { request.result.createObjectStore("outbox", { keyPath: "id" }); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("outbox", mode);
        var result = work(t.objectStore("outbox"));
        t.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }
  var queue = {
    add: function (item) { return tx("readwrite", function (s) { return s.put(item); }); },
    all: function () { return tx("readonly", function (s) { return s.getAll(); }); },
    get: function (id) { return tx("readonly", function (s) { return s.get(id); }); },
    remove: function (id) { return tx("readwrite", function (s) { return s.delete(id); }); }
  };

  // Waiting to be sent (shown on the screen) and refused by the server (kept, reported by the heartbeat).
  var counts = { pending: 0, refused: 0 };
  function updateIndicator() {
    return queue.all().then(function (items) {
      var refused = items.filter(function (item) { return !!item.refused; }).length;
      // An open visit (see "one-tap visit") is not waiting yet: the customer is still answering.
      var open = items.filter(function (item) { return !!item.open; }).length;
      counts = { pending: items.length - refused - open, refused: refused };
      var el = $("kiosk-pending");
      if (el) {
        el.textContent = counts.pending ? "Ожидают отправки: " + counts.pending : "";
        el.dataset.count = String(counts.pending);
        el.dataset.refused = String(counts.refused);
        show(el, counts.pending > 0);
      }
      return counts;
    }).catch(function () { return counts; });
  }

  // 2xx: stored. 400/403/409/410/413/422: refused (malformed, not allowed, closed, conflicting); the post
  // is not lost but kept and marked. Anything else (network, 5xx, 429): retried with a growing delay.
  function refusal(status) {
    return [400, 403, 409, 410, 413, 422].indexOf(status) >= 0;
  }
  function jitter(ms) { return ms * (0.8 + Math.random() * 0.4); }

  var flushing = null;
  var acks = {};  // id -> callback waiting for the server's answer (thank-you receipt)

  function sendItem(item) {
    return fetch(postUrl(item.url), {
      method: "POST", credentials: "omit", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-Kiosk-Token": deviceToken() || item.token || "" },
      body: item.body
    }).then(function (response) {
      var ok = response.status >= 200 && response.status < 300;
      if (ok || refusal(response.status)) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          var result = { status: response.status, data: data };
          if (ok) return queue.remove(item.id).then(function () { return result; });
          console.warn("kiosk: submission " + item.id + " refused with " + response.status);
          item.attempts = (item.attempts || 0) + 1;
          item.refused = response.status;
          item.nextAt = Date.now() + jitter(REFUSED_RETRY_MS);
          return queue.add(item).then(function () { return result; });
        });
      }
      throw new Error("status " + response.status);
    }).catch(function (err) {
      item.attempts = (item.attempts || 0) + 1;
      item.nextAt = Date.now() + (item.refused ? jitter(REFUSED_RETRY_MS)
        : jitter(Math.min(1000 * Math.pow(2, item.attempts), 300000)));
      return queue.add(item).then(function () { return null; }, function () { return null; });
    });
  }

  var reportedRefused = null;
  var flushes = 0;
  // force: send now what waits, ignoring the growing delay; a refused post still waits for its hour.
  function flush(force) {
    if (flushing) return force ? flushing.then(function () { return flush(true); }) : flushing;
    flushing = queue.all().then(function (items) {
      items.sort(function (a, b) { return a.created - b.created; });
      var chain = Promise.resolve();
      items.forEach(function (item) {
        if (item.open) return;  // a visit in progress is sent once, when it ends
        if ((!force || item.refused) && item.nextAt && item.nextAt > Date.now()) return;
        chain = chain.then(function () {
          return sendItem(item).then(function (result) {
            if (result && acks[item.id]) { acks[item.id](result); delete acks[item.id]; }
          });
        });
      });
      return chain;
    }).catch(function (err) { console.warn("kiosk: queue unavailable", err); })
      .then(function () { flushing = null; return updateIndicator(); })
      .then(function (now) {
        // A change in refusals is reported at once (not only with the next minute's heartbeat).
        if (reportedRefused !== null && now.refused !== reportedRefused) sendHeartbeat();
        flushes += 1;
        root.dataset.flushes = String(flushes);  // lets a test wait for a flush to finish
        return now;
      });
    return flushing;
  }

  function enqueue(url, body, open) {
    var item = { id: body.client_submission_id, url: url, body: JSON.stringify(body),
                 created: Date.now(), attempts: 0, nextAt: 0, open: !!open };
    return queue.add(item).then(updateIndicator).then(function () { return item; });
  }

  // Wait a little for the server's receipt; the entry stays queued either way.
  function sendNow(item, waitMs) {
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { delete acks[item.id]; resolve(null); }, waitMs);
      acks[item.id] = function (result) { clearTimeout(timer); resolve(result); };
      flush(true);
    });
  }

  // ------------------------------------------------------------------ going home, leaving no trace
  function clearForms() {
    document.querySelectorAll("form").forEach(function (form) {
      form.reset();
      form.querySelectorAll("input, textarea, select").forEach(function (el) {
        if (el.type === "radio" || el.type === "checkbox") el.checked = el.defaultChecked;
        else if (el.type !== "hidden" && el.type !== "button" && el.type !== "submit") el.value = "";
      });
    });
  }
  var leaving = false;
  function goHome() {
    if (leaving) return;
    leaving = true;
    clearForms();
    // replace: Back cannot return here. A visit in progress ends now and goes as it is (one response).
    var leave = function () { window.location.replace(cfg.home); };
    closeVisit(null, true).then(leave, leave);
  }

  // ------------------------------------------------------------------ one-tap visit
  // A survey opening with a faces rating shows the faces on the home screen. The tap is queued at once
  // as an open item (never sent while open) and the survey page continues the same visit: the customer
  // may tell more, go to the review book, finish, or walk away. However the visit ends, its item is
  // completed locally and closed, then sent once under the same client_submission_id: the server stores
  // one response that never changes. An open item left by a reload or a crash is closed at start-up.
  var VISIT_KEY = "otklik-kiosk-visit";
  var visit = null;  // the open queued item of the visit this page continues
  function takeVisitId() {
    try {
      var id = window.sessionStorage.getItem(VISIT_KEY) || "";
      window.sessionStorage.removeItem(VISIT_KEY);  // a reload of this page ends the visit
      return id;
    } catch (e) { return ""; }
  }
  function closeAbandoned(keepId) {
    return queue.all().then(function (items) {
      return Promise.all(items.filter(function (item) { return item.open && item.id !== keepId; })
        .map(function (item) { item.open = false; return queue.add(item); }));
    });
  }
  // answers: the visit's complete answers (the tap included), or null to send the visit as it is.
  // nextPageSends: the page is being left; the next one sends it (a post cut off by the navigation
  // would only be sent again).
  function closeVisit(answers, nextPageSends) {
    if (!visit) return Promise.resolve(null);
    var item = visit;
    visit = null;
    if (answers) {
      var body = JSON.parse(item.body);
      body.answers = answers;
      body.duration_seconds = Math.round((Date.now() - item.created) / 1000);
      body.answered_at = new Date().toISOString();
      item.body = JSON.stringify(body);
    }
    item.open = false;
    return queue.add(item).then(function () {
      if (!nextPageSends) flush(true);
      return item;
    });
  }
  function setupTap(tapForm) {
    tapForm.addEventListener("click", function (event) {
      var button = event.target.closest("button[value]");
      if (!button || !tapForm.contains(button) || leaving) return;
      event.preventDefault();
      var buttons = tapForm.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      var body = { client_submission_id: uuid(), center: cfg.center, channel: "kiosk", answers: {},
                   duration_seconds: 0, answered_at: new Date().toISOString() };
      body.answers[tapForm.dataset.code] = Number(button.value);
      enqueue(tapForm.dataset.submitUrl, body, true).then(function (item) {
        try { window.sessionStorage.setItem(VISIT_KEY, item.id); } catch (e) { /* closed at the next start */ }
        leaving = true;
        window.location.replace(tapForm.dataset.surveyUrl);
      }).catch(function (err) {
        console.warn("kiosk: could not queue the tap", err);
        buttons.forEach(function (b) { b.disabled = false; });
      });
    });
  }

  // ------------------------------------------------------------------ inactivity
  var lastActivity = Date.now();
  var idleTimer = null;
  function activity() {
    lastActivity = Date.now();
    show($("kiosk-countdown"), false);
  }
  function startInactivity() {
    ["pointerdown", "touchstart", "keydown", "input", "wheel"].forEach(function (name) {
      document.addEventListener(name, activity, { passive: true, capture: true });
    });
    var warn = Math.min(10, cfg.inactivity);
    idleTimer = setInterval(function () {
      var left = cfg.inactivity - (Date.now() - lastActivity) / 1000;
      if (left <= 0) { clearInterval(idleTimer); goHome(); return; }
      if (left <= warn) {
        $("countdown-seconds").textContent = String(Math.ceil(left));
        show($("kiosk-countdown"), true);
      }
    }, 200);
  }

  // ------------------------------------------------------------------ thank-you screen
  function thanks(message, receipt) {
    if (idleTimer) clearInterval(idleTimer);
    show($("kiosk-countdown"), false);
    clearForms();
    show($("kiosk-main"), false);
    $("thanks-message").textContent = message;
    if (receipt && receipt.registration_number) {
      $("thanks-number").textContent = receipt.registration_number;
      $("thanks-code").textContent = receipt.check_code || "";
      $("thanks-promise").textContent = receipt.answer_promise || "";
      show($("thanks-promise"), !!receipt.answer_promise);
      show($("thanks-receipt"), true);
    }
    // An anonymous entry held «на проверке» in a burst: the receipt says so (the deadline runs from receipt).
    show($("thanks-check"), !!(receipt && receipt.in_check));
    show($("kiosk-thanks"), true);
    window.scrollTo(0, 0);
    setTimeout(goHome, receipt && receipt.registration_number ? THANKS_RECEIPT_MS : THANKS_MS);
  }

  // ------------------------------------------------------------------ survey answers and conditions
  function isEmpty(v) {
    return v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length) ||
      (typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length);
  }
  function num(v) {
    if (typeof v === "boolean") return v ? 1 : 0;
    if (typeof v === "number") return isFinite(v) ? v : null;
    if (typeof v === "string" && v.trim() !== "" && isFinite(Number(v))) return Number(v);
    return null;
  }
  function equal(a, e) {
    if (Array.isArray(a)) return a.some(function (x) { return equal(x, e); });
    if (typeof a === "boolean" || typeof e === "boolean") return num(a) !== null && num(a) === num(e);
    var x = num(a), y = num(e);
    if (x !== null && y !== null) return x === y;
    return a === e;
  }
  function clauseTrue(c, answers) {
    var a = answers[c.question];
    if (c.op === "answered") return !isEmpty(a);
    if (c.op === "not_answered") return isEmpty(a);
    if (isEmpty(a)) return false;
    if (c.op === "eq") return equal(a, c.value);
    if (c.op === "ne") return !equal(a, c.value);
    if (c.op === "in") return (Array.isArray(c.value) ? c.value : [c.value]).some(function (v) { return equal(a, v); });
    var x = num(a), y = num(c.value);
    if (x === null || y === null || Array.isArray(a)) return false;
    return { gt: x > y, gte: x >= y, lt: x < y, lte: x <= y }[c.op] || false;
  }
  function conditionTrue(cond, answers) {
    if (!cond) return true;
    if (cond.all && cond.all.length) return cond.all.every(function (c) { return clauseTrue(c, answers); });
    if (cond.any && cond.any.length) return cond.any.some(function (c) { return clauseTrue(c, answers); });
    return true;
  }

  function surveyAnswers(form, items) {
    var answers = {};
    var visible = {};
    function checked(name) {
      var el = form.querySelector('input[name="' + name + '"]:checked');
      return el ? el.value : null;
    }
    items.forEach(function (q) {
      visible[q.code] = conditionTrue(q.show_if, answers);
      if (!visible[q.code]) return;
      var v = null;
      if (q.type === "rating" || q.type === "nps" || q.type === "ces") {
        v = checked(q.code); v = v === null ? null : Number(v);
      } else if (q.type === "yes_no") {
        v = checked(q.code); v = v === null ? null : v === "yes";
      } else if (q.type === "single_choice") {
        v = checked(q.code);
      } else if (q.type === "multi_choice") {
        v = Array.prototype.map.call(form.querySelectorAll('input[name="' + q.code + '"]:checked'),
          function (el) { return el.value; });
      } else if (q.type === "matrix") {
        q.rows.forEach(function (row) { var r = checked(row); if (r !== null) answers[row] = Number(r); });
      } else if (q.type === "contact") {
        var wrap = form.querySelector('.contact-variant[data-variant="fields"][data-code="' + q.code + '"]');
        if (wrap && !wrap.classList.contains("hidden")) {
          v = { consent: true };
          q.fields.forEach(function (f) {
            var el = wrap.querySelector('[name="contact_' + f + '"]');
            v[f] = el ? el.value.trim() : "";
          });
        }
      } else {
        var field = form.querySelector('[name="' + q.code + '"]');
        if (field) {
          v = field.value.trim();
          if (q.type === "number" && v !== "") v = Number(v);
        }
      }
      if (!isEmpty(v)) answers[q.code] = v;
      if (q.other) {
        var other = form.querySelector('[name="' + q.code + '__other"]');
        if (other && other.value.trim()) answers[q.code + "__other"] = other.value.trim();
      }
    });
    return { answers: answers, visible: visible };
  }

  // ------------------------------------------------------------------ stepper shared by both forms
  // visitId: the one-tap visit this page is to continue (its item is read from the queue afterwards).
  function setupForm(form, visitId) {
    var kind = form.dataset.kind;
    var pages = Array.prototype.slice.call(form.querySelectorAll(".kiosk-page"));
    var itemsEl = $("kiosk-items");
    var items = itemsEl ? JSON.parse(itemsEl.textContent) : [];
    var current = 0;
    var first = 0;  // the first page of the steps (a visit skips a page holding only the tapped question)
    var started = Date.now();
    var errorBox = $("kiosk-form-error");
    var offer = $("kiosk-details-offer");
    // A one-tap visit: «Расскажите подробнее», the review book or finish (shown at once, not after a flash
    // of the first page, while the queued tap is read).
    var offering = !!(visitId && offer && form.dataset.tapCode);
    var visitTaken = false;  // the offer's buttons wait for it (a few milliseconds)

    function value(name) {
      var el = form.querySelector('[name="' + name + '"]:checked') || form.querySelector('[name="' + name + '"]:not([type=radio]):not([type=checkbox])');
      return el ? el.value : "";
    }
    function state() { return kind === "survey" ? surveyAnswers(form, items) : null; }

    function pageVisible(index) {
      if (kind === "review") return index === 0 || value("wants_answer") === "yes";
      var s = state();
      return items.some(function (q) { return q.page === index && s.visible[q.code]; });
    }
    function applyConditions() {
      if (kind !== "survey") return;
      var s = state();
      items.forEach(function (q) {
        form.querySelectorAll('[data-code="' + q.code + '"].question, .question#q-' + q.code).forEach(function (el) {
          show(el, s.visible[q.code]);
        });
      });
    }
    function nextIndex(from, step) {
      for (var i = from + step; i >= 0 && i < pages.length; i += step) if (pageVisible(i)) return i;
      return -1;
    }
    function render() {
      pages.forEach(function (p, i) { show(p, !offering && i === current); });
      show(offer, offering);
      show(form.querySelector(".kiosk-survey-title"), !offering);
      show(form.querySelector('[data-nav="back"]'), !offering);
      show($("kiosk-step"), !offering);
      applyConditions();
      var last = nextIndex(current, 1) === -1;
      show(form.querySelector('[data-nav="next"]'), !offering && !last);
      show(form.querySelector('[data-nav="submit"]'), !offering && last);
      form.querySelector('[data-nav="back"]').disabled = current === first;
      var visiblePages = pages.filter(function (_p, i) { return i >= first && pageVisible(i); });
      var step = visiblePages.indexOf(pages[current]) + 1;
      $("kiosk-step").textContent = "Шаг " + step + " из " + Math.max(step, visiblePages.length);
      window.scrollTo(0, 0);
    }
    function fail(message, codes) {
      form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
      (codes || []).forEach(function (code) {
        var el = pages[current].querySelector('[data-code="' + code + '"]');
        if (el) el.classList.add("has-error");
      });
      errorBox.textContent = message || "";
      show(errorBox, !!message);
      return !message;
    }
    function validatePage() {
      if (kind === "survey") {
        var s = state();
        var missing = items.filter(function (q) {
          if (q.page !== current || !q.required || !s.visible[q.code]) return false;
          if (q.type === "matrix") return q.rows.some(function (r) { return isEmpty(s.answers[r]); });
          return isEmpty(s.answers[q.code]);
        }).map(function (q) { return q.code; });
        if (missing.length) return fail("Ответьте, пожалуйста, на отмеченные вопросы.", missing);
        // «Другое» chosen needs its text, as on the phone pages (the API itself keeps accepting it empty).
        var otherEmpty = items.filter(function (q) {
          if (q.page !== current || !q.other || !s.visible[q.code]) return false;
          var chosen = [].concat(s.answers[q.code] || []);
          return chosen.indexOf("other") !== -1 && !s.answers[q.code + "__other"];
        }).map(function (q) { return q.code; });
        return fail(otherEmpty.length ? "Вы выбрали «Другое»: напишите, что именно." : "", otherEmpty);
      }
      if (current === 0) {
        var bad = [];
        if (!value("entry_type")) bad.push("entry_type");
        if (!value("topic")) bad.push("topic");
        if (value("text").trim().length < 3) bad.push("text");
        return fail(bad.length ? "Выберите вид записи и тему и напишите текст." : "", bad);
      }
      var email = value("email").trim(), phone = value("phone").trim(), problems = [];
      if (!form.querySelector('[name="consent"]').checked) problems.push("consent");
      if (!email && !phone) problems.push("email", "phone");
      if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) problems.push("email");
      return fail(problems.length ? "Дайте согласие и укажите электронную почту или телефон для ответа." : "", problems);
    }

    function submitSurvey() {
      var s = state();
      // answered_at: the moment the customer finished; the queue may reach the server much later.
      var body = { client_submission_id: uuid(), center: cfg.center, channel: "kiosk", answers: s.answers,
                   duration_seconds: Math.round((Date.now() - started) / 1000),
                   answered_at: new Date().toISOString() };
      var queued = visit ? closeVisit(s.answers) : enqueue(form.dataset.submitUrl, body).then(function (item) {
        flush(true);
        return item;
      });
      return queued.then(function (item) {
        thanks(form.dataset.thanks || "Ваши ответы приняты. Спасибо, что помогаете нам стать лучше!", null);
        return item;
      });
    }

    // A one-tap visit continues here: the tapped face is the first answer (it may still be changed on
    // the first page when that page asks more); the steps start after a page that asks nothing else.
    function startVisit(item) {
      var code = form.dataset.tapCode;
      var tapped = JSON.parse(item.body).answers[code];
      var input = form.querySelector('input[name="' + code + '"][value="' + tapped + '"]');
      if (!input || !offer) { offering = false; render(); return false; }
      input.checked = true;
      var s = state();
      var more = items.some(function (q) { return q.page === 0 && q.code !== code && s.visible[q.code]; });
      first = more ? 0 : nextIndex(0, 1);
      show(offer.querySelector('[data-visit="details"]'), first >= 0);
      current = Math.max(first, 0);
      offering = visitTaken = true;
      render();
      return true;
    }
    if (offer) {
      offer.addEventListener("click", function (event) {
        var action = event.target.closest("[data-visit]");
        if (!action) return;
        event.preventDefault();
        if (!visitTaken) return;
        var choice = action.dataset.visit;
        if (choice === "details") {
          offering = false;
          render();
        } else if (choice === "book") {
          leaving = true;
          var toBook = function () { window.location.replace(action.href); };
          closeVisit(null, true).then(toBook, toBook);
        } else {
          closeVisit(null).then(function () {
            thanks(form.dataset.thanks || "Ваша оценка принята. Спасибо, что помогаете нам стать лучше!", null);
          });
        }
      });
    }
    function submitReview() {
      var wants = value("wants_answer") === "yes";
      var body = { client_submission_id: uuid(), entry_type: value("entry_type"), topic: value("topic"),
                   text: value("text"), wants_answer: wants,
                   publish_consent: form.querySelector('[name="publish_consent"]').checked };
      if (wants) {
        body.contact = { name: value("name").trim(), email: value("email").trim(), phone: value("phone").trim(),
                         consent: form.querySelector('[name="consent"]').checked };
      }
      return enqueue(form.dataset.submitUrl, body).then(function (item) {
        show(form.querySelector('[data-nav="submit"]'), false);
        return sendNow(item, 4000);
      }).then(function (result) {
        if (result && result.status < 300 && result.data) {
          thanks("Ваша запись принята.", result.data);
        } else {
          thanks("Ваша запись сохранена и будет отправлена, как только появится связь.", null);
        }
      });
    }

    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !form.contains(button)) return;
      var nav = button.dataset.nav;
      var action = button.name === "_action" ? button.value : null;
      if (action) {
        event.preventDefault();
        var code = button.closest(".contact-variant").dataset.code;
        var ask = form.querySelector('.contact-variant[data-variant="ask"][data-code="' + code + '"]');
        var fields = form.querySelector('.contact-variant[data-variant="fields"][data-code="' + code + '"]');
        var yes = action === "consent_yes";
        show(ask, !yes);
        show(fields, yes);
        if (!yes) fields.querySelectorAll("input").forEach(function (el) { if (el.type !== "hidden") el.value = ""; });
        return;
      }
      if (!nav) return;
      event.preventDefault();
      if (nav === "back") {
        var prev = nextIndex(current, -1);
        if (prev >= first) { current = prev; fail(""); render(); }
      } else if (nav === "next") {
        if (!validatePage()) return;
        var next = nextIndex(current, 1);
        if (next >= 0) { current = next; render(); }
      } else if (nav === "submit") {
        if (!validatePage()) return;
        button.disabled = true;
        (kind === "survey" ? submitSurvey() : submitReview()).catch(function (err) {
          console.warn("kiosk: could not queue", err);
          button.disabled = false;
          fail("Не удалось сохранить. Попробуйте еще раз.");
        });
      }
    });
    form.addEventListener("change", function (event) {
      var question = event.target.closest(".has-error");
      if (question) question.classList.remove("has-error");
      // A typed field changes when it loses focus, i.e. on the tap of «Далее»: hiding the message then would
      // move the button from under the finger and swallow the tap; the next check clears it instead.
      var typed = event.target.matches("textarea, input:not([type=radio]):not([type=checkbox])");
      if (!typed && !form.querySelector(".kiosk-page:not(.hidden) .has-error")) fail("");
      applyConditions();
      renderNav();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    function renderNav() {
      var last = nextIndex(current, 1) === -1;
      show(form.querySelector('[data-nav="next"]'), !offering && !last);
      show(form.querySelector('[data-nav="submit"]'), !offering && last);
    }
    render();
    return {
      startVisit: startVisit,
      noVisit: function () { if (offering) { offering = false; render(); } }
    };
  }

  // ------------------------------------------------------------------ service worker and cache
  function setupOffline() {
    if ("serviceWorker" in navigator && cfg.sw) {
      navigator.serviceWorker.register(cfg.sw, { scope: "/kiosk/" }).catch(function (err) {
        console.warn("kiosk: service worker not registered", err);
      });
    }
    if (window.caches) {
      caches.open(CACHE).then(function (cache) {
        return Promise.all(cfg.precache.map(function (url) {
          return fetch(url, { credentials: "same-origin", cache: "no-store",
                              headers: { "X-Kiosk-Token": cfg.token } }).then(function (response) {
            if (response.ok) return cache.put(url, response);
          }).catch(function () { /* offline: keep what is cached */ });
        }));
      }).then(function () { document.documentElement.dataset.offlineReady = "1"; });
    }
  }

  function sendHeartbeat() {
    updateIndicator().then(function (now) {
      reportedRefused = now.refused;
      return fetch(cfg.heartbeat, { method: "POST", credentials: "omit", cache: "no-store",
        headers: { "Content-Type": "application/json", "X-Kiosk-Token": deviceToken() },
        body: JSON.stringify({ pending: now.pending, refused: now.refused }) });
    }).catch(function () { /* offline: the admin page will show the kiosk as silent */ });
  }

  // ------------------------------------------------------------------ start
  document.querySelectorAll("a[data-replace]").forEach(function (a) {
    a.addEventListener("click", function (event) { event.preventDefault(); window.location.replace(a.href); });
  });
  document.querySelectorAll('[data-action="home"]').forEach(function (b) { b.addEventListener("click", goHome); });
  document.querySelectorAll('[data-action="stay"]').forEach(function (b) { b.addEventListener("click", activity); });
  window.addEventListener("pageshow", function (event) { if (event.persisted) clearForms(); });

  clearForms();
  // The visit a tap on the home screen began continues on the survey page; any other open visit ended.
  var visitId = takeVisitId();
  var form = $("kiosk-form");
  var stepper = form ? setupForm(form, visitId) : null;
  var tapForm = $("kiosk-tap");
  if (tapForm) setupTap(tapForm);
  if (cfg.page !== "home") startInactivity();
  setupOffline();
  (visitId ? queue.get(visitId) : Promise.resolve(null)).then(function (item) {
    if (item && item.open && stepper && stepper.startVisit(item)) visit = item;
    return closeAbandoned(visit ? visit.id : "");
  }).catch(function (err) { console.warn("kiosk: queue unavailable", err); }).then(function () {
    if (!visit && stepper) stepper.noVisit();
    root.dataset.visit = visit ? "open" : "none";  // lets a test wait for the visit to be picked up
    updateIndicator();
    flush(true);
  });
  window.addEventListener("online", function () { flush(true); });
  setInterval(function () { flush(false); }, FLUSH_EVERY_MS);
  sendHeartbeat();
  setInterval(sendHeartbeat, HEARTBEAT_MS);
})();
