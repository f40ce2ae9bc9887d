#!/usr/bin/env bash
# The Debian package: cpack -G DEB in a build configured for /usr makes
# clm_VERSION_ARCH.deb with the binaries, the preloads, the units, the
# example clm.ini, the man pages (which render without warnings) and the
# bash completion (which completes verbs and options), and declares its
# dependencies.
#
# CLM_TEST_DEB_INSTALL=1 also debootstraps Debian 12 into a temp folder
# (minutes, ~100 MB from the mirror of apt's sources), installs the
# package there with `apt install ./clm_*.deb` and runs clm start and
# clm list inside it (chroot). CLM_PKG_BUILD_DIR reuses a build for /usr.
. "$(dirname "$0")/lib.sh"

for c in cpack dpkg-deb man; do
	command -v "$c" >/dev/null || { echo "SKIP: no $c"; exit 77; }
done

check "the package builds (a build for /usr, then cpack -G DEB)"
B=${CLM_PKG_BUILD_DIR:-$TEST_TMP/build}
if [ -z "${CLM_PKG_BUILD_DIR:-}" ]; then
	cmake -S "$CLM_SRC_DIR" -B "$B" -DCMAKE_INSTALL_PREFIX=/usr \
	    -DCLM_TESTS=OFF >"$TEST_TMP/cmake.log" 2>&1 ||
	    { tail -30 "$TEST_TMP/cmake.log"; fail "cmake for /usr failed"; }
fi
cmake --build "$B" -j2 >>"$TEST_TMP/cmake.log" 2>&1 ||
    { tail -30 "$TEST_TMP/cmake.log"; fail "the build for /usr failed"; }
