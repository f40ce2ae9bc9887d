/*
 * channel_parse: what a worker sends on its notify channel (untrusted: any
 * program the user runs, and anything it runs); then, for a BIND, the
 * rules clmd applies to its address (issue 21): listeners_normalise gives
 * one spelling of a numeric address, or refuses it; the spelling is
 * stable, printable, and v6only is not part of an IPv4 address.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clm/channel.h"
#include "fuzz_common.h"

static void
check_normalise(const struct clm_listen_addr *in)
{
	struct clm_listen_addr	 a = *in, b;
	unsigned char		 buf[16];
	char			*name;
	const char		*p;

	a.host = strdup(in->host);
	if (listeners_normalise(&a) == -1) {
		FUZZ_CHECK(inet_pton(in->family, in->host, buf) != 1,
		    "a numeric address refused: %s", in->host);
		free(a.host);
		return;
	}
	FUZZ_CHECK(inet_pton(a.family, a.host, buf) == 1,
	    "normalised to a non-address: %s", a.host);
	FUZZ_CHECK(a.family == AF_INET6 || !a.v6only, "v6only on IPv4");
	b = a;
	b.host = strdup(a.host);
	FUZZ_CHECK(listeners_normalise(&b) == 0 &&
	    strcmp(a.host, b.host) == 0 && a.v6only == b.v6only,
	    "normalising twice changed %s", a.host);
	name = listeners_format(&a);
	for (p = name; *p != '\0'; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f, "unprintable byte in %s",
		    name);
	free(name);
	free(a.host);
	free(b.host);
}

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
		check_normalise(&msg.addr);
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
