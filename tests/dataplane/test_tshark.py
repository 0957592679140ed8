#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Independent check of the access-protocol decoders against tshark.

    test_tshark.py DUMP_DECODERS

Writes a small deterministic Ethernet capture (PPPoE discovery with TR-101,
PAP, CHAP, IPCP, PADT; DHCPv4 with option 82; DHCPv6 relayed Reply with
IA_NA and IA_PD; L2TP ICRQ plain and with hidden AVPs, and a data message
carrying PAP; RADIUS Access-Request and Access-Accept), decodes it with
dump_decoders (retain's decoders) and with tshark, and asserts that every
field retain extracts equals tshark's.  Exits 77 (skipped) without tshark.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_corpus as g  # noqa: E402  (seed builders, deterministic)

CLIENT = bytes.fromhex("001122334455")
BRAS = bytes.fromhex("00005e005301")


def eth(dst, src, etype, payload, vlans=b""):
    return dst + src + vlans + struct.pack(">H", etype) + payload


def ip4udp(src, dst, sport, dport, payload):
    u = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0) + bytes(src) + bytes(dst)
    s = sum(struct.unpack(">10H", h))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    h = h[:10] + struct.pack(">H", ~s & 0xffff) + h[12:]
    return eth(BRAS, CLIENT, 0x0800, h + u)


def ip6udp(src, dst, sport, dport, payload):
    u = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack(">IHBB", 0x60000000, len(u), 17, 64) + src + dst
    return eth(BRAS, CLIENT, 0x86dd, h + u)


def session(proto, pkt):
    body = struct.pack(">H", proto) + pkt
    return eth(BRAS, CLIENT, 0x8864, bytes([0x11, 0]) + struct.pack(">HH", 0x1234, len(body)) + body)


def frames():
    tag = g.pppoe_tag
    hu = tag(0x0103, bytes.fromhex("deadbeef"))
    disc = lambda code, sid, tags, src=CLIENT, dst=b"\xff" * 6, vlans=b"": eth(
        dst, src, 0x8863, bytes([0x11, code]) + struct.pack(">HH", sid, len(tags)) + tags, vlans)
    out = [
        disc(0x09, 0, tag(0x0101, b"") + hu + g.TR101, vlans=bytes.fromhex("88a8006481000" "0c8")),
        disc(0x07, 0, tag(0x0102, b"BRAS-1") + tag(0x0101, b"isp") + hu, BRAS, CLIENT),
        disc(0x65, 0x1234, tag(0x0101, b"isp") + hu, BRAS, CLIENT),
        session(0xc023, g.PAP_REQ),
        session(0xc223, g.CHAP_RESP),
        session(0x8021, g.ppp_cp(2, 1, bytes([3, 6, 100, 64, 0, 10]))),
        disc(0xa7, 0x1234, b"", BRAS, CLIENT),
    ]
    dopt = g.dopt
    d4 = g.dhcp4(1, 0x3903f326, dopt(53, b"\x01") + dopt(12, b"host1") + g.OPT82 + b"\xff",
                 giaddr=bytes([10, 0, 0, 1]), hops=1)
    a4 = g.dhcp4(2, 0x3903f326, dopt(53, b"\x05") + dopt(51, struct.pack(">I", 86400))
                 + dopt(54, bytes([192, 168, 0, 1])) + g.OPT82 + b"\xff",
                 yiaddr=bytes([192, 168, 0, 10]), giaddr=bytes([10, 0, 0, 1]))
    out += [ip4udp([10, 0, 0, 1], [192, 168, 0, 1], 67, 67, d4),
            ip4udp([192, 168, 0, 1], [10, 0, 0, 1], 67, 67, a4)]
    d6opt = g.d6opt
    iaaddr = d6opt(5, bytes.fromhex("20010db8000100000000000000000010") + struct.pack(">II", 7200, 10800))
    iapfx = d6opt(26, struct.pack(">IIB", 7200, 10800, 56) + bytes.fromhex("20010db8ab0000000000000000000000"))
    reply = (b"\x07\x12\x34\x56" + g.D6_CID + g.D6_SID
             + d6opt(3, struct.pack(">III", 1, 3600, 7200) + iaaddr)
             + d6opt(25, struct.pack(">III", 2, 3600, 7200) + iapfx))
    relay = g.d6relay(13, 0, reply, d6opt(18, b"eth0/1/2"))
    out.append(ip6udp(bytes.fromhex("20010db8000000000000000000000547"),
                      bytes.fromhex("20010db8000000000000000000000001"), 547, 547, relay))
    mt = lambda t: g.avp(0, struct.pack(">H", t))
    rv = bytes(range(16))
    icrq = g.l2tp_ctl(0x1234, 0, 2, 1, mt(10) + g.avp(14, b"\x00\x07")
                      + g.avp(22, b"13800138000") + g.avp(21, b"5551234"))
    icrq_h = g.l2tp_ctl(0x1234, 0, 3, 1, mt(10) + g.avp(36, rv)
                        + g.avp(14, g.l2tp_hide(14, b"\x00\x08", rv), True)
                        + g.avp(22, g.l2tp_hide(22, b"13900139000", rv, 5), True))
    data = struct.pack(">HHH", 0x0002, 0x1234, 7) + b"\xff\x03\xc0\x23" + g.PAP_REQ
    for p in (icrq, icrq_h, data):
        out.append(ip4udp([192, 0, 2, 1], [192, 0, 2, 2], 1701, 1701, p))
    req = bytes.fromhex("012a00490f1e2d3c4b5a69788796a5b4c3d2e1f0010b616c69636540697370021200000000"
                        "0000000000000000000000000406c000020150126d679dab3f6acbc35efb43454f438bc5")
    acc = g.radius(2, 0x2a, g.attr(8, bytes([100, 64, 0, 10])) + g.attr(25, b"cls")
                   + g.attr(24, b"st-1"))
    out += [ip4udp([192, 0, 2, 1], [192, 0, 2, 9], 40000, 1812, req),
            ip4udp([192, 0, 2, 9], [192, 0, 2, 1], 1812, 40000, acc)]
    return out


