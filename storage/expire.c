/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Retention: st_store_expire().
 *
 * cut = now - retention; a closed session is due when stop < cut.  Days are
 * visited in order:
 *  - a day that ends at or before cut is wholly due: its records are
 *    decoded to find their index entries, which are deleted with the day's
 *    catalogue entries; the file is unlinked after the transaction commits
 *    (a crash in between leaves an unreferenced file, removed on the next
 *    writable open);
 *  - the day that contains cut is partly due: the index entries of its due
 *    records are deleted and the horizon (meta) moves to cut so that export
 *    skips them; the records stay in the file until the day is wholly due;
 *  - later days are untouched.
 * The horizon only grows, and puts of sessions that stopped before it are
 * refused (ST_EEXPIRED), so every record below the horizon has had its
 * index entries removed exactly once.
 *
 * A segment that cannot be decoded must still expire (retention is a legal
 * duty): its index entries are then found by scanning the indexes for
 * references to that day.  Slow, but only on damage; the log says so.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

struct removal {
	int32_t day;
	bool whole;
	bool corrupt;
	bool has_sha;
	uint64_t sessions;
	uint64_t bytes;
	uint8_t sha[32];
};

struct expirer {
	st_store *st;
	MDB_txn *txn;
	int64_t old_h; /* INT64_MIN when never expired */
	int64_t cut;
	struct st_buf raw;
	struct rt_session s;
};

/* Delete the closed-index entries of one record (ref block/idx). */
static int unindex_record(struct expirer *x, const struct rt_session *s, uint32_t block,
			  uint32_t idx)
{
	uint8_t key[ST_IXKEY_MAX], ref[ST_IXREF_MAX];
	size_t rl = st_ix_ref((uint64_t)s->stop_ns - (uint64_t)s->start_ns, block, idx, ref);
	for (unsigned i = 0; i < IX_N; i++) {
		MDB_val k = {st_ix_key(i, s, key), key}, d = {rl, ref};
		if (!k.mv_size)
			continue;
		int rc = mdb_del(x->txn, x->st->db[DB_IX + i], &k, &d);
		if (rc && rc != MDB_NOTFOUND)
			return st_mdb_err(rc);
	}
	return 0;
}

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

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Damage path: delete every closed-index entry that refers to `day` with
 * lo <= stop < hi, by scanning the indexes.  Counts distinct records.
 */
static int scan_unindex(struct expirer *x, int32_t day, int64_t lo, int64_t hi,
			uint64_t *ret_count)
{
	uint64_t *refs = NULL;
	size_t nrefs = 0, cap = 0;
	int rc = 0;

	for (unsigned i = 0; i < IX_N && !rc; i++) {
		MDB_cursor *cur;
		MDB_val k, v;
		int mrc = mdb_cursor_open(x->txn, x->st->db[DB_IX + i], &cur);
		if (mrc)
			return st_mdb_err(mrc);
		/* after mdb_cursor_del, MDB_NEXT yields the entry that followed */
		for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
		     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			uint64_t dur, t;
			uint32_t block, idx;
			if (k.mv_size < 8 || st_ix_ref_parse(&v, &dur, &block, &idx))
				continue; /* not ours to judge here */
			struct dp_cur c =
				dp_cur_make((const uint8_t *)k.mv_data + k.mv_size - 8, 8);
			dp_cur_be64(&c, &t);
			int64_t start = st_time_from_key(t);
			if (dur > (uint64_t)INT64_MAX - (uint64_t)start)
				continue;
			int64_t stop = st_u2i((uint64_t)start + dur);
			if (st_day_of(stop) != day || stop < lo || stop >= hi)
				continue;
			mrc = mdb_cursor_del(cur, 0);
			if (mrc)
				break;
			if (nrefs == cap) {
				size_t nc = cap ? cap * 2 : 1024;
				uint64_t *nr = realloc(refs, nc * sizeof(*nr));
				if (!nr) {
					rc = -ENOMEM;
					break;
				}
				refs = nr;
				cap = nc;
			}
			refs[nrefs++] = (uint64_t)block << 32 | idx;
		}
		mdb_cursor_close(cur);
		if (!rc && mrc && mrc != MDB_NOTFOUND)
			rc = st_mdb_err(mrc);
	}
	if (!rc) {
		uint64_t n = 0;
		if (nrefs > 1)
			qsort(refs, nrefs, sizeof(*refs), u64_cmp);
		for (size_t i = 0; i < nrefs; i++)
			n += i == 0 || refs[i] != refs[i - 1];
		*ret_count = n;
	}
	free(refs);
	return rc;
}

