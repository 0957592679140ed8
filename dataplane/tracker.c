/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Session tracker.  The rules are in tracker.h; tools/rt-gen.md states the
 * same rules for the capture generator, which mirrors them independently to
 * produce the truth that tests compare against.
 *
 * Data structures (memory budget: 256 bytes per open session, issue 7):
 *  - open sessions: a dense array of 64-byte records (struct rec) in chunks
 *    of REC_CHUNK, plus a parallel dense array of 8-byte deadlines, so that
 *    an orphan sweep streams through deadlines and is skipped entirely
 *    while nothing can be due.  Closing moves the last record into the
 *    hole (iteration order is that of the former pointer array).
 *  - the variable part of a session (five texts with their lengths, and
 *    the rarer fields: IPv6 address and prefixes, lease end, indexed MAC)
 *    lives in one blob per session, from a slab of 8-byte size classes
 *    (a blob is reallocated only when a text changes length class or a
 *    rare field first appears: news, never a retransmission).
 *  - the key index (NAS, Acct-Session-Id) and the MAC index: chained hash
 *    tables of 32-bit slot numbers (slot + 1, 0 ends a chain), the links
 *    inside the records; load <= 1, doubled incrementally (a few old
 *    buckets move per insert) so that growth has no O(n) pause.
 *  - NAS addresses are interned (refcounted): a record holds a 32-bit id.
 *  - recently closed keys: a ring of 32-byte entries in close order (62-bit
 *    key hash + flags, stop time or fused MAC, capture time of the close,
 *    length of the session in ms and a 32-bit tag of its account: what
 *    tells a Stop sent again later than its Acct-Session-Time from a new
 *    session under the same key)
 *    in blocks of CBLK_N (added at the tail, freed behind the head: no
 *    copy, no slack beyond two blocks), indexed by an open-addressed table
 *    of 32-bit sequence numbers (load <= 0.75, linear probing,
 *    backward-shift deletion) that doubles incrementally: the old index is
 *    drained a few slots per close while lookups look in both.  A 62-bit
 *    hash stands for the key: with n keys cached, a lookup takes another
 *    key's entry with probability n / 2^62.
 *  - the dirty list (open-session checkpoints in O(changed), issue 7): a
 *    record changed since dp_tracker_clear_dirty() carries F_QUEUED and
 *    its slot number is in a vector of 32-bit slot numbers in chunks of
 *    DQ_CHUNK (allocated as it grows, one chunk kept across clears).
 *    Closing moves the last record into the hole: if that record was
 *    queued, its new slot is queued too, and the entries of the slot it
 *    left and of the closed one go stale.  A stale entry is harmless: the
 *    visit takes an entry only if its slot is open and its record queued,
 *    and each record once (F_SEEN); a reused slot is queued because the
 *    new session is.  Sessions absorbed by a fusion leave without a close:
 *    their store key is appended to a byte vector (`gone`).  When the
 *    entries outnumber twice the open sessions plus a chunk (stale ones
 *    pile up if nobody clears), or an allocation fails, the list is
 *    dropped ("lost"): the next visit asks for a whole walk instead.
 * A full struct rt_session is built only when a session is emitted
 * (on_close, dp_tracker_foreach_open, dp_tracker_foreach_dirty) or changed
 * in a way the compact form cannot take in place.
 */
#include "tracker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "radius.h"

#define NS 1000000000LL
#define DUP_WINDOW_NS NS /* events within 1 s are the same news */
#define RETRY_WINDOW_NS (60 * NS) /* how long RADIUS clients retransmit */

#define REC_SHIFT 16u
#define REC_CHUNK (1u << REC_SHIFT)
#define SLAB_GRAN 8u
#define SLAB_CHUNK (64u * 1024u)
#define NTEXT 5u
/* largest blob: lengths, five texts, v6 address, two prefixes, lease end,
 * indexed MAC, explicit calling MAC */
#define BLOB_MAX (NTEXT + NTEXT * RT_TEXT_MAX + 16 + 18 + 18 + 8 + 6 + 6)
#define NCLASS ((BLOB_MAX + SLAB_GRAN - 1) / SLAB_GRAN + 1)
#define MIGRATE_PER_OP 8u
#define CBLK_SHIFT 14u
#define CBLK_N (1u << CBLK_SHIFT) /* closed keys per ring block (512 KB) */
#define DQ_SHIFT 16u
#define DQ_CHUNK (1u << DQ_SHIFT) /* dirty-list entries per chunk (256 KB) */
/* one gone entry: family, address, start, sources, length, session id */
#define GONE_HDR (1u + 16u + 8u + 1u + 1u)

/* closed-key hashes: 62 bits, the top two bits of an entry are flags */
#define KH_MASK ((1ULL << 62) - 1)
#define CL_FUSED (1ULL << 63) /* stop holds the MAC; stop is "forever" */
#define CL_DEAD (1ULL << 62)  /* superseded by a later entry of the key */
#define CL_LEN_NONE UINT32_MAX
/* A Stop whose Acct-Session-Time is within this of the length of the key's
 * last closed session is that session's Stop again: Acct-Session-Time is
 * whole seconds, and the start and stop we saw carry capture latency. */
#define SAME_LEN_NS (2 * NS)

enum { TX_ACCOUNT, TX_SID, TX_CALLING, TX_NASID, TX_PORT };

/* record flags; the F_X* ones say which optional fields the blob holds, in
 * this order */
enum {
	F_IPV4 = 1u << 0,
	F_IPV6 = 1u << 1,  /* has_ipv6_addr */
	F_SKEW = 1u << 2,  /* has_clock_skew */
	F_CMAC = 1u << 3,  /* has_calling_mac */
	F_XV6 = 1u << 4,   /* 16: ipv6_addr bytes */
	F_XPFX = 1u << 5,  /* 18: ipv6_prefix */
	F_XDPFX = 1u << 6, /* 18: delegated_prefix */
	F_XEXP = 1u << 7,  /* 8: lease end (else none) */
	F_XMAC = 1u << 8,  /* 6: in the MAC index under this MAC */
	F_XCMAC = 1u << 9, /* 6: calling_mac, when not what the number parses to */
	/* dirty list state, kept by pack(); not part of the session */
	F_SEEN = 1u << 14,   /* visited by the dp_tracker_foreach_dirty under way */
	F_QUEUED = 1u << 15, /* changed since the last dp_tracker_clear_dirty */
};

static const struct {
	uint16_t flag;
	uint8_t size;
} xfields[] = {
	{F_XV6, 16}, {F_XPFX, 18}, {F_XDPFX, 18}, {F_XEXP, 8}, {F_XMAC, 6}, {F_XCMAC, 6},
};

struct rec {
	int64_t start_ns;
	int64_t last_news_ns;
	int64_t prev_news_ns;
	uint8_t *blob;
	uint32_t hash;  /* low 32 bits of the key hash */
	uint32_t hnext; /* key index chain: slot + 1, 0 ends */
	uint32_t mnext; /* MAC index chain */
	uint32_t nas;   /* interned nas_ip */
	uint8_t ipv4[4];
	int32_t clock_skew_ms;
	uint16_t flags;
	uint16_t blob_len;
	uint8_t sources;
	uint8_t auth;
	uint8_t rflags; /* struct rt_session.flags */
};
_Static_assert(sizeof(struct rec) == 64, "one cache line per open session");

/* A session expanded: the record plus the tracker-only state. */
struct xs {
	struct rt_session r;
	bool has_mac;
	uint8_t mac[6];
	int64_t expires_ns; /* INT64_MAX: none */
};

struct cent {
	uint64_t hash; /* key hash | CL_* flags */
	int64_t stop_ns; /* or the MAC (CL_FUSED) */
	int64_t closed_at_ns;
	uint32_t len_ms;   /* stop - start, CL_LEN_NONE: unknown or too long */
	uint32_t acct_tag; /* acct_tag() of its account */
};

struct nas_ent {
	struct rt_addr a;
	uint32_t refs; /* 0: on the free list */
	uint32_t next; /* chain (id + 1) or free list */
};

/* chained table of slot + 1; `old` is being drained into `b` */
struct u32tab {
	uint32_t *b;
	size_t nb;
	uint32_t *old;
	size_t nold;
	size_t moved;
	size_t n;
};

struct dp_tracker {
	struct dp_tracker_cfg cfg;
	dp_tracker_close_fn on_close;
	void *ctx;
	size_t mem; /* bytes allocated by the tracker */

	struct rec **recs;  /* chunks of REC_CHUNK */
	int64_t **dls;      /* deadlines, same chunks */
	size_t nchunks, capchunks;
	size_t nopen;
	int64_t min_deadline; /* lower bound of every deadline */
	struct u32tab keys;
	struct u32tab macs;

	struct nas_ent *nas;
	size_t nnas, capnas;
	uint32_t nas_free; /* id + 1 */
	uint32_t *nasb;
	size_t nnasb;

	void *slab_free[NCLASS];
	uint8_t *slab_cur;
	size_t slab_left;
	void **slab_chunks;
	size_t nslab, capslab;

	struct cent **cblk; /* closed keys in close order: blocks of CBLK_N */
	size_t ncblk;       /* directory size, power of two */
	uint64_t rhead, rtail; /* sequence numbers of the first and next entry */
	uint32_t *cidx;    /* (uint32_t)sequence + 1 */
	size_t ncidx;      /* power of two */
	uint32_t *oidx;    /* the index before it doubled, being drained */
	size_t noidx, omig; /* its size, next slot to move */
	size_t nclosed;    /* live entries */

