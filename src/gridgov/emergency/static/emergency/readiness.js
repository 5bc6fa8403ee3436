/* The readiness map: each community's own area shape (its polygon from the area tree, as the coverage map
   draws areas), coloured by staffed / required (%), with a legend; communities without a polygon are points. */
(function () {
  function draw() {
    var el = document.getElementById("readiness-map");
    var src = document.getElementById("readiness-data");
    if (!el || !src || !window.echarts) return;
    var data = JSON.parse(src.textContent);
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    var shortLabel = el.dataset.labelShort || "short";
    var visualMap = {
      type: "piecewise", orient: "horizontal", left: "center", bottom: 0,
      pieces: [
        { gte: 100, label: el.dataset.labelFull || "100%", color: "#12b76a" },
        { gte: 60, lt: 100, label: el.dataset.labelMid || "60-99%", color: "#f79009" },
        { lt: 60, label: el.dataset.labelLow || "<60%", color: "#d92d20" }
      ]
    };
    var option;
    if (data.polygons) {
      echarts.registerMap("gridgov-readiness", data.geojson);
      visualMap.seriesIndex = 0;
      var series = [{ type: "map", geoIndex: 0, data: data.data }];
      if (data.points.length) {
        series.push({ type: "scatter", coordinateSystem: "geo", symbolSize: 10, data: data.points });
      }
      option = {
        animation: false,
        tooltip: { formatter: function (p) {
          var d = p.data || {};
          return (d.label || d.name || "") + "<br>" + (Array.isArray(d.value) ? d.value[2] : d.value) +
            "%(" + shortLabel + " " + (d.short || 0) + ")";
        } },
        geo: { map: "gridgov-readiness", roam: true, aspectScale: 1,
          itemStyle: { borderColor: "#fff", borderWidth: 1, areaColor: "#eee" },
          label: { show: false }, emphasis: { label: { show: false } } },
        visualMap: visualMap,
        series: series
      };
    } else {
      visualMap.dimension = 2;
      option = {
        tooltip: { formatter: function (p) { return p.data.name + "<br>" + p.data.value[2] + "%(" + shortLabel + " " + p.data.short + ")"; } },
        xAxis: { type: "value", show: false, scale: true },
        yAxis: { type: "value", show: false, scale: true },
        visualMap: visualMap,
        grid: { left: 10, right: 10, top: 10, bottom: 50 },
        series: [{ type: "scatter", symbolSize: 14, data: data.data }]
      };
    }
    chart.setOption(option);
    el.setAttribute("data-ready", "1");
  }
  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () {
    var el = document.getElementById("readiness-map");
    if (el && window.echarts && echarts.getInstanceByDom(el)) echarts.getInstanceByDom(el).resize();
  });
})();
