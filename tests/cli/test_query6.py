#!/usr/bin/env python3
"""`retain query ip IPV6` and `retain query nas` (issue 4, indexes): an
address inside a stored IPv6 prefix or delegated prefix is found at an
instant of the session and not outside it; `query nas` over a range equals
the truth."""
import ipaddress
import os
import random
from rtlib import *

d = tmpdir()
cap, truth_f, secrets = (os.path.join(d, n) for n in ("bras.pcap", "truth.jsonl", "secrets.txt"))
run([RT_GEN, "--seed", "5", "--sessions", "1200", "--days", "4",
     "--start", "2026-07-01T00:00:00Z", "--out", cap, "--truth", truth_f,
     "--secrets", secrets])
store = os.path.join(d, "store")
retain("ingest", cap, "--store", store, "--secrets", secrets, "--format", "json")
truth = jsonl(open(truth_f).read())
rnd = random.Random(3)


def inside(net, r):
    """A random address inside prefix `net` (string a/len)."""
    n = ipaddress.ip_network(net, strict=False)
    return str(n.network_address + rnd.randrange(n.num_addresses))


def overlaps(r, t0, t1):
    return r["start_ns"] <= t1 and (r["stop_ns"] is None or r["stop_ns"] >= t0)


def holds6(r, a):
    a = ipaddress.ip_address(a)
    for f in ("ipv6_prefix", "delegated_prefix"):
        if r[f] and a in ipaddress.ip_network(r[f], strict=False):
            return True
    return bool(r["ipv6_addr"]) and ipaddress.ip_address(r["ipv6_addr"]) == a


v6 = [r for r in truth if r["delegated_prefix"] or r["ipv6_prefix"]]
check(len(v6) > 20, f"only {len(v6)} sessions with IPv6 prefixes")
for r in rnd.sample(v6, min(40, len(v6))):
    field = "delegated_prefix" if r["delegated_prefix"] and rnd.random() < 0.6 else "ipv6_prefix"
    if not r[field]:
        field = "delegated_prefix"
    a = inside(r[field], r)
    t = r["start_ns"] if r["stop_ns"] is None else (r["start_ns"] + r["stop_ns"]) // 2
    p = retain("query", "ip", a, "--at", str(t), "--store", store, "--format", "jsonl",
               expect=None)
    check(p.returncode == 0, f"{a} at {t}: exit {p.returncode} {p.stderr[-300:]}")
    got = sorted(session_key(x) for x in jsonl(p.stdout))
    want = sorted(session_key(x) for x in truth
                  if holds6(x, a) and overlaps(x, t, t))
    check(got == want, f"{a} ({field} {r[field]}) at {t}: got {len(got)} want {len(want)}")
    if r["stop_ns"] is not None:
        p = retain("query", "ip", a, "--at", str(r["stop_ns"] + 1), "--store", store,
                   "--format", "jsonl", expect=None)
        check(session_key(r) not in [session_key(x) for x in jsonl(p.stdout)],
              f"{a}: found after its stop")

# a range query over a whole day for an address in a delegated prefix
r = next(x for x in v6 if x["delegated_prefix"])
a = inside(r["delegated_prefix"], r)
t0, t1 = r["start_ns"] - 86400 * 10**9, r["start_ns"] + 86400 * 10**9
p = retain("query", "ip", a, "--from", str(t0), "--to", str(t1), "--store", store,
           "--format", "jsonl")
got = sorted(session_key(x) for x in jsonl(p.stdout))
want = sorted(session_key(x) for x in truth if holds6(x, a) and overlaps(x, t0, t1))
check(got == want, f"range {a}: got {len(got)} want {len(want)}")

# nas over a range
nas = sorted({x["nas_ip"] for x in truth if x["nas_ip"]})
check(len(nas) > 1, "one NAS only")
t0 = min(x["start_ns"] for x in truth) + 86400 * 10**9
t1 = t0 + 86400 * 10**9
for n in nas[:3]:
    p = retain("query", "nas", n, "--from", str(t0), "--to", str(t1), "--store", store,
               "--format", "jsonl", expect=None)
    got = sorted(session_key(x) for x in jsonl(p.stdout))
    want = sorted(session_key(x) for x in truth if x["nas_ip"] == n and overlaps(x, t0, t1))
    check(got == want, f"nas {n}: got {len(got)} want {len(want)}")
retain("query", "nas", "10.0.0.300", "--from", str(t0), "--to", str(t1), "--store", store,
       expect=1)

finish("test_query6")