	uint32_t **dq;      /* dirty list: slot numbers, chunks of DQ_CHUNK */
	size_t dq_n, dq_nchunks, dq_capchunks;
	uint8_t *gone;      /* sessions gone without a close: GONE_HDR + id each */
	size_t gone_len, gone_cap, ngone;
	bool dq_lost;       /* dropped: every open session counts as changed */

	int64_t now_ns;
	int64_t next_sweep_ns;
	bool clock_started;

	struct dp_tracker_stats st;
};

/* ---- accounted allocation ------------------------------------------------ */

static void *t_alloc(dp_tracker *t, size_t n, bool zero)
{
	void *p = zero ? calloc(1, n) : malloc(n);
	if (p)
		t->mem += n;
	return p;
}

static void t_free(dp_tracker *t, void *p, size_t n)
{
	if (p) {
		t->mem -= n;
		free(p);
	}
}

static void *t_grow(dp_tracker *t, void *p, size_t oldn, size_t newn)
{
	void *q = realloc(p, newn);
	if (q)
		t->mem = t->mem - oldn + newn;
	return q;
}

/* ---- hashing ------------------------------------------------------------- */

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* FNV-1a over the key and a 64-bit finaliser: the 62-bit result also
 * stands for the key in the closed-key cache. */
static uint64_t key_hash(const struct rt_addr *nas, const char *sid, unsigned len)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned alen = nas->family == 6 ? 16 : 4;
	h = (h ^ nas->family) * 1099511628211ULL;
	for (unsigned i = 0; i < alen; i++)
		h = (h ^ nas->a[i]) * 1099511628211ULL;
	for (unsigned i = 0; i < len; i++)
		h = (h ^ (uint8_t)sid[i]) * 1099511628211ULL;
	h = (h ^ len) * 1099511628211ULL;
	return mix64(h) & KH_MASK;
}

static uint32_t mac_hash(const uint8_t mac[6])
{
	uint64_t h = 0;
	for (unsigned i = 0; i < 6; i++)
		h = (h << 8) | mac[i];
	return (uint32_t)(mix64(h) >> 32);
}

static const struct rt_addr zero_addr;

static bool addr_eq(const struct rt_addr *a, const struct rt_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->a, b->a, a->family == 6 ? 16 : 4) == 0;
}

void dp_tracker_cfg_default(struct dp_tracker_cfg *cfg)
{
	cfg->orphan_k = 3;
	cfg->default_interval_ns = 3600 * NS;
	cfg->min_timeout_ns = 60 * NS;
	cfg->sweep_every_ns = 60 * NS;
	cfg->closed_keep_ns = 2 * 86400 * NS;
}

/* ---- records and blobs --------------------------------------------------- */

static struct rec *REC(const dp_tracker *t, size_t i)
{
	return &t->recs[i >> REC_SHIFT][i & (REC_CHUNK - 1)];
}

static int64_t *DL(const dp_tracker *t, size_t i)
{
	return &t->dls[i >> REC_SHIFT][i & (REC_CHUNK - 1)];
}

/* ---- dirty list (see the header comment) -------------------------------- */

static uint32_t *DQ(const dp_tracker *t, size_t k)
{
	return &t->dq[k >> DQ_SHIFT][k & (DQ_CHUNK - 1)];
}

/* Release the list, keeping the chunk directory. */
static void dq_drop(dp_tracker *t)
{
	for (size_t c = 0; c < t->dq_nchunks; c++)
		t_free(t, t->dq[c], DQ_CHUNK * sizeof(uint32_t));
	t->dq_nchunks = 0;
	t->dq_n = 0;
	t_free(t, t->gone, t->gone_cap);
	t->gone = NULL;
	t->gone_cap = t->gone_len = 0;
	t->ngone = 0;
}

/* The list no longer says what changed: drop it (the next visit asks for
 * a whole walk).  Marks still set F_QUEUED, cleared by the next clear. */
static void dq_lose(dp_tracker *t)
{
	dq_drop(t);
	t->dq_lost = true;
}

/* Mostly stale entries (sessions that changed, then closed or moved), or
 * many sessions gone: nobody clears the list, or seldom; cheaper to walk. */
static bool dq_full(const dp_tracker *t, size_t more_bytes)
{
	return t->dq_n + t->ngone >= 2 * t->nopen + DQ_CHUNK ||
	       t->gone_len + more_bytes > 32 * (t->nopen + DQ_CHUNK);
}

static void dq_push(dp_tracker *t, uint32_t slot)
{
	if (t->dq_lost)
		return;
	if (t->dq_n == t->dq_nchunks * DQ_CHUNK) {
		if (dq_full(t, 0)) {
			dq_lose(t);
			return;
		}
		if (t->dq_nchunks == t->dq_capchunks) {
			size_t nc = t->dq_capchunks ? t->dq_capchunks * 2 : 4;
			uint32_t **v = t_grow(t, t->dq, t->dq_capchunks * sizeof(*v), nc * sizeof(*v));
			if (!v) {
				dq_lose(t);
				return;
			}
			t->dq = v;
			t->dq_capchunks = nc;
		}
		uint32_t *c = t_alloc(t, DQ_CHUNK * sizeof(*c), false);
		if (!c) {
			dq_lose(t);
			return;
		}
		t->dq[t->dq_nchunks++] = c;
	}
	*DQ(t, t->dq_n++) = slot;
}

/* Slot `slot` (0-based) changed in a field of its struct rt_session. */
static void dirty_mark(dp_tracker *t, size_t slot)
{
	struct rec *s = REC(t, slot);
	if (s->flags & F_QUEUED)
		return;
	s->flags |= F_QUEUED;
	dq_push(t, (uint32_t)slot);
}

/* A session left the open set without a close (absorbed by a fusion). */
static void gone_push(dp_tracker *t, const struct rt_session *r)
{
	if (t->dq_lost)
		return;
	size_t need = GONE_HDR + r->session_id.len;
	if (t->gone_len + need > t->gone_cap) {
		if (dq_full(t, need)) {
			dq_lose(t);
			return;
		}
		size_t nc = t->gone_cap ? t->gone_cap * 2 : 4096;
		uint8_t *g = t_grow(t, t->gone, t->gone_cap, nc);
		if (!g) {
			dq_lose(t);
			return;
		}
		t->gone = g;
		t->gone_cap = nc;
	}
	uint8_t *p = t->gone + t->gone_len;
	p[0] = r->nas_ip.family;
	memcpy(p + 1, r->nas_ip.a, 16);
	memcpy(p + 17, &r->start_ns, 8);
	p[25] = r->sources;
	p[26] = r->session_id.len;
	memcpy(p + GONE_HDR, r->session_id.v, r->session_id.len);
	t->gone_len += need;
	t->ngone++;
}

static size_t blob_class(size_t len)
{
	return (len + SLAB_GRAN - 1) / SLAB_GRAN;
}

static uint8_t *blob_alloc(dp_tracker *t, size_t len)
{
	size_t k = blob_class(len);
	if (k == 0)
		k = 1;
	void *p = t->slab_free[k];
	if (p) {
		memcpy(&t->slab_free[k], p, sizeof(void *));
		return p;
	}
	size_t sz = k * SLAB_GRAN;
	if (t->slab_left < sz) {
		/* the rest of the chunk goes to the free list of its size */
		if (t->slab_left >= SLAB_GRAN) {
			size_t kl = t->slab_left / SLAB_GRAN;
			memcpy(t->slab_cur, &t->slab_free[kl], sizeof(void *));
			t->slab_free[kl] = t->slab_cur;
		}
		/* given away: if what follows fails, the next call must not
		 * hand out (or free-list again) the same bytes */
		t->slab_cur = NULL;
		t->slab_left = 0;
		if (t->nslab == t->capslab) {
			size_t nc = t->capslab ? t->capslab * 2 : 64;
			void **v = t_grow(t, t->slab_chunks, t->capslab * sizeof(*v), nc * sizeof(*v));
			if (!v)
				return NULL;
			t->slab_chunks = v;
			t->capslab = nc;
		}
		uint8_t *c = t_alloc(t, SLAB_CHUNK, false);
		if (!c)
			return NULL;
		t->slab_chunks[t->nslab++] = c;
		t->slab_cur = c;
		t->slab_left = SLAB_CHUNK;
	}
	p = t->slab_cur;
	t->slab_cur += sz;
	t->slab_left -= sz;
	return p;
}

static void blob_free(dp_tracker *t, uint8_t *p, size_t len)
{
	size_t k = blob_class(len);
	if (!p)
		return;
	if (k == 0)
		k = 1;
	memcpy(p, &t->slab_free[k], sizeof(void *));
	t->slab_free[k] = p;
}

static const uint8_t *btext(const struct rec *s, unsigned i, unsigned *ret_len)
{
	const uint8_t *b = s->blob;
	size_t off = NTEXT;
	for (unsigned k = 0; k < i; k++)
		off += b[k];
	*ret_len = b[i];
	return b + off;
}

static size_t xoff(const struct rec *s, unsigned flag)
{
	const uint8_t *b = s->blob;
	size_t off = NTEXT;
	for (unsigned k = 0; k < NTEXT; k++)
		off += b[k];
	for (unsigned k = 0; xfields[k].flag != flag; k++)
		if (s->flags & xfields[k].flag)
			off += xfields[k].size;
	return off;
}

static uint8_t *xfield(const struct rec *s, unsigned flag)
{
	return (s->flags & flag) ? s->blob + xoff(s, flag) : NULL;
}

static int64_t rec_expires(const struct rec *s)
{
	const uint8_t *p = xfield(s, F_XEXP);
	int64_t v = INT64_MAX;
	if (p)
		memcpy(&v, p, 8);
	return v;
}

