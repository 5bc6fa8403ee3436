/* The live board's chart: stacked bars per community and group, re-drawn after each htmx refresh. */
(function () {
  function draw() {
    var el = document.getElementById("board-chart");
    var src = document.getElementById("board-data");
    if (!el || !src || !window.echarts) return;
    var data = JSON.parse(src.textContent);
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 10, bottom: 90, top: 30 },
      xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 45, interval: 0, fontSize: 10 } },
      yAxis: { type: "value", minInterval: 1 },
      color: ["#12b76a", "#f79009", "#d92d20"],
      series: data.series.map(function (s) { return { name: s.name, type: "bar", stack: "n", data: s.data }; })
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSwap", draw);
  window.addEventListener("resize", function () {
    var el = document.getElementById("board-chart");
    if (el && window.echarts && echarts.getInstanceByDom(el)) echarts.getInstanceByDom(el).resize();
  });
})();
