#!/usr/bin/env python3
"""Access-Accept correlation and the DHCP line map, end to end
(dataplane/ACCESS.md "Access-Accept correlation" and "DHCPv4 line map").
One capture, built here by hand, is ingested with a secrets file and a line
map; `retain export` must equal the records the rules give, field for field.

 a  an Access-Accept (verified Response Authenticator) gives Framed-IP and
    Delegated-IPv6-Prefix that the accounting Start/Stop lack (matched by
    the Class the accounting echoes): the record has them
 a2 an Accept without Class, accounting by the same NAS + User-Name within
    the window: filled; accounting's own Framed-IP wins over the Accept's
 b  a forged Accept (bad Response Authenticator): ignored and counted;
    the accounting of that user stays without addresses
 c  DHCP: one session mapped by each key kind (subscriber-id over remote-id
    over circuit-id), one unmapped (flag set, line identity as account),
    one fused with a RADIUS session of the same client MAC
 d  a PPPoE login with no accounting and no IPCP gets its address from the
    Accept of the same account and NAS (NAS-Identifier = AC-Name)
 e  a bad line map is a clear error naming the line; nothing is stored"""
import datetime
import hashlib
import json
import os
import struct
from rtlib import *

S = 10**9
T0 = 1_790_100_000 * S + 500
SECRET = b"s3cret"
NAS, SERVER = "10.0.0.1", "10.9.9.9"
RELAY, DHCP_SERVER = "100.65.0.254", "100.65.255.1"

d = tmpdir()
SECRETS = os.path.join(d, "secrets.txt")
with open(SECRETS, "w") as f:
    f.write(f"{NAS} s3cret\n")
LINEMAP = os.path.join(d, "lines.map")
with open(LINEMAP, "w") as f:
    f.write("# DHCP option 82 line identity -> account\n"
            "subscriber-id,SUB-1,sub-account\n"
            "remote-id,rid-1,rid1-account\n"          # loses to SUB-1 on line c1
            "remote-id,rid-2,rid2-account\n"
            "circuit-id,olt-1 pon 0/1/1:2,circ2-account\n"  # loses to rid-2 on line c2
            "circuit-id,olt-1 pon 0/1/1:3,circ3-account\n"
            "remote-id,hex:00a0c9ff0009,binary-rid-account\n")

KEYS = ["account", "ipv4", "ipv6_prefix", "delegated_prefix", "ipv6_addr",
        "calling_number", "calling_mac", "nas_ip", "nas_id", "nas_port_id",
        "session_id", "start", "stop", "start_ns", "stop_ns", "stop_cause",
        "sources", "auth", "clock_skew_ms"]


