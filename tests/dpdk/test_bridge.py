#!/usr/bin/env python3
"""DPDK inline bridge and mirror source over net_pcap vdevs (issue 5, item 2).

An rt-gen capture, re-timed to microseconds (net_pcap reads microsecond
timestamps) and mixed with pass-through subscriber data (IPoE and PPPoE
session, untagged and VLAN, 60..1514 bytes), is replayed through:

  bridge   net_pcap0 (rx in.pcap) <-> net_pcap1 (rx empty.pcap): what leaves
           net_pcap1 must be the input, packet for packet, byte for byte,
           nothing must leave net_pcap0, and the sessions built from the
           control packets the bridge hands over must equal `retain ingest`
           of in.pcap;
  failopen the same bridge with no room for analysis copies: the output is
           still identical, every control copy is counted as dropped;
  async    the bridge on its own thread, copies through its analysis ring
           to the pipeline thread (as retaind would run it): same output,
           same sessions;
  mirror   a receive-only source on net_pcap0: same sessions.

Usage: test_bridge.py PATH/TO/test_bridge   (RETAIN, RT_GEN in the env)
Exit 77 when the DPDK EAL cannot start here.
"""
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("SRCDIR", "."), "tests", "cli"))
import rtlib  # noqa: E402
from rtlib import check, retain, run, tmpdir, jsonl  # noqa: E402

EAL = ("-l 0 --no-huge --no-pci -m 256 --no-shconf --no-telemetry "
       "--log-level=lib.eal:error --log-level=pmd.net.pcap:error")


