/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tools/bench-load-nostore: `retain ingest --progress` with the storage
 * writer left out -- a benchmark control, not a tool: the store is opened
 * (open sessions resumed, counters committed) but closed sessions are only
 * counted (ctl_ingest_opts.bench_discard).  tools/bench load runs it next
 * to the real ingest to tell the pipeline's cost and memory from the
 * store's.  Prints the same progress lines on stderr.
 *
 *   bench-load-nostore CAPTURE SECRETS STORE THREADS
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ingest.h"

static void progress(void *ctx, const struct dp_counters *c, const struct dp_tracker_stats *t)
{
	(void)ctx;
	fprintf(stderr,
		"bench-load-nostore: progress: packets %" PRIu64 " accounting_requests %" PRIu64
		" open_sessions %" PRIu64 " closed_sessions %" PRIu64 "\n",
		c->packets, c->radius_acct_requests, t->open_now, t->closed);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: bench-load-nostore CAPTURE SECRETS STORE THREADS\n");
		return 1;
	}
	struct ctl_ingest_opts o;
	ctl_ingest_opts_default(&o);
	o.secrets_path = argv[2];
	o.store_dir = argv[3];
	o.threads = (unsigned)strtoul(argv[4], NULL, 10);
	o.bench_discard = true;
	o.max_reject_log = 0;
	o.progress = progress;
	struct ctl_ingest_result r;
	char err[512];
	const char *caps[] = {argv[1]};
	int rc = ctl_ingest(caps, 1, &o, &r, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bench-load-nostore: %s\n", err);
		return 2;
	}
	printf("{\"packets\":%" PRIu64 ",\"accounting_requests\":%" PRIu64
	       ",\"sessions_counted\":%" PRIu64 ",\"seconds\":%.3f}\n",
	       r.c.packets, r.c.radius_acct_requests, r.sessions_closed_stored, r.seconds);
	return 0;
}
