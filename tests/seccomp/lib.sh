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
