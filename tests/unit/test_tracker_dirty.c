/* The tracker's dirty list (issue 7: checkpoints in O(changed)) against a
 * brute-force oracle: the open set is snapshotted (dp_tracker_foreach_open)
 * before and after every call, and at each checkpoint
 * dp_tracker_foreach_dirty() must list
 *  - as open: exactly the open sessions whose record (struct rt_session)
 *    changed, or that opened, since the last dp_tracker_clear_dirty(),
 *    once each, each as foreach_open shows it now;
 *  - as gone: exactly the sessions that left the open set without a close
 *    since (absorbed by a PPPoE/DHCP fusion), with their key and start.
 * Random RADIUS, PPPoE and DHCP sequences (fusion, retransmissions, leases,
 * orphans, Accounting-On, resume), visits that fail half way (the list
 * must survive them), and deterministic cases: record-chunk and list-chunk
 * growth and give-back with 150000 sessions, slot reuse after closes, and
 * the list dropped when nobody clears it (-ENOBUFS, then exact again).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "radius.h"
#include "sess_eq.h"
#include "tracker.h"

#define NS 1000000000LL
#define T0 (1790000000LL * NS)

/* ---- the oracle's view of a session --------------------------------------- */

/* A session's identity: the tracker's key (NAS for RADIUS sessions, else
 * none; Acct-Session-Id). */
struct key {
	uint8_t b[1 + 16 + 1 + RT_TEXT_MAX];
};

static struct key key_of(const struct rt_session *s)
{
	struct key k;
	memset(&k, 0, sizeof(k));
	if (s->sources & RT_SRC_RADIUS) {
		k.b[0] = s->nas_ip.family;
		memcpy(k.b + 1, s->nas_ip.a, 16);
	}
	k.b[17] = s->session_id.len;
	memcpy(k.b + 18, s->session_id.v, s->session_id.len);
	return k;
}

static bool key_eq(const struct key *a, const struct key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct key));
}

struct ent {
	struct key k;
	struct rt_session s;
};

/* A small set of sessions by key (linear search: a few dozen at most in
 * the random runs). */
struct set {
	struct ent *v;
	size_t n, cap;
};

static void set_add(struct set *st, const struct key *k, const struct rt_session *s)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 64;
		st->v = realloc(st->v, st->cap * sizeof(*st->v));
		if (!st->v)
			abort();
	}
	st->v[st->n].k = *k;
	if (s)
		st->v[st->n].s = *s;
	else
		memset(&st->v[st->n].s, 0, sizeof(st->v[st->n].s));
	st->n++;
}

static long set_find(const struct set *st, const struct key *k)
{
	for (size_t i = 0; i < st->n; i++)
		if (key_eq(&st->v[i].k, k))
			return (long)i;
	return -1;
}

static int snap_one(void *ctx, const struct rt_session *s)
{
	struct key k = key_of(s);
	set_add(ctx, &k, s);
	return 0;
}

static void snapshot(dp_tracker *t, struct set *st)
{
	st->n = 0;
	CHECK(dp_tracker_foreach_open(t, snap_one, st) == 0);
}

static struct set closed_now; /* keys closed (close callback) by the current call */

static int on_close(void *ctx, const struct rt_session *s)
{
	(void)ctx;
	struct key k = key_of(s);
	set_add(&closed_now, &k, s);
	return 0;
}

/* ---- what a visit lists --------------------------------------------------- */

struct visit {
	struct set open, gone;
	long fail_at; /* return -EIO at this call (-1: never) */
	long calls;
};

static int visit_fn(void *ctx, const struct rt_session *s, bool gone)
{
	struct visit *v = ctx;
	if (v->calls++ == v->fail_at)
		return -EIO;
	struct key k = key_of(s);
	if (gone) {
		/* only the key, start and sources */
		CHECK(s->stop_ns == RT_TIME_NONE);
		CHECK(s->account.len == 0 && !s->has_ipv4);
		CHECK(!(s->sources & RT_SRC_RADIUS));
		set_add(&v->gone, &k, s);
	} else {
		CHECK(s->stop_ns == RT_TIME_NONE);
		set_add(&v->open, &k, s);
	}
	return 0;
}

static void visit_reset(struct visit *v)
{
	v->open.n = v->gone.n = 0;
	v->fail_at = -1;
	v->calls = 0;
}

/* ---- random messages (as test_tracker_diff.c mixes them) ------------------ */

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (uint32_t)(z % n);
}

