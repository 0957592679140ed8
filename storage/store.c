/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The store: opening, the write path (put, set_open, counters, commit),
 * statistics.  Queries are in query.c, retention in expire.c; the on-disk
 * layouts in FORMAT.md.
 *
 * Write path: puts only encode into memory (per-day block buffers, sealed
 * and compressed every block_recs records) and append index entries to
 * arenas; nothing touches LMDB until st_store_commit(), which writes the
 * sealed blocks at the committed end of each segment, fsyncs, then applies
 * everything in ONE write transaction.  A failed commit leaves the pending
 * batch as it was, so a later commit retries it byte for byte (block
 * numbers and offsets are derived from the committed catalogue, which did
 * not change).
 */
#include "run.h"
#include "store_int.h"
#include "kvsort.h"
#include "worker.h"

#include <dirent.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define DEFAULT_BLOCK_RECS 64u
#define DEFAULT_ZSTD_LEVEL 1 /* open days only: sealing re-encodes (seal.c) */
/* A block is also sealed once its raw bytes pass this. */
#define BLOCK_RAW_MAX (256u * 1024)

static const char *const db_names[DB_N] = {
	[DB_META] = "meta",
	[DB_DAYS] = "days",
	[DB_OPEN] = "open",
	[DB_CTR] = "counters",
	[DB_SEALS] = "seals",
	[DB_IXO + IX_IP4] = "ixo.ipv4",
	[DB_IXO + IX_ACCT] = "ixo.account",
	[DB_IXO + IX_CALL] = "ixo.calling",
	[DB_IXO + IX_V6P] = "ixo.ipv6",
};

/* ---- errors ---------------------------------------------------------------- */

static const char *const err_names[ST_ELAST - ST_EBASE] = {
	[ST_ECORRUPT - ST_EBASE] = "store data failed validation (corrupt)",
	[ST_EVERSION - ST_EBASE] = "store format version not supported by this build",
	[ST_ENOSTORE - ST_EBASE] = "not a store directory",
	[ST_EMAPFULL - ST_EBASE] = "catalogue map full (raise the map size)",
	[ST_EREADONLY - ST_EBASE] = "store is open read-only",
	[ST_EINVAL - ST_EBASE] = "invalid argument",
	[ST_ELMDB - ST_EBASE] = "LMDB failure",
	[ST_EZSTD - ST_EBASE] = "zstd compression failure",
	[ST_EEXPIRED - ST_EBASE] = "session ended before the store's expiry horizon",
	[ST_ENEEDKEY - ST_EBASE] = "the store holds encrypted sealed segments but no key file "
				   "was given (RETAIN_KEYS, or [store] keys for retaind): "
				   "refusing to seal days in plaintext",
	[ST_ESTALE - ST_EBASE] = "the store changed since the seal job began (retry)",
	[ST_ERETRY - ST_EBASE] = "a day was sealed or expired during the query: run it again",
};

const char *st_strerror(int err)
{
	if (err == 0)
		return "success";
	if (err >= ST_EBASE && err < ST_ELAST)
		return err_names[err - ST_EBASE];
	if (err == -ENOKEY || err == -EBADMSG) {
		const char *m = st_crypt_noted(err);
		if (m)
			return m;
		return err == -ENOKEY ? "an encrypted sealed segment needs a key the key file does "
					"not hold (or no key file was given: RETAIN_KEYS)"
				      : "an encrypted sealed segment failed authentication (changed "
					"bytes or wrong key)";
	}
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

int st_mdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_MAP_FULL:
		return ST_EMAPFULL;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_INCOMPATIBLE:
		return ST_ECORRUPT;
	case MDB_VERSION_MISMATCH:
		return ST_EVERSION;
	default:
		return rc > 0 ? -rc : ST_ELMDB;
	}
}

/* ---- catalogue values (FORMAT.md "Catalogue") ------------------------------ */

void st_meta_write(uint8_t dst[ST_META_LEN], const struct st_meta *m)
{
	uint8_t *p = dst;
	p = st_put_le32(p, m->version);
	p = st_put_le32(p, m->flags);
	p = st_put_le64(p, (uint64_t)m->horizon);
	p = st_put_le64(p, m->maxdur);
	p = st_put_le64(p, m->nclosed);
	p = st_put_le32(p, (uint32_t)m->seal_day);
	st_put_le32(p, m->nseals);
}

int st_meta_parse(const MDB_val *v, struct st_meta *ret)
{
	struct dp_cur c = dp_cur_make(v->mv_data, v->mv_size);
	uint32_t version, flags;
	uint64_t horizon, maxdur, nclosed;
	uint32_t seal_day, nseals;
	if (!dp_cur_le32(&c, &version))
		return ST_ECORRUPT;
	if (version != ST_CATALOG_VERSION)
		return ST_EVERSION;
	if (v->mv_size != ST_META_LEN)
		return ST_ECORRUPT;
	dp_cur_le32(&c, &flags);
	dp_cur_le64(&c, &horizon);
	dp_cur_le64(&c, &maxdur);
	dp_cur_le64(&c, &nclosed);
	dp_cur_le32(&c, &seal_day);
	dp_cur_le32(&c, &nseals);
	if ((flags & ~ST_META_FLAGS_KNOWN) || maxdur > (uint64_t)INT64_MAX)
		return ST_ECORRUPT;
	ret->version = version;
	ret->flags = flags;
	ret->horizon = st_u2i(horizon);
	ret->maxdur = maxdur;
	ret->nclosed = nclosed;
	ret->seal_day = (int32_t)seal_day;
	ret->nseals = nseals;
	return 0;
}

int st_meta_get(st_store *st, MDB_txn *txn, struct st_meta *ret)
{
	MDB_val k = {5, (void *)"store"}, v;
	int rc = mdb_get(txn, st->db[DB_META], &k, &v);
	if (rc == MDB_NOTFOUND)
		return ST_ENOSTORE;
	if (rc)
		return st_mdb_err(rc);
	return st_meta_parse(&v, ret);
}

static int meta_put(st_store *st, MDB_txn *txn, const struct st_meta *m)
{
	uint8_t b[ST_META_LEN];
	st_meta_write(b, m);
	MDB_val k = {5, (void *)"store"}, v = {sizeof(b), b};
	return st_mdb_err(mdb_put(txn, st->db[DB_META], &k, &v, 0));
}

void st_dayinfo_write(uint8_t dst[ST_DAYINFO_LEN], const struct st_dayinfo *d)
{
	uint8_t *p = dst;
	p = st_put_le64(p, d->size);
	p = st_put_le32(p, d->nblocks);
	p = st_put_le32(p, d->flags);
	p = st_put_le64(p, d->nrecs);
	p = st_put_le64(p, d->nexpired);
	p = st_put_le64(p, (uint64_t)d->min_start);
	p = st_put_le64(p, (uint64_t)d->max_stop);
	p = st_put_le64(p, d->maxdur);
	p = st_put_le64(p, (uint64_t)d->rmin_start);
	st_put_le64(p, (uint64_t)d->lmin_start);
}

int st_dayinfo_parse(const MDB_val *v, struct st_dayinfo *ret)
{
	struct dp_cur c = dp_cur_make(v->mv_data, v->mv_size);
	uint32_t reserved;
	struct st_dayinfo d;
	if (v->mv_size != ST_DAYINFO_LEN)
		return ST_ECORRUPT;
	dp_cur_le64(&c, &d.size);
	dp_cur_le32(&c, &d.nblocks);
	dp_cur_le32(&c, &reserved);
	dp_cur_le64(&c, &d.nrecs);
	dp_cur_le64(&c, &d.nexpired);
	uint64_t a, b;
	dp_cur_le64(&c, &a);
	dp_cur_le64(&c, &b);
	dp_cur_le64(&c, &d.maxdur);
	d.min_start = st_u2i(a);
	d.max_stop = st_u2i(b);
	dp_cur_le64(&c, &a);
	dp_cur_le64(&c, &b);
	d.rmin_start = st_u2i(a);
	d.lmin_start = st_u2i(b);
	/* the regular and long earliest starts bound the whole one from above
	 * (INT64_MAX: no record of that kind) */
	d.flags = reserved;
	if ((reserved & ~ST_DAY_SEALED2) != 0 || d.nexpired > d.nrecs || d.size < ST_SEG_HDR_LEN ||
	    d.maxdur > (uint64_t)INT64_MAX || (d.nrecs && d.rmin_start < d.min_start) ||
	    (d.nrecs && d.lmin_start < d.min_start) ||
	    (d.lmin_start != INT64_MAX && d.maxdur <= (uint64_t)ST_LONG_NS))
		return ST_ECORRUPT;
	*ret = d;
	return 0;
}

void st_blkinfo_write(uint8_t dst[ST_BLKINFO_LEN], const struct st_blkinfo *b)
{
	uint8_t *p = dst;
	p = st_put_le64(p, b->offset);
	p = st_put_le32(p, b->length);
	p = st_put_le32(p, b->nrecs);
	p = st_put_le64(p, (uint64_t)b->min_start);
	p = st_put_le64(p, (uint64_t)b->min_stop);
	st_put_le64(p, (uint64_t)b->max_stop);
}

int st_blkinfo_parse(const MDB_val *v, struct st_blkinfo *ret)
{
	struct dp_cur c = dp_cur_make(v->mv_data, v->mv_size);
	struct st_blkinfo b;
	uint64_t a, s0, s1;
	if (v->mv_size != ST_BLKINFO_LEN)
		return ST_ECORRUPT;
	dp_cur_le64(&c, &b.offset);
	dp_cur_le32(&c, &b.length);
	dp_cur_le32(&c, &b.nrecs);
	dp_cur_le64(&c, &a);
	dp_cur_le64(&c, &s0);
	dp_cur_le64(&c, &s1);
	b.min_start = st_u2i(a);
	b.min_stop = st_u2i(s0);
	b.max_stop = st_u2i(s1);
	if (b.length < ST_BLK_HDR_LEN || b.length > st_blk_bound(ST_BLK_MAX_RAW) ||
	    b.nrecs == 0 || b.nrecs > ST_BLK_MAX_RECS || b.offset < ST_SEG_HDR_LEN ||
	    b.offset > (uint64_t)INT64_MAX - b.length || b.min_stop > b.max_stop)
		return ST_ECORRUPT;
	*ret = b;
	return 0;
}

void st_daykey(uint8_t dst[ST_DAYKEY_LEN], int32_t day)
{
	st_put_be32(dst, (uint32_t)day ^ 0x80000000u);
}

int32_t st_daykey_day(const uint8_t *k)
{
	uint32_t u = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
	u ^= 0x80000000u;
	int32_t d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

void st_blkkey(uint8_t dst[ST_BLKKEY_LEN], uint32_t block)
{
	st_put_be32(dst, block);
}

static const char *const part_prefix[PART_N] = {
	[PART_BLK] = "blk.",
	[PART_RUN] = "run.",
};

void st_dbic_clear(st_store *st)
{
	if (st->dbic && st->ndbic)
		memset(st->dbic, 0, ST_DBIC_N * sizeof(*st->dbic));
	st->ndbic = 0;
}

static uint32_t dbic_slot(int32_t day, unsigned part)
{
	uint32_t h = ((uint32_t)day * 0x9e3779b1u) ^ (part * 0x85ebca6bu);
	return (h ^ (h >> 15)) % ST_DBIC_N;
}

int st_part_dbi(st_store *st, MDB_txn *txn, int32_t day, unsigned part, bool create,
		MDB_dbi *ret)
{
	char name[40], dn[16];
	if (part >= PART_N)
		return ST_EINVAL;
	/* Reader cache: a handle stays valid until its partition is dropped
	 * (st_dbic_clear); mdb_dbi_open would compare its name with every
	 * handle of the environment (hundreds) on each query. */
	uint32_t slot = dbic_slot(day, part);
	if (!create && st->dbic) {
		for (uint32_t i = 0; i < ST_DBIC_N && st->dbic[slot].part; i++) {
			if (st->dbic[slot].day == day && st->dbic[slot].part == part + 1) {
				*ret = st->dbic[slot].dbi;
				return 0;
			}
			slot = (slot + 1) % ST_DBIC_N;
		}
	}
	st_day_name(day, dn);
	snprintf(name, sizeof(name), "%s%s", part_prefix[part], dn);
	int rc = mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, ret);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc == MDB_INCOMPATIBLE)
		return ST_ECORRUPT;
	if (rc)
		return st_mdb_err(rc);
	/* Only handles of the query transaction are cached: it is committed
	 * (not reset) at the end of the query, which keeps them open; a
	 * handle of an aborted write transaction would be closed. */
	if (!create && txn == st->rtxn && st->ndbic < ST_DBIC_N / 2) {
		if (!st->dbic)
			st->dbic = calloc(ST_DBIC_N, sizeof(*st->dbic));
		if (st->dbic && !st->dbic[slot].part) {
			st->dbic[slot] = (struct st_dbic){day, (uint16_t)(part + 1), *ret};
			st->ndbic++;
			st->rtxn_newdbi = true;
		}
	}
	return 0;
}

