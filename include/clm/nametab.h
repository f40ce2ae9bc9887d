/*
 * A table of names: string keys (copied) to pointers, found in constant
 * time. For what clmd looks up by name among thousands (apps), where a
 * linear search per name makes "for every name, find it" quadratic.
 */
#ifndef CLM_NAMETAB_H
#define CLM_NAMETAB_H

#include "clm/common.h"

struct nametab;

struct nametab	*nametab_new(void);
void		 nametab_free(struct nametab *);
/* Map key to value (a copy of key is kept; an old value is replaced). */
void		 nametab_put(struct nametab *, const char *key, void *value);
/* The value of key, or NULL. */
void		*nametab_get(const struct nametab *, const char *key);
void		 nametab_del(struct nametab *, const char *key);
size_t		 nametab_count(const struct nametab *);
/* Slots looked at by every nametab_get so far (tests check it stays
 * about one a lookup). */
uint64_t	 nametab_probes(const struct nametab *);

#endif
