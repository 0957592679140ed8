#!/usr/bin/env python3
"""The RADIUS accounting listener of retaind (issue 7) against FreeRADIUS's
radclient, on loopback:

- an Accounting-Request is answered, and only once what it carried is
  durable (group commit); a request signed with a wrong secret gets no
  answer and is counted as rejected;
- zero loss across crashes: radclient sends Starts, then Stops, with
  retries, while retaind is killed with SIGKILL mid-way through each phase
  and restarted.  radclient talks to retaind through a small UDP relay in
  this script that notes which request each verified Accounting-Response
  answers.  After each kill, while retaind is down, `retain verify
  --no-seal` (read-only) must pass and every request acknowledged so far
  must be in the store exactly once (a Stop: closed); in the end every
  session is stored exactly once, closed, with its account and address.

Skips (77) if radclient (Debian freeradius-utils) is missing."""
import hashlib
import json
import os
import select
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

d = tmpdir()
store = os.path.join(d, "store")
secrets = os.path.join(d, "secrets")
with open(secrets, "w") as f:
    f.write("127.0.0.1 s3cret\n")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
conf = os.path.join(d, "retaind.conf")
with open(conf, "w") as f:
    f.write(f"[store]\ndir = {store}\n[listener]\nlisten = 127.0.0.1:{port}\n"
            f"[capture]\nsecrets = {secrets}\ncommit_ms = 20\n")

procs = []


def start():
    p = subprocess.Popen([RETAIND, "--config", conf], stderr=subprocess.PIPE, text=True)
    procs.append(p)
    deadline = time.time() + 10
    lines = []
    while time.time() < deadline:
        line = p.stderr.readline()
        lines.append(line)
        if "accounting listener" in line or not line:
            break
    check(any("accounting listener" in l for l in lines), f"retaind did not start: {lines}")
    return p


def radclient(requests, secret="s3cret", extra=(), timeout=60):
    body = "\n\n".join(",\n".join(f"{k} = {v}" for k, v in r) for r in requests) + "\n"
    return subprocess.run([RADCLIENT, *extra, "-f", "-", f"127.0.0.1:{port}", "acct", secret],
                          input=body, capture_output=True, text=True, timeout=timeout)


def req(status, sid, user, ip=None, stime=None):
    r = [("Acct-Status-Type", status), ("Acct-Session-Id", f'"{sid}"'),
         ("User-Name", f'"{user}"'), ("NAS-IP-Address", "127.0.0.1")]
    if ip:
        r.append(("Framed-IP-Address", ip))
    if stime is not None:
        r += [("Acct-Session-Time", str(stime)), ("Acct-Terminate-Cause", "User-Request")]
    return r


class AckRelay(threading.Thread):
    """radclient -> relay -> retaind and back.  A response counts as an
    acknowledgement of the request whose Request Authenticator its Response
    Authenticator verifies with (RFC 2866 section 3), so a late answer to an
    earlier request that had the same Identifier is not misattributed."""

    def __init__(self, secret):
        super().__init__(daemon=True)
        self.secret = secret
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.pending = {}   # Identifier -> [(client, request authenticator, key)]
        self.acked = set()  # (Acct-Session-Id, Acct-Status-Type)
        self.lock = threading.Lock()
        self.stopping = False

    @staticmethod
    def key(pkt):
        sid = status = None
        i = 20
        while i + 2 <= len(pkt) and pkt[i + 1] >= 2:
            t, n = pkt[i], pkt[i + 1]
            if t == 44:
                sid = pkt[i + 2:i + n].decode("ascii", "replace")
            elif t == 40 and n == 6:
                status = int.from_bytes(pkt[i + 2:i + 6], "big")
            i += n
        return (sid, status)

    def run(self):
        while not self.stopping:
            r, _, _ = select.select([self.front, self.back], [], [], 0.1)
            if self.front in r:
                data, client = self.front.recvfrom(8192)
                if len(data) >= 20:
                    lst = self.pending.setdefault(data[1], [])
                    ent = (client, data[4:20], self.key(data))
                    if ent not in lst:
                        lst.append(ent)
                        del lst[:-8]
                    self.back.sendto(data, ("127.0.0.1", port))
            if self.back in r:
                data, _ = self.back.recvfrom(8192)
                if len(data) < 20 or data[0] != 5:
                    continue
                lst = self.pending.get(data[1], [])
                for n, (client, rauth, k) in enumerate(lst):
                    want = hashlib.md5(data[:4] + rauth + data[20:] + self.secret).digest()
                    if want == data[4:20]:
                        with self.lock:
                            self.acked.add(k)
                        # only the answer to the request radclient waits for
                        # with this Identifier (the latest): a late answer to
                        # an earlier one fails radclient's check of the
                        # Response Authenticator and ends that request lost
                        if n == len(lst) - 1:
                            self.front.sendto(data, client)
                        break

    def snapshot(self):
        with self.lock:
            return set(self.acked)


