/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_bridge: drive the DPDK backend over net_pcap vdevs into a store, for
 * test_bridge.py, which builds the captures and compares the results.
 *
 *   test_bridge bridge|async|mirror STORE SECRETS CTRL_MAX EAL_ARGS
 *
 * bridge: an inline bridge net_pcap0 <-> net_pcap1; the control packets it
 *         hands out (at most CTRL_MAX per poll: 0 checks fail-open) go
 *         through the same pipeline as `retain ingest`.
 * async:  the same bridge on its own thread, handing the copies through its
 *         analysis ring (CTRL_MAX slots) to this thread, which feeds the
 *         pipeline, as retaind would.
 * mirror: a receive-only source on net_pcap0; every packet to the pipeline.
 * Both take packet times from the capture (DP_DPDK_TS_MBUF_US) and run
 * until the inputs have been idle for a while.  Prints one JSON line of
 * counters.  Exit 77 when the EAL cannot start here.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "classify.h"
#include "pipeline.h"
#include "secrets.h"
#include "store.h"

#define IDLE_POLLS 20000
#define BURST 64

static void plog(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "test_bridge: %s\n", msg);
}

static void print_bridge(const struct dp_bridge_stats *st, uint64_t fed)
{
	printf("{\"rx_a\":%" PRIu64 ",\"rx_b\":%" PRIu64 ",\"tx_a\":%" PRIu64
	       ",\"tx_b\":%" PRIu64 ",\"tx_dropped\":%" PRIu64 ",\"ctrl\":%" PRIu64
	       ",\"ctrl_dropped\":%" PRIu64 ",\"fed\":%" PRIu64 "}\n",
	       st->rx[0], st->rx[1], st->tx[0], st->tx[1], st->tx_dropped[0] + st->tx_dropped[1],
	       st->ctrl, st->ctrl_dropped, fed);
}

struct fwd {
	dp_bridge *b;
	atomic_int done;
	struct dp_bridge_stats st; /* final, once done */
};

