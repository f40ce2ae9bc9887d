#!/bin/bash
# The one test command: build with -Werror into build/ and run every test
# (unit and end-to-end) with ctest; then build with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-asan/ and run them all again.
#
#   bash tests/run.sh                       # everything
#   CLM_SKIP_SANITIZE=1 bash tests/run.sh   # the normal build only
#   CTEST_ARGS="-R e2e/test_kill" bash tests/run.sh
#   CLM_BUILD_DIR=/tmp/b bash tests/run.sh  # build in /tmp/b and /tmp/b-asan
#
# Tests run one at a time: the end-to-end tests measure timings.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
jobs=$(nproc 2>/dev/null || echo 2)
build=${CLM_BUILD_DIR:-build}
asan=$build-asan
read -r -a ctest_args <<<"${CTEST_ARGS:-}"
failed=()

section() { printf '\n=== %s\n' "$*"; }

# run_suite DIR: ctest in DIR; records a failure instead of stopping.
run_suite() {
	if (cd "$1" && ctest --output-on-failure "${ctest_args[@]}"); then
		echo "--- $1: all tests passed"
	else
		failed+=("$1")
	fi
}

section "build (-DCLM_WERROR=ON) into $build/"
cmake -S . -B "$build" -DCLM_WERROR=ON
cmake --build "$build" -j"$jobs"
section "tests in $build/"
run_suite "$build"

if [ "${CLM_SKIP_SANITIZE:-0}" = 1 ]; then
	echo "CLM_SKIP_SANITIZE=1: skipping the sanitizer build"
else
	section "build (-DCLM_SANITIZE=ON) into $asan/"
	cmake -S . -B "$asan" -DCLM_WERROR=ON -DCLM_SANITIZE=ON
	cmake --build "$asan" -j"$jobs"

	# LeakSanitizer does not work everywhere (under ptrace, in some
	# sandboxes): check that it finds a known leak before relying on it.
	probe=$(mktemp -d /tmp/clm-lsan.XXXXXX)
	printf '%s\n' '#include <stdlib.h>' \
	    'void *volatile keep;' \
	    'int main(void) { keep = malloc(64); keep = 0; return 0; }' \
	    >"$probe/leak.c"
	leaks=0
	if ${CC:-cc} -fsanitize=address -g -o "$probe/leak" "$probe/leak.c" \
	    2>"$probe/cc.log"; then
		if ASAN_OPTIONS=detect_leaks=1 "$probe/leak" \
		    >"$probe/run.log" 2>&1; then
			:
		elif grep -q "detected memory leaks" "$probe/run.log"; then
			leaks=1
		fi
	fi
	if [ "$leaks" = 1 ]; then
		echo "LeakSanitizer works here: detect_leaks=1"
	else
		echo "NOTE: LeakSanitizer does not work in this environment" \
		    "(probe output below); running with detect_leaks=0"
		sed 's/^/  | /' "$probe/run.log" 2>/dev/null || true
	fi
	rm -rf "$probe"

	section "tests in $asan/ (detect_leaks=$leaks)"
	ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    run_suite "$asan"
fi

section "summary"
if [ "${#failed[@]}" -gt 0 ]; then
	echo "FAILED in: ${failed[*]}"
	exit 1
fi
echo "all tests passed"
