#!/usr/bin/env python3
"""Durable confirmations under wrk, for benches/load.sh.

  webhooks.py prepare BASE N SCRIPT.lua   creates N pending donations on the running
      server (POST /donate) and writes a wrk script that confirms them with signed sandbox
      webhooks, in turn; once all are confirmed it goes round again, and every repeat is
      still a write (its callback event) committed before the answer.
  webhooks.py verify LEDGER N ANSWERED    checks, in the ledger file, that the N donations
      succeeded, that the total is their sum, and that at least ANSWERED callback events
      were committed: every answered confirmation is on disk.

The sandbox secret is tests/support/server.sh's ("script-secret").
"""
import hashlib
import hmac
import http.client
import json
import sqlite3
import sys
import urllib.parse

SECRET = b"script-secret"


def prepare(base, n, script):
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    conn = http.client.HTTPConnection(host, port)
    bodies, sigs = [], []
    for i in range(n):
        amount = 5 + i % 500
        form = urllib.parse.urlencode({"amount": str(amount), "lang": "en"})
        conn.request("POST", "/donate", form, {"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        r.read()
        loc = r.getheader("Location") or ""
        if r.status != 303 or "/sandbox/checkout/" not in loc:
            sys.exit(f"POST /donate answered {r.status} {loc}")
        ref = loc.rsplit("/", 1)[1]
        body = json.dumps({"ref": ref, "outcome": "paid", "amount": amount * 100, "currency": "AED"},
                          separators=(",", ":"))
        bodies.append(body)
        sigs.append(hmac.new(SECRET, body.encode(), hashlib.sha256).hexdigest())
    lua = ["local bodies = {"] + [f"  {json.dumps(b)}," for b in bodies] + ["}", "local sigs = {"]
    lua += [f'  "{s}",' for s in sigs] + ["}", "local i = 0", """
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/payment/webhook/sandbox",
    { ["Content-Type"] = "application/json", ["Sandbox-Signature"] = sigs[i] }, bodies[i])
end"""]
    with open(script, "w") as f:
        f.write("\n".join(lua) + "\n")


def verify(ledger, n, answered):
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    succeeded, raised = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(amount_minor), 0) FROM donations WHERE status = 'succeeded'").fetchone()
    expected = sum((5 + i % 500) * 100 for i in range(n))
    callbacks = db.execute("SELECT COUNT(*) FROM events WHERE kind LIKE 'webhook:%'").fetchone()[0]
    problems = []
    if succeeded != n or raised != expected:
        problems.append(f"{succeeded} of {n} donations succeeded, {raised} raised of {expected}")
    if callbacks < answered:
        problems.append(f"{answered} confirmations answered but only {callbacks} committed")
    if problems:
        sys.exit("verify: " + "; ".join(problems))
    print(f"verified: {n} donations succeeded, {callbacks} committed callbacks >= {answered} answered")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "verify":
        verify(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
