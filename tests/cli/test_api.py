"""retaind's lawful-query HTTPS API and the audit log (issue 6b), end to end:

- a throwaway self-signed certificate, a store built with rt-gen + ingest,
  a tokens file with one client per role, retaind on 127.0.0.1:free port;
- curl over TLS: no/unknown token 401, wrong role 403, no case 400, bad
  JSON / times 400, each refusal in the audit log;
- an authority query with a case returns what `retain query` returns, with
  the same result digest, and adds exactly one audit entry;
- health/stats for the operator, without account names; the auditor reads
  the log and its verification;
- then `retain audit verify` catches an edited, re-hashed, deleted,
  reordered and truncated entry and names it.
retaind is always stopped (try/finally); every wait is bounded.
"""
import hashlib
import re
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from rtlib import *

RETAIND = os.environ.get("RETAIND", "retaind")
d = tmpdir()
cap, truth_f, secrets = (os.path.join(d, n) for n in ("bras.pcap", "truth.jsonl", "secrets.txt"))
store = os.path.join(d, "store")
run([RT_GEN, "--seed", "11", "--sessions", "300", "--days", "3",
     "--start", "2026-07-01T00:00:00Z", "--out", cap, "--truth", truth_f,
     "--secrets", secrets])
truth = jsonl(open(truth_f).read())
retain("ingest", cap, "--store", store, "--secrets", secrets)

# The session the lawful query looks for; its account is registered.
s = next(r for r in truth if r["ipv4"] and r["stop_ns"] and r["stop_ns"] - r["start_ns"] > 2e9)
reg_csv = os.path.join(d, "registry.csv")
with open(reg_csv, "w") as f:
    f.write("account,name,category,doc_type,doc_number,address,status,registered_at,"
            "suspended_at,terminated_at,agent,agent_doc_type,agent_doc_number,agent_name\n"
            f"{s['account']},Api Testperson,individual,passport,E12345678,"
            "Test Road 1,active,2026-01-05T10:00:00Z,,,counter-01,,,\n")
retain("registry", "import", reg_csv, "--store", store)

# ---- certificate, tokens, config ---------------------------------------------
crt, key = os.path.join(d, "api.crt"), os.path.join(d, "api.key")
run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
     "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=127.0.0.1",
     "-addext", "subjectAltName=IP:127.0.0.1"])
TOK = {"authority": "tok-authority-5f3a", "operator": "tok-operator-91c2",
       "auditor": "tok-auditor-77d0"}
with open(os.path.join(d, "tokens"), "w") as f:
    f.write("# NAME ROLE SHA256(token)\n")
    for role, t in TOK.items():
        f.write(f"{role}-1 {role} {hashlib.sha256(t.encode()).hexdigest()}\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
conf = os.path.join(d, "retaind.conf")
with open(conf, "w") as f:
    f.write(f"[store]\ndir = {store}\n[api]\nlisten = 127.0.0.1:{port}\ncert = {crt}\n"
            f"key = {key}\ntokens = {os.path.join(d, 'tokens')}\n")

p = run([RETAIND, "--config", conf, "--check-config"])
check("ok" in p.stdout, f"--check-config: {p.stdout}")
bad = os.path.join(d, "bad.conf")
with open(bad, "w") as f:
    f.write("[store]\ndir = /x\n[api]\nlisten = nowhere\n")
p = run([RETAIND, "--config", bad, "--check-config"], expect=1)
check("listen" in p.stderr, f"bad config error should name the key: {p.stderr}")
run([RETAIND, "--help"])

BASE = f"https://127.0.0.1:{port}"


def curl(path, token=None, body=None, method=None):
    """(status, body text) of one request, bounded to 15 s."""
    args = ["curl", "-sS", "--max-time", "15", "--cacert", crt, "-o", "-",
            "-w", "\n%{http_code}"]
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "--data-binary", body]
    if method:
        args += ["-X", method]
    r = subprocess.run(args + [BASE + path], capture_output=True, text=True, timeout=30)
    out, _, code = r.stdout.rpartition("\n")
    return int(code or 0), out


