/* Training page: relays /ws/training/<id>/ events into the progress bar, log, loss curves and
   leaderboard without a reload. Stored events rendered by the server are skipped by sequence.
   The wizard's training step follows its pipeline's running job the same way, to turn Start
   back on and list the job under "Earlier runs" when it ends. */
(function () {
  "use strict";

  var TERMINAL = ["completed", "failed", "cancelled"];
  // Seconds past its estimated end before a running job's page says it may have stopped.
  var OVERDUE_S = 10;
  var LABELS = { queued: "Queued", running: "Running", completed: "Completed", failed: "Failed", cancelled: "Cancelled" };

  function $(id) { return document.getElementById(id); }

  function readJSON(id, fallback) {
    var el = $(id);
    if (!el) return fallback;
    try { return JSON.parse(el.textContent); } catch (e) { return fallback; }
  }

  function wsUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  function formatEta(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "estimating…";
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) return "about " + s + " s";
    var m = Math.floor(s / 60);
    if (m < 60) return "about " + m + " min " + (s % 60) + " s";
    return "about " + Math.floor(m / 60) + " h " + (m % 60) + " min";
  }

  function fmt(value) {
    if (value === null || value === undefined || value === "") return "–";
    if (window.vur && window.vur.readable) return window.vur.readable(value);
    var n = Number(value);
    return isNaN(n) ? String(value) : String(Number(n.toPrecision(4)));
  }

  /* Epochs are whole numbers: ticks on whole epochs only (at most about ten of them). */
  function epochAxis(maxEpoch) {
    var step = Math.max(1, Math.ceil((maxEpoch || 1) / 10));
    return { title: { text: "epoch" }, automargin: true, tickmode: "linear", tick0: step === 1 ? 1 : 0, dtick: step, tickformat: "d" };
  }

  function LossChart(el, emptyNote, names) {
    this.el = el;
    this.emptyNote = emptyNote;
    this.names = names || {}; // algorithm key -> the name the pages give it
    this.series = {}; // key "algo|run|kind" -> {x: [], y: [], name}
    this.runs = {};
    this.order = [];
    this.drawn = false;
    this.pending = false;
  }

  LossChart.prototype.add = function (row) {
    var self = this;
    [["train_loss", "train"], ["val_loss", "validation"]].forEach(function (pair) {
      var value = row[pair[0]];
      if (value === null || value === undefined) return;
      var algo = row.algorithm || "model";
      // A search may train the same algorithm again: epochs restarting begin a new run.
      var run = self.runs[algo] || 1;
      var last = self.series[algo + "|" + run + "|" + pair[1]];
      if (last && last.x.length && row.epoch <= last.x[last.x.length - 1]) {
        run += 1;
        self.runs[algo] = run;
      }
      var key = algo + "|" + run + "|" + pair[1];
      if (!self.series[key]) {
        var label = (self.names[algo] || algo) + (run > 1 ? " (run " + run + ")" : "") + " " + pair[1];
        self.series[key] = { x: [], y: [], dash: pair[1] === "train" ? "dot" : "solid", name: label };
        self.order.push(key);
      }
      self.series[key].x.push(row.epoch);
      self.series[key].y.push(value);
    });
    this.schedule();
  };

  LossChart.prototype.schedule = function () {
    var self = this;
    if (this.pending) return;
    this.pending = true;
    window.requestAnimationFrame(function () { self.pending = false; self.draw(); });
  };

  LossChart.prototype.draw = function () {
    if (!this.order.length || !window.Plotly) return;
    if (this.emptyNote) this.emptyNote.hidden = true;
    this.el.hidden = false;
    var self = this;
    var maxEpoch = 1;
    var traces = this.order.map(function (key) {
      var s = self.series[key];
      maxEpoch = Math.max.apply(null, [maxEpoch].concat(s.x));
      return { name: s.name, x: s.x.slice(), y: s.y.slice(), mode: "lines", line: { dash: s.dash } };
    });
    var layout = {
      // The legend sits above the plot, clear of the x axis title.
      margin: { l: 50, r: 10, t: 40, b: 40 },
      xaxis: epochAxis(maxEpoch),
      yaxis: { title: { text: "loss" }, automargin: true },
      legend: { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom" },
      height: 300,
    };
    if (window.vurChart) window.vurChart(this.el, traces, layout);
    else window.Plotly.react(this.el, traces, layout, { responsive: true, displaylogo: false });
    this.drawn = true;
  };

  function TrainingPage(root) {
    this.root = root;
    this.jobId = root.dataset.jobId;
    // Log lines up to logSeq are rendered by the server; a running job's metric points all
    // come from the socket's replay, so nothing is drawn twice.
    this.logSeq = parseInt(root.dataset.lastSeq || "0", 10);
    this.lastSeq = 0;
    this.status = (readJSON("job-status-data", {}) || {}).status || "queued";
    this.log = $("job-log");
    this.iterative = readJSON("iterative-algorithms", []) || [];
    this.names = readJSON("algorithm-names", {}) || {};
    this.algorithm = "";
    this.chart = new LossChart($("loss-chart"), $("loss-empty"), this.names);
    this.closedByServer = false;
    this.retries = 0;
    // The time left counts down between events: a job whose worker died sends none.
    this.eta = null;
    this.etaAt = 0;
    this.replayDone = false;
    this.staleS = parseInt(root.dataset.staleS || "90", 10);
    var self = this;
    window.setInterval(function () { self.tick(); }, 1000);
    (readJSON("job-epochs-data", []) || []).forEach(function (row) { self.chart.add(row); });
    if (TERMINAL.indexOf(this.status) === -1) this.connect();
    else this.setConnection("finished", "finished");
  }

  TrainingPage.prototype.setConnection = function (state, text) {
    var el = $("job-connection");
    if (!el) return;
    el.dataset.state = state;
    el.textContent = text;
  };

  TrainingPage.prototype.connect = function () {
    var self = this;
    var socket;
    try {
      socket = new WebSocket(wsUrl("/ws/training/" + this.jobId + "/"));
    } catch (e) {
      this.setConnection("error", "live updates unavailable");
      return;
    }
    this.socket = socket;
    this.replayDone = false;  // each connection starts with the job's stored events
    socket.onopen = function () { self.retries = 0; self.setConnection("live", "live"); };
    socket.onmessage = function (msg) {
      var event;
      try { event = JSON.parse(msg.data); } catch (e) { return; }
      self.handle(event);
    };
    socket.onclose = function (ev) {
      if (TERMINAL.indexOf(self.status) !== -1) { self.setConnection("finished", "finished"); return; }
      if (ev.code === 4404) {
        self.setConnection("error", "this job was not found (deleted?); reload the page");
        return;
      }
      if (ev.code === 4401) {
        self.setConnection("error", "signed out; sign in again to follow this job");
        return;
      }
      self.retries += 1;
      var delay = Math.min(10000, 500 * Math.pow(2, self.retries));
      self.setConnection("reconnecting", "reconnecting…");
      window.setTimeout(function () { self.connect(); }, delay);
    };
  };

  TrainingPage.prototype.handle = function (event) {
    var seq = event.seq;
    if (seq !== undefined && seq !== null) {
      if (seq <= this.lastSeq) {
        // Already on the page (rendered by the server or received before a reconnect).
        if (event.type !== "status" && event.type !== "progress") return;
      } else {
        this.lastSeq = seq;
      }
      if (event.type === "log" && seq <= this.logSeq) return;
    }
    if (event.type === "log") this.addLog(event);
    else if (event.type === "progress") this.setProgress(event);
    else if (event.type === "metric") this.chart.add(event);
    else if (event.type === "status") this.setStatus(event);
    if (event.type === "status" && event.replay) this.replayDone = true;
  };

  TrainingPage.prototype.addLog = function (event) {
    var li = document.createElement("li");
    li.className = "lvl-" + (event.level || "info");
    if (event.seq) li.dataset.seq = event.seq;
    var time = document.createElement("time");
    var stamp = event.timestamp || new Date().toISOString();
    time.dateTime = stamp;
    time.textContent = stamp.slice(11, 19);
    li.appendChild(time);
    li.appendChild(document.createTextNode(" " + (event.message || "")));
    var nearBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    this.log.appendChild(li);
    if (nearBottom) this.log.scrollTop = this.log.scrollHeight;
    var empty = $("log-empty");
    if (empty) empty.hidden = true;
  };

  TrainingPage.prototype.setProgress = function (event) {
    if (event.progress !== undefined && event.progress !== null) {
      var p = Math.max(0, Math.min(1, Number(event.progress)));
      $("job-progress").value = p;
      $("job-percent").textContent = Math.round(p * 100) + "%";
    }
    if ("estimated_time_remaining" in event && TERMINAL.indexOf(this.status) === -1) {
      var eta = event.estimated_time_remaining;
      if (eta === null || eta === undefined || isNaN(eta)) {
        this.eta = null;
        $("job-eta").textContent = formatEta(eta);
      } else {
        // An event the socket replays on connecting counts from when it was sent, a live one
        // from now (the browser's clock may differ from the server's). The replay's closing
        // status repeats the job's stored estimate, already counted from its progress event.
        var at = Date.now();
        var sent = !this.replayDone && event.timestamp ? Date.parse(event.timestamp) : NaN;
        if (!(event.replay && this.eta !== null)) {
          this.eta = Number(eta);
          this.etaAt = isNaN(sent) ? at : Math.min(at, sent);
          this.tick();
        }
      }
    }
    if (event.best_metric !== undefined && event.best_metric !== null) $("job-best").textContent = fmt(event.best_metric);
    var algo = event.algorithm || event.current_algorithm;
    if (algo) { this.algorithm = algo; $("job-algorithm").textContent = "· " + (this.names[algo] || algo); }
    if (event.current_epoch !== undefined && event.current_epoch !== null) $("job-epoch").textContent = event.current_epoch;
    // An epoch count only means something while an iterative algorithm trains.
    var row = $("job-epoch-row");
    if (row && TERMINAL.indexOf(this.status) === -1) {
      row.hidden = !(this.algorithm && this.iterative.indexOf(this.algorithm) !== -1 && $("job-epoch").textContent !== "–");
    }
  };

  TrainingPage.prototype.tick = function () {
    var note = $("job-overdue-note");
    if (this.eta === null || this.status !== "running") {
      if (note) note.hidden = true;
      return;
    }
    var left = this.eta - (Date.now() - this.etaAt) / 1000;
    if (left > 0) {
      $("job-eta").textContent = formatEta(left);
      if (note) note.hidden = true;
      return;
    }
    $("job-eta").textContent = "any moment";
    var over = Math.round(-left);
    if (note && over >= OVERDUE_S) {
      note.textContent = "Running " + over + " s past its estimated end. If its worker has " +
        "stopped, the job is marked failed within " + this.staleS + " s of the worker's last " +
        "sign of life.";
      note.hidden = false;
    }
  };

  TrainingPage.prototype.setStatus = function (event) {
    var status = event.status;
    if (!status) return;
    var changed = status !== this.status;
    this.status = status;
    var badge = $("job-status");
    badge.textContent = LABELS[status] || status;
    badge.className = "badge " + status;
    // The note that no worker answers only concerns a job still waiting in the queue.
    var note = $("job-worker-note");
    if (note && status !== "queued") note.hidden = true;
    this.setProgress(event);
    if (event.error) {
      var err = $("job-error");
      err.textContent = event.error;
      err.hidden = false;
    }
    if (TERMINAL.indexOf(status) !== -1) {
      this.eta = null;
      this.tick();
      $("job-eta").textContent = "–";
      $("job-algorithm").textContent = "";
      var epochRow = $("job-epoch-row");
      var empty = $("loss-empty");
      if (empty && !this.chart.drawn) {
        // Not "no per-epoch losses yet": the job has ended and no more will come.
        empty.textContent = status === "completed"
          ? "No loss curve: the algorithms this job trained are fitted in one pass and have no epochs."
          : "No loss curve: no model of this run records per-epoch losses.";
      }
      if (epochRow && !epochRow.hidden && this.algorithm) {
        $("job-epoch-label").textContent = "Last epoch of " + (this.names[this.algorithm] || this.algorithm);
      }
      var area = $("cancel-area");
      if (area) {
        area.innerHTML = status === "cancelled" ? '<p class="muted" id="cancel-done">This job was cancelled.</p>' : "";
      }
      this.setConnection("finished", "finished");
    }
    if (changed || (event.replay && TERMINAL.indexOf(status) !== -1)) this.refreshLeaderboard();
  };

  TrainingPage.prototype.refreshLeaderboard = function () {
    var board = $("leaderboard");
    if (board && window.htmx) window.htmx.trigger(board, "refresh");
  };

  /* The wizard's training step: Start is off while a job of the pipeline is queued or running
     (the server refuses a second one). The page follows that job over its socket and, once it
     has ended, says how, turns Start back on and lists it under "Earlier runs", without a
     reload. */
  function TrainingStep(form) {
    this.form = form;
    this.button = $("start-training");
    var notice = $("active-job");
    this.jobId = notice ? notice.dataset.jobId : "";
    this.status = notice ? notice.dataset.status : "";
    this.created = notice ? notice.dataset.created || "" : "";
    var self = this;
    form.addEventListener("submit", function () {
      // One click starts one job: a second click while the answer loads would be refused.
      if (self.button) { self.button.disabled = true; self.button.setAttribute("aria-busy", "true"); }
    });
    // A page restored from the back-forward cache shows the state before Start was clicked:
    // load it again so Start reflects the job that click started.
    window.addEventListener("pageshow", function (ev) { if (ev.persisted) window.location.reload(); });
    if (this.jobId && window.vurSocket) this.follow();
  }

  TrainingStep.prototype.follow = function () {
    var self = this;
    this.socket = window.vurSocket("/ws/training/" + this.jobId + "/", function (event) {
      if (event.type === "status") self.setStatus(event.status);
    }, {
      onClose: function (ev) {
        // Signed out: following again would be refused the same way.
        if (ev.code === 4401 && self.socket) self.socket.close();
      },
    });
  };

  TrainingStep.prototype.setStatus = function (status) {
    if (!status || status === this.status || TERMINAL.indexOf(this.status) !== -1) return;
    var notice = $("active-job");
    if (TERMINAL.indexOf(status) === -1) {
      // Queued -> running: the notice's opening words follow (the replay of the job's stored
      // events passes "queued" again: never back).
      if (status !== "running") return;
      this.status = status;
      if (notice && notice.firstChild && notice.firstChild.nodeType === 3) {
        notice.firstChild.nodeValue = "A training job of this pipeline is " + status + ": ";
      }
      return;
    }
    this.status = status;
    if (this.socket) this.socket.close(); // the server closes after the final status too
    var ended = document.createElement("p");
    ended.className = status === "completed" ? "notice success" : status === "failed" ? "notice error" : "notice";
    ended.id = "active-job-ended";
    ended.dataset.status = status;
    ended.appendChild(document.createTextNode("The training job of this pipeline " + (
      status === "completed" ? "has completed" : status === "failed" ? "failed" : "was cancelled"
    ) + ": "));
    var link = document.createElement("a");
    link.href = "/training/" + this.jobId + "/";
    link.id = "active-job-link";
    link.textContent = "see it on its page";
    ended.appendChild(link);
    ended.appendChild(document.createTextNode(". You can start another now."));
    var area = $("active-job-area");
    if (notice) notice.remove();
    if (area) area.appendChild(ended);
    if (this.button) {
      this.button.disabled = false;
      this.button.removeAttribute("aria-describedby");
    }
    this.listEnded(status);
  };

  /* "Earlier runs" lists the pipeline's ended jobs, newest first, as the server renders them:
     the followed job joins it once it has ended (the card is added if this is the first). It is
     the newest job, as the server starts no other while it is queued or running. Not a live
     region: the notice above already says how the job ended. */
  TrainingStep.prototype.listEnded = function (status) {
    var card = $("past-jobs");
    if (!card) {
      card = document.createElement("section");
      card.className = "card";
      card.id = "past-jobs";
      var heading = document.createElement("h2");
      heading.textContent = "Earlier runs";
      card.appendChild(heading);
      var ul = document.createElement("ul");
      ul.className = "plain";
      card.appendChild(ul);
      this.form.parentNode.insertBefore(card, this.form.nextSibling);
    }
    var list = card.querySelector("ul");
    var row = null;
    Array.prototype.forEach.call(list.children, function (li) {
      if (li.dataset.jobId === this.jobId) row = li;
    }, this);
    if (!row) {
      row = document.createElement("li");
      row.dataset.jobId = this.jobId;
      var link = document.createElement("a");
      link.href = "/training/" + this.jobId + "/";
      link.textContent = this.created || "Job " + this.jobId;
      row.appendChild(link);
      row.appendChild(document.createTextNode(" "));
      row.appendChild(document.createElement("span"));
      list.insertBefore(row, list.firstChild);
      var limit = parseInt(list.dataset.limit || "0", 10);
      while (limit > 0 && list.children.length > limit) list.removeChild(list.lastElementChild);
    }
    var badge = row.querySelector(".badge") || row.querySelector("span");
    badge.className = "badge " + status;
    badge.textContent = status;
  };

  function start() {
    var root = $("job");
    if (root) window.vurTraining = new TrainingPage(root);
    var form = $("training-form");
    if (form) window.vurTrainingStep = new TrainingStep(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
