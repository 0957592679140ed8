#!/usr/bin/env python3
"""Forgeries (issue 7): each is rejected or flagged, and counted.

- wrong secret: an Accounting-Request signed with another secret never
  becomes or changes a session (also in test_malformed.py);
- replay: a genuine Accounting-Request replayed an hour later, byte for
  byte, does not reopen the session it started (radius.replayed);
- BlastRADIUS (CVE-2024-3596): an Access-Accept with Proxy-State and no
  Message-Authenticator is flagged (radius.blastradius_suspect); an Accept
  whose Message-Authenticator does not verify is counted
  (radius.msg_auth_invalid); a proper one is neither."""
import hashlib
import hmac
import json
import os
import struct
from rtlib import *

d = tmpdir()
SECRET = b"s3cret"
secrets = os.path.join(d, "secrets.txt")
with open(secrets, "w") as f:
    f.write("10.0.0.1 s3cret\n")
T = 1_790_000_000 * 10**9
S = 10**9
fr = lambda b, sport=40000, dport=1813, src="10.0.0.1", dst="10.9.9.9": \
    udp4_frame(src, dst, sport, dport, b)

def acct(ident, status, sid, extra=(), secret=SECRET):
    return radius_acct(ident, [radius_attr(40, u32(status)), radius_attr(44, sid),
                               radius_attr(1, b"alice"), radius_attr(4, bytes([10, 0, 0, 1])),
                               *extra], secret)

# ---- replay -------------------------------------------------------------------
start = acct(1, 1, b"r-1")
stop = acct(2, 2, b"r-1", [radius_attr(46, u32(60)), radius_attr(49, u32(1))])
wrong = acct(3, 1, b"w-1", secret=b"not-the-secret")
cap = os.path.join(d, "replay.pcap")
write_pcap(cap, [(T, fr(start)), (T + 60 * 10**9, fr(stop)), (T + 61 * 10**9, fr(wrong)),
                 (T + 3600 * 10**9, fr(start, sport=40001))])
store = os.path.join(d, "s1")
s = json.loads(retain("ingest", cap, "--store", store, "--secrets", secrets,
                      "--format", "json").stdout)
check(s["replayed"] == 1 and s["rejected"] == 1, f"replay/forgery not counted: {s}")
rows = jsonl(retain("export", "--store", store).stdout)
check(len(rows) == 1 and rows[0]["stop"] is not None and rows[0]["session_id"] == "r-1",
      f"a replay changed the store: {rows}")
st = json.loads(retain("stats", "--store", store, "--format", "json").stdout)
check(st["counters"].get("radius.replayed") == 1, f"stats: {st['counters']}")

# ---- review findings: regressions ---------------------------------------------
# an unsigned Accounting-On from an address without a secret, claiming the
# NAS-IP of a NAS that has one, closes nothing: rejected
on = radius_acct(9, [radius_attr(40, u32(7)), radius_attr(4, bytes([10, 0, 0, 1]))])
st_ = acct(4, 1, b"v-1")
# a verified Interim re-sent from another port within the window: a
# duplicate, it must not teach a seconds-long interval and orphan the session
it = acct(5, 3, b"v-1", [radius_attr(46, u32(3600))])
it2 = acct(6, 3, b"v-1", [radius_attr(46, u32(7200))])
sp = acct(7, 2, b"v-1", [radius_attr(46, u32(7300)), radius_attr(49, u32(1))])
# a RADIUS Acct-Session-Id that looks like retain's own PPPoE ids
p1 = acct(8, 1, b"pppoe:1234")
p2 = acct(10, 3, b"pppoe:1234", [radius_attr(46, u32(600))])
p3 = acct(11, 2, b"pppoe:1234", [radius_attr(46, u32(700)), radius_attr(49, u32(1))])
cap3 = os.path.join(d, "review.pcap")
write_pcap(cap3, [(T, fr(st_)), (T + 1 * S, fr(p1)), (T + 10 * S, fr(on, src="192.0.2.66")),
                  (T + 600 * S, fr(p2)), (T + 700 * S, fr(p3)), (T + 701 * S, fr(p3)),
                  (T + 3600 * S, fr(it)), (T + 3605 * S, fr(it, sport=1001)),
                  (T + 7200 * S, fr(it2)), (T + 7300 * S, fr(sp))])
