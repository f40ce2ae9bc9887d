/*
 * clm-keeper: what a crash of clmd must not lose, kept by a small process
 * of its own (systemd's FDSTORE, outside systemd).
 *
 * clmd starts one keeper per CLM_HOME and keeps it current: after its
 * changes it sends the state `clm update` hands over (apps, workers with
 * their pids and start times, restart counts, options: JSON in a memfd)
 * and every descriptor the state names (the home's lock, the control
 * socket, the listening sockets, clmd's ends of the worker channels, the
 * log pipes' read ends; no pidfds). Only what changed travels:
 * descriptors the keeper already holds are named, not sent again. A
 * state is committed whole: the keeper holds the last complete state and
 * exactly its descriptors, and says OK; one state is in flight at a time,
 * the next (with every change made meanwhile) goes after the OK.
 *
 * When clmd dies without saying BYE, the keeper still holds the lock (no
 * other clmd starts for the home), the control socket (clients wait in its
 * backlog), and every pipe (workers never see EPIPE). It starts a new
 * clmd (unless clmd ran in the foreground: then whoever ran it, systemd's
 * Restart=, starts the next one), which asks for the state (TAKE on
 * $CLM_HOME/keeper.sock) and takes it over as after `clm update`: the
 * workers stay, with their pids, channels and restart counts; their ends
 * are seen on pidfds it opens (checked against the start times). The keeper also writes each committed state
 * to $CLM_HOME/clmd.state, for the next clmd when the keeper died too.
 *
 * If the keeper dies, clmd starts another and sends it everything.
 *
 * Messages (SOCK_SEQPACKET), clmd to keeper: "HELLO PID FG EXE\nCONFIG",
 * "FDS N..." (with the descriptors, numbered as in clmd), "KEEP N..."
 * (the numbers the next state names), "STATE" (with the memfd: commit),
 * "BYE" (a graceful exit: release everything); keeper to clmd: "OK" (a
 * STATE committed), and after HELLO "HELD N DEV INO..." and "HELD." (what
 * it holds: a clmd after clm update or a crash sends only what it lacks;
 * the first state waits for "HELD.", or 1 s for an older keeper). A new
 * clmd on keeper.sock: "TAKE PID RENUM"; the keeper answers "BUSY PID" (a
 * clmd is alive), "NONE", or the descriptors ("FDS N...") and "STATE
 * RENUM" ("STATE" to a clmd that did not say RENUM); then the new clmd
 * says "RENUM OLD NEW..." and "RENUMBERED": the keeper holds what the
 * state names under the new numbers, closes the rest, and nothing is
 * sent twice (twice 15,000 descriptors do not fit in a limit of 20,000).
 */
#ifndef CLM_KEEPER_H
#define CLM_KEEPER_H

#include <uv.h>

#include "clm/home.h"

struct clm_state;
struct clm_keeper;

/* Fill st (upgrade_state_init'ed) with the state to keep; -1 if none. */
typedef int (*keeper_export_cb)(void *arg, struct clm_state *st);

/*
 * Keep the state of this clmd: with the keeper at conn (-1: start one).
 * exe and config: how to start the next clmd; foreground: someone else
 * (systemd) will.
 */
struct clm_keeper *keeper_start(uv_loop_t *, const struct clm_home *,
    int conn, const char *exe, const char *config, bool foreground,
    keeper_export_cb, void *arg);
/* Something changed: send a new state soon. */
void	keeper_changed(struct clm_keeper *);
/* clm update: the connection, to hand to the new image (kept open). */
int	keeper_fd(struct clm_keeper *);
/* Close; bye: clmd exits for good, the keeper releases all and exits. */
void	keeper_stop(struct clm_keeper *, bool bye);

/*
 * A starting clmd: take a dead clmd's state from the home's keeper, with
 * every descriptor (renumbered in st). 1: taken (*conn is the keeper,
 * kept); 0: no keeper or nothing kept; -1 with *cause: a clmd is alive.
 */
int	keeper_take(const struct clm_home *, struct clm_state *st, int *conn,
	    char **cause);

/*
 * A fresh clmd, no keeper: if both died, the workers they left have lost
 * their channels and log pipes: stop them (each app's kill signal to its
 * group, SIGKILL after its kill_timeout), so that no process of the home
 * runs unmanaged beside the apps started again. Waits for them.
 */
void	keeper_stop_orphans(const struct clm_home *);
/* Did a clmd and its keeper die together (a state file of this boot)? */
bool	keeper_state_left(const struct clm_home *);

/* Where the keeper listens, and the state it writes. */
char	*keeper_sock_path(const struct clm_home *);
char	*keeper_state_path(const struct clm_home *);

/* clm-keeper's main: argv is SOCKET STATEFILE; fd 3 is clmd. */
int	keeper_main(int argc, char **argv);

#endif
