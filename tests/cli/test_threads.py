#!/usr/bin/env python3
"""`retain ingest --threads 2` (a reader thread verifies Request
Authenticators ahead of the engine) stores exactly what `--threads 1`
stores (issue 7): the same captures ingested both ways give byte-identical
`retain export` output (JSON Lines and CSV), the same summary, the same
log lines in the same order and the same persistent counters.

The captures cover every way a frame can go through the verifier: an
rt-gen capture (spoofed, retransmitted, malformed requests, NAS reboots),
a crafted one with a signed request split into IPv4 fragments (verified by
the engine after reassembly, not ahead), a forged request and requests of
a NAS without a secret, one of large requests (a burst of the capture
cut across batches), then a damaged capture and a file that is not a
capture (logged in order between the packets of the others)."""
import json
import os
import struct
from rtlib import *

d = tmpdir()
cap1, truth, secrets, summ = (os.path.join(d, n) for n in
                              ("bras.pcap", "truth.jsonl", "secrets.txt", "summary.json"))
run([RT_GEN, "--seed", "5", "--sessions", "4000", "--days", "20",
     "--start", "2026-07-01T00:00:00Z", "--spoof-rate", "0.02", "--retrans-rate", "0.05",
     "--out", cap1, "--truth", truth, "--secrets", secrets, "--summary", summ])
summary = json.load(open(summ))

# a NAS of the generated capture and its secret
nas, secret = next(l.split(None, 1) for l in open(secrets)
                   if l.strip() and not l.startswith("#") and ":" not in l.split()[0])
nas = nas.split("/")[0]
secret = secret.strip().encode()


