#!/usr/bin/env python3
"""retaind capturing live (issue 5): on a veth pair inside a network
namespace this test creates, retaind (capture only, no API) records RADIUS
accounting sessions into its store as the service user `nobody`; a spoofed
request is rejected; SIGHUP reloads the secrets file (a NAS whose secret
was added verifies afterwards); SIGTERM commits the batch and the open
sessions and exits 0.  Needs root and iproute2 (skips otherwise)."""
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from rtlib import *

RETAIND = os.environ.get("RETAIND")
if os.geteuid() != 0 or not shutil.which("ip") or not RETAIND:
    print("skip: needs root, iproute2 and RETAIND")
    sys.exit(77)
try:
    nobody = pwd.getpwnam("nobody")
except KeyError:
    print("skip: no user nobody")
    sys.exit(77)

d = tmpdir()
os.chmod(d, 0o755)
store = os.path.join(d, "store")
os.mkdir(store, 0o700)
os.chown(store, nobody.pw_uid, nobody.pw_gid)
secrets = os.path.join(d, "secrets")
with open(secrets, "w") as f:
    f.write("10.0.0.1 s3cret\n")
os.chmod(secrets, 0o644)
conf = os.path.join(d, "retaind.conf")
with open(conf, "w") as f:
    f.write(f"[store]\ndir = {store}\n[capture]\ninterface = rtv1\nsecrets = {secrets}\n"
            f"commit_ms = 50\n[daemon]\nuser = nobody\n")

ns = f"rt-daemon-{os.getpid()}"
if subprocess.run(["ip", "netns", "add", ns]).returncode != 0:
    print("skip: cannot create a network namespace here")
    sys.exit(77)
proc = None
try:
    def nsrun(*a, **kw):
        return subprocess.run(["ip", "netns", "exec", ns, *a], check=True, **kw)
    nsrun("ip", "link", "add", "rtv0", "type", "veth", "peer", "name", "rtv1")
    nsrun("ip", "link", "set", "rtv0", "up")
    nsrun("ip", "link", "set", "rtv1", "up")

    def acct(ident, status, sid, user, nas, secret, extra=()):
        attrs = [radius_attr(40, u32(status)), radius_attr(44, sid), radius_attr(1, user),
                 radius_attr(4, bytes(map(int, nas.split(".")))), *extra]
        return udp4_frame(nas, "10.9.9.9", 40000, 1813, radius_acct(ident, attrs, secret))

    sender = ("import socket,sys\n"
              "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
              "s.bind(('rtv0',0))\n"
              "for h in sys.stdin.read().split():\n"
              "    s.send(bytes.fromhex(h))\n")
    def send(frames):
        nsrun(sys.executable, "-c", sender, input=" ".join(f.hex() for f in frames), text=True)

    proc = subprocess.Popen(["ip", "netns", "exec", ns, RETAIND, "--config", conf],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 10
    log = []
    while time.time() < deadline:
        line = proc.stderr.readline()
        log.append(line)
        if "capturing on rtv1" in line or not line:
            break
    check(any("capturing on rtv1" in l for l in log), f"retaind did not start: {log}")
    check(any("running as nobody" in l for l in log), f"no privilege drop: {log}")

    ip = radius_attr(8, bytes([100, 64, 0, 7]))
    send([acct(1, 1, b"s-1", b"alice", "10.0.0.1", b"s3cret", [ip]),
          acct(2, 1, b"s-2", b"bob", "10.0.0.1", b"s3cret"),
          acct(3, 2, b"s-2", b"bob", "10.0.0.1", b"wrong", [radius_attr(46, u32(5))]),
          acct(4, 2, b"s-1", b"alice", "10.0.0.1", b"s3cret", [radius_attr(46, u32(60)), ip]),
          # NAS 10.0.0.2 has no secret yet: accepted as "no-secret"
          acct(5, 1, b"n2-1", b"carol", "10.0.0.2", b"later")])
    time.sleep(1.0)

    # SIGHUP: 10.0.0.2 now has a secret; a packet signed with another is rejected
    with open(secrets, "w") as f:
        f.write("10.0.0.1 s3cret\n10.0.0.2 later\n")
    proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline:
        line = proc.stderr.readline()
        log.append(line)
        if "reloaded secrets" in line or not line:
            break
    check(any("reloaded secrets: 2 entries" in l for l in log), f"no reload: {log}")
    send([acct(6, 1, b"n2-2", b"dave", "10.0.0.2", b"later"),
          acct(7, 1, b"n2-3", b"eve", "10.0.0.2", b"not-it")])
    time.sleep(1.0)

    proc.send_signal(signal.SIGTERM)
    try:
        _, rest = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, rest = proc.communicate()
    log.append(rest)
    check(proc.returncode == 0, f"retaind exit {proc.returncode}: {''.join(log)}")
    proc = None

    out = {r["session_id"]: r for r in jsonl(retain("export", "--store", store).stdout)}
    check(set(out) == {"s-1", "s-2", "n2-1", "n2-2"}, f"sessions: {sorted(out)}")
    if "s-1" in out:
        check(out["s-1"]["stop"] is not None and out["s-1"]["ipv4"] == "100.64.0.7"
              and out["s-1"]["auth"] == "verified", f"s-1: {out['s-1']}")
    if "s-2" in out:
        check(out["s-2"]["stop"] is None, f"a spoofed Stop closed s-2: {out['s-2']}")
    if "n2-1" in out and "n2-2" in out:
        check(out["n2-1"]["auth"] == "no-secret" and out["n2-2"]["auth"] == "verified",
              f"auth: {out['n2-1']['auth']}, {out['n2-2']['auth']}")
    p = retain("stats", "--store", store, "--format", "json")
    st = json.loads(p.stdout) if p.returncode == 0 else {"counters": {}}
    check(st["counters"].get("radius.rejected") == 2, f"stats: {st}")
    owners = {os.stat(os.path.join(root, f)).st_uid
              for root, _, files in os.walk(store) for f in files}
    check(owners == {nobody.pw_uid}, f"store files not owned by the service user: {owners}")
finally:
    if proc:
        proc.kill()
    subprocess.run(["ip", "netns", "del", ns])

finish("daemon")
