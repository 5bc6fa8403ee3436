/* The readiness map: each community at its plane position, coloured by staffed / required (%). */
(function () {
  function draw() {
    var el = document.getElementById("readiness-map");
    var src = document.getElementById("readiness-data");
    if (!el || !src || !window.echarts) return;
    var data = JSON.parse(src.textContent);
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    chart.setOption({
      tooltip: {
        formatter: function (p) { return p.data.name + "<br>" + p.data.value[2] + "%(缺 " + p.data.short + ")"; }
      },
      xAxis: { type: "value", show: false, scale: true },
      yAxis: { type: "value", show: false, scale: true },
      visualMap: { min: 0, max: 100, dimension: 2, orient: "horizontal", left: "center", bottom: 0,
                   text: ["100%", "0%"], inRange: { color: ["#d92d20", "#f79009", "#12b76a"] } },
      grid: { left: 10, right: 10, top: 10, bottom: 50 },
      series: [{ type: "scatter", symbolSize: 14, data: data }]
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () {
    var el = document.getElementById("readiness-map");
    if (el && window.echarts && echarts.getInstanceByDom(el)) echarts.getInstanceByDom(el).resize();
  });
})();