static const char *const accounts[] = {"", "alice", "bob@isp.example", "carol@biz.net"};
static const char *const ports[] = {"", "eth 1/1/1:100", "xpon 0/3/12:7.1001 vlan"};
static const char *const macs[] = {"02:00:00:00:00:01", "02:00:00:00:00:02",
				   "02:00:00:00:00:03", "02-00-00-00-00-04"};

static char sidbuf[48];

static void rand_msg(struct dp_acct_msg *m, int64_t now)
{
	memset(m, 0, sizeof(*m));
	unsigned kind = rnd(10); /* 0-5 RADIUS, 6-7 PPPoE, 8-9 DHCP */
	unsigned key = rnd(10), mac = rnd(4);
	m->capture_ns = now;
	m->event_ns = now - (int64_t)rnd(3) * NS;
	unsigned st = rnd(100);
	m->status = st < 25 ? DP_ACCT_START : st < 70 ? DP_ACCT_INTERIM : st < 95 ? DP_ACCT_STOP
		  : st < 97 ? DP_ACCT_ON : 9 /* not a session */;
	if (rnd(4) == 0) {
		m->has_session_time = true;
		m->session_time = rnd(3000);
	}
	m->account.p = accounts[rnd(4)];
	m->account.len = (uint8_t)strlen(m->account.p);
	m->nas_port_id.p = ports[rnd(3)];
	m->nas_port_id.len = (uint8_t)strlen(m->nas_port_id.p);
	if (rnd(2)) {
		m->has_ipv4 = true;
		m->ipv4[0] = 100;
		m->ipv4[3] = (uint8_t)rnd(3);
	}
	if (rnd(6) == 0) {
		m->delegated_prefix.present = true;
		m->delegated_prefix.plen = 56;
		m->delegated_prefix.a[6] = (uint8_t)rnd(2);
	}
	if (rnd(4) == 0) {
		m->has_event_ts = true;
		m->skew_ns = (int64_t)rnd(4000000) - 2000000;
	}
	if (kind < 6) {
		m->source = RT_SRC_RADIUS;
		m->auth = rnd(6) ? RT_AUTH_VERIFIED : RT_AUTH_NO_SECRET;
		m->nas.family = 4;
		m->nas.a[0] = 10;
		m->nas.a[3] = (uint8_t)(1 + key % 2);
		snprintf(sidbuf, sizeof(sidbuf), "r%u", key);
		unsigned c = rnd(3);
		m->calling_number.p = c == 0 ? "" : c == 1 ? "line 1/2/3" : macs[mac];
		m->calling_number.len = (uint8_t)strlen(m->calling_number.p);
	} else {
		bool dhcp = kind >= 8;
		m->source = dhcp ? RT_SRC_DHCP : RT_SRC_PPPOE;
		m->auth = RT_AUTH_NONE;
		snprintf(sidbuf, sizeof(sidbuf), "%s:%s:%u", dhcp ? "dhcp" : "pppoe", macs[mac],
			 key % 2);
		m->has_client_mac = true;
		rt_mac_parse(macs[mac], (unsigned)strlen(macs[mac]), m->client_mac);
		if (dhcp) {
			m->account.len = 0;
			if (rnd(2)) {
				m->has_nas_rec = true;
				m->nas_rec.family = 4;
				m->nas_rec.a[0] = 192;
				m->nas_rec.a[3] = (uint8_t)rnd(2);
			}
			if (m->status != DP_ACCT_STOP && rnd(2)) {
				m->has_expires = true;
				m->expires_ns = now + (int64_t)(60 + rnd(1200)) * NS;
			}
		}
		if (m->status == DP_ACCT_ON)
			m->status = DP_ACCT_INTERIM;
		m->keepalive = m->status == DP_ACCT_INTERIM && rnd(3) != 0;
		m->event_ns = now;
	}
	m->session_id.p = sidbuf;
	m->session_id.len = (uint8_t)strlen(sidbuf);
}

/* ---- the random runs -------------------------------------------------------- */

struct oracle {
	struct set before, after;
	struct set changed;   /* keys changed or opened since the last clear */
	struct set gone;      /* keys gone without a close since (start in s) */
	struct set log;       /* closed sessions, to resume some */
	unsigned checkpoints, listed, listed_gone, dropped;
};

