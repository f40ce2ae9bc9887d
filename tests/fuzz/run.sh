#!/bin/bash
# Build the libFuzzer targets and run each for a bounded time.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 30); TARGETs default to all of them:
# proto_request_decode proto_reply_decode proto_dump_decode
# config_load_apps config_load_daemon channel_parse.
# Needs clang (Debian: apt-get install clang) and the -dev packages of
# cJSON, inih and libuv. Builds in $FUZZ_BUILD (default /tmp/clm-fuzz);
# what the fuzzer learns goes to $FUZZ_BUILD/corpus/TARGET (the seeds in
# tests/fuzz/corpus/TARGET are only read); a crash is saved as
# $FUZZ_BUILD/artifacts/TARGET-crash-... (until the next run of TARGET)
# and makes the script exit 1.
# Reproduce one with: $FUZZ_BUILD/fuzz_TARGET FILE
set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SECS=${1:-30}
shift 2>/dev/null
ALL="proto_request_decode proto_reply_decode proto_dump_decode \
config_load_apps config_load_daemon channel_parse"
TARGETS=${*:-$ALL}
FUZZ_BUILD=${FUZZ_BUILD:-/tmp/clm-fuzz}
CC=${FUZZ_CC:-clang}

case "$SECS" in
''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (apt-get install clang)" >&2
	exit 1
fi

# Each target is its fuzz_*.c linked with libclm-fuzz.a: every src/*.c
# built with the sanitizers (coverage too), so that the targets follow
# whatever the decoders come to need. Only the objects a target uses are
# linked in.
target_src() {
	case "$1" in
	proto_request_decode) echo fuzz_proto_request.c ;;
	proto_reply_decode) echo fuzz_proto_reply.c ;;
	proto_dump_decode) echo fuzz_proto_dump.c ;;
	config_load_apps) echo fuzz_config_apps.c ;;
	config_load_daemon) echo fuzz_config_daemon.c ;;
	channel_parse) echo fuzz_channel.c ;;
	*) return 1 ;;
	esac
}
target_maxlen() {
	case "$1" in
	channel_parse) echo 1024 ;;
	*) echo 16384 ;;
	esac
}

CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE \
-DCLM_DATADIR=\"/usr/local/share/clm\" -DCLM_PKGLIBDIR=\"/usr/local/lib/clm\" \
-Wall -Wextra -Wno-unused-parameter -fno-sanitize-recover=all \
-fno-omit-frame-pointer -I$SRC/include -I$HERE \
$(pkg-config --cflags libcjson inih libuv 2>/dev/null)"
LIBS=$(pkg-config --libs libcjson inih libuv 2>/dev/null || echo "-lcjson -linih -luv")

mkdir -p "$FUZZ_BUILD/artifacts" "$FUZZ_BUILD/obj" || exit 1

echo "=== build libclm-fuzz.a from src/*.c"
rm -f "$FUZZ_BUILD"/obj/*.o "$FUZZ_BUILD/libclm-fuzz.a"
export CC CFLAGS FUZZ_BUILD
# shellcheck disable=SC2016
if ! printf '%s\n' "$SRC"/src/*.c | xargs -P "$(nproc 2>/dev/null || echo 2)" \
    -I{} sh -c '$CC $CFLAGS -fsanitize=fuzzer-no-link,address,undefined \
    -c "$1" -o "$FUZZ_BUILD/obj/$(basename "$1" .c).o" ||
    echo "fuzz: $1 does not build (targets that need it will fail)" >&2' \
    _ {}; then
	echo "fuzz: building src/*.c failed" >&2
fi
ar rcs "$FUZZ_BUILD/libclm-fuzz.a" "$FUZZ_BUILD"/obj/*.o || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for t in $TARGETS; do
	srcs=$(target_src "$t") || {
		echo "fuzz: unknown target '$t' (targets: $ALL)" >&2
		exit 2
	}
	bin=$FUZZ_BUILD/fuzz_$t
	echo "=== $t: build"
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS -fsanitize=fuzzer,address,undefined -o "$bin" \
	    "$HERE/$srcs" "$FUZZ_BUILD/libclm-fuzz.a" $LIBS; then
		echo "FAIL: $t: does not build" >&2
		failed+=("$t(build)")
		continue
	fi
	work=$FUZZ_BUILD/corpus/$t
	mkdir -p "$work"
	rm -f "$FUZZ_BUILD/artifacts/$t-"*	# a previous run's crashes
	echo "=== $t: fuzz for ${SECS}s"
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
	    -max_len="$(target_maxlen "$t")" -print_final_stats=1 \
	    -artifact_prefix="$FUZZ_BUILD/artifacts/$t-" \
	    "$work" "$HERE/corpus/$t" >"$FUZZ_BUILD/$t.log" 2>&1
	rc=$?
	grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
	    "$FUZZ_BUILD/$t.log" | sed 's/^/  /'
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: $t: fuzzer exit $rc; log $FUZZ_BUILD/$t.log:" >&2
		grep -E -A 40 'ERROR|runtime error|fuzz check failed|deadly signal' \
		    "$FUZZ_BUILD/$t.log" | head -n 60 >&2
		ls "$FUZZ_BUILD/artifacts/$t-"* 2>/dev/null | sed 's/^/  input: /' >&2
		failed+=("$t")
	else
		echo "  ok: $t"
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "FAIL: fuzz: ${failed[*]}"
	exit 1
fi
echo "PASS: fuzz ($TARGETS, ${SECS}s each)"
