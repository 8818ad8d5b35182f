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
          // With two funds or more, each fund's figures under the main bar.
          (t.funds || []).forEach(function (f) {
            var item = tally.querySelector('[data-fund="' + f.id + '"]');
            var fd = item && f.display && f.display[lang];
            if (!fd) return;
            Object.keys(fd).forEach(function (key) {
              var el = item.querySelector('[data-fund-live="' + key + '"]');
              if (el && el.textContent !== fd[key]) el.textContent = fd[key];
            });
            var bar = item.querySelector("progress");
            if (bar && f.goal_minor > 0) {
              bar.max = f.goal_minor;
              bar.value = Math.max(0, Math.min(f.raised_minor, f.goal_minor));
            }
          });
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
  // The Zakat calculator: the result follows the typing, worked out as the server does
  // (src/zakat.rs): integer minor units (BigInt), grams to the milligram, rounded up.
  var zakat = document.querySelector("form[data-zakat]");
  if (zakat) {
    var z = JSON.parse(zakat.getAttribute("data-zakat"));
    var out = document.getElementById("zakat-result");
    var exp = z.exponent;
    // What money.rs's parse_decimal reads: Arabic-Indic digits, grouping commas, one point.
    var parse = function (text, decimals) {
      var s = "";
      Array.from(text.trim()).forEach(function (c) {
        var n = c.charCodeAt(0);
        if (n >= 0x660 && n <= 0x669) s += String(n - 0x660);
        else if (n >= 0x6f0 && n <= 0x6f9) s += String(n - 0x6f0);
        else if (c === "\u066b") s += ".";
        else if (c === "\u066c" || c === "\u060c") s += ",";
        else if (c !== "\u200e" && c !== "\u200f" && c !== "\u061c") s += c;
      });
      if (s === "") return 0n;
      if (s[0] === "+") s = s.slice(1);
      var m = /^(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d+))?$/.exec(s);
      if (!m || (m[1] === "" && m[2] === undefined) || (m[2] || "").length > decimals) return null;
      var int = m[1].replace(/,/g, "").replace(/^0+/, "");
      if (int.length > 15) return null;
      return BigInt((int || "0") + (m[2] || "").padEnd(decimals, "0"));
    };
    // The server's bounds: no figure past the largest goal, no more than a billion grams.
    var MAX = 10n ** 15n;
    var within = function (v, limit) { return v !== null && v <= limit ? v : null; };
    var ceil = function (a, b) { return (a + b - 1n) / b; };
    var plural = function (whole, fraction) {
      if (fraction) return "other";
      if (z.rules !== "ar") return whole === 1n ? "one" : "other";
      var h = whole % 100n;
      return whole === 0n ? "zero" : whole === 1n ? "one" : whole === 2n ? "two"
        : h >= 3n && h <= 10n ? "few" : h >= 11n && h <= 99n ? "many" : "other";
    };
    // money.rs's format_money: grouped digits of the language, its pattern and currency name.
    var money = function (minor) {
      var scale = 10n ** BigInt(exp);
      var abs = minor < 0n ? -minor : minor;
      var whole = abs / scale, frac = abs % scale;
      var n = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, function () { return z.group; });
      if (frac !== 0n) n += z.decimal + frac.toString().padStart(exp, "0");
      if (minor < 0n) n = "-" + n;
      n = n.replace(/[0-9]/g, function (d) { return Array.from(z.digits)[d] || d; });
      var name = typeof z.currency === "string" ? z.currency
        : z.currency[plural(whole, frac !== 0n)] || z.currency.other;
      return z.pattern.replace("{currency}", name).replace("{amount}", n);
    };
    var plain = function (minor) {
      var scale = 10n ** BigInt(exp), frac = minor % scale;
      return (minor / scale).toString() + (frac === 0n ? "" : "." + frac.toString().padStart(exp, "0"));
    };
    var fill = function (text, key, value) { return text.replace("{" + key + "}", value); };
    var update = function () {
      var v = {};
      var ok = ["cash", "gold_grams", "silver_grams", "investments", "receivables", "debts"].every(function (name) {
        var field = zakat.elements[name];
        var grams = /_grams$/.test(name);
        v[name] = within(parse(field.value, grams ? 3 : exp), grams ? 10n ** 12n : MAX);
        return v[name] !== null;
      });
      var gold = BigInt(z.gold), silver = BigInt(z.silver);
      var goldValue = ok && within(ceil(v.gold_grams * gold, 1000n), MAX);
      var silverValue = ok && within(ceil(v.silver_grams * silver, 1000n), MAX);
      // A figure the server would refuse: no result until it is corrected.
      if (!ok || goldValue === null || silverValue === null) { out.hidden = true; return; }
      var silverNisab = zakat.elements.nisab.value === "silver";
      var nisab = silverNisab ? 595n * silver : 85n * gold;
      var net = v.cash + goldValue + silverValue + v.investments + v.receivables - v.debts;
      var due = nisab > 0n && net >= nisab ? ceil(net, 40n) : null;
      var t = z.texts;
      out.querySelector('[data-zakat-out="net"]').textContent =
        fill(fill(t.net, "net", money(net)), "nisab", nisab > 0n ? money(nisab) : t.no_price);
      var verdict = due !== null ? fill(t.due, "due", money(due)) : nisab === 0n ? t.unpriced : t.below;
      var said = out.querySelector('[data-zakat-out="verdict"]');
      if (said.textContent !== verdict) said.textContent = verdict;
      var give = out.querySelector('[data-zakat-out="give"]');
      give.hidden = due === null;
      if (due !== null) give.href = z.donate + "?fund=zakat&amount=" + plain(due);
      out.hidden = false;
    };
    zakat.addEventListener("input", update);
    zakat.addEventListener("change", update);
  }
  // The printable receipt: a button that opens the browser's print dialog (print or save as PDF).
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
