# shellcheck shell=bash
# Shared helpers of the reproduction scenarios, sourced by each scripts/reproduce/NN-* script.
#
# What a scenario script gets from here:
#   ER          the earlyrandom command: $EARLYRANDOM when set (make check sets it), else the
#               build tree's build/plain/src/cli/earlyrandom after running scripts/build
#   PY          the Python interpreter: /usr/bin/python3 when it exists (a pyenv shim in PATH
#               would be slow and would show up in the logs), else python3 from PATH
#   TMPD        a private temporary directory, removed at exit (REPRODUCE_KEEP=1 keeps it);
#               nothing is ever written into the source tree
#   need PROG PACKAGE      install PACKAGE from Debian when PROG is missing, or skip (exit 77)
#   er NAME [OPTION]... -- COMMAND...
#               run COMMAND under earlyrandom with its JSON log in $TMPD/NAME.jsonl; sets RC
#               (exit status), MS (wall time in ms), LOG, OUT, ERR (files) and CMD (as shown)
#   expect_*    print PASS or FAIL with what was observed and what was expected
#   case_begin / case_end  group expectations into one row of the generated docs/scenarios.md
#               (case_begin TITLE POLICY [KERNEL]: the --kernel profile, "default" without one)
#   finish      print the verdict and exit 0 (all held), 1 (some failed)
# Exit statuses follow automake's test harness: 0 pass, 1 fail, 77 skip, 99 hard error.

set -uo pipefail

REPRODUCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$REPRODUCE_DIR/../.." && pwd)
SCENARIO_ID=$(basename "$0")

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/earlyrandom-$SCENARIO_ID.XXXXXX") || exit 99
if [ "${REPRODUCE_KEEP:-0}" = 1 ]; then
    trap 'echo "(temporary files kept in $TMPD)"' EXIT
else
    trap 'rm -rf "$TMPD"' EXIT
fi

passes=0
fails=0
case_fails=0
CASE_TITLE=
CASE_POLICY=
CASE_KERNEL=
CASE_CMD=

# ---------------------------------------------------------------- text

# Prints a heredoc as it is: the scenario's explanation in plain words.
say() { cat; }

# A section header for one case.
section() { printf '\n--- %s\n' "$*"; }

# Indents a file's lines (at most $2 of them, default 12) under a label.
show_file() {
    local label=$1 file=$2 max=${3:-12}
    [ -s "$file" ] || return 0
    printf '    %s:\n' "$label"
    head -n "$max" "$file" | sed 's/^/      | /'
    local n
    n=$(wc -l <"$file")
    [ "$n" -le "$max" ] || printf '      | ... (%d more lines)\n' $((n - max))
}

# ---------------------------------------------------------------- programs

# Installs a Debian package when this machine lacks it, if we may (root or password-less sudo,
# apt-get present, REPRODUCE_NO_INSTALL unset). Quiet unless it installs something.
install_package() {
    local pkg=$1 sudo=()
    [ "${REPRODUCE_NO_INSTALL:-0}" = 1 ] && return 1
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ "$(id -u)" -ne 0 ]; then
        sudo -n true >/dev/null 2>&1 || return 1
        sudo=(sudo -n)
    fi
    echo "(installing Debian package $pkg, which this scenario needs)"
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
    "${apt[@]}" install -y --no-install-recommends "$pkg" >/dev/null 2>&1 && return 0
    "${apt[@]}" update >/dev/null 2>&1
    "${apt[@]}" install -y --no-install-recommends "$pkg" >/dev/null 2>&1
}

# Ends the scenario as skipped because PROGRAM is missing: never counted as a pass.
skip() {
    echo "SKIP: $1 not installed"
    exit 77
}

# need PROGRAM PACKAGE: makes sure PROGRAM is in PATH, installing PACKAGE if it is not.
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    install_package "$2"
    hash -r
    command -v "$1" >/dev/null 2>&1 || skip "$1"
}

# The Python interpreter the scenarios use, both as a program under test and to read the logs.
if [ -x /usr/bin/python3 ]; then
    PY=/usr/bin/python3
else
    need python3 python3
    PY=$(command -v python3)
fi

# ---------------------------------------------------------------- what the programs here are
# The outcome of a scenario depends on the versions of the programs it runs (Debian 11, 12 and 13
# differ), so the expectations below are read from the programs themselves, never from the
# distribution's name.

