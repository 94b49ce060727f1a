// Record a dictation in the browser (MediaRecorder, no plugin). The recording is kept in IndexedDB until
// the server has taken it, so a dropped connection loses nothing; then it is removed from the browser.
(function () {
  "use strict";
  var form = document.getElementById("tale-recorder");
  if (!form) return;
  var start = document.getElementById("tale-start");
  var stop = document.getElementById("tale-stop");
  var send = document.getElementById("tale-send");
  var statusLine = document.getElementById("tale-status");
  var preview = document.getElementById("tale-preview");
  var DB = "kommuneki-tale", STORE = "opptak", KEY = "siste";
  var recorder = null, parts = [], pending = null;

  var text = form.dataset;  // the page's own words, in the tenant's målform
  function say(line) { statusLine.textContent = line; }

  if (!window.isSecureContext) {
    document.getElementById("tale-insecure").hidden = false;
    start.disabled = true;
    return;
  }
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    document.getElementById("tale-unsupported").hidden = false;
    start.disabled = true;
    return;
  }

  function withStore(mode, fn) {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open(DB, 1);
      open.onupgradeneeded = function () { open.result.createObjectStore(STORE); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var tx = open.result.transaction(STORE, mode);
        var req = fn(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(req && req.result); open.result.close(); };
        tx.onerror = function () { reject(tx.error); };
      };
    });
  }
  function keep(blob) { return withStore("readwrite", function (s) { return s.put(blob, KEY); }); }
  function forget() { return withStore("readwrite", function (s) { return s.delete(KEY); }); }
  function stored() { return withStore("readonly", function (s) { return s.get(KEY); }); }

  function ready(blob) {
    pending = blob;
    preview.src = URL.createObjectURL(blob);
    preview.hidden = false;
    send.disabled = false;
  }

  stored().then(function (blob) {
    if (blob) { ready(blob); say(text.unsent); }
  }).catch(function () {});

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      parts = [];
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) parts.push(e.data); };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        var blob = new Blob(parts, { type: recorder.mimeType || "audio/webm" });
        keep(blob).catch(function () {}).then(function () {
          ready(blob);
          say(text.saved);
        });
      };
      recorder.start(1000);
      start.disabled = true; stop.disabled = false; send.disabled = true;
      say(text.recording);
    }).catch(function () {
      say(text.noMic);
    });
  });

  stop.addEventListener("click", function () {
    if (recorder && recorder.state !== "inactive") recorder.stop();
    start.disabled = false; stop.disabled = true;
  });

  send.addEventListener("click", function () {
    if (!pending) return;
    var data = new FormData(form);
    var ext = (pending.type.indexOf("ogg") >= 0) ? "ogg" : (pending.type.indexOf("mp4") >= 0 ? "m4a" : "webm");
    data.append("lyd", pending, "opptak." + ext);
    send.disabled = true;
    say(text.sending);
    fetch(form.action, { method: "POST", body: data, headers: { "Accept": "application/json" },
                         credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.json();
      })
      .then(function (answer) {
        if (!answer.job_url) throw new Error("no job");
        return forget().catch(function () {}).then(function () { window.location.assign(answer.job_url); });
      })
      .catch(function () {
        send.disabled = false;
        say(text.failed);
      });
  });
})();