def ipv4_fragments(src, dst, sport, dport, payload, split):
    """Ethernet frames of one UDP datagram cut in two IPv4 fragments."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    out = []
    for off, part, more in ((0, udp[:split], 1), (split, udp[split:], 0)):
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(part), 77,
                          (more << 13) | (off // 8), 64, 17, 0,
                          bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
        iph = iph[:10] + struct.pack("!H", ip_checksum(iph)) + iph[12:]
        out.append(b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + iph + part)
    return out


def acct(ident, status, sid, user, ip, secret, pad=0, nas_ip=None):
    nas_ip = nas_ip or nas
    attrs = [radius_attr(40, u32(status)), radius_attr(44, sid.encode()),
             radius_attr(1, user.encode()), radius_attr(4, bytes(map(int, nas_ip.split(".")))),
             radius_attr(8, bytes(map(int, ip.split("."))))]
    if pad:
        attrs.append(radius_attr(26, b"\0\0\x01\x37" + b"x" * pad))  # vendor padding
    if status == 2:
        attrs += [radius_attr(46, u32(600)), radius_attr(49, u32(1))]
    return radius_acct(ident, attrs, secret)


T = 1785456000 * 10**9  # 2026-07-31, after the generated window
frames = []
big = acct(1, 1, "frag-1", "fragmented", "100.99.0.1", secret, pad=200)
for i, fr in enumerate(ipv4_fragments(nas, "10.0.0.254", 3000, 1813, big, 160)):
    frames.append((T + i * 1000, fr))
frames.append((T + 10**9, udp4_frame(nas, "10.0.0.254", 3000, 1813,
                                      acct(2, 1, "plain-1", "plain", "100.99.0.2", secret))))
frames.append((T + 2 * 10**9, udp4_frame(nas, "10.0.0.254", 3000, 1813,
                                          acct(3, 1, "forged-1", "mallory", "100.99.0.3",
                                               b"not-the-secret"))))
frames.append((T + 3 * 10**9, udp4_frame("192.0.2.77", "10.0.0.254", 3001, 1813,
                                          acct(4, 1, "nosecret-1", "carol", "100.99.0.4",
                                               b"whatever", nas_ip="192.0.2.77"))))
stop = acct(5, 2, "frag-1", "fragmented", "100.99.0.1", secret, pad=200)
for i, fr in enumerate(ipv4_fragments(nas, "10.0.0.254", 3000, 1813, stop, 160)):
    frames.append((T + 700 * 10**9 + i * 1000, fr))
cap2 = os.path.join(d, "crafted.pcap")
write_pcap(cap2, frames)

# large requests (about 3 kB: vendor padding attributes), so that one burst
# of the capture (up to 256 frames) is more bytes than a batch holds and is
# cut across batches in the middle
BIG = 400
big_frames = []
for i in range(BIG):
    pad = [radius_attr(26, b"\0\0\x01\x37" + bytes([i % 251]) * 240) for _ in range(12)]
    attrs = [radius_attr(40, u32(1)), radius_attr(44, f"big-{i}".encode()),
             radius_attr(1, f"big{i}".encode()), radius_attr(4, bytes(map(int, nas.split(".")))),
             radius_attr(8, bytes([100, 98, i // 250, i % 250 + 1]))] + pad
    big_frames.append((T + 800 * 10**9 + i * 10**6,
                       udp4_frame(nas, "10.0.0.254", 3002, 1813,
                                  radius_acct(100 + i % 100, attrs, secret))))
cap3 = os.path.join(d, "large.pcap")
write_pcap(cap3, big_frames)

# damaged: the generated capture cut in the middle of a packet
damaged = os.path.join(d, "damaged.pcap")
with open(cap1, "rb") as f:
    blob = f.read(300000)
with open(damaged, "wb") as f:
    f.write(blob)
junk = os.path.join(d, "junk.pcap")
with open(junk, "wb") as f:
    f.write(b"this is not a capture\n" * 10)

captures = [cap1, cap2, cap3, damaged, junk]
res = {}
for n in (1, 2):
    store = os.path.join(d, f"store{n}")
    p = run([RETAIN, "ingest", *captures, "--store", store, "--secrets", secrets,
             "--threads", str(n), "--format", "json"], expect=None)
    summary_json = json.loads(p.stdout) if p.stdout.strip() else {}
    summary_json.pop("seconds", None)
    res[n] = {
        "rc": p.returncode,
        "summary": summary_json,
        "log": p.stderr,
        "jsonl": retain("export", "--store", store, "--format", "jsonl").stdout,
        "csv": retain("export", "--store", store, "--format", "csv").stdout,
        "counters": json.loads(retain("stats", "--store", store,
                                      "--format", "json").stdout)["counters"],
    }

one, two = res[1], res[2]
check(one["rc"] == two["rc"] != 0, f"exit codes {one['rc']} / {two['rc']} (partial expected)")
for k in ("summary", "log", "jsonl", "csv", "counters"):
    if one[k] != two[k]:
        a, b = (str(x).splitlines() for x in (one[k], two[k]))
        diff = next((f"line {i}: {x!r} != {y!r}" for i, (x, y) in enumerate(zip(a, b))
                     if x != y), f"{len(a)} vs {len(b)} lines")
        check(False, f"--threads 1 and 2 differ in {k}: {diff}")

# the run exercised what it claims to
rows = jsonl(one["jsonl"])
sids = {r["session_id"]: r for r in rows}
s = one["summary"]
check(len(rows) > 4000, f"only {len(rows)} sessions exported")
check("frag-1" in sids and sids["frag-1"]["stop"] is not None,
      "the fragmented request (Start and Stop) was not stored and closed")
check("plain-1" in sids and "forged-1" not in sids, "plain or forged session")
check("nosecret-1" in sids, "the request of a NAS without a secret was not stored")
# (the damaged copy repeats the spoofed requests of its first 300 kB)
check(s.get("rejected", 0) >= summary["spoofed"] + 1 and s.get("no_secret", 0) >= 1,
      f"rejected {s.get('rejected')} < {summary['spoofed']} spoofed + 1 forged, "
      f"or no_secret {s.get('no_secret')}")
big_missing = [i for i in range(BIG) if f"big-{i}" not in sids]
check(not big_missing, f"{len(big_missing)} of the {BIG} large requests not stored, first "
                       f"big-{big_missing[:1]}")
check(s.get("capture_errors") == 2, f"capture_errors {s.get('capture_errors')}, expected 2")
check("damaged capture" in one["log"] and "junk.pcap" in one["log"],
      f"capture errors not logged: {one['log'][-500:]}")
print(f"threads: {len(rows)} sessions, {len(one['jsonl'])} bytes of export, identical")
finish("threads")
