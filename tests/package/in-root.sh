#!/bin/sh
# Runs inside a copy of a Debian root file system (see test-deb): installs the package, runs the
# demonstration with the installed paths, enables the boot audit, upgrades, removes and purges the
# package with the audit enabled, and checks after each step what a user of that machine would see.
# Usage: in-root.sh DEB LIBRARY VERSION DEMO WITHOUT
#   WITHOUT: a later version of the package that ships neither the command nor the library
set -eu

deb=$1 lib=$2 version=$3 demo=$4 without=$5
t=/tmp/earlyrandom-test
preload=/etc/ld.so.preload
conf=/etc/earlyrandom.conf
n=0

fail() { echo "in-root: FAIL: $*" >&2; exit 1; }
ok() { n=$((n + 1)); echo "in-root: ok $n - $*"; }
step() { printf '\nin-root: === %s\n' "$*"; }

# Every file and directory of the root with its type, mode and owner, but dpkg's own records of
# what it did (its status files and log, which say the package was there) and this test's files.
snapshot() {
    find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path "$t" -o -path /var/log/dpkg.log \
        -o -path /var/log/apt -o -path /var/cache/debconf -o -path /etc/ld.so.cache \
        -o -path /var/lib/dpkg/updates -o -path /var/lib/dpkg/triggers \
        -o -path '/var/lib/dpkg/status*' -o -path '/var/lib/dpkg/available*' \
        -o -path '/var/lib/dpkg/diversions*' -o -path '/var/lib/dpkg/statoverride*' \
        -o -path /var/lib/dpkg/lock -o -path /var/lib/dpkg/lock-frontend \) -prune -o \
        -printf '%p %y %m %u:%g\n' | LC_ALL=C sort >"$1"
    # /run is a tmpfs of its own (the audit's log is there): the same, walked on its own
    find /run -printf '%p %y %m %u:%g\n' | LC_ALL=C sort >>"$1"
}

# A program must start without a word from the loader: an /etc/ld.so.preload entry naming a file
# that is gone makes ld.so print "ERROR: ld.so: object ... cannot be preloaded" for every program.
loader_is_quiet() {
    /bin/true 2>"$t/loader.err"
    [ ! -s "$t/loader.err" ] || fail "$1: the loader complains: $(cat "$t/loader.err")"
}

is_installed() { dpkg-query -W -f='${Status}' earlyrandom 2>/dev/null | grep -q 'install ok installed'; }

