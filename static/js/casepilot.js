// CasePilot: with JavaScript, a question is answered in place. The form still posts to
// /casepilot/ without this file. The server streams newline-delimited JSON: "text" events are
// shown as plain text while the answer is written (never parsed as HTML), then one "done" event
// carries the finished answer, sanitized on the server, which replaces the text.
(function () {
  "use strict";

  var forms = document.querySelectorAll("form.casepilot-form[data-stream]");
  if (!forms.length || !window.fetch || !window.TextDecoder) return;

  function showErrors(target, errors) {
    target.textContent = "";
    var box = document.createElement("div");
    box.className = "form-errors";
    box.setAttribute("role", "alert");
    errors.forEach(function (message) {
      var p = document.createElement("p");
      p.textContent = message;
      box.appendChild(p);
    });
    target.appendChild(box);
  }

  forms.forEach(function (form) {
    var target = document.getElementById(form.getAttribute("data-answer"));
    var button = form.querySelector("button[type=submit]");
    if (!target) return;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = new FormData(form);
      var pending = document.createElement("p");
      pending.className = "answer-streaming";
      var text = document.createTextNode("");
      pending.appendChild(text);
      target.textContent = "";
      target.classList.add("is-answering");
      target.setAttribute("aria-busy", "true");
      target.appendChild(pending);
      text.data = "CasePilot is answering…";
      button.disabled = true;
      var started = false;
      var finished = false;

      function handle(line) {
        if (!line.trim()) return;
        var event = JSON.parse(line);
        if (event.type === "text") {
          if (!started) { text.data = ""; started = true; }
          text.data += event.text;
        } else if (event.type === "done") {
          finished = true;
          target.innerHTML = event.html; // rendered and sanitized by the server
          var heading = target.querySelector("h2");
          if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
        } else if (event.type === "error") {
          finished = true;
          showErrors(target, event.errors || ["Something went wrong."]);
        }
      }

      fetch(form.getAttribute("data-stream"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": body.get("csrfmiddlewaretoken") || "" }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === 0) {
          return response.json().then(function (data) { handle(JSON.stringify(data)); });
        }
        if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { handle(buffer); return; }
            buffer += decoder.decode(chunk.value, { stream: true });
            var lines = buffer.split("\n");
            buffer = lines.pop();
            lines.forEach(handle);
            return pump();
          });
        }
        return pump();
      }).catch(function () {
        if (!finished) showErrors(target, ["CasePilot could not answer just now. Please try again."]);
      }).then(function () {
        if (!finished && started) showErrors(target, ["The answer was interrupted. Please try again."]);
        button.disabled = false;
        target.classList.remove("is-answering");
        target.removeAttribute("aria-busy");
      });
    });
  });
})();
