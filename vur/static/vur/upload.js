/* Dataset upload: drag-and-drop or picker, type and size checked before sending, a progress bar
   while the file goes to the upload API, and the server's error shown next to its field. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = document.getElementById("id_file");
  var zone = document.getElementById("dropzone");
  var chosen = document.getElementById("file-chosen");
  var submit = document.getElementById("upload-submit");
  var box = document.getElementById("upload-progress");
  var bar = box.querySelector(".progress");
  var status = document.getElementById("upload-status");
  var allowed = form.dataset.allowed.split(",");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var file = null;

  function fieldError(name, message) {
    var el = document.getElementById(name + "-error");
    var field = document.getElementById("id_" + name);
    if (!el) { el = document.getElementById("file-error"); field = input; }
    el.textContent = message || "";
    if (field) { field.setAttribute("aria-invalid", message ? "true" : "false"); }
  }
  function clearErrors() {
    ["file", "name", "time_column"].forEach(function (n) { fieldError(n, ""); });
    var top = document.getElementById("form-error");
    if (top) { top.remove(); }
  }
  function check(f) {
    if (!f) { return "Choose a file to upload."; }
    var dot = f.name.lastIndexOf(".");
    var ext = dot >= 0 ? f.name.slice(dot).toLowerCase() : "";
    if (allowed.indexOf(ext) < 0) {
      return "\u201c" + f.name + "\u201d is not a supported file type; upload a .csv, .xlsx, .json or .parquet file.";
    }
    if (f.size === 0) { return "The file is empty."; }
    if (f.size > maxBytes) {
      return "The file is " + (f.size / 1048576).toFixed(1) + " MB; the limit is " + form.dataset.maxMb + " MB.";
    }
    return "";
  }
  // Bytes under 1 KB (a 6-byte file is not "1 KB"), then KB and MB.
  function sizeWords(n) {
    if (n < 1024) { return n + (n === 1 ? " byte" : " bytes"); }
    if (n < 1048576) { return (n / 1024).toFixed(n < 10240 ? 1 : 0) + " KB"; }
    return (n / 1048576).toFixed(1) + " MB";
  }
  function choose(f) {
    file = f;
    clearErrors();
    chosen.textContent = f ? f.name + " (" + sizeWords(f.size) + ")" : "";
    var problem = f ? check(f) : "";
    fieldError("file", problem);
    var name = document.getElementById("id_name");
    if (f && !problem && !name.value) { name.placeholder = f.name.replace(/\.[^.]+$/, ""); }
  }

  input.addEventListener("change", function () { choose(input.files[0] || null); });
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    var f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) { choose(f); }
  });

  function setProgress(pct, text) {
    box.hidden = false;
    bar.firstElementChild.style.width = pct + "%";
    bar.setAttribute("aria-valuenow", String(Math.round(pct)));
    status.textContent = text;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearErrors();
    var problem = check(file);
    if (problem) { fieldError("file", problem); input.focus(); return; }
    var data = new FormData();
    data.append("file", file, file.name);
    var name = document.getElementById("id_name");
    data.append("name", name.value || name.placeholder || file.name.replace(/\.[^.]+$/, ""));
    data.append("description", document.getElementById("id_description").value);
    var kind = form.querySelector("input[name=dataset_type]:checked");
    if (kind && kind.value) { data.append("dataset_type", kind.value); }
    var time = document.getElementById("id_time_column").value.trim();
    if (time) { data.append("time_column", time); }

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.api);
    xhr.setRequestHeader("X-CSRFToken", window.vur.csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) {
        var pct = (ev.loaded / ev.total) * 100;
        setProgress(pct, pct < 100 ? "Sending\u2026 " + Math.round(pct) + "%" : "Reading and profiling the file\u2026");
      }
    });
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      if (xhr.status === 201 && body && body.id) {
        setProgress(100, "Uploaded. Opening the dataset\u2026");
        window.location.assign(form.dataset.detailUrl + body.id + "/");
        return;
      }
      submit.disabled = false;
      box.hidden = true;
      var message = window.vur.errorText(body, xhr.status);
      var errors = (body && body.errors) || {};
      var shown = false;
      Object.keys(errors).forEach(function (key) {
        var msgs = errors[key];
        fieldError(key, Array.isArray(msgs) ? msgs.join(" ") : String(msgs));
        shown = true;
      });
      if (!shown) { fieldError("file", message); }
    };
    xhr.onerror = function () {
      submit.disabled = false;
      box.hidden = true;
      fieldError("file", window.vur.errorText(null, 0));
    };
    submit.disabled = true;
    setProgress(0, "Sending\u2026");
    xhr.send(data);
  });
})();
