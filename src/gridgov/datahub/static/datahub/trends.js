/* Findings per run, one stacked bar per rule (the data is the page's json_script "trend-data"). */
(function () {
  function draw() {
    var el = document.getElementById("trend-chart");
    var src = document.getElementById("trend-data");
    if (!el || !src || !window.echarts) return;
    var data = JSON.parse(src.textContent);
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 60 },
      xAxis: { type: "category", data: data.runs },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "all", data: s.data };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