# python_version: "3.11" for the interpreter the scenarios run.
python_version() { "$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

# python_has_mimalloc: true when the interpreter bundles mimalloc (CPython 3.13+, WITH_MIMALLOC in
# its build configuration), whose initialization seeds itself with
# syscall(SYS_getrandom, 32 bytes, GRND_NONBLOCK) at every start (Objects/mimalloc/prim/unix/prim.c,
# _mi_prim_random_buf), PYTHONHASHSEED or not.
python_has_mimalloc() {
    [ "$("$PY" -c 'import sysconfig; print(sysconfig.get_config_var("WITH_MIMALLOC") or 0)' 2>/dev/null)" = 1 ]
}

# openssl_seed_bytes VERSION: how many bytes OpenSSL VERSION ("1.1.1w", "3.0.19") asks
# getentropy for when it first seeds its DRBG. OpenSSL 3 takes the entropy and the nonce in one
# request, 256 + 128 bits (providers/implementations/rands/drbg.c, ossl_prov_drbg_instantiate:
# "min_entropy += drbg->strength / 2; min_entropylen += drbg->min_noncelen", per SP 800-90Ar1
# 9.1); OpenSSL 1.1.1 asks for the 256 bits of entropy only and makes its nonce from the time,
# the pid and a counter (crypto/rand/rand_lib.c, rand_drbg_get_nonce, rand_pool_add_nonce_data).
openssl_seed_bytes() {
    case $1 in
    0.* | 1.*) echo 32 ;;
    *) echo 48 ;;
    esac
}

# openssl_library_version: the version of the libcrypto that the openssl command runs with
# (OpenSSL 3 prints it as "(Library: OpenSSL 3.0.19 ...)", 1.1.1 prints its own version only).
openssl_library_version() {
    local v
    v=$(openssl version 2>/dev/null)
    case $v in
    *"(Library: OpenSSL "*) v=${v#*(Library: OpenSSL } ;;
    *) v=${v#OpenSSL } ;;
    esac
    echo "${v%% *}"
}

# node_openssl_version: the OpenSSL version node reports (process.versions.openssl): its bundled
# copy, or the system's libcrypto that Debian's node links.
node_openssl_version() { node -p 'process.versions.openssl' 2>/dev/null | sed 's/[-+].*//'; }

# node_links_system_libcrypto: true when node loads a shared libcrypto (Debian's nodejs) rather
# than carrying OpenSSL inside its own binary (nodejs.org and nodesource builds).
# (grep reads all of ldd's output: with -q it could stop early, and ldd's SIGPIPE fail the pipeline.)
node_links_system_libcrypto() { [ -n "$(ldd "$(command -v node)" 2>/dev/null | grep 'libcrypto\.so')" ]; }

# ssh_openssl_version: the OpenSSL version OpenSSH reports ("OpenSSH_8.4p1 ..., OpenSSL 1.1.1w").
ssh_openssl_version() { ssh -V 2>&1 | sed -n 's/.*OpenSSL \([0-9][^ ]*\).*/\1/p' | head -n 1; }

# imports_from_libc PROGRAM SYMBOL: true when PROGRAM's dynamic symbol table takes SYMBOL from a
# shared library (an undefined dynamic symbol), as opposed to a copy of its own.
imports_from_libc() {
    local path
    path=$(command -v "$1") || return 1
    if command -v readelf >/dev/null 2>&1; then
        readelf --dyn-syms -W "$path" 2>/dev/null | awk -v s="$2" '$7 == "UND" && ($8 == s || index($8, s "@") == 1) { found = 1 } END { exit !found }'
    else
        # .dynstr holds the names of imported symbols; a stripped binary's own functions are not there
        LC_ALL=C grep -aq -- "$2" "$path"
    fi
}

# The earlyrandom command.
if [ -n "${EARLYRANDOM:-}" ]; then
    ER=$EARLYRANDOM
else
    "$TOP/scripts/build" >/dev/null || { echo "ERROR: scripts/build failed"; exit 99; }
    ER=$TOP/build/plain/src/cli/earlyrandom
fi
[ -x "$ER" ] || { echo "ERROR: the earlyrandom command is not at $ER"; exit 99; }

# ---------------------------------------------------------------- running

now_ms() { date +%s%3N; }

