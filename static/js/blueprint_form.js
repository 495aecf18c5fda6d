// A new blueprint asks "How sure are you?" in practice sets and drills, not in the exam-day
// simulation: the box follows the mode until the author ticks or unticks it themselves.
(function () {
  "use strict";
  const mode = document.getElementById("id_mode");
  const box = document.getElementById("id_ask_confidence");
  if (!mode || !box) return;
  let touched = false;
  box.addEventListener("change", function () { touched = true; });
  mode.addEventListener("change", function () {
    if (!touched) box.checked = mode.value !== "exam";
  });
})();
