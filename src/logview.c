/* clm logs (tail, follow) and clm flush, on the workers' log files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clm/cli.h"
#include "clm/config.h"
#include "clm/log.h"
#include "clm/logs.h"
#include "clm/logview.h"

#define FOLLOW_MS	200
#define FOLLOW_READ_MAX	(256 * 1024)	/* bytes read per file per tick */
#define TAIL_BLOCK	(64 * 1024)	/* read backwards this much at once */
#define TAIL_SCAN_MAX	(8 * 1024 * 1024) /* a longer line: its end */

struct tailfile {
	char		*path;
	char		*prefix;	/* "web:0 out" */
	off_t		 offset;
	ino_t		 ino;
	char		*line;		/* the unfinished last line's start */
	size_t		 linelen;	/* bytes kept (<= LOGVIEW_LINE_SHOW) */
	size_t		 linetotal;	/* bytes of it seen */
	bool		 shown;		/* its start was shown already */
};

struct follower {
	struct clm_daemon_ctx	*d;
	struct clm_call		*call;
	char			*app;		/* followed app, or NULL */
	bool			 raw;
	struct tailfile		*files;
	size_t			 nfiles;
	uv_timer_t		 timer;
	struct follower		*next;
};

static struct follower	*followers;

/* --- what a line looks like ------------------------------------------ */

char *
logview_escape(const char *s, size_t n, size_t total, bool raw)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *o;
	size_t			 i, k;
	bool			 ctl;

	if (n > LOGVIEW_LINE_SHOW)
		n = LOGVIEW_LINE_SHOW;
	if (total < n)
		total = n;
	o = out = clm_malloc(n * 4 + 64);
	for (i = 0; i < n; i += k) {
		k = clm_utf8_seq(p + i, n - i);
		/* C0 but tab, DEL, and C1 (U+0080..U+009F, 0xc2 0x80-0x9f):
		 * a terminal acts on them. */
		ctl = k == 1 ? (p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f :
		    k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0;
		if (k == 0 || p[i] == '\0' || (ctl && !raw)) {
			if (k == 0)
				k = 1;
			for (size_t j = 0; j < k; j++)
				o += sprintf(o, "\\x%02x", p[i + j]);
		} else {
			memcpy(o, p + i, k);
			o += k;
		}
	}
	if (total > n)
		o += sprintf(o, " [clm: line cut, %zu bytes]", total);
	*o = '\0';
	return out;
}

/* --- tail: the last lines of a file ----------------------------------- */

/* Read [from, from + n) of fd into buf; -1 on a short read. */
static int
read_at(int fd, char *buf, size_t n, off_t from)
{
	ssize_t	got;

	while (n > 0) {
		got = pread(fd, buf, n, from);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		buf += got;
		n -= (size_t)got;
		from += got;
	}
	return 0;
}

