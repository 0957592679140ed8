/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retain - the operator CLI.
 *
 *   retain ingest CAPTURE... --store DIR [--secrets FILE]
 *   retain query ip ADDR --at T | --from T1 --to T2
 *   retain query account NAME --from T1 --to T2
 *   retain query calling NUMBER --from T1 --to T2
 *   retain export [--from T1 --to T2] --format jsonl|csv|json
 *   retain expire [--retention 60d] [--now T]
 *   retain stats
 *
 * Exit status: 0 success, 1 usage or input error, 2 runtime failure
 * (store, capture), 3 partial (some captures damaged; the rest ingested).
 */
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

#include "config.h"
#include "ingest.h"
#include "output.h"
#include "store.h"
#include "timefmt.h"

#define NS 1000000000LL

enum { EXIT_USAGE = 1, EXIT_RUNTIME = 2, EXIT_PARTIAL = 3 };

static const char *prog = "retain";

static void die_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void die_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s--help'.\n", prog, cmd ? cmd : "");
	exit(EXIT_USAGE);
}

static void log_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s: %s\n", prog, msg);
}

static const char *store_from_env(const char *store)
{
	if (store)
		return store;
	return getenv("RETAIN_STORE");
}

static int64_t parse_time_or_die(const char *cmd, const char *opt, const char *v)
{
	int64_t ns;
	if (ctl_time_parse(v, &ns) < 0)
		die_usage(cmd, "%s: '%s' is not a time (RFC 3339 like 2026-10-01T08:00:00Z, "
			       "a date, or epoch seconds)", opt, v);
	return ns;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* ---- ingest ----------------------------------------------------------- */

static const char ingest_help[] =
	"Usage: retain ingest CAPTURE... --store DIR [options]\n"
	"\n"
	"Read pcap/pcapng captures of BRAS control traffic, build one record per\n"
	"access session and store them.  Sessions left open by an earlier run\n"
	"continue; sessions still open at the end are stored as open.\n"
	"\n"
	"Options:\n"
	"  -s, --store DIR        store directory (created if missing; env RETAIN_STORE)\n"
	"  -k, --secrets FILE     RADIUS shared secrets, 'ADDRESS[/PREFIX] SECRET' per line;\n"
	"                         packets from a NAS with a secret must verify or are rejected,\n"
	"                         sessions of NAS without one are marked auth \"no-secret\"\n"
	"      --acct-port P      RADIUS accounting UDP port (repeatable; default 1813, 1646)\n"
	"      --auth-port P      RADIUS authentication UDP port (repeatable; default 1812, 1645)\n"
	"      --orphan-k K       close sessions silent for K x their interim interval (default 3)\n"
	"      --default-interval DUR  interim interval assumed before one is seen (default 1h)\n"
	"      --format text|json summary format (default text)\n"
	"  -q, --quiet            no summary\n"
	"  -h, --help\n";

static int parse_port(const char *cmd, const char *v)
{
	char *end;
	long p = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || p < 1 || p > 65535)
		die_usage(cmd, "'%s' is not a UDP port", v);
	return (int)p;
}

