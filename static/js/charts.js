// Render the Chart.js charts described by <canvas data-chart="..."> and a JSON data island.
// Every chart also has its numbers in a table next to it (for screen readers and printing).
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  // No animation: the numbers appear at once (and respect people who prefer less motion).
  Chart.defaults.animation = false;
  const palette = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997"];

  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function refLine(value, count, label) {
    // The plugin below draws it; a line dataset alone needs two points, so one attempt
    // would show no passing line at all.
    return { label: label, data: Array(count).fill(value), borderColor: "#6c757d",
      borderDash: [6, 4], pointRadius: 0, fill: false, showLine: false, refValue: value };
  }

  // Draw each reference line (a dataset with refValue) across the whole plot area.
  Chart.register({
    id: "refLines",
    afterDatasetsDraw: function (chart) {
      const area = chart.chartArea;
      const y = chart.scales.y;
      chart.data.datasets.forEach(function (set, i) {
        if (set.refValue === undefined || !y || !chart.isDatasetVisible(i)) return;
        const ctx = chart.ctx;
        const py = Math.round(y.getPixelForValue(set.refValue));
        ctx.save();
        ctx.strokeStyle = set.borderColor;
        ctx.lineWidth = 2;
        ctx.setLineDash(set.borderDash || []);
        ctx.beginPath();
        ctx.moveTo(area.left, py);
        ctx.lineTo(area.right, py);
        ctx.stroke();
        ctx.restore();
      });
    },
  });

  const builders = {
    "score-history": function (d) {
      return { type: "line", data: { labels: d.labels, datasets: [
        { label: "Scaled score", data: d.scores, borderColor: palette[0], tension: 0.2,
          spanGaps: true },
        refLine(720, d.labels.length, "Passing score 720"),
      ] }, options: { scales: { x: { offset: true }, y: { min: 100, max: 1000 } } } };
    },
    "domain-history": function (d) {
      const sets = Object.keys(d.domains).map(function (name, i) {
        const points = Array(d.labels.length).fill(null);
        d.domains[name].forEach(function (p) { points[p[0]] = p[1]; });
        return { label: name, data: points, borderColor: palette[i % palette.length],
          spanGaps: true, tension: 0.2 };
      });
      sets.push(refLine(72, d.labels.length, "72% line"));
      return { type: "line", data: { labels: d.labels, datasets: sets },
        options: { scales: { x: { offset: true }, y: { min: 0, max: 100 } } } };
    },
    "histogram": function (d) {
      return { type: "bar", data: { labels: d.histogram.labels, datasets: [
        { label: "Attempts", data: d.histogram.values, backgroundColor: palette[0] },
      ] }, options: { scales: {
        // Attempts are counted: whole numbers only on the axis, never 0.5 of an attempt.
        y: { beginAtZero: true, ticks: { precision: 0 },
          title: { display: true, text: "Attempts" } },
        x: { title: { display: true, text: "Scaled score" } },
      } } };
    },
    "confidence-trend": function (d) {
      return { type: "line", data: { labels: d.labels, datasets: [
        { label: "Sure answers right (%)", data: d.sure, borderColor: palette[2], tension: 0.2,
          spanGaps: true },
      ] }, options: { scales: { x: { offset: true }, y: { min: 0, max: 100 } } } };
    },
    "trend": function (d) {
      return { type: "line", data: { labels: d.trend.labels, datasets: [
        { label: "Mean scaled score", data: d.trend.values, borderColor: palette[2] },
        refLine(d.passing, d.trend.labels.length, "Passing score"),
      ] }, options: { scales: { y: { min: 100, max: 1000 } } } };
    },
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const d = data(canvas.dataset.source);
    const build = builders[canvas.dataset.chart];
    if (d && build) new Chart(canvas, Object.assign({ options: {} }, build(d)));
  });
})();
