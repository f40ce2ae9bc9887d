/* sd_notify, written for clmd: one datagram per message. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clm/log.h"
#include "clm/notify.h"

static struct sockaddr_un	notify_addr;
static socklen_t		notify_len;
static int			notify_fd = -1;
static uv_timer_t		watchdog;
static bool			watchdog_on;

static void
watchdog_cb(uv_timer_t *t)
{
	notify_send("WATCHDOG=1");
}

void
notify_init(uv_loop_t *loop)
{
	const char	*path = getenv("NOTIFY_SOCKET"), *usec, *pid;
	size_t		 len;
	long long	 us;

	if (path != NULL && (len = strlen(path)) > 0 &&
	    len < sizeof notify_addr.sun_path && (path[0] == '/' ||
	    path[0] == '@')) {
		memset(&notify_addr, 0, sizeof notify_addr);
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, path, len);
		if (path[0] == '@')
			notify_addr.sun_path[0] = '\0';	/* abstract */
		notify_len = offsetof(struct sockaddr_un, sun_path) + len;
		notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (notify_fd == -1)
			log_warn("NOTIFY_SOCKET: socket");
	}
	usec = getenv("WATCHDOG_USEC");
	pid = getenv("WATCHDOG_PID");
	if (notify_fd != -1 && usec != NULL &&
	    clm_parse_int(usec, 1, 86400000000LL, &us) == 0 &&
	    (pid == NULL || atol(pid) == (long)getpid())) {
		uv_timer_init(loop, &watchdog);
		uv_timer_start(&watchdog, watchdog_cb, 0,
		    us / 2000 > 0 ? (uint64_t)(us / 2000) : 1);
		/* The watchdog alone must not keep the loop running. */
		uv_unref((uv_handle_t *)&watchdog);
		watchdog_on = true;
		log_info("systemd watchdog: WATCHDOG=1 every %lld ms",
		    us / 2000);
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

void
notify_send(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	msg = clm_vasprintf(fmt, ap);
	va_end(ap);
	if (sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&notify_addr, notify_len) == -1)
		log_debug("NOTIFY_SOCKET: %s", strerror(errno));
	free(msg);
}

void
notify_close(void)
{
	if (watchdog_on) {
		uv_close((uv_handle_t *)&watchdog, NULL);
		watchdog_on = false;
	}
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}
