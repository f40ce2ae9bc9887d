/* Unit tests of src/proto.c: round trips and hostile input. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cjson/cJSON.h>

#include "clm/proto.h"
#include "clm/upgrade.h"
#include "unit.h"

/* Decode a request that must fail with code and a cause containing part. */
static void
req_fails(const char *json, const char *code, const char *part)
{
	struct clm_request	*req = (void *)1;
	const char		*got_code = NULL;
	char			*cause = NULL;

	if (proto_request_decode(json, strlen(json), &req, &got_code,
	    &cause) != -1)
		unit_fail(__FILE__, __LINE__, "decoded: %s", json);
	ASSERT_NULL(req);
	ASSERT_EQ_STR(got_code, code);
	ASSERT_NOT_NULL(cause);
	ASSERT_CONTAINS(cause, part);
	ASSERT_NULL(strchr(cause, '\n'));
	free(cause);
}

static struct clm_request *
req_ok(const char *json)
{
	struct clm_request	*req = NULL;
	const char		*code = NULL;
	char			*cause = NULL;

	if (proto_request_decode(json, strlen(json), &req, &code,
	    &cause) != 0)
		unit_fail(__FILE__, __LINE__, "%s: %s", json, unit_str(cause));
	ASSERT_NOT_NULL(req);
	return req;
}

static void
reply_fails(const char *json, const char *part)
{
	struct clm_reply	*reply = (void *)1;
	char			*cause = NULL;

	if (proto_reply_decode(json, strlen(json), &reply, &cause) != -1)
		unit_fail(__FILE__, __LINE__, "decoded: %s", json);
	ASSERT_NULL(reply);
	ASSERT_CONTAINS(cause, part);
	free(cause);
}

static struct clm_reply *
reply_ok(const char *json)
{
	struct clm_reply	*reply = NULL;
	char			*cause = NULL;

	if (proto_reply_decode(json, strlen(json), &reply, &cause) != 0)
		unit_fail(__FILE__, __LINE__, "%s: %s", json, unit_str(cause));
	ASSERT_NOT_NULL(reply);
	return reply;
}

static struct clm_app_spec *
full_spec(void)
{
	struct clm_app_spec	*spec;

	spec = clm_app_spec_new();
	spec->name = clm_strdup("web");
	spec->script = clm_strdup("/srv/app/server.js");
	spec->interpreter = clm_strdup("/usr/bin/node");
	clm_strv_push(&spec->args, "--port");
	clm_strv_push(&spec->args, "3000");
	clm_strv_push(&spec->args, "quote\" back\\slash\nnewline \xc3\xa9");
	spec->cwd = clm_strdup("/srv/app");
	clm_strv_push(&spec->env, "PATH=/usr/bin:/bin");
	clm_strv_push(&spec->env, "EMPTY=");
	clm_strv_push(&spec->env, "EQ=a=b");
	spec->instances = -1;
	spec->kill_signal = SIGTERM;
	spec->kill_timeout_ms = 86400000;
	spec->min_uptime_ms = 0;
	spec->max_restarts = 1000000;
	spec->autorestart = false;
	spec->listen_timeout_ms = 12345;
	return spec;
}

static void
check_full_spec(const struct clm_app_spec *spec)
{
	ASSERT_NOT_NULL(spec);
	ASSERT_EQ_STR(spec->name, "web");
	ASSERT_EQ_STR(spec->script, "/srv/app/server.js");
	ASSERT_EQ_STR(spec->interpreter, "/usr/bin/node");
	ASSERT_EQ_INT(clm_strv_len(spec->args), 3);
	ASSERT_EQ_STR(spec->args[0], "--port");
	ASSERT_EQ_STR(spec->args[1], "3000");
	ASSERT_EQ_STR(spec->args[2],
	    "quote\" back\\slash\nnewline \xc3\xa9");
	ASSERT_EQ_STR(spec->cwd, "/srv/app");
	ASSERT_EQ_INT(clm_strv_len(spec->env), 3);
	ASSERT_EQ_STR(spec->env[0], "PATH=/usr/bin:/bin");
	ASSERT_EQ_STR(spec->env[1], "EMPTY=");
	ASSERT_EQ_STR(spec->env[2], "EQ=a=b");
	ASSERT_EQ_INT(spec->instances, -1);
	ASSERT_EQ_INT(spec->kill_signal, SIGTERM);
	ASSERT_EQ_INT(spec->kill_timeout_ms, 86400000);
	ASSERT_EQ_INT(spec->min_uptime_ms, 0);
	ASSERT_EQ_INT(spec->max_restarts, 1000000);
	ASSERT_FALSE(spec->autorestart);
	ASSERT_EQ_INT(spec->listen_timeout_ms, 12345);
}

TEST(proto_request_roundtrip_full)
{
	struct clm_request	*req, *back = NULL;
	const char		*code = NULL;
	char			*line, *cause = NULL;
	size_t			 len;

	req = proto_request_new("start");
	req->target = clm_strdup("web");
	req->spec = full_spec();
	req->count = -3;
	req->relative = true;
	line = proto_request_encode(req);
	len = strlen(line);
	ASSERT_TRUE(len > 1 && line[len - 1] == '\n');
	ASSERT_NULL(memchr(line, '\n', len - 1));	/* one line */
	ASSERT_EQ_INT(strncmp(line, "{\"v\":1,", 7), 0);
	ASSERT_CONTAINS(line, "\"kill_signal\":\"SIGTERM\"");

	ASSERT_EQ_INT(proto_request_decode(line, len - 1, &back, &code,
	    &cause), 0);
	ASSERT_NULL(cause);
	ASSERT_EQ_INT(back->version, CLM_PROTOCOL_VERSION);
	ASSERT_EQ_STR(back->cmd, "start");
	ASSERT_EQ_STR(back->target, "web");
	ASSERT_EQ_INT(back->count, -3);
	ASSERT_TRUE(back->relative);
	check_full_spec(back->spec);
	free(line);
	proto_request_free(req);
	proto_request_free(back);
}

