// Add and remove rows of a Django formset on the page (no library): a container marked
// data-formset="<prefix>" holds the rows (data-formset-row), a <template data-formset-empty> with
// the formset's empty form (its "__prefix__" is replaced by the next index), an "add" button
// (data-formset-add) and per-row "remove" buttons (data-formset-remove). Removing clears the
// row's fields and hides it: the service skips a row without a description, so nothing else
// needs to know. The form's MAX_NUM_FORMS is respected.
(function () {
  function setup(box) {
    var prefix = box.dataset.formset;
    var total = box.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var max = box.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var rows = box.querySelector("[data-formset-rows]");
    var template = box.querySelector("template[data-formset-empty]");
    var add = box.querySelector("[data-formset-add]");
    if (!total || !rows || !template || !add) return;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { add.disabled = true; return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild.querySelector("textarea, input:not([type=hidden]), select");
      if (first) first.focus();
    });
    box.addEventListener("click", function (event) {
      var button = event.target.closest("[data-formset-remove]");
      if (!button) return;
      var row = button.closest("[data-formset-row]");
      row.querySelectorAll("input:not([type=hidden]), textarea").forEach(function (field) {
        field.value = "";
      });
      row.hidden = true;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-formset]").forEach(setup);
  });
})();
