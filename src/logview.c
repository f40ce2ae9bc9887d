/* clm logs (tail, follow) and clm flush, on the workers' log files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clm/log.h"
#include "clm/logs.h"
#include "clm/logview.h"

#define FOLLOW_MS	200
#define FOLLOW_READ_MAX	(256 * 1024)	/* bytes read per file per tick */
#define FOLLOW_LINE_MAX	(64 * 1024)	/* a longer partial line is cut */

struct tailfile {
	char		*path;
	char		*prefix;	/* "web:0 out" */
	off_t		 offset;
	ino_t		 ino;
	char		*partial;	/* an unfinished last line */
};

struct follower {
	struct clm_call		*call;
	struct tailfile		*files;
	size_t			 nfiles;
	uv_timer_t		 timer;
	struct follower		*next;
};

static struct follower	*followers;

/* The files of a target: each worker's out and err (merged: once). */
static void
collect(struct clm_daemon_ctx *d, const char *target, const char *which,
    struct tailfile **files, size_t *n)
{
	const struct clm_app_spec	*spec;
	struct clm_worker_info		*w;
	size_t				 nw, i, k;
	char				*path;
	const char			*kinds[2] = { "out", "err" };

	supervisor_info(d->sup, target, &w, &nw);
	*files = NULL;
	*n = 0;
	for (i = 0; i < nw; i++) {
		if ((spec = supervisor_spec(d->sup, w[i].name)) == NULL)
			continue;
		if (spec->merge_logs && i > 0 && strcmp(w[i - 1].name,
		    w[i].name) == 0)
			continue;
		for (k = 0; k < 2; k++) {
			if (which != NULL && strcmp(which, kinds[k]) != 0)
				continue;
			path = logs_path(&d->home, spec, w[i].id, kinds[k]);
			*files = clm_realloc(*files, (*n + 1) * sizeof **files);
			memset(&(*files)[*n], 0, sizeof **files);
			(*files)[*n].path = path;
			(*files)[*n].prefix = spec->merge_logs ?
			    clm_asprintf("%s %s", w[i].name, kinds[k]) :
			    clm_asprintf("%s:%d %s", w[i].name, w[i].id,
			    kinds[k]);
			(*n)++;
		}
	}
	for (i = 0; i < nw; i++)
		proto_worker_info_clear(&w[i]);
	free(w);
}

static void
files_free(struct tailfile *files, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].prefix);
		free(files[i].partial);
	}
	free(files);
}

static void
add_line(struct clm_reply *r, const struct tailfile *f, const char *line,
    size_t len)
{
	proto_reply_note(r, "%s | %.*s", f->prefix, (int)len, line);
}

/* New complete lines of one file since the last look. */
static void
read_new(struct tailfile *f, struct clm_reply *r)
{
	struct stat	 st;
	char		*buf, *p, *nl, *all;
	ssize_t		 got;
	size_t		 len, plen;
	int		 fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return;
	}
	if (st.st_ino != f->ino || st.st_size < f->offset) {
		/* Rotated, replaced or emptied: start again from the top. */
		f->ino = st.st_ino;
		f->offset = 0;
		free(f->partial);
		f->partial = NULL;
	}
	if (st.st_size == f->offset) {
		close(fd);
		return;
	}
	len = (size_t)(st.st_size - f->offset);
	if (len > FOLLOW_READ_MAX)
		len = FOLLOW_READ_MAX;
	buf = clm_malloc(len);
	got = pread(fd, buf, len, f->offset);
	close(fd);
	if (got <= 0) {
		free(buf);
		return;
	}
	f->offset += got;
	plen = f->partial ? strlen(f->partial) : 0;
	all = clm_malloc(plen + (size_t)got + 1);
	if (plen)
		memcpy(all, f->partial, plen);
	memcpy(all + plen, buf, (size_t)got);
	all[plen + got] = '\0';
	free(buf);
	free(f->partial);
	f->partial = NULL;
	len = plen + (size_t)got;
	for (p = all; (nl = memchr(p, '\n', len - (p - all))) != NULL;
	    p = nl + 1)
		add_line(r, f, p, (size_t)(nl - p));
	if ((size_t)(p - all) < len) {
		if (len - (p - all) > FOLLOW_LINE_MAX)
			add_line(r, f, p, len - (p - all));
		else
			f->partial = clm_strndup(p, len - (p - all));
	}
	free(all);
}

