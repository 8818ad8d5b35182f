// Keeps the amount raised fresh and makes the donate form friendlier. The pages work without it.
(function () {
  "use strict";
  var tally = document.querySelector("[data-total-lang]");
  if (tally) {
    var lang = tally.getAttribute("data-total-lang");
    var progress = tally.querySelector("progress");
    var url = tally.getAttribute("data-total-url") || "/api/total";
    var refresh = function () {
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (t) {
          var d = t && t.display && t.display[lang];
          if (!d) return;
          Object.keys(d).forEach(function (key) {
            var el = tally.querySelector('[data-live="' + key + '"]');
            if (el && el.textContent !== d[key]) el.textContent = d[key];
          });
          if (progress && t.goal_minor > 0) {
            progress.max = t.goal_minor;
            progress.value = Math.min(t.raised_minor, t.goal_minor);
          }
        })
        .catch(function () {});
    };
    var timer = setInterval(refresh, 5000);
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) { clearInterval(timer); timer = null; }
      else if (!timer) { refresh(); timer = setInterval(refresh, 5000); }
    });
    window.addEventListener("pageshow", function (e) { if (e.persisted) refresh(); });
  }
  var form = document.querySelector("form.donate");
  if (form) {
    var custom = form.querySelector("#amount");
    var presets = form.querySelectorAll('input[name="preset"]');
    // A typed amount wins over a preset: clear the preset choice so the page says what will be sent.
    custom.addEventListener("input", function () {
      if (custom.value.trim() !== "") presets.forEach(function (p) { p.checked = false; });
    });
    presets.forEach(function (p) {
      p.addEventListener("change", function () { if (p.checked) custom.value = ""; });
    });
    var button = form.querySelector('button[type="submit"]');
    // One click, one donation: a second click while the checkout loads is ignored.
    form.addEventListener("submit", function () {
      setTimeout(function () { button.disabled = true; }, 0);
    });
    window.addEventListener("pageshow", function () { button.disabled = false; });
  }
  // The thank-you page's sharing: copy the link, or the phone's own share sheet where the
  // browser has one. The network links above them work without this.
  var share = document.querySelector("[data-share-url]");
  if (share) {
    var shareUrl = share.getAttribute("data-share-url");
    var shareText = share.getAttribute("data-share-text");
    var status = share.querySelector("[data-share-copied]");
    var copy = share.querySelector('[data-share="copy"]');
    var native = share.querySelector('[data-share="native"]');
    // Cleared first, so that a second copy is announced again.
    var say = function (text) {
      status.textContent = "";
      setTimeout(function () { status.textContent = text; }, 50);
    };
    if (navigator.clipboard && window.isSecureContext) {
      share.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(shareUrl).then(function () {
          say(status.getAttribute("data-share-copied"));
        }, function () {
          // Refused (a permission, an old browser): the link to copy by hand.
          say(status.getAttribute("data-share-failed") + " " + shareUrl);
        });
      });
    } else {
      copy.hidden = true;
    }
    if (navigator.share) {
      share.hidden = false;
      native.hidden = false;
      native.addEventListener("click", function () {
        navigator.share({ title: document.title, text: shareText, url: shareUrl }).catch(function () {});
      });
    }
  }
  // The printable receipt: a button that opens the browser's print dialog (print or save as PDF).
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
