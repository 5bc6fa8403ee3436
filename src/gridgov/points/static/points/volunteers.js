// Volunteer services by month (ECharts, served locally); the table below the chart carries the same figures.
(function () {
  var el = document.getElementById("volunteer-months");
  if (!window.echarts || !el) return;
  var data = JSON.parse(document.getElementById("volunteer-chart-data").textContent);
  if (!data.months.length) { el.style.height = "auto"; return; }
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.months, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value" },
    series: [{ name: data.label, type: "bar", barMaxWidth: 36, data: data.counts }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
