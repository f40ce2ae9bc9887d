/*
 * The control protocol: C structs to JSON lines and back. This is the only
 * module that uses cJSON; cJSON values never leave this file.
 *
 * Decoding treats its input as hostile: the size is checked first, then
 * every field's type, range and content, and a failure is a message that
 * names the field.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clm/options.h"
#include "clm/proto.h"
#include "clm/tree.h"
#include "clm/upgrade.h"

/* Ranges of the numbers a peer may send (an app's options: options.h). */
#define PROTO_ARRAY_MAX		65536		/* args, env, notes, workers */
#define PROTO_U53_MAX		9007199254740992LL /* exact in a double */

#define PROTO_MISMATCH_FIX \
	"(restart the daemon with clm kill, or run clm update)"

/* ------------------------------------------------------------------ */
/* Building JSON. cJSON returns NULL when out of memory: we abort, as
 * clm_malloc does. */

static CLM_NORETURN void
proto_oom(void)
{
	fprintf(stderr, "clm: out of memory (building JSON)\n");
	abort();
}

static cJSON *
proto_check(cJSON *item)
{
	if (item == NULL)
		proto_oom();
	return item;
}

static void
proto_add(cJSON *obj, const char *key, cJSON *item)
{
	proto_check(item);
	if (!cJSON_AddItemToObject(obj, key, item))
		proto_oom();
}

static void
proto_add_string(cJSON *obj, const char *key, const char *s)
{
	if (s != NULL)
		proto_add(obj, key, cJSON_CreateString(s));
}

static void
proto_add_number(cJSON *obj, const char *key, double d)
{
	if (!isfinite(d))
		d = 0;
	proto_add(obj, key, cJSON_CreateNumber(d));
}

static void
proto_add_bool(cJSON *obj, const char *key, bool b)
{
	proto_add(obj, key, cJSON_CreateBool(b));
}

static void
proto_add_strv(cJSON *obj, const char *key, char *const *v)
{
	cJSON	*array;
	size_t	 i;

	if (v == NULL)
		return;
	array = proto_check(cJSON_CreateArray());
	for (i = 0; v[i] != NULL; i++) {
		if (!cJSON_AddItemToArray(array,
		    proto_check(cJSON_CreateString(v[i]))))
			proto_oom();
	}
	proto_add(obj, key, array);
}

/* A spec: each row of options_table that has a wire field. Options left
 * unset are left out: the daemon's defaults apply. */
static cJSON *
proto_spec_to_json(const struct clm_app_spec *spec)
{
	const struct clm_option	*o;
	const void		*f;
	cJSON			*obj;
	size_t			 i;

	obj = proto_check(cJSON_CreateObject());
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((o->flags & CLM_OPT_WIRE) == 0 || options_unset(o, spec))
			continue;
		f = options_cfield(o, spec);
		switch (o->type) {
		case CLM_OPT_STRING:
			proto_add_string(obj, o->json, *(char *const *)f);
			break;
		case CLM_OPT_ARGS:
		case CLM_OPT_LIST:
		case CLM_OPT_ENV:
			proto_add_strv(obj, o->json, *(char **const *)f);
			break;
		case CLM_OPT_INSTANCES:
		case CLM_OPT_INT:
			proto_add_number(obj, o->json, *(const int *)f);
			break;
		case CLM_OPT_DURATION:
			proto_add_number(obj, o->json, *(const uint32_t *)f);
			break;
		case CLM_OPT_SIZE:
			proto_add_number(obj, o->json,
			    (double)*(const uint64_t *)f);
			break;
		case CLM_OPT_BOOL:
			proto_add_bool(obj, o->json, *(const bool *)f);
			break;
		case CLM_OPT_SIGNAL:
			proto_add_string(obj, o->json,
			    clm_signal_name(*(const int *)f));
			break;
		case CLM_OPT_CHOICE:
			proto_add_string(obj, o->json,
			    o->choices[*(const int *)f]);
			break;
		}
	}
	return obj;
}

static cJSON *
proto_specs_to_json(struct clm_app_spec *const *apps, size_t n)
{
	cJSON	*array;
	size_t	 i;

	array = proto_check(cJSON_CreateArray());
	for (i = 0; i < n; i++) {
		if (!cJSON_AddItemToArray(array, proto_spec_to_json(apps[i])))
			proto_oom();
	}
	return array;
}

static cJSON *
proto_worker_to_json(const struct clm_worker_info *w)
{
	cJSON	*obj;

	obj = proto_check(cJSON_CreateObject());
	proto_add_string(obj, "name", w->name != NULL ? w->name : "");
	proto_add_number(obj, "id", w->id);
	if (w->pid > 0)
		proto_add_number(obj, "pid", w->pid);
	else
		proto_add(obj, "pid", cJSON_CreateNull());
	proto_add_string(obj, "status", w->status != NULL ? w->status : "");
	proto_add_number(obj, "restarts", w->restarts);
	proto_add_number(obj, "uptime_ms", (double)w->uptime_ms);
	proto_add_number(obj, "cpu", w->cpu);
	proto_add_number(obj, "memory", (double)w->memory);
	proto_add_number(obj, "cpu_ms", (double)w->cpu_ms);
	if (w->exit_code == -1)
		proto_add(obj, "exit_code", cJSON_CreateNull());
	else
		proto_add_number(obj, "exit_code", w->exit_code);
	if (w->signal == 0)
		proto_add(obj, "signal", cJSON_CreateNull());
	else
		proto_add_string(obj, "signal", clm_signal_name(w->signal));
	if (w->reason != NULL)
		proto_add_string(obj, "reason", w->reason);
	else
		proto_add(obj, "reason", cJSON_CreateNull());
	if (w->ended_ms != 0)
		proto_add_number(obj, "ended_at", (double)w->ended_ms);
	else
		proto_add(obj, "ended_at", cJSON_CreateNull());
	proto_add_string(obj, "health", w->health);
	return obj;
}

static cJSON *
proto_workers_to_json(const struct clm_worker_info *w, size_t n)
{
	cJSON	*array;
	size_t	 i;

	array = proto_check(cJSON_CreateArray());
	for (i = 0; i < n; i++) {
		if (!cJSON_AddItemToArray(array, proto_worker_to_json(&w[i])))
			proto_oom();
	}
	return array;
}

/*
 * The workers written straight into a buffer, as cJSON prints them (byte
 * for byte: clm list --json is read by scripts), without a tree of
 * thousands of nodes: a list of 5,000 workers is built in a few ms.
 */
struct jbuf {
	char	*s;
	size_t	 len, cap;
};

