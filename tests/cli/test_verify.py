#!/usr/bin/env python3
"""`retain verify` (issue 4, 2 and 4): sealing through the CLI, then each
fault kind reported with the segment named and a non-zero exit — a flipped
byte, a truncated file, a deleted segment, two swapped segments, a damaged
open segment; a session in a sealed day ingested late is still found; two
fresh stores from the same capture give the same seal hashes."""
import json
import os
import shutil
from rtlib import *

d = tmpdir()
cap, truth_f, secrets = (os.path.join(d, n) for n in ("bras.pcap", "truth.jsonl", "secrets.txt"))
run([RT_GEN, "--seed", "11", "--sessions", "1500", "--days", "6",
     "--start", "2026-07-01T00:00:00Z", "--out", cap, "--truth", truth_f,
     "--secrets", secrets])
NOW = "2026-07-06T12:00:00Z"  # days up to 07-04 are over plus one day of grace


def fresh(name):
    store = os.path.join(d, name)
    shutil.rmtree(store, ignore_errors=True)
    retain("ingest", cap, "--store", store, "--secrets", secrets, "--format", "json")
    return store


def verify(store, expect=0, *extra):
    p = retain("verify", "--store", store, "--now", NOW, "--format", "json", *extra,
               expect=expect)
    return {r["file"]: r for r in jsonl(p.stdout)}, p


base = fresh("a")
items, p = verify(base)
sealed = sorted(f for f, r in items.items() if r["sealed"])
check(len(sealed) >= 3, f"expected >= 3 sealed segments, got {sealed}")
check(all(r["status"] == "ok" for r in items.values()), f"fresh store not ok: {items}")
check(any(not r["sealed"] for r in items.values()), "no open segment left")
# sealed days were rewritten as sealed segments (storage/FORMAT.md section 9:
# same magic, version 3); the open ones are version 1
for f, r in items.items():
    with open(os.path.join(base, f), "rb") as fh:
        hdr = fh.read(6)
    want = 3 if r["sealed"] else 1
    check(hdr[:4] == b"RTSG" and hdr[4] | hdr[5] << 8 == want,
          f"{f}: header {hdr!r}, expected segment version {want}")
man = open(os.path.join(base, "MANIFEST")).read()
check(man.count("seal seq=") == len(sealed), "MANIFEST does not list every seal")
p = retain("verify", "--store", base, "--now", NOW)
check("no fault" in p.stdout, f"text output lacks the summary: {p.stdout!r}")

# the same capture into another fresh store: identical seals
other = fresh("b")
verify(other)
check(open(os.path.join(other, "MANIFEST")).read() == man,
      "two stores from the same capture have different seal hashes")


def copy_of(name):
    dst = os.path.join(d, name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(base, dst)
    return dst


victim, neighbour = sealed[1], sealed[2]

# a flipped byte
s = copy_of("flip")
path = os.path.join(s, victim)
with open(path, "r+b") as f:
    f.seek(os.path.getsize(path) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x10]))
items, p = verify(s, 5)
check(items[victim]["status"] == "changed", f"flip: {items.get(victim)}")
check(victim in p.stderr or "1 fault" in p.stderr, f"flip: stderr {p.stderr!r}")
# and reading that day fails (an error, not a wrong answer), while the
# intact store answers the same export
vday = os.path.basename(victim)[:10]
span = ("--from", vday + "T00:00:00Z", "--to", vday + "T23:59:59Z")
ok = retain("export", "--store", base, *span, "--format", "jsonl")
check(len(jsonl(ok.stdout)) > 0, "intact store: export of the day is empty")
bad = retain("export", "--store", s, *span, "--format", "jsonl", expect=None)
check(bad.returncode != 0 and "corrupt" in (bad.stderr + bad.stdout).lower(),
      f"flipped sealed segment: export exit {bad.returncode}, stderr {bad.stderr!r}")
