/*
 * Small progressive enhancements. Every page works without this file: forms still submit
 * (without the extra confirmation) and copy buttons stay hidden, since there is nothing
 * they could do without a script.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var status = null;

  // One polite live region, so screen readers hear "Copied" without moving focus.
  function announce(text) {
    if (!status) {
      status = document.createElement("span");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      document.body.appendChild(status);
    }
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  // data-copy-target holds an element id ("api-key") or a CSS selector ("#api-key").
  function findTarget(reference) {
    if (!reference) {
      return null;
    }
    var byId = document.getElementById(reference);
    if (byId) {
      return byId;
    }
    try {
      return document.querySelector(reference);
    } catch (error) {
      return null;
    }
  }

  function textOf(element) {
    if ("value" in element && typeof element.value === "string" && element.tagName !== "BUTTON") {
      return element.value;
    }
    return element.textContent.trim();
  }

  function selectContents(element) {
    if (typeof element.select === "function") {
      element.focus();
      element.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Older browsers and pages served over plain HTTP have no asynchronous clipboard.
  function legacyCopy(element) {
    selectContents(element);
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function showCopied(button) {
    if (!button.dataset.label) {
      button.dataset.label = button.textContent;
    }
    button.textContent = "Copied";
    button.setAttribute("data-copied", "");
    announce("Copied to the clipboard.");
    window.clearTimeout(Number(button.dataset.timer || 0));
    button.dataset.timer = String(
      window.setTimeout(function () {
        button.textContent = button.dataset.label;
        button.removeAttribute("data-copied");
      }, 2000)
    );
  }

  function copyFailed(element) {
    selectContents(element);
    announce("Copying is blocked by this browser. The text is selected: press Ctrl+C or ⌘C.");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var target = findTarget(button.getAttribute("data-copy-target"));
    if (!target) {
      return;
    }
    event.preventDefault();
    var text = textOf(target);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () {
          showCopied(button);
        },
        function () {
          if (legacyCopy(target)) {
            showCopied(button);
          } else {
            copyFailed(target);
          }
        }
      );
    } else if (legacyCopy(target)) {
      showCopied(button);
    } else {
      copyFailed(target);
    }
  });

  // A table that scrolls sideways must be reachable by keyboard, or its hidden columns are lost
  // to anyone without a pointer; tables that fit stay out of the tab order.
  function markScrollableTables() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        if (!wrap.hasAttribute("aria-label") && !wrap.hasAttribute("aria-labelledby")) {
          var caption = wrap.querySelector("caption");
          wrap.setAttribute("role", "region");
          wrap.setAttribute(
            "aria-label",
            caption ? caption.textContent.trim() : "Table, scrolls sideways"
          );
        }
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
      }
    }
  }

  var resizeTimer = 0;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(markScrollableTables, 150);
  });
  markScrollableTables();

  // A form (or one of its submit buttons) with data-confirm="sentence" asks before it submits.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message =
      (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // A security key that did not answer (cancelled, timed out, unknown to this site) is reported
  // on the page: allauth's script would only log it to the console.
  document.addEventListener("allauth.error", function (event) {
    var detail = event.detail || {};
    if ((detail.tags || []).indexOf("webauthn") === -1) {
      return;
    }
    event.preventDefault();
    var text =
      "Your security key did not answer, or the browser stopped the request. Try again, " +
      "or use another way to confirm it is you.";
    var banner = document.getElementById("webauthn-error");
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "webauthn-error";
      banner.className = "banner banner-error";
      banner.setAttribute("role", "alert");
      var heading = document.querySelector("main h1");
      if (heading && heading.parentNode) {
        heading.parentNode.insertBefore(banner, heading.nextSibling);
      } else {
        document.getElementById("main").prepend(banner);
      }
    }
    banner.textContent = text;
  });
})();