def audit_entries():
    return jsonl(retain("audit", "log", "--store", store, "--format", "jsonl").stdout)


log_f = open(os.path.join(d, "retaind.log"), "w")
daemon = subprocess.Popen([RETAIND, "--config", conf], stdout=log_f, stderr=subprocess.STDOUT)
try:
    deadline = time.time() + 15
    up = False
    while time.time() < deadline and daemon.poll() is None:
        try:
            code, _ = curl("/v1/health", TOK["operator"])
            if code == 200:
                up = True
                break
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.2)
    if not check(up, "retaind did not come up"):
        log_f.flush()
        print(open(os.path.join(d, "retaind.log")).read(), file=sys.stderr)
        raise SystemExit(1)
    n0 = len(audit_entries())

    # ---- refusals, each audited ----------------------------------------------
    at = s["start_ns"] + 1_000_000_000
    q = {"type": "ip", "value": s["ipv4"], "at": str(at)}
    qa = dict(q, authority="PSB Test Bureau", case="2026-API-17")
    refusals = [
        ("no token", curl("/v1/query", None, json.dumps(qa), "POST"), 401),
        ("unknown token", curl("/v1/query", "nope", json.dumps(qa), "POST"), 401),
        ("operator query", curl("/v1/query", TOK["operator"], json.dumps(qa), "POST"), 403),
        ("auditor stats", curl("/v1/stats", TOK["auditor"]), 403),
        ("authority audit", curl("/v1/audit", TOK["authority"]), 403),
        ("no case", curl("/v1/query", TOK["authority"],
                         json.dumps(dict(q, authority="PSB Test Bureau")), "POST"), 400),
        ("no authority", curl("/v1/query", TOK["authority"], json.dumps(q), "POST"), 400),
        ("bad JSON", curl("/v1/query", TOK["authority"], "{\"type\": ", "POST"), 400),
        ("bad time", curl("/v1/query", TOK["authority"],
                          json.dumps(dict(qa, at="yesterday")), "POST"), 400),
        ("bad type", curl("/v1/query", TOK["authority"],
                          json.dumps(dict(qa, type="mac")), "POST"), 400),
        ("unknown key", curl("/v1/query", TOK["authority"],
                             json.dumps(dict(qa, limit=3)), "POST"), 400),
        ("GET query", curl("/v1/query", TOK["authority"]), 405),
        ("no endpoint", curl("/v1/nothing", TOK["operator"]), 404),
    ]
    for label, (code, body), want in refusals:
        check(code == want, f"{label}: HTTP {code}, expected {want}: {body[:200]}")
        try:
            check("error" in json.loads(body), f"{label}: no JSON error message: {body[:200]}")
        except ValueError:
            check(False, f"{label}: body is not JSON: {body[:200]}")
    ents = audit_entries()
    new = ents[n0:]
    check(len(new) == len(refusals),
          f"{len(new)} audit entries for {len(refusals)} refusals")
    for (label, (code, _), want), e in zip(refusals, new):
        check(e["outcome"].startswith("refused: "), f"{label}: audit outcome {e['outcome']}")
        check(e["result_count"] == 0 and e["result_digest"] is None,
              f"{label}: refused entry records results")
    check(new[0]["client"].startswith("api:unauthenticated@127.0.0.1"),
          f"unauthenticated client recorded as {new[0]['client']}")
    check(new[2]["client"].startswith("api:operator-1@") and new[2]["role"] == "operator",
          f"operator refusal recorded as {new[2]['client']} {new[2]['role']}")
    check(new[5]["authority"] == "PSB Test Bureau" and new[5]["case"] is None,
          f"no-case refusal should record the authority: {new[5]}")
    check(new[5]["query"].get("value") == s["ipv4"], "no-case refusal should record the query")

    # ---- a lawful query ----------------------------------------------------------
    n1 = len(audit_entries())
    code, body = curl("/v1/query", TOK["authority"], json.dumps(qa), "POST")
    check(code == 200, f"authority query: HTTP {code}: {body[:300]}")
    ans = json.loads(body) if code == 200 else {"results": [], "count": -1}
    ents = audit_entries()
    check(len(ents) == n1 + 1, f"lawful query added {len(ents) - n1} audit entries, expected 1")
    e = ents[-1]
    check(e["outcome"] == "ok" and e["authority"] == "PSB Test Bureau" and
          e["case"] == "2026-API-17" and e["role"] == "authority" and
          e["client"].startswith("api:authority-1@"), f"audit entry {e}")
    check(e["result_count"] == ans["count"] and e["seq"] == ans.get("audit_seq"),
          f"audit entry count/seq {e['result_count']}/{e['seq']} vs answer "
          f"{ans['count']}/{ans.get('audit_seq')}")
    check(e["query"] == qa, f"audit query {e['query']} != request {qa}")
    cli = retain("query", "ip", s["ipv4"], "--at", str(at), "--store", store, "--format", "jsonl",
                 "--authority", "PSB Test Bureau", "--case", "2026-API-17")
    want = jsonl(cli.stdout)
    got = ans["results"]
    check(got == want, f"API results differ from retain query:\n{got}\n{want}")
    check(any(session_key(r) == session_key(s) for r in got), "the truth session is not in the answer")
    check(all("registered" in r for r in ans["results"]), "rows lack the registered join")
    mine = [r for r in ans["results"] if session_key(r) == session_key(s)]
    check(mine and (mine[0]["registered"] or {}).get("name") == "Api Testperson",
          f"the registered identity is not joined: {mine[:1]}")
    # The digest covers the rows as JSON Lines without the registry join.
    canon = "".join(json.dumps({k: v for k, v in r.items() if k != "registered"},
                               separators=(",", ":"), ensure_ascii=False) + "\n" for r in want)
    digest = hashlib.sha256(canon.encode()).hexdigest()
    check(e["result_digest"] == digest == ans.get("result_digest"),
          "result digest differs between the API, the CLI output and the audit log")
    check(audit_entries()[-1]["client"].startswith("cli:"), "CLI query not audited")

    code, body = curl("/v1/query", TOK["authority"],
                      json.dumps({"type": "account", "value": s["account"], "from": "2026-07-01",
                                  "to": "2026-07-05", "authority": "PSB Test Bureau",
                                  "case": "2026-API-18", "format": "csv"}), "POST")
    check(code == 200 and body.startswith("account,") and s["account"] in body,
          f"CSV query: HTTP {code}: {body[:200]}")
    code, body = curl("/v1/query", TOK["authority"],
                      json.dumps({"type": "account", "value": s["account"], "from": "2026-07-01",
                                  "to": "2026-07-05", "authority": "PSB Test Bureau",
                                  "case": "2026-API-19", "format": "xml"}), "POST")
    check(code == 200 and body.startswith("<?xml") and s["account"] in body,
          f"XML query: HTTP {code}: {body[:200]}")
    if code == 200 and shutil.which("xmllint"):
        xf = os.path.join(d, "api.xml")
        open(xf, "w").write(body)
        xsd = os.path.join(os.environ.get("SRCDIR", "."), "control", "retain-results.xsd")
        v = subprocess.run(["xmllint", "--noout", "--schema", xsd, xf], capture_output=True,
                           text=True)
        check(v.returncode == 0, f"API XML does not validate: {v.stderr[-500:]}")

    # ---- operator: health and stats, no personal data --------------------------
    accounts = {r["account"] for r in truth if r["account"]}
    for path in ("/v1/health", "/v1/stats"):
        code, body = curl(path, TOK["operator"])
        check(code == 200, f"{path}: HTTP {code}")
        j = json.loads(body) if code == 200 else {}
        check(j.get("status") == "ok", f"{path}: {body[:200]}")
        leaked = [a for a in accounts if a in body]
        check(not leaked, f"{path} shows account names: {leaked[:3]}")
        check(s["ipv4"] not in body and "Testperson" not in body,
              f"{path} shows an address or a name")
    st = json.loads(curl("/v1/stats", TOK["operator"])[1])
    check(st.get("store_stats", {}).get("sessions_closed", 0) > 0 and "api" in st,
          f"stats lacks store figures: {st}")
    check(st.get("alarms") == {}, f"alarms on a healthy daemon: {st.get('alarms')}")

    # ---- operator: Prometheus metrics, the same figures -------------------------
    code, body = curl("/v1/metrics", TOK["operator"])
    check(code == 200, f"/v1/metrics: HTTP {code}: {body[:200]}")
    # (the helper cut only the newline curl -w put before the status)
    check(body.endswith("\n"), "/v1/metrics: no newline after the last line")
    sample = re.compile(r'^([a-z_][a-z0-9_]*)(\{[a-z_]+="[a-z0-9_.]*"\})? (-?[0-9]+)$')
    met, typed = {}, set()
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            fam = line.split()[2]
            check(fam not in typed, f"/v1/metrics: a second TYPE line for {fam}")
            typed.add(fam)
            continue
        if line.startswith("# HELP ") or not line:
            continue
        m = sample.match(line)
        if not check(m, f"/v1/metrics: not a sample line: {line!r}"):
            continue
        check(m.group(1) in typed, f"/v1/metrics: {m.group(1)} has no TYPE line before it")
        met[m.group(1) + (m.group(2) or "")] = int(m.group(3))
    print(f"/v1/metrics: {len(met)} samples, e.g. " +
          ", ".join(f"{k} {v}" for k, v in list(met.items())[-12:-8]))
    check(len(met) >= 15 + len(st["counters"]), f"/v1/metrics: only {len(met)} samples")
    check(met.get("retain_up") == 1 and met.get("retain_store_readable") == 1,
          f"/v1/metrics: up/readable: {met}")
    closed_m = met.get('retain_store_sessions{state="closed"}')
    check(closed_m == st["store_stats"]["sessions_closed"],
          f"/v1/metrics sessions {closed_m} vs stats {st['store_stats']}")
    for name, v in st["counters"].items():
        mn = "retain_" + name.replace(".", "_")
        got_v = met.get(mn + "_total", met.get(mn))
        check(got_v == v, f"/v1/metrics {mn}: {got_v}, /v1/stats {name}: {v}")
    for kind in ("store", "seal", "expiry", "clock", "worker"):
        check(met.get(f'retain_alarm{{kind="{kind}"}}') == 0 and
              met.get(f'retain_alarms_raised_total{{kind="{kind}"}}') == 0,
              f"/v1/metrics alarm {kind}: {met}")
    check(met.get("retain_api_requests_total", 0) > 0, f"/v1/metrics api: {met}")
    leaked = [a for a in accounts if a in body]
    check(not leaked and s["ipv4"] not in body, f"/v1/metrics shows personal data: {leaked[:3]}")
    check(curl("/v1/metrics", TOK["auditor"])[0] == 403, "auditor may read /v1/metrics")
    check(curl("/v1/metrics")[0] == 401, "/v1/metrics without a token")
    check(curl("/v1/metrics", TOK["operator"], method="POST")[0] == 405, "POST /v1/metrics")

    # ---- auditor ----------------------------------------------------------------
    n2 = len(audit_entries())
    code, body = curl("/v1/audit", TOK["auditor"])
    check(code == 200, f"/v1/audit: HTTP {code}")
    got = jsonl(body)
    check(len(got) == n2 and got == audit_entries()[:n2], "auditor's log differs from the file")
    check(len(audit_entries()) == n2 + 1, "the auditor's read is not audited")
    code, body = curl("/v1/audit/verify", TOK["auditor"])
    v = json.loads(body) if code == 200 else {}
    check(code == 200 and v.get("intact") is True and v.get("entries") == n2 + 1,
          f"/v1/audit/verify: {code} {body[:300]}")
    p = retain("audit", "verify", "--store", store)
    check("intact" in p.stdout, p.stdout)
    retain("audit", "log", "--store", store)

    # ---- clean shutdown ------------------------------------------------------------
    daemon.send_signal(signal.SIGTERM)
    try:
        rc = daemon.wait(timeout=10)
        check(rc == 0, f"retaind exit {rc} after SIGTERM")
    except subprocess.TimeoutExpired:
        check(False, "retaind did not stop within 10 s of SIGTERM")
