/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Column blocks (storage/column.h, FORMAT.md section 9).
 *
 * The field table below is the only place that knows the fields of struct
 * rt_session: encode and decode both walk it.  A field's column is present
 * in a record when its presence bit is set; absent fields take no bytes,
 * so decode(encode(v)) == v for sessions in canonical form (as
 * st_rec_encode: empty texts and zero bytes are absent).
 */
#include "column.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>

#include "store.h"

enum kind {
	K_TEXT,  /* struct rt_text, dictionary-coded */
	K_NAS,   /* struct rt_addr, dictionary-coded */
	K_IP4,   /* ipv4 behind has_ipv4, a step from the previous one */
	K_RAW,   /* fixed bytes behind a bool */
	K_PFX,   /* struct rt_prefix6 */
	K_U8,    /* non-zero byte */
	K_SKEW,  /* int32 behind has_clock_skew */
	K_NEWS,  /* int64 time, RT_TIME_NONE absent, delta to start */
};

struct field {
	enum kind kind;
	size_t off;     /* of the value in struct rt_session */
	size_t has;     /* K_RAW: offset of the bool */
	unsigned len;   /* K_RAW: bytes */
};

#define F(k, m) {k, offsetof(struct rt_session, m), 0, 0}
#define FR(m, h, n) {K_RAW, offsetof(struct rt_session, m), offsetof(struct rt_session, h), n}
static const struct field fields[COL_N] = {
	[COL_ACCOUNT] = F(K_TEXT, account),
	[COL_SID] = F(K_TEXT, session_id),
	[COL_CALLING] = F(K_TEXT, calling_number),
	[COL_NASID] = F(K_TEXT, nas_id),
	[COL_NASPORT] = F(K_TEXT, nas_port_id),
	[COL_NAS] = F(K_NAS, nas_ip),
	[COL_IPV4] = {K_IP4, offsetof(struct rt_session, ipv4), 0, 0},
	[COL_IPV6] = FR(ipv6_addr, has_ipv6_addr, 16),
	[COL_PFX] = F(K_PFX, ipv6_prefix),
	[COL_DPFX] = F(K_PFX, delegated_prefix),
	[COL_MAC] = FR(calling_mac, has_calling_mac, 6),
	[COL_SKEW] = F(K_SKEW, clock_skew_ms),
	[COL_LASTNEWS] = F(K_NEWS, last_news_ns),
	[COL_PREVNEWS] = F(K_NEWS, prev_news_ns),
	[COL_SOURCES] = F(K_U8, sources),
	[COL_AUTH] = F(K_U8, auth),
	[COL_CAUSE] = F(K_U8, stop_cause),
	[COL_FLAGS] = F(K_U8, flags),
};
#define FIRST_FIELD COL_ACCOUNT
#define FIELDS_END COL_TUNIT /* columns FIRST_FIELD .. FIELDS_END - 1 are fields[] */
/* COL_TUNIT is a block-level column (present in no record's bits) */
#define PRES_ALL (((UINT64_C(1) << COL_N) - 1) & ~(UINT64_C(1) << COL_TUNIT))
#define PRES_MUST (UINT64_C(1) << COL_PRES | UINT64_C(1) << COL_START)
/* header: magic, version, ncols, nrecs, u8 time coding, varint base,
 * varint anchor unit, varint duration unit, then ncols varint lengths */
#define COL_HDR_FIXED 13u

