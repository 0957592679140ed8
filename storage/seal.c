/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sealing and integrity: st_store_seal(), st_store_verify(), DIR/MANIFEST
 * (storage/FORMAT.md "Sealing").
 *
 * The catalogue (DB_SEALS) is the authority; DIR/MANIFEST is its
 * append-only text copy, written after the transaction that adds the links
 * commits.  A crash in between leaves the manifest behind the catalogue;
 * the next st_store_seal() appends the missing lines first, and
 * st_store_verify() reports a manifest that is behind.
 *
 * Link i: sha_i = SHA-256(segment bytes 0 .. size), and
 *   chain_i = SHA-256("RTSEAL1\0" | chain_{i-1} | le32 day | le64 size | sha_i)
 * with chain_0 = 32 zero bytes.  Changing, dropping or reordering links
 * changes every later chain value.
 */
#include "store_int.h"
#include "sealed.h"
#include "segbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define HASH_CHUNK (1u << 20)
#define MANIFEST "MANIFEST"
#define MANIFEST_LINE_MAX 512

/* ---- seal values ------------------------------------------------------------ */

void st_seal_write(uint8_t dst[ST_SEAL_LEN], const struct st_seal *s)
{
	uint8_t *p = dst;
	p = st_put_le32(p, s->flags);
	p = st_put_le32(p, (uint32_t)s->day);
	p = st_put_le64(p, s->size);
	memcpy(p, s->sha, 32);
	memcpy(p + 32, s->chain, 32);
}

int st_seal_parse(const MDB_val *v, struct st_seal *ret)
{
	struct dp_cur c = dp_cur_make(v->mv_data, v->mv_size);
	struct st_seal s;
	uint32_t day;
	if (v->mv_size != ST_SEAL_LEN)
		return ST_ECORRUPT;
	dp_cur_le32(&c, &s.flags);
	dp_cur_le32(&c, &day);
	dp_cur_le64(&c, &s.size);
	dp_cur_copy(&c, s.sha, 32);
	dp_cur_copy(&c, s.chain, 32);
	if ((s.flags & ~(ST_SEAL_EXPIRED | ST_SEAL_DAMAGED)) || s.size < ST_SEG_HDR_LEN)
		return ST_ECORRUPT;
	s.day = (int32_t)day;
	*ret = s;
	return 0;
}

static void seq_key(uint8_t k[4], uint32_t seq)
{
	st_put_be32(k, seq);
}

static int chain_link(const uint8_t prev[32], struct st_seal *s)
{
	uint8_t b[12];
	unsigned len = 0;
	int rc = -ENOMEM;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	st_put_le64(st_put_le32(b, (uint32_t)s->day), s->size);
	if (h && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(h, "RTSEAL1", 8) == 1 && EVP_DigestUpdate(h, prev, 32) == 1 &&
	    EVP_DigestUpdate(h, b, sizeof(b)) == 1 && EVP_DigestUpdate(h, s->sha, 32) == 1 &&
	    EVP_DigestFinal_ex(h, s->chain, &len) == 1 && len == 32)
		rc = 0;
	EVP_MD_CTX_free(h);
	return rc;
}

/* SHA-256 of the first `limit` bytes of fd (all of it with UINT64_MAX);
 * *ret_n is the number of bytes hashed (less than limit at end of file). */
int st_sha256_fd(int fd, uint64_t limit, uint8_t sha[32], uint64_t *ret_n)
{
	uint8_t *buf = malloc(HASH_CHUNK);
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	uint64_t off = 0;
	unsigned len = 0;
	int rc = 0;

	if (!buf || !h || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1) {
		rc = -ENOMEM;
		goto out_free;
	}
	while (off < limit) {
		size_t want = limit - off < HASH_CHUNK ? (size_t)(limit - off) : HASH_CHUNK;
		ssize_t r = pread(fd, buf, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out_free;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(h, buf, (size_t)r) != 1) {
			rc = -ENOMEM;
			goto out_free;
		}
		off += (uint64_t)r;
	}
	if (EVP_DigestFinal_ex(h, sha, &len) != 1 || len != 32) {
		rc = -ENOMEM;
		goto out_free;
	}
	*ret_n = off;
out_free:
	EVP_MD_CTX_free(h);
	free(buf);
	return rc;
}

static void seg_name(int32_t day, char name[24])
{
	st_day_name(day, name);
	strcat(name, ".seg");
}

void st_seg2_tmp_name(int32_t day, char name[32])
{
	st_day_name(day, name);
	strcat(name, ".seg.v2");
}

void st_seg_rekey_name(int32_t day, char name[32])
{
	st_day_name(day, name);
	strcat(name, ".seg.rk");
}

/* ---- conversion to a sealed segment (format version 2) -------------------- */

/* The day's live records, each encoded alone (record codec, section 4)
 * in an arena: tens of bytes each, decoded again one block at a time by
 * the builder. */
struct conv {
	int64_t horizon;
	struct st_buf arena;
	size_t *off;
	size_t n, cap;
	struct st_dayinfo di;
};

static int conv_rec(void *ctx, uint32_t block, uint32_t idx, const struct rt_session *s)
{
	struct conv *c = ctx;
	(void)block;
	(void)idx;
	if (c->horizon != RT_TIME_NONE && s->stop_ns < c->horizon)
		return 0; /* hidden by partial expiry: not carried over */
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 1024;
		size_t *no = realloc(c->off, (nc + 1) * sizeof(*no));
		if (!no)
			return -ENOMEM;
		c->off = no;
		c->cap = nc;
	}
	if (st_buf_reserve(&c->arena, ST_REC_MAX))
		return -ENOMEM;
	c->off[c->n] = c->arena.len;
	c->arena.len += st_rec_encode(s, 0, ST_ENC_NO_TRACKER, c->arena.p + c->arena.len);
	c->n++;
	c->off[c->n] = c->arena.len;
	struct st_dayinfo *di = &c->di;
	uint64_t dur = (uint64_t)s->stop_ns - (uint64_t)s->start_ns;
	di->min_start = s->start_ns < di->min_start ? s->start_ns : di->min_start;
	di->max_stop = s->stop_ns > di->max_stop ? s->stop_ns : di->max_stop;
	di->maxdur = dur > di->maxdur ? dur : di->maxdur;
	int64_t *m = dur > (uint64_t)ST_LONG_NS ? &di->lmin_start : &di->rmin_start;
	*m = s->start_ns < *m ? s->start_ns : *m;
	return 0;
}

static int conv_get(void *ctx, size_t i, struct rt_session *ret)
{
	const struct conv *c = ctx;
	struct dp_cur cur = dp_cur_make(c->arena.p + c->off[i], c->off[i + 1] - c->off[i]);
	return st_rec_decode(&cur, 0, ret) || dp_cur_left(&cur) ? ST_ECORRUPT : 0;
}

static int write_file_at(int dirfd, const char *name, const uint8_t *p, size_t n)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int rc = 0;
	while (n && !rc) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			rc = -errno;
		else {
			p += w;
			n -= (size_t)w;
		}
	}
	if (!rc && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc)
		unlinkat(dirfd, name, 0);
	return rc;
}

