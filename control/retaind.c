/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retaind - the retain daemon.  Today: the lawful-query HTTPS API over a
 * store (capture sources and the writer come later, DESIGN.md 8).
 *
 *   POST /v1/query         authority: a lawful query, audited before results
 *   GET  /v1/health        operator: is the store readable
 *   GET  /v1/stats         operator: counters and sizes (no personal data)
 *   GET  /v1/metrics       operator: the same and the alarms, Prometheus text format
 *   GET  /v1/audit         auditor: the audit log, JSON Lines
 *   GET  /v1/audit/verify  auditor: the hash chain's state
 *
 * Clients authenticate with "Authorization: Bearer TOKEN"; the tokens file
 * holds SHA-256 hashes of the tokens and each client's role (ctl_config.h).
 * Every lawful query, every audit read and every refusal is written to the
 * audit log (audit.h) and made durable before the answer is sent; if that
 * fails the answer is 503 and nothing is released.
 *
 * Threads: libmicrohttpd's one internal polling thread serves requests; the
 * main thread waits for SIGTERM/SIGINT.  Logs go to stderr (journald).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <systemd/sd-daemon.h>
#include <openssl/crypto.h>

#include "config.h"
#include "audit.h"
#include "ctl_config.h"
#include "worker.h"
#include "alarm.h"
#include "lawful.h"
#include "output.h"
#include "registry.h"
#include "store.h"
#include "timefmt.h"
#include "crypt.h"

#define CERT_MAX (1u << 20)

struct daemon {
	struct ctl_config cfg;
	struct ctl_tokens tokens;
	st_keyring *keys; /* [store] keys, for the read-only opens of queries */
	ctl_audit *audit;
	pthread_mutex_t audit_lock;
	int64_t started_ns;
	atomic_uint_fast64_t n_requests, n_queries, n_refused, n_errors;
};

/* Per-request state: the body read so far (bounded). */
struct request {
	char *body;
	size_t len;
	bool too_big;
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("retaind: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The worker loop turns at least every 100 ms; a seal install or a slow
 * fsync holds it for seconds.  Standing still longer: the worker alarm. */
#define WORKER_STUCK_NS (30 * 1000000000LL)

/* CLOCK_MONOTONIC, as the worker's beat */
static int64_t mono_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- responses --------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
			     char *body, size_t len, const char *audit_seq)
{
	/* body is malloc'ed (or NULL) and owned by the response from here. */
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body ? body : (char *)"",
								 body ? MHD_RESPMEM_MUST_FREE
								      : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (audit_seq)
		MHD_add_response_header(r, "X-Audit-Seq", audit_seq);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, json_t *o,
				  const char *audit_seq)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!s)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json",
			     strdup("{\"error\":\"out of memory\"}\n"), 25, NULL);
	size_t n = strlen(s);
	char *b = realloc(s, n + 2);
	if (!b) {
		free(s);
		return MHD_NO;
	}
	b[n] = '\n';
	b[n + 1] = '\0';
	return reply(c, status, "application/json", b, n + 1, audit_seq);
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return reply_json(c, status, json_pack("{s:s}", "error", msg), NULL);
}

/* ---- audit ------------------------------------------------------------- */

struct ctx {
	struct daemon *d;
	struct MHD_Connection *conn;
	const char *method, *url;
	char client[128];
	const struct ctl_token *who; /* NULL: not authenticated */
};

/* Append an entry; 0 or -errno.  Logged here on failure. */
static int audit(struct ctx *x, const char *authority, const char *case_id, json_t *query,
		 uint64_t count, const char *digest, const char *outcome, uint64_t *ret_seq)
{
	struct ctl_audit_entry e = {
		.client = x->client,
		.role = x->who ? ctl_role_name(x->who->role) : NULL,
		.authority = authority,
		.case_id = case_id,
		.query = query,
		.result_count = count,
		.result_digest = digest,
		.outcome = outcome,
	};
	json_t *own = NULL;
	if (!query)
		e.query = own = json_pack("{s:s,s:s}", "method", x->method, "path", x->url);
	pthread_mutex_lock(&x->d->audit_lock);
	int rc = ctl_audit_append(x->d->audit, &e, ret_seq);
	pthread_mutex_unlock(&x->d->audit_lock);
	json_decref(own);
	if (rc)
		logf_("audit log append failed: %s (answering 503, nothing released)",
		      strerror(-rc));
	return rc;
}