TEST(proto_request_roundtrip_minimal)
{
	struct clm_request	*req, *back;
	char			*line;

	req = proto_request_new("list");
	line = proto_request_encode(req);
	ASSERT_EQ_STR(line, "{\"v\":1,\"cmd\":\"list\"}\n");
	back = req_ok(line);	/* the '\n' is whitespace: accepted */
	ASSERT_EQ_STR(back->cmd, "list");
	ASSERT_NULL(back->target);
	ASSERT_NULL(back->spec);
	ASSERT_EQ_INT(back->count, 0);
	ASSERT_FALSE(back->relative);
	free(line);
	proto_request_free(back);

	/* A spec without optional fields leaves them unset. */
	back = req_ok("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a.js\"}}");
	ASSERT_EQ_STR(back->spec->name, "a");
	ASSERT_NULL(back->spec->args);
	ASSERT_NULL(back->spec->env);
	ASSERT_NULL(back->spec->cwd);
	ASSERT_EQ_INT(back->spec->instances, 1);
	ASSERT_EQ_INT(back->spec->kill_signal, CLM_UNSET_SIGNAL);
	ASSERT_TRUE(back->spec->kill_timeout_ms == CLM_UNSET_MS);
	ASSERT_EQ_INT(back->spec->max_restarts, CLM_UNSET_RESTARTS);
	ASSERT_TRUE(back->spec->autorestart);
	proto_request_free(back);

	/* Empty args and env stay empty arrays, not NULL. */
	req->spec = clm_app_spec_new();
	req->spec->name = clm_strdup("a");
	req->spec->script = clm_strdup("/a");
	req->spec->args = clm_calloc(1, sizeof (char *));
	line = proto_request_encode(req);
	ASSERT_CONTAINS(line, "\"args\":[]");
	back = req_ok(line);
	ASSERT_NOT_NULL(back->spec->args);
	ASSERT_EQ_INT(clm_strv_len(back->spec->args), 0);
	ASSERT_NULL(back->spec->env);
	free(line);
	proto_request_free(back);
	proto_request_free(req);
}

TEST(proto_request_forward_compatible)
{
	struct clm_request	*req;

	/* Unknown keys are ignored, null means absent. */
	req = req_ok("{\"v\":1,\"cmd\":\"stop\",\"future\":{\"x\":[1,2]},"
	    "\"target\":null,\"spec\":null,\"count\":null}");
	ASSERT_EQ_STR(req->cmd, "stop");
	ASSERT_NULL(req->target);
	ASSERT_NULL(req->spec);
	proto_request_free(req);

	req = req_ok("  {\"cmd\":\"ping\",\"v\":1.0}  \r");
	ASSERT_EQ_STR(req->cmd, "ping");
	proto_request_free(req);
}

TEST(proto_request_not_terminated)
{
	struct clm_request	*req = NULL;
	const char		*code = NULL;
	char			*cause = NULL;
	const char		 buf[] = "{\"v\":1,\"cmd\":\"ping\"}GARBAGE";
	char			*heap;
	size_t			 len = strlen("{\"v\":1,\"cmd\":\"ping\"}");

	ASSERT_EQ_INT(proto_request_decode(buf, len, &req, &code, &cause), 0);
	ASSERT_EQ_STR(req->cmd, "ping");
	proto_request_free(req);

	/* Exactly len bytes on the heap, no terminator: ASan watches. */
	heap = clm_malloc(len);
	memcpy(heap, buf, len);
	ASSERT_EQ_INT(proto_request_decode(heap, len, &req, &code, &cause), 0);
	proto_request_free(req);
	ASSERT_EQ_INT(proto_request_decode(heap, len - 1, &req, &code,
	    &cause), -1);
	ASSERT_EQ_STR(code, CLM_E_BADREQ);
	free(cause);
	free(heap);
}

TEST(proto_request_hostile_json)
{
	req_fails("", CLM_E_BADREQ, "empty");
	req_fails("hello", CLM_E_BADREQ, "not valid JSON");
	req_fails("{\"v\":1,\"cmd\":\"ping\"", CLM_E_BADREQ, "not valid JSON");
	req_fails("{\"v\":1,\"cmd\":\"ping\"} {}", CLM_E_BADREQ,
	    "not valid JSON");
	req_fails("[1,2,3]", CLM_E_BADREQ, "must be a JSON object");
	req_fails("\"string\"", CLM_E_BADREQ, "must be a JSON object");
	req_fails("42", CLM_E_BADREQ, "must be a JSON object");
	req_fails("null", CLM_E_BADREQ, "must be a JSON object");
}

TEST(proto_request_hostile_fields)
{
	req_fails("{\"v\":1}", CLM_E_BADREQ, "field 'cmd' is missing");
	req_fails("{\"v\":1,\"cmd\":null}", CLM_E_BADREQ, "field 'cmd'");
	req_fails("{\"v\":1,\"cmd\":7}", CLM_E_BADREQ,
	    "field 'cmd' must be a string");
	req_fails("{\"v\":1,\"cmd\":\"stop\",\"target\":5}", CLM_E_BADREQ,
	    "field 'target' must be a string");
	req_fails("{\"v\":1,\"cmd\":\"stop\",\"target\":[\"a\"]}",
	    CLM_E_BADREQ, "field 'target' must be a string");
	req_fails("{\"v\":1,\"cmd\":\"scale\",\"count\":\"2\"}", CLM_E_BADREQ,
	    "field 'count' must be an integer");
	req_fails("{\"v\":1,\"cmd\":\"scale\",\"relative\":1}", CLM_E_BADREQ,
	    "field 'relative' must be true or false");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":\"x\"}", CLM_E_BADREQ,
	    "field 'spec' must be an object");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"script\":\"/a\"}}",
	    CLM_E_BADREQ, "field 'spec.name' is missing");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\"}}",
	    CLM_E_BADREQ, "field 'spec.script' is missing");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"args\":\"x\"}}", CLM_E_BADREQ,
	    "field 'spec.args' must be an array of strings");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"args\":[\"x\",3]}}", CLM_E_BADREQ,
	    "field 'spec.args[1]' must be a string");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"autorestart\":\"maybe\"}}", CLM_E_BADREQ,
	    "field 'spec.autorestart' must be one of \"always\"");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"autorestart\":3}}", CLM_E_BADREQ,
	    "field 'spec.autorestart' must be one of");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"kill_signal\":2}}", CLM_E_BADREQ,
	    "field 'spec.kill_signal' must be a signal name");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"kill_signal\":\"SIGNOPE\"}}", CLM_E_BADREQ,
	    "field 'spec.kill_signal'");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"../x\","
	    "\"script\":\"/a\"}}", CLM_E_INVAL, "app name '../x'");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"all\","
	    "\"script\":\"/a\"}}", CLM_E_INVAL, "reserved");
}

TEST(proto_request_env_needs_equals)
{
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"env\":[\"A=1\",\"NOEQUALS\"]}}", CLM_E_BADREQ,
	    "field 'spec.env[1]' must have the form KEY=VALUE");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"env\":[\"=x\"]}}", CLM_E_BADREQ,
	    "field 'spec.env[0]'");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"env\":[{}]}}", CLM_E_BADREQ,
	    "field 'spec.env[0]' must be a string");
}

