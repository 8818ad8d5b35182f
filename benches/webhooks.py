#!/usr/bin/env python3
"""Durable confirmations under wrk, for benches/load.sh.

  webhooks.py prepare BASE N SCRIPT.lua   creates N pending donations on the running
      server (POST /donate) and writes a wrk script that confirms them with signed sandbox
      webhooks, in turn; once all are confirmed it goes round again with the same results
      spelled differently (VARIANTS rounds of distinct bytes: the ledger writes a result
      it has already recorded only once, so only a new payload is a durable write), so
      every answer until the variants run out is a callback event committed before it.
      It also writes SCRIPT.lua.refs: each donation's id and amount, for verify.
  webhooks.py verify BASE LEDGER SCRIPT.lua ANSWERED   checks what must hold whatever the
      (LEDGER: the SQLite file, or a postgres:// URL read with psql; SCRIPT.lua: one
      script, or several joined by commas when several servers shared the work)
      machine's speed: at least ANSWERED callback events were committed, or every distinct
      payload's when wrk sent more than there are (every answered confirmation is on disk); every donation with a committed paid callback succeeded,
      with its own amount, and no other did; each success was entered exactly once; the
      server's /api/total equals the sum of the succeeded donations. How many of the
      donations wrk reached in its time is reported, never required.

The sandbox secret is tests/support/server.sh's ("script-secret").
"""
import hashlib
import hmac
import http.client
import json
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

SECRET = b"script-secret"
# Distinct spellings of each donation's result: enough for about 16 rounds of confirmations.
VARIANTS = 16


def prepare(base, n, script):
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    conn = http.client.HTTPConnection(host, port)
    results, refs = [], {}
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
        refs[ref] = amount * 100
        results.append(json.dumps({"ref": ref, "outcome": "paid", "amount": amount * 100,
                                   "currency": "AED"}, separators=(",", ":")))
    # Round k sends every result with k spaces after its opening brace: the same result,
    # another payload (and signature), so a durable write again.
    bodies = ["{" + " " * k + r[1:] for k in range(VARIANTS) for r in results]
    sigs = [hmac.new(SECRET, b.encode(), hashlib.sha256).hexdigest() for b in bodies]
    lua = ["local bodies = {"] + [f"  {json.dumps(b)}," for b in bodies] + ["}", "local sigs = {"]
    lua += [f'  "{s}",' for s in sigs] + ["}", "local i = 0", """
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/payment/webhook/sandbox",
    { ["Content-Type"] = "application/json", ["Sandbox-Signature"] = sigs[i] }, bodies[i])
end"""]
    with open(script, "w") as f:
        f.write("\n".join(lua) + "\n")
    with open(script + ".refs", "w") as f:
        json.dump(refs, f)


class Postgres:
    """The few reads verify makes, through psql, as on a SQLite connection."""

    def __init__(self, url):
        self.url = url

    def execute(self, sql):
        sql = sql.replace("FROM donations", "FROM fundraiser.donations").replace(
            "FROM events", "FROM fundraiser.events")
        out = subprocess.run(["psql", self.url, "-X", "-q", "-A", "-t", "-F", "\t", "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return Rows([tuple(int(v) if v.lstrip("-").isdigit() else v for v in line.split("\t"))
                     for line in out.splitlines() if line])


class Rows(list):
    def fetchone(self):
        return self[0]


def verify(base, ledger, script, answered):
    refs = {}
    for one in script.split(","):
        with open(one + ".refs") as f:
            refs.update(json.load(f))
    if ledger.startswith("postgres"):
        db = Postgres(ledger)
    else:
        db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    def snapshot():
        succeeded = dict(db.execute("SELECT id, amount_minor FROM donations WHERE status = 'succeeded'"))
        total = json.load(urllib.request.urlopen(base + "/api/total", timeout=10))
        return succeeded, (total["raised_minor"], total["donations"])

    # The server may still be committing confirmations it received before wrk stopped: wait
    # (bounded) until it is quiet, that is until the ledger and /api/total read the same in
    # two rounds in a row, then compare. A real difference never settles, so it still fails.
    succeeded, said = snapshot()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.25)
        again, said_again = snapshot()
        agree = said_again == (sum(again.values()), len(again))
        if again == succeeded and said_again == said and agree:
            break
        succeeded, said = again, said_again
    paid = {row[0] for row in db.execute(
        "SELECT DISTINCT donation_id FROM events WHERE kind = 'webhook:paid' AND donation_id IS NOT NULL")}
    entered = dict(db.execute(
        "SELECT donation_id, COUNT(*) FROM events WHERE to_status = 'succeeded' AND from_status != 'succeeded'"
        " GROUP BY donation_id"))
    callbacks = db.execute("SELECT COUNT(*) FROM events WHERE kind LIKE 'webhook:%'").fetchone()[0]
    problems = []
    distinct = len(refs) * VARIANTS
    if callbacks < min(answered, distinct):
        problems.append(f"{answered} confirmations answered ({distinct} distinct payloads) "
                        f"but only {callbacks} committed")
    if set(succeeded) != paid:
        problems.append(f"{len(paid)} donations have a committed paid callback but {len(succeeded)} succeeded")
    wrong = [i for i, a in succeeded.items() if refs.get(i) != a]
    if wrong:
        problems.append(f"{len(wrong)} succeeded donations are not ours or carry another amount")
    twice = [i for i in succeeded if entered.get(i) != 1]
    if twice:
        problems.append(f"{len(twice)} succeeded donations were not entered exactly once")
    raised = sum(succeeded.values())
    if said != (raised, len(succeeded)):
        problems.append(f"/api/total says {said[0]} from {said[1]}, "
                        f"the ledger {raised} from {len(succeeded)}")
    if problems:
        sys.exit("verify: " + "; ".join(problems))
    print(f"verified: {callbacks} committed callbacks >= {answered} answered; {len(succeeded)} of "
          f"{len(refs)} donations confirmed in the time, each once, total {raised} = /api/total")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 6 and sys.argv[1] == "verify":
        verify(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)
