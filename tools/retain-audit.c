/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retain audit: prove what a store kept.
 *
 *   retain audit replay CAPTURE... --store DIR [--secrets FILE]
 *
 * The replay ingests the captures into a fresh temporary store with the
 * very code path of `retain ingest` (control/ingest.h), then compares every
 * session of the two stores by (nas_ip, session_id, start_ns), field for
 * field (the keys of the JSON output).  Sessions the replay builds that
 * ended before the store's expiry horizon are counted as expired, not
 * missing: retention removed them lawfully.
 *
 * `retain audit log` and `retain audit verify` (the query audit log,
 * issue 6b) dispatch from cmd_audit() below.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "ingest.h"
#include "output.h"
#include "store.h"
#include "timefmt.h"

#include "cli.h"

enum { EXIT_DIFFERENT = 5 };

static const char replay_help[] =
	"Usage: retain audit replay CAPTURE... --store DIR [--secrets FILE] [--line-map FILE] [options]\n"
	"\n"
	"Rebuild the sessions of archived captures in a temporary store, exactly as\n"
	"'retain ingest' would, and compare them with the store: every session by\n"
	"(nas_ip, session_id, start_ns), every field.  Lists sessions missing from\n"
	"the store, extra in the store, and differing (with the fields).\n"
	"\n"
	"Options:\n"
	"  -s, --store DIR      the store to audit (env RETAIN_STORE)\n"
	"  -k, --secrets FILE   the RADIUS secrets the store was built with\n"
	"      --line-map FILE  the DHCP line map the store was built with\n"
	"  -f, --format F       text (default) or jsonl: one JSON object per difference\n"
	"                       {\"kind\":\"missing\"|\"extra\"|\"differs\",\"key\":...,...}\n"
	"      --tmpdir DIR     where the temporary store goes (default $TMPDIR or /tmp)\n"
	"  -h, --help\n"
	"\n"
	"Exit status: 0 identical (\"0 differences\"), 5 different, 1 usage error,\n"
	"2 store or capture failure.\n";

/* A loaded set of sessions, sorted by key. */
struct set {
	struct rt_session *v;
	size_t n, cap;
};

