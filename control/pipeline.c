/* SPDX-License-Identifier: BSD-2-Clause */
#include "pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "store.h"
#include "timefmt.h"

struct ctl_pipeline {
	struct ctl_pipeline_opts o;
	st_store *st;
	dp_engine *e;
	dp_linemap *linemap;   /* owned; NULL: none */
	size_t pending;        /* closed sessions since the last commit */
	uint64_t stored;
	uint64_t expired;
	uint64_t resumed;
	uint64_t open_stored;
	uint64_t commits;
	uint64_t rejects_logged;
	struct dp_counters persisted; /* counters already added to the store
				       * (of COUNTERS() below only) */
	uint64_t malformed_persisted;
	uint64_t stored_persisted;
};

void ctl_pipeline_opts_default(struct ctl_pipeline_opts *o)
{
	memset(o, 0, sizeof(*o));
	dp_engine_cfg_default(&o->engine);
	o->commit_every = 65536;
	o->max_reject_log = 20;
}

static void logf_(ctl_pipeline *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(ctl_pipeline *p, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (!p->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p->o.log(p->o.log_ctx, buf);
}

static int on_close(void *ctx, const struct rt_session *s)
{
	ctl_pipeline *p = ctx;
	if (p->o.bench_discard) {
		p->stored++;
		return 0;
	}
	int err = st_store_put_closed(p->st, s);
	if (err == ST_EEXPIRED) {
		/* ended before the store's expiry horizon (an old capture
		 * replayed after expiry): retention forbids keeping it */
		p->expired++;
		return 0;
	}
	if (err)
		return err;
	p->stored++;
	if (p->o.commit_every && ++p->pending >= p->o.commit_every)
		return ctl_pipeline_commit(p, false);
	return 0;
}

static void on_reject(void *ctx, const struct dp_reject_info *ri)
{
	ctl_pipeline *p = ctx;
	if (p->rejects_logged++ >= p->o.max_reject_log) {
		if (p->rejects_logged == p->o.max_reject_log + 1)
			logf_(p, "rejected: further spoofed packets are counted, not listed");
		return;
	}
	char a[64], t[CTL_TIME_BUF], sid[RT_TEXT_MAX + 1];
	ctl_addr_str(&ri->src, a, sizeof(a));
	ctl_time_format(ri->capture_ns, t);
	unsigned n = ri->session_id.len;
	for (unsigned i = 0; i < n; i++) {
		char c = ri->session_id.p[i];
		sid[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	sid[n] = 0;
	logf_(p,
	      "rejected: Accounting-Request from %s port %u id %u status %u session '%s' at %s: "
	      "Request Authenticator does not verify with the NAS's secret",
	      a, ri->sport, ri->identifier, ri->status, sid, t);
}

static int resume_one(void *ctx, const struct rt_session *s)
{
	return dp_tracker_resume(ctx, s);
}

static int remember_one(void *ctx, const struct rt_session *s)
{
	if (s->stop_ns == RT_TIME_NONE)
		return 0;
	return dp_tracker_remember_closed(ctx, s);
}

/* Recently closed sessions, so that a Stop retransmitted across a restart
 * (or found at the start of the next capture file) is recognised: those
 * that stopped within the tracker's closed-key memory of the store's last
 * day. */
static int remember_recent(ctl_pipeline *p)
{
	struct st_stats ss;
	int rc = st_store_stats(p->st, &ss);
	if (rc || ss.last_day_ns == RT_TIME_NONE)
		return rc;
	struct st_query q;
	memset(&q, 0, sizeof(q));
	q.kind = ST_Q_ALL;
	q.from_ns = ss.last_day_ns - p->o.engine.tracker.closed_keep_ns;
	q.to_ns = INT64_MAX;
	return st_store_query(p->st, &q, remember_one, dp_engine_tracker(p->e));
}

int ctl_pipeline_open(const struct ctl_pipeline_opts *o, ctl_pipeline **ret, char *err,
		      size_t errlen)
{
	ctl_pipeline *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->o = *o;
	struct dp_engine_cfg ecfg = o->engine;
	ecfg.secrets = o->secrets;
	struct st_open_opts so = {.map_size = o->map_size};
	int rc = st_store_open_with(o->store_dir, ST_OPEN_CREATE | ST_OPEN_WRITE, &so, &p->st);
	if (rc) {
		snprintf(err, errlen, "store %s: %s", o->store_dir, st_strerror(rc));
		goto out_free;
	}
	rc = dp_engine_alloc(&ecfg, on_close, on_reject, p, &p->e);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto out_store;
	}
	if (o->line_map) {
		char lerr[160];
		rc = dp_linemap_load(o->line_map, &p->linemap, lerr, sizeof(lerr));
		if (rc) {
			snprintf(err, errlen, "line map %s: %s", o->line_map, lerr);
			goto out_engine;
		}
		dp_engine_set_linemap(p->e, p->linemap);
	}
	/* Sessions a previous run left open continue here. */
	rc = st_store_open_sessions(p->st, resume_one, dp_engine_tracker(p->e));
	if (rc) {
		snprintf(err, errlen, "store %s: reading open sessions: %s", o->store_dir,
			 rc == -EEXIST ? "duplicate open session" : st_strerror(rc));
		goto out_engine;
	}
	rc = remember_recent(p);
	if (rc) {
		snprintf(err, errlen, "store %s: reading recent sessions: %s", o->store_dir,
			 st_strerror(rc));
		goto out_engine;
	}
	struct dp_tracker_stats ts;
	dp_tracker_get_stats(dp_engine_tracker(p->e), &ts);
	p->resumed = ts.open_now;
	*ret = p;
	return 0;

out_engine:
	dp_engine_free(p->e);
	dp_linemap_free(p->linemap);
out_store:
	st_store_close(p->st);
out_free:
	free(p);
	return rc;
}

int ctl_pipeline_packet(ctl_pipeline *p, const struct dp_pkt *pkt, int linktype)
{
	return dp_engine_packet(p->e, pkt, linktype);
}

int ctl_pipeline_packet_verified(ctl_pipeline *p, const struct dp_pkt *pkt, int linktype,
				 enum dp_auth_hint hint)
{
	return dp_engine_frame_verified(p->e, pkt, linktype, hint);
}

void ctl_pipeline_prefetch(const ctl_pipeline *p, const struct dp_preverified *v)
{
	dp_engine_prefetch(p->e, v);
}

int ctl_pipeline_radius(ctl_pipeline *p, const struct rt_addr *src, uint16_t sport,
			const uint8_t *pkt, size_t len, int64_t now_ns, struct dp_radius_result *ret)
{
	return dp_engine_radius(p->e, src, sport, pkt, len, now_ns, ret);
}

int ctl_pipeline_end_of_input(ctl_pipeline *p)
{
	return dp_engine_flush(p->e);
}

struct open_vec {
	struct rt_session *v;
	size_t n, cap;
};

static int collect_open(void *ctx, const struct rt_session *s)
{
	struct open_vec *ov = ctx;
	if (ov->n == ov->cap) {
		size_t nc = ov->cap ? ov->cap * 2 : 1024;
		struct rt_session *nv = realloc(ov->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		ov->v = nv;
		ov->cap = nc;
	}
	ov->v[ov->n++] = *s;
	return 0;
}

/* Persistent counter names (retain stats, retaind /v1/stats). */
#define COUNTERS(X)                                                   \
	X("packets", packets)                                         \
	X("radius.acct_requests", radius_acct_requests)               \
	X("radius.rejected", rejected)                                \
	X("radius.no_secret", no_secret)                              \
	X("radius.accepted", accepted)                                \
	X("radius.retransmissions", retransmissions)                 \
	X("radius.unknown_client", unknown_client)                   \
	X("radius.replayed", replayed)                               \
	X("radius.access_requests", access_requests)                 \
	X("radius.access_responses", access_responses)               \
	X("radius.msg_auth_missing", msg_auth_missing)               \
	X("radius.msg_auth_invalid", msg_auth_invalid)               \
	X("radius.blastradius_suspect", blastradius_suspect)         \
	X("pppoe.frames", pppoe)                                     \
	X("dhcp4.messages", dhcp4)                                   \
	X("pppoe.logins_failed", logins_failed)                      \
	X("radius.accepts_matched", accepts_matched)                 \
	X("radius.accepts_unmatched", accepts_unmatched)             \
	X("radius.accepts_bad_authenticator", accepts_bad_authenticator)

int ctl_pipeline_commit(ctl_pipeline *p, bool with_open)
{
	const struct dp_counters *c = dp_engine_counters(p->e);
	struct open_vec ov = {0};
	int rc = 0;

	if (with_open) {
		rc = dp_engine_foreach_open(p->e, collect_open, &ov);
		if (!rc)
			rc = st_store_set_open(p->st, ov.v, ov.n);
	}
	/* A delta handed to the store stays in its pending batch even when the
	 * commit fails (the batch is retried), so it counts as persisted as
	 * soon as it is handed over: adding it again on the retry would count
	 * it twice. */
	uint64_t mal0 = p->malformed_persisted;
#define ADD(name, field)                                                              \
	if (!rc && c->field != p->persisted.field) {                                  \
		rc = st_store_counter_add(p->st, name, c->field - p->persisted.field); \
		if (!rc)                                                              \
			p->persisted.field = c->field;                                \
	}
	COUNTERS(ADD)
#undef ADD
	uint64_t mal = dp_counters_malformed(c);
	if (!rc && mal != mal0) {
		rc = st_store_counter_add(p->st, "malformed", mal - mal0);
		if (!rc)
			p->malformed_persisted = mal;
	}
	if (!rc && p->stored != p->stored_persisted) {
		rc = st_store_counter_add(p->st, "sessions.closed", p->stored - p->stored_persisted);
		if (!rc)
			p->stored_persisted = p->stored;
	}
	if (!rc)
		rc = st_store_commit(p->st);
	free(ov.v);
	if (rc)
		return rc;
	p->pending = 0;
	p->commits++;
	if (with_open)
		p->open_stored = ov.n;
	return 0;
}

int ctl_pipeline_tick(ctl_pipeline *p, int64_t now_ns)
{
	return dp_tracker_advance(dp_engine_tracker(p->e), now_ns);
}

int ctl_pipeline_counter_add(ctl_pipeline *p, const char *name, uint64_t delta)
{
	return st_store_counter_add(p->st, name, delta);
}

int ctl_pipeline_reload_linemap(ctl_pipeline *p, size_t *ret_entries, char *err, size_t errlen)
{
	if (!p->o.line_map) {
		snprintf(err, errlen, "no line map configured");
		return -ENOENT;
	}
	dp_linemap *m;
	char lerr[160];
	int rc = dp_linemap_load(p->o.line_map, &m, lerr, sizeof(lerr));
	if (rc) {
		snprintf(err, errlen, "line map %s: %s", p->o.line_map, lerr);
		return rc;
	}
	dp_engine_set_linemap(p->e, m);
	dp_linemap_free(p->linemap);
	p->linemap = m;
	*ret_entries = dp_linemap_count(m);
	return 0;
}

void ctl_pipeline_set_secrets(ctl_pipeline *p, const dp_secrets *s)
{
	p->o.secrets = s;
	dp_engine_set_secrets(p->e, s);
}

void ctl_pipeline_get_stats(const ctl_pipeline *p, struct ctl_pipeline_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->c = *dp_engine_counters(p->e);
	dp_tracker_get_stats(dp_engine_tracker(p->e), &ret->t);
	ret->sessions_closed_stored = p->stored;
	ret->sessions_open_stored = p->open_stored;
	ret->sessions_resumed = p->resumed;
	ret->sessions_past_retention = p->expired;
	ret->commits = p->commits;
}

void ctl_pipeline_close(ctl_pipeline *p)
{
	if (!p)
		return;
	dp_engine_free(p->e);
	dp_linemap_free(p->linemap);
	st_store_close(p->st);
	free(p);
}