static const uint8_t *rec_mac(const struct rec *s)
{
	return xfield(s, F_XMAC);
}

static void calling_mac_of(const struct rec *s, uint8_t ret[6])
{
	const uint8_t *x = xfield(s, F_XCMAC);
	if (x) {
		memcpy(ret, x, 6);
		return;
	}
	memset(ret, 0, 6);
	if (s->flags & F_CMAC) {
		unsigned len;
		const uint8_t *p = btext(s, TX_CALLING, &len);
		rt_mac_parse((const char *)p, len, ret);
	}
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void put_prefix(uint8_t *d, const struct rt_prefix6 *p)
{
	d[0] = p->present;
	d[1] = p->plen;
	memcpy(d + 2, p->a, 16);
}

static void get_prefix(struct rt_prefix6 *p, const uint8_t *d)
{
	p->present = d[0] != 0;
	p->plen = d[1];
	memcpy(p->a, d + 2, 16);
}

static const struct rt_text *xs_text(const struct xs *x, unsigned i)
{
	switch (i) {
	case TX_ACCOUNT: return &x->r.account;
	case TX_SID: return &x->r.session_id;
	case TX_CALLING: return &x->r.calling_number;
	case TX_NASID: return &x->r.nas_id;
	default: return &x->r.nas_port_id;
	}
}

/* Write x into record s (whose nas, hash and links are kept).  Fails only
 * with -ENOMEM, leaving s unchanged. */
static int pack(dp_tracker *t, struct rec *s, const struct xs *x)
{
	const struct rt_session *r = &x->r;
	uint16_t f = 0;
	uint8_t derived[6] = {0};
	if (r->has_ipv4)
		f |= F_IPV4;
	if (r->has_ipv6_addr)
		f |= F_IPV6;
	if (r->has_clock_skew)
		f |= F_SKEW;
	if (r->has_calling_mac) {
		f |= F_CMAC;
		rt_mac_parse(r->calling_number.v, r->calling_number.len, derived);
	}
	if (memcmp(derived, r->calling_mac, 6) != 0)
		f |= F_XCMAC;
	if (r->has_ipv6_addr || !all_zero(r->ipv6_addr, 16))
		f |= F_XV6;
	if (!all_zero(&r->ipv6_prefix, sizeof(r->ipv6_prefix)))
		f |= F_XPFX;
	if (!all_zero(&r->delegated_prefix, sizeof(r->delegated_prefix)))
		f |= F_XDPFX;
	if (x->expires_ns != INT64_MAX)
		f |= F_XEXP;
	if (x->has_mac)
		f |= F_XMAC;
	size_t len = NTEXT;
	for (unsigned i = 0; i < NTEXT; i++)
		len += xs_text(x, i)->len;
	for (unsigned k = 0; k < sizeof(xfields) / sizeof(xfields[0]); k++)
		if (f & xfields[k].flag)
			len += xfields[k].size;

	uint8_t *b = s->blob;
	if (!b || blob_class(len) != blob_class(s->blob_len)) {
		b = blob_alloc(t, len);
		if (!b)
			return -ENOMEM;
		blob_free(t, s->blob, s->blob_len);
	}
	uint8_t *p = b + NTEXT;
	for (unsigned i = 0; i < NTEXT; i++) {
		const struct rt_text *tx = xs_text(x, i);
		b[i] = tx->len;
		memcpy(p, tx->v, tx->len);
		p += tx->len;
	}
	if (f & F_XV6) {
		memcpy(p, r->ipv6_addr, 16);
		p += 16;
	}
	if (f & F_XPFX) {
		put_prefix(p, &r->ipv6_prefix);
		p += 18;
	}
	if (f & F_XDPFX) {
		put_prefix(p, &r->delegated_prefix);
		p += 18;
	}
	if (f & F_XEXP) {
		memcpy(p, &x->expires_ns, 8);
		p += 8;
	}
	if (f & F_XMAC) {
		memcpy(p, x->mac, 6);
		p += 6;
	}
	if (f & F_XCMAC)
		memcpy(p, r->calling_mac, 6);
	s->blob = b;
	s->blob_len = (uint16_t)len;
	s->flags = (uint16_t)(f | (s->flags & (F_QUEUED | F_SEEN)));
	s->start_ns = r->start_ns;
	s->last_news_ns = r->last_news_ns;
	s->prev_news_ns = r->prev_news_ns;
	memcpy(s->ipv4, r->ipv4, 4);
	s->clock_skew_ms = r->clock_skew_ms;
	s->sources = r->sources;
	s->auth = r->auth;
	s->rflags = r->flags;
	return 0;
}

static void set_text(struct rt_text *d, const uint8_t *p, unsigned len)
{
	d->len = (uint8_t)len;
	memcpy(d->v, p, len);
}

static void unpack(const dp_tracker *t, const struct rec *s, struct xs *x)
{
	struct rt_session *r = &x->r;
	memset(x, 0, sizeof(*x));
	unsigned len;
	const uint8_t *p;
	p = btext(s, TX_ACCOUNT, &len);
	set_text(&r->account, p, len);
	p = btext(s, TX_SID, &len);
	set_text(&r->session_id, p, len);
	p = btext(s, TX_CALLING, &len);
	set_text(&r->calling_number, p, len);
	p = btext(s, TX_NASID, &len);
	set_text(&r->nas_id, p, len);
	p = btext(s, TX_PORT, &len);
	set_text(&r->nas_port_id, p, len);
	r->start_ns = s->start_ns;
	r->stop_ns = RT_TIME_NONE;
	r->last_news_ns = s->last_news_ns;
	r->prev_news_ns = s->prev_news_ns;
	r->nas_ip = t->nas[s->nas].a;
	r->has_ipv4 = (s->flags & F_IPV4) != 0;
	memcpy(r->ipv4, s->ipv4, 4);
	r->has_ipv6_addr = (s->flags & F_IPV6) != 0;
	if ((p = xfield(s, F_XV6)))
		memcpy(r->ipv6_addr, p, 16);
	if ((p = xfield(s, F_XPFX)))
		get_prefix(&r->ipv6_prefix, p);
	if ((p = xfield(s, F_XDPFX)))
		get_prefix(&r->delegated_prefix, p);
	r->has_calling_mac = (s->flags & F_CMAC) != 0;
	calling_mac_of(s, r->calling_mac);
	r->has_clock_skew = (s->flags & F_SKEW) != 0;
	r->clock_skew_ms = s->clock_skew_ms;
	r->sources = s->sources;
	r->auth = s->auth;
	r->flags = s->rflags;
	x->expires_ns = rec_expires(s);
	if ((p = xfield(s, F_XMAC))) {
		x->has_mac = true;
		memcpy(x->mac, p, 6);
	}
}

/* ---- interned NAS addresses ---------------------------------------------- */

static uint32_t nas_bucket(const dp_tracker *t, const struct rt_addr *a)
{
	uint64_t h = key_hash(a, NULL, 0);
	/* the bytes past the family's length are part of the identity too */
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * 1099511628211ULL;
	return (uint32_t)(mix64(h) & (t->nnasb - 1));
}

static bool nas_same(const struct rt_addr *a, const struct rt_addr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, 16) == 0;
}

/* @return the id of a, or -1 */
static int64_t nas_find(const dp_tracker *t, const struct rt_addr *a)
{
	for (uint32_t i = t->nasb[nas_bucket(t, a)]; i; i = t->nas[i - 1].next)
		if (nas_same(&t->nas[i - 1].a, a))
			return i - 1;
	return -1;
}

static int nas_rehash(dp_tracker *t, size_t nb)
{
	uint32_t *b = t_alloc(t, nb * sizeof(*b), true);
	if (!b)
		return -ENOMEM;
	t_free(t, t->nasb, t->nnasb * sizeof(*t->nasb));
	t->nasb = b;
	t->nnasb = nb;
	for (size_t i = 0; i < t->nnas; i++) {
		struct nas_ent *e = &t->nas[i];
		if (!e->refs)
			continue;
		uint32_t k = nas_bucket(t, &e->a);
		e->next = b[k];
		b[k] = (uint32_t)i + 1;
	}
	/* rebuild the free list */
	t->nas_free = 0;
	for (size_t i = t->nnas; i-- > 0;)
		if (!t->nas[i].refs) {
			t->nas[i].next = t->nas_free;
			t->nas_free = (uint32_t)i + 1;
		}
	return 0;
}

/* Take a reference on a's id. */
static int nas_get(dp_tracker *t, const struct rt_addr *a, uint32_t *ret)
{
	int64_t f = nas_find(t, a);
	if (f >= 0) {
		t->nas[f].refs++;
		*ret = (uint32_t)f;
		return 0;
	}
	uint32_t id;
	if (t->nas_free) {
		id = t->nas_free - 1;
		t->nas_free = t->nas[id].next;
	} else {
		if (t->nnas == t->capnas) {
			size_t nc = t->capnas ? t->capnas * 2 : 16;
			if (nc > UINT32_MAX)
				return -ENOMEM;
			struct nas_ent *v = t_grow(t, t->nas, t->capnas * sizeof(*v), nc * sizeof(*v));
			if (!v)
				return -ENOMEM;
			t->nas = v;
			t->capnas = nc;
		}
		if (t->nnas >= t->nnasb) {
			int err = nas_rehash(t, t->nnasb * 2);
			if (err)
				return err;
		}
		id = (uint32_t)t->nnas++;
	}
	struct nas_ent *e = &t->nas[id];
	e->a = *a;
	e->refs = 1;
	uint32_t k = nas_bucket(t, a);
	e->next = t->nasb[k];
	t->nasb[k] = id + 1;
	*ret = id;
	return 0;
}