TEST(proto_request_version)
{
	req_fails("{\"v\":2,\"cmd\":\"list\"}", CLM_E_PROTO,
	    "protocol version mismatch: client speaks 2, clmd speaks 1 "
	    "(restart the daemon with clm kill, or run clm update)");
	/* Checked before anything else: a v2 shape is not "bad". */
	req_fails("{\"v\":2,\"command\":[\"list\"]}", CLM_E_PROTO,
	    "client speaks 2");
	req_fails("{\"v\":0,\"cmd\":\"list\"}", CLM_E_PROTO,
	    "client speaks 0, clmd speaks 1");
	req_fails("{\"cmd\":\"list\"}", CLM_E_BADREQ, "field 'v'");
	req_fails("{\"v\":\"1\",\"cmd\":\"list\"}", CLM_E_BADREQ,
	    "field 'v' must be an integer");
	req_fails("{\"v\":1.5,\"cmd\":\"list\"}", CLM_E_BADREQ, "field 'v'");
	req_fails("{\"v\":-1,\"cmd\":\"list\"}", CLM_E_BADREQ, "field 'v'");
	req_fails("{\"v\":1e300,\"cmd\":\"list\"}", CLM_E_BADREQ, "field 'v'");
}

TEST(proto_request_numbers)
{
	struct clm_request	*req;

	req_fails("{\"v\":1,\"cmd\":\"scale\",\"count\":1.5}", CLM_E_BADREQ,
	    "field 'count' must be an integer from -4096 to 4096");
	req_fails("{\"v\":1,\"cmd\":\"scale\",\"count\":4097}", CLM_E_BADREQ,
	    "field 'count'");
	req_fails("{\"v\":1,\"cmd\":\"scale\",\"count\":-4097}", CLM_E_BADREQ,
	    "field 'count'");
	req_fails("{\"v\":1,\"cmd\":\"scale\",\"count\":1e300}", CLM_E_BADREQ,
	    "field 'count'");
	req_fails("{\"v\":1,\"cmd\":\"scale\",\"count\":1e999}", CLM_E_BADREQ,
	    "field 'count'");
	req_fails("{\"v\":1,\"cmd\":\"scale\",\"count\":-1e999}", CLM_E_BADREQ,
	    "field 'count'");
	req_fails("{\"v\":1,\"cmd\":\"scale\",\"count\":"
	    "123456789012345678901234567890}", CLM_E_BADREQ, "field 'count'");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"instances\":4097}}", CLM_E_BADREQ,
	    "field 'spec.instances' must be an integer from -1 to 4096");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"instances\":-2}}", CLM_E_BADREQ,
	    "field 'spec.instances'");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"instances\":2.5}}", CLM_E_BADREQ,
	    "field 'spec.instances'");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"kill_timeout_ms\":86400001}}", CLM_E_BADREQ,
	    "field 'spec.kill_timeout_ms' must be an integer from 0 to "
	    "86400000");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"min_uptime_ms\":-1}}", CLM_E_BADREQ,
	    "field 'spec.min_uptime_ms'");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"listen_timeout_ms\":4294967296}}",
	    CLM_E_BADREQ, "field 'spec.listen_timeout_ms'");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"max_restarts\":1000001}}", CLM_E_BADREQ,
	    "field 'spec.max_restarts' must be an integer from 0 to 1000000");

	/* The edges are accepted; 2.0 and 2e0 are integers. */
	req = req_ok("{\"v\":1,\"cmd\":\"scale\",\"count\":-4096}");
	ASSERT_EQ_INT(req->count, -4096);
	proto_request_free(req);
	req = req_ok("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"instances\":4096,\"max_restarts\":2e0,"
	    "\"kill_timeout_ms\":2.0}}");
	ASSERT_EQ_INT(req->spec->instances, 4096);
	ASSERT_EQ_INT(req->spec->max_restarts, 2);
	ASSERT_EQ_INT(req->spec->kill_timeout_ms, 2);
	proto_request_free(req);
}

TEST(proto_request_oversize)
{
	struct clm_request	*req = (void *)1;
	const char		*code = NULL;
	char			*buf, *cause = NULL, want[64];
	size_t			 len = CLM_MAX_FRAME + 1;

	buf = clm_malloc(len);
	memset(buf, ' ', len);
	memcpy(buf, "{\"v\":1,\"cmd\":\"ping\"}", 20);
	ASSERT_EQ_INT(proto_request_decode(buf, len, &req, &code, &cause),
	    -1);
	ASSERT_NULL(req);
	ASSERT_EQ_STR(code, CLM_E_TOOBIG);
	snprintf(want, sizeof want, "%zu bytes", len);
	ASSERT_CONTAINS(cause, want);
	snprintf(want, sizeof want, "limit of %d", CLM_MAX_FRAME);
	ASSERT_CONTAINS(cause, want);
	free(cause);
	cause = NULL;

	/* At the limit exactly it is fine. */
	ASSERT_EQ_INT(proto_request_decode(buf, CLM_MAX_FRAME, &req, &code,
	    &cause), 0);
	ASSERT_EQ_STR(req->cmd, "ping");
	proto_request_free(req);
	free(buf);
}

TEST(proto_request_nul)
{
	struct clm_request	*req = (void *)1;
	const char		*code = NULL;
	char			*cause = NULL;
	const char		 raw[] = "{\"v\":1,\"cmd\":\"pi\0ng\"}";

	/* A raw NUL inside the len bytes. */
	ASSERT_EQ_INT(proto_request_decode(raw, sizeof raw - 1, &req, &code,
	    &cause), -1);
	ASSERT_NULL(req);
	ASSERT_EQ_STR(code, CLM_E_BADREQ);
	ASSERT_CONTAINS(cause, "NUL");
	free(cause);

	/* An escaped one, in a value and in a key. */
	req_fails("{\"v\":1,\"cmd\":\"stop\",\"target\":\"web\\u0000x\"}",
	    CLM_E_BADREQ, "NUL");
	req_fails("{\"v\":1,\"cmd\\u0000\":\"stop\"}", CLM_E_BADREQ, "NUL");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"spec\":{\"name\":\"a\","
	    "\"script\":\"/a\",\"env\":[\"A=1\\u0000B=2\"]}}", CLM_E_BADREQ,
	    "NUL");

	/* An escaped backslash followed by "u0000" is plain text. */
	req = req_ok("{\"v\":1,\"cmd\":\"stop\",\"target\":\"a\\\\u0000\"}");
	ASSERT_EQ_STR(req->target, "a\\u0000");
	proto_request_free(req);
	/* Other escapes decode. */
	req = req_ok("{\"v\":1,\"cmd\":\"stop\",\"target\":\"\\u00e9\\n\"}");
	ASSERT_EQ_STR(req->target, "\xc3\xa9\n");
	proto_request_free(req);
}

TEST(proto_request_big_arrays)
{
	char		*json, *p;
	size_t		 i, n = 65537;

	/* 65537 args is one too many; 65536 is fine. */
	json = clm_malloc(128 + n * 4);
	p = json + sprintf(json, "{\"v\":1,\"cmd\":\"start\",\"spec\":{"
	    "\"name\":\"a\",\"script\":\"/a\",\"args\":[");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"x\"", i == 0 ? "" : ",");
	strcpy(p, "]}}");
	req_fails(json, CLM_E_BADREQ, "field 'spec.args' has more than 65536 "
	    "entries");
	free(json);

	/* Deep nesting fails cleanly (no stack overflow). */
	json = clm_malloc(200000 + 64);
	p = json + sprintf(json, "{\"v\":1,\"cmd\":\"x\",\"deep\":");
	for (i = 0; i < 100000; i++)
		*p++ = '[';
	for (i = 0; i < 100000; i++)
		*p++ = ']';
	strcpy(p, "}");
	req_fails(json, CLM_E_BADREQ, "not valid JSON");
	free(json);
}

