#!/usr/bin/env python3
"""Exhaustion (issue 7): retaind's accounting listener when the store runs
out of room, against FreeRADIUS's radclient on loopback.

- disk full: the store lives on a small tmpfs this test mounts;
- LMDB map full: the store's catalogue map is tiny ([store] map_mb = 1).

In each case radclient sends complete sessions (Stop with a session time,
long random account and calling numbers so the store fills fast) until
retaind raises its ALARM.  Then:
- retaind stays up and answers nothing it could not store (a batch sent
  while the store is full gets no answer at all);
- what was answered so far is stored (checked while still full, through a
  read-only handle);
- once room returns (tmpfs remounted larger; retaind restarted with a larger
  map), radclient's retries of every request ever sent are all answered;
- while the disk is full the operator's GET /v1/health says "degraded" with
  the store alarm and its message, and /v1/metrics retain_alarm{kind="store"}
  is 1; once commits succeed again both are clear and the alarm counted;
- at the end every session is stored exactly once, the persistent counter
  sessions.closed is exact (no double counting across failed commits),
  `retain verify --no-seal` passes and the store opens without repair.

Needs root (mount) and radclient (freeradius-utils): skips (77) otherwise."""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from rtlib import *

RETAIND = os.environ.get("RETAIND")
RADCLIENT = shutil.which("radclient")
if not RETAIND or not RADCLIENT:
    print("skip: needs RETAIND and radclient (freeradius-utils)")
    sys.exit(77)
if os.geteuid() != 0:
    print("skip: needs root (mounts a tmpfs)")
    sys.exit(77)

SECRET = "s3cret"
# meson's timeout sends SIGTERM: leave through the finally blocks, which
# unmount the tmpfs this test mounts
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
BATCH = 300
rnd = random.Random(11)


free_port = free_udp_port  # rtlib


class Daemon:
    """retaind with its stderr collected by a thread."""

    def __init__(self, conf):
        self.p = subprocess.Popen([RETAIND, "--config", conf], stderr=subprocess.PIPE,
                                  text=True)
        self.lines = []
        self.started = threading.Event()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        self.started.wait(10)
        if not check(self.alive() and any("accounting listener" in l for l in self.lines),
                     f"retaind did not start: {self.lines}"):
            finish("exhaustion")  # nothing to test without it

    def _read(self):
        for line in self.p.stderr:
            self.lines.append(line.rstrip("\n"))
            if "accounting listener" in line:
                self.started.set()
        self.started.set()

    def log(self):
        return "\n".join(self.lines)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        rc = terminate(self.p)
        self.t.join(5)
        return rc


def session(i, tag):
    # high-entropy text so that neither zstd nor the B-trees save much room
    acct = f"{tag}{i}-" + "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                 for _ in range(120)) + "@isp"
    calling = "".join(rnd.choice("0123456789") for _ in range(60))
    return [("Acct-Status-Type", "Stop"), ("Acct-Session-Id", f'"{tag}-{i}"'),
            ("User-Name", f'"{acct}"'), ("NAS-IP-Address", "127.0.0.1"),
            ("Calling-Station-Id", f'"{calling}"'),
            ("Framed-IP-Address", f"100.{64 + i // 62500 % 64}.{i // 250 % 250}.{i % 250 + 1}"),
            ("Acct-Session-Time", str(60 + i % 1000)), ("Acct-Terminate-Cause", "User-Request")]


def body_of(reqs):
    return "\n\n".join(",\n".join(f"{k} = {v}" for k, v in r) for r in reqs) + "\n"


def accepted(out):
    """Accepted count from radclient -s's summary."""
    for line in out.splitlines():
        if line.strip().startswith("Accepted"):
            return int(line.split(":")[1])
    return -1


def radclient(port, reqs, retries, timeout_s, parallel, wait=120):
    """Send reqs; the number answered (-1: radclient did not finish).  Keep
    parallel small: radclient handles lost requests about one a second."""
    try:
        r = subprocess.run([RADCLIENT, "-s", "-q", "-r", str(retries), "-t", str(timeout_s),
                            "-p", str(parallel), "-f", "-", f"127.0.0.1:{port}", "acct",
                            SECRET], input=body_of(reqs), capture_output=True, text=True,
                           timeout=wait)
    except subprocess.TimeoutExpired:
        return None, -1
    return r, accepted(r.stdout + r.stderr)


