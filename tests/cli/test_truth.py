#!/usr/bin/env python3
"""End to end against a generated capture with known truth (issue 2, 2-4):
10,000 sessions over 90 days with address reuse, retransmissions, NAS
reboots, missing Stops and Starts, spoofed and malformed packets.

- `retain export` equals the truth, field for field;
- `retain query ip` is right at the exact boundaries of address reuse;
- spoofed requests are never stored and are counted in the ingest summary
  and in `retain stats`;
- `retain expire --now T` removes exactly the sessions that ended more than
  60 days before T; queries no longer find them; the rest is intact."""
import json
import os
import random
import sys
from rtlib import *

SESSIONS = int(os.environ.get("RT_TRUTH_SESSIONS", "10000"))
d = tmpdir()
cap, truth_f, secrets, summary_f = (os.path.join(d, n) for n in
                                    ("bras.pcap", "truth.jsonl", "secrets.txt", "summary.json"))
store = os.path.join(d, "store")
run([RT_GEN, "--seed", "7", "--sessions", str(SESSIONS), "--days", "90",
     "--start", "2026-07-01T00:00:00Z", "--out", cap, "--truth", truth_f,
     "--secrets", secrets, "--summary", summary_f])
truth = jsonl(open(truth_f).read())
summary = json.load(open(summary_f))
check(len(truth) >= SESSIONS, f"truth has {len(truth)} sessions, expected >= {SESSIONS}")
check(summary["spoofed"] > 0 and summary["malformed"] > 0 and summary["reboots"] > 0,
      f"generator summary lacks the hard cases: {summary}")

p = retain("ingest", cap, "--store", store, "--secrets", secrets, "--format", "json")
s = json.loads(p.stdout)
check(s["rejected"] == summary["spoofed"],
      f"rejected {s['rejected']} != spoofed {summary['spoofed']}")
check(s["malformed"] == summary["malformed"],
      f"malformed {s['malformed']} != generated {summary['malformed']}")
check(s["sessions_closed"] + s["sessions_open"] == len(truth),
      f"stored {s['sessions_closed']}+{s['sessions_open']} != truth {len(truth)}")

# ---- export == truth, field for field ---------------------------------------
def compare(got, want, label):
    g = {session_key(r): r for r in got}
    w = {session_key(r): r for r in want}
    check(len(g) == len(got), f"{label}: duplicate sessions in export")
    missing = [k for k in w if k not in g]
    extra = [k for k in g if k not in w]
    check(not missing, f"{label}: {len(missing)} truth sessions missing, e.g. "
                       f"{[w[k] for k in missing[:3]]}")
    check(not extra, f"{label}: {len(extra)} sessions not in truth, e.g. "
                     f"{[g[k] for k in extra[:3]]}")
    bad = 0
    for k in w:
        if k in g and g[k] != w[k]:
            if bad < 5:
                diff = {f: (g[k].get(f), w[k].get(f)) for f in set(g[k]) | set(w[k])
                        if g[k].get(f) != w[k].get(f)}
                print(f"{label}: {k}: (got, want) {diff}", file=sys.stderr)
            bad += 1
    check(bad == 0, f"{label}: {bad} sessions differ from the truth")

export = jsonl(retain("export", "--store", store, "--format", "jsonl").stdout)
compare(export, truth, "export")
check(all(list(r.keys()) == list(truth[0].keys()) for r in export[:100]),
      "export keys or key order differ from the truth file")

# ---- spoofed requests counted in stats --------------------------------------
st = json.loads(retain("stats", "--store", store, "--format", "json").stdout)
check(st["counters"].get("radius.rejected") == summary["spoofed"],
      f"stats radius.rejected {st['counters'].get('radius.rejected')} != {summary['spoofed']}")
check(st["sessions_closed"] + st["sessions_open"] == len(truth), "stats session count")

# ---- ip at T, at the exact boundaries of address reuse ------------------------
INF = 1 << 63
def holders(by_ip, ip, t):
    return sorted(session_key(r) for r in by_ip.get(ip, [])
                  if r["start_ns"] <= t <= (r["stop_ns"] if r["stop_ns"] is not None else INF))

by_ip = {}
for r in truth:
    if r["ipv4"]:
        by_ip.setdefault(r["ipv4"], []).append(r)
