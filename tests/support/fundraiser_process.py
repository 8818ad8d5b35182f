"""Starts the fundraiser binary on a loopback ephemeral port in a temporary folder.

Shared by the soak test (tests/soak.py) and the benchmarks (benches/*.py).
"""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

SECRET = "soak-and-bench-secret"


class Fundraiser:
    """`with Fundraiser(binary, env) as f:` gives `f.host`, `f.port`, `f.base`."""

    def __init__(self, binary, env=None, workdir=None):
        self.binary = os.path.abspath(binary)
        self.extra_env = env or {}
        self.workdir = workdir
        self._tmp = None

    def __enter__(self):
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory()
            self.workdir = self._tmp.name
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDRAISER_")}
        env.update(FUNDRAISER_SANDBOX__SECRET=SECRET, RUST_LOG="warn,fundraiser=info")
        env.update(self.extra_env)
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--bind", "127.0.0.1:0"],
            cwd=self.workdir, env=env, stderr=subprocess.PIPE, text=True)
        self.log = []
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.append(line)
            m = re.search(r"listening on http://([\d.]+):(\d+)", line)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                self.base = f"http://{self.host}:{self.port}"
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        self.proc.kill()
        sys.exit("fundraiser did not start:\n" + "".join(self.log))

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self._tmp:
            self._tmp.cleanup()
