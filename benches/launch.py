#!/usr/bin/env python3
"""Launch night at the gateway: donors arriving at 1, 2 and 4 times Stripe's default limit
on Checkout Session creation (25 a second), against a fake Stripe on loopback that
enforces it (token buckets: 25 a second on POST /v1/checkout/sessions, 100 a second in
all, 429 with Stripe's error body beyond), and the real binary with its defaults
(stripe.requests_per_second = 20, burst 10, queue_wait 1.5 s).

  python3 benches/launch.py [--seconds S] [--multiples 1,2,4] [BINARY]

Each case starts a fresh server on a fresh ledger. Donors arrive evenly for S seconds
(default 6); each posts the donate form and, when sent to the waiting page, asks it
again every 0.5 s until it forwards to the checkout. Reported per case: donors started
per second, donors served, their waits (p50, p99) next to the wait the limit implies for
the last donor (donors / 20 a second, less the S seconds of arrivals), Stripe calls per
second (session creations) next to Stripe's 25, and
the 429s Stripe answered. Bounded in time; loopback only. Machines are noisy: read the
ratios, not the lone figures.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SESSION_LIMIT = 25.0
ACCOUNT_LIMIT = 100.0
OUR_LIMIT = 20.0


class Bucket:
    def __init__(self, rate):
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class FakeStripe:
    def __init__(self):
        self.lock = threading.Lock()
        self.sessions, self.by_key = {}, {}
        self.creations, self.limited = [], 0
        self.session_bucket, self.account_bucket = Bucket(SESSION_LIMIT), Bucket(ACCOUNT_LIMIT)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path != "/v1/checkout/sessions":
                    return self.answer(404, {"error": {"type": "invalid_request_error"}})
                with fake.lock:
                    if not (fake.account_bucket.take() and fake.session_bucket.take()):
                        fake.limited += 1
                        return self.answer(429, {"error": {"type": "invalid_request_error",
                                                           "code": "rate_limit"}})
                    fake.creations.append(time.monotonic())
                    key = self.headers.get("Idempotency-Key", "")
                    sid = fake.by_key.get(key)
                    if sid is None:
                        sid = f"cs_test_bench{len(fake.sessions) + 1}"
                        fake.by_key[key] = sid
                        fake.sessions[sid] = form
                self.answer(200, {"id": sid, "object": "checkout.session",
                                  "url": f"https://checkout.stripe.com/c/pay/{sid}",
                                  "status": "open", "payment_status": "unpaid"})

            def do_GET(self):
                with fake.lock:
                    fake.account_bucket.take()
                self.answer(404, {"error": {"type": "invalid_request_error"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


def start_server(binary, api_base, folder):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDRAISER_")}
    env.update({
        "RUST_LOG": "warn,fundraiser::server=info",
        "FUNDRAISER_GATEWAY__KIND": "stripe",
        "FUNDRAISER_STRIPE__SECRET_KEY": "sk_test_bench",
        "FUNDRAISER_STRIPE__WEBHOOK_SECRET": "whsec_bench",
        "FUNDRAISER_STRIPE__API_BASE": api_base,
        "FUNDRAISER_STRIPE__RECONCILE_EVERY": "0",
        "FUNDRAISER_SERVER__PUBLIC_URL": "https://give.example.org",
        "FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE": "0",
        "FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP": "0",
        "FUNDRAISER_LIMITS__MAX_CONNECTIONS": "50000",
    })
    proc = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1:0"], cwd=folder, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"listening on http://(\S+)", re.sub(r"\x1b\[[0-9;]*m", "", line))
        if m:
            threading.Thread(target=lambda: proc.stderr.read(), daemon=True).start()
            return proc, m.group(1)
    proc.kill()
    sys.exit("the server did not start")


def donor(addr, n):
    """One donor: the form, then the waiting page until the checkout. (wait s, waited?)"""
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    started = time.monotonic()
    body = urllib.parse.urlencode({"amount": str(10 + n % 90), "lang": "en"})
    conn.request("POST", "/donate", body, {"Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    r.read()
    to, waited = r.getheader("Location") or "", False
    while to.startswith("/donate/wait/"):
        waited = True
        time.sleep(0.5)
        conn.request("GET", to)
        r = conn.getresponse()
        r.read()
        if r.status == 303:
            to = r.getheader("Location") or ""
        elif r.status != 200:
            return None
    if not to.startswith("https://checkout.stripe.com/"):
        return None
    return time.monotonic() - started, waited


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def case(binary, multiple, seconds):
    fake = FakeStripe()
    folder = tempfile.mkdtemp(prefix="fundraiser-launch-")
    proc, addr = start_server(binary, fake.base, folder)
    try:
        rate = SESSION_LIMIT * multiple
        total = int(rate * seconds)
        results = []
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=total) as pool:
            futures = []
            for n in range(total):
                delay = t0 + n / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(donor, addr, n))
            started_in = time.monotonic() - t0
            results = [f.result() for f in futures]
        served = [r for r in results if r]
        waits = [w for w, _ in served]
        creations = fake.creations
        span = (creations[-1] - creations[0]) if len(creations) > 1 else float("nan")
        calls_per_s = (len(creations) - 1) / span if span and span == span else float("nan")
        # The last donor's wait if checkouts went out at exactly our limit from the start.
        implied = max(total / OUR_LIMIT - seconds, 1 / OUR_LIMIT)
        return {
            "multiple": multiple,
            "donors": total,
            "started_per_s": total / started_in,
            "served": len(served),
            "in_line": sum(1 for _, w in served if w),
            "p50": pct(waits, 50),
            "p99": pct(waits, 99),
            "implied": implied,
            "calls_per_s": calls_per_s,
            "limited": fake.limited,
            "sessions": len(fake.sessions),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        fake.server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--multiples", default="1,2,4")
    ap.add_argument("binary", nargs="?", default="target/release/fundraiser")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found: cargo build --release")
    args.binary = os.path.abspath(args.binary)
    print(f"# launch night — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — "
          f"{os.cpu_count()} cores — benches/launch.py --seconds {args.seconds:g} "
          f"--multiples {args.multiples}")
    print("| × Stripe's limit | donors | started/s | served | went through the line | "
          "wait p50 | wait p99 | p99 ÷ limit's wait | Stripe calls/s | ÷ Stripe's 25 | 429s | sessions |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for m in [float(x) for x in args.multiples.split(",")]:
        r = case(args.binary, m, args.seconds)
        print(f"| {m:g}× | {r['donors']} | {r['started_per_s']:.0f} | {r['served']} | "
              f"{r['in_line']} | {r['p50']:.1f} s | {r['p99']:.1f} s | "
              f"{r['p99'] / r['implied']:.2f} | {r['calls_per_s']:.1f} | "
              f"{r['calls_per_s'] / SESSION_LIMIT:.2f} | {r['limited']} | {r['sessions']} |",
              flush=True)


if __name__ == "__main__":
    main()