char **
logview_tail(const char *path, int n, bool raw, bool after_mark)
{
	char		**lines = clm_calloc(1, sizeof *lines), *buf, *text;
	off_t		 *starts, end, pos, lo, s, nostart = -1;
	struct stat	  st;
	size_t		  len, i;
	int		  fd, found = 0, k;

	if (n <= 0 || (fd = open(path, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return lines;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return lines;
	}
	/* The start of each of the last n lines, found backwards. */
	starts = clm_calloc((size_t)n + 1, sizeof *starts);
	buf = clm_malloc(TAIL_BLOCK);
	end = st.st_size;
	pos = end;
	while (found < n && pos > 0) {
		lo = pos > TAIL_BLOCK ? pos - TAIL_BLOCK : 0;
		if (read_at(fd, buf, (size_t)(pos - lo), lo) == -1)
			break;
		for (s = pos; s > lo && found < n; s--) {
			/* The file's last newline ends the last line. */
			if (buf[s - 1 - lo] == '\n' && s != end)
				starts[found++] = s;
		}
		pos = lo;
		if (found < n && pos > 0 && end - pos >= TAIL_SCAN_MAX) {
			nostart = starts[found++] = pos;	/* not found */
			break;
		} else if (found < n && pos == 0)
			starts[found++] = 0;
	}
	/* Oldest first; each line up to the next start (minus '\n'). */
	for (k = found - 1; k >= 0; k--) {
		off_t	e = k > 0 ? starts[k - 1] - 1 : end;

		if (k == 0 && end > 0) {
			char	c;

			if (pread(fd, &c, 1, end - 1) == 1 && c == '\n')
				e = end - 1;
		}
		len = (size_t)(e - starts[k]);
		i = len < LOGVIEW_LINE_SHOW ? len : LOGVIEW_LINE_SHOW;
		if (read_at(fd, buf, i, starts[k]) == -1)
			break;
		if (logs_marker(buf, i) && (after_mark || k > 0)) {
			/* The lines so far are a deleted app's. */
			clm_strv_free(lines);
			lines = clm_calloc(1, sizeof *lines);
			continue;
		}
		text = logview_escape(buf, i, len, raw);
		if (starts[k] == nostart) {
			char	*t = clm_asprintf("[clm: a line longer than %d "
			    "MiB: its start is not shown] %s",
			    TAIL_SCAN_MAX >> 20, text);

			free(text);
			text = t;
		}
		clm_strv_push(&lines, text);
		free(text);
	}
	free(buf);
	free(starts);
	close(fd);
	return lines;
}

/* --- which files ------------------------------------------------------ */

static void
files_push(struct tailfile **files, size_t *n, char *path, char *prefix)
{
	*files = clm_realloc(*files, (*n + 1) * sizeof **files);
	memset(&(*files)[*n], 0, sizeof **files);
	(*files)[*n].path = path;
	(*files)[*n].prefix = prefix;
	(*n)++;
}

/* The files of a target: each worker's out and err (merged: once). */
static void
collect(struct clm_daemon_ctx *d, const char *target, const char *which,
    struct tailfile **files, size_t *n)
{
	const struct clm_app_spec	*spec;
	struct clm_worker_info		*w;
	size_t				 nw, i, k;
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
			files_push(files, n, logs_path(&d->home, spec,
			    w[i].id, kinds[k]), spec->merge_logs ?
			    clm_asprintf("%s %s", w[i].name, kinds[k]) :
			    clm_asprintf("%s:%d %s", w[i].name, w[i].id,
			    kinds[k]));
		}
	}
	for (i = 0; i < nw; i++)
		proto_worker_info_clear(&w[i]);
	free(w);
}

static int
tailfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tailfile *)a)->path,
	    ((const struct tailfile *)b)->path);
}

static int
collect_dir(const char *logdir, const char *app, const char *which,
    struct tailfile **files, size_t *n)
{
	struct dirent	*de;
	DIR		*dir;
	char		 name[512], kind[4];
	long		 slot;

	*files = NULL;
	*n = 0;
	if ((dir = opendir(logdir)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (logs_file_name(de->d_name, name, sizeof name, &slot,
		    kind) == -1 || (which != NULL && strcmp(which, kind) != 0))
			continue;
		if (app != NULL && strcmp(app, name) != 0)
			continue;
		files_push(files, n, clm_asprintf("%s/%s", logdir,
		    de->d_name), slot >= 0 ? clm_asprintf("%s:%ld %s", name,
		    slot, kind) : clm_asprintf("%s %s", name, kind));
	}
	closedir(dir);
	if (*n > 1)
		qsort(*files, *n, sizeof **files, tailfile_cmp);
	return 0;
}

static void
files_free(struct tailfile *files, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].prefix);
		free(files[i].line);
	}
	free(files);
}

/* --- follow ----------------------------------------------------------- */

typedef void (*emit_fn)(void *, const struct tailfile *, const char *);

static void
emit_line(const struct tailfile *f, emit_fn emit, void *arg, bool raw)
{
	char	*text;

	text = logview_escape(f->line, f->linelen, f->linetotal, raw);
	emit(arg, f, text);
	free(text);
}

/* Take bytes of a line: keep its start (LOGVIEW_LINE_SHOW), count the
 * rest. */
static void
line_put(struct tailfile *f, const char *p, size_t n)
{
	size_t	k = LOGVIEW_LINE_SHOW - f->linelen;

	if (k > n)
		k = n;
	if (k > 0) {
		f->line = clm_realloc(f->line, f->linelen + k);
		memcpy(f->line + f->linelen, p, k);
		f->linelen += k;
	}
	f->linetotal += n;
}

