/* SPDX-License-Identifier: BSD-2-Clause */
#include "pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypt.h"
#include "output.h"
#include "record.h"
#include "store.h"
#include "timefmt.h"

struct ctl_pipeline {
	struct ctl_pipeline_opts o;
	st_store *st;
	st_keyring *keys; /* encryption at rest (o.keys_path), owned */
	dp_engine *e;
	dp_linemap *linemap;   /* owned; NULL: none */
	size_t pending;        /* closed sessions since the last commit */
	uint64_t stored;
	uint64_t expired;
	uint64_t resumed;
	uint64_t open_stored;
	uint64_t commits;
	uint64_t checkpoints, checkpoints_full, checkpoint_listed;
	uint64_t rejects_logged;
	struct dp_counters persisted; /* counters already added to the store
				       * (of COUNTERS() below only) */
	uint64_t malformed_persisted;
	uint64_t stored_persisted;
	/* Incremental checkpoints: what the store was last given for each open
	 * session (see ck_note below); ck_valid false: the next checkpoint
	 * hands over the whole set. */
	struct ck_ent *ck;
	size_t ck_n, ck_cap; /* ck_cap: 0 or a power of two */
	bool ck_valid;
	size_t ck_seen;
	size_t ck_visits;   /* sessions the tracker listed this checkpoint */
	bool ck_recheck;    /* the next checkpoint compares every open session */
};

/*
 * Incremental checkpoints (issue 7).  The tracker lists the open sessions
 * changed since the last checkpoint and those that left the open set
 * without a close (dp_tracker_foreach_dirty: O(changed), not O(open)).
 * The pipeline keeps, per open session handed to the store, a 64-bit hash
 * of its store key (nas_ip, session_id) and of its stored record
 * (st_rec_encode, the bytes the store keeps): a listed session whose
 * record hashes as stored is not written again (st_store_put_open only for
 * real changes: LMDB work O(changed)); a session gone without a close is
 * deleted (st_store_del_open); closes reach the store through
 * st_store_put_closed.  The first checkpoint of a run is a whole one
 * (st_store_set_open), and so is one after the tracker dropped its list
 * (-ENOBUFS), after a failed checkpoint, or when the table holds more
 * sessions than are open (one left unlisted: none should).  After a line
 * map reload (the unmapped flag of sessions that did not change may) the
 * next checkpoint compares every open session with its hash (O(open) in
 * memory, the store still gets only the changes).  A changed
 * record that keeps its 64-bit hash (odds 2^-64 per change) would be
 * stored at its next change instead.
 */
struct ck_ent {
	uint64_t key; /* 0: empty slot */
	uint64_t rec;
};

static uint64_t ck_hash(const void *v, size_t n, uint64_t h)
{
	const uint8_t *p = v;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3); /* FNV-1a */
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return h;
}

static uint64_t ck_key(const struct rt_session *s)
{
	uint8_t k[1 + 16 + 1 + RT_TEXT_MAX];
	k[0] = s->nas_ip.family;
	memcpy(k + 1, s->nas_ip.a, 16);
	k[17] = s->session_id.len;
	memcpy(k + 18, s->session_id.v, s->session_id.len);
	uint64_t h = ck_hash(k, 18u + s->session_id.len, UINT64_C(0xcbf29ce484222325));
	return h ? h : 1;
}

static size_t ck_slot(const ctl_pipeline *p, uint64_t key)
{
	size_t m = p->ck_cap - 1, i = (size_t)key & m;
	while (p->ck[i].key && p->ck[i].key != key)
		i = (i + 1) & m;
	return i;
}

