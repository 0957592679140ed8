/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The session tracker as it was before issue 7 (one malloc'd struct
 * rt_session of ~1.4 KB per open session, pointer-chained hash tables),
 * frozen as the same-run baseline of tools/bench-tracker.c.  Not linked
 * into retain; its public names are renamed v1_*.  Do not fix bugs here:
 * it measures what was, not what is (dataplane/tracker.c is the tracker).
 */
#define dp_tracker_cfg_default v1_tracker_cfg_default
#define dp_tracker_alloc v1_tracker_alloc
#define dp_tracker_free v1_tracker_free
#define dp_tracker_acct v1_tracker_acct
#define dp_tracker_advance v1_tracker_advance
#define dp_tracker_flush v1_tracker_flush
#define dp_tracker_resume v1_tracker_resume
#define dp_tracker_remember_closed v1_tracker_remember_closed
#define dp_tracker_foreach_open v1_tracker_foreach_open
#define dp_tracker_get_stats v1_tracker_get_stats
/*
 * Session tracker.  The rules are in tracker.h; tools/rt-gen.md states the
 * same rules for the capture generator, which mirrors them independently to
 * produce the truth that tests compare against.
 *
 * Data structures:
 *  - open sessions: chained hash on (NAS, Acct-Session-Id), plus a dense
 *    array of (deadline, session) so that an orphan sweep streams through
 *    8-byte deadlines and is skipped entirely while nothing can be due;
 *  - recently closed keys: chained hash plus a FIFO in close order, pruned
 *    after closed_keep_ns of capture time.
 */
#include "tracker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "radius.h"

#define NS 1000000000LL
#define DUP_WINDOW_NS NS /* events within 1 s are the same news */
#define RETRY_WINDOW_NS (60 * NS) /* how long RADIUS clients retransmit */
#define DP_MAC_SLOTS 65536u

struct sess {
	struct sess *hnext;
	struct sess *mnext;   /* MAC index chain */
	uint64_t hash;
	uint32_t idx; /* position in the dense arrays */
	bool has_mac;         /* in the MAC index under mac */
	uint8_t mac[6];
	int64_t expires_ns;   /* DHCP lease end, or INT64_MAX */
	struct rt_session r;
};

struct closed {
	struct closed *hnext;
	struct closed *fnext, *fprev; /* FIFO by close time */
	uint64_t hash;
	int64_t stop_ns;
	int64_t closed_at_ns; /* capture clock */
	int64_t len_ms;       /* stop - start, rounded; -1 too long */
	uint32_t acct;        /* acct32() of its account */
	bool fused;           /* absorbed into the RADIUS session with this MAC */
	uint8_t mac[6];
	struct rt_addr nas;
	uint8_t sid_len;
	char sid[];
};

struct dp_tracker {
	struct dp_tracker_cfg cfg;
	dp_tracker_close_fn on_close;
	void *ctx;
	int cb_err;

	struct sess **buckets;
	size_t nbuckets; /* power of two */
	struct sess **macs; /* DP_MAC_SLOTS chains */
	struct sess **dense;
	int64_t *deadline;
	size_t nopen, cap;
	int64_t min_deadline; /* lower bound of every deadline */

	struct closed **cbuckets;
	size_t ncbuckets;
	size_t nclosed;
	struct closed *fhead, *ftail;

	int64_t now_ns;
	int64_t next_sweep_ns;
	bool clock_started;

	struct dp_tracker_stats st;
};

void dp_tracker_cfg_default(struct dp_tracker_cfg *cfg)
{
	cfg->orphan_k = 3;
	cfg->default_interval_ns = 3600 * NS;
	cfg->min_timeout_ns = 60 * NS;
	cfg->sweep_every_ns = 60 * NS;
	cfg->closed_keep_ns = 2 * 86400 * NS;
}

/* FNV-1a over the key; good enough for a table we size ourselves, and the
 * key is (NAS, id) chosen by NASes we have a shared secret with. */