/* Time coding of a block (header byte 12). */
#define TM_STOP 1u    /* the anchor time is the stop (else the start) */
#define TM_OFFSETS 2u /* offsets from the base (else steps from the previous) */
#define TM_ASCALE 4u  /* per-record decimal scale of the anchor */
#define TM_DSCALE 8u  /* per-record decimal scale of the duration */
#define TM_PACKED 16u /* offsets bit-packed at a fixed width (no anchor scale) */
#define TM_ALL 31u

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Signed step d (two's complement) divided by unit u (u divides it). */
static uint64_t sdiv(uint64_t d, uint64_t u)
{
	return d >> 63 ? 0 - ((0 - d) / u) : d / u;
}

/* Decimal scales of a time step (in the block's unit): the step is
 * stored divided by 1000^k, k in 0..3 (seconds, milliseconds, microseconds
 * ticks cost fewer bytes than nanoseconds) in the low (start) and high
 * (duration) two bits of COL_TUNIT. */
static const uint64_t dscale[4] = {1, 1000, 1000000, 1000000000};

static unsigned scale_of(uint64_t mag)
{
	unsigned k = 3;
	while (k && mag % dscale[k])
		k--;
	return k;
}

static const uint8_t *fld(const struct rt_session *s, unsigned c)
{
	return (const uint8_t *)s + fields[c].off;
}

static uint8_t *fldw(struct rt_session *s, unsigned c)
{
	return (uint8_t *)s + fields[c].off;
}

static bool present(const struct rt_session *s, unsigned c)
{
	const struct field *f = &fields[c];
	const uint8_t *p = fld(s, c);
	int64_t t;
	switch (f->kind) {
	case K_TEXT:
		return ((const struct rt_text *)(const void *)p)->len != 0;
	case K_NAS:
		return ((const struct rt_addr *)(const void *)p)->family != 0;
	case K_IP4:
		return s->has_ipv4;
	case K_RAW:
		return *((const bool *)(const void *)((const uint8_t *)s + f->has));
	case K_PFX:
		return ((const struct rt_prefix6 *)(const void *)p)->present;
	case K_U8:
		return *p != 0;
	case K_SKEW:
		return s->has_clock_skew;
	case K_NEWS:
		memcpy(&t, p, sizeof(t));
		return t != RT_TIME_NONE;
	}
	return false;
}

static bool is_ref(unsigned c)
{
	return c < FIELDS_END && (fields[c].kind == K_TEXT || fields[c].kind == K_NAS) &&
	       c >= FIRST_FIELD;
}

static bool is_text(unsigned c)
{
	return c >= FIRST_FIELD && c < FIELDS_END && fields[c].kind == K_TEXT;
}

/* ---- encoder ------------------------------------------------------------------ */

static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int col_put(struct st_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0; /* p may be NULL (an empty column) */
	if (st_buf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int col_varint(struct st_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	return col_put(b, tmp, (size_t)(st_put_varint(tmp, v) - tmp));
}

/* Append the w low bits of v at bit position pos (little-endian bit
 * order; the column holds exactly the bits written so far). */
static int put_bits(struct st_buf *b, size_t pos, uint64_t v, unsigned w)
{
	size_t need = (pos + w + 7) / 8;
	if (need > b->len) {
		if (st_buf_reserve(b, need - b->len))
			return -ENOMEM;
		memset(b->p + b->len, 0, need - b->len);
		b->len = need;
	}
	for (unsigned k = 0; k < w;) {
		size_t at = pos + k;
		unsigned sh = (unsigned)(at % 8), take = 8 - sh < w - k ? 8 - sh : w - k;
		b->p[at / 8] |= (uint8_t)(((v >> k) & ((1u << take) - 1)) << sh);
		k += take;
	}
	return 0;
}

static uint64_t get_bits(const uint8_t *p, size_t pos, unsigned w)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < w;) {
		size_t at = pos + k;
		unsigned sh = (unsigned)(at % 8), take = 8 - sh < w - k ? 8 - sh : w - k;
		v |= (uint64_t)((p[at / 8] >> sh) & ((1u << take) - 1)) << k;
		k += take;
	}
	return v;
}

static unsigned varint_len(uint64_t v)
{
	unsigned n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Bytes of a digit run of nd digits (1..ST_COL_MAX_DIGITS) stored as a
 * little-endian integer: the fewest that hold 10^nd - 1. */
static const uint8_t digit_bytes[ST_COL_MAX_DIGITS + 1] = {0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5,
							    5, 5, 6, 6, 7, 7, 8, 8, 8};
static const uint64_t pow10_tab[ST_COL_MAX_DIGITS + 1] = {
	1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
	UINT64_C(10000000000), UINT64_C(100000000000), UINT64_C(1000000000000),
	UINT64_C(10000000000000), UINT64_C(100000000000000), UINT64_C(1000000000000000),
	UINT64_C(10000000000000000), UINT64_C(100000000000000000),
	UINT64_C(1000000000000000000), UINT64_C(10000000000000000000)};

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Text form of a literal (FORMAT.md 9.2): the first that fits. */
enum tform { TF_RAW, TF_HEXL, TF_HEXU, TF_DIGITS };

static enum tform text_form(const uint8_t *v, unsigned n, unsigned lcp, unsigned *ret_off,
			    unsigned *ret_nd)
{
	unsigned best = 0, boff = 0, run = 0, lower = 1, upper = 1, letters = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t c = v[i];
		if (is_digit(c)) {
			run++;
			if (run > best) {
				best = run;
				boff = i + 1 - run;
			}
			continue;
		}
		run = 0;
		lower &= c >= 'a' && c <= 'f';
		upper &= c >= 'A' && c <= 'F';
		letters++;
	}
	if (best == n && n - lcp <= ST_COL_MAX_DIGITS && lcp < n) {
		/* all digits: the block's common leading digits are the
		 * template's prefix */
		*ret_off = lcp;
		*ret_nd = n - lcp;
		return TF_DIGITS;
	}
	if (letters == 0 || lower)
		return TF_HEXL;
	if (upper)
		return TF_HEXU;
	if (best >= 1 && best <= ST_COL_MAX_DIGITS) {
		*ret_off = boff;
		*ret_nd = best;
		return TF_DIGITS;
	}
	return TF_RAW;
}

static uint8_t hexval(uint8_t c)
{
	return (uint8_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
}

/* Dictionary lookup of the value bytes v[0..n) of column c: its index,
 * or UINT32_MAX after adding it (a new literal). */
static uint32_t dict_find(struct st_col_enc *e, unsigned c, const uint8_t *v, size_t n)
{
	uint32_t h = hash_bytes(v, n) ^ (c * 0x9e3779b9u), mask = e->nslot - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t x = e->slot[i];
		if (!x) {
			e->slot[i] = e->nval + 1;
			e->val[e->nval] = v;
			e->vlen[e->nval] = (uint16_t)(n | c << 9);
			e->vidx[e->nval] = e->ncol[c]++;
			e->nval++;
			return UINT32_MAX;
		}
		x--;
		if (e->vlen[x] == (uint16_t)(n | c << 9) && memcmp(e->val[x], v, n) == 0)
			return e->vidx[x]; /* index within the column's own dictionary */
	}
}

/* Template (prefix, digit count, suffix) of text v[0..n) with its digit run
 * at off, nd digits: its index, or UINT32_MAX after adding it. */
static uint32_t tpl_find(struct st_col_enc *e, unsigned c, const uint8_t *v, unsigned n,
			 unsigned off, unsigned nd)
{
	uint32_t h = hash_bytes(v, off) * 31u ^ hash_bytes(v + off + nd, n - off - nd) ^
		     (nd * 0x85ebca6bu) ^ (c * 0x9e3779b9u);
	uint32_t mask = e->nslot - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t x = e->tslot[i];
		if (!x) {
			e->tslot[i] = e->ntpl + 1;
			e->tval[e->ntpl] = v;
			e->tdesc[e->ntpl][0] = (uint8_t)n;
			e->tdesc[e->ntpl][1] = (uint8_t)off;
			e->tdesc[e->ntpl][2] = (uint8_t)nd;
			e->tdesc[e->ntpl][3] = (uint8_t)c;
			e->tidx[e->ntpl] = e->ntcol[c]++;
			e->ntpl++;
			return UINT32_MAX;
		}
		x--;
		const uint8_t *d = e->tdesc[x], *w = e->tval[x];
		if (d[3] == c && d[2] == nd && d[1] == off && d[0] - off == n - off &&
		    memcmp(w, v, off) == 0 && memcmp(w + off + nd, v + off + nd, n - off - nd) == 0)
			return e->tidx[x];
	}
}

/* A text value of column c: a dictionary reference, or a literal in the
 * first form that fits (head: form and length or template, body: bytes). */
static int enc_text(struct st_col_enc *e, unsigned c, const uint8_t *v, unsigned n)
{
	struct st_buf *h = &e->col[c], *b = &e->body[c];
	uint32_t k = dict_find(e, c, v, n);
	if (k != UINT32_MAX)
		return col_varint(h, (uint64_t)k + TF_DIGITS + 1);
	unsigned off = 0, nd = 0;
	enum tform f = text_form(v, n, e->lcp[c], &off, &nd);
	uint8_t tmp[RT_TEXT_MAX + 8], *q = tmp;
	int rc = col_varint(h, f);
	if (rc)
		return rc;
	switch (f) {
	case TF_RAW:
		tmp[0] = (uint8_t)n;
		rc = col_put(h, tmp, 1);
		return rc ? rc : col_put(b, v, n);
	case TF_HEXL:
	case TF_HEXU:
		tmp[0] = (uint8_t)n;
		if ((rc = col_put(h, tmp, 1)))
			return rc;
		for (unsigned i = 0; i < n; i += 2)
			*q++ = (uint8_t)(hexval(v[i]) << 4 | (i + 1 < n ? hexval(v[i + 1]) : 0));
		return col_put(b, tmp, (size_t)(q - tmp));
	case TF_DIGITS: {
		uint32_t t = tpl_find(e, c, v, n, off, nd);
		if (t != UINT32_MAX) {
			rc = col_varint(h, (uint64_t)t + 1);
		} else {
			*q++ = 0;
			*q++ = (uint8_t)off;
			memcpy(q, v, off);
			q += off;
			*q++ = (uint8_t)nd;
			*q++ = (uint8_t)(n - off - nd);
			memcpy(q, v + off + nd, n - off - nd);
			q += n - off - nd;
			rc = col_put(h, tmp, (size_t)(q - tmp));
		}
		uint64_t x = 0;
		for (unsigned i = 0; i < nd; i++)
			x = x * 10 + (uint64_t)(v[off + i] - '0');
		for (unsigned i = 0; i < digit_bytes[nd]; i++)
			tmp[i] = (uint8_t)(x >> (8 * i));
		return rc ? rc : col_put(b, tmp, digit_bytes[nd]);
	}
	}
	return ST_EINVAL;
}

