/* SPDX-License-Identifier: BSD-2-Clause */
/* retain expire: delete what is past the retention period. */
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

/* ---- expire ------------------------------------------------------------ */

static const char expire_help[] =
	"Usage: retain expire --store DIR [--retention 60d] [--now T]\n"
	"\n"
	"Delete every session that ended more than the retention period before now\n"
	"(or --now T).  Whole day segments are removed once all of their sessions\n"
	"are due; each removal is logged in DIR/expiry.log.  Open sessions are\n"
	"never expired.  Retention: 60d by default (units d, h, m, s).  The days\n"
	"that are due are sealed first; a store that holds encrypted sealed\n"
	"segments needs its key file (RETAIN_KEYS) for that.\n"
	"\n"
	"retaind seals and expires the store it writes by itself ([store]\n"
	"retention): this command is for stores that no daemon holds (it cannot\n"
	"open a store while retaind runs on it).\n";

int cmd_expire(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"retention", required_argument, NULL, 'r'},
		{"now", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *store = NULL;
	int64_t retention = 60 * 86400 * NS, now = now_ns();
	int c;
	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			store = optarg;
			break;
		case 'r':
			if (ctl_duration_parse(optarg, &retention) < 0 || retention <= 0)
				die_usage("expire ", "--retention: '%s' is not a duration (e.g. 60d)",
					  optarg);
			break;
		case 'n':
			now = parse_time_or_die("expire ", "--now", optarg);
			break;
		case 'h':
			fputs(expire_help, stdout);
			return 0;
		default:
			die_usage("expire ", "bad option");
		}
	}
	if (optind != argc)
		die_usage("expire ", "unexpected argument '%s'", argv[optind]);
	store = store_from_env(store);
	if (!store)
		die_usage("expire ", "--store DIR is required");
	st_store *st;
	int rc = st_store_open_with(store, ST_OPEN_WRITE,
				    &(struct st_open_opts){.map_size = cli_map_size(), .keys = cli_keys()}, &st);
	if (rc) {
		fprintf(stderr, "%s: store %s: %s\n", prog, store, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	struct st_expire_report rep;
	rc = st_store_expire(st, now, retention, &rep);
	st_store_close(st);
	if (rc) {
		fprintf(stderr, "%s: expire failed: %s\n", prog, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	char h[CTL_TIME_BUF];
	ctl_time_format(now - retention, h);
	printf("expired %" PRIu64 " sessions that ended before %s; removed %" PRIu64
	       " segments, %" PRIu64 " bytes\n",
	       rep.sessions_removed, h, rep.segments_removed, rep.bytes_freed);
	return 0;
}

