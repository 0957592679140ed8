#!/usr/bin/env python3
"""The real-name registry, the compliance report, query joins, XML output and
audit replay (issue 6a), end to end against the real binaries:

- import is atomic: a file with bad lines imports nothing and lists every bad
  line with its number and reason; a good file imports; a re-import replaces;
- export round-trips; show; purge keeps an account terminated exactly 2 years
  before --now and purges it one nanosecond later;
- the compliance report's numbers match a hand-made capture exactly;
- query results carry the registered identity (JSON key, CSV columns, table);
- --format xml validates against control/retain-results.xsd (query, export),
  with escaping of markup, control characters and non-UTF-8 bytes;
- audit replay reports 0 differences for the capture a store was built from,
  and exactly the missing session for a store built without one session."""
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from rtlib import *
from idgen import resident, resident_check, credit, credit_check

SRC = os.environ.get("SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(SRC, "tests", "cli", "fixtures")
XSD = os.path.join(SRC, "control", "retain-results.xsd")
NS = 10**9
DAY = 86400 * NS
D0 = 1772323200 * NS  # 2026-03-01T00:00:00Z
NOW = D0 + 100 * DAY
d = tmpdir()

# ---- the fixture's documents are valid by an independent computation --------
for doc in ("110101199003074514", "440304198505121239", "310115197212310081",
            "810000199001011230", "320102198808080023"):
    check(resident_check(doc[:17]) == doc[17], f"fixture resident id {doc} check char")
check(credit_check("91110108MA01ABCDE") == "N", "fixture credit code check char")

# ---- a hand-made capture with known sessions ------------------------------------
# (account, session id, start ns, stop ns)
SESS = [
    ("alice", "a-1", D0 + 2 * DAY + 8 * 3600 * NS), ("alice", "a-2", D0 + 40 * DAY + 8 * 3600 * NS),
    ("bob", "b-1", D0 + 5 * DAY), ("bob", "b-2", D0 + 12 * DAY), ("bob", "b-3", D0 + 20 * DAY),
    ("carol", "c-1", D0 + 3 * DAY), ("carol", "c-2", D0 + 15 * DAY),  # exactly at termination
    ("multi4", "m4-1", D0 + 6 * DAY), ("multi6", "m6-1", D0 + 7 * DAY),
    ("dave", "d-1", D0 + 1 * DAY + 8 * 3600 * NS), ("dave", "d-2", D0 + 2 * DAY),
    ("erin", "e-1", D0 + 30 * DAY),
    ("frank", "f-1", D0 + 50 * DAY), ("frank", "f-2", D0 + 51 * DAY), ("frank", "f-3", D0 + 52 * DAY),
    ("gina", "g-1", NOW - 60 * DAY),  # registration deadline is exactly NOW: not past
]
ESC_ACCOUNT = b"esc<&>\"'\x01\xff"


def session_frames(i, account, sid, start, stop, port_id=b"eth0/1"):
    ip = bytes([100, 64, i // 256, i % 256])
    common = [radius_attr(44, sid), radius_attr(1, account), radius_attr(4, bytes([10, 0, 0, 1])),
              radius_attr(8, ip), radius_attr(31, b"1380000%04d" % i), radius_attr(87, port_id)]
    st = radius_acct((2 * i) % 256, [radius_attr(40, u32(1))] + common +
                     [radius_attr(55, u32(start // NS))])
    sp = radius_acct((2 * i + 1) % 256, [radius_attr(40, u32(2))] + common +
                     [radius_attr(46, u32((stop - start) // NS)), radius_attr(49, u32(1)),
                      radius_attr(55, u32(stop // NS))])
    return [(start, udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, st)),
            (stop, udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, sp))]


def capture(path, skip=None):
    frames = []
    for i, (acc, sid, start) in enumerate(SESS):
        if sid != skip:
            frames += session_frames(i, acc.encode(), sid.encode(), start, start + 3600 * NS)
    frames += session_frames(len(SESS), ESC_ACCOUNT, b"x-1", D0 + 9 * DAY, D0 + 9 * DAY + 60 * NS,
                             port_id=b"p\x02<\r>")
    frames.sort(key=lambda f: f[0])
    write_pcap(path, frames)


cap = os.path.join(d, "bras.pcap")
capture(cap)
store = os.path.join(d, "store")
retain("ingest", cap, "--store", store, "--quiet")
check(len(jsonl(retain("export", "--store", store).stdout)) == len(SESS) + 1, "ingested sessions")

# ---- atomic import ----------------------------------------------------------------
p = retain("registry", "import", os.path.join(FIX, "registry-bad.csv"), "--store", store,
           "--now", "2026-06-01", expect=1)
want_bad = {3: "wrong check character", 4: "impossible birth date", 5: "wrong length",
            6: "agent", 7: "character not allowed", 8: "closed", 9: "quote",
            10: "also on line 2", 11: "name is empty"}
for line, why in want_bad.items():
    hit = [l for l in p.stderr.splitlines() if f"registry-bad.csv:{line}:" in l]
    check(len(hit) == 1 and why in hit[0], f"bad line {line} ({why}) not reported: {p.stderr}")
check("9 bad lines; nothing imported" in p.stderr, f"summary: {p.stderr}")
check(not any(f"registry-bad.csv:{n}:" in p.stderr for n in (1, 2, 12)), "good lines reported")
nums = [int(l.split(":")[1]) for l in p.stderr.splitlines() if "registry-bad.csv:" in l
        and not l.startswith("retain:")]
check(nums == sorted(nums), f"bad lines not listed in order: {nums}")
p = retain("registry", "export", "--store", store)
check(p.stdout.count("\n") == 1, f"bad file imported something: {p.stdout}")
hdr = os.path.join(d, "hdr.csv")
with open(hdr, "w") as f:
    f.write("account,category,doc_type,doc_number,name,address,status,registered_at,agent\n")
p = retain("registry", "import", hdr, "--store", store, expect=1)
check("lacks the column terminated_at" in p.stderr, p.stderr)

p = retain("registry", "import", os.path.join(FIX, "registry.csv"), "--store", store,
           "--now", "2026-06-01")
check("imported 17 accounts (0 replaced)" in p.stdout, p.stdout)

# re-import replaces
one = os.path.join(d, "one.csv")
with open(one, "w") as f:
    f.write("account,category,doc_type,doc_number,name,address,status,registered_at,"
            "terminated_at,agent\r\n"
            "alice,individual,resident_id,110101199003074514,张三丰,\"北京, 东城\",active,"
            "2026-01-05T10:00:00Z,,counter-09\r\n")
p = retain("registry", "import", one, "--store", store)
check("imported 1 account (1 replaced)" in p.stdout, p.stdout)
a = json.loads(retain("registry", "show", "alice", "--store", store, "--format", "json").stdout)
check(a["name"] == "张三丰" and a["address"] == "北京, 东城" and a["agent"] == "counter-09", a)
retain("registry", "show", "nobody", "--store", store, expect=4)
o = json.loads(retain("registry", "show", "org1", "--store", store, "--format", "json").stdout)
check(o["agent_doc_type"] == "resident_id" and o["agent_name"] == "王经理", o)
check(o["doc_number"] == "91110108MA01ABCDEN", o)

# export round trip (csv into a second store, jsonl compared)
exp_csv = os.path.join(d, "export.csv")
with open(exp_csv, "w") as f:
    f.write(retain("registry", "export", "--store", store).stdout)
store2 = os.path.join(d, "store2")
os.makedirs(store2)
p = retain("registry", "import", exp_csv, "--store", store2)
check("imported 17 accounts" in p.stdout, p.stdout)
j1 = retain("registry", "export", "--store", store, "--format", "jsonl").stdout
j2 = retain("registry", "export", "--store", store2, "--format", "jsonl").stdout
check(j1 == j2 and len(jsonl(j1)) == 17, "registry export does not round-trip")

# ---- compliance report ------------------------------------------------------------
r = json.loads(retain("registry", "report", "--store", store, "--now", str(NOW),
                      "--format", "json").stdout)
check(r["sessions"] == {"unregistered": 8, "suspended": 3, "terminated": 2}, r["sessions"])
un = {x["account"]: x for x in r["unregistered_accounts"]}
check(sorted(un) == sorted(["dave", "erin", "frank", "gina", "esc<&>\"'\x01\u00ff"]), sorted(un))
check(un["dave"]["sessions"] == 2 and un["frank"]["sessions"] == 3, un)
# dave (day 1) and the escaped account (day 9) are past 90 days, erin (day 30)
# past 60 only, gina exactly at her 60-day deadline is not past it
check(r["past_registration_deadline"] == 3 and r["past_suspension_deadline"] == 2,
      (r["past_registration_deadline"], r["past_suspension_deadline"]))
check(un["dave"]["past_suspension_deadline"] and un["erin"]["past_registration_deadline"]
      and not un["erin"]["past_suspension_deadline"]
      and not un["gina"]["past_registration_deadline"], un)
check({x["account"]: x["sessions"] for x in r["suspended_accounts"]} == {"bob": 2, "multi4": 1},
      r["suspended_accounts"])
check({x["account"]: x["sessions"] for x in r["terminated_accounts"]} == {"carol": 1, "multi6": 1},
      r["terminated_accounts"])
many = r["identities_with_5_or_more_accounts"]
check(len(many) == 1 and many[0]["doc_number"] == "440304198505121239"
      and many[0]["accounts"] == 5, many)
t = retain("registry", "report", "--store", store, "--now", str(NOW)).stdout
check("identities holding 5 or more accounts" in t and "PAST 90 DAYS" in t, t)

# ---- query joins ------------------------------------------------------------------
rows = jsonl(retain("query", "account", "bob", "--from", str(D0), "--to", str(NOW),
                    "--store", store, "--format", "jsonl").stdout)
check(len(rows) == 3 and all(list(x)[-1] == "registered" for x in rows), rows[:1])
check(all(x["registered"]["status"] == "suspended" and x["registered"]["name"] ==
          'Bob "the builder" Li' for x in rows), rows[:1])
rows = jsonl(retain("query", "account", "dave", "--from", str(D0), "--to", str(NOW),
                    "--store", store, "--format", "jsonl").stdout)
check(len(rows) == 2 and all(x["registered"] is None for x in rows), rows)
c = retain("query", "account", "bob", "--from", str(D0), "--to", str(NOW), "--store", store,
           "--format", "csv").stdout.splitlines()
check(c[0].endswith(",registered_category,registered_doc_type,registered_doc_number,"
                    "registered_name,registered_status"), c[0])
check(c[1].endswith(',individual,passport,E12345678,"Bob ""the builder"" Li",suspended'), c[1])
tb = retain("query", "account", "alice", "--from", str(D0), "--to", str(NOW), "--store", store).stdout
check("张三丰" in tb, tb)
# exports are not joined
e = jsonl(retain("export", "--store", store).stdout)
check("registered" not in e[0], "export is joined")

# ---- XML ------------------------------------------------------------------------------
xmllint = shutil.which("xmllint")
check(xmllint is not None, "xmllint (libxml2-utils) missing")
docs = {
    "query": retain("query", "account", "bob", "--from", str(D0), "--to", str(NOW),
                    "--store", store, "--format", "xml").stdout,
    "query-unregistered": retain("query", "ip", "100.64.0.9", "--from", str(D0), "--to", str(NOW),
                                 "--store", store, "--format", "xml").stdout,
    "export": retain("export", "--store", store, "--format", "xml").stdout,
}
for name, doc in docs.items():
    path = os.path.join(d, name + ".xml")
    with open(path, "w") as f:
        f.write(doc)
    if xmllint:
        p = run([xmllint, "--noout", "--schema", XSD, path])
        check("validates" in p.stderr, f"{name}.xml: {p.stderr}")
X = "{urn:retain:retained-data:1}"
root = ET.fromstring(docs["export"].encode())
recs = root.findall(f"{X}results/{X}networkAccessRecord")
check(len(recs) == len(SESS) + 1 and root.find(f"{X}numberOfRecords").text == str(len(SESS) + 1),
      "export xml record count")
subs = [x.find(f"{X}nwAccessSubscriber/{X}subscriberID").text for x in recs]
check("esc<&>\"'\u2401\u00ff" in subs, f"escaped account not round-tripped: {subs}")
ports = [x.find(f"{X}nwAccessServiceUsage/{X}nasPortID").text for x in recs]
check("p\u2402<\r>" in ports, f"escaped port id: {[p for p in ports if p.startswith('p')]}")
q = ET.fromstring(docs["query"].encode())
ids = q.findall(f".//{X}registeredIdentity")
check(len(ids) == 3 and ids[0].get("registered") == "true"
      and ids[0].find(f"{X}documentNumber").text == "E12345678", "query xml identity")
q = ET.fromstring(docs["query-unregistered"].encode())
ids = q.findall(f".//{X}registeredIdentity")
check(len(ids) == 1 and ids[0].get("registered") == "false", "unregistered xml identity")

# ---- purge at the exact 2-year boundary ------------------------------------------------
p = retain("registry", "purge", "--store", store, "--now", "2028-03-16T00:00:00Z")
check("purged multi6" in p.stdout and "carol" not in p.stdout and "1 account purged" in p.stdout,
      p.stdout)
p = retain("registry", "purge", "--store", store, "--now", "2028-03-16T00:00:00.000000001Z")
check("purged carol" in p.stdout and "1 account purged" in p.stdout, p.stdout)
retain("registry", "show", "carol", "--store", store, expect=4)
p = retain("registry", "purge", "--store", store, "--now", "2040-01-01", "--keep", "730d")
check("0 accounts purged" in p.stdout, p.stdout)

# ---- audit replay -----------------------------------------------------------------------
p = retain("audit", "replay", cap, "--store", store)
check(p.stdout.strip().endswith("0 differences"), p.stdout)
short = os.path.join(d, "short.pcap")
capture(short, skip="b-2")
store3 = os.path.join(d, "store3")
retain("ingest", short, "--store", store3, "--quiet")
p = retain("audit", "replay", cap, "--store", store3, "--format", "jsonl", expect=5)
lines = jsonl(p.stdout)
diffs = [x for x in lines if x["kind"] != "summary"]
check(len(diffs) == 1 and diffs[0]["kind"] == "missing" and diffs[0]["key"]["session_id"] == "b-2",
      diffs)
check(lines[-1]["differences"] == 1 and lines[-1]["missing"] == 1, lines[-1])
p = retain("audit", "replay", short, "--store", store, expect=5)
check("extra" in p.stdout and "b-2" in p.stdout and "1 difference" in p.stdout, p.stdout)

# a generated capture with retransmissions, reboots, spoofing: replay is exact
g = os.path.join(d, "gen")
os.makedirs(g)
run([RT_GEN, "--seed", "11", "--sessions", "300", "--days", "5", "--start", "2026-09-01T00:00:00Z",
     "--out", os.path.join(g, "c.pcap"), "--truth", os.path.join(g, "t.jsonl"),
     "--secrets", os.path.join(g, "s.txt")])
gs = os.path.join(g, "store")
retain("ingest", os.path.join(g, "c.pcap"), "--store", gs, "--secrets", os.path.join(g, "s.txt"),
       "--quiet", expect=None)
p = retain("audit", "replay", os.path.join(g, "c.pcap"), "--store", gs,
           "--secrets", os.path.join(g, "s.txt"))
check(p.stdout.strip().endswith("0 differences"), p.stdout[-500:])
# without the secrets the replay differs (auth no-secret, spoofed sessions)
p = retain("audit", "replay", os.path.join(g, "c.pcap"), "--store", gs, expect=5)

finish("registry")
