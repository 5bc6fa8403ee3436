(function () {
  var el = document.getElementById("ranking-chart");
  var data = JSON.parse(document.getElementById("ranking-data").textContent);
  if (!el || !window.echarts) return;
  var chart = echarts.init(el);
  var series = ["party", "professional", "satisfaction"].map(function (key) {
    return { name: el.dataset[key], type: "bar", data: data[key] };
  });
  series.push({ name: el.dataset.total, type: "line", data: data.total });
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: {},
    grid: { left: 40, right: 20, bottom: 90 },
    xAxis: { type: "category", data: data.names, axisLabel: { rotate: 40 } },
    yAxis: { type: "value", min: 0, max: 100 },
    series: series,
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