/* The forwarding thread of the async mode. */
static void *forward(void *arg)
{
	struct fwd *f = arg;
	struct dp_pkt none[1];
	uint64_t seen = 0;
	unsigned idle = 0;
	while (idle < IDLE_POLLS) {
		(void)dp_bridge_poll(f->b, none, 0);
		dp_bridge_get_stats(f->b, &f->st);
		idle = f->st.rx[0] + f->st.rx[1] == seen ? idle + 1 : 0;
		seen = f->st.rx[0] + f->st.rx[1];
	}
	atomic_store(&f->done, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	char err[512];
	if (argc != 6) {
		fprintf(stderr, "usage: test_bridge bridge|mirror STORE SECRETS CTRL_MAX EAL_ARGS\n");
		return 2;
	}
	const char *mode = argv[1];
	unsigned ctrl_max = (unsigned)atoi(argv[4]);
	if (ctrl_max > BURST * 2)
		ctrl_max = BURST * 2;

	int rc = dp_dpdk_eal_init(argv[5], err, sizeof(err));
	if (rc) {
		fprintf(stderr, "test_bridge: skipped: %s\n", err);
		return 77;
	}

	dp_secrets *secrets;
	rc = dp_secrets_load(argv[3], &secrets, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "test_bridge: secrets: %s\n", err);
		return 1;
	}
	struct ctl_pipeline_opts po;
	ctl_pipeline_opts_default(&po);
	po.store_dir = argv[2];
	po.secrets = secrets;
	po.log = plog;
	ctl_pipeline *p;
	rc = ctl_pipeline_open(&po, &p, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "test_bridge: pipeline: %s\n", err);
		return 1;
	}

	struct dp_pkt pkts[BURST * 2];
	uint64_t fed = 0;
	int64_t last_ts = 0;
	unsigned idle = 0;
	if (strcmp(mode, "async") == 0) {
		struct dp_bridge_opts bo;
		dp_bridge_opts_default(&bo);
		bo.port_a = "net_pcap0";
		bo.port_b = "net_pcap1";
		bo.burst = BURST;
		bo.ts = DP_DPDK_TS_MBUF_US;
		bo.analysis_slots = (unsigned)atoi(argv[4]);
		struct fwd f = {0};
		rc = dp_bridge_open(&bo, &f.b, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "test_bridge: bridge: %s\n", err);
			return 1;
		}
		dp_capture *an = dp_bridge_analysis(f.b);
		pthread_t th;
		if (pthread_create(&th, NULL, forward, &f) != 0)
			return 1;
		for (;;) {
			int done = atomic_load(&f.done);
			int n = dp_capture_next(an, pkts, BURST);
			if (n == -EAGAIN) {
				if (done)
					break; /* done before this empty read: nothing left */
				continue;
			}
			for (int i = 0; i < n; i++) {
				rc = ctl_pipeline_packet(p, &pkts[i], an->linktype);
				if (rc) {
					fprintf(stderr, "test_bridge: store: %s\n", st_strerror(rc));
					return 1;
				}
			}
			fed += (uint64_t)n;
		}
		pthread_join(th, NULL);
		last_ts = f.st.last_ts_ns;
		dp_bridge_close(f.b);
		print_bridge(&f.st, fed);
	} else if (strcmp(mode, "bridge") == 0) {
		struct dp_bridge_opts bo;
		dp_bridge_opts_default(&bo);
		bo.port_a = "net_pcap0";
		bo.port_b = "net_pcap1";
		bo.burst = BURST;
		bo.ts = DP_DPDK_TS_MBUF_US;
		dp_bridge *b;
		rc = dp_bridge_open(&bo, &b, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "test_bridge: bridge: %s\n", err);
			return 1;
		}
		struct dp_bridge_stats st;
		uint64_t seen = 0;
		while (idle < IDLE_POLLS) {
			unsigned n = dp_bridge_poll(b, pkts, ctrl_max);
			for (unsigned i = 0; i < n; i++) {
				rc = ctl_pipeline_packet(p, &pkts[i], 1);
				if (rc) {
					fprintf(stderr, "test_bridge: store: %s\n", st_strerror(rc));
					return 1;
				}
			}
			fed += n;
			dp_bridge_get_stats(b, &st);
			idle = st.rx[0] + st.rx[1] == seen ? idle + 1 : 0;
			seen = st.rx[0] + st.rx[1];
		}
		dp_bridge_get_stats(b, &st);
		last_ts = st.last_ts_ns;
		dp_bridge_close(b); /* stops the ports: net_pcap closes out*.pcap */
		print_bridge(&st, fed);
	} else {
		struct dp_dpdk_opts o;
		dp_dpdk_opts_default(&o);
		o.ports = "net_pcap0";
		o.ts = DP_DPDK_TS_MBUF_US;
		dp_capture *c;
		rc = dp_capture_open_dpdk(&o, &c, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "test_bridge: source: %s\n", err);
			return 1;
		}
		struct dp_classifier cls;
		dp_classifier_init(&cls);
		uint64_t ctrl = 0;
		while (idle < IDLE_POLLS) {
			int n = dp_capture_next(c, pkts, BURST);
			if (n == -EAGAIN) {
				idle++;
				continue;
			}
			if (n < 0) {
				fprintf(stderr, "test_bridge: next: %s\n", strerror(-n));
				return 1;
			}
			idle = 0;
			for (int i = 0; i < n; i++) {
				rc = ctl_pipeline_packet(p, &pkts[i], c->linktype);
				if (rc) {
					fprintf(stderr, "test_bridge: store: %s\n", st_strerror(rc));
					return 1;
				}
				last_ts = pkts[i].ts_ns;
				ctrl += dp_classify_eth(&cls, pkts[i].data, pkts[i].caplen) !=
					DP_CLS_PASS;
			}
			fed += (uint64_t)n;
		}
		uint64_t rx, drop;
		dp_capture_dpdk_stats(c, &rx, &drop);
		dp_capture_close(c);
		printf("{\"rx\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"fed\":%" PRIu64
		       ",\"ctrl\":%" PRIu64 "}\n", rx, drop, fed, ctrl);
	}
	/* The bridge hands over only control packets; the capture clock also
	 * ran through the pass-through ones (ingest sees those): advance the
	 * tracker to the last packet time so its final sweep is the same. */
	rc = ctl_pipeline_tick(p, last_ts);
	if (!rc)
		rc = ctl_pipeline_end_of_input(p);
	if (!rc)
		rc = ctl_pipeline_commit(p, true);
	if (rc) {
		fprintf(stderr, "test_bridge: store: %s\n", st_strerror(rc));
		return 1;
	}
	ctl_pipeline_close(p);
	dp_secrets_free(secrets);
	return 0;
}
