# Sourced by the tests/e2e/test_pm2_*.sh after lib.sh: the PM2 fixtures
# (tests/fixtures/pm2) copied to $proj, with free ports: web's instances
# listen on $base..$base+ncpu-1 (increment_var PORT), jobs on $jobs_port.
# The .js reads them from the environment, the .json and .yaml get them
# written in.

proj=$TEST_TMP/proj
mkdir -p "$proj"
cp "$FIXTURES"/pm2/* "$proj/"
ncpu=$(nproc)

# ports_free FIRST N: nothing listens on FIRST..FIRST+N-1 now.
ports_free() {
	"$PY" -c '
import socket, sys
for p in range(int(sys.argv[1]), int(sys.argv[1]) + int(sys.argv[2])):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        sys.exit(1)
    finally:
        s.close()' "$1" "$2"
}
while :; do
	base=$(free_port)
	[ "$base" -lt 60000 ] && ports_free "$base" "$ncpu" && break
done
while :; do
	jobs_port=$(free_port)
	{ [ "$jobs_port" -lt "$base" ] ||
	    [ "$jobs_port" -ge $((base + ncpu)) ]; } && break
done
export PM2T_WEB_PORT=$base PM2T_JOBS_PORT=$jobs_port
sed -i "s/@WEB_PORT@/$base/; s/@JOBS_PORT@/$jobs_port/" \
    "$proj/ecosystem.json" "$proj/ecosystem.yaml"

# clm_in DIR ARGS...: capture `clm ARGS` run from DIR.
clm_in() {
	local dir=$1
	shift
	capture bash -c 'cd "$1" && shift && exec "$@"' _ "$dir" \
	    timeout -k 5 "$CLM_CMD_TIMEOUT" "$CLM_BIN_DIR/clm" "$@"
}