void st_dayinfo_merge(struct st_dayinfo *ci, const struct st_pday *d)
{
	bool first = !d->known || ci->nrecs == 0;
	if (!d->known)
		*ci = (struct st_dayinfo){.rmin_start = INT64_MAX, .lmin_start = INT64_MAX};
	if (d->prmin < ci->rmin_start)
		ci->rmin_start = d->prmin;
	if (d->plmin < ci->lmin_start)
		ci->lmin_start = d->plmin;
	for (size_t b = 0; b < d->npb; b++) {
		const struct st_pblk *p = &d->pb[b];
		if (first || p->min_start < ci->min_start)
			ci->min_start = p->min_start;
		if (first || p->max_stop > ci->max_stop)
			ci->max_stop = p->max_stop;
		first = false;
		ci->nrecs += p->nrecs;
	}
	if (d->pmaxdur > ci->maxdur)
		ci->maxdur = d->pmaxdur;
	ci->nblocks += (uint32_t)d->npb;
}

/* ---- index keys (FORMAT.md "Indexes") --------------------------------------- */

size_t st_v6_prefix(uint8_t *dst, const uint8_t a[16], unsigned plen)
{
	unsigned n = (plen + 7) / 8;
	dst[0] = (uint8_t)plen;
	memcpy(dst + 1, a, n);
	if (plen % 8)
		dst[n] &= (uint8_t)(0xff00u >> (plen % 8));
	return 1 + n;
}

size_t st_ix_key(unsigned ix, const struct rt_session *s, uint8_t *dst)
{
	uint8_t *p = dst;
	const struct rt_text *t;
	switch (ix) {
	case IX_IP4:
		if (!s->has_ipv4)
			return 0;
		memcpy(p, s->ipv4, 4);
		p += 4;
		break;
	case IX_ACCT:
	case IX_CALL:
		t = ix == IX_ACCT ? &s->account : &s->calling_number;
		if (t->len == 0)
			return 0;
		*p++ = t->len;
		memcpy(p, t->v, t->len);
		p += t->len;
		break;
	case IX_V6P:
	case IX_V6D:
	case IX_V6A: {
		uint8_t a[16];
		unsigned plen;
		if (ix == IX_V6A) {
			if (!s->has_ipv6_addr)
				return 0;
			plen = 128;
			memcpy(a, s->ipv6_addr, 16);
		} else {
			const struct rt_prefix6 *pf =
				ix == IX_V6P ? &s->ipv6_prefix : &s->delegated_prefix;
			if (!pf->present || pf->plen > 128)
				return 0;
			plen = pf->plen;
			memcpy(a, pf->a, 16);
		}
		p += st_v6_prefix(p, a, plen);
		break;
	}
	default:
		return 0;
	}
	p = st_put_time_key(p, s->start_ns);
	return (size_t)(p - dst);
}

size_t st_ix_ref(uint64_t dur, uint32_t block, uint32_t idx, uint32_t late, uint8_t *dst)
{
	uint8_t *p = dst;
	p = st_put_varint(p, dur);
	p = st_put_varint(p, block);
	p = st_put_varint(p, (uint64_t)idx << 1 | (late != 0));
	if (late)
		p = st_put_varint(p, late);
	return (size_t)(p - dst);
}

int st_ix_ref_parse(const MDB_val *v, uint64_t *ret_dur, uint32_t *ret_block,
		    uint32_t *ret_idx, uint32_t *ret_late)
{
	struct dp_cur c = dp_cur_make(v->mv_data, v->mv_size);
	uint64_t dur, block, idx, late = 0;
	if (!dp_cur_varint(&c, &dur) || !dp_cur_varint(&c, &block) ||
	    !dp_cur_varint(&c, &idx))
		return ST_ECORRUPT;
	if ((idx & 1) && (!dp_cur_varint(&c, &late) || late == 0 || late >= ST_LATE_MAX))
		return ST_ECORRUPT;
	idx >>= 1;
	if (dp_cur_left(&c) != 0 || dur > (uint64_t)INT64_MAX || block > UINT32_MAX ||
	    idx >= ST_BLK_MAX_RECS)
		return ST_ECORRUPT;
	*ret_dur = dur;
	*ret_block = (uint32_t)block;
	*ret_idx = (uint32_t)idx;
	*ret_late = (uint32_t)late;
	return 0;
}

int32_t st_seg_day_for(const st_store *st, int64_t stop_ns)
{
	int32_t day = st_day_of(stop_ns);
	int32_t f = st->meta.seal_day;
	/* days frozen by a seal job (seal.c) take no puts either */
	if (st->frozen && (f == ST_SEAL_DAY_NONE || st->freeze_day > f))
		f = st->freeze_day;
	if (f != ST_SEAL_DAY_NONE && day < f)
		return f;
	return day;
}

size_t st_open_key(const struct rt_session *s, uint8_t *dst)
{
	dst[0] = s->nas_ip.family;
	memset(dst + 1, 0, 16);
	if (s->nas_ip.family == 4)
		memcpy(dst + 1, s->nas_ip.a, 4);
	else if (s->nas_ip.family == 6)
		memcpy(dst + 1, s->nas_ip.a, 16);
	memcpy(dst + 17, s->session_id.v, s->session_id.len);
	return 17 + (size_t)s->session_id.len;
}

/* ---- pending lists ------------------------------------------------------------ */

static int kv_reserve(struct st_kvlist *l, size_t klen, size_t dlen)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 1024;
		size_t *no = realloc(l->off, nc * sizeof(*no));
		if (!no)
			return -ENOMEM;
		l->off = no;
		l->cap = nc;
	}
	return st_buf_reserve(&l->arena, 4 + klen + dlen);
}

/* After kv_reserve: cannot fail. */
static void kv_add(struct st_kvlist *l, const void *k, size_t klen, const void *d, size_t dlen)
{
	uint8_t *p = l->arena.p + l->arena.len;
	l->off[l->n++] = l->arena.len;
	p = st_put_le16(p, (uint16_t)klen);
	p = st_put_le16(p, (uint16_t)dlen);
	memcpy(p, k, klen);
	if (dlen)
		memcpy(p + klen, d, dlen);
	l->arena.len += 4 + klen + dlen;
}

static void kv_at(const struct st_kvlist *l, size_t i, MDB_val *k, MDB_val *d)
{
	const uint8_t *p = l->arena.p + l->off[i];
	k->mv_size = (size_t)p[0] | (size_t)p[1] << 8;
	d->mv_size = (size_t)p[2] | (size_t)p[3] << 8;
	k->mv_data = (void *)(p + 4);
	d->mv_data = (void *)(p + 4 + k->mv_size);
}

static void kv_clear(struct st_kvlist *l)
{
	l->n = 0;
	l->arena.len = 0;
}

static void kv_done(struct st_kvlist *l)
{
	st_buf_done(&l->arena);
	free(l->off);
	memset(l, 0, sizeof(*l));
}

/* LMDB's default order: memcmp over the common length, shorter first. */
static int val_cmp(const MDB_val *a, const MDB_val *b)
{
	size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
	int c = memcmp(a->mv_data, b->mv_data, n);
	if (c)
		return c;
	return a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size;
}

/* By key, then by insertion order (arena offsets grow). */
static int kv_cmp_key_seq(const void *x, const void *y, void *arg)
{
	const struct st_kvlist *l = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	const uint8_t *p = l->arena.p + i, *q = l->arena.p + j;
	MDB_val ka = {(size_t)p[0] | (size_t)p[1] << 8, (void *)(p + 4)};
	MDB_val kb = {(size_t)q[0] | (size_t)q[1] << 8, (void *)(q + 4)};
	int c = val_cmp(&ka, &kb);
	if (c)
		return c;
	return i < j ? -1 : i > j;
}

static void kv_sort(struct st_kvlist *l, int (*cmp)(const void *, const void *, void *))
{
	if (l->n > 1)
		qsort_r(l->off, l->n, sizeof(size_t), cmp, l);
}

/* msrc_next: entries fetched ahead of the one a run merge reads (the
 * sorted order reads the arena at random). */
#define KV_PREFETCH 16u

/* ---- per-day writer state -------------------------------------------------------- */

static void pday_free(struct st_pday *d)
{
	if (!d)
		return;
	st_buf_done(&d->raw);
	st_buf_done(&d->out);
	free(d->pb);
	for (unsigned i = 0; i < IX_N; i++) {
		kv_done(&d->pix[i]);
		kv_done(&d->plx[i]);
	}
	free(d->runs);
	free(d->prun);
	free(d->pdel);
	kv_done(&d->pfence);
	free(d);
}

int st_pday_find(st_store *st, int32_t day, struct st_pday **ret)
{
	size_t lo = 0, hi = st->ndays;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->days[mid]->day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->ndays && st->days[lo]->day == day) {
		*ret = st->days[lo];
		return 0;
	}
	if (st->ndays == st->cap_days) {
		size_t nc = st->cap_days ? st->cap_days * 2 : 64;
		struct st_pday **nd = realloc(st->days, nc * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		st->days = nd;
		st->cap_days = nc;
	}
	struct st_pday *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->day = day;
	d->prmin = d->plmin = INT64_MAX;
	memmove(st->days + lo + 1, st->days + lo, (st->ndays - lo) * sizeof(*st->days));
	st->days[lo] = d;
	st->ndays++;
	*ret = d;
	return 0;
}

void st_pday_remove(st_store *st, int32_t day)
{
	for (size_t i = 0; i < st->ndays; i++) {
		if (st->days[i]->day != day)
			continue;
		if (st->last_day == st->days[i])
			st->last_day = NULL;
		pday_free(st->days[i]);
		memmove(st->days + i, st->days + i + 1, (st->ndays - i - 1) * sizeof(*st->days));
		st->ndays--;
		return;
	}
}

/*
 * Give back the pending buffers of a day with nothing pending (after a
 * commit): a day's buffers grow to its share of the largest batch, and a
 * long ingest touches a new day every few batches, so keeping them would
 * grow the heap with the number of days written (issue 7).  The committed
 * catalogue entry (d->ci) stays.
 */
static void pday_release(struct st_pday *d)
{
	st_buf_done(&d->raw);
	st_buf_done(&d->out);
	free(d->pb);
	d->pb = NULL;
	d->npb = d->cap_pb = d->nzb = 0;
	d->nrecs = 0;
	d->blk_start = 0;
	for (unsigned i = 0; i < IX_N; i++) {
		kv_done(&d->pix[i]);
		kv_done(&d->plx[i]);
	}
	free(d->prun);
	free(d->pdel);
	d->prun = NULL;
	d->pdel = NULL;
	d->nprun = d->cap_prun = d->npdel = d->cap_pdel = 0;
	kv_done(&d->pfence);
}

