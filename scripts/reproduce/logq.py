"""Reads earlyrandom's JSON Lines logs for the reproduction scenarios (see lib.sh).

    logq.py show LOG                 one readable line per record
    logq.py count LOG EXPR           how many records match EXPR
    logq.py max LOG FIELD EXPR       the largest FIELD among matching records (0 when none)
    logq.py first LOG FIELD EXPR     FIELD of the first matching record ('' when none)

EXPR is a Python expression over a record's fields, e.g. 'api == "getentropy" and action == "block"';
a field the record lacks reads as None. Standard library only, so any python3 >= 3.6 runs it.
"""
import json
import sys


class Record(dict):
    def __missing__(self, key):
        return None


def records(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield Record(json.loads(line))
                except ValueError:
                    continue
    except FileNotFoundError:
        return


def matching(path, expr):
    code = compile(expr, "<expr>", "eval")
    for r in records(path):
        if eval(code, {"__builtins__": {}}, r):
            yield r


def describe(r):
    what = r["api"] or "?"
    args = []
    if r["device"]:
        args.append(r["device"])
    if r["bytes"] is not None:
        args.append("%d bytes" % r["bytes"])
    if r["flags"] not in (None, "", "0") or (r["api"] or "").startswith("getrandom"):
        args.append(r["flags"] or "0")
    call = "%s(%s)" % (what, ", ".join(args))
    exe = (r["exe"] or "?").rsplit("/", 1)[-1]
    caller = r["caller"] or "?"
    if r["caller_symbol"]:
        caller += " " + r["caller_symbol"]
    if r["event"] == "kernel":
        return "%s: kernel: %s" % (exe, r["message"] or "?")
    if r["event"] == "hang":
        return "%s: HANG %s still waiting after %.0f ms, called from %s" % (
            exe, call, r["waited_ms"] or 0, caller)
    outcome = {
        "pass": "passed to the kernel",
        "block": "waited %.0f ms for init" % (r["waited_ms"] or 0),
        "weak": "got WEAK bytes at once",
        "eagain": "failed with EAGAIN at once",
        "einval": "failed with EINVAL",
        "interrupted": "interrupted after %.0f ms" % (r["waited_ms"] or 0),
        "abort": "aborted",
        "enosys": "failed with ENOSYS (no getrandom in this kernel)",
        "draw": "waited %.0f ms for the blocking pool" % (r["waited_ms"] or 0),
    }.get(r["action"], r["action"] or "?")
    return "%s: %s %s [pool %s, policy %s], called from %s" % (
        exe, call, outcome, r["pool"], r["policy"], caller)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, path = argv[1], argv[2]
    if cmd == "show":
        for r in records(path):
            print(describe(r))
    elif cmd == "count" and len(argv) == 4:
        print(sum(1 for _ in matching(path, argv[3])))
    elif cmd == "max" and len(argv) == 5:
        values = [r[argv[3]] for r in matching(path, argv[4]) if r[argv[3]] is not None]
        print("%.0f" % max(values) if values else 0)
    elif cmd == "first" and len(argv) == 5:
        for r in matching(path, argv[4]):
            print("" if r[argv[3]] is None else r[argv[3]])
            break
        else:
            print("")
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