static int enc_field(struct st_col_enc *e, const struct rt_session *s, unsigned c,
		     uint32_t *prev_ip)
{
	const struct field *f = &fields[c];
	const uint8_t *p = fld(s, c);
	struct st_buf *b = &e->col[c];
	uint8_t tmp[24];
	switch (f->kind) {
	case K_TEXT: {
		const struct rt_text *t = (const void *)p;
		if (t->len == 0 || t->len > RT_TEXT_MAX)
			return ST_EINVAL;
		return enc_text(e, c, (const uint8_t *)t->v, t->len);
	}
	case K_NAS: {
		const struct rt_addr *a = (const void *)p;
		if (a->family != 4 && a->family != 6)
			return ST_EINVAL;
		unsigned n = a->family == 4 ? 4 : 16;
		/* keyed by family and address (the literal itself) */
		uint32_t k = dict_find(e, c, p, 1 + n);
		if (k != UINT32_MAX)
			return col_varint(b, (uint64_t)k + 1);
		tmp[0] = 0;
		tmp[1] = a->family;
		memcpy(tmp + 2, a->a, n);
		return col_put(b, tmp, 2 + n);
	}
	case K_IP4: {
		uint32_t ip = (uint32_t)s->ipv4[0] << 24 | (uint32_t)s->ipv4[1] << 16 |
			      (uint32_t)s->ipv4[2] << 8 | s->ipv4[3];
		uint32_t d = ip - *prev_ip;
		*prev_ip = ip;
		return col_varint(b, (uint32_t)(d << 1) ^ (uint32_t)(0 - (d >> 31)));
	}
	case K_RAW:
		return col_put(b, p, f->len);
	case K_PFX: {
		const struct rt_prefix6 *x = (const void *)p;
		unsigned n = 16;
		while (n && !x->a[n - 1])
			n--;
		if (x->plen > 128)
			return ST_EINVAL;
		tmp[0] = x->plen;
		tmp[1] = (uint8_t)n;
		memcpy(tmp + 2, x->a, n);
		return col_put(b, tmp, 2 + n);
	}
	case K_U8:
		return col_put(b, p, 1);
	case K_SKEW:
		return col_varint(b, st_zigzag((uint64_t)(int64_t)s->clock_skew_ms));
	case K_NEWS: {
		int64_t t;
		memcpy(&t, p, sizeof(t));
		return col_varint(b, st_zigzag((uint64_t)t - (uint64_t)s->start_ns));
	}
	}
	return ST_EINVAL;
}

void st_col_enc_done(struct st_col_enc *e)
{
	free(e->slot);
	free(e->val);
	free(e->vlen);
	free(e->vidx);
	free(e->tslot);
	free(e->tval);
	free(e->tdesc);
	free(e->tidx);
	free(e->tq);
	for (unsigned c = 0; c < COL_N; c++) {
		st_buf_done(&e->col[c]);
		st_buf_done(&e->body[c]);
	}
	memset(e, 0, sizeof(*e));
}

static int64_t anchor_of(const struct rt_session *s, unsigned stop)
{
	return stop ? s->stop_ns : s->start_ns;
}

/*
 * The time coding of a block (FORMAT.md 9.2, "time coding"): every
 * combination of anchor (start or stop), steps or offsets, and per-record
 * scales of the anchor and of the duration (on or off) is sized, and the
 * smallest is kept (ties: the first in this order), so the choice is a
 * function of the records alone.  Durations do not depend on the anchor.
 */
struct tcode {
	uint8_t mode, width; /* width: bits of a packed offset */
	int64_t base;
	uint64_t ua, ud;
};

static unsigned bits_of(uint64_t v)
{
	return v ? 64u - (unsigned)__builtin_clzll(v) : 0;
}

/* The value coded for an anchor step or offset already divided by the
 * unit, q (two's complement, signed in step mode), at decimal scale k
 * (1000^k divides q). */
static uint64_t tq_of(uint64_t q, unsigned k, bool steps)
{
	return steps ? st_zigzag(sdiv(q, dscale[k])) : q / dscale[k];
}

static uint64_t mag_of(uint64_t d, bool steps)
{
	return steps && d >> 63 ? 0 - d : d;
}

static void choose_tcode(const struct rt_session *v, size_t n, bool closed, struct tcode *ret)
{
	uint64_t best = UINT64_MAX;
	uint64_t ud = 0, dsz[2] = {0, 0};
	for (size_t i = 0; i < n; i++)
		if (v[i].stop_ns != RT_TIME_NONE)
			ud = gcd64(ud, (uint64_t)v[i].stop_ns - (uint64_t)v[i].start_ns);
	ud = ud ? ud : 1;
	for (size_t i = 0; i < n; i++) {
		if (v[i].stop_ns == RT_TIME_NONE)
			continue;
		uint64_t q = ((uint64_t)v[i].stop_ns - (uint64_t)v[i].start_ns) / ud;
		dsz[0] += varint_len(q);
		dsz[1] += varint_len(q / dscale[scale_of(q)]);
	}
	for (unsigned anchor = 0; anchor < 2; anchor++) {
		if (anchor && !closed)
			break;
		for (unsigned offs = 0; offs < 2; offs++) {
			int64_t base = anchor_of(&v[0], anchor), prev;
			for (size_t i = 0; offs && i < n; i++)
				base = anchor_of(&v[i], anchor) < base ? anchor_of(&v[i], anchor) : base;
			uint64_t ua = 0, asz[2] = {0, 0}, maxq = 0;
			prev = base;
			for (size_t i = 0; i < n; i++) {
				int64_t a = anchor_of(&v[i], anchor);
				ua = gcd64(ua, mag_of((uint64_t)a - (uint64_t)prev, !offs));
				if (!offs)
					prev = a;
			}
			ua = ua ? ua : 1;
			prev = base;
			for (size_t i = 0; i < n; i++) {
				int64_t a = anchor_of(&v[i], anchor);
				uint64_t d = (uint64_t)a - (uint64_t)prev, q = offs ? d / ua : sdiv(d, ua);
				unsigned k = scale_of(mag_of(q, !offs));
				asz[0] += varint_len(tq_of(q, 0, !offs));
				maxq = offs && q > maxq ? q : maxq;
				asz[1] += varint_len(tq_of(q, k, !offs));
				if (!offs)
					prev = a;
			}
			unsigned w = bits_of(maxq);
			for (unsigned sc = 0; sc < 4; sc++) {
				uint64_t sz = asz[sc & 1] + dsz[sc >> 1] + (sc ? n : 0);
				if (sz < best) {
					best = sz;
					*ret = (struct tcode){(uint8_t)(anchor | offs << 1 | sc << 2), 0,
							      base, ua, ud};
				}
			}
			for (unsigned sc = 0; offs && sc < 4; sc += 2) {
				/* bit-packed offsets */
				uint64_t sz = ((uint64_t)n * w + 7) / 8 + dsz[sc >> 1] + (sc ? n : 0);
				if (sz < best) {
					best = sz;
					*ret = (struct tcode){(uint8_t)(anchor | TM_OFFSETS | sc << 2 |
									TM_PACKED),
							      (uint8_t)w, base, ua, ud};
				}
			}
		}
	}
}

