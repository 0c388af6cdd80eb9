# Shared by the syscall engine's tests: the command and helpers of this build tree, a private
# directory, and checks that name what they expected. Sourced; EARLYRANDOM comes from
# TEST_LOG_COMPILER, srcdir from automake.
set -u
E=${EARLYRANDOM:?EARLYRANDOM must name the earlyrandom command}
B=$(cd "$(dirname "$E")/../.." && pwd)/tests/seccomp
S=${srcdir:-.}/tests/seccomp
PROBE=$B/sc-probe
STATIC=$B/sc-probe-static
T=$(mktemp -d "${TMPDIR:-/tmp}/er-seccomp.XXXXXX")
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# Another process's /proc/PID/exe shows the emulator (qemu-user through binfmt_misc) where one
# runs this shell, which qemu hides from the process itself.
emulator=$(readlink "/proc/$$/exe" 2>/dev/null || true)
case ${emulator##*/} in qemu-*) ;; *) emulator= ;; esac

# The engine must be there, or every test here says why it skipped.
if ! "$E" --engine=seccomp -q true 2>"$T/why"; then
    [ -z "$emulator" ] || skip "emulated by $emulator, which implements neither seccomp(2) nor prctl(PR_SET_CHILD_SUBREAPER): $(tr "\n" " " <"$T/why")"
    skip "no seccomp user notification here: $(cat "$T/why")"
fi

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }
# expect_match WHAT TEXT PATTERN (grep -E)
expect_match() { printf '%s\n' "$2" | grep -Eq -- "$3" || fail "$1: '$2' does not match '$3'"; }

# records LOG [FIELD:VALUE]...: how many records hold every given "field":"value" (strings).
records() {
    local log=$1
    shift
    python3 - "$log" "$@" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if all(str(r.get(k)) == v for k, v in (a.split(':', 1) for a in sys.argv[2:])):
        n += 1
print(n)
PY
}

# wait_for WHAT COMMAND...: until COMMAND succeeds (60 s at most).
wait_for() {
    what=$1
    shift
    i=0
    until "$@"; do
        i=$((i + 1))
        [ $i -lt 600 ] || fail "timed out waiting for $what"
        sleep 0.1
    done
}
# hangs_at_least LOG N: the log holds N hang records (a call held past the hang timeout).
hangs_at_least() {
    n=$(grep -c '"event":"hang"' "$1" 2>/dev/null)
    [ "${n:-0}" -ge "$2" ]
}

# run_released LOG COMMAND...: runs COMMAND (output in $T/out) under the command with a pool that
# initializes only once its log shows a call held for 300 ms, so that a slow start on a loaded
# machine cannot let the init moment pass before the program asks. Returns COMMAND's status.
run_released() {
    log=$1
    shift
    rm -f "$T/ready" "$log"
    $E -q -r "$T/ready" -t 300ms -l "$log" "$@" >"$T/out" &
    released_pid=$!
    wait_for "a held call" hangs_at_least "$log" 1
    $E ready "$T/ready" || fail "earlyrandom ready"
    wait $released_pid
}

# at_least VERSION MINIMUM: VERSION (dotted numbers) is MINIMUM or later.
at_least() {
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

# need_vdso_kernel: skips unless the kernel is 6.11 or later, the first to serve getrandom from
# the vDSO; on an older one nothing bypasses the filter, so there is nothing to prove.
need_vdso_kernel() {
    kernel=$(uname -r)
    at_least "${kernel%%[!0-9.]*}" 6.11 ||
        skip "kernel $kernel is older than 6.11: no vDSO getrandom, every request is a system call"
}

# build_gorand: G, gorand.go built with this machine's Go (skips without one); GO_MINOR, its
# minor version (Go 1.24 is 24).
build_gorand() {
    command -v go >/dev/null 2>&1 || skip "no Go compiler (Debian's golang-go)"
    mkdir -p "$T/go"
    cp "$S/gorand.go" "$T/go/"
    (cd "$T/go" && GOCACHE="$T/go/cache" GOPATH="$T/go/path" GO111MODULE=off GOFLAGS= go build -o gorand gorand.go) ||
        fail "cannot build the Go program"
    G=$T/go/gorand
    GO_MINOR=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
}

# traced TRACE COMMAND...: runs COMMAND under strace -f (output in $T/out, $T/err), recording
# every process's execve, getrandom and mmap with raw numbers (the mmap flags as the filter reads
# them, whatever this strace can decode; getrandom's arguments in hex). Returns COMMAND's status.
traced() {
    trace=$1
    shift
    strace -f -qq -X raw -e raw=getrandom -e trace=execve,getrandom,mmap -o "$trace" "$@" >"$T/out" 2>"$T/err"
}

# syscalls TRACE PROGRAM WHAT: from strace's record, in the processes that ran PROGRAM (after
# their exec): 'getrandom', how many getrandom system calls they made ('getrandom:N': of N bytes);
# 'droppable', how many MAP_DROPPABLE mappings they got; 'refused', how many they were refused.
syscalls() {
    python3 - "$@" <<'PY'
import re, sys
trace, program, what = sys.argv[1:4]
what, _, size = what.partition(':')

def counted(call):
    """A getrandom of the size asked for, if one was."""
    a = re.match(r'getrandom\(([^,]*), ([^,]*),', call)
    return not size or (a is not None and int(a.group(2), 0) == int(size))
execd, n = set(), 0
pending = {}
for line in open(trace):
    m = re.match(r'(\d+)\s+(.*)', line)
    if not m:
        continue
    pid, rest = m.group(1), m.group(2)
    r = re.match(r'<\.\.\. (\w+) resumed>(.*)', rest)
    if r:  # a call another process's line interrupted: its start and its end joined
        name, rest = r.group(1), pending.pop(pid, '') + r.group(2)
    else:
        c = re.match(r'(\w+)\((.*)', rest)
        if not c:
            continue
        name = c.group(1)
        if rest.endswith('<unfinished ...>'):
            pending[pid] = rest[:-len('<unfinished ...>')]
            if name == 'getrandom' and pid in execd and what == 'getrandom' and counted(rest):
                n += 1
            continue
    ok = re.search(r'\)\s+= (0x[0-9a-f]+|\d+)', rest) is not None
    if name == 'execve':
        if ok and ('execve("%s"' % program) in rest:
            execd.add(pid)
        continue
    if pid not in execd:
        continue
    if name == 'getrandom' and what == 'getrandom' and not r and counted(rest):
        n += 1
    if name == 'mmap' and what in ('droppable', 'refused'):
        args = re.match(r'mmap\(([^,]*), ([^,]*), ([^,]*), ([^,]*),', rest)
        if args and int(args.group(4), 0) & 0x0f == 0x08:
            if (what == 'droppable') == ok:
                n += 1
print(n)
PY
}
