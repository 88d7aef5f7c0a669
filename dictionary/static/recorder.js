/* Recording a clip in the browser on the curators' upload page (templates/admin/audio/upload.html).

   Without this script the page is a plain multipart form with a file input. With it, and a
   browser that has MediaRecorder, the recorder box appears: Record → Stop (or the automatic
   stop: 10 s for a headword, 30 s for an example) → the take must be listened to to the end
   → Save posts the same form with fetch, the take as its "file".
   - The browser's echo cancellation, noise suppression and automatic gain are off: they eat
     the breathy and creaky sounds a pronunciation is recorded for.
   - AAC in MP4 where the browser can (Safari, iOS), else Opus in WebM (Chrome, Firefox).
   - The microphone is released after each take and whenever the page is hidden.
   - A failed connection (or a 502/503/504) is retried with a growing pause; the server keeps
     one recording per identical file, so a retry after a lost answer adds nothing twice.
   Messages come translated from data-msg-* attributes. */
(function () {
  "use strict";
  var box = document.querySelector("[data-recorder]");
  if (!box || !window.MediaRecorder || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia || !window.fetch || !window.FormData) return;
  var form = box.closest("form");
  var $ = function (name) { return box.querySelector("[data-rec-" + name + "]"); };
  var startBtn = $("start"), stopBtn = $("stop"), saveBtn = $("save");
  var level = $("level"), clock = $("time"), preview = $("preview");
  var statusLine = $("status"), errorLine = $("error");
  var MIN_SECONDS = 0.3, QUIET = 0.02, RETRIES = 5;

  var stream = null, recorder = null, chunks = [], take = null, timer = null;
  var started = 0, audioContext = null, loudest = 0, meterFrame = null, sending = false;

  function msg(name, seconds) {
    var text = box.getAttribute("data-msg-" + name) || "";
    return seconds === undefined ? text : text.replace("{s}", String(seconds));
  }
  function say(text) { statusLine.textContent = text; }
  function fail(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function mimeType() {
    var wanted = ["audio/mp4;codecs=aac", "audio/webm;codecs=opus"];
    for (var i = 0; i < wanted.length; i++) {
      if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(wanted[i])) return wanted[i];
    }
    return "";  // the browser's default
  }

  function maxSeconds() {
    var select = form.querySelector("select[name=target]");
    var option = select && select.options[select.selectedIndex];
    var value = option && parseInt(option.getAttribute("data-max"), 10);
    return value > 0 ? value : 10;
  }

  function release() {
    if (meterFrame) cancelAnimationFrame(meterFrame);
    meterFrame = null;
    if (audioContext) { audioContext.close(); audioContext = null; }
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    level.value = 0;
  }

  function meter(source) {
    // A level meter, and the loudest level of the take for the "too quiet" warning.
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audioContext = new Context();
    var analyser = audioContext.createAnalyser();
    analyser.fftSize = 1024;
    audioContext.createMediaStreamSource(source).connect(analyser);
    var data = new Float32Array(analyser.fftSize);
    (function tick() {
      analyser.getFloatTimeDomainData(data);
      var sum = 0;
      for (var i = 0; i < data.length; i++) sum += data[i] * data[i];
      var rms = Math.sqrt(sum / data.length);
      loudest = Math.max(loudest, rms);
      level.value = Math.min(1, rms * 4);
      clock.textContent = ((Date.now() - started) / 1000).toFixed(1) + " s";
      meterFrame = requestAnimationFrame(tick);
    })();
  }

  function start() {
    fail("");
    take = null;
    saveBtn.disabled = true;
    preview.hidden = true;
    preview.removeAttribute("src");
    navigator.mediaDevices.getUserMedia({audio: {echoCancellation: false, noiseSuppression: false,
                                                 autoGainControl: false, channelCount: 1}})
      .then(function (s) {
        stream = s;
        var type = mimeType();
        var options = {audioBitsPerSecond: 96000};
        if (type) options.mimeType = type;
        recorder = new MediaRecorder(stream, options);
        chunks = [];
        loudest = 0;
        recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
        recorder.onstop = finished;
        recorder.start(250);
        started = Date.now();
        meter(stream);
        timer = setTimeout(stop, maxSeconds() * 1000);
        startBtn.disabled = true;
        stopBtn.disabled = false;
        say(msg("recording"));
      })
      .catch(function () { release(); fail(msg("denied")); });
  }

  function stop() {
    clearTimeout(timer);
    if (recorder && recorder.state !== "inactive") recorder.stop();
    else release();
  }

  function finished() {
    var seconds = (Date.now() - started) / 1000;
    var quiet = loudest < QUIET;
    release();
    startBtn.disabled = false;
    stopBtn.disabled = true;
    clock.textContent = seconds.toFixed(1) + " s";
    if (seconds < MIN_SECONDS || !chunks.length) { fail(msg("short")); return; }
    take = new Blob(chunks, {type: recorder.mimeType || chunks[0].type || "audio/webm"});
    preview.src = URL.createObjectURL(take);
    preview.hidden = false;
    say(msg("stopped"));
    if (quiet) fail(msg("quiet"));
  }

  function extension(type) {
    return type.indexOf("mp4") >= 0 ? "m4a" : type.indexOf("ogg") >= 0 ? "ogg" : "webm";
  }

  function send(attempt) {
    var data = new FormData(form);
    data.delete("file");
    data.set("source", "browser");
    data.append("file", take, "recording." + extension(take.type));
    var token = form.querySelector("[name=csrf_token]");
    return fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": token ? token.value : ""}
    }).then(function (response) {
      if ([502, 503, 504].indexOf(response.status) >= 0) throw new TypeError("busy");
      return response;
    }).catch(function (error) {
      if (!(error instanceof TypeError) || attempt >= RETRIES) throw error;
      var pause = Math.min(30, Math.pow(2, attempt)) + Math.random();
      say(msg("retry", Math.round(pause)));
      return new Promise(function (resolve) { setTimeout(resolve, pause * 1000); })
        .then(function () { return send(attempt + 1); });
    });
  }

  function save() {
    if (!take || sending) return;
    sending = true;
    saveBtn.disabled = true;
    startBtn.disabled = true;
    fail("");
    say(msg("saving"));
    send(0).then(function (response) {
      if (response.status === 413) throw new Error(msg("too-large"));
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) throw new Error(answer.error || msg("failed"));
        window.location.assign(answer.next_url || answer.status_url);
      });
    }).catch(function (error) {
      sending = false;
      saveBtn.disabled = false;
      startBtn.disabled = false;
      say("");
      fail(error instanceof TypeError ? msg("failed") : (error.message || msg("failed")));
    });
  }

  preview.addEventListener("ended", function () {
    // Listening to the whole take is what makes Save possible (a cut-off word is heard).
    if (take && !sending) { saveBtn.disabled = false; say(msg("listened")); }
  });
  startBtn.addEventListener("click", start);
  stopBtn.addEventListener("click", stop);
  saveBtn.addEventListener("click", save);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && stream) { stop(); say(msg("hidden")); }
  });
  box.hidden = false;
})();
