#!/usr/bin/env python3
"""Encryption at rest of sealed segments (issue 7, storage/CRYPT.md): a store
ingested with RETAIN_KEYS seals its days encrypted (box magic, no account or
address in clear) with the same seals and the same export as an unencrypted
store of the same captures; without the key, or with a wrong one, reads fail
with a message naming the segment and key id, verify names the segments;
rotation: a new key seals new days, `retain rekey` moves the old ones, the
old key can then be removed; a key file readable by others is refused."""
import os
import shutil
import struct
from rtlib import *

d = tmpdir()


def gen(name, seed, start, days):
    cap, truth, sec = (os.path.join(d, f"{name}.{x}") for x in ("pcap", "jsonl", "secrets"))
    run([RT_GEN, "--seed", str(seed), "--sessions", "600", "--days", str(days),
         "--start", start, "--out", cap, "--truth", truth, "--secrets", sec])
    return cap, jsonl(open(truth).read()), sec


A = gen("a", 21, "2026-07-01T00:00:00Z", 3)
B = gen("b", 22, "2026-07-04T00:00:00Z", 3)
N1 = "2026-07-04T12:00:00Z"  # seals the days up to 07-02
N2 = "2026-07-09T12:00:00Z"  # seals the rest


def keyfile(name, lines, mode=0o600):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write("# test keys\n")
        for kid, hx in lines:
            f.write(f"{kid} {hx}\n")
    os.chmod(path, mode)
    return path


K1 = "11" * 32
K2 = "2f" * 32
keys1 = keyfile("keys1", [(1, K1)])
keys12 = keyfile("keys12", [(1, K1), (2, K2)])
keys2 = keyfile("keys2", [(2, K2)])
wrong1 = keyfile("wrong1", [(1, "ab" * 32), (2, K2)])
open644 = keyfile("open644", [(1, K1)], 0o644)


def kr(keys, *args, expect=0):
    """retain with RETAIN_KEYS=keys (None: unset)."""
    env_before = os.environ.pop("RETAIN_KEYS", None)
    if keys:
        os.environ["RETAIN_KEYS"] = keys
    try:
        return retain(*args, expect=expect)
    finally:
        os.environ.pop("RETAIN_KEYS", None)
        if env_before is not None:
            os.environ["RETAIN_KEYS"] = env_before


def verify(keys, store, now, expect=0, *extra):
    p = kr(keys, "verify", "--store", store, "--now", now, "--format", "json", *extra,
           expect=expect)
    return {r["file"]: r for r in jsonl(p.stdout)}, p


def ingest(keys, store, g):
    cap, _, sec = g
    kr(keys, "ingest", cap, "--store", store, "--secrets", sec, "--quiet")


def export(keys, store, expect=0):
    return kr(keys, "export", "--store", store, "--format", "jsonl", expect=expect)


def sealed_files(items):
    return sorted(f for f, r in items.items() if r["sealed"] and r["status"] != "expired")


def box_key(store, f):
    with open(os.path.join(store, f), "rb") as fh:
        h = fh.read(28)
    return h[:4], struct.unpack_from("<I", h, 8)[0]


plain = os.path.join(d, "plain")
enc = os.path.join(d, "enc")
# round 1: key 1
ingest(None, plain, A)
ingest(keys1, enc, A)
pi1, _ = verify(None, plain, N1)
ei1, _ = verify(keys1, enc, N1)
round1 = sealed_files(ei1)
check(len(round1) >= 2, f"round 1 sealed too little: {round1}")
check(all(r["status"] == "ok" for r in ei1.values()), f"encrypted store not ok: {ei1}")
for f in round1:
    magic, kid = box_key(enc, f)
    check(magic == b"RTEN" and kid == 1, f"{f}: starts {magic!r} key {kid}, expected RTEN key 1")
    pm = open(os.path.join(plain, f), "rb").read(4)
    check(pm == b"RTSG", f"unencrypted store {f} starts {pm!r}")

