#!/usr/bin/env python3
"""Malformed input never crashes and never produces records (issue 2, 5):
every truncation point of a valid frame, RADIUS attribute lengths 0, 1 and
overflowing, RADIUS Length larger and smaller than the UDP payload, a UDP
length larger than the IP payload.  Each is counted as malformed; a valid
packet in the same capture still makes its session.  Run under ASan/UBSan
in the sanitizer build of tools/check."""
import json
import os
import struct
from rtlib import *

d = tmpdir()
SECRET = b"s3cret"
with open(os.path.join(d, "secrets.txt"), "w") as f:
    f.write("10.0.0.1 s3cret\n")

base_attrs = [radius_attr(40, u32(1)), radius_attr(44, b"sess-1"), radius_attr(1, b"alice"),
              radius_attr(4, bytes([10, 0, 0, 1])), radius_attr(8, bytes([100, 64, 0, 7])),
              radius_attr(31, b"13800138000")]
good = radius_acct(7, base_attrs, SECRET)
good_frame = udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, good)
t0 = 1_790_000_000 * 10**9
frames = []
bad = 0

def add(fr):
    global bad
    frames.append((t0 + len(frames) * 1000, fr))
    bad += 1

# every truncation point of the whole frame (Ethernet header .. last byte)
for n in range(1, len(good_frame)):
    add(good_frame[:n])

body = b"".join(base_attrs)
def raw(ident, body, length=None):
    return radius_acct(ident, [body], SECRET, length)

# attribute length 0 and 1, and overflowing the packet
for attr in (bytes([26, 0]), bytes([26, 1]), bytes([26, 40]) + b"x" * 4):
    add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, raw(8, body + attr)))
# a lone trailing byte where an attribute header should start
add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, raw(9, body + b"\x1a")))
# RADIUS Length larger / smaller than the UDP payload
add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, raw(10, body, 20 + len(body) + 6)))
add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, raw(11, body, 20 + len(body) - 6)))
add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, raw(12, body, 19)))
add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, raw(13, body, 5000)))
# UDP length larger than the IP payload, and smaller than 8
add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, good, udp_len=len(good) + 8 + 10))
add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, good, udp_len=4))
# a Framed-IP-Address of 3 bytes (impossible value length)
attrs = base_attrs[:4] + [radius_attr(8, bytes([1, 2, 3]))]
add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, radius_acct(14, attrs, SECRET)))
# no Acct-Status-Type
add(udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, radius_acct(15, base_attrs[1:], SECRET)))

# and the valid packet, last
frames.append((t0 + len(frames) * 1000, good_frame))
cap = os.path.join(d, "bad.pcap")
write_pcap(cap, frames)

p = retain("ingest", cap, "--store", os.path.join(d, "store"), "--secrets",
           os.path.join(d, "secrets.txt"), "--format", "json")
s = json.loads(p.stdout)
check(s["packets"] == len(frames), f"packets {s['packets']} != {len(frames)}")
check(s["malformed"] == bad, f"malformed {s['malformed']} != {bad}")
check(s["sessions_open"] == 1 and s["sessions_closed"] == 0,
      f"expected exactly the one valid session: {s}")
check(s["rejected"] == 0, f"nothing here is spoofed: {s}")
out = jsonl(retain("export", "--store", os.path.join(d, "store")).stdout)
check(len(out) == 1 and out[0]["account"] == "alice" and out[0]["ipv4"] == "100.64.0.7"
      and out[0]["auth"] == "verified", f"export: {out}")
st = json.loads(retain("stats", "--store", os.path.join(d, "store"), "--format", "json").stdout)
check(st["counters"].get("malformed") == bad, f"stats malformed: {st}")

# spoofed: the same packet signed with the wrong secret is rejected, counted,
# and never becomes a session; a forged Stop does not close the real session
forged_stop = radius_acct(20, [radius_attr(40, u32(2)), radius_attr(44, b"sess-1"),
                               radius_attr(1, b"alice"), radius_attr(4, bytes([10, 0, 0, 1])),
                               radius_attr(46, u32(5))], b"wrong")
forged_start = radius_acct(21, [radius_attr(40, u32(1)), radius_attr(44, b"evil-1"),
                                radius_attr(1, b"mallory"), radius_attr(4, bytes([10, 0, 0, 1]))],
                           b"wrong")
frames2 = [(t0 + 10**12, udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, forged_stop)),
           (t0 + 10**12 + 1, udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, forged_start))]
