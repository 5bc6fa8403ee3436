// Bar chart of residents per child area on the drill-down page (ECharts, served locally).
(function () {
  var el = document.getElementById("chart");
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!el || !window.echarts) return;
  var chart = echarts.init(el);
  // Children share their parent's name as a prefix (春晖社区第1网格, 春晖社区第2网格…): drop it, keep labels
  // short, and let the grid make room for them, so they do not overlap on a phone (points owner, issue 10).
  var prefix = data.names.length > 1 ? data.names.reduce(function (p, n) {
    while (p && n.indexOf(p) !== 0) p = p.slice(0, -1);
    return p;
  }) : "";
  // only a whole parent name (…社区, …街道, …区): 春晖社区第1网格 and 春晖社区第12网格 keep "第"
  var end = Math.max(prefix.lastIndexOf("区"), prefix.lastIndexOf("道"), prefix.lastIndexOf("镇"),
    prefix.lastIndexOf("乡"), prefix.lastIndexOf("村"), prefix.lastIndexOf("格"), prefix.lastIndexOf("县"));
  prefix = prefix.slice(0, end + 1);
  var narrow = el.clientWidth < 560;
  chart.setOption({
    grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
    tooltip: { trigger: "axis" },
    xAxis: {
      type: "category",
      data: data.names,
      axisLabel: {
        rotate: 45,
        interval: 0,
        hideOverlap: true,
        fontSize: narrow ? 10 : 12,
        formatter: function (name) {
          var s = name.length > prefix.length ? name.slice(prefix.length) : name;
          return s.length > 8 ? s.slice(0, 7) + "…" : s;
        }
      }
    },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: data.values, itemStyle: { color: "#c0392b" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