static int collect(void *ctx, const struct rt_session *s)
{
	struct set *set = ctx;
	if (set->n == set->cap) {
		size_t nc = set->cap ? set->cap * 2 : 1024;
		struct rt_session *nv = realloc(set->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		set->v = nv;
		set->cap = nc;
	}
	set->v[set->n++] = *s;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct rt_session *x = a, *y = b;
	if (x->nas_ip.family != y->nas_ip.family)
		return x->nas_ip.family < y->nas_ip.family ? -1 : 1;
	int c = memcmp(x->nas_ip.a, y->nas_ip.a, 16);
	if (c)
		return c;
	unsigned m = x->session_id.len < y->session_id.len ? x->session_id.len : y->session_id.len;
	c = memcmp(x->session_id.v, y->session_id.v, m);
	if (c)
		return c;
	if (x->session_id.len != y->session_id.len)
		return x->session_id.len < y->session_id.len ? -1 : 1;
	return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

static int load(const char *dir, struct set *set, int64_t *ret_horizon)
{
	st_store *st;
	int rc = st_store_open_with(dir, ST_OPEN_RDONLY,
				    &(struct st_open_opts){.map_size = cli_map_size(), .keys = cli_keys()}, &st);
	if (rc)
		return rc;
	struct st_query q = {.kind = ST_Q_ALL, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
	rc = st_store_query(st, &q, collect, set);
	if (!rc && ret_horizon) {
		struct st_stats s;
		rc = st_store_stats(st, &s);
		*ret_horizon = s.expired_before_ns;
	}
	st_store_close(st);
	if (!rc)
		qsort(set->v, set->n, sizeof(*set->v), cmp_key);
	return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

struct differ {
	bool jsonl;
	uint64_t missing, extra, differs, expired;
};

static void report(struct differ *d, const char *kind, const struct rt_session *s,
		   const struct rt_session *other)
{
	json_t *js = ctl_session_json(s);
	json_t *key = json_object();
	json_object_set(key, "nas_ip", json_object_get(js, "nas_ip"));
	json_object_set(key, "session_id", json_object_get(js, "session_id"));
	json_object_set(key, "start_ns", json_object_get(js, "start_ns"));
	json_t *fields = NULL;
	json_t *jo = NULL;
	if (other) {
		/* s: the replay's, other: the store's */
		jo = ctl_session_json(other);
		fields = json_object();
		const char *k;
		json_t *v;
		json_object_foreach(js, k, v) {
			json_t *w = json_object_get(jo, k);
			if (!w || !json_equal(v, w)) {
				json_t *pair = json_object();
				json_object_set(pair, "replay", v);
				json_object_set(pair, "store", w ? w : json_null());
				json_object_set_new(fields, k, pair);
			}
		}
	}
	if (d->jsonl) {
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string(kind));
		json_object_set(o, "key", key);
		if (fields)
			json_object_set(o, "fields", fields);
		else
			json_object_set(o, "session", js);
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		char *k = json_dumps(key, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%-8s %s", kind, k ? k : "?");
		free(k);
		if (fields) {
			const char *f;
			json_t *v;
			json_object_foreach(fields, f, v) {
				char *a = json_dumps(json_object_get(v, "replay"), JSON_ENCODE_ANY);
				char *b = json_dumps(json_object_get(v, "store"), JSON_ENCODE_ANY);
				printf(" %s: replay %s, store %s;", f, a ? a : "?", b ? b : "?");
				free(a);
				free(b);
			}
		} else {
			const char *acc = json_string_value(json_object_get(js, "account"));
			printf(" account %s", acc ? acc : "-");
		}
		putchar('\n');
	}
	json_decref(fields);
	json_decref(key);
	json_decref(js);
	json_decref(jo);
}

static void compare(struct differ *d, const struct set *replay, const struct set *store,
		    int64_t horizon)
{
	size_t i = 0, j = 0;
	while (i < replay->n || j < store->n) {
		int c = i == replay->n ? 1 : j == store->n ? -1 : cmp_key(&replay->v[i], &store->v[j]);
		if (c < 0) {
			const struct rt_session *s = &replay->v[i++];
			if (horizon != RT_TIME_NONE && s->stop_ns != RT_TIME_NONE &&
			    s->stop_ns < horizon) {
				d->expired++;
				continue;
			}
			d->missing++;
			report(d, "missing", s, NULL);
		} else if (c > 0) {
			d->extra++;
			report(d, "extra", &store->v[j++], NULL);
		} else {
			json_t *a = ctl_session_json(&replay->v[i]), *b = ctl_session_json(&store->v[j]);
			if (!a || !b || !json_equal(a, b)) {
				d->differs++;
				report(d, "differs", &replay->v[i], &store->v[j]);
			}
			json_decref(a);
			json_decref(b);
			i++;
			j++;
		}
	}
}

int cmd_audit_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'}, {"secrets", required_argument, NULL, 'k'},
		{"format", required_argument, NULL, 'f'}, {"tmpdir", required_argument, NULL, 'T'},
		{"line-map", required_argument, NULL, 'L'}, {"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *store = NULL, *secrets = NULL, *line_map = NULL, *tmp = getenv("TMPDIR");
	struct differ d = {0};
	int c;
	while ((c = getopt_long(argc, argv, "s:k:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			store = optarg;
			break;
		case 'k':
			secrets = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "jsonl") == 0)
				d.jsonl = true;
			else if (strcmp(optarg, "text"))
				die_usage("audit replay ", "--format: '%s' is not text or jsonl",
					  optarg);
			break;
		case 'T':
			tmp = optarg;
			break;
		case 'L':
			line_map = optarg;
			break;
		case 'h':
			fputs(replay_help, stdout);
			return 0;
		default:
			die_usage("audit replay ", "bad option");
		}
	}
	store = store_from_env(store);
	if (!store)
		die_usage("audit replay ", "--store DIR is required");
	if (optind >= argc)
		die_usage("audit replay ", "no capture file given");
	for (int i = optind; i < argc; i++)
		if (access(argv[i], R_OK) != 0) {
			fprintf(stderr, "%s: cannot read capture %s: %s\n", prog, argv[i],
				strerror(errno));
			return EXIT_USAGE;
		}

	struct set have = {0}, want = {0};
	int64_t horizon = RT_TIME_NONE;
	int rc = load(store, &have, &horizon);
	if (rc) {
		fprintf(stderr, "%s: store %s: %s\n", prog, store, st_strerror(rc));
		free(have.v);
		return EXIT_RUNTIME;
	}

	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/retain-replay.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "%s: temporary store: %s\n", prog, strerror(errno));
		free(have.v);
		return EXIT_RUNTIME;
	}
	struct ctl_ingest_opts o;
	ctl_ingest_opts_default(&o);
	o.map_size = cli_map_size();
	o.keys_path = cli_keys_path();
	o.store_dir = dir;
	o.secrets_path = secrets;
	o.line_map_path = line_map;
	o.log = log_stderr;
	o.max_reject_log = 0;
	struct ctl_ingest_result r;
	char err[512];
	int exit_rc = 0;
	rc = ctl_ingest((const char *const *)argv + optind, (size_t)(argc - optind), &o, &r, err,
			sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: replay failed: %s\n", prog, err);
		exit_rc = EXIT_RUNTIME;
		goto remove_tmp;
	}
	if (r.capture_errors)
		fprintf(stderr, "%s: %" PRIu64 " capture(s) could not be read completely; "
				"comparing what was read\n", prog, r.capture_errors);
	rc = load(dir, &want, NULL);
	if (rc) {
		fprintf(stderr, "%s: replay store: %s\n", prog, st_strerror(rc));
		exit_rc = EXIT_RUNTIME;
		goto remove_tmp;
	}
	compare(&d, &want, &have, horizon);
	uint64_t total = d.missing + d.extra + d.differs;
	if (d.jsonl) {
		printf("{\"kind\":\"summary\",\"replayed\":%zu,\"stored\":%zu,\"missing\":%" PRIu64
		       ",\"extra\":%" PRIu64 ",\"differs\":%" PRIu64 ",\"expired\":%" PRIu64
		       ",\"differences\":%" PRIu64 "}\n",
		       want.n, have.n, d.missing, d.extra, d.differs, d.expired, total);
	} else {
		printf("replayed %zu sessions, store holds %zu: %" PRIu64 " missing, %" PRIu64
		       " extra, %" PRIu64 " differing, %" PRIu64 " expired by retention\n",
		       want.n, have.n, d.missing, d.extra, d.differs, d.expired);
		printf("%" PRIu64 " difference%s\n", total, total == 1 ? "" : "s");
	}
	exit_rc = total ? EXIT_DIFFERENT : 0;
remove_tmp:
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(have.v);
	free(want.v);
	if (fflush(stdout) != 0 && !exit_rc)
		exit_rc = EXIT_RUNTIME;
	return exit_rc;
}

/* ---- audit log, audit verify (the query audit log, control/audit.h) ---- */

static const char auditlog_help[] =
	"Usage: retain audit log --store DIR [--format text|jsonl]\n"
	"       retain audit verify --store DIR\n"
	"\n"
	"The audit log (DIR/audit.log) records every lawful query and every refused\n"
	"request, hash-chained: each entry holds the SHA-256 of the one before.\n"
	"\n"
	"  log      print the entries (text: one line each; jsonl: as stored)\n"
	"  verify   walk the chain; exit 0 when intact, 5 naming the first entry that\n"
	"           was edited, deleted, inserted, moved or cut short.  Keep the last\n"
	"           hash it prints: removing entries from the end is only visible\n"
	"           against a hash kept elsewhere.\n"
	"\n"
	"Options:\n"
	"  -s, --store DIR      store directory (env RETAIN_STORE)\n"
	"  -f, --format F       log: text (default) or jsonl\n"
	"  -h, --help\n";

struct auditlog_opts {
	const char *store;
	const char *format;
};

static void auditlog_parse_opts(int argc, char **argv, struct auditlog_opts *o)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "s:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->store = optarg;
			break;
		case 'f':
			o->format = optarg;
			break;
		case 'h':
			fputs(auditlog_help, stdout);
			exit(0);
		default:
			die_usage("audit ", "bad option");
		}
	}
	if (optind != argc)
		die_usage("audit ", "unexpected argument '%s'", argv[optind]);
	o->store = store_from_env(o->store);
	if (!o->store)
		die_usage("audit ", "--store DIR is required");
}