static size_t kv_mem(const struct st_kvlist *l)
{
	return l->arena.cap + l->cap * sizeof(*l->off);
}

static size_t pday_mem(const struct st_pday *d)
{
	size_t n = sizeof(*d) + d->raw.cap + d->out.cap + d->cap_pb * sizeof(*d->pb);
	for (unsigned i = 0; i < IX_N; i++)
		n += kv_mem(&d->pix[i]) + kv_mem(&d->plx[i]);
	n += (d->cap_runs + d->cap_prun) * sizeof(struct st_runinfo) +
	     d->cap_pdel * sizeof(uint32_t) + kv_mem(&d->pfence);
	return n;
}

/* Close the block being filled: its records stay in d->raw, compressed
 * by the next commit (commit_jobs). */
static int pday_seal(st_store *st, struct st_pday *d)
{
	(void)st;
	if (d->nrecs == 0)
		return 0;
	if (d->npb == d->cap_pb) {
		size_t nc = d->cap_pb ? d->cap_pb * 2 : 16;
		struct st_pblk *np = realloc(d->pb, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		d->pb = np;
		d->cap_pb = nc;
	}
	d->pb[d->npb++] = (struct st_pblk){
		.nrecs = d->nrecs,
		.raw_off = d->blk_start,
		.raw_len = (uint32_t)(d->raw.len - d->blk_start),
		.min_start = d->min_start,
		.min_stop = d->min_stop,
		.max_stop = d->max_stop,
	};
	d->blk_start = d->raw.len;
	d->nrecs = 0;
	return 0;
}

/* ---- open and close ----------------------------------------------------------------- */

static int dbis_open(st_store *st, MDB_txn *txn)
{
	for (unsigned i = 0; i < DB_N; i++) {
		unsigned f = i >= DB_IXO ? MDB_DUPSORT : 0;
		if (st->writable)
			f |= MDB_CREATE;
		int rc = mdb_dbi_open(txn, db_names[i], f, &st->db[i]);
		if (rc == MDB_NOTFOUND)
			return ST_ENOSTORE;
		if (rc)
			return st_mdb_err(rc);
	}
	return 0;
}

static int runs_load(st_store *st, MDB_txn *txn, struct st_pday *d);

/* Writer: load the day table; cut crash leftovers; drop orphan segments. */
static int writer_load(st_store *st, MDB_txn *txn)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, st->db[DB_DAYS], &cur);
	if (rc)
		return st_mdb_err(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct st_dayinfo di;
		struct st_pday *d;
		if (k.mv_size != ST_DAYKEY_LEN || st_dayinfo_parse(&v, &di)) {
			rc = ST_ECORRUPT;
			goto out_cursor;
		}
		rc = st_pday_find(st, st_daykey_day(k.mv_data), &d);
		if (rc)
			goto out_cursor;
		d->known = true;
		d->ci = di;
	}
	if (rc != MDB_NOTFOUND) {
		rc = st_mdb_err(rc);
		goto out_cursor;
	}
	rc = 0;
	for (size_t i = 0; i < st->ndays && !rc; i++)
		if (!(st->days[i]->ci.flags & ST_DAY_SEALED2))
			rc = runs_load(st, txn, st->days[i]);
	if (rc)
		goto out_cursor;

	/* Bytes after the committed end are an interrupted commit's.  A
	 * sealed segment written but not yet renamed over its version 1 file
	 * (crash after the catalogue switch, FORMAT.md 9.3): finish the
	 * rename; one whose switch never committed: remove it. */
	bool renamed = false;
	for (size_t i = 0; i < st->ndays; i++) {
		char name[24], tmp[32];
		struct stat sb;
		st_day_name(st->days[i]->day, name);
		strcat(name, ".seg");
		st_seg2_tmp_name(st->days[i]->day, tmp);
		if (fstatat(st->segfd, tmp, &sb, 0) == 0) {
			if (st->days[i]->ci.flags & ST_DAY_SEALED2) {
				if (renameat(st->segfd, tmp, st->segfd, name) != 0) {
					rc = -errno;
					goto out_cursor;
				}
			} else if (unlinkat(st->segfd, tmp, 0) != 0) {
				rc = -errno;
				goto out_cursor;
			}
			renamed = true;
		}
		if (st->days[i]->ci.flags & ST_DAY_SEALED2) {
			/* an interrupted st_store_rekey: the old file is intact */
			st_seg_rekey_name(st->days[i]->day, tmp);
			if (unlinkat(st->segfd, tmp, 0) == 0)
				renamed = true;
			continue; /* immutable: a longer file is verify's to report */
		}
		if (fstatat(st->segfd, name, &sb, 0) == 0 &&
		    (uint64_t)sb.st_size > st->days[i]->ci.size) {
			int fd = openat(st->segfd, name, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || ftruncate(fd, (off_t)st->days[i]->ci.size) != 0) {
				rc = -errno;
				if (fd >= 0)
					close(fd);
				goto out_cursor;
			}
			close(fd);
		}
	}

	/* Segments the catalogue does not name: a first commit that never
	 * committed, or an expiry interrupted between commit and unlink. */
	int dfd = dup(st->segfd);
	if (dfd < 0) {
		rc = -errno;
		goto out_cursor;
	}
	DIR *dir = fdopendir(dfd);
	if (!dir) {
		rc = -errno;
		close(dfd);
		goto out_cursor;
	}
	rewinddir(dir);
	struct dirent *de;
	bool removed = false;
	while ((de = readdir(dir))) {
		int32_t day;
		struct st_pday *d = NULL;
		if (!st_day_parse_segname(de->d_name, &day))
			continue;
		for (size_t i = 0; i < st->ndays; i++)
			if (st->days[i]->day == day)
				d = st->days[i];
		if (!d && unlinkat(st->segfd, de->d_name, 0) == 0)
			removed = true;
	}
	closedir(dir);
	if (removed || renamed)
		fsync(st->segfd);

out_cursor:
	mdb_cursor_close(cur);
	return rc;
}

