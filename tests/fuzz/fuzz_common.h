/*
 * Shared bits of the libFuzzer targets (tests/fuzz/run.sh builds them with
 * clang -fsanitize=fuzzer,address,undefined). A check that fails aborts, so
 * that libFuzzer saves the input as a crash.
 */
#ifndef CLM_FUZZ_COMMON_H
#define CLM_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz check failed: %s: ", #cond);	\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

#endif
