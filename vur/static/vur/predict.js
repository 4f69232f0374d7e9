/* Model page: charts of the model (importance, confusion matrix, epochs, history + forecast),
   the live WebSocket stream panel, a forecaster's live forecast moved by new observations, and
   the batch upload's progress bar. Panels are re-bound after htmx swaps them in. */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function data(id) {
    var el = $(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function chart(el, traces, layout) {
    if (typeof el === "string") el = $(el);
    if (!el) return;
    layout = Object.assign({ legend: { orientation: "h", y: -0.32 } }, layout || {});
    layout.xaxis = Object.assign({ automargin: true }, layout.xaxis || {});
    if (window.vurChart) window.vurChart(el, traces, layout);
    else if (window.Plotly) window.Plotly.react(el, traces, layout, { responsive: true, displaylogo: false });
  }

  /* Plotly reads "2024-01-01T00:00:00" as local wall time; drop the zone so axes show the
     series' own clock, as the server formats it. */
  function plain(stamp) { return String(stamp).replace(/(Z|[+-]\d\d:?\d\d)$/, ""); }

  function showError(id, message) {
    var el = $(id);
    if (!el) { if (window.vur) window.vur.toast(message); return; }
    el.textContent = message || "";
    el.hidden = !message;
  }

  /* ------------------------------------------------------------ static model charts */
  function drawModelCharts(charts) {
    if (!charts) return;
    if (charts.importance && charts.importance.length && $("importance-chart")) {
      var items = charts.importance.slice().reverse();
      chart("importance-chart", [{
        type: "bar", orientation: "h", name: "importance",
        x: items.map(function (i) { return i.importance; }),
        y: items.map(function (i) { return i.feature; }),
        marker: { color: "#2f6fed" },
      }], { height: Math.max(220, 22 * items.length + 60), margin: { l: 10, r: 16, t: 10, b: 40 }, yaxis: { automargin: true } });
    }
    if (charts.confusion && $("confusion-chart")) {
      var c = charts.confusion;
      var text = c.matrix.map(function (row) { return row.map(String); });
      chart("confusion-chart", [{
        type: "heatmap", z: c.matrix, x: c.classes, y: c.classes, showscale: false,
        colorscale: [[0, "#f3f6fe"], [1, "#2f6fed"]],
        text: text, texttemplate: "%{text}", hovertemplate: "actual %{y}<br>predicted %{x}<br>%{z} rows<extra></extra>",
      }], {
        height: 320, xaxis: { title: { text: "predicted" }, type: "category" },
        yaxis: { title: { text: "actual" }, type: "category", autorange: "reversed", automargin: true },
      });
    }
    if (charts.residuals && $("residual-chart")) {
      var r = charts.residuals;
      chart("residual-chart", [{
        type: "scattergl", mode: "markers", name: "rows", marker: { size: 5, color: "rgba(47,111,237,0.6)" },
        x: r.predicted, y: r.actual.map(function (a, i) { return a - r.predicted[i]; }),
        hovertemplate: "predicted %{x:.4g}<br>residual %{y:.4g}<extra></extra>",
      }], {
        height: 320, xaxis: { title: { text: "predicted" } }, yaxis: { title: { text: "actual − predicted" }, zeroline: true },
      });
    }
    if (charts.epochs && charts.epochs.length && $("epochs-chart")) {
      var e = charts.epochs;
      var traces = [];
      [["train_loss", "train", "dot"], ["val_loss", "validation", "solid"]].forEach(function (k) {
        var rows = e.filter(function (r) { return r[k[0]] !== null && r[k[0]] !== undefined; });
        if (rows.length) {
          traces.push({ name: k[1], mode: "lines", line: { dash: k[2] }, x: rows.map(function (r) { return r.epoch; }), y: rows.map(function (r) { return r[k[0]]; }) });
        }
      });
      // Whole epochs only on the axis (at most about ten ticks).
      var step = Math.max(1, Math.ceil(e.length / 10));
      var epochAxis = { title: { text: "epoch" }, tickmode: "linear", tick0: step === 1 ? 1 : 0, dtick: step, tickformat: "d" };
      if (traces.length) chart("epochs-chart", traces, { height: 300, xaxis: epochAxis, yaxis: { title: { text: "loss" } } });
    }
    if (charts.forecast && !charts.forecast.error && $("forecast-chart")) {
      drawForecast($("forecast-chart"), charts.forecast.history, charts.forecast.forecast, null);
      bindChartSeries();
    }
  }

  /* A model with an id column: the history-and-forecast chart draws the series chosen in its
     <select> (the first at first), asking the server for that series' history and its forecast
     from the stored model; an answer that comes after another choice is dropped. */
  function bindChartSeries() {
    var select = $("chart-series"), el = $("forecast-chart");
    if (!select || !el || select.dataset.bound) return;
    select.dataset.bound = "1";
    var switches = 0;
    select.addEventListener("change", function () {
      var id = select.value, mine = ++switches;
      el.setAttribute("aria-busy", "true");
      window.vur.api(select.dataset.url + "?series_id=" + encodeURIComponent(id)).then(function (res) {
        if (mine !== switches) return;
        el.removeAttribute("aria-busy");
        if (!res.ok) {
          // Said where the chart would be: the chart of another series would mislead.
          showError("forecast-chart-error", res.error);
          el.hidden = true;
          el.setAttribute("data-series", "");
          return;
        }
        showError("forecast-chart-error", "");
        el.hidden = false;
        var body = res.body;
        drawForecast(el, body.history, body.forecast, null);
        var shown = body.series_id === null || body.series_id === undefined ? id : String(body.series_id);
        $("forecast-points").textContent = String(body.history.values.length);
        if ($("forecast-series-name")) $("forecast-series-name").textContent = shown;
        el.setAttribute("aria-label", "History of " + el.dataset.target + " of series " + shown +
          " with the forecast and its 80% and 95% intervals");
        el.setAttribute("data-series", shown);
      });
    });
  }

  /* The latest known point {x, y}: the last sent observation, else the last history value. */
  function lastPoint(history, observed) {
    var pick = function (series) {
      if (!series || !series.timestamps) return null;
      for (var i = series.timestamps.length - 1; i >= 0; i -= 1) {
        var v = series.values[i];
        if (v !== null && v !== undefined && isFinite(v)) return { x: plain(series.timestamps[i]), y: v };
      }
      return null;
    };
    return pick(observed) || pick(history);
  }

  /* Whether the forecast's first step comes one step (that of the forecast itself) after `x`. */
  function followsDirectly(x, xs) {
    if (!xs.length) return false;
    if (xs.length < 2) return true;
    var gap = Date.parse(xs[0]) - Date.parse(x), step = Date.parse(xs[1]) - Date.parse(xs[0]);
    if (isNaN(gap) || isNaN(step)) return true;
    return gap > 0 && gap <= step * 1.5;
  }

  /* History line, forecast line and 95% / 80% bands (outer first, so the inner shows). */
  function drawForecast(el, history, fc, observed) {
    var traces = [];
    traces.push({
      name: "history", mode: "lines", line: { color: "#1d2330", width: 1.5 },
      x: history.timestamps.map(plain), y: history.values,
    });
    if (observed && observed.timestamps.length) {
      // The steps the deployment took after the training history, joined to it: observations
      // as dots, steps no observation gave (filled as in training) as open circles.
      var filled = observed.filled || [];
      var joint = lastPoint(history, null);
      var ox = observed.timestamps.map(plain), oy = observed.values;
      traces.push({
        name: "sent observations", mode: "lines+markers", line: { color: "#157f3b" },
        x: joint ? [joint.x].concat(ox) : ox, y: joint ? [joint.y].concat(oy) : oy,
        marker: { size: (joint ? [0] : []).concat(ox.map(function (x, i) { return filled[i] ? 0 : 7; })) },
      });
      var gaps = ox.map(function (x, i) { return filled[i] ? i : -1; }).filter(function (i) { return i >= 0; });
      if (gaps.length) {
        traces.push({
          name: "filled in", mode: "markers", marker: { size: 7, symbol: "circle-open", color: "#157f3b" },
          x: gaps.map(function (i) { return ox[i]; }), y: gaps.map(function (i) { return oy[i]; }),
        });
      }
    }
    var xs = (fc.timestamps || []).map(plain);
    // The forecast line and its bands start at the last observed point, so they join the
    // history instead of floating one step after it.
    var last = lastPoint(history, observed);
    if (last && !followsDirectly(last.x, xs)) last = null; // a gap (observations since): no join
    var from = function (values) { return last && xs.length ? [last.y].concat(values || []) : values; };
    var fxs = last && xs.length ? [last.x].concat(xs) : xs;
    [["95", "rgba(47,111,237,0.13)"], ["80", "rgba(47,111,237,0.26)"]].forEach(function (band) {
      var iv = (fc.intervals || {})[band[0]];
      if (!iv) return;
      traces.push({ x: fxs, y: from(iv.upper), mode: "lines", line: { width: 0 }, showlegend: false, hoverinfo: "skip", name: band[0] + "% upper" });
      traces.push({ x: fxs, y: from(iv.lower), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: band[1], name: band[0] + "% interval" });
    });
    traces.push({ name: "forecast", mode: "lines", line: { color: "#2f6fed", width: 2 }, x: fxs, y: from(fc.forecast) });
    chart(el, traces, { height: 360, hovermode: "x unified", legend: { orientation: "h", y: -0.2 } });
    el.setAttribute("data-first-forecast", xs.length ? xs[0] : "");
  }

  /* ------------------------------------------------------------ the live stream panel */
  var stream = null; // one socket for the page: {socket, panel, pending: {request_id: callback}}
  var requestCounter = 0;

  function streamSocket() {
    if (stream) return stream;
    stream = { pending: {}, handlers: [function (msg) { logLine($("stream-log"), "in", msg); refreshExample(msg); }] };
    var open = function (state, text) {
      ["stream-connection", "forecast-connection"].forEach(function (id) {
        var el = $(id);
        if (el) { el.dataset.state = state; el.textContent = text; }
      });
    };
    stream.setState = open;
    stream.socket = window.vurSocket("/ws/predictions/", function (msg) {
      var cb = msg && msg.request_id ? stream.pending[msg.request_id] : null;
      if (cb) { delete stream.pending[msg.request_id]; cb(msg); }
      stream.handlers.forEach(function (h) { h(msg); });
    }, {
      onOpen: function () { open("live", "live"); },
      onClose: function () { open("reconnecting", "reconnecting…"); },
    });
    return stream;
  }

  function sendOnStream(message, callback) {
    var s = streamSocket();
    if (!message.request_id) { requestCounter += 1; message.request_id = "ui-" + Date.now() + "-" + requestCounter; }
    if (callback) s.pending[message.request_id] = callback;
    s.socket.send(message);
    return message.request_id;
  }

  /* A number as a person reads it: at most five significant digits (351.23, not
     351.2345678901234). */
  function readable(value) {
    if (value === null || value === undefined || value === "") return "–";
    var n = Number(value);
    if (typeof value === "boolean" || !isFinite(n)) return String(value);
    return String(Number(n.toPrecision(5)));
  }

  /* An API error sentence without its field path: "observations[0]: 'x' is not an ISO 8601
     timestamp." reads "'x' is not an ISO 8601 timestamp." on the page. */
  function pageError(detail) {
    var text = String(detail || "").replace(/^[A-Za-z_]+\[\d+\](\.[^:]+)?:\s*/, "");
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }

  function shortStamp(stamp) {
    return plain(stamp).replace("T00:00:00", "").replace("T", " ");
  }

  /* One line of the stream log in words: what was sent, or what came back. */
  function summary(direction, m) {
    if (!m || typeof m !== "object") return String(m);
    if (direction === "out") {
      if (Array.isArray(m.observations)) {
        var sent = m.observations.map(function (o) { return shortStamp(o.timestamp) + " = " + readable(o.value); });
        return "sent " + (sent.length ? "observation" + (sent.length > 1 ? "s " : " ") + sent.join(", ") : "a forecast request");
      }
      var rows = Array.isArray(m.data) ? m.data.length : 1;
      return "sent " + rows + " row" + (rows === 1 ? "" : "s") + " to model " + m.model_id;
    }
    if (m.error) return "error: " + pageError(m.error.detail) + (m.error.code ? " (" + m.error.code + ")" : "");
    if (m.timestamps) {
      var points = (m.forecast || []).slice(0, 3).map(readable).join(", ");
      var words = "forecast from " + shortStamp(m.timestamps[0] || "") + ": " + points + (m.forecast && m.forecast.length > 3 ? ", …" : "") +
        " (" + (m.forecast || []).length + " steps)";
      if (m.updated_through) words += " · history through " + shortStamp(m.updated_through);
      if (m.missing_steps) words += " · " + m.missing_steps + " missing step" + (m.missing_steps === 1 ? "" : "s") + " filled";
      return words;
    }
    if (m.predictions) {
      var shown = m.predictions.slice(0, 3).map(function (p, i) {
        var probs = (m.probabilities || [])[i];
        if (!probs) return readable(p);
        var best = Math.max.apply(null, Object.keys(probs).map(function (k) { return probs[k]; }));
        return readable(p) + " (p " + Number(best).toFixed(2) + ")";
      });
      return "prediction" + (m.predictions.length === 1 ? "" : "s") + ": " + shown.join(", ") + (m.predictions.length > 3 ? ", …" : "") +
        (m.latency_ms !== undefined ? " · " + Number(m.latency_ms).toFixed(1) + " ms" : "");
    }
    return JSON.stringify(m);
  }

  function logLine(list, direction, payload) {
    if (!list) return;
    var li = document.createElement("li");
    li.className = direction;
    var stamp = new Date().toISOString().slice(11, 19);
    var line = document.createElement("span");
    line.className = "stream-summary";
    line.textContent = stamp + " " + summary(direction, payload);
    li.appendChild(line);
    // The full message stays available, folded.
    var raw = document.createElement("details");
    raw.className = "stream-raw";
    var label = document.createElement("summary");
    label.textContent = "JSON";
    var pre = document.createElement("pre");
    pre.textContent = JSON.stringify(payload, null, 2);
    raw.appendChild(label);
    raw.appendChild(pre);
    li.appendChild(raw);
    if (payload && payload.error) li.classList.add("lvl-error");
    list.appendChild(li);
    while (list.children.length > 200) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  }

  /* After a forecast answer, the example message moves on to the step the deployment now
     expects (only when the box still holds a one-observation message of that model). */
  function refreshExample(answer) {
    var box = $("stream-message");
    if (!box || !answer || answer.error || !answer.timestamps || !answer.timestamps.length) return;
    var message;
    try { message = JSON.parse(box.value); } catch (e) { return; }
    if (!message || message.model_id !== answer.model_id || !Array.isArray(message.observations) || message.observations.length !== 1) return;
    var obs = message.observations[0];
    if (obs.series_id !== undefined && answer.series_id !== undefined && String(obs.series_id) !== String(answer.series_id)) return;
    obs.timestamp = answer.timestamps[0];
    if (answer.forecast && answer.forecast.length && answer.forecast[0] !== null) obs.value = Number(Number(answer.forecast[0]).toFixed(2));
    delete message.request_id;
    box.value = JSON.stringify(message, null, 2);
  }

  function bindStreamPanel() {
    var panel = $("stream-panel");
    if (!panel || panel.dataset.bound) return;
    panel.dataset.bound = "1";
    var box = $("stream-message");
    var example = data("stream-example");
    if (example) delete example.request_id; // each send gets its own id
    if (box && example && !box.value) box.value = JSON.stringify(example, null, 2);
    streamSocket();
    $("stream-send").addEventListener("click", function () {
      var message;
      try { message = JSON.parse(box.value); } catch (e) {
        showError("stream-error", "The message is not valid JSON: " + e.message);
        box.setAttribute("aria-invalid", "true");
        return;
      }
      box.removeAttribute("aria-invalid");
      showError("stream-error", "");
      if (message && typeof message === "object" && !message.request_id) {
        requestCounter += 1;
        message.request_id = "ui-" + requestCounter;
      }
      logLine($("stream-log"), "out", message);
      streamSocket().socket.send(message);
    });
  }

  /* ------------------------------------------------------------ live forecast */
  function bindForecastPanel(charts) {
    var panel = $("forecast-panel");
    if (!panel || panel.dataset.bound) return;
    panel.dataset.bound = "1";
    var modelId = parseInt(panel.dataset.modelId, 10);
    var empty = function () { return { timestamps: [], values: [], filled: [] }; };
    // A model with an id column forecasts several series: the chart draws the one chosen
    // here (the first at first), and observations are sent for it.
    var series = $("forecast-series");
    var shown = series ? series.value : "";
    var switches = 0;
    // Each series' training history, drawn before the deployment's steps; the page brings the
    // first one, the others are asked for when chosen.
    var bases = {};
    var first = charts && charts.forecast;
    if (first && first.history) bases[first.series_id === null || first.series_id === undefined ? "" : String(first.series_id)] = first.history;
    else if (first && first.error) bases[shown] = { timestamps: [], values: [] }; // said on the model chart
    var base = bases[shown] || { timestamps: [], values: [] };
    // What the deployment took after the training history, as the server keeps it (so a
    // reload draws the same line): {timestamps, values, filled}.
    var live = empty();
    var chartEl = $("live-forecast-chart");
    var decimal = $("observation-form").dataset.decimal === "," ? "," : ".";
    streamSocket();

    function query(id) { return id === "" ? "" : "?series_id=" + encodeURIComponent(id); }

    /* The value's error sits at its field; "" clears it. */
    function valueError(message) {
      var box = $("obs-value");
      $("obs-value-error").textContent = message || "";
      if (message) box.setAttribute("aria-invalid", "true"); else box.removeAttribute("aria-invalid");
    }

    function fetchLive(id) {
      return window.vur.api("/models/" + modelId + "/live-history/" + query(id)).then(function (res) {
        if (!res.ok) { showError("forecast-error", res.error); return empty(); }
        return res.body || empty();
      });
    }

    function fetchBase(id) {
      if (bases[id]) return Promise.resolve(bases[id]);
      return window.vur.api("/models/" + modelId + "/series-history/" + query(id)).then(function (res) {
        if (!res.ok) { showError("forecast-error", res.error); return { timestamps: [], values: [] }; }
        bases[id] = { timestamps: res.body.timestamps || [], values: res.body.values || [] };
        return bases[id];
      });
    }

    function loadLive() {
      var id = shown;
      return fetchLive(id).then(function (body) { if (id === shown) live = body; });
    }

    function show(answer) {
      var fc = { timestamps: answer.timestamps || [], forecast: answer.forecast || [], intervals: answer.intervals || {} };
      drawForecast(chartEl, base, fc, live);
      chartEl.setAttribute("data-live-points", String(live.timestamps.length));
      chartEl.setAttribute("data-series", shown);
      if (series) chartEl.setAttribute("aria-label", "Live forecast of series " + shown + " with 80% and 95% intervals");
      if (answer.updated_through) {
        $("forecast-through").textContent = "History known through " + shortStamp(answer.updated_through) + "; the forecast starts after it.";
        chartEl.setAttribute("data-updated-through", answer.updated_through);
      }
      // Skipped steps are accepted and filled as in training: say how many, and how.
      var gap = $("forecast-gap");
      if (gap) {
        var notes = (answer.gaps || []).map(function (g) { return g.note; });
        gap.textContent = notes.join(" ");
        gap.hidden = !notes.length;
      }
      var ts = $("obs-timestamp"), val = $("obs-value");
      if (fc.timestamps.length) {
        ts.value = fc.timestamps[0];
        checkTimestamp();
        // The actual is the user's to type: the forecast is only a hint, never a default value
        // (sending it unedited would record the forecast as an observation).
        val.value = "";
        val.placeholder = (fc.forecast.length && fc.forecast[0] !== null)
          ? "forecast " + Number(fc.forecast[0]).toFixed(2).replace(".", decimal) : "";
      }
    }

    /* The line under the timestamp says how the server reads it and what sending it would
       do (the next step, steps it would fill, or why it would be refused). */
    function checkTimestamp() {
      if (window.htmx) window.htmx.trigger($("obs-timestamp"), "obs-check");
    }

    /* Draw series `shown`: its history, what the deployment took of it, its live forecast.
       The forecast comes from the page's read-only endpoint (80/95% intervals, as the REST
       forecast answers it): looking at the page records no prediction, so monitoring counts
       only what was served. */
    function showSeries() {
      var id = shown, mine = ++switches;
      showError("forecast-error", "");
      chartEl.setAttribute("aria-busy", "true");
      Promise.all([
        window.vur.api("/models/" + modelId + "/live-forecast/" + query(id)), fetchLive(id), fetchBase(id),
      ]).then(function (done) {
        if (mine !== switches) return; // another series was chosen meanwhile
        chartEl.removeAttribute("aria-busy");
        live = done[1];
        base = done[2];
        var res = done[0];
        if (!res.ok) { showError("forecast-error", res.error); return; }
        show(res.body);
      });
    }

    if (series) {
      series.addEventListener("change", function () {
        shown = series.value;
        showError("obs-error", "");
        valueError("");
        showSeries();
      });
    }
    // A refusal is about what was sent: editing the timestamp puts it out of date.
    $("obs-timestamp").addEventListener("input", function () { showError("obs-error", ""); });
    $("obs-value").addEventListener("input", function () { valueError(""); });
    showSeries();

    $("observation-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var ts = $("obs-timestamp").value.trim();
      var raw = $("obs-value").value.trim();
      if (!ts) { showError("obs-error", "Enter the timestamp of the observation."); $("obs-timestamp").focus(); return; }
      if (raw === "") { valueError("Enter the observed value as a number."); $("obs-value").focus(); return; }
      showError("obs-error", "");
      valueError("");
      // Sent as typed: the server reads it as the training file's numbers were read (its
      // decimal mark; a decimal comma whenever it cannot be anything else) or refuses it.
      var id = shown;
      var message = { model_id: modelId, observations: [{ timestamp: ts, value: raw }], level: [80, 95] };
      if (series) { message.series_id = id; message.observations[0].series_id = id; }
      var button = $("obs-send");
      button.disabled = true;
      logLine($("stream-log"), "out", message);
      sendOnStream(message, function (answer) {
        button.disabled = false;
        if (id !== shown) return; // the chart has moved to another series since
        if (answer.error) {
          var text = pageError(answer.error.detail) || "The observation was refused.";
          // Refusals of the value itself (observation_not_forecastable: a typo such as 1e300
          // the model cannot forecast from) are shown under the value, which gets the focus.
          var code = answer.error.code;
          if (code === "bad_value" || code === "ambiguous_number" || code === "observation_not_forecastable") {
            valueError(text);
            $("obs-value").focus();
          } else {
            showError("obs-error", text);
          }
          return;
        }
        loadLive().then(function () { if (id === shown) show(answer); });
      });
    });
  }

  /* ------------------------------------------------------------ batch upload with progress */
  function bindBatchForm() {
    var form = $("batch-form");
    if (!form || form.dataset.bound) return;
    form.dataset.bound = "1";
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var input = $("batch-file"), err = $("batch-file-error"), bar = $("batch-upload");
      var button = $("batch-button"), target = $("batch-status");
      if (!input.files.length) {
        err.textContent = "Choose a file to score first.";
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      err.textContent = "";
      input.removeAttribute("aria-invalid");
      bar.hidden = false;
      bar.value = 0;
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRFToken", window.vur.csrfToken());
      xhr.setRequestHeader("HX-Request", "true");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      };
      xhr.onload = function () {
        button.disabled = false;
        bar.value = 100;
        if (xhr.status >= 200 && xhr.status < 300) {
          // A refused file answers the error alone: it goes next to the form, and the status of
          // the job shown before (which may still be polling) stays as it was.
          var answer = document.createElement("template");
          answer.innerHTML = xhr.responseText;
          var error = answer.content.querySelector("#batch-error");
          if (error) {
            err.textContent = error.textContent;
            input.setAttribute("aria-invalid", "true");
            return;
          }
          target.innerHTML = xhr.responseText;
          if (window.htmx) window.htmx.process(target);
        } else {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
          err.textContent = window.vur.errorText(body, xhr.status);
        }
      };
      xhr.onerror = function () {
        button.disabled = false;
        err.textContent = window.vur.errorText(null, 0);
      };
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("htmx:beforeRequest", function (ev) {
    if (ev.target && ev.target.id === "predict-form") {
      var box = $("predict-result");
      if (box) box.innerHTML = '<p class="muted">Predicting…</p>';
    }
  });

  function bindAll() {
    var charts = data("model-charts");
    bindStreamPanel();
    bindForecastPanel(charts);
    bindBatchForm();
  }

  function start() {
    drawModelCharts(data("model-charts"));
    bindAll();
    document.body.addEventListener("htmx:afterSwap", function (ev) {
      if (ev.target && ev.target.id === "predict-panels") bindAll();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
