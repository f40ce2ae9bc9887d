/*
 * proto_request_decode: any bytes give a request or an error with a stable
 * code and a message; a decoded request encodes to a line that decodes
 * again to the same command (what clmd reads, the CLI can have written).
 */
#include <stdint.h>
#include <string.h>

#include "clm/proto.h"
#include "fuzz_common.h"

static const char *const codes[] = {
	CLM_E_PROTO, CLM_E_BADREQ, CLM_E_TOOBIG, CLM_E_INVAL, NULL
};

static int
known_code(const char *code)
{
	size_t	i;

	for (i = 0; codes[i] != NULL; i++) {
		if (strcmp(code, codes[i]) == 0)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clm_request	*req = NULL, *again = NULL;
	const char		*code = NULL;
	char			*cause = NULL, *line;
	size_t			 len;

	if (proto_request_decode((const char *)data, size, &req, &code,
	    &cause) != 0) {
		FUZZ_CHECK(req == NULL, "request set on failure");
		FUZZ_CHECK(code != NULL && known_code(code),
		    "code %s", code ? code : "(null)");
		FUZZ_CHECK(cause != NULL && *cause != '\0', "no cause");
		free(cause);
		return 0;
	}
	FUZZ_CHECK(req != NULL && req->cmd != NULL, "no request or cmd");
	FUZZ_CHECK(req->version == CLM_PROTOCOL_VERSION, "version %d",
	    req->version);

	line = proto_request_encode(req);
	len = strlen(line);
	FUZZ_CHECK(len > 0 && line[len - 1] == '\n', "no newline");
	FUZZ_CHECK(memchr(line, '\n', len - 1) == NULL, "newline inside");
	code = NULL;
	cause = NULL;
	if (proto_request_decode(line, len - 1, &again, &code, &cause) != 0)
		FUZZ_CHECK(0, "re-encoded request does not decode: %s: %s\n%s",
		    code, cause, line);
	FUZZ_CHECK(strcmp(again->cmd, req->cmd) == 0, "cmd changed");
	FUZZ_CHECK((again->target == NULL) == (req->target == NULL),
	    "target appeared or vanished");
	FUZZ_CHECK(again->target == NULL ||
	    strcmp(again->target, req->target) == 0, "target changed");
	FUZZ_CHECK((again->spec == NULL) == (req->spec == NULL),
	    "spec appeared or vanished");
	FUZZ_CHECK(again->napps == req->napps, "napps changed");
	FUZZ_CHECK(again->count == req->count, "count changed");
	free(line);
	proto_request_free(again);
	proto_request_free(req);
	return 0;
}
