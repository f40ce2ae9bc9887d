/* Unit tests of src/common.c. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "clm/common.h"
#include "unit.h"

TEST(common_strv_helpers)
{
	char	**v = NULL, **d;
	char	 *src[] = { "a", "bb", NULL };

	ASSERT_EQ_INT(clm_strv_len(NULL), 0);
	ASSERT_NULL(clm_strv_dup(NULL));
	clm_strv_free(NULL);

	clm_strv_push(&v, "one");
	ASSERT_EQ_INT(clm_strv_len(v), 1);
	clm_strv_push(&v, "two");
	clm_strv_push(&v, "");
	ASSERT_EQ_INT(clm_strv_len(v), 3);
	ASSERT_EQ_STR(v[0], "one");
	ASSERT_EQ_STR(v[1], "two");
	ASSERT_EQ_STR(v[2], "");
	ASSERT_NULL(v[3]);

	d = clm_strv_dup(v);
	ASSERT_EQ_INT(clm_strv_len(d), 3);
	ASSERT_TRUE(d[0] != v[0]);	/* a deep copy */
	ASSERT_EQ_STR(d[1], "two");
	ASSERT_NULL(d[3]);
	clm_strv_free(v);
	clm_strv_free(d);

	d = clm_strv_dup(src);
	ASSERT_EQ_INT(clm_strv_len(d), 2);
	ASSERT_EQ_STR(d[1], "bb");
	clm_strv_free(d);
}

TEST(common_strdup_asprintf)
{
	char	*s;

	ASSERT_NULL(clm_strdup(NULL));
	s = clm_strdup("hello");
	ASSERT_EQ_STR(s, "hello");
	free(s);
	s = clm_strndup("hello", 3);
	ASSERT_EQ_STR(s, "hel");
	free(s);
	s = clm_strndup("hi", 10);
	ASSERT_EQ_STR(s, "hi");
	free(s);
	s = clm_asprintf("%s-%d", "web", 3);
	ASSERT_EQ_STR(s, "web-3");
	free(s);
	s = clm_malloc(0);
	ASSERT_NOT_NULL(s);
	free(s);
}

TEST(common_parse_int)
{
	long long	v = 99;

	ASSERT_EQ_INT(clm_parse_int("0", 0, 10, &v), 0);
	ASSERT_EQ_INT(v, 0);
	ASSERT_EQ_INT(clm_parse_int("10", 0, 10, &v), 0);
	ASSERT_EQ_INT(v, 10);
	ASSERT_EQ_INT(clm_parse_int("-1", -1, 10, &v), 0);
	ASSERT_EQ_INT(v, -1);
	ASSERT_EQ_INT(clm_parse_int("+7", 0, 10, &v), 0);
	ASSERT_EQ_INT(v, 7);

	v = 42;
	ASSERT_EQ_INT(clm_parse_int("11", 0, 10, &v), -1);	/* over max */
	ASSERT_EQ_INT(clm_parse_int("-2", -1, 10, &v), -1);	/* under min */
	ASSERT_EQ_INT(clm_parse_int("", 0, 10, &v), -1);
	ASSERT_EQ_INT(clm_parse_int(NULL, 0, 10, &v), -1);
	ASSERT_EQ_INT(clm_parse_int("-", -10, 10, &v), -1);
	ASSERT_EQ_INT(clm_parse_int("3x", 0, 10, &v), -1);
	ASSERT_EQ_INT(clm_parse_int("3 ", 0, 10, &v), -1);
	ASSERT_EQ_INT(clm_parse_int(" 3", 0, 10, &v), -1);
	ASSERT_EQ_INT(clm_parse_int("0x3", 0, 10, &v), -1);
	ASSERT_EQ_INT(clm_parse_int("1.0", 0, 10, &v), -1);
	ASSERT_EQ_INT(clm_parse_int("--1", -10, 10, &v), -1);
	ASSERT_EQ_INT(v, 42);	/* untouched on failure */

	ASSERT_EQ_INT(clm_parse_int("9223372036854775807", LLONG_MIN,
	    LLONG_MAX, &v), 0);
	ASSERT_EQ_INT(v, LLONG_MAX);
	ASSERT_EQ_INT(clm_parse_int("-9223372036854775808", LLONG_MIN,
	    LLONG_MAX, &v), 0);
	ASSERT_EQ_INT(v, LLONG_MIN);
	ASSERT_EQ_INT(clm_parse_int("9223372036854775808", LLONG_MIN,
	    LLONG_MAX, &v), -1);	/* overflow */
	ASSERT_EQ_INT(clm_parse_int("99999999999999999999999", LLONG_MIN,
	    LLONG_MAX, &v), -1);
}

TEST(common_clocks)
{
	uint64_t	a, b;

	a = clm_now_ms();
	b = clm_now_ms();
	ASSERT_TRUE(b >= a);
	/* Later than 2020-01-01 in wall-clock time. */
	ASSERT_TRUE(clm_wall_ms() > 1577836800000ULL);
}

/* A shared vector: one copy, freed with its last reference, however many
 * are shared at once (the table grows and shrinks). */
TEST(common_strv_share)
{
	char	**v = NULL, **w = NULL, **many[200];
	size_t	  i;

	clm_strv_push(&v, "A=1");
	clm_strv_push(&v, "B=2");
	w = clm_strv_dup(v);
	ASSERT_TRUE(clm_strv_eq(v, w));
	ASSERT_TRUE(clm_strv_eq(NULL, NULL));
	ASSERT_FALSE(clm_strv_eq(v, NULL));
	clm_strv_push(&w, "C=3");
	ASSERT_FALSE(clm_strv_eq(v, w));
	ASSERT_TRUE(clm_strv_share(v) == v);
	ASSERT_TRUE(clm_strv_share(v) == v);
	clm_strv_free(v);
	clm_strv_free(v);
	ASSERT_EQ_STR(v[1], "B=2");	/* one reference left */
	for (i = 0; i < 200; i++) {
		many[i] = clm_strv_dup(w);
		clm_strv_share(many[i]);
	}
	for (i = 0; i < 200; i++)
		clm_strv_free(many[i]);
	for (i = 0; i < 200; i++)
		ASSERT_EQ_STR(many[i][2], "C=3");
	for (i = 0; i < 200; i++)
		clm_strv_free(many[i]);
	clm_strv_free(v);		/* the last: freed (ASan: no leak) */
	clm_strv_free(w);
}
