#!/usr/bin/env python3
"""tools/bench load: sustained ingest with resident memory sampled (issue 7).

Benchmark, not a test.  Generates one large rt-gen capture once (cached
under var/bench-load/, keyed by its parameters), then runs `retain ingest
--progress` on it for --seconds, once with one thread (the baseline, same
run, same capture) and once with --threads.  Each second (on each progress
line of the ingest process) it samples the process's VmRSS
(/proc/PID/status) and the CPU time of each of its threads
(/proc/PID/task/*/stat), and prints events/s, RSS and per-thread CPU.  The
ingest process is killed at the end of the window (its store is scratch).

"Events" are accounting events: well-formed Accounting-Requests processed
(`accounting_requests`).  The last line is one JSON object:
  events_per_s         mean over the window (parallel run)
  events_per_s_min_5s  the slowest 5 s window
  rss_mb_10s, rss_mb_end, rss_growth_pct  (flat = growth < 5 % after 10 s),
  rss_mb_peak_10_20s, rss_mb_peak_last_10s, rss_peak_growth_pct: the same
      with the peaks of those windows (a commit's batch comes and goes
      between two single samples),
      and the same split into RssAnon (heap: tracker, caches, batches) and
      RssFile (pages of the store's memory-mapped LMDB files)
  baseline_events_per_s, speedup  (one thread, same capture, same run)
  cpu_bound_events_per_s  events per CPU-second of the busiest thread: the
      rate if each thread had a core of its own (the machine may be shared:
      see loadavg)
  no_store_control  the same --threads run with closed sessions counted, not
      stored (tools/bench-load-nostore, a control only): what the store costs
      in events/s and in memory
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

CLK = os.sysconf("SC_CLK_TCK")


def sh(cmd):
    print("==> " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def thread_cpu(pid):
    """{thread name: CPU seconds (user + system)}"""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        out[f"{name}/{tid}"] = (int(fields[11]) + int(fields[12])) / CLK
    return out


def rss_mb(pid):
    """(VmRSS, RssAnon, RssFile) in MB: RssFile is mostly the store's LMDB
    map (page cache pages mapped in), RssAnon the heap."""
    v = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k = line.split(":")[0]
                if k in ("VmRSS", "RssAnon", "RssFile"):
                    v[k] = int(line.split()[1]) / 1024
    except OSError:
        return (0.0, 0.0, 0.0)
    return (v.get("VmRSS", 0.0), v.get("RssAnon", 0.0), v.get("RssFile", 0.0))


def run(label, cmd, store, seconds):
    """One timed ingest; returns its samples
    [(t, packets, events, (rss, anon, file), {thread: cpu}, open sessions)]."""
    subprocess.run(["rm", "-rf", store], check=True)
    print(f"==> [{label}] " + " ".join(cmd) + f"   (for {seconds} s)", flush=True)
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    samples = []
    t0 = None
    ended = None

    def reader():
        nonlocal t0
        for line in p.stderr:
            if ": progress: " not in line:
                continue
            now = time.monotonic()
            w = line.split()
            pk = int(w[w.index("packets") + 1])
            ev = int(w[w.index("accounting_requests") + 1])
            opened = int(w[w.index("open_sessions") + 1])
            if t0 is None:
                t0 = now
            samples.append((now - t0, pk, ev, rss_mb(p.pid), thread_cpu(p.pid), opened))

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    start = time.monotonic()
    shown = 0
    while True:
        time.sleep(0.2)
        if p.poll() is not None:
            ended = time.monotonic() - start
            break
        while shown < len(samples):
            t, pk, ev, rss, cpu, opened = samples[shown]
            if shown:
                tp, _, evp = samples[shown - 1][:3]
                rate = (ev - evp) / (t - tp) if t > tp else 0
                cpus = "  ".join(f"{k.split('/')[0]} {v:6.1f}s" for k, v in sorted(cpu.items()))
                print(f"    {label} t={t:5.1f}s  events/s {rate:10,.0f}  rss {rss[0]:7.1f} MB "
                      f"(anon {rss[1]:6.1f}, file {rss[2]:6.1f})  open {opened:8,}  cpu {cpus}",
                      flush=True)
            shown += 1
        if samples and samples[-1][0] >= seconds:
            break
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    p.wait()
    th.join(timeout=5)
    subprocess.run(["rm", "-rf", store], check=True)
    if ended is not None and (not samples or samples[-1][0] < seconds):
        print(f"    {label}: the ingest ended after {ended:.1f} s (capture exhausted or "
              f"exit {p.returncode}) before the {seconds} s window", flush=True)
    return samples


def summarize(samples, seconds):
    s = [x for x in samples if x[0] <= seconds + 0.5]
    if len(s) < 2:
        return None
    t_end, _, ev_end, rss_end, cpu_end, open_end = s[-1]
    mean = (ev_end - s[0][2]) / (t_end - s[0][0])
    worst = None
    for i in range(len(s)):
        for j in range(i + 1, len(s)):
            if s[j][0] - s[i][0] >= 5.0:
                r = (s[j][2] - s[i][2]) / (s[j][0] - s[i][0])
                worst = r if worst is None else min(worst, r)
                break
    at10 = next((x for x in s if x[0] >= 10.0), None)
    busiest = max(cpu_end.values()) if cpu_end else 0

    def growth(i):
        return round(100 * (rss_end[i] - at10[3][i]) / at10[3][i], 2) if at10 else None

    # Peaks: a commit's batch (pending records, LMDB dirty pages) comes and
    # goes, so one sample at 10 s and one at the end can differ by a batch
    # either way; the peak of 10-20 s against the peak of the last 10 s
    # shows growth without that phase noise.
    early = [x[3][0] for x in s if 10.0 <= x[0] <= 20.0]
    late = [x[3][0] for x in s if x[0] >= t_end - 10.0]
    peak_growth = (round(100 * (max(late) - max(early)) / max(early), 2)
                   if early and late and t_end >= 30.0 else None)

    return {
        "seconds": round(t_end, 1),
        "events": ev_end,
        "events_per_s": round(mean),
        "events_per_s_min_5s": round(worst) if worst is not None else None,
        "rss_mb_10s": round(at10[3][0], 1) if at10 else None,
        "rss_mb_end": round(rss_end[0], 1),
        "rss_growth_pct": growth(0),
        "rss_mb_peak_10_20s": round(max(early), 1) if early else None,
        "rss_mb_peak_last_10s": round(max(late), 1) if late else None,
        "rss_peak_growth_pct": peak_growth,
        "rss_anon_mb_10s": round(at10[3][1], 1) if at10 else None,
        "rss_anon_mb_end": round(rss_end[1], 1),
        "rss_anon_growth_pct": growth(1),
        "rss_file_mb_10s": round(at10[3][2], 1) if at10 else None,
        "rss_file_mb_end": round(rss_end[2], 1),
        "open_sessions_10s": at10[5] if at10 else None,
        "open_sessions_end": open_end,
        "thread_cpu_s": {k.split("/")[0]: round(v, 1) for k, v in cpu_end.items()},
        "cpu_bound_events_per_s": round(ev_end / busiest) if busiest else None,
    }


def main():
    ap = argparse.ArgumentParser(prog="tools/bench load")
    ap.add_argument("--sessions", type=int, default=6000000,
                    help="sessions in the generated capture (6M: 84.8M requests, 26 GB, enough for 60 s at 1.2M/s)")
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--baseline-seconds", type=float, default=None,
                    help="one-thread run length (default: --seconds; 0: skip it, "
                         "e.g. to watch memory of the parallel run only)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--nostore-seconds", type=float, default=None,
                    help="length of the control run without the store (default: "
                         "--seconds; 0: skip it)")
    ap.add_argument("--build", default=os.environ.get("RT_BENCH_BUILD", "build/release"))
    a = ap.parse_args()
    base_s = a.baseline_seconds if a.baseline_seconds is not None else a.seconds

    d = "var/bench-load"
    os.makedirs(d, exist_ok=True)
    stem = f"{d}/s{a.sessions}-d{a.days}-seed{a.seed}"
    cap, secrets = stem + ".pcap", stem + ".secrets"
    if not os.path.exists(cap):
        sh([f"{a.build}/tools/rt-gen", "--seed", str(a.seed), "--sessions", str(a.sessions),
            "--days", str(a.days), "--out", cap + ".tmp", "--truth", "/dev/null",
            "--secrets", secrets, "--summary", stem + ".summary.json"])
        os.rename(cap + ".tmp", cap)
    else:
        print(f"==> cached capture {cap}", flush=True)
    with open(stem + ".summary.json") as f:
        gen = json.load(f)
    retain = f"{a.build}/tools/retain"

    nostore_s = a.nostore_seconds if a.nostore_seconds is not None else a.seconds

    def ingest(store, threads):
        return [retain, "ingest", cap, "--store", store, "--secrets", secrets,
                "--threads", str(threads), "--progress", "-q"]

    load0 = os.getloadavg()[0]
    base = None
    if base_s > 0:
        base = summarize(run("1 thread", ingest(stem + ".store1", 1), stem + ".store1",
                             base_s), base_s)
    par = summarize(run(f"{a.threads} threads", ingest(stem + ".store2", a.threads),
                        stem + ".store2", a.seconds), a.seconds)
    nostore = None
    if nostore_s > 0:
        st = stem + ".store3"
        nostore = summarize(run(f"{a.threads} threads, NO STORE (bench control)",
                                [f"{a.build}/tools/bench-load-nostore", cap, secrets, st,
                                 str(a.threads)], st, nostore_s), nostore_s)
    load1 = os.getloadavg()[0]
    if (base_s > 0 and not base) or not par:
        print("tools/bench load: an ingest run gave no samples", file=sys.stderr)
        return 1
    out = {
        "capture_packets": gen["packets"],
        "capture_accounting_requests": gen["accounting_requests"],
        "capture_bytes": gen["capture_bytes"],
        "threads": a.threads,
        "events_per_s": par["events_per_s"],
        "events_per_s_min_5s": par["events_per_s_min_5s"],
        "rss_mb_10s": par["rss_mb_10s"],
        "rss_mb_end": par["rss_mb_end"],
        "rss_growth_pct": par["rss_growth_pct"],
        "rss_mb_peak_10_20s": par["rss_mb_peak_10_20s"],
        "rss_mb_peak_last_10s": par["rss_mb_peak_last_10s"],
        "rss_peak_growth_pct": par["rss_peak_growth_pct"],
        "rss_anon_mb_10s": par["rss_anon_mb_10s"],
        "rss_anon_mb_end": par["rss_anon_mb_end"],
        "rss_anon_growth_pct": par["rss_anon_growth_pct"],
        "rss_file_mb_10s": par["rss_file_mb_10s"],
        "rss_file_mb_end": par["rss_file_mb_end"],
        "open_sessions_10s": par["open_sessions_10s"],
        "open_sessions_end": par["open_sessions_end"],
        "window_s": par["seconds"],
        "baseline_events_per_s": base["events_per_s"] if base else None,
        "speedup": round(par["events_per_s"] / base["events_per_s"], 3) if base else None,
        "cpu_bound_events_per_s": par["cpu_bound_events_per_s"],
        "baseline_cpu_bound_events_per_s": base["cpu_bound_events_per_s"] if base else None,
        "thread_cpu_s": par["thread_cpu_s"],
        "baseline": base,
        "no_store_control": nostore,
        "loadavg_before_after": [round(load0, 2), round(load1, 2)],
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
