/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Retention: st_store_expire().
 *
 * cut = now - retention; a closed session is due when stop < cut.  Days are
 * visited in order:
 *  - a day that ends at or before cut is wholly due: its partitions (index
 *    and block trees, FORMAT.md "Catalogue") are dropped and its day entry
 *    deleted in the transaction, nothing is decoded; the file is unlinked
 *    after the transaction commits (a crash in between leaves an
 *    unreferenced file, removed on the next writable open), its blocks
 *    freed by a reaper thread (reap_start);
 *  - the day that contains cut is partly due: the horizon (meta) moves to
 *    cut, so that queries and export skip its due records, which are
 *    counted (from block entries; blocks across a bound are decoded) and
 *    stay until the day is wholly due;
 *  - later days are untouched.
 * The horizon only grows, and puts of sessions that stopped before it are
 * refused (ST_EEXPIRED).  A damaged segment expires all the same (retention
 * is a legal duty): nothing of it needs decoding; the log says damaged=1.
 */
#include "store_int.h"
#include "sealed.h"
#include "segbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <pthread.h>

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

/*
 * Decode one block of the day and count its (not late) records with
 * lo <= stop < hi.  ST_ECORRUPT on any validation failure.
 */
static int block_count(struct expirer *x, int fd, int32_t day, uint32_t block,
		       const struct st_blkinfo *bi, int64_t lo, int64_t hi, uint64_t *ret_count)
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
	rc = st_blk_open(st->dctx, st->comp.p, bi->length, &h, &x->raw, &why);
	if (rc)
		return rc;
	if (h.day != day || h.block_no != block || h.nrecs != bi->nrecs)
		return ST_ECORRUPT;
	struct dp_cur c = dp_cur_make(x->raw.p, x->raw.len);
	int64_t prev = 0;
	for (uint32_t i = 0; i < h.nrecs; i++) {
		if (st_rec_decode(&c, prev, &x->s) || x->s.stop_ns == RT_TIME_NONE ||
		    st_day_of(x->s.stop_ns) > day ||
		    day - st_day_of(x->s.stop_ns) >= (int32_t)ST_LATE_MAX)
			return ST_ECORRUPT;
		prev = x->s.start_ns;
		/* A late record (stored after its stop day was sealed, FORMAT.md
		 * "Sealing") is hidden by the horizon like any other, and
		 * counted when its segment goes whole, never in a partial pass. */
		if (st_day_of(x->s.stop_ns) != day)
			continue;
		n += x->s.stop_ns >= lo && x->s.stop_ns < hi;
	}
	if (dp_cur_left(&c))
		return ST_ECORRUPT;
	*ret_count = n;
	return 0;
}

