#!/usr/bin/env python3
"""retaind's config parser through `retaind --check-config` (control/config.c):
a table of configs, each accepted or refused with the line and the reason.

A key given twice, or an indented continuation line after any key but
[dpdk] eal (inih hands it over as the same key again), is refused: either
would silently drop the first value.  The error names the first bad line
and that line's own reason, even when later lines are bad too.  [dpdk]
bridge port pairs are compared blank-trimmed, as the worker reads them
(`p0 : p0` is one port on both sides).  The [dpdk] rows run only when
retaind is built with DPDK."""
import os
import sys
from rtlib import *

RETAIND = os.environ.get("RETAIND")
if not RETAIND:
    print("skip: needs RETAIND")
    sys.exit(77)

d = tmpdir()
BASE = f"[store]\ndir = {d}\n[listener]\nlisten = 127.0.0.1:1813\n"

# (name, config text after BASE, None: accepted, else (line, text in the error))
CASES = [
    ("base", "", None),
    ("secrets", "[capture]\nsecrets = /etc/a\n", None),
    ("secrets continued", "[capture]\nsecrets = /etc/a\n   /etc/b\n",
     (7, "[capture] secrets: a continuation line")),
    ("secrets twice in a row", "[capture]\nsecrets = /etc/a\nsecrets = /etc/b\n",
     (7, "[capture] secrets: a continuation line")),
    ("listen twice", "[capture]\nsecrets = /etc/a\n[listener]\nlisten = 127.0.0.1:1814\n",
     (8, "[listener] listen given twice")),
    ("commit_ms continued", "[capture]\ncommit_ms = 50\n  0\n",
     (7, "[capture] commit_ms: a continuation line")),
    # the first bad line and its own reason, not a later line's
    ("first of two bad lines", "[capture]\ncommit_ms = 0\ncolour = red\n",
     (6, "bad value for [capture] commit_ms")),
    ("syntax then bad key", "[capture]\nnot an ini line\ncolour = red\n",
     (6, "not a valid INI line")),
    ("bad key then syntax", "[capture]\ncolour = red\nnot an ini line\n",
     (6, "unknown setting [capture] colour")),
]
DPDK_CASES = [
    ("eal continued", "[dpdk]\neal = -l 0 --no-huge\n  --vdev=net_null0\n"
     "  --vdev=net_null1\nmode = bridge\nports = net_null0:net_null1\n", None),
    ("pairs", "[dpdk]\nmode = bridge\nports = p0:p1, p2 : p3\n", None),
    ("eal again later", "[dpdk]\neal = -l 0\nmode = mirror\neal = --no-huge\n",
     (8, "[dpdk] eal given twice")),
    ("ports continued", "[dpdk]\nmode = bridge\nports = p0:p1,\n   p2:p3\n",
     (8, "[dpdk] ports: a continuation line")),
    ("A:A with blanks", "[dpdk]\nmode = bridge\nports = p0 : p0\n", (0, "pairs A:B")),
    ("empty side with blanks", "[dpdk]\nmode = bridge\nports = p0:p1, :p3\n",
     (0, "pairs A:B")),
    ("blank side", "[dpdk]\nmode = bridge\nports = p0:\t\n", (0, "pairs A:B")),
]

probe = os.path.join(d, "probe.conf")
with open(probe, "w") as f:
    f.write(BASE + "[dpdk]\nmode = mirror\n")
p = run([RETAIND, "--config", probe, "--check-config"], expect=None)
if "without DPDK" in p.stderr:
    print("config: retaind built without DPDK: [dpdk] rows skipped")
else:
    check(p.returncode == 0, f"[dpdk] mode = mirror refused: {p.stderr.strip()}")
    CASES += DPDK_CASES

for k, (name, body, want) in enumerate(CASES):
    conf = os.path.join(d, f"c{k}.conf")
    with open(conf, "w") as f:
        f.write(BASE + body)
    p = run([RETAIND, "--config", conf, "--check-config"], expect=None)
    err = p.stderr.strip()
    if want is None:
        check(p.returncode == 0, f"{name}: refused: {err}")
        continue
    line, text = want
    where = f"{conf}:{line}: " if line else f"{conf}: "
    check(p.returncode == 1, f"{name}: exit {p.returncode}, expected 1 ({err})")
    check(err.startswith("retaind: " + where) and text in err,
          f"{name}: expected '{where}...{text}...', got: {err}")
print(f"config: {len(CASES)} configs")
finish("config")