static struct clm_reply *
full_reply(void)
{
	struct clm_reply	*reply;

	reply = proto_reply_new();
	reply->more = true;
	proto_reply_note(reply, "-i %d clamped to %d logical cores", 99, 2);
	proto_reply_note(reply, "second note");
	reply->nworkers = 2;
	reply->workers = clm_calloc(2, sizeof *reply->workers);
	reply->workers[0].name = clm_strdup("web");
	reply->workers[0].id = 0;
	reply->workers[0].pid = 4242;
	reply->workers[0].status = clm_strdup("online");
	reply->workers[0].restarts = 7;
	reply->workers[0].uptime_ms = 123456789012ULL;
	reply->workers[0].cpu = 12.5;
	reply->workers[0].memory = 5000000000ULL;
	reply->workers[0].exit_code = -1;
	reply->workers[0].signal = 0;
	reply->workers[1].name = clm_strdup("web");
	reply->workers[1].id = 1;
	reply->workers[1].pid = 0;
	reply->workers[1].status = clm_strdup("waiting-restart");
	reply->workers[1].restarts = 4294967295U;
	reply->workers[1].uptime_ms = 0;
	reply->workers[1].cpu = 0.1;
	reply->workers[1].memory = 0;
	reply->workers[1].exit_code = 3;
	reply->workers[1].signal = SIGKILL;
	reply->spec = full_spec();
	reply->daemon_pid = 31337;
	reply->daemon_version = clm_strdup(CLM_VERSION);
	return reply;
}

TEST(proto_reply_roundtrip_full)
{
	struct clm_reply	*reply, *back;
	char			*line, *cause = NULL;
	size_t			 len;

	reply = full_reply();
	line = proto_reply_encode(reply);
	len = strlen(line);
	ASSERT_TRUE(line[len - 1] == '\n');
	ASSERT_NULL(memchr(line, '\n', len - 1));
	ASSERT_CONTAINS(line, "\"exit_code\":null");
	ASSERT_CONTAINS(line, "\"signal\":null");
	ASSERT_CONTAINS(line, "\"signal\":\"SIGKILL\"");
	ASSERT_CONTAINS(line, "\"pid\":null");
	ASSERT_CONTAINS(line, "\"memory\":5000000000");

	ASSERT_EQ_INT(proto_reply_decode(line, len, &back, &cause), 0);
	ASSERT_NULL(cause);
	ASSERT_EQ_INT(back->version, CLM_PROTOCOL_VERSION);
	ASSERT_TRUE(back->ok);
	ASSERT_TRUE(back->more);
	ASSERT_NULL(back->code);
	ASSERT_NULL(back->message);
	ASSERT_EQ_INT(clm_strv_len(back->notes), 2);
	ASSERT_EQ_STR(back->notes[0], "-i 99 clamped to 2 logical cores");
	ASSERT_EQ_STR(back->notes[1], "second note");
	ASSERT_EQ_INT(back->nworkers, 2);
	ASSERT_EQ_STR(back->workers[0].name, "web");
	ASSERT_EQ_INT(back->workers[0].id, 0);
	ASSERT_EQ_INT(back->workers[0].pid, 4242);
	ASSERT_EQ_STR(back->workers[0].status, "online");
	ASSERT_EQ_INT(back->workers[0].restarts, 7);
	ASSERT_EQ_INT(back->workers[0].uptime_ms, 123456789012LL);
	ASSERT_TRUE(back->workers[0].cpu == 12.5);
	ASSERT_EQ_INT(back->workers[0].memory, 5000000000LL);
	ASSERT_EQ_INT(back->workers[0].exit_code, -1);
	ASSERT_EQ_INT(back->workers[0].signal, 0);
	ASSERT_EQ_INT(back->workers[1].id, 1);
	ASSERT_EQ_INT(back->workers[1].pid, 0);
	ASSERT_EQ_STR(back->workers[1].status, "waiting-restart");
	ASSERT_EQ_INT(back->workers[1].restarts, 4294967295LL);
	ASSERT_EQ_INT(back->workers[1].uptime_ms, 0);
	ASSERT_TRUE(back->workers[1].cpu == 0.1);
	ASSERT_EQ_INT(back->workers[1].memory, 0);
	ASSERT_EQ_INT(back->workers[1].exit_code, 3);
	ASSERT_EQ_INT(back->workers[1].signal, SIGKILL);
	check_full_spec(back->spec);
	ASSERT_EQ_INT(back->daemon_pid, 31337);
	ASSERT_EQ_STR(back->daemon_version, CLM_VERSION);
	free(line);
	proto_reply_free(reply);
	proto_reply_free(back);
}

TEST(proto_reply_roundtrip_minimal)
{
	struct clm_reply	*reply, *back;
	char			*line;

	reply = proto_reply_new();
	line = proto_reply_encode(reply);
	ASSERT_EQ_STR(line, "{\"v\":1,\"ok\":true}\n");
	back = reply_ok(line);
	ASSERT_TRUE(back->ok);
	ASSERT_FALSE(back->more);
	ASSERT_NULL(back->notes);
	ASSERT_EQ_INT(back->nworkers, 0);
	ASSERT_NULL(back->spec);
	ASSERT_EQ_INT(back->daemon_pid, 0);
	ASSERT_NULL(back->daemon_version);
	free(line);
	proto_reply_free(back);
	proto_reply_free(reply);
}

TEST(proto_reply_error_roundtrip)
{
	struct clm_reply	*reply, *back;
	char			*line;

	reply = proto_reply_error(CLM_E_NOAPP, "no app named '%s' (see clm "
	    "list)", "web");
	ASSERT_FALSE(reply->ok);
	line = proto_reply_encode(reply);
	ASSERT_EQ_STR(line, "{\"v\":1,\"ok\":false,\"error\":{\"code\":"
	    "\"ENOAPP\",\"message\":\"no app named 'web' (see clm list)\"}}\n");
	back = reply_ok(line);
	ASSERT_FALSE(back->ok);
	ASSERT_EQ_STR(back->code, CLM_E_NOAPP);
	ASSERT_EQ_STR(back->message, "no app named 'web' (see clm list)");
	free(line);
	proto_reply_free(back);
	proto_reply_free(reply);
}

