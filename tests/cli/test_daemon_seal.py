#!/usr/bin/env python3
"""retaind seals and expires its own store (issue 4; storage/store.h "Sealing
in two steps", control/worker.c maintenance), with the test clock
`[store] test_now`:

- [store] retention / seal_grace / test_now: bad values are refused with
  their line (retaind --check-config);
- a store holding three finished days (ingested by `retain ingest`), and
  retaind on it with its accounting listener (fed Accounting-Requests while
  it runs, each answered): with the clock past the grace, retaind seals the
  finished days itself (log: day, sessions, sha256), MANIFEST lists them
  with the hashes logged, `retain verify` after retaind stops passes, and
  `retain stats` shows store.sealed_days and store.seal_max_stall_ms;
- with the clock past the retention, retaind expires the days: log lines,
  DIR/expiry.log and MANIFEST "expired" lines, store.expired_days, and
  `retain verify` still passes;
- an encrypted store: `retain verify` and `retain expire` without
  RETAIN_KEYS exit non-zero with a message naming RETAIN_KEYS and seal
  nothing; retaind without [store] keys logs an ALARM, counts
  store.seal_errors and keeps going (its listener still answers), and the
  operator's GET /v1/health and /v1/metrics show the seal alarm; with the
  key file the days are sealed."""
import json
import os
import re
import socket
import struct
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

# ---- config keys -------------------------------------------------------------
BASE = f"[store]\ndir = {d}/cfg\n"
TAIL = "[listener]\nlisten = 127.0.0.1:1813\n"
for body, want in [
    ("retention = 60d\nseal_grace = 12h\ntest_now = 2026-07-05T00:00:00Z\n", None),
    ("retention = 0\n", (3, "bad value for [store] retention")),
    ("retention = soon\n", (3, "bad value for [store] retention")),
    ("seal_grace = -1h\n", (3, "bad value for [store] seal_grace")),
    ("test_now = yesterday\n", (3, "bad value for [store] test_now")),
    ("retention = 30d\nseal_grace = 1d\nretention = 40d\n",
     (5, "[store] retention given twice")),
]:
    conf = os.path.join(d, "check.conf")
    with open(conf, "w") as f:
        f.write(BASE + body + TAIL)
    p = run([RETAIND, "--config", conf, "--check-config"], expect=None)
    err = p.stderr.strip()
    if want is None:
        check(p.returncode == 0, f"{body!r} refused: {err}")
        continue
    check(p.returncode == 1 and err.startswith(f"retaind: {conf}:{want[0]}: ") and
          want[1] in err, f"{body!r}: expected line {want[0]} '{want[1]}', got: {err}")

# ---- a store with three finished days ----------------------------------------
cap, truth, sec = (os.path.join(d, f"g.{x}") for x in ("pcap", "jsonl", "secrets"))
run([RT_GEN, "--seed", "41", "--sessions", "500", "--days", "3",
     "--start", "2026-07-01T00:00:00Z", "--out", cap, "--truth", truth, "--secrets", sec])


free_port = free_udp_port  # rtlib


class Daemon:
    """retaind with a temp config; its log is collected by a thread."""

    def __init__(self, store, now, extra="", tail=""):
        self.port = free_port()
        self.secrets = os.path.join(d, "nas.secrets")
        with open(self.secrets, "w") as f:
            f.write("127.0.0.1 s3cret\n")
        self.conf = os.path.join(d, "retaind.conf")
        with open(self.conf, "w") as f:
            f.write(f"[store]\ndir = {store}\ntest_now = {now}\n{extra}"
                    f"[listener]\nlisten = 127.0.0.1:{self.port}\n"
                    f"[capture]\nsecrets = {self.secrets}\ncommit_ms = 20\n{tail}")
        self.p = subprocess.Popen([RETAIND, "--config", self.conf], stderr=subprocess.PIPE,
                                  text=True)
        self.lines = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stderr:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def log(self):
        with self.lock:
            return list(self.lines)

    def wait_for(self, pred, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred(self.log()):
                return True
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        return pred(self.log())

    def acct(self, ident, sid):
        """One Accounting-Request (Stop); True when answered."""
        attrs = [radius_attr(40, u32(2)), radius_attr(44, sid.encode()),
                 radius_attr(1, b"user@isp"), radius_attr(4, bytes([127, 0, 0, 1])),
                 radius_attr(8, bytes([100, 64, 9, ident])), radius_attr(46, u32(60))]
        pkt = radius_acct(ident, attrs, b"s3cret")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.5)
        try:
            for _ in range(20):
                s.sendto(pkt, ("127.0.0.1", self.port))
                try:
                    data, _ = s.recvfrom(4096)
                    if len(data) >= 20 and data[0] == 5 and data[1] == ident:
                        return True
                except socket.timeout:
                    pass
            return False
        finally:
            s.close()

    def stop(self):
        rc = terminate(self.p, 60)
        self.t.join(timeout=10)
        check(rc == 0, f"retaind exit {rc}: {self.log()[-5:]}")
        return self.log()