static uint64_t key_hash(const struct rt_addr *nas, const char *sid, unsigned len)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned alen = nas->family == 6 ? 16 : 4;
	h = (h ^ nas->family) * 1099511628211ULL;
	for (unsigned i = 0; i < alen; i++)
		h = (h ^ nas->a[i]) * 1099511628211ULL;
	for (unsigned i = 0; i < len; i++)
		h = (h ^ (uint8_t)sid[i]) * 1099511628211ULL;
	h ^= h >> 29;
	return h;
}

static const struct rt_addr zero_addr;

/* The NAS part of a session's key: the zero address for PPPoE and DHCP
 * sessions (their id is unique on its own, and the record's nas_ip, e.g. a
 * DHCP relay, may change between messages of one binding). */
static const struct rt_addr *key_nas(const struct rt_session *r)
{
	return (r->sources & RT_SRC_RADIUS) ? &r->nas_ip : &zero_addr;
}

static bool addr_eq(const struct rt_addr *a, const struct rt_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->a, b->a, a->family == 6 ? 16 : 4) == 0;
}

static bool key_eq(const struct rt_addr *nas, const struct rt_text *sid,
		   const struct rt_addr *nas2, const char *sid2, unsigned len2)
{
	return sid->len == len2 && addr_eq(nas, nas2) && (!len2 || memcmp(sid->v, sid2, len2) == 0);
}

int dp_tracker_alloc(const struct dp_tracker_cfg *cfg, dp_tracker_close_fn on_close,
		     void *ctx, dp_tracker **ret)
{
	dp_tracker *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (cfg)
		t->cfg = *cfg;
	else
		dp_tracker_cfg_default(&t->cfg);
	if (t->cfg.orphan_k == 0)
		t->cfg.orphan_k = 3;
	if (t->cfg.sweep_every_ns <= 0)
		t->cfg.sweep_every_ns = 60 * NS;
	t->on_close = on_close;
	t->ctx = ctx;
	t->nbuckets = 1024;
	t->ncbuckets = 1024;
	t->cap = 1024;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->cbuckets = calloc(t->ncbuckets, sizeof(*t->cbuckets));
	t->macs = calloc(DP_MAC_SLOTS, sizeof(*t->macs));
	t->dense = malloc(t->cap * sizeof(*t->dense));
	t->deadline = malloc(t->cap * sizeof(*t->deadline));
	t->min_deadline = INT64_MAX;
	if (!t->buckets || !t->cbuckets || !t->dense || !t->deadline || !t->macs) {
		dp_tracker_free(t);
		return -ENOMEM;
	}
	*ret = t;
	return 0;
}

void dp_tracker_free(dp_tracker *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nopen; i++)
		free(t->dense[i]);
	for (struct closed *c = t->fhead, *n; c; c = n) {
		n = c->fnext;
		free(c);
	}
	free(t->buckets);
	free(t->cbuckets);
	free(t->macs);
	free(t->dense);
	free(t->deadline);
	free(t);
}

/* ---- open table --------------------------------------------------------- */

static struct sess *open_find(dp_tracker *t, uint64_t h, const struct rt_addr *nas,
			      const char *sid, unsigned sid_len)
{
	for (struct sess *s = t->buckets[h & (t->nbuckets - 1)]; s; s = s->hnext)
		if (s->hash == h && key_eq(key_nas(&s->r), &s->r.session_id, nas, sid, sid_len))
			return s;
	return NULL;
}

