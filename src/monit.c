/*
 * clm monit: a live view of every worker, in plain ANSI (no curses): one
 * list request a second, a CPU and memory history per worker, the
 * selected worker's last log lines, keys to move, filter, restart, reload
 * or stop the selected app (asking first), and q.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "clm/cli.h"
#include "clm/client.h"
#include "clm/home.h"
#include "clm/monit.h"
#include "clm/proto.h"
#include "clm/render.h"

#define MONIT_HISTORY	16	/* samples per worker */
#define MONIT_LOG_LINES	6

struct monit_hist {
	char		*key;		/* NAME:ID */
	double		 cpu[MONIT_HISTORY];
	uint64_t	 mem[MONIT_HISTORY];
	size_t		 n;
	bool		 seen;
};

struct monit {
	struct clm_home		 home;
	struct clm_client	*c;
	struct clm_worker_info	*w;
	size_t			 nw;
	struct monit_hist	*hist;
	size_t			 nhist;
	char			**logs;
	size_t			 sel;
	char			 filter[64];
	char			 status[256];
	struct termios		 saved;
};

static volatile sig_atomic_t	monit_resized;

static void
monit_winch(int sig)
{
	monit_resized = 1;
}

static void
monit_size(int *rows, int *cols)
{
	struct winsize	ws;

	*rows = 24;
	*cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

/* One request, its replies to the last; the last ok one kept in *out. */
static int
monit_ask(struct monit *m, struct clm_request *req, struct clm_reply **out)
{
	struct clm_reply	*r = NULL;
	char			*cause = NULL;
	bool			 more = true;
	int			 rc = 0;

	if (out != NULL)
		*out = NULL;
	bool			 none;

	if (m->c == NULL && clm_client_connect(&m->home, false, &m->c, &none,
	    &cause) != 0) {
		snprintf(m->status, sizeof m->status, "%s", cause);
		free(cause);
		proto_request_free(req);
		m->c = NULL;
		return -1;
	}
	if (clm_client_send(m->c, req, &cause) != 0)
		more = false, rc = -1;
	proto_request_free(req);
	while (more) {
		if (clm_client_recv(m->c, &r, &cause) != 0) {
			rc = -1;
			break;
		}
		more = r->more;
		if (!r->ok) {
			snprintf(m->status, sizeof m->status, "%s",
			    r->message != NULL ? r->message : "refused");
			rc = -1;
		}
		if (out != NULL && r->ok && !more) {
			*out = r;
			break;
		}
		proto_reply_free(r);
	}
	if (cause != NULL) {
		snprintf(m->status, sizeof m->status, "%s", cause);
		free(cause);
		clm_client_close(m->c);
		m->c = NULL;
	}
	return rc;
}

static struct monit_hist *
monit_hist(struct monit *m, const struct clm_worker_info *w)
{
	char	*key = clm_asprintf("%s:%d", w->name, w->id);
	size_t	 i;

	for (i = 0; i < m->nhist; i++) {
		if (strcmp(m->hist[i].key, key) == 0) {
			free(key);
			return &m->hist[i];
		}
	}
	m->hist = clm_realloc(m->hist, (m->nhist + 1) * sizeof *m->hist);
	memset(&m->hist[m->nhist], 0, sizeof *m->hist);
	m->hist[m->nhist].key = key;
	return &m->hist[m->nhist++];
}

static bool
monit_shown(const struct monit *m, const struct clm_worker_info *w)
{
	return m->filter[0] == '\0' || strstr(w->name, m->filter) != NULL;
}

static void
monit_refresh(struct monit *m)
{
	struct clm_reply	*r;
	struct clm_request	*req;
	struct monit_hist	*h;
	size_t			 i, k;

	for (i = 0; i < m->nw; i++)
		proto_worker_info_clear(&m->w[i]);
	free(m->w);
	m->w = NULL;
	m->nw = 0;
	if (monit_ask(m, proto_request_new("list"), &r) != 0 || r == NULL)
		return;
	/* Keep the shown ones only. */
	m->w = clm_calloc(r->nworkers + 1, sizeof *m->w);
	for (i = 0; i < r->nworkers; i++) {
		if (!monit_shown(m, &r->workers[i]))
			continue;
		m->w[m->nw++] = r->workers[i];
		memset(&r->workers[i], 0, sizeof r->workers[i]);
		h = monit_hist(m, &m->w[m->nw - 1]);
		if (h->n == MONIT_HISTORY) {
			memmove(h->cpu, h->cpu + 1, sizeof h->cpu[0] * (h->n - 1));
			memmove(h->mem, h->mem + 1, sizeof h->mem[0] * (h->n - 1));
			h->n--;
		}
		h->cpu[h->n] = m->w[m->nw - 1].cpu;
		h->mem[h->n] = m->w[m->nw - 1].memory;
		h->n++;
	}
	proto_reply_free(r);
	if (m->sel >= m->nw)
		m->sel = m->nw > 0 ? m->nw - 1 : 0;
	clm_strv_free(m->logs);
	m->logs = NULL;
	if (m->nw == 0)
		return;
	req = proto_request_new("logs");
	req->target = clm_asprintf("%s:%d", m->w[m->sel].name,
	    m->w[m->sel].id);
	req->lines = MONIT_LOG_LINES;
	if (monit_ask(m, req, &r) == 0 && r != NULL) {
		for (k = 0; r->notes != NULL && r->notes[k] != NULL; k++)
			clm_strv_push(&m->logs, r->notes[k]);
		proto_reply_free(r);
	}
}

/* A history as a sparkline of eight levels. */
static void
monit_spark(char *buf, size_t len, const double *v, size_t n, double max)
{
	static const char *const lv[] = { "\xe2\x96\x81", "\xe2\x96\x82",
	    "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
	    "\xe2\x96\x87", "\xe2\x96\x88" };
	size_t	i, off = 0;
	int	l;

	buf[0] = '\0';
	for (i = 0; i < n && off + 4 < len; i++) {
		l = max > 0 ? (int)(v[i] / max * 7.0 + 0.5) : 0;
		l = l < 0 ? 0 : l > 7 ? 7 : l;
		off += (size_t)snprintf(buf + off, len - off, "%s", lv[l]);
	}
}

static void
monit_draw(struct monit *m)
{
	struct monit_hist	*h;
	char			 up[32], mem[32], cs[64], ms[64];
	char			 title[256];
	double			 mv[MONIT_HISTORY], mmax, cmax;
	int			 rows, cols, row = 0, room;
	size_t			 i, k, first = 0;

	monit_size(&rows, &cols);
	fputs("\033[H\033[2J", stdout);
	snprintf(title, sizeof title, "clm monit  %zu worker%s%s%s  (q quit, "
	    "j/k move, r restart, l reload, s stop, / filter)", m->nw,
	    m->nw == 1 ? "" : "s", m->filter[0] != '\0' ? "  filter: " : "",
	    m->filter);
	printf("\033[1m%.*s\033[0m\r\n", cols, title);
	printf("\033[7m%-*.*s\033[0m\r\n", cols, cols,
	    "  APP:ID               STATUS      PID      UPTIME  RESTARTS"
	    "  CPU%   MEM       CPU             MEM");
	row = 2;
	room = rows - row - MONIT_LOG_LINES - 3;
	if (room < 1)
		room = 1;
	if ((int)m->sel >= room)
		first = m->sel - (size_t)room + 1;
	for (i = first; i < m->nw && (int)(i - first) < room; i++) {
		struct clm_worker_info	*w = &m->w[i];
		char			 line[512], name[64];

		h = monit_hist(m, w);
		render_duration(up, sizeof up, w->uptime_ms);
		render_bytes(mem, sizeof mem, w->memory);
		cmax = 100;
		mmax = 0;
		for (k = 0; k < h->n; k++) {
			mv[k] = (double)h->mem[k];
			if (mv[k] > mmax)
				mmax = mv[k];
		}
		monit_spark(cs, sizeof cs, h->cpu, h->n, cmax);
		monit_spark(ms, sizeof ms, mv, h->n, mmax);
		snprintf(name, sizeof name, "%s:%d", w->name, w->id);
		snprintf(line, sizeof line, "%c %-20.20s %-11.11s %-8d %7s  %8u"
		    "  %5.1f  %-8s  ", i == m->sel ? '>' : ' ', name,
		    w->status, w->pid, w->pid > 0 ? up : "-", w->restarts,
		    w->cpu, w->pid > 0 ? mem : "-");
		printf("%s%.*s", i == m->sel ? "\033[1m" : "", cols,
		    line);
		if ((int)strlen(line) + MONIT_HISTORY * 2 + 2 <= cols)
			printf("%s  %s", cs, ms);
		printf("\033[0m\r\n");
		row++;
	}
	if (m->nw == 0)
		printf("  (no apps%s)\r\n", m->filter[0] != '\0' ?
		    " match the filter" : ": clm start SCRIPT");
	printf("\033[%d;1H\033[7m%-*.*s\033[0m\r\n", rows - MONIT_LOG_LINES - 1,
	    cols, cols, m->nw > 0 ? "  last log lines of the selected "
	    "worker" : "");
	for (k = 0; m->logs != NULL && m->logs[k] != NULL &&
	    k < MONIT_LOG_LINES; k++)
		printf("%.*s\r\n", cols, m->logs[k]);
	printf("\033[%d;1H%.*s", rows, cols, m->status);
	fflush(stdout);
}

/* Read one key: a byte, or 'U'/'D' for the arrows; -1 on timeout. */
static int
monit_key(int timeout_ms)
{
	struct pollfd	pfd = { STDIN_FILENO, POLLIN, 0 };
	unsigned char	buf[8];
	ssize_t		n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	n = read(STDIN_FILENO, buf, sizeof buf);
	if (n <= 0)
		return 'q';
	if (n >= 3 && buf[0] == 033 && buf[1] == '[')
		return buf[2] == 'A' ? 'U' : buf[2] == 'B' ? 'D' : -1;
	return buf[0];
}

static void
monit_act(struct monit *m, const char *verb)
{
	struct clm_request	*req;
	int			 k;

	if (m->nw == 0)
		return;
	snprintf(m->status, sizeof m->status, "%s %s? (y/n)", verb,
	    m->w[m->sel].name);
	monit_draw(m);
	while ((k = monit_key(60000)) == -1)
		;
	if (k != 'y' && k != 'Y') {
		snprintf(m->status, sizeof m->status, "%s: cancelled", verb);
		return;
	}
	snprintf(m->status, sizeof m->status, "%s %s...", verb,
	    m->w[m->sel].name);
	monit_draw(m);
	req = proto_request_new(verb);
	req->target = clm_strdup(m->w[m->sel].name);
	if (monit_ask(m, req, NULL) == 0)
		snprintf(m->status, sizeof m->status, "%s %s: done", verb,
		    m->w[m->sel].name);
}

static void
monit_read_filter(struct monit *m)
{
	size_t	len = 0;
	int	k;

	m->filter[0] = '\0';
	for (;;) {
		snprintf(m->status, sizeof m->status, "filter: %s_", m->filter);
		monit_draw(m);
		if ((k = monit_key(60000)) == -1)
			continue;
		if (k == '\r' || k == '\n' || k == 033)
			break;
		if ((k == 127 || k == 8) && len > 0)
			m->filter[--len] = '\0';
		else if (k >= ' ' && k < 127 && len + 1 < sizeof m->filter) {
			m->filter[len++] = (char)k;
			m->filter[len] = '\0';
		}
	}
	m->status[0] = '\0';
	m->sel = 0;
}

int
monit_run(void)
{
	struct monit		 m;
	struct termios		 raw;
	struct sigaction	 sa;
	char			*cause = NULL;
	uint64_t		 next = 0, now;
	size_t			 i;
	int			 k;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "clm: monit needs a terminal (stdin and stdout "
		    "are not both one); use clm list, or clm events --json "
		    "for a stream\n");
		return CLM_EXIT_FAIL;
	}
	memset(&m, 0, sizeof m);
	if (clm_home_init(&m.home, false, &cause) != 0) {
		fprintf(stderr, "clm: %s\n", cause);
		free(cause);
		return CLM_EXIT_FAIL;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = monit_winch;
	sigaction(SIGWINCH, &sa, NULL);
	tcgetattr(STDIN_FILENO, &m.saved);
	raw = m.saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	fputs("\033[?1049h\033[?25l", stdout);
	for (;;) {
		now = clm_now_ms();
		if (now >= next) {
			monit_refresh(&m);
			next = now + 1000;
		}
		if (monit_resized || now >= next - 1000) {
			monit_resized = 0;
			monit_draw(&m);
		}
		k = monit_key((int)(next - clm_now_ms() > 1000 ? 1000 :
		    next - clm_now_ms()));
		if (k == 'q' || k == 'Q' || k == 3)
			break;
		if ((k == 'U' || k == 'k') && m.sel > 0)
			m.sel--;
		else if ((k == 'D' || k == 'j') && m.sel + 1 < m.nw)
			m.sel++;
		else if (k == 'r')
			monit_act(&m, "restart");
		else if (k == 'l')
			monit_act(&m, "reload");
		else if (k == 's')
			monit_act(&m, "stop");
		else if (k == '/')
			monit_read_filter(&m);
		else if (k == -1)
			continue;
		next = 0;	/* a key: refresh now */
	}
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSANOW, &m.saved);
	for (i = 0; i < m.nw; i++)
		proto_worker_info_clear(&m.w[i]);
	free(m.w);
	for (i = 0; i < m.nhist; i++)
		free(m.hist[i].key);
	free(m.hist);
	clm_strv_free(m.logs);
	if (m.c != NULL)
		clm_client_close(m.c);
	clm_home_free(&m.home);
	return CLM_EXIT_OK;
}
