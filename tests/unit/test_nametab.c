/* The table of names: put, get, delete, and lookups that stay O(1). */
#include <stdio.h>

#include "clm/nametab.h"
#include "unit.h"

#define N	20000

TEST(nametab_put_get_del)
{
	struct nametab	*t = nametab_new();
	char		 k[32];
	int		 i, v[N];

	for (i = 0; i < N; i++) {
		v[i] = i;
		snprintf(k, sizeof k, "s%d", i);
		nametab_put(t, k, &v[i]);
	}
	ASSERT_EQ_INT(nametab_count(t), N);
	for (i = 0; i < N; i++) {
		snprintf(k, sizeof k, "s%d", i);
		ASSERT_TRUE(nametab_get(t, k) == &v[i]);
	}
	ASSERT_TRUE(nametab_get(t, "nope") == NULL);
	/* Delete every other one: the rest is still found (backward shift
	 * leaves no entry behind a hole). */
	for (i = 0; i < N; i += 2) {
		snprintf(k, sizeof k, "s%d", i);
		nametab_del(t, k);
	}
	nametab_del(t, "nope");
	ASSERT_EQ_INT(nametab_count(t), N / 2);
	for (i = 0; i < N; i++) {
		snprintf(k, sizeof k, "s%d", i);
		ASSERT_TRUE(nametab_get(t, k) == (i % 2 ? &v[i] : NULL));
	}
	/* Replace a value; put back a deleted key. */
	nametab_put(t, "s1", &v[7]);
	nametab_put(t, "s0", &v[0]);
	ASSERT_TRUE(nametab_get(t, "s1") == &v[7]);
	ASSERT_TRUE(nametab_get(t, "s0") == &v[0]);
	ASSERT_EQ_INT(nametab_count(t), N / 2 + 1);
	nametab_free(t);
}

/* What made "delete all" of 5,000 apps quadratic was a linear search per
 * name: 20,000 lookups must look at about one slot each, not thousands. */
TEST(nametab_lookups_stay_constant)
{
	struct nametab	*t = nametab_new();
	char		 k[32];
	int		 i;

	for (i = 0; i < N; i++) {
		snprintf(k, sizeof k, "app-%d", i);
		nametab_put(t, k, t);
	}
	for (i = 0; i < N; i++) {
		snprintf(k, sizeof k, "app-%d", i);
		ASSERT_TRUE(nametab_get(t, k) == t);
	}
	ASSERT_TRUE(nametab_probes(t) < 3 * (uint64_t)N);
	nametab_free(t);
}