static int open_grow(dp_tracker *t)
{
	if (t->nopen == t->cap) {
		size_t ncap = t->cap * 2;
		struct sess **d = realloc(t->dense, ncap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		t->dense = d;
		int64_t *dl = realloc(t->deadline, ncap * sizeof(*dl));
		if (!dl)
			return -ENOMEM;
		t->deadline = dl;
		t->cap = ncap;
	}
	if (t->nopen >= t->nbuckets) {
		size_t nb = t->nbuckets * 2;
		struct sess **b = calloc(nb, sizeof(*b));
		if (!b)
			return -ENOMEM;
		for (size_t i = 0; i < t->nopen; i++) {
			struct sess *s = t->dense[i];
			s->hnext = b[s->hash & (nb - 1)];
			b[s->hash & (nb - 1)] = s;
		}
		free(t->buckets);
		t->buckets = b;
		t->nbuckets = nb;
	}
	return 0;
}

static int64_t sess_deadline(const dp_tracker *t, const struct sess *s)
{
	const struct rt_session *r = &s->r;
	if (s->expires_ns != INT64_MAX)
		return s->expires_ns; /* a DHCP lease ends when it ends */
	int64_t interval = t->cfg.default_interval_ns;
	if (r->prev_news_ns != RT_TIME_NONE && r->last_news_ns > r->prev_news_ns)
		interval = r->last_news_ns - r->prev_news_ns;
	int64_t timeout = interval;
	/* saturating k x interval */
	if (interval > INT64_MAX / (int64_t)t->cfg.orphan_k)
		timeout = INT64_MAX;
	else
		timeout = interval * (int64_t)t->cfg.orphan_k;
	if (timeout < t->cfg.min_timeout_ns)
		timeout = t->cfg.min_timeout_ns;
	if (r->last_news_ns > INT64_MAX - timeout)
		return INT64_MAX;
	return r->last_news_ns + timeout;
}

static void sess_touch(dp_tracker *t, struct sess *s)
{
	int64_t d = sess_deadline(t, s);
	t->deadline[s->idx] = d;
	if (d < t->min_deadline)
		t->min_deadline = d;
}

static int open_insert(dp_tracker *t, const struct rt_session *r, uint64_t h,
		       struct sess **ret)
{
	int err = open_grow(t);
	if (err)
		return err;
	struct sess *s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->r = *r;
	s->hash = h;
	s->has_mac = false;
	s->mnext = NULL;
	s->expires_ns = INT64_MAX;
	s->idx = (uint32_t)t->nopen;
	s->hnext = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = s;
	t->dense[t->nopen++] = s;
	sess_touch(t, s);
	t->st.opened++;
	*ret = s;
	return 0;
}

static void open_unlink(dp_tracker *t, struct sess *s)
{
	struct sess **pp = &t->buckets[s->hash & (t->nbuckets - 1)];
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	size_t last = --t->nopen;
	if (s->idx != last) {
		struct sess *m = t->dense[last];
		t->dense[s->idx] = m;
		t->deadline[s->idx] = t->deadline[last];
		m->idx = s->idx;
	}
}

/* ---- recently closed keys ----------------------------------------------- */

static struct closed *closed_find(dp_tracker *t, uint64_t h, const struct rt_addr *nas,
				  const char *sid, unsigned sid_len)
{
	for (struct closed *c = t->cbuckets[h & (t->ncbuckets - 1)]; c; c = c->hnext)
		if (c->hash == h && c->sid_len == sid_len && addr_eq(&c->nas, nas) &&
		    (!sid_len || memcmp(c->sid, sid, sid_len) == 0))
			return c;
	return NULL;
}

static void closed_unlink(dp_tracker *t, struct closed *c)
{
	struct closed **pp = &t->cbuckets[c->hash & (t->ncbuckets - 1)];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	if (c->fprev)
		c->fprev->fnext = c->fnext;
	else
		t->fhead = c->fnext;
	if (c->fnext)
		c->fnext->fprev = c->fprev;
	else
		t->ftail = c->fprev;
	t->nclosed--;
}

static void closed_fifo_append(dp_tracker *t, struct closed *c)
{
	c->fnext = NULL;
	c->fprev = t->ftail;
	if (t->ftail)
		t->ftail->fnext = c;
	else
		t->fhead = c;
	t->ftail = c;
}

static int closed_grow(dp_tracker *t)
{
	if (t->nclosed < t->ncbuckets)
		return 0;
	size_t nb = t->ncbuckets * 2;
	struct closed **b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (struct closed *c = t->fhead; c; c = c->fnext) {
		c->hnext = b[c->hash & (nb - 1)];
		b[c->hash & (nb - 1)] = c;
	}
	free(t->cbuckets);
	t->cbuckets = b;
	t->ncbuckets = nb;
	return 0;
}

/* FNV-1a: stands for a closed session's account */
static uint32_t acct32(const char *v, unsigned len)
{
	uint32_t h = 2166136261u;
	for (unsigned i = 0; i < len; i++)
		h = (h ^ (uint8_t)v[i]) * 16777619u;
	return h;
}

/* Remember that key (nas, sid) closed at stop_ns. */
static int closed_remember(dp_tracker *t, uint64_t h, const struct rt_session *r)
{
	struct closed *c = closed_find(t, h, key_nas(r), r->session_id.v, r->session_id.len);
	if (c) {
		closed_unlink(t, c);
	} else {
		c = malloc(sizeof(*c) + r->session_id.len);
		if (!c)
			return -ENOMEM;
		c->hash = h;
		c->nas = *key_nas(r);
		c->sid_len = r->session_id.len;
		memcpy(c->sid, r->session_id.v, r->session_id.len);
	}
	int err = closed_grow(t);
	if (err) {
		free(c);
		return err;
	}
	c->stop_ns = r->stop_ns;
	c->closed_at_ns = t->now_ns;
	uint64_t len = r->stop_ns > r->start_ns ? (uint64_t)r->stop_ns - (uint64_t)r->start_ns : 0;
	c->len_ms = len / 1000000 < UINT32_MAX - 1 ? (int64_t)((len + 500000) / 1000000) : -1;
	c->acct = acct32(r->account.v, r->account.len);
	c->fused = false;
	c->hnext = t->cbuckets[h & (t->ncbuckets - 1)];
	t->cbuckets[h & (t->ncbuckets - 1)] = c;
	closed_fifo_append(t, c);
	t->nclosed++;
	return 0;
}

static void closed_prune(dp_tracker *t)
{
	while (t->fhead && t->now_ns - t->fhead->closed_at_ns > t->cfg.closed_keep_ns) {
		struct closed *c = t->fhead;
		closed_unlink(t, c);
		free(c);
	}
}

/* ---- closing ------------------------------------------------------------ */

/* ---- MAC index (fusion of RADIUS with PPPoE/DHCP, ACCESS.md) ----------- */

static size_t mac_slot(const uint8_t mac[6])
{
	uint64_t h = 0;
	for (unsigned i = 0; i < 6; i++)
		h = (h << 8) | mac[i];
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 40) & (DP_MAC_SLOTS - 1);
}

