#!/usr/bin/env python3
"""Bounded soak: mixed traffic against the real binary for a fixed time, on loopback.

Pages, assets, the total, whole donations through the sandbox, and bad input (invalid
amounts, honeypot, forged returns and webhooks, unknown paths, oversized bodies) from
several clients at once. Prints requests and status counts; fails on any 5xx, any
transport error, or a total that differs from the sum of confirmed donations.

Usage: tests/soak.py BINARY [--seconds 20] [--clients 8]
"""
import argparse
import http.client
import json
import os
import random
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from fundraiser_process import Fundraiser  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Client:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        if isinstance(body, str):
            body = body.encode()
        for attempt in range(2):
            try:
                self.conn.request(method, path, body, headers or {})
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                return r.status, r.getheader("Location"), data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed while idle: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt:
                    raise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=8)
    a = ap.parse_args()

    env = {"FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE": "0",
           "FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP": "0",
           "FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE": "0"}
    statuses, errors, confirmed = Counter(), Counter(), []
    lock = threading.Lock()

    with Fundraiser(a.binary, env) as f:
        home = Client(f.host, f.port).request("GET", "/")[2].decode()
        assets = re.findall(r'(?:href|src)="(/assets/[^"]+)"', home)
        pages = ["/", "/ar/", "/donate/", "/ar/donate/", "/about/", "/ar/contact/",
                 "/success/", "/error/", "/nope", "/ar/nope", "/donate", "/api/total",
                 "/healthz", "/%2e%2e/etc/passwd", "/assets/..%2fCargo.toml"] + assets
        deadline = time.time() + a.seconds

        def worker(seed):
            rnd = random.Random(seed)
            c = Client(f.host, f.port)
            mine, mine_confirmed = Counter(), []
            while time.time() < deadline:
                kind = rnd.random()
                try:
                    if kind < 0.55:
                        s, _, _ = c.request("GET", rnd.choice(pages),
                                            headers={"Accept-Encoding": rnd.choice(["br", "gzip", ""])})
                        mine[s] += 1
                    elif kind < 0.75:
                        amount = rnd.randint(5, 500)
                        s, loc, _ = c.request("POST", "/donate",
                                              urllib.parse.urlencode({"amount": amount, "lang": rnd.choice(["en", "ar"])}), FORM)
                        mine[s] += 1
                        if s == 303:
                            outcome = rnd.choice(["pay", "pay", "decline"])
                            s, ret, _ = c.request("POST", loc, "outcome=" + outcome, FORM)
                            mine[s] += 1
                            s, dest, _ = c.request("GET", ret)
                            mine[s] += 1
                            if dest and dest.split("?")[0].endswith("/success/"):
                                mine_confirmed.append(amount * 100)
                    else:
                        bad = rnd.choice([
                            ("POST", "/donate", "amount=" + rnd.choice(["abc", "-5", "0", "1e9", "12.345", "", "٥٠٫١٢٣"]), FORM),
                            ("POST", "/donate", "amount=50&website=spam", FORM),
                            ("POST", "/donate", "amount=50&name=" + "x" * 5000, FORM),
                            ("POST", "/donate", "%%%&&==\xff", FORM),
                            ("GET", "/payment/return/sandbox?ref=x&outcome=paid&amount=1&currency=AED&sig=00", None, None),
                            ("GET", "/payment/return/nope", None, None),
                            ("POST", "/payment/webhook/sandbox", '{"ref":"x"}', {"Sandbox-Signature": "00"}),
                            ("POST", "/sandbox/checkout/AAAAAAAAAAAAAAAAAAAAAA", "outcome=pay", FORM),
                            ("DELETE", "/", None, None),
                        ])
                        s, _, _ = c.request(*bad)
                        mine[s] += 1
                except Exception as e:  # a transport error is a failure to report
                    mine["error:" + type(e).__name__] += 1
                    c = Client(f.host, f.port)
            with lock:
                for k, v in mine.items():
                    (errors if isinstance(k, str) else statuses)[k] += v
                confirmed.extend(mine_confirmed)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(a.clients)]
        started = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - started
        time.sleep(0.5)  # let the sandbox's own webhooks land
        total = json.loads(Client(f.host, f.port).request("GET", "/api/total")[2])

    requests = sum(statuses.values()) + sum(errors.values())
    five = sum(v for k, v in statuses.items() if k >= 500)
    print(f"soak: {requests} requests in {elapsed:.1f} s from {a.clients} clients "
          f"({requests / elapsed:.0f}/s); statuses {dict(sorted(statuses.items()))}; "
          f"transport errors {dict(errors)}; 5xx: {five}")
    print(f"soak: {len(confirmed)} donations confirmed, total {total['raised_minor']} = sum {sum(confirmed)}")
    ok = five == 0 and not errors and total["raised_minor"] == sum(confirmed)
    print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
