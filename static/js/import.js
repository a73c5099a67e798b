/*
 * The catalogue import form, upgraded: the file is uploaded in the background with a real
 * progress bar, then the page says how many rows are being validated and imported until the
 * server answers. Without this file the form posts normally and the server's page says the same.
 *
 * The request asks for JSON: a successful import answers {"redirect": url} and the script goes
 * there (the success message is waiting in the session); a file with problems answers the
 * import page itself (status 400), and an update its preview (status 200): either page's <main>
 * replaces the current one.
 */
(function () {
  "use strict";

  function countRows(text) {
    // Lines outside quoted cells that hold something, minus the header: what the server counts.
    var rows = 0;
    var inQuotes = false;
    var lineHasContent = false;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c === 34) {
        inQuotes = !inQuotes;
        lineHasContent = true;
      } else if (c === 10 && !inQuotes) {
        if (lineHasContent) {
          rows++;
        }
        lineHasContent = false;
      } else if (c !== 13 && c !== 44 && c !== 59 && c !== 9 && c !== 32 && c !== 0xfeff) {
        lineHasContent = true;
      }
    }
    if (lineHasContent) {
      rows++;
    }
    return Math.max(rows - 1, 0);
  }

  function plural(count, noun) {
    return count.toLocaleString() + " " + noun + (count === 1 ? "" : "s");
  }

  function enhance(form) {
    var input = form.querySelector('input[type="file"]');
    var button = form.querySelector('button[type="submit"]');
    var box = form.querySelector("[data-import-progress]");
    var bar = box ? box.querySelector("progress") : null;
    var status = form.querySelector("[data-import-status]");
    var problem = form.querySelector("[data-import-error]");
    var maxBytes = Number(form.getAttribute("data-max-bytes"));
    if (!input || !button || !bar || !status || !problem || !window.FormData) {
      return;
    }

    function showProblem(text) {
      problem.textContent = text;
      problem.hidden = !text;
    }

    function reset(text) {
      box.hidden = true;
      button.disabled = false;
      status.textContent = "";
      showProblem(text);
    }

    function replacePage(html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var main = page.querySelector("main");
      if (!main) {
        reset("The server's answer could not be shown. Reload the page and try again.");
        return;
      }
      document.title = page.title;
      document.querySelector("main").replaceWith(main);
      var next = main.querySelector("[data-import-form]");
      if (next) {
        enhance(next);
      }
      var summary = main.querySelector("#import-errors") || main.querySelector("#import-preview");
      if (summary) {
        summary.focus();
      }
    }

    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file) {
        return; // the server says what is missing
      }
      event.preventDefault();
      if (maxBytes && file.size > maxBytes) {
        showProblem(form.getAttribute("data-too-large"));
        return;
      }
      showProblem("");
      var rows = null;
      var uploaded = false;

      var mode = form.querySelector('input[name="mode"]:checked');
      var action = mode && mode.value === "update"
        ? "Checking what would change for"
        : "Validating and importing";

      function showValidating() {
        status.textContent = rows === null
          ? action + " your tracks…"
          : action + " " + plural(rows, "row") + "…";
      }

      if (file.text) {
        file.text().then(function (text) {
          rows = countRows(text);
          if (uploaded) {
            showValidating();
          }
        }, function () {
          rows = null;
        });
      }

      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) {
          bar.max = progress.total;
          bar.value = progress.loaded;
          var percent = Math.floor((100 * progress.loaded) / progress.total);
          status.textContent = "Uploading " + file.name + "… " + percent + "%";
        }
      });
      request.upload.addEventListener("load", function () {
        bar.removeAttribute("value"); // an indeterminate bar: the server gives no progress
        uploaded = true;
        showValidating();
      });
      request.addEventListener("load", function () {
        var type = request.getResponseHeader("Content-Type") || "";
        var sent = new URL(form.action, window.location.href);
        var answered = request.responseURL ? new URL(request.responseURL) : sent;
        if (answered.pathname !== sent.pathname) {
          window.location.assign(answered.href); // signed out meanwhile: follow to log in
        } else if (type.indexOf("application/json") === 0) {
          window.location.assign(JSON.parse(request.responseText).redirect);
        } else if (type.indexOf("text/html") === 0 && request.status < 500) {
          replacePage(request.responseText);
        } else {
          reset(
            "The server did not finish answering (error " + request.status + "). A large " +
            "import may still have completed: check your dashboard before trying again."
          );
        }
      });
      request.addEventListener("error", function () {
        reset("The upload was interrupted. Check your connection and try again.");
      });

      button.disabled = true;
      bar.max = 100;
      bar.value = 0;
      box.hidden = false;
      status.textContent = "Uploading " + file.name + "…";
      request.send(new FormData(form));
    });
  }

  var form = document.querySelector("[data-import-form]");
  if (form) {
    enhance(form);
  }
})();