/* Refuse: audit what is known, then answer status with {"error": why}. */
static enum MHD_Result refuse(struct ctx *x, unsigned status, const char *why,
			      const char *authority, const char *case_id, json_t *query)
{
	atomic_fetch_add(&x->d->n_refused, 1);
	char outcome[320];
	snprintf(outcome, sizeof(outcome), "refused: %s", why);
	if (audit(x, authority, case_id, query, 0, NULL, outcome, NULL) < 0)
		return reply_error(x->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "audit log unavailable");
	logf_("%s %s %s: %u %s", x->client, x->method, x->url, status, why);
	return reply_error(x->conn, status, why);
}

/* ---- endpoints --------------------------------------------------------- */

/* The registry join of one row: the registered identity, or null when the
 * account is not registered (or there is no registry). */
static json_t *registered_json(ctl_registry *reg, const struct rt_session *s)
{
	struct ctl_identity id;
	if (!reg || s->account.len == 0 ||
	    ctl_registry_get(reg, s->account.v, s->account.len, &id) != 0)
		return json_null();
	json_t *j = ctl_identity_json(&id);
	return j ? j : json_null();
}

static enum MHD_Result do_query(struct ctx *x, struct request *rq)
{
	struct daemon *d = x->d;
	json_error_t jerr;
	json_t *body = json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES,
				  &jerr);
	if (!body) {
		char why[256];
		snprintf(why, sizeof(why), "bad JSON: %s (line %d column %d)", jerr.text,
			 jerr.line, jerr.column);
		return refuse(x, MHD_HTTP_BAD_REQUEST, why, NULL, NULL, NULL);
	}
	struct ctl_lawq_req req;
	enum ctl_lawq_err perr = ctl_lawq_parse(body, &req);
	enum MHD_Result ret;
	if (perr != CTL_LAWQ_OK) {
		ret = refuse(x, MHD_HTTP_BAD_REQUEST, ctl_lawq_strerror(perr), req.authority,
			     req.case_id, json_is_object(body) ? body : NULL);
		goto out_body;
	}
	st_store *st;
	int rc = st_store_open_with(d->cfg.store_dir, ST_OPEN_RDONLY,
				    &(struct st_open_opts){.keys = d->keys}, &st);
	if (rc) {
		logf_("store %s: %s", d->cfg.store_dir, st_strerror(rc));
		atomic_fetch_add(&d->n_errors, 1);
		ret = refuse(x, MHD_HTTP_SERVICE_UNAVAILABLE, "store unavailable", req.authority,
			     req.case_id, body);
		goto out_body;
	}
	struct ctl_lawq_result res;
	rc = ctl_lawq_run(st, &req.q, d->cfg.max_rows, &res);
	st_store_close(st);
	if (rc == -E2BIG) {
		char why[128];
		snprintf(why, sizeof(why), "more than %" PRIu32 " sessions match: narrow the range",
			 d->cfg.max_rows);
		ret = refuse(x, MHD_HTTP_BAD_REQUEST, why, req.authority, req.case_id, body);
		goto out_body;
	}
	if (rc) {
		logf_("query failed: %s", st_strerror(rc));
		atomic_fetch_add(&d->n_errors, 1);
		ret = refuse(x, MHD_HTTP_INTERNAL_SERVER_ERROR, "query failed (see the daemon log)",
			     req.authority, req.case_id, body);
		goto out_body;
	}

	/* A missing registry reads as an empty one (registry.h). */
	ctl_registry *reg = NULL;
	int rrc = ctl_registry_open(d->cfg.store_dir, 0, &reg);
	if (rrc) {
		logf_("registry in %s: error %d: rows are not joined", d->cfg.store_dir, rrc);
		reg = NULL;
	}

	/* Durable audit entry first; only then the results (audit.h). */
	uint64_t seq;
	if (audit(x, req.authority, req.case_id, body, res.n, res.digest, "ok", &seq) < 0) {
		ret = reply_error(x->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "audit log unavailable");
		goto out_res;
	}
	atomic_fetch_add(&d->n_queries, 1);
	char seqs[24];
	snprintf(seqs, sizeof(seqs), "%" PRIu64, seq);
	logf_("%s %s %s: 200 rows=%zu audit_seq=%" PRIu64, x->client, x->method, x->url, res.n,
	      seq);

	if (req.csv || req.xml) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f) {
			ret = MHD_NO;
			goto out_res;
		}
		struct ctl_out o;
		ctl_out_begin_joined(&o, f, req.xml ? CTL_FMT_XML : CTL_FMT_CSV, reg);
		for (size_t i = 0; i < res.n; i++)
			ctl_out_row(&o, &res.rows[i]);
		int orc = ctl_out_end(&o);
		fclose(f);
		if (orc) {
			free(buf);
			ret = reply_error(x->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
			goto out_res;
		}
		ret = reply(x->conn, MHD_HTTP_OK,
			    req.xml ? "application/xml; charset=utf-8" : "text/csv; charset=utf-8",
			    buf, len, seqs);
		goto out_res;
	}

	json_t *rows = json_array();
	const char *p = res.jsonl, *end = res.jsonl + res.jsonl_len;
	for (size_t i = 0; i < res.n && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *row = json_loadb(p, n, 0, &jerr);
		if (row) {
			json_object_set_new(row, "registered", registered_json(reg, &res.rows[i]));
			json_array_append_new(rows, row);
		}
		p += n + 1;
	}
	json_t *o = json_pack("{s:I,s:I,s:s,s:o}", "count", (json_int_t)res.n, "audit_seq",
			      (json_int_t)seq, "result_digest", res.digest, "results", rows);
	ret = reply_json(x->conn, MHD_HTTP_OK, o, seqs);