/* Block entries of a day (its "blk." partition), in order. */
static int day_blocks(struct expirer *x, int32_t day, struct st_blkinfo **ret, size_t *ret_n)
{
	struct st_blkinfo *v = NULL;
	size_t n = 0, cap = 0;
	MDB_cursor *cur;
	MDB_dbi dbi;
	MDB_val k, d;
	int rc = 0, mrc;

	rc = st_part_dbi(x->st, x->txn, day, PART_BLK, false, &dbi);
	if (rc)
		return rc == -ENOENT ? ST_ECORRUPT : rc;
	mrc = mdb_cursor_open(x->txn, dbi, &cur);
	if (mrc)
		return st_mdb_err(mrc);
	for (mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
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
		if (k.mv_size != ST_BLKKEY_LEN) {
			rc = ST_ECORRUPT;
			break;
		}
		uint32_t block = (uint32_t)kp[0] << 24 | (uint32_t)kp[1] << 16 |
				 (uint32_t)kp[2] << 8 | kp[3];
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

/* Drop the day's partitions and its day entry: O(1) in its records (LMDB
 * frees a dropped tree through its branch pages; index and block trees
 * have no sub-databases or overflow pages). */
static int day_drop(struct expirer *x, int32_t day)
{
	for (unsigned p = 0; p < PART_N; p++) {
		MDB_dbi dbi;
		int rc = st_part_dbi(x->st, x->txn, day, p, false, &dbi);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		rc = mdb_drop(x->txn, dbi, 1);
		/* the handle is closed now, committed or not: forget the
		 * cached ones (the slot may be reused) */
		st_dbic_clear(x->st);
		if (rc)
			return st_mdb_err(rc);
	}
	uint8_t dk[ST_DAYKEY_LEN];
	st_daykey(dk, day);
	MDB_val k = {sizeof(dk), dk};
	int mrc = mdb_del(x->txn, x->st->db[DB_DAYS], &k, NULL);
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

int st_boxed_plain_size(int (*rd)(void *ctx, uint8_t *p, size_t n, uint64_t off), void *ctx,
			uint64_t fsize, uint64_t *ret_plain)
{
	uint64_t off = 0, plain = 0;
	uint32_t n = 0;
	if (fsize == 0)
		return ST_ECORRUPT;
	while (off < fsize) {
		uint8_t h[ST_BOX_HDR_LEN];
		if (fsize - off < ST_BOX_OVERHEAD || ++n > fsize / ST_BOX_OVERHEAD)
			return ST_ECORRUPT;
		int rc = rd(ctx, h, sizeof(h), off);
		if (rc)
			return rc;
		if (!st_segbox_is(h, sizeof(h)))
			return ST_ECORRUPT;
		uint32_t plen = (uint32_t)h[24] | (uint32_t)h[25] << 8 | (uint32_t)h[26] << 16 |
				(uint32_t)h[27] << 24;
		if (plen == 0 || plen > ST_BOX_MAX_PLAIN || plen > fsize - off - ST_BOX_OVERHEAD)
			return ST_ECORRUPT;
		off += st_box_len(plen);
		plain += plen;
	}
	*ret_plain = plain;
	return 0;
}

static int rd_fd(void *ctx, uint8_t *p, size_t n, uint64_t off)
{
	return pread_full(*(int *)ctx, p, n, off);
}

/* The sealed file of d as sealed: its size, or for an encrypted one the
 * plaintext's (the seal covers the plaintext) equals seal->size? */
static bool sealed_size_ok(struct expirer *x, const struct st_pday *d,
			   const struct st_seal *seal, uint64_t fsize)
{
	if (fsize == seal->size)
		return true; /* in the clear */
	int fd;
	if (seg_open(x->st, d->day, &fd) != 0)
		return false;
	uint8_t h[4];
	bool ok = false;
	uint64_t plain;
	if (pread_full(fd, h, sizeof(h), 0) == 0 && st_segbox_is(h, sizeof(h)))
		ok = st_boxed_plain_size(rd_fd, &fd, fsize, &plain) == 0 && plain == seal->size;
	close(fd);
	return ok;
}

static int expire_whole(struct expirer *x, const struct st_pday *d, struct removal *r)
{
	struct st_seal seal;
	int fd = -1, rc;

	r->day = d->day;
	r->whole = true;
	r->sessions = d->ci.nrecs - d->ci.nexpired;
	r->bytes = d->ci.size;

	rc = st_seal_find(x->st, x->txn, d->day, &seal);
	if (rc == 0) {
		/* sealed (the usual case: retention >> grace): the hash is known */
		memcpy(r->sha, seal.sha, 32);
		r->has_sha = true;
		r->corrupt = seal.flags & ST_SEAL_DAMAGED;
		struct stat sb;
		char name[24];
		st_day_name(d->day, name);
		strcat(name, ".seg");
		if (fstatat(x->st->segfd, name, &sb, 0) == 0)
			r->bytes = (uint64_t)sb.st_size;
		else
			r->bytes = 0;
		if (!r->bytes || !sealed_size_ok(x, d, &seal, r->bytes))
			r->corrupt = true; /* verify names it; expiry goes on */
	} else if (rc == -ENOENT) {
		/* not sealed: hash the committed bytes now */
		uint64_t n = 0;
		struct stat sb;
		if (seg_open(x->st, d->day, &fd) != 0) {
			r->corrupt = true;
		} else {
			if (fstat(fd, &sb) == 0)
				r->bytes = (uint64_t)sb.st_size;
			rc = st_sha256_fd(fd, d->ci.size, r->sha, &n);
			if (rc)
				goto out_fd;
			r->has_sha = n == d->ci.size;
			r->corrupt = !r->has_sha;
		}
	} else {
		return rc;
	}
	rc = day_drop(x, d->day);
	if (!rc)
		rc = st_seal_mark_expired(x->st, x->txn, d->day);

out_fd:
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * The day that contains cut: its records with old_h <= stop < cut are
 * hidden by the new horizon (queries and export check it) and only
 * counted here; their bytes and index entries go with the whole day.
 * Blocks wholly inside the range count by their catalogue entry; only
 * blocks across a bound are decoded.
 */
static int expire_partial(struct expirer *x, const struct st_pday *d, struct removal *r)
{
	struct st_blkinfo *bi = NULL;
	size_t nb = 0;
	int fd = -1, rc;
	uint64_t count = 0;
	int64_t day_start = st_day_start(d->day);

	r->day = d->day;
	if (d->ci.flags & ST_DAY_SEALED2) {
		/* a sealed segment: its block table bounds the stops */
		struct st_sealed *sd;
		rc = st_sealed_get(x->st, d->day, d->ci.size, &sd);
		if (rc == ST_ECORRUPT || rc == ST_EVERSION || rc == -ENOENT) {
			r->corrupt = true;
			return 0;
		}
		if (rc)
			return rc;
		for (uint32_t b = 0; b < sd->nblocks; b++) {
			struct st_sealed_blk e;
			const struct st_col_light *rows;
			st_sealed_blk(sd, b, &e);
			if (e.min_stop >= x->cut || e.max_stop < x->old_h)
				continue;
			if (e.min_stop >= x->old_h && e.max_stop < x->cut) {
				count += e.nrecs;
				continue;
			}
			rc = st_sealed_scan(sd, x->st->dctx, b, &rows);
			if (rc == ST_ECORRUPT || rc == ST_EVERSION) {
				r->corrupt = true;
				rc = 0;
				continue;
			}
			if (rc)
				return rc;
			for (uint32_t i = 0; i < e.nrecs; i++)
				count += rows[i].stop >= x->old_h && rows[i].stop < x->cut;
		}
		goto counted;
	}
	rc = day_blocks(x, d->day, &bi, &nb);
	if (rc == ST_ECORRUPT) {
		r->corrupt = true;
		rc = 0;
	} else if (rc) {
		return rc;
	}
	for (size_t i = 0; i < nb; i++) {
		uint64_t n;
		if (bi[i].min_stop >= x->cut || bi[i].max_stop < x->old_h)
			continue;
		if (bi[i].min_stop >= x->old_h && bi[i].min_stop >= day_start &&
		    bi[i].max_stop < x->cut) {
			count += bi[i].nrecs; /* all inside, none late */
			continue;
		}
		if (fd < 0 && seg_open(x->st, d->day, &fd) != 0) {
			r->corrupt = true;
			break;
		}
		rc = block_count(x, fd, d->day, (uint32_t)i, &bi[i], x->old_h, x->cut, &n);
		if (rc == ST_ECORRUPT || rc == ST_EVERSION) {
			r->corrupt = true; /* uncounted; hidden all the same */
			rc = 0;
			continue;
		}
		if (rc)
			goto out_fd;
		count += n;
	}
counted:
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

/*
 * Freeing a removed segment's blocks is the costly part of its unlink
 * (about 10 ms for 40 MB on ext4), and it happens when the inode's last
 * reference goes, not when its name does.  So expiry opens the file, unlinks
 * it (the name is gone, durably with the fsync of seg/ that follows: no
 * reader can open it again), and frees it here, on a detached thread
 * started once the expiry's own fsyncs are done (ext4 makes an fsync wait
 * for the freeing of a file's blocks under way): closed there, not
 * truncated (a reader may have it mapped).
 * A crash before that ends leaves an orphan inode that the file system
 * frees when it mounts (it has no name in seg/).
 */
struct reap {
	size_t n;
	int fd[];
};

static void *reap_run(void *arg)
{
	struct reap *r = arg;
	/* Only closed, never truncated: a reader (another process, or a
	 * query whose snapshot predates the expiry) may still have the file
	 * mapped, and pages cut from under a mapping raise SIGBUS.  The last
	 * close or unmap frees the blocks. */
	for (size_t i = 0; i < r->n; i++)
		close(r->fd[i]);
	free(r);
	return NULL;
}

/* Close r's descriptors on a thread of their own (here if none starts). */
static void reap_start(struct reap *r)
{
	pthread_attr_t a;
	pthread_t t;
	if (!r)
		return;
	if (r->n && pthread_attr_init(&a) == 0) {
		bool ok = pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) == 0 &&
			  pthread_create(&t, &a, reap_run, r) == 0;
		pthread_attr_destroy(&a);
		if (ok)
			return;
	}
	reap_run(r);
}

static int log_removals(st_store *st, int64_t now, int64_t horizon, const struct removal *r,
			size_t n)
{
	char run[40], hz[40];
	int fd, rc = 0;

	if (!n)
		return 0;
	/* the directory needs an fsync only when the log is new */
	bool created = false;
	fd = openat(st->dirfd, "expiry.log", O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = openat(st->dirfd, "expiry.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			    0600);
		created = true;
	}
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
	if (!rc && created && fsync(st->dirfd) != 0)
		rc = -errno;
	return rc;
}

int st_store_expire(st_store *st, int64_t now_ns, int64_t retention_ns,
		    struct st_expire_report *ret)
{
	return st_store_expire_with(st, now_ns, retention_ns, NULL, ret);
}

int st_store_expire_with(st_store *st, int64_t now_ns, int64_t retention_ns,
			 const struct st_expire_opts *o, struct st_expire_report *ret)
{
	const struct st_expire_opts none = {0};
	struct st_expire_report rep = {0};
	struct removal *rem = NULL;
	struct reap *reap = NULL;
	struct expirer *x = NULL;
	size_t nrem = 0;
	int64_t cut;
	int rc;

	if (!st->writable)
		return ST_EREADONLY;
	if (retention_ns <= 0)
		return ST_EINVAL;
	if (!o)
		o = &none;
	/* seals due days (and commits the pending batch); a caller with a
	 * seal job of its own has them sealed already, or retries them */
	if (o->flags & ST_EXPIRE_NOSEAL)
		rc = st_store_commit(st);
	else
		rc = st_seal_due(st, now_ns, NULL);
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

	/* Committed: the removed segments are unreferenced now.  Their
	 * names go here, their blocks on the reaper thread (reap_start). */
	bool unlinked = false;
	reap = malloc(sizeof(*reap) + nrem * sizeof(int));
	if (reap)
		reap->n = 0;
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
		int hold = reap ? openat(st->segfd, name, O_RDONLY | O_CLOEXEC) : -1;
		if (hold < 0 && reap)
			hold = openat(st->segfd, name, O_RDONLY | O_CLOEXEC);
		if (unlinkat(st->segfd, name, 0) == 0)
			unlinked = true;
		if (hold >= 0)
			reap->fd[reap->n++] = hold;
		st_pday_remove(st, rem[i].day);
	}
	if (unlinked)
		fsync(st->segfd);
	rc = log_removals(st, now_ns, cut, rem, nrem);
	for (size_t i = 0; o->on_item && i < nrem; i++) {
		struct st_expire_item it = {.day = rem[i].day, .whole = rem[i].whole,
					    .damaged = rem[i].corrupt,
					    .sessions = rem[i].sessions,
					    .bytes = rem[i].whole ? rem[i].bytes : 0,
					    .sha = rem[i].has_sha ? rem[i].sha : NULL};
		o->on_item(o->ctx, &it);
	}
	{
		int32_t *sd = calloc(nrem ? nrem : 1, sizeof(*sd));
		size_t nsd = 0;
		int mrc;
		if (!sd) {
			if (!rc)
				rc = -ENOMEM;
			goto out_report;
		}
		for (size_t i = 0; i < nrem; i++)
			if (rem[i].whole && st->meta.seal_day != ST_SEAL_DAY_NONE &&
			    rem[i].day < st->meta.seal_day)
				sd[nsd++] = rem[i].day;
		mrc = st_manifest_expired(st, now_ns, sd, nsd);
		free(sd);
		if (!rc)
			rc = mrc;
	}
	goto out_report;

out_txn:
	mdb_txn_abort(x->txn);
	goto out_free;
out_report:
	if (ret)
		*ret = rep;
out_free:
	reap_start(reap); /* after this call's fsyncs, which it would slow */
	if (x)
		st_buf_done(&x->raw);
	free(x);
	free(rem);
	return rc;
}
