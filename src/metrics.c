/* Prometheus text format, and a small HTTP server that serves it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/listeners.h"
#include "clm/log.h"
#include "clm/metrics.h"
#include "clm/procstat.h"
#include "clm/proto.h"

#define METRICS_REQUEST_MAX	8192	/* bytes of request head read */
#define METRICS_CLIENTS_MAX	64

struct buf {
	char	*s;
	size_t	 len, cap;
};

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	size_t	 n;

	va_start(ap, fmt);
	s = clm_vasprintf(fmt, ap);
	va_end(ap);
	n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = clm_realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
	free(s);
}

/* A label value with \, " and newlines escaped. */
static char *
label(const char *s)
{
	char	*out = clm_malloc(strlen(s) * 2 + 1), *p = out;

	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			*p++ = '\\';
		if (*s == '\n') {
			*p++ = '\\';
			*p++ = 'n';
			continue;
		}
		*p++ = *s;
	}
	*p = '\0';
	return out;
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *
metrics_render(struct clm_supervisor *sup)
{
	struct clm_worker_info	*w;
	struct buf		 b = { NULL, 0, 0 };
	uint64_t		 cpu_ms, rss;
	size_t			 n, i, k;
	char			*l;

	supervisor_info(sup, NULL, &w, &n);
	put(&b, "");
	family(&b, "clm_worker_up", "gauge",
	    "Whether the worker is online (1) or not (0).");
	for (i = 0; i < n; i++) {
		l = label(w[i].name);
		put(&b, "clm_worker_up{app=\"%s\",id=\"%d\"} %d\n", l, w[i].id,
		    strcmp(w[i].status, "online") == 0);
		free(l);
	}
	family(&b, "clm_worker_healthy", "gauge",
	    "Whether the worker passes its health_check (1) or is failing "
	    "it (0); only workers of apps with one.");
	for (i = 0; i < n; i++) {
		if (w[i].health == NULL)
			continue;
		l = label(w[i].name);
		put(&b, "clm_worker_healthy{app=\"%s\",id=\"%d\"} %d\n", l,
		    w[i].id, strcmp(w[i].health, "ok") == 0);
		free(l);
	}
	family(&b, "clm_worker_restarts_total", "counter",
	    "Restarts of the worker's slot.");
	for (i = 0; i < n; i++) {
		l = label(w[i].name);
		put(&b, "clm_worker_restarts_total{app=\"%s\",id=\"%d\"} %u\n",
		    l, w[i].id, w[i].restarts);
		free(l);
	}
	family(&b, "clm_worker_cpu_seconds_total", "counter",
	    "CPU time (user and system) of the worker's current run.");
	for (i = 0; i < n; i++) {
		l = label(w[i].name);
		put(&b, "clm_worker_cpu_seconds_total{app=\"%s\",id=\"%d\"} "
		    "%.3f\n", l, w[i].id, (double)w[i].cpu_ms / 1000.0);
		free(l);
	}
	family(&b, "clm_worker_resident_bytes", "gauge",
	    "Resident memory of the worker's main process.");
	for (i = 0; i < n; i++) {
		l = label(w[i].name);
		put(&b, "clm_worker_resident_bytes{app=\"%s\",id=\"%d\"} "
		    "%llu\n", l, w[i].id, (unsigned long long)w[i].memory);
		free(l);
	}
	family(&b, "clm_app_workers_desired", "gauge",
	    "Workers the app should have.");
	for (i = 0; i < n; i = k) {
		size_t	desired = 0;

		for (k = i; k < n && strcmp(w[k].name, w[i].name) == 0; k++)
			desired += w[k].desired;
		l = label(w[i].name);
		put(&b, "clm_app_workers_desired{app=\"%s\"} %zu\n", l,
		    desired);
		free(l);
	}
	family(&b, "clm_app_workers_online", "gauge",
	    "Workers of the app that are online.");
	for (i = 0; i < n; i = k) {
		size_t	online = 0;

		for (k = i; k < n && strcmp(w[k].name, w[i].name) == 0; k++)
			online += strcmp(w[k].status, "online") == 0;
		l = label(w[i].name);
		put(&b, "clm_app_workers_online{app=\"%s\"} %zu\n", l, online);
		free(l);
	}
	if (procstat_read(getpid(), &cpu_ms, &rss) == 0) {
		family(&b, "clm_daemon_resident_bytes", "gauge",
		    "Resident memory of clmd.");
		put(&b, "clm_daemon_resident_bytes %llu\n",
		    (unsigned long long)rss);
		family(&b, "clm_daemon_cpu_seconds_total", "counter",
		    "CPU time of clmd.");
		put(&b, "clm_daemon_cpu_seconds_total %.3f\n",
		    (double)cpu_ms / 1000.0);
	}
	for (i = 0; i < n; i++)
		proto_worker_info_clear(&w[i]);
	free(w);
	return b.s;
}

/* The HTTP side: read a request head, answer, close. */

struct mclient {
	uv_tcp_t	 tcp;
	size_t		 got;
	bool		 answered;
	char		 buf[METRICS_REQUEST_MAX];
};

