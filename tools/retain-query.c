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
#include <pwd.h>
#include <unistd.h>

#include "audit.h"
#include "ingest.h"
#include "lawful.h"
#include "output.h"
#include "store.h"
#include "timefmt.h"

#include "cli.h"

/* ---- query / export --------------------------------------------------- */

static const char query_help[] =
	"Usage: retain query ip ADDR (--at T | --from T1 --to T2) [options]\n"
	"       retain query account NAME --from T1 --to T2 [options]\n"
	"       retain query calling NUMBER --from T1 --to T2 [options]\n"
	"       retain query nas ADDR --from T1 --to T2 [options]\n"
	"\n"
	"Answer a lawful query: the sessions that held an address at an instant or\n"
	"during a range, or every session of an account or calling number that\n"
	"overlaps [T1, T2] (inclusive).  An IPv6 ADDR is found inside a session's\n"
	"IPv6 prefix or delegated prefix (or as its IPv6 address); nas lists the\n"
	"sessions of one NAS (IPv4 or IPv6 address).  Times: RFC 3339 (2026-10-01T08:00:00Z,\n"
	"offsets and fractions allowed), a date, or epoch seconds.\n"
	"\n"
	"Options:\n"
	"  -s, --store DIR      store directory (env RETAIN_STORE)\n"
	"      --at T           instant (ip only)\n"
	"      --from T1, --to T2  range\n"
	"  -f, --format F       table (default), json, jsonl, csv or xml (ETSI TS 102 657\n"
	"                       shaped); results are joined with the registry\n"
	"                       (key \"registered\", registered_* CSV columns)\n"
	"      --authority WHO  the authority asking (recorded in the audit log)\n"
	"      --case ID        the legal basis: case or warrant number (audit log)\n"
	"  -h, --help\n"
	"\n"
	"Every query is written to the store's audit log (DIR/audit.log, see\n"
	"'retain audit --help') and made durable before any result is printed.\n"
	"Without --authority and --case the query still runs (the local operator is\n"
	"root) but the entry records them as null and a warning says so.\n"
	"\n"
	"Exit status: 0 with results, 4 when nothing matched, 1 bad request, 2 store error.\n";

static const char export_help[] =
	"Usage: retain export --store DIR [--from T1 --to T2] [--format jsonl|csv|json|table|xml]\n"
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
	int rc = st_store_open_with(store, ST_OPEN_RDONLY,
				    &(struct st_open_opts){.map_size = cli_map_size(), .keys = cli_keys()}, &st);
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

/* "cli:" + the invoking user's name (the uid if it has none). */
static void cli_client(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		snprintf(buf, len, "cli:%s", pw->pw_name);
	else
		snprintf(buf, len, "cli:uid%u", (unsigned)getuid());
}

/*
 * A lawful query: results into memory, a durable audit entry, and only then
 * the results on stdout (control/audit.h).
 */
static int run_lawful_query(const char *store, const struct st_query *q, enum ctl_fmt fmt,
			    json_t *query, const char *authority, const char *case_id)
{
	if (!authority || !case_id)
		fprintf(stderr, "%s: warning: no --authority/--case given: the audit log records "
				"this query with them as null\n", prog);
	st_store *st;
	int rc = st_store_open_with(store, ST_OPEN_RDONLY,
				    &(struct st_open_opts){.map_size = cli_map_size(), .keys = cli_keys()}, &st);
	if (rc) {
		fprintf(stderr, "%s: store %s: %s\n", prog, store, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	struct ctl_lawq_result res;
	rc = ctl_lawq_run(st, q, 0, &res);
	st_store_close(st);
	if (rc) {
		fprintf(stderr, "%s: query failed: %s\n", prog, st_strerror(rc));
		return EXIT_RUNTIME;
	}
	char client[96];
	cli_client(client, sizeof(client));
	struct ctl_audit_entry ae = {
		.client = client,
		.role = "authority",
		.authority = authority,
		.case_id = case_id,
		.query = query,
		.result_count = res.n,
		.result_digest = res.digest,
		.outcome = "ok",
	};
	ctl_audit *log;
	rc = ctl_audit_open(store, &log);
	if (!rc) {
		rc = ctl_audit_append(log, &ae, NULL);
		ctl_audit_close(log);
	}
	if (rc) {
		fprintf(stderr, "%s: audit log %s/%s: %s: no results released\n", prog, store,
			CTL_AUDIT_FILE, rc == -EBADMSG ? "its last entry is damaged (see 'retain "
							 "audit verify')" : strerror(-rc));
		ctl_lawq_result_clear(&res);
		return EXIT_RUNTIME;
	}
	/* results are joined with the registry (exports are not) */
	ctl_registry *reg;
	rc = ctl_registry_open(store, 0, &reg);
	if (rc) {
		fprintf(stderr, "%s: registry of %s: %s\n", prog, store,
			ctl_registry_strerror(rc));
		ctl_lawq_result_clear(&res);
		return EXIT_RUNTIME;
	}
	struct ctl_out out;
	ctl_out_begin_joined(&out, stdout, fmt, reg);
	for (size_t i = 0; i < res.n && rc == 0; i++)
		rc = ctl_out_row(&out, &res.rows[i]);
	int orc = ctl_out_end(&out);
	ctl_registry_close(reg);
	size_t n = res.n;
	ctl_lawq_result_clear(&res);
	if (rc || orc) {
		fprintf(stderr, "%s: writing results: %s\n", prog, strerror(-(rc ? rc : orc)));
		return EXIT_RUNTIME;
	}
	return n == 0 ? EXIT_EMPTY : 0;
}

/* The request as the audit log records it (the API's request shape). */
static json_t *query_json(const char *kind, const char *val, const char *at, const char *from,
			  const char *to, const char *fmt)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(kind));
	/* Raw bytes from argv: invalid UTF-8 is shown the way outputs show it. */
	size_t n = strlen(val);
	char *clean = malloc(2 * n + 1);
	if (clean) {
		ctl_utf8_clean(val, n, clean);
		json_object_set_new(o, "value", json_string(clean));
		free(clean);
	}
	if (at)
		json_object_set_new(o, "at", json_string(at));
	if (from)
		json_object_set_new(o, "from", json_string(from));
	if (to)
		json_object_set_new(o, "to", json_string(to));
	json_object_set_new(o, "format", json_string(fmt));
	return o;
}

