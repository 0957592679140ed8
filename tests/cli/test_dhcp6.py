#!/usr/bin/env python3
"""DHCPv6 prefix delegation (issue 3): a relayed client gets a /56 by IA_PD
in a Reply; it is one session from that Reply to the client's Release, with
the relay's Remote-ID as line identity; `retain query ip` finds the
subscriber for an address inside the delegated prefix during the lease and
nobody outside it; a second client's lease runs out (valid lifetime) and
closes as lease-expired; a Reply with a NoBinding status makes nothing."""
import ipaddress
import json
import os
import struct
from rtlib import *

d = tmpdir()
T = 1_790_000_000 * 10**9
S = 10**9


def opt(code, data):
    return struct.pack("!HH", code, len(data)) + data


def duid_ll(mac):
    return struct.pack("!HH", 3, 1) + bytes(mac)


def ia_pd(iaid, prefix, valid, status=None):
    net = ipaddress.ip_network(prefix)
    inner = opt(26, struct.pack("!IIB", valid // 2, valid, net.prefixlen) +
                net.network_address.packed)
    if status is not None:
        inner = opt(13, struct.pack("!H", status) + b"no binding")
    return opt(25, struct.pack("!III", iaid, valid // 2, valid // 4 * 3) + inner)


def msg(mtype, xid, *opts):
    return bytes([mtype]) + xid.to_bytes(3, "big") + b"".join(opts)


def relay(mtype, inner, peer, remote_id, iface):
    return (bytes([mtype, 0]) + ipaddress.ip_address("2001:db8:ffff::1").packed +
            ipaddress.ip_address(peer).packed + opt(18, iface) +
            opt(37, struct.pack("!I", 3561) + remote_id) + opt(9, inner))


def udp6(src, dst, sport, dport, payload):
    s, dd = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    ulen = 8 + len(payload)
    pseudo = s + dd + struct.pack("!IxxxB", ulen, 17)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    csum = ip_checksum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    ip6 = struct.pack("!IHBB", 0x60000000, len(udp), 17, 64) + s + dd
    return b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x86\xdd" + ip6 + udp


SRV, RLY = "2001:db8:ffff::547", "2001:db8:ffff::1"
c1 = duid_ll([0xaa, 0xbb, 0xcc, 0, 0, 1])
c2 = duid_ll([0xaa, 0xbb, 0xcc, 0, 0, 2])
c3 = duid_ll([0xaa, 0xbb, 0xcc, 0, 0, 3])
sid = opt(2, duid_ll([2, 0, 0, 0, 0, 9]))
frames = []
def add(t, payload, up):
    frames.append((t, udp6(RLY, SRV, 547, 547, payload) if up else
                   udp6(SRV, RLY, 547, 547, payload)))

# client 1: Request / Reply (the /56, 2 days) ... Release after 3 hours
add(T, relay(12, msg(3, 1, opt(1, c1), ia_pd(1, "::/0", 0)), "fe80::1", b"line-77", b"eth0/2"), True)
add(T + S, relay(13, msg(7, 1, opt(1, c1), sid, ia_pd(1, "2001:db8:100::/56", 172800)),
                 "fe80::1", b"line-77", b"eth0/2"), False)
# renewal after an hour: same prefix
add(T + 3600 * S, relay(13, msg(7, 2, opt(1, c1), sid, ia_pd(1, "2001:db8:100::/56", 172800)),
                        "fe80::1", b"line-77", b"eth0/2"), False)
add(T + 3 * 3600 * S, relay(12, msg(8, 3, opt(1, c1), sid, ia_pd(1, "2001:db8:100::/56", 0)),
                            "fe80::1", b"line-77", b"eth0/2"), True)
# client 2: a 10-minute lease that runs out
add(T + 10 * S, relay(13, msg(7, 4, opt(1, c2), sid, ia_pd(7, "2001:db8:200::/60", 600)),
                      "fe80::2", b"line-78", b"eth0/3"), False)
# client 3: NoBinding (status 3) in the IA: no lease, no session
add(T + 20 * S, relay(13, msg(7, 5, opt(1, c3), sid, ia_pd(9, "2001:db8:300::/56", 600, 3)),
                      "fe80::3", b"line-79", b"eth0/4"), False)
# keep the capture clock going past client 2's expiry
for k in range(1, 60):
    frames.append((T + k * 300 * S, udp4_frame("10.1.1.1", "10.1.1.2", 5353, 53, b"x")))
frames.sort(key=lambda x: x[0])
cap = os.path.join(d, "dhcp6.pcap")
write_pcap(cap, frames)
store = os.path.join(d, "store")
s = json.loads(retain("ingest", cap, "--store", store, "--format", "json").stdout)
check(s["malformed"] == 0, f"well-formed DHCPv6 counted malformed: {s}")
rows = {r["account"]: r for r in jsonl(retain("export", "--store", store).stdout)}
check(set(rows) == {"line-77", "line-78"}, f"sessions: {sorted(rows)}")
r1, r2 = rows.get("line-77"), rows.get("line-78")
if r1:
    want = {"delegated_prefix": "2001:db8:100::/56", "start_ns": T + S,
            "stop_ns": T + 3 * 3600 * S, "stop_cause": "release", "sources": ["dhcp"],
            "calling_number": "line-77", "nas_port_id": "eth0/2", "ipv4": None, "auth": None,
            "session_id": "dhcp6:" + c1.hex()}
    bad = {k: (r1.get(k), v) for k, v in want.items() if r1.get(k) != v}
    check(not bad, f"client 1 (got, want): {bad}")
if r2:
    check(r2["stop_ns"] == T + 10 * S + 600 * S and r2["stop_cause"] == "lease-expired"
          and r2["delegated_prefix"] == "2001:db8:200::/60", f"client 2: {r2}")

# who had 2001:db8:100:5::1 ?  the subscriber during the lease, nobody after
inside = T + 2 * 3600 * S
p = retain("query", "ip", "2001:db8:100:5::1", "--at", str(inside), "--store", store,
           "--format", "jsonl")
got = jsonl(p.stdout)
check(len(got) == 1 and got[0]["account"] == "line-77", f"query inside the lease: {got}")
retain("query", "ip", "2001:db8:100:5::1", "--at", str(T + 4 * 3600 * S), "--store", store,
       "--format", "jsonl", expect=4)
retain("query", "ip", "2001:db8:101::1", "--at", str(inside), "--store", store,
       "--format", "jsonl", expect=4)

finish("dhcp6")