/* Room for one more entry. */
static int ck_reserve(ctl_pipeline *p)
{
	if ((p->ck_n + 1) * 4 <= p->ck_cap * 3)
		return 0;
	size_t nc = p->ck_cap ? p->ck_cap * 2 : 1024;
	struct ck_ent *old = p->ck, *nv = calloc(nc, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	size_t oc = p->ck_cap;
	p->ck = nv;
	p->ck_cap = nc;
	for (size_t i = 0; i < oc; i++)
		if (old[i].key)
			p->ck[ck_slot(p, old[i].key)] = old[i];
	free(old);
	return 0;
}

static void ck_del(ctl_pipeline *p, uint64_t key)
{
	if (!p->ck_cap)
		return;
	size_t m = p->ck_cap - 1, i = ck_slot(p, key);
	if (!p->ck[i].key)
		return;
	p->ck_n--;
	/* backward-shift deletion (linear probing) */
	for (size_t j = (i + 1) & m; p->ck[j].key; j = (j + 1) & m) {
		size_t home = (size_t)p->ck[j].key & m;
		if (((j - home) & m) >= ((j - i) & m)) {
			p->ck[i] = p->ck[j];
			i = j;
		}
	}
	p->ck[i].key = 0;
}

static uint64_t ck_rec(const struct rt_session *s)
{
	uint8_t rec[ST_REC_MAX];
	size_t n = st_rec_encode(s, 0, 0, rec);
	return ck_hash(rec, n, UINT64_C(0x84222325cbf29ce4));
}

/* Note that the store was given the record. */
static int ck_note(ctl_pipeline *p, uint64_t key, uint64_t rec)
{
	int rc = ck_reserve(p);
	if (rc)
		return rc;
	size_t i = ck_slot(p, key);
	if (!p->ck[i].key)
		p->ck_n++;
	p->ck[i] = (struct ck_ent){key, rec};
	return 0;
}

static int ck_one(void *ctx, const struct rt_session *s, bool gone)
{
	ctl_pipeline *p = ctx;
	uint64_t key = ck_key(s);
	p->ck_visits++;
	if (gone) {
		/* absorbed by a fusion: its open record goes (if it had one) */
		if (!p->ck_cap || !p->ck[ck_slot(p, key)].key)
			return 0;
		int rc = st_store_del_open(p->st, s);
		if (!rc)
			ck_del(p, key);
		return rc;
	}
	uint64_t rec = ck_rec(s);
	if (p->ck_cap) {
		struct ck_ent *e = &p->ck[ck_slot(p, key)];
		if (e->key && e->rec == rec)
			return 0;
	}
	int rc = ck_reserve(p); /* before the put: a put not noted would be lost */
	if (!rc)
		rc = st_store_put_open(p->st, s);
	if (!rc)
		rc = ck_note(p, key, rec);
	return rc;
}

static int ck_open(void *ctx, const struct rt_session *s)
{
	return ck_one(ctx, s, false);
}

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
		 * replayed after expiry): retention forbids keeping it; its
		 * open record goes */
		err = st_store_del_open(p->st, s);
		if (err)
			return err;
		ck_del(p, ck_key(s));
		p->expired++;
		return 0;
	}
	if (err)
		return err;
	ck_del(p, ck_key(s)); /* the store drops its open record */
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
	int rc;
	if (o->keys_path) {
		char kerr[200] = "";
		rc = st_keyring_load(o->keys_path, &p->keys, kerr, sizeof(kerr));
		if (rc) {
			if (kerr[0] && strstr(kerr, o->keys_path))
				snprintf(err, errlen, "%s", kerr);
			else if (kerr[0])
				snprintf(err, errlen, "%s (%s)", kerr, o->keys_path);
			else
				snprintf(err, errlen, "key file %s: %s", o->keys_path, strerror(-rc));
			goto out_free;
		}
	}
	struct st_open_opts so = {.map_size = o->map_size, .keys = p->keys,
				  .seal_grace_ns = o->seal_grace_ns};
	rc = st_store_open_with(o->store_dir, ST_OPEN_CREATE | ST_OPEN_WRITE, &so, &p->st);
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
	st_keyring_free(p->keys);
	free(p);
	return rc;
}

int ctl_pipeline_packet(ctl_pipeline *p, const struct dp_pkt *pkt, int linktype)
{
	return dp_engine_packet(p->e, pkt, linktype);
}

int ctl_pipeline_packet_verified(ctl_pipeline *p, const struct dp_pkt *pkt, int linktype,
				 const struct dp_preverified *v)
{
	return dp_engine_frame_preverified(p->e, pkt, linktype, v);
}

