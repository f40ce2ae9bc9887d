/* What the CLI prints for people: the workers' table, an app's options. */
#include <sys/ioctl.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/options.h"
#include "clm/render.h"

#define RENDER_NCOLS	8
#define RENDER_GAP	2

#define RENDER_RESET	"\033[0m"
#define RENDER_BOLD	"\033[1m"
#define RENDER_RED	"\033[31m"
#define RENDER_GREEN	"\033[32m"
#define RENDER_YELLOW	"\033[33m"

static const char *const render_headers[RENDER_NCOLS] = {
	"id", "name", "pid", "uptime", "restarts", "status", "cpu", "memory"
};
#define RENDER_NAME_COL	1
#define RENDER_STATUS_COL 5
#define RENDER_NAME_MIN	6	/* a name column is cut no narrower */
#define RENDER_STATUS_MIN 9	/* "errored ~" */
#define RENDER_CUT	"~"	/* marks a cell cut to fit */

/* Columns on the screen: UTF-8 sequences count one (no wide glyphs). */
static size_t
render_width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* s cut to cols columns, the last one the marker, when it is wider. */
static void
render_cut(char **s, size_t cols)
{
	char	*p = *s, *cut;
	size_t	 n = 0;

	if (cols == 0 || render_width(p) <= cols)
		return;
	for (; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && n++ == cols - 1)
			break;
	}
	cut = clm_asprintf("%.*s%s", (int)(p - *s), *s, RENDER_CUT);
	free(*s);
	*s = cut;
}

/* The terminal's width, or 0: not a terminal (the whole table). */
static size_t
render_columns(FILE *f)
{
	struct winsize	ws;

	if (!isatty(fileno(f)) || ioctl(fileno(f), TIOCGWINSZ, &ws) == -1 ||
	    ws.ws_col == 0)
		return 0;
	return ws.ws_col;
}

bool
render_use_color(FILE *f)
{
	const char	*term;

	if (getenv("NO_COLOR") != NULL)
		return false;
	term = getenv("TERM");
	if (term != NULL && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fileno(f));
}

void
render_duration(char *buf, size_t len, uint64_t ms)
{
	uint64_t	s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h", s / 3600);
	else
		snprintf(buf, len, "%" PRIu64 "D", s / 86400);
}

void
render_bytes(char *buf, size_t len, uint64_t bytes)
{
	if (bytes < 1024)
		snprintf(buf, len, "%" PRIu64 "b", bytes);
	else if (bytes < 1024 * 1024)
		snprintf(buf, len, "%.1fkb", bytes / 1024.0);
	else if (bytes < 1024ULL * 1024 * 1024)
		snprintf(buf, len, "%.1fmb", bytes / (1024.0 * 1024));
	else
		snprintf(buf, len, "%.1fgb", bytes / (1024.0 * 1024 * 1024));
}

static const char *
render_status_color(const char *status)
{
	if (strcmp(status, "online") == 0)
		return RENDER_GREEN;
	if (strcmp(status, "errored") == 0)
		return RENDER_RED;
	return RENDER_YELLOW;
}

/* The cells of one worker's row; the caller frees each. */
static void
render_row(const struct clm_worker_info *w, char *cells[RENDER_NCOLS])
{
	char	buf[32];
	bool	running = w->pid > 0;

	cells[0] = clm_asprintf("%d", w->id);
	cells[1] = clm_strdup(w->name != NULL ? w->name : "?");
	cells[2] = running ? clm_asprintf("%d", w->pid) : clm_strdup("-");
	if (running) {
		render_duration(buf, sizeof buf, w->uptime_ms);
		cells[3] = clm_strdup(buf);
	} else
		cells[3] = clm_strdup("-");
	cells[4] = clm_asprintf("%u", w->restarts);
	/* Why it is not running, and since when: "errored (exit 3, 2m)". */
	if (!running && w->reason != NULL && w->ended_ms != 0) {
		uint64_t	now = clm_wall_ms();

		render_duration(buf, sizeof buf, now > w->ended_ms ?
		    now - w->ended_ms : 0);
		cells[5] = clm_asprintf("%s (%s, %s ago)", w->status != NULL ?
		    w->status : "?", w->reason, buf);
	} else if (running && w->health != NULL &&
	    strcmp(w->health, "ok") != 0)
		cells[5] = clm_asprintf("%s (health %s)", w->status != NULL ?
		    w->status : "?", w->health);
	else
		cells[5] = clm_strdup(w->status != NULL ? w->status : "?");
	if (running) {
		cells[6] = clm_asprintf("%.1f%%", w->cpu);
		render_bytes(buf, sizeof buf, w->memory);
		cells[7] = clm_strdup(buf);
	} else {
		cells[6] = clm_strdup("-");
		cells[7] = clm_strdup("-");
	}
}