static void mac_unlink(dp_tracker *t, struct sess *s)
{
	if (!s->has_mac)
		return;
	struct sess **pp = &t->macs[mac_slot(s->mac)];
	while (*pp && *pp != s)
		pp = &(*pp)->mnext;
	if (*pp)
		*pp = s->mnext;
	s->has_mac = false;
}

static void mac_link(dp_tracker *t, struct sess *s, const uint8_t mac[6])
{
	if (s->has_mac && memcmp(s->mac, mac, 6) == 0)
		return;
	mac_unlink(t, s);
	memcpy(s->mac, mac, 6);
	s->has_mac = true;
	size_t k = mac_slot(mac);
	s->mnext = t->macs[k];
	t->macs[k] = s;
}

static bool is_radius(const struct sess *s)
{
	return (s->r.sources & RT_SRC_RADIUS) != 0;
}

/* An open session with this MAC on the other side of the fusion: a RADIUS
 * session when `radius`, else a PPPoE/DHCP one. */
static struct sess *mac_find(dp_tracker *t, const uint8_t mac[6], bool radius)
{
	for (struct sess *s = t->macs[mac_slot(mac)]; s; s = s->mnext)
		if (s->has_mac && memcmp(s->mac, mac, 6) == 0 && is_radius(s) == radius)
			return s;
	return NULL;
}

