/*
 * A tiny unit-test framework. A test is
 *
 *	TEST(name)
 *	{
 *		ASSERT_EQ_INT(1 + 1, 2);
 *	}
 *
 * in any .c file of tests/unit; it registers itself before main() runs.
 * main.c runs each test in its own child process with a timeout, so a
 * crash or a hang fails that test only. A failed assertion prints
 * file:line and the values, and ends the test.
 */
#ifndef CLM_UNIT_H
#define CLM_UNIT_H

#include <stddef.h>
#include <string.h>

typedef void (*unit_fn)(void);

void unit_register(const char *name, unit_fn fn, const char *file, int line);
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
const char *unit_str(const char *s);	/* "(null)" for NULL */
/* spawn_start() of /bin/true, fds on /dev/null: its pid (test_spawn.c). */
int unit_spawn_true(void);
/* Write a whole file with this mode (chmod'ed), or fail the test. */
void unit_write_file(const char *path, const char *text, unsigned mode);

#define TEST(name)							\
	static void unit_test_##name(void);				\
	__attribute__((constructor)) static void			\
	unit_register_##name(void)					\
	{								\
		unit_register(#name, unit_test_##name, __FILE__,	\
		    __LINE__);						\
	}								\
	static void unit_test_##name(void)

#define ASSERT_TRUE(c) do {						\
	if (!(c))							\
		unit_fail(__FILE__, __LINE__, "ASSERT_TRUE(%s)", #c);	\
} while (0)

#define ASSERT_FALSE(c) do {						\
	if (c)								\
		unit_fail(__FILE__, __LINE__, "ASSERT_FALSE(%s)", #c);	\
} while (0)

#define ASSERT_EQ_INT(a, b) do {					\
	long long unit_a_ = (long long)(a);				\
	long long unit_b_ = (long long)(b);				\
	if (unit_a_ != unit_b_)						\
		unit_fail(__FILE__, __LINE__,				\
		    "ASSERT_EQ_INT(%s, %s): %lld != %lld", #a, #b,	\
		    unit_a_, unit_b_);					\
} while (0)

#define ASSERT_EQ_STR(a, b) do {					\
	const char *unit_a_ = (a);					\
	const char *unit_b_ = (b);					\
	if ((unit_a_ == NULL) != (unit_b_ == NULL) ||			\
	    (unit_a_ != NULL && strcmp(unit_a_, unit_b_) != 0))		\
		unit_fail(__FILE__, __LINE__,				\
		    "ASSERT_EQ_STR(%s, %s): \"%s\" != \"%s\"", #a, #b,	\
		    unit_str(unit_a_), unit_str(unit_b_));		\
} while (0)

/* haystack contains needle */
#define ASSERT_CONTAINS(h, n) do {					\
	const char *unit_h_ = (h);					\
	const char *unit_n_ = (n);					\
	if (unit_h_ == NULL || strstr(unit_h_, unit_n_) == NULL)	\
		unit_fail(__FILE__, __LINE__,				\
		    "ASSERT_CONTAINS(%s, %s): \"%s\" lacks \"%s\"", #h,	\
		    #n, unit_str(unit_h_), unit_n_);			\
} while (0)

#define ASSERT_NULL(p) do {						\
	const void *unit_p_ = (p);					\
	if (unit_p_ != NULL)						\
		unit_fail(__FILE__, __LINE__,				\
		    "ASSERT_NULL(%s): %p", #p, unit_p_);		\
} while (0)

#define ASSERT_NOT_NULL(p) do {						\
	if ((p) == NULL)						\
		unit_fail(__FILE__, __LINE__,				\
		    "ASSERT_NOT_NULL(%s)", #p);				\
} while (0)

#endif
