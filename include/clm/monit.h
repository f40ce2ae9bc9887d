/* clm monit: a live terminal view of every worker (monit.c). */
#ifndef CLM_MONIT_H
#define CLM_MONIT_H

/* Runs until q; an exit code of clm. */
int monit_run(void);

#endif