static void
render_line(FILE *f, char *const cells[RENDER_NCOLS],
    const size_t width[RENDER_NCOLS], bool color, bool header)
{
	const char	*on;
	size_t		 i, len;

	for (i = 0; i < RENDER_NCOLS; i++) {
		len = render_width(cells[i]);
		on = NULL;
		if (color && header)
			on = RENDER_BOLD;
		else if (color && i == RENDER_STATUS_COL)
			on = render_status_color(cells[i]);
		if (on != NULL)
			fprintf(f, "%s%s%s", on, cells[i], RENDER_RESET);
		else
			fputs(cells[i], f);
		if (i + 1 < RENDER_NCOLS)
			fprintf(f, "%*s", (int)(width[i] > len ? width[i] - len +
			    RENDER_GAP : RENDER_GAP), "");
	}
	fputc('\n', f);
}

/*
 * On a terminal narrower than the table: the name column, then the
 * status column, narrowed down to a minimum, their cells cut with a
 * marker. Piped, the table keeps its whole width.
 */
static void
render_fit(FILE *f, char ***rows, size_t nrows, size_t width[RENDER_NCOLS])
{
	static const int	 cols[2] = { RENDER_NAME_COL, RENDER_STATUS_COL };
	static const size_t	 mins[2] = { RENDER_NAME_MIN, RENDER_STATUS_MIN };
	size_t			 screen = render_columns(f), total = 0, i, k;
	size_t			 excess, cut;

	if (screen == 0)
		return;
	for (i = 0; i < RENDER_NCOLS; i++)
		total += width[i] + (i + 1 < RENDER_NCOLS ? RENDER_GAP : 0);
	for (k = 0; k < 2 && total > screen; k++) {
		if (width[cols[k]] <= mins[k])
			continue;
		excess = total - screen;
		cut = width[cols[k]] - mins[k] < excess ?
		    width[cols[k]] - mins[k] : excess;
		width[cols[k]] -= cut;
		total -= cut;
		for (i = 0; i < nrows; i++)
			render_cut(&rows[i][cols[k]], width[cols[k]]);
	}
}

void
render_workers(FILE *f, const struct clm_worker_info *w, size_t n,
    const char *name, bool color)
{
	char	***rows, *header[RENDER_NCOLS];
	size_t	   width[RENDER_NCOLS], i, j, nrows, len;

	for (j = 0; j < RENDER_NCOLS; j++) {
		header[j] = (char *)render_headers[j];
		width[j] = strlen(render_headers[j]);
	}
	rows = clm_calloc(n + 1, sizeof *rows);
	nrows = 0;
	for (i = 0; i < n; i++) {
		if (name != NULL &&
		    (w[i].name == NULL || strcmp(w[i].name, name) != 0))
			continue;
		rows[nrows] = clm_calloc(RENDER_NCOLS, sizeof **rows);
		render_row(&w[i], rows[nrows]);
		for (j = 0; j < RENDER_NCOLS; j++) {
			len = render_width(rows[nrows][j]);
			if (len > width[j])
				width[j] = len;
		}
		nrows++;
	}
	render_fit(f, rows, nrows, width);

	render_line(f, header, width, color, true);
	for (i = 0; i < nrows; i++) {
		render_line(f, rows[i], width, color, false);
		for (j = 0; j < RENDER_NCOLS; j++)
			free(rows[i][j]);
		free(rows[i]);
	}
	free(rows);
	if (nrows == 0 && name == NULL)
		fputs("(no apps; start one with clm start SCRIPT)\n", f);
	else if (nrows == 0)
		fprintf(f, "(no workers of app %s)\n", name);
}

void
render_describe(FILE *f, const struct clm_app_spec *spec,
    const struct clm_worker_info *w, size_t n, bool color)
{
	const struct clm_option	*o;
	char			*value;
	size_t			 i;

	if (spec != NULL) {
		for (i = 0; i < options_count; i++) {
			o = &options_table[i];
			value = options_format(o, spec);
			fprintf(f, "%-19s %s\n", o->key,
			    value != NULL ? value : "-");
			free(value);
		}
		fputc('\n', f);
	}
	render_workers(f, w, n, spec != NULL ? spec->name : NULL, color);
}
