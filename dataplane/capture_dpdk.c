/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capture source and inline bridge on DPDK ports (capture.h, HAVE_DPDK).
 *
 * Process-wide state, behind one mutex taken only while opening and closing:
 * whether the EAL is up, and per port who configured it (queue counts, the
 * mbuf pool) and which Rx queues are taken.  The receive paths take no lock
 * and allocate nothing: mbufs come from the port's pool, control-packet
 * copies go to a buffer allocated once per bridge.
 *
 * Mirror mode (struct dpdk_src) keeps the mbufs of the burst it handed out
 * and frees them at the next call, so the caller reads packet bytes in
 * place.  Bridge mode (struct dp_bridge) cannot keep them: they are sent on
 * the other port in the same call, so the control packets are copied out
 * first.
 */
#include "config.h"

#include "capture.h"
#include "classify.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#define EAL_DEFAULT_ARGS "-l 0 --no-huge --no-pci -m 256 --no-shconf"
#define EAL_MAX_ARGS 64
#define RING_DESC 1024
#define POOL_CACHE 256
#define TX_RETRIES 4
#define DP_NS_PER_S INT64_C(1000000000)

/* ---- process-wide state ------------------------------------------------ */

static pthread_mutex_t dpdk_lock = PTHREAD_MUTEX_INITIALIZER;
static int eal_state;               /* 0: not tried, 1: up, <0: failed */
static char eal_argbuf[4096];       /* EAL may keep pointers into argv */

struct port_state {
	unsigned users;
	bool started;
	uint16_t n_rxq, n_txq;
	uint64_t rxq_taken;         /* bit per Rx queue */
	struct rte_mempool *pool;
	int ts_off;                 /* Rx timestamp dynfield, -1: none */
	uint64_t ts_flag;
};
static struct port_state port_tab[RTE_MAX_ETHPORTS];

static int64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * DP_NS_PER_S + ts.tv_nsec;
}

static int eal_start_locked(const char *args, char *err, size_t errlen)
{
	if (eal_state == 1)
		return 0;
	if (eal_state < 0) {
		snprintf(err, errlen, "DPDK EAL failed to start earlier; it cannot be retried");
		return -EALREADY;
	}
	if (!args)
		args = EAL_DEFAULT_ARGS;
	if (strlen(args) >= sizeof(eal_argbuf)) {
		snprintf(err, errlen, "DPDK EAL arguments too long");
		return -EINVAL;
	}
	strcpy(eal_argbuf, args);
	char *argv[EAL_MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = (char *)"retain";
	char *save = NULL;
	for (char *t = strtok_r(eal_argbuf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (argc > EAL_MAX_ARGS) {
			snprintf(err, errlen, "more than %d DPDK EAL arguments", EAL_MAX_ARGS);
			return -EINVAL;
		}
		argv[argc++] = t;
	}
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		int e = rte_errno ? rte_errno : EINVAL;
		eal_state = -e;
		snprintf(err, errlen, "DPDK EAL init (%s): %s", args, rte_strerror(e));
		return -e;
	}
	eal_state = 1;
	return 0;
}

int dp_dpdk_eal_init(const char *eal_args, char *err, size_t errlen)
{
	pthread_mutex_lock(&dpdk_lock);
	int rc = eal_start_locked(eal_args, err, errlen);
	pthread_mutex_unlock(&dpdk_lock);
	return rc;
}

/* A port by name ("net_pcap0") or by decimal id. */
static int port_lookup(const char *name, uint16_t *ret, char *err, size_t errlen)
{
	uint16_t id;
	bool digits = *name != '\0';
	for (const char *p = name; *p; p++)
		if (!isdigit((unsigned char)*p))
			digits = false;
	if (digits) {
		unsigned long v = strtoul(name, NULL, 10);
		if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)v)) {
			snprintf(err, errlen, "no DPDK port %s", name);
			return -ENODEV;
		}
		*ret = (uint16_t)v;
		return 0;
	}
	if (rte_eth_dev_get_port_by_name(name, &id) != 0) {
		snprintf(err, errlen, "no DPDK port named %s", name);
		return -ENODEV;
	}
	*ret = id;
	return 0;
}

/*
 * Configure and start a port on its first use, with n_rxq Rx and n_txq Tx
 * queues (RSS over the Rx queues when more than one); later uses must ask
 * for the same counts.  Claims Rx queues [q_first, q_first + q_count).
 */
