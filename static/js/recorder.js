// Answering out loud: record the spoken answer (MediaRecorder), keep it in this browser
// (IndexedDB, one entry per interview item), play it back after the reveal and on the summary,
// upload it only when the candidate chose "keep recordings", and, where the browser offers
// speech recognition, write a live transcript into the notes so the key points can match it.
(function () {
  "use strict";

  const DB_NAME = "interview-recordings";
  const STORE = "recordings";
  // Marks the transcribed part of the notes, so the candidate (and the summary) can tell it
  // from what they typed.
  const TRANSCRIPT_MARK = "[transcribed]";
  const TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;

  // --- The browser's store: { key: "session:position", session, blob, recordedAt } ---------
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) {
          reject(new Error("no IndexedDB"));
          return;
        }
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          const store = request.result.createObjectStore(STORE, { keyPath: "key" });
          store.createIndex("session", "session");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function withStore(mode, act) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        const transaction = database.transaction(STORE, mode);
        const result = act(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(result && result.result); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }
  function saveLocal(entry) {
    return withStore("readwrite", function (store) { return store.put(entry); });
  }
  function loadLocal(key) {
    return withStore("readonly", function (store) { return store.get(key); });
  }
  function localKeysOf(session) {
    return withStore("readonly", function (store) {
      return store.index("session").getAllKeys(session);
    });
  }
  function deleteLocal(session) {
    return localKeysOf(session).then(function (keys) {
      return withStore("readwrite", function (store) {
        keys.forEach(function (key) { store.delete(key); });
      });
    });
  }

  function format(milliseconds) {
    const seconds = Math.floor(milliseconds / 1000);
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function preference(name) {
    const element = document.getElementById("interview-preferences");
    return Boolean(element) && element.dataset[name] === "on";
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // The latest word about each recording once it stopped: the reveal's swap may bring its
  // playback after the message was written, and the playback shows it then.
  const news = {};

  // A message about the recording of `key`: on its recorder while it shows, else on its
  // playback (after the reveal the recorder is gone).
  function say(key, text) {
    if (key in news) news[key] = text;
    const recorder = document.querySelector('[data-recorder][data-key="' + key + '"]');
    const slot = document.querySelector('[data-recording-slot][data-key="' + key + '"]');
    const line = (recorder && recorder.querySelector("[data-recorder-status]")) ||
      (slot && slot.querySelector("[data-recording-note]"));
    if (line) line.textContent = text;
  }

  // --- Recording ------------------------------------------------------------------------------
  let active = null;
  // Recordings the browser could not store, kept for this page only.
  const memory = {};

  function microphoneProblem(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "Microphone access was refused, so nothing is recorded: allow the microphone in " +
        "the browser's site settings to record. You can still type your answer.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No microphone was found, so nothing is recorded. You can still type your answer.";
    }
    if (name === "NotReadableError") {
      return "The microphone is in use by another program, so nothing is recorded. You can " +
        "still type your answer.";
    }
    return "The microphone could not be started (" + (name || "unknown error") + "). You can " +
      "still type your answer.";
  }

  function showRecording(recorder, recording) {
    const root = recorder.closest("#interview") || document;
    const elapsed = root.querySelector("[data-recording-elapsed]");
    const button = recorder.querySelector("[data-record-toggle]");
    button.setAttribute("aria-pressed", recording ? "true" : "false");
    button.classList.toggle("is-recording", recording);
    recorder.querySelector("[data-record-label]").textContent =
      recording ? "Stop recording" : "Record again";
    if (elapsed) elapsed.hidden = !recording;
  }

  function start(recorder) {
    const key = recorder.dataset.key;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(key, "This page cannot use a microphone here (it needs HTTPS). You can still type " +
        "your answer.");
      return;
    }
    const button = recorder.querySelector("[data-record-toggle]");
    button.disabled = true;
    say(key, "Asking for the microphone…");
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      button.disabled = false;
      if (!recorder.isConnected) {  // revealed while the browser asked
        stream.getTracks().forEach(function (track) { track.stop(); });
        return;
      }
      const type = TYPES.find(function (candidate) {
        return MediaRecorder.isTypeSupported(candidate);
      });
      const media = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      const chunks = [];
      const session = recorder.closest("[data-session]");
      active = {
        key: key,
        session: session ? session.dataset.session : key.split(":")[0],
        uploadUrl: recorder.dataset.uploadUrl,
        recorder: recorder,
        media: media,
        stream: stream,
        startedAt: performance.now(),
        tick: null,
        recognition: null,
        transcribing: false,
      };
      const current = active;
      media.addEventListener("dataavailable", function (event) {
        if (event.data && event.data.size) chunks.push(event.data);
      });
      media.addEventListener("stop", function () {
        const blob = new Blob(chunks, { type: (media.mimeType || type || "audio/webm").split(";")[0] });
        finish(current, blob);
      });
      // Chunks every second: a recording cut short still has what was said.
      media.start(1000);
      showRecording(recorder, true);
      const value = document.querySelector("#interview [data-recording-elapsed-value]");
      current.tick = setInterval(function () {
        if (value) value.textContent = format(performance.now() - current.startedAt);
      }, 250);
      say(key, "Recording… it stops when you reveal the answer or the time is up.");
      const transcript = recorder.querySelector("[data-transcript-toggle]");
      if (Recognition && transcript && transcript.checked) startTranscript(current);
    }).catch(function (error) {
      button.disabled = false;
      say(key, microphoneProblem(error));
    });
  }

  function stop() {
    const current = active;
    if (!current) return;
    active = null;
    news[current.key] = "";
    clearInterval(current.tick);
    if (current.recognition) current.recognition.stop();
    if (current.media.state !== "inactive") current.media.stop();
    current.stream.getTracks().forEach(function (track) { track.stop(); });
    if (current.recorder.isConnected) showRecording(current.recorder, false);
  }

  function finish(current, blob) {
    if (!blob.size) {
      say(current.key, "Nothing was recorded (stopped at once).");
      return;
    }
    const seconds = Math.round((performance.now() - current.startedAt) / 1000);
    say(current.key, "Recorded " + format(seconds * 1000) + ".");
    saveLocal({ key: current.key, session: current.session, blob: blob, recordedAt: Date.now() })
      .catch(function () {
        say(current.key, "This browser would not store the recording (private mode or full " +
          "storage); it can be played until you leave the page.");
        memory[current.key] = blob;
      })
      .then(fillSlots)
      .then(function () {
        if (preference("keepRecordings")) upload(current, blob);
      });
  }

  function upload(current, blob) {
    const body = new FormData();
    body.append("audio", blob, "answer." + (blob.type.split("/")[1] || "webm"));
    say(current.key, "Keeping the recording with the interview…");
    fetch(current.uploadUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      if (response.ok) {
        say(current.key, "Kept with the interview (and in this browser).");
        return;
      }
      return response.text().then(function (text) {
        const reason = (response.headers.get("Content-Type") || "").indexOf("text/plain") === 0
          ? text : "error " + response.status;
        say(current.key, "Not kept on the server: " + reason + " It is still in this browser.");
      });
    }).catch(function () {
      say(current.key, "Couldn't reach the server, so the recording is only in this browser.");
    });
  }

  // --- Live transcript into the notes ---------------------------------------------------------
  const TRANSCRIPT_PROBLEMS = {
    "network": "The live transcript needs the browser's online speech service, which " +
      "could not be reached.",
    "not-allowed": "The browser refused the live transcript.",
    "service-not-allowed": "The browser refused the live transcript.",
    "language-not-supported": "The live transcript does not know this language.",
    "audio-capture": "The live transcript could not hear the microphone.",
  };

  function startTranscript(current) {
    const recognition = new Recognition();
    recognition.continuous = true;
    recognition.interimResults = false;
    recognition.lang = document.documentElement.lang || "en";
    recognition.addEventListener("result", function (event) {
      for (let index = event.resultIndex; index < event.results.length; index += 1) {
        if (event.results[index].isFinal) addTranscript(current, event.results[index][0].transcript);
      }
    });
    recognition.addEventListener("error", function (event) {
      if (event.error === "no-speech" || event.error === "aborted") return;
      const problem = TRANSCRIPT_PROBLEMS[event.error] ||
        "The live transcript stopped (" + event.error + ").";
      say(current.key, problem + " The recording goes on; type any notes you want matched.");
      current.recognition = null;
    });
    current.recognition = recognition;
    try {
      recognition.start();
    } catch (error) {
      current.recognition = null;
      say(current.key, "The live transcript could not start. The recording goes on.");
    }
  }

  function addTranscript(current, text) {
    const box = document.querySelector("#interview textarea[data-notes]");
    if (!box || !text.trim()) return;
    let value = box.value;
    if (!current.transcribing) {
      current.transcribing = true;
      if (value && !value.endsWith("\n")) value += "\n";
      value += TRANSCRIPT_MARK;
    }
    box.value = (value + " " + text.trim()).slice(0, box.maxLength > 0 ? box.maxLength : undefined);
    const flag = document.querySelector("#interview [data-transcribed-flag]");
    if (flag) flag.hidden = false;
    // The notes save (and are kept as a draft) as if typed.
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // --- Playback -------------------------------------------------------------------------------
  // WebM from MediaRecorder carries no duration: the element says Infinity until it has read
  // to the end. Seeking far forward makes it read the length; then back to the start.
  function learnDuration(audio) {
    function seekOut() {
      if (audio.duration !== Infinity) return;
      audio.addEventListener("durationchange", function rewind() {
        if (audio.duration === Infinity) return;
        audio.removeEventListener("durationchange", rewind);
        audio.currentTime = 0;
      });
      audio.currentTime = 1e101;
    }
    // A served player may have read its metadata before this script ran.
    if (audio.readyState >= HTMLMediaElement.HAVE_METADATA) seekOut();
    else audio.addEventListener("loadedmetadata", seekOut, { once: true });
  }

  function play(slot, blob) {
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "metadata";
    audio.setAttribute("aria-label", "Your recorded answer");
    learnDuration(audio);
    audio.src = URL.createObjectURL(blob);
    slot.querySelector("[data-recording-note]").before(audio);
    slot.hidden = false;
  }

  function fillSlots() {
    const slots = document.querySelectorAll("[data-recording-slot]");
    const waiting = [];
    slots.forEach(function (slot) {
      const served = slot.querySelector("audio");
      if (served) {
        if (!served.dataset.watched) {
          served.dataset.watched = "on";
          learnDuration(served);
        }
        return;
      }
      const key = slot.dataset.key;
      const note = slot.querySelector("[data-recording-note]");
      if (news[key] && !note.textContent) note.textContent = news[key];
      if (memory[key]) {
        play(slot, memory[key]);
        return;
      }
      waiting.push(loadLocal(key).then(function (entry) {
        if (entry && !slot.querySelector("audio")) play(slot, entry.blob);
      }).catch(function () { /* no store: nothing kept here */ }));
    });
    return Promise.all(waiting).then(showDeleteControl);
  }

  function showDeleteControl() {
    const form = document.querySelector("[data-delete-recordings]");
    if (form && document.querySelector("[data-recording-slot] audio")) form.hidden = false;
  }

  // --- Wiring -------------------------------------------------------------------------------
  function setUp(root) {
    if (active && !active.recorder.isConnected) stop();
    const recorder = root && root.querySelector("[data-recorder]");
    if (recorder) {
      if (!window.MediaRecorder) {
        recorder.hidden = false;
        recorder.querySelector("[data-record-toggle]").disabled = true;
        say(recorder.dataset.key, "This browser cannot record; type your answer.");
      } else {
        recorder.hidden = false;
        const choice = recorder.querySelector("[data-transcript-choice]");
        choice.hidden = false;
        if (!Recognition) {
          choice.replaceChildren(document.createTextNode(
            "No live transcript in this browser: the recording still works, the notes are typed."));
          choice.classList.add("help");
        }
      }
    }
    fillSlots();
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-record-toggle]");
    if (!button) return;
    if (active) stop();
    else start(button.closest("[data-recorder]"));
  });

  // The reveal, by the button, Ctrl+Enter or the clock at zero, ends the recording first.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (active && event.target.matches && event.target.matches("[data-reveal-form]")) stop();
  });
  document.addEventListener("submit", function (event) {
    if (active && event.target.matches("[data-reveal-form]")) stop();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.elt && event.detail.elt.id === "interview") setUp(event.detail.elt);
  });

  // "Delete recordings": this browser's copies first, then the form deletes the server's.
  document.addEventListener("submit", function (event) {
    const form = event.target.closest && event.target.closest("[data-delete-recordings]");
    if (!form || form.dataset.cleared) return;
    event.preventDefault();
    const done = function () {
      form.dataset.cleared = "on";
      form.submit();
    };
    deleteLocal(form.dataset.session).then(done, done);
  });

  function init() {
    setUp(document.getElementById("interview"));
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
