// The interview page: countdown display, keyboard shortcuts and focus after HTMX swaps.
// The server owns the clock; this only shows it and reveals when it reaches zero.
(function () {
  "use strict";

  const ANNOUNCE_AT = new Set([60, 30, 10]);
  let tick = null;

  function format(seconds) {
    const minutes = Math.floor(seconds / 60);
    const rest = seconds % 60;
    return minutes + ":" + String(rest).padStart(2, "0");
  }

  function submit(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function startTimer(root) {
    if (tick) {
      clearInterval(tick);
      tick = null;
    }
    const timer = root.querySelector("[data-timer]");
    if (!timer) return;
    const value = timer.querySelector("[data-timer-value]");
    const announcer = root.querySelector("[data-timer-announcer]");
    const limit = Number(timer.dataset.limitSeconds);
    const endsAt = performance.now() + Number(timer.dataset.remainingMs);
    let lastAnnounced = null;
    let wasLow = null;

    function update() {
      const left = Math.max(0, Math.ceil((endsAt - performance.now()) / 1000));
      value.textContent = format(left);
      const low = left <= Math.max(10, limit / 5);
      timer.classList.toggle("is-low", low);
      // The warning begins while the candidate watches (not on a page that opens already low):
      // warning_sound.js beeps on it when they chose so.
      if (low && wasLow === false) {
        timer.dispatchEvent(new CustomEvent("interview:clock-low", { bubbles: true }));
      }
      wasLow = low;
      if (announcer && ANNOUNCE_AT.has(left) && left !== lastAnnounced) {
        lastAnnounced = left;
        announcer.textContent = left === 60 ? "One minute left." : left + " seconds left.";
      }
      if (left === 0) {
        clearInterval(tick);
        tick = null;
        timer.classList.add("is-over");
        if (announcer) announcer.textContent = "Time's up. Revealing the answer.";
        const form = root.querySelector("[data-reveal-form]");
        if (form) {
          form.querySelector("[data-timed-out]").value = "on";
          submit(form);
        }
      }
    }
    update();
    tick = setInterval(update, 250);
  }

  function focusFirst(root) {
    // A quick typist may already be answering in the new item (the swap lands before it
    // settles): never pull the focus out of the box they are typing in.
    const active = document.activeElement;
    if (isTyping(active) && root.contains(active)) return;
    const target = root.querySelector("[data-focus-on-swap]");
    if (!target) return;
    target.focus();
    // Chromium sometimes drops the focus to <body> while the swapped region settles: put it
    // back once, on the next frame, unless the candidate has moved it since.
    requestAnimationFrame(function () {
      if (document.activeElement === document.body && target.isConnected) target.focus();
    });
  }

  // A key pressed on a checkbox (a key point) or a button still means a shortcut.
  const NOT_TYPED_IN = ["checkbox", "radio", "button", "submit", "reset"];

  function isTyping(element) {
    if (!element) return false;
    if (element.tagName === "INPUT") return NOT_TYPED_IN.indexOf(element.type) === -1;
    return element.tagName === "TEXTAREA" || element.tagName === "SELECT" ||
      element.isContentEditable;
  }

  // The sheet of shortcuts: its button opens it by itself where the browser knows invoker
  // commands (commandfor); elsewhere, and for the ? key, this does.
  function openShortcuts() {
    const sheet = document.getElementById("shortcuts");
    if (sheet && !sheet.open) sheet.showModal();
  }
  if (!("command" in HTMLButtonElement.prototype)) {
    document.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("[data-shortcuts-open]")) openShortcuts();
    });
  }

  document.addEventListener("keydown", function (event) {
    const root = document.getElementById("interview");
    if (!root) return;
    // The shortcut sheet is open: its keys are the dialog's own (Esc, Tab), none acts here.
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const form = root.querySelector("[data-reveal-form]");
      if (form) {
        event.preventDefault();
        submit(form);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      openShortcuts();
      return;
    }
    const undo = root.querySelector("[data-undo-key]");
    if (undo && (event.key === "z" || event.key === "Z")) {
      event.preventDefault();
      if (!undo.disabled) undo.click();
      return;
    }
    // Letters a–f tick the key points of a revealed answer (the click saves the ticks).
    const tick = event.key.length === 1 &&
      root.querySelector('[data-tick-key="' + event.key.toLowerCase() + '"]');
    if (tick && !tick.disabled) {
      event.preventDefault();
      tick.click();
      return;
    }
    // R starts or stops recording the spoken answer (recorder.js handles the click).
    const record = (event.key === "r" || event.key === "R") &&
      root.querySelector("[data-record-key]");
    if (record && !record.disabled && !record.closest("[hidden]")) {
      event.preventDefault();
      record.click();
      return;
    }
    const button = root.querySelector('[data-grade-key="' + event.key + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
      return;
    }
    // Right after a grade the focus waits on the new question (so Z can undo); the first key
    // typed starts the answer: moving the focus during keydown sends the character there.
    const notes = root.querySelector("textarea[data-notes]");
    const idle = document.activeElement === document.body ||
      document.activeElement.id === "item-heading";
    if (notes && idle && event.key.length === 1 && event.key !== " ") {
      notes.focus();
      // Continue the notes (saved ones come back after a reload), never type in front of them.
      notes.setSelectionRange(notes.value.length, notes.value.length);
    }
  });

  // A grade or reveal in flight: disable the buttons so a double press sends one request.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.target.closest &&
      event.target.closest("[data-grade-form], [data-reveal-form], [data-undo-form]");
    if (form && event.detail.requestConfig.verb === "post" && !event.target.matches("textarea")) {
      form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.target.closest &&
      event.target.closest("[data-grade-form], [data-reveal-form], [data-undo-form]");
    if (form && !event.detail.successful) {
      form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
    }
  });

  // Notes save themselves after a pause in typing. Leaving the page within that pause must not
  // lose the rest: "End interview" saves them before it goes (so the summary shows them), and a
  // reload or a closed tab sends them on the way out (keepalive outlives the page; beforeunload
  // runs before the next page is requested). Until an autosave succeeds, what the server has is
  // what it rendered: the box's defaultValue.
  function notesBox() {
    return document.querySelector("#interview textarea[hx-post]");
  }

  // Until the server has them, the notes are also kept in this browser (localStorage, one key
  // per item), so a lost login, a lost connection or a closed tab never loses what was typed.
  function draftKey(box) {
    return "interview-notes:" + box.getAttribute("hx-post");
  }
  function keepDraft(box) {
    try { localStorage.setItem(draftKey(box), box.value); } catch (error) { /* storage off */ }
  }
  function dropDraft(key, savedValue) {
    try {
      if (localStorage.getItem(key) === savedValue) localStorage.removeItem(key);
    } catch (error) { /* storage off */ }
  }
  function restoreDraft() {
    const box = notesBox();
    if (!box) return;
    let draft = null;
    try { draft = localStorage.getItem(draftKey(box)); } catch (error) { return; }
    if (draft === null) return;
    if (draft === box.value) {
      dropDraft(draftKey(box), draft);
      return;
    }
    box.value = draft;
    setStatus(box, "Restored the notes this browser kept; saving them…");
    htmx.trigger(box, "retry");
  }

  function setStatus(box, text, link) {
    const status = box.form && box.form.querySelector("[data-autosave-status]");
    if (!status) return;
    status.textContent = text;
    if (link) {
      const anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      status.append(" ", anchor);
    }
  }

  // Autosave answers: "Saved 10:42", or why not and when it tries again (doubling the wait).
  let retryDelay = 0;
  let retryTimer = null;
  function clock() {
    return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  document.addEventListener("input", function (event) {
    if (event.target === notesBox()) keepDraft(event.target);
  });
  // What an autosave sends, so its answer says which text the server now has.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target === notesBox()) event.target.dataset.sending = event.target.value;
  });
  // The server's 401 names a login that leads back to this page.
  function loginLink(xhr) {
    return { href: xhr.getResponseHeader("X-Login-URL") || "/accounts/login/", text: "Log in again" };
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    const box = event.target;
    if (box !== notesBox()) return;
    const xhr = event.detail.xhr;
    const status = xhr ? xhr.status : 0;
    if (event.detail.successful) {
      retryDelay = 0;
      box.dataset.saved = box.dataset.sending;
      dropDraft(draftKey(box), box.dataset.sending);
      setStatus(box, "Saved " + clock());
    } else if (status === 401) {
      setStatus(box, "Not saved. " + xhr.responseText, loginLink(xhr));
    } else if (status === 400 || status === 409) {
      setStatus(box, "Not saved: " + xhr.responseText);
    } else {
      retryDelay = Math.min(60, Math.max(2, retryDelay * 2));
      setStatus(box, "Not saved — retrying in " + retryDelay + " s. Your notes are kept in this browser.");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(function () {
        if (notesBox() === box) htmx.trigger(box, "retry");
      }, retryDelay * 1000);
    }
  });

  function flushNotes() {
    const box = notesBox();
    if (!box || !box.form) return null;
    const saved = box.dataset.saved !== undefined ? box.dataset.saved : box.defaultValue;
    const value = box.value;
    if (value === saved) return null;
    return fetch(box.getAttribute("hx-post"), {
      method: "POST",
      body: new FormData(box.form),
      credentials: "same-origin",
      keepalive: true,
    }).then(function (response) {
      if (response.ok) {
        box.dataset.saved = value;
        dropDraft(draftKey(box), value);
      }
      return response.ok;
    }).catch(function () { return false; /* offline or going away: the draft stays here */ });
  }

  // A failed action (no connection, an error, a lost login) says so in the interview, where
  // the notes still are, and offers the way on.
  let lastSubmitter = null;
  document.addEventListener("submit", function (event) {
    lastSubmitter = event.submitter || null;
  }, true);

  function showAlert(message, action) {
    const region = document.querySelector("#interview [data-interview-alert]");
    if (!region) return;
    region.replaceChildren(document.createTextNode(message + " "));
    if (action) {
      const control = document.createElement(action.href ? "a" : "button");
      control.textContent = action.text;
      control.className = "button button-small";
      if (action.href) control.href = action.href;
      else {
        control.type = "button";
        control.addEventListener("click", function () {
          region.hidden = true;
          action.run();
        });
      }
      region.append(control);
    }
    region.hidden = false;
  }

  function retryOf(elt) {
    const submitter = lastSubmitter && lastSubmitter.form === elt ? lastSubmitter : null;
    return function () {
      if (elt.tagName === "FORM") elt.requestSubmit(submitter);
      else htmx.trigger(elt, "change");
    };
  }

  function failed(event, status, xhr) {
    const elt = event.detail.elt;
    if (!elt || !elt.closest || !elt.closest("#interview") || elt === notesBox()) return;
    if (status === 401) {
      showAlert(xhr.responseText, loginLink(xhr));
    } else if (status === 403) {
      showAlert("This page has expired (signed out, or cookies cleared). Your notes are kept " +
        "in this browser.", { text: "Reload the page", run: function () { location.reload(); } });
    } else if (status === 0) {
      showAlert("Couldn't reach the server; your notes are safe.",
        { text: "Try again", run: retryOf(elt) });
    } else {
      showAlert("Something went wrong (error " + status + "); your notes are safe.",
        { text: "Try again", run: retryOf(elt) });
    }
  }
  document.addEventListener("htmx:responseError", function (event) {
    failed(event, event.detail.xhr.status, event.detail.xhr);
  });
  document.addEventListener("htmx:sendError", function (event) {
    failed(event, 0, event.detail.xhr);
  });

  // A revealed answer took the notes with it: the server has them, the draft can go.
  let revealing = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    const box = notesBox();
    if (box && event.target.matches && event.target.matches("[data-reveal-form]")) {
      revealing = { key: draftKey(box), value: box.value };
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (revealing && event.target.matches && event.target.matches("[data-reveal-form]")) {
      if (event.detail.successful) dropDraft(revealing.key, revealing.value);
      revealing = null;
    }
  });

  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("#interview a[data-saves-notes]");
    if (!link || event.defaultPrevented || event.button !== 0 ||
        event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    const saving = flushNotes();
    if (!saving) return;
    event.preventDefault();
    saving.then(function (ok) {
      if (ok) {
        window.location.assign(link.href);
        return;
      }
      // Never leave with the notes unsaved: stay, say so, offer to try again.
      showAlert("Your notes could not be saved, so the interview was not left; they are kept " +
        "in this browser.", { text: "Try again", run: function () { link.click(); } });
    });
  });
  window.addEventListener("beforeunload", flushNotes);

  // On a narrow screen the key points are the answer to grade by: the prose starts folded.
  function foldProseOnNarrowScreens(root) {
    if (!window.matchMedia("(max-width: 40rem)").matches) return;
    root.querySelectorAll("details[data-collapse-narrow]").forEach(function (details) {
      details.open = false;
    });
  }

  // The interview region was replaced (outerHTML swap): restart the clock, move focus.
  document.addEventListener("htmx:afterSettle", function (event) {
    const root = document.getElementById("interview");
    if (root && event.detail.elt && event.detail.elt.id === "interview") {
      startTimer(root);
      foldProseOnNarrowScreens(root);
      restoreDraft();
      focusFirst(root);
    }
  });

  function init() {
    const root = document.getElementById("interview");
    if (root) {
      startTimer(root);
      foldProseOnNarrowScreens(root);
      // After htmx has wired the notes box (on DOMContentLoaded), so the restored draft saves.
      if (document.readyState === "complete") restoreDraft();
      else window.addEventListener("load", restoreDraft);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
