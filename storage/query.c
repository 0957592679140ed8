/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reads: index queries, export (ST_Q_ALL), and the block cache behind
 * them.
 *
 * "Who had X at T": entries are keyed (X, start), so the sessions that may
 * hold X at T are those with T - maxdur <= start <= T, maxdur being the
 * longest closed session the store holds (kept in the catalogue).  Open
 * sessions live in separate open indexes keyed the same way; their stop is
 * +infinity, so every open entry of X with start <= T matches, and there
 * are few of them: the bound on closed sessions is not widened by a
 * session that has been open for weeks.
 *
 * Every index hit is checked against the record it points at (times and
 * indexed value must agree): a dangling or stale entry is ST_ECORRUPT, not
 * a wrong answer.
 */
#include "run.h"
#include "store_int.h"
#include "sealed.h"
#include "segbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* ---- segment files and block cache -------------------------------------------- */

void st_bcache_done(struct st_bcache *b)
{
	st_buf_done(&b->raw);
	free(b->off);
	free(b->prev);
	memset(b, 0, sizeof(*b));
}

/* Read exactly n bytes; a short file is corruption (the catalogue says
 * they were committed). */
static int pread_full(int fd, uint8_t *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return ST_ECORRUPT;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

int st_seg_fd(st_store *st, int32_t day, int *ret_fd)
{
	for (unsigned i = 0; i < ST_FDCACHE_N; i++) {
		if (st->fdc[i].fd >= 0 && st->fdc[i].day == day) {
			*ret_fd = st->fdc[i].fd;
			return 0;
		}
	}
	char name[24];
	st_day_name(day, name);
	strcat(name, ".seg");
	int fd = openat(st->segfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Shallow check once per open: the file is the segment of that day. */
	uint8_t hdr[ST_SEG_HDR_LEN];
	struct dp_cur hc = dp_cur_make(hdr, sizeof(hdr));
	int32_t hday;
	int rc = pread_full(fd, hdr, sizeof(hdr), 0);
	if (!rc) {
		enum st_dec why = st_seg_hdr_parse(&hc, &hday);
		rc = why ? st_dec_err(why) : hday != day ? ST_ECORRUPT : 0;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	unsigned slot = st->fdc_next++ % ST_FDCACHE_N;
	if (st->fdc[slot].fd >= 0)
		close(st->fdc[slot].fd);
	st->fdc[slot].fd = fd;
	st->fdc[slot].day = day;
	*ret_fd = fd;
	return 0;
}

static void scache_drop(st_store *st, struct st_scache *c)
{
	if (c->s) {
		if (c->heap) {
			/* decoded rows of the last block read are plaintext too */
			if (c->s->raw.p)
				OPENSSL_cleanse(c->s->raw.p, c->s->raw.cap);
			if (c->s->rows)
				OPENSSL_cleanse(c->s->rows, c->s->caprows * sizeof(*c->s->rows));
		}
		st_sealed_close(c->s);
		free(c->s);
	}
	if (c->map && c->heap) {
		st_segbox_free(c->map, c->len);
		st->sc_heap -= c->len;
	} else if (c->map) {
		munmap(c->map, c->len);
	}
	memset(c, 0, sizeof(*c));
}

void st_scache_done(st_store *st)
{
	for (unsigned i = 0; i < ST_SCACHE_N; i++)
		scache_drop(st, &st->sc[i]);
}

/* ---- messages of encrypted segments (st_strerror) ---- */

static _Thread_local struct {
	int err;
	char msg[200];
} crypt_note;

void st_crypt_note(int err, int32_t day, uint32_t key_id)
{
	char d[16];
	st_day_name(day, d);
	crypt_note.err = err;
	if (err == -ENOKEY)
		snprintf(crypt_note.msg, sizeof(crypt_note.msg),
			 "sealed segment %s is encrypted with key id %u, which %s", d, key_id,
			 "is not in the key file (or no key file was given: RETAIN_KEYS)");
	else
		snprintf(crypt_note.msg, sizeof(crypt_note.msg),
			 "sealed segment %s (key id %u) failed authentication: changed bytes, "
			 "a wrong key under that id, or another day's file",
			 d, key_id);
}

const char *st_crypt_noted(int err)
{
	return crypt_note.err == err && err ? crypt_note.msg : NULL;
}

/* Map the sealed file of day read-only; an encrypted one is decrypted
 * into the heap instead.  *ret_len is its plaintext size. */
static int sealed_load(st_store *st, int32_t day, uint64_t size, uint8_t **ret, size_t *ret_len,
		       bool *ret_heap)
{
	char name[24];
	st_day_name(day, name);
	strcat(name, ".seg");
	int fd = openat(st->segfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat sb;
	int rc = fstat(fd, &sb) != 0 ? -errno : 0;
	if (!rc && (sb.st_size <= 0 || (uint64_t)sb.st_size > SIZE_MAX / 2 || size == 0 ||
		    size > SIZE_MAX))
		rc = ST_ECORRUPT;
	size_t flen = rc ? 0 : (size_t)sb.st_size;
	void *map = MAP_FAILED;
	if (!rc) {
		map = mmap(NULL, flen, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			rc = -errno;
	}
	close(fd);
	if (rc)
		return rc;
	if (!st_segbox_is(map, flen)) {
		/* the catalogue names its size: another is not that sealed file */
		if ((uint64_t)flen != size) {
			munmap(map, flen);
			return ST_ECORRUPT;
		}
		*ret = map;
		*ret_len = flen;
		*ret_heap = false;
		return 0;
	}
	uint8_t *plain = NULL;
	size_t plen = 0;
	uint32_t key_id = 0;
	rc = st_segbox_open(st->keys, day, map, flen, &plain, &plen, &key_id);
	munmap(map, flen);
	if (rc == -ENOKEY || rc == -EBADMSG)
		st_crypt_note(rc, day, key_id);
	if (rc)
		return rc;
	if ((uint64_t)plen != size) {
		st_segbox_free(plain, plen);
		return ST_ECORRUPT;
	}
	*ret = plain;
	*ret_len = plen;
	*ret_heap = true;
	return 0;
}

int st_sealed_get(st_store *st, int32_t day, uint64_t size, struct st_sealed **ret)
{
	for (unsigned i = 0; i < ST_SCACHE_N; i++) {
		if (st->sc[i].valid && st->sc[i].day == day && st->sc[i].len == size) {
			st->sc[i].used = ++st->sc_clock;
			*ret = st->sc[i].s;
			return 0;
		}
	}
	uint8_t *map = NULL;
	size_t len = 0;
	bool heap = false;
	int rc = sealed_load(st, day, size, &map, &len, &heap);
	if (rc)
		return rc;
	struct st_sealed *s = calloc(1, sizeof(*s));
	if (!s) {
		rc = -ENOMEM;
	} else {
		enum st_dec why;
		/* the hash sections are checked by their first use: an
		 * address lookup does not pay for them */
		rc = st_sealed_open_lazy(s, map, len, &why);
		if (!rc && s->day != day)
			rc = ST_ECORRUPT; /* another day's file */
	}
	if (rc) {
		if (s) {
			st_sealed_close(s);
			free(s);
		}
		if (heap)
			st_segbox_free(map, len);
		else
			munmap(map, len);
		return rc;
	}
	/* decrypted bytes are bounded: drop the least recently used
	 * decrypted days until this one fits (it stays alone if larger) */
	while (heap && st->sc_heap + len > st->sc_heap_max) {
		struct st_scache *v = NULL;
		for (unsigned i = 0; i < ST_SCACHE_N; i++)
			if (st->sc[i].valid && st->sc[i].heap && (!v || st->sc[i].used < v->used))
				v = &st->sc[i];
		if (!v)
			break;
		scache_drop(st, v);
	}
	struct st_scache *c = &st->sc[0]; /* an empty slot, else the least recently used */
	for (unsigned i = 1; i < ST_SCACHE_N && c->valid; i++)
		if (!st->sc[i].valid || st->sc[i].used < c->used)
			c = &st->sc[i];
	scache_drop(st, c);
	*c = (struct st_scache){day, true, ++st->sc_clock, map, len, s, heap};
	if (heap)
		st->sc_heap += len;
	*ret = s;
	return 0;
}

void st_cache_drop_day(st_store *st, int32_t day)
{
	for (unsigned i = 0; i < ST_SCACHE_N; i++)
		if (st->sc[i].valid && st->sc[i].day == day)
			scache_drop(st, &st->sc[i]);
	for (unsigned i = 0; i < ST_BCACHE_N; i++)
		if (st->bc[i].valid && st->bc[i].day == day)
			st->bc[i].valid = false;
	for (unsigned i = 0; i < ST_FDCACHE_N; i++) {
		if (st->fdc[i].fd >= 0 && st->fdc[i].day == day) {
			close(st->fdc[i].fd);
			st->fdc[i].fd = -1;
		}
	}
}

static int block_load(st_store *st, int32_t day, uint32_t block, const struct st_blkinfo *bi,
		      struct st_bcache **ret)
{
	struct st_bcache *b;
	struct st_blk_hdr h;
	enum st_dec why;
	int fd, rc;

	for (unsigned i = 0; i < ST_BCACHE_N; i++) {
		b = &st->bc[i];
		if (b->valid && b->day == day && b->block == block) {
			*ret = b;
			return 0;
		}
	}
	rc = st_seg_fd(st, day, &fd);
	if (rc)
		return rc;
	st->comp.len = 0;
	if (st_buf_reserve(&st->comp, bi->length))
		return -ENOMEM;
	rc = pread_full(fd, st->comp.p, bi->length, bi->offset);
	if (rc)
		return rc;
	b = &st->bc[st->bc_next++ % ST_BCACHE_N];
	b->valid = false;
	rc = st_blk_open(st->dctx, st->comp.p, bi->length, &h, &b->raw, &why);
	if (rc)
		return rc;
	if (h.day != day || h.block_no != block || h.nrecs != bi->nrecs)
		return ST_ECORRUPT; /* ST_DEC_MISMATCH */
	if (b->cap < h.nrecs + 1) {
		uint32_t *no = realloc(b->off, (h.nrecs + 1) * sizeof(*no));
		if (!no)
			return -ENOMEM;
		b->off = no;
		int64_t *np = realloc(b->prev, (h.nrecs + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		b->prev = np;
		b->cap = h.nrecs + 1;
	}
	b->day = day;
	b->block = block;
	b->nrecs = h.nrecs;
	b->scanned = 0;
	b->off[0] = 0;
	b->prev[0] = 0;
	b->valid = true;
	*ret = b;
	return 0;
}

int st_block_get(st_store *st, MDB_txn *txn, int32_t day, uint32_t block,
		 struct st_bcache **ret)
{
	uint8_t kb[ST_BLKKEY_LEN];
	struct st_blkinfo bi;
	MDB_val k = {sizeof(kb), kb}, v;

	for (unsigned i = 0; i < ST_BCACHE_N; i++) {
		struct st_bcache *b = &st->bc[i];
		if (b->valid && b->day == day && b->block == block) {
			*ret = b;
			return 0;
		}
	}
	MDB_dbi dbi;
	int rc = st_part_dbi(st, txn, day, PART_BLK, false, &dbi);
	if (rc == -ENOENT) /* the same snapshot names the day: it must be there */
		return ST_ECORRUPT;
	if (rc)
		return rc;
	st_blkkey(kb, block);
	rc = mdb_get(txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return ST_ECORRUPT; /* an index entry names a missing block */
	if (rc)
		return st_mdb_err(rc);
	rc = st_blkinfo_parse(&v, &bi);
	if (rc)
		return rc;
	return block_load(st, day, block, &bi, ret);
}

int st_block_record(struct st_bcache *b, uint32_t idx, struct rt_session *ret)
{
	if (idx >= b->nrecs)
		return ST_ECORRUPT;
	/* Records are delta-coded: find record idx by walking from the last
	 * known offset (validating on the way). */
	while (b->scanned <= idx) {
		uint32_t i = b->scanned;
		struct dp_cur c = dp_cur_make(b->raw.p + b->off[i], b->raw.len - b->off[i]);
		int64_t start, stop;
		if (st_rec_times(&c, b->prev[i], &start, &stop))
			return ST_ECORRUPT;
		b->off[i + 1] = (uint32_t)(b->raw.len - dp_cur_left(&c));
		b->prev[i + 1] = start;
		b->scanned++;
		if (b->scanned == b->nrecs && dp_cur_left(&c) != 0)
			return ST_ECORRUPT; /* ST_DEC_TRAILING */
	}
	struct dp_cur c = dp_cur_make(b->raw.p + b->off[idx], b->raw.len - b->off[idx]);
	if (st_rec_decode(&c, b->prev[idx], ret))
		return ST_ECORRUPT;
	return 0;
}

/* ---- read transaction ------------------------------------------------------------ */

static int rtxn_begin(st_store *st)
{
	int rc;
	if (!st->rtxn)
		rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtxn);
	else
		rc = mdb_txn_renew(st->rtxn);
	if (rc == MDB_MAP_RESIZED) {
		/* a writer with a larger map_size grew the file past our map:
		 * adopt its size (allowed with no transaction active) */
		if (st->rtxn)
			mdb_txn_abort(st->rtxn);
		st->rtxn = NULL;
		rc = mdb_env_set_mapsize(st->env, 0);
		if (!rc)
			rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtxn);
	}
	return st_mdb_err(rc);
}

static void rtxn_end(st_store *st)
{
	if (!st->rtxn)
		return;
	if (st->rtxn_newdbi) {
		/* committing a read-only transaction keeps the partition
		 * handles it opened (a reset would close them) */
		if (mdb_txn_commit(st->rtxn) != 0)
			st_dbic_clear(st);
		st->rtxn = NULL;
		st->rtxn_newdbi = false;
		return;
	}
	mdb_txn_reset(st->rtxn);
}

/* ---- index queries ------------------------------------------------------------------ */

struct openhit {
	int64_t start;
	uint8_t pq;       /* IPv6: prefix length of the entry */
	MDB_val key, val; /* into the map: valid for the read transaction */
};

struct ixhit {
	int64_t start, stop;
	int32_t day;
	uint32_t block, idx;
	uint8_t pq; /* IPv6: prefix length of the entry */
	int32_t row; /* sealed segment: its copy in ixq.rows; -1: version 1 */
};

/* The walk in one day's partition (for each prefix probed). */
struct daywalk {
	const struct st_meta *m;
	int32_t day;
	int64_t lo; /* earliest start that can overlap the query */
};

struct ixq {
	st_store *st;
	const struct daywalk *dw;
	MDB_txn *txn;
	unsigned ix;   /* database (st_ix_db) */
	bool v6;       /* IPv6 address: probe every stored prefix length */
	uint8_t addr6[16];
	uint8_t key[ST_IXKEY_MAX]; /* prefix, then room for the time */
	size_t plen;
	uint8_t pq;    /* IPv6: prefix length being probed */
	int64_t from, to;
	st_row_fn fn;
	void *ctx;
	struct ixhit *ch;
	size_t nch, capch;
	struct openhit *hits;
	size_t nhits, caphits, nexthit;
	/* sealed segments: copies of the records hit */
	struct rt_session *rows;
	size_t nrows, caprows;
	struct st_sealed *sd; /* the one being searched */
	int32_t sday;
};

/* a - b, or INT64_MIN when that is below it (b <= INT64_MAX). */
static int64_t saturating_sub(int64_t a, uint64_t b)
{
	int64_t r;
	if (b > (uint64_t)INT64_MAX || __builtin_sub_overflow(a, (int64_t)b, &r))
		return INT64_MIN;
	return r;
}

/* Does k belong to the prefix; is its time readable?  Open-index keys are
 * value | time; closed-index keys carry the ref after it (exact == false). */
static int ixq_key(const struct ixq *q, const MDB_val *k, bool *ret_match, int64_t *ret_start,
		   bool exact)
{
	if (k->mv_size < q->plen || memcmp(k->mv_data, q->key, q->plen) != 0) {
		*ret_match = false;
		return 0;
	}
	if (exact ? k->mv_size != q->plen + 8 : k->mv_size <= q->plen + 8)
		return ST_ECORRUPT;
	struct dp_cur c = dp_cur_make((const uint8_t *)k->mv_data + q->plen, 8);
	uint64_t t;
	dp_cur_be64(&c, &t);
	*ret_match = true;
	*ret_start = st_time_from_key(t);
	return 0;
}

/* IPv6: set the probe prefix to the address cut at pq bits. */
static void ixq_v6_prefix(struct ixq *q, unsigned pq)
{
	q->pq = (uint8_t)pq;
	q->plen = st_v6_prefix(q->key, q->addr6, pq);
}

/*
 * A walk over sorted index keys: an LMDB tree (the open-session indexes),
 * or one index run of an open day (run.h): its fences in the day's PART_RUN
 * partition, its chunks read from the segment file and checked one by one.
 * ixcur_get(MDB_SET_RANGE) positions at the first key >= *k, MDB_NEXT
 * steps; 0, MDB_NOTFOUND, another LMDB code, or a negative ST_E* / errno.
 */
struct ixcur {
	MDB_cursor *mc; /* the tree, or the fences of run */
	const struct st_runinfo *run;
	int fd;
	uint8_t fk[5 + ST_RUN_KEY_MAX];
	struct st_run_chunk ch, peek;
	uint8_t buf[ST_RUN_CHUNK_MAX];
};

static int ixcur_err(int mrc)
{
	return mrc < 0 ? mrc : st_mdb_err(mrc);
}

static bool ixcur_in_run(const struct ixcur *c, const MDB_val *f)
{
	return f->mv_size > 5 && memcmp(f->mv_data, c->fk, 5) == 0;
}

/* Read and check the chunk a fence (f -> v) names. */
static int ixcur_load(struct ixcur *c, const MDB_val *f, const MDB_val *v, bool first)
{
	struct dp_cur vc = dp_cur_make(v->mv_data, v->mv_size);
	uint64_t off;
	uint32_t len;
	const struct st_runinfo *r = c->run;
	if (v->mv_size != ST_FENCE_LEN || !dp_cur_le64(&vc, &off) || !dp_cur_le32(&vc, &len) ||
	    len < ST_RUN_CHUNK_HDR || len > ST_RUN_CHUNK_MAX || off < r->off + ST_RUN_HDR_LEN ||
	    off > r->off + r->len || len > r->off + r->len - off)
		return ST_ECORRUPT;
	int rc = pread_full(c->fd, c->buf, len, off);
	if (rc)
		return rc;
	/* (after the previous chunk's keys, when walking on) */
	if (st_run_chunk_open(c->buf, len, &c->ch, !first))
		return ST_ECORRUPT;
	/* the chunk begins with its fence's key */
	const uint8_t *k;
	size_t kl;
	c->peek = c->ch;
	if (st_run_chunk_next(&c->peek, &k, &kl) != 1 || kl != f->mv_size - 5 ||
	    memcmp(k, (const uint8_t *)f->mv_data + 5, kl) != 0)
		return ST_ECORRUPT;
	return 0;
}

static int ixcur_step(struct ixcur *c, MDB_val *k)
{
	for (;;) {
		const uint8_t *p;
		size_t l;
		int r = st_run_chunk_next(&c->ch, &p, &l);
		if (r < 0)
			return ST_ECORRUPT;
		if (r == 1) {
			*k = (MDB_val){l, (void *)(uintptr_t)p};
			return 0;
		}
		MDB_val f, v;
		int mrc = mdb_cursor_get(c->mc, &f, &v, MDB_NEXT);
		if (mrc == MDB_NOTFOUND || (mrc == 0 && !ixcur_in_run(c, &f)))
			return MDB_NOTFOUND;
		if (mrc)
			return mrc;
		if ((r = ixcur_load(c, &f, &v, false)))
			return r;
	}
}

static int ixcur_get(struct ixcur *c, MDB_val *k, MDB_cursor_op op)
{
	MDB_val f, v;
	int mrc;
	if (!c->run)
		return mdb_cursor_get(c->mc, k, &v, op);
	if (op == MDB_NEXT)
		return ixcur_step(c, k);
	if (op != MDB_SET_RANGE || k->mv_size > ST_RUN_KEY_MAX)
		return ST_EINVAL;
	MDB_val t = *k;
	memcpy(c->fk + 5, t.mv_data, t.mv_size);
	f = (MDB_val){5 + t.mv_size, c->fk};
	mrc = mdb_cursor_get(c->mc, &f, &v, MDB_SET_RANGE);
	if (mrc && mrc != MDB_NOTFOUND)
		return mrc;
	if (mrc || f.mv_size != 5 + t.mv_size || memcmp(f.mv_data, c->fk, f.mv_size) != 0) {
		/* the chunk holding the target is the one before */
		mrc = mdb_cursor_get(c->mc, &f, &v, mrc ? MDB_LAST : MDB_PREV);
		if (mrc && mrc != MDB_NOTFOUND)
			return mrc;
		if (mrc || !ixcur_in_run(c, &f)) {
			/* before the run's first key: its first chunk */
			f = (MDB_val){5, c->fk};
			mrc = mdb_cursor_get(c->mc, &f, &v, MDB_SET_RANGE);
			if (mrc == MDB_NOTFOUND || (mrc == 0 && !ixcur_in_run(c, &f)))
				return ST_ECORRUPT; /* a run without fences */
			if (mrc)
				return mrc;
		}
	}
	int rc = ixcur_load(c, &f, &v, true);
	if (rc)
		return rc;
	for (;;) {
		rc = ixcur_step(c, k);
		if (rc || st_run_keycmp(k->mv_data, k->mv_size, t.mv_data, t.mv_size) >= 0)
			return rc;
	}
}

/*
 * Run fn for each prefix to probe in the tree under cur: the fixed one, or
 * for IPv6 each prefix length stored there (one seek to find the next
 * length present, so a tree holding /56, /64 and /128 costs three probes).
 */
static int ixq_each_prefix(struct ixq *q, struct ixcur *cur,
			   int (*fn)(struct ixq *, struct ixcur *))
{
	if (!q->v6)
		return fn(q, cur);
	for (unsigned p = 0; p <= 128;) {
		uint8_t b = (uint8_t)p;
		MDB_val k = {1, &b};
		int mrc = ixcur_get(cur, &k, MDB_SET_RANGE);
		if (mrc == MDB_NOTFOUND)
			return 0;
		if (mrc)
			return ixcur_err(mrc);
		if (k.mv_size < 1)
			return ST_ECORRUPT;
		unsigned pq = ((const uint8_t *)k.mv_data)[0];
		if (pq > 128)
			return ST_ECORRUPT;
		ixq_v6_prefix(q, pq);
		int rc = fn(q, cur);
		if (rc)
			return rc;
		p = pq + 1;
	}
	return 0;
}

/* Does the record hold the value probed (prefix pq for IPv6)? */
static bool ixq_rec_matches(const struct ixq *q, const struct rt_session *s, uint8_t pq)
{
	uint8_t kb[ST_IXKEY_MAX], want[17];
	if (!q->v6) {
		size_t kl = st_ix_key(q->ix, s, kb);
		return kl == q->plen + 8 && memcmp(kb, q->key, q->plen) == 0;
	}
	size_t wl = st_v6_prefix(want, q->addr6, pq);
	for (unsigned i = IX_V6P; i <= IX_V6A; i++) {
		size_t kl = st_ix_key(i, s, kb);
		if (kl == wl + 8 && memcmp(kb, want, wl) == 0)
			return true;
	}
	return false;
}

/* Collect the open sessions of X (the current prefix) with start <= to. */
static int ixq_collect_open1(struct ixq *q, struct ixcur *ic)
{
	MDB_cursor *cur = ic->mc;
	MDB_val k, v;
	int rc = 0, mrc;

	st_put_time_key(q->key + q->plen, INT64_MIN);
	k = (MDB_val){q->plen + 8, q->key};
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		bool match;
		int64_t start;
		MDB_val ov;
		rc = ixq_key(q, &k, &match, &start, true);
		if (rc || !match || start > q->to)
			break;
		int grc = mdb_get(q->txn, q->st->db[DB_OPEN], &v, &ov);
		if (grc) {
			rc = grc == MDB_NOTFOUND ? ST_ECORRUPT : st_mdb_err(grc);
			break;
		}
		if (q->nhits == q->caphits) {
			size_t nc = q->caphits ? q->caphits * 2 : 16;
			struct openhit *nh = realloc(q->hits, nc * sizeof(*nh));
			if (!nh) {
				rc = -ENOMEM;
				break;
			}
			q->hits = nh;
			q->caphits = nc;
		}
		q->hits[q->nhits++] = (struct openhit){start, q->pq, v, ov};
	}
	if (rc)
		return rc;
	return mrc == MDB_NOTFOUND || mrc == 0 ? 0 : st_mdb_err(mrc);
}

static int openhit_cmp(const void *x, const void *y)
{
	const struct openhit *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	size_t n = a->key.mv_size < b->key.mv_size ? a->key.mv_size : b->key.mv_size;
	int c = memcmp(a->key.mv_data, b->key.mv_data, n);
	if (c)
		return c;
	return a->key.mv_size < b->key.mv_size ? -1 : a->key.mv_size > b->key.mv_size;
}

static int ixq_collect_open(struct ixq *q)
{
	MDB_cursor *cur;
	int mrc = mdb_cursor_open(q->txn, q->st->db[DB_IXO + q->ix], &cur);
	if (mrc)
		return st_mdb_err(mrc);
	struct ixcur ic = {.mc = cur}; /* an LMDB tree: no run */
	int rc = ixq_each_prefix(q, &ic, ixq_collect_open1);
	mdb_cursor_close(cur);
	if (rc || !q->v6 || q->nhits < 2)
		return rc;
	/* IPv6: one session may match under several prefixes; keep one */
	qsort(q->hits, q->nhits, sizeof(*q->hits), openhit_cmp);
	size_t n = 1;
	for (size_t i = 1; i < q->nhits; i++)
		if (openhit_cmp(&q->hits[i], &q->hits[n - 1]) != 0)
			q->hits[n++] = q->hits[i];
	q->nhits = n;
	return 0;
}

/* Emit collected open sessions that start before `before`. */
static int ixq_emit_open(struct ixq *q, int64_t before, bool all)
{
	struct rt_session *s = &q->st->row;
	while (q->nexthit < q->nhits && (all || q->hits[q->nexthit].start < before)) {
		const struct openhit *h = &q->hits[q->nexthit++];
		struct dp_cur c = dp_cur_make(h->val.mv_data, h->val.mv_size);
		uint8_t okey[ST_OPENKEY_MAX];
		if (st_rec_decode(&c, 0, s) || dp_cur_left(&c) || s->stop_ns != RT_TIME_NONE ||
		    s->start_ns != h->start)
			return ST_ECORRUPT;
		if (!ixq_rec_matches(q, s, h->pq) || st_open_key(s, okey) != h->key.mv_size ||
		    memcmp(okey, h->key.mv_data, h->key.mv_size) != 0)
			return ST_ECORRUPT;
		int rc = q->fn(q->ctx, s);
		if (rc)
			return rc;
	}
	return 0;
}

static int hit_cmp(const void *x, const void *y)
{
	const struct ixhit *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->block != b->block)
		return a->block < b->block ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}


static int ixq_day1(struct ixq *q, struct ixcur *cur)
{
	const struct daywalk *w = q->dw;
	MDB_val k;
	int rc = 0, mrc;

	st_put_time_key(q->key + q->plen, w->lo);
	k = (MDB_val){q->plen + 8, q->key};
	for (mrc = ixcur_get(cur, &k, MDB_SET_RANGE); mrc == 0;
	     mrc = ixcur_get(cur, &k, MDB_NEXT)) {
		bool match;
		int64_t start, stop;
		uint64_t dur;
		uint32_t block, idx, late;

		rc = ixq_key(q, &k, &match, &start, false);
		if (rc || !match || start > q->to)
			break;
		MDB_val ref = {k.mv_size - q->plen - 8, (uint8_t *)k.mv_data + q->plen + 8};
		rc = st_ix_ref_parse(&ref, &dur, &block, &idx, &late);
		if (rc)
			break;
		if (dur > (uint64_t)INT64_MAX - (uint64_t)start) {
			rc = ST_ECORRUPT;
			break;
		}
		stop = st_u2i((uint64_t)start + dur);
		if (st_day_of(stop) + (int32_t)late != w->day) {
			rc = ST_ECORRUPT; /* an entry in the wrong partition */
			break;
		}
		if (stop < q->from || (w->m->horizon != RT_TIME_NONE && stop < w->m->horizon))
			continue;
		if (q->nch == q->capch) {
			size_t nc = q->capch ? q->capch * 2 : 64;
			struct ixhit *nh = realloc(q->ch, nc * sizeof(*nh));
			if (!nh) {
				rc = -ENOMEM;
				break;
			}
			q->ch = nh;
			q->capch = nc;
		}
		q->ch[q->nch++] = (struct ixhit){start, stop, w->day, block, idx, q->pq, -1};
	}
	if (rc)
		return rc;
	return mrc == MDB_NOTFOUND || mrc == 0 ? 0 : ixcur_err(mrc);
}

/* Entries of X in one partition of segment `day` whose sessions start
 * at or after lo. */
static int ixq_part(struct ixq *q, const struct st_meta *m, int32_t day, unsigned tree,
		    int64_t lo)
{
	struct st_runinfo runs[ST_RUN_MAXLIVE];
	size_t nruns = 0;
	struct ixcur ic;
	MDB_cursor *cur;
	MDB_dbi dbi;
	MDB_val k, v;
	uint8_t k0 = ST_RUNKEY_INFO;
	int rc, mrc;

	rc = st_part_dbi(q->st, q->txn, day, PART_RUN, false, &dbi);
	if (rc == -ENOENT)
		return 0; /* no run yet */
	if (rc)
		return rc;
	mrc = mdb_cursor_open(q->txn, dbi, &cur);
	if (mrc)
		return st_mdb_err(mrc);
	/* the day's runs of this tree (a few per level) */
	k = (MDB_val){1, &k0};
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct st_runinfo r;
		if (k.mv_size >= 1 && ((const uint8_t *)k.mv_data)[0] != ST_RUNKEY_INFO)
			break;
		if (st_runinfo_parse(&k, &v, &r)) {
			rc = ST_ECORRUPT;
			break;
		}
		if (r.tree != tree)
			continue;
		if (nruns == ST_RUN_MAXLIVE) {
			rc = ST_ECORRUPT;
			break;
		}
		runs[nruns++] = r;
	}
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = st_mdb_err(mrc);
	int fd = -1;
	if (!rc && nruns)
		rc = st_seg_fd(q->st, day, &fd);
	struct daywalk w = {m, day, lo};
	q->dw = &w;
	for (size_t i = 0; i < nruns && !rc; i++) {
		ic.mc = cur;
		ic.run = &runs[i];
		ic.fd = fd;
		ic.fk[0] = ST_RUNKEY_FENCE;
		st_put_be32(ic.fk + 1, runs[i].id);
		rc = ixq_each_prefix(q, &ic, ixq_day1);
	}
	q->dw = NULL;
	mdb_cursor_close(cur);
	return rc;
}

/* A record of a sealed segment that holds X (prefix pq) and overlaps the
 * query: keep a copy. */
static int ixq_v2_hit(struct ixq *q, uint32_t rec, const struct rt_session *s, uint8_t pq)
{
	const struct st_meta *m = q->dw->m;
	if (s->start_ns > q->to || s->stop_ns < q->from ||
	    (m->horizon != RT_TIME_NONE && s->stop_ns < m->horizon))
		return 0;
	if (!ixq_rec_matches(q, s, pq))
		return 0; /* a hash collision: another value */
	if (q->nch == q->capch) {
		size_t nc = q->capch ? q->capch * 2 : 64;
		struct ixhit *nh = realloc(q->ch, nc * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		q->ch = nh;
		q->capch = nc;
	}
	if (q->nrows == q->caprows) {
		size_t nc = q->caprows ? q->caprows * 2 : 8;
		struct rt_session *nr = realloc(q->rows, nc * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		q->rows = nr;
		q->caprows = nc;
	}
	q->rows[q->nrows] = *s;
	q->ch[q->nch++] = (struct ixhit){s->start_ns, s->stop_ns, q->sday,
					 rec / ST_SEG2_BLOCK_RECS, rec % ST_SEG2_BLOCK_RECS, pq,
					 (int32_t)q->nrows};
	q->nrows++;
	return 0;
}

static int ixq_v2_ip(void *ctx, uint32_t rec, const struct rt_session *s)
{
	struct ixq *q = ctx;
	return ixq_v2_hit(q, rec, s, 0);
}

/* A block named by a hash index: its records holding X. */
static int ixq_v2_blk(void *ctx, uint32_t b)
{
	struct ixq *q = ctx;
	const struct st_col_light *l;
	struct st_sealed_blk e;
	int rc = st_sealed_scan(q->sd, q->st->dctx, b, &l);
	if (rc)
		return rc;
	st_sealed_blk(q->sd, b, &e);
	/* texts: compared through the block's dictionary, only a match is
	 * decoded; IPv6: every record of the block that overlaps */
	unsigned col = q->ix == IX_ACCT ? COL_ACCOUNT : q->ix == IX_CALL ? COL_CALLING : 0;
	for (uint32_t i = 0; i < e.nrecs && !rc; i++) {
		const struct rt_session *r;
		if (l[i].start > q->to || l[i].stop < q->from)
			continue;
		if (col && !st_sealed_text_eq(q->sd, i, col, q->key + 1, q->key[0]))
			continue;
		rc = st_sealed_row(q->sd, q->st->dctx, b, i, &r);
		if (!rc)
			rc = ixq_v2_hit(q, e.first_rec + i, r, q->pq);
	}
	return rc;
}

static int ixq_v2_rec(void *ctx, uint32_t rec)
{
	struct ixq *q = ctx;
	const struct rt_session *s;
	int rc = st_sealed_record(q->sd, q->st->dctx, rec, &s);
	return rc ? rc : ixq_v2_hit(q, rec, s, q->pq);
}

/* X in a sealed segment: the address run (IPv4), the hash index (texts,
 * IPv6 prefixes) when a regular session of the day can overlap the query,
 * else only its long-session table. */
static int ixq_day_v2(struct ixq *q, const struct st_meta *m, int32_t day,
		      const struct st_dayinfo *di)
{
	struct st_sealed *sd;
	bool regular = di->rmin_start <= q->to;
	if (!regular && di->lmin_start > q->to)
		return 0; /* nothing of the day can overlap: not even mapped */
	int rc = st_sealed_get(q->st, day, di->size, &sd);
	if (rc == -ENOENT)
		return ST_ECORRUPT; /* the catalogue names it */
	if (rc)
		return rc;
	struct daywalk w = {m, day, 0};
	q->dw = &w;
	q->sd = sd;
	q->sday = day;
	static const unsigned hk[IXDB_N] = {[IX_IP4] = HK_IP4, [IX_ACCT] = HK_ACCT,
					    [IX_CALL] = HK_CALL, [IX_V6P] = HK_V6};
	unsigned kind = hk[q->ix];
	if (kind == HK_IP4) {
		q->pq = 0;
		rc = regular ? st_sealed_ip4(sd, q->st->dctx, q->key, q->from, q->to, ixq_v2_ip, q)
			     : st_sealed_long(sd, HK_IP4, q->key, 4, q->from, q->to, ixq_v2_rec, q);
	} else if (kind != HK_V6) {
		q->pq = 0;
		rc = regular ? st_sealed_hash(sd, kind, q->key + 1, q->key[0], ixq_v2_blk, q)
			     : st_sealed_long(sd, kind, q->key + 1, q->key[0], q->from, q->to,
					      ixq_v2_rec, q);
	} else {
		enum st_dec why;
		rc = st_sealed_hix_check(sd, HK_V6, &why);
		const uint8_t *pl = sd->hix[HK_V6].plens; /* zero unless valid */
		for (unsigned p = 0; p <= 128 && !rc; p++) {
			if (!(pl[p / 8] >> (p % 8) & 1))
				continue;
			uint8_t k[17];
			size_t kl = st_v6_prefix(k, q->addr6, p);
			q->pq = (uint8_t)p;
			rc = regular ? st_sealed_hash(sd, HK_V6, k, kl, ixq_v2_blk, q)
				     : st_sealed_long(sd, HK_V6, k, kl, q->from, q->to, ixq_v2_rec, q);
		}
	}
	q->dw = NULL;
	q->sd = NULL;
	return rc;
}

/* Entries of X in segment `day` that may overlap [from, to]: in the
 * regular partition a walk bounded by one day (ST_LONG_NS), in the long
 * one (searched only when a long session of the day starts by `to`) a walk
 * bounded by the day's longest session.  One seek each (per IPv6 prefix
 * length). */
static int ixq_day(struct ixq *q, const struct st_meta *m, int32_t day,
		   const struct st_dayinfo *di)
{
	int rc = 0;
	if (di->flags & ST_DAY_SEALED2)
		return ixq_day_v2(q, m, day, di);
	if (di->rmin_start <= q->to) {
		uint64_t rdur = di->maxdur < (uint64_t)ST_LONG_NS ? di->maxdur : (uint64_t)ST_LONG_NS;
		int64_t lo = saturating_sub(q->from, rdur);
		rc = ixq_part(q, m, day, q->ix, lo < di->rmin_start ? di->rmin_start : lo);
	}
	if (!rc && di->lmin_start <= q->to) {
		int64_t lo = saturating_sub(q->from, di->maxdur);
		rc = ixq_part(q, m, day, IXDB_N + q->ix, lo < di->lmin_start ? di->lmin_start : lo);
	}
	return rc;
}

static int ixq_run(struct ixq *q, const struct st_meta *m)
{
	struct rt_session *s = &q->st->row;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t dk[ST_DAYKEY_LEN];
	int rc, mrc;

	if (q->from > q->to)
		return 0;
	rc = ixq_collect_open(q);
	if (rc)
		return rc;

	/* Candidate segments: a record of day D has stop <= end of D, so
	 * D >= day(from); and D's earliest start must be <= to. */
	st_daykey(dk, st_day_of(q->from));
	k = (MDB_val){sizeof(dk), dk};
	mrc = mdb_cursor_open(q->txn, q->st->db[DB_DAYS], &cur);
	if (mrc)
		return st_mdb_err(mrc);
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct st_dayinfo di;
		if (k.mv_size != ST_DAYKEY_LEN || st_dayinfo_parse(&v, &di)) {
			rc = ST_ECORRUPT;
			break;
		}
		if (di.min_start > q->to || di.max_stop < q->from)
			continue;
		rc = ixq_day(q, m, st_daykey_day(k.mv_data), &di);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	if (rc)
		return rc;
	if (mrc && mrc != MDB_NOTFOUND)
		return st_mdb_err(mrc);

	if (q->nch > 1)
		qsort(q->ch, q->nch, sizeof(*q->ch), hit_cmp);
	for (size_t i = 0; i < q->nch; i++) {
		const struct ixhit *h = &q->ch[i];
		struct st_bcache *b;
		if (i && hit_cmp(h, h - 1) == 0)
			continue; /* IPv6: the same record under two prefixes */
		rc = ixq_emit_open(q, h->start, false);
		if (rc)
			return rc;
		if (h->row >= 0) { /* a sealed segment's record, checked */
			rc = q->fn(q->ctx, &q->rows[h->row]);
			if (rc)
				return rc;
			continue;
		}
		rc = st_block_get(q->st, q->txn, h->day, h->block, &b);
		if (!rc)
			rc = st_block_record(b, h->idx, s);
		if (rc)
			return rc;
		if (s->start_ns != h->start || s->stop_ns != h->stop ||
		    !ixq_rec_matches(q, s, h->pq))
			return ST_ECORRUPT;
		rc = q->fn(q->ctx, s);
		if (rc)
			return rc;
	}
	return ixq_emit_open(q, 0, true);
}

/* ---- export ------------------------------------------------------------------------- */

static bool keep_row(const struct rt_session *s, int64_t from, int64_t to, int64_t horizon,
		     const struct rt_addr *nas)
{
	if (nas && (s->nas_ip.family != nas->family ||
		    memcmp(s->nas_ip.a, nas->a, nas->family == 4 ? 4 : 16) != 0))
		return false;
	if (s->start_ns > to)
		return false;
	if (s->stop_ns == RT_TIME_NONE)
		return true;
	return s->stop_ns >= from && (horizon == RT_TIME_NONE || s->stop_ns >= horizon);
}

static bool keep_row(const struct rt_session *s, int64_t from, int64_t to, int64_t horizon,
		     const struct rt_addr *nas);

/* Export of a sealed segment: its blocks in order (records by address). */
static int q_all_day_v2(st_store *st, int32_t day, const struct st_dayinfo *di, int64_t from,
			int64_t to, int64_t horizon, const struct rt_addr *nas, st_row_fn fn,
			void *ctx)
{
	struct st_sealed *sd;
	enum st_dec why;
	int rc = st_sealed_get(st, day, di->size, &sd);
	if (rc)
		return rc == -ENOENT ? ST_ECORRUPT : rc; /* the catalogue names it */
	/* an export reads the whole day: the whole file is checked first,
	 * hash sections included (their check is kept for later queries) */
	for (unsigned k = HK_ACCT; k < HK_N && !rc; k++)
		rc = st_sealed_hix_check(sd, k, &why);
	for (uint32_t b = 0; b < sd->nblocks && !rc; b++) {
		struct st_sealed_blk e;
		const struct rt_session *rows;
		st_sealed_blk(sd, b, &e);
		if (e.max_stop < from || e.min_start > to ||
		    (horizon != RT_TIME_NONE && e.max_stop < horizon))
			continue;
		rc = st_sealed_block(sd, st->dctx, b, &rows);
		for (uint32_t i = 0; i < e.nrecs && !rc; i++) {
			if (!keep_row(&rows[i], from, to, horizon, nas))
				continue;
			st->row = rows[i]; /* the callback may run another handle */
			rc = fn(ctx, &st->row);
		}
	}
	return rc;
}

static int q_all_day(st_store *st, MDB_txn *txn, int32_t day, int64_t from, int64_t to,
		     int64_t horizon, const struct rt_addr *nas, st_row_fn fn, void *ctx)
{
	uint8_t kb[ST_BLKKEY_LEN];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = 0, mrc;

	MDB_dbi dbi;
	(void)kb;
	rc = st_part_dbi(st, txn, day, PART_BLK, false, &dbi);
	if (rc)
		return rc == -ENOENT ? ST_ECORRUPT : rc; /* a day without blocks */
	mrc = mdb_cursor_open(txn, dbi, &cur);
	if (mrc)
		return st_mdb_err(mrc);
	uint32_t expect = 0;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), expect++) {
		struct st_blkinfo bi;
		struct st_bcache *b;
		if (k.mv_size != ST_BLKKEY_LEN) {
			rc = ST_ECORRUPT;
			break;
		}
		const uint8_t *kp = k.mv_data;
		uint32_t block = (uint32_t)kp[0] << 24 | (uint32_t)kp[1] << 16 |
				 (uint32_t)kp[2] << 8 | kp[3];
		if (block != expect || st_blkinfo_parse(&v, &bi)) {
			rc = ST_ECORRUPT;
			break;
		}
		if (bi.max_stop < from || bi.min_start > to ||
		    (horizon != RT_TIME_NONE && bi.max_stop < horizon))
			continue;
		rc = block_load(st, day, block, &bi, &b);
		if (rc)
			break;
		struct dp_cur c = dp_cur_make(b->raw.p, b->raw.len);
		int64_t prev = 0;
		for (uint32_t i = 0; i < b->nrecs && !rc; i++) {
			if (st_rec_decode(&c, prev, &st->row) || st->row.stop_ns == RT_TIME_NONE ||
			    st_day_of(st->row.stop_ns) > day) {
				rc = ST_ECORRUPT;
				break;
			}
			prev = st->row.start_ns;
			if (keep_row(&st->row, from, to, horizon, nas))
				rc = fn(ctx, &st->row);
		}
		if (!rc && dp_cur_left(&c))
			rc = ST_ECORRUPT; /* ST_DEC_TRAILING */
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	if (rc)
		return rc;
	return mrc == MDB_NOTFOUND ? 0 : st_mdb_err(mrc);
}

static int q_all(st_store *st, MDB_txn *txn, const struct st_meta *m, int64_t from, int64_t to,
		 const struct rt_addr *nas, st_row_fn fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = 0, mrc;

	if (from > to)
		return 0;
	mrc = mdb_cursor_open(txn, st->db[DB_DAYS], &cur);
	if (mrc)
		return st_mdb_err(mrc);
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct st_dayinfo di;
		if (k.mv_size != ST_DAYKEY_LEN || st_dayinfo_parse(&v, &di)) {
			rc = ST_ECORRUPT;
			break;
		}
		int32_t day = st_daykey_day(k.mv_data);
		int64_t day_end = st_day_start(day + 1); /* exclusive */
		/* a segment holds the sessions that stopped that day */
		if (day_end <= from || (m->horizon != RT_TIME_NONE && day_end <= m->horizon) ||
		    di.min_start > to)
			continue;
		if (di.flags & ST_DAY_SEALED2)
			rc = q_all_day_v2(st, day, &di, from, to, m->horizon, nas, fn, ctx);
		else
			rc = q_all_day(st, txn, day, from, to, m->horizon, nas, fn, ctx);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	if (rc)
		return rc;
	if (mrc && mrc != MDB_NOTFOUND)
		return st_mdb_err(mrc);

	mrc = mdb_cursor_open(txn, st->db[DB_OPEN], &cur);
	if (mrc)
		return st_mdb_err(mrc);
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct dp_cur c = dp_cur_make(v.mv_data, v.mv_size);
		if (st_rec_decode(&c, 0, &st->row) || dp_cur_left(&c) ||
		    st->row.stop_ns != RT_TIME_NONE) {
			rc = ST_ECORRUPT;
			break;
		}
		if (st->row.start_ns <= to && keep_row(&st->row, from, to, RT_TIME_NONE, nas)) {
			rc = fn(ctx, &st->row);
			if (rc)
				break;
		}
	}
	mdb_cursor_close(cur);
	if (rc)
		return rc;
	return mrc == MDB_NOTFOUND ? 0 : st_mdb_err(mrc);
}

/* ---- entry point ------------------------------------------------------------------- */

/* Whether a fresh snapshot's meta shows a seal or an expiry that m's
 * snapshot predates. */
static bool moved_since(st_store *st, const struct st_meta *m)
{
	struct st_meta now;
	if (rtxn_begin(st))
		return false;
	int rc = st_meta_get(st, st->rtxn, &now);
	rtxn_end(st);
	return !rc && (now.nseals != m->nseals || now.seal_day != m->seal_day ||
		       now.horizon != m->horizon);
}

int st_store_query(st_store *st, const struct st_query *q, st_row_fn fn, void *ctx)
{
	struct ixq x = {0};
	struct st_meta m;
	bool have_meta = false;
	int rc;

	if (!q || !fn)
		return ST_EINVAL;
	if ((q->kind == ST_Q_ACCOUNT || q->kind == ST_Q_CALLING) &&
	    (q->text_len > RT_TEXT_MAX || (q->text_len && !q->text)))
		return ST_EINVAL;
	if (st->busy)
		return ST_EINVAL;
	st->busy = true;
	rc = rtxn_begin(st);
	if (rc)
		goto out_busy;
	rc = st_meta_get(st, st->rtxn, &m);
	if (rc == ST_ENOSTORE)
		rc = ST_ECORRUPT;
	if (rc)
		goto out_txn;
	have_meta = true;

	x.st = st;
	x.txn = st->rtxn;
	x.fn = fn;
	x.ctx = ctx;
	x.from = q->from_ns;
	x.to = q->to_ns;
	switch (q->kind) {
	case ST_Q_IPV4_AT:
		x.to = x.from;
		/* fall through */
	case ST_Q_IPV4_RANGE:
		x.ix = IX_IP4;
		memcpy(x.key, q->ipv4, 4);
		x.plen = 4;
		rc = ixq_run(&x, &m);
		break;
	case ST_Q_ACCOUNT:
	case ST_Q_CALLING:
		if (q->text_len == 0) /* empty text is never indexed */
			break;
		x.ix = q->kind == ST_Q_ACCOUNT ? IX_ACCT : IX_CALL;
		x.key[0] = (uint8_t)q->text_len;
		memcpy(x.key + 1, q->text, q->text_len);
		x.plen = 1 + q->text_len;
		rc = ixq_run(&x, &m);
		break;
	case ST_Q_IPV6_AT:
		x.to = x.from;
		/* fall through */
	case ST_Q_IPV6_RANGE:
		x.ix = IX_V6P;
		x.v6 = true;
		memcpy(x.addr6, q->ipv6, 16);
		rc = ixq_run(&x, &m);
		break;
	case ST_Q_ALL:
		rc = q_all(st, st->rtxn, &m, q->from_ns, q->to_ns, NULL, fn, ctx);
		break;
	case ST_Q_NAS_RANGE:
		if (q->nas.family != 4 && q->nas.family != 6) {
			rc = ST_EINVAL;
			break;
		}
		rc = q_all(st, st->rtxn, &m, q->from_ns, q->to_ns, &q->nas, fn, ctx);
		break;
	default:
		rc = ST_EINVAL;
		break;
	}
	free(x.hits);
	free(x.ch);
	free(x.rows);
out_txn:
	rtxn_end(st);
	/* A day's file read after a seal install (renamed over the v1 file)
	 * or an expiry (unlinked) that this snapshot predates fails to decode
	 * or to open: the store is intact, the snapshot is old.  Say so. */
	if (have_meta && (rc == ST_ECORRUPT || rc == ST_EVERSION || rc == -ENOENT) &&
	    moved_since(st, &m))
		rc = ST_ERETRY;
out_busy:
	st->busy = false;
	return rc;
}