static void nas_put(dp_tracker *t, uint32_t id)
{
	struct nas_ent *e = &t->nas[id];
	if (--e->refs)
		return;
	uint32_t *pp = &t->nasb[nas_bucket(t, &e->a)];
	while (*pp != id + 1)
		pp = &t->nas[*pp - 1].next;
	*pp = e->next;
	e->next = t->nas_free;
	t->nas_free = id + 1;
}

/* ---- chained u32 tables with incremental doubling -------------------------- */

enum tab_kind { TAB_KEYS, TAB_MACS };

static uint32_t *tab_next(const dp_tracker *t, enum tab_kind k, uint32_t slot1)
{
	struct rec *s = REC(t, slot1 - 1);
	return k == TAB_KEYS ? &s->hnext : &s->mnext;
}

static uint32_t tab_hash(const dp_tracker *t, enum tab_kind k, uint32_t slot1)
{
	const struct rec *s = REC(t, slot1 - 1);
	return k == TAB_KEYS ? s->hash : mac_hash(rec_mac(s));
}

static struct u32tab *tab_of(dp_tracker *t, enum tab_kind k)
{
	return k == TAB_KEYS ? &t->keys : &t->macs;
}

static uint32_t *tab_head(const struct u32tab *tb, uint32_t h)
{
	if (tb->old) {
		size_t ob = h & (tb->nold - 1);
		if (ob >= tb->moved)
			return &tb->old[ob];
	}
	return &tb->b[h & (tb->nb - 1)];
}

/* Move old buckets into the new array, keeping chain order. */
static void tab_migrate(dp_tracker *t, enum tab_kind k, size_t count)
{
	struct u32tab *tb = tab_of(t, k);
	while (tb->old && count--) {
		size_t ob = tb->moved;
		uint32_t *tail[2] = {&tb->b[ob], &tb->b[ob + tb->nold]};
		for (uint32_t i = tb->old[ob]; i;) {
			uint32_t *nx = tab_next(t, k, i);
			uint32_t next = *nx;
			unsigned hi = (tab_hash(t, k, i) & tb->nold) != 0;
			*nx = 0;
			*tail[hi] = i;
			tail[hi] = nx;
			i = next;
		}
		tb->old[ob] = 0;
		if (++tb->moved == tb->nold) {
			t_free(t, tb->old, tb->nold * sizeof(*tb->old));
			tb->old = NULL;
			tb->nold = 0;
			tb->moved = 0;
		}
	}
}

/* Room for one more entry: start doubling when the load would pass 1. */
static int tab_reserve(dp_tracker *t, enum tab_kind k)
{
	struct u32tab *tb = tab_of(t, k);
	tab_migrate(t, k, MIGRATE_PER_OP);
	if (tb->n < tb->nb)
		return 0;
	if (tb->old)
		tab_migrate(t, k, tb->nold); /* inserts outran the migration */
	uint32_t *b = t_alloc(t, 2 * tb->nb * sizeof(*b), true);
	if (!b)
		return -ENOMEM;
	tb->old = tb->b;
	tb->nold = tb->nb;
	tb->moved = 0;
	tb->b = b;
	tb->nb *= 2;
	return 0;
}

static void tab_link(dp_tracker *t, enum tab_kind k, uint32_t slot1, uint32_t h)
{
	struct u32tab *tb = tab_of(t, k);
	uint32_t *head = tab_head(tb, h);
	*tab_next(t, k, slot1) = *head;
	*head = slot1;
	tb->n++;
}

/* The link that holds slot1 in its chain. */
static uint32_t *tab_ref(dp_tracker *t, enum tab_kind k, uint32_t slot1, uint32_t h)
{
	uint32_t *pp = tab_head(tab_of(t, k), h);
	while (*pp && *pp != slot1)
		pp = tab_next(t, k, *pp);
	return *pp ? pp : NULL;
}

static void tab_unlink(dp_tracker *t, enum tab_kind k, uint32_t slot1, uint32_t h)
{
	uint32_t *pp = tab_ref(t, k, slot1, h);
	if (pp) {
		*pp = *tab_next(t, k, slot1);
		tab_of(t, k)->n--;
	}
}

static int tab_init(dp_tracker *t, struct u32tab *tb, size_t nb)
{
	memset(tb, 0, sizeof(*tb));
	tb->b = t_alloc(t, nb * sizeof(*tb->b), true);
	tb->nb = nb;
	return tb->b ? 0 : -ENOMEM;
}

/* ---- alloc/free ---------------------------------------------------------- */