static int port_acquire_locked(uint16_t id, uint16_t n_rxq, uint16_t n_txq, unsigned q_first,
			       unsigned q_count, unsigned mbufs, bool want_ts, char *err,
			       size_t errlen)
{
	struct port_state *ps = &port_tab[id];
	uint64_t mask = (q_count >= 64 ? ~UINT64_C(0) : ((UINT64_C(1) << q_count) - 1)) << q_first;
	int rc;

	if (n_rxq == 0 || n_rxq > 64 || q_first + q_count > n_rxq) {
		snprintf(err, errlen, "port %u: bad queue numbers", id);
		return -EINVAL;
	}
	if (ps->started) {
		if (ps->n_rxq != n_rxq || ps->n_txq != n_txq) {
			snprintf(err, errlen,
				 "port %u: already in use with %u Rx / %u Tx queues, not %u / %u", id,
				 ps->n_rxq, ps->n_txq, n_rxq, n_txq);
			return -EINVAL;
		}
		if (ps->rxq_taken & mask) {
			snprintf(err, errlen, "port %u: queue already read by another user", id);
			return -EBUSY;
		}
		if (want_ts && ps->ts_off < 0) {
			snprintf(err, errlen, "port %u gives no Rx timestamps", id);
			return -ENOTSUP;
		}
		ps->rxq_taken |= mask;
		ps->users++;
		return 0;
	}

	struct rte_eth_dev_info info;
	rc = rte_eth_dev_info_get(id, &info);
	if (rc) {
		snprintf(err, errlen, "port %u: %s", id, rte_strerror(-rc));
		return rc;
	}
	if (n_rxq > info.max_rx_queues || n_txq > info.max_tx_queues) {
		snprintf(err, errlen, "port %u (%s) has at most %u Rx / %u Tx queues, %u / %u asked",
			 id, info.driver_name, info.max_rx_queues, info.max_tx_queues, n_rxq, n_txq);
		return -EINVAL;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (n_rxq > 1) {
		/* Spread over the queues by IP addresses and UDP ports where the
		 * NIC can: one subscriber's packets stay on one queue.  PPPoE
		 * session traffic hashes on what the NIC understands of it
		 * (often only L2): per-NIC tuning is left to the operator. */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		if (conf.rx_adv_conf.rss_conf.rss_hf == 0)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	if (want_ts && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;

	if (!ps->pool) {
		char name[RTE_MEMPOOL_NAMESIZE];
		snprintf(name, sizeof(name), "dp_port%u", id);
		int socket = rte_eth_dev_socket_id(id);
		ps->pool = rte_pktmbuf_pool_create(name, mbufs, POOL_CACHE, 0,
						   RTE_MBUF_DEFAULT_BUF_SIZE,
						   socket < 0 ? (int)SOCKET_ID_ANY : socket);
		if (!ps->pool) {
			snprintf(err, errlen, "port %u: mbuf pool of %u: %s", id, mbufs,
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	rc = rte_eth_dev_configure(id, n_rxq, n_txq, &conf);
	if (rc) {
		snprintf(err, errlen, "port %u: configure: %s", id, rte_strerror(-rc));
		return rc;
	}
	uint16_t nrxd = RING_DESC, ntxd = RING_DESC;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nrxd, &ntxd);
	if (rc) {
		snprintf(err, errlen, "port %u: descriptors: %s", id, rte_strerror(-rc));
		return rc;
	}
	int socket = rte_eth_dev_socket_id(id);
	unsigned sock = socket < 0 ? (unsigned)SOCKET_ID_ANY : (unsigned)socket;
	for (uint16_t q = 0; q < n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(id, q, nrxd, sock, NULL, ps->pool);
		if (rc) {
			snprintf(err, errlen, "port %u: Rx queue %u: %s", id, q, rte_strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < n_txq; q++) {
		rc = rte_eth_tx_queue_setup(id, q, ntxd, sock, NULL);
		if (rc) {
			snprintf(err, errlen, "port %u: Tx queue %u: %s", id, q, rte_strerror(-rc));
			return rc;
		}
	}
	/* Mirror and inline ports carry other stations' frames.  Virtual
	 * ports may not support it: not an error. */
	(void)rte_eth_promiscuous_enable(id);
	rc = rte_eth_dev_start(id);
	if (rc) {
		snprintf(err, errlen, "port %u: start: %s", id, rte_strerror(-rc));
		return rc;
	}
	ps->ts_off = -1;
	ps->ts_flag = 0;
	int off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	if (off >= 0 && bit >= 0) {
		ps->ts_off = off;
		ps->ts_flag = UINT64_C(1) << bit;
	}
	if (want_ts && ps->ts_off < 0) {
		rte_eth_dev_stop(id);
		snprintf(err, errlen, "port %u (%s) gives no Rx timestamps", id, info.driver_name);
		return -ENOTSUP;
	}
	ps->started = true;
	ps->n_rxq = n_rxq;
	ps->n_txq = n_txq;
	ps->rxq_taken = mask;
	ps->users = 1;
	return 0;
}

static void port_release_locked(uint16_t id, unsigned q_first, unsigned q_count)
{
	struct port_state *ps = &port_tab[id];
	uint64_t mask = (q_count >= 64 ? ~UINT64_C(0) : ((UINT64_C(1) << q_count) - 1)) << q_first;

	if (!ps->started || ps->users == 0)
		return;
	ps->rxq_taken &= ~mask;
	if (--ps->users == 0) {
		/* net_pcap closes its output files on stop */
		rte_eth_dev_stop(id);
		ps->started = false;
	}
}

/* Time of packet m: the Rx timestamp field (µs) when asked and present,
 * else the burst's clock reading. */
static inline int64_t pkt_ts(const struct port_state *ps, enum dp_dpdk_ts mode,
			     const struct rte_mbuf *m, int64_t burst_ns)
{
	if (mode == DP_DPDK_TS_MBUF_US && (m->ol_flags & ps->ts_flag)) {
		uint64_t us = *RTE_MBUF_DYNFIELD(m, ps->ts_off, const rte_mbuf_timestamp_t *);
		if (us <= (uint64_t)(INT64_MAX / 1000))
			return (int64_t)us * 1000;
	}
	return burst_ns;
}

/* ---- mirror-mode source ------------------------------------------------ */

struct dpdk_src {
	struct dp_capture base; /* first: dp_capture * <-> dpdk_src * */
	enum dp_dpdk_ts ts;
	unsigned n_ports;
	uint16_t port[DP_DPDK_MAX_PORTS];
	unsigned q_first, q_count;   /* Rx queues read, the same on every port */
	unsigned n_pairs, cursor;    /* (port, queue) pairs, next one polled */
	unsigned n_held;
	struct rte_mbuf *held[DP_DPDK_BURST_MAX];
};

static const struct dp_capture_ops dpdk_ops;

static int dpdk_next(dp_capture *c, struct dp_pkt *pkts, unsigned max)
{
	struct dpdk_src *s = (struct dpdk_src *)c;

	if (s->n_held) {
		rte_pktmbuf_free_bulk(s->held, s->n_held);
		s->n_held = 0;
	}
	if (max > DP_DPDK_BURST_MAX)
		max = DP_DPDK_BURST_MAX;
	if (max == 0)
		return -EAGAIN;
	/* Round-robin over (port, queue) pairs: the first one with packets
	 * gives this burst, the next call starts after it. */
	for (unsigned tries = 0; tries < s->n_pairs; tries++) {
		unsigned pair = s->cursor;
		s->cursor = (s->cursor + 1) % s->n_pairs;
		uint16_t port = s->port[pair / s->q_count];
		uint16_t q = (uint16_t)(s->q_first + pair % s->q_count);
		uint16_t n = rte_eth_rx_burst(port, q, s->held, (uint16_t)max);
		if (n == 0)
			continue;
		const struct port_state *ps = &port_tab[port];
		int64_t now = wall_ns();
		for (uint16_t i = 0; i < n; i++) {
			const struct rte_mbuf *m = s->held[i];
			pkts[i].data = rte_pktmbuf_mtod(m, const uint8_t *);
			pkts[i].caplen = m->data_len; /* first segment only */
			pkts[i].wirelen = m->pkt_len;
			pkts[i].ts_ns = pkt_ts(ps, s->ts, m, now);
		}
		s->n_held = n;
		return n;
	}
	return -EAGAIN;
}

static void dpdk_close(dp_capture *c)
{
	struct dpdk_src *s = (struct dpdk_src *)c;

	if (s->n_held)
		rte_pktmbuf_free_bulk(s->held, s->n_held);
	pthread_mutex_lock(&dpdk_lock);
	for (unsigned i = 0; i < s->n_ports; i++)
		port_release_locked(s->port[i], s->q_first, s->q_count);
	pthread_mutex_unlock(&dpdk_lock);
	free(s);
}

static const struct dp_capture_ops dpdk_ops = {
	.name = "dpdk",
	.next = dpdk_next,
	.close = dpdk_close,
};

void dp_dpdk_opts_default(struct dp_dpdk_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->n_queues = 1;
	o->queue = -1;
	o->mbufs = 8191;
	o->ts = DP_DPDK_TS_CLOCK;
}

/* Parse "a,b,c" into port ids (every port when empty). */
static int parse_ports(const char *list, uint16_t *ids, unsigned *ret_n, char *err,
		       size_t errlen)
{
	unsigned n = 0;
	if (!list || !*list) {
		uint16_t id;
		RTE_ETH_FOREACH_DEV(id) {
			if (n == DP_DPDK_MAX_PORTS)
				break;
			ids[n++] = id;
		}
		if (n == 0) {
			snprintf(err, errlen, "no DPDK ports (no --vdev and no bound NIC?)");
			return -ENODEV;
		}
		*ret_n = n;
		return 0;
	}
	char buf[512];
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "DPDK port list too long");
		return -EINVAL;
	}
	strcpy(buf, list);
	char *save = NULL;
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		if (n == DP_DPDK_MAX_PORTS) {
			snprintf(err, errlen, "more than %d DPDK ports", DP_DPDK_MAX_PORTS);
			return -EINVAL;
		}
		int rc = port_lookup(t, &ids[n], err, errlen);
		if (rc)
			return rc;
		for (unsigned k = 0; k < n; k++)
			if (ids[k] == ids[n]) {
				snprintf(err, errlen, "DPDK port %s named twice", t);
				return -EINVAL;
			}
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "empty DPDK port list");
		return -EINVAL;
	}
	*ret_n = n;
	return 0;
}

int dp_capture_open_dpdk(const struct dp_dpdk_opts *o, dp_capture **ret, char *err,
			 size_t errlen)
{
	struct dp_dpdk_opts def;
	if (!o) {
		dp_dpdk_opts_default(&def);
		o = &def;
	}
	if (o->n_queues == 0 || o->n_queues > 64 || o->queue >= (int)o->n_queues ||
	    o->queue < -1) {
		snprintf(err, errlen, "bad DPDK queue options (%u queues, queue %d)", o->n_queues,
			 o->queue);
		return -EINVAL;
	}
	struct dpdk_src *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->base.ops = &dpdk_ops;
	s->base.linktype = 1; /* LINKTYPE_ETHERNET */
	s->ts = o->ts;
	s->q_first = o->queue < 0 ? 0 : (unsigned)o->queue;
	s->q_count = o->queue < 0 ? o->n_queues : 1;

	pthread_mutex_lock(&dpdk_lock);
	int rc = eal_start_locked(o->eal_args, err, errlen);
	if (rc)
		goto out_unlock;
	unsigned n;
	rc = parse_ports(o->ports, s->port, &n, err, errlen);
	if (rc)
		goto out_unlock;
	for (s->n_ports = 0; s->n_ports < n; s->n_ports++) {
		rc = port_acquire_locked(s->port[s->n_ports], (uint16_t)o->n_queues, 0, s->q_first,
					 s->q_count, o->mbufs ? o->mbufs : 8191,
					 o->ts == DP_DPDK_TS_MBUF_US, err, errlen);
		if (rc)
			goto out_release;
	}
	pthread_mutex_unlock(&dpdk_lock);
	s->n_pairs = s->n_ports * s->q_count;
	*ret = &s->base;
	return 0;

out_release:
	for (unsigned i = 0; i < s->n_ports; i++)
		port_release_locked(s->port[i], s->q_first, s->q_count);
out_unlock:
	pthread_mutex_unlock(&dpdk_lock);
	free(s);
	return rc;
}

int dp_capture_dpdk_stats(dp_capture *c, uint64_t *ret_received, uint64_t *ret_dropped)
{
	if (!c || c->ops != &dpdk_ops)
		return -EINVAL;
	struct dpdk_src *s = (struct dpdk_src *)c;
	uint64_t rx = 0, drop = 0;
	for (unsigned i = 0; i < s->n_ports; i++) {
		struct rte_eth_stats st;
		if (rte_eth_stats_get(s->port[i], &st) == 0) {
			rx += st.ipackets;
			drop += st.imissed + st.rx_nombuf;
		}
	}
	*ret_received = rx;
	*ret_dropped = drop;
	return 0;
}

/* ---- inline bridge ----------------------------------------------------- */

/* One analysis copy in asynchronous mode. */
struct bridge_slot {
	struct dp_pkt pkt;
	uint8_t data[DP_BRIDGE_SLOT_BYTES];
};

/* The analysis side as a capture source (async mode). */
struct bridge_src {
	struct dp_capture base; /* first */
	dp_bridge *b;
	unsigned n_held;
	struct bridge_slot *held[DP_DPDK_BURST_MAX];
};

static const struct dp_capture_ops bridge_src_ops;

struct dp_bridge {
	uint16_t port[2];
	/* asynchronous mode: slots go free -> work (bridge) -> free (analysis) */
	unsigned n_slots;
	struct bridge_slot *slots;
	struct rte_ring *free_ring, *work_ring;
	struct bridge_src *src;
	uint16_t queue;
	unsigned burst;
	enum dp_dpdk_ts ts;
	struct dp_classifier cls;
	struct dp_bridge_stats st;
	size_t copy_bytes;
	uint8_t *copy;               /* control-packet copies of one poll */
	struct rte_mbuf *mb[DP_DPDK_BURST_MAX];
	const uint8_t *data[DP_DPDK_BURST_MAX];
	uint32_t len[DP_DPDK_BURST_MAX];
	uint8_t res[DP_DPDK_BURST_MAX];
};

void dp_bridge_opts_default(struct dp_bridge_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->n_queues = 1;
	o->burst = 32;
	o->mbufs = 8191;
	o->copy_bytes = 1u << 20;
	o->ts = DP_DPDK_TS_CLOCK;
}

int dp_bridge_open(const struct dp_bridge_opts *o, dp_bridge **ret, char *err, size_t errlen)
{
	if (!o || !o->port_a || !o->port_b || o->n_queues == 0 || o->n_queues > 64 ||
	    o->queue >= o->n_queues || o->burst == 0 || o->burst > DP_DPDK_BURST_MAX ||
	    o->analysis_slots > (1u << 20)) {
		snprintf(err, errlen, "bad DPDK bridge options");
		return -EINVAL;
	}
	dp_bridge *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->copy_bytes = o->copy_bytes ? o->copy_bytes : (1u << 20);
	b->copy = malloc(b->copy_bytes);
	if (!b->copy) {
		free(b);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->queue = (uint16_t)o->queue;
	b->burst = o->burst;
	b->n_slots = o->analysis_slots;
	b->ts = o->ts;
	if (o->cls)
		b->cls = *o->cls;
	else
		dp_classifier_init(&b->cls);

	pthread_mutex_lock(&dpdk_lock);
	int rc = eal_start_locked(o->eal_args, err, errlen);
	if (rc)
		goto out_unlock_free;
	rc = port_lookup(o->port_a, &b->port[0], err, errlen);
	if (rc)
		goto out_unlock_free;
	rc = port_lookup(o->port_b, &b->port[1], err, errlen);
	if (rc)
		goto out_unlock_free;
	if (b->n_slots) {
		static unsigned seq;
		char rn[RTE_RING_NAMESIZE];
		unsigned cap = rte_align32pow2(b->n_slots + 1);
		b->slots = calloc(b->n_slots, sizeof(*b->slots));
		b->src = calloc(1, sizeof(*b->src));
		snprintf(rn, sizeof(rn), "dp_bfree%u", seq);
		b->free_ring = rte_ring_create(rn, cap, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(rn, sizeof(rn), "dp_bwork%u", seq++);
		b->work_ring = rte_ring_create(rn, cap, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!b->slots || !b->src || !b->free_ring || !b->work_ring) {
			snprintf(err, errlen, "analysis ring of %u slots: out of memory", b->n_slots);
			rc = -ENOMEM;
			goto out_unlock_free;
		}
		for (unsigned i = 0; i < b->n_slots; i++) {
			void *slot = &b->slots[i];
			rte_ring_sp_enqueue(b->free_ring, slot);
		}
		b->src->base.ops = &bridge_src_ops;
		b->src->base.linktype = 1;
		b->src->b = b;
	}
	if (b->port[0] == b->port[1]) {
		snprintf(err, errlen, "bridge ports A and B are the same port");
		rc = -EINVAL;
		goto out_unlock_free;
	}
	for (int k = 0; k < 2; k++) {
		rc = port_acquire_locked(b->port[k], (uint16_t)o->n_queues, (uint16_t)o->n_queues,
					 o->queue, 1, o->mbufs ? o->mbufs : 8191,
					 o->ts == DP_DPDK_TS_MBUF_US, err, errlen);
		if (rc) {
			if (k == 1)
				port_release_locked(b->port[0], o->queue, 1);
			goto out_unlock_free;
		}
	}
	pthread_mutex_unlock(&dpdk_lock);
	*ret = b;
	return 0;

out_unlock_free:
	pthread_mutex_unlock(&dpdk_lock);
	rte_ring_free(b->work_ring);
	rte_ring_free(b->free_ring);
	free(b->src);
	free(b->slots);
	free(b->copy);
	free(b);
	return rc;
}

/* Synchronous mode: copies into the per-poll buffer, views into out. */
static unsigned bridge_copy_sync(dp_bridge *b, const struct port_state *ps, uint16_t n,
				 int64_t now, struct dp_pkt *out, unsigned n_out, unsigned max,
				 size_t *used)
{
	for (uint16_t i = 0; i < n; i++) {
		if (b->res[i] == DP_CLS_PASS)
			continue;
		const struct rte_mbuf *m = b->mb[i];
		uint32_t len = m->pkt_len;
		if (n_out == max || len > b->copy_bytes - *used) {
			b->st.ctrl_dropped++; /* fail-open: the user packet still goes */
			continue;
		}
		uint8_t *dst = b->copy + *used;
		const void *src = rte_pktmbuf_read(m, 0, len, dst);
		if (!src) {
			b->st.ctrl_dropped++;
			continue;
		}
		if (src != dst)
			memcpy(dst, src, len);
		*used += len;
		out[n_out++] = (struct dp_pkt){
			.data = dst,
			.caplen = len,
			.wirelen = len,
			.ts_ns = pkt_ts(ps, b->ts, m, now),
		};
		b->st.ctrl++;
	}
	return n_out;
}

/* Asynchronous mode: each copy takes a free slot and goes on the work
 * ring; no free slot (the analysis is behind) drops the copy, counted. */
static void bridge_copy_async(dp_bridge *b, const struct port_state *ps, uint16_t n,
			      int64_t now)
{
	void *ready[DP_DPDK_BURST_MAX];
	unsigned n_ready = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (b->res[i] == DP_CLS_PASS)
			continue;
		void *v;
		if (rte_ring_sc_dequeue(b->free_ring, &v) != 0) {
			b->st.ctrl_dropped++; /* fail-open */
			continue;
		}
		struct bridge_slot *slot = v;
		const struct rte_mbuf *m = b->mb[i];
		uint32_t len = m->pkt_len;
		uint32_t cap = len < DP_BRIDGE_SLOT_BYTES ? len : DP_BRIDGE_SLOT_BYTES;
		const void *src = rte_pktmbuf_read(m, 0, cap, slot->data);
		if (!src) {
			rte_ring_sp_enqueue(b->free_ring, v);
			b->st.ctrl_dropped++;
			continue;
		}
		if (src != slot->data)
			memcpy(slot->data, src, cap);
		slot->pkt = (struct dp_pkt){
			.data = slot->data,
			.caplen = cap,
			.wirelen = len,
			.ts_ns = pkt_ts(ps, b->ts, m, now),
		};
		ready[n_ready++] = v;
	}
	/* cannot fail: the ring holds every slot */
	if (n_ready)
		rte_ring_sp_enqueue_burst(b->work_ring, ready, n_ready, NULL);
	b->st.ctrl += n_ready;
}

/* One burst from port[dir] to port[!dir]; control copies appended to out. */
static unsigned bridge_dir(dp_bridge *b, int dir, struct dp_pkt *out, unsigned n_out,
			   unsigned max, size_t *used)
{
	uint16_t n = rte_eth_rx_burst(b->port[dir], b->queue, b->mb, (uint16_t)b->burst);
	if (n == 0)
		return n_out;
	const struct port_state *ps = &port_tab[b->port[dir]];
	b->st.rx[dir] += n;
	/* Only the mbuf's first cache line (buf_addr, data_off, data_len) and
	 * the first cache line of the packet are read. */
	for (uint16_t i = 0; i < n; i++) {
		const struct rte_mbuf *m = b->mb[i];
		b->data[i] = rte_pktmbuf_mtod(m, const uint8_t *);
		rte_prefetch0(b->data[i]); /* the classifier reads the headers next */
		b->len[i] = m->data_len;
	}
	if (b->ts == DP_DPDK_TS_MBUF_US)
		b->st.last_ts_ns = pkt_ts(ps, b->ts, b->mb[n - 1], 0);
	if (dp_classify_burst(&b->cls, b->data, b->len, n, b->res)) {
		/* The clock is read only for bursts with control packets: most
		 * bursts of a bulk link have none. */
		int64_t now = wall_ns();
		if (b->ts == DP_DPDK_TS_CLOCK)
			b->st.last_ts_ns = now;
		/* Copy before sending: the Tx path owns (and frees) the mbufs. */
		if (b->n_slots)
			bridge_copy_async(b, ps, n, now);
		else
			n_out = bridge_copy_sync(b, ps, n, now, out, n_out, max, used);
	}
	/* Send in order; what the queue does not take after a few immediate
	 * retries is dropped (never re-queued behind later packets). */
	uint16_t sent = 0;
	for (int t = 0; t <= TX_RETRIES && sent < n; t++)
		sent += rte_eth_tx_burst(b->port[!dir], b->queue, b->mb + sent, n - sent);
	b->st.tx[!dir] += sent;
	if (sent < n) {
		rte_pktmbuf_free_bulk(b->mb + sent, n - sent);
		b->st.tx_dropped[!dir] += n - sent;
	}
	return n_out;
}

unsigned dp_bridge_poll(dp_bridge *b, struct dp_pkt *ctrl_out, unsigned max)
{
	size_t used = 0;
	unsigned n = bridge_dir(b, 0, ctrl_out, 0, max, &used);
	return bridge_dir(b, 1, ctrl_out, n, max, &used);
}

static int bridge_src_next(dp_capture *c, struct dp_pkt *pkts, unsigned max)
{
	struct bridge_src *s = (struct bridge_src *)c;
	dp_bridge *b = s->b;

	if (s->n_held) {
		rte_ring_sp_enqueue_burst(b->free_ring, (void **)s->held, s->n_held, NULL);
		s->n_held = 0;
	}
	if (max > DP_DPDK_BURST_MAX)
		max = DP_DPDK_BURST_MAX;
	unsigned n = rte_ring_sc_dequeue_burst(b->work_ring, (void **)s->held, max, NULL);
	if (n == 0)
		return -EAGAIN;
	for (unsigned i = 0; i < n; i++)
		pkts[i] = s->held[i]->pkt;
	s->n_held = n;
	return (int)n;
}

/* The source belongs to the bridge: dp_bridge_close() frees it. */
static void bridge_src_close(dp_capture *c)
{
	(void)c;
}

static const struct dp_capture_ops bridge_src_ops = {
	.name = "dpdk-bridge-analysis",
	.next = bridge_src_next,
	.close = bridge_src_close,
};

dp_capture *dp_bridge_analysis(dp_bridge *b)
{
	return b->src ? &b->src->base : NULL;
}

void dp_bridge_get_stats(const dp_bridge *b, struct dp_bridge_stats *ret)
{
	*ret = b->st;
}

int dp_bridge_nic_dropped(const dp_bridge *b, uint64_t *ret_dropped)
{
	uint64_t d = 0;
	for (int k = 0; k < 2; k++) {
		struct rte_eth_stats st;
		if (rte_eth_stats_get(b->port[k], &st) != 0)
			return -EIO;
		d += st.imissed + st.rx_nombuf;
	}
	*ret_dropped = d;
	return 0;
}

void dp_bridge_close(dp_bridge *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&dpdk_lock);
	for (int k = 0; k < 2; k++)
		port_release_locked(b->port[k], b->queue, 1);
	pthread_mutex_unlock(&dpdk_lock);
	rte_ring_free(b->work_ring);
	rte_ring_free(b->free_ring);
	free(b->src);
	free(b->slots);
	free(b->copy);
	free(b);
}
