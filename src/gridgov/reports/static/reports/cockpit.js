/* 数据大屏: draws what GET /api/reports/cockpit/ returns — headline tiles, the children's map coloured by one
   indicator (drill down on click), their ranking, the month-by-month trends and the red/yellow list — and
   fetches it again every minute without reloading the page. Every number is the endpoint's, as written by
   core.indicators.format_value; the script only lays them out (docs/reports.md). */
(function () {
  "use strict";
  var root = document.getElementById("cockpit");
  if (!root || !window.echarts) return;
  var L = JSON.parse(document.getElementById("cockpit-labels").textContent);
  var $ = function (sel) { return root.querySelector(sel); };
  var state = { area: root.dataset.area, period: root.dataset.period || "", code: root.dataset.code || "" };
  var current = null;      // the last payload drawn
  var busy = false;
  var loads = 0;
  var trendCode = "";  // the indicator the trend chart shows (kept across refreshes)
  var keepError = !$("[data-testid=error]").hidden;  // the page's own refusal (a bad period) stays shown once
  var charts = {
    map: echarts.init(document.getElementById("ck-map-chart"), "dark"),
    rank: echarts.init(document.getElementById("ck-rank-chart"), "dark"),
    trend: echarts.init(document.getElementById("ck-trend-chart"), "dark")
  };

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function key(code) { return "ck-" + code; }
  function num(value) { return value === null || value === undefined ? "" : String(value); }

  // --- loading --------------------------------------------------------------------------------------
  function query(s) {
    var q = new URLSearchParams();
    q.set("area", s.area);
    if (s.period) q.set("period", s.period);
    if (s.code) q.set("code", s.code);
    return q.toString();
  }

  function load(next, push) {
    if (busy) return;
    busy = true;
    fetch(root.dataset.url + "?" + query(next), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (res) {
        busy = false;
        if (!res.ok) { showError(res.body && res.body.detail ? res.body.detail : L.error, res.body); return; }
        state = { area: String(res.body.area.id), period: res.body.period, code: res.body.code };
        if (push) history.pushState(state, "", location.pathname + "?" + query(state));
        else history.replaceState(state, "", location.pathname + "?" + query(state));
        draw(res.body);
      })
      .catch(function () { busy = false; showError(L.error); });
  }

  function showError(text, body) {
    var box = $("[data-testid=error]");
    var detail = text;
    if (body && typeof body === "object" && !body.detail) {
      detail = Object.keys(body).map(function (k) { return [].concat(body[k]).join(" "); }).join(";") || L.error;
    }
    box.textContent = detail;
    box.hidden = false;
  }

  // --- drawing --------------------------------------------------------------------------------------
  function draw(data) {
    current = data;
    loads += 1;
    if (!keepError) $("[data-testid=error]").hidden = true;
    keepError = false;
    document.title = document.title.replace(/·[^·]*·/, "· " + data.area.name + " ·");
    $("[data-testid=area-name]").textContent = data.area.name;
    $("[data-testid=back]").setAttribute("href", $("[data-testid=back]").getAttribute("href").split("?")[0] + "?area=" + data.area.id + (data.period ? "&period=" + data.period : ""));
    $("[data-testid=period]").value = data.period || "";
    drawCrumbs(data);
    drawComputed(data);
    drawTiles(data);
    drawSelect(data);
    drawTotal(data);
    drawMap(data);
    drawRanking(data);
    drawAlerts(data);
    drawTrend(data);
    root.setAttribute("data-loads", String(loads));
    root.setAttribute("data-ready", "1");
  }

  function drawCrumbs(data) {
    var nav = clear($("[data-testid=crumbs]"));
    data.crumbs.forEach(function (c, i) {
      if (i) nav.appendChild(document.createTextNode(" › "));
      if (String(c.id) === String(data.area.id)) {
        nav.appendChild(el("span", { "aria-current": "page" }, c.name));
      } else {
        var a = el("a", { href: "?" + query({ area: c.id, period: data.period, code: data.code }), "data-area": c.id }, c.name);
        a.addEventListener("click", function (e) { e.preventDefault(); drill(c.id); });
        nav.appendChild(a);
      }
    });
  }

  function drawComputed(data) {
    var text = data.computed_at ? L.computed + " " + data.computed_at.slice(0, 16).replace("T", " ") : L.live;
    if (data.stale) text += " · " + L.stale;
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    text += " · " + L.refreshed + " " + pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    $("[data-testid=computed]").textContent = text;
  }

  function additiveTotal(data, code) {
    return data.total && data.total.code === code && data.total.additive && data.children.length > 0;
  }

  function drawTiles(data) {
    var box = clear($("[data-testid=tiles]"));
    data.tiles.forEach(function (t) {
      var tile = el("div", {
        "class": "ck-tile" + (t.code === data.code ? " is-chosen" : "") + (t.breaks_down ? " can-pick" : ""),
        "data-code": t.code,
        "data-total": additiveTotal(data, t.code) ? key(t.code) : null,
        role: t.breaks_down ? "button" : null,
        tabindex: t.breaks_down ? "0" : null
      });
      tile.appendChild(el("span", { "class": "ck-tile-label" }, t.label));
      var line = el("span", { "class": "ck-tile-line" });
      line.appendChild(el("span", { "class": "value", "data-value": num(t.value) }, t.text));
      line.appendChild(el("span", { "class": "ck-unit" }, t.unit));
      tile.appendChild(line);
      if (t.note) tile.appendChild(el("small", { "class": "ck-tile-note" }, t.note));
      if (t.breaks_down) {
        var pick = function () { choose(t.code); };
        tile.addEventListener("click", pick);
        tile.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
      }
      box.appendChild(tile);
    });
  }

  function drawSelect(data) {
    var select = clear($("[data-testid=indicator]"));
    data.indicators.forEach(function (i) {
      var option = el("option", { value: i.code }, i.label + "(" + i.unit + ")");
      if (i.code === data.code) option.selected = true;
      select.appendChild(option);
    });
    select.disabled = !data.indicators.length;
  }

  function chosenLabel(data) {
    var t = data.total;
    return t ? t.label : "";
  }

  function drawTotal(data) {
    var box = clear($("[data-testid=map-total]"));
    var note = $("[data-testid=map-note]");
    var t = data.total;
    $("#ck-map-title").textContent = t ? fill(L.map, { level: data.child_level_label, indicator: t.label }) : L.no_children;
    if (!t) { note.textContent = ""; return; }
    var wrap = el("span", { "data-total": additiveTotal(data, t.code) ? key(t.code) : null, "data-code": t.code });
    wrap.appendChild(document.createTextNode(data.area.name + " " + L.total + " "));
    wrap.appendChild(el("strong", { "class": "value", "data-value": num(t.value) }, t.text));
    wrap.appendChild(document.createTextNode(" " + t.unit));
    box.appendChild(wrap);
    if (t.additive) {
      box.appendChild(document.createTextNode(" = " + fill(L.parts_sum, { level: data.child_level_label }) + " " + t.parts_text));
    } else {
      box.appendChild(document.createTextNode(" · " + L.not_additive + ":" + t.counts_by));
    }
    var missing = data.children.filter(function (c) { return !c.has_geometry; }).length;
    note.textContent = missing ? fill(L.no_geometry, { n: missing }) : "";
  }

  function byId(data, id) {
    for (var i = 0; i < data.children.length; i++) if (String(data.children[i].id) === String(id)) return data.children[i];
    return null;
  }

  function drawMap(data) {
    var chart = charts.map;
    var features = data.geojson.features || [];
    if (!features.length) {
      chart.clear();
      chart.setOption({ title: { text: data.children.length ? "" : L.no_children, left: "center", top: "middle", textStyle: { color: "#7f93b2", fontSize: 16 } } });
      return;
    }
    var mapName = "gridgov-cockpit-" + data.area.id;
    echarts.registerMap(mapName, data.geojson);
    var values = data.children.filter(function (c) { return c.has_geometry && c.value !== null; }).map(function (c) { return c.value; });
    var min = values.length ? Math.min.apply(null, values) : 0;
    var max = values.length ? Math.max.apply(null, values) : 1;
    if (max === min) max = min + 1;
    chart.clear();
    chart.setOption({
      backgroundColor: "transparent",
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var c = byId(data, p.name);
          if (!c) return "";
          return c.name + "<br>" + chosenLabel(data) + ":" + c.text + (data.total ? " " + data.total.unit : "") + (c.drill ? "<br>" + L.drill : "");
        }
      },
      visualMap: {
        type: "continuous", min: min, max: max, calculable: false, orient: "vertical", left: 8, bottom: 8,
        itemHeight: 90, textStyle: { color: "#b8c7e0" }, inRange: { color: ["#12355b", "#1f6fb2", "#3fb8f0", "#ffd166"] }
      },
      series: [{
        type: "map", map: mapName, aspectScale: 1, roam: true, selectedMode: false,
        label: { show: features.length <= 40, color: "#e6f1ff", fontSize: 11, formatter: function (p) { var c = byId(data, p.name); return c ? c.name : ""; } },
        itemStyle: { borderColor: "#0b1a33", borderWidth: 1, areaColor: "#22344f" },
        emphasis: { itemStyle: { areaColor: "#ff8a65" }, label: { show: true, color: "#fff" } },
        data: data.children.filter(function (c) { return c.has_geometry; }).map(function (c) {
          return { name: String(c.id), value: c.value };
        })
      }]
    });
    root.setAttribute("data-map-features", String(features.length));
  }

  function drawRanking(data) {
    var list = clear($("[data-testid=ranking]"));
    var t = data.total;
    $("#ck-rank-title").textContent = t ? fill(L.ranking, { level: data.child_level_label, indicator: t.label }) : L.no_children;
    var partOf = t && additiveTotal(data, t.code) ? key(t.code) : null;
    data.children.forEach(function (c, i) {
      var item = el("li", { "data-area": c.id });
      var name = c.drill ? el("a", { href: "?" + query({ area: c.id, period: data.period, code: data.code }) }, c.name) : el("span", {}, c.name);
      if (c.drill) name.addEventListener("click", function (e) { e.preventDefault(); drill(c.id); });
      item.appendChild(el("span", { "class": "ck-rank-no" }, String(i + 1)));
      item.appendChild(name);
      item.appendChild(el("span", { "class": "ck-rank-value", "data-part-of": partOf, "data-value": num(c.value) }, c.text));
      list.appendChild(item);
    });
    var chart = charts.rank;
    chart.clear();
    if (!data.children.length) return;
    var shown = data.children.slice(0, 30).reverse();  // largest at the top
    chart.setOption({
      backgroundColor: "transparent",
      animation: false,
      grid: { left: 8, right: 48, top: 6, bottom: 6, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: function (ps) {
        var c = shown[ps[0].dataIndex]; return c.name + ":" + c.text + (t ? " " + t.unit : "");
      } },
      xAxis: { type: "value", splitLine: { lineStyle: { color: "#1d2f4d" } }, axisLabel: { color: "#7f93b2" } },
      yAxis: { type: "category", data: shown.map(function (c) { return c.name; }), axisLabel: { color: "#b8c7e0", fontSize: 11 } },
      series: [{
        type: "bar", barMaxWidth: 14, cursor: "pointer",
        data: shown.map(function (c) { return c.value; }),
        itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: "#1f6fb2" }, { offset: 1, color: "#3fb8f0" }]) },
        label: { show: true, position: "right", color: "#e6f1ff", fontSize: 11, formatter: function (p) { return shown[p.dataIndex].text; } }
      }]
    });
    chart.off("click");
    chart.on("click", function (p) { var c = shown[p.dataIndex]; if (c && c.drill) drill(c.id); });
  }

  function drawAlerts(data) {
    var red = clear($("[data-testid=red]"));
    var yellow = clear($("[data-testid=yellow]"));
    data.alerts.red.forEach(function (a) {
      var item = el("li", { "data-code": a.code });
      item.appendChild(el("span", { "class": "ck-alert-label" }, a.label));
      item.appendChild(el("strong", { "class": "ck-alert-value" }, a.text + " " + a.unit));
      item.appendChild(el("small", {}, L.target + " " + (a.higher_is_better === false ? L.at_most : L.at_least) + " " + a.target_text));
      red.appendChild(item);
    });
    if (!data.alerts.red.length) red.appendChild(el("li", { "class": "ck-empty" }, L.red_empty));
    data.alerts.yellow.forEach(function (a) {
      var item = el("li", { "data-code": a.code });
      item.appendChild(el("span", { "class": "ck-alert-label" }, a.label));
      item.appendChild(el("strong", { "class": "ck-alert-value" }, a.text + " " + a.unit));
      if (a.where.length) {
        var where = el("small", {}, L.where + ":");
        a.where.forEach(function (w, i) {
          if (i) where.appendChild(document.createTextNode("、"));
          var c = byId(data, w.id);
          if (c && c.drill) {
            var link = el("a", { href: "?" + query({ area: w.id, period: data.period, code: data.code }) }, w.name + " " + w.text);
            link.addEventListener("click", function (e) { e.preventDefault(); drill(w.id); });
            where.appendChild(link);
          } else {
            where.appendChild(document.createTextNode(w.name + " " + w.text));
          }
        });
        item.appendChild(where);
      }
      yellow.appendChild(item);
    });
    if (!data.alerts.yellow.length) yellow.appendChild(el("li", { "class": "ck-empty" }, L.yellow_empty));
  }

  function drawTrend(data) {
    var chart = charts.trend;
    var series = data.trends.series;
    var select = clear($("[data-testid=trend-indicator]"));
    chart.clear();
    select.disabled = !series.length;
    if (!series.length) {
      chart.setOption({ title: { text: L.trend_empty, left: "center", top: "middle", textStyle: { color: "#7f93b2", fontSize: 14 } } });
      return;
    }
    var codes = series.map(function (s) { return s.code; });
    if (codes.indexOf(trendCode) < 0) trendCode = codes.indexOf(data.code) >= 0 ? data.code : codes[0];
    series.forEach(function (s) {
      var option = el("option", { value: s.code }, s.label + "(" + s.unit + ")");
      if (s.code === trendCode) option.selected = true;
      select.appendChild(option);
    });
    var s = series[codes.indexOf(trendCode)];
    chart.setOption({
      backgroundColor: "transparent",
      animation: false,
      grid: { left: 8, right: 24, top: 34, bottom: 4, containLabel: true },
      tooltip: { trigger: "axis", formatter: function (ps) {
        var p = ps[0]; return p.axisValue + "<br>" + s.label + ":" + s.texts[p.dataIndex] + " " + s.unit;
      } },
      xAxis: { type: "category", data: data.trends.months, boundaryGap: false, axisLabel: { color: "#7f93b2" } },
      yAxis: { type: "value", name: s.unit, nameTextStyle: { color: "#7f93b2" }, splitLine: { lineStyle: { color: "#1d2f4d" } }, axisLabel: { color: "#7f93b2" } },
      series: [{
        name: s.label, type: "line", smooth: true, symbolSize: 6, data: s.values,
        lineStyle: { color: "#3fb8f0", width: 2 }, itemStyle: { color: "#ffd166" },
        areaStyle: { color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [{ offset: 0, color: "rgba(63,184,240,.45)" }, { offset: 1, color: "rgba(63,184,240,0)" }]) },
        label: { show: true, position: "top", color: "#dbe7ff", fontSize: 11, formatter: function (p) { return s.texts[p.dataIndex]; } }
      }]
    });
  }

  // --- interaction ----------------------------------------------------------------------------------
  function drill(id) { load({ area: String(id), period: state.period, code: state.code }, true); }
  function choose(code) { load({ area: state.area, period: state.period, code: code }, true); }

  charts.map.on("click", function (p) {
    if (!current) return;
    var c = byId(current, p.name);
    if (c && c.drill) drill(c.id);
  });
  $("[data-testid=indicator]").addEventListener("change", function (e) { choose(e.target.value); });
  $("[data-testid=trend-indicator]").addEventListener("change", function (e) {
    trendCode = e.target.value;
    if (current) drawTrend(current);
  });
  $("[data-testid=period]").addEventListener("change", function (e) {
    var value = e.target.value || "";
    if (value && !/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) return;
    load({ area: state.area, period: value, code: state.code }, true);
  });
  window.addEventListener("popstate", function (e) {
    var s = e.state;
    if (!s) {
      var q = new URLSearchParams(location.search);
      s = { area: q.get("area") || root.dataset.area, period: q.get("period") || "", code: q.get("code") || "" };
    }
    load(s, false);
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });
  var every = Math.max(10, parseInt(root.dataset.refresh, 10) || 60) * 1000;
  window.setInterval(function () { if (!document.hidden) load(state, false); }, every);

  load(state, false);
})();