/* Close s at stop_ns with cause; frees s. */
static int sess_close(dp_tracker *t, struct sess *s, int64_t stop_ns, unsigned cause)
{
	if (stop_ns < s->r.start_ns)
		stop_ns = s->r.start_ns;
	s->r.stop_ns = stop_ns;
	s->r.stop_cause = (uint8_t)cause;
	mac_unlink(t, s);
	open_unlink(t, s);
	t->st.closed++;
	int err = closed_remember(t, s->hash, &s->r);
	if (t->on_close) {
		int cerr = t->on_close(t->ctx, &s->r);
		if (cerr && !t->cb_err)
			t->cb_err = cerr;
	}
	free(s);
	return err;
}

static int sweep(dp_tracker *t)
{
	int64_t now = t->now_ns;
	closed_prune(t);
	if (now <= t->min_deadline)
		return 0;
	int64_t min = INT64_MAX;
	for (size_t i = 0; i < t->nopen;) {
		if (now > t->deadline[i]) {
			struct sess *s = t->dense[i];
			int err;
			/* sess_close moves the last entry into slot i */
			if (s->expires_ns != INT64_MAX) {
				t->st.leases_expired++;
				err = sess_close(t, s, s->expires_ns, RT_CAUSE_LEASE_EXPIRED);
			} else {
				t->st.orphaned++;
				err = sess_close(t, s, s->r.last_news_ns, RT_CAUSE_ORPHAN_TIMEOUT);
			}
			if (err)
				return err;
			continue;
		}
		if (t->deadline[i] < min)
			min = t->deadline[i];
		i++;
	}
	t->min_deadline = min;
	return 0;
}

static int take_cb_err(dp_tracker *t)
{
	int e = t->cb_err;
	t->cb_err = 0;
	return e;
}

int dp_tracker_advance(dp_tracker *t, int64_t now_ns)
{
	if (!t->clock_started) {
		t->clock_started = true;
		t->now_ns = now_ns;
		t->next_sweep_ns = (now_ns / t->cfg.sweep_every_ns + 1) * t->cfg.sweep_every_ns;
		return 0;
	}
	if (now_ns > t->now_ns)
		t->now_ns = now_ns;
	if (now_ns < t->next_sweep_ns)
		return 0;
	t->next_sweep_ns = (now_ns / t->cfg.sweep_every_ns + 1) * t->cfg.sweep_every_ns;
	int err = sweep(t);
	return err ? err : take_cb_err(t);
}

int dp_tracker_flush(dp_tracker *t, int64_t now_ns)
{
	if (now_ns > t->now_ns)
		t->now_ns = now_ns;
	int err = sweep(t);
	return err ? err : take_cb_err(t);
}

/* ---- messages ----------------------------------------------------------- */

/* Copy a non-empty view, only when it differs (the common case on the
 * per-packet path is an unchanged value). */
static void copy_text(struct rt_text *dst, struct rt_view src)
{
	if (src.len && (src.len != dst->len || memcmp(dst->v, src.p, src.len) != 0))
		rt_text_set(dst, src.p, src.len);
}

static void copy_prefix(struct rt_prefix6 *dst, const struct rt_prefix6 *src)
{
	if (src->present)
		*dst = *src;
}

