/* Small helpers every module uses: allocation that cannot fail silently,
 * strings, NULL-terminated string vectors, and the version numbers. */
#ifndef CLM_COMMON_H
#define CLM_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLM_VERSION "0.1.0"

/*
 * The control protocol's version. Bump it whenever a request or reply
 * changes shape or meaning: a CLI and a daemon of different versions refuse
 * each other with a clear message instead of misreading.
 */
#define CLM_PROTOCOL_VERSION 1

/* Largest request line accepted on the control socket: a start of an app
 * file is one line of about 400 bytes an app (2,500 apps: 1 MiB). */
#define CLM_MAX_FRAME (16 * 1024 * 1024)
/* Largest reply line the CLI accepts from its daemon: a list of thousands
 * of workers is more than a MiB (5,000: 1 to 2 MiB). */
#define CLM_MAX_REPLY (64 * 1024 * 1024)

#define CLM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define CLM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CLM_NORETURN __attribute__((noreturn))
#else
#define CLM_PRINTF(f, a)
#define CLM_NORETURN
/*
 * "Did you mean": the word of words (NULL-terminated) closest to w, if
 * close enough to be a typo (at most 2 edits, and at most half of w's
 * length), else NULL. clm_distance: edits between two words, an adjacent
 * transposition counting one, case-insensitive; SIZE_MAX for long words.
 */
const char *clm_suggest(const char *w, const char *const *words);
size_t clm_distance(const char *a, const char *b);

/* A copy of a word the user wrote, fit for a one-line message: control
 * bytes become '?', at most 64 bytes are kept ("..." marks the cut). */
char *clm_shown(const char *s);

#endif

/* Allocation: abort with a message on out-of-memory. */
void *clm_malloc(size_t n);
void *clm_calloc(size_t n, size_t size);
void *clm_realloc(void *p, size_t n);
char *clm_strdup(const char *s);		/* NULL stays NULL */
char *clm_strndup(const char *s, size_t n);
char *clm_asprintf(const char *fmt, ...) CLM_PRINTF(1, 2);
char *clm_vasprintf(const char *fmt, va_list ap);

/* NULL-terminated vectors of strings (argv, environ). */
size_t clm_strv_len(char *const *v);
char **clm_strv_dup(char *const *v);		/* NULL stays NULL */
void clm_strv_push(char ***v, const char *s);	/* appends a copy */
void clm_strv_free(char **v);	/* a shared one: one reference less */
/* Another reference to v, which its owners then only read and free with
 * clm_strv_free() (thousands of apps started with one environment hold
 * one copy of it, not thousands). */
char **clm_strv_share(char **v);
bool clm_strv_eq(char *const *a, char *const *b);	/* NULL == NULL */
bool clm_strv_has(char *const *v, const char *s);	/* v may be NULL */

/* Send len bytes with one fd attached (SCM_RIGHTS), without blocking. */
int clm_send_fd(int sock, const void *buf, size_t len, int fd);

/* Monotonic milliseconds and wall-clock milliseconds since the epoch. */
uint64_t clm_now_ms(void);
uint64_t clm_wall_ms(void);

/* Parse a whole decimal integer in [min, max]; 0 on success, -1 otherwise. */
int clm_parse_int(const char *s, long long min, long long max, long long *out);
/* The length of the valid multi-byte UTF-8 sequence at p (of n bytes: no
 * overlong form, no surrogate, at most U+10FFFF), or 0. */
size_t clm_utf8_len(const unsigned char *p, size_t n);

/* The length of the valid UTF-8 sequence at s (n bytes left, n > 0), 0 if
 * there is none (no overlong forms, no surrogates, at most U+10FFFF). */
size_t clm_utf8_seq(const unsigned char *s, size_t n);

/*
 * "Did you mean": the word of words (NULL-terminated) closest to w, if
 * close enough to be a typo (at most 2 edits, and at most half of w's
 * length), else NULL. clm_distance: edits between two words, an adjacent
 * transposition counting one, case-insensitive; SIZE_MAX for long words.
 */
const char *clm_suggest(const char *w, const char *const *words);
size_t clm_distance(const char *a, const char *b);

/* A copy of a word the user wrote, fit for a one-line message: control
 * bytes become '?', at most 64 bytes are kept ("..." marks the cut). */
char *clm_shown(const char *s);

#endif
