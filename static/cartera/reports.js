/* Draws each report table's chart from the figures the page embeds (the same numbers as
   the table under it). Needs chart.js (static/vendor/chartjs), loaded before this file. */
(function () {
  "use strict";
  // Twelve colours told apart side by side: a chart of the claims' open statuses draws ten series.
  var palette = [
    "#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d", "#ffc107",
    "#d63384", "#0dcaf0", "#6610f2", "#795548"
  ];

  function draw(source) {
    var canvas = document.getElementById("chart-" + source.id.slice("chart-data-".length));
    if (!canvas || canvas.dataset.drawn || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var percent = spec.datasets.every(function (d) { return d.percent; });
    // A count axis has whole-number ticks only (no "0.5 claims").
    var counts = spec.datasets.every(function (d) { return d.integer; });
    var ticks = percent ? { callback: function (v) { return v + " %"; } } : {};
    if (counts) ticks.precision = 0;
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d, i) {
          return {
            label: d.label, data: d.data, borderWidth: 2,
            backgroundColor: palette[i % palette.length] + (spec.type === "line" ? "33" : "cc"),
            borderColor: palette[i % palette.length], tension: 0.2, spanGaps: true
          };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: ticks } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  function drawAll() {
    document.querySelectorAll('script[type="application/json"][id^="chart-data-"]').forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
