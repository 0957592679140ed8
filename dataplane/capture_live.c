/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capture source: a live interface through libpcap (Linux: TPACKET_V3
 * memory-mapped ring, libpcap's default there).
 *
 * As ENV-NOTES.md warns, a blocking read may never return while no
 * traffic arrives, so the handle is non-blocking and next() waits with
 * poll() on pcap_get_selectable_fd() for at most timeout_ms; direction is
 * set with pcap_setdirection() (a BPF "inbound" filter lost the first
 * packets); a kernel BPF prefilter keeps subscriber data in the kernel
 * (mirror ports) -- the default filter admits exactly what the classifier
 * calls control plane: PPPoE discovery, PPPoE session non-IP (LCP, PAP,
 * CHAP, IPCP, ...), and UDP on the control ports, untagged or under one or
 * two VLAN tags.
 *
 * Packets are copied into a buffer owned by the source (allocated once),
 * valid until the next call, as for files.
 */
#include "capture.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#define LIVE_BUF (4u << 20)
#define NS_PER_S INT64_C(1000000000)

/*
 * The kernel prefilter.  libpcap's "vlan" and "pppoes" keywords shift the
 * offsets of everything after them in the expression (pcap-filter(7)) and
 * the Linux kernel refused the program they produce here ("Kernel filter
 * failed", falling back to filtering in user space), so tagged frames are
 * matched with raw offsets.  When the NIC strips tags, the kernel shows the
 * frame untagged and the untagged clauses match it.
 */
static const unsigned ctrl_ports[] = {1812, 1813, 1645, 1646, 3799, 67, 68, 546, 547, 1701};
static char default_filter[8192];

static size_t put(size_t o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t put(size_t o, const char *fmt, ...)
{
	va_list ap;
	if (o >= sizeof(default_filter))
		return o;
	va_start(ap, fmt);
	int n = vsnprintf(default_filter + o, sizeof(default_filter) - o, fmt, ap);
	va_end(ap);
	return n < 0 ? o : o + (size_t)n;
}

/* UDP on a control port, L3 header at byte `l3` of the frame. */
static size_t put_udp(size_t o, unsigned l3)
{
	o = put(o, "(ether[%u:2] = 0x0800 and ether[%u] = 17 and ether[%u:2] & 0x1fff = 0 and (",
		l3 - 2, l3 + 9, l3 + 6);
	for (unsigned i = 0; i < sizeof(ctrl_ports) / sizeof(ctrl_ports[0]); i++)
		o = put(o, "%sether[%u + (ether[%u] & 15) * 4 : 2] = %u or "
			   "ether[%u + (ether[%u] & 15) * 4 : 2] = %u",
			i ? " or " : "", l3, l3, ctrl_ports[i], l3 + 2, l3, ctrl_ports[i]);
	o = put(o, ")) or (ether[%u:2] = 0x86dd and ether[%u] = 17 and (", l3 - 2, l3 + 6);
	for (unsigned i = 0; i < sizeof(ctrl_ports) / sizeof(ctrl_ports[0]); i++)
		o = put(o, "%sether[%u:2] = %u or ether[%u:2] = %u", i ? " or " : "", l3 + 40,
			ctrl_ports[i], l3 + 42, ctrl_ports[i]);
	return put(o, "))");
}

#define TAG(o) "(ether[" #o ":2] = 0x8100 or ether[" #o ":2] = 0x88a8 or ether[" #o ":2] = 0x9100)"
#define PPP_CTL(o) "ether[" #o ":2] != 0x0021 and ether[" #o ":2] != 0x0057"

const char *dp_capture_live_default_filter(void)
{
	if (default_filter[0])
		return default_filter;
	size_t o = 0;
	o = put(o, "ether proto 0x8863 or (ether proto 0x8864 and " PPP_CTL(20) ") or ");
	o = put_udp(o, 14);
	o = put(o, " or (" TAG(12) " and (ether[16:2] = 0x8863 or (ether[16:2] = 0x8864 and "
		   PPP_CTL(24) ") or ");
	o = put_udp(o, 18);
	o = put(o, ")) or (" TAG(12) " and " TAG(16) " and (ether[20:2] = 0x8863 or "
		   "(ether[20:2] = 0x8864 and " PPP_CTL(28) ") or ");
	o = put_udp(o, 22);
	put(o, "))");
	return default_filter;
}

struct live_src {
	struct dp_capture base; /* first */
	pcap_t *pcap;
	int fd;
	int timeout_ms;
	uint8_t *buf;
	size_t used;
	struct dp_pkt *pkts;
	unsigned n, max;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live_src *s = (struct live_src *)user;
	size_t caplen = h->caplen;
	if (s->n >= s->max)
		return; /* cannot happen: dispatch count is bounded by max */
	/* live_next() bounds a burst so that max full-size frames fit; this
	 * only guards that arithmetic */
	if (caplen > LIVE_BUF - s->used)
		caplen = LIVE_BUF - s->used;
	memcpy(s->buf + s->used, data, caplen);
	s->pkts[s->n].data = s->buf + s->used;
	s->pkts[s->n].caplen = (uint32_t)caplen;
	s->pkts[s->n].wirelen = h->len;
	s->pkts[s->n].ts_ns = (int64_t)h->ts.tv_sec * NS_PER_S + (int64_t)h->ts.tv_usec;
	s->used += caplen;
	s->n++;
}

static int live_next(dp_capture *c, struct dp_pkt *pkts, unsigned max)
{
	struct live_src *s = (struct live_src *)c;
	/* a burst of max full frames must fit the buffer */
	if (max > LIVE_BUF / 65536)
		max = LIVE_BUF / 65536;
	s->pkts = pkts;
	s->n = 0;
	s->max = max;
	s->used = 0;
	int rc = pcap_dispatch(s->pcap, (int)max, on_packet, (u_char *)s);
	if (rc == PCAP_ERROR) {
		snprintf(c->err_msg, sizeof(c->err_msg), "%s", pcap_geterr(s->pcap));
		return -EIO;
	}
	if (s->n > 0)
		return (int)s->n;
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	int pr = poll(&pfd, 1, s->timeout_ms);
	if (pr < 0)
		return errno == EINTR ? -EINTR : -errno;
	rc = pcap_dispatch(s->pcap, (int)max, on_packet, (u_char *)s);
	if (rc == PCAP_ERROR) {
		snprintf(c->err_msg, sizeof(c->err_msg), "%s", pcap_geterr(s->pcap));
		return -EIO;
	}
	return s->n > 0 ? (int)s->n : -EAGAIN;
}

static void live_close(dp_capture *c)
{
	struct live_src *s = (struct live_src *)c;
	if (s->pcap)
		pcap_close(s->pcap);
	free(s->buf);
	free(s);
}

static const struct dp_capture_ops live_ops = {
	.name = "pcap-live",
	.next = live_next,
	.close = live_close,
};

int dp_capture_live_fd(dp_capture *c)
{
	if (c->ops != &live_ops)
		return -1;
	return ((struct live_src *)c)->fd;
}

int dp_capture_live_stats(dp_capture *c, uint64_t *ret_received, uint64_t *ret_dropped)
{
	if (c->ops != &live_ops)
		return -EINVAL;
	struct live_src *s = (struct live_src *)c;
	struct pcap_stat st;
	if (pcap_stats(s->pcap, &st) != 0)
		return -EIO;
	*ret_received = st.ps_recv;
	*ret_dropped = (uint64_t)st.ps_drop + st.ps_ifdrop;
	return 0;
}

void dp_live_opts_default(struct dp_live_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->snaplen = 65535;
	o->buffer_bytes = 32u << 20;
	o->timeout_ms = 100;
	o->promisc = 1; /* a mirror port carries frames addressed to others */
	o->direction = DP_DIR_BOTH;
	o->filter = dp_capture_live_default_filter();
}

#define FAIL(code, ...)                                          \
	do {                                                     \
		snprintf(err, errlen, __VA_ARGS__);              \
		rc = (code);                                     \
		goto out_free;                                   \
	} while (0)

int dp_capture_open_live(const char *ifname, const struct dp_live_opts *opts, dp_capture **ret,
			 char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct dp_live_opts def;
	int rc;
	if (!opts) {
		dp_live_opts_default(&def);
		opts = &def;
	}
	struct live_src *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->buf = malloc(LIVE_BUF);
	if (!s->buf)
		FAIL(-ENOMEM, "out of memory");
	s->pcap = pcap_create(ifname, ebuf);
	if (!s->pcap)
		FAIL(-ENODEV, "%s: %s", ifname, ebuf);
	pcap_set_snaplen(s->pcap, opts->snaplen);
	pcap_set_promisc(s->pcap, opts->promisc);
	pcap_set_buffer_size(s->pcap, (int)opts->buffer_bytes);
	pcap_set_immediate_mode(s->pcap, 1);
	pcap_set_tstamp_precision(s->pcap, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(s->pcap);
	if (rc < 0) {
		int code = rc == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV
			   : rc == PCAP_ERROR_PERM_DENIED  ? -EPERM
							   : -EIO;
		FAIL(code, "%s: %s", ifname, pcap_geterr(s->pcap));
	}
	if (opts->direction != DP_DIR_BOTH &&
	    pcap_setdirection(s->pcap, opts->direction == DP_DIR_IN ? PCAP_D_IN : PCAP_D_OUT) != 0)
		FAIL(-EINVAL, "%s: setdirection: %s", ifname, pcap_geterr(s->pcap));
	if (opts->filter && *opts->filter) {
		struct bpf_program prog;
		if (pcap_compile(s->pcap, &prog, opts->filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
			FAIL(-EINVAL, "%s: filter: %s", ifname, pcap_geterr(s->pcap));
		int frc = pcap_setfilter(s->pcap, &prog);
		pcap_freecode(&prog);
		if (frc != 0)
			FAIL(-EINVAL, "%s: setfilter: %s", ifname, pcap_geterr(s->pcap));
	}
	if (pcap_setnonblock(s->pcap, 1, ebuf) != 0)
		FAIL(-EIO, "%s: setnonblock: %s", ifname, ebuf);
	s->fd = pcap_get_selectable_fd(s->pcap);
	if (s->fd < 0)
		FAIL(-EIO, "%s: no selectable fd", ifname);
	/* nanosecond precision was asked for: tv_usec holds ns */
	if (pcap_get_tstamp_precision(s->pcap) != PCAP_TSTAMP_PRECISION_NANO)
		FAIL(-EIO, "%s: no nanosecond timestamps", ifname);
	s->timeout_ms = opts->timeout_ms;
	s->base.ops = &live_ops;
	s->base.linktype = pcap_datalink(s->pcap);
	*ret = &s->base;
	return 0;

out_free:
	if (s->pcap)
		pcap_close(s->pcap);
	free(s->buf);
	free(s);
	return rc;
}
