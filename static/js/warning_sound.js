// The clock's optional warning sound (Preferences.warning_sound): a short tone, made with the
// Web Audio API (no sound file), when interview.js says the last fifth of the time began.
(function () {
  "use strict";

  const settings = document.getElementById("interview-preferences");
  const AudioContext = window.AudioContext || window.webkitAudioContext;
  if (!settings || settings.dataset.warningSound !== "on" || !AudioContext) return;

  // Browsers let a page make sound only after the person interacted with it: the context is
  // made (or woken) on the first key or tap, long before the warning.
  let context = null;
  function wake() {
    if (!context) context = new AudioContext();
    if (context.state === "suspended") context.resume();
  }
  document.addEventListener("keydown", wake, { capture: true });
  document.addEventListener("pointerdown", wake, { capture: true });

  function beep() {
    wake();
    const now = context.currentTime;
    const tone = context.createOscillator();
    const volume = context.createGain();
    tone.type = "sine";
    tone.frequency.value = 880;
    // A quick rise and fall, so the tone does not click.
    volume.gain.setValueAtTime(0.0001, now);
    volume.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
    volume.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
    tone.connect(volume).connect(context.destination);
    tone.start(now);
    tone.stop(now + 0.3);
  }
  document.addEventListener("interview:clock-low", beep);
})();
