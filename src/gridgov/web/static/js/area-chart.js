// Bar chart of residents per child area on the drill-down page (ECharts, served locally).
(function () {
  var el = document.getElementById("chart");
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!el || !window.echarts) return;
  var chart = echarts.init(el);
  chart.setOption({
    grid: { left: 48, right: 16, top: 16, bottom: 80 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.names, axisLabel: { rotate: 45, interval: 0 } },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: data.values, itemStyle: { color: "#c0392b" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