/* After one call: what changed between the snapshots. */
static void observe(struct oracle *o, dp_tracker *t, uint64_t fused_before,
		    const struct dp_acct_msg *m)
{
	snapshot(t, &o->after);
	size_t vis_gone = 0;
	for (size_t i = 0; i < o->before.n; i++) {
		const struct ent *e = &o->before.v[i];
		if (set_find(&o->after, &e->k) < 0 && set_find(&closed_now, &e->k) < 0) {
			set_add(&o->gone, &e->k, &e->s);
			vis_gone++;
		}
	}
	struct dp_tracker_stats st;
	dp_tracker_get_stats(t, &st);
	for (uint64_t f = fused_before + vis_gone; f < st.fused; f++) {
		/* the message's own session opened and was absorbed in the
		 * same call: never seen open (its start is not known here) */
		struct rt_session s;
		memset(&s, 0, sizeof(s));
		CHECK(m != NULL && !(m->source & RT_SRC_RADIUS));
		if (!m)
			break;
		s.sources = m->source;
		rt_text_set(&s.session_id, m->session_id.p, m->session_id.len);
		s.start_ns = RT_TIME_NONE;
		struct key k = key_of(&s);
		set_add(&o->gone, &k, &s);
	}
	for (size_t i = 0; i < o->after.n; i++) {
		const struct ent *e = &o->after.v[i];
		long j = set_find(&o->before, &e->k);
		if ((j < 0 || !sess_eq(&o->before.v[j].s, &e->s) ||
		     set_find(&closed_now, &e->k) >= 0) &&
		    set_find(&o->changed, &e->k) < 0)
			set_add(&o->changed, &e->k, NULL);
	}
	for (size_t i = 0; i < closed_now.n; i++)
		set_add(&o->log, &closed_now.v[i].k, &closed_now.v[i].s);
	closed_now.n = 0;
	struct set tmp = o->before;
	o->before = o->after;
	o->after = tmp;
}

/* A checkpoint: the visit against the oracle, then the clear. */
static void checkpoint(struct oracle *o, dp_tracker *t, uint64_t seed)
{
	struct visit v = {0};
	visit_reset(&v);
	if (rnd(3) == 0) {
		/* a visit that fails half way (a store error): nothing lost */
		v.fail_at = (long)rnd(8);
		int r = dp_tracker_foreach_dirty(t, visit_fn, &v);
		CHECK(r == -EIO || r == 0);
		visit_reset(&v);
	}
	int r = dp_tracker_foreach_dirty(t, visit_fn, &v);
	CHECK(r == 0);
	o->checkpoints++;
	/* open: each changed session still open, once, as it is now */
	size_t want = 0;
	for (size_t i = 0; i < o->before.n; i++) {
		const struct ent *e = &o->before.v[i];
		long j = set_find(&v.open, &e->k);
		bool changed = set_find(&o->changed, &e->k) >= 0;
		want += changed;
		if (changed != (j >= 0)) {
			fprintf(stderr, "seed %llu checkpoint %u: %.*s %s\n",
				(unsigned long long)seed, o->checkpoints, e->s.session_id.len,
				e->s.session_id.v,
				changed ? "changed but not listed" : "listed but unchanged");
			CHECK(0);
		} else if (j >= 0) {
			CHECK(sess_eq(&v.open.v[j].s, &e->s));
		}
	}
	if (v.open.n != want) {
		fprintf(stderr, "seed %llu checkpoint %u: %zu listed open, want %zu\n",
			(unsigned long long)seed, o->checkpoints, v.open.n, want);
		CHECK(0);
	}
	/* gone: the same keys, as many times, with their start */
	CHECK_EQ_I64(v.gone.n, o->gone.n);
	if (v.gone.n == o->gone.n && v.gone.n) {
		qsort(v.gone.v, v.gone.n, sizeof(*v.gone.v), key_cmp);
		qsort(o->gone.v, o->gone.n, sizeof(*o->gone.v), key_cmp);
		for (size_t i = 0; i < v.gone.n; i++) {
			const struct ent *g = &v.gone.v[i], *w = &o->gone.v[i];
			CHECK(key_eq(&g->k, &w->k));
			CHECK(text_eq(&g->s.session_id, &w->s.session_id));
			if (w->s.start_ns != RT_TIME_NONE) {
				CHECK_EQ_I64(g->s.start_ns, w->s.start_ns);
				CHECK(g->s.nas_ip.family == w->s.nas_ip.family &&
				      memcmp(g->s.nas_ip.a, w->s.nas_ip.a, 16) == 0);
				CHECK(g->s.sources == w->s.sources);
			}
		}
	}
	o->listed += (unsigned)v.open.n;
	o->listed_gone += (unsigned)v.gone.n;
	dp_tracker_clear_dirty(t);
	o->changed.n = 0;
	o->gone.n = 0;
	free(v.open.v);
	free(v.gone.v);
}

