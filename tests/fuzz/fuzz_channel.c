/*
 * channel_parse: what a worker sends on its notify channel (untrusted: any
 * program the user runs, and anything it runs).
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "clm/channel.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct channel_msg	msg;
	enum channel_kind	kind;

	kind = channel_parse((const char *)data, size, &msg);
	FUZZ_CHECK(kind == msg.kind, "returned %d, stored %d", kind,
	    msg.kind);
	switch (kind) {
	case CHANNEL_BIND:
		FUZZ_CHECK(msg.addr.host != NULL, "BIND without host");
		FUZZ_CHECK(msg.addr.family == AF_INET ||
		    msg.addr.family == AF_INET6, "family %d", msg.addr.family);
		FUZZ_CHECK(msg.addr.port >= 1 && msg.addr.port <= 65535,
		    "port %d", msg.addr.port);
		FUZZ_CHECK(strlen(msg.addr.host) < 64, "host too long");
		free(msg.addr.host);
		break;
	case CHANNEL_INVALID:
	case CHANNEL_LISTEN:
	case CHANNEL_READY:
	case CHANNEL_IGNORED:
		FUZZ_CHECK(msg.addr.host == NULL, "host set for kind %d",
		    kind);
		break;
	default:
		FUZZ_CHECK(0, "unknown kind %d", kind);
	}
	return 0;
}