p = retain("verify", "--store", s, "--now", NOW, expect=5)
check("CHANGED" in p.stdout and victim in p.stdout, f"flip: text output {p.stdout!r}")

# truncated
s = copy_of("trunc")
path = os.path.join(s, victim)
os.truncate(path, os.path.getsize(path) - 7)
items, _ = verify(s, 5)
check(items[victim]["status"] == "truncated", f"truncate: {items.get(victim)}")

# deleted
s = copy_of("del")
os.unlink(os.path.join(s, victim))
items, _ = verify(s, 5)
check(items[victim]["status"] == "missing", f"delete: {items.get(victim)}")

# two swapped
s = copy_of("swap")
a, b = os.path.join(s, victim), os.path.join(s, neighbour)
os.rename(a, a + ".tmp")
os.rename(b, a)
os.rename(a + ".tmp", b)
items, _ = verify(s, 5)
for f, o in ((victim, neighbour), (neighbour, victim)):
    check(items[f]["status"] == "reordered", f"swap: {items.get(f)}")
    check(items[f]["other_day"] in o, f"swap: {f} should name {o}: {items.get(f)}")

# files the catalogue does not know: of an unsealed day = a crash leftover
# (uncommitted, not a fault: the next writable open removes it); of a day
# before the sealing frontier = extra (a fault)
import datetime
def day_file(f, delta):
    day = datetime.date.fromisoformat(os.path.basename(f)[:10]) + datetime.timedelta(days=delta)
    return f"seg/{day.isoformat()}.seg"
s = copy_of("leftover")
files = sorted(items)
future = day_file(files[-1], 3)
shutil.copyfile(os.path.join(s, files[-1]), os.path.join(s, future))
items3, _ = verify(s, 0, "--no-seal")
check(items3.get(future, {}).get("status") == "uncommitted" and
      items3[future].get("fault") is False, f"leftover: {items3.get(future)}")
p = retain("ingest", cap, "--store", s, "--secrets", secrets, "--quiet")
check(not os.path.exists(os.path.join(s, future)), "a writable open kept the leftover")
s = copy_of("extra")
past = day_file(sealed[0], -3)
shutil.copyfile(os.path.join(s, sealed[0]), os.path.join(s, past))
items3, _ = verify(s, 5, "--no-seal")
check(items3.get(past, {}).get("status") == "extra", f"extra: {items3.get(past)}")

# a damaged block in the open segment (checked by block checksums)
s = copy_of("open")
opened = [f for f, r in items.items() if not r["sealed"] and r["status"] != "extra"]
check(opened, "no open segment to damage")
if opened:
    path = os.path.join(s, opened[-1])
    with open(path, "r+b") as f:
        f.seek(80)
        b = f.read(1)
        f.seek(80)
        f.write(bytes([b[0] ^ 0x01]))
    items2, _ = verify(s, 5, "--no-seal")
    check(items2[opened[-1]]["status"] == "changed", f"open damage: {items2.get(opened[-1])}")

# a late session for a sealed day: ingested after sealing, still found
truth = jsonl(open(truth_f).read())
first_day = sealed[0][4:14]
late = [t for t in truth if t.get("ipv4") and t.get("stop") and t["stop"].startswith(first_day)]
check(late, "no session on the first sealed day")
if late:
    t = late[0]
    s = fresh("late")
    # seal first, then ingest the same capture again: its sessions of sealed
    # days are now late arrivals (already stored ones replace nothing new)
    verify(s)
    retain("ingest", cap, "--store", s, "--secrets", secrets, "--format", "json")
    items, _ = verify(s)
    check(all(r["status"] in ("ok", "expired") for r in items.values()),
          f"late ingest broke the seals: {items}")
    p = retain("query", "ip", t["ipv4"], "--at", t["start"], "--store", s, "--format", "jsonl")
    rows = jsonl(p.stdout)
    check(any(r["start"] == t["start"] and r["account"] == t.get("account") for r in rows),
          f"late: {t['ipv4']} at {t['start']} not found: {rows}")

finish("test_verify")
