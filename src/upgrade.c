/* clm update: the state handed from one clmd image to the next. */
#include <fcntl.h>
#include <stdlib.h>

#include "clm/upgrade.h"

void
upgrade_state_free(struct clm_state *st)
{
	size_t	i, k;

	for (i = 0; i < st->napps; i++) {
		struct clm_state_app	*sa = &st->apps[i];

		clm_app_spec_free(sa->spec);
		for (k = 0; k < sa->nlisteners; k++)
			listeners_addr_clear(&sa->listeners[k].addr);
		free(sa->listeners);
		free(sa->listen_fds);
		for (k = 0; k < sa->nworkers; k++)
			free(sa->workers[k].state);
		free(sa->workers);
	}
	free(st->apps);
	for (i = 0; i < st->nstreams; i++) {
		free(st->streams[i].id);
		free(st->streams[i].msg);
	}
	free(st->streams);
	for (i = 0; i < st->ninherited; i++)
		listeners_addr_clear(&st->inherited[i].addr);
	free(st->inherited);
	free(st->config);
}

static void
set_cloexec(int fd, bool on)
{
	int	flags;

	if (fd < 0 || (flags = fcntl(fd, F_GETFD)) == -1)
		return;
	fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
}

void
upgrade_state_cloexec(const struct clm_state *st, bool on)
{
	size_t	i, k;

	set_cloexec(st->ctl_fd, on);
	set_cloexec(st->lock_fd, on);
	set_cloexec(st->client_fd, on);
	for (i = 0; i < st->napps; i++) {
		const struct clm_state_app	*sa = &st->apps[i];

		for (k = 0; k < sa->nlisteners; k++)
			set_cloexec(sa->listeners[k].fd, on);
		for (k = 0; k < sa->nworkers; k++)
			set_cloexec(sa->workers[k].chan_fd, on);
	}
	for (i = 0; i < st->nstreams; i++)
		set_cloexec(st->streams[i].fd, on);
	for (i = 0; i < st->ninherited; i++)
		set_cloexec(st->inherited[i].fd, on);
}
