/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_dpdk_ports: the DPDK backend on net_ring ports (rte_eth_from_rings):
 * queue ownership and counts, mirror-mode burst hand-out and mbuf release,
 * and the bridge's Tx-drop accounting when the far side is full (dropped
 * and counted, the rest in order).  Exit 77 when the EAL cannot start.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "capture.h"

#define EAL "-l 0 --no-huge --no-pci -m 256 --no-shconf --no-telemetry --log-level=lib.eal:error"

static int failures;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                \
			failures++;                                                    \
		}                                                                      \
	} while (0)

static struct rte_mempool *pool;

/* A frame whose byte 20 carries its sequence number. */
static struct rte_mbuf *frame(uint8_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (!m)
		abort();
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, 64);
	if (!d)
		abort();
	memset(d, 0, 64);
	memset(d, 0x02, 12);
	d[12] = 0x08; /* IPv4, TCP: subscriber data */
	d[14] = 0x45;
	d[23] = 6;
	d[20] = seq;
	return m;
}

/* A RADIUS accounting frame (UDP to 1813) whose byte 50 carries seq. */
static struct rte_mbuf *ctrl_frame(uint8_t seq)
{
	struct rte_mbuf *m = frame(0);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	d[20] = 0;
	d[23] = 17;
	d[36] = 0x07;
	d[37] = 0x15;
	d[50] = seq;
	return m;
}

