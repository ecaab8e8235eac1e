/* Accessible names for the admin's autocomplete widgets (Django's bundled Select2 4.0).
 *
 * Select2 hides the real <select> and draws its own controls, which it leaves without names: the
 * single-choice box is named only by its (empty) current value, the multiple-choice search field
 * by nothing, and its "remove all" button sits directly inside a list. Each is fixed after every
 * redraw, naming the controls by the field's own <label>.
 */
"use strict";
(function () {
  function labelId(select) {
    const label = document.querySelector('label[for="' + select.id + '"]');
    if (!label) return null;
    if (!label.id) label.id = select.id + "-label";
    return label.id;
  }

  function fix(select) {
    const container = select.nextElementSibling;
    if (!container || !container.classList.contains("select2")) return;
    const id = labelId(select);
    const selection = container.querySelector(".select2-selection");
    if (!id || !selection) return;
    const rendered = container.querySelector(".select2-selection__rendered");
    if (selection.classList.contains("select2-selection--single")) {
      const valueId = rendered && rendered.id ? " " + rendered.id : "";
      if (selection.getAttribute("aria-labelledby") !== id + valueId) {
        selection.setAttribute("aria-labelledby", id + valueId);
      }
      // The current value, a read-only "textbox", is named by the label too.
      if (rendered && rendered.getAttribute("aria-labelledby") !== id) {
        rendered.setAttribute("aria-labelledby", id);
      }
      return;
    }
    selection.setAttribute("aria-labelledby", id);
    const search = container.querySelector(".select2-search__field");
    if (search && !search.hasAttribute("aria-labelledby")) search.setAttribute("aria-labelledby", id);
    // A list may only hold list items: keep the "remove all" button beside it, not inside.
    // Select2 draws a new one inside the list on every change: drop the old, move the new.
    const inside = rendered && rendered.querySelector(":scope > .select2-selection__clear");
    if (inside) {
      selection.querySelectorAll(":scope > .select2-selection__clear").forEach(function (old) {
        old.remove();
      });
      selection.insertBefore(inside, rendered);
    }
  }

  function watch(select) {
    if (select.dataset.a11yWatched) return;
    select.dataset.a11yWatched = "1";
    fix(select);
    const container = select.nextElementSibling;
    if (!container) return;
    new MutationObserver(function () { fix(select); }).observe(container, {
      childList: true, subtree: true,
    });
  }

  // Django's autocomplete.js draws the widgets once jQuery is ready, and again for each inline
  // form added: watch for them, whatever order the scripts load in.
  function start() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const drawn = select.nextElementSibling;
      if (drawn && drawn.classList.contains("select2")) watch(select);
    });
  }
  new MutationObserver(start).observe(document.documentElement, { childList: true, subtree: true });
  start();
})();
