#!/bin/sh
# secure-sandbox.sh LIBRARY HELPER MODE CONF: runs "HELPER secure" in secure execution, with the
# library loaded through /etc/ld.so.preload, as the unprivileged user nobody, and reports what the
# program saw and which log files appeared. Run inside a private mount namespace
# (unshare --mount --propagation private): everything it mounts (a tmpfs on /mnt, an overlay on
# /etc holding ld.so.preload and earlyrandom.conf) vanishes with the namespace, so the machine
# itself is never touched.
#   MODE  setuid | setgid | fcaps (a file capability) | plain (no privilege: the control)
#   CONF  none | root (/etc/earlyrandom.conf owned by root, 0644) | groupwritable (root, 0664)
#         | nobody (owned by nobody)
set -eu
lib=$1 helper=$2 mode=$3 conf=$4
fail() { echo "sandbox-error: $*"; exit 3; }

[ "$(id -u)" = 0 ] || fail "must run as root to build a setuid sandbox"
[ -d /mnt ] || fail "/mnt does not exist"
mount -t tmpfs -o mode=0755,suid,exec tmpfs /mnt ||
    fail "cannot mount a tmpfs in a private mount namespace (CAP_SYS_ADMIN missing?)"
mkdir /mnt/bin /mnt/lib /mnt/log /mnt/up /mnt/work
chmod 1777 /mnt/log
cp "$lib" /mnt/lib/libearlyrandom.so
cp "$helper" /mnt/bin/helper
chmod 0755 /mnt/lib/libearlyrandom.so /mnt/bin/helper
chown 0:0 /mnt/bin/helper
case $mode in
    setuid) chmod 4755 /mnt/bin/helper ;;
    setgid) chmod 2755 /mnt/bin/helper ;;
    fcaps)
        command -v setcap >/dev/null || fail "setcap is missing: install the Debian package libcap2-bin"
        setcap cap_net_bind_service+ep /mnt/bin/helper || fail "setcap failed on a tmpfs"
        ;;
    plain) ;;
    *) fail "unknown mode $mode" ;;
esac
mount -t overlay overlay -o lowerdir=/etc,upperdir=/mnt/up,workdir=/mnt/work /etc ||
    fail "cannot mount an overlay over /etc in the private namespace"

# A configuration named by the environment: it must be ignored in secure execution (if it were
# read, the pool would never initialize and the helper would be killed by its 2 s alarm).
printf 'policy = block\ninit_after = never\nlog = /mnt/log/evil.log\n' >/mnt/log/evil.conf
rm -f /etc/earlyrandom.conf
if [ "$conf" != none ]; then
    printf 'policy = eagain\nlog = /mnt/log/conf.log\n' >/etc/earlyrandom.conf
    chmod 0644 /etc/earlyrandom.conf
    case $conf in
        root) ;;
        groupwritable) chmod 0664 /etc/earlyrandom.conf ;;
        nobody) chown 65534:65534 /etc/earlyrandom.conf ;;
        *) fail "unknown configuration $conf" ;;
    esac
fi

# From here on every program in the namespace loads the library.
echo /mnt/lib/libearlyrandom.so >/etc/ld.so.preload
status=0
setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i EARLYRANDOM_POLICY=eagain EARLYRANDOM_LOG=/mnt/log/env.log EARLYRANDOM_INIT_AFTER=never \
    EARLYRANDOM_CONFIG=/mnt/log/evil.conf /mnt/bin/helper secure || status=$?
rm -f /etc/ld.so.preload

echo "helper-exit=$status"
for f in env conf evil; do
    if [ -e /mnt/log/$f.log ]; then
        echo "${f}log=present"
        sed "s/^/${f}log: /" /mnt/log/$f.log
    else
        echo "${f}log=absent"
    fi
done
