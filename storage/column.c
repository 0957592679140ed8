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
	[COL_IPV4] = FR(ipv4, has_ipv4, 4),
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
#define PRES_ALL ((UINT64_C(1) << COL_N) - 1)
#define PRES_MUST (UINT64_C(1) << COL_PRES | UINT64_C(1) << COL_START | UINT64_C(1) << COL_TUNIT)
/* header: magic, version, ncols, nrecs, varint start unit, varint duration
 * unit, then ncols varint lengths */
#define COL_HDR_FIXED 12u

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

/* Dictionary-code the value bytes v[0..n) of column c: varint 0 and the
 * literal the first time in the block, then varint (index + 1). */
static int enc_ref(struct st_col_enc *e, unsigned c, const uint8_t *v, size_t n,
		   const uint8_t *lit, size_t litn)
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
			int rc = col_varint(&e->col[c], 0);
			return rc ? rc : col_put(&e->col[c], lit, litn);
		}
		x--;
		if (e->vlen[x] == (uint16_t)(n | c << 9) && memcmp(e->val[x], v, n) == 0) {
			/* index within the column's own dictionary */
			return col_varint(&e->col[c], (uint64_t)e->vidx[x] + 1);
		}
	}
}

static int enc_field(struct st_col_enc *e, const struct rt_session *s, unsigned c)
{
	const struct field *f = &fields[c];
	const uint8_t *p = fld(s, c);
	struct st_buf *b = &e->col[c];
	uint8_t tmp[24];
	switch (f->kind) {
	case K_TEXT: {
		const struct rt_text *t = (const void *)p;
		tmp[0] = t->len;
		uint8_t lit[1 + RT_TEXT_MAX];
		lit[0] = t->len;
		memcpy(lit + 1, t->v, t->len);
		return enc_ref(e, c, (const uint8_t *)t->v, t->len, lit, 1u + t->len);
	}
	case K_NAS: {
		const struct rt_addr *a = (const void *)p;
		if (a->family != 4 && a->family != 6)
			return ST_EINVAL;
		unsigned n = a->family == 4 ? 4 : 16;
		tmp[0] = a->family;
		memcpy(tmp + 1, a->a, n);
		/* keyed by family and address (the literal itself) */
		return enc_ref(e, c, p, 1 + n, tmp, 1 + n);
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
	for (unsigned c = 0; c < COL_N; c++)
		st_buf_done(&e->col[c]);
	memset(e, 0, sizeof(*e));
}

int st_col_encode(struct st_col_enc *e, const struct rt_session *v, size_t n, struct st_buf *out)
{
	int rc = 0;
	if (!v || n == 0 || n > ST_COL_MAX_RECS)
		return ST_EINVAL;
	/* dictionary: at most 6 dictionary-coded values per record */
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
		e->capval = (uint32_t)need;
	}
	uint32_t ns = 64;
	while (ns < need * 2)
		ns *= 2;
	if (e->nslot != ns) {
		free(e->slot);
		e->slot = malloc(ns * sizeof(*e->slot));
		if (!e->slot) {
			e->nslot = 0;
			return -ENOMEM;
		}
		e->nslot = ns;
	}
	memset(e->slot, 0, ns * sizeof(*e->slot));
	e->nval = 0;
	for (unsigned c = 0; c < COL_N; c++) {
		e->col[c].len = 0;
		e->ncol[c] = 0;
	}

	/* time units of the block: the greatest common divisor of the start
	 * steps and of the durations (clocks tick in seconds or milliseconds
	 * more often than in nanoseconds) */
	uint64_t us = 0, ud = 0;
	int64_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rt_session *s = &v[i];
		if (s->start_ns == RT_TIME_NONE ||
		    (s->stop_ns != RT_TIME_NONE && s->stop_ns < s->start_ns))
			return ST_EINVAL;
		uint64_t d = (uint64_t)s->start_ns - (uint64_t)prev;
		us = gcd64(us, d >> 63 ? 0 - d : d);
		if (s->stop_ns != RT_TIME_NONE)
			ud = gcd64(ud, (uint64_t)s->stop_ns - (uint64_t)s->start_ns);
		prev = s->start_ns;
	}
	us = us ? us : 1;
	ud = ud ? ud : 1;
	prev = 0;
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
		uint64_t ds = sdiv((uint64_t)s->start_ns - (uint64_t)prev, us);
		unsigned ks = scale_of(ds >> 63 ? 0 - ds : ds), kd = 0;
		if (!rc)
			rc = col_varint(&e->col[COL_START], st_zigzag(sdiv(ds, dscale[ks])));
		if (!rc && (pres >> COL_DUR & 1)) {
			uint64_t dd = ((uint64_t)s->stop_ns - (uint64_t)s->start_ns) / ud;
			kd = scale_of(dd);
			rc = col_varint(&e->col[COL_DUR], dd / dscale[kd]);
		}
		uint8_t tu = (uint8_t)(ks | kd << 2);
		if (!rc)
			rc = col_put(&e->col[COL_TUNIT], &tu, 1);
		for (unsigned c = FIRST_FIELD; c < FIELDS_END && !rc; c++)
			if (pres >> c & 1)
				rc = enc_field(e, s, c);
		prev = s->start_ns;
	}
	if (rc)
		return rc;

	uint8_t hdr[COL_HDR_FIXED + 20 + COL_N * 10], *p = hdr;
	p = st_put_le32(p, ST_COL_MAGIC);
	p = st_put_le16(p, ST_COL_VERSION);
	p = st_put_le16(p, COL_N);
	p = st_put_le32(p, (uint32_t)n);
	p = st_put_varint(p, us);
	p = st_put_varint(p, ud);
	size_t total = 0;
	for (unsigned c = 0; c < COL_N; c++) {
		p = st_put_varint(p, e->col[c].len);
		total += e->col[c].len;
	}
	if ((size_t)(p - hdr) + total > ST_COL_MAX_RAW)
		return ST_EINVAL;
	rc = col_put(out, hdr, (size_t)(p - hdr));
	for (unsigned c = 0; c < COL_N && !rc; c++)
		rc = col_put(out, e->col[c].p, e->col[c].len);
	return rc;
}

