// The exam page's client: autosave with retries, flag for review, and the countdown timer.
// The server owns time and answers; this file only reports and retries until it confirms.
(function () {
  "use strict";

  const statusEl = document.getElementById("save-status");
  const form = document.getElementById("answer-form");
  const csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  const csrf = csrfInput ? csrfInput.value : "";

  function setStatus(text, kind) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.className = "save-status badge " + ({
      saving: "text-bg-info", saved: "text-bg-success", offline: "text-bg-warning",
      error: "text-bg-danger",
    }[kind] || "text-bg-secondary");
    statusEl.dataset.state = kind;
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
        setStatus(pending.size ? "Saving…" : "All answers saved", "saved");
        pump();
      } else if (result.status === 409 || result.status === 400 || result.status === 403 ||
                 result.status === 404) {
        // The server refused for a reason retrying cannot fix: say so and stop.
        pending.delete(key);
        try { localStorage.removeItem(storageKey(key)); } catch (e) { /* ignore */ }
        setStatus(result.data.error || "Not saved", "error");
        showAlert(result.data.error || "This answer could not be saved.");
        if (result.data.closed) window.setTimeout(function () { window.location.reload(); }, 2500);
        pump();
      } else {
        retryLater();
      }
    }).catch(function () {
      inFlight = false;
      retryLater();
    });
  }

  function retryLater() {
    setStatus("Offline — retrying…", "offline");
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
    const counter = form.querySelector(".select-count");

    function selected() {
      return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    }

    function enforceLimit() {
      if (!multiple) return;
      const chosen = selected().length;
      inputs.forEach(function (i) { i.disabled = !i.checked && chosen >= selectCount; });
      if (counter) counter.textContent = chosen + " of " + selectCount + " selected.";
    }

    function navCell() {
      return document.querySelector('.nav-cell[data-position="' + position + '"]');
    }

    function save() {
      seq = Math.max(seq + 1, Date.now());
      seqInput.value = String(seq + 1);
      const fields = [["seq", String(seq)]];
      selected().forEach(function (v) { fields.push(["option", v]); });
      const answered = selected().length > 0;
      enqueue("answer:" + attemptId + ":" + position, form.dataset.autosaveUrl, fields, function () {
        const cell = navCell();
        if (cell) {
          cell.classList.toggle("answered", answered);
          cell.setAttribute("aria-label", cell.getAttribute("aria-label")
            .replace(/answered|unanswered/, answered ? "answered" : "unanswered"));
        }
      });
    }

    inputs.forEach(function (input) {
      input.addEventListener("change", function () {
        if (multiple && selected().length > selectCount) {
          input.checked = false;
          return;
        }
        enforceLimit();
        save();
      });
    });
    enforceLimit();

    // Page buttons submit the form (which saves too); wait for queued saves first.
    form.addEventListener("submit", function (event) {
      if (isIdle()) { seqInput.value = String(seq + 1); return; }
      event.preventDefault();
      const submitter = event.submitter;
      setStatus("Saving before leaving…", "saving");
      whenIdle().then(function () {
        seqInput.value = String(seq + 1);
        form.requestSubmit(submitter);
      });
    });

    const flagButton = document.getElementById("flag-button");
    if (flagButton) {
      flagButton.addEventListener("click", function () {
        const flagged = flagButton.getAttribute("aria-pressed") !== "true";
        flagButton.setAttribute("aria-pressed", flagged ? "true" : "false");
        flagButton.classList.toggle("active", flagged);
        const cell = navCell();
        if (cell) cell.classList.toggle("flagged", flagged);
        enqueue("flag:" + attemptId + ":" + position, flagButton.dataset.flagUrl,
          [["flagged", flagged ? "true" : "false"]], null);
      });
      flagButton.classList.toggle("active", flagButton.getAttribute("aria-pressed") === "true");
    }
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
