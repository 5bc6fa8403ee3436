// The 10-minute circle map: area polygons, covered/uncovered buildings and positions (ECharts, local).
(function () {
  var el = document.getElementById("coverage-map");
  if (!el || !window.echarts) return;
  var chart = echarts.init(el);
  chart.showLoading();
  fetch(el.dataset.url, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      chart.hideLoading();
      echarts.registerMap("gridgov-area", data.geojson);
      var symbols = { centre: "diamond", red_station: "pin", outdoor_station: "triangle", square: "rect" };
      var colours = { centre: "#c0392b", red_station: "#e74c3c", outdoor_station: "#d35400", square: "#8e44ad" };
      var series = [
        { name: el.dataset.coveredLabel || "covered", id: "covered", type: "scatter", coordinateSystem: "geo",
          data: data.covered, symbolSize: 4, itemStyle: { color: "#27ae60" }, large: true },
        { name: el.dataset.uncoveredLabel || "uncovered", id: "uncovered", type: "scatter", coordinateSystem: "geo",
          data: data.uncovered, symbolSize: 5, itemStyle: { color: "#e67e22" }, large: true }
      ];
      Object.keys(data.facilities).forEach(function (kind) {
        series.push({ name: data.kinds[kind], id: kind, type: "scatter", coordinateSystem: "geo",
          data: data.facilities[kind], symbol: symbols[kind] || "circle", symbolSize: kind === "centre" ? 12 : 8,
          itemStyle: { color: colours[kind] || "#c0392b" } });
      });
      chart.setOption({
        animation: false,
        tooltip: { trigger: "item", formatter: function (p) {
          var v = p.value || []; return v.length > 3 && typeof v[2] !== "string" ? (v[3] + " · " + (v[2] === null ? "—" : v[2] + " min")) : (v[2] || p.name);
        } },
        legend: { top: 0, data: series.map(function (s) { return s.name; }) },
        geo: { map: "gridgov-area", roam: true, aspectScale: 1, silent: true,
          itemStyle: { areaColor: "#fafafa", borderColor: "#bbb" }, emphasis: { disabled: true } },
        series: series
      });
      el.setAttribute("data-ready", "1");
    })
    .catch(function () { chart.hideLoading(); el.setAttribute("data-error", "1"); });
  window.addEventListener("resize", function () { chart.resize(); });
})();
