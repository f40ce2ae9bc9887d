/*
 * clmd's life: detach from the terminal, take the home's lock, listen on
 * the control socket, run the loop, and on SIGTERM, SIGINT or `clm kill`
 * stop every app before it exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clm/config.h"
#include "clm/daemon.h"
#include "clm/events.h"
#include "clm/handlers.h"
#include "clm/heap.h"
#include "clm/keeper.h"
#include "clm/limits.h"
#include "clm/listeners.h"
#include "clm/log.h"
#include "clm/logs.h"
#include "clm/logview.h"
#include "clm/metrics.h"
#include "clm/notify.h"
#include "clm/reaper.h"
#include "clm/spawn.h"
#include "clm/upgrade.h"

struct daemon {
	struct clm_daemon_ctx	 ctx;		/* first: handlers see this */
	struct clm_daemon_config cfg;
	uv_loop_t		 loop;
	uv_signal_t		 sigterm;
	uv_signal_t		 sigint;
	uv_signal_t		 sigusr1;
	uv_signal_t		 sigusr2;
	int			 lock_fd;
	int			 ready_fd;	/* tells the parent we listen */
	bool			 foreground;
	char			*config;	/* -f FILE */
	/* clm update: the old image's state (upgrade_fd >= 0); or, after a
	 * crash (recovered), the dead clmd's, from clm-keeper. */
	bool			 upgrading;
	bool			 recovered;
	unsigned		 sigkills;	/* before the shutdown */
	bool			 unclean;	/* a worker needed SIGKILL
						   then: exit status 1 */
	struct clm_state	 st;
	struct clm_keeper	*keeper;
	int			 keeper_conn;	/* from keeper_take() */
	/* What is open, for the one teardown (daemon_teardown). */
	bool			 loop_open;
	bool			 signals_open;
};