int st_col_encode(struct st_col_enc *e, const struct rt_session *v, size_t n, struct st_buf *out)
{
	int rc = 0;
	if (!v || n == 0 || n > ST_COL_MAX_RECS)
		return ST_EINVAL;
	/* dictionary: at most 6 dictionary-coded values per record, at most
	 * 5 templates per record */
	size_t need = n * 6;
	if (e->capval < need) {
		const uint8_t **nv = realloc(e->val, need * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		e->val = nv;
		uint16_t *nl = realloc(e->vlen, need * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		e->vlen = nl;
		uint32_t *ni = realloc(e->vidx, need * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		e->vidx = ni;
		const uint8_t **tv = realloc(e->tval, need * sizeof(*tv));
		if (!tv)
			return -ENOMEM;
		e->tval = tv;
		uint8_t(*td)[4] = realloc(e->tdesc, need * sizeof(*td));
		if (!td)
			return -ENOMEM;
		e->tdesc = td;
		uint32_t *ti = realloc(e->tidx, need * sizeof(*ti));
		if (!ti)
			return -ENOMEM;
		e->tidx = ti;
		e->capval = (uint32_t)need;
	}
	uint32_t ns = 64;
	while (ns < need * 2)
		ns *= 2;
	if (e->nslot != ns) {
		free(e->slot);
		free(e->tslot);
		e->slot = malloc(ns * sizeof(*e->slot));
		e->tslot = malloc(ns * sizeof(*e->tslot));
		if (!e->slot || !e->tslot) {
			free(e->slot);
			free(e->tslot);
			e->slot = e->tslot = NULL;
			e->nslot = 0;
			return -ENOMEM;
		}
		e->nslot = ns;
	}
	memset(e->slot, 0, ns * sizeof(*e->slot));
	memset(e->tslot, 0, ns * sizeof(*e->tslot));
	e->nval = e->ntpl = 0;
	for (unsigned c = 0; c < COL_N; c++) {
		e->col[c].len = e->body[c].len = 0;
		e->ncol[c] = e->ntcol[c] = 0;
	}

	bool closed = true;
	for (size_t i = 0; i < n; i++) {
		const struct rt_session *s = &v[i];
		if (s->start_ns == RT_TIME_NONE ||
		    (s->stop_ns != RT_TIME_NONE && s->stop_ns < s->start_ns))
			return ST_EINVAL;
		closed &= s->stop_ns != RT_TIME_NONE;
	}
	/* per text column: the leading digits common to all its all-digit
	 * values (at least one digit of each left to code) */
	for (unsigned c = FIRST_FIELD; c < FIELDS_END; c++) {
		const uint8_t *first = NULL;
		unsigned l = 0;
		if (!is_text(c))
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct rt_text *t = (const void *)fld(&v[i], c);
			unsigned k = 0;
			while (k < t->len && is_digit((uint8_t)t->v[k]))
				k++;
			if (t->len == 0 || k != t->len)
				continue;
			if (!first) {
				first = (const uint8_t *)t->v;
				l = t->len - 1u;
			}
			k = 0;
			while (k < l && k + 1u < t->len && first[k] == (uint8_t)t->v[k])
				k++;
			l = k;
		}
		e->lcp[c] = (uint8_t)l;
	}
	struct tcode tc = {0, 0, 0, 1, 1};
	choose_tcode(v, n, closed, &tc);
	bool steps = !(tc.mode & TM_OFFSETS), anchor = tc.mode & TM_STOP;
	int64_t prev = tc.base;
	uint32_t prev_ip = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct rt_session *s = &v[i];
		uint64_t pres = PRES_MUST;
		if (s->stop_ns != RT_TIME_NONE)
			pres |= UINT64_C(1) << COL_DUR;
		for (unsigned c = FIRST_FIELD; c < FIELDS_END; c++)
			if (present(s, c))
				pres |= UINT64_C(1) << c;
		if ((pres >> COL_CAUSE & 1) && !(pres >> COL_DUR & 1))
			return ST_EINVAL; /* a cause on an open session */
		rc = col_varint(&e->col[COL_PRES], pres);
		int64_t a = anchor_of(s, anchor);
		uint64_t d = (uint64_t)a - (uint64_t)prev;
		uint64_t q = steps ? sdiv(d, tc.ua) : d / tc.ua;
		unsigned ks = tc.mode & TM_ASCALE ? scale_of(mag_of(q, steps)) : 0, kd = 0;
		if (!rc && (tc.mode & TM_PACKED))
			rc = put_bits(&e->col[COL_START], i * tc.width, q, tc.width);
		else if (!rc)
			rc = col_varint(&e->col[COL_START], tq_of(q, ks, steps));
		if (steps)
			prev = a;
		if (!rc && (pres >> COL_DUR & 1)) {
			uint64_t dd = ((uint64_t)s->stop_ns - (uint64_t)s->start_ns) / tc.ud;
			kd = tc.mode & TM_DSCALE ? scale_of(dd) : 0;
			rc = col_varint(&e->col[COL_DUR], dd / dscale[kd]);
		}
		uint8_t tu = (uint8_t)(ks | kd << 2);
		if (!rc && (tc.mode & (TM_ASCALE | TM_DSCALE)))
			rc = col_put(&e->col[COL_TUNIT], &tu, 1);
		for (unsigned c = FIRST_FIELD; c < FIELDS_END && !rc; c++)
			if (pres >> c & 1)
				rc = enc_field(e, s, c, &prev_ip);
	}
	if (rc)
		return rc;

	uint8_t hdr[COL_HDR_FIXED + 40 + COL_N * 20], *p = hdr;
	p = st_put_le32(p, ST_COL_MAGIC);
	p = st_put_le16(p, ST_COL_VERSION);
	p = st_put_le16(p, COL_N);
	p = st_put_le32(p, (uint32_t)n);
	*p++ = tc.mode;
	p = st_put_varint(p, st_zigzag((uint64_t)tc.base));
	p = st_put_varint(p, tc.ua);
	p = st_put_varint(p, tc.ud);
	if (tc.mode & TM_PACKED)
		*p++ = tc.width;
	size_t total = 0;
	for (unsigned c = 0; c < COL_N; c++) {
		size_t len = e->col[c].len;
		if (is_text(c) && e->col[c].len) {
			uint8_t tmp[10];
			len += (size_t)(st_put_varint(tmp, e->col[c].len) - tmp) + e->body[c].len;
		}
		p = st_put_varint(p, len);
		total += len;
	}
	if ((size_t)(p - hdr) + total > ST_COL_MAX_RAW)
		return ST_EINVAL;
	rc = col_put(out, hdr, (size_t)(p - hdr));
	for (unsigned c = 0; c < COL_N && !rc; c++) {
		if (is_text(c) && e->col[c].len)
			rc = col_varint(out, e->col[c].len);
		if (!rc)
			rc = col_put(out, e->col[c].p, e->col[c].len);
		if (!rc && is_text(c))
			rc = col_put(out, e->body[c].p, e->body[c].len);
	}
	return rc;
}

/* ---- decoder ------------------------------------------------------------------ */

void st_col_reader_done(struct st_col_reader *r)
{
	for (unsigned c = 0; c < COL_N; c++) {
		free(r->doff[c]);
		free(r->dlen[c]);
		free(r->tpl[c]);
	}
	free(r->arena);
	free(r->at);
	free(r->pres);
	memset(r, 0, sizeof(*r));
}

enum st_dec st_col_open(struct st_col_reader *r, const uint8_t *raw, size_t len)
{
	struct dp_cur c = dp_cur_make(raw, len);
	uint32_t magic, nrecs;
	uint8_t b[4], mode;
	if (!dp_cur_le32(&c, &magic))
		return ST_DEC_TRUNCATED;
	if (magic != ST_COL_MAGIC)
		return ST_DEC_BAD_MAGIC;
	if (!dp_cur_copy(&c, b, 4) || !dp_cur_le32(&c, &nrecs))
		return ST_DEC_TRUNCATED;
	unsigned version = b[0] | (unsigned)b[1] << 8, ncols = b[2] | (unsigned)b[3] << 8;
	if (version != ST_COL_VERSION)
		return ST_DEC_BAD_VERSION;
	/* a reader refuses columns it does not know (a newer codec) */
	if (ncols != COL_N || nrecs == 0 || nrecs > ST_COL_MAX_RECS)
		return ST_DEC_BAD_SIZE;
	uint64_t zb, us, ud;
	if (!dp_cur_u8(&c, &mode) || !dp_cur_varint(&c, &zb) || !dp_cur_varint(&c, &us) ||
	    !dp_cur_varint(&c, &ud))
		return ST_DEC_TRUNCATED;
	uint8_t width = 0;
	if ((mode & TM_PACKED) && !dp_cur_u8(&c, &width))
		return ST_DEC_TRUNCATED;
	if ((mode & ~TM_ALL) ||
	    ((mode & TM_PACKED) && (!(mode & TM_OFFSETS) || (mode & TM_ASCALE) || width > 64)))
		return ST_DEC_BAD_FLAGS;
	if (us == 0 || ud == 0 || us > (uint64_t)INT64_MAX || ud > (uint64_t)INT64_MAX)
		return ST_DEC_BAD_TIME;
	uint64_t lens[COL_N], total = 0;
	for (unsigned i = 0; i < COL_N; i++) {
		if (!dp_cur_varint(&c, &lens[i]))
			return ST_DEC_TRUNCATED;
		if (lens[i] > ST_COL_MAX_RAW)
			return ST_DEC_BAD_SIZE;
		total += lens[i];
	}
	if (total != dp_cur_left(&c))
		return total > dp_cur_left(&c) ? ST_DEC_TRUNCATED : ST_DEC_TRAILING;
	/* per-record scales: one byte per record, else none */
	if (lens[COL_TUNIT] != ((mode & (TM_ASCALE | TM_DSCALE)) ? nrecs : 0))
		return ST_DEC_BAD_SIZE;
	/* packed offsets: exactly nrecs * width bits, the padding zero */
	if ((mode & TM_PACKED) && lens[COL_START] != ((uint64_t)nrecs * width + 7) / 8)
		return ST_DEC_BAD_SIZE;
	if (r->cap < nrecs) {
		for (unsigned i = 0; i < COL_N; i++) {
			if (!is_ref(i))
				continue;
			uint32_t *nd = realloc(r->doff[i], nrecs * sizeof(*nd));
			if (nd)
				r->doff[i] = nd;
			uint8_t *nl = realloc(r->dlen[i], nrecs);
			if (nl)
				r->dlen[i] = nl;
			const uint8_t **nt = NULL;
			if (is_text(i) && (nt = realloc(r->tpl[i], nrecs * sizeof(*nt))))
				r->tpl[i] = nt;
			if (!nd || !nl || (is_text(i) && !nt))
				return ST_DEC_BAD_SIZE; /* out of memory: not a valid block here */
		}
		r->cap = nrecs;
	}
	for (unsigned i = 0; i < COL_N; i++) {
		dp_cur_sub(&c, (size_t)lens[i], &r->col[i]);
		r->colp[i] = r->col[i].p;
		r->coll[i] = r->col[i].len;
		r->ndict[i] = 0;
		r->ntpl[i] = 0;
		r->body[i] = dp_cur_make(NULL, 0);
		if (is_text(i) && lens[i]) {
			/* head length, head, body */
			uint64_t hl;
			if (!dp_cur_varint(&r->col[i], &hl))
				return ST_DEC_TRUNCATED;
			if (hl > dp_cur_left(&r->col[i]))
				return ST_DEC_TRUNCATED;
			struct dp_cur rest = r->col[i];
			dp_cur_sub(&rest, (size_t)hl, &r->col[i]);
			r->body[i] = rest;
		}
	}
	r->packed = NULL;
	r->width = width;
	if (mode & TM_PACKED) {
		size_t nb = (size_t)nrecs * width, l = r->coll[COL_START];
		if (l && (r->colp[COL_START][l - 1] >> (nb % 8 ? nb % 8 : 8)))
			return ST_DEC_BAD_SIZE;
		r->packed = r->colp[COL_START];
		dp_cur_skip(&r->col[COL_START], l); /* read by position */
	}
	r->arena_len = 0;
	r->nrecs = nrecs;
	r->next = 0;
	r->tmode = mode;
	r->base = st_u2i(st_unzigzag(zb));
	r->prev_anchor = r->base;
	r->prev_ip = 0;
	r->ustart = us;
	r->udur = ud;
	return ST_DEC_OK;
}

/* Room for n more decoded bytes in the reader's arena. */
static bool arena_room(struct st_col_reader *r, size_t n)
{
	if (r->arena_cap - r->arena_len >= n)
		return true;
	size_t nc = r->arena_cap ? r->arena_cap : 4096;
	while (nc - r->arena_len < n)
		nc *= 2;
	uint8_t *na = realloc(r->arena, nc);
	if (!na)
		return false;
	r->arena = na;
	r->arena_cap = nc;
	return true;
}

/* A text literal of form f into the arena (length byte, bytes). */
static enum st_dec dec_text_lit(struct st_col_reader *r, unsigned c, uint64_t f)
{
	struct dp_cur *h = &r->col[c], *b = &r->body[c];
	uint8_t *o = r->arena + r->arena_len, n;
	switch (f) {
	case TF_RAW:
		if (!dp_cur_u8(h, &n))
			return ST_DEC_TRUNCATED;
		if (n == 0 || n > RT_TEXT_MAX)
			return ST_DEC_BAD_TEXT;
		o[0] = n;
		return dp_cur_copy(b, o + 1, n) ? ST_DEC_OK : ST_DEC_TRUNCATED;
	case TF_HEXL:
	case TF_HEXU: {
		static const char dig[2][17] = {"0123456789abcdef", "0123456789ABCDEF"};
		const char *d = dig[f == TF_HEXU];
		if (!dp_cur_u8(h, &n))
			return ST_DEC_TRUNCATED;
		if (n == 0 || n > RT_TEXT_MAX)
			return ST_DEC_BAD_TEXT;
		if (dp_cur_left(b) < (n + 1u) / 2)
			return ST_DEC_TRUNCATED;
		o[0] = n;
		for (unsigned i = 0; i < n; i += 2) {
			uint8_t x = b->p[i / 2];
			o[1 + i] = (uint8_t)d[x >> 4];
			if (i + 1 < n)
				o[2 + i] = (uint8_t)d[x & 15];
			else if (x & 15)
				return ST_DEC_BAD_TEXT; /* padding nibble */
		}
		dp_cur_skip(b, (n + 1u) / 2);
		return ST_DEC_OK;
	}
	case TF_DIGITS: {
		uint64_t t;
		const uint8_t *tp;
		if (!dp_cur_varint(h, &t))
			return ST_DEC_TRUNCATED;
		if (t == 0) {
			/* a new template: u8 plen, prefix, u8 digits, u8 slen, suffix */
			uint8_t pl, nd, sl;
			tp = h->p;
			if (!dp_cur_u8(h, &pl) || !dp_cur_skip(h, pl) || !dp_cur_u8(h, &nd) ||
			    !dp_cur_u8(h, &sl) || !dp_cur_skip(h, sl))
				return ST_DEC_TRUNCATED;
			if (nd == 0 || nd > ST_COL_MAX_DIGITS || pl + nd + sl > RT_TEXT_MAX)
				return ST_DEC_BAD_TEXT;
			/* at most one template per record and column */
			r->tpl[c][r->ntpl[c]++] = tp;
		} else {
			if (t > r->ntpl[c])
				return ST_DEC_BAD_SIZE;
			tp = r->tpl[c][t - 1];
		}
		unsigned pl = tp[0], nd = tp[1 + pl], sl = tp[2 + pl];
		uint64_t x = 0;
		if (dp_cur_left(b) < digit_bytes[nd])
			return ST_DEC_TRUNCATED;
		for (unsigned i = digit_bytes[nd]; i-- > 0;)
			x = x << 8 | b->p[i];
		dp_cur_skip(b, digit_bytes[nd]);
		if (x >= pow10_tab[nd])
			return ST_DEC_BAD_TEXT;
		o[0] = (uint8_t)(pl + nd + sl);
		memcpy(o + 1, tp + 1, pl);
		for (unsigned i = nd; i-- > 0; x /= 10)
			o[1 + pl + i] = (uint8_t)('0' + x % 10);
		memcpy(o + 1 + pl + nd, tp + 3 + pl, sl);
		return ST_DEC_OK;
	}
	}
	return ST_DEC_BAD_TEXT;
}

static enum st_dec dec_ref(struct st_col_reader *r, unsigned c, const uint8_t **ret,
			   unsigned *ret_n)
{
	struct dp_cur *k = &r->col[c];
	uint64_t ref;
	bool text = fields[c].kind == K_TEXT;
	unsigned lit = text ? TF_DIGITS + 1 : 1; /* refs below this are literals */
	if (!dp_cur_varint(k, &ref))
		return ST_DEC_TRUNCATED;
	if (ref >= lit) {
		if (ref - lit >= r->ndict[c])
			return ST_DEC_BAD_SIZE;
		*ret = r->arena + r->doff[c][ref - lit];
		*ret_n = r->dlen[c][ref - lit];
		return ST_DEC_OK;
	}
	/* the reader holds at most nrecs values per column: one per record */
	if (r->ndict[c] >= r->nrecs)
		return ST_DEC_BAD_SIZE;
	if (!arena_room(r, 1 + RT_TEXT_MAX))
		return ST_DEC_BAD_SIZE; /* out of memory: not a valid block here */
	uint8_t *o = r->arena + r->arena_len;
	unsigned total;
	if (text) {
		enum st_dec why = dec_text_lit(r, c, ref);
		if (why)
			return why;
		total = 1u + o[0];
	} else {
		uint8_t fam;
		if (!dp_cur_u8(k, &fam))
			return ST_DEC_TRUNCATED;
		if (fam != 4 && fam != 6)
			return ST_DEC_BAD_FLAGS; /* NAS family */
		total = 1u + (fam == 4 ? 4u : 16u);
		o[0] = fam;
		if (!dp_cur_copy(k, o + 1, total - 1))
			return ST_DEC_TRUNCATED;
	}
	r->doff[c][r->ndict[c]] = (uint32_t)r->arena_len;
	r->dlen[c][r->ndict[c]] = (uint8_t)total;
	r->ndict[c]++;
	r->arena_len += total;
	*ret = o;
	*ret_n = total;
	return ST_DEC_OK;
}

/* Start (and stop when closed) of the next record. */
static enum st_dec dec_times(struct st_col_reader *r, uint64_t pres, int64_t *ret_start,
			     int64_t *ret_stop)
{
	uint64_t u, q;
	uint8_t tu = 0;
	bool closed = pres >> COL_DUR & 1;
	if ((r->tmode & (TM_ASCALE | TM_DSCALE)) && !dp_cur_u8(&r->col[COL_TUNIT], &tu))
		return ST_DEC_TRUNCATED;
	if (tu > 15 || (!closed && tu > 3) || ((tu & 3) && !(r->tmode & TM_ASCALE)) ||
	    ((tu >> 2) && !(r->tmode & TM_DSCALE)))
		return ST_DEC_BAD_TIME;
	if ((r->tmode & TM_STOP) && !closed)
		return ST_DEC_BAD_TIME; /* a stop anchor needs a stop */
	if (r->tmode & TM_PACKED)
		q = get_bits(r->packed, (size_t)r->next * r->width, r->width);
	else if (!dp_cur_varint(&r->col[COL_START], &q))
		return ST_DEC_TRUNCATED;
	/* steps and offsets are in the block's unit times the record's scale
	 * (wrapping, as the record codec) */
	uint64_t step = (r->tmode & TM_OFFSETS) ? q : st_unzigzag(q);
	int64_t a = st_u2i((uint64_t)((r->tmode & TM_OFFSETS) ? r->base : r->prev_anchor) +
			   step * dscale[tu & 3] * r->ustart);
	int64_t start = a, stop = RT_TIME_NONE;
	if (a == RT_TIME_NONE)
		return ST_DEC_BAD_TIME;
	if (closed) {
		if (!dp_cur_varint(&r->col[COL_DUR], &u))
			return ST_DEC_TRUNCATED;
		if (__builtin_mul_overflow(u, dscale[tu >> 2], &u) ||
		    __builtin_mul_overflow(u, r->udur, &u))
			return ST_DEC_BAD_TIME;
		/* (differences of int64 times, as uint64: exact) */
		if (r->tmode & TM_STOP) {
			/* start = stop - duration, above RT_TIME_NONE */
			if (u > (uint64_t)a - (uint64_t)(INT64_MIN + 1))
				return ST_DEC_BAD_TIME;
			stop = a;
			start = st_u2i((uint64_t)a - u);
		} else {
			if (u > (uint64_t)INT64_MAX - (uint64_t)a)
				return ST_DEC_BAD_TIME; /* stop past INT64_MAX */
			stop = st_u2i((uint64_t)a + u);
		}
	}
	r->prev_anchor = a;
	*ret_start = start;
	*ret_stop = stop;
	return ST_DEC_OK;
}

static enum st_dec dec_field(struct st_col_reader *r, unsigned c, struct rt_session *s)
{
	const struct field *f = &fields[c];
	struct dp_cur *k = &r->col[c];
	uint8_t *p = fldw(s, c);
	const uint8_t *v;
	unsigned n;
	uint64_t u;
	enum st_dec why;
	switch (f->kind) {
	case K_TEXT: {
		struct rt_text *t = (void *)p;
		if ((why = dec_ref(r, c, &v, &n)))
			return why;
		t->len = v[0];
		memcpy(t->v, v + 1, v[0]);
		return ST_DEC_OK;
	}
	case K_NAS: {
		struct rt_addr *a = (void *)p;
		if ((why = dec_ref(r, c, &v, &n)))
			return why;
		a->family = v[0];
		memcpy(a->a, v + 1, n - 1);
		return ST_DEC_OK;
	}
	case K_IP4: {
		if (!dp_cur_varint(k, &u))
			return ST_DEC_TRUNCATED;
		if (u > UINT32_MAX)
			return ST_DEC_BAD_SIZE;
		uint32_t z = (uint32_t)u, ip = r->prev_ip + ((z >> 1) ^ (0 - (z & 1)));
		r->prev_ip = ip;
		s->ipv4[0] = (uint8_t)(ip >> 24);
		s->ipv4[1] = (uint8_t)(ip >> 16);
		s->ipv4[2] = (uint8_t)(ip >> 8);
		s->ipv4[3] = (uint8_t)ip;
		s->has_ipv4 = true;
		return ST_DEC_OK;
	}
	case K_RAW:
		if (!dp_cur_copy(k, p, f->len))
			return ST_DEC_TRUNCATED;
		*((bool *)(void *)((uint8_t *)s + f->has)) = true;
		return ST_DEC_OK;
	case K_PFX: {
		struct rt_prefix6 *x = (void *)p;
		uint8_t plen, cnt;
		if (!dp_cur_u8(k, &plen) || !dp_cur_u8(k, &cnt))
			return ST_DEC_TRUNCATED;
		if (plen > 128 || cnt > 16)
			return ST_DEC_BAD_PREFIX;
		if (!dp_cur_copy(k, x->a, cnt))
			return ST_DEC_TRUNCATED;
		if (cnt && x->a[cnt - 1] == 0)
			return ST_DEC_BAD_PREFIX; /* not canonical */
		x->present = true;
		x->plen = plen;
		return ST_DEC_OK;
	}
	case K_U8:
		if (!dp_cur_u8(k, p))
			return ST_DEC_TRUNCATED;
		return *p ? ST_DEC_OK : ST_DEC_BAD_FLAGS;
	case K_SKEW: {
		if (!dp_cur_varint(k, &u))
			return ST_DEC_TRUNCATED;
		int64_t d = st_u2i(st_unzigzag(u));
		if (d < INT32_MIN || d > INT32_MAX)
			return ST_DEC_BAD_SKEW;
		s->has_clock_skew = true;
		s->clock_skew_ms = (int32_t)d;
		return ST_DEC_OK;
	}
	case K_NEWS: {
		if (!dp_cur_varint(k, &u))
			return ST_DEC_TRUNCATED;
		int64_t t = st_u2i((uint64_t)s->start_ns + st_unzigzag(u));
		if (t == RT_TIME_NONE)
			return ST_DEC_BAD_TIME;
		memcpy(p, &t, sizeof(t));
		return ST_DEC_OK;
	}
	}
	return ST_DEC_BAD_FLAGS;
}

enum st_dec st_col_next(struct st_col_reader *r, struct rt_session *s)
{
	uint64_t pres;
	enum st_dec why;
	if (r->next >= r->nrecs)
		return ST_DEC_BAD_SIZE;
	/* clear *s cheaply: its text bytes past their lengths are zero (see
	 * column.h), so only the used ones and the other fields are wiped */
	for (unsigned c = FIRST_FIELD; c < FIELDS_END; c++) {
		if (fields[c].kind != K_TEXT)
			continue;
		struct rt_text *t = (void *)fldw(s, c);
		memset(t->v, 0, t->len <= RT_TEXT_MAX ? t->len : RT_TEXT_MAX);
		t->len = 0;
	}
	memset(s, 0, offsetof(struct rt_session, account));
	memset((uint8_t *)s + offsetof(struct rt_session, nas_ip), 0,
	       sizeof(*s) - offsetof(struct rt_session, nas_ip));
	s->stop_ns = s->last_news_ns = s->prev_news_ns = RT_TIME_NONE;
	if (!dp_cur_varint(&r->col[COL_PRES], &pres))
		return ST_DEC_TRUNCATED;
	if ((pres & ~PRES_ALL) || (pres & PRES_MUST) != PRES_MUST ||
	    ((pres >> COL_CAUSE & 1) && !(pres >> COL_DUR & 1)))
		return ST_DEC_BAD_FLAGS;
	if ((why = dec_times(r, pres, &s->start_ns, &s->stop_ns)))
		return why;
	for (unsigned c = FIRST_FIELD; c < FIELDS_END; c++)
		if ((pres >> c & 1) && (why = dec_field(r, c, s)))
			return why;
	r->next++;
	if (r->next == r->nrecs)
		for (unsigned c = 0; c < COL_N; c++)
			if (dp_cur_left(&r->col[c]) || dp_cur_left(&r->body[c]))
				return ST_DEC_TRAILING;
	return ST_DEC_OK;
}

/* ---- compressed column blocks ----------------------------------------------------- */

size_t st_colz_bound(size_t raw_len)
{
	return ST_COLZ_HDR_LEN + ZSTD_compressBound(raw_len);
}

int st_colz_seal(ZSTD_CCtx *cctx, const ZSTD_CDict *cdict, uint32_t dict_id, const uint8_t *raw,
		 size_t raw_len, uint32_t nrecs, uint8_t *dst, size_t *ret_len)
{
	(void)dict_id; /* the file names the dictionary, not each frame */
	if (raw_len < COL_HDR_FIXED || raw_len > ST_COL_MAX_RAW || nrecs == 0 ||
	    nrecs > ST_COL_MAX_RECS)
		return ST_EINVAL;
	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_dictIDFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_refCDict(cctx, cdict)))
		return ST_EZSTD;
	size_t n = ZSTD_compress2(cctx, dst + ST_COLZ_HDR_LEN, ZSTD_compressBound(raw_len), raw,
				  raw_len);
	ZSTD_CCtx_refCDict(cctx, NULL);
	if (ZSTD_isError(n) || n > UINT32_MAX)
		return ST_EZSTD;
	uint8_t *p = dst;
	p = st_put_le32(p, ST_COLZ_MAGIC);
	p = st_put_le16(p, ST_COLZ_VERSION);
	p = st_put_le16(p, ST_COLZ_HDR_LEN);
	p = st_put_le32(p, (uint32_t)raw_len);
	st_put_le32(p, st_crc32c(dst, 12));
	*ret_len = ST_COLZ_HDR_LEN + n;
	return 0;
}