static uv_tcp_t			 metrics_server;
static bool			 metrics_on;
static struct clm_supervisor	*metrics_sup;
static unsigned			 metrics_clients;

static void
mclient_close_cb(uv_handle_t *h)
{
	metrics_clients--;
	free(h->data);
}

static void
mclient_write_cb(uv_write_t *req, int status)
{
	uv_handle_t	*h = (uv_handle_t *)req->handle;

	free(req->data);
	free(req);
	if (!uv_is_closing(h))
		uv_close(h, mclient_close_cb);
}

static void
mclient_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct mclient	*c = h->data;

	*buf = uv_buf_init(c->buf + c->got, sizeof c->buf - 1 - c->got);
}

/* Is the request line's path p ("GET /readyz HTTP/1.1", "GET /readyz?x")? */
static bool
metrics_path_is(const char *req, const char *p)
{
	size_t	len = strlen(p);

	return strncmp(req + 4, p, len) == 0 &&
	    strchr(" ?\r\n", req[4 + len]) != NULL;
}

/*
 * The whole answer to a request head: /healthz is 200 whenever clmd
 * answers (its loop runs); /readyz 200 when every worker is online, else
 * 503 with the JSON that names the missing ones; any other path, the
 * metrics.
 */
static char *
metrics_answer(const char *req)
{
	struct clm_worker_info	*w;
	const char		*status = "200 OK", *type;
	char			*body, *msg;
	size_t			 n, i;
	bool			 ready;

	type = "text/plain; version=0.0.4";
	if (strncmp(req, "GET ", 4) != 0) {
		status = "405 Method Not Allowed";
		body = clm_strdup("only GET\n");
	} else if (metrics_path_is(req, "/healthz")) {
		body = clm_strdup("ok\n");
	} else if (metrics_path_is(req, "/readyz")) {
		supervisor_info(metrics_sup, NULL, &w, &n);
		body = proto_readiness_json(w, n, &ready);
		for (i = 0; i < n; i++)
			proto_worker_info_clear(&w[i]);
		free(w);
		type = "application/json";
		if (!ready)
			status = "503 Service Unavailable";
	} else
		body = metrics_render(metrics_sup);
	msg = clm_asprintf("HTTP/1.0 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status,
	    type, strlen(body), body);
	free(body);
	return msg;
}

static void
mclient_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct mclient	*c = s->data;
	uv_write_t	*req;
	uv_buf_t	 out;
	char		*msg;

	if (n < 0 || (n == 0 && c->got >= sizeof c->buf - 1)) {
		uv_close((uv_handle_t *)s, mclient_close_cb);
		return;
	}
	c->got += n;
	c->buf[c->got] = '\0';
	if (c->answered || (strstr(c->buf, "\r\n\r\n") == NULL &&
	    strstr(c->buf, "\n\n") == NULL && c->got < sizeof c->buf - 1))
		return;
	c->answered = true;
	uv_read_stop(s);
	msg = metrics_answer(c->buf);
	req = clm_calloc(1, sizeof *req);
	req->data = msg;
	out = uv_buf_init(msg, strlen(msg));
	if (uv_write(req, s, &out, 1, mclient_write_cb) != 0) {
		free(msg);
		free(req);
		uv_close((uv_handle_t *)s, mclient_close_cb);
	}
}

static void
metrics_connection(uv_stream_t *server, int status)
{
	struct mclient	*c;

	if (status != 0)
		return;
	c = clm_calloc(1, sizeof *c);
	uv_tcp_init(server->loop, &c->tcp);
	c->tcp.data = c;
	metrics_clients++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    metrics_clients > METRICS_CLIENTS_MAX) {
		uv_close((uv_handle_t *)&c->tcp, mclient_close_cb);
		return;
	}
	uv_read_start((uv_stream_t *)&c->tcp, mclient_alloc, mclient_read);
}

int
metrics_serve(uv_loop_t *loop, const char *spec, struct clm_supervisor *sup,
    char **cause)
{
	struct clm_listen_addr	 a;
	struct sockaddr_storage	 ss;
	int			 r;

	if (listeners_parse(spec, &a, cause) == -1)
		return -1;
	if (a.family == AF_INET)
		r = uv_ip4_addr(a.host, a.port, (struct sockaddr_in *)&ss);
	else
		r = uv_ip6_addr(a.host, a.port, (struct sockaddr_in6 *)&ss);
	uv_tcp_init(loop, &metrics_server);
	if (r == 0)
		r = uv_tcp_bind(&metrics_server, (struct sockaddr *)&ss, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&metrics_server, 64,
		    metrics_connection);
	if (r != 0) {
		*cause = clm_asprintf("metrics_listen %s: %s", spec,
		    uv_strerror(r));
		uv_close((uv_handle_t *)&metrics_server, NULL);
		listeners_addr_clear(&a);
		return -1;
	}
	listeners_addr_clear(&a);
	metrics_sup = sup;
	metrics_on = true;
	log_info("metrics on http://%s/", spec);
	return 0;
}

void
metrics_close(void)
{
	if (metrics_on)
		uv_close((uv_handle_t *)&metrics_server, NULL);
	metrics_on = false;
}
