#!/usr/bin/env python3
"""retaind on DPDK ports (issue 5): `[dpdk]` in the config, net_pcap vdevs.

  bridge    net_pcap0 (rx in.pcap) <-> net_pcap1 (rx back.pcap: subscriber
            data only, the other direction): what leaves net_pcap1 is in.pcap
            and what leaves net_pcap0 is back.pcap, packet for packet, byte
            for byte; the sessions retaind stores equal `retain ingest` of
            in.pcap; the persisted counters (retain stats) say every packet
            was received and forwarded, none dropped; SIGTERM exits 0 and
            every session counted as stored is in the store.  As root it
            runs as `nobody` after the EAL and the ports are up.
  mirror    receive only on net_pcap0 (rx in.pcap): the same sessions.
  sigterm   SIGTERM while a slowed analysis side is behind: exit 0, and
            every copy counted as handed over is analysed and stored.
  ringfull  the bridge with 2 analysis slots and a slowed analysis side
            (test_analysis_delay_us): copies are dropped and counted
            (dpdk.ring_dropped), handed + dropped = every control packet, and
            still every packet is forwarded unchanged (fail-open).
  storefull the bridge with its store on a full tmpfs (as root): retaind
            raises the ALARM naming the full disk and forwards every packet
            unchanged while no commit succeeds; once room returns, the
            retried commits store every session of the capture and the
            counters are exact.
  config    bad [dpdk] settings are refused with a clear message.

Usage: test_retaind.py   (RETAIND, RETAIN, RT_GEN, SRCDIR in the env)
Exit 77 when the DPDK EAL cannot start here.
"""
import json
import os
import pwd
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("SRCDIR", "."), "tests", "cli"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtlib  # noqa: E402
from rtlib import check, retain, run, tmpdir  # noqa: E402
from test_bridge import EAL, data_frame, export, read_pcap, write_pcap_us  # noqa: E402

RETAIND = os.environ.get("RETAIND")
if not RETAIND:
    print("skip: RETAIND not set")
    sys.exit(77)

d = tmpdir()
# meson's timeout sends SIGTERM: leave through the finally blocks, which
# unmount the tmpfs this test mounts
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
os.chmod(d, 0o755)
as_nobody = None
if os.geteuid() == 0:
    try:
        as_nobody = pwd.getpwnam("nobody")
    except KeyError:
        pass


def stats(store):
    p = retain("stats", "--store", store, "--format", "json", expect=None)
    if p.returncode != 0:
        return {}
    return json.loads(p.stdout).get("counters", {})


def start(name, dpdk, secrets, store=None):
    store = store or os.path.join(d, name)
    os.mkdir(store, 0o700)
    user = ""
    if as_nobody:
        os.chown(store, as_nobody.pw_uid, as_nobody.pw_gid)
        user = "[daemon]\nuser = nobody\n"
    conf = os.path.join(d, name + ".conf")
    with open(conf, "w") as f:
        f.write(f"[store]\ndir = {store}\n[capture]\nsecrets = {secrets}\ncommit_ms = 20\n"
                f"[dpdk]\n{dpdk}{user}")
    errf = open(os.path.join(d, name + ".log"), "w+")
    proc = subprocess.Popen([RETAIND, "--config", conf], stderr=errf, text=True)
    return proc, store, errf


def log_of(errf):
    errf.flush()
    errf.seek(0)
    return errf.read()


