/* The connections a worker still serves (see clm/drain.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clm/common.h"
#include "clm/drain.h"

#define DRAIN_PIDS_MAX	256	/* a worker and its descendants: looked at */
#define DRAIN_CONNS_MAX	4096	/* connections to the app's ports: looked at */

struct conn {
	unsigned	inode;
	bool		busy;
};

struct conns {
	struct conn	*v;
	size_t		 n;
};

static bool
port_in(int port, const int *ports, size_t nports)
{
	size_t	i;

	for (i = 0; i < nports; i++) {
		if (ports[i] == port)
			return true;
	}
	return false;
}

/* Is this connection in the middle of a request? */
static bool
conn_busy(const struct inet_diag_msg *m, const struct tcp_info *ti,
    bool have_info)
{
	if (m->idiag_rqueue > 0)
		return true;		/* a request waits to be read */
	if (!have_info)
		return true;
	if (ti->tcpi_bytes_received == 0)
		return true;		/* connected, its request to come */
	if (ti->tcpi_bytes_sent == 0)
		return true;		/* a request, no reply yet */
	/* Received more recently than it sent: no reply to it yet. */
	return ti->tcpi_last_data_recv < ti->tcpi_last_data_sent;
}

static void
parse_msg(struct nlmsghdr *h, const int *ports, size_t nports,
    struct conns *out)
{
	struct inet_diag_msg	*m = NLMSG_DATA(h);
	struct rtattr		*a;
	struct tcp_info		 ti;
	int			 len;
	bool			 have = false;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || m->idiag_inode == 0 ||
	    !port_in(ntohs(m->id.idiag_sport), ports, nports) ||
	    out->n >= DRAIN_CONNS_MAX)
		return;
	memset(&ti, 0, sizeof ti);
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
	for (a = (struct rtattr *)(m + 1); RTA_OK(a, len);
	    a = RTA_NEXT(a, len)) {
		if (a->rta_type != INET_DIAG_INFO)
			continue;
		memcpy(&ti, RTA_DATA(a), RTA_PAYLOAD(a) < sizeof ti ?
		    RTA_PAYLOAD(a) : sizeof ti);
		have = true;
	}
	out->v = clm_realloc(out->v, (out->n + 1) * sizeof *out->v);
	out->v[out->n].inode = m->idiag_inode;
	out->v[out->n++].busy = conn_busy(m, &ti, have);
}

/* The established (and half-closed) TCP connections of one family. */
static int
diag_dump(int family, const int *ports, size_t nports, struct conns *out)
{
	struct {
		struct nlmsghdr		h;
		struct inet_diag_req_v2	r;
	} req;
	struct sockaddr_nl	 sa = { .nl_family = AF_NETLINK };
	char			 buf[32768];
	struct nlmsghdr		*h;
	ssize_t			 n;
	int			 fd, rc = -1;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = sizeof req;
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = (1 << 1) | (1 << 8);	/* ESTABLISHED, CLOSE_WAIT */
	req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&sa,
	    sizeof sa) == -1)
		goto out;
	for (;;) {
		if ((n = recv(fd, buf, sizeof buf, 0)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			goto out;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				goto out;
			parse_msg(h, ports, nports, out);
		}
	}
out:
	close(fd);
	return rc;
}

/* pid and its descendants (through /proc/PID/task/TID/children). */
static size_t
family_of(int pid, int *pids, size_t max)
{
	char		 path[320];
	size_t		 n = 0, i;
	DIR		*d;
	struct dirent	*e;
	FILE		*f;
	int		 child;

	pids[n++] = pid;
	for (i = 0; i < n && n < max; i++) {
		snprintf(path, sizeof path, "/proc/%d/task", pids[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL && n < max) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/proc/%d/task/%s/children",
			    pids[i], e->d_name);
			if ((f = fopen(path, "re")) == NULL)
				continue;
			while (n < max && fscanf(f, "%d", &child) == 1)
				pids[n++] = child;
			fclose(f);
		}
		closedir(d);
	}
	return n;
}

/* Mark the connections some descendant holds (their inode as 0: seen). */
static void
mark_held(int pid, struct conns *c)
{
	char		 path[320], link[64];
	unsigned	 inode;
	DIR		*d;
	struct dirent	*e;
	ssize_t		 len;
	size_t		 i;

	snprintf(path, sizeof path, "/proc/%d/fd", pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/fd/%s", pid, e->d_name);
		if ((len = readlink(path, link, sizeof link - 1)) <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%u]", &inode) != 1)
			continue;
		for (i = 0; i < c->n; i++) {
			if (c->v[i].inode == inode)
				c->v[i].inode = 0;
		}
	}
	closedir(d);
}

int
drain_busy(int pid, const int *ports, size_t nports, int *total)
{
	struct conns	 c = { NULL, 0 };
	int		 pids[DRAIN_PIDS_MAX], busy = 0;
	size_t		 np, i;

	*total = 0;
	if (pid <= 0 || nports == 0)
		return 0;
	if (diag_dump(AF_INET, ports, nports, &c) == -1 ||
	    diag_dump(AF_INET6, ports, nports, &c) == -1) {
		free(c.v);
		return -1;
	}
	if (c.n > 0) {
		np = family_of(pid, pids, DRAIN_PIDS_MAX);
		for (i = 0; i < np; i++)
			mark_held(pids[i], &c);
		for (i = 0; i < c.n; i++) {
			if (c.v[i].inode != 0)
				continue;
			(*total)++;
			busy += c.v[i].busy;
		}
	}
	free(c.v);
	return busy;
}