out_res:
	ctl_lawq_result_clear(&res);
	ctl_registry_close(reg);
out_body:
	json_decref(body);
	return ret;
}

static int add_counter(void *ctx, const char *name, uint64_t v)
{
	json_object_set_new(ctx, name, json_integer((json_int_t)v));
	return 0;
}

/* The active alarms, by kind: {"store": {"since": T, "message": M}, ...}. */
static json_t *alarms_json(void)
{
	json_t *o = json_object();
	for (unsigned a = 0; a < CTL_ALARM_N; a++) {
		struct ctl_alarm_state s;
		ctl_alarm_get(a, &s);
		if (!s.active)
			continue;
		char since[CTL_TIME_BUF];
		ctl_time_format(s.since_ns, since);
		json_object_set_new(o, ctl_alarm_name(a),
				    json_pack("{s:s,s:s}", "since", since, "message", s.msg));
	}
	return o;
}

static enum MHD_Result do_health_stats(struct ctx *x, bool stats)
{
	struct daemon *d = x->d;
	json_t *o = json_object();
	/* degraded: the store cannot be read, or an alarm is active */
	json_object_set_new(o, "status", json_string(ctl_alarm_active() ? "degraded" : "ok"));
	json_object_set_new(o, "version", json_string(RETAIN_VERSION));
	json_object_set_new(o, "uptime_s", json_integer((now_ns() - d->started_ns) / 1000000000LL));
	st_store *st;
	int rc = st_store_open_with(d->cfg.store_dir, ST_OPEN_RDONLY,
				    &(struct st_open_opts){.keys = d->keys}, &st);
	json_object_set_new(o, "store", json_string(rc ? st_strerror(rc) : "ok"));
	if (rc)
		json_object_set_new(o, "status", json_string("degraded"));
	json_object_set_new(o, "alarms", alarms_json());
	if (stats) {
		if (!rc) {
			struct st_stats s;
			if (st_store_stats(st, &s) == 0) {
				json_t *js = json_pack(
					"{s:I,s:I,s:I,s:I,s:I}", "sessions_closed",
					(json_int_t)s.sessions_closed, "sessions_open",
					(json_int_t)s.sessions_open, "segments", (json_int_t)s.segments,
					"bytes_segments", (json_int_t)s.bytes_segments,
					"bytes_catalog", (json_int_t)s.bytes_catalog);
				json_object_set_new(o, "store_stats", js);
			}
			json_t *cn = json_object();
			st_store_counters(st, add_counter, cn);
			json_object_set_new(o, "counters", cn);
		}
		json_t *api = json_pack("{s:I,s:I,s:I,s:I}", "requests",
					(json_int_t)atomic_load(&d->n_requests), "queries",
					(json_int_t)atomic_load(&d->n_queries), "refused",
					(json_int_t)atomic_load(&d->n_refused), "errors",
					(json_int_t)atomic_load(&d->n_errors));
		json_object_set_new(o, "api", api);
		char path[CTL_PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/%s", d->cfg.store_dir, CTL_AUDIT_FILE);
		struct stat sb;
		json_object_set_new(o, "audit_log_bytes",
				    json_integer(stat(path, &sb) == 0 ? (json_int_t)sb.st_size : 0));
	}
	if (!rc)
		st_store_close(st);
	return reply_json(x->conn, MHD_HTTP_OK, o, NULL);
}

/*
 * GET /v1/metrics: Prometheus text exposition format (0.0.4).  Persistent
 * counters keep their names with '.' as '_' ("dpdk.rx" is
 * retain_dpdk_rx_total); a name the store gives that is not [a-z0-9_.]
 * is skipped (bytes read from disk: never trusted to be a metric name).
 */
#define METRICS_COUNTERS_MAX 256

struct metrics {
	FILE *f;
	unsigned n;
	char seen[METRICS_COUNTERS_MAX][96]; /* names given: each family once */
};

static bool metric_name(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	if (n == 0 || n + 1 > len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == '.')
			c = '_';
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
		buf[i] = c;
	}
	buf[n] = 0;
	return true;
}