def wait_counter(proc, store, name, want, errf, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        if stats(store).get(name, 0) >= want:
            return True
        time.sleep(0.2)
    check(False, f"{store}: {name} never reached {want}: {stats(store)}\n{log_of(errf)[-2000:]}")
    return False


def stop(proc, errf, name):
    rtlib.terminate(proc, 30)
    log = log_of(errf)
    if proc.returncode != 0 and "EAL" in log and "DPDK" in log and "init" in log:
        print(f"test_retaind: skipped: the DPDK EAL does not start here: {log[-500:]}")
        sys.exit(77)
    check(proc.returncode == 0, f"{name}: retaind exit {proc.returncode}: {log[-3000:]}")
    return log


def closed_stored(sessions):
    return sum(1 for r in sessions if r.get("stop") is not None)


def pcap_bytes(fr):
    """The size of a classic pcap file holding these frames."""
    return 24 + sum(16 + len(f) for _, f in fr)


def storefull(inp, backp, frames, back, total, want, secrets):
    name = "storefull"
    mnt = os.path.join(d, "small")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", mnt]).returncode:
        print("test_retaind: storefull not run (tmpfs mount failed)")
        return
    try:
        # leave the store room to open (its catalogue's first pages), not to commit
        filler = os.path.join(mnt, "filler")
        st = os.statvfs(mnt)
        with open(filler, "wb") as f:
            f.write(b"\0" * (st.f_bavail * st.f_frsize - 32 * 1024))
        out0, out1 = os.path.join(d, name + "-out0.pcap"), os.path.join(d, name + "-out1.pcap")
        proc, store, errf = start(name, (
            f"eal = {EAL}\n  --vdev=net_pcap0,rx_pcap={inp},tx_pcap={out0}\n"
            f"  --vdev=net_pcap1,rx_pcap={backp},tx_pcap={out1}\n"
            f"mode = bridge\nports = net_pcap0:net_pcap1\ntimestamps = capture\n"),
            secrets, store=os.path.join(mnt, "store"))
        # the ALARM names the full disk
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None and \
                "ALARM: commit failed" not in log_of(errf):
            time.sleep(0.1)
        log = log_of(errf)
        check(proc.poll() is None, f"{name}: retaind exited ({proc.returncode}): {log[-2000:]}")
        check("ALARM: commit failed" in log and "disk full?" in log,
              f"{name}: no ALARM naming the full disk: {log[-2000:]}")
        # forwarding goes on while no commit succeeds: what net_pcap wrote
        # grows to the whole input (less its stdio buffer)
        want1 = pcap_bytes(frames)
        deadline = time.time() + 30
        while time.time() < deadline and \
                (not os.path.exists(out1) or os.path.getsize(out1) < want1 - 16384):
            time.sleep(0.1)
        size1 = os.path.getsize(out1) if os.path.exists(out1) else 0
        check(size1 >= want1 - 16384,
              f"{name}: only {size1} of {want1} bytes forwarded while the store was full")
        p = retain("stats", "--store", store, "--format", "json", expect=None)
        check(p.returncode == 0, f"{name}: retain stats on the full store: {p.stderr}")
        full_ctr = json.loads(p.stdout).get("counters", {}) if p.returncode == 0 else {}
        check(not full_ctr.get("sessions.closed"),
              f"{name}: a commit succeeded on the full disk: {full_ctr}")
        alarm = [line for line in log_of(errf).splitlines() if "ALARM" in line]
        print(f"{name}: {size1} of {want1} bytes forwarded while the store was full; "
              f"{alarm[0] if alarm else 'no alarm'}")
        # room again: the retried commits store everything
        os.unlink(filler)
        check(wait_counter(proc, store, "dpdk.forwarded", total, errf),
              f"{name}: retaind stopped before storing: {log_of(errf)[-2000:]}")
        log = stop(proc, errf, name)
        got1, got0 = read_pcap(out1), read_pcap(out0)
        check([f for _, f in got1] == [f for _, f in frames] and
              [f for _, f in got0] == [f for _, f in back],
              f"{name}: output differs: {len(got1)}/{len(frames)} A->B, "
              f"{len(got0)}/{len(back)} B->A")
        ctr = stats(store)
        check(ctr.get("dpdk.rx") == total and ctr.get("dpdk.forwarded") == total and
              ctr.get("dpdk.tx_dropped", 0) == 0 and ctr.get("dpdk.ring_dropped", 0) == 0,
              f"{name}: counters {ctr}, {total} packets")
        got = export(store)
        check(got == want, f"{name}: {len(got)} sessions vs ingest {len(want)}")
        check(ctr.get("sessions.closed") == closed_stored(got), f"{name}: {ctr}")
    finally:
        subprocess.run(["umount", "-l", mnt])


def main():
    gen = os.path.join(d, "gen.pcap")
    secrets = os.path.join(d, "secrets.txt")
    run([rtlib.RT_GEN, "--seed", "11", "--sessions", "150", "--days", "0.5",
         "--out", gen, "--truth", os.path.join(d, "truth.jsonl"), "--secrets", secrets])
    os.chmod(secrets, 0o644)
    frames, back, i = [], [], 0
    for ts, fr in read_pcap(gen):
        ts -= ts % 1000
        frames.append((ts, fr))
        for _ in range(3):
            frames.append((ts, data_frame(i)))
            back.append((ts, data_frame(i + 100000)))
            i += 1
    n_gen = len(frames) - i
    inp, backp = os.path.join(d, "in.pcap"), os.path.join(d, "back.pcap")
    write_pcap_us(inp, frames)
    write_pcap_us(backp, back)
    total = len(frames) + len(back)

    ref = os.path.join(d, "ref")
    retain("ingest", inp, "--store", ref, "--secrets", secrets)
    want = export(ref)
    check(len(want) > 100, f"reference ingest: only {len(want)} sessions")

    # ---- bridge, both directions ----------------------------------------
    def bridge(name, extra="", eal=EAL):
        out0, out1 = os.path.join(d, name + "-out0.pcap"), os.path.join(d, name + "-out1.pcap")
        # the EAL arguments on continuation lines: an INI line is short
        dpdk = (f"eal = {eal}\n  --vdev=net_pcap0,rx_pcap={inp},tx_pcap={out0}\n"
                f"  --vdev=net_pcap1,rx_pcap={backp},tx_pcap={out1}\n"
                f"mode = bridge\nports = net_pcap0:net_pcap1\ntimestamps = capture\n{extra}")
        proc, store, errf = start(name, dpdk, secrets)
        wait_counter(proc, store, "dpdk.forwarded", total, errf)
        log = stop(proc, errf, name)
        got1, got0 = read_pcap(out1), read_pcap(out0)
        check(len(got1) == len(frames) and len(got0) == len(back),
              f"{name}: {len(got1)}/{len(frames)} A->B, {len(got0)}/{len(back)} B->A")
        bad = [k for k, (a, b) in enumerate(zip(frames, got1)) if a[1] != b[1]]
        check(not bad, f"{name}: {len(bad)} packets differ A->B, first #{bad[:1]}")
        bad = [k for k, (a, b) in enumerate(zip(back, got0)) if a[1] != b[1]]
        check(not bad, f"{name}: {len(bad)} packets differ B->A, first #{bad[:1]}")
        ctr = stats(store)
        check(ctr.get("dpdk.rx") == total and ctr.get("dpdk.forwarded") == total and
              ctr.get("dpdk.tx_dropped", 0) == 0 and ctr.get("dpdk.nic_dropped", 0) == 0,
              f"{name}: counters {ctr}, {total} packets")
        # every copy handed to the analysis went through the engine
        check(ctr.get("packets") == ctr.get("dpdk.control"),
              f"{name}: engine saw {ctr.get('packets')} of {ctr.get('dpdk.control')} copies")
        if as_nobody:
            check("running as nobody" in log, f"{name}: no privilege drop: {log[-2000:]}")
        return store, ctr, log

    # with a worker lcore the forwarding loop runs there (rte_eal_remote_launch)
    lcores = len(os.sched_getaffinity(0)) >= 2
    store, ctr, log = bridge("bridge", eal=EAL.replace("-l 0 ", "-l 0,1 ") if lcores else EAL)
    check(not lcores or "forwarding queue 0 on lcore 1" in log, f"bridge: {log[-1000:]}")
    n_ctrl = ctr.get("dpdk.control", -1)
    check(n_gen // 2 <= n_ctrl <= n_gen and ctr.get("dpdk.ring_dropped", 0) == 0,
          f"bridge: {n_ctrl} control of {n_gen} generated: {ctr}")
    got = export(store)
    if not check(got == want, f"bridge: {len(got)} sessions vs ingest {len(want)}"):
        diff = [(a, b) for a, b in zip(got, want) if a != b][:1]
        print("first difference:", diff, file=sys.stderr)
    # SIGTERM lost nothing counted: each session counted stored is there
    check(ctr.get("sessions.closed") == closed_stored(got),
          f"bridge: sessions.closed {ctr.get('sessions.closed')}, "
          f"{closed_stored(got)} closed in the store")
    check("analysis copies dropped" in log, f"bridge: no counters in the log: {log[-1000:]}")
    # the EAL here runs --no-huge: the operator is told what that costs
    check("without hugepages" in log, f"bridge: no hugepage advice: {log[-1000:]}")

    # ---- SIGTERM while the analysis is behind: forwarding stops, every copy
    # already handed over (counted dpdk.control) is still analysed and stored
    name = "sigterm"
    out0, out1 = os.path.join(d, name + "-out0.pcap"), os.path.join(d, name + "-out1.pcap")
    proc, store, errf = start(name, (
        f"eal = {EAL}\n  --vdev=net_pcap0,rx_pcap={inp},tx_pcap={out0}\n"
        f"  --vdev=net_pcap1,rx_pcap={backp},tx_pcap={out1}\n"
        f"mode = bridge\nports = net_pcap0:net_pcap1\ntimestamps = capture\n"
        f"test_analysis_delay_us = 20000\n"), secrets)
    wait_counter(proc, store, "dpdk.forwarded", total, errf)
    at_term = stats(store).get("packets", 0)
    log = stop(proc, errf, name)
    ctr = stats(store)
    check(at_term < n_ctrl, f"{name}: the analysis was not behind ({at_term} of {n_ctrl})")
    check(ctr.get("dpdk.control") == n_ctrl and ctr.get("packets") == n_ctrl and
          ctr.get("dpdk.ring_dropped", 0) == 0, f"{name}: counters {ctr}, {n_ctrl} control")
    got = export(store)
    check(got == want, f"{name}: {len(got)} sessions vs ingest {len(want)}")
    check(len(read_pcap(out1)) == len(frames), f"{name}: output cut short")

    # ---- the ring full: copies dropped and counted, traffic untouched ----
    _, ctr, _ = bridge("ringfull", "ring = 2\nburst = 32\ntest_analysis_delay_us = 3000\n")
    dropped, handed = ctr.get("dpdk.ring_dropped", 0), ctr.get("dpdk.control", 0)
    check(dropped > 0 and handed + dropped == n_ctrl,
          f"ringfull: {handed} handed + {dropped} dropped, {n_ctrl} control packets: {ctr}")

    # ---- mirror -----------------------------------------------------------
    dpdk = (f"eal = {EAL}\n  --vdev=net_pcap0,rx_pcap={inp}\nmode = mirror\nports = net_pcap0\n"
            f"timestamps = capture\n")
    proc, mstore, errf = start("mirror", dpdk, secrets)
    wait_counter(proc, mstore, "packets", len(frames), errf)
    stop(proc, errf, "mirror")
    ctr = stats(mstore)
    check(ctr.get("dpdk.rx") == len(frames) and ctr.get("packets") == len(frames) and
          ctr.get("dpdk.nic_dropped", 0) == 0, f"mirror: counters {ctr}, {len(frames)} packets")
    got = export(mstore)
    check(got == want, f"mirror: {len(got)} sessions vs ingest {len(want)}")
    check(ctr.get("sessions.closed") == closed_stored(got), f"mirror: {ctr}")

    # ---- the store's disk full: ALARM, forwarding goes on, nothing lost ----
    if os.geteuid() == 0:
        storefull(inp, backp, frames, back, total, want, secrets)
    else:
        print("test_retaind: storefull not run (mounting a tmpfs needs root)")

    # ---- bad [dpdk] settings ----------------------------------------------
    bad = [("mode = bridge\nports = net_pcap0\n", "pairs A:B"),
           ("mode = bridge\nports = p0:p0\n", "pairs A:B"),
           ("mode = bridge\n", "needs its port pairs"),
           ("mode = mirror\nports = a:b\n", "not pairs"),
           ("mode = inline\n", "bad value for [dpdk] mode"),
           ("burst = 0\n", "bad value for [dpdk] burst"),
           ("colour = blue\n", "unknown setting [dpdk] colour")]
    for k, (body, msg) in enumerate(bad):
        conf = os.path.join(d, f"bad{k}.conf")
        with open(conf, "w") as f:
            f.write(f"[store]\ndir = {d}\n[dpdk]\n{body}")
        p = run([RETAIND, "--config", conf, "--check-config"], expect=1)
        check(msg in p.stderr, f"bad config {body!r}: {p.stderr.strip()}")
    conf = os.path.join(d, "both.conf")
    with open(conf, "w") as f:
        f.write(f"[store]\ndir = {d}\n[capture]\ninterface = lo\n[dpdk]\nmode = mirror\n")
    p = run([RETAIND, "--config", conf, "--check-config"], expect=1)
    check("exclude each other" in p.stderr, f"[capture] + [dpdk]: {p.stderr.strip()}")

    print(f"test_retaind: {total} packets ({n_ctrl} control), {len(want)} sessions")
    rtlib.finish("test_retaind")


if __name__ == "__main__":
    main()
