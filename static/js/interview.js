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

    function update() {
      const left = Math.max(0, Math.ceil((endsAt - performance.now()) / 1000));
      value.textContent = format(left);
      timer.classList.toggle("is-low", left <= Math.max(10, limit / 5));
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
    if (target) target.focus();
  }

  // A key pressed on a checkbox (a key point) or a button still means a shortcut.
  const NOT_TYPED_IN = ["checkbox", "radio", "button", "submit", "reset"];

  function isTyping(element) {
    if (!element) return false;
    if (element.tagName === "INPUT") return NOT_TYPED_IN.indexOf(element.type) === -1;
    return element.tagName === "TEXTAREA" || element.tagName === "SELECT" ||
      element.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    const root = document.getElementById("interview");
    if (!root) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const form = root.querySelector("[data-reveal-form]");
      if (form) {
        event.preventDefault();
        submit(form);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
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

  function flushNotes() {
    const box = notesBox();
    if (!box || !box.form) return null;
    const saved = box.dataset.saved !== undefined ? box.dataset.saved : box.defaultValue;
    if (box.value === saved) return null;
    box.dataset.saved = box.value;
    return fetch(box.getAttribute("hx-post"), {
      method: "POST",
      body: new FormData(box.form),
      credentials: "same-origin",
      keepalive: true,
    }).catch(function () { /* offline or going away: the next autosave or the reveal will do */ });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target === notesBox()) event.target.dataset.sending = event.target.value;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const box = event.target;
    if (box === notesBox() && event.detail.successful && box.dataset.sending !== undefined) {
      box.dataset.saved = box.dataset.sending;
    }
  });
  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("#interview a[data-saves-notes]");
    if (!link || event.defaultPrevented || event.button !== 0 ||
        event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    const saving = flushNotes();
    if (!saving) return;
    event.preventDefault();
    saving.finally(function () { window.location.assign(link.href); });
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
      focusFirst(root);
    }
  });

  function init() {
    const root = document.getElementById("interview");
    if (root) {
      startTimer(root);
      foldProseOnNarrowScreens(root);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