/*
 * Build the sealed segment of `day` from its version 1 bytes (validated),
 * write it to its temporary name (fsynced) and give its bytes in *out and
 * its catalogue entry in *ret.  Nothing is written when no live record is
 * left (*out empty: the day stays version 1).
 */
static int conv_build(int segfd, const struct st_keyring *keys, int32_t day,
		      const struct st_buf *v1, int64_t horizon, struct st_buf *out,
		      struct st_dayinfo *ret, bool *ret_damaged)
{
	struct conv c = {.horizon = horizon,
			 .di = {.rmin_start = INT64_MAX, .lmin_start = INT64_MAX,
				.flags = ST_DAY_SEALED2, .min_start = INT64_MAX,
				.max_stop = INT64_MIN}};
	enum st_dec why;
	out->len = 0;
	/* the one walk of the file both checks it and collects its records */
	int rc = st_seg_walk(v1->p, v1->len, conv_rec, &c, &why);
	*ret_damaged = rc == ST_ECORRUPT || rc == ST_EVERSION;
	if (*ret_damaged)
		rc = 0; /* sealed as it is, no version 2 file */
	if (rc || *ret_damaged || c.n == 0)
		goto out;
	struct st_dayinfo di = c.di;
	di.nrecs = c.n;
	rc = st_sealed_build_from(day, c.n, conv_get, &c, 3, out);
	if (rc)
		goto out;
	di.size = out->len;
	di.nblocks = (uint32_t)((c.n + ST_SEG2_BLOCK_RECS - 1) / ST_SEG2_BLOCK_RECS);
	char tmp[32];
	st_seg2_tmp_name(day, tmp);
	if (keys) {
		/* encrypted at rest: the seal and the catalogue size stay those
		 * of the plaintext (CRYPT.md "Sealed segments") */
		struct st_buf box = {0};
		rc = st_segbox_seal(keys, day, out->p, out->len, &box);
		if (!rc)
			rc = write_file_at(segfd, tmp, box.p, box.len);
		st_buf_done(&box);
	} else {
		rc = write_file_at(segfd, tmp, out->p, out->len);
	}
	if (!rc)
		*ret = di;
out:
	if (rc)
		out->len = 0;
	st_buf_done(&c.arena);
	free(c.off);
	return rc;
}

/* In txn: drop the day's version 1 partitions, switch its day entry. */
static int conv_switch(st_store *st, MDB_txn *txn, int32_t day, const struct st_dayinfo *di)
{
	for (unsigned p = 0; p < PART_N; p++) {
		MDB_dbi dbi;
		int rc = st_part_dbi(st, txn, day, p, false, &dbi);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		rc = mdb_drop(txn, dbi, 1);
		st_dbic_clear(st); /* the handle is closed either way */
		if (rc)
			return st_mdb_err(rc);
	}
	uint8_t kb[ST_DAYKEY_LEN], vb[ST_DAYINFO_LEN];
	st_daykey(kb, day);
	st_dayinfo_write(vb, di);
	MDB_val k = {sizeof(kb), kb}, v = {sizeof(vb), vb};
	return st_mdb_err(mdb_put(txn, st->db[DB_DAYS], &k, &v, 0));
}

static void hex(const uint8_t *p, size_t n, char *dst)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[p[i] >> 4];
		dst[2 * i + 1] = digits[p[i] & 15];
	}
	dst[2 * n] = '\0';
}

/* ---- manifest ---------------------------------------------------------------- */