static void
line_reset(struct tailfile *f)
{
	free(f->line);
	f->line = NULL;
	f->linelen = f->linetotal = 0;
	f->shown = false;
}

/* New lines of one file since the last look. A partial last line is
 * shown once it has not grown for a tick (a progress bar); what comes of
 * it later shows as a line of its own. */
static void
read_new(struct tailfile *f, emit_fn emit, void *arg, bool raw)
{
	struct stat	 st;
	char		*buf, *p, *nl, *end;
	ssize_t		 got;
	size_t		 len;
	int		 fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return;
	}
	if (st.st_ino != f->ino || st.st_size < f->offset) {
		/* Rotated, replaced or emptied: start again from the top. */
		f->ino = st.st_ino;
		f->offset = 0;
		line_reset(f);
	}
	if (st.st_size == f->offset) {
		close(fd);
		if (f->linelen > 0) {
			emit_line(f, emit, arg, raw);
			f->shown = true;
			free(f->line);
			f->line = NULL;
			f->linelen = f->linetotal = 0;
		}
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
	end = buf + got;
	for (p = buf; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL;
	    p = nl + 1) {
		line_put(f, p, (size_t)(nl - p));
		if (f->linelen > 0 || !f->shown)
			emit_line(f, emit, arg, raw);
		line_reset(f);
	}
	if (p < end)
		line_put(f, p, (size_t)(end - p));
	free(buf);
}

static void
emit_note(void *arg, const struct tailfile *f, const char *text)
{
	proto_reply_note(arg, "%s | %s", f->prefix, text);
}

static void
follower_close_cb(uv_handle_t *h)
{
	struct follower	*fw = h->data;

	files_free(fw->files, fw->nfiles);
	free(fw->app);
	free(fw);
}

/* End a follower: the final reply (with why, if why), and its timer. */
static void
follower_end(struct follower *fw, const char *why)
{
	struct follower		**pp;
	struct clm_reply	 *r = proto_reply_new();

	for (pp = &followers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == fw) {
			*pp = fw->next;
			break;
		}
	}
	if (why != NULL)
		proto_reply_note(r, "clm: %s", why);
	server_reply(fw->call, r);
	uv_timer_stop(&fw->timer);
	uv_close((uv_handle_t *)&fw->timer, follower_close_cb);
}

