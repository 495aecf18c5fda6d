// Follow the system's light or dark preference with Bootstrap 5.3's colour modes.
// Loaded as a blocking script at the top of exam pages, so the page paints once, in the right
// mode, and follows a change of the system setting while open.
(function () {
  "use strict";
  const query = window.matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    document.documentElement.setAttribute("data-bs-theme", query.matches ? "dark" : "light");
  }
  apply();
  query.addEventListener("change", apply);
})();