static void random_run(uint64_t seed, unsigned nops, bool often, struct oracle *tot)
{
	struct oracle o = {0};
	dp_tracker *t;
	rng = seed;
	CHECK(dp_tracker_alloc(NULL, on_close, NULL, &t) == 0);
	int64_t now = T0;
	snapshot(t, &o.before);
	for (unsigned i = 0; i < nops; i++) {
		unsigned step = rnd(100);
		now += step < 80 ? (int64_t)rnd(30) * NS / 10 : step < 98 ? (int64_t)rnd(600) * NS
									   : (int64_t)rnd(8000) * NS;
		struct dp_tracker_stats st;
		dp_tracker_get_stats(t, &st);
		unsigned op = rnd(100);
		if (often && rnd(4) == 0)
			op = 99; /* checkpoints close together: fewer changes mask others */
		struct dp_acct_msg m;
		const struct dp_acct_msg *mp = NULL;
		int r;
		if (op < 90) {
			rand_msg(&m, now);
			mp = &m;
			r = dp_tracker_acct(t, &m);
		} else if (op < 93) {
			r = dp_tracker_advance(t, now);
		} else if (op < 95 && o.log.n) {
			/* a session "from the store": resumed as open */
			struct rt_session s = o.log.v[rnd((uint32_t)o.log.n)].s;
			s.stop_ns = RT_TIME_NONE;
			s.last_news_ns = RT_TIME_NONE;
			r = dp_tracker_resume(t, &s);
			if (r == -EEXIST)
				r = 0;
		} else {
			/* checkpoint now and then */
			observe(&o, t, st.fused, NULL);
			checkpoint(&o, t, seed);
			continue;
		}
		CHECK(r == 0);
		observe(&o, t, st.fused, mp);
	}
	struct dp_tracker_stats st;
	dp_tracker_get_stats(t, &st);
	CHECK(dp_tracker_flush(t, now + 7200 * NS) == 0);
	observe(&o, t, st.fused, NULL);
	checkpoint(&o, t, seed);
	dp_tracker_get_stats(t, &st);
	tot->checkpoints += o.checkpoints;
	tot->listed += o.listed;
	tot->listed_gone += o.listed_gone;
	tot->dropped += (unsigned)st.fused; /* fusions seen */
	dp_tracker_free(t);
	free(o.before.v);
	free(o.after.v);
	free(o.changed.v);
	free(o.gone.v);
	free(o.log.v);
}

/* ---- deterministic cases ---------------------------------------------------- */

static struct dp_acct_msg rad(uint32_t status, char *sid, unsigned k, int64_t at)
{
	struct dp_acct_msg m;
	memset(&m, 0, sizeof(m));
	m.status = status;
	m.capture_ns = at;
	m.event_ns = at;
	m.nas.family = 4;
	m.nas.a[0] = 10;
	m.nas.a[3] = 1;
	m.auth = RT_AUTH_VERIFIED;
	m.source = RT_SRC_RADIUS;
	snprintf(sid, 16, "s%u", k);
	m.session_id.p = sid;
	m.session_id.len = (uint8_t)strlen(sid);
	m.has_ipv4 = true;
	m.ipv4[0] = 100;
	m.ipv4[1] = (uint8_t)(k >> 16);
	m.ipv4[2] = (uint8_t)(k >> 8);
	m.ipv4[3] = (uint8_t)k;
	return m;
}

/* Session number of a listed session (sid "s<k>"). */
static long sid_no(const struct rt_session *s)
{
	char b[RT_TEXT_MAX + 1];
	memcpy(b, s->session_id.v, s->session_id.len);
	b[s->session_id.len] = 0;
	return b[0] == 's' ? strtol(b + 1, NULL, 10) : -1;
}

struct marks {
	unsigned char *seen; /* per session number: listed how often */
	size_t n, listed, bad;
};

static int mark_fn(void *ctx, const struct rt_session *s, bool gone)
{
	struct marks *mk = ctx;
	long k = sid_no(s);
	if (gone || k < 0 || (size_t)k >= mk->n) {
		mk->bad++;
		return 0;
	}
	mk->seen[k]++;
	mk->listed++;
	return 0;
}

/* Many sessions: two record chunks and several list chunks, filled,
 * cleared, changed in part, closed in part (records move into the holes
 * and chunks are given back), reopened into reused slots. */
