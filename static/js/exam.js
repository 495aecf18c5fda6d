// The exam page's client: autosave with retries, flag for review, strike-outs, text size and
// the countdown timer. The server owns time and answers; this file only reports and retries
// until it confirms.
(function () {
  "use strict";

  const statusEl = document.getElementById("save-status");
  const announcer = document.getElementById("save-announcer");
  const form = document.getElementById("answer-form");
  const csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  const csrf = csrfInput ? csrfInput.value : "";

  // The one polite live region: each user action ends in at most one message here.
  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    // A fresh text node in a later task, so a repeated message is read again.
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // The badge is only seen: "Saving…" is not spoken, the outcome is (once).
  function setStatus(text, kind, speak) {
    if (!statusEl) return;
    const changed = statusEl.dataset.state !== kind;
    statusEl.textContent = text;
    statusEl.className = "save-status badge " + ({
      saving: "text-bg-info", saved: "text-bg-success", offline: "text-bg-warning",
      error: "text-bg-danger",
    }[kind] || "text-bg-secondary");
    statusEl.dataset.state = kind;
    if (speak === true || (speak !== false && changed && kind === "offline")) announce(text);
  }

  // ---- A queue of requests that are retried until the server confirms -------------------
  const pending = new Map(); // key -> {url, body, onOk}
  let inFlight = false;
  let retryDelay = 1000;
  const idleWaiters = [];

  function storageKey(key) { return "dva-pending:" + key; }

  function enqueue(key, url, fields, onOk) {
    pending.set(key, { url: url, fields: fields, onOk: onOk });
    try { localStorage.setItem(storageKey(key), JSON.stringify({ url: url, fields: fields })); }
    catch (e) { /* private mode: the in-memory queue still retries */ }
    pump();
  }

  function isIdle() { return pending.size === 0 && !inFlight; }

  function whenIdle() {
    return new Promise(function (resolve) {
      if (isIdle()) resolve(); else idleWaiters.push(resolve);
    });
  }

  function settleIdle() {
    if (!isIdle()) return;
    while (idleWaiters.length) idleWaiters.shift()();
  }

  function pump() {
    if (inFlight) return;
    const next = pending.entries().next();
    if (next.done) { settleIdle(); return; }
    const key = next.value[0];
    const job = next.value[1];
    inFlight = true;
    setStatus("Saving…", "saving");
    const body = new FormData();
    job.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    fetch(job.url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    }).then(function (result) {
      inFlight = false;
      if (result.status === 200 && result.data.ok) {
        if (pending.get(key) === job) {
          pending.delete(key);
          try { localStorage.removeItem(storageKey(key)); } catch (e) { /* ignore */ }
        }
        retryDelay = 1000;
        if (job.onOk) job.onOk(result.data);
        if (pending.size) setStatus("Saving…", "saving");
        else setStatus("All answers saved", "saved", true);
        pump();
      } else if (result.status === 409 || result.status === 400 || result.status === 403 ||
                 result.status === 404) {
        // The server refused for a reason retrying cannot fix: say so and stop.
        pending.delete(key);
        try { localStorage.removeItem(storageKey(key)); } catch (e) { /* ignore */ }
        setStatus(result.data.error || "Not saved", "error", false);
        showAlert(result.data.error || "This answer could not be saved.");
        announce(result.data.error || "This answer could not be saved.");
        if (result.data.closed) window.setTimeout(function () { window.location.reload(); }, 2500);
        pump();
      } else {
        // 429 means "slow down", not a lost connection: say so, and retry the same way.
        retryLater(result.status === 429 ? "Busy — retrying…" : "Offline — retrying…");
      }
    }).catch(function () {
      inFlight = false;
      retryLater("Offline — retrying…");
    });
  }

  function retryLater(text) {
    setStatus(text, "offline");
    window.setTimeout(pump, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  }

  window.addEventListener("online", function () { retryDelay = 1000; pump(); });

  function showAlert(text) {
    const alertEl = document.getElementById("timer-alert");
    if (!alertEl) return;
    alertEl.textContent = text;
    alertEl.classList.remove("d-none");
  }

  // Answers left unsent when the tab closed are sent again on the next page load.
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k && k.indexOf("dva-pending:") === 0) {
        const saved = JSON.parse(localStorage.getItem(k));
        const key = k.slice("dva-pending:".length);
        if (!pending.has(key)) pending.set(key, { url: saved.url, fields: saved.fields });
      }
    }
    if (pending.size) pump();
  } catch (e) { /* storage unavailable */ }

  // ---- Answers ---------------------------------------------------------------------------
  if (form) {
    const attemptId = form.dataset.attempt;
    const position = form.dataset.position;
    const selectCount = parseInt(form.dataset.selectCount, 10);
    const multiple = form.dataset.kind === "multiple_response";
    const seqInput = document.getElementById("seq-input");
    let seq = parseInt(form.dataset.seq, 10) || 0;
    const inputs = Array.prototype.slice.call(form.querySelectorAll("input[name=option]"));
    // "How sure are you?" (only when the attempt asks): sent with the answer, same seq.
    const confidenceInputs = Array.prototype.slice.call(
      form.querySelectorAll("input[name=confidence]:not([disabled])"));
    const counter = form.querySelector(".select-count");
    const checkMessage = document.getElementById("check-message");
    const answeredCount = document.getElementById("answered-count");

    function selected() {
      return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    }

    function showCount() {
      if (multiple && counter) counter.textContent = selected().length + " of " + selectCount + " selected.";
    }

    function navCell() {
      return document.querySelector('.nav-cell[data-position="' + position + '"]');
    }

    // The cell's name, mark and count always follow its classes, so nothing needs a reload.
    function refreshCell(cell) {
      const answered = cell.classList.contains("answered");
      const flagged = cell.classList.contains("flagged");
      cell.setAttribute("aria-label", "Question " + cell.dataset.position + ", " +
        (answered ? "answered" : "unanswered") + (flagged ? ", flagged" : ""));
      const mark = cell.querySelector(".nav-cell-flag");
      if (mark) mark.textContent = flagged ? "⚑" : "";
      if (answeredCount) {
        answeredCount.textContent = String(document.querySelectorAll(".nav-cell.answered").length);
      }
    }

    function save() {
      seq = Math.max(seq + 1, Date.now());
      seqInput.value = String(seq + 1);
      const fields = [["seq", String(seq)]];
      selected().forEach(function (v) { fields.push(["option", v]); });
      const given = confidenceInputs.filter(function (i) { return i.checked; })[0];
      if (given) fields.push(["confidence", given.value]);
      const answered = selected().length > 0;
      enqueue("answer:" + attemptId + ":" + position, form.dataset.autosaveUrl, fields, function () {
        const cell = navCell();
        if (cell) {
          cell.classList.toggle("answered", answered);
          refreshCell(cell);
        }
      });
    }

    function say(text) {
      if (!checkMessage) return;
      checkMessage.textContent = text;
      checkMessage.hidden = !text;
    }

    inputs.forEach(function (input) {
      input.addEventListener("change", function () {
        // Options stay operable at the limit: a choice too many is undone and explained.
        if (multiple && selected().length > selectCount) {
          input.checked = false;
          const text = "This question takes " + selectCount + " answers. Unselect one first.";
          say(text);
          announce(text);
          return;
        }
        say("");
        showCount();
        save();
      });
    });
    confidenceInputs.forEach(function (input) {
      input.addEventListener("change", save);
    });
    showCount();

    // Page buttons submit the form (which saves too); wait for queued saves first.
    form.addEventListener("submit", function (event) {
      const submitter = event.submitter;
      if (submitter && submitter.value === "check") {
        if (!selected().length) {
          event.preventDefault();
          const text = "Choose an answer before checking it.";
          say(text);
          announce(text);
          if (inputs.length) inputs[0].focus();
          return;
        }
        try { sessionStorage.setItem("dva-feedback-focus", attemptId + ":" + position); }
        catch (e) { /* storage unavailable: focus stays at the top */ }
      }
      if (isIdle()) { seqInput.value = String(seq + 1); return; }
      event.preventDefault();
      setStatus("Saving before leaving…", "saving");
      whenIdle().then(function () {
        seqInput.value = String(seq + 1);
        form.requestSubmit(submitter);
      });
    });

    // Right after "Check answer", the feedback takes the focus so it is read first.
    const feedback = document.getElementById("feedback");
    try {
      if (feedback && sessionStorage.getItem("dva-feedback-focus") === attemptId + ":" + position) {
        sessionStorage.removeItem("dva-feedback-focus");
        feedback.focus();
      }
    } catch (e) { /* storage unavailable */ }

    const flagButton = document.getElementById("flag-button");
    if (flagButton) {
      flagButton.addEventListener("click", function () {
        const flagged = flagButton.getAttribute("aria-pressed") !== "true";
        flagButton.setAttribute("aria-pressed", flagged ? "true" : "false");
        const cell = navCell();
        if (cell) {
          cell.classList.toggle("flagged", flagged);
          refreshCell(cell);
        }
        enqueue("flag:" + attemptId + ":" + position, flagButton.dataset.flagUrl,
          [["flagged", flagged ? "true" : "false"]], null);
      });
    }

    // Strike-outs are a study aid saved with the attempt; they never change the answer.
    form.querySelectorAll(".eliminate-button").forEach(function (button) {
      button.addEventListener("click", function () {
        const struck = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", struck ? "true" : "false");
        button.closest(".option-row").classList.toggle("is-eliminated", struck);
        enqueue("eliminate:" + attemptId + ":" + position + ":" + button.dataset.option,
          form.dataset.eliminateUrl,
          [["option", button.dataset.option], ["eliminated", struck ? "true" : "false"]], null);
      });
    });
  }

  // ---- Text size ---------------------------------------------------------------------------
  const sizeForm = document.querySelector(".text-size-control");
  const examBar = document.querySelector(".exam-bar");
  if (sizeForm && examBar) {
    const maxSize = 4;
    sizeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const button = event.submitter;
      const size = parseInt(button.value, 10);
      if (!(size >= 0 && size <= maxSize)) return;
      examBar.dataset.textSize = String(size);
      sizeForm.querySelectorAll("button[data-step]").forEach(function (b) {
        const next = size + parseInt(b.dataset.step, 10);
        b.value = String(next);
        b.disabled = next < 0 || next > maxSize;
      });
      // A button that just became disabled would drop the focus to the page.
      if (button.disabled) sizeForm.querySelector("button:not([disabled])").focus();
      const body = new FormData();
      body.append("size", String(size));
      fetch(sizeForm.action, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      }).catch(function () { /* the size still applies on this page; the next load says */ });
      announce("Text size " + (size + 1) + " of " + (maxSize + 1) + ".");
    });
  }

  // ---- Timer -----------------------------------------------------------------------------
  const timer = document.getElementById("timer");
  if (timer) {
    const warnings = [600, 300, 60];
    const warned = new Set();
    const live = document.getElementById("timer-warning");
    let endsAt = performance.now() + parseInt(timer.dataset.remaining, 10) * 1000;
    let submitting = false;

    warnings.forEach(function (w) {
      if (parseInt(timer.dataset.remaining, 10) <= w) warned.add(w);
    });

    function format(seconds) {
      const h = Math.floor(seconds / 3600);
      const m = Math.floor((seconds % 3600) / 60);
      const s = seconds % 60;
      const mm = (h ? String(m).padStart(2, "0") : String(m));
      return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
    }

    function autoSubmit() {
      if (submitting) return;
      submitting = true;
      setStatus("Time is up — submitting…", "saving");
      const submit = function () { document.getElementById("auto-submit-form").submit(); };
      // Give queued answers a moment to land (they are accepted within the grace period).
      Promise.race([whenIdle(), new Promise(function (r) { window.setTimeout(r, 8000); })])
        .then(submit);
    }

    function tick() {
      const left = endsAt - performance.now();
      const remaining = Math.max(0, Math.ceil(left / 1000));
      timer.textContent = format(remaining);
      timer.setAttribute("aria-label", "Time remaining " + format(remaining));
      warnings.forEach(function (w) {
        if (remaining <= w && !warned.has(w)) {
          warned.add(w);
          const minutes = w / 60;
          const text = minutes + " minute" + (minutes > 1 ? "s" : "") + " remaining.";
          // Spoken once by the assertive region; the visible alert has no live role.
          if (live) live.textContent = text;
          showAlert(text);
          timer.classList.add("text-warning");
        }
      });
      if (left <= 0) autoSubmit();
    }

    // Re-read the server's clock now and then, so a sleeping laptop cannot drift.
    function resync() {
      fetch(timer.dataset.stateUrl, { credentials: "same-origin",
        headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.state && data.state !== "in_progress") { window.location.reload(); return; }
          if (typeof data.remaining === "number") {
            endsAt = performance.now() + data.remaining * 1000;
          }
        }).catch(function () { /* offline: keep counting locally */ });
    }

    tick();
    window.setInterval(tick, 1000);
    window.setInterval(resync, 30000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) resync();
    });
  }
})();