# nothing in clear: accounts and addresses of the sealed days; the same
# strings are present in the unencrypted store's files (the check can fail)
days = {f[4:14] for f in round1}
acc = sorted({t["account"] for t in A[1] if t.get("account") and (t.get("stop") or "")[:10] in days})
ips = sorted({t["ipv4"] for t in A[1] if t.get("ipv4") and (t.get("stop") or "")[:10] in days})
check(len(acc) >= 5 and len(ips) >= 5, f"too few known values: {len(acc)} {len(ips)}")
enc_bytes = b"".join(open(os.path.join(enc, f), "rb").read() for f in round1)
plain_bytes = b"".join(open(os.path.join(plain, f), "rb").read() for f in round1)
probes = [a.encode() for a in acc] + [bytes(map(int, ip.split("."))) for ip in ips]
# (sealed column blocks code digits as integers: an account's text around
# its digits, e.g. its realm, stays as it is)
probes += sorted({a[a.index("@"):].encode() for a in acc if "@" in a})
seen_plain = [p for p in probes if p in plain_bytes]
# (most are compressed away; the column blocks' magic is in every block)
seen_plain += [b"RTCZ", b"RTSG"]
check(plain_bytes.count(b"RTCZ") >= len(round1) and len(seen_plain) >= 3,
      f"probe strings not found in the unencrypted files: {len(seen_plain)}")
leaked = [p for p in seen_plain if p in enc_bytes]
check(not leaked, f"found in clear in encrypted files: {leaked[:5]}")

# round 2: key 2 added, more days
ingest(None, plain, B)
ingest(keys12, enc, B)
pi2, _ = verify(None, plain, N2)
ei2, _ = verify(keys12, enc, N2)
round2 = [f for f in sealed_files(ei2) if f not in round1]
check(len(round2) >= 2, f"round 2 sealed too little: {round2}")
for f in round2:
    check(box_key(enc, f) == (b"RTEN", 2), f"{f}: {box_key(enc, f)}, expected key 2")
for f in round1:
    check(box_key(enc, f) == (b"RTEN", 1), f"{f}: {box_key(enc, f)}, expected still key 1")
check(all(r["status"] == "ok" for r in ei2.values()), f"rotated store not ok: {ei2}")
man = open(os.path.join(plain, "MANIFEST")).read()
check(open(os.path.join(enc, "MANIFEST")).read() == man,
      "MANIFEST of the encrypted store differs from the unencrypted one")
want = export(None, plain).stdout
check(len(jsonl(want)) > 100, "export of the unencrypted store is small")
check(export(keys12, enc).stdout == want, "export of the encrypted store differs")

# without the key file: reads of a sealed day fail naming segment and key id
day1 = round1[0][4:14]
p = kr(None, "query", "ip", ips[0], "--from", day1 + "T00:00:00Z", "--to", day1 + "T23:59:59Z",
       "--store", enc, expect=None)
check(p.returncode == 2 and "key id 1" in p.stderr and day1 in p.stderr,
      f"query without keys: exit {p.returncode} {p.stderr!r}")
items, p = verify(None, enc, N2, 5, "--no-seal")
for f in round1 + round2:
    r = items.get(f, {})
    check(r.get("status") == "nokey" and r.get("fault") is True and
          f"key id {1 if f in round1 else 2}" in r.get("detail", ""), f"verify no key: {f}: {r}")
p = kr(None, "verify", "--store", enc, "--now", N2, "--no-seal", expect=5)
check("NOKEY" in p.stdout and round1[0] in p.stdout, f"verify text: {p.stdout!r}")

# only key 2: round 1 days need key 1
p = export(keys2, enc, expect=2)
check("key id 1" in p.stderr, f"export with key 2 only: {p.stderr!r}")

# a wrong key under id 1: authentication fails, never wrong rows
p = export(wrong1, enc, expect=2)
check("authentication" in p.stderr and "key id 1" in p.stderr, f"wrong key: {p.stderr!r}")
items, _ = verify(wrong1, enc, N2, 5, "--no-seal")
check(all(items[f]["status"] == "changed" for f in round1), f"wrong key verify: {items}")
check(all(items[f]["status"] == "ok" for f in round2), f"wrong key 1, right key 2: {items}")

# a flipped byte in an encrypted file
flip = os.path.join(d, "flip")
shutil.copytree(enc, flip)
victim = round2[0]
path = os.path.join(flip, victim)
with open(path, "r+b") as f:
    f.seek(os.path.getsize(path) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x04]))