static void many(void)
{
	enum { N = 150000 };
	dp_tracker *t;
	char sid[16];
	CHECK(dp_tracker_alloc(NULL, on_close, NULL, &t) == 0);
	unsigned char *want = calloc(N, 1), *open = calloc(N, 1);
	struct marks mk = {calloc(N, 1), N, 0, 0};
	int64_t at = T0;
	for (unsigned k = 0; k < N; k++) {
		struct dp_acct_msg m = rad(DP_ACCT_START, sid, k, at += 1000);
		CHECK(dp_tracker_acct(t, &m) == 0);
		open[k] = 1;
	}
	/* every one opened: listed once each */
	CHECK(dp_tracker_foreach_dirty(t, mark_fn, &mk) == 0);
	CHECK_EQ_I64(mk.listed, N);
	dp_tracker_clear_dirty(t);
	memset(mk.seen, 0, N);
	mk.listed = 0;
	CHECK(dp_tracker_foreach_dirty(t, mark_fn, &mk) == 0);
	CHECK_EQ_I64(mk.listed, 0);

	rng = 99;
	/* 1% get a news Interim, 40% close (mostly from the front: the
	 * last records move into the holes and chunks are given back),
	 * then 5% of the closed ones open again in reused slots */
	for (unsigned k = 0; k < N; k++) {
		if (rnd(100) == 0) {
			struct dp_acct_msg m = rad(DP_ACCT_INTERIM, sid, k, at + 10 * NS);
			m.ipv4[0] = 101;
			CHECK(dp_tracker_acct(t, &m) == 0);
			want[k] = 1;
		}
	}
	for (unsigned k = 0; k < N; k++) {
		if (rnd(100) < 40) {
			struct dp_acct_msg m = rad(DP_ACCT_STOP, sid, k, at + 20 * NS);
			CHECK(dp_tracker_acct(t, &m) == 0);
			want[k] = 0;
			open[k] = 0;
		}
	}
	/* a retransmitted Interim changes nothing */
	for (unsigned k = 0; k < N; k += 7) {
		if (!open[k] || want[k])
			continue;
		struct dp_acct_msg m = rad(DP_ACCT_INTERIM, sid, k, at);
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	for (unsigned k = 0; k < N; k++) {
		if (!open[k] && rnd(20) == 0) {
			/* a new session of the key (the old one closed) */
			struct dp_acct_msg m = rad(DP_ACCT_START, sid, k, at + 30 * NS);
			CHECK(dp_tracker_acct(t, &m) == 0);
			want[k] = 1;
			open[k] = 1;
		}
	}
	CHECK(dp_tracker_foreach_dirty(t, mark_fn, &mk) == 0);
	size_t nwant = 0, wrong = 0;
	for (unsigned k = 0; k < N; k++) {
		nwant += want[k];
		wrong += mk.seen[k] != want[k];
	}
	CHECK_EQ_I64(wrong, 0);
	CHECK_EQ_I64(mk.listed, nwant);
	CHECK_EQ_I64(mk.bad, 0);
	CHECK(nwant > 1000);
	dp_tracker_clear_dirty(t);
	memset(mk.seen, 0, N);
	mk.listed = 0;
	CHECK(dp_tracker_foreach_dirty(t, mark_fn, &mk) == 0);
	CHECK_EQ_I64(mk.listed, 0);
	dp_tracker_free(t);
	free(want);
	free(open);
	free(mk.seen);
}

static size_t listed_now(dp_tracker *t, struct marks *mk)
{
	memset(mk->seen, 0, mk->n);
	mk->listed = 0;
	CHECK(dp_tracker_foreach_dirty(t, mark_fn, mk) == 0);
	dp_tracker_clear_dirty(t);
	return mk->listed;
}

/* One change at a time, each checkpointed alone: a change that is not
 * news (no new last_news: a retransmission with a new value) still
 * counts; a retransmission without one does not. */
static void directed(void)
{
	dp_tracker *t;
	char sid[16];
	struct marks mk = {calloc(4, 1), 4, 0, 0};
	CHECK(dp_tracker_alloc(NULL, on_close, NULL, &t) == 0);
	int64_t at = T0;
	struct dp_acct_msg m = rad(DP_ACCT_START, sid, 1, at);
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = rad(DP_ACCT_START, sid, 2, at);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(listed_now(t, &mk), 2);
	/* retransmitted Start, then Interim within the duplicate window */
	m = rad(DP_ACCT_START, sid, 1, at);
	CHECK(dp_tracker_acct(t, &m) == 0);
	m = rad(DP_ACCT_INTERIM, sid, 1, at + NS / 2);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(listed_now(t, &mk), 0);
	/* the same window, a new address: in place, no news, but a change */
	m = rad(DP_ACCT_INTERIM, sid, 1, at + NS / 2);
	m.ipv4[0] = 9;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(listed_now(t, &mk), 1);
	CHECK(mk.seen[1] == 1);
	/* a packet from a NAS without a secret: auth changes */
	m = rad(DP_ACCT_INTERIM, sid, 2, at + NS / 2);
	m.auth = RT_AUTH_NO_SECRET;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(listed_now(t, &mk), 1);
	CHECK(mk.seen[2] == 1);
	/* Event-Timestamp: the clock skew appears once */
	m = rad(DP_ACCT_INTERIM, sid, 2, at + NS / 2);
	m.has_event_ts = true;
	m.skew_ns = 3000000;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(listed_now(t, &mk), 1);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(listed_now(t, &mk), 0);
	/* a text that changes: rebuilt, a change */
	m = rad(DP_ACCT_INTERIM, sid, 1, at + NS / 2);
	m.ipv4[0] = 9;
	m.account.p = "dave";
	m.account.len = 4;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(listed_now(t, &mk), 1);
	CHECK(mk.seen[1] == 1);
	/* news: a later Interim */
	m = rad(DP_ACCT_INTERIM, sid, 2, at + 30 * NS);
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK_EQ_I64(listed_now(t, &mk), 1);
	CHECK(mk.seen[2] == 1);
	free(mk.seen);
	dp_tracker_free(t);
}

/* Nobody clears: the list is dropped once stale entries pile up, the
 * visit says so, a clear (O(open)) makes it exact again; memory stays
 * bounded meanwhile. */
static void dropped(void)
{
	dp_tracker *t;
	char sid[16];
	CHECK(dp_tracker_alloc(NULL, on_close, NULL, &t) == 0);
	int64_t at = T0;
	for (unsigned k = 0; k < 8; k++) {
		struct dp_acct_msg m = rad(DP_ACCT_START, sid, k, at += NS);
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	/* churn of one key under 8 open sessions: every close moves the
	 * last record (queued) into the hole, every open queues one more */
	struct dp_tracker_stats st0, st;
	dp_tracker_get_stats(t, &st0);
	for (unsigned i = 0; i < 200000; i++) {
		struct dp_acct_msg m = rad(DP_ACCT_STOP, sid, i % 8, at += NS);
		CHECK(dp_tracker_acct(t, &m) == 0);
		m = rad(DP_ACCT_START, sid, i % 8, at += NS);
		CHECK(dp_tracker_acct(t, &m) == 0);
	}
	dp_tracker_get_stats(t, &st);
	/* bounded: no more than a few list chunks of 256 KB were held */
	CHECK(st.mem_bytes < st0.mem_bytes + 2 * 1024 * 1024);
	struct marks mk = {calloc(8, 1), 8, 0, 0};
	CHECK(dp_tracker_foreach_dirty(t, mark_fn, &mk) == -ENOBUFS);
	CHECK_EQ_I64(mk.listed, 0);
	dp_tracker_clear_dirty(t);
	CHECK(dp_tracker_foreach_dirty(t, mark_fn, &mk) == 0);
	CHECK_EQ_I64(mk.listed, 0);
	struct dp_acct_msg m = rad(DP_ACCT_INTERIM, sid, 3, at += 10 * NS);
	m.ipv4[0] = 7;
	CHECK(dp_tracker_acct(t, &m) == 0);
	CHECK(dp_tracker_foreach_dirty(t, mark_fn, &mk) == 0);
	CHECK_EQ_I64(mk.listed, 1);
	CHECK(mk.seen[3] == 1);
	free(mk.seen);
	dp_tracker_free(t);
}

int main(void)
{
	struct oracle tot = {0};
	for (uint64_t seed = 1; seed <= 200; seed++)
		random_run(seed, 1500, seed > 100, &tot);
	fprintf(stderr, "checkpoints %u, listed open %u, listed gone %u, fusions %u\n",
		tot.checkpoints, tot.listed, tot.listed_gone, tot.dropped);
	/* the runs must have exercised what they check */
	CHECK(tot.checkpoints > 5000 && tot.listed > 10000 && tot.listed_gone > 200);
	directed();
	many();
	dropped();
	free(closed_now.v);
	CHECK_DONE();
}
