/* What the CLI prints: the workers' table and an app's description. */
#ifndef CLM_RENDER_H
#define CLM_RENDER_H

#include <stdio.h>

#include "clm/proto.h"

/* Colours on f: only on a terminal, and not when NO_COLOR is set. */
bool render_use_color(FILE *f);

/*
 * The table of workers (id, name, pid, uptime, restarts, status, cpu,
 * memory), only those of the app named name (every one when name is NULL).
 * With no row, the header and a hint on how to start an app.
 */
void render_workers(FILE *f, const struct clm_worker_info *w, size_t n,
    const char *name, bool color);

/* An app's options (env as a count only), then its workers' table. */
void render_describe(FILE *f, const struct clm_app_spec *spec,
    const struct clm_worker_info *w, size_t n, bool color);

/* Human durations ("12s", "5m", "3h", "2D") and sizes ("41.2mb"). */
void render_duration(char *buf, size_t len, uint64_t ms);
void render_bytes(char *buf, size_t len, uint64_t bytes);

#endif