items, p = verify(keys12, flip, N2, 5, "--no-seal")
check(items[victim]["status"] == "changed" and "authentication" in items[victim]["detail"],
      f"flip: {items.get(victim)}")
check(sum(r["fault"] for r in items.values()) == 1, f"flip: other faults {items}")
p = export(keys12, flip, expect=2)
check("authentication" in p.stderr and victim[4:14] in p.stderr, f"flip export: {p.stderr!r}")

# a file moved to another day (AD names the day) fails too
moved = os.path.join(d, "moved")
shutil.copytree(enc, moved)
shutil.copyfile(os.path.join(moved, round2[0]), os.path.join(moved, round2[1]))
items, _ = verify(keys12, moved, N2, 5, "--no-seal")
check(items[round2[1]]["status"] == "changed", f"moved: {items.get(round2[1])}")

# rekey: everything under key 2, seals unchanged, then key 1 can go
p = kr(None, "rekey", "--store", enc, expect=1)
check("RETAIN_KEYS" in p.stderr, f"rekey without keys: {p.stderr!r}")
p = kr(keys12, "rekey", "--store", enc)
check(f"{len(round1)} re-encrypted" in p.stdout, f"rekey: {p.stdout!r}")
for f in round1 + round2:
    check(box_key(enc, f) == (b"RTEN", 2), f"after rekey {f}: {box_key(enc, f)}")
p = kr(keys12, "rekey", "--store", enc)
check("0 re-encrypted" in p.stdout, f"rekey again: {p.stdout!r}")
check(not [n for n in os.listdir(os.path.join(enc, "seg")) if n.endswith(".rk")],
      "rekey left temporary files")
items, _ = verify(keys2, enc, N2)
check(all(r["status"] == "ok" for r in items.values()), f"after rekey, key 2 only: {items}")
check(open(os.path.join(enc, "MANIFEST")).read() == man, "rekey changed the MANIFEST")
check(export(keys2, enc).stdout == want, "export after rekey (key 2 only) differs")

# rekey of an unencrypted store encrypts its sealed segments
p = kr(keys2, "rekey", "--store", plain)
check(f"{len(round1) + len(round2)} encrypted" in p.stdout, f"rekey plain: {p.stdout!r}")
for f in round1 + round2:
    check(box_key(plain, f) == (b"RTEN", 2), f"plain after rekey {f}: {box_key(plain, f)}")
items, _ = verify(keys2, plain, N2)
check(all(r["status"] == "ok" for r in items.values()), f"plain after rekey: {items}")
check(export(keys2, plain).stdout == want, "export after encrypting the plain store differs")

# a key file group or others may read is refused, before anything is opened
p = kr(open644, "export", "--store", enc, expect=1)
check("open644" in p.stderr and ("permission" in p.stderr.lower() or "mode" in p.stderr.lower()),
      f"mode 0644 key file: {p.stderr!r}")
check("11" * 8 not in p.stderr, "key bytes in the error message")
bad = keyfile("badline", [(1, "zz")])
p = kr(bad, "stats", "--store", enc, expect=1)
check("line" in p.stderr and "badline" in p.stderr, f"bad key file: {p.stderr!r}")

# retaind: [store] keys is read (and a too-open or bad file refused) at startup
RETAIND = os.environ.get("RETAIND")
if RETAIND:
    for kf, ok in ((keys12, True), (open644, False), (bad, False)):
        conf = os.path.join(d, "retaind.conf")
        with open(conf, "w") as f:
            f.write(f"[store]\ndir = {enc}\nkeys = {kf}\n[listener]\nlisten = 127.0.0.1:1813\n")
        p = run([RETAIND, "--config", conf, "--check-config"], expect=None)
        check((p.returncode == 0) == ok and (ok or os.path.basename(kf) in p.stderr),
              f"retaind keys={kf}: exit {p.returncode} {p.stderr!r}")
        check(K1 not in p.stderr + p.stdout and K2 not in p.stderr + p.stdout,
              "retaind printed key bytes")

finish("test_crypt")
