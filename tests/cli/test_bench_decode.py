#!/usr/bin/env python3
"""Smoke test of tools/bench-decode (the program behind `tools/bench decode`):
it runs on a small mix, every generated frame decodes, the engine counts no
malformed packet and matches every Access-Accept, and the last line is one
JSON object with a figure for each protocol."""
import json
import subprocess
import sys

PROTOS = ["radius_acct", "radius_access", "pppoe_disc", "ppp", "dhcp4", "dhcp6", "l2tp"]
p = subprocess.run([sys.argv[1], "--sessions", "40", "--rounds", "1"], capture_output=True,
                   text=True, timeout=100)
fail = []
if p.returncode != 0:
    fail.append(f"exit {p.returncode}: {p.stderr[-1000:]}")
last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
try:
    j = json.loads(last)
except ValueError:
    j = {}
    fail.append(f"last line is not JSON: {last!r}")
protos = j.get("protocols", {})
if sorted(protos) != sorted(PROTOS):
    fail.append(f"protocols {sorted(protos)} != {sorted(PROTOS)}")
for name, r in list(protos.items()) + [("mixed", j.get("mixed", {}))]:
    if r.get("packets", 0) <= 0 or r.get("decoded_ok") != r.get("packets"):
        fail.append(f"{name}: decoded {r.get('decoded_ok')} of {r.get('packets')}")
    if r.get("engine_malformed") != 0:
        fail.append(f"{name}: engine counted {r.get('engine_malformed')} malformed")
    for k in ("bare_pps", "decode_pps", "engine_pps"):
        if not r.get(k, 0) > 0:
            fail.append(f"{name}: {k} = {r.get(k)}")
if protos.get("radius_access", {}).get("accepts_matched") != 40:
    fail.append(f"radius_access: accepts_matched {protos.get('radius_access')}")
for f in fail:
    print("FAIL:", f, file=sys.stderr)
print("bench_decode:", "ok" if not fail else f"{len(fail)} check(s) failed")
sys.exit(1 if fail else 0)