/* fsync the store directory and its parent (after creating entries). */
static int fsync_dirs(int dirfd)
{
	if (fsync(dirfd) != 0)
		return -errno;
	int pfd = openat(dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	int rc = fsync(pfd) != 0 ? -errno : 0;
	close(pfd);
	return rc;
}

int st_store_open(const char *dir, unsigned flags, st_store **ret)
{
	return st_store_open_with(dir, flags, NULL, ret);
}

int st_store_open_with(const char *dir, unsigned flags, const struct st_open_opts *o,
		       st_store **ret)
{
	bool create = flags & ST_OPEN_CREATE;
	struct st_open_opts opts = {0};
	MDB_txn *txn = NULL;
	st_store *st;
	int rc;

	if (!dir || !ret || (flags & ~(unsigned)(ST_OPEN_WRITE | ST_OPEN_CREATE)))
		return ST_EINVAL;
	if (o)
		opts = *o;
	if (opts.block_recs > ST_BLK_MAX_RECS || opts.commit_threads > 2)
		return ST_EINVAL;
	if (!opts.map_size)
		opts.map_size = sizeof(size_t) >= 8 ? UINT64_C(64) << 30 : UINT64_C(1) << 30;
	if (opts.map_size > SIZE_MAX)
		return ST_EINVAL;
	if (!opts.block_recs)
		opts.block_recs = DEFAULT_BLOCK_RECS;
	if (!opts.zstd_level)
		opts.zstd_level = DEFAULT_ZSTD_LEVEL;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->dirfd = st->segfd = -1;
	for (unsigned i = 0; i < ST_FDCACHE_N; i++)
		st->fdc[i].fd = -1;
	st->writable = flags & (ST_OPEN_WRITE | ST_OPEN_CREATE);
	st->block_recs = opts.block_recs;
	st->block_raw_max = BLOCK_RAW_MAX;
	st->seal_grace = opts.seal_grace_ns > 0 ? opts.seal_grace_ns : ST_SEAL_GRACE_DEFAULT;
	st->keys = opts.keys;
	st->sc_heap_max = ST_SCACHE_HEAP_MAX;
	st->dir = strdup(dir);
	if (!st->dir) {
		rc = -ENOMEM;
		goto out_free;
	}

	bool made = false;
	if (create) {
		if (mkdir(dir, 0700) == 0)
			made = true;
		else if (errno != EEXIST) {
			rc = -errno;
			goto out_free;
		}
	}
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		rc = errno == ENOENT ? ST_ENOSTORE : -errno;
		goto out_free;
	}
	if (faccessat(st->dirfd, "catalog.mdb", F_OK, 0) != 0) {
		if (errno != ENOENT || !create) {
			rc = errno == ENOENT ? ST_ENOSTORE : -errno;
			goto out_free;
		}
		made = true;
	}
	if (create && mkdirat(st->dirfd, "seg", 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		goto out_free;
	}
	st->segfd = openat(st->dirfd, "seg", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->segfd < 0) {
		rc = errno == ENOENT ? ST_ENOSTORE : -errno;
		goto out_free;
	}
	/* One writer per store: segment appends are not coordinated by LMDB. */
	if (st->writable && flock(st->segfd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out_free;
	}

	size_t plen = strlen(dir) + sizeof("/catalog.mdb");
	char *path = malloc(plen);
	if (!path) {
		rc = -ENOMEM;
		goto out_free;
	}
	snprintf(path, plen, "%s/catalog.mdb", dir);
	rc = mdb_env_create(&st->env);
	if (!rc)
		rc = mdb_env_set_maxdbs(st->env, ST_MAXDBS);
	if (!rc)
		rc = mdb_env_set_mapsize(st->env, (size_t)opts.map_size);
	if (!rc)
		rc = mdb_env_open(st->env, path,
				  MDB_NOSUBDIR | MDB_NOTLS | MDB_NORDAHEAD |
					  (st->writable ? 0 : MDB_RDONLY),
				  0600);
	free(path);
	if (rc) {
		rc = rc == ENOENT ? ST_ENOSTORE : st_mdb_err(rc);
		goto out_env;
	}

	rc = mdb_txn_begin(st->env, NULL, st->writable ? 0 : MDB_RDONLY, &txn);
	if (rc) {
		rc = st_mdb_err(rc);
		goto out_env;
	}
	rc = dbis_open(st, txn);
	if (rc)
		goto out_txn;
	rc = st_meta_get(st, txn, &st->meta);
	if (rc == ST_ENOSTORE && create) {
		st->meta = (struct st_meta){.version = ST_CATALOG_VERSION, .horizon = RT_TIME_NONE,
				       .seal_day = ST_SEAL_DAY_NONE};
		rc = meta_put(st, txn, &st->meta);
	}
	if (rc)
		goto out_txn;
	if (st->writable) {
		MDB_stat ms;
		rc = st_mdb_err(mdb_stat(txn, st->db[DB_OPEN], &ms));
		if (rc)
			goto out_txn;
		st->open_committed = ms.ms_entries;
		rc = writer_load(st, txn);
		if (rc)
			goto out_txn;
	}
	rc = st_mdb_err(mdb_txn_commit(txn));
	txn = NULL;
	if (rc)
		goto out_env;
	if (made) {
		/* a new store: make its directory entries durable too */
		rc = fsync_dirs(st->dirfd);
		if (rc)
			goto out_env;
	}

	st->dctx = ZSTD_createDCtx();
	if (!st->dctx) {
		rc = -ENOMEM;
		goto out_env;
	}
	if (st->writable) {
		st->cctx = ZSTD_createCCtx();
		if (!st->cctx) {
			rc = -ENOMEM;
			goto out_env;
		}
		st->zlevel = opts.zstd_level;
		st->wk_tried = opts.commit_threads == 1;
		st->threads = opts.commit_threads;
		rc = st_cctx_setup(st->cctx, opts.zstd_level);
		if (rc)
			goto out_env;
	}
	*ret = st;
	return 0;

out_txn:
	mdb_txn_abort(txn);
out_env:
	/* st_store_close() frees whatever was built; nothing is pending. */
	st->writable = false;
	st_store_close(st);
	return rc;
out_free:
	if (st->segfd >= 0)
		close(st->segfd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->dir);
	free(st);
	return rc;
}

static void pending_drop(st_store *st)
{
	for (size_t i = 0; i < st->ndays; i++) {
		struct st_pday *d = st->days[i];
		for (unsigned j = 0; j < IX_N; j++) {
			kv_clear(&d->pix[j]);
			kv_clear(&d->plx[j]);
		}
		d->pmaxdur = 0;
		d->prmin = d->plmin = INT64_MAX;
		d->raw.len = d->blk_start = 0;
		d->nrecs = 0;
		d->out.len = 0;
		d->npb = d->nzb = 0;
	}
	st->pend_closed = 0;
	st->pend_maxdur = 0;
	st->open_replace = false;
	kv_clear(&st->popen);
	for (size_t i = 0; i < st->npctr; i++)
		free(st->pctr[i].name);
	st->npctr = 0;
}

static void commit_jobs_done(st_store *st);

void st_store_close(st_store *st)
{
	if (!st)
		return;
	if (st->writable)
		(void)st_store_commit(st); /* void API: a failed batch is given up */
	pending_drop(st);
	commit_jobs_done(st);
	kv_done(&st->popen);
	free(st->pctr);
	for (size_t i = 0; i < st->ndays; i++)
		pday_free(st->days[i]);
	free(st->days);
	for (unsigned i = 0; i < ST_BCACHE_N; i++)
		st_bcache_done(&st->bc[i]);
	for (unsigned i = 0; i < ST_FDCACHE_N; i++)
		if (st->fdc[i].fd >= 0)
			close(st->fdc[i].fd);
	st_scache_done(st);
	st_buf_done(&st->comp);
	ZSTD_freeCCtx(st->cctx);
	ZSTD_freeDCtx(st->dctx);
	if (st->rtxn)
		mdb_txn_abort(st->rtxn);
	free(st->dbic);
	if (st->env)
		mdb_env_close(st->env);
	if (st->segfd >= 0)
		close(st->segfd); /* releases the writer lock */
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->dir);
	free(st);
}

/* ---- writing ---------------------------------------------------------------------- */

int st_store_put_closed(st_store *st, const struct rt_session *s)
{
	uint8_t keys[IX_N][ST_IXENT_MAX], ref[ST_IXREF_MAX], okey[ST_OPENKEY_MAX];
	size_t klen[IX_N], rlen, oklen = 0;
	struct st_pday *d;
	int rc;

	if (!st->writable)
		return ST_EREADONLY;
	if (!s || s->stop_ns == RT_TIME_NONE)
		return ST_EINVAL;
	rc = st_rec_check(s);
	if (rc)
		return rc;
	if (st->meta.horizon != RT_TIME_NONE && s->stop_ns < st->meta.horizon)
		return ST_EEXPIRED;

	int32_t day = st_seg_day_for(st, s->stop_ns);
	uint32_t late = (uint32_t)(day - st_day_of(s->stop_ns));
	if (late >= ST_LATE_MAX)
		return ST_EINVAL;
	d = st->last_day;
	if (!d || d->day != day) {
		rc = st_pday_find(st, day, &d);
		if (rc)
			return rc;
		st->last_day = d;
	}
	if (d->nrecs >= st->block_recs || d->raw.len - d->blk_start >= st->block_raw_max) {
		rc = pday_seal(st, d);
		if (rc)
			return rc;
	}

	/* Reserve everything first: the put is taken whole or not at all. */
	uint64_t dur = (uint64_t)s->stop_ns - (uint64_t)s->start_ns;
	bool lng = dur > (uint64_t)ST_LONG_NS;
	struct st_kvlist *pix = lng ? d->plx : d->pix;
	rlen = st_ix_ref(dur, d->ci.nblocks + (uint32_t)d->npb, d->nrecs, late, ref);
	/* a stored or pending open session of the same key must go */
	bool unopen = st->open_committed > 0 || st->popen.n > 0;
	if (st_buf_reserve(&d->raw, ST_REC_MAX))
		return -ENOMEM;
	for (unsigned i = 0; i < IX_N; i++) {
		klen[i] = st_ix_key(i, s, keys[i]);
		if (!klen[i])
			continue;
		memcpy(keys[i] + klen[i], ref, rlen);
		klen[i] += rlen;
		if (kv_reserve(&pix[i], klen[i], 0))
			return -ENOMEM;
	}
	if (unopen) {
		oklen = st_open_key(s, okey);
		if (kv_reserve(&st->popen, oklen, 0))
			return -ENOMEM;
	}

	if (d->nrecs == 0) {
		d->prev_start = 0;
		d->min_start = s->start_ns;
		d->min_stop = d->max_stop = s->stop_ns;
	}
	d->raw.len += st_rec_encode(s, d->prev_start, ST_ENC_NO_TRACKER, d->raw.p + d->raw.len);
	d->nrecs++;
	d->prev_start = s->start_ns;
	if (s->start_ns < d->min_start)
		d->min_start = s->start_ns;
	if (s->stop_ns < d->min_stop)
		d->min_stop = s->stop_ns;
	if (s->stop_ns > d->max_stop)
		d->max_stop = s->stop_ns;
	for (unsigned i = 0; i < IX_N; i++)
		if (klen[i])
			kv_add(&pix[i], keys[i], klen[i], NULL, 0);
	if (unopen)
		kv_add(&st->popen, okey, oklen, NULL, 0);
	st->pend_closed++;
	if (dur > st->pend_maxdur)
		st->pend_maxdur = dur;
	if (dur > d->pmaxdur)
		d->pmaxdur = dur;
	if (lng && s->start_ns < d->plmin)
		d->plmin = s->start_ns;
	if (!lng && s->start_ns < d->prmin)
		d->prmin = s->start_ns;
	return 0;
}

int st_store_set_open(st_store *st, const struct rt_session *s, size_t n)
{
	struct st_kvlist nl = {0};
	uint8_t okey[ST_OPENKEY_MAX], rec[ST_REC_MAX];
	int rc;

	if (!st->writable)
		return ST_EREADONLY;
	if (n && !s)
		return ST_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i].stop_ns != RT_TIME_NONE || st_rec_check(&s[i]))
			return ST_EINVAL;
	}
	/* Build aside, then swap: a failure leaves the previous state. */
	for (size_t i = 0; i < n; i++) {
		size_t kl = st_open_key(&s[i], okey);
		size_t rl = st_rec_encode(&s[i], 0, 0, rec);
		rc = kv_reserve(&nl, kl, rl);
		if (rc) {
			kv_done(&nl);
			return rc;
		}
		kv_add(&nl, okey, kl, rec, rl);
	}
	kv_done(&st->popen); /* operations before the new set are superseded */
	st->popen = nl;
	st->open_replace = true;
	return 0;
}

int st_store_put_open(st_store *st, const struct rt_session *s)
{
	uint8_t okey[ST_OPENKEY_MAX], rec[ST_REC_MAX];

	if (!st->writable)
		return ST_EREADONLY;
	if (!s || s->stop_ns != RT_TIME_NONE || st_rec_check(s))
		return ST_EINVAL;
	size_t kl = st_open_key(s, okey);
	size_t rl = st_rec_encode(s, 0, 0, rec);
	int rc = kv_reserve(&st->popen, kl, rl);
	if (rc)
		return rc;
	kv_add(&st->popen, okey, kl, rec, rl);
	return 0;
}

int st_store_del_open(st_store *st, const struct rt_session *s)
{
	uint8_t okey[ST_OPENKEY_MAX];

	if (!st->writable)
		return ST_EREADONLY;
	if (!s || st_rec_check(s))
		return ST_EINVAL;
	if (!st->open_committed && !st->popen.n)
		return 0; /* nothing stored or pending to delete */
	size_t kl = st_open_key(s, okey);
	int rc = kv_reserve(&st->popen, kl, 0);
	if (rc)
		return rc;
	kv_add(&st->popen, okey, kl, NULL, 0);
	return 0;
}

int st_store_counter_add(st_store *st, const char *name, uint64_t delta)
{
	if (!st->writable)
		return ST_EREADONLY;
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len > 255)
		return ST_EINVAL;
	for (size_t i = 0; i < st->npctr; i++) {
		if (strcmp(st->pctr[i].name, name) == 0) {
			uint64_t v = st->pctr[i].delta + delta;
			st->pctr[i].delta = v < delta ? UINT64_MAX : v;
			return 0;
		}
	}
	if (st->npctr == st->cap_pctr) {
		size_t nc = st->cap_pctr ? st->cap_pctr * 2 : 16;
		struct st_pctr *np = realloc(st->pctr, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		st->pctr = np;
		st->cap_pctr = nc;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	st->pctr[st->npctr++] = (struct st_pctr){copy, delta};
	return 0;
}

/* ---- commit ------------------------------------------------------------------------ */

static int write_full(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* write_full() of a commit's bytes, split between the writer and its
 * helper thread (the copy into the page cache is most of a write's cost:
 * two cores copy two halves).  Below SPLIT_MIN, or without a helper, one
 * write.  The halves are taken from a counter, as the commit's jobs are: a
 * writer without its helper (a forked child) writes both. */
#define SPLIT_MIN (1u << 20)

struct split_write {
	int fd;
	const uint8_t *p;
	size_t n, half;
	uint64_t off;
	_Atomic unsigned next;
	int rc[2];
};

static void split_write_fn(void *arg, unsigned thread)
{
	struct split_write *w = arg;
	(void)thread;
	for (unsigned i; (i = atomic_fetch_add(&w->next, 1)) < 2;) {
		size_t at = i ? w->half : 0, n = i ? w->n - w->half : w->half;
		w->rc[i] = write_full(w->fd, w->p + at, n, w->off + at);
	}
}

static int write_split(st_store *st, int fd, const uint8_t *p, size_t n, uint64_t off)
{
	if (n < SPLIT_MIN || !st->wk)
		return write_full(fd, p, n, off);
	/* the second half starts on a page of the file */
	uint64_t mid = (off + n / 2) & ~(uint64_t)4095;
	struct split_write w = {.fd = fd, .p = p, .n = n, .half = (size_t)(mid - off), .off = off};
	atomic_init(&w.next, 0);
	st_worker_run(st->wk, split_write_fn, &w);
	return w.rc[0] ? w.rc[0] : w.rc[1];
}

static uint64_t pday_base(const struct st_pday *d)
{
	return d->known ? d->ci.size : ST_SEG_HDR_LEN;
}

/* ---- index runs (run.h, FORMAT.md section 5) --------------------------------------- */

void st_runinfo_write(uint8_t dst[ST_RUNINFO_LEN], const struct st_runinfo *r)
{
	uint8_t *p = dst;
	p = st_put_le64(p, r->off);
	p = st_put_le32(p, r->len);
	p = st_put_le32(p, r->nkeys);
	*p++ = r->tree;
	*p++ = r->level;
	memset(p, 0, 6);
}

int st_runinfo_parse(const MDB_val *k, const MDB_val *v, struct st_runinfo *ret)
{
	struct dp_cur c = dp_cur_make(v->mv_data, v->mv_size);
	const uint8_t *kp = k->mv_data;
	uint8_t tree, level, z[6];
	if (k->mv_size != 5 || kp[0] != ST_RUNKEY_INFO || v->mv_size != ST_RUNINFO_LEN ||
	    !dp_cur_le64(&c, &ret->off) || !dp_cur_le32(&c, &ret->len) ||
	    !dp_cur_le32(&c, &ret->nkeys) || !dp_cur_u8(&c, &tree) || !dp_cur_u8(&c, &level) ||
	    !dp_cur_copy(&c, z, sizeof(z)))
		return ST_ECORRUPT;
	static const uint8_t zero[6];
	if (tree >= ST_RUN_TREES || memcmp(z, zero, sizeof(z)) || ret->nkeys == 0 ||
	    ret->len < ST_RUN_HDR_LEN || ret->len > ST_RUN_HDR_LEN + ST_RUN_MAX_BODY)
		return ST_ECORRUPT;
	ret->tree = tree;
	ret->level = level;
	ret->id = (uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4];
	return 0;
}

uint8_t st_run_level(uint32_t n)
{
	uint8_t l = 0;
	for (uint64_t cap = ST_RUN_FANOUT; n >= cap && l < 32; cap *= ST_RUN_FANOUT)
		l++;
	return l;
}

static int runs_push(struct st_runinfo **a, size_t *n, size_t *cap, const struct st_runinfo *r)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct st_runinfo *na = realloc(*a, nc * sizeof(*na));
		if (!na)
			return -ENOMEM;
		*a = na;
		*cap = nc;
	}
	(*a)[(*n)++] = *r;
	return 0;
}