def ip4(s):
    return bytes(map(int, s.split(".")))


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ts(ns):
    if ns is None:
        return None
    t = datetime.datetime.fromtimestamp(ns // S, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns % S:09d}Z"


def record(**kw):
    r = {k: None for k in KEYS}
    r.update(kw)
    r["start"] = ts(r["start_ns"])
    r["stop"] = ts(r["stop_ns"])
    if r.pop("unmapped", False):
        r["unmapped"] = True
    return r


# ---- RADIUS ----------------------------------------------------------------------

def prefix6(plen, addr):
    import ipaddress
    a = ipaddress.IPv6Address(addr).packed
    return bytes([0, plen]) + a[:(plen + 7) // 8]


def access_request(ident, auth, user, nas_id=None, calling=None):
    attrs = [radius_attr(1, user), radius_attr(2, bytes(16)),  # User-Password: never read
             radius_attr(4, ip4(NAS))]
    if nas_id:
        attrs.append(radius_attr(32, nas_id))
    if calling:
        attrs.append(radius_attr(31, calling))
    body = b"".join(attrs)
    return struct.pack("!BBH", 1, ident, 20 + len(body)) + auth + body


def response(code, ident, req_auth, attrs, secret):
    """RFC 2865 s3: ResponseAuth = MD5(Code+ID+Length+RequestAuth+Attributes+Secret)."""
    body = b"".join(attrs)
    hdr = struct.pack("!BBH", code, ident, 20 + len(body))
    return hdr + hashlib.md5(hdr + req_auth + body + secret).digest() + body


def acct(ident, status, sid, user, extra=()):
    attrs = [radius_attr(40, u32(status)), radius_attr(44, sid), radius_attr(1, user),
             radius_attr(4, ip4(NAS)), *extra]
    return udp4_frame(NAS, SERVER, 40000, 1813, radius_acct(ident, attrs, SECRET))


def auth_exchange(t, ident, user, accept_attrs, secret=SECRET, nas_id=None, calling=None):
    ra = hashlib.md5(b"req" + bytes([ident]) + user).digest()
    return [(t, udp4_frame(NAS, SERVER, 40001, 1812,
                           access_request(ident, ra, user, nas_id, calling))),
            (t + 3 * 10**6, udp4_frame(SERVER, NAS, 1812, 40001,
                                       response(2, ident, ra, accept_attrs, secret)))]


frames = []
want = []

# a: Accept with Class; accounting echoes the Class, lacks the addresses
ta = T0
frames += auth_exchange(ta, 1, b"alice", [radius_attr(8, ip4("100.64.1.1")),
                                          radius_attr(123, prefix6(56, "2001:db8:a100::")),
                                          radius_attr(25, b"CLS-alice-1")])
sa, pa = ta + 1 * S, ta + 600 * S
frames += [(sa, acct(1, 1, b"SESS-A", b"alice", [radius_attr(25, b"CLS-alice-1")])),
           (pa, acct(2, 2, b"SESS-A", b"alice", [radius_attr(25, b"CLS-alice-1"),
                                                  radius_attr(46, u32(599)),
                                                  radius_attr(49, u32(1))]))]
want.append(record(account="alice", ipv4="100.64.1.1", delegated_prefix="2001:db8:a100::/56",
                   nas_ip=NAS, session_id="SESS-A", start_ns=sa, stop_ns=pa,
                   stop_cause="user-request", sources=["radius"], auth="verified"))

# a2: no Class; same NAS + User-Name 10 s later; accounting has its own Framed-IP
ta2 = T0 + 5 * S
frames += auth_exchange(ta2, 2, b"amy", [radius_attr(8, ip4("100.64.2.2")),
                                         radius_attr(97, prefix6(64, "2001:db8:a2::"))])
sa2 = ta2 + 10 * S
frames += [(sa2, acct(3, 1, b"SESS-A2", b"amy", [radius_attr(8, ip4("100.64.2.99"))]))]
want.append(record(account="amy", ipv4="100.64.2.99", ipv6_prefix="2001:db8:a2::/64",
                   nas_ip=NAS, session_id="SESS-A2", start_ns=sa2, sources=["radius"],
                   auth="verified"))

# b: forged Accept (signed with a guessed secret): ignored, counted
tb = T0 + 10 * S
frames += auth_exchange(tb, 3, b"mallory", [radius_attr(8, ip4("100.64.66.66")),
                                            radius_attr(25, b"CLS-mallory")], secret=b"guess")
sb = tb + 1 * S
frames += [(sb, acct(4, 1, b"SESS-B", b"mallory", [radius_attr(25, b"CLS-mallory")]))]
want.append(record(account="mallory", nas_ip=NAS, session_id="SESS-B", start_ns=sb,
                   sources=["radius"], auth="verified"))


# ---- DHCPv4 via a relay with option 82 --------------------------------------------

def dhcp_ack(chaddr, xid, yiaddr, circuit=None, remote=None, subscriber=None, lease=3600):
    fixed = struct.pack("!BBBBIHH4s4s4s4s", 2, 1, 6, 1, xid, 0, 0, bytes(4), ip4(yiaddr),
                        bytes(4), ip4(RELAY))
    fixed += mac(chaddr) + b"\0" * 10 + b"\0" * 192
    sub = b""
    for code, v in ((1, circuit), (2, remote), (6, subscriber)):
        if v is not None:
            sub += bytes([code, len(v)]) + v
    opts = bytes([53, 1, 5]) + bytes([54, 4]) + ip4(DHCP_SERVER) + \
        bytes([51, 4]) + struct.pack("!I", lease)
    if sub:
        opts += bytes([82, len(sub)]) + sub
    p = fixed + bytes([99, 130, 83, 99]) + opts + b"\xff"
    return udp4_frame(DHCP_SERVER, RELAY, 67, 67, p)


tc = T0 + 20 * S
C = ["aa:bb:00:00:0c:0%d" % i for i in range(1, 7)]
lines = [  # (circuit, remote, subscriber, account, unmapped)
    (b"olt-1 pon 0/1/1:1", b"rid-1", b"SUB-1", "sub-account", False),
    (b"olt-1 pon 0/1/1:2", b"rid-2", None, "rid2-account", False),
    (b"olt-1 pon 0/1/1:3", b"rid-3", None, "circ3-account", False),
    (b"olt-1 pon 0/1/1:4", b"rid-4", None, "rid-4", True),
    (None, bytes.fromhex("00a0c9ff0009"), None, "binary-rid-account", False),
]
for i, (circ, rid, sub, account, unmapped) in enumerate(lines):
    t = tc + i * S
    frames.append((t, dhcp_ack(C[i], 0xC00 + i, f"100.65.0.{i + 1}", circ, rid, sub)))
    calling = rid.decode("latin-1") if rid and rid.isascii() else None
    if rid and not rid.isascii():
        calling = None
    want.append(record(account=account, ipv4=f"100.65.0.{i + 1}",
                       calling_number=calling if calling else None,
                       nas_ip=RELAY, nas_port_id=circ.decode() if circ else None,
                       session_id=f"dhcp:{C[i]}", start_ns=t, stop_ns=t + 3600 * S,
                       stop_cause="lease-expired", sources=["dhcp"], unmapped=unmapped))
# the binary remote id is kept as raw bytes in calling_number: compared below
# fused with RADIUS by MAC: the RADIUS record, account from RADIUS
tf = tc + 10 * S
frames.append((tf, dhcp_ack(C[5], 0xC06, "100.65.0.6", b"olt-1 pon 0/1/1:6", b"rid-6")))
sf = tf + 2 * S
frames.append((sf, acct(5, 1, b"IPOE-6", b"ipoe-user", [radius_attr(31, b"aabb.0000.0c06")])))
want.append(record(account="ipoe-user", ipv4="100.65.0.6", calling_number="aabb.0000.0c06",
                   calling_mac=C[5], nas_ip=NAS, nas_port_id="olt-1 pon 0/1/1:6",
                   session_id="IPOE-6", start_ns=sf, sources=["radius", "dhcp"],
                   auth="verified"))


# ---- PPPoE login filled from the Accept (no accounting, no IPCP) -------------------

BRAS, CL = "00:1b:21:0a:0b:0c", "02:00:5e:10:00:0d"


def eth(dst, src, ethertype, payload):
    fr = mac(dst) + mac(src) + struct.pack("!H", ethertype) + payload
    return fr + b"\0" * max(0, 60 - len(fr))


def pppoe_disc(code, sid, tags):
    body = b"".join(struct.pack("!HH", t, len(v)) + v for t, v in tags)
    return struct.pack("!BBHH", 0x11, code, sid, len(body)) + body


def pppoe_sess(sid, proto, ppp):
    p = struct.pack("!H", proto) + ppp
    return struct.pack("!BBHH", 0x11, 0, sid, len(p)) + p


def cp(code, ident, data=b""):
    return struct.pack("!BBH", code, ident, 4 + len(data)) + data


td = T0 + 40 * S
SID = 0x0D0D
frames += [(td, eth("ff:ff:ff:ff:ff:ff", CL, 0x8863, pppoe_disc(0x09, 0, [(0x0101, b"")]))),
           (td + 1000, eth(CL, BRAS, 0x8863, pppoe_disc(0x07, 0, [(0x0101, b""),
                                                                  (0x0102, b"BRAS-D")]))),
           (td + 2000, eth(BRAS, CL, 0x8863, pppoe_disc(0x19, 0, [(0x0101, b"")]))),
           (td + 3000, eth(CL, BRAS, 0x8863, pppoe_disc(0x65, SID, [(0x0101, b""),
                                                                    (0x0102, b"BRAS-D")]))),
           (td + 4000, eth(BRAS, CL, 0x8864, pppoe_sess(SID, 0xC023, cp(
               1, 1, bytes([4]) + b"dora" + bytes([6]) + b"secret"))))]
frames += auth_exchange(td + 5000, 7, b"dora", [radius_attr(8, ip4("100.64.13.13")),
                                                radius_attr(123, prefix6(48, "2001:db8:d0::"))],
                        nas_id=b"BRAS-D")
auth_ok = td + 10 * 10**6
frames.append((auth_ok, eth(CL, BRAS, 0x8864, pppoe_sess(SID, 0xC023, cp(2, 1, b"\x02ok")))))
padt = auth_ok + 30 * S
frames.append((padt, eth(BRAS, CL, 0x8863, pppoe_disc(0xA7, SID, []))))
want.append(record(account="dora", ipv4="100.64.13.13", delegated_prefix="2001:db8:d0::/48",
                   calling_number=CL, calling_mac=CL, nas_id="BRAS-D",
                   session_id=f"pppoe:{CL}:{SID}", start_ns=auth_ok, stop_ns=padt,
                   stop_cause="padt", sources=["pppoe"]))

# keep the capture clock moving past the DHCP leases (ARP, not for us)
for i in range(1, 70):
    frames.append((T0 + i * 60 * S + 7, eth("ff:ff:ff:ff:ff:ff", "00:50:56:00:00:99", 0x0806,
                                            bytes(28))))

cap = os.path.join(d, "accept-map.pcap")
write_pcap(cap, sorted(frames, key=lambda f: f[0]))
store = os.path.join(d, "store")
p = retain("ingest", cap, "--store", store, "--secrets", SECRETS, "--line-map", LINEMAP,
           "--format", "json")
summ = json.loads(p.stdout)
check(summ.get("packets") == len(frames), f"packets {summ.get('packets')} != {len(frames)}")
check("secret" not in p.stderr, f"ingest stderr mentions a password: {p.stderr!r}")

e = retain("export", "--store", store, "--format", "jsonl")
got = jsonl(e.stdout)
for r in got:  # the binary remote id: raw bytes, printed escaped; compared apart
    if r.get("session_id") == f"dhcp:{C[4]}":
        check(r.get("calling_number") not in (None, ""), f"binary remote id lost: {r}")
        r["calling_number"] = None
key = lambda r: (r.get("session_id"), r.get("start_ns"))
g = {key(r): r for r in got}
w = {key(r): r for r in want}
check(len(g) == len(got), f"duplicate records in the export: {got}")
for k in w:
    if k not in g:
        check(False, f"missing record {k}: want {json.dumps(w[k])}; export has {list(g)}")
        continue
    keys = list(w[k].keys())
    check(list(g[k].keys()) == keys, f"{k}: export keys {list(g[k].keys())} != {keys}")
    diff = {f: (g[k].get(f, "<absent>"), w[k][f]) for f in keys
            if g[k].get(f, "<absent>") != w[k][f]}
    check(not diff, f"{k} differs: " + "; ".join(f"{f}: got {a!r}, want {b!r}"
                                                 for f, (a, b) in diff.items()))
for k in g:
    check(k in w, f"unexpected record {k}: {json.dumps(g[k])}")
check(b"secret" not in e.stdout.encode(), "the PAP password is in the export")

st = json.loads(retain("stats", "--store", store, "--format", "json").stdout)
cnt = st.get("counters", {})
check(cnt.get("radius.accepts_matched") == 3, f"accepts_matched: {cnt}")
check(cnt.get("radius.accepts_bad_authenticator") == 1, f"accepts_bad_authenticator: {cnt}")
check(cnt.get("radius.accepts_unmatched", 0) == 0, f"accepts_unmatched: {cnt}")

# CSV has the unmapped column; exactly one row says true
csv = retain("export", "--store", store, "--format", "csv").stdout.splitlines()
check(csv[0].endswith(",unmapped"), f"CSV header {csv[0]!r}")
check(sum(1 for l in csv[1:] if l.endswith(",true")) == 1, f"CSV unmapped rows: {csv}")
xml = retain("export", "--store", store, "--format", "xml").stdout
check(xml.count("<unmapped>true</unmapped>") == 1, "XML: one unmapped element")

# without the map every DHCP-only session is unmapped
store2 = os.path.join(d, "store-nomap")
retain("ingest", cap, "--store", store2, "--secrets", SECRETS, "--quiet")
got2 = jsonl(retain("export", "--store", store2, "--format", "jsonl").stdout)
dhcp_only = [r for r in got2 if r["sources"] == ["dhcp"]]
check(len(dhcp_only) == 5 and all(r.get("unmapped") is True for r in dhcp_only),
      f"no map: DHCP records {dhcp_only}")

# audit replay rebuilds the same records only with the same map
p = retain("audit", "replay", cap, "--store", store, "--secrets", SECRETS, "--line-map", LINEMAP)
check("0 differences" in p.stdout, f"audit replay with the map: {p.stdout!r}")
p = retain("audit", "replay", cap, "--store", store, "--secrets", SECRETS, expect=5)
check("differ" in p.stdout, f"audit replay without the map: {p.stdout!r}")

# e: a bad map is a clear error naming the line; nothing stored
bad = os.path.join(d, "bad.map")
with open(bad, "w") as f:
    f.write("remote-id,rid-1,a\nremote-id,hex:abc,b\n")
store3 = os.path.join(d, "store-bad")
p = retain("ingest", cap, "--store", store3, "--line-map", bad, expect=None)
check(p.returncode != 0, "ingest with a bad line map succeeded")
check("line 2: bad hex value" in p.stderr and bad in p.stderr, f"stderr {p.stderr!r}")
missing = os.path.join(d, "missing.map")
p = retain("ingest", cap, "--store", store3, "--line-map", missing, expect=None)
check(p.returncode != 0 and "No such file" in p.stderr, f"missing map: {p.stderr!r}")

finish("accept_map")
