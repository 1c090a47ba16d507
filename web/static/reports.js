// Draws each report table's chart from its data-chart attribute with the vendored Chart.js: right-to-left
// legends, tooltips and axes on Persian pages, the reader's digits, and colours that keep their contrast on white.
(function () {
  "use strict";
  var BAR = "#0a58ca";  // 6.4:1 on white
  var LINE = "#b02a37";  // 6.2:1 on white
  var GUIDE = "#495057";

  function draw(canvas) {
    var data = JSON.parse(canvas.getAttribute("data-chart"));
    var numbers = new Intl.NumberFormat(data.locale === "fa" ? "fa-IR" : data.locale);
    var datasets = [{
      type: data.type === "line" ? "line" : "bar",
      label: data.label,
      data: data.values,
      backgroundColor: BAR,
      borderColor: BAR,
      yAxisID: "y",
      order: 2
    }];
    var scales = {
      x: {reverse: data.rtl, ticks: {autoSkip: true, maxRotation: 60}},
      y: {beginAtZero: true, position: data.rtl ? "right" : "left", ticks: {precision: 0, callback: function (v) { return numbers.format(v); }}}
    };
    if (data.type === "pareto") {
      datasets.push({type: "line", label: data.running_label, data: data.running, borderColor: LINE, backgroundColor: LINE, yAxisID: "share", order: 1});
      datasets.push({type: "line", label: data.line_label, data: data.values.map(function () { return 80; }), borderColor: GUIDE, borderDash: [6, 4], pointRadius: 0, yAxisID: "share", order: 0});
      scales.share = {min: 0, max: 100, position: data.rtl ? "left" : "right", grid: {drawOnChartArea: false}, ticks: {callback: function (v) { return numbers.format(v) + "%"; }}};
    }
    new window.Chart(canvas, {
      data: {labels: data.labels, datasets: datasets},
      options: {
        animation: false,
        maintainAspectRatio: false,
        locale: data.locale === "fa" ? "fa-IR" : data.locale,
        plugins: {
          legend: {rtl: data.rtl, textDirection: data.rtl ? "rtl" : "ltr", display: datasets.length > 1},
          tooltip: {rtl: data.rtl, textDirection: data.rtl ? "rtl" : "ltr"}
        },
        scales: scales
      }
    });
  }

  function drawAll() {
    if (!window.Chart) { return; }
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