store3 = os.path.join(d, "s3")
s = json.loads(retain("ingest", cap3, "--store", store3, "--secrets", secrets,
                      "--format", "json").stdout)
check(s["rejected"] == 1, f"forged Accounting-On not rejected: {s}")
rows = {r["session_id"]: r for r in jsonl(retain("export", "--store", store3).stdout)}
v = rows.get("v-1", {})
check(v.get("stop_cause") == "user-request" and v.get("stop_ns") == T + 7300 * S,
      f"v-1 should end by its Stop: {v}")
check(len([r for r in rows if r == "pppoe:1234"]) == 1 and
      rows.get("pppoe:1234", {}).get("stop_cause") == "user-request",
      f"RADIUS session 'pppoe:1234': {rows.get('pppoe:1234')}")
check(len(rows) == 2, f"records: {sorted(rows)}")

# ---- Access-Request / Accept: Message-Authenticator, BlastRADIUS ----------------
def access(code, ident, attrs, req_auth=None, ma=True, bad_ma=False):
    """An Access packet; with a Message-Authenticator (HMAC-MD5, RFC 3579)."""
    body = b"".join(attrs)
    if ma:
        body += bytes([80, 18]) + b"\0" * 16
    ln = 20 + len(body)
    auth = req_auth if req_auth is not None else os.urandom(16)
    pkt = bytearray(struct.pack("!BBH", code, ident, ln) + auth + body)
    if ma:
        mac = hmac.new(SECRET, bytes(pkt), hashlib.md5).digest()
        if bad_ma:
            mac = bytes(16)
        pkt[-16:] = mac
    if code != 1:  # Response Authenticator over the request's authenticator
        ra = hashlib.md5(bytes(pkt[:4]) + auth + bytes(pkt[20:]) + SECRET).digest()
        pkt[4:20] = ra
    return bytes(pkt)

req_auth = os.urandom(16)
req = access(1, 9, [radius_attr(1, b"bob")], req_auth=req_auth)
ok_accept = access(2, 9, [radius_attr(8, bytes([100, 64, 0, 1]))], req_auth=req_auth)
req2_auth = os.urandom(16)
req2 = access(1, 10, [radius_attr(1, b"eve")], req_auth=req2_auth)
forged = access(2, 10, [radius_attr(33, b"\x01" * 40), radius_attr(8, bytes([1, 2, 3, 4]))],
                req_auth=req2_auth, ma=False)
req3_auth = os.urandom(16)
req3 = access(1, 11, [radius_attr(1, b"mallory")], req_auth=req3_auth)
bad = access(2, 11, [radius_attr(8, bytes([1, 2, 3, 5]))], req_auth=req3_auth, bad_ma=True)
cl, sv = "10.0.0.1", "10.9.9.9"
frames = [(T + 1, fr(req, 50000, 1812)), (T + 2, fr(ok_accept, 1812, 50000, sv, cl)),
          (T + 3, fr(req2, 50000, 1812)), (T + 4, fr(forged, 1812, 50000, sv, cl)),
          (T + 5, fr(req3, 50000, 1812)), (T + 6, fr(bad, 1812, 50000, sv, cl))]
cap2 = os.path.join(d, "access.pcap")
write_pcap(cap2, frames)
s = json.loads(retain("ingest", cap2, "--store", os.path.join(d, "s2"), "--secrets", secrets,
                      "--format", "json").stdout)
check(s["access_requests"] == 3 and s["access_responses"] == 3, f"access counts: {s}")
check(s["blastradius_suspect"] == 1, f"BlastRADIUS pattern not flagged: {s}")
check(s["msg_auth_missing"] == 1 and s["msg_auth_invalid"] == 1,
      f"Message-Authenticator verdicts: {s}")
check(s["malformed"] == 0, f"well-formed Access packets counted malformed: {s}")

finish("forgery")