def exported(store):
    rows = jsonl(retain("export", "--store", store).stdout)
    by = {}
    for x in rows:
        by.setdefault(x["session_id"], []).append(x)
    return by


def api_alarm(api, name, want):
    """Health and metrics agree that the store alarm is (want) active."""
    code, body = api_get(api, "/v1/health")
    j = json.loads(body) if code == 200 else {}
    al = j.get("alarms", {}).get("store")
    if want:
        check(j.get("status") == "degraded" and al and "commit failed" in al.get("message", "")
              and al.get("since"), f"{name}: /v1/health while full: HTTP {code} {body[:500]}")
    else:
        check(j.get("status") == "ok" and j.get("alarms") == {},
              f"{name}: /v1/health after recovery: HTTP {code} {body[:500]}")
    code, body = api_get(api, "/v1/metrics")
    lines = set(body.splitlines())
    check(code == 200 and f'retain_alarm{{kind="store"}} {int(want)}' in lines,
          f"{name}: /v1/metrics store alarm not {int(want)}: HTTP {code} {body[:800]}")
    raised = [l for l in lines if l.startswith('retain_alarms_raised_total{kind="store"} ')]
    check(raised and int(raised[0].split()[1]) >= 1, f"{name}: alarm not counted: {raised}")
    return j


