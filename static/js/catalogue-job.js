/*
 * The dashboard's progress bar of a catalogue-wide change being applied in the background:
 * every two seconds it asks the server how far the change has got and moves the bar, until it
 * is done. Without this file the page shows the progress as it was when it loaded.
 */
(function () {
  "use strict";

  var section = document.querySelector("[data-catalogue-job]");
  if (!section || !window.fetch) {
    return;
  }
  var url = section.getAttribute("data-catalogue-job");
  var bar = section.querySelector("progress");
  var status = section.querySelector("[data-catalogue-job-status]");
  var title = section.querySelector("h2");
  var failures = 0;

  function show(job) {
    bar.value = job.percent;
    status.textContent =
      job.percent + "% (" + job.done.toLocaleString() + " of " + job.total.toLocaleString() +
      " tracks)" + (job.finished ? ": done." : "");
    if (job.finished && title) {
      title.textContent = "Your catalogue-wide change is applied";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (!data.job) {
          return;
        }
        show(data.job);
        if (!data.job.finished) {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        // A lost answer is asked again, less often; the page itself stays correct.
        failures += 1;
        if (failures < 10) {
          window.setTimeout(poll, 2000 * failures);
        }
      });
  }

  if (!bar.hasAttribute("value") || Number(bar.value) < 100) {
    window.setTimeout(poll, 2000);
  }
})();