/* ---- decoder ------------------------------------------------------------------ */

void st_col_reader_done(struct st_col_reader *r)
{
	for (unsigned c = 0; c < COL_N; c++) {
		free(r->dict[c]);
		free(r->dlen[c]);
	}
	free(r->at);
	free(r->pres);
	memset(r, 0, sizeof(*r));
}

static bool is_ref(unsigned c)
{
	return c < FIELDS_END && (fields[c].kind == K_TEXT || fields[c].kind == K_NAS) &&
	       c >= FIRST_FIELD;
}

enum st_dec st_col_open(struct st_col_reader *r, const uint8_t *raw, size_t len)
{
	struct dp_cur c = dp_cur_make(raw, len);
	uint32_t magic, nrecs;
	uint8_t b[4];
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
	uint64_t us, ud;
	if (!dp_cur_varint(&c, &us) || !dp_cur_varint(&c, &ud))
		return ST_DEC_TRUNCATED;
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
	if (r->cap < nrecs) {
		for (unsigned i = 0; i < COL_N; i++) {
			if (!is_ref(i))
				continue;
			const uint8_t **nd = realloc(r->dict[i], nrecs * sizeof(*nd));
			if (nd)
				r->dict[i] = nd;
			uint8_t *nl = realloc(r->dlen[i], nrecs);
			if (nl)
				r->dlen[i] = nl;
			if (!nd || !nl)
				return ST_DEC_BAD_SIZE; /* out of memory: not a valid block here */
		}
		r->cap = nrecs;
	}
	for (unsigned i = 0; i < COL_N; i++) {
		dp_cur_sub(&c, (size_t)lens[i], &r->col[i]);
		r->colp[i] = r->col[i].p;
		r->coll[i] = r->col[i].len;
		r->ndict[i] = 0;
	}
	r->nrecs = nrecs;
	r->next = 0;
	r->prev_start = 0;
	r->ustart = us;
	r->udur = ud;
	return ST_DEC_OK;
}

