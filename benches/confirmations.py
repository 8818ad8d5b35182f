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
import argparse, hashlib, hmac, http.client, json, os, re, subprocess, sys, tempfile, threading, time, urllib.parse

SECRET = b"bench-secret"


def start(binary, workdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDRAISER_")}
    env.update(FUNDRAISER_SANDBOX__SECRET=SECRET.decode(), RUST_LOG="warn,fundraiser=info")
    p = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1:0"], cwd=workdir, env=env,
                         stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = p.stderr.readline()
        m = re.search(r"listening on http://([\d.]+):(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
            return p, m.group(1), int(m.group(2))
    p.kill()
    sys.exit("server did not start")


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
        with tempfile.TemporaryDirectory() as d:
            p, host, port = start(a.binary, d)
            try:
                refs = create(host, port, a.n)
                elapsed, lat = confirm(host, port, refs, clients)
                conn = http.client.HTTPConnection(host, port)
                conn.request("GET", "/api/total"); total = json.loads(conn.getresponse().read())
                assert total["raised_minor"] == sum(x for _, x in refs), total
                print(f"{clients:>7} {a.n / elapsed:>9.0f} {pct(lat, .5):>8.2f} {pct(lat, .99):>8.2f}")
            finally:
                p.terminate(); p.wait(timeout=30)


if __name__ == "__main__":
    main()
