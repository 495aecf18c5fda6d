// "Add option" for the question form's option formset: clone the template row and bump
// TOTAL_FORMS so Django sees the new row.
(function () {
  // After a failed save, start at the error summary so every problem is read out and each
  // link leads to its field.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  const button = document.getElementById("add-option");
  if (!button) return;
  const prefix = button.dataset.prefix;
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const max = document.getElementById(`id_${prefix}-MAX_NUM_FORMS`);
  const container = document.getElementById("option-forms");
  const template = document.getElementById("option-template");
  button.addEventListener("click", function () {
    const index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) {
      button.disabled = true;
      return;
    }
    const html = template.innerHTML
      .replaceAll("__prefix__", String(index))
      .replaceAll("__num__", String(index + 1));
    container.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    document.getElementById(`id_${prefix}-${index}-text`).focus();
  });
})();
