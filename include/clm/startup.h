/*
 * clm startup: clmd as a systemd service of the system or of the user.
 * The unit comes from systemd/clm.service.in, compiled in.
 */
#ifndef CLM_STARTUP_H
#define CLM_STARTUP_H

#include "clm/common.h"

/* The unit for clm and clmd in bindir, with that CLM_HOME. */
char *startup_unit(bool user, const char *bindir, const char *clm_home);
/* Where the unit goes: /etc/systemd/system/clm.service, or the user's
 * ~/.config/systemd/user/clm.service. */
char *startup_path(bool user);

/*
 * Write the unit and enable it with systemctl (daemon-reload, enable);
 * each step is appended to *said as a line for the user. -1 with *cause
 * when a step fails (what was done before it stays done).
 */
int startup_install(bool user, const char *unit, char ***said, char **cause);
/* Disable the unit and remove it; the same reporting. */
int startup_remove(bool user, char ***said, char **cause);

#endif