/* Our pid into the locked pid file. */
static int
write_pid(struct daemon *dm, char **cause)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(dm->lock_fd, 0) == -1 ||
	    pwrite(dm->lock_fd, buf, n, 0) != n) {
		*cause = clm_asprintf("cannot write %s: %s",
		    dm->ctx.home.pidfile, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Take the home's lock: the pid file, locked with flock() for the whole
 * life of the daemon. -1 with *cause when another daemon holds it.
 */
static int
lock_home(struct daemon *dm, char **cause)
{
	const char	*path = dm->ctx.home.pidfile;
	char		 buf[32];
	ssize_t		 n;
	int		 fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = clm_asprintf("cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		*cause = clm_asprintf("another clmd (pid %s) is running for %s",
		    *buf ? buf : "?", dm->ctx.home.dir);
		close(fd);
		return -1;
	}
	dm->lock_fd = fd;
	return write_pid(dm, cause);
}

/*
 * Without --foreground: fork; the parent waits until the child says it
 * listens (or why it cannot) and exits with that. Returns in the child.
 */
static void
detach(struct daemon *dm)
{
	char	buf[4096];
	size_t	len = 0;
	ssize_t	n;
	pid_t	pid;
	int	fds[2], status;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		fprintf(stderr, "clmd: pipe: %s\n", strerror(errno));
		exit(1);
	}
	switch (pid = fork()) {
	case -1:
		fprintf(stderr, "clmd: fork: %s\n", strerror(errno));
		exit(1);
	case 0:
		close(fds[0]);
		dm->ready_fd = fds[1];
		if (setsid() == -1)
			_exit(1);
		return;
	default:
		close(fds[1]);
		while (len < sizeof buf - 1 &&
		    ((n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0 ||
		    (n == -1 && errno == EINTR)))
			len += n > 0 ? (size_t)n : 0;
		buf[len] = '\0';
		if (strncmp(buf, "ok\n", 3) == 0)
			exit(0);
		if (len > 0)
			fprintf(stderr, "clmd: %s\n", buf);
		else
			fprintf(stderr, "clmd: the daemon died while "
			    "starting\n");
		waitpid(pid, &status, WNOHANG);
		exit(1);
	}
}

/* Tell the waiting parent (if any) how the start went. */
static void
report_start(struct daemon *dm, const char *cause)
{
	int	fd;

	if (dm->ready_fd == -1) {
		if (cause != NULL)
			fprintf(stderr, "clmd: %s\n", cause);
		return;
	}
	if (cause == NULL) {
		if (write(dm->ready_fd, "ok\n", 3) != 3)
			(void)0;
		/* From now on the log is the only output. */
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
	} else if (write(dm->ready_fd, cause, strlen(cause)) == -1)
		(void)0;
	close(dm->ready_fd);
	dm->ready_fd = -1;
}

/*
 * Read the configuration: -f FILE, or $CLM_HOME/clm.ini when it exists.
 * Prints every error on stderr. With check_only, says whether it is OK.
 */
static int
load_config(const struct clm_daemon_options *opts, struct daemon *dm)
{
	char	*path, **errors = NULL, *cause = NULL;
	size_t	 i;
	int	 r = 0;

	config_daemon_defaults(&dm->cfg);
	if (opts->config != NULL)
		path = clm_strdup(opts->config);
	else {
		path = clm_asprintf("%s/clm.ini", dm->ctx.home.dir);
		if (access(path, F_OK) == -1) {
			if (opts->check_only)
				printf("no %s: the defaults apply\n"
				    "configuration OK\n", path);
			free(path);
			return 0;
		}
	}
	if (clm_trust_path("the configuration", path, &cause) == -1) {
		fprintf(stderr, "clmd: %s\n", cause);
		free(cause);
		r = -1;
	} else if (config_load_daemon(path, &dm->cfg, &errors) == -1) {
		for (i = 0; errors != NULL && errors[i] != NULL; i++)
			fprintf(stderr, "clmd: %s\n", errors[i]);
		clm_strv_free(errors);
		r = -1;
	} else if (opts->check_only)
		printf("%s: configuration OK\n", path);
	free(path);
	return r;
}

/* The configuration's paths replace the home's defaults. */
static int
apply_config(struct daemon *dm, char **cause)
{
	struct clm_home	*home = &dm->ctx.home;

	if (dm->cfg.socket_path != NULL) {
		free(home->sock);
		home->sock = clm_strdup(dm->cfg.socket_path);
	}
	if (dm->cfg.log_dir != NULL) {
		free(home->logdir);
		home->logdir = clm_strdup(dm->cfg.log_dir);
		if (mkdir(home->logdir, 0700) == -1 && errno != EEXIST) {
			*cause = clm_asprintf("cannot create the log folder "
			    "%s: %s", home->logdir, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* socket_mode and socket_group of the configuration. */
static int
set_socket_access(struct daemon *dm, char **cause)
{
	const char	*path = dm->ctx.home.sock;
	struct group	*gr;

	if (dm->cfg.socket_group != NULL) {
		long long	gid;

		gr = getgrnam(dm->cfg.socket_group);
		if (gr == NULL && clm_parse_int(dm->cfg.socket_group, 0,
		    INT32_MAX, &gid) == 0)
			gr = getgrgid((gid_t)gid);
		if (gr == NULL) {
			*cause = clm_asprintf("socket_group: no group named "
			    "'%s'", dm->cfg.socket_group);
			return -1;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) == -1) {
			*cause = clm_asprintf("cannot give %s to group %s: %s",
			    path, dm->cfg.socket_group, strerror(errno));
			return -1;
		}
		server_allow_group(dm->ctx.srv, gr->gr_gid);
	}
	if (chmod(path, dm->cfg.socket_mode) == -1) {
		*cause = clm_asprintf("cannot chmod %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Close every handle on the loop that is open; the loop then ends. bye:
 * for good (clm-keeper lets go of everything). */
static void
daemon_close(struct daemon *dm, bool bye)
{
	keeper_stop(dm->keeper, bye);
	dm->keeper = NULL;
	logview_stop_all();
	events_stop_all();
	if (dm->ctx.sup != NULL)
		supervisor_free(dm->ctx.sup);
	dm->ctx.sup = NULL;
	if (dm->ctx.srv != NULL)
		server_close(dm->ctx.srv);
	dm->ctx.srv = NULL;
	if (dm->signals_open) {
		uv_close((uv_handle_t *)&dm->sigterm, NULL);
		uv_close((uv_handle_t *)&dm->sigint, NULL);
		uv_close((uv_handle_t *)&dm->sigusr1, NULL);
		uv_close((uv_handle_t *)&dm->sigusr2, NULL);
		dm->signals_open = false;
	}
	reaper_stop();
	spawn_unwatch();
	heap_stop();
	metrics_close();
	notify_close();
}

static void
shutdown_done(void *arg, const char *code, const char *message)
{
	struct daemon	*dm = arg;
	size_t		 i;
	unsigned	 n;

	for (i = 0; i < dm->ctx.nkill_calls; i++) {
		struct clm_reply	*r = proto_reply_new();

		r->daemon_pid = getpid();
		server_reply(dm->ctx.kill_calls[i], r);
	}
	free(dm->ctx.kill_calls);
	dm->ctx.kill_calls = NULL;
	dm->ctx.nkill_calls = 0;
	n = supervisor_sigkills(dm->ctx.sup) - dm->sigkills;
	daemon_close(dm, true);
	if (n > 0) {
		dm->unclean = true;
		log_warnx("every app stopped, %u worker%s only by SIGKILL "
		    "after the kill timeout; exiting with status 1", n,
		    n == 1 ? "" : "s");
	} else
		log_info("every app stopped; exiting");
}

static void
daemon_shutdown(struct clm_daemon_ctx *ctx)
{
	struct daemon	*dm = (struct daemon *)ctx;

	if (ctx->shutting_down)
		return;
	ctx->shutting_down = true;
	dm->sigkills = supervisor_sigkills(ctx->sup);
	notify_send("STOPPING=1\nSTATUS=stopping every app");
	supervisor_stop_all(ctx->sup, shutdown_done, dm);
}

/*
 * The state as it is now, for the next clmd: the one clm update execs
 * (call: who asked, to be answered by it), or the one that takes over
 * after a crash, from clm-keeper (anytime: whatever is under way). The
 * fds stay ours. -1 with *cause.
 */
static int
daemon_export(struct daemon *dm, struct clm_state *st, struct clm_call *call,
    bool anytime, char **cause)
{
	bool	borrow = st->borrow_specs;	/* a checkpoint's */

	upgrade_state_init(st);
	st->borrow_specs = borrow;
	if (supervisor_export(dm->ctx.sup, st, anytime, cause) == -1)
		return -1;
	logs_export(supervisor_logs(dm->ctx.sup), st);
	listeners_inherit_export(&st->inherited, &st->ninherited);
	server_export(dm->ctx.srv, call, &st->ctl_fd, &st->client_fd);
	st->lock_fd = dm->lock_fd;
	st->keeper_fd = keeper_fd(dm->keeper);
	st->foreground = dm->foreground;
	st->config = clm_strdup(dm->config);
	return 0;
}

/* clm-keeper's copy. */
static int
daemon_keep(void *arg, struct clm_state *st)
{
	struct daemon	*dm = arg;
	char		*cause = NULL;

	if (dm->ctx.sup == NULL || daemon_export(dm, st, NULL, true,
	    &cause) == -1) {
		free(cause);
		return -1;
	}
	heap_used();	/* the keeper's copy of every app and worker */
	return 0;
}

static void
daemon_changed(void *arg)
{
	struct daemon	*dm = arg;

	keeper_changed(dm->keeper);
}

/*
 * clm update: hand the state to the binary at path, which takes over in
 * this very process (exec), so every worker stays our child. Returns only
 * when the exec failed, having answered the call.
 */
static void
daemon_upgrade(struct clm_daemon_ctx *ctx, struct clm_call *call,
    const char *path)
{
	struct daemon		*dm = (struct daemon *)ctx;
	struct clm_state	 st;
	char			*cause = NULL, fdstr[16];
	char			*argv[5];
	int			 mfd, err, i = 0;

	upgrade_state_init(&st);	/* copies: they outlive this image */
	if (daemon_export(dm, &st, call, false, &cause) == -1) {
		log_warnx("clm update: %s", cause);
		if (call != NULL)
			server_reply_error(call, CLM_E_BUSY, "%s", cause);
		free(cause);
		upgrade_state_free(&st);
		return;
	}
	if ((mfd = upgrade_state_write(&st, false)) == -1) {
		err = errno;
		log_warnx("clm update: cannot write the state: %s",
		    strerror(err));
		if (call != NULL)
			server_reply_error(call, CLM_E_INTERNAL, "cannot write "
			    "the state for the new clmd: %s", strerror(err));
		upgrade_state_free(&st);
		return;
	}
	snprintf(fdstr, sizeof fdstr, "%d", mfd);
	argv[i++] = (char *)path;
	argv[i++] = "--upgrade-from";
	argv[i++] = fdstr;
	argv[i] = NULL;
	upgrade_state_cloexec(&st, false);
	log_info("clm update: re-executing %s (pid %ld stays)", path,
	    (long)getpid());
	notify_send("RELOADING=1\nSTATUS=re-executing %s", path);
	execv(path, argv);
	err = errno;
	upgrade_state_cloexec(&st, true);
	close(mfd);
	log_warnx("clm update: exec %s: %s", path, strerror(err));
	notify_send("READY=1");
	if (call != NULL)
		server_reply_error(call, CLM_E_INTERNAL, "cannot run %s: %s "
		    "(the daemon stays as it is)", path, strerror(err));
	upgrade_state_free(&st);
}

/* Ready for systemd: listening, and the saved apps (if any) started. */
static void
daemon_ready(struct clm_daemon_ctx *ctx)
{
	char	*status = supervisor_status(ctx->sup);

	notify_send("READY=1\nSTATUS=%s", status);
	free(status);
}

/* SIGUSR1: reopen every log file (after an external logrotate). */
static void
reopen_cb(uv_signal_t *h, int sig)
{
	struct daemon	*dm = h->data;

	log_info("SIGUSR1: reopening the log files");
	log_reopen();
	logs_reopen(supervisor_logs(dm->ctx.sup));
}

/* SIGUSR2: clm update, from our own binary. */
static void
update_cb(uv_signal_t *h, int sig)
{
	struct daemon	*dm = h->data;

	log_info("SIGUSR2: re-executing %s", dm->ctx.exe);
	handlers_update(&dm->ctx, NULL, NULL);
}

static void
signal_cb(uv_signal_t *h, int sig)
{
	struct daemon	*dm = h->data;

	log_info("%s: stopping every app, then the daemon",
	    clm_signal_name(sig));
	daemon_shutdown(&dm->ctx);
}

/* The state an old image handed over: we are it, re-executed. */
static int
daemon_read_state(struct daemon *dm, struct clm_daemon_options *o)
{
	char	*cause = NULL;

	dm->upgrading = true;
	if (upgrade_state_read(o->upgrade_fd, &dm->st, &cause) == -1) {
		fprintf(stderr, "clmd: the state handed over: %s\n", cause);
		free(cause);
		return -1;
	}
	upgrade_state_cloexec(&dm->st, true);
	o->foreground = dm->st.foreground;
	o->config = dm->st.config;
	return 0;
}

/* A fresh start: detach, take the home's lock, the sockets systemd
 * passed, and the control socket's path. */
static int
daemon_start_fresh(struct daemon *dm, char **cause)
{
	if (!dm->foreground)
		detach(dm);
	if (lock_home(dm, cause) == -1)
		return -1;
	if (apply_config(dm, cause) == -1 ||
	    log_open(dm->ctx.home.logfile, dm->foreground, cause) == -1)
		return -1;
	limits_raise_nofile();
	keeper_stop_orphans(&dm->ctx.home);
	if (listeners_inherit(cause) == -1)
		return -1;
	/* We hold the lock: a socket file left there is a dead daemon's. */
	unlink(dm->ctx.home.sock);
	return 0;
}

/* clm update: the lock, the inherited sockets and the control socket
 * are still ours; the old clm-logd goes (it loses nothing: what it has
 * not written stays in the pipes), ours takes every stream. */
static int
daemon_start_upgraded(struct daemon *dm, char **cause)
{
	dm->lock_fd = dm->st.lock_fd;	/* flock survives exec */
	if (apply_config(dm, cause) == -1 ||
	    log_open(dm->ctx.home.logfile, dm->foreground, cause) == -1)
		return -1;
	limits_raise_nofile();
	listeners_inherit_import(dm->st.inherited, dm->st.ninherited);
	if (dm->st.logd_pid > 0)
		kill(dm->st.logd_pid, SIGKILL);
	return 0;
}

/* After a crash: the dead clmd's lock, sockets and pipes came from
 * clm-keeper. Detach as a fresh start does, then as clm update does; the
 * old clm-logd (no longer anyone's child) drains what it has read and
 * goes. */
static int
daemon_start_recovered(struct daemon *dm, char **cause)
{
	char	 path[64], comm[32];
	FILE	*f;

	if (!dm->foreground)
		detach(dm);
	dm->lock_fd = dm->st.lock_fd;
	dm->st.lock_fd = -1;
	if (dm->lock_fd == -1) {
		*cause = clm_strdup("clm-keeper did not keep the home's lock");
		return -1;
	}
	if (write_pid(dm, cause) == -1 || apply_config(dm, cause) == -1 ||
	    log_open(dm->ctx.home.logfile, dm->foreground, cause) == -1)
		return -1;
	limits_raise_nofile();
	listeners_inherit_import(dm->st.inherited, dm->st.ninherited);
	snprintf(path, sizeof path, "/proc/%d/comm", dm->st.logd_pid);
	if (dm->st.logd_pid > 0 && (f = fopen(path, "re")) != NULL) {
		if (fgets(comm, sizeof comm, f) != NULL &&
		    strncmp(comm, "clm-logd", 8) == 0)
			kill(dm->st.logd_pid, SIGTERM);
		fclose(f);
	}
	dm->st.logd_pid = 0;
	return 0;
}

/* The loop and what runs on it: control socket, supervisor, reaper,
 * signals, metrics. */
static int
daemon_open(struct daemon *dm, char **cause)
{
	spawn_reserve();	/* low fds, before the loop's and the apps' */
	uv_loop_init(&dm->loop);
	dm->loop_open = true;
	spawn_watch(&dm->loop);
	dm->ctx.loop = &dm->loop;
	dm->ctx.shutdown = daemon_shutdown;
	dm->ctx.resurrected = daemon_ready;
	dm->ctx.upgrade = daemon_upgrade;
	notify_init(&dm->loop);
	dm->ctx.srv = server_adopt(&dm->loop, dm->ctx.home.sock,
	    dm->upgrading ? dm->st.ctl_fd : -1, handlers_dispatch, &dm->ctx,
	    cause);
	if (dm->ctx.srv == NULL || set_socket_access(dm, cause) == -1)
		return -1;
	dm->ctx.sup = supervisor_new(&dm->loop, &dm->ctx.home, &dm->cfg);
	supervisor_on_change(dm->ctx.sup, daemon_changed, dm);
	reaper_start(&dm->loop);
	heap_start(&dm->loop);
	uv_signal_init(&dm->loop, &dm->sigterm);
	uv_signal_init(&dm->loop, &dm->sigint);
	uv_signal_init(&dm->loop, &dm->sigusr1);
	uv_signal_init(&dm->loop, &dm->sigusr2);
	dm->signals_open = true;
	dm->sigterm.data = dm->sigint.data = dm;
	dm->sigusr1.data = dm->sigusr2.data = dm;
	uv_signal_start(&dm->sigterm, signal_cb, SIGTERM);
	uv_signal_start(&dm->sigint, signal_cb, SIGINT);
	uv_signal_start(&dm->sigusr1, reopen_cb, SIGUSR1);
	uv_signal_start(&dm->sigusr2, update_cb, SIGUSR2);
	if (dm->cfg.metrics_listen != NULL &&
	    metrics_serve(&dm->loop, dm->cfg.metrics_listen, dm->ctx.sup,
	    cause) == -1)
		return -1;
	return 0;
}

/* clm update: take over the old image's apps and answer its caller. */
static void
daemon_take_over(struct daemon *dm)
{
	struct clm_state	*st = &dm->st;
	struct clm_reply	*reply = proto_reply_new();
	size_t			 i, nw = 0;

	supervisor_import(dm->ctx.sup, st);
	logs_import(supervisor_logs(dm->ctx.sup), st);
	for (i = 0; i < st->napps; i++)
		nw += st->apps[i].nworkers;
	log_info("%s: clmd %s took over %zu app%s, %zu worker%s",
	    dm->recovered ? "after a crash of clmd" : "clm update",
	    CLM_VERSION, st->napps, st->napps == 1 ? "" : "s", nw,
	    nw == 1 ? "" : "s");
	proto_reply_note(reply, "clmd %s (protocol %d) took over in pid %ld: "
	    "%zu app%s, %zu worker%s kept", CLM_VERSION, CLM_PROTOCOL_VERSION,
	    (long)getpid(), st->napps, st->napps == 1 ? "" : "s", nw,
	    nw == 1 ? "" : "s");
	reply->daemon_pid = getpid();
	reply->daemon_version = clm_strdup(CLM_VERSION);
	if (st->client_fd >= 0)
		server_adopt_client(dm->ctx.srv, st->client_fd, reply);
	else
		proto_reply_free(reply);
	upgrade_state_free(st);
	memset(st, 0, sizeof *st);
}

/*
 * The one way out, whatever was opened: close what runs on the loop, let
 * the close callbacks run, then release the rest. cause: why the start
 * failed (told to the user and the log), or NULL after a normal run.
 */
static int
daemon_teardown(struct daemon *dm, char *cause)
{
	int	r;

	if (cause != NULL) {
		log_set_stderr(false);
		log_warnx("%s", cause);
		report_start(dm, cause);
		free(cause);
	}
	if (dm->keeper_conn != -1)
		close(dm->keeper_conn);
	dm->keeper_conn = -1;
	if (dm->loop_open) {
		/* A failed start leaves what clm-keeper keeps as it was. */
		daemon_close(dm, cause == NULL);
		uv_run(&dm->loop, UV_RUN_DEFAULT);
		if ((r = uv_loop_close(&dm->loop)) != 0)
			log_warnx("loop not closed cleanly: %s",
			    uv_strerror(r));
	}
	if (cause == NULL && dm->lock_fd != -1)	/* a daemon that ran */
		unlink(dm->ctx.home.pidfile);
	if (dm->lock_fd != -1)
		close(dm->lock_fd);
	listeners_inherit_close();
	log_close();
	config_daemon_free(&dm->cfg);
	clm_home_free(&dm->ctx.home);
	free(dm->ctx.exe);
	free(dm->config);
	upgrade_state_free(&dm->st);
	return cause == NULL && !dm->unclean ? 0 : 1;
}

int
clm_daemon_run(const struct clm_daemon_options *opts)
{
	struct clm_daemon_options	 o = *opts;
	struct daemon			 dm;
	char				*cause = NULL, exe[PATH_MAX];
	ssize_t				 n;
	int				 r;

	memset(&dm, 0, sizeof dm);
	dm.lock_fd = -1;
	dm.ready_fd = -1;
	dm.keeper_conn = -1;
	signal(SIGPIPE, SIG_IGN);
	if (o.upgrade_fd >= 0 && daemon_read_state(&dm, &o) == -1) {
		upgrade_state_free(&dm.st);
		return 1;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		dm.ctx.exe = clm_strdup(exe);
	}
	dm.foreground = o.foreground;
	dm.config = clm_strdup(o.config);
	if (clm_home_init(&dm.ctx.home, !o.check_only, &cause) == -1) {
		fprintf(stderr, "clmd: %s\n", cause);
		free(cause);
		daemon_teardown(&dm, NULL);
		return 1;
	}
	if ((r = load_config(&o, &dm)) == -1 || o.check_only) {
		daemon_teardown(&dm, NULL);
		return r == -1 ? 1 : 0;
	}
	/* A dead clmd's state, kept by clm-keeper, is taken over whole. */
	if (!dm.upgrading) {
		r = keeper_take(&dm.ctx.home, &dm.st, &dm.keeper_conn, &cause);
		if (r == -1) {
			fprintf(stderr, "clmd: %s\n", cause);
			free(cause);
			upgrade_state_free(&dm.st);
			daemon_teardown(&dm, NULL);
			return 1;
		}
		dm.upgrading = dm.recovered = r == 1;
	}
	if ((dm.recovered ? daemon_start_recovered(&dm, &cause) :
	    dm.upgrading ? daemon_start_upgraded(&dm, &cause) :
	    daemon_start_fresh(&dm, &cause)) == -1 ||
	    daemon_open(&dm, &cause) == -1)
		return daemon_teardown(&dm, cause);
	dm.keeper = keeper_start(&dm.loop, &dm.ctx.home,
	    dm.recovered ? dm.keeper_conn : dm.upgrading ? dm.st.keeper_fd :
	    -1, dm.ctx.exe,
	    dm.config, dm.foreground, daemon_keep, &dm);
	dm.keeper_conn = -1;

	log_info("clmd %s (protocol %d) listening on %s", CLM_VERSION,
	    CLM_PROTOCOL_VERSION, dm.ctx.home.sock);
	report_start(&dm, NULL);
	events_init(&dm.loop);
	events_app(NULL, -1, getpid(), dm.upgrading ? "update" : "start",
	    "clmd %s", CLM_VERSION);
	if (dm.upgrading) {
		daemon_take_over(&dm);
		daemon_ready(&dm.ctx);
	} else if (o.resurrect)
		handlers_resurrect(&dm.ctx, NULL);
	else if (o.apps != NULL)
		handlers_start_file(&dm.ctx, o.apps);
	else
		daemon_ready(&dm.ctx);
	uv_run(&dm.loop, UV_RUN_DEFAULT);
	return daemon_teardown(&dm, NULL);
}
