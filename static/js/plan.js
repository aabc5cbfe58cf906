// The plan form's "Use this browser's time zone": picks the zone the browser reports
// (Intl.DateTimeFormat().resolvedOptions().timeZone) in the time zone list. The button stays
// hidden without JavaScript, where the list alone does the job; nothing is saved until the
// form is. A static file, so it runs under the Content-Security-Policy.
(function () {
  "use strict";

  const button = document.getElementById("use-browser-zone");
  const select = document.getElementById("id_time_zone");
  const status = document.getElementById("browser-zone-status");
  if (!button || !select || !status) return;

  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return; // no Intl: leave the button hidden
  }
  if (!zone) return;
  button.hidden = false;

  button.addEventListener("click", function () {
    const option = Array.from(select.options).find(function (candidate) {
      return candidate.value === zone;
    });
    if (!option) {
      status.textContent = "This browser reports “" + zone + "”, which is not in the list: choose your zone from it.";
      return;
    }
    select.value = zone;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    status.textContent = "Time zone set to " + option.textContent + ". Save the plan to keep it.";
  });
})();
