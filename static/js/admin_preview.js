// Live previews in the bank's admin. As an editor types an answer or a key point, the server
// renders the text with the site's own sanitising renderer (questions.admin.preview) and the
// preview beside the field shows exactly what candidates will see. Loaded through the admin's
// Media: no inline script, so it runs under the Content-Security-Policy. Listeners sit on the
// document, so rows added with "Add another" preview too.
(function () {
  "use strict";

  const DELAY_MS = 400;
  const timers = new WeakMap(); // preview element -> pending timeout
  const requests = new WeakMap(); // preview element -> AbortController of its request in flight

  // The preview an edited element feeds, and the form data that renders it; null for others.
  function previewOf(element) {
    if (element.dataset.preview === "answer") {
      // The answer's fieldset: the question's or scenario's own, or one scenario of the inline.
      const fieldset = element.closest("fieldset");
      const preview = fieldset && fieldset.querySelector('[data-preview-of="answer"]');
      return preview && { preview, data: () => answerData(element) };
    }
    const editor = element.closest("[data-key-points-editor]");
    if (editor && element.matches("input")) {
      const preview = editor.querySelector('[data-preview-of="key_points"]');
      return preview && { preview, data: () => keyPointsData(editor) };
    }
    return null;
  }

  function answerData(textarea) {
    const data = new FormData();
    data.append("kind", "answer");
    data.append("text", textarea.value);
    return data;
  }

  function keyPointsData(editor) {
    const data = new FormData();
    data.append("kind", "key_points");
    // The inline's rows in page order, without the template row "Add another" copies.
    for (const row of editor.querySelectorAll("tr.form-row:not(.empty-form)")) {
      const text = row.querySelector('input[name$="-text"]');
      const deleted = row.querySelector('input[name$="-DELETE"]');
      if (!text || (deleted && deleted.checked)) continue;
      const position = row.querySelector('input[name$="-position"]');
      data.append("text", text.value);
      data.append("position", position ? position.value : "");
    }
    return data;
  }

  function showStatus(preview, message) {
    const status = preview.querySelector("[data-preview-status]");
    if (status) status.textContent = message;
  }

  async function refresh(preview, data) {
    const body = preview.querySelector("[data-preview-body]");
    const token = preview.closest("form").querySelector('input[name="csrfmiddlewaretoken"]');
    if (requests.has(preview)) requests.get(preview).abort(); // only the latest text matters
    const controller = new AbortController();
    requests.set(preview, controller);
    preview.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(preview.dataset.previewUrl, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": token ? token.value : "" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (response.redirected) {
        // The admin sent the request to its login page: the session has ended.
        showStatus(preview, "Log in again to see the preview; the text you typed is still here.");
      } else if (!response.ok) {
        const reason = response.status === 400 ? await response.text() : "the server refused it";
        showStatus(preview, "The preview could not be updated: " + reason);
      } else {
        body.innerHTML = await response.text(); // sanitised by the server's renderer
        showStatus(preview, "");
      }
    } catch (error) {
      if (error.name === "AbortError") return; // a newer request took over
      showStatus(preview, "The preview could not be updated: the server did not answer.");
    } finally {
      if (requests.get(preview) === controller) {
        requests.delete(preview);
        preview.removeAttribute("aria-busy");
      }
    }
  }

  function schedule(found) {
    clearTimeout(timers.get(found.preview));
    timers.set(
      found.preview,
      setTimeout(function () {
        refresh(found.preview, found.data());
      }, DELAY_MS)
    );
  }

  function onEdit(event) {
    const found = event.target instanceof HTMLElement ? previewOf(event.target) : null;
    if (found) schedule(found);
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", function (event) {
    // Typing fires "input"; only the Delete checkboxes need "change".
    if (event.target instanceof HTMLInputElement && event.target.type === "checkbox") {
      onEdit(event);
    }
  });
  // A row removed with its "×" (added, never saved) leaves the key point list.
  document.addEventListener("formset:removed", function () {
    for (const editor of document.querySelectorAll("[data-key-points-editor]")) {
      const preview = editor.querySelector('[data-preview-of="key_points"]');
      if (preview) schedule({ preview, data: () => keyPointsData(editor) });
    }
  });
})();
