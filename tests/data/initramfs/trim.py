#!/usr/bin/env python3
"""Cuts a scripts/boot-vm --initramfs boot down to the initramfs's part, for the parser tests.

Usage: trim.py BOOT_DIR OUT_DIR

trace.txt keeps the header, every exec up to PID 1's exec of /sbin/init (the real root's init),
and of each process before it its first two getrandom calls, each with its exit; dmesg.txt keeps
the kernel's first line and its 'crng init done'.
"""
import re
import sys

boot, out = sys.argv[1:3]
CALLS_KEPT = 2
line_re = re.compile(r"^\s*.+-(\d+)\s+\[\d+\]\s+\S+\s+[0-9.]+: (.*)$")
kept, calls, open_enter = [], {}, {}
for line in open(f"{boot}/trace.txt", encoding="utf-8", errors="replace"):
    if line.startswith("#"):
        kept.append(line)
        continue
    m = line_re.match(line)
    if not m:
        continue
    tid, event = int(m.group(1)), m.group(2)
    if event.startswith("sched_process_exec"):
        kept.append(line)
        if "filename=/sbin/init pid=1 " in event:
            break
    elif event.startswith("sys_getrandom("):
        calls[tid] = calls.get(tid, 0) + 1
        open_enter[tid] = calls[tid] <= CALLS_KEPT
        if open_enter[tid]:
            kept.append(line)
    elif event.startswith("sys_getrandom ->") and open_enter.pop(tid, False):
        kept.append(line)
with open(f"{out}/trace.txt", "w", encoding="utf-8") as f:
    f.writelines(kept)
dmesg = open(f"{boot}/dmesg.txt", encoding="utf-8", errors="replace").read().splitlines(True)
with open(f"{out}/dmesg.txt", "w", encoding="utf-8") as f:
    f.writelines([dmesg[0]] + [l for l in dmesg if "random: crng init done" in l])