def exhaust(name, store, conf, alarm, make_room, api=None):
    """Fill the store until retaind raises `alarm`, then call make_room(d)
    (which may return a new Daemon) while radclient retries everything."""
    port = int(open(conf).read().split("listen = 127.0.0.1:")[1].split()[0])
    d = Daemon(conf)
    sent = []        # every request ever sent
    answered = 0     # answers radclient saw before room returned
    try:
        full = False
        for b in range(200):
            reqs = [session(len(sent) + i, name) for i in range(BATCH)]
            sent += reqs
            r, acc = radclient(port, reqs, retries=1, timeout_s=1, parallel=10)
            answered += max(acc, 0)
            if alarm in d.log():
                full = True
                break
        check(full, f"{name}: no '{alarm}' ALARM after {len(sent)} requests:\n{d.log()[-2000:]}")
        if not full:
            return
        alarm_line = next(l for l in d.lines if alarm in l)
        print(f"{name}: after {len(sent)} requests ({answered} answered): {alarm_line}")
        check("ALARM" in alarm_line, f"{name}: not an ALARM: {alarm_line}")
        check(d.alive(), f"{name}: retaind died when the store filled:\n{d.log()[-2000:]}")

        # still full: nothing more is answered, retaind stays up
        reqs = [session(len(sent) + i, name) for i in range(20)]
        sent += reqs
        r, acc = radclient(port, reqs, retries=1, timeout_s=1, parallel=5)
        check(acc == 0, f"{name}: {acc} requests answered while the store is full")
        check(d.alive(), f"{name}: retaind died while the store is full")
        # what was answered is already stored (a reader may open the store
        # while the writer runs)
        by = exported(store)
        check(len(by) >= answered,
              f"{name}: {answered} requests answered but only {len(by)} sessions stored")
        if api:
            j = api_alarm(api, name, True)
            print(f"{name}: /v1/health: {j.get('status')}, {j.get('alarms')}")

        # room returns while radclient retries every request ever sent
        reqfile = os.path.join(os.path.dirname(conf), f"{name}.requests")
        with open(reqfile, "w") as f:
            f.write(body_of(sent))
        rc = subprocess.Popen([RADCLIENT, "-s", "-q", "-r", "60", "-t", "1", "-p", "20",
                               "-f", reqfile, f"127.0.0.1:{port}", "acct", SECRET],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(2)
        nd = make_room(d)
        if nd:
            d = nd
        try:
            out, _ = rc.communicate(timeout=400)
        except subprocess.TimeoutExpired:
            rc.kill()
            out, _ = rc.communicate()
        acc = accepted(out)
        # (radclient exits 1 when it counted any try as lost, even if a
        # retry of it was answered: the answers are what count)
        check(acc == len(sent),
              f"{name}: after room returned, {acc} of {len(sent)} answered "
              f"(radclient exit {rc.returncode}):\n{out[-1000:]}")
        if nd is None:
            check("commits succeed again" in d.log(),
                  f"{name}: no recovery in the log:\n{d.log()[-2000:]}")
            if api:
                api_alarm(api, name, False)
        check(d.stop() == 0, f"{name}: retaind exit {d.p.returncode}:\n{d.log()[-2000:]}")
    finally:
        if d.alive():
            d.p.kill()
            d.p.wait()

    # every request was answered: every session stored exactly once
    by = exported(store)
    want = {f"{name}-{i}" for i in range(len(sent))}
    dup = [k for k, v in by.items() if len(v) > 1]
    check(not dup, f"{name}: stored more than once: {dup[:5]}")
    missing = sorted(want - set(by))
    check(not missing, f"{name}: answered but missing: {len(missing)}: {missing[:5]}")
    extra = sorted(set(by) - want)
    check(not extra, f"{name}: unexpected sessions: {extra[:5]}")
    st = json.loads(retain("stats", "--store", store, "--format", "json").stdout)
    closed = st["counters"].get("sessions.closed")
    check(closed == len(want), f"{name}: counter sessions.closed {closed}, want {len(want)}")
    v = retain("verify", "--no-seal", "--store", store)
    check(v.returncode == 0, f"{name}: verify: {v.stdout[-1000:]} {v.stderr[-1000:]}")
    # opens again as a writer with nothing to repair: a second verify and an
    # export give the same answer
    check(len(exported(store)) == len(want), f"{name}: store changed on reopen")
    print(f"{name}: {len(sent)} requests, all answered, {len(by)} sessions stored once, "
          f"verify ok")


def write_conf(path, store, port, secrets, extra="", api=None):
    with open(path, "w") as f:
        f.write(f"[store]\ndir = {store}\n{extra}[listener]\nlisten = 127.0.0.1:{port}\n"
                f"[capture]\nsecrets = {secrets}\ncommit_ms = 20\n")
        if api:
            f.write(api["conf"])


top = tmpdir()
secrets = os.path.join(top, "secrets")
with open(secrets, "w") as f:
    f.write(f"127.0.0.1 {SECRET}\n")

# [store] map_mb is checked: 0 and non-numbers are refused with the line named
for bad in ("0", "16777217", "-1", "1k"):
    conf = os.path.join(top, "bad.conf")
    write_conf(conf, os.path.join(top, "unused"), free_port(), secrets, f"map_mb = {bad}\n")
    p = subprocess.run([RETAIND, "--config", conf], capture_output=True, text=True, timeout=10)
    check(p.returncode != 0 and "map_mb" in p.stderr and ":3:" in p.stderr,
          f"map_mb = {bad}: exit {p.returncode}: {p.stderr[-300:]}")

# ---- (a) disk full ------------------------------------------------------------
mnt = os.path.join(top, "mnt")
os.mkdir(mnt)
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", mnt], check=True)
try:
    store = os.path.join(mnt, "store")
    conf = os.path.join(top, "disk.conf")
    # the operator's API: the alarm must show there too
    api = operator_api(top)
    write_conf(conf, store, free_port(), secrets, api=api)
    # (the store directory does not exist yet: retaind makes it for the API's
    # audit log before its worker creates the store there)

    def remount(d):
        subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
        return None

    exhaust("disk", store, conf, "KiB free of", remount, api)
finally:
    subprocess.run(["umount", "-l", mnt])

# ---- (b) LMDB map full --------------------------------------------------------
store = os.path.join(top, "mapstore")
conf = os.path.join(top, "map.conf")
port = free_port()
write_conf(conf, store, port, secrets, "map_mb = 1\n")


def bigger_map(d):
    # the map is fixed while retaind runs: room returns with a restart
    # with a larger map_mb (what the ALARM asks the operator to do)
    code = d.stop()
    check(code == 0, f"map: retaind exit {code} on SIGTERM while full")
    check("final commit failed" in d.log(), f"map: final commit: {d.log()[-1000:]}")
    write_conf(conf, store, port, secrets, "map_mb = 64\n")
    return Daemon(conf)


exhaust("map", store, conf, "map full", bigger_map)

finish("exhaustion")