/* Latest non-empty value wins. */
static void sess_update(struct rt_session *r, const struct dp_acct_msg *m)
{
	copy_text(&r->account, m->account);
	copy_text(&r->nas_id, m->nas_id);
	copy_text(&r->nas_port_id, m->nas_port_id);
	if (m->has_ipv4) {
		r->has_ipv4 = true;
		memcpy(r->ipv4, m->ipv4, 4);
	}
	if (m->has_ipv6_addr) {
		r->has_ipv6_addr = true;
		memcpy(r->ipv6_addr, m->ipv6_addr, 16);
	}
	copy_prefix(&r->ipv6_prefix, &m->ipv6_prefix);
	copy_prefix(&r->delegated_prefix, &m->delegated_prefix);
	struct rt_view cn = m->calling_number;
	/* parse the MAC only when the calling number changes */
	if (cn.len && (cn.len != r->calling_number.len || memcmp(cn.p, r->calling_number.v, cn.len))) {
		rt_text_set(&r->calling_number, cn.p, cn.len);
		r->has_calling_mac = rt_mac_parse(cn.p, cn.len, r->calling_mac);
	}
	if (m->has_event_ts && !r->has_clock_skew) {
		r->has_clock_skew = true;
		int64_t ms = m->skew_ns / 1000000;
		if (ms > INT32_MAX)
			ms = INT32_MAX;
		if (ms < INT32_MIN)
			ms = INT32_MIN;
		r->clock_skew_ms = (int32_t)ms;
	}
	r->sources |= m->source;
	/* a session is "verified" only while all its packets are */
	if (m->auth == RT_AUTH_NO_SECRET)
		r->auth = RT_AUTH_NO_SECRET;
}

static int sess_open(dp_tracker *t, const struct dp_acct_msg *m, uint64_t h,
		     int64_t start_ns, struct sess **ret)
{
	struct rt_session r;
	memset(&r, 0, sizeof(r));
	r.start_ns = start_ns;
	r.stop_ns = RT_TIME_NONE;
	r.nas_ip = m->has_nas_rec ? m->nas_rec : m->nas;
	rt_text_set(&r.session_id, m->session_id.p, m->session_id.len);
	r.auth = m->auth;
	r.last_news_ns = m->event_ns;
	r.prev_news_ns = RT_TIME_NONE;
	sess_update(&r, m);
	return open_insert(t, &r, h, ret);
}

static int nas_reboot(dp_tracker *t, const struct dp_acct_msg *m)
{
	t->st.nas_reboots++;
	for (size_t i = 0; i < t->nopen;) {
		struct sess *s = t->dense[i];
		if (is_radius(s) && addr_eq(&s->r.nas_ip, &m->nas) &&
		    s->r.start_ns <= m->event_ns) {
			int err = sess_close(t, s, m->event_ns, RT_CAUSE_NAS_REBOOT_INFERRED);
			if (err)
				return err;
			continue; /* slot i now holds another session */
		}
		i++;
	}
	return 0;
}

/* o (PPPoE/DHCP) is the same session as rad (RADIUS): rad keeps its
 * record and gains o's source and what it lacks; o is dropped, and its key
 * remembered as closed "forever" so its later frames change nothing. */
static int absorb(dp_tracker *t, struct sess *rad, struct sess *o)
{
	rad->r.sources |= o->r.sources;
	if (!rad->r.has_ipv4 && o->r.has_ipv4) {
		rad->r.has_ipv4 = true;
		memcpy(rad->r.ipv4, o->r.ipv4, 4);
	}
	if (!rad->r.nas_port_id.len && o->r.nas_port_id.len)
		rad->r.nas_port_id = o->r.nas_port_id;
	uint8_t mac[6];
	bool has_mac = o->has_mac;
	memcpy(mac, o->mac, 6);
	mac_unlink(t, o);
	open_unlink(t, o);
	o->r.stop_ns = INT64_MAX;
	int err = closed_remember(t, o->hash, &o->r);
	/* its frames are ignored while the RADIUS session lives; a new login
	 * or binding of the same key after it is a new session */
	struct closed *c = err ? NULL : closed_find(t, o->hash, key_nas(&o->r), o->r.session_id.v,
						    o->r.session_id.len);
	if (c && has_mac) {
		c->fused = true;
		memcpy(c->mac, mac, 6);
	}
	free(o);
	t->st.fused++;
	return err;
}