static void
jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->s = clm_realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
jb_puts(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

/* The string, in an allocation of its size: a reply waits in the queue of
 * a client that reads slowly, thousands of them for one that never does
 * (SERVER_QUEUE_MAX counts their bytes, not a doubled buffer's). */
static char *
jb_take(struct jbuf *b)
{
	return clm_realloc(b->s, b->len + 1);
}

/* A string as cJSON escapes it. */
static void
jb_str(struct jbuf *b, const char *s)
{
	const unsigned char	*p, *run;
	char			 esc[8];

	jb_put(b, "\"", 1);
	for (p = run = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 32 && *p != '"' && *p != '\\')
			continue;
		jb_put(b, (const char *)run, (size_t)(p - run));
		switch (*p) {
		case '"':  jb_put(b, "\\\"", 2); break;
		case '\\': jb_put(b, "\\\\", 2); break;
		case '\b': jb_put(b, "\\b", 2); break;
		case '\f': jb_put(b, "\\f", 2); break;
		case '\n': jb_put(b, "\\n", 2); break;
		case '\r': jb_put(b, "\\r", 2); break;
		case '\t': jb_put(b, "\\t", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			jb_put(b, esc, 6);
			break;
		}
		run = p + 1;
	}
	jb_put(b, (const char *)run, (size_t)(p - run));
	jb_put(b, "\"", 1);
}

/* A number as cJSON prints it: integers as integers, others with 15
 * significant digits, or 17 when 15 do not read back the same. */
static void
jb_num(struct jbuf *b, double d)
{
	char		 buf[32], *e = buf + sizeof buf;
	unsigned long long u;
	double		 back;

	if (!isfinite(d))
		d = 0;
	if (d == floor(d) && fabs(d) < 1e15) {
		u = (unsigned long long)fabs(d);
		*--e = '\0';
		do {
			*--e = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0);
		if (d < 0)
			*--e = '-';
		jb_puts(b, e);
		return;
	}
	snprintf(buf, sizeof buf, "%1.15g", d);
	if (sscanf(buf, "%lg", &back) != 1 || fabs(back - d) >
	    (fabs(back) > fabs(d) ? fabs(back) : fabs(d)) * DBL_EPSILON)
		snprintf(buf, sizeof buf, "%1.17g", d);
	jb_puts(b, buf);
}

/* A cJSON tree, unformatted, as cJSON_PrintUnformatted() writes it. */
static void
jb_item(struct jbuf *b, const cJSON *it)
{
	const cJSON	*c;

	switch (it->type & 0xFF) {
	case cJSON_False:
		jb_puts(b, "false");
		break;
	case cJSON_True:
		jb_puts(b, "true");
		break;
	case cJSON_Number:
		jb_num(b, it->valuedouble);
		break;
	case cJSON_String:
		jb_str(b, it->valuestring != NULL ? it->valuestring : "");
		break;
	case cJSON_Raw:
		jb_puts(b, it->valuestring != NULL ? it->valuestring : "");
		break;
	case cJSON_Array:
		jb_put(b, "[", 1);
		for (c = it->child; c != NULL; c = c->next) {
			jb_item(b, c);
			if (c->next != NULL)
				jb_put(b, ",", 1);
		}
		jb_put(b, "]", 1);
		break;
	case cJSON_Object:
		jb_put(b, "{", 1);
		for (c = it->child; c != NULL; c = c->next) {
			jb_str(b, c->string != NULL ? c->string : "");
			jb_put(b, ":", 1);
			jb_item(b, c);
			if (c->next != NULL)
				jb_put(b, ",", 1);
		}
		jb_put(b, "}", 1);
		break;
	default:
		jb_puts(b, "null");
		break;
	}
}

/* One member: its key (after the first, a comma) and what follows. */
static void
jb_key(struct jbuf *b, const char *key, bool first, bool pretty)
{
	if (!first)
		jb_put(b, pretty ? ",\n" : ",", pretty ? 2 : 1);
	if (pretty)
		jb_put(b, "\t\t", 2);
	jb_str(b, key);
	jb_put(b, pretty ? ":\t" : ":", pretty ? 2 : 1);
}

static void
jb_worker(struct jbuf *b, const struct clm_worker_info *w, bool pretty)
{
	jb_put(b, pretty ? "{\n" : "{", pretty ? 2 : 1);
	jb_key(b, "name", true, pretty);
	jb_str(b, w->name != NULL ? w->name : "");
	jb_key(b, "id", false, pretty);
	jb_num(b, w->id);
	jb_key(b, "pid", false, pretty);
	if (w->pid > 0)
		jb_num(b, w->pid);
	else
		jb_puts(b, "null");
	jb_key(b, "status", false, pretty);
	jb_str(b, w->status != NULL ? w->status : "");
	jb_key(b, "restarts", false, pretty);
	jb_num(b, w->restarts);
	jb_key(b, "uptime_ms", false, pretty);
	jb_num(b, (double)w->uptime_ms);
	jb_key(b, "cpu", false, pretty);
	jb_num(b, w->cpu);
	jb_key(b, "memory", false, pretty);
	jb_num(b, (double)w->memory);
	jb_key(b, "cpu_ms", false, pretty);
	jb_num(b, (double)w->cpu_ms);
	jb_key(b, "exit_code", false, pretty);
	if (w->exit_code == -1)
		jb_puts(b, "null");
	else
		jb_num(b, w->exit_code);
	jb_key(b, "signal", false, pretty);
	if (w->signal == 0)
		jb_puts(b, "null");
	else
		jb_str(b, clm_signal_name(w->signal));
	jb_key(b, "reason", false, pretty);
	if (w->reason != NULL)
		jb_str(b, w->reason);
	else
		jb_puts(b, "null");
	jb_key(b, "ended_at", false, pretty);
	if (w->ended_ms != 0)
		jb_num(b, (double)w->ended_ms);
	else
		jb_puts(b, "null");
	if (w->health != NULL) {
		jb_key(b, "health", false, pretty);
		jb_str(b, w->health);
	}
	jb_put(b, pretty ? "\n\t}" : "}", pretty ? 3 : 1);
}

static void
jb_workers(struct jbuf *b, const struct clm_worker_info *w, size_t n,
    bool pretty)
{
	size_t	i;

	jb_put(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_put(b, pretty ? ", " : ",", pretty ? 2 : 1);
		jb_worker(b, &w[i], pretty);
	}
	jb_put(b, "]", 1);
}

/* Print obj (and free it) followed by '\n'. */
static char *
proto_print(cJSON *obj, bool pretty)
{
	char	*s, *line;

	s = pretty ? cJSON_Print(obj) : cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (s == NULL)
		proto_oom();
	line = clm_asprintf("%s\n", s);
	cJSON_free(s);
	return line;
}

/* ------------------------------------------------------------------ */
/* Structs. */

struct clm_request *
proto_request_new(const char *cmd)
{
	struct clm_request	*req;

	req = clm_calloc(1, sizeof *req);
	req->version = CLM_PROTOCOL_VERSION;
	req->cmd = clm_strdup(cmd);
	req->lines = -1;
	return req;
}

static void
proto_specs_free(struct clm_app_spec **apps, size_t n)
{
	size_t	i;

	if (apps == NULL)
		return;
	for (i = 0; i < n; i++)
		clm_app_spec_free(apps[i]);
	free(apps);
}

void
proto_request_free(struct clm_request *req)
{
	if (req == NULL)
		return;
	free(req->cmd);
	free(req->target);
	clm_app_spec_free(req->spec);
	free(req->which);
	proto_specs_free(req->apps, req->napps);
	clm_strv_free(req->env);
	free(req);
}

struct clm_reply *
proto_reply_new(void)
{
	struct clm_reply	*reply;

	reply = clm_calloc(1, sizeof *reply);
	reply->version = CLM_PROTOCOL_VERSION;
	reply->ok = true;
	return reply;
}

struct clm_reply *
proto_reply_error(const char *code, const char *fmt, ...)
{
	struct clm_reply	*reply;
	va_list			 ap;

	reply = proto_reply_new();
	reply->ok = false;
	reply->code = clm_strdup(code);
	va_start(ap, fmt);
	reply->message = clm_vasprintf(fmt, ap);
	va_end(ap);
	return reply;
}

void
proto_reply_note(struct clm_reply *reply, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = clm_vasprintf(fmt, ap);
	va_end(ap);
	clm_strv_push(&reply->notes, s);
	free(s);
}

void
proto_worker_info_clear(struct clm_worker_info *w)
{
	if (w == NULL)
		return;
	free(w->name);
	free(w->status);
	free(w->reason);
	free(w->health);
	memset(w, 0, sizeof *w);
	w->exit_code = -1;
}

void
proto_reply_free(struct clm_reply *reply)
{
	size_t	i;

	if (reply == NULL)
		return;
	free(reply->code);
	free(reply->message);
	clm_strv_free(reply->notes);
	for (i = 0; i < reply->nworkers; i++)
		proto_worker_info_clear(&reply->workers[i]);
	free(reply->workers);
	clm_app_spec_free(reply->spec);
	free(reply->daemon_version);
	free(reply->text);
	free(reply);
}

/* ------------------------------------------------------------------ */
/* Encoding. */

char *
proto_request_encode(const struct clm_request *req)
{
	cJSON	*obj;

	obj = proto_check(cJSON_CreateObject());
	proto_add_number(obj, "v", req->version);
	proto_add_string(obj, "cmd", req->cmd);
	proto_add_string(obj, "target", req->target);
	if (req->spec != NULL)
		proto_add(obj, "spec", proto_spec_to_json(req->spec));
	if (req->count != 0)
		proto_add_number(obj, "count", (double)req->count);
	if (req->relative)
		proto_add_bool(obj, "relative", true);
	if (req->lines >= 0)
		proto_add_number(obj, "lines", req->lines);
	proto_add_string(obj, "which", req->which);
	if (req->follow)
		proto_add_bool(obj, "follow", true);
	if (req->raw)
		proto_add_bool(obj, "raw", true);
	if (req->apps != NULL)
		proto_add(obj, "apps", proto_specs_to_json(req->apps,
		    req->napps));
	if (req->update_env)
		proto_add_bool(obj, "update_env", true);
	if (req->json)
		proto_add_bool(obj, "json", true);
	proto_add_strv(obj, "env", req->env);
	return proto_print(obj, false);
}

char *
proto_reply_encode(const struct clm_reply *reply)
{
	struct jbuf	 b = { NULL, 0, 0 };
	cJSON		*obj, *error;
	char		*s;

	obj = proto_check(cJSON_CreateObject());
	proto_add_number(obj, "v", reply->version);
	proto_add_bool(obj, "ok", reply->ok);
	if (reply->more)
		proto_add_bool(obj, "more", true);
	if (!reply->ok) {
		error = proto_check(cJSON_CreateObject());
		proto_add_string(error, "code", reply->code != NULL ?
		    reply->code : CLM_E_INTERNAL);
		proto_add_string(error, "message", reply->message != NULL ?
		    reply->message : "unknown error");
		proto_add(obj, "error", error);
	}
	proto_add_strv(obj, "notes", reply->notes);
	if (reply->spec != NULL)
		proto_add(obj, "spec", proto_spec_to_json(reply->spec));
	if (reply->daemon_pid != 0)
		proto_add_number(obj, "daemon_pid", reply->daemon_pid);
	proto_add_string(obj, "daemon_version", reply->daemon_version);
	proto_add_string(obj, "text", reply->text);
	if (reply->workers == NULL)
		return proto_print(obj, false);
	/* The workers written straight after the rest: {...,"workers":[]} */
	s = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (s == NULL)
		proto_oom();
	jb_put(&b, s, strlen(s) - 1);
	cJSON_free(s);
	jb_puts(&b, ",\"workers\":");
	jb_workers(&b, reply->workers, reply->nworkers, false);
	jb_puts(&b, "}\n");
	return jb_take(&b);
}

char *
proto_workers_json(const struct clm_worker_info *w, size_t n)
{
	struct jbuf	b = { NULL, 0, 0 };

	jb_workers(&b, w, n, true);
	jb_puts(&b, "\n");
	return jb_take(&b);
}

char *
proto_describe_json(const struct clm_app_spec *spec,
    const struct clm_worker_info *w, size_t n)
{
	cJSON	*obj;

	obj = proto_check(cJSON_CreateObject());
	if (spec != NULL)
		proto_add(obj, "spec", proto_spec_to_json(spec));
	else
		proto_add(obj, "spec", cJSON_CreateNull());
	proto_add(obj, "workers", proto_workers_to_json(w, n));
	return proto_print(obj, true);
}

char *
proto_readiness_json(const struct clm_worker_info *w, size_t n, bool *ready)
{
	cJSON	*obj, *missing, *m;
	size_t	 i;

	obj = proto_check(cJSON_CreateObject());
	missing = proto_check(cJSON_CreateArray());
	*ready = true;
	for (i = 0; i < n; i++) {
		if (strcmp(w[i].status, "online") == 0 &&
		    (w[i].health == NULL || strcmp(w[i].health, "ok") == 0))
			continue;
		*ready = false;
		m = proto_check(cJSON_CreateObject());
		proto_add_string(m, "app", w[i].name);
		proto_add_number(m, "id", w[i].id);
		proto_add_string(m, "status", w[i].status);
		proto_add_string(m, "reason", w[i].reason);
		proto_add_string(m, "health", w[i].health);
		if (!cJSON_AddItemToArray(missing, m))
			proto_oom();
	}
	proto_add_bool(obj, "ready", *ready);
	proto_add(obj, "missing", missing);
	return proto_print(obj, false);
}

/* ------------------------------------------------------------------ */
/* Decoding. Every getter takes the field's path for its message
 * ("spec.env[2]") and fills *cause on failure. */

struct proto_dec {
	const char	*what;		/* "" or "bad reply from clmd: " */
	const char	*code;		/* CLM_E_* of the failure */
	char		*cause;
};

static int
proto_fail(struct proto_dec *d, const char *code, const char *fmt, ...)
    CLM_PRINTF(3, 4);

static int
proto_fail(struct proto_dec *d, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = clm_vasprintf(fmt, ap);
	va_end(ap);
	free(d->cause);
	d->cause = clm_asprintf("%s%s", d->what, msg);
	free(msg);
	d->code = code;
	return -1;
}

/* Whether v, finite and within the range of long long, is an integer
 * (without floor(): no libm). */
static bool
proto_integral(double v)
{
	return (double)(long long)v == v;
}

/* A key's item, or NULL when it is absent or JSON null. */
static cJSON *
proto_get(const cJSON *obj, const char *key)
{
	cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (item == NULL || cJSON_IsNull(item))
		return NULL;
	return item;
}

static int
proto_get_int(struct proto_dec *d, const cJSON *obj, const char *prefix,
    const char *key, long long min, long long max, bool required,
    long long *out)
{
	cJSON	*item;
	double	 v;

	if ((item = proto_get(obj, key)) == NULL) {
		if (!required)
			return 0;
		return proto_fail(d, CLM_E_BADREQ, "field '%s%s' is missing "
		    "(it must be an integer)", prefix, key);
	}
	if (!cJSON_IsNumber(item))
		goto bad;
	v = item->valuedouble;
	if (!isfinite(v) || v < (double)min || v > (double)max ||
	    !proto_integral(v))
		goto bad;
	*out = (long long)v;
	return 0;

bad:
	return proto_fail(d, CLM_E_BADREQ, "field '%s%s' must be an integer "
	    "from %lld to %lld", prefix, key, min, max);
}

static int
proto_get_uint32(struct proto_dec *d, const cJSON *obj, const char *prefix,
    const char *key, long long max, uint32_t *out)
{
	long long	v = *out;

	if (proto_get_int(d, obj, prefix, key, 0, max, false, &v) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
proto_get_u64(struct proto_dec *d, const cJSON *obj, const char *prefix,
    const char *key, uint64_t *out)
{
	long long	v = (long long)*out;

	if (proto_get_int(d, obj, prefix, key, 0, PROTO_U53_MAX, false,
	    &v) != 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int
proto_get_int32(struct proto_dec *d, const cJSON *obj, const char *prefix,
    const char *key, long long min, long long max, bool required, int *out)
{
	long long	v = *out;

	if (proto_get_int(d, obj, prefix, key, min, max, required, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

static int
proto_get_bool(struct proto_dec *d, const cJSON *obj, const char *prefix,
    const char *key, bool required, bool *out)
{
	cJSON	*item;

	if ((item = proto_get(obj, key)) == NULL) {
		if (!required)
			return 0;
		return proto_fail(d, CLM_E_BADREQ, "field '%s%s' is missing "
		    "(it must be true or false)", prefix, key);
	}
	if (!cJSON_IsBool(item)) {
		return proto_fail(d, CLM_E_BADREQ, "field '%s%s' must be true "
		    "or false", prefix, key);
	}
	*out = cJSON_IsTrue(item);
	return 0;
}

/* A string field: *out is replaced by a copy (left alone when absent). */
/* Is s valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF)? */
bool
proto_utf8(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), k;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((k = clm_utf8_len(p, len - (size_t)(p -
		    (const unsigned char *)s))) == 0)
			return false;
		p += k;
	}
	return true;
}

static int
proto_get_string(struct proto_dec *d, const cJSON *obj, const char *prefix,
    const char *key, bool required, char **out)
{
	cJSON	*item;

	if ((item = proto_get(obj, key)) == NULL) {
		if (!required)
			return 0;
		return proto_fail(d, CLM_E_BADREQ, "field '%s%s' is missing "
		    "(it must be a string)", prefix, key);
	}
	if (!cJSON_IsString(item) || item->valuestring == NULL) {
		return proto_fail(d, CLM_E_BADREQ, "field '%s%s' must be a "
		    "string", prefix, key);
	}
	if (!proto_utf8(item->valuestring)) {
		return proto_fail(d, CLM_E_BADREQ, "field '%s%s' is not valid "
		    "UTF-8", prefix, key);
	}
	free(*out);
	*out = clm_strdup(item->valuestring);
	return 0;
}

/* An array of strings; with is_env, each must be KEY=VALUE. */
static int
proto_get_strv(struct proto_dec *d, const cJSON *obj, const char *prefix,
    const char *key, bool is_env, char ***out)
{
	cJSON	*array, *item;
	char	**v;
	size_t	  i, n;

	if ((array = proto_get(obj, key)) == NULL)
		return 0;
	if (!cJSON_IsArray(array)) {
		return proto_fail(d, CLM_E_BADREQ, "field '%s%s' must be an "
		    "array of strings", prefix, key);
	}
	n = 0;
	cJSON_ArrayForEach(item, array) {
		if (++n > PROTO_ARRAY_MAX) {
			return proto_fail(d, CLM_E_BADREQ, "field '%s%s' has "
			    "more than %d entries", prefix, key,
			    PROTO_ARRAY_MAX);
		}
	}
	v = clm_calloc(n + 1, sizeof *v);
	i = 0;
	cJSON_ArrayForEach(item, array) {
		if (!cJSON_IsString(item) || item->valuestring == NULL) {
			clm_strv_free(v);
			return proto_fail(d, CLM_E_BADREQ, "field '%s%s[%zu]' "
			    "must be a string", prefix, key, i);
		}
		if (!proto_utf8(item->valuestring)) {
			clm_strv_free(v);
			return proto_fail(d, CLM_E_BADREQ, "field '%s%s[%zu]' "
			    "is not valid UTF-8", prefix, key, i);
		}
		if (is_env && (item->valuestring[0] == '=' ||
		    strchr(item->valuestring, '=') == NULL)) {
			clm_strv_free(v);
			return proto_fail(d, CLM_E_BADREQ, "field '%s%s[%zu]' "
			    "must have the form KEY=VALUE", prefix, key, i);
		}
		v[i++] = clm_strdup(item->valuestring);
	}
	v[i] = NULL;
	clm_strv_free(*out);
	*out = v;
	return 0;
}

/* A nested object, or NULL when absent. */
static int
proto_get_object(struct proto_dec *d, const cJSON *obj, const char *prefix,
    const char *key, cJSON **out)
{
	cJSON	*item;

	*out = NULL;
	if ((item = proto_get(obj, key)) == NULL)
		return 0;
	if (!cJSON_IsObject(item)) {
		return proto_fail(d, CLM_E_BADREQ, "field '%s%s' must be an "
		    "object", prefix, key);
	}
	*out = item;
	return 0;
}

/* A number of an option within its limits (options_check_number). */
static int
proto_get_option_number(struct proto_dec *d, const cJSON *obj, const char *p,
    const struct clm_option *o, long long *out)
{
	cJSON	*item;
	char	*why;
	double	 v;

	if ((item = proto_get(obj, o->json)) == NULL)
		return 1;
	v = cJSON_IsNumber(item) ? item->valuedouble : NAN;
	if (!isfinite(v) || v < -(double)PROTO_U53_MAX ||
	    v > (double)PROTO_U53_MAX || !proto_integral(v)) {
		(void)options_check_number(o, LLONG_MIN, &why);
		proto_fail(d, CLM_E_BADREQ, "field '%s%s' %s", p, o->json, why);
		free(why);
		return -1;
	}
	if (options_check_number(o, (long long)v, &why) != 0) {
		proto_fail(d, CLM_E_BADREQ, "field '%s%s' %s", p, o->json, why);
		free(why);
		return -1;
	}
	*out = (long long)v;
	return 0;
}

/* One option's field of a spec object, when present. */
static int
proto_get_option(struct proto_dec *d, const cJSON *obj, const char *p,
    const struct clm_option *o, struct clm_app_spec *spec)
{
	void		*f = options_field(o, spec);
	cJSON		*item;
	char		*cause;
	long long	 v;
	size_t		 i;
	int		 rc, sig;

	switch (o->type) {
	case CLM_OPT_STRING:
		if (proto_get_string(d, obj, p, o->json,
		    (o->flags & CLM_OPT_REQUIRED) != 0, (char **)f) != 0)
			return -1;
		if (o->check != NULL && *(char **)f != NULL &&
		    o->check(*(char **)f, &cause) != 0) {
			proto_fail(d, CLM_E_INVAL, "%s", cause);
			free(cause);
			return -1;
		}
		return 0;
	case CLM_OPT_ARGS:
	case CLM_OPT_LIST:
	case CLM_OPT_ENV:
		if (proto_get_strv(d, obj, p, o->json, o->type == CLM_OPT_ENV,
		    (char ***)f) != 0)
			return -1;
		for (i = 0; o->check != NULL && *(char ***)f != NULL &&
		    (*(char ***)f)[i] != NULL; i++) {
			if (o->check((*(char ***)f)[i], &cause) != 0) {
				proto_fail(d, CLM_E_INVAL, "field '%s%s[%zu]': "
				    "%s", p, o->json, i, cause);
				free(cause);
				return -1;
			}
		}
		return 0;
	case CLM_OPT_BOOL:
		return proto_get_bool(d, obj, p, o->json,
		    (o->flags & CLM_OPT_REQUIRED) != 0, (bool *)f);
	case CLM_OPT_SIGNAL:
		if ((item = proto_get(obj, o->json)) == NULL)
			return 0;
		if (!cJSON_IsString(item) || item->valuestring == NULL ||
		    (sig = clm_signal_parse(item->valuestring)) <= 0) {
			return proto_fail(d, CLM_E_BADREQ, "field '%s%s' must "
			    "be a signal name like \"SIGINT\"", p, o->json);
		}
		*(int *)f = sig;
		return 0;
	case CLM_OPT_CHOICE:
		/* A bool too: what older clients and saved states say. */
		if ((item = proto_get(obj, o->json)) == NULL)
			return 0;
		if (cJSON_IsBool(item))
			sig = cJSON_IsTrue(item) ? 1 : 0;
		else if (!cJSON_IsString(item) || item->valuestring == NULL ||
		    (sig = options_choice(o, item->valuestring)) < 0) {
			return proto_fail(d, CLM_E_BADREQ, "field '%s%s' must "
			    "be one of \"%s\"%s%s", p, o->json,
			    o->choices[1], o->choices[2] ? ", \"" : "",
			    o->choices[2] ? "...\"" : "");
		}
		*(int *)f = sig;
		return 0;
	default:
		break;
	}
	if ((rc = proto_get_option_number(d, obj, p, o, &v)) != 0)
		return rc == 1 ? 0 : -1;
	if (o->type == CLM_OPT_DURATION)
		*(uint32_t *)f = (uint32_t)v;
	else if (o->type == CLM_OPT_SIZE)
		*(uint64_t *)f = (uint64_t)v;
	else
		*(int *)f = (int)v;
	return 0;
}

/* A spec object; p is its path in messages ("spec.", "apps[2]."). */
static int
proto_spec_from_json(struct proto_dec *d, const cJSON *obj, const char *p,
    struct clm_app_spec **out)
{
	struct clm_app_spec	*spec;
	const struct clm_option	*o;
	size_t			 i;

	spec = clm_app_spec_new();
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((o->flags & CLM_OPT_WIRE) != 0 &&
		    proto_get_option(d, obj, p, o, spec) != 0) {
			clm_app_spec_free(spec);
			return -1;
		}
	}
	*out = spec;
	return 0;
}

/* "apps": an array of spec objects, every name once. */
static int
proto_get_apps(struct proto_dec *d, const cJSON *obj,
    struct clm_app_spec ***out, size_t *nout)
{
	struct clm_app_spec	**v;
	cJSON			 *array, *item;
	char			  prefix[64];
	size_t			  i, j, n;

	if ((array = proto_get(obj, "apps")) == NULL)
		return 0;
	if (!cJSON_IsArray(array)) {
		return proto_fail(d, CLM_E_BADREQ, "field 'apps' must be an "
		    "array of objects");
	}
	n = 0;
	cJSON_ArrayForEach(item, array) {
		if (++n > CLM_APPS_MAX) {
			return proto_fail(d, CLM_E_BADREQ, "field 'apps' has "
			    "more than %d entries", CLM_APPS_MAX);
		}
	}
	v = clm_calloc(n + 1, sizeof *v);
	i = 0;
	cJSON_ArrayForEach(item, array) {
		if (!cJSON_IsObject(item)) {
			proto_fail(d, CLM_E_BADREQ, "field 'apps[%zu]' must be "
			    "an object", i);
			goto fail;
		}
		snprintf(prefix, sizeof prefix, "apps[%zu].", i);
		if (proto_spec_from_json(d, item, prefix, &v[i]) != 0)
			goto fail;
		for (j = 0; j < i; j++) {
			if (strcmp(v[j]->name, v[i]->name) == 0) {
				proto_fail(d, CLM_E_INVAL, "field 'apps[%zu]': "
				    "app '%s' is also apps[%zu] (names must "
				    "be unique)", i, v[i]->name, j);
				i++;
				goto fail;
			}
		}
		i++;
	}
	proto_specs_free(*out, *nout);
	*out = v;
	*nout = n;
	return 0;

fail:
	proto_specs_free(v, i);
	return -1;
}

/* "v", the protocol version: checked before anything else, so that a peer
 * of another version is told so rather than that a field is wrong. */
static int
proto_get_version(struct proto_dec *d, const cJSON *obj, long long *out)
{
	cJSON	*item;
	double	 v;

	item = cJSON_GetObjectItemCaseSensitive(obj, "v");
	v = cJSON_IsNumber(item) ? item->valuedouble : -1;
	if (!isfinite(v) || v < 0 || v > INT_MAX || !proto_integral(v)) {
		return proto_fail(d, CLM_E_BADREQ, "field 'v' must be an "
		    "integer (the protocol version, %d)", CLM_PROTOCOL_VERSION);
	}
	*out = (long long)v;
	return 0;
}

/*
 * Parse a line into a JSON object. The bytes are copied (they need not be
 * terminated); a NUL byte, raw or escaped as \u0000, is refused because C
 * strings would silently cut there.
 */
static cJSON *
proto_parse(struct proto_dec *d, const char *line, size_t len, size_t max,
    const char *what)
{
	cJSON	*root;
	char	*buf;
	size_t	 i;

	if (len > max) {
		proto_fail(d, CLM_E_TOOBIG, "%s of %zu bytes is over the limit "
		    "of %zu bytes", what, len, max);
		return NULL;
	}
	if (line == NULL || len == 0) {
		proto_fail(d, CLM_E_BADREQ, "%s is empty (expected a JSON "
		    "object)", what);
		return NULL;
	}
	if (memchr(line, '\0', len) != NULL) {
		proto_fail(d, CLM_E_BADREQ, "%s contains a NUL byte", what);
		return NULL;
	}
	for (i = 0; i + 1 < len; i++) {
		if (line[i] != '\\')
			continue;
		if (line[i + 1] == 'u' && i + 6 <= len &&
		    memcmp(line + i + 2, "0000", 4) == 0) {
			proto_fail(d, CLM_E_BADREQ, "%s contains a NUL "
			    "character (\\u0000) in a string", what);
			return NULL;
		}
		i++;	/* skip the escaped character */
	}

	buf = clm_malloc(len + 1);
	memcpy(buf, line, len);
	buf[len] = '\0';
	/* JSON is UTF-8 text: anything else is refused whole. */
	if (!proto_utf8(buf)) {
		free(buf);
		proto_fail(d, CLM_E_BADREQ, "%s is not valid UTF-8", what);
		return NULL;
	}
	root = cJSON_ParseWithOpts(buf, NULL, 1);
	free(buf);
	if (root == NULL) {
		proto_fail(d, CLM_E_BADREQ, "%s is not valid JSON", what);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		proto_fail(d, CLM_E_BADREQ, "%s must be a JSON object", what);
		return NULL;
	}
	return root;
}

int
proto_request_decode(const char *line, size_t len, struct clm_request **out,
    const char **code, char **cause)
{
	struct proto_dec	 d = { "", CLM_E_BADREQ, NULL };
	struct clm_request	*req = NULL;
	cJSON			*root, *spec;
	long long		 v = 0;

	*out = NULL;
	if ((root = proto_parse(&d, line, len, CLM_MAX_FRAME, "request")) == NULL)
		goto fail;

	if (proto_get_version(&d, root, &v) != 0)
		goto fail;
	if (v != CLM_PROTOCOL_VERSION) {
		proto_fail(&d, CLM_E_PROTO, "protocol version mismatch: client "
		    "speaks %lld, clmd speaks %d " PROTO_MISMATCH_FIX, v,
		    CLM_PROTOCOL_VERSION);
		goto fail;
	}

	req = proto_request_new(NULL);
	req->version = (int)v;
	if (proto_get_string(&d, root, "", "cmd", true, &req->cmd) != 0 ||
	    proto_get_string(&d, root, "", "target", false,
	    &req->target) != 0 ||
	    proto_get_int(&d, root, "", "count", -CLM_INSTANCES_LIMIT,
	    CLM_INSTANCES_LIMIT, false, &req->count) != 0 ||
	    proto_get_bool(&d, root, "", "relative", false,
	    &req->relative) != 0 ||
	    proto_get_int32(&d, root, "", "lines", 0, 10000, false,
	    &req->lines) != 0 ||
	    proto_get_string(&d, root, "", "which", false, &req->which) != 0 ||
	    proto_get_bool(&d, root, "", "follow", false, &req->follow) != 0 ||
	    proto_get_bool(&d, root, "", "raw", false, &req->raw) != 0 ||
	    proto_get_bool(&d, root, "", "update_env", false,
	    &req->update_env) != 0 ||
	    proto_get_bool(&d, root, "", "json", false, &req->json) != 0 ||
	    proto_get_strv(&d, root, "", "env", true, &req->env) != 0 ||
	    proto_get_object(&d, root, "", "spec", &spec) != 0)
		goto fail;
	if (spec != NULL &&
	    proto_spec_from_json(&d, spec, "spec.", &req->spec) != 0)
		goto fail;
	if (proto_get_apps(&d, root, &req->apps, &req->napps) != 0)
		goto fail;

	cJSON_Delete(root);
	*out = req;
	return 0;

fail:
	cJSON_Delete(root);
	proto_request_free(req);
	*code = d.code;
	*cause = d.cause;
	return -1;
}

static int
proto_worker_from_json(struct proto_dec *d, const cJSON *obj, size_t idx,
    struct clm_worker_info *w)
{
	cJSON		*item;
	char		 prefix[64];
	long long	 v = 0;
	int		 sig;

	snprintf(prefix, sizeof prefix, "workers[%zu].", idx);
	w->exit_code = -1;
	if (!cJSON_IsObject(obj)) {
		return proto_fail(d, CLM_E_BADREQ, "field 'workers[%zu]' must "
		    "be an object", idx);
	}
	if (proto_get_string(d, obj, prefix, "name", true, &w->name) != 0 ||
	    proto_get_int32(d, obj, prefix, "id", 0, INT_MAX, true,
	    &w->id) != 0 ||
	    proto_get_int32(d, obj, prefix, "pid", 0, INT_MAX, false,
	    &w->pid) != 0 ||
	    proto_get_string(d, obj, prefix, "status", true,
	    &w->status) != 0)
		return -1;

	v = 0;
	if (proto_get_int(d, obj, prefix, "restarts", 0, UINT_MAX, false,
	    &v) != 0)
		return -1;
	w->restarts = (unsigned)v;
	v = 0;
	if (proto_get_int(d, obj, prefix, "uptime_ms", 0, PROTO_U53_MAX, false,
	    &v) != 0)
		return -1;
	w->uptime_ms = (uint64_t)v;
	v = 0;
	if (proto_get_int(d, obj, prefix, "memory", 0, PROTO_U53_MAX, false,
	    &v) != 0)
		return -1;
	w->memory = (uint64_t)v;
	if (proto_get_u64(d, obj, prefix, "cpu_ms", &w->cpu_ms) != 0)
		return -1;
	if (proto_get_int32(d, obj, prefix, "exit_code", -1, 255, false,
	    &w->exit_code) != 0)
		return -1;
	if (proto_get_string(d, obj, prefix, "reason", false,
	    &w->reason) != 0 ||
	    proto_get_string(d, obj, prefix, "health", false,
	    &w->health) != 0 ||
	    proto_get_u64(d, obj, prefix, "ended_at", &w->ended_ms) != 0)
		return -1;

	if ((item = proto_get(obj, "cpu")) != NULL) {
		if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) ||
		    item->valuedouble < 0) {
			return proto_fail(d, CLM_E_BADREQ, "field '%scpu' must "
			    "be a number of at least 0", prefix);
		}
		w->cpu = item->valuedouble;
	}
	if ((item = proto_get(obj, "signal")) != NULL) {
		if (!cJSON_IsString(item) || item->valuestring == NULL ||
		    (sig = clm_signal_parse(item->valuestring)) <= 0) {
			return proto_fail(d, CLM_E_BADREQ, "field '%ssignal' "
			    "must be a signal name like \"SIGKILL\" or null",
			    prefix);
		}
		w->signal = sig;
	}
	return 0;
}

static int
proto_workers_from_json(struct proto_dec *d, const cJSON *root,
    struct clm_reply *reply)
{
	cJSON	*array, *item;
	size_t	 n;

	if ((array = proto_get(root, "workers")) == NULL)
		return 0;
	if (!cJSON_IsArray(array)) {
		return proto_fail(d, CLM_E_BADREQ, "field 'workers' must be an "
		    "array of objects");
	}
	n = 0;
	cJSON_ArrayForEach(item, array) {
		if (++n > PROTO_ARRAY_MAX) {
			return proto_fail(d, CLM_E_BADREQ, "field 'workers' "
			    "has more than %d entries", PROTO_ARRAY_MAX);
		}
	}
	reply->workers = clm_calloc(n, sizeof *reply->workers);
	cJSON_ArrayForEach(item, array) {
		/* Count it first, so that reply_free clears a partial one. */
		reply->nworkers++;
		if (proto_worker_from_json(d, item, reply->nworkers - 1,
		    &reply->workers[reply->nworkers - 1]) != 0)
			return -1;
	}
	return 0;
}

int
proto_reply_decode(const char *line, size_t len, struct clm_reply **out,
    char **cause)
{
	struct proto_dec	 d = { "bad reply from clmd: ", CLM_E_BADREQ,
				    NULL };
	struct clm_reply	*reply = NULL;
	cJSON			*root, *error, *code, *spec, *item;
	long long		 v = 0;

	*out = NULL;
	if ((root = proto_parse(&d, line, len, CLM_MAX_REPLY, "reply")) == NULL)
		goto fail;

	if (proto_get_version(&d, root, &v) != 0)
		goto fail;
	if (v != CLM_PROTOCOL_VERSION) {
		/*
		 * The error shape never changes: when clmd already explained
		 * the mismatch, pass its words on.
		 */
		error = cJSON_GetObjectItemCaseSensitive(root, "error");
		code = cJSON_GetObjectItemCaseSensitive(error, "code");
		item = cJSON_GetObjectItemCaseSensitive(error, "message");
		if (cJSON_IsString(code) && code->valuestring != NULL &&
		    strcmp(code->valuestring, CLM_E_PROTO) == 0 &&
		    cJSON_IsString(item) && item->valuestring != NULL &&
		    item->valuestring[0] != '\0' &&
		    proto_utf8(item->valuestring)) {
			free(d.cause);
			d.cause = clm_strdup(item->valuestring);
			goto fail;
		}
		d.what = "";
		proto_fail(&d, CLM_E_PROTO, "protocol version mismatch: clmd "
		    "speaks %lld, client speaks %d " PROTO_MISMATCH_FIX, v,
		    CLM_PROTOCOL_VERSION);
		goto fail;
	}

	reply = proto_reply_new();
	reply->version = (int)v;
	if (proto_get_bool(&d, root, "", "ok", true, &reply->ok) != 0 ||
	    proto_get_bool(&d, root, "", "more", false, &reply->more) != 0)
		goto fail;
	if (!reply->ok) {
		if (proto_get_object(&d, root, "", "error", &error) != 0)
			goto fail;
		if (error == NULL) {
			proto_fail(&d, CLM_E_BADREQ, "field 'error' is missing "
			    "(it must be an object)");
			goto fail;
		}
		if (proto_get_string(&d, error, "error.", "code", true,
		    &reply->code) != 0 ||
		    proto_get_string(&d, error, "error.", "message", true,
		    &reply->message) != 0)
			goto fail;
	}
	if (proto_get_strv(&d, root, "", "notes", false, &reply->notes) != 0 ||
	    proto_workers_from_json(&d, root, reply) != 0 ||
	    proto_get_object(&d, root, "", "spec", &spec) != 0 ||
	    proto_get_int32(&d, root, "", "daemon_pid", 0, INT_MAX, false,
	    &reply->daemon_pid) != 0 ||
	    proto_get_string(&d, root, "", "daemon_version", false,
	    &reply->daemon_version) != 0 ||
	    proto_get_string(&d, root, "", "text", false, &reply->text) != 0)
		goto fail;
	if (spec != NULL &&
	    proto_spec_from_json(&d, spec, "spec.", &reply->spec) != 0)
		goto fail;

	cJSON_Delete(root);
	*out = reply;
	return 0;

fail:
	cJSON_Delete(root);
	proto_reply_free(reply);
	*cause = d.cause;
	return -1;
}

/* ------------------------------------------------------------------ */
/* dump.json. */

char *
proto_dump_encode(struct clm_app_spec *const *apps, size_t n,
    char *const *stopped)
{
	cJSON	*obj;

	obj = proto_check(cJSON_CreateObject());
	proto_add_number(obj, "v", CLM_PROTOCOL_VERSION);
	proto_add(obj, "apps", proto_specs_to_json(apps, n));
	if (stopped != NULL && stopped[0] != NULL)
		proto_add_strv(obj, "stopped", stopped);
	return proto_print(obj, true);
}

int
proto_dump_decode(const char *buf, size_t len, struct clm_app_spec ***apps,
    size_t *n, char ***stopped, char **cause)
{
	struct proto_dec	 d = { "", CLM_E_BADREQ, NULL };
	cJSON			*root;
	long long		 v = 0;

	*apps = NULL;
	*n = 0;
	if (stopped != NULL)
		*stopped = NULL;
	if ((root = proto_parse(&d, buf, len, CLM_DUMP_MAX,
	    "dump")) == NULL)
		goto fail;
	if (proto_get_version(&d, root, &v) != 0)
		goto fail;
	if (v != CLM_PROTOCOL_VERSION) {
		proto_fail(&d, CLM_E_PROTO, "dump of protocol version %lld, "
		    "this clm reads version %d (start the apps again and clm "
		    "save)", v, CLM_PROTOCOL_VERSION);
		goto fail;
	}
	if (proto_get(root, "apps") == NULL) {
		proto_fail(&d, CLM_E_BADREQ, "field 'apps' is missing (it must "
		    "be an array of objects)");
		goto fail;
	}
	if (stopped != NULL && proto_get_strv(&d, root, "", "stopped", false,
	    stopped) != 0)
		goto fail;
	if (proto_get_apps(&d, root, apps, n) != 0) {
		if (stopped != NULL) {
			clm_strv_free(*stopped);
			*stopped = NULL;
		}
		goto fail;
	}
	cJSON_Delete(root);
	return 0;

fail:
	cJSON_Delete(root);
	*cause = d.cause;
	return -1;
}

/* ---- clm update: the state handed to the new image ---- */

static cJSON *
proto_listeners_to_json(const struct clm_state_listener *l, size_t n)
{
	cJSON	*array = proto_check(cJSON_CreateArray()), *o;
	size_t	 i;

	for (i = 0; i < n; i++) {
		o = proto_check(cJSON_CreateObject());
		proto_add_number(o, "family", l[i].addr.family);
		proto_add_string(o, "host", l[i].addr.host);
		proto_add_number(o, "port", l[i].addr.port);
		proto_add_bool(o, "v6only", l[i].addr.v6only);
		proto_add_number(o, "slot", l[i].slot);
		proto_add_number(o, "fd", l[i].fd);
		if (!cJSON_AddItemToArray(array, o))
			proto_oom();
	}
	return array;
}

static cJSON *
proto_state_workers_to_json(const struct clm_state_worker *v, size_t n)
{
	cJSON	*ws = proto_check(cJSON_CreateArray()), *w;
	size_t	 k;

	for (k = 0; k < n; k++) {
		const struct clm_state_worker *sw = &v[k];

		w = proto_check(cJSON_CreateObject());
		proto_add_number(w, "slot", sw->slot);
		proto_add_number(w, "pid", sw->pid);
		proto_add_string(w, "status", sw->state);
		proto_add_number(w, "started_ms", (double)sw->started_ms);
		proto_add_number(w, "restarts", sw->restarts);
		proto_add_number(w, "unstable", sw->unstable);
		proto_add_number(w, "runs", sw->runs);
		proto_add_number(w, "exit_code", sw->exit_code);
		proto_add_number(w, "signal", sw->term_signal);
		proto_add_number(w, "run_id", (double)sw->run_id);
		proto_add_number(w, "chan_fd", sw->chan_fd);
		proto_add_number(w, "pidfd", sw->pidfd);
		proto_add_number(w, "start_time", (double)sw->start_time);
		proto_add_number(w, "sock_key", sw->sock_key);
		if (!cJSON_AddItemToArray(ws, w))
			proto_oom();
	}
	return ws;
}

/* Print one item and free it; -1 if put failed. */
static int
proto_put_json(cJSON *item, const char *before, proto_put_fn put, void *arg)
{
	struct jbuf	b = { 0 };
	int		r;

	/* cJSON's printer formats each number twice and reads it back:
	 * most of the cost of a state of thousands of apps. */
	jb_puts(&b, before);
	jb_item(&b, item);
	cJSON_Delete(item);
	r = put(arg, b.s, b.len);
	free(b.s);
	return r;
}

static cJSON *
proto_state_app_to_json(const struct clm_state_app *sa)
{
	cJSON	*a, *fds;
	size_t	 k;

	a = proto_check(cJSON_CreateObject());
	proto_add(a, "spec", proto_spec_to_json(sa->spec));
	proto_add_number(a, "want", sa->want);
	proto_add_bool(a, "up", sa->up);
	proto_add_bool(a, "signals_ready", sa->signals_ready);
	proto_add(a, "listeners", proto_listeners_to_json(sa->listeners,
	    sa->nlisteners));
	fds = proto_check(cJSON_CreateArray());
	for (k = 0; k < sa->nlisten_fds; k++)
		cJSON_AddItemToArray(fds, proto_check(
		    cJSON_CreateNumber(sa->listen_fds[k])));
	proto_add(a, "listen_fds", fds);
	proto_add(a, "workers", proto_state_workers_to_json(sa->workers,
	    sa->nworkers));
	if (sa->nstrays > 0)
		proto_add(a, "strays", proto_state_workers_to_json(sa->strays,
		    sa->nstrays));
	return a;
}

/*
 * The state's JSON, one app (one stream) at a time: a state of thousands
 * of apps is never a tree in memory at once (clmd checkpoints it into
 * clm-keeper after its changes).
 */
int
proto_state_write(const struct clm_state *st, proto_put_fn put, void *arg)
{
	cJSON	*root, *s;
	char	*text;
	size_t	 i, len;
	int	 r;

	root = proto_check(cJSON_CreateObject());
	proto_add_number(root, "state", st->version);
	proto_add_number(root, "ctl_fd", st->ctl_fd);
	proto_add_number(root, "lock_fd", st->lock_fd);
	proto_add_number(root, "client_fd", st->client_fd);
	proto_add_number(root, "logd_pid", st->logd_pid);
	proto_add_number(root, "keeper_fd", st->keeper_fd);
	proto_add_number(root, "runs", (double)st->runs);
	proto_add_bool(root, "foreground", st->foreground);
	proto_add_string(root, "config", st->config);
	if ((text = cJSON_PrintUnformatted(root)) == NULL)
		proto_oom();
	cJSON_Delete(root);
	/* "{...}" without its "}": the arrays follow. */
	len = strlen(text);
	r = put(arg, text, len - 1);
	free(text);
	if (r == -1 || put(arg, ",\"apps\":[", 9) == -1)
		return -1;
	for (i = 0; i < st->napps; i++) {
		if (proto_put_json(proto_state_app_to_json(&st->apps[i]),
		    i > 0 ? "," : "", put, arg) == -1)
			return -1;
	}
	if (put(arg, "],\"streams\":[", 13) == -1)
		return -1;
	for (i = 0; i < st->nstreams; i++) {
		s = proto_check(cJSON_CreateObject());
		proto_add_string(s, "id", st->streams[i].id);
		proto_add_string(s, "msg", st->streams[i].msg);
		proto_add_number(s, "fd", st->streams[i].fd);
		proto_add_bool(s, "ended", st->streams[i].ended);
		if (proto_put_json(s, i > 0 ? "," : "", put, arg) == -1)
			return -1;
	}
	if (proto_put_json(proto_listeners_to_json(st->inherited,
	    st->ninherited), "],\"inherited\":", put, arg) == -1)
		return -1;
	return put(arg, "}", 1);
}

static int
proto_get_fd(struct proto_dec *d, const cJSON *obj, const char *p,
    const char *key, int *out)
{
	*out = -1;
	return proto_get_int32(d, obj, p, key, -1, 1 << 20, false, out);
}

static int
proto_listeners_from_json(struct proto_dec *d, const cJSON *obj,
    const char *key, struct clm_state_listener **out, size_t *n)
{
	cJSON		*array = proto_get(obj, key), *o;
	size_t		 i = 0;
	long long	 v = 0;

	*out = NULL;
	*n = 0;
	if (array == NULL)
		return 0;
	if (!cJSON_IsArray(array))
		return proto_fail(d, CLM_E_BADREQ, "'%s' must be an array", key);
	*out = clm_calloc(cJSON_GetArraySize(array) + 1, sizeof **out);
	cJSON_ArrayForEach(o, array) {
		struct clm_state_listener *l = &(*out)[i++];

		(*n)++;
		v = 0;
		if (proto_get_int(d, o, "", "family", 0, 64, true, &v) != 0)
			return -1;
		l->addr.family = (int)v;
		if (proto_get_string(d, o, "", "host", true, &l->addr.host) != 0 ||
		    proto_get_int32(d, o, "", "port", 0, 65535, true,
		    &l->addr.port) != 0 ||
		    proto_get_bool(d, o, "", "v6only", false,
		    &l->addr.v6only) != 0 ||
		    proto_get_int32(d, o, "", "slot", -1, 1 << 22, true,
		    &l->slot) != 0 ||
		    proto_get_fd(d, o, "", "fd", &l->fd) != 0)
			return -1;
	}
	return 0;
}

static int
proto_state_workers_from_json(struct proto_dec *d, const cJSON *ws,
    struct clm_state_worker **out, size_t *n)
{
	const cJSON	*w;
	long long	 v;
	size_t		 k = 0;

	if (!cJSON_IsArray(ws))
		return proto_fail(d, CLM_E_BADREQ, "workers must be an array");
	*out = clm_calloc(cJSON_GetArraySize(ws) + 1, sizeof **out);
	cJSON_ArrayForEach(w, ws) {
		struct clm_state_worker *sw = &(*out)[k++];

		(*n)++;
		v = 0;
		if (proto_get_int32(d, w, "", "slot", 0,
		    CLM_INSTANCES_LIMIT, true, &sw->slot) != 0 ||
		    proto_get_int32(d, w, "", "pid", 0, INT32_MAX,
		    true, &sw->pid) != 0 ||
		    proto_get_string(d, w, "", "status", true,
		    &sw->state) != 0 ||
		    proto_get_u64(d, w, "", "started_ms",
		    &sw->started_ms) != 0 ||
		    proto_get_uint32(d, w, "", "restarts", UINT32_MAX,
		    &sw->restarts) != 0 ||
		    proto_get_uint32(d, w, "", "unstable", UINT32_MAX,
		    &sw->unstable) != 0 ||
		    proto_get_uint32(d, w, "", "runs", UINT32_MAX,
		    &sw->runs) != 0 ||
		    proto_get_int32(d, w, "", "exit_code", -1, 255,
		    false, &sw->exit_code) != 0 ||
		    proto_get_int32(d, w, "", "signal", 0, 64, false,
		    &sw->term_signal) != 0 ||
		    proto_get_int(d, w, "", "run_id", 0, PROTO_U53_MAX,
		    false, &v) != 0 ||
		    proto_get_fd(d, w, "", "chan_fd", &sw->chan_fd) != 0 ||
		    proto_get_fd(d, w, "", "pidfd", &sw->pidfd) != 0 ||
		    proto_get_u64(d, w, "", "start_time",
		    &sw->start_time) != 0)
			return -1;
		sw->sock_key = sw->slot;
		if (proto_get_int32(d, w, "", "sock_key", 0, 1 << 22, false,
		    &sw->sock_key) != 0)
			return -1;
		sw->run_id = (unsigned long)v;
	}
	return 0;
}

int
proto_state_decode(const char *buf, size_t len, struct clm_state *st,
    char **cause)
{
	struct proto_dec	 d = { "", CLM_E_BADREQ, NULL };
	cJSON			*root, *apps, *a, *ws, *fds, *f, *ss, *s;
	long long		 v = 0;
	size_t			 i;

	memset(st, 0, sizeof *st);
	if ((root = proto_parse(&d, buf, len, CLM_DUMP_MAX, "state")) == NULL)
		goto fail;
	v = 0;
	if (proto_get_int(&d, root, "", "state", 0, 1 << 20, true, &v) != 0)
		goto fail;
	st->version = (int)v;
	if (v != CLM_STATE_VERSION) {
		proto_fail(&d, CLM_E_PROTO, "state version %lld, this clmd "
		    "takes version %d", v, CLM_STATE_VERSION);
		goto fail;
	}
	v = 0;
	if (proto_get_fd(&d, root, "", "ctl_fd", &st->ctl_fd) != 0 ||
	    proto_get_fd(&d, root, "", "lock_fd", &st->lock_fd) != 0 ||
	    proto_get_fd(&d, root, "", "client_fd", &st->client_fd) != 0 ||
	    proto_get_fd(&d, root, "", "keeper_fd", &st->keeper_fd) != 0 ||
	    proto_get_int32(&d, root, "", "logd_pid", 0, INT32_MAX, false,
	    &st->logd_pid) != 0 ||
	    proto_get_int(&d, root, "", "runs", 0, PROTO_U53_MAX, false,
	    &v) != 0 ||
	    proto_get_bool(&d, root, "", "foreground", false,
	    &st->foreground) != 0 ||
	    proto_get_string(&d, root, "", "config", false, &st->config) != 0)
		goto fail;
	st->runs = (unsigned long)v;
	if ((apps = proto_get(root, "apps")) == NULL || !cJSON_IsArray(apps)) {
		proto_fail(&d, CLM_E_BADREQ, "'apps' must be an array");
		goto fail;
	}
	st->apps = clm_calloc(cJSON_GetArraySize(apps) + 1, sizeof *st->apps);
	i = 0;
	cJSON_ArrayForEach(a, apps) {
		struct clm_state_app *sa = &st->apps[i++];
		cJSON *spec = proto_get(a, "spec");

		st->napps++;
		if (spec == NULL || proto_spec_from_json(&d, spec, "spec.",
		    &sa->spec) != 0 ||
		    proto_get_int32(&d, a, "", "want", 0, CLM_INSTANCES_LIMIT,
		    true, &sa->want) != 0 ||
		    proto_get_bool(&d, a, "", "up", true, &sa->up) != 0 ||
		    proto_get_bool(&d, a, "", "signals_ready", false,
		    &sa->signals_ready) != 0 ||
		    proto_listeners_from_json(&d, a, "listeners",
		    &sa->listeners, &sa->nlisteners) != 0)
			goto fail;
		fds = proto_get(a, "listen_fds");
		sa->listen_fds = clm_calloc((fds ? cJSON_GetArraySize(fds) : 0)
		    + 1, sizeof(int));
		cJSON_ArrayForEach(f, fds) {
			if (!cJSON_IsNumber(f))
				goto badfd;
			sa->listen_fds[sa->nlisten_fds++] = f->valueint;
		}
		if ((ws = proto_get(a, "workers")) == NULL ||
		    !cJSON_IsArray(ws)) {
			proto_fail(&d, CLM_E_BADREQ, "'workers' must be an "
			    "array");
			goto fail;
		}
		if (proto_state_workers_from_json(&d, ws, &sa->workers,
		    &sa->nworkers) != 0 ||
		    ((ws = proto_get(a, "strays")) != NULL &&
		    proto_state_workers_from_json(&d, ws, &sa->strays,
		    &sa->nstrays) != 0))
			goto fail;
	}
	ss = proto_get(root, "streams");
	st->streams = clm_calloc((ss ? cJSON_GetArraySize(ss) : 0) + 1,
	    sizeof *st->streams);
	cJSON_ArrayForEach(s, ss) {
		struct clm_state_stream *sv = &st->streams[st->nstreams++];

		if (proto_get_string(&d, s, "", "id", true, &sv->id) != 0 ||
		    proto_get_string(&d, s, "", "msg", true, &sv->msg) != 0 ||
		    proto_get_fd(&d, s, "", "fd", &sv->fd) != 0 ||
		    proto_get_bool(&d, s, "", "ended", false, &sv->ended) != 0)
			goto fail;
	}
	if (proto_listeners_from_json(&d, root, "inherited", &st->inherited,
	    &st->ninherited) != 0)
		goto fail;
	cJSON_Delete(root);
	return 0;
badfd:
	proto_fail(&d, CLM_E_BADREQ, "'listen_fds' must hold numbers");
fail:
	cJSON_Delete(root);
	*cause = d.cause;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Any JSON document as a neutral tree. */

#define PROTO_TREE_DEPTH	64

static struct clm_tree *
proto_tree_from(const cJSON *item, int depth)
{
	struct clm_tree	*t, *sub;
	const cJSON	*c;
	char		 num[64];

	if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
		if (depth >= PROTO_TREE_DEPTH)
			return NULL;
		t = clm_tree_new(cJSON_IsObject(item) ? CLM_TREE_OBJECT :
		    CLM_TREE_ARRAY, NULL);
		cJSON_ArrayForEach(c, item) {
			if ((sub = proto_tree_from(c, depth + 1)) == NULL) {
				clm_tree_free(t);
				return NULL;
			}
			if (cJSON_IsObject(item))
				sub->key = clm_strdup(c->string);
			clm_tree_add(t, sub);
		}
		return t;
	}
	if (cJSON_IsString(item))
		return clm_tree_new(CLM_TREE_STRING, item->valuestring);
	if (cJSON_IsBool(item))
		return clm_tree_new(CLM_TREE_BOOL, cJSON_IsTrue(item) ?
		    "true" : "false");
	if (cJSON_IsNumber(item)) {
		if (isfinite(item->valuedouble) &&
		    fabs(item->valuedouble) < 9e15 &&
		    proto_integral(item->valuedouble))
			snprintf(num, sizeof num, "%lld",
			    (long long)item->valuedouble);
		else
			snprintf(num, sizeof num, "%.17g", item->valuedouble);
		return clm_tree_new(CLM_TREE_NUMBER, num);
	}
	return clm_tree_new(CLM_TREE_NULL, NULL);
}

int
proto_tree_decode(const char *text, size_t len, struct clm_tree **out,
    char **cause)
{
	const char	*end = NULL, *p;
	cJSON		*root;
	int		 line = 1, col = 1;

	*out = NULL;
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (root == NULL) {
		if (end == NULL || end < text || end > text + len)
			end = text;
		for (p = text; p < end; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		*cause = clm_asprintf("line %d, column %d: not valid JSON",
		    line, col);
		return -1;
	}
	if ((*out = proto_tree_from(root, 0)) == NULL)
		*cause = clm_asprintf("nested more than %d levels deep",
		    PROTO_TREE_DEPTH);
	cJSON_Delete(root);
	return *out != NULL ? 0 : -1;
}

char *
proto_event_encode(const struct clm_event *e)
{
	cJSON	*obj = proto_check(cJSON_CreateObject());
	char	*s, *line;

	proto_add_string(obj, "time", e->time);
	proto_add_string(obj, "event", e->event);
	proto_add(obj, "app", e->app != NULL ? cJSON_CreateString(e->app) :
	    cJSON_CreateNull());
	proto_add(obj, "id", e->id >= 0 ? cJSON_CreateNumber(e->id) :
	    cJSON_CreateNull());
	proto_add(obj, "pid", e->pid > 0 ? cJSON_CreateNumber(e->pid) :
	    cJSON_CreateNull());
	proto_add(obj, "exit_code", e->exit_code >= 0 ?
	    cJSON_CreateNumber(e->exit_code) : cJSON_CreateNull());
	proto_add(obj, "signal", e->signal > 0 ?
	    cJSON_CreateString(clm_signal_name(e->signal)) :
	    cJSON_CreateNull());
	proto_add(obj, "restarts", e->restarts >= 0 ?
	    cJSON_CreateNumber(e->restarts) : cJSON_CreateNull());
	proto_add(obj, "details", e->details != NULL ?
	    cJSON_CreateString(e->details) : cJSON_CreateNull());
	s = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (s == NULL)
		proto_oom();
	line = clm_strdup(s);
	cJSON_free(s);
	return line;
}

static char *
proto_event_str(const cJSON *obj, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? clm_strdup(v->valuestring) : NULL;
}

static int
proto_event_int(const cJSON *obj, const char *key, int none)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valueint : none;
}

int
proto_event_decode(const char *line, struct clm_event *e)
{
	cJSON	*obj = cJSON_Parse(line);
	char	*t, *sig;

	memset(e, 0, sizeof *e);
	if (obj == NULL || !cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		return -1;
	}
	if ((t = proto_event_str(obj, "time")) != NULL)
		snprintf(e->time, sizeof e->time, "%s", t);
	free(t);
	e->event = proto_event_str(obj, "event");
	e->app = proto_event_str(obj, "app");
	e->details = proto_event_str(obj, "details");
	e->id = proto_event_int(obj, "id", -1);
	e->pid = proto_event_int(obj, "pid", 0);
	e->exit_code = proto_event_int(obj, "exit_code", -1);
	e->restarts = proto_event_int(obj, "restarts", -1);
	sig = proto_event_str(obj, "signal");
	e->signal = sig != NULL ? clm_signal_parse(sig) : 0;
	if (e->signal < 0)
		e->signal = 0;
	free(sig);
	cJSON_Delete(obj);
	return e->event != NULL ? 0 : -1;
}

void
proto_event_clear(struct clm_event *e)
{
	free(e->event);
	free(e->app);
	free(e->details);
	memset(e, 0, sizeof *e);
}