step "the machine before: another preload library in $preload"
# Without this the checks that the loader is quiet would prove nothing.
echo /usr/lib/earlyrandom-test-no-such-library.so >"$preload"
/bin/true 2>"$t/loader.err"
grep -q 'cannot be preloaded' "$t/loader.err" || fail "control: the loader says nothing of a preload entry naming a missing file"
ok "control: the loader complains of an entry naming a missing file: $(cat "$t/loader.err")"
other=$(ls /usr/lib/*/libm.so.6 | head -n 1)
[ -f "$other" ] || fail "no libm.so.6 in the root"
# as on a machine with systemd, where 'audit enable' writes an entry for the log
mkdir -p /etc/tmpfiles.d
# the user's own entry, which every step must keep as it is
printf '%s\n' "$other" >"$preload"
cp "$preload" "$t/preload.before"
rm -f "$conf" "$conf.bak"
loader_is_quiet "before anything"
snapshot "$t/before1"

step "install"
dpkg -i "$deb" >"$t/install.out" 2>&1 || { cat "$t/install.out"; fail "dpkg -i $deb"; }
is_installed || fail "dpkg does not list earlyrandom as installed"
for f in /usr/bin/earlyrandom "$lib" /usr/share/man/man1/earlyrandom.1.gz \
    /usr/share/man/man7/libearlyrandom.7.gz /usr/share/bash-completion/completions/earlyrandom \
    /usr/share/doc/earlyrandom/copyright /usr/share/doc/earlyrandom/changelog.gz; do
    [ -f "$f" ] || fail "the package did not install $f"
done
[ -z "$(dpkg -L earlyrandom | grep '\.la$')" ] || fail "the package ships a libtool archive"
[ "$(earlyrandom --version)" = "earlyrandom $version" ] || fail "earlyrandom --version: $(earlyrandom --version)"
earlyrandom audit --help | grep -qF "$lib" || fail "'audit --help' does not name the installed library $lib as the default"
zcat /usr/share/man/man1/earlyrandom.1.gz | grep -qF '.B \-\-fail\-on\-hang' || fail "earlyrandom(1) is not the command's man page"
bash -c '. /usr/share/bash-completion/completions/earlyrandom && complete -p earlyrandom' | grep -q _earlyrandom ||
    fail "the bash completion does not register itself for earlyrandom"
ok "installed: the command, $lib, the man pages, the bash completion"

step "the demonstration, with the installed library"
EARLYRANDOM_LIBRARY=$lib bash "$demo" >"$t/demo.out" 2>&1 || { cat "$t/demo.out"; fail "the demonstration failed"; }
cat "$t/demo.out"
grep -q 'getrandom(24 bytes, GRND_NONBLOCK) pool uninitialized, block: failed at once with EAGAIN' "$t/demo.out" ||
    fail "python3 -c pass: no EAGAIN for its hash seed in the demonstration"
grep -q 'getrandom(16 bytes, 0) pool uninitialized, block: waited' "$t/demo.out" ||
    fail "os.urandom() did not wait for the simulated pool in the demonstration"
ok "the demonstration ran with $lib"

step "the command finds the installed library by itself"
set +e
env -u EARLYRANDOM_LIBRARY earlyrandom --fail-on-hang -t 1s -- python3 -c 'import os; os.urandom(8)' \
    >"$t/hang.out" 2>&1
rc=$?
set -e
cat "$t/hang.out"
[ $rc -eq 124 ] || fail "earlyrandom --fail-on-hang exited $rc, not 124"
grep -q 'getrandom' "$t/hang.out" || fail "the hang report does not name getrandom"
ok "earlyrandom --fail-on-hang stopped python3 with 124, the library found in its installed place"

step "enable the boot audit (with a file log: this root has no journald to hold the default's records)"
earlyrandom audit enable --log /run/earlyrandom.log
earlyrandom audit status >"$t/status.out"
cat "$t/status.out"
grep -q '^earlyrandom audit: enabled in /$' "$t/status.out" || fail "audit status does not say enabled"
[ "$(tr ':\t' '\n\n' <"$preload" | grep -v '^$' | tr '\n' ' ')" = "$other $lib " ] ||
    fail "$preload is not the user's entry then ours: $(cat "$preload")"
grep -q '^f /run/earlyrandom.log 0622 root root' /etc/tmpfiles.d/earlyrandom-audit.conf ||
    fail "audit enable wrote no tmpfiles.d entry for its log"
shuf -i 1-9 -n 1 >/dev/null
grep -q '"exe":"/usr/bin/shuf"' /run/earlyrandom.log || fail "the audit did not log shuf in /run/earlyrandom.log"
loader_is_quiet "audit enabled"
ok "audit enabled: $lib preloaded after $other, shuf logged in /run/earlyrandom.log"

step "upgrade (the same version again) with the audit enabled"
dpkg -i "$deb" >"$t/upgrade.out" 2>&1 || { cat "$t/upgrade.out"; fail "dpkg -i again"; }
cat "$t/upgrade.out"
grep -q 'earlyrandom audit: disabled' "$t/upgrade.out" || fail "the prerm did not disable the audit before the upgrade"
grep -q 'earlyrandom audit: enabled' "$t/upgrade.out" || fail "the postinst did not enable the audit again"
earlyrandom audit status | grep -q '^earlyrandom audit: enabled in /$' || fail "the audit is not enabled after the upgrade"
grep -q '^log = /run/earlyrandom.log$' "$conf" || fail "the audit's log changed in the upgrade: $(cat "$conf")"
[ ! -e /run/earlyrandom-reenable-audit ] || fail "the postinst left its marker"
loader_is_quiet "after the upgrade"
ok "the upgrade kept the audit enabled, with its log"

step "remove with the audit enabled"
dpkg -r earlyrandom >"$t/remove.out" 2>&1 || { cat "$t/remove.out"; fail "dpkg -r"; }
cat "$t/remove.out"
[ ! -e "$lib" ] || fail "$lib is still there"
if [ -e "$preload" ]; then
    cmp -s "$preload" "$t/preload.before" ||
        fail "$preload is not as the user had it: $(cat "$preload") (was: $(cat "$t/preload.before"))"
else
    fail "$preload is gone with the user's own entry"
fi
loader_is_quiet "after removing the package"
[ ! -e "$conf" ] || fail "$conf is left after the removal"
[ ! -e /etc/tmpfiles.d/earlyrandom-audit.conf ] || fail "the tmpfiles.d entry is left after the removal"
ok "removed: $preload holds the user's entry only, the loader is quiet"

step "purge"
dpkg -P earlyrandom >"$t/purge.out" 2>&1 || { cat "$t/purge.out"; fail "dpkg -P"; }
cat "$t/purge.out"
[ ! -e /run/earlyrandom.log ] || fail "the purge left the audit's log /run/earlyrandom.log"
[ ! -e /var/lib/earlyrandom ] || fail "the purge left /var/lib/earlyrandom"
snapshot "$t/after1"
diff -u "$t/before1" "$t/after1" || fail "the purge left the root different from before the install (above)"
ok "purged: the root holds the same files as before the install"

step "purge at once, with the audit enabled over the user's own $conf and another log"
printf 'policy = fallback\n# the user'"'"'s own settings\n' >"$conf"
cp "$conf" "$t/conf.before"
printf '%s: \n' "$other" >"$preload"   # a colon and a space: separators glibc accepts
cp "$preload" "$t/preload.before"
snapshot "$t/before2"
dpkg -i "$deb" >"$t/install2.out" 2>&1 || { cat "$t/install2.out"; fail "dpkg -i (second)"; }
earlyrandom audit enable --log /var/log/earlyrandom-audit.log
[ -f "$conf.bak" ] || fail "audit enable did not keep the user's $conf as $conf.bak"
dd if=/dev/urandom of=/dev/null bs=16 count=1 status=none
grep -q '"exe":"/usr/bin/dd"' /var/log/earlyrandom-audit.log || fail "the audit did not log dd"
dpkg -P earlyrandom >"$t/purge2.out" 2>&1 || { cat "$t/purge2.out"; fail "dpkg -P (second)"; }
cat "$t/purge2.out"
cmp -s "$preload" "$t/preload.before" || fail "$preload is not as the user had it: $(cat "$preload")"
cmp -s "$conf" "$t/conf.before" || fail "$conf is not the user's own again: $(cat "$conf")"
loader_is_quiet "after purging the package"
snapshot "$t/after2"
diff -u "$t/before2" "$t/after2" || fail "the purge left the root different from before the install (above)"
ok "purged at once: the user's $conf and $preload are back, the log and the .bak are gone"

step "upgrade, with the audit enabled, to a version without the command and the library"
rm -f "$conf"
printf '%s\n' "$other" >"$preload"
cp "$preload" "$t/preload.before"
snapshot "$t/before3"
dpkg -i "$deb" >"$t/install3.out" 2>&1 || { cat "$t/install3.out"; fail "dpkg -i (third)"; }
earlyrandom audit enable >/dev/null
dpkg -i "$without" >"$t/without.out" 2>&1 || { cat "$t/without.out"; fail "dpkg -i $without"; }
cat "$t/without.out"
[ ! -e "$lib" ] && [ ! -e /usr/bin/earlyrandom ] || fail "the version without the library left $lib or the command"
cmp -s "$preload" "$t/preload.before" || fail "$preload is not as the user had it: $(cat "$preload")"
loader_is_quiet "after the upgrade to a version without the library"
[ ! -e "$conf" ] || fail "$conf is left while nothing preloads the library"
[ ! -e /etc/tmpfiles.d/earlyrandom-audit.conf ] || fail "the tmpfiles.d entry is left while nothing preloads the library"
[ ! -e /var/lib/earlyrandom ] || fail "/var/lib/earlyrandom is left for a version that cannot use it"
dpkg -P earlyrandom >"$t/purge3.out" 2>&1 || { cat "$t/purge3.out"; fail "dpkg -P (third)"; }
snapshot "$t/after3"
# That version's purge knows nothing of the audit: what is left must be in /run, gone at boot.
diff "$t/before3" "$t/after3" | grep '^[<>]' | grep -v '^> /run/' >"$t/left3" || true
[ ! -s "$t/left3" ] || { cat "$t/left3"; fail "the upgrade left more than volatile files in /run (above)"; }
ok "the upgrade to a version without the library disabled the audit first; what is left is in /run: $(diff "$t/before3" "$t/after3" | grep '^>' | cut -d' ' -f2 | tr '\n' ' ')"

echo "in-root: all $n checks passed"
