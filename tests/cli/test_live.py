#!/usr/bin/env python3
"""Live capture (libpcap, non-blocking + poll) on a veth pair inside a
network namespace this test creates: the kernel prefilter admits the
control plane (RADIUS accounting, PPPoE discovery and LCP, DHCP, through
VLAN tags) and keeps subscriber data out.  Needs root and iproute2: skips
(exit 77) otherwise.  Traffic never leaves the namespace."""
import os
import shutil
import socket
import subprocess
import sys
import time
from rtlib import *

PROBE = os.environ.get("LIVE_PROBE")
if os.geteuid() != 0 or not shutil.which("ip") or not PROBE:
    print("skip: needs root, iproute2 and LIVE_PROBE")
    sys.exit(77)

ns = f"rt-live-{os.getpid()}"
if subprocess.run(["ip", "netns", "add", ns]).returncode != 0:
    print("skip: cannot create a network namespace here")
    sys.exit(77)
try:
    def nsrun(*a, **kw):
        return subprocess.run(["ip", "netns", "exec", ns, *a], check=True, **kw)
    nsrun("ip", "link", "add", "rtv0", "type", "veth", "peer", "name", "rtv1")
    nsrun("ip", "link", "set", "rtv0", "up")
    nsrun("ip", "link", "set", "rtv1", "up")
    nsrun("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", capture_output=True)

    acct = radius_acct(1, [radius_attr(40, u32(1)), radius_attr(44, b"live-1"),
                           radius_attr(1, b"dave")])
    radius = udp4_frame("10.0.0.1", "10.9.9.9", 40000, 1813, acct)
    dhcp = udp4_frame("0.0.0.0", "255.255.255.255", 68, 67, b"\x01" + b"\0" * 240)
    data = udp4_frame("100.64.0.9", "8.8.8.8", 50000, 443, b"q" * 100)
    tcp = bytearray(udp4_frame("100.64.0.9", "8.8.8.8", 50000, 80, b"t" * 60))
    tcp[14 + 9] = 6
    def vlan(fr, tpid=0x8100, vid=100):
        return fr[:12] + tpid.to_bytes(2, "big") + vid.to_bytes(2, "big") + fr[12:]
    padi = b"\xff" * 6 + b"\x02" * 6 + b"\x88\x63" + b"\x11\x09\x00\x00\x00\x04\x01\x01\x00\x00"
    lcp = b"\x00\x11\x22\x33\x44\x55" + b"\x02" * 6 + b"\x88\x64" + \
          b"\x11\x00\x00\x01\x00\x06\xc0\x21\x09\x01\x00\x04" + b"\0" * 30
    pppdata = b"\x00\x11\x22\x33\x44\x55" + b"\x02" * 6 + b"\x88\x64" + \
              b"\x11\x00\x00\x01\x00\x30\x00\x21" + b"\x45" + b"\0" * 60
    control = [radius, vlan(radius), vlan(vlan(radius, 0x8100, 7), 0x88a8, 20), dhcp, padi,
               lcp, vlan(lcp)]
    bulk = [data, bytes(tcp), vlan(data), pppdata, vlan(pppdata)]

    probe = subprocess.Popen(["ip", "netns", "exec", ns, PROBE, "rtv1", str(len(control)), "8"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = probe.stdout.readline()
    check(first.strip() == "ready", f"probe did not start: {first!r}")
    time.sleep(0.5)
    sender = ("import socket,sys\n"
              "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
              "s.bind(('rtv0',0))\n"
              "for h in sys.stdin.read().split():\n"
              "    s.send(bytes.fromhex(h))\n")
    frames = []
    for i in range(len(control)):   # data interleaved with control
        frames += bulk
        frames.append(control[i])
    frames += bulk
    nsrun(sys.executable, "-c", sender, input=" ".join(f.hex() for f in frames), text=True)
    try:
        out, errs = probe.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        probe.kill()
        out, errs = probe.communicate()
    lines = [l.split() for l in out.splitlines() if l and not l.startswith("done")]
    done = [l for l in out.splitlines() if l.startswith("done")]
    check(len(lines) == len(control),
          f"captured {len(lines)} frames, expected the {len(control)} control frames only: "
          f"{out!r} {errs!r}")
    ets = sorted(l[1] for l in lines)
    check(ets == sorted(["0800", "0800", "0800", "0800", "8863", "8864", "8864"]),
          f"ethertypes {ets}")
    check(all(int(l[2]) > 1_600_000_000 * 10**9 for l in lines), "timestamps not ns epoch")
    check(done and " dropped 0" in done[0], f"drops: {done}")
finally:
    subprocess.run(["ip", "netns", "del", ns])

finish("live")