/*
 * Decode one block of the day and unindex its records with
 * lo <= stop < hi.  Returns ST_ECORRUPT on any validation failure (the
 * caller falls back to scan_unindex).  If sha is given the compressed
 * bytes are hashed.
 */
static int block_unindex(struct expirer *x, int fd, int32_t day, uint32_t block,
			 const struct st_blkinfo *bi, int64_t lo, int64_t hi, EVP_MD_CTX *sha,
			 uint64_t *ret_count)
{
	st_store *st = x->st;
	struct st_blk_hdr h;
	enum st_dec why;
	uint64_t n = 0;
	int rc;

	st->comp.len = 0;
	if (st_buf_reserve(&st->comp, bi->length))
		return -ENOMEM;
	rc = pread_full(fd, st->comp.p, bi->length, bi->offset);
	if (rc)
		return rc;
	if (sha && EVP_DigestUpdate(sha, st->comp.p, bi->length) != 1)
		return -ENOMEM;
	rc = st_blk_open(st->dctx, st->comp.p, bi->length, &h, &x->raw, &why);
	if (rc)
		return rc;
	if (h.day != day || h.block_no != block || h.nrecs != bi->nrecs)
		return ST_ECORRUPT;
	struct dp_cur c = dp_cur_make(x->raw.p, x->raw.len);
	int64_t prev = 0;
	for (uint32_t i = 0; i < h.nrecs; i++) {
		if (st_rec_decode(&c, prev, &x->s) || x->s.stop_ns == RT_TIME_NONE ||
		    st_day_of(x->s.stop_ns) != day)
			return ST_ECORRUPT;
		prev = x->s.start_ns;
		if (x->s.stop_ns < lo || x->s.stop_ns >= hi)
			continue;
		rc = unindex_record(x, &x->s, block, i);
		if (rc)
			return rc;
		n++;
	}
	if (dp_cur_left(&c))
		return ST_ECORRUPT;
	*ret_count = n;
	return 0;
}

