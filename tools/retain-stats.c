/* SPDX-License-Identifier: BSD-2-Clause */
/* retain stats: sizes and ingest counters of a store. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "output.h"
#include "store.h"
#include "timefmt.h"

#include "cli.h"

/* ---- stats ------------------------------------------------------------- */

static int print_counter(void *ctx, const char *name, uint64_t v)
{
	bool *first = ctx;
	printf("%s\"%s\":%" PRIu64, *first ? "" : ",", name, v);
	*first = false;
	return 0;
}

static int print_counter_text(void *ctx, const char *name, uint64_t v)
{
	(void)ctx;
	printf("  %-24s %" PRIu64 "\n", name, v);
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *store = NULL, *fmt = "text";
	int c;
	while ((c = getopt_long(argc, argv, "s:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			store = optarg;
			break;
		case 'f':
			fmt = optarg;
			if (strcmp(fmt, "text") && strcmp(fmt, "json"))
				die_usage("stats ", "--format: '%s' is not text or json", fmt);
			break;
		case 'h':
			fputs("Usage: retain stats --store DIR [--format text|json]\n\n"
			      "Sessions, segments, sizes and the ingest counters of a store\n"
			      "(packets, rejected spoofed requests, malformed packets, ...).\n",
			      stdout);
			return 0;
		default:
			die_usage("stats ", "bad option");
		}
	}
	store = store_from_env(store);
	if (!store)
		die_usage("stats ", "--store DIR is required");
	st_store *st;
	int rc = st_store_open_with(store, ST_OPEN_RDONLY,
				    &(struct st_open_opts){.map_size = cli_map_size(), .keys = cli_keys()}, &st);
	if (rc) {
		fprintf(stderr, "%s: store %s: %s\n", prog, store, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	struct st_stats s;
	rc = st_store_stats(st, &s);
	if (rc) {
		fprintf(stderr, "%s: stats: %s\n", prog, st_strerror(rc));
		st_store_close(st);
		return EXIT_RUNTIME;
	}
	uint64_t total = s.sessions_closed + s.sessions_open;
	uint64_t bytes = s.bytes_segments + s.bytes_catalog;
	if (strcmp(fmt, "json") == 0) {
		printf("{\"sessions_closed\":%" PRIu64 ",\"sessions_open\":%" PRIu64
		       ",\"segments\":%" PRIu64 ",\"bytes_segments\":%" PRIu64
		       ",\"bytes_catalog\":%" PRIu64 ",\"bytes_per_session\":%.1f,\"counters\":{",
		       s.sessions_closed, s.sessions_open, s.segments, s.bytes_segments,
		       s.bytes_catalog, total ? (double)bytes / (double)total : 0.0);
		bool first = true;
		rc = st_store_counters(st, print_counter, &first);
		printf("}}\n");
	} else {
		char a[CTL_TIME_BUF] = "-", b[CTL_TIME_BUF] = "-", hz[CTL_TIME_BUF] = "never";
		if (s.first_day_ns != RT_TIME_NONE) {
			ctl_time_format(s.first_day_ns, a);
			a[10] = 0;
		}
		if (s.last_day_ns != RT_TIME_NONE) {
			ctl_time_format(s.last_day_ns, b);
			b[10] = 0;
		}
		if (s.expired_before_ns != RT_TIME_NONE)
			ctl_time_format(s.expired_before_ns, hz);
		printf("store              %s\n", store);
		printf("sessions           %" PRIu64 " closed, %" PRIu64 " open\n",
		       s.sessions_closed, s.sessions_open);
		printf("segments           %" PRIu64 " (days %s .. %s)\n", s.segments, a, b);
		printf("bytes              %" PRIu64 " segments + %" PRIu64 " catalogue = %.1f "
		       "bytes/session\n",
		       s.bytes_segments, s.bytes_catalog,
		       total ? (double)bytes / (double)total : 0.0);
		printf("expired before     %s\n", hz);
		printf("counters\n");
		rc = st_store_counters(st, print_counter_text, NULL);
	}
	st_store_close(st);
	if (rc) {
		fprintf(stderr, "%s: stats: %s\n", prog, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	return 0;
}