/* Same subscriber?  A PPPoE login names its account: it must be the
 * RADIUS session's (a stale RADIUS session of the MAC must not swallow a
 * new login of another account).  DHCP names no account. */
static bool fusable(const struct sess *rad, const struct sess *o)
{
	if (!(o->r.sources & RT_SRC_PPPOE) || !rad->r.account.len || !o->r.account.len)
		return true;
	return rad->r.account.len == o->r.account.len &&
	       memcmp(rad->r.account.v, o->r.account.v, o->r.account.len) == 0;
}

/* After m opened or updated s: lease end, MAC index and fusion
 * (ACCESS.md).  *gone is set when s itself was absorbed. */
static int after_update(dp_tracker *t, struct sess *s, const struct dp_acct_msg *m, bool *gone)
{
	*gone = false;
	if (m->has_expires) {
		s->expires_ns = m->expires_ns;
		sess_touch(t, s);
	}
	if (is_radius(s)) {
		if (!s->r.has_calling_mac)
			return 0;
		mac_link(t, s, s->r.calling_mac);
		struct sess *o = mac_find(t, s->r.calling_mac, false);
		return o && fusable(s, o) ? absorb(t, s, o) : 0;
	}
	if (!m->has_client_mac)
		return 0;
	struct sess *rad = mac_find(t, m->client_mac, true);
	if (rad && fusable(rad, s)) {
		*gone = true;
		return absorb(t, rad, s);
	}
	mac_link(t, s, m->client_mac);
	return 0;
}

int dp_tracker_acct(dp_tracker *t, const struct dp_acct_msg *m)
{
	bool gone;
	int err = dp_tracker_advance(t, m->capture_ns);
	if (err)
		return err;
	t->st.messages++;

	if (m->status == DP_ACCT_ON || m->status == DP_ACCT_OFF) {
		err = nas_reboot(t, m);
		return err ? err : take_cb_err(t);
	}
	if (m->status != DP_ACCT_START && m->status != DP_ACCT_STOP &&
	    m->status != DP_ACCT_INTERIM)
		return 0; /* Tunnel-* and vendor status types: not sessions */

	const struct rt_view sid = m->session_id;
	uint64_t h = key_hash(&m->nas, sid.p, sid.len);
	struct sess *s = open_find(t, h, &m->nas, sid.p, sid.len);
	struct closed *c = s ? NULL : closed_find(t, h, &m->nas, sid.p, sid.len);
	int64_t ev = m->event_ns;
	int64_t s0 = ev - (m->has_session_time ? (int64_t)m->session_time * NS : 0);

	switch (m->status) {
	case DP_ACCT_START:
		if (s) {
			/* A retransmitted Start: within 1 s of the start, or
			 * (clients that resend without raising Acct-Delay-Time)
			 * within RETRY_WINDOW while the session has had no other
			 * news since it started. */
			if (ev <= s->r.start_ns + DUP_WINDOW_NS || ev <= s->r.last_news_ns ||
			    (s->r.prev_news_ns == RT_TIME_NONE &&
			     s->r.last_news_ns == s->r.start_ns &&
			     ev <= s->r.start_ns + RETRY_WINDOW_NS)) {
				t->st.duplicates++;
				return 0;
			}
			/* id reused without a close we saw */
			t->st.orphaned++;
			err = sess_close(t, s, s->r.last_news_ns, RT_CAUSE_ORPHAN_TIMEOUT);
			if (err)
				return err;
		} else if (c && ev < c->stop_ns && !(c->fused && !mac_find(t, c->mac, true))) {
			t->st.duplicates++; /* late Start of a closed session */
			return 0;
		}
		err = sess_open(t, m, h, ev, &s);
		if (!err)
			err = after_update(t, s, m, &gone);
		break;

	case DP_ACCT_INTERIM:
		if (s && m->keepalive) {
			sess_update(&s->r, m);
			if (ev > s->r.last_news_ns) {
				s->r.last_news_ns = ev;
				sess_touch(t, s);
			}
			err = after_update(t, s, m, &gone);
			return err ? err : take_cb_err(t);
		}
		if (s) {
			sess_update(&s->r, m);
			if (ev > s->r.last_news_ns + DUP_WINDOW_NS) {
				s->r.prev_news_ns = s->r.last_news_ns;
				s->r.last_news_ns = ev;
				sess_touch(t, s);
			} else {
				t->st.duplicates++;
			}
			err = after_update(t, s, m, &gone);
			return err ? err : take_cb_err(t);
		}
		if (c && s0 < c->stop_ns) {
			/* Interim after Stop never reopens (keepalives of a session
			 * fused into a RADIUS one land here too: not duplicates) */
			if (!m->keepalive)
				t->st.duplicates++;
			return 0;
		}
		t->st.interim_without_start++;
		err = sess_open(t, m, h, s0, &s);
		if (!err)
			err = after_update(t, s, m, &gone);
		break;

	case DP_ACCT_STOP:
		if (s) {
			sess_update(&s->r, m);
			err = after_update(t, s, m, &gone);
			if (!err && !gone)
				err = sess_close(t, s, ev, m->has_cause ? m->cause : RT_CAUSE_NONE);
			break;
		}
		if (c && (s0 < c->stop_ns ||
			  /* sent again later than its Acct-Session-Time: the
			   * same length (within 2 s) and account */
			  (!c->fused && m->has_session_time && c->len_ms >= 0 &&
			   llabs((int64_t)m->session_time * 1000 - c->len_ms) <= 2000 &&
			   (!m->account.len || acct32(m->account.p, m->account.len) == c->acct)))) {
			t->st.duplicates++; /* retransmitted or late Stop */
			return 0;
		}
		t->st.stop_without_start++;
		err = sess_open(t, m, h, s0, &s);
		if (!err)
			err = sess_close(t, s, ev, m->has_cause ? m->cause : RT_CAUSE_NONE);
		break;
	}
	if (err)
		return err;
	return take_cb_err(t);
}