TEST(proto_reply_hostile)
{
	struct clm_reply	*reply;

	reply_fails("", "bad reply from clmd: reply is empty");
	reply_fails("nope", "bad reply from clmd: reply is not valid JSON");
	reply_fails("[]", "must be a JSON object");
	reply_fails("{\"v\":1}", "field 'ok' is missing");
	reply_fails("{\"v\":1,\"ok\":\"yes\"}", "field 'ok' must be true or "
	    "false");
	reply_fails("{\"v\":1,\"ok\":false}", "field 'error' is missing");
	reply_fails("{\"v\":1,\"ok\":false,\"error\":{\"code\":\"X\"}}",
	    "field 'error.message' is missing");
	reply_fails("{\"v\":1,\"ok\":true,\"notes\":[1]}",
	    "field 'notes[0]' must be a string");
	reply_fails("{\"v\":1,\"ok\":true,\"workers\":{}}",
	    "field 'workers' must be an array");
	reply_fails("{\"v\":1,\"ok\":true,\"workers\":[1]}",
	    "field 'workers[0]' must be an object");
	reply_fails("{\"v\":1,\"ok\":true,\"workers\":[{\"name\":\"a\","
	    "\"id\":0,\"status\":\"online\"},{\"name\":\"a\",\"id\":1,"
	    "\"status\":\"online\",\"signal\":\"SIGBOGUS\"}]}",
	    "field 'workers[1].signal' must be a signal name");
	reply_fails("{\"v\":1,\"ok\":true,\"workers\":[{\"name\":\"a\","
	    "\"id\":0,\"status\":\"online\",\"pid\":-5}]}",
	    "field 'workers[0].pid' must be an integer");
	reply_fails("{\"v\":1,\"ok\":true,\"workers\":[{\"name\":\"a\","
	    "\"id\":0,\"status\":\"online\",\"cpu\":\"1\"}]}",
	    "field 'workers[0].cpu' must be a number");
	reply_fails("{\"v\":1,\"ok\":true,\"workers\":[{\"name\":\"a\","
	    "\"status\":\"online\"}]}", "field 'workers[0].id' is missing");
	reply_fails("{\"v\":1,\"ok\":true,\"daemon_pid\":\"1\"}",
	    "field 'daemon_pid' must be an integer");
	reply_fails("{\"v\":1,\"ok\":true,\"spec\":{\"name\":\"a\"}}",
	    "field 'spec.script' is missing");
	reply_fails("{\"v\":1,\"ok\":true,\"daemon_version\":\"1\\u0000\"}",
	    "NUL");

	/* Workers with only the required keys take the defaults. */
	reply = reply_ok("{\"v\":1,\"ok\":true,\"workers\":[{\"name\":\"a\","
	    "\"id\":2,\"status\":\"stopped\",\"exit_code\":null,"
	    "\"signal\":null,\"new_key\":true}],\"new_key\":1}");
	ASSERT_EQ_INT(reply->nworkers, 1);
	ASSERT_EQ_INT(reply->workers[0].id, 2);
	ASSERT_EQ_INT(reply->workers[0].exit_code, -1);
	ASSERT_EQ_INT(reply->workers[0].signal, 0);
	ASSERT_EQ_INT(reply->workers[0].pid, 0);
	proto_reply_free(reply);
}

TEST(proto_reply_version)
{
	struct clm_reply	*reply = NULL, *err;
	struct clm_request	*req;
	char			*line, *cause = NULL;

	/* A reply of another version: the client says so plainly. */
	reply_fails("{\"v\":2,\"ok\":true,\"workers\":\"new shape\"}",
	    "protocol version mismatch: clmd speaks 2, client speaks 1 "
	    "(restart the daemon with clm kill, or run clm update)");
	reply_fails("{\"ok\":true}", "field 'v' must be an integer");

	/* A daemon's own EPROTO explanation is passed on as it is. */
	err = proto_reply_error(CLM_E_PROTO, "protocol version mismatch: "
	    "client speaks 1, clmd speaks 3 (restart the daemon with clm "
	    "kill, or run clm update)");
	err->version = 3;
	line = proto_reply_encode(err);
	ASSERT_CONTAINS(line, "{\"v\":3,");
	ASSERT_EQ_INT(proto_reply_decode(line, strlen(line), &reply, &cause),
	    -1);
	ASSERT_NULL(reply);
	ASSERT_EQ_STR(cause, "protocol version mismatch: client speaks 1, "
	    "clmd speaks 3 (restart the daemon with clm kill, or run clm "
	    "update)");
	free(cause);
	free(line);
	proto_reply_free(err);

	/* Any other error of another version is still a mismatch. */
	reply_fails("{\"v\":3,\"ok\":false,\"error\":{\"code\":\"ENOAPP\","
	    "\"message\":\"no app\"}}", "clmd speaks 3, client speaks 1");

	/* The version of a request encodes as set, and is refused. */
	req = proto_request_new("list");
	req->version = 2;
	line = proto_request_encode(req);
	ASSERT_EQ_STR(line, "{\"v\":2,\"cmd\":\"list\"}\n");
	req_fails(line, CLM_E_PROTO, "client speaks 2, clmd speaks 1");
	free(line);
	proto_request_free(req);
}

TEST(proto_workers_json)
{
	struct clm_reply	*reply;
	char			*s;
	size_t			 len;

	s = proto_workers_json(NULL, 0);
	ASSERT_EQ_STR(s, "[]\n");
	free(s);

	reply = full_reply();
	s = proto_workers_json(reply->workers, reply->nworkers);
	len = strlen(s);
	ASSERT_TRUE(s[0] == '[');
	ASSERT_TRUE(len > 3 && s[len - 2] == ']' && s[len - 1] == '\n');
	ASSERT_CONTAINS(s, "\"name\":\t\"web\"");
	ASSERT_CONTAINS(s, "\"status\":\t\"waiting-restart\"");
	ASSERT_CONTAINS(s, "\"exit_code\":\tnull");
	ASSERT_CONTAINS(s, "\"signal\":\t\"SIGKILL\"");
	ASSERT_CONTAINS(s, "\"uptime_ms\":\t123456789012");
	ASSERT_CONTAINS(s, "\"cpu\":\t12.5");
	ASSERT_CONTAINS(s, "\n");	/* pretty: several lines */
	free(s);

	s = proto_describe_json(reply->spec, reply->workers, reply->nworkers);
	len = strlen(s);
	ASSERT_TRUE(s[0] == '{');
	ASSERT_TRUE(s[len - 2] == '}' && s[len - 1] == '\n');
	ASSERT_CONTAINS(s, "\"spec\":\t{");
	ASSERT_CONTAINS(s, "\"kill_signal\":\t\"SIGTERM\"");
	ASSERT_CONTAINS(s, "\"workers\":\t[");
	free(s);
	proto_reply_free(reply);
}

/* ------------------------------------------------------------------ */
/* App files (apps), restart --update-env (update_env, env), dump.json. */

static struct clm_app_spec *
named_spec(const char *name)
{
	struct clm_app_spec	*spec;

	spec = clm_app_spec_new();
	spec->name = clm_strdup(name);
	spec->script = clm_asprintf("/srv/%s.js", name);
	return spec;
}