static void
follow_cb(uv_timer_t *t)
{
	struct follower		*fw = t->data;
	struct clm_reply	*r;
	size_t			 i;
	char			*why;

	if (server_call_gone(fw->call)) {
		follower_end(fw, NULL);
		return;
	}
	/* A client that reads slowly: the files keep what it has not seen. */
	if (server_call_backlog(fw->call) > 1024 * 1024)
		return;
	r = proto_reply_new();
	r->more = true;
	for (i = 0; i < fw->nfiles; i++)
		read_new(&fw->files[i], emit_note, r, fw->raw);
	if (r->notes != NULL)
		server_reply(fw->call, r);
	else
		proto_reply_free(r);
	if (fw->app != NULL && supervisor_spec(fw->d->sup, fw->app) == NULL) {
		why = clm_asprintf("app '%s' was deleted: no more lines",
		    fw->app);
		follower_end(fw, why);
		free(why);
	}
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
	const char			*app = NULL;
	bool				 live = true;
	int				 want = req->lines >= 0 ? req->lines :
					    LOGVIEW_LINES;

	if (req->which != NULL && strcmp(req->which, "out") != 0 &&
	    strcmp(req->which, "err") != 0) {
		server_reply_error(call, CLM_E_BADREQ, "which must be out or "
		    "err");
		return;
	}
	if (req->target != NULL && strcmp(req->target, "all") != 0)
		app = req->target;
	if (app != NULL && supervisor_spec(d->sup, app) == NULL) {
		/* A deleted app: its files, if any are left. */
		live = false;
		if (collect_dir(d->home.logdir, app, req->which,
		    &files, &n) == -1 || n == 0) {
			files_free(files, n);
			server_reply_error(call, CLM_E_NOAPP, "no app named "
			    "'%s' and no log files of it in %s (see clm "
			    "list)", app, d->home.logdir);
			return;
		}
	} else
		collect(d, app, req->which, &files, &n);
	r = proto_reply_new();
	for (i = 0; i < n; i++) {
		lines = logview_tail(files[i].path, want, req->raw, live);
		for (k = 0; lines[k] != NULL; k++)
			proto_reply_note(r, "%s | %s", files[i].prefix,
			    lines[k]);
		clm_strv_free(lines);
		/* Follow from the end of what exists now. */
		if (stat(files[i].path, &st) == 0) {
			files[i].offset = st.st_size;
			files[i].ino = st.st_ino;
		}
	}
	if (!live)
		proto_reply_note(r, "clm: app '%s' is not running (deleted): "
		    "these are the lines its log files kept", app);
	if (!req->follow || !live) {
		files_free(files, n);
		server_reply(call, r);
		return;
	}
	r->more = true;
	server_reply(call, r);
	fw = clm_calloc(1, sizeof *fw);
	fw->d = d;
	fw->call = call;
	fw->app = clm_strdup(app);
	fw->raw = req->raw;
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
		follower_end(followers, "the daemon is stopping: no more "
		    "lines");
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
			/* Writers append (O_APPEND): emptying is safe. Never
			 * through a link: root would empty its target. */
			fd = open(files[i].path, O_WRONLY | O_TRUNC |
			    O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
			if (fd == -1 && errno != ENOENT) {
				*cause = clm_asprintf("cannot empty %s: %s%s",
				    files[i].path, strerror(errno),
				    errno == ELOOP ? " (it is a symbolic "
				    "link: remove it)" : "");
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

/* --- without a daemon ------------------------------------------------- */

static void
emit_stdout(void *arg, const struct tailfile *f, const char *text)
{
	printf("%s | %s\n", f->prefix, text);
}

int
logview_offline(const struct clm_home *home, const struct clm_request *req)
{
	struct clm_daemon_config	 cfg;
	struct tailfile			*files;
	struct stat			 st;
	const char			*app = NULL;
	char				*ini, **errors = NULL, **lines;
	size_t				 n, i, k;
	int				 want = req->lines >= 0 ? req->lines :
					    LOGVIEW_LINES;

	if (req->target != NULL && strcmp(req->target, "all") != 0)
		app = req->target;
	/* The daemon's log_dir, if its clm.ini moves it. */
	config_daemon_defaults(&cfg);
	ini = clm_asprintf("%s/clm.ini", home->dir);
	if (access(ini, F_OK) == 0 && config_load_daemon(ini, &cfg,
	    &errors) == -1)
		clm_strv_free(errors);
	free(ini);
	if (collect_dir(cfg.log_dir != NULL ? cfg.log_dir : home->logdir,
	    app, req->which, &files, &n) == -1 || (n == 0 && app != NULL)) {
		fprintf(stderr, "clm: no daemon is running (CLM_HOME=%s) and "
		    "no log files %s%s%sin %s\n", home->dir, app != NULL ?
		    "of '" : "", app != NULL ? app : "", app != NULL ? "' " :
		    "", cfg.log_dir != NULL ? cfg.log_dir : home->logdir);
		files_free(files, n);
		config_daemon_free(&cfg);
		return CLM_EXIT_FAIL;
	}
	config_daemon_free(&cfg);
	fprintf(stderr, "clm: no daemon is running: showing the log files "
	    "as they are%s\n", req->follow ? " (and following them)" : "");
	for (i = 0; i < n; i++) {
		lines = logview_tail(files[i].path, want, req->raw, false);
		for (k = 0; lines[k] != NULL; k++)
			printf("%s | %s\n", files[i].prefix, lines[k]);
		clm_strv_free(lines);
		if (stat(files[i].path, &st) == 0) {
			files[i].offset = st.st_size;
			files[i].ino = st.st_ino;
		}
	}
	fflush(stdout);
	while (req->follow) {
		usleep(FOLLOW_MS * 1000);
		for (i = 0; i < n; i++)
			read_new(&files[i], emit_stdout, NULL, req->raw);
		if (fflush(stdout) == EOF)
			break;
	}
	files_free(files, n);
	return CLM_EXIT_OK;
}