probes = []
for ip, rs in by_ip.items():
    rs.sort(key=lambda r: r["start_ns"])
    for a, b in zip(rs, rs[1:]):
        if a["stop_ns"] is not None:
            probes.append((ip, a, b))
rnd = random.Random(1)
rnd.shuffle(probes)
exact = [p for p in probes if p[1]["stop_ns"] == p[2]["start_ns"]]
sel = exact[:40] + probes[:160]
check(len(exact) > 0, "the capture has no exact-boundary address reuse")
nq = 0
for ip, a, b in sel:
    for t in (a["start_ns"], a["stop_ns"], a["stop_ns"] + 1, b["start_ns"] - 1, b["start_ns"]):
        want = holders(by_ip, ip, t)
        p = retain("query", "ip", ip, "--at", str(t), "--store", store, "--format", "jsonl",
                   expect=0 if want else 4)
        got = sorted(session_key(r) for r in jsonl(p.stdout))
        check(got == want, f"ip {ip} at {t}: got {got}, want {want}")
        nq += 1
print(f"ip boundary queries: {nq}")

# ---- account / calling ranges --------------------------------------------------
by_acct, by_call = {}, {}
for r in truth:
    if r["account"]:
        by_acct.setdefault(r["account"], []).append(r)
    if r["calling_number"]:
        by_call.setdefault(r["calling_number"], []).append(r)
def overl(rs, t1, t2):
    return sorted(session_key(r) for r in rs
                  if r["start_ns"] <= t2 and (r["stop_ns"] is None or r["stop_ns"] >= t1))
t_lo = min(r["start_ns"] for r in truth)
t_hi = max(r["stop_ns"] or r["start_ns"] for r in truth)
for kind, idx in (("account", by_acct), ("calling", by_call)):
    keys = sorted(idx)
    rnd.shuffle(keys)
    for k in keys[:40]:
        t1 = rnd.randrange(t_lo, t_hi)
        t2 = t1 + rnd.randrange(0, 20 * 86400 * 10**9)
        want = overl(idx[k], t1, t2)
        p = retain("query", kind, k, "--from", str(t1), "--to", str(t2), "--store", store,
                   "--format", "jsonl", expect=0 if want else 4)
        got = sorted(session_key(r) for r in jsonl(p.stdout))
        check(got == want, f"{kind} {k} [{t1},{t2}]: got {len(got)}, want {len(want)}")

# ---- expire exactly ---------------------------------------------------------------
NS = 10**9
T = t_lo + 100 * 86400 * NS + 12345
cut = T - 60 * 86400 * NS
due = [r for r in truth if r["stop_ns"] is not None and r["stop_ns"] < cut]
kept = [r for r in truth if not (r["stop_ns"] is not None and r["stop_ns"] < cut)]
check(due and kept, "expiry test needs both due and kept sessions")
p = retain("expire", "--store", store, "--now", str(T))
check(f"expired {len(due)} sessions" in p.stdout, f"expire said {p.stdout!r}, due {len(due)}")
export2 = jsonl(retain("export", "--store", store, "--format", "jsonl").stdout)
compare(export2, kept, "export after expire")
for r in rnd.sample(due, min(30, len(due))):
    if r["ipv4"]:
        t = (r["start_ns"] + r["stop_ns"]) // 2
        p = retain("query", "ip", r["ipv4"], "--at", str(t), "--store", store,
                   "--format", "jsonl", expect=None)
        got = [session_key(x) for x in jsonl(p.stdout)]
        check(session_key(r) not in got, f"expired session {session_key(r)} still found")
    p = retain("query", "account", r["account"], "--from", str(r["start_ns"]),
               "--to", str(r["stop_ns"]), "--store", store, "--format", "jsonl", expect=None)
    check(session_key(r) not in [session_key(x) for x in jsonl(p.stdout)],
          f"expired session {session_key(r)} still found by account")
for r in rnd.sample(kept, min(30, len(kept))):
    if r["ipv4"]:
        p = retain("query", "ip", r["ipv4"], "--at", str(r["start_ns"]), "--store", store,
                   "--format", "jsonl")
        check(session_key(r) in [session_key(x) for x in jsonl(p.stdout)],
              f"kept session {session_key(r)} not found after expire")
# expiring again at the same instant removes nothing more
p = retain("expire", "--store", store, "--now", str(T))
check("expired 0 sessions" in p.stdout, f"second expire: {p.stdout!r}")

finish("truth")