TEST(proto_request_apps_roundtrip)
{
	struct clm_request	*req, *back;
	char			*line;

	req = proto_request_new("start");
	req->napps = 3;
	req->apps = clm_calloc(req->napps + 1, sizeof *req->apps);
	req->apps[0] = full_spec();
	req->apps[1] = named_spec("api");
	req->apps[2] = named_spec("worker");
	req->apps[2]->instances = 0;
	clm_strv_push(&req->apps[2]->listen, "127.0.0.1:3000");
	line = proto_request_encode(req);
	ASSERT_NULL(memchr(line, '\n', strlen(line) - 1));
	ASSERT_NULL(strstr(line, "update_env"));
	back = req_ok(line);
	ASSERT_EQ_INT(back->napps, 3);
	ASSERT_NULL(back->apps[3]);
	check_full_spec(back->apps[0]);
	ASSERT_EQ_STR(back->apps[1]->name, "api");
	ASSERT_EQ_STR(back->apps[1]->script, "/srv/api.js");
	ASSERT_EQ_INT(back->apps[1]->instances, 1);
	ASSERT_EQ_STR(back->apps[2]->name, "worker");
	ASSERT_EQ_INT(back->apps[2]->instances, 0);
	ASSERT_EQ_STR(back->apps[2]->listen[0], "127.0.0.1:3000");
	ASSERT_NULL(back->spec);
	ASSERT_FALSE(back->update_env);
	ASSERT_NULL(back->env);
	free(line);
	proto_request_free(back);
	proto_request_free(req);

	/* restart --update-env */
	req = proto_request_new("restart");
	req->target = clm_strdup("all");
	req->update_env = true;
	clm_strv_push(&req->env, "PATH=/usr/bin");
	clm_strv_push(&req->env, "NEW=1");
	line = proto_request_encode(req);
	back = req_ok(line);
	ASSERT_TRUE(back->update_env);
	ASSERT_EQ_INT(clm_strv_len(back->env), 2);
	ASSERT_EQ_STR(back->env[0], "PATH=/usr/bin");
	ASSERT_EQ_STR(back->env[1], "NEW=1");
	ASSERT_NULL(back->apps);
	ASSERT_EQ_INT(back->napps, 0);
	free(line);
	proto_request_free(back);
	proto_request_free(req);

	/* An empty list of apps stays a list. */
	back = req_ok("{\"v\":1,\"cmd\":\"start\",\"apps\":[]}");
	ASSERT_NOT_NULL(back->apps);
	ASSERT_EQ_INT(back->napps, 0);
	proto_request_free(back);
}

TEST(proto_request_apps_hostile)
{
	struct clm_request	*req = (void *)1;
	const char		*code = NULL;
	char			*json, *p, *last = NULL, *cause = NULL;
	size_t			 i;

	req_fails("{\"v\":1,\"cmd\":\"start\",\"apps\":{}}", CLM_E_BADREQ,
	    "field 'apps' must be an array of objects");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"apps\":[{\"name\":\"a\","
	    "\"script\":\"/a\"},7]}", CLM_E_BADREQ,
	    "field 'apps[1]' must be an object");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"apps\":[{\"name\":\"a\","
	    "\"script\":\"/a\"},{\"name\":\"b\"}]}", CLM_E_BADREQ,
	    "field 'apps[1].script' is missing");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"apps\":[{\"name\":\"a\","
	    "\"script\":\"/a\",\"kill_signal\":\"X\"}]}", CLM_E_BADREQ,
	    "field 'apps[0].kill_signal' must be a signal name");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"apps\":[{\"name\":\"a\","
	    "\"script\":\"/a\",\"instances\":5000}]}", CLM_E_BADREQ,
	    "field 'apps[0].instances' must be an integer from -1 to 4096");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"apps\":[{\"name\":\"a\","
	    "\"script\":\"/a\"},{\"name\":\"b\",\"script\":\"/b\"},"
	    "{\"name\":\"a\",\"script\":\"/c\"}]}", CLM_E_INVAL,
	    "app 'a' is also apps[0]");
	req_fails("{\"v\":1,\"cmd\":\"start\",\"apps\":[{\"name\":\"../x\","
	    "\"script\":\"/a\"}]}", CLM_E_INVAL, "app name '../x'");
	req_fails("{\"v\":1,\"cmd\":\"restart\",\"update_env\":\"yes\"}",
	    CLM_E_BADREQ, "field 'update_env' must be true or false");
	req_fails("{\"v\":1,\"cmd\":\"restart\",\"env\":\"A=1\"}",
	    CLM_E_BADREQ, "field 'env' must be an array of strings");
	req_fails("{\"v\":1,\"cmd\":\"restart\",\"env\":[\"A=1\",\"B\"]}",
	    CLM_E_BADREQ, "field 'env[1]' must have the form KEY=VALUE");
	req_fails("{\"v\":1,\"cmd\":\"restart\",\"env\":[\"A=1\",2]}",
	    CLM_E_BADREQ, "field 'env[1]' must be a string");

	/* At most 4096 apps. */
	json = clm_malloc(4097 * 48 + 64);
	p = json + sprintf(json, "{\"v\":1,\"cmd\":\"start\",\"apps\":[");
	for (i = 0; i < 4097; i++) {
		last = p;
		p += sprintf(p, "%s{\"name\":\"a%zu\",\"script\":\"/a\"}",
		    i == 0 ? "" : ",", i);
	}
	strcpy(p, "]}");
	ASSERT_EQ_INT(proto_request_decode(json, strlen(json), &req, &code,
	    &cause), -1);
	ASSERT_EQ_STR(code, CLM_E_BADREQ);
	ASSERT_CONTAINS(cause, "field 'apps' has more than 4096 entries");
	free(cause);
	/* 4096 is fine. */
	strcpy(last, "]}");
	req = req_ok(json);
	ASSERT_EQ_INT(req->napps, 4096);
	ASSERT_EQ_STR(req->apps[4095]->name, "a4095");
	proto_request_free(req);
	free(json);
}

TEST(proto_dump_roundtrip)
{
	struct clm_app_spec	*apps[3], **back = NULL;
	char			*text, *cause = NULL;
	size_t			 n = 0;

	apps[0] = full_spec();
	apps[1] = named_spec("api");
	apps[2] = NULL;
	clm_strv_push(&apps[1]->listen, "3000");
	clm_strv_push(&apps[1]->listen, "[::1]:3001");
	text = proto_dump_encode(apps, 2, NULL);
	ASSERT_EQ_INT(strncmp(text, "{\n\t\"v\":\t1,\n", 11), 0);
	ASSERT_TRUE(text[strlen(text) - 1] == '\n');
	if (proto_dump_decode(text, strlen(text), &back, &n, NULL, &cause) != 0)
		unit_fail(__FILE__, __LINE__, "%s", unit_str(cause));
	ASSERT_EQ_INT(n, 2);
	ASSERT_NULL(back[2]);
	check_full_spec(back[0]);
	ASSERT_EQ_STR(back[1]->name, "api");
	ASSERT_EQ_INT(clm_strv_len(back[1]->listen), 2);
	ASSERT_EQ_STR(back[1]->listen[1], "[::1]:3001");
	clm_app_spec_free(back[0]);
	clm_app_spec_free(back[1]);
	free(back);
	free(text);

	/* No apps: an empty dump. */
	text = proto_dump_encode(NULL, 0, NULL);
	ASSERT_EQ_INT(proto_dump_decode(text, strlen(text), &back, &n, NULL,
	    &cause), 0);
	ASSERT_EQ_INT(n, 0);
	ASSERT_NOT_NULL(back);
	free(back);
	free(text);
	clm_app_spec_free(apps[0]);
	clm_app_spec_free(apps[1]);
}