static int colz_fail(enum st_dec why, enum st_dec *ret_why)
{
	*ret_why = why;
	return st_dec_err(why);
}

int st_colz_open(ZSTD_DCtx *dctx, const ZSTD_DDict *ddict, uint32_t dict_id, const uint8_t *p,
		 size_t len, struct st_colz_hdr *ret_hdr, struct st_buf *raw, enum st_dec *ret_why)
{
	struct dp_cur c = dp_cur_make(p, len);
	uint32_t magic, crc;
	struct st_colz_hdr h;
	uint8_t b[4];
	*ret_why = ST_DEC_OK;
	if (len < ST_COLZ_HDR_LEN)
		return colz_fail(ST_DEC_TRUNCATED, ret_why);
	dp_cur_le32(&c, &magic);
	dp_cur_copy(&c, b, 4);
	dp_cur_le32(&c, &h.raw_len);
	dp_cur_le32(&c, &crc);
	if (magic != ST_COLZ_MAGIC)
		return colz_fail(ST_DEC_BAD_MAGIC, ret_why);
	if ((b[0] | (uint32_t)b[1] << 8) != ST_COLZ_VERSION)
		return colz_fail(ST_DEC_BAD_VERSION, ret_why);
	if ((b[2] | (uint32_t)b[3] << 8) != ST_COLZ_HDR_LEN)
		return colz_fail(ST_DEC_BAD_SIZE, ret_why);
	if (crc != st_crc32c(p, 12))
		return colz_fail(ST_DEC_BAD_HEADER_CRC, ret_why);
	h.comp_len = (uint32_t)(len - ST_COLZ_HDR_LEN < UINT32_MAX ? len - ST_COLZ_HDR_LEN : UINT32_MAX);
	h.dict_id = dict_id;
	if (h.raw_len < COL_HDR_FIXED || h.raw_len > ST_COL_MAX_RAW || h.comp_len < 5 ||
	    h.comp_len > ZSTD_compressBound(ST_COL_MAX_RAW))
		return colz_fail(ST_DEC_BAD_SIZE, ret_why);
	const uint8_t *f = c.p;
	/* one frame filling the rest, with its content size and checksum and
	 * no dictionary id: zstd magic, then the Frame_Header_Descriptor
	 * (checksum bit 2, dictionary id size bits 0-1) */
	if ((f[0] | (uint32_t)f[1] << 8 | (uint32_t)f[2] << 16 | (uint32_t)f[3] << 24) !=
		    0xFD2FB528u ||
	    (f[4] & 0x07u) != 0x04u)
		return colz_fail(ST_DEC_BAD_FRAME, ret_why);
	if (ZSTD_getFrameContentSize(f, h.comp_len) != h.raw_len ||
	    ZSTD_findFrameCompressedSize(f, h.comp_len) != h.comp_len)
		return colz_fail(ST_DEC_BAD_FRAME, ret_why);
	if ((dict_id && !ddict) || (ddict && ZSTD_getDictID_fromDDict(ddict) != dict_id))
		return colz_fail(ST_DEC_MISMATCH, ret_why);
	raw->len = 0;
	if (st_buf_reserve(raw, h.raw_len))
		return -ENOMEM;
	size_t n = ddict ? ZSTD_decompress_usingDDict(dctx, raw->p, h.raw_len, f, h.comp_len, ddict)
			 : ZSTD_decompressDCtx(dctx, raw->p, h.raw_len, f, h.comp_len);
	if (ZSTD_isError(n) || n != h.raw_len)
		return colz_fail(ST_DEC_BAD_CHECKSUM, ret_why);
	raw->len = n;
	/* the records of the raw block (its reader checks the rest) */
	h.nrecs = raw->p[8] | (uint32_t)raw->p[9] << 8 | (uint32_t)raw->p[10] << 16 |
		  (uint32_t)raw->p[11] << 24;
	*ret_hdr = h;
	return 0;
}