int dp_tracker_alloc(const struct dp_tracker_cfg *cfg, dp_tracker_close_fn on_close,
		     void *ctx, dp_tracker **ret)
{
	dp_tracker *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->mem = sizeof(*t);
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
	t->min_deadline = INT64_MAX;
	t->ncblk = 4;
	/* start near the 32-bit wrap of the index values, so that every
	 * tracker with a few thousand closes goes through it (the 2002nd
	 * closed key takes the skipped number: test_tracker_compact.c) */
	t->rhead = t->rtail = (uint64_t)UINT32_MAX - 2001;
	t->ncidx = 2048;
	t->nnasb = 64;
	t->cblk = t_alloc(t, t->ncblk * sizeof(*t->cblk), true);
	t->cidx = t_alloc(t, t->ncidx * sizeof(*t->cidx), true);
	t->nasb = t_alloc(t, t->nnasb * sizeof(*t->nasb), true);
	int e1 = tab_init(t, &t->keys, 1024);
	int e2 = tab_init(t, &t->macs, 1024);
	if (!t->cblk || !t->cidx || !t->nasb || e1 || e2) {
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
	for (size_t i = 0; i < t->nslab; i++)
		free(t->slab_chunks[i]);
	free(t->slab_chunks);
	for (size_t i = 0; i < t->nchunks; i++) {
		free(t->recs[i]);
		free(t->dls[i]);
	}
	free(t->recs);
	free(t->dls);
	free(t->keys.b);
	free(t->keys.old);
	free(t->macs.b);
	free(t->macs.old);
	free(t->nas);
	free(t->nasb);
	for (size_t i = 0; t->cblk && i < t->ncblk; i++)
		free(t->cblk[i]);
	free(t->cblk);
	free(t->cidx);
	free(t->oidx);
	for (size_t i = 0; i < t->dq_nchunks; i++)
		free(t->dq[i]);
	free(t->dq);
	free(t->gone);
	free(t);
}

/* ---- open table ---------------------------------------------------------- */

static const struct rt_addr *key_nas(const dp_tracker *t, const struct rec *s)
{
	/* PPPoE and DHCP sessions: the zero address (their id is unique on
	 * its own, and the record's nas_ip, e.g. a DHCP relay, may change) */
	return (s->sources & RT_SRC_RADIUS) ? &t->nas[s->nas].a : &zero_addr;
}

static bool is_radius(const struct rec *s)
{
	return (s->sources & RT_SRC_RADIUS) != 0;
}

/* @return slot + 1, or 0 */
static uint32_t open_find(dp_tracker *t, uint64_t h, const struct rt_addr *nas,
			  const char *sid, unsigned sid_len)
{
	for (uint32_t i = *tab_head(&t->keys, (uint32_t)h); i; i = REC(t, i - 1)->hnext) {
		const struct rec *s = REC(t, i - 1);
		if (s->hash != (uint32_t)h)
			continue;
		unsigned len;
		const uint8_t *p = btext(s, TX_SID, &len);
		if (len == sid_len && addr_eq(key_nas(t, s), nas) &&
		    (!len || memcmp(p, sid, len) == 0))
			return i;
	}
	return 0;
}

static int64_t deadline_of(const dp_tracker *t, const struct rec *s)
{
	int64_t exp = rec_expires(s);
	if (exp != INT64_MAX)
		return exp; /* a DHCP lease ends when it ends */
	int64_t interval = t->cfg.default_interval_ns;
	if (s->prev_news_ns != RT_TIME_NONE && s->last_news_ns > s->prev_news_ns)
		interval = s->last_news_ns - s->prev_news_ns;
	int64_t timeout;
	/* saturating k x interval */
	if (interval > INT64_MAX / (int64_t)t->cfg.orphan_k)
		timeout = INT64_MAX;
	else
		timeout = interval * (int64_t)t->cfg.orphan_k;
	if (timeout < t->cfg.min_timeout_ns)
		timeout = t->cfg.min_timeout_ns;
	if (s->last_news_ns > INT64_MAX - timeout)
		return INT64_MAX;
	return s->last_news_ns + timeout;
}

static void sess_touch(dp_tracker *t, uint32_t i)
{
	int64_t d = deadline_of(t, REC(t, i - 1));
	*DL(t, i - 1) = d;
	if (d < t->min_deadline)
		t->min_deadline = d;
}

static int open_reserve(dp_tracker *t)
{
	if (t->nopen >= UINT32_MAX - 1)
		return -ENOMEM;
	if (t->nopen == t->nchunks * REC_CHUNK) {
		if (t->nchunks == t->capchunks) {
			size_t nc = t->capchunks ? t->capchunks * 2 : 4;
			struct rec **r = t_grow(t, t->recs, t->capchunks * sizeof(*r), nc * sizeof(*r));
			if (!r)
				return -ENOMEM;
			t->recs = r;
			int64_t **d = t_grow(t, t->dls, t->capchunks * sizeof(*d), nc * sizeof(*d));
			if (!d) {
				/* recs keeps its new size, counted again (capchunks
				 * -> nc) when the retry grows it to the same size */
				t->mem -= (nc - t->capchunks) * sizeof(*r);
				return -ENOMEM;
			}
			t->dls = d;
			t->capchunks = nc;
		}
		struct rec *r = t_alloc(t, REC_CHUNK * sizeof(*r), false);
		int64_t *d = t_alloc(t, REC_CHUNK * sizeof(*d), false);
		if (!r || !d) {
			t_free(t, r, REC_CHUNK * sizeof(*r));
			t_free(t, d, REC_CHUNK * sizeof(*d));
			return -ENOMEM;
		}
		t->recs[t->nchunks] = r;
		t->dls[t->nchunks] = d;
		t->nchunks++;
	}
	return tab_reserve(t, TAB_KEYS);
}

/* Insert x (not open) under key hash h.  @return slot + 1 via ret */
static int open_insert(dp_tracker *t, const struct xs *x, uint64_t h, uint32_t *ret)
{
	int err = open_reserve(t);
	if (err)
		return err;
	if (x->has_mac && (err = tab_reserve(t, TAB_MACS)))
		return err;
	uint32_t nas;
	if ((err = nas_get(t, &x->r.nas_ip, &nas)))
		return err;
	struct rec *s = REC(t, t->nopen);
	memset(s, 0, sizeof(*s));
	if ((err = pack(t, s, x))) {
		nas_put(t, nas);
		return err;
	}
	s->nas = nas;
	s->hash = (uint32_t)h;
	uint32_t i = (uint32_t)++t->nopen;
	tab_link(t, TAB_KEYS, i, s->hash);
	if (x->has_mac)
		tab_link(t, TAB_MACS, i, mac_hash(x->mac));
	sess_touch(t, i);
	dirty_mark(t, i - 1);
	t->st.opened++;
	*ret = i;
	return 0;
}

/* Remove slot i (+1) from every index and free it; the last record takes
 * its place. */
static void open_remove(dp_tracker *t, uint32_t i)
{
	struct rec *s = REC(t, i - 1);
	tab_unlink(t, TAB_KEYS, i, s->hash);
	if (s->flags & F_XMAC)
		tab_unlink(t, TAB_MACS, i, mac_hash(rec_mac(s)));
	blob_free(t, s->blob, s->blob_len);
	nas_put(t, s->nas);
	uint32_t last = (uint32_t)t->nopen;
	bool requeue = false;
	if (i != last) {
		struct rec *m = REC(t, last - 1);
		requeue = (m->flags & F_QUEUED) != 0;
		uint32_t *pp = tab_ref(t, TAB_KEYS, last, m->hash);
		if (pp)
			*pp = i;
		if (m->flags & F_XMAC) {
			pp = tab_ref(t, TAB_MACS, last, mac_hash(rec_mac(m)));
			if (pp)
				*pp = i;
		}
		*s = *m;
		*DL(t, i - 1) = *DL(t, last - 1);
	}
	t->nopen--;
	if (requeue)
		dq_push(t, i - 1); /* its entry under `last` is stale now */
	/* give back a chunk once a whole spare one is empty */
	if (t->nchunks >= 2 && t->nopen + REC_CHUNK <= (t->nchunks - 1) * REC_CHUNK) {
		t->nchunks--;
		t_free(t, t->recs[t->nchunks], REC_CHUNK * sizeof(struct rec));
		t_free(t, t->dls[t->nchunks], REC_CHUNK * sizeof(int64_t));
	}
}

/* ---- recently closed keys ------------------------------------------------ */

struct closed_view {
	bool found;
	bool fused;
	int64_t stop_ns;
	uint32_t len_ms;
	uint32_t acct_tag;
	uint8_t mac[6];
};

/* Stands for an account in the closed-key cache (a mismatch tells a new
 * session of another user under a reused key from a Stop sent again). */
static uint32_t acct_tag(const char *v, unsigned len)
{
	uint64_t h = 1469598103934665603ULL;
	for (unsigned i = 0; i < len; i++)
		h = (h ^ (uint8_t)v[i]) * 1099511628211ULL;
	return (uint32_t)mix64(h ^ len);
}

/* Entry of sequence number q (rhead <= q < rtail). */
static struct cent *CENT(const dp_tracker *t, uint64_t q)
{
	return &t->cblk[(q >> CBLK_SHIFT) & (t->ncblk - 1)][q & (CBLK_N - 1)];
}

/* The entry an index value stands for: the low 32 bits of its sequence
 * number plus one.  0 is an empty slot and CIDX_TOMB a removed or moved
 * entry of the old index: the sequence numbers that would give these
 * values are skipped. */
#define CIDX_TOMB UINT32_MAX

static struct cent *cidx_ent(const dp_tracker *t, uint32_t v)
{
	uint32_t lo = v - 1;
	return CENT(t, t->rhead + (uint32_t)(lo - (uint32_t)t->rhead));
}

static size_t cidx_home(uint64_t h, size_t n)
{
	return (size_t)(mix64(h) & (n - 1));
}

/* A slot of h; a value outside the ring or naming a superseded entry
 * never matches (it cannot occur; this keeps a stale slot harmless). */
static uint32_t *cidx_find_in(const dp_tracker *t, uint32_t *tab, size_t n, uint64_t h)
{
	for (size_t j = cidx_home(h, n);; j = (j + 1) & (n - 1)) {
		uint32_t v = tab[j];
		if (!v)
			return NULL;
		if (v == CIDX_TOMB)
			continue;
		uint32_t off = (v - 1) - (uint32_t)t->rhead;
		if (off < t->rtail - t->rhead &&
		    (CENT(t, t->rhead + off)->hash & (KH_MASK | CL_DEAD)) == h)
			return &tab[j];
	}
}

uint64_t dp_tracker_key_hash(const struct rt_addr *nas, const char *sid, unsigned len)
{
	return key_hash(nas, sid, len);
}

void dp_tracker_prefetch(const dp_tracker *t, uint64_t h, unsigned stage)
{
	const uint32_t *head = tab_head(&t->keys, (uint32_t)h);
	if (stage == 0) {
		__builtin_prefetch(head);
		if (t->ncidx)
			__builtin_prefetch(&t->cidx[cidx_home(h, t->ncidx)]);
		return;
	}
	uint32_t i = *head;
	if (!i || i > t->nopen)
		return;
	const struct rec *r = REC(t, i - 1);
	if (stage == 1)
		__builtin_prefetch(r);
	else if (r->blob)
		__builtin_prefetch(r->blob);
}

/* The slot holding the live entry of h, in the index or (while it is
 * drained) the old one; NULL if none. */
static uint32_t *cidx_find(const dp_tracker *t, uint64_t h, bool *ret_old)
{
	uint32_t *p = cidx_find_in(t, t->cidx, t->ncidx, h);
	*ret_old = false;
	if (!p && t->oidx) {
		p = cidx_find_in(t, t->oidx, t->noidx, h);
		*ret_old = p != NULL;
	}
	return p;
}

static void cidx_put(dp_tracker *t, uint64_t h, uint32_t v)
{
	size_t j = cidx_home(h, t->ncidx);
	while (t->cidx[j])
		j = (j + 1) & (t->ncidx - 1);
	t->cidx[j] = v;
}

/* Remove the slot p: backward-shift deletion in the index (linear
 * probing, no tombstones), a tombstone in the old one. */
static void cidx_remove(dp_tracker *t, uint32_t *p, bool old)
{
	if (old) {
		*p = CIDX_TOMB;
		return;
	}
	size_t mask = t->ncidx - 1, j = (size_t)(p - t->cidx);
	t->cidx[j] = 0;
	for (size_t k = (j + 1) & mask; t->cidx[k]; k = (k + 1) & mask) {
		size_t home = cidx_home(cidx_ent(t, t->cidx[k])->hash & KH_MASK, t->ncidx);
		/* may the entry at k move to the hole at j? */
		if (((k - home) & mask) >= ((k - j) & mask)) {
			t->cidx[j] = t->cidx[k];
			t->cidx[k] = 0;
			j = k;
		}
	}
}

/* Move `count` slots of the old index into the index. */
static void cidx_migrate(dp_tracker *t, size_t count)
{
	while (t->oidx && count--) {
		uint32_t v = t->oidx[t->omig];
		if (v && v != CIDX_TOMB) {
			cidx_put(t, cidx_ent(t, v)->hash & KH_MASK, v);
			t->oidx[t->omig] = CIDX_TOMB; /* found in the index from now */
		}
		if (++t->omig == t->noidx) {
			t_free(t, t->oidx, t->noidx * sizeof(*t->oidx));
			t->oidx = NULL;
			t->noidx = 0;
			t->omig = 0;
		}
	}
}

static struct closed_view closed_find(const dp_tracker *t, uint64_t h)
{
	struct closed_view v = {0};
	bool old;
	uint32_t *p = cidx_find(t, h, &old);
	if (!p)
		return v;
	const struct cent *c = cidx_ent(t, *p);
	v.found = true;
	v.fused = (c->hash & CL_FUSED) != 0;
	if (v.fused) {
		v.stop_ns = INT64_MAX;
		memcpy(v.mac, &c->stop_ns, 6);
	} else {
		v.stop_ns = c->stop_ns;
		v.len_ms = c->len_ms;
		v.acct_tag = c->acct_tag;
	}
	return v;
}

/* Is a Stop for a key not open, claiming the session [s0, ev], the Stop of
 * the key's last closed session c, seen again?  Yes if it claims a start
 * before c's stop (a retransmission or a late Stop: rule of tracker.h), or
 * if it was sent again unchanged later than its Acct-Session-Time (no
 * Acct-Delay-Time to move its event back: a client retrying, a NAS resending
 * across our restart) -- then it tells the length of c and names c's
 * account.  A new session under the same key (Acct-Session-Id reuse, its
 * Start unseen) differs in one of them but for a chance of about
 * 4 s / the spread of session lengths, with the same account. */
static bool closed_stop_again(const struct closed_view *c, const struct dp_acct_msg *m,
			      int64_t s0)
{
	if (!c->found)
		return false;
	if (s0 < c->stop_ns)
		return true;
	if (c->fused || !m->has_session_time || c->len_ms == CL_LEN_NONE)
		return false;
	int64_t d = (int64_t)m->session_time * 1000 - (int64_t)c->len_ms;
	if (d > SAME_LEN_NS / 1000000 || d < -SAME_LEN_NS / 1000000)
		return false;
	return m->account.len == 0 || acct_tag(m->account.p, m->account.len) == c->acct_tag;
}

/* A block for sequence number q. */
static int cblk_ensure(dp_tracker *t, uint64_t q)
{
	uint64_t b = q >> CBLK_SHIFT, hb = t->rhead >> CBLK_SHIFT;
	if (b - hb >= t->ncblk) {
		size_t nc = t->ncblk * 2;
		struct cent **d = t_alloc(t, nc * sizeof(*d), true);
		if (!d)
			return -ENOMEM;
		for (uint64_t k = hb; k < hb + t->ncblk; k++)
			d[k & (nc - 1)] = t->cblk[k & (t->ncblk - 1)];
		t_free(t, t->cblk, t->ncblk * sizeof(*d));
		t->cblk = d;
		t->ncblk = nc;
	}
	struct cent **slot = &t->cblk[b & (t->ncblk - 1)];
	if (!*slot && !(*slot = t_alloc(t, CBLK_N * sizeof(struct cent), false)))
		return -ENOMEM;
	return 0;
}

/* Room for one more closed key, so that remembering cannot fail after a
 * close callback succeeded.  The ring gains blocks; the index doubles
 * incrementally (a few old slots move per call). */
static int closed_reserve(dp_tracker *t)
{
	if (t->rtail - t->rhead >= UINT32_MAX - 4)
		return -ENOMEM;
	for (uint64_t q = t->rtail; q < t->rtail + 3; q++) { /* 2 may be skipped */
		int err = cblk_ensure(t, q);
		if (err)
			return err;
	}
	cidx_migrate(t, MIGRATE_PER_OP);
	if ((t->nclosed + 1) * 4 <= t->ncidx * 3)
		return 0;
	size_t n = t->ncidx * 2;
	uint32_t *x = t_alloc(t, n * sizeof(*x), true);
	if (!x)
		return -ENOMEM;
	cidx_migrate(t, t->noidx); /* closes outran the last doubling */
	t->oidx = t->cidx;
	t->noidx = t->ncidx;
	t->omig = 0;
	t->cidx = x;
	t->ncidx = n;
	return 0;
}

/* Remember that key h closed at stop_ns (or, fused, lives on in the
 * RADIUS session with `fused_mac`); s, if not NULL, is the session closed
 * (its length and account are kept).  closed_reserve() must have
 * succeeded. */
static void closed_remember(dp_tracker *t, uint64_t h, int64_t stop_ns,
			    const struct rt_session *s, const uint8_t *fused_mac)
{
	while ((uint32_t)t->rtail >= UINT32_MAX - 1) {
		CENT(t, t->rtail)->hash = CL_DEAD; /* its index value is reserved */
		t->rtail++;
	}
	uint64_t q = t->rtail;
	uint32_t v = (uint32_t)q + 1;
	bool old;
	uint32_t *p = cidx_find(t, h, &old);
	if (p) {
		cidx_ent(t, *p)->hash |= CL_DEAD;
		if (old) {
			*p = CIDX_TOMB;
			cidx_put(t, h, v);
		} else {
			*p = v;
		}
	} else {
		cidx_put(t, h, v);
		t->nclosed++;
	}
	struct cent *c = CENT(t, q);
	c->hash = h;
	c->stop_ns = stop_ns;
	c->closed_at_ns = t->now_ns;
	c->len_ms = CL_LEN_NONE;
	c->acct_tag = 0;
	if (s) {
		/* the length in ms: 32 bits hold 49 days, more than the keep
		 * (a Stop sent again later than that is forgotten anyway) */
		uint64_t len = stop_ns > s->start_ns ? (uint64_t)stop_ns - (uint64_t)s->start_ns
						     : 0;
		if (len / 1000000 < CL_LEN_NONE - 1)
			c->len_ms = (uint32_t)((len + 500000) / 1000000);
		c->acct_tag = acct_tag(s->account.v, s->account.len);
	}
	if (fused_mac) {
		c->hash |= CL_FUSED;
		c->stop_ns = 0;
		memcpy(&c->stop_ns, fused_mac, 6);
	}
	t->rtail++;
}

static void closed_prune(dp_tracker *t)
{
	while (t->rhead != t->rtail) {
		struct cent *c = CENT(t, t->rhead);
		if (!(c->hash & CL_DEAD)) {
			/* a stop from the store more than a keep ahead of the
			 * clock (a NAS clock gone wrong) ages from now: else it
			 * would hold every later key in the ring for ever */
			if (c->closed_at_ns > t->now_ns &&
			    (uint64_t)c->closed_at_ns - (uint64_t)t->now_ns >
				    (uint64_t)t->cfg.closed_keep_ns)
				c->closed_at_ns = t->now_ns;
			if (t->now_ns - c->closed_at_ns <= t->cfg.closed_keep_ns)
				break;
			bool old;
			uint32_t *p = cidx_find(t, c->hash & KH_MASK, &old);
			if (p)
				cidx_remove(t, p, old);
			t->nclosed--;
		}
		t->rhead++;
		if (!(t->rhead & (CBLK_N - 1))) {
			/* a block fully behind the head */
			struct cent **slot = &t->cblk[((t->rhead >> CBLK_SHIFT) - 1) & (t->ncblk - 1)];
			t_free(t, *slot, CBLK_N * sizeof(struct cent));
			*slot = NULL;
		}
	}
}

/* ---- MAC index (fusion of RADIUS with PPPoE/DHCP, ACCESS.md) ------------- */

/* Index slot i under mac.  May move the record's blob. */
static int mac_link(dp_tracker *t, uint32_t i, const uint8_t mac[6])
{
	struct rec *s = REC(t, i - 1);
	const uint8_t *cur = rec_mac(s);
	if (cur && memcmp(cur, mac, 6) == 0)
		return 0;
	int err = tab_reserve(t, TAB_MACS);
	if (err)
		return err;
	if (cur) {
		/* same size: rewrite in place */
		tab_unlink(t, TAB_MACS, i, mac_hash(cur));
		memcpy(s->blob + xoff(s, F_XMAC), mac, 6);
	} else {
		struct xs x;
		unpack(t, s, &x);
		x.has_mac = true;
		memcpy(x.mac, mac, 6);
		if ((err = pack(t, s, &x)))
			return err;
	}
	tab_link(t, TAB_MACS, i, mac_hash(mac));
	return 0;
}

/* An open session with this MAC on the other side of the fusion: a RADIUS
 * session when `radius`, else a PPPoE/DHCP one.  @return slot + 1 or 0 */
static uint32_t mac_find(dp_tracker *t, const uint8_t mac[6], bool radius)
{
	uint32_t h = mac_hash(mac);
	for (uint32_t i = *tab_head(&t->macs, h); i; i = REC(t, i - 1)->mnext) {
		const struct rec *s = REC(t, i - 1);
		const uint8_t *m = rec_mac(s);
		if (m && memcmp(m, mac, 6) == 0 && is_radius(s) == radius)
			return i;
	}
	return 0;
}

/* ---- closing ------------------------------------------------------------- */

static int emit(dp_tracker *t, const struct rt_session *r)
{
	return t->on_close ? t->on_close(t->ctx, r) : 0;
}

/* Close slot i at stop_ns with cause.  The session is removed and its key
 * remembered only once the close callback accepted it: on an error it
 * stays open, unchanged, and the error is returned (the caller may retry). */
static int sess_close(dp_tracker *t, uint32_t i, int64_t stop_ns, unsigned cause)
{
	struct xs x;
	int err = closed_reserve(t);
	if (err)
		return err;
	unpack(t, REC(t, i - 1), &x);
	if (stop_ns < x.r.start_ns)
		stop_ns = x.r.start_ns;
	x.r.stop_ns = stop_ns;
	x.r.stop_cause = (uint8_t)cause;
	if ((err = emit(t, &x.r)))
		return err;
	uint64_t h = key_hash(key_nas(t, REC(t, i - 1)), x.r.session_id.v, x.r.session_id.len);
	closed_remember(t, h, stop_ns, &x.r, NULL);
	open_remove(t, i);
	t->st.closed++;
	return 0;
}

static int sweep(dp_tracker *t)
{
	int64_t now = t->now_ns;
	closed_prune(t);
	if (now <= t->min_deadline)
		return 0;
	int64_t min = INT64_MAX;
	for (size_t i = 0; i < t->nopen;) {
		int64_t d = *DL(t, i);
		if (now > d) {
			struct rec *s = REC(t, i);
			int64_t exp = rec_expires(s);
			int err;
			/* sess_close moves the last entry into slot i */
			if (exp != INT64_MAX) {
				err = sess_close(t, (uint32_t)i + 1, exp, RT_CAUSE_LEASE_EXPIRED);
				if (!err)
					t->st.leases_expired++;
			} else {
				err = sess_close(t, (uint32_t)i + 1, s->last_news_ns,
						 RT_CAUSE_ORPHAN_TIMEOUT);
				if (!err)
					t->st.orphaned++;
			}
			if (err) {
				/* keep the bound valid for what was not scanned */
				t->min_deadline = INT64_MIN;
				return err;
			}
			continue;
		}
		if (d < min)
			min = d;
		i++;
	}
	t->min_deadline = min;
	return 0;
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
	int err = sweep(t);
	if (err)
		return err; /* the sweep point stays: the next call retries */
	t->next_sweep_ns = (now_ns / t->cfg.sweep_every_ns + 1) * t->cfg.sweep_every_ns;
	return 0;
}

int dp_tracker_flush(dp_tracker *t, int64_t now_ns)
{
	if (now_ns > t->now_ns)
		t->now_ns = now_ns;
	return sweep(t);
}

/* ---- messages ------------------------------------------------------------ */

/* Copy a non-empty view, only when it differs. */
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
static void xs_update(struct rt_session *r, const struct dp_acct_msg *m)
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

static bool text_same(const struct rec *s, unsigned i, struct rt_view v)
{
	if (!v.len)
		return true;
	unsigned len;
	const uint8_t *p = btext(s, i, &len);
	return len == v.len && memcmp(p, v.p, len) == 0;
}

static bool prefix_same(const struct rec *s, unsigned flag, const struct rt_prefix6 *p)
{
	if (!p->present)
		return true;
	const uint8_t *d = xfield(s, flag);
	return d && d[0] && d[1] == p->plen && memcmp(d + 2, p->a, 16) == 0;
}

/* Apply m to slot i (latest non-empty value wins).  The common case, no
 * text or IPv6 change, is done in place; otherwise the record is rebuilt. */
static int sess_update(dp_tracker *t, uint32_t i, const struct dp_acct_msg *m)
{
	struct rec *s = REC(t, i - 1);
	bool in_place = text_same(s, TX_ACCOUNT, m->account) &&
			text_same(s, TX_NASID, m->nas_id) &&
			text_same(s, TX_PORT, m->nas_port_id) &&
			text_same(s, TX_CALLING, m->calling_number) &&
			prefix_same(s, F_XPFX, &m->ipv6_prefix) &&
			prefix_same(s, F_XDPFX, &m->delegated_prefix);
	if (in_place && m->has_ipv6_addr) {
		const uint8_t *a = xfield(s, F_XV6);
		in_place = (s->flags & F_IPV6) && a && memcmp(a, m->ipv6_addr, 16) == 0;
	}
	if (!in_place) {
		struct xs x;
		unpack(t, s, &x);
		xs_update(&x.r, m);
		int err = pack(t, s, &x);
		if (!err)
			dirty_mark(t, i - 1);
		return err;
	}
	/* only a change of what the session shows makes it dirty (not a
	 * retransmission) */
	bool changed = false;
	if (m->has_ipv4 && (!(s->flags & F_IPV4) || memcmp(s->ipv4, m->ipv4, 4) != 0)) {
		changed = true;
		s->flags |= F_IPV4;
		memcpy(s->ipv4, m->ipv4, 4);
	}
	if (m->has_event_ts && !(s->flags & F_SKEW)) {
		changed = true;
		s->flags |= F_SKEW;
		int64_t ms = m->skew_ns / 1000000;
		if (ms > INT32_MAX)
			ms = INT32_MAX;
		if (ms < INT32_MIN)
			ms = INT32_MIN;
		s->clock_skew_ms = (int32_t)ms;
	}
	if ((s->sources | m->source) != s->sources) {
		changed = true;
		s->sources |= m->source;
	}
	if (m->auth == RT_AUTH_NO_SECRET && s->auth != RT_AUTH_NO_SECRET) {
		changed = true;
		s->auth = RT_AUTH_NO_SECRET;
	}
	if (changed)
		dirty_mark(t, i - 1);
	return 0;
}

static void xs_new(struct xs *x, const struct dp_acct_msg *m, int64_t start_ns)
{
	memset(x, 0, sizeof(*x));
	struct rt_session *r = &x->r;
	r->start_ns = start_ns;
	r->stop_ns = RT_TIME_NONE;
	r->nas_ip = m->has_nas_rec ? m->nas_rec : m->nas;
	rt_text_set(&r->session_id, m->session_id.p, m->session_id.len);
	r->auth = m->auth;
	r->last_news_ns = m->event_ns;
	r->prev_news_ns = RT_TIME_NONE;
	xs_update(r, m);
	x->expires_ns = INT64_MAX;
}

static int sess_open(dp_tracker *t, const struct dp_acct_msg *m, uint64_t h,
		     int64_t start_ns, uint32_t *ret)
{
	struct xs x;
	xs_new(&x, m, start_ns);
	return open_insert(t, &x, h, ret);
}

static int nas_reboot(dp_tracker *t, const struct dp_acct_msg *m)
{
	int64_t id = nas_find(t, &m->nas);
	for (size_t i = 0; i < t->nopen;) {
		struct rec *s = REC(t, i);
		if (is_radius(s) && (id == (int64_t)s->nas || addr_eq(&t->nas[s->nas].a, &m->nas)) &&
		    s->start_ns <= m->event_ns) {
			int err = sess_close(t, (uint32_t)i + 1, m->event_ns,
					     RT_CAUSE_NAS_REBOOT_INFERRED);
			if (err)
				return err;
			continue; /* slot i now holds another session */
		}
		i++;
	}
	t->st.nas_reboots++;
	return 0;
}

/* o (PPPoE/DHCP) is the same session as rad (RADIUS): rad keeps its
 * record and gains o's source and what it lacks; o is dropped, and its key
 * remembered as closed "forever" so its later frames change nothing. */
static int absorb(dp_tracker *t, uint32_t rad, uint32_t o)
{
	int err = closed_reserve(t);
	if (err)
		return err;
	struct xs xr, xo;
	unpack(t, REC(t, rad - 1), &xr);
	unpack(t, REC(t, o - 1), &xo);
	bool changed = (xr.r.sources | xo.r.sources) != xr.r.sources;
	xr.r.sources |= xo.r.sources;
	if (!xr.r.has_ipv4 && xo.r.has_ipv4) {
		changed = true;
		xr.r.has_ipv4 = true;
		memcpy(xr.r.ipv4, xo.r.ipv4, 4);
	}
	if (!xr.r.nas_port_id.len && xo.r.nas_port_id.len) {
		changed = true;
		xr.r.nas_port_id = xo.r.nas_port_id;
	}
	if ((err = pack(t, REC(t, rad - 1), &xr)))
		return err;
	if (changed)
		dirty_mark(t, rad - 1);
	gone_push(t, &xo.r);
	/* its frames are ignored while the RADIUS session lives; a new login
	 * or binding of the same key after it is a new session */
	uint64_t h = key_hash(key_nas(t, REC(t, o - 1)), xo.r.session_id.v, xo.r.session_id.len);
	closed_remember(t, h, INT64_MAX, NULL, xo.has_mac ? xo.mac : NULL);
	open_remove(t, o);
	t->st.fused++;
	return 0;
}

/* Same subscriber?  A PPPoE login names its account: it must be the
 * RADIUS session's (a stale RADIUS session of the MAC must not swallow a
 * new login of another account).  DHCP names no account. */
static bool fusable(const dp_tracker *t, uint32_t rad, uint32_t o)
{
	const struct rec *r = REC(t, rad - 1), *s = REC(t, o - 1);
	unsigned rl, ol;
	const uint8_t *ra = btext(r, TX_ACCOUNT, &rl), *oa = btext(s, TX_ACCOUNT, &ol);
	if (!(s->sources & RT_SRC_PPPOE) || !rl || !ol)
		return true;
	return rl == ol && memcmp(ra, oa, ol) == 0;
}

/* Set the lease end of slot i. */
static int set_expires(dp_tracker *t, uint32_t i, int64_t exp)
{
	struct rec *s = REC(t, i - 1);
	if (exp != INT64_MAX && (s->flags & F_XEXP)) {
		memcpy(s->blob + xoff(s, F_XEXP), &exp, 8);
	} else {
		struct xs x;
		unpack(t, s, &x);
		x.expires_ns = exp;
		int err = pack(t, s, &x);
		if (err)
			return err;
	}
	sess_touch(t, i);
	return 0;
}

/* After m opened or updated slot i: lease end, MAC index and fusion
 * (ACCESS.md).  *gone is set when i itself was absorbed (slot numbers of
 * other sessions may have changed then too). */
static int after_update(dp_tracker *t, uint32_t i, const struct dp_acct_msg *m, bool *gone)
{
	int err;
	*gone = false;
	if (m->has_expires && (err = set_expires(t, i, m->expires_ns)))
		return err;
	struct rec *s = REC(t, i - 1);
	if (is_radius(s)) {
		if (!(s->flags & F_CMAC))
			return 0;
		uint8_t mac[6];
		calling_mac_of(s, mac);
		if ((err = mac_link(t, i, mac)))
			return err;
		uint32_t o = mac_find(t, mac, false);
		return o && fusable(t, i, o) ? absorb(t, i, o) : 0;
	}
	if (!m->has_client_mac)
		return 0;
	uint32_t rad = mac_find(t, m->client_mac, true);
	if (rad && fusable(t, rad, i)) {
		*gone = true;
		return absorb(t, rad, i);
	}
	return mac_link(t, i, m->client_mac);
}

/* A Stop for a key that is not open: the session [s0, ev] is emitted
 * without being inserted, so that a refused close leaves nothing open. */
static int stop_alone(dp_tracker *t, const struct dp_acct_msg *m, uint64_t h, int64_t s0)
{
	int err = closed_reserve(t);
	if (err)
		return err;
	struct xs x;
	xs_new(&x, m, s0);
	int64_t stop = m->event_ns < s0 ? s0 : m->event_ns;
	x.r.stop_ns = stop;
	x.r.stop_cause = (uint8_t)(m->has_cause ? m->cause : RT_CAUSE_NONE);
	if ((err = emit(t, &x.r)))
		return err;
	closed_remember(t, h, stop, &x.r, NULL);
	t->st.stop_without_start++;
	t->st.opened++;
	t->st.closed++;
	return 0;
}

int dp_tracker_acct(dp_tracker *t, const struct dp_acct_msg *m)
{
	bool gone;
	int err = dp_tracker_advance(t, m->capture_ns);
	if (err)
		return err;
	t->st.messages++;

	if (m->status == DP_ACCT_ON || m->status == DP_ACCT_OFF)
		return nas_reboot(t, m);
	if (m->status != DP_ACCT_START && m->status != DP_ACCT_STOP &&
	    m->status != DP_ACCT_INTERIM)
		return 0; /* Tunnel-* and vendor status types: not sessions */

	const struct rt_view sid = m->session_id;
	uint64_t h = key_hash(&m->nas, sid.p, sid.len);
	uint32_t s = open_find(t, h, &m->nas, sid.p, sid.len);
	struct closed_view c = {0};
	if (!s)
		c = closed_find(t, h);
	int64_t ev = m->event_ns;
	int64_t s0 = ev - (m->has_session_time ? (int64_t)m->session_time * NS : 0);

	switch (m->status) {
	case DP_ACCT_START:
		if (s) {
			struct rec *r = REC(t, s - 1);
			/* A retransmitted Start: within 1 s of the start, or
			 * (clients that resend without raising Acct-Delay-Time)
			 * within RETRY_WINDOW while the session has had no other
			 * news since it started. */
			if (ev <= r->start_ns + DUP_WINDOW_NS || ev <= r->last_news_ns ||
			    (r->prev_news_ns == RT_TIME_NONE && r->last_news_ns == r->start_ns &&
			     ev <= r->start_ns + RETRY_WINDOW_NS)) {
				t->st.duplicates++;
				return 0;
			}
			/* id reused without a close we saw */
			err = sess_close(t, s, r->last_news_ns, RT_CAUSE_ORPHAN_TIMEOUT);
			if (err)
				return err;
			t->st.orphaned++;
		} else if (c.found && ev < c.stop_ns && !(c.fused && !mac_find(t, c.mac, true))) {
			t->st.duplicates++; /* late Start of a closed session */
			return 0;
		}
		err = sess_open(t, m, h, ev, &s);
		if (!err)
			err = after_update(t, s, m, &gone);
		return err;

	case DP_ACCT_INTERIM:
		if (s && m->keepalive) {
			if ((err = sess_update(t, s, m)))
				return err;
			struct rec *r = REC(t, s - 1);
			if (ev > r->last_news_ns) {
				r->last_news_ns = ev;
				sess_touch(t, s);
				dirty_mark(t, s - 1);
			}
			return after_update(t, s, m, &gone);
		}
		if (s) {
			if ((err = sess_update(t, s, m)))
				return err;
			struct rec *r = REC(t, s - 1);
			if (ev > r->last_news_ns + DUP_WINDOW_NS) {
				r->prev_news_ns = r->last_news_ns;
				r->last_news_ns = ev;
				sess_touch(t, s);
				dirty_mark(t, s - 1);
			} else {
				t->st.duplicates++;
			}
			return after_update(t, s, m, &gone);
		}
		if (c.found && s0 < c.stop_ns) {
			/* Interim after Stop never reopens (keepalives of a session
			 * fused into a RADIUS one land here too: not duplicates) */
			if (!m->keepalive)
				t->st.duplicates++;
			return 0;
		}
		err = sess_open(t, m, h, s0, &s);
		if (err)
			return err;
		t->st.interim_without_start++;
		return after_update(t, s, m, &gone);

	case DP_ACCT_STOP:
		if (s) {
			if ((err = sess_update(t, s, m)))
				return err;
			err = after_update(t, s, m, &gone);
			if (err || gone)
				return err;
			/* `s` may have moved if after_update absorbed another
			 * session: find it again */
			s = open_find(t, h, &m->nas, sid.p, sid.len);
			return s ? sess_close(t, s, ev, m->has_cause ? m->cause : RT_CAUSE_NONE) : 0;
		}
		if (closed_stop_again(&c, m, s0)) {
			t->st.duplicates++; /* retransmitted or late Stop */
			return 0;
		}
		return stop_alone(t, m, h, s0);
	}
	return 0;
}

int dp_tracker_remember_closed(dp_tracker *t, const struct rt_session *r)
{
	if (r->stop_ns == RT_TIME_NONE)
		return -EINVAL;
	const struct rt_addr *nas = (r->sources & RT_SRC_RADIUS) ? &r->nas_ip : &zero_addr;
	uint64_t h = key_hash(nas, r->session_id.v, r->session_id.len);
	struct closed_view c = closed_find(t, h);
	if (c.found && c.stop_ns >= r->stop_ns)
		return 0; /* a later session of the key is already known */
	int err = closed_reserve(t);
	if (err)
		return err;
	int64_t saved = t->now_ns;
	if (r->stop_ns > t->now_ns)
		t->now_ns = r->stop_ns; /* its age counts from its stop */
	closed_remember(t, h, r->stop_ns, r, NULL);
	t->now_ns = saved;
	return 0;
}

int dp_tracker_resume(dp_tracker *t, const struct rt_session *r)
{
	const struct rt_addr *nas = (r->sources & RT_SRC_RADIUS) ? &r->nas_ip : &zero_addr;
	uint64_t h = key_hash(nas, r->session_id.v, r->session_id.len);
	if (open_find(t, h, nas, r->session_id.v, r->session_id.len))
		return -EEXIST;
	struct xs x;
	memset(&x, 0, sizeof(x));
	x.r = *r;
	x.r.stop_ns = RT_TIME_NONE;
	x.r.stop_cause = RT_CAUSE_NONE;
	if (x.r.last_news_ns == RT_TIME_NONE || x.r.last_news_ns < x.r.start_ns)
		x.r.last_news_ns = x.r.start_ns;
	x.expires_ns = INT64_MAX;
	uint32_t s;
	int err = open_insert(t, &x, h, &s);
	if (!err)
		t->st.opened--; /* not a new session */
	return err;
}

int dp_tracker_foreach_open(dp_tracker *t, int (*fn)(void *ctx, const struct rt_session *s),
			    void *ctx)
{
	struct xs x;
	for (size_t i = 0; i < t->nopen; i++) {
		unpack(t, REC(t, i), &x);
		int r = fn(ctx, &x.r);
		if (r)
			return r;
	}
	return 0;
}

int dp_tracker_foreach_dirty(dp_tracker *t, dp_tracker_dirty_fn fn, void *ctx)
{
	if (t->dq_lost)
		return -ENOBUFS;
	struct xs x;
	int r = 0;
	for (size_t off = 0; off < t->gone_len && !r;) {
		const uint8_t *p = t->gone + off;
		memset(&x.r, 0, sizeof(x.r));
		x.r.nas_ip.family = p[0];
		memcpy(x.r.nas_ip.a, p + 1, 16);
		memcpy(&x.r.start_ns, p + 17, 8);
		x.r.stop_ns = RT_TIME_NONE;
		x.r.last_news_ns = RT_TIME_NONE;
		x.r.prev_news_ns = RT_TIME_NONE;
		x.r.sources = p[25];
		set_text(&x.r.session_id, p + GONE_HDR, p[26]);
		off += GONE_HDR + p[26];
		r = fn(ctx, &x.r, true);
	}
	size_t k;
	for (k = 0; k < t->dq_n && !r; k++) {
		uint32_t slot = *DQ(t, k);
		if (slot >= t->nopen)
			continue; /* stale: a slot closed since */
		struct rec *s = REC(t, slot);
		if ((s->flags & (F_QUEUED | F_SEEN)) != F_QUEUED)
			continue; /* stale (slot reused unchanged), or seen already */
		s->flags |= F_SEEN;
		unpack(t, s, &x);
		r = fn(ctx, &x.r, false);
	}
	for (size_t j = 0; j < k; j++) {
		uint32_t slot = *DQ(t, j);
		if (slot < t->nopen)
			REC(t, slot)->flags &= (uint16_t)~F_SEEN;
	}
	return r;
}

void dp_tracker_clear_dirty(dp_tracker *t)
{
	if (t->dq_lost) {
		for (size_t i = 0; i < t->nopen; i++)
			REC(t, i)->flags &= (uint16_t)~F_QUEUED;
		t->dq_lost = false;
		return; /* dq_lose() released the list */
	}
	for (size_t k = 0; k < t->dq_n; k++) {
		uint32_t slot = *DQ(t, k);
		if (slot < t->nopen)
			REC(t, slot)->flags &= (uint16_t)~F_QUEUED;
	}
	t->dq_n = 0;
	/* keep one chunk (the next interval's changes), give back the rest */
	while (t->dq_nchunks > 1) {
		t->dq_nchunks--;
		t_free(t, t->dq[t->dq_nchunks], DQ_CHUNK * sizeof(uint32_t));
	}
	t->gone_len = 0;
	t->ngone = 0;
	if (t->gone_cap > 4096) {
		t_free(t, t->gone, t->gone_cap);
		t->gone = NULL;
		t->gone_cap = 0;
	}
}

void dp_tracker_get_stats(const dp_tracker *t, struct dp_tracker_stats *ret)
{
	*ret = t->st;
	ret->open_now = t->nopen;
	ret->mem_bytes = t->mem;
}