static void
dump_fails(const char *text, size_t len, const char *part)
{
	struct clm_app_spec	**apps = (void *)1;
	char			 *cause = NULL;
	size_t			  n = 99;

	if (proto_dump_decode(text, len, &apps, &n, NULL, &cause) != -1)
		unit_fail(__FILE__, __LINE__, "decoded: %.*s", (int)len, text);
	ASSERT_NULL(apps);
	ASSERT_EQ_INT(n, 0);
	ASSERT_CONTAINS(cause, part);
	ASSERT_NULL(strchr(cause, '\n'));
	free(cause);
}

#define DUMP_FAILS(s, part) dump_fails((s), strlen(s), (part))

TEST(proto_dump_hostile)
{
	static const char	nul[] = "{\"v\":1,\"apps\":[]}\0";

	DUMP_FAILS("", "dump is empty");
	DUMP_FAILS("not json at all", "dump is not valid JSON");
	DUMP_FAILS("{\"v\":1,\"apps\":[", "dump is not valid JSON");
	DUMP_FAILS("[]", "dump must be a JSON object");
	DUMP_FAILS("{\"apps\":[]}", "field 'v' must be an integer");
	DUMP_FAILS("{\"v\":2,\"apps\":[]}", "dump of protocol version 2");
	DUMP_FAILS("{\"v\":1}", "field 'apps' is missing");
	DUMP_FAILS("{\"v\":1,\"apps\":null}", "field 'apps' is missing");
	DUMP_FAILS("{\"v\":1,\"apps\":\"web\"}", "field 'apps' must be an "
	    "array of objects");
	DUMP_FAILS("{\"v\":1,\"apps\":[[]]}", "field 'apps[0]' must be an "
	    "object");
	DUMP_FAILS("{\"v\":1,\"apps\":[{\"name\":\"a\",\"script\":\"/a\"},"
	    "{\"name\":\"b\",\"script\":\"/b\",\"env\":[\"X\"]}]}",
	    "field 'apps[1].env[0]' must have the form KEY=VALUE");
	DUMP_FAILS("{\"v\":1,\"apps\":[{\"name\":\"a\",\"script\":\"/a\","
	    "\"max_restarts\":-5}]}", "field 'apps[0].max_restarts'");
	DUMP_FAILS("{\"v\":1,\"apps\":[{\"name\":\"a\",\"script\":\"/a\"},"
	    "{\"name\":\"a\",\"script\":\"/a\"}]}", "app 'a' is also apps[0]");
	DUMP_FAILS("{\"v\":1,\"apps\":[{\"name\":\"a b\",\"script\":\"/a\"}]}",
	    "app name 'a b'");
	DUMP_FAILS("{\"v\":1,\"apps\":[{\"name\":\"a\\u0000\",\"script\":"
	    "\"/a\"}]}", "NUL");
	dump_fails(nul, sizeof nul - 1, "NUL");
	/* The size is checked before anything is read. */
	dump_fails("{}", (size_t)64 * 1024 * 1024 + 1, "over the limit");
	/* Random bytes. */
	{
		char		buf[512];
		unsigned	seed = 7;
		size_t		i, j;

		for (i = 0; i < 500; i++) {
			for (j = 0; j < sizeof buf; j++) {
				seed = seed * 1103515245 + 12345;
				buf[j] = (char)(seed >> 16);
			}
			if (i % 2 == 0)
				memcpy(buf, "{\"v\":1,\"apps\":[{", 16);
			dump_fails(buf, sizeof buf, "");
		}
	}
}

/* The workers as cJSON printed them, byte for byte (clm list --json is read
 * by scripts; the list is written without cJSON now, for speed): escapes,
 * integers past INT_MAX, 15 or 17 digits, exponents, nulls. */
static struct clm_worker_info *
odd_workers(void)
{
	struct clm_worker_info	*w = clm_calloc(3, sizeof *w);

	w[0].name = clm_strdup("web \"x\"\\\t\x01\xc3\xa9");
	w[0].pid = 1234;
	w[0].status = clm_strdup("online");
	w[0].restarts = 3;
	w[0].uptime_ms = 3000000000ULL;
	w[0].cpu = 0.1 + 0.2;
	w[0].cpu_ms = 12;
	w[0].memory = 3000000000ULL;
	w[0].exit_code = -1;
	w[0].health = clm_strdup("ok");
	w[1].name = clm_strdup("b");
	w[1].id = 7;
	w[1].status = clm_strdup("errored");
	w[1].restarts = 4294967295U;
	w[1].cpu = 12.5;
	w[1].cpu_ms = 1ULL << 53;
	w[1].memory = 1000000000000000ULL;
	w[1].exit_code = 3;
	w[1].signal = SIGKILL;
	w[1].reason = clm_strdup("exit 3");
	w[1].ended_ms = 1764495000123ULL;
	w[2].name = clm_strdup("");
	w[2].id = 2;
	w[2].pid = 99;
	w[2].status = clm_strdup("stopped");
	w[2].uptime_ms = 1;
	w[2].cpu = 1e-7;
	w[2].reason = clm_strdup("clm stop");
	w[2].ended_ms = 1;
	return w;
}

