#!/usr/bin/env python3
"""Trims one boot of scripts/boot-vm (trace.txt, log.jsonl, dmesg.txt) to a parser test's size.

Usage: trim.py BOOT_DIR OUT_DIR [--after SECONDS] [--keep-pid1 N]

Both files lose the same calls, so that each trace call made outside glibc still has its
record, one for one, per thread and in order:
  - everything later than SECONDS (default 0.25) after the kernel log's 'crng init done';
  - PID 1's getrandom calls before init but its first and last N (default 40): each call's enter
    and exit lines, the library's own 1-byte GRND_NONBLOCK probe just before it, and its record.
The trace's header lines stay as the kernel wrote them (its entry counts are the untrimmed ones).
"""
import argparse
import json
import os
import re
import statistics
import sys

FLAGS = {"0": 0, "GRND_NONBLOCK": 1, "GRND_RANDOM": 2, "GRND_INSECURE": 4}
LINE = re.compile(r"^\s*.+-(\d+)\s+\[\d+\]\s+\S+\s+([0-9]+\.[0-9]+): (.*)$")

ap = argparse.ArgumentParser()
ap.add_argument("boot")
ap.add_argument("out")
ap.add_argument("--after", type=float, default=0.25)
ap.add_argument("--keep-pid1", type=int, default=40)
a = ap.parse_args()

crng = None
dmesg = open(os.path.join(a.boot, "dmesg.txt")).read()
m = re.search(r"^\[\s*([0-9.]+)\] random: crng init done", dmesg, re.M)
if not m:
    sys.exit("trim.py: no 'crng init done' in dmesg.txt")
crng = float(m.group(1))
cut = crng + a.after

trace = open(os.path.join(a.boot, "trace.txt")).read().splitlines(keepends=True)
calls = {}  # tid -> list of [enter_index, exit_index, t, len, flags]
for i, line in enumerate(trace):
    if line.startswith("#"):
        continue
    m = LINE.match(line)
    if not m:
        continue
    tid, t, ev = int(m.group(1)), float(m.group(2)), m.group(3)
    if ev.startswith("sys_getrandom("):
        f = re.search(r"len: ([0-9a-f]+), flags: ([0-9a-f]+)", ev)
        calls.setdefault(tid, []).append([i, None, t, int(f.group(1), 16), int(f.group(2), 16)])
    elif ev.startswith("sys_getrandom ->"):
        calls[tid][-1][1] = i

records = [json.loads(l) for l in open(os.path.join(a.boot, "log.jsonl"))]
by_tid = {}
for r in records:
    if r.get("api") == "getrandom":
        by_tid.setdefault(r["tid"], []).append(r)

# The library's records match the calls that are neither its own probe nor glibc's internal
# 8-byte GRND_NONBLOCK requests (malloc's tcache key, mkstemp's name), in order per thread.
match = {}  # id(record) -> call
for tid, recs in by_tid.items():
    program_calls = [c for c in calls.get(tid, []) if (c[3], c[4]) not in ((1, 1), (8, 1))]
    for r, c in zip(recs, program_calls):
        if (r["bytes"], FLAGS.get(r["flags"], -1)) != (c[3], c[4]):
            sys.exit(f"trim.py: tid {tid}: record {r} does not match the trace's call {c}")
        match[id(r)] = c
offset = statistics.median(c[2] - r["boot_ms"] / 1000 for r in records if id(r) in match for c in [match[id(r)]])

drop_lines = set()
drop_records = set()
pid1 = [c for c in calls.get(1, []) if c[2] < crng]
pid1_program = [c for c in pid1 if (c[3], c[4]) not in ((1, 1), (8, 1))]
middle = pid1_program[a.keep_pid1 : len(pid1_program) - a.keep_pid1]
for c in middle:
    k = pid1.index(c)
    drop_lines.update((c[0], c[1]))
    if k > 0 and (pid1[k - 1][3], pid1[k - 1][4]) == (1, 1):
        drop_lines.update((pid1[k - 1][0], pid1[k - 1][1]))
middle_ids = {id(c) for c in middle}
for r in records:
    c = match.get(id(r))
    if c is not None and id(c) in middle_ids:
        drop_records.add(id(r))

os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "trace.txt"), "w") as f:
    for i, line in enumerate(trace):
        if i in drop_lines:
            continue
        m = LINE.match(line)
        if m and float(m.group(2)) > cut:
            continue
        f.write(line)
kept = 0
with open(os.path.join(a.out, "log.jsonl"), "w") as f, open(os.path.join(a.boot, "log.jsonl")) as src:
    for r, line in zip(records, src):
        if id(r) in drop_records:
            continue
        c = match.get(id(r))
        t = c[2] if c is not None else r["boot_ms"] / 1000 + offset
        if t > cut:
            continue
        f.write(line)
        kept += 1
with open(os.path.join(a.out, "dmesg.txt"), "w") as f:
    f.write(dmesg)
print(f"crng init done {crng:.6f} s, cut at {cut:.6f} s (trace time), trace - boot_ms = {offset * 1000:+.1f} ms; "
      f"PID 1: dropped {len(middle)} of {len(pid1_program)} calls before init; log: {kept} of {len(records)} records kept; "
      f"{len(match)} of {sum(len(v) for v in by_tid.values())} getrandom records matched a trace call")
