// The console works without this script. With it, the playground shows
// its result in place, without reloading the page, and Ctrl+Enter in a
// text area decides.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("playground");
  var result = document.getElementById("result");
  if (!form || !result) {
    return;
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    result.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      headers: { "X-Console-Fragment": "result" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    })
      .then(function (resp) {
        if (resp.redirected || !resp.headers.get("Content-Type").startsWith("text/html")) {
          form.submit(); // e.g. the session ended: let the browser follow
          return null;
        }
        return resp.text();
      })
      .then(function (html) {
        if (html !== null) {
          result.innerHTML = html; // rendered and escaped by the server
        }
      })
      .catch(function () {
        form.submit();
      })
      .finally(function () {
        button.disabled = false;
        result.removeAttribute("aria-busy");
      });
  });
  form.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
});
