/* Small helpers every module uses. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clm/common.h"

static CLM_NORETURN void
clm_oom(size_t n)
{
	fprintf(stderr, "clm: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *
clm_malloc(size_t n)
{
	void	*p;

	if (n == 0)
		n = 1;
	if ((p = malloc(n)) == NULL)
		clm_oom(n);
	return p;
}

void *
clm_calloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		clm_oom(n * size);
	return p;
}

void *
clm_realloc(void *p, size_t n)
{
	void	*q;

	if (n == 0)
		n = 1;
	if ((q = realloc(p, n)) == NULL)
		clm_oom(n);
	return q;
}

char *
clm_strdup(const char *s)
{
	if (s == NULL)
		return NULL;
	return clm_strndup(s, strlen(s));
}

char *
clm_strndup(const char *s, size_t n)
{
	char	*p;

	if (s == NULL)
		return NULL;
	n = strnlen(s, n);
	p = clm_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
clm_vasprintf(const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) == -1)
		clm_oom(strlen(fmt));
	return s;
}

char *
clm_asprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = clm_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

size_t
clm_strv_len(char *const *v)
{
	size_t	n = 0;

	if (v == NULL)
		return 0;
	while (v[n] != NULL)
		n++;
	return n;
}

char **
clm_strv_dup(char *const *v)
{
	char	**d;
	size_t	  i, n;

	if (v == NULL)
		return NULL;
	n = clm_strv_len(v);
	d = clm_calloc(n + 1, sizeof *d);
	for (i = 0; i < n; i++)
		d[i] = clm_strdup(v[i]);
	d[n] = NULL;
	return d;
}

void
clm_strv_push(char ***v, const char *s)
{
	size_t	n;

	n = clm_strv_len(*v);
	*v = clm_realloc(*v, (n + 2) * sizeof **v);
	(*v)[n] = clm_strdup(s);
	(*v)[n + 1] = NULL;
}

bool
clm_strv_has(char *const *v, const char *s)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (strcmp(v[i], s) == 0)
			return true;
	}
	return false;
}

/*
 * Vectors held by several owners (clm_strv_share()): their references by
 * address, open addressing. Empty in most programs: clm_strv_free() then
 * costs one comparison more.
 */
static struct strv_share {
	char	**v;
	size_t	  refs;
}		*shares;
static size_t	 nshares, shares_cap;

static size_t
share_home(char **v)
{
	return (size_t)(((uintptr_t)v >> 4) * 2654435761u) & (shares_cap - 1);
}

static size_t
share_find(char **v)
{
	size_t	h;

	if (nshares == 0)
		return SIZE_MAX;
	for (h = share_home(v); shares[h].v != NULL;
	    h = (h + 1) & (shares_cap - 1)) {
		if (shares[h].v == v)
			return h;
	}
	return SIZE_MAX;
}

static void
share_grow(void)
{
	struct strv_share	*old = shares;
	size_t			 oldcap = shares_cap, i, h;

	shares_cap = shares_cap ? shares_cap * 2 : 64;
	shares = clm_calloc(shares_cap, sizeof *shares);
	for (i = 0; i < oldcap; i++) {
		if (old[i].v == NULL)
			continue;
		h = share_home(old[i].v);
		while (shares[h].v != NULL)
			h = (h + 1) & (shares_cap - 1);
		shares[h] = old[i];
	}
	free(old);
}

/* v is shared: one reference less, and true while others hold it. */
static bool
strv_unshare(char **v)
{
	size_t	h, j, home;

	if ((h = share_find(v)) == SIZE_MAX)
		return false;
	if (--shares[h].refs > 0)
		return true;
	/* The last reference: out of the table (moving back the run). */
	shares[h].v = NULL;
	nshares--;
	for (j = (h + 1) & (shares_cap - 1); shares[j].v != NULL;
	    j = (j + 1) & (shares_cap - 1)) {
		home = share_home(shares[j].v);
		if ((h < j) ? (home > h && home <= j) : (home > h || home <= j))
			continue;
		shares[h] = shares[j];
		shares[j].v = NULL;
		h = j;
	}
	return false;
}