static int query_or_export(int argc, char **argv, bool is_export)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'}, {"at", required_argument, NULL, 'a'},
		{"from", required_argument, NULL, 'F'},  {"to", required_argument, NULL, 'T'},
		{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
		{"authority", required_argument, NULL, 'A'}, {"case", required_argument, NULL, 'C'},
		{0},
	};
	const char *cmd = is_export ? "export " : "query ";
	const char *store = NULL, *at = NULL, *from = NULL, *to = NULL;
	const char *authority = NULL, *case_id = NULL, *fmt_name = "table";
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
		case 'A':
			authority = optarg;
			break;
		case 'C':
			case_id = optarg;
			break;
		case 'f':
			fmt_name = optarg;
			if (ctl_fmt_parse(optarg, &fmt) < 0)
				die_usage(cmd, "--format: '%s' is not json, jsonl, csv, table or xml",
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
		if (authority || case_id)
			die_usage(cmd, "--authority and --case are for queries");
		if (q.from_ns > q.to_ns)
			die_usage(cmd, "--from is after --to");
		q.kind = ST_Q_ALL;
		return run_query(store, &q, fmt, false);
	}

	if (argc - optind != 2)
		die_usage(cmd, "expected a query type (ip, account, calling, nas) and a value");
	const char *kind = argv[optind], *val = argv[optind + 1];
	if (strcmp(kind, "ip") == 0) {
		struct in_addr a4;
		struct in6_addr a6;
		bool v6 = false;
		if (inet_pton(AF_INET, val, &a4) == 1) {
			memcpy(q.ipv4, &a4, 4);
		} else if (inet_pton(AF_INET6, val, &a6) == 1) {
			memcpy(q.ipv6, &a6, 16);
			v6 = true;
		} else {
			die_usage(cmd, "'%s' is not an IP address", val);
		}
		if (at) {
			if (from || to)
				die_usage(cmd, "give either --at or --from/--to");
			q.kind = v6 ? ST_Q_IPV6_AT : ST_Q_IPV4_AT;
			q.from_ns = q.to_ns = parse_time_or_die(cmd, "--at", at);
		} else if (from && to) {
			q.kind = v6 ? ST_Q_IPV6_RANGE : ST_Q_IPV4_RANGE;
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
	} else if (strcmp(kind, "nas") == 0) {
		struct in_addr a4;
		struct in6_addr a6;
		if (at)
			die_usage(cmd, "--at is for address queries; use --from and --to");
		if (!from || !to)
			die_usage(cmd, "query nas needs --from T1 --to T2");
		if (inet_pton(AF_INET, val, &a4) == 1) {
			q.nas.family = 4;
			memcpy(q.nas.a, &a4, 4);
		} else if (inet_pton(AF_INET6, val, &a6) == 1) {
			q.nas.family = 6;
			memcpy(q.nas.a, &a6, 16);
		} else {
			die_usage(cmd, "'%s' is not an IP address", val);
		}
		q.kind = ST_Q_NAS_RANGE;
	} else {
		die_usage(cmd, "unknown query type '%s' (ip, account, calling, nas)", kind);
	}
	if (q.from_ns > q.to_ns)
		die_usage(cmd, "--from is after --to");
	if ((authority && (!*authority || strlen(authority) > CTL_LAWQ_LABEL_MAX)) ||
	    (case_id && (!*case_id || strlen(case_id) > CTL_LAWQ_LABEL_MAX)))
		die_usage(cmd, "--authority and --case must be 1..%d bytes", CTL_LAWQ_LABEL_MAX);
	/* Shown in the audit log the way outputs show raw bytes (valid UTF-8). */
	char auth_c[2 * CTL_LAWQ_LABEL_MAX + 1], case_c[2 * CTL_LAWQ_LABEL_MAX + 1];
	if (authority)
		ctl_utf8_clean(authority, strlen(authority), auth_c);
	if (case_id)
		ctl_utf8_clean(case_id, strlen(case_id), case_c);
	json_t *qj = query_json(kind, val, at, from, to, fmt_name);
	int rc = run_lawful_query(store, &q, fmt, qj, authority ? auth_c : NULL,
				  case_id ? case_c : NULL);
	json_decref(qj);
	return rc;
}


int cmd_query(int argc, char **argv)
{
	return query_or_export(argc, argv, false);
}

int cmd_export(int argc, char **argv)
{
	return query_or_export(argc, argv, true);
}