finally:
    if daemon.poll() is None:
        daemon.kill()
        daemon.wait(timeout=10)
    log_f.close()
    if failures:
        print(open(os.path.join(d, "retaind.log")).read()[-3000:], file=sys.stderr)

log_text = open(os.path.join(d, "retaind.log")).read()
check("stopping" in log_text, "retaind logged no clean stop")
check(s["account"] not in log_text, "retaind's log shows an account name")

# ---- tampering: retain audit verify names the first broken entry --------------
lines = open(os.path.join(store, "audit.log"), "rb").read().split(b"\n")[:-1]
check(len(lines) >= 10, f"only {len(lines)} audit entries")
check(oct(os.stat(os.path.join(store, "audit.log")).st_mode & 0o777) == "0o600",
      "audit.log is not mode 0600")
K = 4  # 1-based entry to tamper with


def verify_variant(label, new_lines, tail=b"\n", want_entry=K):
    vd = os.path.join(d, "tamper-" + label.replace(" ", "-"))
    os.makedirs(vd)
    with open(os.path.join(vd, "audit.log"), "wb") as f:
        f.write(b"\n".join(new_lines) + tail)
    p = retain("audit", "verify", "--store", vd, expect=5)
    check(f"entry {want_entry} " in p.stdout, f"{label}: verify does not name entry "
                                              f"{want_entry}: {p.stdout.strip()}")
    shutil.rmtree(vd)


