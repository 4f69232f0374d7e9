/* Monitoring pages: alerts with acknowledge, one model's volume/latency/live metrics, forecast
   error by step and coverage, and drift per feature with both distributions side by side.
   Every figure comes from the monitoring API; failures are shown next to their panel. */
(function () {
  "use strict";

  // Secondary axes: at most three significant digits, trailing zeros dropped (2.29, not 2.29282).
  var SECONDARY_TICKS = ".3~g";

  function $(id) { return document.getElementById(id); }
  function api(url, options) { return window.vur.api(url, options); }
  function rows(body) { return Array.isArray(body) ? body : (body && body.results) || []; }

  // The legend sits above the plot (as on the training page's loss chart): below it, a fixed
  // distance under the axis, it ran into the date labels once a narrow chart turned them.
  var LEGEND_ABOVE = { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom" };

  function chart(id, traces, layout) {
    var el = $(id);
    if (!el) return;
    layout = Object.assign({ legend: LEGEND_ABOVE, margin: { l: 48, r: 16, t: 40, b: 40 } }, layout || {});
    layout.xaxis = Object.assign({ automargin: true }, layout.xaxis || {});
    if (window.vurChart) window.vurChart(el, traces, layout);
    else if (window.Plotly) window.Plotly.react(el, traces, layout, { responsive: true, displaylogo: false });
  }

  function showError(id, message) {
    var el = $(id);
    if (!el) return;
    el.textContent = message || "";
    el.hidden = !message;
  }

  function num(value, digits) {
    if (value === null || value === undefined || value === "" || isNaN(Number(value))) return "–";
    return Number(value).toFixed(digits === undefined ? 3 : digits).replace(/\.?0+$/, "") || "0";
  }

  // Live metrics as people name them ("n" is what was measured on, which differs by kind).
  var LIVE_LABELS = { accuracy: "Accuracy", f1: "F1", auc: "AUC", mae: "MAE", rmse: "RMSE", mape: "MAPE", smape: "sMAPE", mase: "MASE" };

  function liveLabel(key, forecaster) {
    if (key === "n") return forecaster ? "forecast steps with actuals" : "predictions with feedback";
    return LIVE_LABELS[key] || key;
  }

  // A live figure: up to 4 decimals below 1000; whole and grouped above (1,234,568), where
  // decimals only lengthen a number that wrapped in its tile (540061724651.9396).
  function figure(value) {
    if (typeof value !== "number" || !isFinite(value) || Math.abs(value) < 1000) return num(value, 4);
    return Math.round(value).toLocaleString("en-US");
  }

  function kindLabel(kind) { return window.vurAlertKind(kind); }

  function plain(stamp) { return String(stamp).replace(/(Z|[+-]\d\d:?\d\d)$/, ""); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* ------------------------------------------------------------ alerts */
  function AlertsPanel(panel) {
    this.panel = panel;
    this.url = panel.dataset.alertsUrl;
    this.modelId = panel.dataset.modelId ? parseInt(panel.dataset.modelId, 10) : null;
    this.showAll = $("alerts-show-all");
    this.alerts = [];
    this.live = {}; // id -> alert pushed over /ws/alerts/ (kept if the API answered before it)
    var self = this;
    if (this.showAll) this.showAll.addEventListener("change", function () { self.load(); });
    this.load().then(function () { self.listen(); });
  }

  /* New alerts arrive on /ws/alerts/ as they are raised (on connecting, the open ones are sent
     again, so a reconnect catches up); vurSocket reconnects with a growing delay. */
  AlertsPanel.prototype.listen = function () {
    var self = this;
    if (!window.vurSocket) return;
    this.setConnection("connecting", "connecting…");
    this.socket = window.vurSocket("/ws/alerts/", function (msg) {
      if (msg && msg.type === "alert" && msg.alert) self.add(msg.alert);
    }, {
      onOpen: function () { self.setConnection("live", "live"); },
      onClose: function () { self.setConnection("reconnecting", "reconnecting…"); },
    });
  };

  AlertsPanel.prototype.setConnection = function (state, text) {
    var dot = $("alerts-connection");
    if (!dot) return;
    dot.dataset.state = state;
    dot.textContent = text;
  };

  AlertsPanel.prototype.add = function (alert) {
    if (typeof alert.id !== "number") return;
    if (this.modelId !== null && alert.model_id !== this.modelId) return;
    var known = this.alerts.some(function (a) { return a.id === alert.id; });
    this.live[alert.id] = alert;
    if (known) return; // the list already has it, as the API last said (e.g. acknowledged)
    this.alerts.unshift(alert);
    this.render(this.alerts);
  };

  AlertsPanel.prototype.load = function () {
    var self = this;
    var params = ["page_size=100"];
    if (this.modelId !== null) params.push("model_id=" + this.modelId);
    return api(this.url + "?" + params.join("&")).then(function (res) {
      var loading = $("alerts-loading");
      if (loading) loading.hidden = true;
      if (!res.ok) { showError("alerts-error", "Could not load the alerts: " + res.error); return; }
      showError("alerts-error", "");
      var alerts = rows(res.body);
      var listed = {};
      alerts.forEach(function (a) { listed[a.id] = true; });
      // Alerts pushed while the request was on its way are not lost.
      Object.keys(self.live).forEach(function (id) {
        if (!listed[id]) alerts.unshift(self.live[id]);
      });
      alerts.sort(function (a, b) { return String(b.created_at).localeCompare(String(a.created_at)); });
      self.alerts = alerts;
      self.render(alerts);
    });
  };

  AlertsPanel.prototype.render = function (alerts) {
    var self = this;
    var list = $("alerts-list");
    list.innerHTML = "";
    var all = this.showAll && this.showAll.checked;
    var shown = alerts.filter(function (a) {
      return (self.modelId === null || a.model_id === self.modelId) && (all || !a.acknowledged);
    });
    if (!shown.length) {
      list.appendChild(el("li", { class: "muted", id: "alerts-none" }, all ? "No alerts." : "No open alerts. Checks run periodically; acknowledged alerts are hidden."));
      return;
    }
    shown.forEach(function (a) {
      var li = el("li", { class: "alert-row", "data-alert-id": String(a.id) });
      var text = el("p");
      text.appendChild(el("span", { class: "badge " + (a.severity || "warning") }, a.severity || "warning"));
      text.appendChild(document.createTextNode(" "));
      text.appendChild(el("strong", { class: "alert-kind" }, kindLabel(a.kind)));
      text.appendChild(document.createTextNode(" · " + a.message + " "));
      // The model as people know it (rank, algorithm, pipeline), linked to its monitoring page.
      var meta = el("span", { class: "muted small" });
      if (a.model_id !== null && a.model_id !== undefined) {
        meta.appendChild(el("a", { href: "/monitoring/models/" + a.model_id + "/", class: "alert-model" }, a.model_name || ("model " + a.model_id)));
        meta.appendChild(document.createTextNode(" · "));
      }
      meta.appendChild(document.createTextNode(plain(a.created_at).replace("T", " ").slice(0, 16) + " UTC"));
      text.appendChild(meta);
      li.appendChild(text);
      if (a.acknowledged) {
        li.appendChild(el("span", { class: "muted small" }, "acknowledged"));
      } else {
        var button = el("button", { type: "button", class: "button small", "aria-label": "Acknowledge " + kindLabel(a.kind).toLowerCase() + " alert " + a.id }, "Acknowledge");
        button.addEventListener("click", function () { self.acknowledge(a, button, li); });
        li.appendChild(button);
      }
      list.appendChild(li);
    });
  };

  AlertsPanel.prototype.acknowledge = function (alert, button, li) {
    var self = this;
    button.disabled = true;
    api(this.url + "/" + alert.id + "/acknowledge", { method: "POST", body: {} }).then(function (res) {
      if (!res.ok) {
        button.disabled = false;
        var err = el("p", { class: "error", role: "alert" }, "Could not acknowledge: " + res.error);
        li.appendChild(err);
        return;
      }
      self.load();
    });
  };

  /* ------------------------------------------------------------ one model */
  function ModelMonitor(root) {
    this.root = root;
    this.modelId = parseInt(root.dataset.modelId, 10);
    this.forecaster = root.dataset.forecaster === "1";
    this.window = root.dataset.window;
    this.drift = null;
    var self = this;
    var form = $("window-form");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      self.window = $("window-select").value;
      var url = new URL(location.href);
      url.searchParams.set("window", self.window);
      history.replaceState(null, "", url.toString());
      self.loadMetrics();
    });
    $("window-select").addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
    $("drift-run").addEventListener("click", function () { self.runDrift(); });
    $("drift-feature").addEventListener("change", function () { self.drawDistribution(); });
    this.bindActuals();
    this.loadMetrics();
    this.timer = window.setInterval(function () { if (!document.hidden) self.loadMetrics(); }, 30000);
  }

  /* "Record actuals": the form posts with htmx. A refused file answers 200 with its message,
     as the other page forms do, swapped into the card; recorded actuals reload the live metrics.
     A file over the upload limit is refused here before it is sent, in the server's words (the
     server refuses it too, before the page's view could answer, if it is sent anyway). */
  ModelMonitor.prototype.bindActuals = function () {
    var self = this;
    var form = $("actuals-form");
    if (!form) return;
    var tooLarge = "The file is larger than the " + form.dataset.maxMb + " MB upload limit.";
    function refuse(message) {
      $("actuals-result").innerHTML = "";
      $("actuals-result").appendChild(el("p", { class: "notice error", role: "alert", id: "actuals-error" }, message));
    }
    form.addEventListener("htmx:beforeRequest", function (ev) {
      var file = $("actuals-file").files[0];
      if (file && file.size > parseInt(form.dataset.maxBytes, 10)) {
        ev.preventDefault();
        refuse(tooLarge);
        return;
      }
      $("actuals-button").disabled = true;
      $("actuals-result").innerHTML = '<p class="muted">Checking the file…</p>';
    });
    form.addEventListener("htmx:afterRequest", function (ev) {
      $("actuals-button").disabled = false;
      // A server error or a lost connection says so in the card (nothing was swapped in).
      if (!ev.detail.successful) {
        var status = ev.detail.xhr ? ev.detail.xhr.status : 0;
        refuse(status === 413 ? tooLarge : window.vur.errorText(null, status));
      }
    });
    document.body.addEventListener("actuals-recorded", function () {
      form.reset();
      self.loadMetrics();
    });
  };

  ModelMonitor.prototype.loadMetrics = function () {
    var self = this;
    var url = "/api/v1/monitoring/models/" + this.modelId + "/metrics?window=" + encodeURIComponent(this.window);
    return api(url).then(function (res) {
      if (!res.ok) { showError("metrics-error", "Could not load the metrics: " + res.error); return; }
      showError("metrics-error", "");
      self.showMetrics(res.body || {});
      // The server's clock as every other page writes it ("07:47 UTC"), not the browser locale.
      $("metrics-updated").textContent = "Updated " + new Date().toISOString().slice(11, 16) + " UTC";
    });
  };

  ModelMonitor.prototype.showMetrics = function (m) {
    var self = this;
    var lat = m.latency_ms || {};
    $("kpi-count").textContent = m.prediction_count === undefined ? "–" : Number(m.prediction_count).toLocaleString("en-US");
    $("kpi-p50").textContent = num(lat.p50, 2);
    $("kpi-p95").textContent = num(lat.p95, 2);
    $("kpi-p99").textContent = num(lat.p99, 2);
    $("kpi-errors").textContent = m.error_rate === null || m.error_rate === undefined ? "–" : (100 * m.error_rate).toFixed(1) + "%";

    var timeline = m.timeline || [];
    var points = timeline.filter(function (t) { return t.count; });
    $("volume-empty").hidden = points.length > 0;
    var xs = timeline.map(function (t) { return plain(t.timestamp); });
    var traces = [{ type: "bar", name: "predictions", x: xs, y: timeline.map(function (t) { return t.count || 0; }), marker: { color: "#2f6fed" } }];
    var latency = timeline.map(function (t) {
      var l = t.latency_ms;
      if (l && typeof l === "object") return l.p50 !== undefined ? l.p50 : null;
      return l === undefined ? null : l;
    });
    if (latency.some(function (v) { return v !== null && v !== undefined; })) {
      traces.push({ name: "latency p50 (ms)", mode: "lines+markers", x: xs, y: latency, yaxis: "y2", line: { color: "#a35a00" } });
    }
    chart("volume-chart", traces, {
      height: 280, yaxis: { title: { text: "predictions" }, rangemode: "tozero" },
      // automargin + standoff: the right-hand title sits outside its tick labels, not on them.
      // Ticks of its own ("auto"): synced to the left-hand grid lines they fell at values such
      // as 6.1342, and at 3.92e-16 for zero.
      yaxis2: { title: { text: "latency (ms)", standoff: 8 }, overlaying: "y", side: "right", rangemode: "tozero", showgrid: false, automargin: true, tickmode: "auto", tickformat: SECONDARY_TICKS },
    });

    var live = m.live_metrics || {};
    var box = $("live-metrics");
    box.innerHTML = "";
    var keys = Object.keys(live).filter(function (k) { return typeof live[k] !== "object" || live[k] === null; });
    var measured = keys.some(function (k) { return k !== "n" && typeof live[k] === "number"; });
    if (!keys.length || !measured || live.n === 0) {
      box.appendChild(el("p", { class: "empty", id: "live-empty" }, "No feedback yet. Upload a file in \u201cRecord actuals\u201d below, or send actuals with POST /api/v1/predictions/feedback" + (self.forecaster ? " or observations" : "") + ", to measure the model live."));
    } else {
      var dl = el("dl", { class: "facts", id: "live-facts" });
      keys.forEach(function (k) {
        var d = el("div");
        d.appendChild(el("dt", { "data-metric": k }, liveLabel(k, self.forecaster)));
        d.appendChild(el("dd", {}, typeof live[k] === "number" ? figure(live[k]) : (live[k] === null ? "–" : String(live[k]))));
        dl.appendChild(d);
      });
      box.appendChild(dl);
      // A metric still unknown after feedback says why (AUC needs two classes' actuals); a
      // note on a figure shown elsewhere (MASE by step) stays beside that figure.
      var notes = m.live_notes || {};
      Object.keys(notes).filter(function (k) { return k in live; }).forEach(function (k) {
        box.appendChild(el("p", { class: "muted small live-note", "data-note": k }, notes[k]));
      });
    }
    var names = {};
    timeline.forEach(function (t) { Object.keys(t.metrics || {}).forEach(function (k) { if (typeof t.metrics[k] === "number") names[k] = 1; }); });
    var liveNames = Object.keys(names).filter(function (k) {
      return k !== "n" && k.indexOf("coverage") !== 0 && timeline.some(function (t) { return typeof (t.metrics || {})[k] === "number"; });
    });
    var liveTraces = liveNames.map(function (k) {
      return { name: liveLabel(k, self.forecaster), mode: "lines+markers", x: xs, y: timeline.map(function (t) { return (t.metrics || {})[k]; }) };
    });
    $("live-chart").hidden = !liveTraces.length;
    if (liveTraces.length) chart("live-chart", liveTraces, { height: 200 });

    if (this.forecaster) this.showForecastMonitoring(m);
  };

  ModelMonitor.prototype.showForecastMonitoring = function (m) {
    var steps = (m.by_horizon || []).filter(function (s) { return s.n; });
    $("horizon-empty").hidden = steps.length > 0;
    // MASE missing for some or all series says why (a series constant in training has no scale).
    var maseNote = (m.live_notes || {}).mase || "";
    $("horizon-note").textContent = maseNote;
    $("horizon-note").hidden = !(steps.length && maseNote);
    $("horizon-chart").hidden = !steps.length;
    if (steps.length) {
      var traces = [{ type: "bar", name: "MAE", x: steps.map(function (s) { return s.step; }), y: steps.map(function (s) { return s.mae; }), marker: { color: "#2f6fed" },
        text: steps.map(function (s) { return "n=" + s.n; }), hovertemplate: "step %{x}: MAE %{y:.4f} (%{text})<extra></extra>" }];
      if (steps.some(function (s) { return s.mase !== null && s.mase !== undefined; })) {
        traces.push({ name: "MASE", mode: "lines+markers", x: steps.map(function (s) { return s.step; }), y: steps.map(function (s) { return s.mase; }), yaxis: "y2" });
      }
      // Errors start at zero; when every error is zero the axis keeps a plain 0..1 range
      // (not plotly's "0.5μ" ticks around nothing).
      var top = Math.max.apply(null, steps.map(function (s) { return Number(s.mae) || 0; }));
      var yaxis = { title: { text: "MAE" }, rangemode: "tozero", automargin: true, tickformat: "~g" };
      if (!(top > 0)) yaxis.range = [0, 1];
      var maseTop = Math.max.apply(null, steps.map(function (s) { return Number(s.mase) || 0; }));
      var yaxis2 = { title: { text: "MASE", standoff: 8 }, overlaying: "y", side: "right", showgrid: false, rangemode: "tozero", automargin: true, tickmode: "auto", tickformat: SECONDARY_TICKS };
      if (!(maseTop > 0)) yaxis2.range = [0, 1];
      chart("horizon-chart", traces, { height: 280, xaxis: { title: { text: "steps ahead" }, dtick: 1 }, yaxis: yaxis, yaxis2: yaxis2 });
      $("horizon-chart").setAttribute("data-y-range", JSON.stringify(yaxis.range || "auto"));
    }
    var coverage = m.coverage || {};
    var levels = Object.keys(coverage).filter(function (k) { return coverage[k] !== null && coverage[k] !== undefined; })
      .sort(function (a, b) { return Number(a) - Number(b); });
    $("coverage-empty").hidden = levels.length > 0;
    $("coverage-chart").hidden = !levels.length;
    if (levels.length) {
      chart("coverage-chart", [
        { type: "bar", name: "stated level", x: levels.map(function (l) { return l + "%"; }), y: levels.map(function (l) { return Number(l); }), marker: { color: "#c9cfdb" } },
        { type: "bar", name: "actuals inside", x: levels.map(function (l) { return l + "%"; }), y: levels.map(function (l) { return 100 * coverage[l]; }), marker: { color: "#157f3b" } },
      ], { height: 280, barmode: "group", yaxis: { title: { text: "% of actuals" }, range: [0, 100] } });
    }
  };

  ModelMonitor.prototype.runDrift = function () {
    var self = this;
    var button = $("drift-run");
    button.disabled = true;
    button.textContent = "Checking…";
    api("/api/v1/monitoring/drift-detection", { method: "POST", body: { model_id: this.modelId, window: this.window } }).then(function (res) {
      button.disabled = false;
      button.textContent = "Check drift now";
      if (!res.ok) { showError("drift-error", res.error); return; }
      showError("drift-error", "");
      self.drift = res.body;
      self.showDrift();
      var url = "/monitoring/models/" + self.modelId + "/distributions/?window=" + encodeURIComponent(self.window);
      api(url).then(function (more) {
        if (!more.ok) { showError("drift-error", "The distributions could not be loaded: " + more.error); return; }
        self.drift.distributions = (more.body || {}).features || {};
        self.showDrift();
      });
    });
  };

  ModelMonitor.prototype.showDrift = function () {
    var d = this.drift || {};
    var features = d.features || [];
    var summary = $("drift-summary");
    summary.innerHTML = "";
    var p = el("p", { id: "drift-verdict" });
    // Features with too few recent values are listed but not tested: they are neither "stable"
    // nor counted as compared.
    var compared = d.features_compared !== undefined ? d.features_compared
      : features.filter(function (f) { return !f.status || f.status === "tested"; }).length;
    var untested = features.length - compared;
    var verdict = d.drift_detected ? ["error", "drift detected"]
      : (compared ? ["success", "no drift"] : ["warning", "not enough data"]);
    p.appendChild(el("span", { class: "badge " + verdict[0] }, verdict[1]));
    var words = compared
      ? " overall score " + num(d.overall_score, 3) + " · " + compared + " of " + features.length + " feature" + (features.length === 1 ? "" : "s") + " compared"
      : " no feature had enough recent values to be tested";
    if (untested && d.min_samples) words += " · a feature needs at least " + d.min_samples + " recent values";
    p.appendChild(document.createTextNode(words));
    summary.appendChild(p);
    var table = $("drift-table");
    var body = table.querySelector("tbody");
    body.innerHTML = "";
    features.forEach(function (f) {
      var tested = !f.status || f.status === "tested";
      var tr = el("tr", { "data-feature": f.feature, "data-status": f.status || "tested" });
      // The verdict comes right after the feature, so a narrow screen shows it without
      // scrolling the table sideways; the test's figures follow.
      tr.appendChild(el("td", {}, f.feature));
      var cell = el("td", { class: "drift-verdict-cell" });
      if (tested) {
        cell.appendChild(el("span", { class: "badge " + (f.drift ? "error" : "success") }, f.drift ? "drift" : "stable"));
      } else if (f.status === "insufficient_data") {
        cell.appendChild(el("span", { class: "badge warning" }, "not tested"));
        cell.appendChild(el("span", { class: "small" }, " not enough recent values: " + f.n + (d.min_samples ? " of " + d.min_samples + " needed" : "")));
      } else {
        cell.appendChild(el("span", { class: "badge" }, "not tested"));
        cell.appendChild(el("span", { class: "small" }, " no recent values"));
      }
      tr.appendChild(cell);
      // An untested feature's figures are not a verdict: show none rather than a p-value.
      tr.appendChild(el("td", {}, tested ? num(f.p_value, 4) : "–"));
      tr.appendChild(el("td", {}, tested ? num(f.statistic, 4) : "–"));
      tr.appendChild(el("td", {}, f.method || ""));
      body.appendChild(tr);
    });
    table.hidden = !features.length;
    var select = $("drift-feature");
    select.innerHTML = "";
    var withData = features.filter(function (f) { return distribution(d, f.feature); });
    withData.forEach(function (f) { select.appendChild(el("option", { value: f.feature }, f.feature + (f.drift ? " (drift)" : ""))); });
    $("drift-detail").hidden = !withData.length;
    if (withData.length) this.drawDistribution();
  };

  /* The reference and current distributions of one feature as {labels, reference, current}
     (shares), read from the feature's own entry or from top-level reference/current maps. */
  function distribution(d, name) {
    var given = (d.distributions || {})[name];
    if (given && given.labels) {
      var total = function (xs) { return xs.reduce(function (a, b) { return a + b; }, 0) || 1; };
      var rt = total(given.reference), ct = total(given.current);
      return {
        labels: given.labels,
        reference: given.reference.map(function (v) { return v / rt; }),
        current: given.current.map(function (v) { return v / ct; }),
      };
    }
    var f = (d.features || []).filter(function (x) { return x.feature === name; })[0] || {};
    var ref = f.reference || ((d.reference || {}).features || d.reference || {})[name];
    var cur = f.current || ((d.current || {}).features || d.current || {})[name];
    if (!ref || !cur || typeof ref !== "object" || typeof cur !== "object") return null;
    function asMap(x) {
      if (x.labels && x.counts) { var m = {}; x.labels.forEach(function (l, i) { m[l] = x.counts[i]; }); return m; }
      if (x.bins && x.counts) { var b = {}; x.bins.forEach(function (l, i) { b[String(l)] = x.counts[i]; }); return b; }
      if (x.edges && x.counts) {
        var e = {}, edges = x.edges;
        x.counts.forEach(function (c, i) {
          var lo = i === 0 ? "≤ " + num(edges[0], 3) : (i === edges.length ? "> " + num(edges[i - 1], 3) : num(edges[i - 1], 3) + "–" + num(edges[i], 3));
          e[lo] = c;
        });
        return e;
      }
      if (x.levels && typeof x.levels === "object") return x.levels;
      if (x.shares && typeof x.shares === "object") return x.shares;
      var plainMap = {};
      Object.keys(x).forEach(function (k) { if (typeof x[k] === "number") plainMap[k] = x[k]; });
      return Object.keys(plainMap).length ? plainMap : null;
    }
    var r = asMap(ref), c = asMap(cur);
    if (!r || !c) return null;
    var labels = Object.keys(r);
    Object.keys(c).forEach(function (k) { if (labels.indexOf(k) === -1) labels.push(k); });
    function shares(m) {
      var total = labels.reduce(function (s, k) { return s + (Number(m[k]) || 0); }, 0) || 1;
      return labels.map(function (k) { return (Number(m[k]) || 0) / total; });
    }
    return { labels: labels, reference: shares(r), current: shares(c) };
  }

  ModelMonitor.prototype.drawDistribution = function () {
    var name = $("drift-feature").value;
    var dist = distribution(this.drift || {}, name);
    if (!dist) return;
    chart("drift-chart", [
      { type: "bar", name: "training", x: dist.labels, y: dist.reference, marker: { color: "#9aa6bf" } },
      { type: "bar", name: "recent", x: dist.labels, y: dist.current, marker: { color: "#2f6fed" } },
    ], { height: 300, barmode: "group", yaxis: { title: { text: "share" }, tickformat: ".0%" }, xaxis: { type: "category", automargin: true } });
  };

  function start() {
    var panel = $("alerts-panel");
    if (panel) window.vurAlerts = new AlertsPanel(panel);
    var root = $("monitor");
    if (root) window.vurMonitor = new ModelMonitor(root);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
