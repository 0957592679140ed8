#!/usr/bin/env python3
"""retaind and systemd's notify protocol (Type=notify, WatchdogSec), without
systemd: the test binds the NOTIFY_SOCKET datagram socket itself and sets
WATCHDOG_USEC as systemd would.

- READY=1 arrives once retaind is up (its accounting listener answers);
- with WATCHDOG_USEC=600 ms, WATCHDOG=1 arrives every third of it while the
  worker loop turns: no gap of 600 ms or more over 3 s;
- SIGTERM: STOPPING=1, exit 0;
- a stuck worker ([daemon] test_stall_ms = 3000: it sleeps before its first
  turn): the pings stop once it has stood still for the watchdog period
  (systemd would restart retaind), the log has an ALARM saying so, the
  operator's /v1/health and /v1/metrics show the worker alarm, and when it
  turns again the pings resume and the alarm ends;
- without NOTIFY_SOCKET retaind runs as before (the other tests)."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
from rtlib import *

RETAIND = os.environ.get("RETAIND")
if not RETAIND:
    print("skip: needs RETAIND")
    sys.exit(77)

d = tmpdir()
WD_US = 600000


class Notified:
    """retaind with NOTIFY_SOCKET and WATCHDOG_USEC; what it sends, timed."""

    def __init__(self, name, extra=""):
        self.path = os.path.join(d, name + ".notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        conf = os.path.join(d, name + ".conf")
        with open(conf, "w") as f:
            f.write(f"[store]\ndir = {os.path.join(d, name)}\n"
                    f"[listener]\nlisten = 127.0.0.1:{free_udp_port()}\n"
                    f"[capture]\ncommit_ms = 20\n{extra}")
        env = dict(os.environ, NOTIFY_SOCKET=self.path, WATCHDOG_USEC=str(WD_US))
        env.pop("WATCHDOG_PID", None)
        self.err = open(os.path.join(d, name + ".log"), "w+")
        self.p = subprocess.Popen([RETAIND, "--config", conf], stderr=self.err, env=env)
        self.msgs = []  # (monotonic time, message)
        self.done = False
        self.t = threading.Thread(target=self._recv, daemon=True)
        self.t.start()

    def _recv(self):
        while not self.done:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.msgs.append((time.monotonic(), data.decode()))

    def times(self, what):
        return [t for t, m in list(self.msgs) if what in m.split("\n")]

    def wait(self, what, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.p.poll() is None:
            if self.times(what):
                return True
            time.sleep(0.05)
        return bool(self.times(what))

    def log(self):
        self.err.flush()
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        terminate(self.p)
        time.sleep(0.3)  # the last datagrams
        self.done = True
        self.t.join(2)
        self.sock.close()
        return self.p.returncode


def gaps(ts):
    return [b - a for a, b in zip(ts, ts[1:])]


# ---- a healthy worker: READY, regular pings, STOPPING --------------------------
r = Notified("ok")
try:
    check(r.wait("READY=1"), f"no READY=1: {r.msgs}\n{r.log()[-1500:]}")
    t_ready = r.times("READY=1")[0]
    time.sleep(3.2)
    pings = [t for t in r.times("WATCHDOG=1") if t >= t_ready]
    check(len(pings) >= 8, f"{len(pings)} watchdog pings in 3 s, want about 15")
    worst = max(gaps([t_ready] + pings), default=99)
    check(worst < WD_US / 1e6, f"a {worst:.3f} s gap between pings (watchdog {WD_US} us)")
finally:
    code = r.stop()
check(code == 0, f"exit {code}: {r.log()[-1500:]}")
check(r.times("STOPPING=1"), f"no STOPPING=1: {r.msgs[-5:]}")
check("systemd watchdog: 600 ms" in r.log(), f"watchdog not logged: {r.log()[-1500:]}")
print(f"healthy: READY, {len(pings)} pings in 3.2 s, longest gap {worst * 1000:.0f} ms, STOPPING")

# ---- a stuck worker: the pings stop, then resume ------------------------------
api = operator_api(d)
r = Notified("stall", "[daemon]\ntest_stall_ms = 3000\n" + api["conf"])


def worker_alarm():
    """(status, the worker alarm or None, retain_alarm{kind="worker"})"""
    code, body = api_get(api, "/v1/health")
    h = json.loads(body) if code == 200 else {}
    code, body = api_get(api, "/v1/metrics")
    m = [l for l in body.splitlines() if l.startswith('retain_alarm{kind="worker"} ')]
    return h.get("status"), h.get("alarms", {}).get("worker"), m[0].split()[1] if m else None


try:
    check(r.wait("READY=1"), f"no READY=1: {r.msgs}\n{r.log()[-1500:]}")
    t_ready = r.times("READY=1")[0]
    time.sleep(1.5)  # the worker sleeps 3 s from its start: stuck by now
    status, al, gauge = worker_alarm()
    check(status == "degraded" and al and "has not turned" in al.get("message", "") and
          gauge == "1", f"while stuck: status {status}, alarm {al}, gauge {gauge}")
    time.sleep(3.0)
    status, al, gauge = worker_alarm()
    check(status == "ok" and al is None and gauge == "0",
          f"after: status {status}, alarm {al}, gauge {gauge}")
    pings = [t for t in r.times("WATCHDOG=1") if t >= t_ready]
    worst = max(gaps([t_ready] + pings), default=0)
    # the worker stood still 3 s: more than a watchdog period without a ping
    check(worst >= 2.0, f"pings went on while the worker stood still: longest gap {worst:.3f} s")
    check(pings and pings[-1] > t_ready + 3.0, f"the pings did not resume: {pings[-3:]}")
finally:
    code = r.stop()
log = r.log()
check(code == 0, f"exit {code}: {log[-1500:]}")
check("ALARM: the worker has not turned" in log and "pings resume" in log,
      f"stuck worker not logged: {log[-1500:]}")
print(f"stuck: longest gap {worst:.2f} s, pings resumed, logged")
finish("notify")