cap2 = os.path.join(d, "spoof.pcap")
write_pcap(cap2, frames2)
p = retain("ingest", cap2, "--store", os.path.join(d, "store"), "--secrets",
           os.path.join(d, "secrets.txt"), "--format", "json")
s = json.loads(p.stdout)
check(s["rejected"] == 2, f"rejected {s['rejected']} != 2")
check("rejected" in p.stderr and "wrong" not in p.stderr, f"rejection log: {p.stderr!r}")
out = jsonl(retain("export", "--store", os.path.join(d, "store")).stdout)
check(len(out) == 1 and out[0]["stop"] is None and out[0]["account"] == "alice",
      f"a forged packet changed the store: {out}")
st = json.loads(retain("stats", "--store", os.path.join(d, "store"), "--format", "json").stdout)
check(st["counters"].get("radius.rejected") == 2, f"stats rejected: {st}")

# an identical re-send (same bytes, so the same Acct-Delay-Time) 10 s later
# is a duplicate by source, port, Identifier and authenticator (RFC 5080):
# the session starts at the first copy, not at the re-send
start = radius_acct(30, [radius_attr(40, u32(1)), radius_attr(44, b"dup-1"),
                         radius_attr(1, b"carol"), radius_attr(4, bytes([10, 0, 0, 1]))], SECRET)
interim = radius_acct(31, [radius_attr(40, u32(3)), radius_attr(44, b"dup-1"),
                           radius_attr(1, b"carol"), radius_attr(4, bytes([10, 0, 0, 1])),
                           radius_attr(46, u32(600))], SECRET)
t1 = t0 + 10**13
fr = lambda b: udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, b)
cap3 = os.path.join(d, "dup.pcap")
write_pcap(cap3, [(t1, fr(start)), (t1 + 10 * 10**9, fr(start)),
                  (t1 + 600 * 10**9, fr(interim)), (t1 + 609 * 10**9, fr(interim))])
p = retain("ingest", cap3, "--store", os.path.join(d, "s-dup"), "--secrets",
           os.path.join(d, "secrets.txt"), "--format", "json")
s = json.loads(p.stdout)
check(s["duplicates"] == 2 and s["sessions_open"] == 1, f"identical re-sends: {s}")
out = jsonl(retain("export", "--store", os.path.join(d, "s-dup")).stdout)
check(len(out) == 1 and out[0]["start_ns"] == t1, f"re-send moved the start: {out}")

# a RADIUS packet larger than the MTU arrives in IPv4 fragments: it is
# reassembled (bounded pool) and makes its session; overlapping fragments
# are dropped without a record or a crash
big = radius_acct(40, [radius_attr(40, u32(1)), radius_attr(44, b"frag-1"),
                       radius_attr(1, b"frank"), radius_attr(4, bytes([10, 0, 0, 1]))] +
                  [radius_attr(26, b"\x00\x00\x00\x09" + bytes([1, 247]) + b"v" * 245)] * 7,
                  SECRET)
def fragments(payload, cut, overlap=0, ident=77):
    udp = struct.pack("!HHHH", 40000, 1813, 8 + len(payload), 0) + payload
    out = []
    for off, part, mf in ((0, udp[:cut], 1), (cut - overlap, udp[cut - overlap:], 0)):
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(part), ident,
                          (mf << 13) | (off // 8), 64, 17, 0, bytes([10, 0, 0, 1]),
                          bytes([10, 9, 9, 9]))
        iph = iph[:10] + struct.pack("!H", ip_checksum(iph)) + iph[12:]
        out.append(b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + iph + part)
    return out
check(len(big) > 1500, "the test packet should not fit one Ethernet frame")
t2 = t0 + 10**14
ok_frags = fragments(big, 1480)
bad_frags = fragments(big, 1480, overlap=8, ident=78)
cap4 = os.path.join(d, "frag.pcap")
write_pcap(cap4, [(t2, ok_frags[1]), (t2 + 1, ok_frags[0]),      # out of order
                  (t2 + 2, bad_frags[0]), (t2 + 3, bad_frags[1])])
p = retain("ingest", cap4, "--store", os.path.join(d, "s-frag"), "--secrets",
           os.path.join(d, "secrets.txt"), "--format", "json")
out = jsonl(retain("export", "--store", os.path.join(d, "s-frag")).stdout)
check(len(out) == 1 and out[0]["account"] == "frank" and out[0]["session_id"] == "frag-1",
      f"reassembled RADIUS packet: {out}")

finish("malformed")