static void print_summary_text(const struct ctl_ingest_result *r)
{
	const struct dp_counters *c = &r->c;
	printf("packets            %" PRIu64 " (%.0f packets/s)\n", c->packets,
	       r->seconds > 0 ? (double)c->packets / r->seconds : 0.0);
	printf("accounting requests %" PRIu64 "\n", c->radius_acct_requests);
	printf("accepted           %" PRIu64 " (no-secret %" PRIu64 ")\n", c->accepted,
	       c->no_secret);
	printf("rejected           %" PRIu64 " (authenticator does not verify)\n", c->rejected);
	printf("malformed          %" PRIu64 "\n", dp_counters_malformed(c));
	for (unsigned i = 0; i < DP_FRAME_RES_MAX; i++)
		if (c->malformed_frame[i] && dp_frame_res_malformed((enum dp_frame_res)i))
			printf("  %-22s %" PRIu64 "\n", dp_frame_res_str((enum dp_frame_res)i),
			       c->malformed_frame[i]);
	for (unsigned i = 1; i < DP_RADIUS_FAIL_MAX; i++)
		if (c->malformed_radius[i])
			printf("  radius %-15s %" PRIu64 "\n",
			       dp_radius_fail_str((enum dp_radius_fail)i), c->malformed_radius[i]);
	printf("ignored            %" PRIu64 " (not IP %" PRIu64 ", not UDP %" PRIu64
	       ", other UDP %" PRIu64 ", responses %" PRIu64 ", auth %" PRIu64
	       ", fragments %" PRIu64 ")\n",
	       c->not_ip + c->not_udp + c->other_udp + c->radius_acct_responses + c->radius_auth +
		       c->fragments + c->radius_other,
	       c->not_ip, c->not_udp, c->other_udp, c->radius_acct_responses, c->radius_auth,
	       c->fragments);
	printf("duplicates         %" PRIu64 " (retransmitted or late, recorded once)\n",
	       r->t.duplicates);
	printf("sessions           %" PRIu64 " closed (%.0f sessions/s), %" PRIu64
	       " open, %" PRIu64 " resumed\n",
	       r->sessions_closed_stored,
	       r->seconds > 0 ? (double)r->sessions_closed_stored / r->seconds : 0.0,
	       r->sessions_open_stored, r->sessions_resumed);
	printf("  stop without start %" PRIu64 ", interim without start %" PRIu64
	       ", nas reboots %" PRIu64 ", orphaned %" PRIu64 "\n",
	       r->t.stop_without_start, r->t.interim_without_start, r->t.nas_reboots,
	       r->t.orphaned);
	printf("seconds            %.3f\n", r->seconds);
}

static void print_summary_json(const struct ctl_ingest_result *r)
{
	const struct dp_counters *c = &r->c;
	printf("{\"packets\":%" PRIu64 ",\"accounting_requests\":%" PRIu64
	       ",\"accepted\":%" PRIu64 ",\"no_secret\":%" PRIu64 ",\"rejected\":%" PRIu64
	       ",\"malformed\":%" PRIu64 ",\"duplicates\":%" PRIu64
	       ",\"sessions_closed\":%" PRIu64 ",\"sessions_open\":%" PRIu64
	       ",\"sessions_resumed\":%" PRIu64 ",\"stop_without_start\":%" PRIu64
	       ",\"interim_without_start\":%" PRIu64 ",\"nas_reboots\":%" PRIu64
	       ",\"orphaned\":%" PRIu64 ",\"capture_errors\":%" PRIu64 ",\"seconds\":%.6f}\n",
	       c->packets, c->radius_acct_requests, c->accepted, c->no_secret, c->rejected,
	       dp_counters_malformed(c), r->t.duplicates, r->sessions_closed_stored,
	       r->sessions_open_stored, r->sessions_resumed, r->t.stop_without_start,
	       r->t.interim_without_start, r->t.nas_reboots, r->t.orphaned, r->capture_errors,
	       r->seconds);
}

