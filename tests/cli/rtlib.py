"""Helpers for the CLI tests: run the real binaries, write pcaps, compare."""
import hashlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile

RETAIN = os.environ.get("RETAIN", "retain")
RT_GEN = os.environ.get("RT_GEN", "rt-gen")

failures = 0


def terminate(p, timeout=20):
    """SIGTERM to a daemon still running, then wait; SIGKILL after timeout
    seconds.  Its exit status (negative: the signal that ended it)."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def free_udp_port():
    """A UDP port on 127.0.0.1 free just now (for a listener the test starts)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def operator_api(d, tok="tok-operator-test"):
    """retaind's HTTPS API for one operator client: a throwaway certificate
    and tokens file in d, a free TCP port.  api["conf"] is its [api]
    section; api_get(api, path) asks it."""
    api = {"crt": os.path.join(d, "api.crt"), "key": os.path.join(d, "api.key"),
           "tokens": os.path.join(d, "api.tokens"), "tok": tok}
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", api["key"], "-out",
                    api["crt"], "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    with open(api["tokens"], "w") as f:
        f.write(f"ops-1 operator {hashlib.sha256(tok.encode()).hexdigest()}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        api["port"] = s.getsockname()[1]
    api["conf"] = (f"[api]\nlisten = 127.0.0.1:{api['port']}\ncert = {api['crt']}\n"
                   f"key = {api['key']}\ntokens = {api['tokens']}\n")
    return api


def api_get(api, path):
    """(HTTP status, body) of one GET as the operator; 0 when no answer."""
    r = subprocess.run(["curl", "-sS", "--max-time", "15", "--cacert", api["crt"],
                        "-H", f"Authorization: Bearer {api['tok']}", "-o", "-",
                        "-w", "\n%{http_code}", f"https://127.0.0.1:{api['port']}{path}"],
                       capture_output=True, text=True, timeout=30)
    out, _, code = r.stdout.rpartition("\n")
    return int(code or 0), out


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", msg, file=sys.stderr)
    return cond


def finish(name):
    if failures:
        print(f"{name}: {failures} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: ok")
    sys.exit(0)


def run(args, expect=0, stdin=None):
    """Run a command; a signal death (crash) is always a failure."""
    p = subprocess.run(args, capture_output=True, text=True, input=stdin)
    if p.returncode < 0 or p.returncode >= 128:
        print("CRASH:", args, p.returncode, p.stderr[-2000:], file=sys.stderr)
        sys.exit(1)
    if expect is not None and p.returncode != expect:
        check(False, f"{' '.join(map(str, args))}: exit {p.returncode}, expected {expect}\n"
                     f"stderr: {p.stderr[-2000:]}")
    return p


def retain(*args, expect=0):
    return run([RETAIN, *map(str, args)], expect=expect)


def tmpdir():
    import atexit
    import shutil
    d = tempfile.mkdtemp(prefix="rt-test-")
    if not os.environ.get("RT_KEEP"):
        atexit.register(shutil.rmtree, d, True)
    return d


def jsonl(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


def session_key(r):
    return (r["nas_ip"], r["session_id"], r["start_ns"])


# ---- packet building (tests that need hand-made packets) -------------------

def ip_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def udp4_frame(src, dst, sport, dport, payload, udp_len=None):
    """Ethernet + IPv4 + UDP; udp_len overrides the UDP length field."""
    ulen = 8 + len(payload) if udp_len is None else udp_len
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    tot = 20 + len(udp)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 1, 0, 64, 17, 0,
                      bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    iph = iph[:10] + struct.pack("!H", ip_checksum(iph)) + iph[12:]
    eth = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
    return eth + iph + udp


def write_pcap(path, frames):
    """frames: list of (ts_ns, bytes). Classic pcap, nanosecond magic."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(fr), len(fr)))
            f.write(fr)


def radius_attr(t, v):
    return bytes([t, len(v) + 2]) + v


def radius_acct(ident, attrs, secret=None, length=None):
    """An Accounting-Request; signed with secret if given (RFC 2866 s3)."""
    import hashlib
    body = b"".join(attrs)
    ln = 20 + len(body) if length is None else length
    hdr = struct.pack("!BBH", 4, ident, ln)
    auth = b"\0" * 16
    if secret is not None:
        auth = hashlib.md5(hdr + b"\0" * 16 + body + secret).digest()
    return hdr + auth + body


def u32(v):
    return struct.pack("!I", v)