(cd "$B" && rm -f clm_*.deb && cpack -G DEB) >"$TEST_TMP/cpack.log" 2>&1 ||
    { cat "$TEST_TMP/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$B"/clm_*_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no clm_VERSION_ARCH.deb in $B"
arch=$(dpkg --print-architecture)
assert_eq "$(basename "$deb")" "clm_0.1.0_$arch.deb" "the file name"
ok "$(basename "$deb")"

check "dpkg-deb -c lists every file"
files=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
for f in /usr/bin/clm /usr/bin/clmd \
    /usr/lib/$ma/clm/clm-exec /usr/lib/$ma/clm/clm-logd \
    /usr/lib/$ma/clm/clm-keeper /usr/lib/$ma/clm/libclm-preload.so \
    /usr/lib/$ma/clm/clm-node.js \
    /usr/lib/systemd/system/clm.service /usr/lib/systemd/system/clm.socket \
    /usr/share/clm/clm.ini /usr/share/doc/clm/examples/clm.ini \
    /usr/share/man/man1/clm.1 /usr/share/man/man8/clmd.8 \
    /usr/share/man/man5/clm.ini.5 \
    /usr/share/bash-completion/completions/clm \
    /etc/profile.d/clm-completion.sh; do
	assert_contains "$files" "$f" "the package's files"
done
ok "binaries, preloads, units, example, man pages, completion"

check "dpkg-deb -I declares the dependencies"
info=$(dpkg-deb -I "$deb")
for d in libuv1 libcjson1 libinih1; do
	assert_contains "$info" "$d" "Depends"
done
ok "$(echo "$info" | grep Depends:)"

check "the man pages render without warnings"
x=$TEST_TMP/x
dpkg-deb -x "$deb" "$x"
for p in man1/clm.1 man8/clmd.8 man5/clm.ini.5; do
	w=$(MANWIDTH=80 man --warnings -l "$x/usr/share/man/$p" 2>&1 >/dev/null)
	assert_eq "$w" "" "man --warnings -l $p"
done
page=$(MANWIDTH=80 man -l "$x/usr/share/man/man1/clm.1" 2>/dev/null)
for v in "clm start" "clm reload" "--kill-timeout" "CLM_HOME"; do
	assert_contains "$page" "$v" "clm(1)"
done
assert_contains "$(MANWIDTH=80 man -l "$x/usr/share/man/man5/clm.ini.5" \
    2>/dev/null)" "kill_timeout" "clm.ini(5)"
ok "clm(1), clmd(8), clm.ini(5)"

check "the bash completion completes verbs, options and app names"
comp=$x/usr/share/bash-completion/completions/clm
got=$(bash -c "source '$comp'; complete -p clm")
assert_eq "$got" "complete -F _clm clm" "complete -p clm"
got=$(bash -c "source '$comp'; COMP_WORDS=(clm st); COMP_CWORD=1; _clm;
    echo \"\${COMPREPLY[*]}\"")
assert_eq "$got" "start startup stop" "clm st<TAB>"
got=$(bash -c "source '$comp'; COMP_WORDS=(clm start --max-r); COMP_CWORD=2;
    _clm; echo \"\${COMPREPLY[*]}\"")
assert_eq "$got" "--max-restarts" "clm start --max-r<TAB>"
clm start "$FIXTURES/sleeper.sh" --name comp-app >/dev/null ||
    fail "clm start"
got=$(bash -c "source '$comp'; COMP_WORDS=(clm restart comp); COMP_CWORD=2;
    _clm; echo \"\${COMPREPLY[*]}\"")
assert_eq "$got" "comp-app" "clm restart comp<TAB> (asks the daemon)"
ok "verbs, options, app names"

if [ "${CLM_TEST_DEB_INSTALL:-0}" != 1 ]; then
	note "CLM_TEST_DEB_INSTALL=1 installs it in a debootstrapped Debian 12"
	exit 0
fi

check "apt install ./clm_*.deb in a fresh Debian 12 (debootstrap)"
command -v debootstrap >/dev/null || fail "no debootstrap (apt-get install debootstrap)"
[ "$(id -u)" = 0 ] || fail "debootstrap and chroot need root"
mirror=$(grep -hs '^URIs:.*debian$\|^deb .*debian ' /etc/apt/sources.list \
    /etc/apt/sources.list.d/* | grep -v security | head -1 |
    grep -o 'https\?://[^ ]*')
mirror=${mirror:-http://deb.debian.org/debian}
root=$TEST_TMP/root
t0=$(now_ms)
debootstrap --variant=minbase bookworm "$root" "$mirror" \
    >"$TEST_TMP/debootstrap.log" 2>&1 ||
    { tail -20 "$TEST_TMP/debootstrap.log"; fail "debootstrap"; }
t1=$(now_ms)
note "debootstrap: $(( (t1 - t0) / 1000 )) s"
cp "$deb" "$root/tmp/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc" || fail "mount proc"
trap 'umount "$root/proc" 2>/dev/null' EXIT
chroot "$root" /bin/sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q /tmp/$(basename "$deb") man-db" >"$TEST_TMP/apt.log" 2>&1 ||
    { tail -20 "$TEST_TMP/apt.log"; umount "$root/proc"; fail "apt install"; }
t2=$(now_ms)
note "apt install: $(( (t2 - t1) / 1000 )) s"
out=$(chroot "$root" /bin/bash -c 'export HOME=/root CLM_HOME=/tmp/clmh
	printf "#!/bin/sh\nexec sleep 1000\n" >/tmp/app.sh
	clm start /tmp/app.sh --name inroot && clm list &&
	man -w clm && bash -lc "complete -p clm"; rc=$?; clm kill; exit $rc' 2>&1)
rc=$?
umount "$root/proc"
trap - EXIT
echo "$out" | sed 's/^/    /'
assert_eq "$rc" 0 "clm start + clm list in the Debian 12 root"
assert_contains "$out" "inroot" "clm list there"
assert_contains "$out" "online" "clm list there"
assert_contains "$out" "complete -F _clm clm" "complete -p clm (login shell)"
ok "installed and ran in Debian 12 ($(( ($(now_ms) - t0) / 1000 )) s in all)"