/* The writer's copy of a known open day's live runs (writer_load). */
static int runs_load(st_store *st, MDB_txn *txn, struct st_pday *d)
{
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t lo = ST_RUNKEY_INFO;
	int rc = st_part_dbi(st, txn, d->day, PART_RUN, false, &dbi);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return st_mdb_err(rc);
	k = (MDB_val){1, &lo};
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct st_runinfo r;
		if (k.mv_size >= 1 && ((const uint8_t *)k.mv_data)[0] != ST_RUNKEY_INFO)
			break;
		if (st_runinfo_parse(&k, &v, &r) || r.off + r.len > d->ci.size) {
			rc = ST_ECORRUPT;
			break;
		}
		if ((rc = runs_push(&d->runs, &d->nruns, &d->cap_runs, &r)))
			break;
		if (r.id >= d->next_run)
			d->next_run = r.id + 1;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc > 0 ? st_mdb_err(rc) : rc;
}

/* A sorted source of keys for a run: a pending list (sorted) or a
 * committed run read back from the segment file (checked as it goes). */
struct msrc {
	const uint8_t *k;
	size_t kl;
	const struct st_kvlist *l;
	size_t i;
	struct st_buf buf;
	const uint8_t *q, *end;
	struct st_run_chunk c;
	uint32_t left;
};

static int msrc_next(struct msrc *s)
{
	if (s->l) {
		if (s->i >= s->l->n)
			return 0;
		/* sorted order reads the arena at random: fetch ahead */
		if (s->i + KV_PREFETCH < s->l->n)
			__builtin_prefetch(s->l->arena.p + s->l->off[s->i + KV_PREFETCH]);
		MDB_val k, v;
		kv_at(s->l, s->i++, &k, &v);
		s->k = k.mv_data;
		s->kl = k.mv_size;
		return 1;
	}
	for (;;) {
		const uint8_t *k;
		size_t kl;
		int r = st_run_chunk_next(&s->c, &k, &kl);
		if (r < 0)
			return ST_ECORRUPT;
		if (r == 1) {
			if (!s->left--)
				return ST_ECORRUPT;
			s->k = k;
			s->kl = kl;
			return 1;
		}
		if (s->q == s->end)
			return s->left ? ST_ECORRUPT : 0;
		if (s->end - s->q < (ptrdiff_t)ST_RUN_CHUNK_HDR)
			return ST_ECORRUPT;
		size_t clen = ST_RUN_CHUNK_HDR + (size_t)(s->q[6] | s->q[7] << 8);
		/* keep: keys increase across chunks too */
		if (clen > (size_t)(s->end - s->q) || st_run_chunk_open(s->q, clen, &s->c, true))
			return ST_ECORRUPT;
		s->q += clen;
	}
}

/* Read committed run r of day d back for a merge. */
static int msrc_run(st_store *st, struct st_pday *d, const struct st_runinfo *r, struct msrc *s)
{
	char name[24];
	struct st_run_hdr h;
	st_day_name(d->day, name);
	strcat(name, ".seg");
	int fd = openat(st->segfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = st_buf_reserve(&s->buf, r->len) ? -ENOMEM : 0;
	ssize_t got = 0;
	while (!rc && (size_t)got < r->len) {
		ssize_t n = pread(fd, s->buf.p + got, r->len - (size_t)got, (off_t)(r->off + (size_t)got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : ST_ECORRUPT;
		else
			got += n;
	}
	close(fd);
	if (rc)
		return rc;
	if (st_run_hdr_parse(s->buf.p, r->len, &h) || h.day != d->day || h.tree != r->tree ||
	    h.run_id != r->id || h.nkeys != r->nkeys || h.body_len != r->len - ST_RUN_HDR_LEN)
		return ST_ECORRUPT;
	s->buf.len = r->len;
	s->q = s->buf.p + ST_RUN_HDR_LEN;
	s->end = s->buf.p + r->len;
	s->c = (struct st_run_chunk){0};
	s->left = h.nkeys;
	return 0;
}

/* Room for source n in *src (new slots zeroed). */
static int msrc_room(struct msrc **src, size_t *cap, size_t n)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	struct msrc *ns = realloc(*src, nc * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	memset(ns + *cap, 0, (nc - *cap) * sizeof(*ns));
	*src = ns;
	*cap = nc;
	return 0;
}

/* Is id in a[0..n)?  (Run ids merged away: a handful per commit.) */
static bool ids_has(const uint32_t *a, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] == id)
			return true;
	return false;
}

/*
 * One job of a commit (commit_jobs): compress blocks [blo, bhi) of day d,
 * or build day d's new run of `tree` (its pending entries, merged with the
 * live runs it cascades into).  Each job writes into its own buffer; the
 * writer appends them to d->out in a fixed order (blocks, then runs by
 * tree), so the file is the same whichever thread ran which job.
 */
enum { CJ_BLOCKS, CJ_TREE };
struct st_cjob {
	uint8_t kind;
	unsigned tree;
	struct st_pday *d;
	size_t blo, bhi;
	uint32_t run_id; /* CJ_TREE: the id of the run it makes */
	int rc;
	struct st_buf out;
	/* CJ_TREE results */
	struct st_runb b; /* the run's fences */
	struct st_runinfo ri; /* off relative to out */
	uint32_t *del; /* ids of live runs merged away */
	size_t ndel, cap_del;
};

/* Append id to the growable array (*a, *n, *cap). */
static int ids_push(uint32_t **a, size_t *n, size_t *cap, uint32_t id)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		uint32_t *np = realloc(*a, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		*a = np;
		*cap = nc;
	}
	(*a)[(*n)++] = id;
	return 0;
}

/* Merge the sources into the job's run (at the end of j->out). */
static int run_emit(struct st_cjob *j, struct msrc *src, size_t nsrc)
{
	struct st_runb *b = &j->b;
	int rc = 0;
	size_t run_at = j->out.len;
	for (size_t i = 0; i < nsrc; i++) {
		int r = msrc_next(&src[i]);
		if (r < 0)
			return r;
		if (!r)
			src[i].k = NULL;
	}
	if ((rc = st_runb_begin(b, &j->out)))
		return rc;
	for (;;) {
		struct msrc *m = nsrc == 1 && src[0].k ? src : NULL;
		for (size_t i = 0; i < nsrc && nsrc > 1; i++)
			if (src[i].k &&
			    (!m || st_run_keycmp_inl(src[i].k, src[i].kl, m->k, m->kl) < 0))
				m = &src[i];
		if (!m)
			break;
		/* equal keys (one IPv6 value under two fields) are one entry */
		if ((rc = st_runb_add_dedup(b, m->k, m->kl)))
			return rc;
		int r = msrc_next(m);
		if (r < 0)
			return r;
		if (!r)
			m->k = NULL;
	}
	struct st_run_hdr h = {.day = j->d->day, .tree = (uint8_t)j->tree, .run_id = j->run_id};
	if ((rc = st_runb_end(b, &h)))
		return rc;
	j->ri = (struct st_runinfo){
		.off = run_at, /* relative to j->out until appended */
		.len = (uint32_t)(j->out.len - run_at),
		.nkeys = h.nkeys,
		.id = h.run_id,
		.tree = (uint8_t)j->tree,
		.level = st_run_level(h.nkeys),
	};
	j->out.p[run_at + 13] = j->ri.level; /* header: level, then its CRC again */
	st_put_le32(j->out.p + run_at + 28, st_crc32c(j->out.p + run_at, 28));
	return 0;
}

/*
 * Job CJ_TREE: day d's new run of j->tree: its pending entries, merged
 * with the live runs of the level it lands on when that level would
 * otherwise hold st_run_fanout() runs (and so on up).  Only reads d (its
 * pending lists of this tree, sorted here, and its live runs).
 */
static int tree_job(st_store *st, struct st_cjob *j, struct st_cthr *t)
{
	struct st_pday *d = j->d;
	unsigned tree = j->tree;
	size_t nsrc = 0;
	uint64_t total = 0;
	int rc = 0;
	for (unsigned ix = 0; ix < IX_N; ix++) {
		struct st_kvlist *l = tree >= IXDB_N ? &d->plx[ix] : &d->pix[ix];
		if (st_ix_db(ix) != tree % IXDB_N || !l->n)
			continue;
		if ((rc = st_kvsort(l->arena.p, l->off, l->n, &t->ks)))
			return rc;
		if ((rc = msrc_room(&t->src, &t->cap_src, nsrc)))
			return rc;
		t->src[nsrc].l = l;
		t->src[nsrc].i = 0;
		nsrc++;
		total += l->n;
	}
	if (!nsrc)
		return 0;
	struct msrc *src = t->src;
	size_t nlists = nsrc;
	bool merged = false;
	for (uint8_t level = st_run_level((uint32_t)(total < UINT32_MAX ? total : UINT32_MAX));;) {
		size_t same = 0;
		for (size_t i = 0; i < d->nruns; i++)
			same += d->runs[i].tree == tree && d->runs[i].level == level &&
				!ids_has(j->del, j->ndel, d->runs[i].id);
		if (same + 1 < st_run_fanout(level))
			break;
		merged = true;
		for (size_t i = 0; i < d->nruns && !rc; i++) {
			const struct st_runinfo *r = &d->runs[i];
			if (r->tree != tree || r->level != level || ids_has(j->del, j->ndel, r->id))
				continue;
			if ((rc = msrc_room(&t->src, &t->cap_src, nsrc)))
				break;
			src = t->src;
			src[nsrc].l = NULL;
			if ((rc = msrc_run(st, d, r, &src[nsrc])))
				break;
			nsrc++;
			total += r->nkeys;
			if ((rc = ids_push(&j->del, &j->ndel, &j->cap_del, r->id)))
				break;
		}
		if (rc)
			break;
		uint8_t nl = st_run_level((uint32_t)(total < UINT32_MAX ? total : UINT32_MAX));
		if (nl == level)
			break; /* merged into one run of the same level */
		level = nl;
	}
	if (!rc)
		rc = run_emit(j, src, nsrc);
	if (rc == ST_ECORRUPT && merged) {
		/* a live run failed its checks when read back: the new
		 * entries go into a run of their own and the damaged one
		 * stays as it is (verify reports the segment, a query
		 * that reads its bad chunk fails); this day's commits
		 * go on */
		j->out.len = 0;
		j->ndel = 0;
		for (size_t i = 0; i < nlists; i++)
			src[i].i = 0;
		rc = run_emit(j, src, nlists);
	}
	/* the merge read buffers are a commit's: give them back */
	for (size_t i = nlists; i < t->cap_src; i++)
		st_buf_done(&t->src[i].buf);
	return rc;
}

/* Job CJ_BLOCKS: compress closed blocks [blo, bhi) of day d into j->out;
 * each block's pb.off is set relative to j->out. */
