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

  /* A table's figures counted after the page (data-report-deferred: a fragment whose
     out-of-band cells replace the "counting…" ones, data-pending). When its request fails
     (a server error, no network, a timeout, or an answer that fills no cell, such as the
     sign-in page after the session ended) the cells say so and a button asks again. */
  function box(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.matches && elt.matches("[data-report-deferred]") ? elt : null;
  }

  function pending(deferred) {
    var section = deferred.closest("section") || document;
    return section.querySelectorAll("[data-pending]");
  }

  function mark(deferred, failed) {
    pending(deferred).forEach(function (cell) {
      cell.textContent = failed ? deferred.dataset.failed : deferred.dataset.counting;
      cell.classList.toggle("text-danger", failed);
      cell.classList.toggle("text-body-secondary", !failed);
    });
    deferred.querySelector('[role="alert"]').hidden = !failed;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var deferred = box(event);
    if (deferred) mark(deferred, false);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var deferred = box(event);
    if (!deferred) return;
    var answered = event.detail.successful;
    // The out-of-band cells are swapped before this event; let the swap finish all the same.
    window.setTimeout(function () {
      if (!answered || pending(deferred).length) mark(deferred, true);
    }, 0);
  });
  document.addEventListener("click", function (event) {
    var retry = event.target.closest && event.target.closest("[data-report-retry]");
    if (!retry || typeof htmx === "undefined") return;
    htmx.trigger(retry.closest("[data-report-deferred]"), "report-retry");
  });
})();
