/*
 * Metrics in Prometheus' text format (prefix clm_): per worker up,
 * restarts, CPU seconds and resident bytes; per app desired and online
 * workers. `clm metrics` prints them; metrics_listen = HOST:PORT in
 * clm.ini serves them over HTTP for a scraper.
 */
#ifndef CLM_METRICS_H
#define CLM_METRICS_H

#include <uv.h>

#include "clm/supervisor.h"

char *metrics_render(struct clm_supervisor *);

/*
 * Serve GET on addr ("HOST:PORT"): /healthz (200 while clmd's loop runs),
 * /readyz (200 when every worker is online, else 503 and a JSON body
 * naming what is missing), any other path the metrics. -1 with *cause.
 */
int metrics_serve(uv_loop_t *, const char *addr, struct clm_supervisor *,
    char **cause);
void metrics_close(void);

#endif