def read_pcap(path):
    """[(ts_ns, bytes)] of a classic pcap (µs or ns magic, little-endian)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    scale = {0xA1B2C3D4: 1000, 0xA1B23C4D: 1}[magic]
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack_from("<IIII", data, off)
        off += 16
        out.append((sec * 10**9 + frac * scale, data[off:off + caplen]))
        off += caplen
    check(off == len(data), f"{path}: trailing bytes")
    return out


def write_pcap_us(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9 // 1000, len(fr), len(fr)))
            f.write(fr)


def data_frame(i):
    """Subscriber data the classifier passes: TCP or UDP/443, IPoE or PPPoE."""
    size = (60, 128, 576, 1514)[i % 4]
    tag = b"\x81\x00" + struct.pack("!H", 100 + i % 7) if i % 3 == 0 else b""
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" + tag
    proto = 6 if i % 2 else 17
    l4 = struct.pack("!HHII", 40000 + i % 1000, 443, i, 0) + b"\x50\x10\xff\xff" + b"\0" * 4
    ip_len = size - len(eth) - 2 - (8 if i % 5 < 2 else 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, i & 0xFFFF, 0, 64, proto, 0,
                     bytes([100, 64, i >> 8 & 255, i & 255]), bytes([203, 0, 113, 9]))
    body = ip + l4
    body += bytes((i + k) & 255 for k in range(ip_len - len(body)))
    if i % 5 < 2:  # PPPoE session, IPv4
        return eth + b"\x88\x64" + struct.pack("!BBHH", 0x11, 0, 0x1234, ip_len + 2) + \
            b"\x00\x21" + body
    return eth + b"\x08\x00" + body


def export(store):
    p = retain("export", "--store", store, "--format", "jsonl")
    return sorted(jsonl(p.stdout), key=lambda r: json.dumps(r, sort_keys=True))


def run_dp(exe, mode, store, secrets, ctrl_max, eal):
    p = run([exe, mode, store, secrets, str(ctrl_max), eal], expect=None)
    if p.returncode == 77:
        print(f"test_bridge: skipped: {p.stderr.strip()}")
        sys.exit(77)
    check(p.returncode == 0, f"{mode}: exit {p.returncode}: {p.stderr[-2000:]}")
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        check(False, f"{mode}: no counters: {p.stdout!r}")
        return {}


def main():
    exe = sys.argv[1]
    d = tmpdir()
    gen = os.path.join(d, "gen.pcap")
    secrets = os.path.join(d, "secrets.txt")
    run([rtlib.RT_GEN, "--seed", "5", "--sessions", "150", "--days", "0.5",
         "--out", gen, "--truth", os.path.join(d, "truth.jsonl"), "--secrets", secrets])
    frames, i = [], 0
    for ts, fr in read_pcap(gen):
        ts -= ts % 1000
        frames.append((ts, fr))
        for _ in range(3):
            frames.append((ts, data_frame(i)))
            i += 1
    inp = os.path.join(d, "in.pcap")
    empty = os.path.join(d, "empty.pcap")
    write_pcap_us(inp, frames)
    write_pcap_us(empty, [])
    n_gen = len(frames) - i
    n_radius = sum(1 for _, fr in read_pcap(gen) if b"\x07\x15" in fr[12:60])  # port 1813

    ref = os.path.join(d, "ref")
    retain("ingest", inp, "--store", ref, "--secrets", secrets)
    want = export(ref)
    check(len(want) > 100, f"reference ingest: only {len(want)} sessions")

    def bridge(name, ctrl_max, mode="bridge"):
        out0, out1 = os.path.join(d, name + "-out0.pcap"), os.path.join(d, name + "-out1.pcap")
        eal = (f"{EAL} --vdev=net_pcap0,rx_pcap={inp},tx_pcap={out0} "
               f"--vdev=net_pcap1,rx_pcap={empty},tx_pcap={out1}")
        store = os.path.join(d, name)
        st = run_dp(exe, mode, store, secrets, ctrl_max, eal)
        got = read_pcap(out1)
        check(len(got) == len(frames), f"{name}: {len(got)} packets out, {len(frames)} in")
        bad = [k for k, (a, b) in enumerate(zip(frames, got)) if a[1] != b[1]]
        check(not bad, f"{name}: {len(bad)} packets differ, first #{bad[:1]}")
        check(read_pcap(out0) == [], f"{name}: packets left on port A")
        check(st.get("rx_a") == len(frames) and st.get("tx_b") == len(frames) and
              st.get("tx_dropped") == 0, f"{name}: counters {st}")
        return store, st

    eal = f"{EAL} --vdev=net_pcap0,rx_pcap={inp}"
    mstore = os.path.join(d, "mirror")
    mst = run_dp(exe, "mirror", mstore, secrets, 0, eal)
    check(mst.get("fed") == len(frames) and mst.get("rx") == len(frames),
          f"mirror: {mst}, {len(frames)} packets")
    check(export(mstore) == want, "mirror: sessions differ from ingest")
    # every RADIUS packet is control; the rest of rt-gen's frames (ARP, DNS
    # and other UDP decoys) and the data frames are not
    n_ctrl = mst.get("ctrl", -1)
    check(n_radius <= n_ctrl <= n_gen, f"mirror: {n_ctrl} control of {n_gen} generated")

    store, st = bridge("bridge", 128)
    check(st.get("ctrl") == n_ctrl and st.get("ctrl_dropped") == 0,
          f"bridge: {st.get('ctrl')} control packets handed over, {n_ctrl} classified: {st}")
    got = export(store)
    if not check(got == want, f"bridge: {len(got)} sessions vs ingest {len(want)}"):
        diff = [(a, b) for a, b in zip(got, want) if a != b][:1]
        print("first difference:", diff, file=sys.stderr)

    _, st = bridge("failopen", 0)
    check(st.get("ctrl") == 0 and st.get("ctrl_dropped") == n_ctrl,
          f"failopen: counters {st}, {n_ctrl} control packets")

    # enough slots for every control packet: no drop whatever the scheduling
    store, st = bridge("async", 4096, mode="async")
    check(st.get("ctrl") == n_ctrl and st.get("ctrl_dropped") == 0 and
          st.get("fed") == n_ctrl, f"async: {st}, {n_ctrl} control packets")
    check(export(store) == want, "async: sessions differ from ingest")

    print(f"test_bridge: {len(frames)} packets ({n_ctrl} control), {len(want)} sessions")
    rtlib.finish("test_bridge")


if __name__ == "__main__":
    main()