def counters(store, keys=None):
    env = dict(os.environ)
    env.pop("RETAIN_KEYS", None)
    if keys:
        env["RETAIN_KEYS"] = keys
    p = subprocess.run([RETAIN, "stats", "--store", store, "--format", "json"],
                       capture_output=True, text=True, env=env)
    check(p.returncode == 0, f"stats: {p.stderr}")
    try:
        return jsonl(p.stdout)[-1].get("counters", {})
    except (ValueError, IndexError):
        check(False, f"stats output: {p.stdout!r}")
        return {}


def manifest(store):
    path = os.path.join(store, "MANIFEST")
    return open(path).read().splitlines() if os.path.exists(path) else []


def sealed_log(lines):
    return [m.groups() for m in (re.search(r"sealed day (\S+): (\d+) sessions, (\d+) bytes, "
                                           r"sha256 ([0-9a-f]{64})", l) for l in lines) if m]


store = os.path.join(d, "store")
retain("ingest", cap, "--store", store, "--secrets", sec, "--quiet")
days = sorted(n[:10] for n in os.listdir(os.path.join(store, "seg")) if n.endswith(".seg"))
check(len(days) >= 3 and days[0] == "2026-07-01", f"ingested days: {days}")
check(manifest(store) == [], "nothing sealed before retaind runs")

# 1. the clock past the grace of every ingested day: retaind seals them all
now1 = "2026-07-10T00:00:00Z"
r = Daemon(store, now1)
ok = r.wait_for(lambda l: len(sealed_log(l)) >= len(days))
check(ok, f"retaind did not seal {days}: {r.log()[-10:]}")
check(all(r.acct(i, f"live-{i}") for i in range(1, 4)), "listener answers during maintenance")
log1 = r.stop()
sealed = sealed_log(log1)
print("\n".join(l for l in log1 if "sealed day" in l))
check(sorted(s[0] for s in sealed) == days, f"sealed days {sealed} vs {days}")
check(not any("ALARM" in l for l in log1), f"alarm: {[l for l in log1 if 'ALARM' in l]}")
check(any("store maintenance: days sealed 24.0 h after they end, sessions expired 60.0 days"
          in l and "TEST CLOCK fixed at 2026-07-10T00:00:00" in l for l in log1),
      f"maintenance settings not logged: {log1[:5]}")
man = manifest(store)
for day, _, size, sha in sealed:
    check(any(f"day={day} " in l and f"size={size} " in l and f"sha256={sha} " in l
              for l in man), f"MANIFEST lacks the seal logged for {day}: {man}")
check(len([l for l in man if l.startswith("seal ")]) == len(days), f"MANIFEST: {man}")
check(not any(n.endswith(".v2") for n in os.listdir(os.path.join(store, "seg"))),
      "temporaries left in seg/")
# retaind left nothing due: verify seals nothing (it prints "sealed N
# segments" only when it seals some), and it finds each day sealed and intact
p = retain("verify", "--store", store, "--now", now1)
check(p.returncode == 0 and not re.search(r"^sealed \d+ segment", p.stdout, re.M),
      f"verify had to seal what retaind left: {p.stdout} {p.stderr}")
vj = jsonl(retain("verify", "--store", store, "--now", now1, "--format", "json").stdout)
check(vj and not any(x.get("fault") for x in vj), f"verify faults: {vj}")
for day in days:
    check(any(x.get("day") == day and x.get("sealed") and x.get("status") == "ok"
              for x in vj), f"verify: {day} not sealed and ok: {vj}")
c = counters(store)
check(c.get("store.sealed_days") == len(days), f"store.sealed_days: {c}")
check("store.seal_max_stall_ms" in c, f"store.seal_max_stall_ms: {c}")
check(c.get("store.seal_errors", 0) == 0, f"store.seal_errors: {c}")
check(c.get("store.expired_days", 0) == 0, f"nothing expired yet: {c}")
n_before = len(jsonl(retain("export", "--store", store, "--format", "jsonl").stdout))
check(n_before >= 500, f"export after sealing: {n_before} sessions")

