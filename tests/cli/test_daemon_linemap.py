#!/usr/bin/env python3
"""retaind's [access] line_map (dataplane/ACCESS.md "DHCPv4 line map"):
a bad map is a clear error at startup (retaind does not start); SIGHUP
reloads the map, and a map that fails to load on reload leaves the old one
in place (logged), while the daemon keeps running.  Uses the RADIUS
accounting listener on loopback only: no root, no radclient."""
import os
import select
import signal
import socket
import subprocess
import sys
import time
from rtlib import *

RETAIND = os.environ.get("RETAIND")
if not RETAIND:
    print("skip: needs RETAIND")
    sys.exit(77)

d = tmpdir()
store = os.path.join(d, "store")
lines = os.path.join(d, "lines.map")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
conf = os.path.join(d, "retaind.conf")
with open(conf, "w") as f:
    f.write(f"[store]\ndir = {store}\n[listener]\nlisten = 127.0.0.1:{port}\n"
            f"[access]\nline_map = {lines}\n")


def write_map(text):
    with open(lines, "w") as f:
        f.write(text)


def read_until(p, want, timeout=10):
    """stderr lines until one contains want (or EOF / timeout)."""
    got = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([p.stderr], [], [], max(0.0, deadline - time.time()))
        if not r:
            break
        line = p.stderr.readline()
        if not line:
            break
        got.append(line)
        if want in line:
            return True, got
    return False, got


# 1. a bad map: retaind refuses to start and says which line and why
write_map("remote-id,rid-1,alice\nremote-id,rid-1,bob\n")
p = subprocess.run([RETAIND, "--config", conf], capture_output=True, text=True, timeout=30)
check(p.returncode not in (0,) and p.returncode < 128, f"bad map: exit {p.returncode}")
check(f"line map {lines}: line 2: duplicate line identity" in p.stderr,
      f"bad map: stderr {p.stderr[-800:]!r}")

# a missing [access] line_map value is a config error
with open(conf + ".empty", "w") as f:
    f.write(f"[store]\ndir = {store}\n[listener]\nlisten = 127.0.0.1:{port}\n"
            f"[access]\nline_map =\n")
p = subprocess.run([RETAIND, "--config", conf + ".empty"], capture_output=True, text=True,
                   timeout=30)
check(p.returncode != 0 and "line_map" in p.stderr, f"empty line_map: {p.stderr[-500:]!r}")

# 2. a good map: it starts
write_map("# lines\nremote-id,rid-1,alice\ncircuit-id,port-2,bob\n")
p = subprocess.Popen([RETAIND, "--config", conf], stderr=subprocess.PIPE, text=True)
try:
    ok, got = read_until(p, "accounting listener")
    check(ok, f"retaind did not start: {got}")
    # 3. reload with a broken map: kept, logged, still running
    write_map("remote-id,rid-1,alice\nvlan,7,carol\n")
    p.send_signal(signal.SIGHUP)
    ok, got = read_until(p, "keeping the old map")
    check(ok and any("line 2: kind is not" in l for l in got), f"bad reload: {got}")
    check(p.poll() is None, "retaind exited after a bad reload")
    # 4. reload with a good map of three entries
    write_map("remote-id,rid-1,alice\ncircuit-id,port-2,bob\nsubscriber-id,S3,carol\n")
    p.send_signal(signal.SIGHUP)
    ok, got = read_until(p, "reloaded line map")
    check(ok and any("reloaded line map: 3 entries" in l for l in got), f"good reload: {got}")
finally:
    terminate(p, 30)
check(p.returncode == 0, f"retaind exit {p.returncode} after SIGTERM")
finish("daemon_linemap")