static int blocks_job(struct st_cjob *j, ZSTD_CCtx *cctx)
{
	struct st_pday *d = j->d;
	for (size_t b = j->blo; b < j->bhi; b++) {
		struct st_pblk *p = &d->pb[b];
		if (st_buf_reserve(&j->out, st_blk_bound(p->raw_len)))
			return -ENOMEM;
		struct st_blk_hdr h = {
			.nrecs = p->nrecs,
			.raw_len = p->raw_len,
			.day = d->day,
			.block_no = d->ci.nblocks + (uint32_t)b,
		};
		size_t n;
		int rc = st_blk_seal(cctx, &h, d->raw.p + p->raw_off, j->out.p + j->out.len, &n);
		if (rc)
			return rc;
		p->off = j->out.len;
		p->length = (uint32_t)n;
		j->out.len += n;
	}
	return 0;
}

struct cjrun {
	st_store *st;
	_Atomic size_t next;
};

static void cj_thread(void *arg, unsigned thread)
{
	struct cjrun *r = arg;
	st_store *st = r->st;
	struct st_cthr *t = &st->th[thread];
	ZSTD_CCtx *cctx = thread ? t->cctx : st->cctx;
	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);
		if (i >= st->ncj)
			break;
		struct st_cjob *j = &st->cj[i];
		j->rc = j->kind == CJ_TREE ? tree_job(st, j, t) : blocks_job(j, cctx);
	}
}

static int cj_add(st_store *st, struct st_cjob **ret)
{
	if (st->ncj == st->cap_cj) {
		size_t nc = st->cap_cj ? st->cap_cj * 2 : 32;
		struct st_cjob *n = realloc(st->cj, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + st->cap_cj, 0, (nc - st->cap_cj) * sizeof(*n));
		st->cj = n;
		st->cap_cj = nc;
	}
	struct st_cjob *j = &st->cj[st->ncj++];
	j->rc = 0;
	j->out.len = 0;
	j->ndel = 0;
	j->ri = (struct st_runinfo){0};
	*ret = j;
	return 0;
}

/* Blocks per compression job: small enough to even out the two threads. */
#define CJ_BLOCKS_PER_JOB 64u
/* A job buffer bigger than this is freed after the commit (a merge's run
 * can be tens of MB; most commits need far less). */
#define CJ_KEEP_MAX (4u << 20)

/* The helper thread, started by the first commit that has work for two
 * (none on a one-CPU machine, or if it cannot start: all runs inline). */
static void worker_want(st_store *st)
{
	if (st->wk_tried)
		return;
	st->wk_tried = true;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 2 && st->threads != 2)
		return;
	st->th[1].cctx = ZSTD_createCCtx();
	if (!st->th[1].cctx || st_cctx_setup(st->th[1].cctx, st->zlevel) ||
	    st_worker_start(&st->wk)) {
		ZSTD_freeCCtx(st->th[1].cctx);
		st->th[1].cctx = NULL;
		st->wk = NULL;
	}
}

/*
 * The CPU part of a commit, on two threads: compress every day's closed
 * blocks and build its runs (jobs), then append the results to each day's
 * d->out in order: blocks, then one run per tree.  On failure nothing of
 * this commit stays (blocks are compressed again by the next try).
 */
static int commit_jobs(st_store *st)
{
	int rc = 0;
	st->ncj = 0;
	for (size_t i = 0; i < st->ndays && !rc; i++) {
		struct st_pday *d = st->days[i];
		if (!d->npb)
			continue;
		/* room for this commit's runs in the live list (runs_committed) */
		if (d->cap_runs < d->nruns + ST_RUN_TREES) {
			struct st_runinfo *na =
				realloc(d->runs, (d->nruns + ST_RUN_TREES) * sizeof(*na));
			if (!na)
				return -ENOMEM;
			d->runs = na;
			d->cap_runs = d->nruns + ST_RUN_TREES;
		}
		uint32_t id = d->next_run;
		for (unsigned tree = 0; tree < ST_RUN_TREES && !rc; tree++) {
			bool any = false;
			for (unsigned ix = 0; ix < IX_N; ix++) {
				const struct st_kvlist *l = tree >= IXDB_N ? &d->plx[ix] : &d->pix[ix];
				any |= st_ix_db(ix) == tree % IXDB_N && l->n;
			}
			struct st_cjob *j;
			if (!any || (rc = cj_add(st, &j)))
				continue;
			j->kind = CJ_TREE;
			j->d = d;
			j->tree = tree;
			j->run_id = id++;
		}
		for (size_t b = d->nzb; b < d->npb && !rc; b += CJ_BLOCKS_PER_JOB) {
			struct st_cjob *j;
			if ((rc = cj_add(st, &j)))
				break;
			j->kind = CJ_BLOCKS;
			j->d = d;
			j->blo = b;
			j->bhi = d->npb - b < CJ_BLOCKS_PER_JOB ? d->npb : b + CJ_BLOCKS_PER_JOB;
		}
	}
	if (rc)
		return rc;
	if (st->ncj > 1)
		worker_want(st);
	struct cjrun r = {.st = st};
	atomic_init(&r.next, 0);
	st_worker_run(st->ncj > 1 ? st->wk : NULL, cj_thread, &r);
	for (size_t i = 0; i < st->ncj; i++)
		if (st->cj[i].rc)
			return st->cj[i].rc;

	/* blocks first (all days; room reserved before anything moves: a
	 * failure leaves them to be compressed again), then each day's runs */
	for (size_t i = 0; i < st->ndays; i++)
		st->days[i]->out_blocks = st->days[i]->out.len;
	for (size_t i = 0; i < st->ncj; i++)
		if (st->cj[i].kind == CJ_BLOCKS)
			st->cj[i].d->out_blocks += st->cj[i].out.len;
	for (size_t i = 0; i < st->ndays; i++) {
		struct st_pday *d = st->days[i];
		if (d->npb && st_buf_reserve(&d->out, d->out_blocks - d->out.len))
			return -ENOMEM;
	}
	for (size_t i = 0; i < st->ncj; i++) {
		struct st_cjob *j = &st->cj[i];
		struct st_pday *d = j->d;
		if (j->kind != CJ_BLOCKS)
			continue;
		for (size_t b = j->blo; b < j->bhi; b++)
			d->pb[b].off += d->out.len;
		memcpy(d->out.p + d->out.len, j->out.p, j->out.len);
		d->out.len += j->out.len;
		d->nzb = j->bhi;
	}
	for (size_t i = 0; i < st->ndays; i++) {
		struct st_pday *d = st->days[i];
		if (!d->npb)
			continue;
		d->raw.len = d->blk_start = 0; /* every block is closed (commit) */
		d->runs_built = true;
	}
	for (size_t i = 0; i < st->ncj && !rc; i++) {
		struct st_cjob *j = &st->cj[i];
		struct st_pday *d = j->d;
		if (j->kind != CJ_TREE || !j->ri.len)
			continue;
		uint64_t at = d->out.len;
		if (st_buf_reserve(&d->out, j->out.len) ||
		    runs_push(&d->prun, &d->nprun, &d->cap_prun, &j->ri)) {
			rc = -ENOMEM;
			break;
		}
		memcpy(d->out.p + at, j->out.p, j->out.len);
		d->out.len += j->out.len;
		struct st_runinfo *ri = &d->prun[d->nprun - 1];
		ri->off += at; /* relative to the day's base until committed */
		for (size_t k = 0; k < j->b.nf && !rc; k++) {
			const struct st_run_fence *f = &j->b.f[k];
			uint8_t key[5 + ST_RUN_KEY_MAX], val[ST_FENCE_LEN];
			key[0] = ST_RUNKEY_FENCE;
			st_put_be32(key + 1, j->run_id);
			memcpy(key + 5, j->b.keys.p + f->key_off, f->key_len);
			st_put_le64(val, ri->off + ST_RUN_HDR_LEN + f->off);
			st_put_le32(val + 8, f->len);
			if (kv_reserve(&d->pfence, 5 + (size_t)f->key_len, sizeof(val)))
				rc = -ENOMEM;
			else
				kv_add(&d->pfence, key, 5 + (size_t)f->key_len, val, sizeof(val));
		}
		for (size_t k = 0; k < j->ndel && !rc; k++)
			rc = ids_push(&d->pdel, &d->npdel, &d->cap_pdel, j->del[k]);
	}
	return rc;
}

/* After a commit (done or failed): job buffers beyond CJ_KEEP_MAX go. */
static void commit_jobs_trim(st_store *st)
{
	for (size_t i = 0; i < st->cap_cj; i++) {
		struct st_cjob *j = &st->cj[i];
		if (j->out.cap > CJ_KEEP_MAX)
			st_buf_done(&j->out);
	}
	st->ncj = 0;
}

static void commit_jobs_done(st_store *st)
{
	st_worker_stop(st->wk);
	st->wk = NULL;
	for (size_t i = 0; i < st->cap_cj; i++) {
		st_buf_done(&st->cj[i].out);
		st_runb_done(&st->cj[i].b);
		free(st->cj[i].del);
	}
	free(st->cj);
	st->cj = NULL;
	st->ncj = st->cap_cj = 0;
	for (unsigned t = 0; t < 2; t++) {
		st_kvsort_done(&st->th[t].ks);
		for (size_t i = 0; i < st->th[t].cap_src; i++)
			st_buf_done(&st->th[t].src[i].buf);
		free(st->th[t].src);
		st->th[t].src = NULL;
		st->th[t].cap_src = 0;
	}
	ZSTD_freeCCtx(st->th[1].cctx);
	st->th[1].cctx = NULL;
}

/* A failed commit: forget this commit's runs (the entries stay pending). */
static void runs_abort(struct st_pday *d)
{
	if (!d->runs_built)
		return;
	d->out.len = d->out_blocks;
	d->nprun = d->npdel = 0;
	kv_clear(&d->pfence);
	d->runs_built = false;
}

/* In the commit's transaction: the new runs, their fences, the merged
 * runs' removal. */
static int apply_runs(st_store *st, MDB_txn *txn, struct st_pday *d)
{
	MDB_cursor *cur;
	MDB_dbi dbi;
	uint64_t base = pday_base(d);
	int rc;
	if (!d->nprun && !d->npdel)
		return 0;
	if ((rc = st_part_dbi(st, txn, d->day, PART_RUN, true, &dbi)))
		return rc;
	if ((rc = mdb_cursor_open(txn, dbi, &cur)))
		return st_mdb_err(rc);
	for (size_t i = 0; i < d->npdel && !rc; i++) {
		uint8_t k0[5];
		k0[0] = ST_RUNKEY_INFO;
		st_put_be32(k0 + 1, d->pdel[i]);
		MDB_val k = {5, k0}, v;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
		if (!rc)
			rc = mdb_cursor_del(cur, 0);
		k0[0] = ST_RUNKEY_FENCE;
		k = (MDB_val){5, k0};
		int mrc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		while (mrc == 0 && k.mv_size >= 5 && memcmp(k.mv_data, k0, 5) == 0) {
			mrc = mdb_cursor_del(cur, 0);
			k = (MDB_val){5, k0};
			if (!mrc)
				mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		}
		rc = mrc == MDB_NOTFOUND ? 0 : mrc;
	}
	for (size_t i = 0; i < d->nprun && !rc; i++) {
		struct st_runinfo r = d->prun[i];
		uint8_t kb[5], vb[ST_RUNINFO_LEN];
		r.off += base;
		kb[0] = ST_RUNKEY_INFO;
		st_put_be32(kb + 1, r.id);
		st_runinfo_write(vb, &r);
		MDB_val k = {5, kb}, v = {sizeof(vb), vb};
		rc = mdb_cursor_put(cur, &k, &v, 0);
	}
	for (size_t i = 0; i < d->pfence.n && !rc; i++) {
		MDB_val k, v;
		uint8_t vb[ST_FENCE_LEN];
		kv_at(&d->pfence, i, &k, &v);
		memcpy(vb, v.mv_data, sizeof(vb));
		uint64_t off = 0;
		for (int j = 7; j >= 0; j--)
			off = off << 8 | vb[j];
		st_put_le64(vb, off + base);
		v = (MDB_val){sizeof(vb), vb};
		/* new run ids are the largest: the fences go at the end */
		rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND);
	}
	mdb_cursor_close(cur);
	return st_mdb_err(rc);
}