# 2. the clock past the retention (60 days by default): retaind expires them
now2 = "2026-09-20T00:00:00Z"
r = Daemon(store, now2)
ok = r.wait_for(lambda l: sum("expired day" in x for x in l) >= len(days))
log2 = r.stop()
check(ok, f"retaind did not expire: {log2[-10:]}")
for day in days:
    check(any(re.search(rf"expired day {day} \(segment removed\): \d+ sessions, \d+ bytes, "
                        r"sha256 [0-9a-f]{64}", l) for l in log2),
          f"no expiry logged for {day}: {log2[-10:]}")
print("\n".join(l for l in log2 if "expir" in l))
elog = os.path.join(store, "expiry.log")
exp = open(elog).read() if os.path.exists(elog) else ""
for day in days:
    check(f"segment={day} kind=whole" in exp, f"expiry.log lacks {day}: {exp}")
    check(any(l.startswith(f"expired day={day} ") for l in manifest(store)),
          f"MANIFEST lacks the expiry of {day}")
c = counters(store)
check(c.get("store.expired_days") == len(days), f"store.expired_days: {c}")
p = retain("verify", "--store", store, "--now", now2)
left = [x for x in jsonl(retain("export", "--store", store, "--format", "jsonl").stdout)
        if x.get("stop_ns") and x["stop_ns"] < 1789000000 * 10**9]
check(left == [], f"sessions past retention still exported: {len(left)}")

# ---- an encrypted store ------------------------------------------------------
keys = os.path.join(d, "keys")
with open(keys, "w") as f:
    f.write("1 " + "5a" * 32 + "\n")
os.chmod(keys, 0o600)
enc = os.path.join(d, "enc")


def kr(k, *args, expect=0):
    env_before = os.environ.pop("RETAIN_KEYS", None)
    if k:
        os.environ["RETAIN_KEYS"] = k
    try:
        return retain(*args, expect=expect)
    finally:
        os.environ.pop("RETAIN_KEYS", None)
        if env_before is not None:
            os.environ["RETAIN_KEYS"] = env_before


kr(keys, "ingest", cap, "--store", enc, "--secrets", sec, "--quiet")
kr(keys, "verify", "--store", enc, "--now", "2026-07-03T00:00:00Z")  # seals 07-01, encrypted
man0 = manifest(enc)
check(len(man0) == 1, f"one day sealed encrypted: {man0}")
segs0 = sorted(os.listdir(os.path.join(enc, "seg")))
for cmd in (["verify", "--store", enc, "--now", now1],
            ["expire", "--store", enc, "--now", now1]):
    p = kr(None, *cmd, expect=None)
    check(p.returncode != 0, f"{cmd[0]} without keys: exit 0")
    check("RETAIN_KEYS" in p.stderr and "plaintext" in p.stderr,
          f"{cmd[0]} without keys: {p.stderr!r}")
check(manifest(enc) == man0, "nothing sealed without the keys")
check(sorted(os.listdir(os.path.join(enc, "seg"))) == segs0, "seg/ unchanged without keys")

# later days (unsealed days are in the clear whatever the keys):
# retaind without [store] keys starts (it reads none of the encrypted
# days), but must not seal them in plaintext
cap2, truth2, sec2 = (os.path.join(d, f"g2.{x}") for x in ("pcap", "jsonl", "secrets"))
run([RT_GEN, "--seed", "42", "--sessions", "200", "--days", "2",
     "--start", "2026-07-20T00:00:00Z", "--out", cap2, "--truth", truth2, "--secrets", sec2])
kr(keys, "ingest", cap2, "--store", enc, "--secrets", sec2, "--quiet")
enc_days = sorted(n[:10] for n in os.listdir(os.path.join(enc, "seg")) if n.endswith(".seg"))
now3 = "2026-07-25T00:00:00Z"
# the operator's API on it: the alarm shows in health and metrics
api = operator_api(d)
r = Daemon(enc, now3, tail=api["conf"])
ok = r.wait_for(lambda l: any("ALARM: sealing" in x for x in l))
check(r.acct(7, "live-enc"), "listener answers while sealing fails")
# the worker (and its alarm) may start before the API listens
check(r.wait_for(lambda l: any("serving https://" in x for x in l)),
      f"the API did not start: {r.log()[-10:]}")