def rehash(line):
    canon = line[:-75] + b"}"
    return line[:-66] + hashlib.sha256(canon).hexdigest().encode() + b'"}'


L = list(lines)
edited = L[K - 1].replace(b'"result_count":0', b'"result_count":7')
check(edited != L[K - 1], "entry to edit has no result_count 0")
verify_variant("edited", L[:K - 1] + [edited] + L[K:])
verify_variant("edited and rehashed", L[:K - 1] + [rehash(edited)] + L[K:], want_entry=K + 1)
verify_variant("deleted", L[:K - 1] + L[K:])
verify_variant("reordered", L[:K - 1] + [L[K], L[K - 1]] + L[K + 1:])
verify_variant("truncated", L[:-1] + [L[-1][:len(L[-1]) // 2]], tail=b"",
               want_entry=len(L))
verify_variant("inserted", L[:K - 1] + [L[0]] + L[K - 1:])
p = retain("audit", "verify", "--store", store)
check("intact" in p.stdout, "the real log should still verify")

# retain verify --audit: the segments and the audit chain in one check
p = retain("verify", "--audit", "--no-seal", "--store", store)
check("audit log         ok" in p.stdout, f"verify --audit: {p.stdout}")
copy = os.path.join(d, "store-copy")
shutil.copytree(store, copy)
with open(os.path.join(copy, "audit.log"), "wb") as f:
    f.write(b"\n".join(L[:K - 1] + [edited] + L[K:]) + b"\n")
p = retain("verify", "--audit", "--no-seal", "--store", copy, expect=5)
check(f"entry {K} " in p.stdout, f"verify --audit does not name entry {K}: {p.stdout}")

finish("api")
