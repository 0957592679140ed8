#!/usr/bin/env python3
"""L2TP sessions (issue 3): a LAC (10.0.0.2) and an LNS (10.0.0.3) set up a
tunnel (SCCRQ/SCCRP) and a call (ICRQ with a Calling Number, ICRP); the PPP
session inside the data channel authenticates (PAP), gets its address
(IPCP) and ends with a CDN from the LAC.  One record: the PAP account, the
IPCP address, the L2TP calling number, the LNS as NAS, sources ["l2tp"].
A second call whose Calling Number AVP is hidden (and no tunnel secret is
configured) is recorded with calling number "hidden"; a failed login makes
nothing."""
import json
import os
import struct
from rtlib import *

d = tmpdir()
T = 1_790_000_000 * 10**9
S = 10**9
LAC, LNS = "10.0.0.2", "10.0.0.3"
LAC_T, LNS_T = 11, 22


def avp(typ, value, hidden=False):
    flags = 0x8000 | (0x4000 if hidden else 0)
    return struct.pack("!HHH", flags | (6 + len(value)), 0, typ) + value


def ctrl(tid, sid, ns, nr, *avps):
    body = b"".join(avps)
    return struct.pack("!HHHHHH", 0xC802, 12 + len(body), tid, sid, ns, nr) + body


def data(tid, sid, ppp):
    payload = b"\xff\x03" + ppp
    return struct.pack("!HHHH", 0x4002, 8 + len(payload), tid, sid) + payload


def cp(proto, code, ident, body=b""):
    return struct.pack("!HBBH", proto, code, ident, 4 + len(body)) + body


def pap_req(ident, peer, pw):
    return cp(0xc023, 1, ident, bytes([len(peer)]) + peer + bytes([len(pw)]) + pw)


def frame(src, dst, payload):
    return udp4_frame(src, dst, 1701, 1701, payload)


mt = lambda t: avp(0, struct.pack("!H", t))
frames = []
def add(t, src, dst, payload):
    frames.append((t, frame(src, dst, payload)))

add(T, LAC, LNS, ctrl(0, 0, 0, 0, mt(1), avp(2, b"\x01\x00"), avp(7, b"lac-1"),
                      avp(9, struct.pack("!H", LAC_T))))
add(T + 1, LNS, LAC, ctrl(LAC_T, 0, 0, 1, mt(2), avp(2, b"\x01\x00"), avp(7, b"lns-1"),
                          avp(9, struct.pack("!H", LNS_T))))
# call 1: Calling Number in clear
add(T + 2 * S, LAC, LNS, ctrl(LNS_T, 0, 1, 1, mt(10), avp(14, struct.pack("!H", 101)),
                              avp(15, struct.pack("!I", 1)), avp(22, b"13800138000"),
                              avp(21, b"95555")))
add(T + 2 * S + 1, LNS, LAC, ctrl(LAC_T, 101, 1, 2, mt(11), avp(14, struct.pack("!H", 201))))
add(T + 3 * S, LAC, LNS, data(LNS_T, 201, pap_req(1, b"grace@isp", b"pw")))
add(T + 3 * S + 5, LNS, LAC, data(LAC_T, 101, cp(0xc023, 2, 1, b"\x00")))
add(T + 4 * S, LNS, LAC, data(LAC_T, 101, cp(0x8021, 2, 5, b"\x03\x06" + bytes([100, 66, 0, 9]))))
add(T + 60 * S, LNS, LAC, data(LAC_T, 101, cp(0xc021, 9, 7, b"\0\0\0\0")))
add(T + 90 * S, LAC, LNS, ctrl(LNS_T, 201, 2, 2, mt(14), avp(1, b"\x00\x01"),
                               avp(14, struct.pack("!H", 101))))
# call 2: hidden Calling Number (no secret configured: recorded as "hidden")
add(T + 100 * S, LAC, LNS, ctrl(LNS_T, 0, 3, 2, mt(10), avp(14, struct.pack("!H", 102)),
                                avp(36, b"\x11" * 16),
                                avp(22, b"\x5a" * 18, hidden=True)))
add(T + 100 * S + 1, LNS, LAC, ctrl(LAC_T, 102, 2, 4, mt(11), avp(14, struct.pack("!H", 202))))
add(T + 101 * S, LAC, LNS, data(LNS_T, 202, pap_req(1, b"heidi", b"pw")))
add(T + 101 * S + 5, LNS, LAC, data(LAC_T, 102, cp(0xc023, 2, 1, b"\x00")))
# call 3: PAP Nak -> no session
add(T + 200 * S, LAC, LNS, ctrl(LNS_T, 0, 4, 4, mt(10), avp(14, struct.pack("!H", 103)),
                                avp(22, b"13900000000")))
add(T + 200 * S + 1, LNS, LAC, ctrl(LAC_T, 103, 3, 5, mt(11), avp(14, struct.pack("!H", 203))))
add(T + 201 * S, LAC, LNS, data(LNS_T, 203, pap_req(1, b"ivan", b"bad")))
add(T + 201 * S + 5, LNS, LAC, data(LAC_T, 103, cp(0xc023, 3, 1, b"\x00")))

cap = os.path.join(d, "l2tp.pcap")
write_pcap(cap, frames)
store = os.path.join(d, "store")
s = json.loads(retain("ingest", cap, "--store", store, "--format", "json").stdout)
check(s["malformed"] == 0, f"well-formed L2TP counted malformed: {s}")
rows = {r["account"]: r for r in jsonl(retain("export", "--store", store).stdout)}
check(set(rows) == {"grace@isp", "heidi"}, f"sessions: {sorted(rows)}")
g, h = rows.get("grace@isp"), rows.get("heidi")
if g:
    want = {"session_id": f"l2tp:{LAC}:{LAC_T}:101", "ipv4": "100.66.0.9",
            "calling_number": "13800138000", "nas_ip": LNS, "sources": ["l2tp"],
            "start_ns": T + 3 * S + 5, "stop_ns": T + 90 * S, "stop_cause": "user-request",
            "auth": None, "calling_mac": None}
    bad = {k: (g.get(k), v) for k, v in want.items() if g.get(k) != v}
    check(not bad, f"call 1 (got, want): {bad}")
if h:
    check(h["calling_number"] == "hidden" and h["stop"] is None, f"call 2: {h}")

finish("l2tp")
