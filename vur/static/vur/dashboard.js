/* Dashboard: alerts raised while the page is open are added to "Open alerts" and its count,
   from /ws/alerts/ (vurSocket reconnects with a growing delay). On connecting, the socket sends
   the open alerts again; those older than the page were already counted when it was made. */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function kindLabel(kind) { return window.vurAlertKind(kind); }

  function AlertsCard(section) {
    this.section = section;
    this.since = Date.parse(section.dataset.renderedAt);
    var self = this;
    // data-socket says whether new alerts can arrive ("live") or not right now.
    section.dataset.socket = "connecting";
    window.vurSocket("/ws/alerts/", function (msg) {
      if (msg && msg.type === "alert" && msg.alert) self.add(msg.alert);
    }, {
      onOpen: function () { section.dataset.socket = "live"; },
      onClose: function () { section.dataset.socket = "reconnecting"; },
    });
  }

  AlertsCard.prototype.add = function (a) {
    if (typeof a.id !== "number" || a.acknowledged) return;
    if (this.section.querySelector('[data-alert-id="' + a.id + '"]')) return;
    if (!(Date.parse(a.created_at) >= this.since)) return; // counted when the page was made
    var list = document.getElementById("open-alerts-list");
    if (!list) {
      list = el("ul", { class: "plain", id: "open-alerts-list", "aria-live": "polite" });
      var none = document.getElementById("no-open-alerts");
      if (none) none.replaceWith(list);
      else this.section.appendChild(list);
    }
    var severity = a.severity || "warning";
    var li = el("li", { "data-alert-id": String(a.id) });
    li.appendChild(el("span", { class: "badge " + severity }, severity));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("strong", {}, kindLabel(a.kind)));
    li.appendChild(document.createTextNode(" — " + (a.message || "")));
    if (a.model_id !== null && a.model_id !== undefined) {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("a", { href: "/monitoring/models/" + a.model_id + "/", class: "alert-model" }, a.model_name || ("model " + a.model_id)));
    }
    list.insertBefore(li, list.firstChild);
    var count = document.getElementById("open-alerts-count");
    if (count) {
      var value = count.querySelector(".value");
      var n = (parseInt(value.textContent, 10) || 0) + 1;
      value.textContent = String(n);
      count.querySelector(".label").textContent = n === 1 ? "open alert" : "open alerts";
    }
  };

  function start() {
    var section = document.getElementById("alerts");
    if (section && section.dataset.renderedAt && window.vurSocket) window.vurAlertsCard = new AlertsCard(section);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
