/*
 * A neutral tree of values: what a JSON or YAML document holds, without
 * the library that read it. proto.c makes one from JSON (proto_tree_decode),
 * ecosystem.c from YAML; ecosystem.c maps either to app specs. Scalars
 * keep their text ("3000", "true", "1.5"), so that a value reads the same
 * whichever format held it.
 */
#ifndef CLM_TREE_H
#define CLM_TREE_H

#include <stddef.h>

enum clm_tree_type {
	CLM_TREE_NULL,
	CLM_TREE_BOOL,		/* text: "true" or "false" */
	CLM_TREE_NUMBER,	/* text: "3000", "1.5" */
	CLM_TREE_STRING,
	CLM_TREE_ARRAY,
	CLM_TREE_OBJECT,	/* items have keys, in the document's order */
};

struct clm_tree {
	enum clm_tree_type	  type;
	char			 *key;		/* in an object; else NULL */
	char			 *text;		/* scalars; NULL for others */
	struct clm_tree		**items;	/* arrays and objects */
	size_t			  n;
};

struct clm_tree *clm_tree_new(enum clm_tree_type, const char *text);
/* Append item (owned from then on) to an array or object. */
void clm_tree_add(struct clm_tree *, struct clm_tree *item);
void clm_tree_free(struct clm_tree *);
/* An object's item by key (the last one if repeated), or NULL. */
const struct clm_tree *clm_tree_get(const struct clm_tree *, const char *key);
/* "an object", "a string" ... for messages. */
const char *clm_tree_type_name(enum clm_tree_type);

#endif