code, body = api_get(api, "/v1/health")
h = json.loads(body) if code == 200 else {}
seal_al = h.get("alarms", {}).get("seal", {})
check(h.get("status") == "degraded" and seal_al.get("message", "").startswith("sealing") and
      seal_al.get("since"), f"/v1/health while sealing fails: HTTP {code} {body[:600]}")
check(not h.get("alarms", {}).get("store"), f"a store alarm while commits succeed: {body[:600]}")
code, body = api_get(api, "/v1/metrics")
check(code == 200 and 'retain_alarm{kind="seal"} 1' in body.splitlines() and
      'retain_alarm{kind="store"} 0' in body.splitlines(),
      f"/v1/metrics while sealing fails: HTTP {code} {body[:600]}")
log3 = r.stop()
check(ok, f"no ALARM for the missing key: {log3[-10:]}")
check(any("RETAIN_KEYS" in x and "[store] keys" in x for x in log3 if "ALARM" in x),
      f"the alarm names the key file settings: {[x for x in log3 if 'ALARM' in x]}")
check(manifest(enc) == man0, "retaind sealed nothing without the keys")
c = counters(enc, keys)
check(c.get("store.seal_errors", 0) >= 1, f"store.seal_errors: {c}")

r = Daemon(enc, now3, f"keys = {keys}\n")
ok = r.wait_for(lambda l: len(sealed_log(l)) >= len(enc_days) - 1)
log4 = r.stop()
check(ok, f"retaind with keys did not seal: {log4[-10:]}")
check(len([l for l in manifest(enc) if l.startswith("seal ")]) == len(enc_days),
      f"sealed with the keys: {manifest(enc)} vs {enc_days}")
# the days retaind sealed are encrypted at rest: box magic (CRYPT.md), and
# none of their plaintext (a sealed segment's own magic) is on disk
for day, _, size, _ in sealed_log(log4):
    with open(os.path.join(enc, "seg", f"{day}.seg"), "rb") as f:
        head = f.read(4)
    check(head == b"RTEN", f"{day} sealed by retaind is not encrypted: {head!r}")
    fsize = os.path.getsize(os.path.join(enc, "seg", f"{day}.seg"))
    check(fsize > int(size), f"{day}: file {fsize} bytes, not boxes of {size}")
check(sealed_log(log4), "retaind logged no sealed day")
kr(keys, "verify", "--store", enc, "--now", now3)

# every encrypted day past the retention: retaind with the keys expires
# them (not damaged: the seal holds the plaintext's size) ...
now4 = "2026-10-20T00:00:00Z"
r = Daemon(enc, now4, f"keys = {keys}\n")
ok = r.wait_for(lambda l: sum("expired day" in x for x in l) >= len(enc_days))
log5 = r.stop()
check(ok, f"retaind did not expire the encrypted store: {log5[-10:]}")
check(not any("damaged" in x for x in log5 if "expired day" in x),
      f"encrypted days expired as damaged: {[x for x in log5 if 'expired' in x]}")
exp = open(os.path.join(enc, "expiry.log")).read()
check("damaged=1" not in exp, f"expiry.log: {exp}")
left = [n for n in os.listdir(os.path.join(enc, "seg")) if n[:10] in enc_days]
check(left == [], f"expired segments left: {left}")
# ... and with no encrypted file left, a keyless retaind still must not
# seal new days in plaintext (the store is marked encrypted)
cap3, truth3, sec3 = (os.path.join(d, f"g3.{x}") for x in ("pcap", "jsonl", "secrets"))
run([RT_GEN, "--seed", "43", "--sessions", "100", "--days", "1",
     "--start", "2026-10-25T00:00:00Z", "--out", cap3, "--truth", truth3, "--secrets", sec3])
kr(keys, "ingest", cap3, "--store", enc, "--secrets", sec3, "--quiet")
man5 = manifest(enc)
r = Daemon(enc, "2026-11-01T00:00:00Z")
ok = r.wait_for(lambda l: any("ALARM: sealing" in x for x in l))
log6 = r.stop()
check(ok and any("RETAIN_KEYS" in x for x in log6 if "ALARM" in x),
      f"keyless retaind on an emptied encrypted store: {log6[-10:]}")
check(manifest(enc) == man5, "retaind sealed in plaintext after the encrypted days expired")
finish("daemon_seal")
