/* A table of names: open addressing, linear probing, at most half full. */
#include <stdlib.h>
#include <string.h>

#include "clm/nametab.h"

struct slot {
	char	*key;		/* NULL: empty */
	void	*value;
};

struct nametab {
	struct slot	*slots;
	size_t		 cap;		/* a power of two */
	size_t		 count;
	uint64_t	 probes;
};

#define NAMETAB_MIN	16

static size_t
nametab_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 29));
}

struct nametab *
nametab_new(void)
{
	struct nametab	*t = clm_calloc(1, sizeof *t);

	t->cap = NAMETAB_MIN;
	t->slots = clm_calloc(t->cap, sizeof *t->slots);
	return t;
}

void
nametab_free(struct nametab *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++)
		free(t->slots[i].key);
	free(t->slots);
	free(t);
}

/* The slot of key, or the empty slot where it would go. */
static struct slot *
nametab_find(const struct nametab *t, const char *key, uint64_t *probes)
{
	size_t	i = nametab_hash(key) & (t->cap - 1);

	for (;;) {
		(*probes)++;
		if (t->slots[i].key == NULL ||
		    strcmp(t->slots[i].key, key) == 0)
			return &t->slots[i];
		i = (i + 1) & (t->cap - 1);
	}
}

static void
nametab_grow(struct nametab *t)
{
	struct slot	*old = t->slots, *s;
	size_t		 i, oldcap = t->cap;
	uint64_t	 unused = 0;

	t->cap *= 2;
	t->slots = clm_calloc(t->cap, sizeof *t->slots);
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		s = nametab_find(t, old[i].key, &unused);
		*s = old[i];
	}
	free(old);
}

void
nametab_put(struct nametab *t, const char *key, void *value)
{
	struct slot	*s;
	uint64_t	 unused = 0;

	if ((t->count + 1) * 2 > t->cap)
		nametab_grow(t);
	s = nametab_find(t, key, &unused);
	if (s->key == NULL) {
		s->key = clm_strdup(key);
		t->count++;
	}
	s->value = value;
}

void *
nametab_get(const struct nametab *t, const char *key)
{
	struct nametab	*w = (struct nametab *)t;	/* the probe count */

	return nametab_find(t, key, &w->probes)->value;
}

void
nametab_del(struct nametab *t, const char *key)
{
	struct slot	*s;
	size_t		 i, j, home;
	uint64_t	 unused = 0;

	s = nametab_find(t, key, &unused);
	if (s->key == NULL)
		return;
	free(s->key);
	s->key = NULL;
	s->value = NULL;
	t->count--;
	/* Backward shift: move up every entry of the run that the hole
	 * would hide from its home slot (no tombstones). */
	i = (size_t)(s - t->slots);
	for (j = (i + 1) & (t->cap - 1); t->slots[j].key != NULL;
	    j = (j + 1) & (t->cap - 1)) {
		home = nametab_hash(t->slots[j].key) & (t->cap - 1);
		/* j's entry may stay unless its home is cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j].key = NULL;
		t->slots[j].value = NULL;
		i = j;
	}
}

size_t
nametab_count(const struct nametab *t)
{
	return t->count;
}

uint64_t
nametab_probes(const struct nametab *t)
{
	return t->probes;
}
