#!/usr/bin/env python3
"""Bad command lines and bad files: a clear message and a non-zero exit,
never a crash (rtlib.run fails the test on any signal death)."""
import os
from rtlib import *

d = tmpdir()
store = os.path.join(d, "store")
empty_pcap = os.path.join(d, "empty.pcap")
write_pcap(empty_pcap, [])

# help on every command
for cmd in (["--help"], ["ingest", "--help"], ["query", "--help"], ["export", "--help"],
            ["expire", "--help"], ["stats", "--help"]):
    p = retain(*cmd)
    check("Usage" in p.stdout, f"{cmd}: no usage text")

# usage errors exit 1 with a message
cases = [
    (["frobnicate"], "unknown command"),
    (["ingest", empty_pcap], "--store"),
    (["ingest", "--store", store], "no capture"),
    (["ingest", os.path.join(d, "missing.pcap"), "--store", store], "cannot read capture"),
    (["query", "ip", "10.0.0.1", "--at", "yesterday", "--store", store], "not a time"),
    (["query", "ip", "10.0.0.1", "--at", "2026-13-01T00:00:00Z", "--store", store], "not a time"),
    (["query", "ip", "10.0.0.1", "--at", "2026-02-30T00:00:00Z", "--store", store], "not a time"),
    (["query", "ip", "10.0.0.1", "--at", "2026-02-01T00:00:00", "--store", store], "not a time"),
    (["query", "ip", "10.0.0.300", "--at", "2026-02-01T00:00:00Z", "--store", store], "not an IP"),
    (["query", "ip", "10.0.0.1", "--store", store], "needs --at"),
    (["query", "account", "bob", "--from", "2026-01-02", "--to", "2026-01-01", "--store", store],
     "after --to"),
    (["query", "account", "bob", "--store", store], "needs --from"),
    (["query", "imsi", "x", "--store", store], "unknown query type"),
    (["export", "--store", store, "--format", "yaml"], "not json"),
    (["expire", "--store", store, "--retention", "sixty"], "not a duration"),
]
for args, msg in cases:
    p = retain(*args, expect=1)
    check(msg in p.stderr, f"{args}: stderr {p.stderr!r} lacks {msg!r}")

# a missing store is a runtime error naming the store, not a crash
for args in (["query", "ip", "10.0.0.1", "--at", "2026-01-01T00:00:00Z", "--store", store],
             ["export", "--store", store], ["stats", "--store", store],
             ["expire", "--store", store]):
    p = retain(*args, expect=2)
    check(store in p.stderr, f"{args}: error does not name the store: {p.stderr!r}")

# a file that is not a capture: the run says so and exits non-zero
junk = os.path.join(d, "junk.pcap")
with open(junk, "wb") as f:
    f.write(b"this is not a capture file\n" * 10)
p = retain("ingest", junk, "--store", store, expect=3)
check("junk.pcap" in p.stderr, f"junk capture not named: {p.stderr!r}")

# a capture cut in the middle of a packet: what was read is kept, exit 3
good = radius_acct(1, [radius_attr(40, u32(1)), radius_attr(44, b"s1"),
                       radius_attr(1, b"alice"), radius_attr(4, bytes([10, 0, 0, 1]))])
frames = [(1_790_000_000 * 10**9, udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, good))]
cut = os.path.join(d, "cut.pcap")
write_pcap(cut, frames * 3)
data = open(cut, "rb").read()
open(cut, "wb").write(data[:-10])
p = retain("ingest", cut, "--store", os.path.join(d, "s2"), "--format", "json", expect=3)
check('"sessions_open":1' in p.stdout, f"session before the damage not kept: {p.stdout}")

# a bad secrets file names the line and stores nothing
bad = os.path.join(d, "secrets.txt")
with open(bad, "w") as f:
    f.write("# comment\n10.0.0.0/8 s3cret\n10.0.0.300 x\n")
p = retain("ingest", empty_pcap, "--store", os.path.join(d, "s3"), "--secrets", bad, expect=2)
check("line 3" in p.stderr, f"bad secrets line not named: {p.stderr!r}")
check("s3cret" not in p.stderr, "a secret was printed")

finish("cli_errors")