static void
follower_close_cb(uv_handle_t *h)
{
	struct follower	*fw = h->data;

	files_free(fw->files, fw->nfiles);
	free(fw);
}

/* End a follower: the final reply, and its timer. */
static void
follower_end(struct follower *fw)
{
	struct follower	**pp;

	for (pp = &followers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == fw) {
			*pp = fw->next;
			break;
		}
	}
	server_reply(fw->call, proto_reply_new());
	uv_timer_stop(&fw->timer);
	uv_close((uv_handle_t *)&fw->timer, follower_close_cb);
}

static void
follow_cb(uv_timer_t *t)
{
	struct follower		*fw = t->data;
	struct clm_reply	*r;
	size_t			 i;

	if (server_call_gone(fw->call)) {
		follower_end(fw);
		return;
	}
	/* A client that reads slowly: the files keep what it has not seen. */
	if (server_call_backlog(fw->call) > 1024 * 1024)
		return;
	r = proto_reply_new();
	r->more = true;
	for (i = 0; i < fw->nfiles; i++)
		read_new(&fw->files[i], r);
	if (r->notes != NULL)
		server_reply(fw->call, r);
	else
		proto_reply_free(r);
}

void
logview_start(struct clm_daemon_ctx *d, struct clm_call *call)
{
	const struct clm_request	*req = server_call_request(call);
	struct clm_reply		*r;
	struct follower			*fw;
	struct tailfile			*files;
	struct stat			 st;
	size_t				 n, i, k;
	char				**lines;
	int				 want = req->lines > 0 ? req->lines : 15;

	if (req->target != NULL && strcmp(req->target, "all") != 0 &&
	    supervisor_spec(d->sup, req->target) == NULL) {
		server_reply_error(call, CLM_E_NOAPP, "no app named '%s' (see "
		    "clm list)", req->target);
		return;
	}
	if (req->which != NULL && strcmp(req->which, "out") != 0 &&
	    strcmp(req->which, "err") != 0) {
		server_reply_error(call, CLM_E_BADREQ, "which must be out or "
		    "err");
		return;
	}
	collect(d, req->target != NULL && strcmp(req->target, "all") != 0 ?
	    req->target : NULL, req->which, &files, &n);
	r = proto_reply_new();
	for (i = 0; i < n; i++) {
		lines = logs_tail(files[i].path, want);
		for (k = 0; lines[k] != NULL; k++)
			add_line(r, &files[i], lines[k], strlen(lines[k]));
		clm_strv_free(lines);
		/* Follow from the end of what exists now. */
		if (stat(files[i].path, &st) == 0) {
			files[i].offset = st.st_size;
			files[i].ino = st.st_ino;
		}
	}
	if (!req->follow) {
		files_free(files, n);
		server_reply(call, r);
		return;
	}
	r->more = true;
	server_reply(call, r);
	fw = clm_calloc(1, sizeof *fw);
	fw->call = call;
	fw->files = files;
	fw->nfiles = n;
	uv_timer_init(d->loop, &fw->timer);
	fw->timer.data = fw;
	uv_timer_start(&fw->timer, follow_cb, FOLLOW_MS, FOLLOW_MS);
	fw->next = followers;
	followers = fw;
}

void
logview_stop_all(void)
{
	while (followers != NULL)
		follower_end(followers);
}

int
logview_flush(struct clm_daemon_ctx *d, char **names, size_t *count,
    char **cause)
{
	struct tailfile	*files;
	size_t		 n, i, k;
	int		 fd;

	*count = 0;
	for (k = 0; names[k] != NULL; k++) {
		collect(d, names[k], NULL, &files, &n);
		for (i = 0; i < n; i++) {
			/* Writers append (O_APPEND): emptying is safe. */
			fd = open(files[i].path, O_WRONLY | O_TRUNC |
			    O_CLOEXEC);
			if (fd == -1 && errno != ENOENT) {
				*cause = clm_asprintf("cannot empty %s: %s",
				    files[i].path, strerror(errno));
				files_free(files, n);
				return -1;
			}
			if (fd != -1) {
				close(fd);
				(*count)++;
			}
		}
		files_free(files, n);
	}
	return 0;
}