TEST(proto_workers_json_as_cjson_printed_it)
{
	struct clm_reply	*r = proto_reply_new();
	char			*s;

	r->workers = odd_workers();
	r->nworkers = 3;
	s = proto_workers_json(r->workers, 3);
	ASSERT_EQ_STR(s, "[{\n"
	    "\t\t\"name\":\t\"web \\\"x\\\"\\\\\\t\\u0001\xc3""\xa9""\",\n"
	    "\t\t\"id\":\t0,\n"
	    "\t\t\"pid\":\t1234,\n"
	    "\t\t\"status\":\t\"online\",\n"
	    "\t\t\"restarts\":\t3,\n"
	    "\t\t\"uptime_ms\":\t3000000000,\n"
	    "\t\t\"cpu\":\t0.3,\n"
	    "\t\t\"memory\":\t3000000000,\n"
	    "\t\t\"cpu_ms\":\t12,\n"
	    "\t\t\"exit_code\":\tnull,\n"
	    "\t\t\"signal\":\tnull,\n"
	    "\t\t\"reason\":\tnull,\n"
	    "\t\t\"ended_at\":\tnull,\n"
	    "\t\t\"health\":\t\"ok\"\n"
	    "\t}, {\n"
	    "\t\t\"name\":\t\"b\",\n"
	    "\t\t\"id\":\t7,\n"
	    "\t\t\"pid\":\tnull,\n"
	    "\t\t\"status\":\t\"errored\",\n"
	    "\t\t\"restarts\":\t4294967295,\n"
	    "\t\t\"uptime_ms\":\t0,\n"
	    "\t\t\"cpu\":\t12.5,\n"
	    "\t\t\"memory\":\t1e+15,\n"
	    "\t\t\"cpu_ms\":\t9.00719925474099e+15,\n"
	    "\t\t\"exit_code\":\t3,\n"
	    "\t\t\"signal\":\t\"SIGKILL\",\n"
	    "\t\t\"reason\":\t\"exit 3\",\n"
	    "\t\t\"ended_at\":\t1764495000123\n"
	    "\t}, {\n"
	    "\t\t\"name\":\t\"\",\n"
	    "\t\t\"id\":\t2,\n"
	    "\t\t\"pid\":\t99,\n"
	    "\t\t\"status\":\t\"stopped\",\n"
	    "\t\t\"restarts\":\t0,\n"
	    "\t\t\"uptime_ms\":\t1,\n"
	    "\t\t\"cpu\":\t1e-07,\n"
	    "\t\t\"memory\":\t0,\n"
	    "\t\t\"cpu_ms\":\t0,\n"
	    "\t\t\"exit_code\":\t0,\n"
	    "\t\t\"signal\":\tnull,\n"
	    "\t\t\"reason\":\t\"clm stop\",\n"
	    "\t\t\"ended_at\":\t1\n"
	    "\t}]\n");
	free(s);
	s = proto_reply_encode(r);
	ASSERT_CONTAINS(s, ",\"workers\":" "[{\"name\":\"web \\\"x\\\"\\\\\\t\\u0001\xc3""\xa9""\",\"id\":0,\"pid\":1234,\"status\":\"online\",\"restarts\":3,\"uptime_ms\":3000000000,\"cpu\":0.3,\"memory\":3000000000,\"cpu_ms\":12,\"exit_code\":null,\"signal\":null,\"reason\":null,\"ended_at\":null,\"health\":\"ok\"},{\"name\":\"b\",\"id\":7,\"pid\":null,\"status\":\"errored\",\"restarts\":4294967295,\"uptime_ms\":0,\"cpu\":12.5,\"memory\":1e+15,\"cpu_ms\":9.00719925474099e+15,\"exit_code\":3,\"signal\":\"SIGKILL\",\"reason\":\"exit 3\",\"ended_at\":1764495000123},{\"name\":\"\",\"id\":2,\"pid\":99,\"status\":\"stopped\",\"restarts\":0,\"uptime_ms\":1,\"cpu\":1e-07,\"memory\":0,\"cpu_ms\":0,\"exit_code\":0,\"signal\":null,\"reason\":\"clm stop\",\"ended_at\":1}]" "}\n");
	free(s);
	s = proto_workers_json(NULL, 0);
	ASSERT_EQ_STR(s, "[]\n");
	free(s);
	proto_reply_free(r);
}

/* clmd's state (clm update, the keeper's checkpoints), written one app at a
 * time without cJSON's printer: the same text cJSON prints, read back
 * whole. */
TEST(proto_state_written_as_cjson_prints_it_and_read_back)
{
	struct clm_state	 st, back;
	struct clm_state_worker	*w;
	char			 buf[65536], *cause = NULL, *again;
	cJSON			*tree;
	ssize_t			 n;
	int			 fd;

	upgrade_state_init(&st);
	st.ctl_fd = 5;
	st.runs = 1234567890123ULL;
	st.napps = 1;
	st.apps = clm_calloc(1, sizeof *st.apps);
	st.apps[0].spec = full_spec();
	st.apps[0].want = 2;
	st.apps[0].up = true;
	st.apps[0].nworkers = 1;
	st.apps[0].workers = w = clm_calloc(1, sizeof *w);
	w->slot = 0;
	w->pid = 4242;
	w->state = clm_strdup("online");
	w->started_ms = 1732950000123ULL;
	w->start_time = 123456789;
	w->exit_code = -1;
	w->chan_fd = 7;
	w->pidfd = -1;
	st.nstreams = 1;
	st.streams = clm_calloc(1, sizeof *st.streams);
	st.streams[0].id = clm_strdup("web:0:1:out");
	st.streams[0].msg = clm_strdup("ADD \"q\" \\ \t\x01 \xc3\xa9");
	st.streams[0].fd = 9;

	ASSERT_TRUE((fd = upgrade_state_write(&st, true)) >= 0);
	n = pread(fd, buf, sizeof buf - 1, 0);
	ASSERT_TRUE(n > 0);
	buf[n] = '\0';
	tree = cJSON_Parse(buf);
	ASSERT_NOT_NULL(tree);
	again = cJSON_PrintUnformatted(tree);
	ASSERT_EQ_STR(buf, again);
	free(again);
	cJSON_Delete(tree);

	ASSERT_EQ_INT(upgrade_state_read(fd, &back, &cause), 0);
	ASSERT_EQ_INT(back.ctl_fd, 5);
	ASSERT_TRUE(back.runs == 1234567890123ULL);
	ASSERT_EQ_INT((long long)back.napps, 1);
	check_full_spec(back.apps[0].spec);
	ASSERT_EQ_INT(back.apps[0].want, 2);
	ASSERT_EQ_INT(back.apps[0].workers[0].pid, 4242);
	ASSERT_EQ_STR(back.apps[0].workers[0].state, "online");
	ASSERT_TRUE(back.apps[0].workers[0].started_ms == 1732950000123ULL);
	ASSERT_TRUE(back.apps[0].workers[0].start_time == 123456789);
	ASSERT_EQ_INT(back.apps[0].workers[0].chan_fd, 7);
	ASSERT_EQ_STR(back.streams[0].msg, st.streams[0].msg);
	upgrade_state_free(&back);
	upgrade_state_free(&st);
}

/* clm list --json asks clmd for the printed text ("json"); an older clmd
 * ignores the field and sends the workers. */
TEST(proto_request_list_json)
{
	struct clm_request	*req = proto_request_new("list"), *back;
	const char		*code = NULL;
	char			*line, *cause = NULL;

	req->json = true;
	line = proto_request_encode(req);
	ASSERT_CONTAINS(line, "\"json\":true");
	ASSERT_EQ_INT(proto_request_decode(line, strlen(line) - 1, &back,
	    &code, &cause), 0);
	ASSERT_TRUE(back->json);
	proto_request_free(back);
	free(line);
	req->json = false;
	line = proto_request_encode(req);
	ASSERT_TRUE(strstr(line, "json") == NULL);
	free(line);
	proto_request_free(req);
}
