#!/bin/bash
# The app's loader variables never run as root (issue 21, finding 2): an
# app with user = nobody and env.LD_PRELOAD / env.LD_AUDIT naming a
# library: its constructor runs only as nobody (in the app), never in
# clm-exec as root before the user switch; the app still gets its own
# LD_PRELOAD (with clm's preload) and LD_LIBRARY_PATH.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sec_lib.sh"

command -v cc >/dev/null || fail "no C compiler (cc) to build the test library"
evil=$TEST_TMP/evil
mkdir -p "$evil"
chmod 755 "$evil"
: >"$evil/evil.log"
chmod 666 "$evil/evil.log"
cat >"$evil/evil.c" <<C
#include <stdio.h>
#include <unistd.h>
static void record(const char *what)
{
	FILE *f = fopen("$evil/evil.log", "a");
	char comm[64] = "";
	FILE *c = fopen("/proc/self/comm", "r");
	if (c) { if (!fgets(comm, sizeof comm, c)) comm[0] = 0; fclose(c); }
	if (f) { fprintf(f, "%s uid=%d euid=%d comm=%s", what, (int)getuid(),
	    (int)geteuid(), comm); fclose(f); }
}
__attribute__((constructor)) static void ctor(void) { record("ctor"); }
unsigned la_version(unsigned v) { record("audit"); return v; }
C
cc -shared -fPIC -o "$evil/evil.so" "$evil/evil.c" || fail "cannot build evil.so"
chmod 755 "$evil/evil.so"

cat >"$TEST_TMP/apps.ini" <<INI
[preloaded]
script = $SEC_FIX/u_whoami.sh
user = nobody
env.LD_PRELOAD = $evil/evil.so
env.LD_LIBRARY_PATH = $evil

[audited]
script = $SEC_FIX/u_whoami.sh
user = nobody
env.LD_AUDIT = $evil/evil.so
INI
check "an app's LD_PRELOAD and LD_AUDIT run only as nobody"
capture clm start "$TEST_TMP/apps.ini"
show_capture
assert_eq "$RC" 0 "clm start exit status"
wait_until 20 out_has preloaded "uid="
wait_until 20 out_has audited "uid="
log=$(cat "$evil/evil.log")
echo "$log" | sed 's/^/  evil.log| /'
assert_not_contains "$log" "uid=0 " "a constructor run as root"
assert_not_contains "$log" "euid=0 " "a constructor run with euid 0"
assert_contains "$log" "ctor uid=$(id -u nobody) " "the app got its LD_PRELOAD"
assert_contains "$log" "audit uid=$(id -u nobody) " "the app got its LD_AUDIT"

check "the app sees its LD_PRELOAD (after clm's) and LD_LIBRARY_PATH, no CLM_EXEC_ names"
pid=$(pid_of preloaded 0)
env=$(tr '\0' '\n' <"/proc/$pid/environ")
assert_contains "$env" "LD_LIBRARY_PATH=$evil" "LD_LIBRARY_PATH"
assert_contains "$(echo "$env" | grep '^LD_PRELOAD=')" "libclm-preload.so:$evil/evil.so" "LD_PRELOAD"
assert_not_contains "$env" "CLM_EXEC_" "renamed variables left"
sec_done