def check_acked(acked, when):
    """retaind is down: the store verifies (read-only) and holds every
    acknowledged request exactly once."""
    v = retain("verify", "--store", store, "--no-seal", expect=None)
    check(v.returncode == 0, f"{when}: retain verify exit {v.returncode}: "
                             f"{(v.stdout + v.stderr)[-500:]}")
    by = {}
    for x in jsonl(retain("export", "--store", store).stdout):
        by.setdefault(x["session_id"], []).append(x)
    dup = [k for k, v in by.items() if len(v) > 1]
    check(not dup, f"{when}: sessions stored more than once: {dup[:5]}")
    missing = sorted(sid for sid, st in acked if sid not in by)
    check(not missing, f"{when}: {len(missing)} acknowledged request(s) not stored: "
                       f"{missing[:10]}")
    unclosed = sorted(sid for sid, st in acked
                      if st == 2 and sid in by and by[sid][0]["stop"] is None)
    check(not unclosed, f"{when}: acknowledged Stops of sessions stored open: {unclosed[:10]}")
    return len(missing) + len(dup) + len(unclosed) == 0


try:
    p = start()
    # answered once durable
    r = radclient([req("Start", "one", "alice", "100.64.0.1")], extra=("-r", "2", "-t", "2"))
    check(r.returncode == 0 and "Received Accounting-Response" in r.stdout + r.stderr,
          f"no answer: {r.returncode} {r.stdout} {r.stderr}")
    # a wrong secret: no answer (radclient gives up), counted
    r = radclient([req("Start", "evil", "mallory")], secret="wrong", extra=("-r", "1", "-t", "1"))
    check(r.returncode != 0, f"a forged request was answered: {r.stdout}")

    # zero loss across SIGKILL: Starts, then Stops, while retaind is killed
    # at random points and restarted, at least KILLS times in all
    import random
    rnd = random.Random(7)
    KILLS = int(os.environ.get("RT_KILLS", "50"))
    N = 600
    kills = 0
    relay = AckRelay(b"s3cret")
    relay.start()
    checked = []  # acknowledged requests checked at each kill
    for phase, status in (("start", "Start"), ("stop", "Stop")):
        reqs = [req(status, f"s{i}", f"user{i}", f"100.65.{i // 250}.{i % 250 + 1}",
                    None if status == "Start" else 30) for i in range(N)]
        body = "\n\n".join(",\n".join(f"{k} = {v}" for k, v in q) for q in reqs) + "\n"
        rc = subprocess.Popen([RADCLIENT, "-q", "-r", "60", "-t", "1", "-p", "20", "-n", "150",
                               "-f", "-", f"127.0.0.1:{relay.port}", "acct", "s3cret"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        feeder = threading.Thread(target=lambda: (rc.stdin.write(body), rc.stdin.close()))
        feeder.start()
        want = (KILLS + 1) // 2
        done = 0
        while done < want and rc.poll() is None:
            time.sleep(rnd.uniform(0.02, 0.12))
            p.kill()          # SIGKILL at a random point
            p.wait()
            done += 1
            acked = relay.snapshot()  # all answered by the dead process or before
            check_acked(acked, f"{phase} kill {done}")
            checked.append(len(acked))
            p = start()
        kills += done
        feeder.join()
        try:
            rc.wait(timeout=180)
        except subprocess.TimeoutExpired:
            rc.kill()
            rc.wait()
        err = rc.stderr.read()
        check(rc.returncode == 0, f"{phase}: radclient failed: {rc.returncode} {err[-500:]}")
    check(kills >= KILLS, f"only {kills} kills happened while requests were in flight")
    check(len(relay.snapshot()) == 2 * N,
          f"relay saw {len(relay.snapshot())} acknowledgements, expected {2 * N}")
    check(checked and max(checked) > 0, "no acknowledged request was checked after a kill")

    p.send_signal(signal.SIGTERM)
    p.wait(timeout=15)
    check(p.returncode == 0, f"retaind exit {p.returncode}")

    rows = jsonl(retain("export", "--store", store).stdout)
    by = {}
    for x in rows:
        by.setdefault(x["session_id"], []).append(x)
    dup = {k: v for k, v in by.items() if len(v) > 1}
    check(not dup, f"sessions stored more than once: {list(dup)[:5]}")
    missing = [f"s{i}" for i in range(N) if f"s{i}" not in by]
    check(not missing, f"acknowledged sessions missing: {missing[:10]}")
    bad = [k for k, v in by.items() if k.startswith("s") and
           (v[0]["stop"] is None or v[0]["account"] != f"user{k[1:]}" or not v[0]["ipv4"])]
    check(not bad, f"sessions not closed or wrong: {[by[k][0] for k in bad[:3]]}")
    check("evil" not in by and "one" in by, f"forged or first session: {sorted(by)[:5]}")
    st = json.loads(retain("stats", "--store", store, "--format", "json").stdout)
    check(st["counters"].get("radius.rejected", 0) >= 1, f"rejected not counted: {st}")
    check_acked(relay.snapshot(), "end")
    print(f"kills {kills}, sessions {len(by)}, "
          f"retransmissions {st['counters'].get('radius.retransmissions', 0)}, "
          f"acknowledged requests checked after each kill: {checked}")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()

finish("listener")
