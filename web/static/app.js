/* ekonomi: upload with progress, polling of running imports, the chart. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  var PHASES = { read: "Läser filen", store: "Sparar", done: "Klar", fetch: "Hämtar" };
  var STATUSES = { queued: "I kö", running: "Pågår", succeeded: "Lyckad", failed: "Misslyckad", previewed: "Förhandsgranskad" };

  function progressBox(label, url) {
    var box = document.createElement("div");
    box.className = "progress-box";
    if (url) box.setAttribute("data-url", url);
    var p = document.createElement("p");
    p.className = "progress-label";
    var file = document.createElement("span");
    file.className = "progress-file";
    file.textContent = label;
    var phase = document.createElement("span");
    phase.className = "progress-phase";
    p.appendChild(file);
    p.appendChild(document.createTextNode(": "));
    p.appendChild(phase);
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.setAttribute("aria-label", "Importens förlopp");
    box.appendChild(p);
    box.appendChild(bar);
    document.getElementById("progress-area").appendChild(box);
    return box;
  }

  function setBox(box, phaseText, percent) {
    box.querySelector(".progress-phase").textContent = phaseText;
    var bar = box.querySelector("progress");
    if (percent === null) bar.removeAttribute("value");
    else bar.value = Math.max(0, Math.min(100, percent));
  }

  function fail(box, message) {
    box.classList.add("progress-failed");
    setBox(box, message, 0);
    box.setAttribute("role", "alert");
  }

  function poll(box) {
    var url = box.getAttribute("data-url");
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) {
        fail(box, "Kunde inte läsa importens status (" + xhr.status + ").");
        return;
      }
      var r = JSON.parse(xhr.responseText);
      var p = r.progress || {};
      var percent = null;
      if (p.total) percent = Math.round((100 * p.done) / p.total);
      if (r.status === "queued") {
        setBox(box, "I kö: väntar på en tidigare import", null);
      } else if (r.status === "running") {
        setBox(box, (PHASES[p.phase] || "Pågår") + (percent !== null ? " " + percent + " %" : ""), percent);
      } else {
        box.classList.add("progress-" + r.status);
        setBox(box, STATUSES[r.status] || r.status, 100);
        box.setAttribute("data-status", r.status);
        // Show the finished import in the log.
        window.setTimeout(function () { window.location.reload(); }, 600);
        return;
      }
      window.setTimeout(function () { poll(box); }, 400);
    };
    xhr.onerror = function () { window.setTimeout(function () { poll(box); }, 2000); };
    xhr.send();
  }

  // The chosen file goes to the page's own form action, which starts a
  // preview and answers with the preview page (after a redirect): show the
  // upload's progress meanwhile, then go where the answer came from.
  function upload(form, file) {
    var box = progressBox(file.name, null);
    setBox(box, "Laddar upp 0 %", 0);
    var data = new FormData();
    data.append("csrf_token", form.querySelector('input[name="csrf_token"]').value);
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((100 * e.loaded) / e.total);
        setBox(box, "Laddar upp " + percent + " %", percent);
      }
    };
    xhr.onload = function () {
      if (xhr.status === 200 && xhr.responseURL) {
        setBox(box, "Förhandsgranskar", null);
        window.location.href = xhr.responseURL;
      } else {
        fail(box, xhr.status === 413 ? "Filen är för stor." : "Uppladdningen misslyckades (" + xhr.status + ").");
      }
    };
    xhr.onerror = function () { fail(box, "Uppladdningen avbröts. Försök igen."); };
    xhr.send(data);
  }

  // Översikt's notice of a running sync or import: follow it every 2 s and
  // show the books once it has ended.  Without the script the notice stays
  // as text.
  function followSync(notice) {
    var url = notice.getAttribute("data-sync-url");
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) return;  // gone or not ours to read: leave the text
      var status = JSON.parse(xhr.responseText).status;
      notice.setAttribute("data-status", status);
      if (status === "queued" || status === "running") {
        window.setTimeout(function () { followSync(notice); }, 2000);
      } else {
        window.location.reload();
      }
    };
    xhr.onerror = function () { window.setTimeout(function () { followSync(notice); }, 2000); };
    xhr.send();
  }

  function initSyncNotice() {
    var notice = document.querySelector("[data-sync-url]");
    if (notice) window.setTimeout(function () { followSync(notice); }, 2000);
  }

  function initUpload() {
    var form = document.getElementById("upload-form");
    if (!form || !window.FormData) return;
    var input = document.getElementById("sie-file");
    var button = document.getElementById("import-button");
    // With the script, the button opens the file dialog and choosing uploads.
    form.classList.add("enhanced");
    button.type = "button";
    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      if (input.files && input.files.length) upload(form, input.files[0]);
      input.value = "";
    });
  }

  function initPolling() {
    var boxes = document.querySelectorAll(".progress-box[data-url]");
    for (var i = 0; i < boxes.length; i++) poll(boxes[i]);
  }

  function initAutosubmit() {
    var selects = document.querySelectorAll("select[data-autosubmit]");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function (e) { e.target.form.submit(); });
    }
    var picker = document.querySelector("[data-company-picker] select");
    if (picker) {
      picker.addEventListener("change", function () { if (picker.value) window.location.href = picker.value; });
    }
  }

  function initChart() {
    var canvas = document.getElementById("result-chart");
    var source = document.getElementById("chart-data");
    if (!canvas || !source || !window.Chart) return;
    var months = JSON.parse(source.textContent);
    // Amounts come as exact decimal strings; numbers only for drawing.
    function series(key) { return months.map(function (m) { return Number(m[key]); }); }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: months.map(function (m) { return m.month; }),
        datasets: [
          { label: "Intäkter", data: series("revenue"), backgroundColor: "#2e7d5b" },
          { label: "Kostnader", data: series("costs"), backgroundColor: "#c0533a" },
          { label: "Resultat", data: series("result"), type: "line", borderColor: "#1f4e8c", backgroundColor: "#1f4e8c", tension: 0.2 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: { y: { ticks: { callback: function (v) { return v.toLocaleString("sv-SE") + " kr"; } } } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initUpload();
    initPolling();
    initSyncNotice();
    initAutosubmit();
    initChart();
  });
})();