static enum st_dec dec_ref(struct st_col_reader *r, unsigned c, const uint8_t **ret,
			   unsigned *ret_n)
{
	struct dp_cur *k = &r->col[c];
	uint64_t ref;
	if (!dp_cur_varint(k, &ref))
		return ST_DEC_TRUNCATED;
	if (ref) {
		if (ref > r->ndict[c])
			return ST_DEC_BAD_SIZE;
		*ret = r->dict[c][ref - 1];
		*ret_n = r->dlen[c][ref - 1];
		return ST_DEC_OK;
	}
	uint8_t n;
	if (!dp_cur_peek_u8(k, 0, &n))
		return ST_DEC_TRUNCATED;
	unsigned total;
	if (fields[c].kind == K_TEXT) {
		if (n == 0 || n > RT_TEXT_MAX)
			return ST_DEC_BAD_TEXT;
		total = 1u + n;
	} else {
		if (n != 4 && n != 6)
			return ST_DEC_BAD_FLAGS; /* NAS family */
		total = 1u + (n == 4 ? 4u : 16u);
	}
	if (dp_cur_left(k) < total)
		return ST_DEC_TRUNCATED;
	/* the reader holds at most nrecs values per column: one per record */
	const uint8_t *p = k->p;
	dp_cur_skip(k, total);
	r->dict[c][r->ndict[c]] = p;
	r->dlen[c][r->ndict[c]] = (uint8_t)total;
	r->ndict[c]++;
	*ret = p;
	*ret_n = total;
	return ST_DEC_OK;
}