/* Committed: the writer's copy of the live runs follows. */
static void runs_committed(struct st_pday *d, uint64_t base)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nruns; i++)
		if (!ids_has(d->pdel, d->npdel, d->runs[i].id))
			d->runs[n++] = d->runs[i];
	d->nruns = n;
	for (size_t i = 0; i < d->nprun; i++) {
		struct st_runinfo r = d->prun[i];
		r.off += base;
		if (r.id >= d->next_run)
			d->next_run = r.id + 1;
		/* room reserved by runs_build: cannot fail */
		(void)runs_push(&d->runs, &d->nruns, &d->cap_runs, &r);
	}
	d->nprun = d->npdel = 0;
	kv_clear(&d->pfence);
	d->runs_built = false;
}


/* Undo the file part of a failed commit (best effort: bytes after the
 * committed end are ignored anyway). */
static void files_undo(st_store *st, size_t upto)
{
	for (size_t i = 0; i < upto; i++) {
		struct st_pday *d = st->days[i];
		char name[24];
		if (!d->npb)
			continue;
		st_day_name(d->day, name);
		strcat(name, ".seg");
		if (!d->known) {
			unlinkat(st->segfd, name, 0);
			continue;
		}
		int fd = openat(st->segfd, name, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (ftruncate(fd, (off_t)d->ci.size) != 0) {
				/* ignored: reopen cuts at the committed end */
			}
			close(fd);
		}
	}
}

/* Append each day's sealed blocks at its committed end, durably. */
static int files_write(st_store *st)
{
	bool created = false;
	size_t i;
	int rc = 0;

	for (i = 0; i < st->ndays; i++) {
		struct st_pday *d = st->days[i];
		char name[24];
		int fd;
		if (!d->npb)
			continue;
		st_day_name(d->day, name);
		strcat(name, ".seg");
		if (d->known) {
			fd = openat(st->segfd, name, O_WRONLY | O_CLOEXEC);
		} else {
			fd = openat(st->segfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			created = true;
		}
		if (fd < 0) {
			rc = -errno;
			break;
		}
		if (!d->known) {
			uint8_t h[ST_SEG_HDR_LEN];
			st_seg_hdr_write(h, d->day);
			rc = write_full(fd, h, sizeof(h), 0);
		}
		if (!rc)
			rc = write_split(st, fd, d->out.p, d->out.len, pday_base(d));
		if (!rc && fdatasync(fd) != 0)
			rc = -errno;
		close(fd);
		if (rc) {
			i++;
			break;
		}
	}
	if (!rc && created && fsync(st->segfd) != 0)
		rc = -errno;
	if (rc)
		files_undo(st, i);
	return rc;
}

/* Put an open session (key, record) and its index entries. */
static int open_insert(st_store *st, MDB_txn *txn, MDB_val *k, MDB_val *v, struct rt_session *s)
{
	struct dp_cur c = dp_cur_make(v->mv_data, v->mv_size);
	int rc = mdb_put(txn, st->db[DB_OPEN], k, v, 0);
	if (rc)
		return st_mdb_err(rc);
	if (st_rec_decode(&c, 0, s)) /* our own encoding: cannot fail */
		return ST_EINVAL;
	for (unsigned i = 0; i < IX_N; i++) {
		uint8_t key[ST_IXKEY_MAX];
		MDB_val ik = {st_ix_key(i, s, key), key};
		if (!ik.mv_size)
			continue;
		rc = mdb_put(txn, st->db[DB_IXO + st_ix_db(i)], &ik, k, 0);
		if (rc)
			return st_mdb_err(rc);
	}
	return 0;
}

/* Delete every open-index entry that points at key (when its record cannot
 * be decoded to find them directly). */
static int open_purge_refs(st_store *st, MDB_txn *txn, const MDB_val *key)
{
	for (unsigned i = 0; i < IX_N; i++) {
		if (st_ix_db(i) != i)
			continue; /* a shared database: purged once */
		MDB_cursor *cur;
		MDB_val k, v;
		int rc = mdb_cursor_open(txn, st->db[DB_IXO + st_ix_db(i)], &cur);
		if (rc)
			return st_mdb_err(rc);
		/* after mdb_cursor_del, MDB_NEXT yields the entry that followed */
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (val_cmp(&v, key) == 0) {
				rc = mdb_cursor_del(cur, 0);
				if (rc)
					break;
			}
		}
		mdb_cursor_close(cur);
		if (rc != MDB_NOTFOUND)
			return st_mdb_err(rc);
	}
	return 0;
}

int st_open_unindex(st_store *st, MDB_txn *txn, const MDB_val *key, const MDB_val *val)
{
	struct dp_cur c = dp_cur_make(val->mv_data, val->mv_size);
	struct rt_session *s = &st->wrow;
	if (st_rec_decode(&c, 0, s) || dp_cur_left(&c) || s->stop_ns != RT_TIME_NONE)
		return open_purge_refs(st, txn, key);
	for (unsigned i = 0; i < IX_N; i++) {
		uint8_t k[ST_IXKEY_MAX];
		MDB_val ik = {st_ix_key(i, s, k), k};
		MDB_val d = *key;
		if (!ik.mv_size)
			continue;
		int rc = mdb_del(txn, st->db[DB_IXO + st_ix_db(i)], &ik, &d);
		if (rc && rc != MDB_NOTFOUND)
			return st_mdb_err(rc);
	}
	return 0;
}

static int open_delete(st_store *st, MDB_txn *txn, MDB_val *k)
{
	MDB_val v;
	int rc = mdb_get(txn, st->db[DB_OPEN], k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return st_mdb_err(rc);
	/* v points into the map; unindex before the delete frees its page */
	rc = st_open_unindex(st, txn, k, &v);
	if (rc)
		return rc;
	return st_mdb_err(mdb_del(txn, st->db[DB_OPEN], k, NULL));
}

/* Replace the stored open set with the puts of st->popen that no later
 * operation deleted. */
static int open_replace(st_store *st, MDB_txn *txn)
{
	struct st_kvlist del = {0};
	MDB_cursor *cur = NULL;
	bool *keep = NULL;
	size_t n = 0;
	int rc;

	kv_sort(&st->popen, kv_cmp_key_seq);
	/* The last operation on each key decides: keep the puts, in place
	 * (a retried commit finds the same set). */
	for (size_t i = 0; i < st->popen.n; i++) {
		MDB_val k, v, k2, v2;
		kv_at(&st->popen, i, &k, &v);
		if (i + 1 < st->popen.n) {
			kv_at(&st->popen, i + 1, &k2, &v2);
			if (val_cmp(&k, &k2) == 0)
				continue;
		}
		if (v.mv_size == 0)
			continue; /* closed or deleted */
		st->popen.off[n++] = st->popen.off[i];
	}
	st->popen.n = n;
	keep = calloc(n ? n : 1, sizeof(*keep));
	if (!keep)
		return -ENOMEM;

	/* Merge the stored set (sorted by LMDB) with the new one. */
	rc = mdb_cursor_open(txn, st->db[DB_OPEN], &cur);
	if (rc) {
		rc = st_mdb_err(rc);
		goto out_keep;
	}
	size_t j = 0;
	MDB_val ck, cv;
	for (rc = mdb_cursor_get(cur, &ck, &cv, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &ck, &cv, MDB_NEXT)) {
		MDB_val nk, nv;
		int c = 1;
		while (j < n) {
			kv_at(&st->popen, j, &nk, &nv);
			c = val_cmp(&nk, &ck);
			if (c >= 0)
				break;
			j++;
		}
		if (j < n && c == 0 && val_cmp(&nv, &cv) == 0) {
			keep[j++] = true;
			continue;
		}
		rc = kv_reserve(&del, ck.mv_size, 0);
		if (rc)
			goto out_cursor;
		kv_add(&del, ck.mv_data, ck.mv_size, NULL, 0);
	}
	if (rc != MDB_NOTFOUND) {
		rc = st_mdb_err(rc);
		goto out_cursor;
	}
	mdb_cursor_close(cur);
	cur = NULL;

	for (size_t i = 0; i < del.n; i++) {
		MDB_val k, v;
		kv_at(&del, i, &k, &v);
		rc = open_delete(st, txn, &k);
		if (rc)
			goto out_del;
	}
	for (size_t i = 0; i < n; i++) {
		MDB_val k, v;
		if (keep[i])
			continue;
		kv_at(&st->popen, i, &k, &v);
		rc = open_insert(st, txn, &k, &v, &st->wrow);
		if (rc)
			goto out_del;
	}
	rc = 0;
	goto out_del;

out_cursor:
	mdb_cursor_close(cur);
out_del:
	kv_done(&del);
out_keep:
	free(keep);
	return rc;
}

static int apply_open(st_store *st, MDB_txn *txn)
{
	if (st->open_replace)
		return open_replace(st, txn);
	/* Incremental: only the keys operated on since the last commit, the
	 * last operation on each key deciding (O(changes), not O(open)). */
	kv_sort(&st->popen, kv_cmp_key_seq);
	for (size_t i = 0; i < st->popen.n; i++) {
		MDB_val k, v, k2, v2, cur;
		kv_at(&st->popen, i, &k, &v);
		if (i + 1 < st->popen.n) {
			kv_at(&st->popen, i + 1, &k2, &v2);
			if (val_cmp(&k, &k2) == 0)
				continue;
		}
		int rc = 0;
		if (v.mv_size) {
			rc = mdb_get(txn, st->db[DB_OPEN], &k, &cur);
			if (rc == 0 && val_cmp(&cur, &v) == 0)
				continue; /* stored unchanged: keep its index entries */
			rc = rc == MDB_NOTFOUND ? 0 : st_mdb_err(rc);
		}
		if (!rc)
			rc = open_delete(st, txn, &k);
		if (!rc && v.mv_size)
			rc = open_insert(st, txn, &k, &v, &st->wrow);
		if (rc)
			return rc;
	}
	return 0;
}

static int apply_blocks(st_store *st, MDB_txn *txn)
{
	for (size_t i = 0; i < st->ndays; i++) {
		struct st_pday *d = st->days[i];
		uint64_t base = pday_base(d);
		struct st_dayinfo ci = d->known ? d->ci : (struct st_dayinfo){0};
		MDB_dbi dbi;
		int rc;
		if (!d->npb)
			continue;
		rc = st_part_dbi(st, txn, d->day, PART_BLK, true, &dbi);
		if (rc)
			return rc;
		for (size_t b = 0; b < d->npb; b++) {
			const struct st_pblk *p = &d->pb[b];
			struct st_blkinfo bi = {
				.offset = base + p->off,
				.length = p->length,
				.nrecs = p->nrecs,
				.min_start = p->min_start,
				.min_stop = p->min_stop,
				.max_stop = p->max_stop,
			};
			uint8_t kb[ST_BLKKEY_LEN], vb[ST_BLKINFO_LEN];
			st_blkkey(kb, ci.nblocks + (uint32_t)b);
			st_blkinfo_write(vb, &bi);
			MDB_val k = {sizeof(kb), kb}, v = {sizeof(vb), vb};
			rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND);
			if (rc)
				return st_mdb_err(rc);
		}
		st_dayinfo_merge(&ci, d);
		ci.size = base + d->out.len;
		uint8_t kb[ST_DAYKEY_LEN], vb[ST_DAYINFO_LEN];
		st_daykey(kb, d->day);
		st_dayinfo_write(vb, &ci);
		MDB_val k = {sizeof(kb), kb}, v = {sizeof(vb), vb};
		rc = mdb_put(txn, st->db[DB_DAYS], &k, &v, 0);
		if (rc)
			return st_mdb_err(rc);
	}
	return 0;
}