def write_pcap(path, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pkts):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)) + p)


def as_int(v):
    return str(int(v, 0))


def as_hex(v):
    return v.replace(":", "").lower()


def text_hex(v):
    return v.encode().hex()


# our key -> (tshark field, occurrence, normalise ours, normalise tshark's)
FIELDS = {
    "pppoe.code": ("pppoe.code", "f", as_int, as_int),
    "pppoe.session_id": ("pppoe.session_id", "f", as_int, as_int),
    "pppoe.service_name": ("pppoed.tags.service_name", "f", str, str),
    "pppoe.ac_name": ("pppoed.tags.ac_name", "f", str, str),
    "pppoe.circuit_id": ("pppoed.tags.circuit_id", "f", str, str),
    "pppoe.remote_id": ("pppoed.tags.remote_id", "f", str, str),
    "pap.peer_id": ("pap.peer_id", "f", str, str),
    "chap.name": ("chap.name", "f", str, str),
    "ipcp.address": ("ipcp.opt.ip_address", "f", str, str),
    "dhcp.type": ("dhcp.option.dhcp", "f", as_int, as_int),
    "dhcp.xid": ("dhcp.id", "f", as_int, as_int),
    "dhcp.chaddr": ("dhcp.hw.mac_addr", "f", str, str),
    "dhcp.yiaddr": ("dhcp.ip.your", "f", str, str),
    "dhcp.giaddr": ("dhcp.ip.relay", "f", str, str),
    "dhcp.circuit_id": ("dhcp.option.agent_information_option.agent_circuit_id", "f", text_hex, as_hex),
    "dhcp.remote_id": ("dhcp.option.agent_information_option.agent_remote_id", "f", text_hex, as_hex),
    "dhcp.host_name": ("dhcp.option.hostname", "f", str, str),
    "dhcp.lease_time": ("dhcp.option.ip_address_lease_time", "f", as_int, as_int),
    "dhcpv6.outer_type": ("dhcpv6.msgtype", "f", as_int, as_int),
    "dhcpv6.type": ("dhcpv6.msgtype", "l", as_int, as_int),
    "dhcpv6.interface_id": ("dhcpv6.interface_id", "f", text_hex, as_hex),
    "dhcpv6.iaaddr": ("dhcpv6.iaaddr.ip", "f", str, str),
    "dhcpv6.prefix": ("dhcpv6.iaprefix.pref_addr", "f", str, str),
    "dhcpv6.prefix_len": ("dhcpv6.iaprefix.pref_len", "f", as_int, as_int),
    "l2tp.tunnel": ("l2tp.tunnel", "f", as_int, as_int),
    "l2tp.session": ("l2tp.session", "f", as_int, as_int),
    "l2tp.msg_type": ("l2tp.avp.message_type", "f", as_int, as_int),
    "l2tp.calling": ("l2tp.avp.calling_number", "f", str, str),
    "l2tp.called": ("l2tp.avp.called_number", "f", str, str),
    "l2tp.assigned_session": ("l2tp.avp.assigned_session_id", "f", as_int, as_int),
    "radius.code": ("radius.code", "f", as_int, as_int),
    "radius.user_name": ("radius.User_Name", "f", str, str),
    "radius.framed_ip": ("radius.Framed-IP-Address", "f", str, str),
    "radius.class": ("radius.Class", "f", text_hex, as_hex),
    "radius.state": ("radius.State", "f", text_hex, as_hex),
}