void ctl_pipeline_prefetch(const ctl_pipeline *p, const struct dp_preverified *v)
{
	dp_engine_prefetch(p->e, v);
}

void ctl_pipeline_prefetch_stage(const ctl_pipeline *p, const struct dp_preverified *v,
				 unsigned stage)
{
	dp_engine_prefetch_stage(p->e, v, stage);
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

/* The whole open set (first checkpoint of a run, or after a session left
 * the set without a close). */
static int ckpt_full(ctl_pipeline *p, struct open_vec *ov)
{
	int rc = dp_engine_foreach_open(p->e, collect_open, ov);
	if (!rc)
		rc = st_store_set_open(p->st, ov->v, ov->n);
	if (rc)
		return rc;
	/* the store has the whole set: what changed before is in it */
	dp_tracker_clear_dirty(dp_engine_tracker(p->e));
	p->ck_recheck = false;
	if (p->ck_cap)
		memset(p->ck, 0, p->ck_cap * sizeof(*p->ck));
	p->ck_n = 0;
	p->ck_valid = true;
	for (size_t i = 0; i < ov->n && p->ck_valid; i++)
		if (ck_note(p, ck_key(&ov->v[i]), ck_rec(&ov->v[i])))
			p->ck_valid = false; /* the next checkpoint is whole again */
	p->ck_seen = ov->n;
	p->checkpoints_full++;
	return 0;
}

/* Only the open sessions changed since the last checkpoint, and those gone
 * without a close: O(changed). */
static int ckpt_incremental(ctl_pipeline *p, struct open_vec *ov)
{
	dp_tracker *t = dp_engine_tracker(p->e);
	p->ck_visits = 0;
	int rc = dp_engine_foreach_dirty(p->e, ck_one, p);
	if (rc == -ENOBUFS && !p->ck_visits)
		return ckpt_full(p, ov); /* the tracker dropped its list */
	if (!rc && p->ck_recheck)
		rc = dp_engine_foreach_open(p->e, ck_open, p);
	if (rc) {
		p->ck_valid = false;
		return rc;
	}
	struct dp_tracker_stats ts;
	dp_tracker_get_stats(t, &ts);
	if (p->ck_n > ts.open_now)
		return ckpt_full(p, ov); /* one left without a close, unlisted */
	dp_tracker_clear_dirty(t);
	p->ck_seen = ts.open_now;
	p->ck_recheck = false;
	p->checkpoint_listed += p->ck_visits;
	return 0;
}

int ctl_pipeline_commit(ctl_pipeline *p, bool with_open)
{
	const struct dp_counters *c = dp_engine_counters(p->e);
	struct open_vec ov = {0};
	int rc = 0;

	if (with_open)
		rc = p->ck_valid ? ckpt_incremental(p, &ov) : ckpt_full(p, &ov);
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
	if (with_open) {
		p->open_stored = p->ck_seen;
		p->checkpoints++;
	}
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

st_store *ctl_pipeline_store(ctl_pipeline *p)
{
	return p->st;
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
	/* the unmapped flag of sessions that did not change may: the next
	 * checkpoint compares them all */
	p->ck_recheck = true;
	*ret_entries = dp_linemap_count(m);
	return 0;
}

void ctl_pipeline_set_secrets(ctl_pipeline *p, const dp_secrets *s)
{
	p->o.secrets = s;
	dp_engine_set_secrets(p->e, s);
}

int ctl_pipeline_foreach_open(ctl_pipeline *p, int (*fn)(void *ctx, const struct rt_session *s),
			      void *ctx)
{
	return dp_engine_foreach_open(p->e, fn, ctx);
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
	ret->checkpoints = p->checkpoints;
	ret->checkpoints_full = p->checkpoints_full;
	ret->checkpoint_listed = p->checkpoint_listed;
}

void ctl_pipeline_close(ctl_pipeline *p)
{
	if (!p)
		return;
	dp_engine_free(p->e);
	dp_linemap_free(p->linemap);
	st_store_close(p->st);
	st_keyring_free(p->keys);
	free(p->ck);
	free(p);
}