static int cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"secrets", required_argument, NULL, 'k'},
		{"acct-port", required_argument, NULL, 'A'},
		{"auth-port", required_argument, NULL, 'U'},
		{"orphan-k", required_argument, NULL, 'K'},
		{"default-interval", required_argument, NULL, 'I'},
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct ctl_ingest_opts o;
	const char *store = NULL, *fmt = "text";
	bool quiet = false, acct_set = false, auth_set = false;
	int c;

	ctl_ingest_opts_default(&o);
	while ((c = getopt_long(argc, argv, "s:k:qh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			store = optarg;
			break;
		case 'k':
			o.secrets_path = optarg;
			break;
		case 'A':
			if (!acct_set)
				o.engine.n_acct_ports = 0;
			acct_set = true;
			if (o.engine.n_acct_ports == DP_ENGINE_MAX_PORTS)
				die_usage("ingest ", "at most %d accounting ports", DP_ENGINE_MAX_PORTS);
			o.engine.acct_ports[o.engine.n_acct_ports++] =
				(uint16_t)parse_port("ingest ", optarg);
			break;
		case 'U':
			if (!auth_set)
				o.engine.n_auth_ports = 0;
			auth_set = true;
			if (o.engine.n_auth_ports == DP_ENGINE_MAX_PORTS)
				die_usage("ingest ", "at most %d authentication ports",
					  DP_ENGINE_MAX_PORTS);
			o.engine.auth_ports[o.engine.n_auth_ports++] =
				(uint16_t)parse_port("ingest ", optarg);
			break;
		case 'K': {
			char *end;
			long k = strtol(optarg, &end, 10);
			if (*end || k < 1 || k > 1000)
				die_usage("ingest ", "--orphan-k: '%s' is not 1..1000", optarg);
			o.engine.tracker.orphan_k = (unsigned)k;
			break;
		}
		case 'I':
			if (ctl_duration_parse(optarg, &o.engine.tracker.default_interval_ns) < 0 ||
			    o.engine.tracker.default_interval_ns <= 0)
				die_usage("ingest ", "--default-interval: '%s' is not a duration "
						     "(e.g. 15m, 1h)", optarg);
			break;
		case 'f':
			fmt = optarg;
			if (strcmp(fmt, "text") && strcmp(fmt, "json"))
				die_usage("ingest ", "--format: '%s' is not text or json", fmt);
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(ingest_help, stdout);
			return 0;
		default:
			die_usage("ingest ", "bad option");
		}
	}
	store = store_from_env(store);
	if (!store)
		die_usage("ingest ", "--store DIR is required");
	if (optind >= argc)
		die_usage("ingest ", "no capture file given");
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0 && access(argv[i], R_OK) != 0) {
			fprintf(stderr, "%s: cannot read capture %s: %s\n", prog, argv[i],
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	o.log = log_stderr;
	o.store_dir = store;

	struct ctl_ingest_result r;
	char err[512];
	int rc = ctl_ingest((const char *const *)argv + optind, (size_t)(argc - optind), &o, &r,
			    err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: ingest failed: %s\n", prog, err);
		return EXIT_RUNTIME;
	}
	if (!quiet) {
		if (strcmp(fmt, "json") == 0)
			print_summary_json(&r);
		else
			print_summary_text(&r);
	}
	if (r.capture_errors) {
		fprintf(stderr, "%s: %" PRIu64 " capture(s) could not be read completely; what "
				"was read is stored\n", prog, r.capture_errors);
		return EXIT_PARTIAL;
	}
	return 0;
}

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
	return empty_is_4 && e.out.rows == 0 ? 4 : 0;
}

static int cmd_query_or_export(int argc, char **argv, bool is_export)
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

/* ---- expire ------------------------------------------------------------ */

static const char expire_help[] =
	"Usage: retain expire --store DIR [--retention 60d] [--now T]\n"
	"\n"
	"Delete every session that ended more than the retention period before now\n"
	"(or --now T).  Whole day segments are removed once all of their sessions\n"
	"are due; each removal is logged in DIR/expiry.log.  Open sessions are\n"
	"never expired.  Retention: 60d by default (units d, h, m, s).\n";

static int cmd_expire(int argc, char **argv)
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
	int rc = st_store_open(store, ST_OPEN_WRITE, &st);
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

static int cmd_stats(int argc, char **argv)
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
	int rc = st_store_open(store, ST_OPEN_RDONLY, &st);
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

/* ---- main -------------------------------------------------------------- */

static const char main_help[] =
	"Usage: retain COMMAND [options]\n"
	"\n"
	"retain keeps one record per subscriber access session (login/logoff time,\n"
	"account, assigned address, calling number) and answers lawful queries.\n"
	"\n"
	"Commands:\n"
	"  ingest CAPTURE...   build sessions from pcap/pcapng captures into a store\n"
	"  query ip|account|calling VALUE   answer a lawful query\n"
	"  export              write stored sessions as jsonl, csv or json\n"
	"  expire              delete sessions past the retention period (default 60d)\n"
	"  stats               store size and ingest counters\n"
	"  version             print the version\n"
	"\n"
	"'retain COMMAND --help' describes each command.\n";

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc < 2) {
		fputs(main_help, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "ingest") == 0)
		return cmd_ingest(argc, argv);
	if (strcmp(cmd, "query") == 0)
		return cmd_query_or_export(argc, argv, false);
	if (strcmp(cmd, "export") == 0)
		return cmd_query_or_export(argc, argv, true);
	if (strcmp(cmd, "expire") == 0)
		return cmd_expire(argc, argv);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(argc, argv);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("retain %s\n", RETAIN_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(main_help, stdout);
		return 0;
	}
	fprintf(stderr, "%s: unknown command '%s'\n\n%s", prog, cmd, main_help);
	return EXIT_USAGE;
}
