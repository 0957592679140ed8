/* SPDX-License-Identifier: BSD-2-Clause */
/* retain query and retain export: lawful queries and full exports. */
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

/* ---- query / export --------------------------------------------------- */

static const char query_help[] =
	"Usage: retain query ip ADDR (--at T | --from T1 --to T2) [options]\n"
	"       retain query account NAME --from T1 --to T2 [options]\n"
	"       retain query calling NUMBER --from T1 --to T2 [options]\n"
	"\n"
	"Answer a lawful query: the sessions that held an address at an instant or\n"
	"during a range, or every session of an account or calling number that\n"
	"overlaps [T1, T2] (inclusive).  Times: RFC 3339 (2026-10-01T08:00:00Z,\n"
	"offsets and fractions allowed), a date, or epoch seconds.\n"
	"\n"
	"Options:\n"
	"  -s, --store DIR      store directory (env RETAIN_STORE)\n"
	"      --at T           instant (ip only)\n"
	"      --from T1, --to T2  range\n"
	"  -f, --format F       table (default), json, jsonl or csv\n"
	"  -h, --help\n"
	"\n"
	"Exit status: 0 with results, 4 when nothing matched, 1 bad request, 2 store error.\n";

static const char export_help[] =
	"Usage: retain export --store DIR [--from T1 --to T2] [--format jsonl|csv|json|table]\n"
	"\n"
	"Write every stored session (closed, then open) overlapping [T1, T2], or all\n"
	"of them, in the given format (default jsonl).\n";

struct emit {
	struct ctl_out out;
};

static int emit_row(void *ctx, const struct rt_session *s)
{
	struct emit *e = ctx;
	return ctl_out_row(&e->out, s);
}

static int run_query(const char *store, const struct st_query *q, enum ctl_fmt fmt,
		     bool empty_is_4)
{
	st_store *st;
	int rc = st_store_open(store, ST_OPEN_RDONLY, &st);
	if (rc) {
		fprintf(stderr, "%s: store %s: %s\n", prog, store, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	struct emit e;
	ctl_out_begin(&e.out, stdout, fmt);
	rc = st_store_query(st, q, emit_row, &e);
	int orc = ctl_out_end(&e.out);
	st_store_close(st);
	if (rc) {
		fprintf(stderr, "%s: query failed: %s\n", prog, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	if (orc) {
		fprintf(stderr, "%s: writing results: %s\n", prog, strerror(-orc));
		return EXIT_RUNTIME;
	}
	return empty_is_4 && e.out.rows == 0 ? EXIT_EMPTY : 0;
}

static int query_or_export(int argc, char **argv, bool is_export)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'}, {"at", required_argument, NULL, 'a'},
		{"from", required_argument, NULL, 'F'},  {"to", required_argument, NULL, 'T'},
		{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *cmd = is_export ? "export " : "query ";
	const char *store = NULL, *at = NULL, *from = NULL, *to = NULL;
	enum ctl_fmt fmt = is_export ? CTL_FMT_JSONL : CTL_FMT_TABLE;
	int c;
	while ((c = getopt_long(argc, argv, "s:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			store = optarg;
			break;
		case 'a':
			at = optarg;
			break;
		case 'F':
			from = optarg;
			break;
		case 'T':
			to = optarg;
			break;
		case 'f':
			if (ctl_fmt_parse(optarg, &fmt) < 0)
				die_usage(cmd, "--format: '%s' is not json, jsonl, csv or table",
					  optarg);
			break;
		case 'h':
			fputs(is_export ? export_help : query_help, stdout);
			return 0;
		default:
			die_usage(cmd, "bad option");
		}
	}
	store = store_from_env(store);
	if (!store)
		die_usage(cmd, "--store DIR is required");

	struct st_query q;
	memset(&q, 0, sizeof(q));
	q.from_ns = INT64_MIN;
	q.to_ns = INT64_MAX;
	if (from)
		q.from_ns = parse_time_or_die(cmd, "--from", from);
	if (to)
		q.to_ns = parse_time_or_die(cmd, "--to", to);

	if (is_export) {
		if (optind != argc)
			die_usage(cmd, "unexpected argument '%s'", argv[optind]);
		if (at)
			die_usage(cmd, "--at is for queries");
		if (q.from_ns > q.to_ns)
			die_usage(cmd, "--from is after --to");
		q.kind = ST_Q_ALL;
		return run_query(store, &q, fmt, false);
	}

	if (argc - optind != 2)
		die_usage(cmd, "expected a query type (ip, account, calling) and a value");
	const char *kind = argv[optind], *val = argv[optind + 1];
	if (strcmp(kind, "ip") == 0) {
		struct in_addr a4;
		struct in6_addr a6;
		if (inet_pton(AF_INET, val, &a4) == 1) {
			memcpy(q.ipv4, &a4, 4);
		} else if (inet_pton(AF_INET6, val, &a6) == 1) {
			fprintf(stderr, "%s: IPv6 address queries are not supported yet "
					"(IPv6 prefixes are stored and exported)\n", prog);
			return EXIT_USAGE;
		} else {
			die_usage(cmd, "'%s' is not an IP address", val);
		}
		if (at) {
			if (from || to)
				die_usage(cmd, "give either --at or --from/--to");
			q.kind = ST_Q_IPV4_AT;
			q.from_ns = q.to_ns = parse_time_or_die(cmd, "--at", at);
		} else if (from && to) {
			q.kind = ST_Q_IPV4_RANGE;
		} else {
			die_usage(cmd, "query ip needs --at T or --from T1 --to T2");
		}
	} else if (strcmp(kind, "account") == 0 || strcmp(kind, "calling") == 0) {
		if (at)
			die_usage(cmd, "--at is for address queries; use --from and --to");
		if (!from || !to)
			die_usage(cmd, "query %s needs --from T1 --to T2", kind);
		size_t n = strlen(val);
		if (n == 0 || n > RT_TEXT_MAX)
			die_usage(cmd, "%s must be 1..%d bytes", kind, RT_TEXT_MAX);
		q.kind = kind[0] == 'a' ? ST_Q_ACCOUNT : ST_Q_CALLING;
		q.text = val;
		q.text_len = (unsigned)n;
	} else {
		die_usage(cmd, "unknown query type '%s' (ip, account, calling)", kind);
	}
	if (q.from_ns > q.to_ns)
		die_usage(cmd, "--from is after --to");
	return run_query(store, &q, fmt, true);
}


int cmd_query(int argc, char **argv)
{
	return query_or_export(argc, argv, false);
}

int cmd_export(int argc, char **argv)
{
	return query_or_export(argc, argv, true);
}