def tshark_fields(pcap, occurrence):
    names = sorted({f for f, occ, _, _ in FIELDS.values() if occ == occurrence})
    cmd = ["tshark", "-r", pcap, "-o", "l2tp.shared_secret:l2tp-secret", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=" + occurrence, "-e", "frame.number"]
    for n in names:
        cmd += ["-e", n]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:  # an unknown preference: run without it
        cmd = [c for c in cmd if c not in ("-o", "l2tp.shared_secret:l2tp-secret")]
        p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out = {}
    for line in p.stdout.splitlines():
        cols = line.split("\t")
        for name, val in zip(names, cols[1:]):
            out[(int(cols[0]), name)] = val
    return out


def main():
    if len(sys.argv) != 2:
        print("usage: test_tshark.py DUMP_DECODERS", file=sys.stderr)
        return 2
    if not shutil.which("tshark"):
        print("tshark not installed: skipped")
        return 77
    fails = passes = 0
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "access.pcap")
        write_pcap(pcap, frames())
        ours = subprocess.run([sys.argv[1], pcap], capture_output=True, text=True,
                              check=True).stdout
        theirs = {**tshark_fields(pcap, "f"),
                  **{("l",) + k: v for k, v in tshark_fields(pcap, "l").items()}}
    seen = set()
    for line in ours.splitlines():
        frame, key, val = line.split(" ", 2)
        frame = int(frame)
        if key == "reject":
            print(f"FAIL frame {frame}: retain rejected a well-formed packet: {val}")
            fails += 1
            continue
        if key not in FIELDS:
            continue
        field, occ, norm_ours, norm_theirs = FIELDS[key]
        tv = theirs.get((frame, field)) if occ == "f" else theirs.get(("l", frame, field))
        if not tv:
            if key in ("l2tp.calling", "l2tp.assigned_session") and frame == 12:
                print(f"note frame {frame}: {key} is a hidden AVP tshark did not decrypt")
                continue
            print(f"FAIL frame {frame} {key}: retain {val!r}, tshark has no {field}")
            fails += 1
            continue
        a, b = norm_ours(val), norm_theirs(tv)
        if a == b:
            passes += 1
            seen.add(key)
        else:
            print(f"FAIL frame {frame} {key}: retain {a!r} != tshark {b!r} ({field})")
            fails += 1
    for key in sorted(set(FIELDS) - seen):
        print(f"FAIL {key}: never compared (no frame of the fixture gave it)")
        fails += 1
    print(f"{passes} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