size_t st_col_train(void *dict, size_t cap, const void *samples, const size_t *sizes, unsigned n)
{
	if (n < 8)
		return 0;
	size_t r = ZDICT_trainFromBuffer(dict, cap, samples, sizes, n);
	return ZDICT_isError(r) ? 0 : r;
}

/* ---- scan, then decode records one at a time ------------------------------------ */

enum st_dec st_col_scan(struct st_col_reader *r, struct st_col_light *light)
{
	struct rt_session scratch; /* decode target of the fields: discarded */
	if (r->next != 0)
		return ST_DEC_BAD_SIZE;
	size_t need = (size_t)r->nrecs * COL_N;
	if (r->capat < need) {
		uint32_t *na = realloc(r->at, need * sizeof(*na));
		if (!na)
			return ST_DEC_BAD_SIZE;
		r->at = na;
		uint64_t *np = realloc(r->pres, (size_t)r->nrecs * sizeof(*np));
		if (!np)
			return ST_DEC_BAD_SIZE;
		r->pres = np;
		r->capat = (uint32_t)need;
	}
	struct rt_session *s = &scratch;
	r->light = light;
	for (uint32_t i = 0; i < r->nrecs; i++) {
		uint64_t pres;
		uint32_t *at = r->at + (size_t)i * COL_N;
		if (!dp_cur_varint(&r->col[COL_PRES], &pres))
			return ST_DEC_TRUNCATED;
		if ((pres & ~PRES_ALL) || (pres & PRES_MUST) != PRES_MUST ||
		    ((pres >> COL_CAUSE & 1) && !(pres >> COL_DUR & 1)))
			return ST_DEC_BAD_FLAGS;
		int64_t start, stop;
		enum st_dec twhy = dec_times(r, pres, &start, &stop);
		if (twhy)
			return twhy;
		s->start_ns = start;
		light[i] = (struct st_col_light){start, stop, pres, 0};
		r->pres[i] = pres;
		for (unsigned c = FIRST_FIELD; c < FIELDS_END; c++) {
			if (!(pres >> c & 1)) {
				at[c] = UINT32_MAX;
				continue;
			}
			enum st_dec why;
			if (is_ref(c)) {
				const uint8_t *v;
				unsigned n;
				uint32_t before = r->ndict[c];
				struct dp_cur save = r->col[c];
				uint64_t ref;
				if (!dp_cur_varint(&save, &ref))
					return ST_DEC_TRUNCATED;
				if ((why = dec_ref(r, c, &v, &n)))
					return why;
				unsigned lit = fields[c].kind == K_TEXT ? TF_DIGITS + 1 : 1;
				at[c] = ref >= lit ? (uint32_t)(ref - lit) : before;
				continue;
			}
			at[c] = (uint32_t)(r->col[c].p - r->colp[c]);
			if ((why = dec_field(r, c, s)))
				return why;
			if (c == COL_IPV4)
				light[i].ip = (uint32_t)s->ipv4[0] << 24 | (uint32_t)s->ipv4[1] << 16 |
					      (uint32_t)s->ipv4[2] << 8 | s->ipv4[3];
		}
		r->next++;
	}
	for (unsigned c = 0; c < COL_N; c++)
		if (dp_cur_left(&r->col[c]) || dp_cur_left(&r->body[c]))
			return ST_DEC_TRAILING;
	return ST_DEC_OK;
}