static int manifest_line(uint32_t seq, const struct st_seal *s, const uint8_t prev[32],
			 char line[MANIFEST_LINE_MAX])
{
	char day[16], sha[65], pv[65], ch[65];
	st_day_name(s->day, day);
	hex(s->sha, 32, sha);
	hex(prev, 32, pv);
	hex(s->chain, 32, ch);
	return snprintf(line, MANIFEST_LINE_MAX,
			"seal seq=%u day=%s file=seg/%s.seg size=%llu sha256=%s prev=%s chain=%s\n",
			seq, day, day, (unsigned long long)s->size, sha, pv, ch);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read DIR/MANIFEST whole (NUL-terminated); *ret NULL when absent. */
static int manifest_read(st_store *st, char **ret, size_t *ret_len)
{
	struct st_buf b = {0};
	int fd = openat(st->dirfd, MANIFEST, O_RDONLY | O_CLOEXEC);
	*ret = NULL;
	*ret_len = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	for (;;) {
		if (st_buf_reserve(&b, 65536)) {
			close(fd);
			st_buf_done(&b);
			return -ENOMEM;
		}
		ssize_t r = read(fd, b.p + b.len, b.cap - b.len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int rc = -errno;
			close(fd);
			st_buf_done(&b);
			return rc;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
	}
	close(fd);
	if (st_buf_reserve(&b, 1)) {
		st_buf_done(&b);
		return -ENOMEM;
	}
	b.p[b.len] = '\0';
	*ret = (char *)b.p;
	*ret_len = b.len;
	return 0;
}

static uint32_t manifest_count_seals(const char *m)
{
	uint32_t n = 0;
	for (const char *p = m; p && *p;) {
		if (strncmp(p, "seal ", 5) == 0)
			n++;
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

/* Append the seal lines the manifest lacks (seq > lines it holds). */
static int manifest_sync(st_store *st, MDB_txn *txn)
{
	char *m;
	size_t mlen;
	uint8_t prev[32] = {0};
	int fd = -1, rc;

	rc = manifest_read(st, &m, &mlen);
	if (rc)
		return rc;
	uint32_t have = manifest_count_seals(m);
	free(m);
	if (have >= st->meta.nseals)
		return 0;
	fd = openat(st->dirfd, MANIFEST, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (uint32_t seq = 1; seq <= st->meta.nseals && !rc; seq++) {
		uint8_t kb[4];
		struct st_seal s;
		MDB_val k = {4, kb}, v;
		seq_key(kb, seq);
		int mrc = mdb_get(txn, st->db[DB_SEALS], &k, &v);
		if (mrc) {
			rc = mrc == MDB_NOTFOUND ? ST_ECORRUPT : st_mdb_err(mrc);
			break;
		}
		rc = st_seal_parse(&v, &s);
		if (rc)
			break;
		if (seq > have) {
			char line[MANIFEST_LINE_MAX];
			int len = manifest_line(seq, &s, prev, line);
			rc = write_all(fd, line, (size_t)len);
		}
		memcpy(prev, s.chain, 32);
	}
	if (!rc && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (!rc && fsync(st->dirfd) != 0)
		rc = -errno;
	return rc;
}

int st_manifest_expired(st_store *st, int64_t now, const int32_t *days, size_t n)
{
	char run[40];
	int fd, rc = 0;
	if (!n)
		return 0;
	fd = openat(st->dirfd, MANIFEST, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	st_time_rfc3339(now, run);
	for (size_t i = 0; i < n && !rc; i++) {
		char line[128], day[16];
		st_day_name(days[i], day);
		int len = snprintf(line, sizeof(line), "expired day=%s time=%s\n", day, run);
		rc = write_all(fd, line, (size_t)len);
	}
	if (!rc && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int st_seal_find(st_store *st, MDB_txn *txn, int32_t day, struct st_seal *ret)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = st_mdb_err(mdb_cursor_open(txn, st->db[DB_SEALS], &cur));
	if (rc)
		return rc;
	int mrc;
	rc = -ENOENT;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
		struct st_seal s;
		int prc = st_seal_parse(&v, &s);
		if (prc) {
			rc = prc;
			break;
		}
		if (s.day < day)
			break;
		if (s.day == day) {
			*ret = s;
			rc = 0;
			break;
		}
	}
	if (mrc && mrc != MDB_NOTFOUND)
		rc = st_mdb_err(mrc);
	mdb_cursor_close(cur);
	return rc;
}

int st_seal_mark_expired(st_store *st, MDB_txn *txn, int32_t day)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = st_mdb_err(mdb_cursor_open(txn, st->db[DB_SEALS], &cur));
	if (rc)
		return rc;
	/* sealed days ascend with seq: walk back from the newest */
	int mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
		struct st_seal s;
		rc = st_seal_parse(&v, &s);
		if (rc)
			break;
		if (s.day < day)
			break;
		if (s.day == day) {
			uint8_t b[ST_SEAL_LEN];
			s.flags |= ST_SEAL_EXPIRED;
			st_seal_write(b, &s);
			MDB_val nv = {sizeof(b), b};
			rc = st_mdb_err(mdb_cursor_put(cur, &k, &nv, MDB_CURRENT));
			break;
		}
	}
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = st_mdb_err(mrc);
	mdb_cursor_close(cur);
	return rc;
}

/* ---- sealing ---------------------------------------------------------------- */

int st_seal_due(st_store *st, int64_t now_ns, uint32_t *ret_sealed)
{
	struct st_seal_report r;
	int rc = st_store_seal(st, now_ns, &r);
	if (!rc && ret_sealed)
		*ret_sealed = r.sealed;
	return rc;
}

static int sha256_mem(const uint8_t *p, size_t n, uint8_t sha[32])
{
	unsigned len = 0;
	return EVP_Digest(p, n, sha, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -ENOMEM;
}

/* Read the first `size` bytes of fd into b (fewer at end of file). */
static int seg_read(int fd, uint64_t size, struct st_buf *b)
{
	b->len = 0;
	if (size > SIZE_MAX / 2 || st_buf_reserve(b, (size_t)size))
		return -ENOMEM;
	while (b->len < size) {
		ssize_t r = pread(fd, b->p + b->len, (size_t)size - b->len, (off_t)b->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		b->len += (size_t)r;
	}
	return 0;
}

/*
 * Seal jobs (store.h "Sealing in two steps").  A job is made on the writer
 * thread (begin: the due days are frozen and committed), prepared on any
 * thread (only the frozen files, the directory descriptor and the keyring
 * are used: no catalogue, no writer state), installed on the writer thread
 * (one transaction).  st_store_seal() runs the three in sequence, so the
 * inline and the two-step seal write the same bytes.
 */
struct seal_day {
	int32_t day;
	/* as frozen (begin): what install checks the catalogue against */
	uint64_t v1_size;
	uint32_t v1_nblocks;
	uint32_t v1_flags;
	uint64_t v1_live; /* nrecs - nexpired */
	/* prepared */
	bool damaged;
	bool converted; /* "YYYY-MM-DD.seg.v2" written, ndi its day entry */
	struct st_dayinfo ndi;
	uint64_t size;
	uint8_t sha[32];
};

enum { JOB_BEGUN, JOB_PREPARED, JOB_FAILED, JOB_INSTALLED };

/* What failed after an install's commit (st_seal_job_after). */
enum { AFTER_NONE, AFTER_RENAME, AFTER_FSYNC, AFTER_MANIFEST };

struct st_seal_job {
	st_store *st;        /* only for install and free (writer thread) */
	int segfd;           /* borrowed from st: valid until st_store_close */
	const struct st_keyring *keys;
	int64_t horizon;     /* meta.horizon at begin */
	int32_t seal_day;    /* meta.seal_day at begin */
	uint32_t nseals;     /* meta.nseals at begin */
	int32_t frontier;    /* meta.seal_day after install */
	int state;
	int after;           /* AFTER_*: what failed after the install commit */
	atomic_bool cancel;  /* st_seal_job_cancel (any thread) */
	size_t n;
	struct seal_day *d;
};

/* Whether the store is encrypted: meta.flags says so from its first
 * encrypted seal on (also once every encrypted day expired); a store
 * sealed before that flag existed is recognised by a live sealed segment
 * that starts with the box magic (CRYPT.md).  1 encrypted, 0 not, or
 * -errno when a sealed file cannot be looked at (fail closed: a file that
 * cannot be opened might be the encrypted one). */
static int store_encrypted(st_store *st)
{
	if (st->meta.flags & ST_META_ENCRYPTED)
		return 1;
	for (size_t i = 0; i < st->ndays; i++) {
		const struct st_pday *d = st->days[i];
		char name[24];
		uint8_t hdr[16];
		if (!d->known || !(d->ci.flags & ST_DAY_SEALED2))
			continue;
		seg_name(d->day, name);
		int fd = openat(st->segfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* verify reports a missing segment */
			return -errno;
		}
		ssize_t n = pread(fd, hdr, sizeof(hdr), 0);
		int e = errno;
		close(fd);
		if (n < 0)
			return -e;
		if (n >= 4 && st_segbox_is(hdr, (size_t)n))
			return 1;
	}
	return 0;
}

/* Set ST_META_ENCRYPTED in its own transaction (rekey). */
static int meta_mark_encrypted(st_store *st)
{
	struct st_meta m = st->meta;
	MDB_txn *txn;
	uint8_t b[ST_META_LEN];
	if (m.flags & ST_META_ENCRYPTED)
		return 0;
	m.flags |= ST_META_ENCRYPTED;
	int rc = st_mdb_err(mdb_txn_begin(st->env, NULL, 0, &txn));
	if (rc)
		return rc;
	st_meta_write(b, &m);
	MDB_val k = {5, (void *)"store"}, v = {sizeof(b), b};
	rc = st_mdb_err(mdb_put(txn, st->db[DB_META], &k, &v, 0));
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	rc = st_mdb_err(mdb_txn_commit(txn));
	if (!rc)
		st->meta.flags = m.flags;
	return rc;
}

int st_store_seal_begin(st_store *st, int64_t now_ns, st_seal_job **ret)
{
	int64_t edge;
	int rc;

	if (!st->writable)
		return ST_EREADONLY;
	if (st->seal_job)
		return ST_EINVAL;
	if (__builtin_sub_overflow(now_ns, st->seal_grace, &edge))
		edge = INT64_MIN;
	/* day D is due when its end (start of D + 1) <= now - grace */
	int32_t frontier = st_day_of(edge);
	if (st->meta.seal_day != ST_SEAL_DAY_NONE && frontier <= st->meta.seal_day) {
		*ret = NULL;
		return 0;
	}
	if (!st->keys) {
		rc = store_encrypted(st);
		if (rc)
			return rc > 0 ? ST_ENEEDKEY : rc;
	}
	struct st_seal_job *job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	/* freeze first, then commit: what the batch holds for a due day was
	 * put before the freeze and is committed to that day's file now */
	if (!st->frozen || frontier > st->freeze_day) {
		st->frozen = true;
		st->freeze_day = frontier;
		st->last_day = NULL;
	}
	rc = st_store_commit(st);
	if (rc) {
		free(job);
		return rc;
	}
	job->st = st;
	job->segfd = st->segfd;
	job->keys = st->keys;
	job->horizon = st->meta.horizon;
	job->seal_day = st->meta.seal_day;
	job->nseals = st->meta.nseals;
	job->frontier = frontier;
	for (size_t i = 0; i < st->ndays; i++) {
		const struct st_pday *d = st->days[i];
		if (!d->known || d->day >= frontier)
			continue;
		if (job->seal_day != ST_SEAL_DAY_NONE && d->day < job->seal_day)
			continue; /* sealed before */
		void *nd = realloc(job->d, (job->n + 1) * sizeof(*job->d));
		if (!nd) {
			free(job->d);
			free(job);
			return -ENOMEM;
		}
		job->d = nd;
		job->d[job->n] = (struct seal_day){
			.day = d->day, .v1_size = d->ci.size, .v1_nblocks = d->ci.nblocks,
			.v1_flags = d->ci.flags,
			.v1_live = d->ci.nrecs > d->ci.nexpired ? d->ci.nrecs - d->ci.nexpired : 0};
		job->n++;
	}
	st->seal_job = true;
	*ret = job;
	return 0;
}

/* Remove the temporaries of a job's converted days. */
static void job_unlink(struct st_seal_job *job)
{
	for (size_t i = 0; i < job->n; i++) {
		char tmp[32];
		if (!job->d[i].converted)
			continue;
		st_seg2_tmp_name(job->d[i].day, tmp);
		unlinkat(job->segfd, tmp, 0);
		job->d[i].converted = false;
	}
}

/* Prepare one frozen day: hash, validate, convert. */
static int prepare_day(struct st_seal_job *job, struct seal_day *sd, struct st_buf *buf,
		       struct st_buf *v2)
{
	char name[24];
	seg_name(sd->day, name);
	int fd = openat(job->segfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = seg_read(fd, sd->v1_size, buf);
	close(fd);
	if (rc)
		return rc;
	if (buf->len != sd->v1_size)
		return ST_ECORRUPT;
	if (sha256_mem(buf->p, buf->len, sd->sha))
		return -ENOMEM;
	/* Validated while converted: a segment damaged before its seal is
	 * sealed as it is (the chain must go on and it must still expire) but
	 * marked, and verify reports it; a valid day becomes a sealed segment
	 * (version 2): the seal covers that file (FORMAT.md section 9). */
	sd->size = sd->v1_size;
	v2->len = 0;
	if (!(sd->v1_flags & ST_DAY_SEALED2)) {
		rc = conv_build(job->segfd, job->keys, sd->day, buf, job->horizon, v2, &sd->ndi,
				&sd->damaged);
		if (rc)
			return rc;
	} else {
		enum st_dec why;
		int wrc = st_seg_walk(buf->p, buf->len, NULL, NULL, &why);
		if (wrc == -ENOMEM)
			return wrc;
		sd->damaged = wrc != 0;
	}
	if (v2->len) {
		sd->converted = true;
		if (sha256_mem(v2->p, v2->len, sd->sha))
			return -ENOMEM;
		sd->size = v2->len;
	}
	return 0;
}

int st_seal_job_prepare(st_seal_job *job)
{
	struct st_buf buf = {0}, v2 = {0};
	int rc = 0;

	if (!job || job->state != JOB_BEGUN)
		return ST_EINVAL;
	bool converted = false;
	for (size_t i = 0; i < job->n && !rc; i++) {
		if (atomic_load(&job->cancel)) {
			rc = -ECANCELED;
			break;
		}
		rc = prepare_day(job, &job->d[i], &buf, &v2);
		converted |= job->d[i].converted;
	}
	st_buf_done(&buf);
	st_buf_done(&v2);
	/* the temporaries' names must be durable before the install commit
	 * names them in the catalogue (each file itself is fsynced) */
	if (!rc && converted && fsync(job->segfd) != 0)
		rc = -errno;
	if (rc) {
		job_unlink(job);
		job->state = JOB_FAILED;
		return rc;
	}
	job->state = JOB_PREPARED;
	return 0;
}

/* Whether the catalogue still holds the frozen days as they were. */
static bool job_current(st_store *st, const struct st_seal_job *job)
{
	const struct st_meta *m = &st->meta;
	size_t seen = 0;
	if (m->horizon != job->horizon || m->seal_day != job->seal_day ||
	    m->nseals != job->nseals || !st->frozen || st->freeze_day < job->frontier)
		return false;
	for (size_t i = 0; i < st->ndays; i++) {
		const struct st_pday *d = st->days[i];
		if (d->day >= job->frontier)
			continue;
		if (job->seal_day != ST_SEAL_DAY_NONE && d->day < job->seal_day)
			continue;
		if (d->nrecs || d->npb || d->raw.len)
			return false; /* puts reached a frozen day */
		if (!d->known)
			continue;
		if (seen >= job->n)
			return false;
		const struct seal_day *sd = &job->d[seen++];
		if (sd->day != d->day || sd->v1_size != d->ci.size ||
		    sd->v1_nblocks != d->ci.nblocks || sd->v1_flags != d->ci.flags)
			return false;
	}
	return seen == job->n;
}

int st_store_seal_install(st_store *st, st_seal_job *job, struct st_seal_report *ret)
{
	MDB_txn *txn = NULL;
	struct st_meta m;
	uint8_t prev[32] = {0};
	uint32_t sealed = 0;
	bool boxed = false;
	int rc;

	if (!job || job->st != st || job->state != JOB_PREPARED)
		return ST_EINVAL;
	if (!job_current(st, job)) {
		rc = ST_ESTALE;
		goto out_fail;
	}
	m = st->meta;
	rc = st_mdb_err(mdb_txn_begin(st->env, NULL, 0, &txn));
	if (rc)
		goto out_fail;
	if (m.nseals) {
		uint8_t kb[4];
		struct st_seal last;
		MDB_val k = {4, kb}, v;
		seq_key(kb, m.nseals);
		int mrc = mdb_get(txn, st->db[DB_SEALS], &k, &v);
		if (mrc) {
			rc = mrc == MDB_NOTFOUND ? ST_ECORRUPT : st_mdb_err(mrc);
			goto out_txn;
		}
		rc = st_seal_parse(&v, &last);
		if (rc)
			goto out_txn;
		memcpy(prev, last.chain, 32);
	}
	for (size_t i = 0; i < job->n; i++) {
		const struct seal_day *sd = &job->d[i];
		struct st_seal s = {.flags = sd->damaged ? ST_SEAL_DAMAGED : 0, .day = sd->day,
				    .size = sd->size};
		memcpy(s.sha, sd->sha, 32);
		if (sd->converted) {
			rc = conv_switch(st, txn, sd->day, &sd->ndi);
			if (rc)
				goto out_txn;
			boxed |= job->keys != NULL; /* written encrypted (conv_build) */
		}
		rc = chain_link(prev, &s);
		if (rc)
			goto out_txn;
		memcpy(prev, s.chain, 32);
		uint8_t kb[4], vb[ST_SEAL_LEN];
		seq_key(kb, m.nseals + 1);
		st_seal_write(vb, &s);
		MDB_val k = {4, kb}, v = {sizeof(vb), vb};
		rc = st_mdb_err(mdb_put(txn, st->db[DB_SEALS], &k, &v, MDB_NOOVERWRITE));
		if (rc)
			goto out_txn;
		m.nseals++;
		sealed++;
	}
	m.seal_day = job->frontier;
	if (boxed)
		m.flags |= ST_META_ENCRYPTED; /* for good: CRYPT.md */
	{
		uint8_t b[ST_META_LEN];
		st_meta_write(b, &m);
		MDB_val k = {5, (void *)"store"}, v = {sizeof(b), b};
		rc = st_mdb_err(mdb_put(txn, st->db[DB_META], &k, &v, 0));
	}
	if (rc)
		goto out_txn;
	rc = st_mdb_err(mdb_txn_commit(txn));
	txn = NULL;
	if (rc)
		goto out_fail;
	/* committed: from here on the job is installed whatever follows */
	job->state = JOB_INSTALLED;
	st->meta.seal_day = m.seal_day;
	st->meta.nseals = m.nseals;
	st->meta.flags = m.flags;
	st->last_day = NULL; /* puts for sealed days now go to the frontier */
	/* the catalogue names the sealed files: put them in place (a crash
	 * before this is finished by the next writable open) */
	bool renamed = false;
	for (size_t i = 0; i < job->n; i++) {
		struct seal_day *sd = &job->d[i];
		char name[24], tmp[32];
		struct st_pday *d;
		if (!sd->converted)
			continue;
		seg_name(sd->day, name);
		st_seg2_tmp_name(sd->day, tmp);
		st_cache_drop_day(st, sd->day);
		if (renameat(st->segfd, tmp, st->segfd, name) != 0 && !rc) {
			rc = -errno;
			job->after = AFTER_RENAME;
		}
		sd->converted = false; /* not a temporary any more */
		renamed = true;
		if (st_pday_find(st, sd->day, &d) == 0) {
			d->ci = sd->ndi;
			d->nruns = 0; /* its partitions are dropped */
		}
	}
	if (renamed && fsync(st->segfd) != 0 && !rc) {
		rc = -errno;
		job->after = AFTER_FSYNC;
	}
	if (rc)
		return rc;
	rc = st_mdb_err(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn));
	if (!rc) {
		rc = manifest_sync(st, txn);
		mdb_txn_abort(txn);
	}
	if (rc) {
		job->after = AFTER_MANIFEST;
		return rc;
	}
	if (ret)
		*ret = (struct st_seal_report){sealed, st->meta.nseals, st->meta.seal_day};
	return rc;

out_txn:
	mdb_txn_abort(txn);
out_fail:
	job_unlink(job);
	job->state = JOB_FAILED;
	return rc;
}

void st_seal_job_cancel(st_seal_job *job)
{
	if (job)
		atomic_store(&job->cancel, true);
}

bool st_seal_job_installed(const st_seal_job *job)
{
	return job && job->state == JOB_INSTALLED;
}

const char *st_seal_job_after(const st_seal_job *job)
{
	switch (job ? job->after : AFTER_NONE) {
	case AFTER_RENAME:
		return "renaming the sealed segments into place";
	case AFTER_FSYNC:
		return "syncing the segment directory";
	case AFTER_MANIFEST:
		return "writing the MANIFEST";
	default:
		return NULL;
	}
}

uint64_t st_seal_job_v1_bytes(const st_seal_job *job)
{
	uint64_t n = 0;
	for (size_t i = 0; job && i < job->n; i++)
		n += job->d[i].v1_size;
	return n;
}

size_t st_seal_job_days(const st_seal_job *job)
{
	return job ? job->n : 0;
}

int st_seal_job_day(const st_seal_job *job, size_t i, struct st_seal_job_day *ret)
{
	if (!job || i >= job->n)
		return ST_EINVAL;
	const struct seal_day *sd = &job->d[i];
	*ret = (struct st_seal_job_day){.day = sd->day, .size = sd->size,
					.converted = sd->ndi.flags & ST_DAY_SEALED2,
					.damaged = sd->damaged};
	ret->sessions = ret->converted ? sd->ndi.nrecs : sd->v1_live;
	memcpy(ret->sha, sd->sha, 32);
	return 0;
}

void st_seal_job_free(st_seal_job *job)
{
	if (!job)
		return;
	if (job->state != JOB_INSTALLED)
		job_unlink(job);
	job->st->seal_job = false;
	free(job->d);
	free(job);
}

int st_store_seal(st_store *st, int64_t now_ns, struct st_seal_report *ret)
{
	st_seal_job *job = NULL;
	int rc;

	if (!st->writable)
		return ST_EREADONLY;
	rc = st_store_commit(st);
	if (rc)
		return rc;
	rc = st_store_seal_begin(st, now_ns, &job);
	if (rc)
		return rc;
	if (!job) {
		/* nothing due: the manifest may still lag the catalogue */
		MDB_txn *txn;
		rc = st_mdb_err(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn));
		if (rc)
			return rc;
		rc = manifest_sync(st, txn);
		mdb_txn_abort(txn);
		if (!rc && ret)
			*ret = (struct st_seal_report){0, st->meta.nseals, st->meta.seal_day};
		return rc;
	}
	rc = st_seal_job_prepare(job);
	if (!rc)
		rc = st_store_seal_install(st, job, ret);
	st_seal_job_free(job);
	return rc;
}

/* ---- verification ---------------------------------------------------------- */

static const char *const vstatus_names[] = {
	[ST_V_OK] = "ok",
	[ST_V_EXPIRED] = "expired",
	[ST_V_CHANGED] = "changed",
	[ST_V_MISSING] = "missing",
	[ST_V_TRUNCATED] = "truncated",
	[ST_V_REORDERED] = "reordered",
	[ST_V_EXTRA] = "extra",
	[ST_V_CHAIN] = "chain",
	[ST_V_UNCOMMITTED] = "uncommitted",
	[ST_V_NOKEY] = "nokey",
};

const char *st_vstatus_name(enum st_vstatus v)
{
	if ((unsigned)v < sizeof(vstatus_names) / sizeof(vstatus_names[0]))
		return vstatus_names[v];
	return "unknown";
}

struct vfile {
	int32_t day;
	bool exists, hashed;
	int boxed;       /* encrypted: 0 no, else 0 after a good open or the error */
	uint32_t key_id; /* encrypted: the key it needs */
	uint64_t size;
	uint8_t sha[32]; /* of the whole file */
	int32_t hdr_day; /* INT32_MIN: header unreadable */
};

struct verifier {
	st_store *st;
	MDB_txn *txn;
	int (*fn)(void *, const struct st_verify_item *);
	void *ctx;
	uint64_t faults;
	struct st_seal *seals;
	uint32_t nseals;
	struct vfile *files;
	size_t nfiles, capfiles;
};

static int report(struct verifier *v, const struct st_verify_item *item)
{
	char name[24], file[32];
	struct st_verify_item it = *item;
	if (it.day != INT32_MIN && !it.file) {
		seg_name(it.day, name);
		snprintf(file, sizeof(file), "seg/%s", name);
		it.file = file;
	}
	if (st_vstatus_fault(it.status))
		v->faults++;
	return v->fn ? v->fn(v->ctx, &it) : 0;
}

static struct vfile *vfile_find(struct verifier *v, int32_t day)
{
	for (size_t i = 0; i < v->nfiles; i++)
		if (v->files[i].day == day)
			return &v->files[i];
	return NULL;
}

/* An encrypted segment file: decrypt with the handle's keys (which also
 * authenticates it) and hash the plaintext, which is what the seal
 * covers; without its key, note which key it needs. */
static int scan_boxed(struct verifier *v, int fd, struct vfile *f)
{
	struct st_buf b = {0};
	uint8_t *plain = NULL;
	size_t plen = 0;
	int rc = seg_read(fd, f->size, &b);
	if (rc) {
		st_buf_done(&b);
		return rc;
	}
	rc = st_segbox_open(v->st->keys, f->day, b.p, b.len, &plain, &plen, &f->key_id);
	st_buf_done(&b);
	if (rc == -ENOMEM || rc == -EIO)
		return rc;
	f->boxed = rc ? rc : 1;
	if (rc)
		return 0;
	unsigned hver;
	int32_t hday;
	if (st_seg_any_hdr(plain, plen, &hver, &hday) == ST_DEC_OK)
		f->hdr_day = hday;
	f->size = plen;
	rc = sha256_mem(plain, plen, f->sha);
	st_segbox_free(plain, plen);
	if (!rc)
		f->hashed = true;
	return rc;
}

/* List seg/: size and header day of every segment file. */
static int files_scan(struct verifier *v)
{
	int dfd = openat(v->st->dirfd, "seg", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -errno;
	}
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(dir))) {
		int32_t day;
		struct stat sb;
		if (!st_day_parse_segname(de->d_name, &day))
			continue;
		if (fstatat(dfd, de->d_name, &sb, 0) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (v->nfiles == v->capfiles) {
			size_t nc = v->capfiles ? v->capfiles * 2 : 64;
			struct vfile *nf = realloc(v->files, nc * sizeof(*nf));
			if (!nf) {
				rc = -ENOMEM;
				break;
			}
			v->files = nf;
			v->capfiles = nc;
		}
		struct vfile *f = &v->files[v->nfiles++];
		memset(f, 0, sizeof(*f));
		f->day = day;
		f->exists = true;
		f->size = (uint64_t)sb.st_size;
		f->hdr_day = INT32_MIN;
		int fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		uint8_t hdr[ST_SEG2_HDR_LEN];
		int32_t hday;
		unsigned hver;
		ssize_t hn = pread(fd, hdr, sizeof(hdr), 0);
		if (hn >= 4 && st_segbox_is(hdr, (size_t)hn)) {
			rc = scan_boxed(v, fd, f);
			close(fd);
			if (rc)
				break;
			continue;
		}
		/* either version: a sealed (v2) file or a version 1 one */
		if (hn >= (ssize_t)ST_SEG_HDR_LEN &&
		    st_seg_any_hdr(hdr, (size_t)hn, &hver, &hday) == ST_DEC_OK)
			f->hdr_day = hday;
		uint64_t n;
		rc = st_sha256_fd(fd, UINT64_MAX, f->sha, &n);
		close(fd);
		if (rc)
			break;
		f->hashed = true;
	}
	closedir(dir);
	return rc;
}

static int seals_load(struct verifier *v, const struct st_meta *m)
{
	uint8_t prev[32] = {0};
	int rc = 0;
	if (m->nseals > (1u << 24))
		return ST_ECORRUPT;
	v->seals = calloc(m->nseals ? m->nseals : 1, sizeof(*v->seals));
	if (!v->seals)
		return -ENOMEM;
	for (uint32_t seq = 1; seq <= m->nseals; seq++) {
		uint8_t kb[4];
		MDB_val k = {4, kb}, val;
		struct st_seal *s = &v->seals[v->nseals];
		struct st_verify_item it = {.status = ST_V_CHAIN, .day = INT32_MIN,
					    .file = "catalog.mdb", .seq = seq};
		seq_key(kb, seq);
		int mrc = mdb_get(v->txn, v->st->db[DB_SEALS], &k, &val);
		if (mrc == MDB_NOTFOUND) {
			it.detail = "seal link missing from the catalogue";
			rc = report(v, &it);
			if (rc)
				return rc;
			continue;
		}
		if (mrc)
			return st_mdb_err(mrc);
		if (st_seal_parse(&val, s)) {
			it.detail = "seal link fails validation";
			rc = report(v, &it);
			if (rc)
				return rc;
			continue;
		}
		struct st_seal t = *s;
		rc = chain_link(prev, &t);
		if (rc)
			return rc;
		if (memcmp(t.chain, s->chain, 32) != 0 ||
		    (v->nseals && s->day <= v->seals[v->nseals - 1].day)) {
			it.day = s->day;
			it.detail = "seal chain broken (link does not follow its predecessor)";
			rc = report(v, &it);
			if (rc)
				return rc;
		}
		memcpy(prev, s->chain, 32);
		v->nseals++;
	}
	return 0;
}

/* DIR/MANIFEST must hold exactly the catalogue's seal lines, in order. */
static int manifest_check(struct verifier *v)
{
	char *m = NULL, line[MANIFEST_LINE_MAX];
	size_t mlen;
	uint8_t prev[32] = {0};
	uint32_t i = 0, lineno = 0;
	int rc = manifest_read(v->st, &m, &mlen);
	struct st_verify_item it = {.status = ST_V_CHAIN, .day = INT32_MIN, .file = "MANIFEST"};
	char detail[160];

	if (rc)
		return rc;
	if (!m) {
		free(m);
		if (v->nseals == 0)
			return 0;
		it.detail = "MANIFEST is missing";
		return report(v, &it);
	}
	for (char *p = m; *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		lineno++;
		if (strncmp(p, "seal ", 5) == 0) {
			int want_len = 0;
			if (i < v->nseals)
				want_len = manifest_line(i + 1, &v->seals[i],
							 i ? v->seals[i - 1].chain : prev, line);
			if (i >= v->nseals) {
				snprintf(detail, sizeof(detail),
					 "MANIFEST line %u: seal the catalogue does not hold", lineno);
				it.detail = detail;
				rc = report(v, &it);
			} else if ((size_t)want_len != len || memcmp(line, p, len) != 0) {
				unsigned seq = 0;
				sscanf(p, "seal seq=%u", &seq);
				snprintf(detail, sizeof(detail),
					 seq && seq != i + 1
						 ? "MANIFEST line %u: seal %u out of order (expected seal %u)"
						 : "MANIFEST line %u: differs from seal %u in the catalogue",
					 lineno, seq && seq != i + 1 ? seq : i + 1, i + 1);
				it.seq = i + 1;
				it.day = v->seals[i].day;
				it.detail = detail;
				rc = report(v, &it);
				it.day = INT32_MIN;
				it.file = "MANIFEST";
			}
			i++;
		} else if (strncmp(p, "expired ", 8) != 0) {
			snprintf(detail, sizeof(detail), "MANIFEST line %u: not a manifest line",
				 lineno);
			it.detail = detail;
			rc = report(v, &it);
		}
		if (rc)
			break;
		p += len;
	}
	if (!rc && i < v->nseals) {
		snprintf(detail, sizeof(detail), "MANIFEST lacks seals %u..%u", i + 1, v->nseals);
		it.detail = detail;
		rc = report(v, &it);
	}
	free(m);
	return rc;
}

static int check_sealed(struct verifier *v, uint32_t i)
{
	const struct st_seal *s = &v->seals[i];
	struct vfile *f = vfile_find(v, s->day);
	char detail[160];
	struct st_verify_item it = {.day = s->day, .sealed = true, .seq = i + 1,
				    .size_want = s->size, .sha = s->sha, .other_day = INT32_MIN};

	if (s->flags & ST_SEAL_EXPIRED) {
		it.status = ST_V_EXPIRED;
		it.detail = "removed by expiry";
		if (f) {
			f->day = INT32_MIN; /* a leftover of an interrupted expiry */
			it.status = ST_V_EXTRA;
			it.size_found = f->size;
			it.detail = "expired segment still on disk";
		}
		return report(v, &it);
	}
	if (!f) {
		it.status = ST_V_MISSING;
		it.detail = "sealed segment file is missing";
		return report(v, &it);
	}
	it.size_found = f->size;
	if (f->boxed < 0) {
		if (f->boxed == -ENOKEY) {
			snprintf(detail, sizeof(detail),
				 "encrypted with key id %u, which is not in the key file (or no key "
				 "file: set RETAIN_KEYS): cannot be verified", f->key_id);
			it.status = ST_V_NOKEY;
		} else if (f->boxed == -EBADMSG) {
			snprintf(detail, sizeof(detail),
				 "encrypted file (key id %u) fails authentication: bytes changed, "
				 "wrong key under that id, or another day's file", f->key_id);
			it.status = ST_V_CHANGED;
		} else {
			snprintf(detail, sizeof(detail), "not a valid encrypted segment (%s)",
				 st_strerror(f->boxed));
			it.status = ST_V_CHANGED;
		}
		it.detail = detail;
		return report(v, &it);
	}
	if (f->hashed && f->size == s->size && memcmp(f->sha, s->sha, 32) == 0) {
		it.status = ST_V_OK;
		it.detail = "SHA-256 matches the seal";
		if (s->flags & ST_SEAL_DAMAGED) {
			it.status = ST_V_CHANGED;
			it.detail = "damaged before it was sealed (a block fails validation)";
		}
		return report(v, &it);
	}
	/* another sealed segment's bytes under this name? */
	for (uint32_t j = 0; j < v->nseals; j++) {
		if (j == i || !f->hashed || v->seals[j].size != f->size ||
		    memcmp(v->seals[j].sha, f->sha, 32) != 0)
			continue;
		char od[16];
		st_day_name(v->seals[j].day, od);
		snprintf(detail, sizeof(detail), "holds the sealed bytes of segment %s (seal %u)", od,
			 j + 1);
		it.status = ST_V_REORDERED;
		it.other_day = v->seals[j].day;
		it.detail = detail;
		return report(v, &it);
	}
	if (f->hdr_day != INT32_MIN && f->hdr_day != s->day) {
		char od[16];
		st_day_name(f->hdr_day, od);
		snprintf(detail, sizeof(detail), "header names day %s: another segment's file", od);
		it.status = ST_V_REORDERED;
		it.other_day = f->hdr_day;
		it.detail = detail;
		return report(v, &it);
	}
	if (f->size < s->size) {
		snprintf(detail, sizeof(detail), "%llu bytes, sealed with %llu",
			 (unsigned long long)f->size, (unsigned long long)s->size);
		it.status = ST_V_TRUNCATED;
		it.detail = detail;
		return report(v, &it);
	}
	it.status = ST_V_CHANGED;
	if (f->size > s->size)
		snprintf(detail, sizeof(detail), "grew by %llu bytes after sealing",
			 (unsigned long long)(f->size - s->size));
	else
		snprintf(detail, sizeof(detail), "SHA-256 differs from the seal (bytes changed)");
	it.detail = detail;
	return report(v, &it);
}

/* Open (unsealed) segment: header, then every block and record. */
static int check_open(struct verifier *v, int32_t day, const struct st_dayinfo *ci)
{
	struct vfile *f = vfile_find(v, day);
	char detail[160], name[24];
	struct st_verify_item it = {.day = day, .size_want = ci->size, .other_day = INT32_MIN};
	struct st_buf b = {0};
	int rc;

	if (!f) {
		it.status = ST_V_MISSING;
		it.detail = "segment file is missing";
		return report(v, &it);
	}
	it.size_found = f->size;
	if (f->size < ci->size) {
		snprintf(detail, sizeof(detail), "%llu bytes, committed %llu",
			 (unsigned long long)f->size, (unsigned long long)ci->size);
		it.status = ST_V_TRUNCATED;
		it.detail = detail;
		return report(v, &it);
	}
	if (f->hdr_day != INT32_MIN && f->hdr_day != day) {
		char od[16];
		st_day_name(f->hdr_day, od);
		snprintf(detail, sizeof(detail), "header names day %s: another segment's file", od);
		it.status = ST_V_REORDERED;
		it.other_day = f->hdr_day;
		it.detail = detail;
		return report(v, &it);
	}
	if (ci->size > SIZE_MAX / 2 || st_buf_reserve(&b, (size_t)ci->size))
		return -ENOMEM;
	seg_name(day, name);
	int fd = openat(v->st->segfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		st_buf_done(&b);
		return -errno;
	}
	size_t got = 0;
	while (got < ci->size) {
		ssize_t r = pread(fd, b.p + got, (size_t)ci->size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	enum st_dec why = ST_DEC_OK;
	rc = got == ci->size ? st_seg_walk(b.p, got, NULL, NULL, &why) : ST_ECORRUPT;
	st_buf_done(&b);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		snprintf(detail, sizeof(detail), "a block fails validation (%s)",
			 st_dec_str(why));
		it.status = ST_V_CHANGED;
		it.detail = detail;
	} else {
		it.status = ST_V_OK;
		it.detail = "open segment: every block valid";
	}
	return report(v, &it);
}

int st_store_verify(st_store *st, int (*fn)(void *ctx, const struct st_verify_item *it),
		    void *ctx, uint64_t *ret_faults)
{
	struct verifier v = {.st = st, .fn = fn, .ctx = ctx};
	struct st_meta m;
	MDB_cursor *cur = NULL;
	int rc;

	rc = st_mdb_err(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &v.txn));
	if (rc)
		return rc;
	rc = st_meta_get(st, v.txn, &m);
	if (!rc)
		rc = files_scan(&v);
	if (!rc)
		rc = seals_load(&v, &m);
	if (!rc)
		rc = manifest_check(&v);
	for (uint32_t i = 0; i < v.nseals && !rc; i++)
		rc = check_sealed(&v, i);
	if (rc)
		goto out_free;

	/* every day of the catalogue not covered by a live seal */
	rc = st_mdb_err(mdb_cursor_open(v.txn, st->db[DB_DAYS], &cur));
	if (rc)
		goto out_free;
	MDB_val k, val;
	int mrc;
	for (mrc = mdb_cursor_get(cur, &k, &val, MDB_FIRST); mrc == 0 && !rc;
	     mrc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		struct st_dayinfo ci;
		if (k.mv_size != ST_DAYKEY_LEN || st_dayinfo_parse(&val, &ci)) {
			rc = ST_ECORRUPT;
			break;
		}
		int32_t day = st_daykey_day(k.mv_data);
		bool sealed = false;
		for (uint32_t i = 0; i < v.nseals; i++) {
			if (v.seals[i].day != day)
				continue;
			sealed = true;
			if (v.seals[i].size != ci.size || (v.seals[i].flags & ST_SEAL_EXPIRED)) {
				struct st_verify_item it = {.status = ST_V_CHAIN, .day = day,
							    .sealed = true, .seq = i + 1,
							    .size_want = v.seals[i].size,
							    .size_found = ci.size,
							    .other_day = INT32_MIN,
							    .detail = "catalogue size differs from the seal"};
				rc = report(&v, &it);
			}
		}
		if (!sealed && !rc)
			rc = check_open(&v, day, &ci);
		struct vfile *f = vfile_find(&v, day);
		if (f)
			f->day = INT32_MIN; /* accounted for */
	}
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = st_mdb_err(mrc);
	mdb_cursor_close(cur);

	/* files nobody accounts for (live seals were matched by day above) */
	for (size_t i = 0; i < v.nfiles && !rc; i++) {
		if (v.files[i].day == INT32_MIN)
			continue;
		bool live = false;
		for (uint32_t j = 0; j < v.nseals; j++)
			if (v.seals[j].day == v.files[i].day && !(v.seals[j].flags & ST_SEAL_EXPIRED))
				live = true;
		if (live)
			continue;
		struct st_verify_item it = {.status = ST_V_EXTRA, .day = v.files[i].day,
					    .size_found = v.files[i].size, .other_day = INT32_MIN,
					    .detail = "segment file the catalogue does not know"};
		/* a day past the sealed ones: a crash left its first blocks
		 * uncommitted (the writer creates a day's file before the commit
		 * that references it); a sealed day's file cannot be */
		if (m.seal_day == ST_SEAL_DAY_NONE || v.files[i].day >= m.seal_day) {
			it.status = ST_V_UNCOMMITTED;
			it.detail = "uncommitted segment file of an unsealed day (crash "
				    "leftover, removed by the next writable open)";
		}
		rc = report(&v, &it);
	}

out_free:
	mdb_txn_abort(v.txn);
	free(v.seals);
	free(v.files);
	if (!rc && ret_faults)
		*ret_faults = v.faults;
	return rc;
}

/* ---- re-encryption (CRYPT.md "Key rotation") ------------------------------- */

/* One sealed segment under the active key: *changed 0 (already), 1
 * (re-encrypted), 2 (was in the clear). */
static int rekey_day(st_store *st, MDB_txn *txn, const struct st_pday *d, int *changed)
{
	struct st_buf file = {0}, box = {0};
	uint8_t *plain = NULL;
	size_t plen = 0;
	bool heap = false;
	struct st_seal seal;
	char name[24], tmp[32];
	uint8_t sha[32];
	int rc;

	*changed = 0;
	seg_name(d->day, name);
	int fd = openat(st->segfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat sb;
	rc = fstat(fd, &sb) != 0 ? -errno : 0;
	if (!rc)
		rc = seg_read(fd, (uint64_t)sb.st_size, &file);
	close(fd);
	if (rc)
		goto out;
	if (st_segbox_is(file.p, file.len)) {
		uint32_t key, nb;
		uint64_t pl;
		rc = st_segbox_info(file.p, file.len, &key, &pl, &nb);
		if (rc)
			goto out;
		if (key == st_keyring_active(st->keys))
			goto out; /* current */
		rc = st_segbox_open(st->keys, d->day, file.p, file.len, &plain, &plen, &key);
		if (rc == -ENOKEY || rc == -EBADMSG)
			st_crypt_note(rc, d->day, key);
		if (rc)
			goto out;
		heap = true;
		*changed = 1;
	} else {
		plain = file.p;
		plen = file.len;
		*changed = 2;
	}
	/* the plaintext must be the sealed one: a damaged file is not
	 * re-encrypted (verify reports it) */
	rc = st_seal_find(st, txn, d->day, &seal);
	if (rc == -ENOENT)
		rc = ST_ECORRUPT;
	if (!rc && (plen != seal.size || plen != d->ci.size))
		rc = ST_ECORRUPT;
	if (!rc)
		rc = sha256_mem(plain, plen, sha);
	if (!rc && memcmp(sha, seal.sha, 32) != 0)
		rc = ST_ECORRUPT;
	if (!rc)
		rc = st_segbox_seal(st->keys, d->day, plain, plen, &box);
	if (rc)
		goto out;
	st_seg_rekey_name(d->day, tmp);
	rc = write_file_at(st->segfd, tmp, box.p, box.len);
	if (rc)
		goto out;
	st_cache_drop_day(st, d->day);
	if (renameat(st->segfd, tmp, st->segfd, name) != 0) {
		rc = -errno;
		unlinkat(st->segfd, tmp, 0);
	}
out:
	if (heap)
		st_segbox_free(plain, plen);
	if (file.p)
		OPENSSL_cleanse(file.p, file.len); /* plaintext when in the clear */
	st_buf_done(&file);
	st_buf_done(&box);
	if (rc)
		*changed = 0;
	return rc;
}

int st_store_rekey(st_store *st, struct st_rekey_report *ret)
{
	struct st_rekey_report r = {0};
	MDB_txn *txn = NULL;
	int rc;

	if (!st->writable)
		return ST_EREADONLY;
	if (!st->keys)
		return ST_EINVAL;
	rc = st_mdb_err(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn));
	if (rc)
		return rc;
	for (size_t i = 0; i < st->ndays && !rc; i++) {
		const struct st_pday *d = st->days[i];
		int changed;
		if (!d->known || !(d->ci.flags & ST_DAY_SEALED2))
			continue; /* open days and damaged (version 1) seals stay in the clear */
		rc = rekey_day(st, txn, d, &changed);
		if (!rc) {
			if (changed == 1)
				r.rekeyed++;
			else if (changed == 2)
				r.encrypted++;
			else
				r.current++;
		}
	}
	mdb_txn_abort(txn);
	if (r.rekeyed + r.encrypted && fsync(st->segfd) != 0 && !rc)
		rc = -errno;
	if (!rc && r.rekeyed + r.encrypted + r.current)
		rc = meta_mark_encrypted(st);
	if (ret)
		*ret = r;
	return rc;
}