void
clm_strv_free(char **v)
{
	size_t	i;

	if (v == NULL || strv_unshare(v))
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

bool
clm_strv_eq(char *const *a, char *const *b)
{
	size_t	i;

	if (a == NULL || b == NULL)
		return a == b;
	for (i = 0; a[i] != NULL && b[i] != NULL; i++) {
		if (a[i] != b[i] && strcmp(a[i], b[i]) != 0)
			return false;
	}
	return a[i] == NULL && b[i] == NULL;
}

char **
clm_strv_share(char **v)
{
	size_t	h;

	if (v == NULL)
		return NULL;
	if ((h = share_find(v)) != SIZE_MAX) {
		shares[h].refs++;
		return v;
	}
	if ((nshares + 1) * 2 > shares_cap)
		share_grow();
	h = share_home(v);
	while (shares[h].v != NULL)
		h = (h + 1) & (shares_cap - 1);
	shares[h].v = v;
	shares[h].refs = 2;
	nshares++;
	return v;
}

static uint64_t
clm_clock_ms(clockid_t id)
{
	struct timespec	ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
clm_now_ms(void)
{
	return clm_clock_ms(CLOCK_MONOTONIC);
}

uint64_t
clm_wall_ms(void)
{
	return clm_clock_ms(CLOCK_REALTIME);
}

/*
 * A whole decimal integer: an optional sign then digits, nothing else (no
 * spaces, no hex, no trailing characters), within [min, max].
 */
int
clm_parse_int(const char *s, long long min, long long max, long long *out)
{
	const char	*p;
	char		*end;
	long long	 v;

	if (s == NULL)
		return -1;
	p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
clm_send_fd(int sock, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;

	memset(&msg, 0, sizeof msg);
	memset(&cbuf, 0, sizeof cbuf);
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof cbuf.buf;
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == -1 ? -1 : 0;
}

size_t
clm_utf8_seq(const unsigned char *s, size_t n)
{
	size_t		len, i;
	uint32_t	c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

/* Words longer than this are no typos worth a suggestion. */
#define CLM_SUGGEST_LEN	64

size_t
clm_distance(const char *a, const char *b)
{
	size_t	la, lb, i, j, cost, v;
	size_t	d[CLM_SUGGEST_LEN + 1][CLM_SUGGEST_LEN + 1];

	la = strlen(a);
	lb = strlen(b);
	if (la > CLM_SUGGEST_LEN || lb > CLM_SUGGEST_LEN)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) ? 0 : 1;
			v = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) ==
			    tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *
clm_suggest(const char *w, const char *const *words)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = SIZE_MAX, len;

	len = strlen(w);
	for (i = 0; words[i] != NULL; i++) {
		d = clm_distance(w, words[i]);
		if (d < bestd) {
			bestd = d;
			best = words[i];
		}
	}
	if (best == NULL || bestd > 2 || bestd * 2 > len)
		return NULL;
	return best;
}

char *
clm_shown(const char *s)
{
	char	*p;
	size_t	 i, n;

	n = strlen(s);
	if (n > CLM_SUGGEST_LEN) {
		p = clm_asprintf("%.*s...", CLM_SUGGEST_LEN, s);
		n = CLM_SUGGEST_LEN;
	} else
		p = clm_strdup(s);
	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] == 0x7f)
			p[i] = '?';
	}
	return p;
}

size_t
clm_utf8_len(const unsigned char *p, size_t n)
{
	unsigned	c, k, i;

	if (*p >= 0xc2 && *p <= 0xdf) {
		k = 1;
		c = *p & 0x1f;
	} else if (*p >= 0xe0 && *p <= 0xef) {
		k = 2;
		c = *p & 0x0f;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		k = 3;
		c = *p & 0x07;
	} else
		return 0;
	if (k >= n)
		return 0;
	for (i = 1; i <= k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((k == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (k == 3 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return k + 1;
}