/* Start (and stop when closed) of the next record. */
static enum st_dec dec_times(struct st_col_reader *r, uint64_t pres, int64_t *ret_start,
			     int64_t *ret_stop)
{
	uint64_t u;
	uint8_t tu;
	if (!dp_cur_u8(&r->col[COL_TUNIT], &tu))
		return ST_DEC_TRUNCATED;
	if (tu > 15 || (!(pres >> COL_DUR & 1) && tu > 3))
		return ST_DEC_BAD_TIME;
	if (!dp_cur_varint(&r->col[COL_START], &u))
		return ST_DEC_TRUNCATED;
	/* steps are in the block's unit times the record's scale (wrapping,
	 * as the record codec) */
	int64_t start = st_u2i((uint64_t)r->prev_start +
			       st_unzigzag(u) * dscale[tu & 3] * r->ustart);
	int64_t stop = RT_TIME_NONE;
	if (start == RT_TIME_NONE)
		return ST_DEC_BAD_TIME;
	if (pres >> COL_DUR & 1) {
		if (!dp_cur_varint(&r->col[COL_DUR], &u))
			return ST_DEC_TRUNCATED;
		if (__builtin_mul_overflow(u, dscale[tu >> 2], &u) ||
		    __builtin_mul_overflow(u, r->udur, &u) ||
		    u > (uint64_t)INT64_MAX - (uint64_t)start)
			return ST_DEC_BAD_TIME; /* stop past INT64_MAX */
		stop = st_u2i((uint64_t)start + u);
	}
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
	r->prev_start = s->start_ns;
	r->next++;
	if (r->next == r->nrecs)
		for (unsigned c = 0; c < COL_N; c++)
			if (dp_cur_left(&r->col[c]))
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
	if (raw_len == 0 || raw_len > ST_COL_MAX_RAW || nrecs == 0 || nrecs > ST_COL_MAX_RECS)
		return ST_EINVAL;
	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_dictIDFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_refCDict(cctx, cdict)))
		return ST_EZSTD;
	size_t n = ZSTD_compress2(cctx, dst + ST_COLZ_HDR_LEN, ZSTD_compressBound(raw_len), raw,
				  raw_len);
	ZSTD_CCtx_refCDict(cctx, NULL);
	if (ZSTD_isError(n) || n > UINT32_MAX)
		return ST_EZSTD;
	uint8_t *p = dst;
	p = st_put_le32(p, ST_COLZ_MAGIC);
	p = st_put_le16(p, ST_COL_VERSION);
	p = st_put_le16(p, ST_COLZ_HDR_LEN);
	p = st_put_le32(p, nrecs);
	p = st_put_le32(p, (uint32_t)raw_len);
	p = st_put_le32(p, (uint32_t)n);
	p = st_put_le32(p, dict_id);
	p = st_put_le32(p, 0);
	st_put_le32(p, st_crc32c(dst, 28));
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
	uint32_t magic, v, crc, reserved;
	struct st_colz_hdr h;
	uint8_t b[4];
	*ret_why = ST_DEC_OK;
	if (len < ST_COLZ_HDR_LEN)
		return colz_fail(ST_DEC_TRUNCATED, ret_why);
	dp_cur_le32(&c, &magic);
	dp_cur_copy(&c, b, 4);
	dp_cur_le32(&c, &h.nrecs);
	dp_cur_le32(&c, &h.raw_len);
	dp_cur_le32(&c, &h.comp_len);
	dp_cur_le32(&c, &h.dict_id);
	dp_cur_le32(&c, &reserved);
	dp_cur_le32(&c, &crc);
	v = b[0] | (uint32_t)b[1] << 8;
	if (magic != ST_COLZ_MAGIC)
		return colz_fail(ST_DEC_BAD_MAGIC, ret_why);
	if (v != ST_COL_VERSION)
		return colz_fail(ST_DEC_BAD_VERSION, ret_why);
	if ((b[2] | (uint32_t)b[3] << 8) != ST_COLZ_HDR_LEN)
		return colz_fail(ST_DEC_BAD_SIZE, ret_why);
	if (crc != st_crc32c(p, 28))
		return colz_fail(ST_DEC_BAD_HEADER_CRC, ret_why);
	if (reserved != 0 || h.nrecs == 0 || h.nrecs > ST_COL_MAX_RECS || h.raw_len == 0 ||
	    h.raw_len > ST_COL_MAX_RAW || h.comp_len == 0 ||
	    h.comp_len > ZSTD_compressBound(ST_COL_MAX_RAW))
		return colz_fail(ST_DEC_BAD_SIZE, ret_why);
	if (h.comp_len != dp_cur_left(&c))
		return colz_fail(h.comp_len > dp_cur_left(&c) ? ST_DEC_TRUNCATED : ST_DEC_TRAILING,
				 ret_why);
	if (h.dict_id != dict_id)
		return colz_fail(ST_DEC_MISMATCH, ret_why);
	const uint8_t *f = c.p;
	if (ZSTD_getFrameContentSize(f, h.comp_len) != h.raw_len ||
	    ZSTD_findFrameCompressedSize(f, h.comp_len) != h.comp_len ||
	    ZSTD_getDictID_fromFrame(f, h.comp_len) != dict_id)
		return colz_fail(ST_DEC_BAD_FRAME, ret_why);
	/* zstd magic, then the Frame_Header_Descriptor: checksum bit 2 */
	if (h.comp_len < 5 || (f[0] | (uint32_t)f[1] << 8 | (uint32_t)f[2] << 16 |
			       (uint32_t)f[3] << 24) != 0xFD2FB528u || !(f[4] & 0x04u))
		return colz_fail(ST_DEC_BAD_FRAME, ret_why);
	if (dict_id && !ddict)
		return colz_fail(ST_DEC_MISMATCH, ret_why);
	raw->len = 0;
	if (st_buf_reserve(raw, h.raw_len))
		return -ENOMEM;
	size_t n = ddict ? ZSTD_decompress_usingDDict(dctx, raw->p, h.raw_len, f, h.comp_len, ddict)
			 : ZSTD_decompressDCtx(dctx, raw->p, h.raw_len, f, h.comp_len);
	if (ZSTD_isError(n) || n != h.raw_len)
		return colz_fail(ST_DEC_BAD_CHECKSUM, ret_why);
	raw->len = n;
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
				at[c] = ref ? (uint32_t)(ref - 1) : before;
				continue;
			}
			at[c] = (uint32_t)(r->col[c].p - r->colp[c]);
			if ((why = dec_field(r, c, s)))
				return why;
			if (c == COL_IPV4)
				light[i].ip = (uint32_t)s->ipv4[0] << 24 | (uint32_t)s->ipv4[1] << 16 |
					      (uint32_t)s->ipv4[2] << 8 | s->ipv4[3];
		}
		r->prev_start = start;
		r->next++;
	}
	for (unsigned c = 0; c < COL_N; c++)
		if (dp_cur_left(&r->col[c]))
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
			const uint8_t *v = r->dict[c][at[c]];
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
	const uint8_t *d = r->dict[c][k];
	return d[0] == n && memcmp(d + 1, v, n) == 0;
}