struct auditlog_print {
	bool jsonl;
	uint64_t unreadable;
};

/* A text field of an (untrusted) entry for a terminal: control bytes
 * become '?', at most 255 bytes are shown.  Six rotating static buffers:
 * enough for the fields of one printf. */
static const char *jstr_or(json_t *o, const char *k, const char *dflt)
{
	static char bufs[6][256];
	static unsigned next;
	const char *s = json_string_value(json_object_get(o, k));
	if (!s)
		return dflt;
	char *b = bufs[next++ % 6];
	size_t i = 0;
	for (; s[i] && i < sizeof(bufs[0]) - 1; i++)
		b[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	b[i] = '\0';
	return b;
}

static int auditlog_print_entry(void *ctx, uint64_t line, json_t *e)
{
	struct auditlog_print *p = ctx;
	if (!e) {
		fprintf(stderr, "%s: audit.log line %" PRIu64 " is not a readable entry\n", prog,
			line);
		p->unreadable++;
		return 0;
	}
	if (p->jsonl) {
		json_dumpf(e, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		return 0;
	}
	json_t *seq = json_object_get(e, "seq"), *rc = json_object_get(e, "result_count");
	char *q = json_dumps(json_object_get(e, "query"), JSON_COMPACT | JSON_PRESERVE_ORDER |
								   JSON_ENCODE_ANY);
	printf("%-6" JSON_INTEGER_FORMAT " %-30s %-28s %-9s authority=%s case=%s results=%"
	       JSON_INTEGER_FORMAT " %s query=%s\n",
	       json_integer_value(seq), jstr_or(e, "time", "?"), jstr_or(e, "client", "?"),
	       jstr_or(e, "role", "-"), jstr_or(e, "authority", "(none)"),
	       jstr_or(e, "case", "(none)"), json_integer_value(rc), jstr_or(e, "outcome", "?"),
	       q ? q : "null");
	free(q);
	return 0;
}

/* retain audit log */
static int cmd_audit_log(int argc, char **argv)
{
	struct auditlog_opts o = {.format = "text"};
	auditlog_parse_opts(argc, argv, &o);
	struct auditlog_print p = {0};
	if (strcmp(o.format, "jsonl") == 0)
		p.jsonl = true;
	else if (strcmp(o.format, "text") != 0)
		die_usage("audit ", "--format: '%s' is not text or jsonl", o.format);
	int rc = ctl_audit_read(o.store, auditlog_print_entry, &p);
	if (fflush(stdout) != 0 && !rc)
		rc = -errno;
	if (rc) {
		fprintf(stderr, "%s: audit log in %s: %s\n", prog, o.store, strerror(-rc));
		return EXIT_RUNTIME;
	}
	if (p.unreadable) {
		fprintf(stderr, "%s: %" PRIu64 " unreadable line(s): run 'retain audit verify'\n",
			prog, p.unreadable);
		return EXIT_DIFFERENT;
	}
	return 0;
}

/* retain audit verify: exit 0 intact, 5 broken (naming the entry). */
static int cmd_audit_verify(int argc, char **argv)
{
	struct auditlog_opts o = {0};
	auditlog_parse_opts(argc, argv, &o);
	if (o.format)
		die_usage("audit ", "verify takes no --format");
	struct ctl_audit_report r;
	int rc = ctl_audit_verify(o.store, &r);
	if (rc) {
		fprintf(stderr, "%s: audit log in %s: %s\n", prog, o.store, strerror(-rc));
		return EXIT_RUNTIME;
	}
	if (r.fail != CTL_AUDIT_INTACT) {
		printf("audit log BROKEN at %s\n", r.detail);
		printf("%" PRIu64 " entries intact before it; last intact hash %s\n", r.entries,
		       r.last_hash);
		return EXIT_DIFFERENT;
	}
	printf("audit log %s\n", r.detail);
	return 0;
}

static const char audit_help[] =
	"Usage: retain audit replay CAPTURE... --store DIR [--secrets FILE]\n"
	"\n"
	"  replay   rebuild sessions from archived captures and compare with the store\n"
	"  log      print the audit log of lawful queries (retain audit log --store DIR)\n"
	"  verify   check the audit log's hash chain (retain audit verify --store DIR)\n"
	"\n"
	"'retain audit SUBCOMMAND --help' describes each.\n";

int cmd_audit(int argc, char **argv)
{
	if (argc < 2) {
		fputs(audit_help, stderr);
		return EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "replay") == 0)
		return cmd_audit_replay(argc - 1, argv + 1);
	if (strcmp(sub, "log") == 0)
		return cmd_audit_log(argc - 1, argv + 1);
	if (strcmp(sub, "verify") == 0)
		return cmd_audit_verify(argc - 1, argv + 1);
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		fputs(audit_help, stdout);
		return 0;
	}
	fprintf(stderr, "%s: unknown audit command '%s'\n\n%s", prog, sub, audit_help);
	return EXIT_USAGE;
}
