#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write the seed corpora of the dataplane fuzz targets (tests/dataplane/corpus/).

Deterministic and standard library only: run it again after changing a seed
and commit the result.  Seeds are small valid inputs of each kind, plus a few
damaged ones; libFuzzer finds the rest.

    python3 tests/dataplane/gen_corpus.py
"""
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
FUZZ_SECRET = b"fuzz-secret"  # the fixed secret of fuzz_radius.c

# frame link-type selector bytes of fuzz_frame.c (index into its table)
SEL_ETH, SEL_RAW, SEL_SLL, SEL_IPV4, SEL_IPV6 = 0, 1, 2, 3, 4


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- RADIUS ----

def attr(t, v):
    return bytes([t, len(v) + 2]) + v


def u32(t, v):
    return attr(t, struct.pack(">I", v))


def radius(code, ident, attrs, secret=FUZZ_SECRET):
    length = 20 + len(attrs)
    hdr = bytes([code, ident]) + struct.pack(">H", length)
    auth = hashlib.md5(hdr + b"\0" * 16 + attrs + secret).digest()
    return hdr + auth + attrs


ACCT_START = radius(4, 1, u32(40, 1) + attr(1, b"alice@isp") + attr(44, b"s-0001")
                    + attr(8, bytes([100, 64, 0, 10])) + attr(4, bytes([192, 0, 2, 1]))
                    + attr(31, b"aa:bb:cc:dd:ee:ff") + u32(55, 1700000000))
ACCT_STOP = radius(4, 2, u32(40, 2) + attr(1, b"bob") + attr(44, b"s-0002")
                   + u32(46, 3600) + u32(49, 1) + u32(41, 3) + attr(32, b"bras-1")
                   + attr(87, b"eth0/1:100") + attr(25, b"c") + attr(30, b"x")
                   + attr(80, bytes(16)))
ACCT_V6 = radius(4, 3, u32(40, 3) + attr(44, b"s-0003")
                 + attr(97, bytes([0, 64]) + bytes.fromhex("20010db800010002"))
                 + attr(123, bytes([0, 56]) + bytes.fromhex("20010db8ab0000"))
                 + attr(168, bytes.fromhex("20010db8000100020000000000000001"))
                 + attr(95, bytes.fromhex("20010db8000000000000000000000099")))
ACCESS_REQ = radius(1, 4, attr(1, b"carol") + attr(26, bytes.fromhex("00000009010c666f6f3d62617200")))
HEADER_ONLY = radius(5, 5, b"")


def radius_seeds():
    write("fuzz_radius", "acct-start", ACCT_START)
    write("fuzz_radius", "acct-stop", ACCT_STOP)
    write("fuzz_radius", "acct-interim-v6", ACCT_V6)
    write("fuzz_radius", "access-request-vsa", ACCESS_REQ)
    write("fuzz_radius", "acct-response-header-only", HEADER_ONLY)
    write("fuzz_radius", "attr-overflow", ACCT_START[:-1])
    write("fuzz_radius", "access-request-msg-auth",
          radius(1, 6, attr(1, b"alice@isp") + attr(2, bytes(16)) + attr(24, b"st")
                 + attr(33, b"px") + attr(80, bytes(16))))
    write("fuzz_radius", "access-accept", radius(2, 6, attr(8, bytes([100, 64, 0, 10]))
                                                 + attr(25, b"cls") + attr(80, bytes(16))))


# ---- frames ----

MACS = bytes.fromhex("ffffffffffff020000000001")


def udp(payload, sport=1024, dport=1813):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv4(l4, proto=17, frag=0):
    return (struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(l4), 1, frag, 64, proto, 0)
            + bytes([10, 0, 0, 1, 10, 0, 0, 2]) + l4)


def ipv6(l4, nh=17):
    return (struct.pack(">IHBB", 0x60000000, len(l4), nh, 64)
            + bytes.fromhex("20010db8000000000000000000000001")
            + bytes.fromhex("20010db8000000000000000000000002") + l4)


def frame_seeds():
    write("fuzz_frame", "eth-ipv4-radius", bytes([SEL_ETH]) + MACS + b"\x08\x00"
          + ipv4(udp(ACCT_START)))
    write("fuzz_frame", "eth-qinq-ipv6", bytes([SEL_ETH]) + MACS
          + bytes.fromhex("88a800c88100006486dd") + ipv6(udp(b"\xde\xad\xbe\xef")))
    write("fuzz_frame", "eth-9100-vlan4", bytes([SEL_ETH]) + MACS
          + bytes.fromhex("9100000188a80002810000038100000408 00".replace(" ", ""))
          + ipv4(udp(b"x")))
    write("fuzz_frame", "eth-ipv4-fragment", bytes([SEL_ETH]) + MACS + b"\x08\x00"
          + ipv4(udp(b"frag"), frag=0x2000))
    write("fuzz_frame", "eth-arp", bytes([SEL_ETH]) + MACS + b"\x08\x06" + bytes(28))
    write("fuzz_frame", "sll-ipv4", bytes([SEL_SLL]) + bytes.fromhex("00000001000602000000000100000800")
          + ipv4(udp(b"sll")))
    ext = (bytes.fromhex("2b00010400000000") + bytes.fromhex("2c00000000000000")
           + bytes.fromhex("3c000000deadbeef") + bytes.fromhex("1100010400000000"))
    write("fuzz_frame", "raw-ipv6-ext-chain", bytes([SEL_RAW]) + ipv6(ext + udp(b"ext"), nh=0))
    write("fuzz_frame", "ipv4-options", bytes([SEL_IPV4])
          + struct.pack(">BBHHHBBH", 0x46, 0, 24 + 9, 1, 0x4000, 64, 17, 0)
          + bytes([10, 0, 0, 1, 10, 0, 0, 2]) + bytes.fromhex("94040000") + udp(b"o"))
    write("fuzz_frame", "ipv6-ah", bytes([SEL_IPV6])
          + ipv6(bytes.fromhex("110100000000000100000001") + udp(b"ah"), nh=51))


# ---- secrets ----

def secrets_seeds():
    write("fuzz_secrets", "good", b"# NAS secrets\n10.0.0.0/8 eight\n10.1.2.3 host secret\r\n"
          b"0.0.0.0/0 default\n\t\n2001:db8::/32 v6\n::/0 any6 # kept\n")
    write("fuzz_secrets", "v6-only", b"2001:db8:1::/48 a\n2001:db8:ffff:fffe::/127 b")
    write("fuzz_secrets", "bad-prefix", b"10.0.0.0/33 x\n")
    write("fuzz_secrets", "duplicate", b"10.0.0.0/8 a\n10.9.9.9/8 b\n")


# ---- capture files ----

def pcap(packets, ns=False, be=False, linktype=1):
    e = ">" if be else "<"
    out = struct.pack(e + "IHHiIII", 0xa1b23c4d if ns else 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype)
    for sec, frac, data in packets:
        out += struct.pack(e + "IIII", sec, frac, len(data), len(data)) + data
    return out


def pcapng(packets, tsresol=None, linktype=1):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1))
    opts = b""
    if tsresol is not None:
        opts = struct.pack("<HHB", 9, 1, tsresol) + b"\0\0\0" + struct.pack("<HH", 0, 0)
    out += block(1, struct.pack("<HHI", linktype, 0, 0) + opts)
    for ts, data in packets:
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xffffffff, len(data), len(data))
                     + data)
    return out


def pcap_seeds():
    f1 = MACS + b"\x08\x00" + ipv4(udp(ACCT_START))
    f2 = MACS + b"\x81\x00\x00\x64\x86\xdd" + ipv6(udp(ACCT_V6))
    write("fuzz_pcap", "us-le", pcap([(1700000000, 1, f1), (1700000001, 999999, f2)]))
    write("fuzz_pcap", "ns-be", pcap([(1700000000, 123456789, f1)], ns=True, be=True))
    write("fuzz_pcap", "raw", pcap([(1, 2, ipv4(udp(b"raw")))], linktype=101))
    write("fuzz_pcap", "pcapng-ns", pcapng([(1700000000123456789, f1), (1, f2)], tsresol=9))
    write("fuzz_pcap", "pcapng-us", pcapng([(1700000000123456, f1)]))
    write("fuzz_pcap", "truncated", pcap([(1, 0, f1), (2, 0, f2)])[:-20])


# ---- PPPoE / PPP (fuzz_pppoe: Ethernet frames; fuzz_ppp: 2-byte protocol + packet) ----

def pppoe_tag(t, v):
    return struct.pack(">HH", t, len(v)) + v


def pppoe(ethertype, code, sid, payload, vlans=b""):
    return (MACS + vlans + struct.pack(">H", ethertype) + bytes([0x11, code])
            + struct.pack(">HH", sid, len(payload)) + payload)


def ppp_cp(code, ident, data):
    return bytes([code, ident]) + struct.pack(">H", 4 + len(data)) + data


TR101 = pppoe_tag(0x0105, struct.pack(">I", 3561) + bytes([1, 15]) + b"eth 0/1/1/2:100"
                  + bytes([2, 10]) + b"remote-abc")
PAP_REQ = ppp_cp(1, 7, bytes([9]) + b"alice@isp" + bytes([6]) + b"s3cr3t")
CHAP_RESP = ppp_cp(2, 1, bytes([16]) + bytes(range(16)) + b"bob@isp.net")
IPCP_NAK = ppp_cp(3, 1, bytes([3, 6, 100, 64, 0, 10, 129, 6, 8, 8, 8, 8, 131, 6, 8, 8, 4, 4]))
IPV6CP_REQ = ppp_cp(1, 1, bytes.fromhex("010a021122fffe334455"))
LCP_TERM = ppp_cp(5, 2, b"User request")


def pppoe_seeds():
    hu = pppoe_tag(0x0103, bytes.fromhex("deadbeef"))
    write("fuzz_pppoe", "padi", pppoe(0x8863, 0x09, 0, pppoe_tag(0x0101, b"") + hu))
    write("fuzz_pppoe", "pado", pppoe(0x8863, 0x07, 0, pppoe_tag(0x0102, b"BRAS-1")
                                      + pppoe_tag(0x0101, b"") + pppoe_tag(0x0104, bytes(16)) + hu))
    write("fuzz_pppoe", "padr-qinq-tr101", pppoe(0x8863, 0x19, 0, pppoe_tag(0x0101, b"") + TR101,
                                                 vlans=bytes.fromhex("88a800648100 00c8".replace(" ", ""))))
    write("fuzz_pppoe", "pads", pppoe(0x8863, 0x65, 0x1234, pppoe_tag(0x0101, b"") + hu))
    write("fuzz_pppoe", "padt-error", pppoe(0x8863, 0xa7, 0x1234, pppoe_tag(0x0203, b"bye")
                                            + pppoe_tag(0x0000, b"")))
    write("fuzz_pppoe", "session-pap", pppoe(0x8864, 0, 0x1234, b"\xc0\x23" + PAP_REQ))
    write("fuzz_pppoe", "session-chap-vlan", pppoe(0x8864, 0, 0x1234, b"\xc2\x23" + CHAP_RESP,
                                                   vlans=bytes.fromhex("81000064")))
    write("fuzz_pppoe", "session-ipcp", pppoe(0x8864, 0, 0x1234, b"\x80\x21" + IPCP_NAK))
    write("fuzz_pppoe", "session-lcp-padded", pppoe(0x8864, 0, 0x1234, b"\xc0\x21" + LCP_TERM)
          + bytes(20))
    write("fuzz_pppoe", "tag-overflow", pppoe(0x8863, 0x09, 0, pppoe_tag(0x0101, b"abc"))[:-1])


def ppp_seeds():
    # first byte < 0x80 picks LCP, PAP, CHAP, IPCP, IPV6CP, 0x0021 (index mod 6)
    write("fuzz_ppp", "lcp-term", b"\x00\x00" + LCP_TERM)
    write("fuzz_ppp", "lcp-conf-req", b"\x00\x00" + ppp_cp(1, 1, bytes.fromhex("010405d40304c02305061a2b3c4d")))
    write("fuzz_ppp", "pap-req", b"\x01\x00" + PAP_REQ)
    write("fuzz_ppp", "pap-ack", b"\x01\x00" + ppp_cp(2, 7, bytes([8]) + b"Login ok"))
    write("fuzz_ppp", "chap-resp", b"\x02\x00" + CHAP_RESP)
    write("fuzz_ppp", "chap-failure", b"\x02\x00" + ppp_cp(4, 1, b"E=691 R=0 V=3"))
    write("fuzz_ppp", "ipcp-nak", b"\x03\x00" + IPCP_NAK)
    write("fuzz_ppp", "ipv6cp-req", b"\x04\x00" + IPV6CP_REQ)
    write("fuzz_ppp", "raw-proto-c021", b"\xc0\x21" + LCP_TERM)


# ---- DHCPv4 (fuzz_dhcp4: a UDP payload) ----

def dhcp4(op, xid, options, yiaddr=b"\0" * 4, giaddr=b"\0" * 4, hops=0):
    fixed = (bytes([op, 1, 6, hops]) + struct.pack(">IHH", xid, 0, 0x8000) + bytes(4) + yiaddr
             + bytes(4) + giaddr + bytes.fromhex("000b8201fc42") + bytes(10) + bytes(192))
    return fixed + bytes([99, 130, 83, 99]) + options


def dopt(code, v):
    return bytes([code, len(v)]) + v


OPT82 = dopt(82, dopt(1, b"eth 0/1/1/2:100") + dopt(2, b"remote01") + dopt(6, b"sub-001"))


def dhcp4_seeds():
    write("fuzz_dhcp4", "discover", dhcp4(1, 1, dopt(53, b"\x01") + dopt(61, bytes.fromhex("01000b8201fc42"))
                                          + dopt(12, b"host1") + b"\xff"))
    write("fuzz_dhcp4", "request-relayed", dhcp4(1, 2, dopt(53, b"\x03") + dopt(50, bytes([192, 168, 0, 10]))
                                                 + dopt(54, bytes([192, 168, 0, 1])) + OPT82 + b"\xff",
                                                 giaddr=bytes([10, 0, 0, 1]), hops=1))
    write("fuzz_dhcp4", "ack-padded", dhcp4(2, 2, dopt(53, b"\x05") + dopt(51, struct.pack(">I", 86400))
                                            + dopt(54, bytes([192, 168, 0, 1])) + OPT82 + b"\xff" + bytes(30),
                                            yiaddr=bytes([192, 168, 0, 10])))
    write("fuzz_dhcp4", "release", dhcp4(1, 3, dopt(53, b"\x07") + b"\xff"))
    write("fuzz_dhcp4", "overload", dhcp4(1, 4, dopt(53, b"\x01") + dopt(52, b"\x03") + b"\xff"))
    write("fuzz_dhcp4", "opt82-overflow", dhcp4(1, 5, dopt(53, b"\x01") + b"\x52\x03\x01\x05a\xff"))


# ---- L2TPv2 (fuzz_l2tp: a UDP payload; secret "l2tp-secret") ----

L2TP_SECRET = b"l2tp-secret"


def avp(t, v, hidden=False, vendor=0):
    return struct.pack(">HHH", (0xc000 if hidden else 0x8000) | (6 + len(v)), vendor, t) + v


def l2tp_ctl(tid, sid, ns, nr, avps):
    return struct.pack(">HHHHHH", 0xc802, 12 + len(avps), tid, sid, ns, nr) + avps


def l2tp_hide(t, value, rv, pad=0):
    plain = struct.pack(">H", len(value)) + value + bytes(pad)
    out = b""
    for i in range(0, len(plain), 16):
        if i == 0:
            b = hashlib.md5(struct.pack(">H", t) + L2TP_SECRET + rv).digest()
        else:
            b = hashlib.md5(L2TP_SECRET + out[i - 16:i]).digest()
        out += bytes(x ^ y for x, y in zip(plain[i:i + 16], b))
    return out


def l2tp_seeds():
    mt = lambda t: avp(0, struct.pack(">H", t))
    rv = bytes(range(16))
    write("fuzz_l2tp", "sccrq", l2tp_ctl(0, 0, 0, 0, mt(1) + avp(2, b"\x01\x00") + avp(7, b"LAC1")
                                         + avp(9, b"\x00\x01")))
    write("fuzz_l2tp", "icrq", l2tp_ctl(0x1234, 0, 2, 1, mt(10) + avp(14, b"\x00\x07")
                                        + avp(22, b"13800138000") + avp(21, b"5551234")))
    write("fuzz_l2tp", "icrq-hidden", l2tp_ctl(0x1234, 0, 2, 1, mt(10) + avp(36, rv)
                                               + avp(14, l2tp_hide(14, b"\x00\x07", rv), True)
                                               + avp(22, l2tp_hide(22, b"13800138000", rv, 5), True)))
    write("fuzz_l2tp", "cdn", l2tp_ctl(0x1234, 7, 3, 2, mt(14) + avp(1, b"\x00\x01\x00\x06bye")
                                       + avp(14, b"\x00\x07")))
    write("fuzz_l2tp", "zlb", l2tp_ctl(0x1234, 0, 3, 2, b""))
    write("fuzz_l2tp", "data-pap", struct.pack(">HHH", 0x0002, 0x1234, 7) + b"\xff\x03\xc0\x23" + PAP_REQ)
    write("fuzz_l2tp", "data-length-seq-offset",
          struct.pack(">HHHHHHH", 0x4a02, 24, 0x1234, 7, 1, 0, 2) + b"\0\0" + b"\xff\x03\x80\x21" + IPCP_NAK[:6])


# ---- DHCPv6 (fuzz_dhcp6: a UDP payload) ----

def d6opt(code, v):
    return struct.pack(">HH", code, len(v)) + v


def d6relay(mtype, hops, inner, opts=b""):
    return (bytes([mtype, hops]) + bytes.fromhex("20010db8000000000000000000000001")
            + bytes.fromhex("fe80000000000000021122fffe334455") + opts + d6opt(9, inner))


D6_CID = d6opt(1, bytes.fromhex("000100012a3b4c5d001122334455"))
D6_SID = d6opt(2, bytes.fromhex("000100011122334400aabbccddee"))


def dhcp6_seeds():
    solicit = (b"\x01\x12\x34\x56" + D6_CID + d6opt(3, struct.pack(">III", 1, 0, 0))
               + d6opt(25, struct.pack(">III", 2, 0, 0)) + d6opt(8, b"\0\0"))
    iaaddr = d6opt(5, bytes.fromhex("20010db8000100000000000000000010") + struct.pack(">II", 7200, 10800))
    iapfx = d6opt(26, struct.pack(">IIB", 7200, 10800, 56) + bytes.fromhex("20010db8ab0000000000000000000000"))
    reply = (b"\x07\x12\x34\x56" + D6_CID + D6_SID + d6opt(3, struct.pack(">III", 1, 3600, 7200) + iaaddr)
             + d6opt(25, struct.pack(">III", 2, 3600, 7200) + iapfx))
    rid = d6opt(37, struct.pack(">I", 3561) + b"remote-01")
    write("fuzz_dhcp6", "solicit", solicit)
    write("fuzz_dhcp6", "reply-na-pd", reply)
    write("fuzz_dhcp6", "relay-forw", d6relay(12, 0, solicit, d6opt(18, b"eth0/1/2") + rid))
    write("fuzz_dhcp6", "relay-repl-2", d6relay(13, 1, d6relay(13, 0, reply, d6opt(18, b"inner") + rid),
                                                d6opt(18, b"outer")))
    write("fuzz_dhcp6", "renew-reply-nobinding",
          b"\x07\xab\xcd\xef" + D6_CID + D6_SID + d6opt(3, struct.pack(">III", 1, 0, 0)
                                                      + d6opt(13, b"\0\x03")))
    loop = b"\x0b\0\0\x01"
    for _ in range(9):
        loop = d6relay(12, 0, loop)
    write("fuzz_dhcp6", "relay-loop-9", loop)


# ---- IPv4 reassembly (fuzz_reasm4: records | len (2) | seconds (1) | packet |) ----

def ip4frag(payload, off, mf, ident=0x1234, src=1):
    frag = (0x2000 if mf else 0) | (off // 8)
    return (struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(payload), ident, frag, 64, 17, 0)
            + bytes([10, 0, 0, src, 10, 0, 0, 2]) + payload)


def rec(pkt, dt=0):
    return struct.pack(">HB", len(pkt), dt) + pkt


def reasm4_seeds():
    dgram = udp(ACCT_START + bytes(200))
    a, b, c = dgram[:96], dgram[96:192], dgram[192:]
    write("fuzz_reasm4", "in-order", rec(ip4frag(a, 0, True)) + rec(ip4frag(b, 96, True))
          + rec(ip4frag(c, 192, False)))
    write("fuzz_reasm4", "reversed-dup", rec(ip4frag(c, 192, False)) + rec(ip4frag(b, 96, True))
          + rec(ip4frag(b, 96, True)) + rec(ip4frag(a, 0, True)))
    write("fuzz_reasm4", "overlap", rec(ip4frag(dgram[:104], 0, True)) + rec(ip4frag(b, 96, True))
          + rec(ip4frag(c, 192, False)))
    write("fuzz_reasm4", "timeout", rec(ip4frag(a, 0, True)) + rec(ip4frag(c, 192, False), 9))
    write("fuzz_reasm4", "interleaved", b"".join(rec(ip4frag(a, 0, True, i)) for i in range(6))
          + b"".join(rec(ip4frag(dgram[96:], 96, False, i)) for i in range(6)))


# ---- classifier: one Ethernet frame

def classify_seeds():
    write("fuzz_classify", "ipv4-radius", MACS + b"\x08\x00" + ipv4(udp(ACCT_START)))
    write("fuzz_classify", "qinq-ipv6-dhcpv6", MACS + bytes.fromhex("88a800c88100006486dd")
          + ipv6(udp(b"\x01\x00\x00\x01", 546, 547)))
    write("fuzz_classify", "pppoe-lcp", MACS + bytes.fromhex("88641100123400 0ac021"
                                                                   .replace(" ", "")) + bytes(48))
    write("fuzz_classify", "pppoe-ipv4-data", MACS + bytes.fromhex("8864110012340040 0021"
                                                                         .replace(" ", ""))
          + ipv4(udp(bytes(40), 40000, 443)))
    write("fuzz_classify", "ipv4-fragment", MACS + b"\x08\x00"
          + ipv4(udp(b"frag"), frag=0x2000))
    write("fuzz_classify", "ipv6-short", MACS + b"\x86\xdd" + bytes([0x60]) + bytes(41))
    write("fuzz_classify", "runt", MACS[:10])


# ---- fuzz_preverify: link selector (0 Ethernet, 1 raw IP) + frame; every
# address has the secret "fuzz-secret" ----

def preverify_seeds():
    eth = bytes([0]) + MACS + b"\x08\x00"
    write("fuzz_preverify", "eth-acct-start", eth + ipv4(udp(ACCT_START)))
    write("fuzz_preverify", "eth-acct-stop", eth + ipv4(udp(ACCT_STOP)))
    forged = bytearray(ACCT_START)
    forged[-1] ^= 1
    write("fuzz_preverify", "eth-acct-forged", eth + ipv4(udp(bytes(forged))))
    write("fuzz_preverify", "raw-ipv6-acct", bytes([1]) + ipv6(udp(ACCT_V6, 3000, 1646)))
    write("fuzz_preverify", "raw-acct-from-server", bytes([1]) + ipv4(udp(ACCT_START, 1813, 5000)))
    write("fuzz_preverify", "eth-acct-fragment", eth + ipv4(udp(ACCT_START), frag=0x2000))
    write("fuzz_preverify", "eth-acct-other-port", eth + ipv4(udp(ACCT_START, 1024, 1900)))
    write("fuzz_preverify", "eth-acct-response", eth + ipv4(udp(HEADER_ONLY, 1813, 1024)))
    write("fuzz_preverify", "eth-acct-truncated", eth + ipv4(udp(ACCT_START))[:60])


if __name__ == "__main__":
    radius_seeds()
    frame_seeds()
    secrets_seeds()
    pcap_seeds()
    pppoe_seeds()
    ppp_seeds()
    dhcp4_seeds()
    l2tp_seeds()
    dhcp6_seeds()
    reasm4_seeds()
    classify_seeds()
    preverify_seeds()