enum st_dec st_col_get(struct st_col_reader *r, uint32_t i, struct rt_session *s)
{
	if (i >= r->next || r->next != r->nrecs)
		return ST_DEC_BAD_SIZE; /* not scanned */
	const uint32_t *at = r->at + (size_t)i * COL_N;
	for (unsigned c = FIRST_FIELD; c < FIELDS_END; c++) {
		if (fields[c].kind != K_TEXT)
			continue;
		struct rt_text *t = (void *)fldw(s, c);
		memset(t->v, 0, t->len <= RT_TEXT_MAX ? t->len : RT_TEXT_MAX);
		t->len = 0;
	}
	memset(s, 0, offsetof(struct rt_session, account));
	memset((uint8_t *)s + offsetof(struct rt_session, nas_ip), 0,
	       sizeof(*s) - offsetof(struct rt_session, nas_ip));
	s->last_news_ns = s->prev_news_ns = RT_TIME_NONE;
	s->start_ns = r->light[i].start; /* before the fields relative to it */
	s->stop_ns = r->light[i].stop;
	uint64_t pres = r->pres[i];
	for (unsigned c = FIRST_FIELD; c < FIELDS_END; c++) {
		if (!(pres >> c & 1))
			continue;
		if (is_ref(c)) {
			if (at[c] >= r->ndict[c])
				return ST_DEC_BAD_SIZE;
			const uint8_t *v = r->arena + r->doff[c][at[c]];
			unsigned n = r->dlen[c][at[c]];
			if (fields[c].kind == K_TEXT) {
				struct rt_text *t = (void *)fldw(s, c);
				t->len = v[0];
				memcpy(t->v, v + 1, v[0]);
			} else {
				struct rt_addr *a = (void *)fldw(s, c);
				a->family = v[0];
				memcpy(a->a, v + 1, n - 1);
			}
			continue;
		}
		if (c == COL_IPV4) {
			/* a step from the previous address: the scan kept it */
			uint32_t ip = r->light[i].ip;
			s->has_ipv4 = true;
			s->ipv4[0] = (uint8_t)(ip >> 24);
			s->ipv4[1] = (uint8_t)(ip >> 16);
			s->ipv4[2] = (uint8_t)(ip >> 8);
			s->ipv4[3] = (uint8_t)ip;
			continue;
		}
		/* a cursor over the rest of the column, at the record's value */
		struct dp_cur save = r->col[c];
		r->col[c] = dp_cur_make(r->colp[c] + at[c], r->coll[c] - at[c]);
		enum st_dec why = dec_field(r, c, s);
		r->col[c] = save;
		if (why)
			return why;
	}
	return ST_DEC_OK;
}

bool st_col_text_eq(const struct st_col_reader *r, uint32_t i, unsigned c, const void *v,
		    size_t n)
{
	if (i >= r->next || c < FIRST_FIELD || c >= COL_N || fields[c].kind != K_TEXT)
		return false;
	uint32_t k = r->at[(size_t)i * COL_N + c];
	if (k == UINT32_MAX)
		return n == 0;
	if (k >= r->ndict[c])
		return false;
	const uint8_t *d = r->arena + r->doff[c][k];
	return d[0] == n && memcmp(d + 1, v, n) == 0;
}
