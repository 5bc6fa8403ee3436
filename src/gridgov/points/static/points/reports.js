// Points report charts (ECharts, served locally). Labels come shortened from the server (`label`, the
// full name in the tooltip); the grid contains its labels and they rotate only when they would not fit,
// so nothing overlaps at phone width.
(function () {
  if (!window.echarts) return;
  // The data URL comes on this script's own tag (no inline script: the pages' CSP allows none).
  var REPORT_URL = document.currentScript.dataset.url;
  var query = JSON.parse(document.getElementById("report-query").textContent);
  var labels = JSON.parse(document.getElementById("report-labels").textContent);
  var params = new URLSearchParams({ start: query.start, end: query.end });
  var charts = [];

  function bar(id, rows, series) {
    var el = document.getElementById(id);
    if (!el) return;
    if (!rows.length) {
      el.style.height = "auto";
      el.innerHTML = '<p class="muted empty-chart">' + labels.empty + "</p>";
      return;
    }
    var narrow = el.clientWidth < 560;
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var row = rows[items[0].dataIndex];
          return [row.name].concat(items.map(function (i) { return i.marker + i.seriesName + ": " + i.value; })).join("<br>");
        }
      },
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: rows.map(function (r) { return r.label; }),
        axisLabel: { interval: 0, rotate: narrow || rows.length > 8 ? 45 : 0, fontSize: narrow ? 10 : 12, hideOverlap: true }
      },
      yAxis: { type: "value" },
      series: series.map(function (s) { s.barMaxWidth = 36; return s; })
    });
    charts.push(chart);
  }

  fetch(REPORT_URL + "?" + params.toString(), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (d) {
      bar("by-area", d.by_area, [
        { name: labels.issued, type: "bar", data: d.by_area.map(function (a) { return a.issued; }) },
        { name: labels.redeemed, type: "bar", data: d.by_area.map(function (a) { return a.redeemed; }) }
      ]);
      bar("top", d.top_volunteers, [
        { name: labels.hours, type: "bar", data: d.top_volunteers.map(function (a) { return a.hours; }) }
      ]);
      bar("by-scenario", d.by_scenario, [
        { name: labels.count, type: "bar", data: d.by_scenario.map(function (a) { return a.count; }) }
      ]);
    });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
