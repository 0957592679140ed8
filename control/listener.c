/* SPDX-License-Identifier: BSD-2-Clause */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "radius_reply.h"

#define BATCH 64
/* RFC 2865: Length is at most 4096; one byte more shows a longer datagram
 * (which the decoder then rejects as malformed) */
#define DGRAM_MAX 4097
#define NS 1000000000LL

struct answer {
	struct sockaddr_storage to;
	socklen_t tolen;
	uint8_t resp[DP_RADIUS_ACCT_RESPONSE_LEN];
};

struct ctl_listener {
	int fd;
	size_t nq;
	struct answer q[CTL_LISTENER_QUEUE];
	uint8_t bufs[BATCH][DGRAM_MAX];
	struct sockaddr_storage from[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
};

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen)
		return -EINVAL;
	size_t hn = (size_t)(colon - listen);
	if (listen[0] == '[' && hn >= 2 && listen[hn - 1] == ']') {
		listen++;
		hn -= 2;
	}
	if (hn >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen, hn);
	host[hn] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	return 0;
}

int ctl_listener_open(const char *listen, ctl_listener **ret, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (parse_listen(listen, &ss, &sl) < 0) {
		snprintf(err, errlen, "listen '%s': expected ADDR:PORT", listen);
		return -EINVAL;
	}
	ctl_listener *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;
		snprintf(err, errlen, "listen %s: %s", listen, strerror(e));
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return -e;
	}
	int rcvbuf = 8 << 20;
	setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	*ret = l;
	return 0;
}

int ctl_listener_fd(const ctl_listener *l)
{
	return l->fd;
}

static void to_addr(const struct sockaddr_storage *ss, struct rt_addr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		a->family = 4;
		memcpy(a->a, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		/* a v4-mapped sender is the IPv4 NAS it is */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->family = 4;
			memcpy(a->a, (const uint8_t *)&s6->sin6_addr + 12, 4);
		} else {
			a->family = 6;
			memcpy(a->a, &s6->sin6_addr, 16);
		}
		*port = ntohs(s6->sin6_port);
	}
}

int ctl_listener_read(ctl_listener *l, ctl_pipeline *p)
{
	size_t room = CTL_LISTENER_QUEUE - l->nq;
	unsigned want = room < BATCH ? (unsigned)room : BATCH;
	if (want == 0)
		return 0;
	for (unsigned i = 0; i < want; i++) {
		l->iov[i].iov_base = l->bufs[i];
		l->iov[i].iov_len = DGRAM_MAX;
		memset(&l->msgs[i].msg_hdr, 0, sizeof(l->msgs[i].msg_hdr));
		l->msgs[i].msg_hdr.msg_iov = &l->iov[i];
		l->msgs[i].msg_hdr.msg_iovlen = 1;
		l->msgs[i].msg_hdr.msg_name = &l->from[i];
		l->msgs[i].msg_hdr.msg_namelen = sizeof(l->from[i]);
	}
	int n = recvmmsg(l->fd, l->msgs, want, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * NS + ts.tv_nsec;
	for (int i = 0; i < n; i++) {
		struct rt_addr src;
		uint16_t sport;
		struct dp_radius_result res;
		to_addr(&l->from[i], &src, &sport);
		int rc = ctl_pipeline_radius(p, &src, sport, l->bufs[i], l->msgs[i].msg_len, now,
					     &res);
		if (rc)
			return rc;
		if ((res.verdict == DP_V_ACCEPTED || res.verdict == DP_V_DUPLICATE) && res.secret) {
			struct answer *a = &l->q[l->nq++];
			memcpy(&a->to, &l->from[i], sizeof(a->to));
			a->tolen = l->msgs[i].msg_hdr.msg_namelen;
			dp_radius_acct_response(a->resp, res.identifier, res.authenticator,
						res.secret->v, res.secret->len);
		}
	}
	return n;
}

size_t ctl_listener_pending(const ctl_listener *l)
{
	return l->nq;
}

void ctl_listener_flush(ctl_listener *l)
{
	for (size_t i = 0; i < l->nq; i++)
		(void)sendto(l->fd, l->q[i].resp, sizeof(l->q[i].resp), MSG_DONTWAIT,
			     (struct sockaddr *)&l->q[i].to, l->q[i].tolen);
	l->nq = 0;
}

void ctl_listener_drop(ctl_listener *l)
{
	l->nq = 0;
}

void ctl_listener_close(ctl_listener *l)
{
	if (!l)
		return;
	close(l->fd);
	free(l);
}