# Quotes arguments the way a reader would type them.
quote_args() {
    local a out=
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then
            out+=" $a"
        else
            out+=" '${a//\'/\'\\\'\'}'"
        fi
    done
    printf '%s' "${out# }"
}

# Replaces this run's private paths with readable names in anything shown to the reader.
tidy() {
    local s=$1
    s=${s//$ER/earlyrandom}
    s=${s//$TMPD/\$DIR}
    printf '%s' "$s"
}

# er NAME [OPTION]... -- COMMAND [ARG]...: see the top of this file.
er() {
    local name=$1 t0
    shift
    LOG=$TMPD/$name.jsonl OUT=$TMPD/$name.out ERR=$TMPD/$name.err
    rm -f "$LOG"
    CMD="earlyrandom $(tidy "$(quote_args "$@")")"
    printf '\n  $ %s\n' "$CMD"
    t0=$(now_ms)
    "$ER" -q -l "$LOG" "$@" >"$OUT" 2>"$ERR" </dev/null
    RC=$?
    MS=$(($(now_ms) - t0))
    printf '    -> exit status %s after %s ms\n' "$RC" "$MS"
    [ -n "$CASE_TITLE" ] && [ -z "$CASE_CMD" ] && CASE_CMD=$CMD
    return 0
}

# Shows the program's output and what the log recorded about the last run.
# Optional: $1, $2 = how many output and log lines to show (default 6 and 12).
# shellcheck disable=SC2120
show_run() {
    show_file "its output" "$OUT" "${1:-6}"
    show_file "its error output" "$ERR" "${1:-6}"
    if [ -s "$LOG" ]; then
        "$PY" "$REPRODUCE_DIR/logq.py" show "$LOG" >"$LOG.txt"
        show_file "the log (one line per request)" "$LOG.txt" "${2:-12}"
    else
        echo "    the log is empty: no request for random bytes before init"
    fi
}

# Log queries over the last run's log (or LOG=FILE before the call); see logq.py.
log_count() { "$PY" "$REPRODUCE_DIR/logq.py" count "$LOG" "$1"; }
log_max() { "$PY" "$REPRODUCE_DIR/logq.py" max "$LOG" "$1" "$2"; }
log_first() { "$PY" "$REPRODUCE_DIR/logq.py" first "$LOG" "$1" "$2"; }

# ---------------------------------------------------------------- expectations

pass() { passes=$((passes + 1)); printf '    PASS: %s\n' "$*"; }
fail() { fails=$((fails + 1)); case_fails=$((case_fails + 1)); printf '    FAIL: %s\n' "$*"; }

# expect_status DESC WANTED: the last run's exit status.
expect_status() {
    if [ "$RC" -eq "$2" ]; then pass "$1 (exit status $RC, expected $2)"
    else fail "$1 (exit status $RC, expected $2)"; fi
}

# expect_ms DESC MIN [MAX]: the last run's wall time in ms ('' for no bound).
expect_ms() {
    local lo=${2:-} hi=${3:-} want
    if [ -n "$lo" ] && [ -n "$hi" ]; then want="between $lo and $hi ms"
    elif [ -n "$lo" ]; then want="at least $lo ms"
    else want="under $hi ms"; fi
    if { [ -z "$lo" ] || [ "$MS" -ge "$lo" ]; } && { [ -z "$hi" ] || [ "$MS" -lt "$hi" ]; }; then
        pass "$1 (took $MS ms, expected $want)"
    else
        fail "$1 (took $MS ms, expected $want)"
    fi
}

# er_released NAME PATTERN ARGS...: er, with a pool that becomes ready (the ready file, as a seed
# service would make it) only once the run's log holds a line matching PATTERN (grep -E): a
# request seen waiting or polling. A program that starts slowly on a loaded machine then still
# asks before the init moment, which a fixed -i could not promise.
er_released() {
    local name=$1 pattern=$2 ready watcher
    shift 2
    ready=$TMPD/$name.ready
    rm -f "$ready" "$TMPD/$name.jsonl"
    (
        for ((i = 0; i < 1200; i++)); do
            grep -qE -- "$pattern" "$TMPD/$name.jsonl" 2>/dev/null && break
            sleep 0.05
        done
        "$ER" ready "$ready" >/dev/null 2>&1 || : >"$ready"
    ) &
    watcher=$!
    er "$name" -r "$ready" "$@"
    kill "$watcher" 2>/dev/null
    wait "$watcher" 2>/dev/null
    return 0
}

# NEVER_INIT: the options of a run that must not wait. With a pool that never initializes, a
# program that finishes at all did not wait, whatever the machine's load made its start cost;
# one that waits gets the hang verdict (exit 124) instead of hanging the scenario.
NEVER_INIT=(-i never --fail-on-hang -t 20s)

# expect_not_held DESC: the last run (with NEVER_INIT) finished without a hang verdict.
expect_not_held() {
    if [ "$RC" -ne 124 ]; then pass "$1 (finished after $MS ms with a pool that never initializes)"
    else fail "$1 (held until the hang verdict after $MS ms)"; fi
}

# expect_log DESC EXPR [MIN [MAX]]: how many log records match EXPR (default: at least one).
expect_log() {
    local desc=$1 expr=$2 lo=${3:-1} hi=${4:-} n want
    n=$(log_count "$expr")
    if [ -z "$hi" ]; then want="at least $lo"
    elif [ "$lo" = "$hi" ]; then want="$lo"
    else want="$lo to $hi"; fi
    if [ "$n" -ge "$lo" ] && { [ -z "$hi" ] || [ "$n" -le "$hi" ]; }; then
        pass "$desc ($n matching log records, expected $want)"
    else
        fail "$desc ($n matching log records, expected $want: $expr)"
    fi
}

# expect_no_log DESC EXPR: no log record matches EXPR.
expect_no_log() { expect_log "$1" "$2" 0 0; }

# expect_grep DESC PATTERN FILE: an extended regular expression appears in FILE.
expect_grep() {
    local line
    line=$(grep -Eo -m1 -- "$2" "$3" 2>/dev/null | head -n1)
    if [ -n "$line" ]; then pass "$1 (found \"$(tidy "${line:0:100}")\")"
    else fail "$1 (no line matching /$2/ in $(tidy "$3"))"; fi
}

# expect_same DESC A B / expect_differ DESC A B: compare two observed values.
expect_same() {
    if [ -n "$2" ] && [ "$2" = "$3" ]; then pass "$1 (both end in ...${2: -16})"
    else fail "$1 (...${2: -16} vs ...${3: -16})"; fi
}
expect_differ() {
    if [ -n "$2" ] && [ -n "$3" ] && [ "$2" != "$3" ]; then pass "$1 (...${2: -16} vs ...${3: -16})"
    else fail "$1 (both are '...${2: -16}')"; fi
}

# ---------------------------------------------------------------- cases and the docs table

# record TYPE FIELD...: appends a tab-separated row to $REPRODUCE_RESULTS (set by 'all').
record() {
    [ -n "${REPRODUCE_RESULTS:-}" ] || return 0
    local IFS=$'\t' f fields=()
    for f in "$@"; do
        f=${f//$'\t'/ }
        fields+=("${f//$'\n'/ }")
    done
    printf '%s\n' "${fields[*]}" >>"$REPRODUCE_RESULTS"
}

# scenario TITLE SUMMARY: names the scenario for the generated docs.
scenario() {
    record T "$SCENARIO_ID" "$1" "$2"
}

# case_begin TITLE POLICY [KERNEL]: starts one row of the docs table.
case_begin() {
    CASE_TITLE=$1 CASE_POLICY=$2 CASE_KERNEL=${3:-default} CASE_CMD='' case_fails=0
    section "$1"
}

# case_end EXPECTED OBSERVED [MS]: ends the row; its verdict is whether every expectation held.
case_end() {
    local verdict=PASS
    [ "$case_fails" -eq 0 ] || verdict=FAIL
    printf '    expected: %s\n    observed: %s\n' "$1" "$2"
    record C "$SCENARIO_ID" "$CASE_TITLE" "$CASE_CMD" "$CASE_POLICY" "$CASE_KERNEL" "$1" "$2" \
        "${3:-$MS}" "$verdict"
    CASE_TITLE=
}

# finish: the verdict.
finish() {
    echo
    if [ "$fails" -eq 0 ]; then
        echo "VERDICT: PASS: all $passes expectations held ($SCENARIO_ID)"
        exit 0
    fi
    echo "VERDICT: FAIL: $fails of $((passes + fails)) expectations did not hold ($SCENARIO_ID)"
    exit 1
}