static int metric_counter(void *ctx, const char *name, uint64_t v)
{
	struct metrics *m = ctx;
	char mn[96];
	if (!metric_name(name, mn, sizeof(mn)))
		return 0;
	/* "a.b" and "a_b" would be one family, and a counter may not take the
	 * name of one of the fixed families below: a duplicate TYPE makes a
	 * scraper reject the whole page */
	if (!strncmp(mn, "api_", 4) || !strncmp(mn, "alarm", 5) || m->n == METRICS_COUNTERS_MAX)
		return 0;
	for (unsigned i = 0; i < m->n; i++)
		if (!strcmp(m->seen[i], mn))
			return 0;
	memcpy(m->seen[m->n++], mn, sizeof(mn));
	/* the one maximum among the counters */
	bool gauge = strcmp(name, "store.seal_max_stall_ms") == 0;
	fprintf(m->f, "# TYPE retain_%s%s %s\nretain_%s%s %" PRIu64 "\n", mn, gauge ? "" : "_total",
		gauge ? "gauge" : "counter", mn, gauge ? "" : "_total", v);
	return 0;
}

static enum MHD_Result do_metrics(struct ctx *x)
{
	struct daemon *d = x->d;
	struct metrics *m = calloc(1, sizeof(*m)); /* 24 KiB: not on a thread's stack */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = m ? open_memstream(&buf, &len) : NULL;
	if (!f) {
		free(m);
		return reply_error(x->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	m->f = f;
	fprintf(f, "# HELP retain_up retaind answers.\n# TYPE retain_up gauge\nretain_up 1\n");
	fprintf(f, "# HELP retain_uptime_seconds Seconds since retaind started.\n"
		   "# TYPE retain_uptime_seconds gauge\nretain_uptime_seconds %lld\n",
		(long long)((now_ns() - d->started_ns) / 1000000000LL));
	fprintf(f, "# HELP retain_alarm An alarm is active (1): store (commits fail), seal, "
		   "expiry, clock (the wall clock stepped), worker (stands still).\n"
		   "# TYPE retain_alarm gauge\n");
	struct ctl_alarm_state al[CTL_ALARM_N];
	for (unsigned a = 0; a < CTL_ALARM_N; a++) {
		ctl_alarm_get(a, &al[a]);
		fprintf(f, "retain_alarm{kind=\"%s\"} %d\n", ctl_alarm_name(a), al[a].active);
	}
	fprintf(f, "# HELP retain_alarm_since_seconds When the active alarm started (Unix time).\n"
		   "# TYPE retain_alarm_since_seconds gauge\n");
	for (unsigned a = 0; a < CTL_ALARM_N; a++)
		if (al[a].active)
			fprintf(f, "retain_alarm_since_seconds{kind=\"%s\"} %lld\n",
				ctl_alarm_name(a), (long long)(al[a].since_ns / 1000000000LL));
	fprintf(f, "# HELP retain_alarms_raised_total Times each alarm became active since the "
		   "start.\n# TYPE retain_alarms_raised_total counter\n");
	for (unsigned a = 0; a < CTL_ALARM_N; a++)
		fprintf(f, "retain_alarms_raised_total{kind=\"%s\"} %" PRIu64 "\n",
			ctl_alarm_name(a), al[a].raised);
	st_store *st;
	int rc = st_store_open_with(d->cfg.store_dir, ST_OPEN_RDONLY,
				    &(struct st_open_opts){.keys = d->keys}, &st);
	fprintf(f, "# HELP retain_store_readable The store opens for reading.\n"
		   "# TYPE retain_store_readable gauge\nretain_store_readable %d\n", rc == 0);
	if (!rc) {
		struct st_stats ss;
		if (st_store_stats(st, &ss) == 0)
			fprintf(f,
				"# HELP retain_store_sessions Sessions in the store.\n"
				"# TYPE retain_store_sessions gauge\n"
				"retain_store_sessions{state=\"closed\"} %" PRIu64 "\n"
				"retain_store_sessions{state=\"open\"} %" PRIu64 "\n"
				"# HELP retain_store_segments Day segments in the store.\n"
				"# TYPE retain_store_segments gauge\nretain_store_segments %" PRIu64 "\n"
				"# HELP retain_store_bytes Bytes on disk.\n"
				"# TYPE retain_store_bytes gauge\n"
				"retain_store_bytes{part=\"segments\"} %" PRIu64 "\n"
				"retain_store_bytes{part=\"catalog\"} %" PRIu64 "\n",
				ss.sessions_closed, ss.sessions_open, ss.segments, ss.bytes_segments,
				ss.bytes_catalog);
		st_store_counters(st, metric_counter, m);
		st_store_close(st);
	}
	fprintf(f, "# HELP retain_api_requests_total API requests received.\n"
		   "# TYPE retain_api_requests_total counter\n"
		   "retain_api_requests_total %" PRIuFAST64 "\n"
		   "# TYPE retain_api_queries_total counter\nretain_api_queries_total %" PRIuFAST64 "\n"
		   "# TYPE retain_api_refused_total counter\nretain_api_refused_total %" PRIuFAST64 "\n"
		   "# TYPE retain_api_errors_total counter\nretain_api_errors_total %" PRIuFAST64 "\n",
		atomic_load(&d->n_requests), atomic_load(&d->n_queries), atomic_load(&d->n_refused),
		atomic_load(&d->n_errors));
	free(m);
	if (fclose(f) != 0) {
		free(buf);
		return reply_error(x->conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	return reply(x->conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf, len,
		     NULL);
}

struct audit_dump {
	FILE *f;
	uint64_t entries, unreadable;
};

static int dump_entry(void *ctx, uint64_t line, json_t *entry)
{
	struct audit_dump *a = ctx;
	if (!entry) {
		fprintf(a->f, "{\"line\":%" PRIu64 ",\"error\":\"unreadable entry\"}\n", line);
		a->unreadable++;
		return 0;
	}
	json_dumpf(entry, a->f, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', a->f);
	a->entries++;
	return 0;
}

static enum MHD_Result do_audit_log(struct ctx *x)
{
	struct audit_dump a = {0};
	char *buf = NULL;
	size_t len = 0;
	a.f = open_memstream(&buf, &len);
	if (!a.f)
		return MHD_NO;
	int rc = ctl_audit_read(x->d->cfg.store_dir, dump_entry, &a);
	if (fclose(a.f) != 0 && !rc)
		rc = -ENOMEM;
	if (rc) {
		free(buf);
		logf_("reading the audit log: %s", strerror(-rc));
		return reply_error(x->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot read the audit log");
	}
	/* The auditor's read is recorded too, before the log leaves. */
	uint64_t seq;
	if (audit(x, NULL, NULL, NULL, a.entries, NULL, "ok", &seq) < 0) {
		free(buf);
		return reply_error(x->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "audit log unavailable");
	}
	char seqs[24];
	snprintf(seqs, sizeof(seqs), "%" PRIu64, seq);
	return reply(x->conn, MHD_HTTP_OK, "application/x-ndjson", buf, len, seqs);
}

static enum MHD_Result do_audit_verify(struct ctx *x)
{
	struct ctl_audit_report r;
	int rc = ctl_audit_verify(x->d->cfg.store_dir, &r);
	if (rc) {
		logf_("verifying the audit log: %s", strerror(-rc));
		return reply_error(x->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot read the audit log");
	}
	json_t *o = json_pack("{s:b,s:I,s:s,s:s}", "intact", r.fail == CTL_AUDIT_INTACT,
			      "entries", (json_int_t)r.entries, "last_hash", r.last_hash,
			      "detail", r.detail);
	if (r.fail != CTL_AUDIT_INTACT)
		json_object_set_new(o, "broken",
				    json_pack("{s:I,s:I,s:I,s:s}", "line", (json_int_t)r.line,
					      "entry", (json_int_t)r.expected_seq, "found_seq",
					      (json_int_t)r.found_seq, "reason",
					      ctl_audit_fail_str(r.fail)));
	return reply_json(x->conn, MHD_HTTP_OK, o, NULL);
}

/* ---- dispatch ---------------------------------------------------------- */

static void client_name(struct MHD_Connection *c, const struct ctl_token *who, char *buf,
			size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				  addr, sizeof(addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
				  sizeof(addr));
	}
	snprintf(buf, len, "api:%s@%s", who ? who->name : "unauthenticated", addr);
}

static const struct ctl_token *authenticate(struct daemon *d, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	size_t n = strlen(tok);
	if (n == 0 || n > 1024)
		return NULL;
	return ctl_tokens_find(&d->tokens, tok, n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	(void)version;
	struct daemon *d = cls;
	struct request *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		if (!rq->too_big && rq->len + n <= d->cfg.max_body) {
			char *b = realloc(rq->body, rq->len + n + 1);
			if (!b)
				return MHD_NO;
			memcpy(b + rq->len, upload_data, n);
			rq->body = b;
			rq->len += n;
			rq->body[rq->len] = '\0';
		} else {
			rq->too_big = true; /* keep reading, drop the bytes */
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	atomic_fetch_add(&d->n_requests, 1);
	struct ctx x = {.d = d, .conn = conn, .method = method, .url = url};
	x.who = authenticate(d, conn);
	client_name(conn, x.who, x.client, sizeof(x.client));
	if (!x.who)
		return refuse(&x, MHD_HTTP_UNAUTHORIZED, "no or unknown token", NULL, NULL, NULL);

	bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	static const struct {
		const char *path;
		bool post;
		enum ctl_role role;
	} routes[] = {
		{"/v1/query", true, CTL_ROLE_AUTHORITY},
		{"/v1/health", false, CTL_ROLE_OPERATOR},
		{"/v1/stats", false, CTL_ROLE_OPERATOR},
		{"/v1/audit", false, CTL_ROLE_AUDITOR},
		{"/v1/audit/verify", false, CTL_ROLE_AUDITOR},
		{"/v1/metrics", false, CTL_ROLE_OPERATOR},
	};
	int r = -1;
	for (unsigned i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(url, routes[i].path) == 0)
			r = (int)i;
	if (r < 0)
		return refuse(&x, MHD_HTTP_NOT_FOUND, "no such endpoint", NULL, NULL, NULL);
	if (!(routes[r].post ? post : get))
		return refuse(&x, MHD_HTTP_METHOD_NOT_ALLOWED,
			      routes[r].post ? "use POST" : "use GET", NULL, NULL, NULL);
	if (x.who->role != routes[r].role) {
		char why[96];
		snprintf(why, sizeof(why), "role %s may not use %s", ctl_role_name(x.who->role),
			 url);
		return refuse(&x, MHD_HTTP_FORBIDDEN, why, NULL, NULL, NULL);
	}
	if (rq->too_big)
		return refuse(&x, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large", NULL, NULL,
			      NULL);
	switch (r) {
	case 0:
		return do_query(&x, rq);
	case 1:
	case 2:
		return do_health_stats(&x, r == 2);
	case 3:
		return do_audit_log(&x);
	case 4:
		return do_audit_verify(&x);
	default:
		return do_metrics(&x);
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct request *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

/* libmicrohttpd's logger: the format string is libmicrohttpd's own. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (!fmt)
		return;
	fputs("retaind: http: ", stderr);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vfprintf(stderr, fmt, ap);
#pragma GCC diagnostic pop
	size_t n = strlen(fmt);
	if (n == 0 || fmt[n - 1] != '\n')
		fputc('\n', stderr);
}

/* ---- main -------------------------------------------------------------- */

static char *read_pem(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(CERT_MAX + 1);
	size_t n = buf ? fread(buf, 1, CERT_MAX + 1, f) : 0;
	bool bad = !buf || ferror(f) || n == 0 || n > CERT_MAX;
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "%s: empty, unreadable or larger than 1 MiB", path);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static bool worker_wanted(const struct ctl_config *c)
{
	return c->has_capture || c->has_dpdk || c->acct_listen[0];
}

/* Become `user` (after sources and the store are open): no supplementary
 * groups, its gid and uid, and no way back (no_new_privs). */
static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		logf_("[daemon] user %s: no such user", user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		logf_("dropping privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 && pw->pw_uid != 0) {
		logf_("dropping privileges to %s: could regain root", user);
		return -1;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	logf_("running as %s (uid %u)", user, (unsigned)pw->pw_uid);
	return 0;
}

static const char help[] =
	"Usage: retaind --config FILE [--check-config]\n"
	"\n"
	"The retain daemon: serves the lawful-query HTTPS API over a store.\n"
	"Every query and every refusal is written to the store's audit log before\n"
	"any answer is sent.  See retaind.conf.example for the configuration.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE   configuration file (INI)\n"
	"      --check-config  check the configuration, certificate, key, tokens and\n"
	"                      store directory, then exit (0 when usable)\n"
	"  -h, --help\n"
	"\n"
	"SIGTERM or SIGINT stops it cleanly (the capture worker commits its\n"
	"batch and the open sessions first); SIGHUP reloads the secrets file\n"
	"and the line map.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *cfgpath = NULL;
	bool check_only = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			fputs("Try 'retaind --help'.\n", stderr);
			return 1;
		}
	}
	if (!cfgpath || optind != argc) {
		fputs("retaind: --config FILE is required\nTry 'retaind --help'.\n", stderr);
		return 1;
	}

	static struct daemon d;
	char err[512];
	int rc = ctl_config_load(cfgpath, &d.cfg, err, sizeof(err));
	if (rc) {
		logf_("%s", err);
		return 1;
	}
	if (d.cfg.has_api && ctl_tokens_load(d.cfg.tokens, &d.tokens, err, sizeof(err))) {
		logf_("%s", err);
		return 1;
	}
	err[0] = '\0';
	if (d.cfg.keys_path[0] && (rc = st_keyring_load(d.cfg.keys_path, &d.keys, err,
							sizeof(err)))) {
		/* the reason names the file and line, never key bytes */
		if (err[0] && strstr(err, d.cfg.keys_path))
			logf_("%s", err);
		else if (err[0])
			logf_("%s (%s)", err, d.cfg.keys_path);
		else
			logf_("key file %s: %s", d.cfg.keys_path, strerror(-rc));
		ctl_tokens_clear(&d.tokens);
		return 1;
	}
	char *cert = NULL, *key = NULL;
	int status = 1;
	ctl_worker *worker = NULL;
	struct MHD_Daemon *mhd = NULL;
	if (d.cfg.has_api) {
		cert = read_pem(d.cfg.cert, err, sizeof(err));
		key = cert ? read_pem(d.cfg.key, err, sizeof(err)) : NULL;
		if (!cert || !key) {
			logf_("%s", err);
			goto out_pem;
		}
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			logf_("this libmicrohttpd has no TLS support");
			goto out_pem;
		}
	}
	struct stat sb;
	if (!worker_wanted(&d.cfg) && (stat(d.cfg.store_dir, &sb) < 0 || !S_ISDIR(sb.st_mode))) {
		logf_("store directory %s does not exist", d.cfg.store_dir);
		goto out_pem;
	}
	if (check_only) {
		printf("retaind: %s: ok (%zu client%s, listen %s, capture %s, store %s)\n", cfgpath,
		       d.tokens.n, d.tokens.n == 1 ? "" : "s", d.cfg.has_api ? d.cfg.listen : "-",
		       d.cfg.has_capture ? d.cfg.iface : "-", d.cfg.store_dir);
		status = 0;
		goto out_pem;
	}
	/* Signals are taken by sigwait() in this thread only: block them
	 * before any thread starts (DPDK's EAL starts its own in
	 * ctl_worker_open, MHD later), each inherits the mask. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (worker_wanted(&d.cfg)) {
		/* sources and the store are opened with the privileges they need;
		 * everything after runs as [daemon] user */
		rc = ctl_worker_open(&d.cfg, &worker, err, sizeof(err));
		if (rc) {
			logf_("capture: %s", err);
			goto out_pem;
		}
	}
	if (d.cfg.user[0] && drop_privileges(d.cfg.user) < 0)
		goto out_worker;
	if (d.cfg.has_api) {
		/* A new store: the worker creates it (as this user) when it
		 * starts, but its audit log is there from the start.  Without a
		 * worker nothing would fill a new directory: not made. */
		if (worker && mkdir(d.cfg.store_dir, 0700) < 0 && errno != EEXIST) {
			logf_("store %s: %s", d.cfg.store_dir, strerror(errno));
			goto out_worker;
		}
		rc = ctl_audit_open(d.cfg.store_dir, &d.audit);
		if (rc) {
			logf_("audit log in %s: %s", d.cfg.store_dir, strerror(-rc));
			goto out_worker;
		}
	}
	pthread_mutex_init(&d.audit_lock, NULL);
	d.started_ns = now_ns();

	signal(SIGPIPE, SIG_IGN);
	if (worker) {
		rc = ctl_worker_start(worker, err, sizeof(err));
		if (rc) {
			logf_("capture: %s", err);
			goto out_audit;
		}
		logf_("capturing on %s, accounting listener %s, into %s (group commit every %u "
		      "ms)", d.cfg.has_capture ? d.cfg.iface
			     : d.cfg.has_dpdk ? (d.cfg.dpdk_mode == CTL_DPDK_BRIDGE ? "dpdk bridge"
										: "dpdk mirror")
					      : "-",
		      d.cfg.acct_listen[0] ? d.cfg.acct_listen : "-", d.cfg.store_dir,
		      d.cfg.commit_ms);
		char tn[CTL_TIME_BUF] = "";
		if (d.cfg.test_now_ns)
			ctl_time_format(d.cfg.test_now_ns, tn);
		int64_t g = d.cfg.seal_grace_ns ? d.cfg.seal_grace_ns : ST_SEAL_GRACE_DEFAULT;
		logf_("store maintenance: days sealed %.1f h after they end, sessions expired %.1f "
		      "days after they stop%s%s",
		      (double)g / 3600e9, (double)d.cfg.retention_ns / 86400e9,
		      tn[0] ? "; TEST CLOCK fixed at " : "", tn);
	}
	if (!d.cfg.has_api)
		goto wait;

	struct sockaddr_in sin4;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG;
	memset(&sin4, 0, sizeof(sin4));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, d.cfg.host, &sin4.sin_addr) == 1) {
		sin4.sin_family = AF_INET;
		sin4.sin_port = htons(d.cfg.port);
		sa = (struct sockaddr *)&sin4;
	} else {
		inet_pton(AF_INET6, d.cfg.host, &sin6.sin6_addr);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(d.cfg.port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	}
	mhd = MHD_start_daemon(
		flags, d.cfg.port, NULL, NULL, on_request, &d,
		/* first: the options after it log through it */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_HTTPS_MEM_CERT, cert,
		MHD_OPTION_HTTPS_MEM_KEY, key,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_END);
	if (!mhd) {
		logf_("cannot serve HTTPS on %s (address in use? bad certificate or key?)",
		      d.cfg.listen);
		goto out_audit;
	}
	logf_("serving https://%s (store %s, %zu client%s)", d.cfg.listen, d.cfg.store_dir,
	      d.tokens.n, d.tokens.n == 1 ? "" : "s");
wait:;
	/* systemd (Type=notify): ready now; with WatchdogSec, a ping every
	 * third of it while the worker loop turns, none once it has stood
	 * still for the whole period (systemd then restarts retaind).  Outside
	 * systemd (no NOTIFY_SOCKET) the notifications do nothing, and the
	 * worker is watched all the same: standing still for WORKER_STUCK_NS
	 * (or the watchdog period) is the worker alarm. */
	sd_notifyf(0, "READY=1\nSTATUS=%s", worker ? "recording" : "serving queries");
	uint64_t wd_usec = 0;
	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;
	if (wd_usec)
		logf_("systemd watchdog: %llu ms, pinged while the worker turns",
		      (unsigned long long)(wd_usec / 1000));
	int64_t stuck_ns = wd_usec ? (int64_t)wd_usec * 1000 : WORKER_STUCK_NS;
	int64_t tick_ns = wd_usec ? stuck_ns / 3 : 1000000000LL;
	bool stuck = false;
	int sig = 0;
	for (;;) {
		if (worker || wd_usec) {
			struct timespec to = {.tv_sec = (time_t)(tick_ns / 1000000000LL),
					      .tv_nsec = (long)(tick_ns % 1000000000LL)};
			sig = sigtimedwait(&sigs, NULL, &to);
			int64_t idle = worker ? mono_now_ns() - ctl_worker_beat(worker) : 0;
			if (idle < stuck_ns) {
				if (wd_usec)
					sd_notify(0, "WATCHDOG=1");
				if (stuck) {
					logf_("the worker turns again%s",
					      wd_usec ? ": systemd watchdog pings resume" : "");
					ctl_alarm_clear(CTL_ALARM_WORKER);
				}
				stuck = false;
			} else if (!stuck) {
				logf_("ALARM: the worker has not turned for %lld ms%s",
				      (long long)(idle / 1000000),
				      wd_usec ? ": no systemd watchdog ping (systemd restarts retaind)"
					      : "");
				ctl_alarm_raise(CTL_ALARM_WORKER, "the worker has not turned for "
						"%lld ms: nothing is decoded or stored",
						(long long)(idle / 1000000));
				stuck = true;
			}
			if (sig < 0)
				continue; /* timeout (or EINTR) */
		} else if (sigwait(&sigs, &sig) != 0) {
			continue;
		}
		if (sig != SIGHUP)
			break;
		logf_("SIGHUP: reloading the secrets file and the line map");
		if (worker)
			ctl_worker_reload(worker);
	}
	logf_("signal %d: stopping", sig);
	sd_notify(0, "STOPPING=1");
	if (mhd)
		MHD_stop_daemon(mhd);
	status = 0;
out_audit:
	if (d.audit)
		ctl_audit_close(d.audit);
	pthread_mutex_destroy(&d.audit_lock);
out_worker:
	ctl_worker_stop(worker); /* final commit with the open sessions */
out_pem:
	if (key)
		OPENSSL_cleanse(key, strlen(key));
	free(key);
	free(cert);
	ctl_tokens_clear(&d.tokens);
	st_keyring_free(d.keys);
	return status;
}