int dp_tracker_remember_closed(dp_tracker *t, const struct rt_session *r)
{
	if (r->stop_ns == RT_TIME_NONE)
		return -EINVAL;
	uint64_t h = key_hash(key_nas(r), r->session_id.v, r->session_id.len);
	struct closed *c = closed_find(t, h, key_nas(r), r->session_id.v, r->session_id.len);
	if (c && c->stop_ns >= r->stop_ns)
		return 0; /* a later session of the key is already known */
	int64_t saved = t->now_ns;
	if (r->stop_ns > t->now_ns)
		t->now_ns = r->stop_ns; /* its age counts from its stop */
	int err = closed_remember(t, h, r);
	t->now_ns = saved;
	return err;
}

int dp_tracker_resume(dp_tracker *t, const struct rt_session *r)
{
	uint64_t h = key_hash(key_nas(r), r->session_id.v, r->session_id.len);
	if (open_find(t, h, key_nas(r), r->session_id.v, r->session_id.len))
		return -EEXIST;
	struct rt_session c = *r;
	c.stop_ns = RT_TIME_NONE;
	c.stop_cause = RT_CAUSE_NONE;
	if (c.last_news_ns == RT_TIME_NONE || c.last_news_ns < c.start_ns)
		c.last_news_ns = c.start_ns;
	struct sess *s;
	int err = open_insert(t, &c, h, &s);
	if (!err)
		t->st.opened--; /* not a new session */
	return err;
}

int dp_tracker_foreach_open(dp_tracker *t, int (*fn)(void *ctx, const struct rt_session *s),
			    void *ctx)
{
	for (size_t i = 0; i < t->nopen; i++) {
		int r = fn(ctx, &t->dense[i]->r);
		if (r)
			return r;
	}
	return 0;
}

void dp_tracker_get_stats(const dp_tracker *t, struct dp_tracker_stats *ret)
{
	*ret = t->st;
	ret->open_now = t->nopen;
}