/* A net_ring port; returns its id as a string in name. */
static int ring_port(const char *tag, unsigned nq, unsigned ring_size, struct rte_ring **rx,
		     struct rte_ring **tx, char *name, size_t len)
{
	char rn[RTE_RING_NAMESIZE];
	for (unsigned q = 0; q < nq; q++) {
		snprintf(rn, sizeof(rn), "%s_rx%u", tag, q);
		rx[q] = rte_ring_create(rn, ring_size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(rn, sizeof(rn), "%s_tx%u", tag, q);
		tx[q] = rte_ring_create(rn, ring_size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rx[q] || !tx[q])
			return -1;
	}
	int id = rte_eth_from_rings(tag, rx, nq, tx, nq, rte_socket_id());
	if (id < 0)
		return -1;
	snprintf(name, len, "%d", id);
	return 0;
}

static void test_queues(void)
{
	struct rte_ring *rx[2], *tx[2];
	char name[16], err[256];
	CHECK(ring_port("tq", 2, 64, rx, tx, name, sizeof(name)) == 0);

	struct dp_dpdk_opts o;
	dp_dpdk_opts_default(&o);
	o.ports = name;
	o.n_queues = 2;
	o.queue = 0;
	dp_capture *q0, *q1, *again;
	CHECK(dp_capture_open_dpdk(&o, &q0, err, sizeof(err)) == 0);
	CHECK(dp_capture_open_dpdk(&o, &again, err, sizeof(err)) == -EBUSY);
	o.n_queues = 1;
	o.queue = 0;
	CHECK(dp_capture_open_dpdk(&o, &again, err, sizeof(err)) == -EINVAL);
	o.n_queues = 2;
	o.queue = 1;
	CHECK(dp_capture_open_dpdk(&o, &q1, err, sizeof(err)) == 0);
	o.ports = "no_such_port";
	CHECK(dp_capture_open_dpdk(&o, &again, err, sizeof(err)) == -ENODEV);
	o.ports = name;
	o.queue = -1;
	CHECK(dp_capture_open_dpdk(&o, &again, err, sizeof(err)) == -EBUSY);
	CHECK(q0->linktype == 1);

	struct rte_mbuf *in[3] = {frame(1), frame(2), frame(3)};
	unsigned avail_before = rte_mempool_avail_count(pool);
	CHECK(rte_ring_enqueue_burst(rx[1], (void **)in, 3, NULL) == 3);
	struct dp_pkt p[8];
	CHECK(dp_capture_next(q0, p, 8) == -EAGAIN);
	CHECK(dp_capture_next(q1, p, 8) == 3);
	CHECK(p[0].data[20] == 1 && p[1].data[20] == 2 && p[2].data[20] == 3);
	CHECK(p[0].caplen == 64 && p[0].wirelen == 64 && p[0].ts_ns > 0);
	/* the burst's mbufs are released by the next call */
	CHECK(rte_mempool_avail_count(pool) == avail_before);
	CHECK(dp_capture_next(q1, p, 8) == -EAGAIN);
	CHECK(rte_mempool_avail_count(pool) == avail_before + 3);
	uint64_t got, dropped;
	CHECK(dp_capture_dpdk_stats(q1, &got, &dropped) == 0);
	dp_capture_close(q0);
	dp_capture_close(q1);

	/* every user gone: the port can be set up again, all queues at once;
	 * net_ring gives no Rx timestamps */
	o.ts = DP_DPDK_TS_MBUF_US;
	CHECK(dp_capture_open_dpdk(&o, &again, err, sizeof(err)) == -ENOTSUP);
	o.ts = DP_DPDK_TS_CLOCK;
	CHECK(dp_capture_open_dpdk(&o, &again, err, sizeof(err)) == 0);
	dp_capture_close(again);
	dp_capture_close(NULL);
}

static void test_bridge_tx_full(void)
{
	struct rte_ring *arx[1], *atx[1], *brx[1], *btx[1];
	char a[16], b[16], err[256];
	CHECK(ring_port("ba", 1, 64, arx, atx, a, sizeof(a)) == 0);
	CHECK(ring_port("bb", 1, 8, brx, btx, b, sizeof(b)) == 0); /* B's wire takes 7 */

	struct dp_bridge_opts o;
	dp_bridge_opts_default(&o);
	o.port_a = a;
	o.port_b = b;
	o.burst = 32;
	dp_bridge *br;
	CHECK(dp_bridge_open(&o, &br, err, sizeof(err)) == 0);
	struct rte_mbuf *in[20];
	for (unsigned i = 0; i < 20; i++)
		in[i] = frame((uint8_t)i);
	CHECK(rte_ring_enqueue_burst(arx[0], (void **)in, 20, NULL) == 20);
	struct dp_pkt ctrl[64];
	CHECK(dp_bridge_poll(br, ctrl, 64) == 0); /* all data: nothing for analysis */
	struct dp_bridge_stats st;
	dp_bridge_get_stats(br, &st);
	CHECK(st.rx[0] == 20 && st.tx[1] == 7 && st.tx_dropped[1] == 13);
	struct rte_mbuf *out[16];
	unsigned n = rte_ring_dequeue_burst(btx[0], (void **)out, 16, NULL);
	CHECK(n == 7);
	for (unsigned i = 0; i < n; i++) {
		CHECK(rte_pktmbuf_mtod(out[i], const uint8_t *)[20] == i); /* in order */
		rte_pktmbuf_free(out[i]);
	}
	dp_bridge_close(br);
}

/* Asynchronous analysis: two slots, the analysis thread (here: later
 * calls) behind: copies beyond the free slots are dropped and counted,
 * every user packet still goes, slots come back on the next read. */
static void test_bridge_async(void)
{
	struct rte_ring *arx[1], *atx[1], *brx[1], *btx[1];
	char a[16], b[16], err[256];
	CHECK(ring_port("aa", 1, 64, arx, atx, a, sizeof(a)) == 0);
	CHECK(ring_port("ab", 1, 64, brx, btx, b, sizeof(b)) == 0);
	struct dp_bridge_opts o;
	dp_bridge_opts_default(&o);
	o.port_a = a;
	o.port_b = b;
	o.analysis_slots = 2;
	dp_bridge *br;
	CHECK(dp_bridge_open(&o, &br, err, sizeof(err)) == 0);
	dp_capture *an = dp_bridge_analysis(br);
	CHECK(an != NULL && an->linktype == 1);
	struct rte_mbuf *in[6] = {ctrl_frame(10), frame(1), ctrl_frame(11), ctrl_frame(12),
				  frame(2), ctrl_frame(13)};
	/* B -> A this time */
	CHECK(rte_ring_enqueue_burst(brx[0], (void **)in, 6, NULL) == 6);
	struct dp_pkt p[8];
	CHECK(dp_bridge_poll(br, p, 8) == 0);
	struct dp_bridge_stats st;
	dp_bridge_get_stats(br, &st);
	CHECK(st.rx[1] == 6 && st.tx[0] == 6 && st.ctrl == 2 && st.ctrl_dropped == 2);
	CHECK(dp_capture_next(an, p, 8) == 2);
	CHECK(p[0].data[50] == 10 && p[1].data[50] == 11 && p[0].caplen == 64);
	CHECK(dp_capture_next(an, p, 8) == -EAGAIN); /* slots back */
	struct rte_mbuf *more[1] = {ctrl_frame(14)};
	CHECK(rte_ring_enqueue_burst(arx[0], (void **)more, 1, NULL) == 1);
	CHECK(dp_bridge_poll(br, p, 8) == 0);
	CHECK(dp_capture_next(an, p, 8) == 1 && p[0].data[50] == 14);
	dp_bridge_get_stats(br, &st);
	CHECK(st.ctrl == 3 && st.ctrl_dropped == 2 && st.tx[1] == 1);
	struct rte_mbuf *out[8];
	unsigned n = rte_ring_dequeue_burst(atx[0], (void **)out, 8, NULL);
	CHECK(n == 6);
	for (unsigned i = 0; i < n; i++) {
		CHECK(out[i] == in[i]); /* the same mbufs, in order */
		rte_pktmbuf_free(out[i]);
	}
	n = rte_ring_dequeue_burst(btx[0], (void **)out, 8, NULL);
	CHECK(n == 1);
	rte_pktmbuf_free_bulk(out, n);
	dp_bridge_close(br);
}

int main(void)
{
	char err[256];
	if (dp_dpdk_eal_init(EAL, err, sizeof(err))) {
		fprintf(stderr, "test_dpdk_ports: skipped: %s\n", err);
		return 77;
	}
	CHECK(dp_dpdk_eal_init(NULL, err, sizeof(err)) == 0); /* already up */
	pool = rte_pktmbuf_pool_create("test_frames", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (!pool) {
		fprintf(stderr, "test_dpdk_ports: no mbuf pool\n");
		return 1;
	}
	test_queues();
	test_bridge_tx_full();
	test_bridge_async();
	if (failures) {
		fprintf(stderr, "test_dpdk_ports: %d check(s) failed\n", failures);
		return 1;
	}
	printf("test_dpdk_ports: ok\n");
	return 0;
}
