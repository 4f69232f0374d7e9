/* VUR's own small helpers: CSRF for fetch/htmx, JSON calls with plain-words errors, a WebSocket
   with reconnect, a Plotly chart wrapper, the phone menu. No build step. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* Show a message to the person (never fail silently). */
  function toast(message) {
    var el = document.getElementById("toast");
    if (!el) { return; }
    el.textContent = message;
    el.hidden = false;
    clearTimeout(el._timer);
    el._timer = setTimeout(function () { el.hidden = true; }, 8000);
  }

  /* The plain sentence of an API error body ({detail, code, errors}) or a fallback. */
  function errorText(body, status) {
    if (body && typeof body === "object" && body.detail) { return String(body.detail); }
    if (status === 413) { return "The file is larger than the server accepts."; }
    if (status >= 500) { return "The server hit an error; please try again."; }
    if (status === 0) { return "Could not reach the server. Check your connection and try again."; }
    return "The request failed (HTTP " + status + ").";
  }

  /* fetch() JSON with the CSRF header; resolves {ok, status, body}; never throws on HTTP errors. */
  function api(url, options) {
    options = options || {};
    var headers = Object.assign({ "X-CSRFToken": csrfToken(), Accept: "application/json" }, options.headers || {});
    var body = options.body;
    if (body !== undefined && !(body instanceof FormData) && typeof body !== "string") {
      body = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    return fetch(url, { method: options.method || "GET", headers: headers, body: body, credentials: "same-origin" })
      .then(function (res) {
        return res.text().then(function (text) {
          var parsed = null;
          try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
          return { ok: res.ok, status: res.status, body: parsed, error: res.ok ? "" : errorText(parsed, res.status) };
        });
      }, function () {
        return { ok: false, status: 0, body: null, error: errorText(null, 0) };
      });
  }

  /* A WebSocket to `path` (same host) calling onEvent(data) per JSON message; reconnects with
     backoff until close() is called. Returns {close(), send(obj)}. */
  function vurSocket(path, onEvent, options) {
    options = options || {};
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var url = /^wss?:/.test(path) ? path : proto + location.host + path;
    var socket = null, closed = false, delay = 500, queue = [];
    function open() {
      socket = new WebSocket(url);
      socket.onopen = function () {
        delay = 500;
        if (options.onOpen) { options.onOpen(); }
        while (queue.length) { socket.send(queue.shift()); }
      };
      socket.onmessage = function (msg) {
        var data;
        try { data = JSON.parse(msg.data); } catch (e) { return; }
        onEvent(data);
      };
      socket.onclose = function (ev) {
        if (options.onClose) { options.onClose(ev); }
        if (closed || ev.code === 4403 || ev.code === 4404) { return; }
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    open();
    return {
      close: function () { closed = true; if (socket) { socket.close(); } },
      send: function (obj) {
        var text = typeof obj === "string" ? obj : JSON.stringify(obj);
        if (socket && socket.readyState === 1) { socket.send(text); } else { queue.push(text); }
      },
    };
  }

  /* Draw (or redraw) a Plotly chart in element `el` (id or node); no-op if Plotly isn't loaded. */
  function vurChart(el, traces, layout, config) {
    var node = typeof el === "string" ? document.getElementById(el) : el;
    if (!node || !window.Plotly) { return null; }
    var base = {
      margin: { l: 48, r: 16, t: 24, b: 40 }, autosize: true, font: { family: "system-ui, sans-serif", size: 12 },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", showlegend: traces.length > 1,
      legend: { orientation: "h", y: -0.2 },
    };
    var merged = Object.assign(base, layout || {});
    // Axes grow their margin to fit their (possibly rotated) tick labels instead of clipping
    // them at the chart's edge, unless a chart says otherwise.
    ["xaxis", "yaxis"].concat(Object.keys(merged).filter(function (k) { return /^[xy]axis\d+$/.test(k); }))
      .forEach(function (k) { merged[k] = Object.assign({ automargin: true }, merged[k] || {}); });
    var conf = Object.assign({ responsive: true, displaylogo: false, displayModeBar: false }, config || {});
    // A chart that sets its own height gives it to its box too: on a window resize Plotly's
    // responsive mode re-reads the box's size, and a box left at its CSS min-height shrank under
    // a tall chart (feature importance at 390 px after a resize ran over the next card).
    if (merged.height) { node.style.height = merged.height + "px"; }
    window.Plotly.react(node, traces, merged, conf);
    node.setAttribute("data-drawn", "1");
    return node;
  }

  /* Data embedded with Django's json_script. */
  function jsonData(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  /* Draw every <div data-plot="ID"> whose json_script ID holds {data, layout} (once each). */
  function drawPlots(root) {
    (root || document).querySelectorAll("[data-plot]:not([data-drawn])").forEach(function (el) {
      var fig = jsonData(el.getAttribute("data-plot"));
      if (fig) { vurChart(el, fig.data || [], fig.layout || {}); }
    });
  }
  document.addEventListener("htmx:afterSettle", function (ev) { drawPlots(ev.target); });

  /* A form the server refused comes back with its messages: the focus moves to the line that
     sums them up (#form-error), or to the first field marked invalid, so keyboard and
     screen-reader users start where the fixing is. */
  function focusFormError() {
    var summary = document.getElementById("form-error") || document.getElementById("login-error");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
      summary.focus();
      return;
    }
    var field = document.querySelector('[aria-invalid="true"]');
    if (field) { field.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFormError();
    drawPlots(document);
    var toggle = document.querySelector("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
      // Escape closes the open menu and gives the focus back to its button.
      document.addEventListener("keydown", function (ev) {
        if (ev.key !== "Escape" || !nav.classList.contains("open")) { return; }
        nav.classList.remove("open");
        toggle.setAttribute("aria-expanded", "false");
        if (nav.contains(document.activeElement)) { toggle.focus(); }
      });
    }
  });

  /* htmx: errors are told, not swallowed. */
  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail.xhr, body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    toast(errorText(body, xhr.status));
  });
  document.addEventListener("htmx:sendError", function () { toast(errorText(null, 0)); });

  window.vur = { drawPlots: drawPlots, api: api, csrfToken: csrfToken, toast: toast, errorText: errorText, jsonData: jsonData };
  window.vurSocket = vurSocket;

  // An alert kind in words, as the pages write it: "job_failed" -> "Job failed"
  // (monitoring_labels.alert_kind on the server).
  window.vurAlertKind = function (kind) {
    var words = String(kind || "alert").replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  };
  window.vurChart = vurChart;

  /* A number rounded for people, as modeling.metrics.readable does on the server: 4 significant
     digits below 1,000 (0.8194), whole numbers with separators above (72,617), exponents only
     below 0.0001; null, NaN and infinities as "–". The full value stays in the data. */
  function readable(value, digits) {
    digits = digits || 4;
    if (value === null || value === undefined || value === "") return "–";
    if (typeof value !== "number" && isNaN(Number(value))) return String(value);
    var n = Number(value);
    if (!isFinite(n)) return "–";
    var trim = function (t) { return t.indexOf(".") === -1 ? t : t.replace(/0+$/, "").replace(/\.$/, ""); };
    if (Math.abs(Number(n.toPrecision(digits))) >= 1000) return Math.round(n).toLocaleString("en-US");
    if (n === 0) return "0";
    if (Math.abs(n) < 1e-4) {
      var parts = n.toExponential(Math.max(digits - 1, 0)).split("e");
      return trim(parts[0]) + "e" + parseInt(parts[1], 10);
    }
    return trim(n.toPrecision(digits));
  }
  window.vur.readable = readable;
})();
