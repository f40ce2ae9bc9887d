/* A neutral tree of values (JSON, YAML). See tree.h. */
#include <stdlib.h>
#include <string.h>

#include "clm/common.h"
#include "clm/tree.h"

struct clm_tree *
clm_tree_new(enum clm_tree_type type, const char *text)
{
	struct clm_tree	*t = clm_calloc(1, sizeof *t);

	t->type = type;
	t->text = clm_strdup(text);
	return t;
}

void
clm_tree_add(struct clm_tree *t, struct clm_tree *item)
{
	t->items = clm_realloc(t->items, (t->n + 1) * sizeof *t->items);
	t->items[t->n++] = item;
}

void
clm_tree_free(struct clm_tree *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		clm_tree_free(t->items[i]);
	free(t->items);
	free(t->key);
	free(t->text);
	free(t);
}

const struct clm_tree *
clm_tree_get(const struct clm_tree *t, const char *key)
{
	size_t	i;

	if (t == NULL || t->type != CLM_TREE_OBJECT)
		return NULL;
	for (i = t->n; i > 0; i--) {
		if (strcmp(t->items[i - 1]->key, key) == 0)
			return t->items[i - 1];
	}
	return NULL;
}

const char *
clm_tree_type_name(enum clm_tree_type type)
{
	static const char *const names[] = {
		[CLM_TREE_NULL] = "null",
		[CLM_TREE_BOOL] = "a boolean",
		[CLM_TREE_NUMBER] = "a number",
		[CLM_TREE_STRING] = "a string",
		[CLM_TREE_ARRAY] = "an array",
		[CLM_TREE_OBJECT] = "an object",
	};

	return names[type];
}
