#!/usr/bin/env python3
"""Start-up and idle memory of a fundraiser binary, measured from outside.

For each run, in a fresh folder (so the ledger is created, as on a first deployment) and
again on an existing ledger (a restart): exec, then GET /healthz in a tight loop until it answers 200; the time from exec to that
answer is the start-up time. Then, idle for a second, the process's resident memory
(VmRSS). Prints the median and the worst of the runs, and the binary's size.

Usage: benches/startup.py [--runs N] BINARY [BINARY ...]   (loopback only, bounded)
"""
import argparse
import os
import socket
import statistics
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def one_run(binary, work):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDRAISER_")}
    env.update(FUNDRAISER_SANDBOX__SECRET="startup-bench-secret", RUST_LOG="warn")
    if True:
        start = time.perf_counter()
        proc = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], cwd=work,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = start + 10
            while not healthz(port):
                if time.perf_counter() > deadline or proc.poll() is not None:
                    raise SystemExit(f"{binary} did not answer /healthz")
            ready_ms = (time.perf_counter() - start) * 1000
            time.sleep(1)
            return ready_ms, rss_kib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    print(f"{'binary':<52} {'ledger':>8} {'size_KiB':>9} {'start_p50':>10} {'start_max':>10} {'idle_RSS_KiB':>13}")
    for binary in args.binaries:
        path = os.path.abspath(binary)
        size = os.path.getsize(binary) // 1024
        with tempfile.TemporaryDirectory() as kept:
            one_run(path, kept)  # creates the ledger that the "existing" runs reopen
            for kind in ("new", "existing"):
                runs = []
                for _ in range(args.runs):
                    if kind == "new":
                        with tempfile.TemporaryDirectory() as fresh:
                            runs.append(one_run(path, fresh))
                    else:
                        runs.append(one_run(path, kept))
                ms = [r[0] for r in runs]
                rss = statistics.median(r[1] for r in runs)
                print(f"{binary:<52} {kind:>8} {size:>9} {statistics.median(ms):>8.1f}ms {max(ms):>8.1f}ms {rss:>13.0f}")


if __name__ == "__main__":
    main()
