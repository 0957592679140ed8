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


if __name__ == "__main__":
    radius_seeds()
    frame_seeds()
    secrets_seeds()
    pcap_seeds()
