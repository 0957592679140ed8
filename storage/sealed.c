/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sealed segments, format version 2 (storage/sealed.h, FORMAT.md section
 * 9): builder and validating reader.
 */
#include "sealed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- keys ------------------------------------------------------------------- */

uint32_t st_sealed_key(unsigned kind, const uint8_t *k, size_t n)
{
	uint8_t b[1 + 1 + RT_TEXT_MAX];
	if (n > sizeof(b) - 1)
		n = sizeof(b) - 1;
	b[0] = (uint8_t)kind;
	memcpy(b + 1, k, n);
	return st_crc32c(b, 1 + n);
}

static uint32_t ip_u32(const uint8_t ip[4])
{
	return (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
}

/* Sort key of a record: records without IPv4 first. */
static uint64_t ip_sortkey(const struct rt_session *s)
{
	return s->has_ipv4 ? UINT64_C(1) << 32 | ip_u32(s->ipv4) : 0;
}

/* Hash-index keys of a record for kind (up to 3 for IPv6). */
static unsigned rec_keys(const struct rt_session *s, unsigned kind, uint8_t k[3][18],
			 size_t kl[3])
{
	unsigned n = 0;
	switch (kind) {
	case HK_ACCT:
	case HK_CALL: {
		const struct rt_text *t = kind == HK_ACCT ? &s->account : &s->calling_number;
		if (!t->len)
			return 0;
		/* texts are hashed whole (st_sealed_key takes the bytes) */
		return 1;
	}
	case HK_V6:
		if (s->ipv6_prefix.present)
			kl[n] = st_v6_prefix(k[n], s->ipv6_prefix.a, s->ipv6_prefix.plen), n++;
		if (s->delegated_prefix.present)
			kl[n] = st_v6_prefix(k[n], s->delegated_prefix.a, s->delegated_prefix.plen), n++;
		if (s->has_ipv6_addr)
			kl[n] = st_v6_prefix(k[n], s->ipv6_addr, 128), n++;
		return n;
	}
	return 0;
}

static uint32_t rec_hash(const struct rt_session *s, unsigned kind, unsigned i,
			 uint8_t k[3][18], const size_t kl[3])
{
	if (kind == HK_ACCT)
		return st_sealed_key(kind, (const uint8_t *)s->account.v, s->account.len);
	if (kind == HK_CALL)
		return st_sealed_key(kind, (const uint8_t *)s->calling_number.v,
				     s->calling_number.len);
	return st_sealed_key(kind, k[i], kl[i]);
}

/* ---- builder ------------------------------------------------------------------- */

struct sitem {
	uint64_t ipk;
	int64_t start;
	uint32_t idx;
};

static int sitem_cmp(const void *x, const void *y)
{
	const struct sitem *a = x, *b = y;
	if (a->ipk != b->ipk)
		return a->ipk < b->ipk ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

struct hent {
	uint32_t h, rec;
};

static int hent_cmp(const void *x, const void *y)
{
	const struct hent *a = x, *b = y;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->rec < b->rec ? -1 : a->rec > b->rec;
}

struct lent {
	uint8_t kind;
	uint32_t key, rec;
	int64_t start, stop;
};

static int lent_cmp(const void *x, const void *y)
{
	const struct lent *a = x, *b = y;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->rec < b->rec ? -1 : a->rec > b->rec;
}

static int buf_put(struct st_buf *b, const void *p, size_t n)
{
	if (st_buf_reserve(b, n))
		return -ENOMEM;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static unsigned hbits_for(uint32_t n)
{
	unsigned b = 1;
	while (b < 32 && (UINT64_C(1) << b) < (uint64_t)n * 8)
		b++;
	return b;
}

/* Index entries gathered while the blocks are written (records in file
 * order). */
struct bstate {
	struct hent *h[HK_N];
	size_t nh[HK_N], caph[HK_N];
	uint8_t plens[17];
	struct lent *l;
	size_t nl, capl;
};

static int push_h(struct bstate *bs, unsigned kind, uint32_t h, uint32_t rec)
{
	if (bs->nh[kind] == bs->caph[kind]) {
		size_t nc = bs->caph[kind] ? bs->caph[kind] * 2 : 1024;
		struct hent *n = realloc(bs->h[kind], nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		bs->h[kind] = n;
		bs->caph[kind] = nc;
	}
	bs->h[kind][bs->nh[kind]++] = (struct hent){h, rec};
	return 0;
}

static int push_l(struct bstate *bs, const struct rt_session *s, unsigned kind, uint32_t key,
		  uint32_t rec)
{
	if (bs->nl == bs->capl) {
		size_t nc = bs->capl ? bs->capl * 2 : 256;
		struct lent *n = realloc(bs->l, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		bs->l = n;
		bs->capl = nc;
	}
	bs->l[bs->nl++] = (struct lent){(uint8_t)kind, key, rec, s->start_ns, s->stop_ns};
	return 0;
}

static int add_record(struct bstate *bs, const struct rt_session *s, uint32_t rec)
{
	uint8_t k[3][18];
	size_t kl[3];
	bool lng = (uint64_t)s->stop_ns - (uint64_t)s->start_ns > (uint64_t)ST_LONG_NS;
	int rc = 0;
	if (lng && s->has_ipv4)
		rc = push_l(bs, s, HK_IP4, ip_u32(s->ipv4), rec);
	for (unsigned kind = HK_ACCT; kind < HK_N && !rc; kind++) {
		unsigned nk = rec_keys(s, kind, k, kl);
		for (unsigned i = 0; i < nk && !rc; i++) {
			uint32_t h = rec_hash(s, kind, i, k, kl);
			/* the index names the block: a lookup decodes it anyway */
			rc = push_h(bs, kind, h, rec / ST_SEG2_BLOCK_RECS);
			if (!rc && lng)
				rc = push_l(bs, s, kind, h, rec);
			if (kind == HK_V6)
				bs->plens[k[i][0] / 8] |= (uint8_t)(1u << (k[i][0] % 8));
		}
	}
	return rc;
}

static void bstate_done(struct bstate *bs)
{
	for (unsigned k = 0; k < HK_N; k++)
		free(bs->h[k]);
	free(bs->l);
}

/* Hash index section of kind. */
static int finish_hix(struct bstate *bs, unsigned kind, struct st_buf *out)
{
	struct hent *e = bs->h[kind];
	size_t ne = bs->nh[kind];
	int rc = 0;
	unsigned hb = hbits_for((uint32_t)ne);
	for (size_t i = 0; i < ne; i++)
		e[i].h = hb == 32 ? e[i].h : e[i].h >> (32 - hb);
	if (ne > 1)
		qsort(e, ne, sizeof(*e), hent_cmp);
	/* duplicates (one record, two keys with one hash) are kept once */
	size_t m = 0;
	for (size_t i = 0; i < ne; i++)
		if (!m || e[i].h != e[m - 1].h || e[i].rec != e[m - 1].rec)
			e[m++] = e[i];
	ne = m;
	uint32_t nchunks = (uint32_t)((ne + ST_SEG2_CHUNK - 1) / ST_SEG2_CHUNK);
	uint8_t hdr[36], *p = hdr;
	p = st_put_le32(p, (uint32_t)ne);
	p = st_put_le32(p, hb);
	p = st_put_le32(p, nchunks);
	p = st_put_le32(p, ST_SEG2_CHUNK);
	if (kind == HK_V6)
		memcpy(p, bs->plens, 17);
	else
		memset(p, 0, 17);
	p += 17;
	memset(p, 0, 3);
	rc = buf_put(out, hdr, sizeof(hdr));
	size_t fence_at = out->len;
	if (!rc && st_buf_reserve(out, (size_t)nchunks * 8))
		rc = -ENOMEM;
	if (rc)
		return rc;
	memset(out->p + fence_at, 0, (size_t)nchunks * 8);
	out->len += (size_t)nchunks * 8;
	size_t body_at = out->len;
	for (size_t i = 0; i < ne && !rc; i++) {
		uint8_t tmp[20], *q = tmp;
		if (i % ST_SEG2_CHUNK == 0) {
			uint8_t *f = out->p + fence_at + (i / ST_SEG2_CHUNK) * 8;
			f = st_put_le32(f, e[i].h);
			st_put_le32(f, (uint32_t)(out->len - body_at));
			q = st_put_varint(q, 0);
		} else {
			q = st_put_varint(q, e[i].h - e[i - 1].h);
		}
		q = st_put_varint(q, e[i].rec);
		rc = buf_put(out, tmp, (size_t)(q - tmp));
	}
	return rc;
}

/* Seconds from base to t, rounded down (up), saturated to int32: the
 * long table's bounds hold the session's. */
static int32_t long_sec(int64_t t, int64_t base, bool up)
{
	int64_t d;
	if (__builtin_sub_overflow(t, base, &d))
		return t < base ? INT32_MIN : INT32_MAX;
	int64_t q = d / 1000000000, r = d % 1000000000;
	q += up ? (r > 0) : -(r < 0);
	return q < INT32_MIN ? INT32_MIN : q > INT32_MAX ? INT32_MAX : (int32_t)q;
}

/* The time of a long-table bound (saturated; the int32 extremes are
 * unbounded). */
static int64_t long_ns(const struct st_sealed *s, int32_t sec)
{
	int64_t r;
	if (sec == INT32_MIN)
		return INT64_MIN;
	if (sec == INT32_MAX ||
	    __builtin_add_overflow(st_day_start(s->day), (int64_t)sec * 1000000000, &r))
		return INT64_MAX;
	return r;
}

static uint32_t long_kind(const uint8_t *e)
{
	return (e[4] | (uint32_t)e[5] << 8 | (uint32_t)e[6] << 16 | (uint32_t)e[7] << 24) >>
	       ST_SEG2_LONG_KSHIFT;
}

static int finish_long(struct bstate *bs, int32_t day, struct st_buf *out, uint32_t *ret_n)
{
	struct lent *e = bs->l;
	size_t ne = bs->nl;
	if (ne > 1)
		qsort(e, ne, sizeof(*e), lent_cmp);
	size_t m = 0;
	for (size_t i = 0; i < ne; i++)
		if (!m || lent_cmp(&e[i], &e[m - 1]) != 0)
			e[m++] = e[i];
	ne = m;
	if (st_buf_reserve(out, ne * ST_SEG2_LONGENT))
		return -ENOMEM;
	int64_t base = st_day_start(day);
	for (size_t i = 0; i < ne; i++) {
		uint8_t *p = out->p + out->len;
		p = st_put_le32(p, e[i].key);
		p = st_put_le32(p, e[i].rec | (uint32_t)e[i].kind << ST_SEG2_LONG_KSHIFT);
		p = st_put_le32(p, (uint32_t)long_sec(e[i].start, base, false));
		st_put_le32(p, (uint32_t)long_sec(e[i].stop, base, true));
		out->len += ST_SEG2_LONGENT;
	}
	*ret_n = (uint32_t)ne;
	return 0;
}

struct blkmeta {
	uint32_t cnt, fence;
	int64_t mn, mx, mns;
};

static int get_array(void *ctx, size_t i, struct rt_session *ret)
{
	*ret = ((const struct rt_session *)ctx)[i];
	return 0;
}

int st_sealed_build(int32_t day, struct rt_session *v, size_t n, int zstd_level,
		    struct st_buf *out)
{
	if (!v)
		return ST_EINVAL;
	return st_sealed_build_from(day, n, get_array, v, zstd_level, out);
}

int st_sealed_build_from(int32_t day, size_t n, st_sealed_get_fn get, void *ctx, int zstd_level,
			 struct st_buf *out)
{
	struct sitem *it = NULL;
	struct rt_session *tmp = NULL;
	struct blkmeta *bm = NULL;
	struct st_col_enc enc = {0};
	struct st_buf raw = {0}, sect[SECT_N_KINDS] = {{0}}, samp = {0};
	struct bstate bs = {0};
	size_t *rawoff = NULL, *sizes = NULL;
	ZSTD_CCtx *cctx = NULL;
	ZSTD_CDict *cdict = NULL;
	uint32_t nblocks, dict_id = 0, nlong = 0;
	int rc = 0;

	if (!get || n == 0 || n > ST_SEG2_LONG_RECMASK)
		return ST_EINVAL; /* records are numbered in 30 bits (long table) */
	nblocks = (uint32_t)((n + ST_SEG2_BLOCK_RECS - 1) / ST_SEG2_BLOCK_RECS);
	it = malloc(n * sizeof(*it));
	tmp = malloc(ST_SEG2_BLOCK_RECS * sizeof(*tmp));
	bm = malloc((size_t)nblocks * sizeof(*bm));
	rawoff = malloc(((size_t)nblocks + 1) * sizeof(*rawoff));
	sizes = malloc((size_t)nblocks * sizeof(*sizes));
	cctx = ZSTD_createCCtx();
	if (!it || !tmp || !bm || !rawoff || !sizes || !cctx) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		rc = get(ctx, i, &tmp[0]);
		if (!rc && tmp[0].stop_ns == RT_TIME_NONE)
			rc = ST_EINVAL; /* sealed segments hold closed sessions */
		it[i] = (struct sitem){ip_sortkey(&tmp[0]), tmp[0].start_ns, (uint32_t)i};
	}
	if (rc)
		goto out;
	qsort(it, n, sizeof(*it), sitem_cmp);

	/* raw column blocks, index entries, block bounds */
	for (uint32_t b = 0; b < nblocks && !rc; b++) {
		size_t first = (size_t)b * ST_SEG2_BLOCK_RECS;
		size_t cnt = n - first < ST_SEG2_BLOCK_RECS ? n - first : ST_SEG2_BLOCK_RECS;
		struct blkmeta *m = &bm[b];
		*m = (struct blkmeta){(uint32_t)cnt, 0, INT64_MAX, INT64_MIN, INT64_MAX};
		for (size_t i = 0; i < cnt && !rc; i++) {
			const struct rt_session *s = &tmp[i];
			rc = get(ctx, it[first + i].idx, &tmp[i]);
			if (!rc)
				rc = add_record(&bs, s, (uint32_t)(first + i));
			m->mn = s->start_ns < m->mn ? s->start_ns : m->mn;
			m->mx = s->stop_ns > m->mx ? s->stop_ns : m->mx;
			m->mns = s->stop_ns < m->mns ? s->stop_ns : m->mns;
		}
		if (rc)
			break;
		m->fence = tmp[0].has_ipv4 ? ip_u32(tmp[0].ipv4) : 0;
		rawoff[b] = raw.len;
		rc = st_col_encode(&enc, tmp, cnt, &raw);
		sizes[b] = raw.len - rawoff[b];
	}
	if (rc)
		goto out;
	rawoff[nblocks] = raw.len;

	/* dictionary trained on (a deterministic sample of) this day's blocks */
	{
		uint32_t step = nblocks / 512 + 1, ns = 0;
		for (uint32_t b = 0; b < nblocks; b += step) {
			rc = buf_put(&samp, raw.p + rawoff[b], sizes[b]);
			if (rc)
				goto out;
			sizes[ns++] = sizes[b];
		}
		size_t cap = raw.len / 8 < ST_SEG2_DICT_MAX ? raw.len / 8 : ST_SEG2_DICT_MAX;
		if (st_buf_reserve(&sect[SECT_DICT], ST_SEG2_DICT_MAX)) {
			rc = -ENOMEM;
			goto out;
		}
		size_t dl = cap >= 1024 ? st_col_train(sect[SECT_DICT].p, cap, samp.p, sizes, ns) : 0;
		for (uint32_t b = 0; b < nblocks; b++) /* sizes again */
			sizes[b] = rawoff[b + 1] - rawoff[b];
		if (dl) {
			sect[SECT_DICT].len = dl;
			dict_id = ZSTD_getDictID_fromDict(sect[SECT_DICT].p, dl);
			cdict = ZSTD_createCDict(sect[SECT_DICT].p, dl, zstd_level);
			if (!dict_id || !cdict) {
				rc = ST_EZSTD;
				goto out;
			}
		}
	}

	/* data blocks and the block table */
	for (uint32_t b = 0; b < nblocks && !rc; b++) {
		const struct blkmeta *m = &bm[b];
		size_t zl, off = sect[SECT_DATA].len;
		if (st_buf_reserve(&sect[SECT_DATA], st_colz_bound(sizes[b]))) {
			rc = -ENOMEM;
			break;
		}
		rc = st_colz_seal(cctx, cdict, dict_id, raw.p + rawoff[b], sizes[b], m->cnt,
				  sect[SECT_DATA].p + off, &zl);
		if (rc)
			break;
		sect[SECT_DATA].len += zl;
		uint8_t e[ST_SEG2_BLKENT], *p = e;
		p = st_put_le64(p, off);
		p = st_put_le32(p, (uint32_t)zl);
		p = st_put_le32(p, m->cnt);
		p = st_put_le32(p, b * ST_SEG2_BLOCK_RECS);
		p = st_put_le32(p, m->fence);
		p = st_put_le64(p, (uint64_t)m->mn);
		p = st_put_le64(p, (uint64_t)m->mx);
		st_put_le64(p, (uint64_t)m->mns);
		rc = buf_put(&sect[SECT_BLOCKS], e, sizeof(e));
	}
	if (!rc)
		rc = finish_hix(&bs, HK_ACCT, &sect[SECT_HACCT]);
	if (!rc)
		rc = finish_hix(&bs, HK_CALL, &sect[SECT_HCALL]);
	if (!rc)
		rc = finish_hix(&bs, HK_V6, &sect[SECT_HV6]);
	if (!rc)
		rc = finish_long(&bs, day, &sect[SECT_LONG], &nlong);
	if (rc)
		goto out;

	/* the file: header, directory, sections in kind order */
	{
		const uint32_t nsect = SECT_N_KINDS - 1;
		uint8_t h[ST_SEG2_HDR_LEN] = {0}, *p = h;
		p = st_put_le32(p, ST_SEG_MAGIC);
		p = st_put_le16(p, ST_SEG2_VERSION);
		p = st_put_le16(p, ST_SEG2_HDR_LEN);
		p = st_put_le32(p, (uint32_t)day);
		p = st_put_le32(p, 0); /* flags */
		p = st_put_le32(p, 0); /* key_id: 0 = not encrypted */
		p = st_put_le32(p, (uint32_t)n);
		p = st_put_le32(p, nblocks);
		p = st_put_le32(p, dict_id);
		p = st_put_le32(p, nsect);
		st_put_le32(p, nlong);
		st_put_le32(h + 60, st_crc32c(h, 60));
		size_t base = out->len;
		rc = buf_put(out, h, sizeof(h));
		uint64_t off = ST_SEG2_HDR_LEN + (uint64_t)nsect * 24 + 4;
		uint8_t dir[(SECT_N_KINDS - 1) * 24 + 4], *d = dir;
		for (uint32_t k = 1; k < SECT_N_KINDS; k++) {
			d = st_put_le32(d, k);
			d = st_put_le32(d, st_crc32c(sect[k].p ? sect[k].p : (const uint8_t *)"", sect[k].len));
			d = st_put_le64(d, off);
			d = st_put_le64(d, sect[k].len);
			off += sect[k].len;
		}
		st_put_le32(d, st_crc32c(dir, (size_t)(d - dir)));
		if (!rc)
			rc = buf_put(out, dir, sizeof(dir));
		for (uint32_t k = 1; k < SECT_N_KINDS && !rc; k++)
			rc = buf_put(out, sect[k].p, sect[k].len);
		if (rc)
			out->len = base;
	}
out:
	free(it);
	free(tmp);
	free(bm);
	free(rawoff);
	free(sizes);
	ZSTD_freeCCtx(cctx);
	ZSTD_freeCDict(cdict);
	st_col_enc_done(&enc);
	bstate_done(&bs);
	st_buf_done(&raw);
	st_buf_done(&samp);
	for (unsigned k = 0; k < SECT_N_KINDS; k++)
		st_buf_done(&sect[k]);
	return rc;
}

/* ---- reader ------------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

enum st_dec st_seg_any_hdr(const uint8_t *p, size_t len, unsigned *ret_version, int32_t *ret_day)
{
	if (len < 8)
		return ST_DEC_TRUNCATED;
	if (le32(p) != ST_SEG_MAGIC)
		return ST_DEC_BAD_MAGIC;
	unsigned version = p[4] | (unsigned)p[5] << 8;
	if (version == ST_FORMAT_VERSION) {
		struct dp_cur c = dp_cur_make(p, len);
		*ret_version = version;
		return st_seg_hdr_parse(&c, ret_day);
	}
	if (version != ST_SEG2_VERSION)
		return ST_DEC_BAD_VERSION;
	if (len < ST_SEG2_HDR_LEN)
		return ST_DEC_TRUNCATED;
	if ((p[6] | (unsigned)p[7] << 8) != ST_SEG2_HDR_LEN)
		return ST_DEC_BAD_SIZE;
	if (le32(p + 60) != st_crc32c(p, 60))
		return ST_DEC_BAD_HEADER_CRC;
	*ret_version = version;
	*ret_day = (int32_t)le32(p + 8);
	return ST_DEC_OK;
}

static int fail(enum st_dec why, enum st_dec *ret_why)
{
	*ret_why = why;
	return st_dec_err(why);
}

static enum st_dec hix_open(struct st_hix *h, const uint8_t *p, size_t len, uint32_t nrecs,
			    unsigned kind)
{
	memset(h, 0, sizeof(*h));
	if (len < 36)
		return ST_DEC_TRUNCATED;
	h->p = p;
	h->len = len;
	h->n = le32(p);
	h->hbits = le32(p + 4);
	h->nchunks = le32(p + 8);
	uint32_t chunk = le32(p + 12);
	memcpy(h->plens, p + 16, 17);
	if (p[33] | p[34] | p[35])
		return ST_DEC_BAD_SIZE;
	if (kind != HK_V6)
		for (unsigned i = 0; i < 17; i++)
			if (h->plens[i])
				return ST_DEC_BAD_SIZE;
	if (h->plens[16] & 0xfe)
		return ST_DEC_BAD_PREFIX; /* lengths above 128 */
	/* at most 3 keys per record */
	if (chunk != ST_SEG2_CHUNK || h->hbits < 1 || h->hbits > 32 ||
	    (uint64_t)h->n > (uint64_t)nrecs * 3 ||
	    h->nchunks != (h->n + ST_SEG2_CHUNK - 1) / ST_SEG2_CHUNK)
		return ST_DEC_BAD_SIZE;
	if ((uint64_t)h->nchunks * 8 > len - 36)
		return ST_DEC_TRUNCATED;
	h->fences = p + 36;
	h->body = h->fences + (size_t)h->nchunks * 8;
	h->body_len = len - 36 - (size_t)h->nchunks * 8;
	/* every entry takes at least 2 body bytes */
	if ((uint64_t)h->n * 2 > h->body_len)
		return ST_DEC_TRUNCATED;
	for (uint32_t i = 0; i < h->nchunks; i++) {
		uint32_t fh = le32(h->fences + i * 8), fo = le32(h->fences + i * 8 + 4);
		if (h->hbits < 32 && fh >> h->hbits)
			return ST_DEC_BAD_SIZE;
		if (i == 0 ? fo != 0
			   : fh < le32(h->fences + (i - 1) * 8) || fo <= le32(h->fences + (i - 1) * 8 + 4))
			return ST_DEC_BAD_SIZE;
		if (fo >= h->body_len)
			return ST_DEC_BAD_SIZE;
	}
	return ST_DEC_OK;
}

static const unsigned hix_sect[HK_N] = {0, SECT_HACCT, SECT_HCALL, SECT_HV6};

int st_sealed_hix_check(struct st_sealed *s, unsigned kind, enum st_dec *ret_why)
{
	enum st_dec why = ST_DEC_OK;
	if (kind < HK_ACCT || kind >= HK_N)
		return ST_EINVAL;
	if (s->hix_state[kind] == 0) {
		if (st_crc32c(s->hix_sp[kind], s->hix_sl[kind]) != s->hix_crc[kind])
			why = ST_DEC_BAD_CHECKSUM;
		else
			why = hix_open(&s->hix[kind], s->hix_sp[kind], s->hix_sl[kind], s->nrecs, kind);
		if (why)
			memset(&s->hix[kind], 0, sizeof(s->hix[kind]));
		s->hix_state[kind] = why ? 2 : 1;
		s->hix_why[kind] = (uint8_t)why;
	}
	if (s->hix_state[kind] == 1)
		return 0;
	return fail((enum st_dec)s->hix_why[kind], ret_why);
}

static int sealed_open(struct st_sealed *s, const uint8_t *p, size_t len, bool lazy,
		       enum st_dec *ret_why)
{
	unsigned version;
	int32_t day;
	enum st_dec why;
	memset(s, 0, sizeof(*s));
	s->cblock = UINT32_MAX;
	*ret_why = ST_DEC_OK;
	why = st_seg_any_hdr(p, len, &version, &day);
	if (why)
		return fail(why, ret_why);
	if (version != ST_SEG2_VERSION)
		return fail(ST_DEC_BAD_VERSION, ret_why);
	uint32_t flags = le32(p + 12), key_id = le32(p + 16), nsect = le32(p + 32);
	s->nrecs = le32(p + 20);
	s->nblocks = le32(p + 24);
	s->dict_id = le32(p + 28);
	s->nlong = le32(p + 36);
	for (unsigned i = 40; i < 60; i++)
		if (p[i])
			return fail(ST_DEC_BAD_SIZE, ret_why);
	/* key_id: encryption at rest is not implemented: refuse, not misread */
	if (flags != 0 || key_id != 0)
		return fail(ST_DEC_BAD_VERSION, ret_why);
	if (nsect != SECT_N_KINDS - 1 || s->nrecs == 0 || s->nblocks == 0 ||
	    s->nblocks != (s->nrecs + ST_SEG2_BLOCK_RECS - 1) / ST_SEG2_BLOCK_RECS)
		return fail(ST_DEC_BAD_SIZE, ret_why);
	size_t dirlen = (size_t)nsect * 24 + 4;
	if (len - ST_SEG2_HDR_LEN < dirlen)
		return fail(ST_DEC_TRUNCATED, ret_why);
	const uint8_t *dir = p + ST_SEG2_HDR_LEN;
	if (le32(dir + dirlen - 4) != st_crc32c(dir, dirlen - 4))
		return fail(ST_DEC_BAD_HEADER_CRC, ret_why);
	const uint8_t *sp[SECT_N_KINDS] = {0};
	size_t sl[SECT_N_KINDS] = {0};
	uint64_t expect = ST_SEG2_HDR_LEN + dirlen;
	for (uint32_t k = 1; k < SECT_N_KINDS; k++) {
		const uint8_t *d = dir + (k - 1) * 24;
		uint64_t off = le64(d + 8), n = le64(d + 16);
		if (le32(d) != k || off != expect)
			return fail(ST_DEC_BAD_SIZE, ret_why);
		if (n > len || off > len - n)
			return fail(ST_DEC_TRUNCATED, ret_why);
		sp[k] = p + off;
		sl[k] = (size_t)n;
		/* the data section is checked block by block when read, the
		 * hash sections (lazy) by their first use */
		bool later = lazy && (k == SECT_HACCT || k == SECT_HCALL || k == SECT_HV6);
		if (k != SECT_DATA && !later && le32(d + 4) != st_crc32c(sp[k], sl[k]))
			return fail(ST_DEC_BAD_CHECKSUM, ret_why);
		for (unsigned h = HK_ACCT; h < HK_N; h++) {
			if (hix_sect[h] == k) {
				s->hix_sp[h] = sp[k];
				s->hix_sl[h] = sl[k];
				s->hix_crc[h] = le32(d + 4);
			}
		}
		expect = off + n;
	}
	if (expect != len)
		return fail(ST_DEC_TRAILING, ret_why);
	s->p = p;
	s->len = len;
	s->day = day;
	s->dict = sp[SECT_DICT];
	s->dict_len = sl[SECT_DICT];
	if ((s->dict_len == 0) != (s->dict_id == 0) || s->dict_len > ST_SEG2_DICT_MAX ||
	    (s->dict_len && ZSTD_getDictID_fromDict(s->dict, s->dict_len) != s->dict_id))
		return fail(ST_DEC_MISMATCH, ret_why);
	if (sl[SECT_BLOCKS] != (size_t)s->nblocks * ST_SEG2_BLKENT)
		return fail(ST_DEC_BAD_SIZE, ret_why);
	s->blocks = sp[SECT_BLOCKS];
	s->data = sp[SECT_DATA];
	s->data_len = sl[SECT_DATA];
	uint64_t off = 0, rec = 0;
	uint32_t prev_ip = 0;
	for (uint32_t b = 0; b < s->nblocks; b++) {
		struct st_sealed_blk e;
		st_sealed_blk(s, b, &e);
		if (e.off != off || e.len < ST_COLZ_HDR_LEN || e.len > s->data_len - off ||
		    e.first_rec != rec || e.nrecs == 0 || e.nrecs > ST_SEG2_BLOCK_RECS ||
		    (b + 1 < s->nblocks && e.nrecs != ST_SEG2_BLOCK_RECS) ||
		    e.first_ip < prev_ip || e.min_start > e.min_stop || e.min_stop > e.max_stop)
			return fail(ST_DEC_BAD_SIZE, ret_why);
		off += e.len;
		rec += e.nrecs;
		prev_ip = e.first_ip;
	}
	if (off != s->data_len || rec != s->nrecs)
		return fail(ST_DEC_BAD_SIZE, ret_why);
	for (unsigned k = HK_ACCT; k < HK_N && !lazy; k++) {
		why = hix_open(&s->hix[k], sp[hix_sect[k]], sl[hix_sect[k]], s->nrecs, k);
		if (why)
			return fail(why, ret_why);
		s->hix_state[k] = 1;
	}
	if (sl[SECT_LONG] != (size_t)s->nlong * ST_SEG2_LONGENT)
		return fail(ST_DEC_BAD_SIZE, ret_why);
	s->lng = sp[SECT_LONG];
	for (uint32_t i = 0; i < s->nlong; i++) {
		const uint8_t *e = s->lng + (size_t)i * ST_SEG2_LONGENT;
		int64_t st = (int32_t)le32(e + 8), sp2 = (int32_t)le32(e + 12);
		/* longer than a day: its bounds, rounded out to seconds, too */
		if ((le32(e + 4) & ST_SEG2_LONG_RECMASK) >= s->nrecs || st > sp2 ||
		    sp2 - st <= ST_LONG_NS / 1000000000)
			return fail(ST_DEC_BAD_SIZE, ret_why);
		if (i && long_kind(e - ST_SEG2_LONGENT) > long_kind(e))
			return fail(ST_DEC_BAD_SIZE, ret_why); /* kinds in order */
	}
	return 0; /* the dictionary is loaded by the first block read */
}

int st_sealed_open(struct st_sealed *s, const uint8_t *p, size_t len, enum st_dec *ret_why)
{
	return sealed_open(s, p, len, false, ret_why);
}

int st_sealed_open_lazy(struct st_sealed *s, const uint8_t *p, size_t len, enum st_dec *ret_why)
{
	return sealed_open(s, p, len, true, ret_why);
}

void st_sealed_close(struct st_sealed *s)
{
	ZSTD_freeDDict(s->ddict);
	free(s->rows);
	free(s->light);
	free(s->rowok);
	st_buf_done(&s->raw);
	st_col_reader_done(&s->rd);
	memset(s, 0, sizeof(*s));
	s->cblock = UINT32_MAX;
}

void st_sealed_blk(const struct st_sealed *s, uint32_t b, struct st_sealed_blk *ret)
{
	const uint8_t *e = s->blocks + (size_t)b * ST_SEG2_BLKENT;
	ret->off = le64(e);
	ret->len = le32(e + 8);
	ret->nrecs = le32(e + 12);
	ret->first_rec = le32(e + 16);
	ret->first_ip = le32(e + 20);
	ret->min_start = st_u2i(le64(e + 24));
	ret->max_stop = st_u2i(le64(e + 32));
	ret->min_stop = st_u2i(le64(e + 40));
}

int st_sealed_scan(struct st_sealed *s, ZSTD_DCtx *dctx, uint32_t b,
		   const struct st_col_light **ret)
{
	struct st_sealed_blk e;
	struct st_colz_hdr h;
	enum st_dec why;
	if (b >= s->nblocks)
		return ST_ECORRUPT;
	if (s->cblock == b) {
		*ret = s->light;
		return 0;
	}
	st_sealed_blk(s, b, &e);
	s->cblock = UINT32_MAX;
	if (s->dict_len && !s->ddict) {
		s->ddict = ZSTD_createDDict(s->dict, s->dict_len);
		if (!s->ddict)
			return ST_ECORRUPT; /* not a dictionary zstd can load */
	}
	int rc = st_colz_open(dctx, s->ddict, s->dict_id, s->data + e.off, e.len, &h, &s->raw, &why);
	if (rc)
		return rc;
	if (s->caprows < e.nrecs) {
		struct rt_session *nr = calloc(e.nrecs, sizeof(*nr)); /* see st_col_next */
		struct st_col_light *nl = malloc(e.nrecs * sizeof(*nl));
		uint8_t *nk = malloc(e.nrecs);
		if (!nr || !nl || !nk) {
			free(nr);
			free(nl);
			free(nk);
			return -ENOMEM;
		}
		free(s->rows);
		free(s->light);
		free(s->rowok);
		s->rows = nr;
		s->light = nl;
		s->rowok = nk;
		s->caprows = e.nrecs;
	}
	if (h.nrecs != e.nrecs || st_col_open(&s->rd, s->raw.p, s->raw.len) != ST_DEC_OK ||
	    s->rd.nrecs != e.nrecs || st_col_scan(&s->rd, s->light) != ST_DEC_OK)
		return ST_ECORRUPT;
	int64_t day_end = st_day_start(s->day + 1);
	uint64_t prevk = 0;
	int64_t prevs = INT64_MIN;
	for (uint32_t i = 0; i < e.nrecs; i++) {
		const struct st_col_light *r = &s->light[i];
		uint64_t k = (r->pres >> COL_IPV4 & 1) ? UINT64_C(1) << 32 | r->ip : 0;
		/* sorted, inside the block's bounds, closed by the day's end */
		if (r->stop == RT_TIME_NONE || r->stop >= day_end || k < prevk ||
		    (k == prevk && r->start < prevs) || r->start < e.min_start ||
		    r->stop > e.max_stop || r->stop < e.min_stop)
			return ST_ECORRUPT;
		if (i == 0 && (uint32_t)k != e.first_ip)
			return ST_ECORRUPT;
		prevk = k;
		prevs = r->start;
	}
	memset(s->rowok, 0, e.nrecs);
	s->cblock = b;
	*ret = s->light;
	return 0;
}

int st_sealed_row(struct st_sealed *s, ZSTD_DCtx *dctx, uint32_t b, uint32_t i,
		  const struct rt_session **ret)
{
	const struct st_col_light *l;
	int rc = st_sealed_scan(s, dctx, b, &l);
	if (rc)
		return rc;
	if (i >= s->rd.nrecs)
		return ST_ECORRUPT;
	if (!s->rowok[i]) {
		if (st_col_get(&s->rd, i, &s->rows[i]) != ST_DEC_OK)
			return ST_ECORRUPT;
		s->rowok[i] = 1;
	}
	*ret = &s->rows[i];
	return 0;
}

bool st_sealed_text_eq(const struct st_sealed *s, uint32_t i, unsigned col, const void *v,
		       size_t n)
{
	return st_col_text_eq(&s->rd, i, col, v, n);
}

int st_sealed_block(struct st_sealed *s, ZSTD_DCtx *dctx, uint32_t b,
		    const struct rt_session **ret)
{
	const struct st_col_light *l;
	const struct rt_session *r;
	int rc = st_sealed_scan(s, dctx, b, &l);
	for (uint32_t i = 0; !rc && i < s->rd.nrecs; i++)
		rc = st_sealed_row(s, dctx, b, i, &r);
	if (!rc)
		*ret = s->rows;
	return rc;
}

int st_sealed_record(struct st_sealed *s, ZSTD_DCtx *dctx, uint32_t rec,
		     const struct rt_session **ret)
{
	if (rec >= s->nrecs)
		return ST_ECORRUPT;
	return st_sealed_row(s, dctx, rec / ST_SEG2_BLOCK_RECS, rec % ST_SEG2_BLOCK_RECS, ret);
}

int st_sealed_ip4(struct st_sealed *s, ZSTD_DCtx *dctx, const uint8_t ip[4], int64_t from,
		  int64_t to, st_sealed_fn fn, void *ctx)
{
	uint32_t x = ip_u32(ip);
	/* first block whose fence is >= x; the run of x may start in the one
	 * before it */
	uint32_t lo = 0, hi = s->nblocks;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct st_sealed_blk e;
		st_sealed_blk(s, mid, &e);
		if (e.first_ip < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t b = lo ? lo - 1 : 0; b < s->nblocks; b++) {
		struct st_sealed_blk e;
		const struct st_col_light *l;
		st_sealed_blk(s, b, &e);
		if (e.first_ip > x)
			break;
		if (e.min_start > to || e.max_stop < from)
			continue;
		int rc = st_sealed_scan(s, dctx, b, &l);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < e.nrecs; i++) {
			const struct rt_session *r;
			if (!(l[i].pres >> COL_IPV4 & 1) || l[i].ip != x || l[i].start > to ||
			    l[i].stop < from)
				continue;
			rc = st_sealed_row(s, dctx, b, i, &r);
			if (!rc)
				rc = fn(ctx, e.first_rec + i, r);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int st_sealed_hash(struct st_sealed *s, unsigned kind, const uint8_t *k, size_t n,
		   int (*fn)(void *ctx, uint32_t rec), void *ctx)
{
	enum st_dec why;
	int rc = st_sealed_hix_check(s, kind, &why);
	if (rc)
		return rc;
	const struct st_hix *h = &s->hix[kind];
	if (!h->n)
		return 0;
	uint32_t want = st_sealed_key(kind, k, n);
	if (h->hbits < 32)
		want >>= 32 - h->hbits;
	/* last chunk whose first hash is < want (entries equal to want may
	 * end it), then forward */
	uint32_t lo = 0, hi = h->nchunks;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (le32(h->fences + (size_t)mid * 8) < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t c = lo ? lo - 1 : 0; c < h->nchunks; c++) {
		uint32_t fh = le32(h->fences + (size_t)c * 8), fo = le32(h->fences + (size_t)c * 8 + 4);
		if (fh > want)
			break;
		uint32_t cnt = c + 1 < h->nchunks ? ST_SEG2_CHUNK : h->n - c * ST_SEG2_CHUNK;
		size_t end = c + 1 < h->nchunks ? le32(h->fences + (size_t)(c + 1) * 8 + 4) : h->body_len;
		struct dp_cur cur = dp_cur_make(h->body + fo, end - fo);
		uint64_t hv = fh;
		for (uint32_t i = 0; i < cnt; i++) {
			uint64_t d, rec;
			if (!dp_cur_varint(&cur, &d) || !dp_cur_varint(&cur, &rec))
				return ST_ECORRUPT;
			if ((i == 0 && d != 0) || d > UINT32_MAX)
				return ST_ECORRUPT;
			hv += d;
			if (hv > UINT32_MAX || rec >= s->nblocks)
				return ST_ECORRUPT;
			if (hv > want)
				return 0;
			if (hv == want) {
				rc = fn(ctx, (uint32_t)rec);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

int st_sealed_long(const struct st_sealed *s, unsigned kind, const uint8_t *k, size_t n,
		   int64_t from, int64_t to, int (*fn)(void *ctx, uint32_t rec), void *ctx)
{
	uint32_t key = kind == HK_IP4 ? (n == 4 ? ip_u32(k) : 0) : st_sealed_key(kind, k, n);
	uint32_t lo = 0, hi = s->nlong;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const uint8_t *e = s->lng + (size_t)mid * ST_SEG2_LONGENT;
		if (long_kind(e) < kind || (long_kind(e) == kind && le32(e) < key))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = lo; i < s->nlong; i++) {
		const uint8_t *e = s->lng + (size_t)i * ST_SEG2_LONGENT;
		if (long_kind(e) != kind || le32(e) != key)
			break;
		/* bounds rounded out: the caller checks the record's times */
		int64_t st = long_ns(s, (int32_t)le32(e + 8)), sp = long_ns(s, (int32_t)le32(e + 12));
		if (st > to)
			break;
		if (sp < from)
			continue;
		int rc = fn(ctx, le32(e + 4) & ST_SEG2_LONG_RECMASK);
		if (rc)
			return rc;
	}
	return 0;
}