/* Block entries of a day, in order. */
static int day_blocks(struct expirer *x, int32_t day, struct st_blkinfo **ret, size_t *ret_n)
{
	uint8_t kb[ST_BLKKEY_LEN];
	struct st_blkinfo *v = NULL;
	size_t n = 0, cap = 0;
	MDB_cursor *cur;
	MDB_val k, d;
	int rc = 0, mrc;

	st_blkkey(kb, day, 0);
	k = (MDB_val){sizeof(kb), kb};
	mrc = mdb_cursor_open(x->txn, x->st->db[DB_BLOCKS], &cur);
	if (mrc)
		return st_mdb_err(mrc);
	for (mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (k.mv_size != ST_BLKKEY_LEN || memcmp(k.mv_data, kb, ST_DAYKEY_LEN) != 0)
			break;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct st_blkinfo *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		const uint8_t *kp = k.mv_data;
		uint32_t block = (uint32_t)kp[4] << 24 | (uint32_t)kp[5] << 16 |
				 (uint32_t)kp[6] << 8 | kp[7];
		if (block != n || st_blkinfo_parse(&d, &v[n])) {
			rc = ST_ECORRUPT;
			break;
		}
		n++;
	}
	mdb_cursor_close(cur);
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = st_mdb_err(mrc);
	if (rc) {
		free(v);
		return rc;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int day_delete_catalog(struct expirer *x, int32_t day)
{
	uint8_t kb[ST_BLKKEY_LEN];
	MDB_cursor *cur;
	MDB_val k, d;
	int mrc;

	st_blkkey(kb, day, 0);
	k = (MDB_val){sizeof(kb), kb};
	mrc = mdb_cursor_open(x->txn, x->st->db[DB_BLOCKS], &cur);
	if (mrc)
		return st_mdb_err(mrc);
	for (mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (k.mv_size < ST_DAYKEY_LEN || memcmp(k.mv_data, kb, ST_DAYKEY_LEN) != 0)
			break;
		mrc = mdb_cursor_del(cur, 0);
		if (mrc)
			break;
	}
	mdb_cursor_close(cur);
	if (mrc && mrc != MDB_NOTFOUND)
		return st_mdb_err(mrc);
	uint8_t dk[ST_DAYKEY_LEN];
	st_daykey(dk, day);
	k = (MDB_val){sizeof(dk), dk};
	mrc = mdb_del(x->txn, x->st->db[DB_DAYS], &k, NULL);
	return mrc == MDB_NOTFOUND ? 0 : st_mdb_err(mrc);
}

static int seg_open(st_store *st, int32_t day, int *ret_fd)
{
	char name[24];
	st_day_name(day, name);
	strcat(name, ".seg");
	int fd = openat(st->segfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

static int expire_whole(struct expirer *x, const struct st_pday *d, struct removal *r)
{
	struct st_blkinfo *bi = NULL;
	size_t nb = 0;
	EVP_MD_CTX *sha = NULL;
	int fd = -1, rc;
	bool damaged = false;

	r->day = d->day;
	r->whole = true;
	r->sessions = d->ci.nrecs - d->ci.nexpired;
	r->bytes = d->ci.size;

	rc = day_blocks(x, d->day, &bi, &nb);
	if (rc == ST_ECORRUPT)
		damaged = true;
	else if (rc)
		return rc;
	if (!damaged && seg_open(x->st, d->day, &fd) != 0)
		damaged = true;
	if (!damaged) {
		struct stat sb;
		uint8_t hdr[ST_SEG_HDR_LEN];
		int32_t hday;
		if (fstat(fd, &sb) == 0)
			r->bytes = (uint64_t)sb.st_size;
		sha = EVP_MD_CTX_new();
		if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
			rc = -ENOMEM;
			goto out_fd;
		}
		struct dp_cur hc = dp_cur_make(hdr, sizeof(hdr));
		if (pread_full(fd, hdr, sizeof(hdr), 0) || st_seg_hdr_parse(&hc, &hday) ||
		    hday != d->day || EVP_DigestUpdate(sha, hdr, sizeof(hdr)) != 1)
			damaged = true;
	}
	/* Blocks back to back from the header to the committed end. */
	uint64_t next = ST_SEG_HDR_LEN;
	for (size_t i = 0; i < nb && !damaged; i++) {
		uint64_t n;
		if (bi[i].offset != next) {
			damaged = true;
			break;
		}
		next += bi[i].length;
		rc = block_unindex(x, fd, d->day, (uint32_t)i, &bi[i], x->old_h, INT64_MAX, sha,
				   &n);
		if (rc == ST_ECORRUPT || rc == ST_EVERSION)
			damaged = true;
		else if (rc)
			goto out_fd;
	}
	if (!damaged && next != d->ci.size)
		damaged = true;
	if (damaged) {
		uint64_t n;
		r->corrupt = true;
		rc = scan_unindex(x, d->day, x->old_h, INT64_MAX, &n);
		if (rc)
			goto out_fd;
	} else {
		unsigned len = 0;
		r->has_sha = EVP_DigestFinal_ex(sha, r->sha, &len) == 1 && len == 32;
	}
	rc = day_delete_catalog(x, d->day);

out_fd:
	EVP_MD_CTX_free(sha);
	if (fd >= 0)
		close(fd);
	free(bi);
	return rc;
}

static int expire_partial(struct expirer *x, const struct st_pday *d, struct removal *r)
{
	struct st_blkinfo *bi = NULL;
	size_t nb = 0;
	int fd = -1, rc;
	bool damaged = false;
	uint64_t count = 0;

	r->day = d->day;
	rc = day_blocks(x, d->day, &bi, &nb);
	if (rc == ST_ECORRUPT)
		damaged = true;
	else if (rc)
		return rc;
	for (size_t i = 0; i < nb && !damaged; i++) {
		uint64_t n;
		/* only blocks holding records with old_h <= stop < cut */
		if (bi[i].min_stop >= x->cut || bi[i].max_stop < x->old_h)
			continue;
		if (fd < 0 && seg_open(x->st, d->day, &fd) != 0) {
			damaged = true;
			break;
		}
		rc = block_unindex(x, fd, d->day, (uint32_t)i, &bi[i], x->old_h, x->cut, NULL, &n);
		if (rc == ST_ECORRUPT || rc == ST_EVERSION)
			damaged = true;
		else if (rc)
			goto out_fd;
		count += n;
	}
	if (damaged) {
		/* entries already removed above are not found again: count
		 * what the scan finds on top */
		uint64_t n;
		r->corrupt = true;
		rc = scan_unindex(x, d->day, x->old_h, x->cut, &n);
		if (rc)
			goto out_fd;
		count += n;
	}
	r->sessions = count;
	if (count) {
		struct st_dayinfo ci = d->ci;
		uint8_t kb[ST_DAYKEY_LEN], vb[ST_DAYINFO_LEN];
		ci.nexpired += count;
		if (ci.nexpired > ci.nrecs)
			ci.nexpired = ci.nrecs;
		st_daykey(kb, d->day);
		st_dayinfo_write(vb, &ci);
		MDB_val k = {sizeof(kb), kb}, v = {sizeof(vb), vb};
		rc = st_mdb_err(mdb_put(x->txn, x->st->db[DB_DAYS], &k, &v, 0));
	}

out_fd:
	if (fd >= 0)
		close(fd);
	free(bi);
	return rc;
}

static int log_removals(st_store *st, int64_t now, int64_t horizon, const struct removal *r,
			size_t n)
{
	char run[40], hz[40];
	int fd, rc = 0;

	if (!n)
		return 0;
	fd = openat(st->dirfd, "expiry.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	st_time_rfc3339(now, run);
	st_time_rfc3339(horizon, hz);
	for (size_t i = 0; i < n && !rc; i++) {
		char line[512], day[16], sha[65] = "-";
		if (r[i].has_sha)
			for (unsigned j = 0; j < 32; j++)
				snprintf(sha + 2 * j, 3, "%02x", r[i].sha[j]);
		st_day_name(r[i].day, day);
		int len = snprintf(line, sizeof(line),
				   "%s expire segment=%s kind=%s sessions=%llu bytes=%llu "
				   "sha256=%s horizon=%s%s\n",
				   run, day, r[i].whole ? "whole" : "partial",
				   (unsigned long long)r[i].sessions,
				   (unsigned long long)(r[i].whole ? r[i].bytes : 0), sha, hz,
				   r[i].corrupt ? " damaged=1" : "");
		const char *p = line;
		size_t left = (size_t)len;
		while (left) {
			ssize_t w = write(fd, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = w < 0 ? -errno : -EIO;
				break;
			}
			p += w;
			left -= (size_t)w;
		}
	}
	if (!rc && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (!rc && fsync(st->dirfd) != 0) /* the log may be new */
		rc = -errno;
	return rc;
}

int st_store_expire(st_store *st, int64_t now_ns, int64_t retention_ns,
		    struct st_expire_report *ret)
{
	struct st_expire_report rep = {0};
	struct removal *rem = NULL;
	struct expirer *x = NULL;
	size_t nrem = 0;
	int64_t cut;
	int rc;

	if (!st->writable)
		return ST_EREADONLY;
	if (retention_ns <= 0)
		return ST_EINVAL;
	rc = st_store_commit(st);
	if (rc)
		return rc;
	if (__builtin_sub_overflow(now_ns, retention_ns, &cut))
		cut = INT64_MIN;
	rep.horizon_ns = st->meta.horizon;
	if (cut == INT64_MIN || (st->meta.horizon != RT_TIME_NONE && cut <= st->meta.horizon))
		goto out_report; /* nothing can be due that was not already */

	x = calloc(1, sizeof(*x));
	rem = calloc(st->ndays ? st->ndays : 1, sizeof(*rem));
	if (!x || !rem) {
		rc = -ENOMEM;
		goto out_free;
	}
	x->st = st;
	x->cut = cut;
	x->old_h = st->meta.horizon == RT_TIME_NONE ? INT64_MIN : st->meta.horizon;
	rc = st_mdb_err(mdb_txn_begin(st->env, NULL, 0, &x->txn));
	if (rc)
		goto out_free;
	for (size_t i = 0; i < st->ndays; i++) {
		const struct st_pday *d = st->days[i];
		if (!d->known)
			continue;
		memset(&rem[nrem], 0, sizeof(rem[nrem]));
		if (st_day_start(d->day + 1) <= cut)
			rc = expire_whole(x, d, &rem[nrem]);
		else if (st_day_start(d->day) < cut)
			rc = expire_partial(x, d, &rem[nrem]);
		else
			break;
		if (rc)
			goto out_txn;
		if (rem[nrem].whole || rem[nrem].sessions)
			nrem++;
	}
	struct st_meta m = st->meta;
	m.horizon = cut;
	for (size_t i = 0; i < nrem; i++) {
		rep.sessions_removed += rem[i].sessions;
		if (rem[i].whole) {
			rep.segments_removed++;
			rep.bytes_freed += rem[i].bytes;
		}
	}
	m.nclosed = m.nclosed > rep.sessions_removed ? m.nclosed - rep.sessions_removed : 0;
	{
		uint8_t b[ST_META_LEN];
		st_meta_write(b, &m);
		MDB_val k = {5, (void *)"store"}, v = {sizeof(b), b};
		rc = st_mdb_err(mdb_put(x->txn, st->db[DB_META], &k, &v, 0));
	}
	if (rc)
		goto out_txn;
	rc = st_mdb_err(mdb_txn_commit(x->txn));
	x->txn = NULL;
	if (rc)
		goto out_free;
	st->meta = m;
	rep.horizon_ns = cut;

	/* Committed: the removed segments are unreferenced now. */
	bool unlinked = false;
	for (size_t i = 0; i < nrem; i++) {
		struct st_pday *d;
		if (!rem[i].whole) {
			if (st_pday_find(st, rem[i].day, &d) == 0) {
				d->ci.nexpired += rem[i].sessions;
				if (d->ci.nexpired > d->ci.nrecs)
					d->ci.nexpired = d->ci.nrecs;
			}
			continue;
		}
		char name[24];
		st_day_name(rem[i].day, name);
		strcat(name, ".seg");
		st_cache_drop_day(st, rem[i].day);
		if (unlinkat(st->segfd, name, 0) == 0)
			unlinked = true;
		st_pday_remove(st, rem[i].day);
	}
	if (unlinked)
		fsync(st->segfd);
	rc = log_removals(st, now_ns, cut, rem, nrem);
	goto out_report;

out_txn:
	mdb_txn_abort(x->txn);
	goto out_free;
out_report:
	if (ret)
		*ret = rep;
out_free:
	if (x)
		st_buf_done(&x->raw);
	free(x);
	free(rem);
	return rc;
}
