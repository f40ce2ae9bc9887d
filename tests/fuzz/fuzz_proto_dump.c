/*
 * proto_dump_decode: $CLM_HOME/dump.json, which clm resurrect and
 * clmd --resurrect read (maybe truncated, maybe edited by hand). Any bytes
 * give apps or a message; decoded apps encode and decode again.
 */
#include <stdint.h>
#include <string.h>

#include "clm/proto.h"
#include "fuzz_common.h"

static void
free_apps(struct clm_app_spec **apps, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		clm_app_spec_free(apps[i]);
	free(apps);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clm_app_spec	**apps = NULL, **again = NULL;
	size_t			  n = 0, n2 = 0, i;
	char			 *cause = NULL, *text;

	if (proto_dump_decode((const char *)data, size, &apps, &n, NULL,
	    &cause) != 0) {
		FUZZ_CHECK(cause != NULL && *cause != '\0', "no cause");
		FUZZ_CHECK(n == 0, "apps counted on failure");
		free(cause);
		free_apps(apps, n);
		return 0;
	}
	for (i = 0; i < n; i++)
		FUZZ_CHECK(apps[i] != NULL && apps[i]->name != NULL &&
		    apps[i]->script != NULL, "app %zu incomplete", i);

	text = proto_dump_encode(apps, n, NULL);
	if (proto_dump_decode(text, strlen(text), &again, &n2, NULL, &cause) != 0)
		FUZZ_CHECK(0, "re-encoded dump does not decode: %s\n%s",
		    cause, text);
	FUZZ_CHECK(n2 == n, "app count changed");
	for (i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(again[i]->name, apps[i]->name) == 0,
		    "name of app %zu changed", i);
	free(text);
	free_apps(again, n2);
	free_apps(apps, n);
	return 0;
}
