// Draws the chart the server chose for an answer (chart-data: type, labels, values).
(function () {
  "use strict";
  var data = document.getElementById("chart-data");
  var canvas = document.getElementById("chart");
  if (!data || !canvas || !window.Chart) return;
  var spec = JSON.parse(data.textContent);
  var rtl = document.documentElement.dir === "rtl";
  new Chart(canvas, {
    type: spec.type,
    data: {
      labels: spec.labels,
      datasets: [{ label: spec.value, data: spec.values, backgroundColor: "#2b6cb0", borderColor: "#2b6cb0" }],
    },
    options: {
      animation: false,
      responsive: true,
      plugins: { legend: { rtl: rtl } },
      scales: { x: { reverse: rtl } },
    },
  });
  canvas.dataset.drawn = "true";
})();
