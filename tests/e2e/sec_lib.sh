# Sourced by tests/e2e/test_sec_*.sh after lib.sh: clmd runs as root and
# apps run as nobody, so everything nobody runs (clm's binaries and
# preload, the fixtures) is copied to a folder nobody can read, under the
# test's temp dir (the clone may be in a 0700 folder such as /root/clm).
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $TEST_NAME: needs root (apps run as nobody)"
	exit 0
fi
chmod 755 "$TEST_TMP"
SEC_BIN=$TEST_TMP/bin
mkdir -p "$SEC_BIN"
for f in clm clmd clm-exec clm-logd libclm-preload.so clm-node.js; do
	[ -e "$CLM_BIN_DIR/$f" ] && cp "$CLM_BIN_DIR/$f" "$SEC_BIN/"
done
chmod 755 "$SEC_BIN" "$SEC_BIN"/*
CLM_BIN_DIR=$SEC_BIN
# Interpreters nobody can run: the system's, not a pyenv shim under /root.
export CLM_BIN_DIR PATH="$SEC_BIN:/usr/bin:/bin:$PATH"
SEC_FIX=$TEST_TMP/fix
mkdir -p "$SEC_FIX"
cp "$FIXTURES"/*.py "$FIXTURES"/*.js "$FIXTURES"/*.sh "$SEC_FIX/"
chmod 755 "$SEC_FIX"
chmod 644 "$SEC_FIX"/*

# as_nobody CMD...: run CMD as nobody:nogroup without supplementary groups.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

# err_log APP [SLOT]: the worker's error log.
err_log() { cat "$CLM_HOME/logs/$1-${2:-0}-err.log" 2>/dev/null; }
out_log() { cat "$CLM_HOME/logs/$1-${2:-0}-out.log" 2>/dev/null; }
out_has() { out_log "$1" | grep -q -- "$2"; }

# free_priv_port: a privileged port (below 1000) nothing listens on now.
free_priv_port() {
	"$PY" -c '
import socket
for p in range(990, 500, -1):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()'
}

# answers PORT N: GET / N times, one connection each; print each body.
answers() {
	"$PY" - "$1" "$2" <<'PY'
import sys, urllib.request
for _ in range(int(sys.argv[2])):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1],
                                    timeout=3) as r:
            print(r.read().decode().strip())
    except Exception as e:
        print("failed:", type(e).__name__)
PY
}

# SEC_KEEP_GOING=1: report every failed assertion and go on (to see which
# checks fail on an old build); the test still fails at the end.
if [ -n "${SEC_KEEP_GOING:-}" ]; then
	SEC_FAILED=0
	fail() {
		echo "FAIL(continued): $TEST_NAME: $*" >&2
		SEC_FAILED=$((SEC_FAILED + 1))
	}
	sec_done() { [ "$SEC_FAILED" = 0 ] || { echo "FAIL: $SEC_FAILED checks" >&2; exit 1; }; }
	# lib.sh's wait_until goes on polling after fail: give up instead.
	wait_until() {
		local deadline_ms=$(($(now_ms) + ${1%.*} * 1000))
		shift
		until "$@" >/dev/null 2>&1; do
			if [ "$(now_ms)" -ge "$deadline_ms" ]; then
				fail "timed out waiting for: $*"
				return 1
			fi
			sleep 0.05
		done
	}
else
	sec_done() { :; }
fi
