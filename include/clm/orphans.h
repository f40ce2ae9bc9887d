/*
 * Processes an app leaves behind that escaped its workers' process groups
 * (setsid, daemonizing): with their parents gone they are reparented to
 * clmd, a child subreaper. Each worker carries its app's name in
 * CLM_APP_NAME; a child of clmd that clmd did not spawn and that carries
 * the name is the app's, and goes with it.
 */
#ifndef CLM_ORPHANS_H
#define CLM_ORPHANS_H

/* SIGKILL the app's orphans (and theirs, as they are reparented in
 * turn). Returns how many were killed. */
int orphans_kill(const char *app);
/* The same for every app of the NULL-terminated apps, in one look at
 * clmd's children (a delete of thousands of apps). */
int orphans_kill_apps(char *const *apps);

#endif
