/* Respondent pages: live conditions (show_if) and the "other" text field. Works on top of the
   server-rendered form; without this script every question is shown and the server decides. */
(function () {
  "use strict";

  function isEmpty(v) {
    return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
  }

  function num(v) {
    if (typeof v === "boolean") { return v ? 1 : 0; }
    if (typeof v === "number") { return isFinite(v) ? v : null; }
    if (typeof v === "string" && v.trim() !== "") {
      if (v === "yes") { return 1; }
      if (v === "no") { return 0; }
      var n = Number(v.trim());
      return isFinite(n) ? n : null;
    }
    return null;
  }

  function equal(answer, expected) {
    if (Array.isArray(answer)) { return answer.some(function (a) { return equal(a, expected); }); }
    var a = num(answer), e = num(expected);
    if (a !== null && e !== null) { return a === e; }
    return answer === expected;
  }

  function clauseTrue(clause, answers) {
    var answer = answers[clause.question];
    var op = clause.op, value = clause.value;
    if (op === "answered") { return !isEmpty(answer); }
    if (op === "not_answered") { return isEmpty(answer); }
    if (isEmpty(answer)) { return false; }
    if (op === "eq") { return equal(answer, value); }
    if (op === "ne") { return !equal(answer, value); }
    if (op === "in") {
      var list = Array.isArray(value) ? value : [value];
      return list.some(function (v) { return equal(answer, v); });
    }
    var a = num(answer), v = num(value);
    if (a === null || v === null || Array.isArray(answer)) { return false; }
    return { gt: a > v, gte: a >= v, lt: a < v, lte: a <= v }[op] || false;
  }

  function evaluate(showIf, answers) {
    if (!showIf) { return true; }
    if (showIf.all && showIf.all.length) { return showIf.all.every(function (c) { return clauseTrue(c, answers); }); }
    if (showIf.any && showIf.any.length) { return showIf.any.some(function (c) { return clauseTrue(c, answers); }); }
    return true;
  }

  function collect(form) {
    var answers = {};
    try { answers = JSON.parse(form.getAttribute("data-known") || "{}") || {}; } catch (e) { answers = {}; }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.charAt(0) === "_" || el.disabled) { return; }
      if (el.closest(".question[hidden]")) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      if (el.type === "checkbox") {
        (answers[el.name] = Array.isArray(answers[el.name]) ? answers[el.name] : []).push(el.value);
      } else if (el.value !== "") {
        answers[el.name] = el.value;
      }
    });
    return answers;
  }

  function refresh(form) {
    var answers = collect(form);
    // Later questions may depend on earlier ones: evaluate in document order and recollect.
    form.querySelectorAll(".question[data-show-if]").forEach(function (q) {
      var cond;
      try { cond = JSON.parse(q.getAttribute("data-show-if")); } catch (e) { cond = null; }
      var show = evaluate(cond, answers);
      if (show === q.hidden) {
        q.hidden = !show;
        answers = collect(form);
      }
    });
    form.querySelectorAll("[data-other-for]").forEach(function (box) {
      var code = box.getAttribute("data-other-for");
      var value = answers[code];
      var chosen = Array.isArray(value) ? value.indexOf("other") >= 0 : value === "other";
      var input = box.querySelector("input");
      box.hidden = !chosen && !(input && input.value);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.survey-form").forEach(function (form) {
      form.addEventListener("change", function () { refresh(form); });
      form.addEventListener("input", function () { refresh(form); });
      refresh(form);
    });
  });

  window.OtklikSurvey = { evaluate: evaluate, refresh: refresh };
})();
