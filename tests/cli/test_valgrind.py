#!/usr/bin/env python3
"""The retain CLI under valgrind (issue 7): ingest, query (ip, account,
calling, ip6, nas), export, stats, expire and verify --no-seal on a small
rt-gen capture, each under `valgrind --error-exitcode=99 --leak-check=full
--errors-for-leak-kinds=definite`: no invalid access, no use of
uninitialised memory, no definite leak.

Skips (77) without valgrind, and for a sanitizer build of retain (ASan and
valgrind do not mix; tools/check runs this suite in the gcc build too)."""
import os
import re
import shutil
import subprocess
import sys
from rtlib import *

VALGRIND = shutil.which("valgrind")
if not VALGRIND:
    print("skip: valgrind is not installed")
    sys.exit(77)
exe = shutil.which(RETAIN) or RETAIN
try:
    syms = subprocess.run(["nm", "-D", exe], capture_output=True, text=True).stdout + \
        subprocess.run(["nm", exe], capture_output=True, text=True).stdout
    libs = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
except OSError:
    syms = libs = ""
if "__asan_init" in syms or "libasan" in libs or os.environ.get("RT_SANITIZED"):
    print("skip: retain is built with a sanitizer")
    sys.exit(77)

d = tmpdir()
cap, truth_f, secrets = (os.path.join(d, n) for n in ("bras.pcap", "truth.jsonl", "secrets"))
run([RT_GEN, "--seed", "5", "--sessions", "60", "--days", "3",
     "--start", "2026-07-01T00:00:00Z", "--out", cap, "--truth", truth_f,
     "--secrets", secrets])
truth = jsonl(open(truth_f).read())
store = os.path.join(d, "store")

VG = [VALGRIND, "-q", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
      "--track-origins=yes", "--num-callers=30"]


def vg(*args, expect=0):
    # valgrind cannot reserve the store's default 64 GiB map
    env = dict(os.environ, RETAIN_MAP_MB="1024")
    p = subprocess.run([*VG, RETAIN, *map(str, args)], capture_output=True, text=True, env=env)
    ok = check(p.returncode == expect and not re.search(r"^==\d+==", p.stderr, re.M),
               f"retain {' '.join(map(str, args))}: exit {p.returncode} (want {expect})\n"
               f"{p.stderr[-4000:]}")
    if not ok:
        print(f"valgrind: retain {args[0]} failed", file=sys.stderr)
    return p


vg("ingest", cap, "--store", store, "--secrets", secrets, "--format", "json")
s = next(r for r in truth if r.get("ipv4") and r.get("stop_ns"))
at = (s["start_ns"] + s["stop_ns"]) // 2
vg("query", "ip", s["ipv4"], "--at", at, "--store", store, "--authority", "test",
   "--case", "vg-1")
vg("query", "ip", s["ipv4"], "--from", "2026-07-01", "--to", "2026-07-04", "--format", "csv",
   "--store", store, "--authority", "test", "--case", "vg-2")
vg("query", "account", s["account"], "--from", "2026-07-01", "--to", "2026-07-04",
   "--format", "json", "--store", store, "--authority", "test", "--case", "vg-3")
if s.get("calling_number"):
    vg("query", "calling", s["calling_number"], "--from", "2026-07-01", "--to", "2026-07-04",
       "--format", "xml", "--store", store, "--authority", "test", "--case", "vg-4")
s6 = next((r for r in truth if r.get("ipv6_prefix")), None)
if s6:
    vg("query", "ip", s6["ipv6_prefix"].split("/")[0], "--from", "2026-07-01",
       "--to", "2026-07-04", "--store", store, "--authority", "test", "--case", "vg-5")
vg("query", "nas", s["nas_ip"], "--from", "2026-07-01", "--to", "2026-07-04",
   "--format", "jsonl", "--store", store, "--authority", "test", "--case", "vg-6")
vg("query", "ip", "192.0.2.254", "--at", at, "--store", store, "--authority", "test",
   "--case", "vg-7", expect=4)
p = vg("export", "--store", store)
check(len(jsonl(p.stdout)) > 0, "export gave nothing")
vg("export", "--store", store, "--format", "csv")
vg("stats", "--store", store)
vg("stats", "--store", store, "--format", "json")
vg("verify", "--no-seal", "--store", store)
vg("expire", "--store", store, "--retention", "1d", "--now", "2026-07-05T00:00:00Z")
vg("verify", "--no-seal", "--store", store)
vg("audit", "log", "--store", store)
vg("query", "ip", "bad-address", "--at", at, "--store", store, expect=1)

finish("valgrind")
