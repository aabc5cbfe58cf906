// The new-interview form: "Select all / none" for the categories. Without this script the
// buttons stay hidden and each box is ticked on its own.
(function () {
  "use strict";

  function init() {
    document.querySelectorAll("[data-check-all]").forEach(function (controls) {
      const group = controls.closest("fieldset");
      controls.hidden = false;
      controls.addEventListener("click", function (event) {
        const button = event.target.closest("[data-check]");
        if (!button) return;
        const checked = button.dataset.check === "all";
        group.querySelectorAll('input[type="checkbox"]').forEach(function (box) {
          box.checked = checked;
        });
        // One change for the lot: the form's length line (htmx) follows it.
        group.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
