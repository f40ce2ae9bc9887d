/*
 * proto_reply_decode: what the CLI reads from a daemon (maybe another
 * version, maybe not a daemon at all). Any bytes give a reply or a message;
 * a decoded reply encodes and decodes again.
 */
#include <stdint.h>
#include <string.h>

#include "clm/proto.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clm_reply	*reply = NULL, *again = NULL;
	char			*cause = NULL, *line, *json;
	size_t			 len;

	if (proto_reply_decode((const char *)data, size, &reply,
	    &cause) != 0) {
		FUZZ_CHECK(reply == NULL, "reply set on failure");
		FUZZ_CHECK(cause != NULL && *cause != '\0', "no cause");
		free(cause);
		return 0;
	}
	FUZZ_CHECK(reply != NULL, "no reply");
	FUZZ_CHECK(reply->ok || (reply->code != NULL &&
	    reply->message != NULL), "error reply without code/message");

	line = proto_reply_encode(reply);
	len = strlen(line);
	FUZZ_CHECK(len > 0 && line[len - 1] == '\n', "no newline");
	FUZZ_CHECK(memchr(line, '\n', len - 1) == NULL, "newline inside");
	if (proto_reply_decode(line, len - 1, &again, &cause) != 0)
		FUZZ_CHECK(0, "re-encoded reply does not decode: %s\n%s",
		    cause, line);
	FUZZ_CHECK(again->ok == reply->ok, "ok changed");
	FUZZ_CHECK(again->more == reply->more, "more changed");
	FUZZ_CHECK(again->nworkers == reply->nworkers, "nworkers changed");
	FUZZ_CHECK((again->spec == NULL) == (reply->spec == NULL),
	    "spec appeared or vanished");
	/* What clm list --json and clm describe --json print. */
	json = proto_workers_json(reply->workers, reply->nworkers);
	free(json);
	if (reply->spec != NULL) {
		json = proto_describe_json(reply->spec, reply->workers,
		    reply->nworkers);
		free(json);
	}
	free(line);
	proto_reply_free(again);
	proto_reply_free(reply);
	return 0;
}