static int apply_counters(st_store *st, MDB_txn *txn)
{
	for (size_t i = 0; i < st->npctr; i++) {
		MDB_val k = {strlen(st->pctr[i].name), st->pctr[i].name}, v;
		uint64_t cur = 0;
		int rc = mdb_get(txn, st->db[DB_CTR], &k, &v);
		if (rc == 0) {
			struct dp_cur c = dp_cur_make(v.mv_data, v.mv_size);
			if (v.mv_size != 8 || !dp_cur_le64(&c, &cur))
				return ST_ECORRUPT;
		} else if (rc != MDB_NOTFOUND) {
			return st_mdb_err(rc);
		}
		uint64_t nv = cur + st->pctr[i].delta;
		if (nv < cur)
			nv = UINT64_MAX;
		uint8_t b[8];
		st_put_le64(b, nv);
		v = (MDB_val){sizeof(b), b};
		rc = mdb_put(txn, st->db[DB_CTR], &k, &v, 0);
		if (rc)
			return st_mdb_err(rc);
	}
	return 0;
}

static void map_trim(st_store *st);

static bool pending_any(const st_store *st)
{
	if (st->pend_closed || st->open_replace || st->popen.n || st->npctr)
		return true;
	return false;
}

int st_store_commit(st_store *st)
{
	struct st_meta m;
	MDB_txn *txn;
	MDB_stat ms;
	int rc = 0;

	if (!st->writable)
		return ST_EREADONLY;
	if (!pending_any(st))
		return 0;
	for (size_t i = 0; i < st->ndays; i++) {
		rc = pday_seal(st, st->days[i]);
		if (rc)
			return rc;
	}
	rc = commit_jobs(st); /* 0 with no day at all: open sessions or counters */
	commit_jobs_trim(st);
	if (!rc)
		rc = files_write(st);
	if (rc) {
		for (size_t i = 0; i < st->ndays; i++)
			runs_abort(st->days[i]);
		return rc;
	}

	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc) {
		rc = st_mdb_err(rc);
		goto out_files;
	}
	rc = apply_open(st, txn);
	if (!rc)
		rc = apply_blocks(st, txn);
	for (size_t i = 0; i < st->ndays && !rc; i++)
		rc = apply_runs(st, txn, st->days[i]);
	if (!rc)
		rc = apply_counters(st, txn);
	m = st->meta;
	if (st->pend_maxdur > m.maxdur)
		m.maxdur = st->pend_maxdur;
	m.nclosed += st->pend_closed;
	if (!rc)
		rc = meta_put(st, txn, &m);
	if (!rc)
		rc = st_mdb_err(mdb_stat(txn, st->db[DB_OPEN], &ms));
	if (rc) {
		mdb_txn_abort(txn);
		goto out_files;
	}
	rc = mdb_txn_commit(txn);
	if (rc) {
		rc = st_mdb_err(rc);
		goto out_files;
	}

	/* Committed: the catalogue now names what the files hold. */
	for (size_t i = 0; i < st->ndays; i++) {
		struct st_pday *d = st->days[i];
		if (!d->npb)
			continue;
		uint64_t base = pday_base(d);
		runs_committed(d, base);
		st_dayinfo_merge(&d->ci, d);
		d->ci.size = base + d->out.len;
		d->known = true;
	}
	st->meta = m;
	st->open_committed = ms.ms_entries;
	pending_drop(st);
	/* Keep the buffers of the day being written only (the next batch
	 * reuses them); the others go back to the allocator. */
	for (size_t i = 0; i < st->ndays; i++)
		if (st->days[i] != st->last_day)
			pday_release(st->days[i]);
	map_trim(st);
	return 0;

out_files:
	files_undo(st, st->ndays);
	for (size_t i = 0; i < st->ndays; i++)
		runs_abort(st->days[i]);
	return rc;
}

/*
 * Drop the catalogue's pages from this process's page tables once the
 * catalogue has grown by ST_MAP_TRIM bytes since the last time.  LMDB reads
 * through a read-only shared map of the file: every page a commit touches
 * stays resident in the process (RssFile) although it is clean page cache,
 * so a writer's resident size would grow with the catalogue (issue 7).
 * MADV_DONTNEED on a shared file map only unmaps: the next access faults
 * the page back in from the page cache, unchanged.  No query is running
 * (one thread per handle) and LMDB keeps no pointer into the map between
 * calls.  LMDB does not give the map's address (MDB_envinfo.me_mapaddr is
 * set with MDB_FIXEDMAP only): it is the mapping of the catalogue file of
 * the map's size in /proc/self/maps, looked up at each trim (a reader's
 * mdb_env_set_mapsize may move it).
 */
static void *map_find(st_store *st, size_t len)
{
	struct stat sb;
	int fd;
	if (mdb_env_get_fd(st->env, &fd) || fstat(fd, &sb))
		return NULL;
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return NULL;
	char line[4096 + 256];
	void *ret = NULL;
	while (!ret && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		unsigned maj, min;
		char perm[8];
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &lo, &hi, perm, &off, &maj, &min,
			   &ino) != 7)
			continue;
		if (ino == (unsigned long)sb.st_ino && makedev(maj, min) == sb.st_dev &&
		    off == 0 && hi - lo == len)
			ret = (void *)(uintptr_t)lo;
	}
	fclose(f);
	return ret;
}

static void map_trim(st_store *st)
{
	MDB_envinfo ei;
	MDB_stat es;
	if (mdb_env_info(st->env, &ei) || mdb_env_stat(st->env, &es))
		return;
	uint64_t used = ((uint64_t)ei.me_last_pgno + 1) * es.ms_psize;
	if (used < st->map_trimmed + ST_MAP_TRIM && used >= st->map_trimmed)
		return;
	st->map_trimmed = used;
	void *map = map_find(st, ei.me_mapsize);
	if (map && used <= ei.me_mapsize)
		(void)madvise(map, (size_t)used, MADV_DONTNEED); /* advice only */
}

/* ---- statistics, counters, open sessions ----------------------------------------- */

size_t st_store_mem_bytes(const st_store *st)
{
	size_t n = sizeof(*st) + st->cap_days * sizeof(*st->days);
	for (size_t i = 0; i < st->ndays; i++)
		n += pday_mem(st->days[i]);
	n += kv_mem(&st->popen);
	n += st->cap_pctr * sizeof(*st->pctr);
	for (size_t i = 0; i < st->npctr; i++)
		n += strlen(st->pctr[i].name) + 1;
	for (unsigned i = 0; i < ST_BCACHE_N; i++)
		n += st->bc[i].raw.cap + st->bc[i].cap * (sizeof(uint32_t) + sizeof(int64_t));
	n += st->comp.cap;
	for (size_t i = 0; i < st->cap_cj; i++)
		n += sizeof(st->cj[i]) + st->cj[i].out.cap + st->cj[i].b.keys.cap +
		     st->cj[i].b.capf * sizeof(*st->cj[i].b.f) + st->cj[i].cap_del * sizeof(uint32_t);
	for (unsigned t = 0; t < 2; t++) {
		n += st->th[t].cap_src * sizeof(*st->th[t].src);
		for (size_t i = 0; i < st->th[t].cap_src; i++)
			n += st->th[t].src[i].buf.cap;
		n += st->th[t].ks.cap * (2 * sizeof(*st->th[t].ks.a) + sizeof(size_t));
	}
	if (st->dbic)
		n += ST_DBIC_N * sizeof(*st->dbic);
	return n;
}

static int rtxn_fresh(st_store *st, MDB_txn **ret)
{
	return st_mdb_err(mdb_txn_begin(st->env, NULL, MDB_RDONLY, ret));
}

int st_store_stats(st_store *st, struct st_stats *ret)
{
	struct st_stats s = {.first_day_ns = RT_TIME_NONE, .last_day_ns = RT_TIME_NONE};
	struct st_meta m;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_stat ms;
	MDB_envinfo ei;
	MDB_val k, v;
	int rc;

	if (!ret)
		return ST_EINVAL;
	rc = rtxn_fresh(st, &txn);
	if (rc)
		return rc;
	rc = st_meta_get(st, txn, &m);
	if (rc == ST_ENOSTORE)
		rc = ST_ECORRUPT;
	if (rc)
		goto out_txn;
	s.sessions_closed = m.nclosed;
	s.expired_before_ns = m.horizon;
	rc = st_mdb_err(mdb_stat(txn, st->db[DB_OPEN], &ms));
	if (rc)
		goto out_txn;
	s.sessions_open = ms.ms_entries;
	rc = st_mdb_err(mdb_cursor_open(txn, st->db[DB_DAYS], &cur));
	if (rc)
		goto out_txn;
	bool first = true;
	int mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct st_dayinfo di;
		if (k.mv_size != ST_DAYKEY_LEN || st_dayinfo_parse(&v, &di)) {
			rc = ST_ECORRUPT;
			break;
		}
		int32_t day = st_daykey_day(k.mv_data);
		if (first)
			s.first_day_ns = st_day_start(day);
		first = false;
		s.last_day_ns = st_day_start(day);
		s.segments++;
		s.bytes_segments += di.size;
	}
	mdb_cursor_close(cur);
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = st_mdb_err(mrc);
	if (rc)
		goto out_txn;
	rc = st_mdb_err(mdb_env_info(st->env, &ei));
	if (!rc)
		rc = st_mdb_err(mdb_env_stat(st->env, &ms));
	if (rc)
		goto out_txn;
	s.bytes_catalog = (uint64_t)(ei.me_last_pgno + 1) * ms.ms_psize;
	*ret = s;
	rc = 0;
out_txn:
	mdb_txn_abort(txn);
	return rc;
}

int st_store_counters(st_store *st, int (*fn)(void *ctx, const char *name, uint64_t v),
		      void *ctx)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int ret = 0;
	int rc = rtxn_fresh(st, &txn);
	if (rc)
		return rc;
	rc = st_mdb_err(mdb_cursor_open(txn, st->db[DB_CTR], &cur));
	if (rc)
		goto out_txn;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char name[256];
		uint64_t val;
		struct dp_cur c = dp_cur_make(v.mv_data, v.mv_size);
		if (k.mv_size == 0 || k.mv_size > 255 || v.mv_size != 8 || !dp_cur_le64(&c, &val) ||
		    memchr(k.mv_data, 0, k.mv_size)) {
			rc = ST_ECORRUPT;
			break;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = 0;
		ret = fn(ctx, name, val);
		if (ret)
			break;
	}
	mdb_cursor_close(cur);
	if (ret)
		rc = ret;
	else if (rc == MDB_NOTFOUND)
		rc = 0;
	else if (rc != ST_ECORRUPT)
		rc = st_mdb_err(rc);
out_txn:
	mdb_txn_abort(txn);
	return rc;
}

int st_store_open_sessions(st_store *st, st_row_fn fn, void *ctx)
{
	struct rt_session *s;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int ret = 0, rc;

	s = malloc(sizeof(*s)); /* callbacks may nest other calls: own scratch */
	if (!s)
		return -ENOMEM;
	rc = rtxn_fresh(st, &txn);
	if (rc)
		goto out_free;
	rc = st_mdb_err(mdb_cursor_open(txn, st->db[DB_OPEN], &cur));
	if (rc)
		goto out_txn;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct dp_cur c = dp_cur_make(v.mv_data, v.mv_size);
		uint8_t okey[ST_OPENKEY_MAX];
		if (st_rec_decode(&c, 0, s) || dp_cur_left(&c) || s->stop_ns != RT_TIME_NONE ||
		    st_open_key(s, okey) != k.mv_size || memcmp(okey, k.mv_data, k.mv_size)) {
			rc = ST_ECORRUPT;
			break;
		}
		ret = fn(ctx, s);
		if (ret)
			break;
	}
	mdb_cursor_close(cur);
	if (ret)
		rc = ret;
	else if (rc == MDB_NOTFOUND)
		rc = 0;
	else if (rc != ST_ECORRUPT)
		rc = st_mdb_err(rc);
out_txn:
	mdb_txn_abort(txn);
out_free:
	free(s);
	return rc;
}
