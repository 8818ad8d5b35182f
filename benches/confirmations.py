#!/usr/bin/env python3
"""Times payment confirmations against the real binary, on loopback, bounded.

Starts `fundraiser` (release build by default) on a fresh ledger in a temporary folder
with a known sandbox secret, creates N pending donations through POST /donate, then
confirms each with a signed sandbox webhook from C concurrent clients. Every
confirmation is answered only after its commit is on disk (synchronous=FULL), so this
measures the durable path. Prints latency percentiles and confirmations per second, and
checks the total equals the sum of what was confirmed.

Usage: benches/confirmations.py [--binary PATH] [-n 2000] [-c 1,16]
"""
import argparse, hashlib, hmac, http.client, json, os, sys, threading, time, urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
from fundraiser_process import SECRET as _SECRET, Fundraiser  # noqa: E402

SECRET = _SECRET.encode()


def create(host, port, n):
    conn = http.client.HTTPConnection(host, port)
    refs = []
    for i in range(n):
        body = urllib.parse.urlencode({"amount": str(5 + i % 500), "lang": "en"})
        conn.request("POST", "/donate", body, {"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse(); r.read()
        loc = r.getheader("Location")
        assert r.status == 303 and loc, (r.status, loc)
        refs.append((loc.rsplit("/", 1)[1], (5 + i % 500) * 100))
    return refs


def confirm(host, port, refs, clients):
    latencies, lock = [], threading.Lock()
    chunks = [refs[i::clients] for i in range(clients)]

    def worker(chunk):
        conn = http.client.HTTPConnection(host, port)
        mine = []
        for ref, amount in chunk:
            body = json.dumps({"ref": ref, "outcome": "paid", "amount": amount, "currency": "AED"},
                              separators=(",", ":")).encode()
            sig = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            t0 = time.perf_counter()
            conn.request("POST", "/payment/webhook/sandbox", body,
                         {"Content-Type": "application/json", "Sandbox-Signature": sig})
            r = conn.getresponse(); r.read()
            mine.append(time.perf_counter() - t0)
            assert r.status == 200, r.status
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads: t.start()
    for t in threads: t.join()
    return time.perf_counter() - t0, sorted(latencies)


def pct(xs, p):
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "fundraiser"))
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("-c", default="1,16")
    a = ap.parse_args()
    print(f"# confirmations: n={a.n} per run, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"{'clients':>7} {'conf/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for clients in [int(c) for c in a.c.split(",")]:
        limits_off = {"FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE": "0",
                      "FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP": "0",
                      "FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE": "0"}
        with Fundraiser(a.binary, limits_off) as f:
            refs = create(f.host, f.port, a.n)
            elapsed, lat = confirm(f.host, f.port, refs, clients)
            conn = http.client.HTTPConnection(f.host, f.port)
            conn.request("GET", "/api/total"); total = json.loads(conn.getresponse().read())
            assert total["raised_minor"] == sum(x for _, x in refs), total
            print(f"{clients:>7} {a.n / elapsed:>9.0f} {pct(lat, .5):>8.2f} {pct(lat, .99):>8.2f}")


if __name__ == "__main__":
    main()
