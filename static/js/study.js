// The spaced-review forecast bar charts (<canvas data-study-chart="forecast" data-source=id>).
// The numbers are also in a table next to each chart.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-study-chart='forecast']").forEach(function (canvas) {
    const source = document.getElementById(canvas.dataset.source);
    if (!source) return;
    const d = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: [
        { label: "Cards due", data: d.counts, backgroundColor: "#0d6efd" },
      ] },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  });
})();
