/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The closed-session index runs the writer leaves in the segment files,
 * found through the catalogue's run.D partitions and read from the files
 * with this test's own reading of FORMAT.md section 5, compared key for
 * key with the entries this test derives on its own (value | be64(start ^
 * 1<<63) | varint dur | varint block | varint (idx << 1), in the tree of
 * its database, or the long tree for sessions longer than a day); every
 * fence must name its chunk's offset, length and first key.  Block numbers
 * follow the writer's rule: a block holds block_recs records, and every
 * commit closes the block being filled.  The puts repeat values (pool
 * addresses and accounts, the same value at close starts), mix days, long
 * sessions and every IPv6 field, and come in several commit sizes: what
 * the index sort and the insert path of st_store_commit must store
 * unchanged.
 */
#include "st_test.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#define BLOCK_RECS 64u
#define NDAYS 3

/* ---- the expected entries ------------------------------------------------ */

struct ent {
	char db[48];
	uint8_t k[320];
	size_t kl;
};

static struct ent *exp_v;
static size_t exp_n, exp_cap;

static void day_name(int32_t day, char out[32])
{
	time_t t = (time_t)day * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 32, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static size_t varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static size_t be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
	return 8;
}

static size_t v6key(uint8_t *p, const uint8_t a[16], unsigned plen)
{
	unsigned n = (plen + 7) / 8;
	p[0] = (uint8_t)plen;
	memcpy(p + 1, a, n);
	if (plen % 8)
		p[n] &= (uint8_t)(0xff00u >> (plen % 8));
	return 1 + n;
}

static void expect(const char *db, int32_t day, const uint8_t *val, size_t vl, int64_t start,
		   const uint8_t *ref, size_t rl)
{
	if (exp_n == exp_cap) {
		exp_cap = exp_cap ? exp_cap * 2 : 1024;
		exp_v = realloc(exp_v, exp_cap * sizeof(*exp_v));
		if (!exp_v) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
	}
	struct ent *e = &exp_v[exp_n++];
	char dn[32];
	day_name(day, dn);
	snprintf(e->db, sizeof(e->db), "%s%s", db, dn);
	memcpy(e->k, val, vl);
	e->kl = vl;
	e->kl += be64(e->k + e->kl, (uint64_t)start ^ UINT64_C(0x8000000000000000));
	memcpy(e->k + e->kl, ref, rl);
	e->kl += rl;
}

/* Block being filled per day (the test's days are 0 .. NDAYS-1 from T_BASE). */
static uint32_t cur_blk[NDAYS], cur_idx[NDAYS];

static void expect_session(const struct rt_session *s)
{
	int32_t day = (int32_t)(s->stop_ns / T_DAY);
	unsigned di = (unsigned)(day - (int32_t)(T_BASE / T_DAY));
	if (cur_idx[di] == BLOCK_RECS) {
		cur_blk[di]++;
		cur_idx[di] = 0;
	}
	uint64_t dur = (uint64_t)(s->stop_ns - s->start_ns);
	uint8_t ref[40], v[64];
	size_t rl = varint(ref, dur);
	rl += varint(ref + rl, cur_blk[di]);
	rl += varint(ref + rl, (uint64_t)cur_idx[di] << 1);
	cur_idx[di]++;
	bool lng = dur > (uint64_t)T_DAY;
	const char *pre = lng ? "ixl." : "ix.";
	char db[24];
	if (s->has_ipv4) {
		snprintf(db, sizeof(db), "%sipv4.", pre);
		expect(db, day, s->ipv4, 4, s->start_ns, ref, rl);
	}
	if (s->account.len) {
		v[0] = s->account.len;
		memcpy(v + 1, s->account.v, s->account.len);
		snprintf(db, sizeof(db), "%saccount.", pre);
		expect(db, day, v, 1u + s->account.len, s->start_ns, ref, rl);
	}
	if (s->calling_number.len) {
		v[0] = s->calling_number.len;
		memcpy(v + 1, s->calling_number.v, s->calling_number.len);
		snprintf(db, sizeof(db), "%scalling.", pre);
		expect(db, day, v, 1u + s->calling_number.len, s->start_ns, ref, rl);
	}
	snprintf(db, sizeof(db), "%sipv6.", pre);
	if (s->ipv6_prefix.present)
		expect(db, day, v, v6key(v, s->ipv6_prefix.a, s->ipv6_prefix.plen), s->start_ns,
		       ref, rl);
	if (s->delegated_prefix.present)
		expect(db, day, v, v6key(v, s->delegated_prefix.a, s->delegated_prefix.plen),
		       s->start_ns, ref, rl);
	if (s->has_ipv6_addr)
		expect(db, day, v, v6key(v, s->ipv6_addr, 128), s->start_ns, ref, rl);
}

static void expect_commit(void)
{
	for (unsigned d = 0; d < NDAYS; d++)
		if (cur_idx[d]) {
			cur_blk[d]++;
			cur_idx[d] = 0;
		}
}

/* LMDB's default order (mdb_cmp_memn) within one database. */
static int ent_cmp(const void *x, const void *y)
{
	const struct ent *a = x, *b = y;
	int c = strcmp(a->db, b->db);
	if (c)
		return c;
	c = memcmp(a->k, b->k, a->kl < b->kl ? a->kl : b->kl);
	if (c)
		return c;
	return a->kl < b->kl ? -1 : a->kl > b->kl;
}

/* ---- the puts ------------------------------------------------------------- */

static void gen(uint64_t *r, struct rt_session *s, unsigned i)
{
	unsigned day = (unsigned)t_below(r, NDAYS);
	int64_t stop = T_BASE + (int64_t)day * T_DAY + (int64_t)t_below(r, (uint64_t)T_DAY);
	int64_t dur;
	unsigned k = (unsigned)t_below(r, 100);
	if (k < 3)
		dur = T_DAY + 1 + (int64_t)t_below(r, 5 * (uint64_t)T_DAY); /* long */
	else if (k < 6)
		dur = T_DAY; /* the longest regular one */
	else
		dur = (int64_t)t_below(r, 4 * 3600) * T_SEC + (int64_t)t_below(r, T_SEC);
	t_session(s, stop - dur, stop);
	if (t_below(r, 10) == 0 && i > 0)
		s->start_ns = s->stop_ns; /* zero duration */
	/* a burst of one address at close starts: equal key prefixes */
	uint64_t a = t_below(r, 8) == 0 ? 7 : t_below(r, 300);
	if (t_below(r, 20)) {
		s->has_ipv4 = true;
		s->ipv4[0] = 100;
		s->ipv4[1] = 64;
		s->ipv4[2] = (uint8_t)(a >> 8);
		s->ipv4[3] = (uint8_t)a;
	}
	char b[64];
	uint64_t acct = t_below(r, 200);
	if (t_below(r, 10)) {
		snprintf(b, sizeof(b), "u%03u@isp", (unsigned)acct);
		t_text(&s->account, b);
	}
	if (t_below(r, 3)) {
		/* lengths around the 12-byte prefix and past it */
		snprintf(b, sizeof(b), "%.*s", (int)(1 + acct % 30),
			 "138000000000000000000000000000");
		t_text(&s->calling_number, b);
	}
	static const uint8_t plens[] = {0, 1, 47, 48, 56, 64, 127, 128};
	if (t_below(r, 2)) {
		s->ipv6_prefix.present = true;
		s->ipv6_prefix.plen = plens[t_below(r, sizeof(plens))];
		for (unsigned j = 0; j < 16; j++)
			s->ipv6_prefix.a[j] = (uint8_t)(j < 6 ? 0x20 + j : t_rand(r));
	}
	if (t_below(r, 3) == 0) {
		s->delegated_prefix.present = true;
		s->delegated_prefix.plen = 56;
		for (unsigned j = 0; j < 16; j++)
			s->delegated_prefix.a[j] = (uint8_t)(j < 5 ? 0x20 : t_rand(r));
	}
	if (t_below(r, 4) == 0) {
		s->has_ipv6_addr = true;
		for (unsigned j = 0; j < 16; j++)
			s->ipv6_addr[j] = (uint8_t)t_rand(r);
		if (t_below(r, 4) == 0) {
			/* the same key twice in ix.ipv6: stored once */
			s->ipv6_prefix.present = true;
			s->ipv6_prefix.plen = 128;
			memcpy(s->ipv6_prefix.a, s->ipv6_addr, 16);
		}
	}
	s->nas_ip.family = 4;
	s->nas_ip.a[3] = (uint8_t)(1 + acct % 8);
	snprintf(b, sizeof(b), "sid-%u", i);
	t_text(&s->session_id, b);
	s->stop_cause = 1;
	s->sources = RT_SRC_RADIUS;
}

/* ---- the catalogue as stored ------------------------------------------------ */

#define MDB_OK(expr)                                                                  \
	do {                                                                          \
		int m_ = (expr);                                                      \
		if (m_ != 0) {                                                        \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr,  \
				mdb_strerror(m_));                                    \
			exit(1);                                                      \
		}                                                                     \
	} while (0)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static struct ent *got_v;
static size_t got_n, got_cap;

/* Read run (off, len) of seg file fd, as FORMAT.md section 5 lays it
 * out, into got_v under the name of its tree; check the fences named in
 * the catalogue against its chunks. */
static void read_run(int fd, const char dn[16], uint32_t id, uint64_t off, uint32_t len,
		     uint8_t tree, MDB_txn *txn, MDB_dbi dbi, size_t *chunks)
{
	static const char *const names[4] = {"ipv4.", "account.", "calling.", "ipv6."};
	uint8_t *b = malloc(len);
	REQUIRE(b ? 0 : -ENOMEM);
	CHECK(pread(fd, b, len, (off_t)off) == (ssize_t)len);
	CHECK(le32(b) == 0x58495452u && b[4] == 1 && b[6] == 32); /* "RTIX" v1 */
	CHECK(b[12] == tree && le32(b + 16) == id && le32(b + 24) == len - 32);
	uint32_t nkeys = le32(b + 20), n = 0;
	size_t p = 32;
	MDB_cursor *c;
	MDB_OK(mdb_cursor_open(txn, dbi, &c));
	uint8_t fk[5] = {1, (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
	MDB_val k = {5, fk}, v;
	int frc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (p + 8 <= len) {
		uint32_t cn = (uint32_t)b[p + 4] | (uint32_t)b[p + 5] << 8;
		size_t clen = 8 + ((size_t)b[p + 6] | (size_t)b[p + 7] << 8);
		CHECK(p + clen <= len && clen <= 2048 && cn > 0);
		if (p + clen > len)
			break;
		/* the fence of this chunk: next in the catalogue, same run */
		CHECK(frc == 0 && k.mv_size > 5 && memcmp(k.mv_data, fk, 5) == 0 &&
		      v.mv_size == 12 && le64(v.mv_data) == off + p &&
		      le32((const uint8_t *)v.mv_data + 8) == clen);
		size_t q = p + 8;
		uint8_t key[512];
		size_t key_len = 0;
		for (uint32_t i = 0; i < cn && q < p + clen; i++) {
			/* front coding: varint shared | varint rest | rest bytes */
			size_t hdr[2] = {0, 0};
			for (int f = 0; f < 2; f++)
				for (unsigned sh = 0; q < p + clen; sh += 7) {
					uint8_t x = b[q++];
					hdr[f] |= (size_t)(x & 0x7f) << sh;
					if (!(x & 0x80))
						break;
				}
			size_t shared = hdr[0], rest = hdr[1];
			CHECK(shared <= key_len && shared + rest <= sizeof(key) && q + rest <= p + clen);
			CHECK(i > 0 || shared == 0);
			if (shared > key_len || shared + rest > sizeof(key) || q + rest > p + clen)
				break;
			memcpy(key + shared, b + q, rest);
			key_len = shared + rest;
			q += rest;
			if (i == 0 && frc == 0)
				CHECK(k.mv_size == 5 + key_len &&
				      memcmp((uint8_t *)k.mv_data + 5, key, key_len) == 0);
			if (got_n == got_cap) {
				got_cap = got_cap ? got_cap * 2 : 1024;
				got_v = realloc(got_v, got_cap * sizeof(*got_v));
				REQUIRE(got_v ? 0 : -ENOMEM);
			}
			struct ent *e = &got_v[got_n++];
			snprintf(e->db, sizeof(e->db), "%s%s%s", tree >= 4 ? "ixl." : "ix.",
				 names[tree % 4], dn);
			CHECK(key_len <= sizeof(e->k));
			e->kl = key_len < sizeof(e->k) ? key_len : sizeof(e->k);
			memcpy(e->k, key, e->kl);
			n++;
		}
		CHECK(q == p + clen);
		p += clen;
		(*chunks)++;
		frc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	CHECK(p == len && n == nkeys);
	/* no fence beyond the run's chunks */
	CHECK(frc == MDB_NOTFOUND || (k.mv_size >= 5 && memcmp(k.mv_data, fk, 5) != 0));
	mdb_cursor_close(c);
	free(b);
}

/* Read every run of every run.D partition (FORMAT.md section 5) and
 * compare the union of their keys with exp_v[] (sorted the same way). */
/* The store's catalogue, read-only, and a read transaction. */
static void cat_open(const char *dir, MDB_env **env, MDB_txn **txn)
{
	char path[4300];
	snprintf(path, sizeof(path), "%.4200s/catalog.mdb", dir);
	MDB_OK(mdb_env_create(env));
	MDB_OK(mdb_env_set_maxdbs(*env, 4096));
	MDB_OK(mdb_env_open(*env, path, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK, 0600));
	MDB_OK(mdb_txn_begin(*env, NULL, MDB_RDONLY, txn));
}

static void compare_catalogue(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi main_dbi;
	MDB_cursor *mc;
	MDB_val k, v;
	cat_open(dir, &env, &txn);
	MDB_OK(mdb_dbi_open(txn, NULL, 0, &main_dbi));
	MDB_OK(mdb_cursor_open(txn, main_dbi, &mc));

	qsort(exp_v, exp_n, sizeof(*exp_v), ent_cmp);
	/* one session's IPv6 fields can give one key twice: stored once */
	size_t u = 0;
	for (size_t i = 0; i < exp_n; i++)
		if (u == 0 || ent_cmp(&exp_v[u - 1], &exp_v[i]) != 0)
			exp_v[u++] = exp_v[i];
	CHECK(u < exp_n); /* the case is there */
	exp_n = u;
	got_n = 0;
	size_t parts = 0, runs = 0, chunks = 0;
	int rc = mdb_cursor_get(mc, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) {
		char name[64], seg[4400];
		if (k.mv_size <= 4 || memcmp(k.mv_data, "run.", 4) != 0 || k.mv_size >= sizeof(name))
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = 0;
		parts++;
		snprintf(seg, sizeof(seg), "%s/seg/%s.seg", dir, name + 4);
		int fd = open(seg, O_RDONLY);
		REQUIRE(fd < 0 ? -errno : 0);
		MDB_dbi dbi;
		MDB_cursor *c;
		MDB_val ik, iv;
		MDB_OK(mdb_dbi_open(txn, name, 0, &dbi));
		MDB_OK(mdb_cursor_open(txn, dbi, &c));
		int r2 = mdb_cursor_get(c, &ik, &iv, MDB_FIRST);
		for (; r2 == 0; r2 = mdb_cursor_get(c, &ik, &iv, MDB_NEXT)) {
			const uint8_t *kp = ik.mv_data;
			if (kp[0] != 0)
				break; /* the fences follow the run entries */
			CHECK(ik.mv_size == 5 && iv.mv_size == 24);
			const uint8_t *vp = iv.mv_data;
			char dn[16];
			snprintf(dn, sizeof(dn), "%.10s", name + 4);
			read_run(fd, dn, (uint32_t)kp[1] << 24 | (uint32_t)kp[2] << 16 | (uint32_t)kp[3] << 8 | kp[4],
				 le64(vp), le32(vp + 8), vp[16], txn, dbi, &chunks);
			runs++;
		}
		mdb_cursor_close(c);
		close(fd);
	}
	CHECK(rc == MDB_NOTFOUND);
	qsort(got_v, got_n, sizeof(*got_v), ent_cmp);
	/* every key once (no run repeats another's), exactly the expected */
	size_t bad = 0;
	CHECK(got_n == exp_n);
	for (size_t i = 0; i < got_n && i < exp_n; i++) {
		bool ok = ent_cmp(&got_v[i], &exp_v[i]) == 0;
		if (!ok && bad++ < 5)
			fprintf(stderr, "  entry %zu (%s) differs from the expected one (%s)\n", i,
				got_v[i].db, exp_v[i].db);
		CHECK(ok);
	}
	CHECK(parts == NDAYS);
	CHECK(runs >= NDAYS * 2 * 4);
	if (getenv("IX_DEBUG"))
		fprintf(stderr, "%zu keys in %zu runs, %zu chunks\n", got_n, runs, chunks);
	mdb_cursor_close(mc);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

/* Put and commit batches of generated sessions, expecting their entries. */
static void put_batches(st_store *st, const unsigned *batches, size_t n, uint64_t *r,
			unsigned *i)
{
	struct rt_session s;
	for (size_t b = 0; b < n; b++) {
		for (unsigned j = 0; j < batches[b]; j++, (*i)++) {
			gen(r, &s, *i);
			OK(st_store_put_closed(st, &s));
			expect_session(&s);
		}
		OK(st_store_commit(st));
		expect_commit();
	}
}

static void test_index_contents(void)
{
	char dir[4200];
	t_path(dir, sizeof(dir), "ix");
	t_rmtree(dir);
	struct st_open_opts o = {.block_recs = BLOCK_RECS};
	st_store *st = NULL;
	REQUIRE(st_store_open_with(dir, ST_OPEN_CREATE, &o, &st));
	/* commit sizes: one put, odd sizes, a batch larger than the rest */
	static const unsigned batches[] = {1, 37, 1000, 5000, 64, 65, 12000, 3, 2500};
	uint64_t r = 42;
	unsigned i = 0;
	put_batches(st, batches, sizeof(batches) / sizeof(batches[0]), &r, &i);
	st_store_close(st);
	compare_catalogue(dir);
	/* a new writer continues the runs it finds (ids, levels, merges) */
	REQUIRE(st_store_open_with(dir, ST_OPEN_WRITE, &o, &st));
	static const unsigned more[] = {7, 300, 9, 40, 1, 4000, 2};
	put_batches(st, more, sizeof(more) / sizeof(more[0]), &r, &i);
	st_store_close(st);
	compare_catalogue(dir);
	free(exp_v);
}

/* Read a whole file; NULL if it cannot. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *p = NULL;
	size_t n = 0, cap = 0, got;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			uint8_t *np = realloc(p, cap);
			if (!np) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = np;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return p;
}

/*
 * A commit's blocks and runs are built as jobs shared by the writer and a
 * helper thread: the segment files must not depend on which thread ran
 * which job.  The same puts (merges included: thousands of small commits
 * then big ones, several days per commit) into a store that uses one
 * thread and one that uses two give byte-identical segment files.
 */
static void test_threads_same_files(void)
{
	char dir[2][4200];
	static const unsigned batches[] = {1, 3, 5, 7, 64, 65, 200, 1000, 5000, 2, 9000, 1, 30000};
	for (unsigned t = 0; t < 2; t++) {
		t_path(dir[t], sizeof(dir[t]), t ? "thr2" : "thr1");
		t_rmtree(dir[t]);
		struct st_open_opts o = {.block_recs = BLOCK_RECS, .commit_threads = t + 1};
		st_store *st = NULL;
		REQUIRE(st_store_open_with(dir[t], ST_OPEN_CREATE, &o, &st));
		uint64_t r = 4242;
		unsigned i = 0;
		struct rt_session s;
		for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
			for (unsigned j = 0; j < batches[b]; j++, i++) {
				gen(&r, &s, i);
				OK(st_store_put_closed(st, &s));
			}
			OK(st_store_commit(st));
		}
		st_store_close(st);
	}
	unsigned files = 0;
	for (int d = 0; d < NDAYS; d++) {
		char name[32], p0[4300], p1[4300];
		day_name((int32_t)(T_BASE / T_DAY) + d, name);
		snprintf(p0, sizeof(p0), "%s/seg/%s.seg", dir[0], name);
		snprintf(p1, sizeof(p1), "%s/seg/%s.seg", dir[1], name);
		size_t l0 = 0, l1 = 0;
		uint8_t *a = slurp(p0, &l0), *b = slurp(p1, &l1);
		CHECK(a && b);
		if (a && b) {
			files++;
			CHECK(l0 == l1 && memcmp(a, b, l0) == 0);
			CHECK(l0 > 100000); /* blocks and several levels of runs */
		}
		free(a);
		free(b);
	}
	CHECK(files == NDAYS);
	t_rmtree(dir[0]);
	t_rmtree(dir[1]);
}

/* Live runs of `tree` in day dname's run.D partition: count, largest. */
static void live_runs(const char *dir, const char *dname, unsigned tree, size_t *ret_n,
		      uint32_t *ret_max)
{
	char part[64];
	snprintf(part, sizeof(part), "run.%.32s", dname);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *c;
	MDB_val k, v;
	*ret_n = 0;
	*ret_max = 0;
	cat_open(dir, &env, &txn);
	MDB_OK(mdb_dbi_open(txn, part, 0, &dbi));
	MDB_OK(mdb_cursor_open(txn, dbi, &c));
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	for (; rc == 0 && ((const uint8_t *)k.mv_data)[0] == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *vp = v.mv_data;
		if (v.mv_size != 24 || vp[16] != tree)
			continue;
		(*ret_n)++;
		if (le32(vp + 12) > *ret_max)
			*ret_max = le32(vp + 12);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

struct hit {
	int64_t start;
	bool found;
};

static int hit_fn(void *ctx, const struct rt_session *s)
{
	struct hit *h = ctx;
	h->found |= s->start_ns == h->start;
	return 0;
}

/* Of every step-th session of v[0..n), how many "who had its IPv4 at its
 * start" does not find (a failed query counts as a check failure too). */
static unsigned ip_at_missing(st_store *st, const struct rt_session *v, unsigned n, unsigned step)
{
	unsigned missing = 0;
	for (unsigned i = 0; i < n; i += step) {
		struct st_query q = {.kind = ST_Q_IPV4_AT, .from_ns = v[i].start_ns};
		memcpy(q.ipv4, v[i].ipv4, 4);
		struct hit h = {.start = v[i].start_ns};
		OK(st_store_query(st, &q, hit_fn, &h));
		missing += !h.found;
	}
	return missing;
}

/*
 * Big levels merge by 8 (store_int.h st_run_fanout): nine commits of 20000
 * sessions into one day make eight runs of level 7 that merge into one,
 * then a ninth.  One thread and two write the same file; every session is
 * found by ip_at in both stores.
 */
static void test_big_merge(void)
{
	enum { COMMITS = 9, PER = 20000 };
	char dir[2][4200];
	struct rt_session *v = calloc((size_t)COMMITS * PER, sizeof(*v));
	CHECK(v != NULL);
	if (!v)
		return;
	uint64_t r = 777;
	for (unsigned i = 0; i < COMMITS * PER; i++) {
		struct rt_session *s = &v[i];
		gen(&r, s, i);
		/* all in day 0, distinct addresses: every key of tree 0 */
		int64_t shift = (s->stop_ns - T_BASE) / T_DAY * T_DAY;
		s->start_ns -= shift;
		s->stop_ns -= shift;
		if (s->stop_ns - s->start_ns > T_DAY)
			s->start_ns = s->stop_ns - T_DAY; /* regular */
		s->has_ipv4 = true;
		s->ipv4[0] = 10;
		s->ipv4[1] = (uint8_t)(i >> 16);
		s->ipv4[2] = (uint8_t)(i >> 8);
		s->ipv4[3] = (uint8_t)i;
	}
	for (unsigned t = 0; t < 2; t++) {
		t_path(dir[t], sizeof(dir[t]), t ? "big2" : "big1");
		t_rmtree(dir[t]);
		struct st_open_opts o = {.block_recs = BLOCK_RECS, .commit_threads = t + 1};
		st_store *st = NULL;
		REQUIRE(st_store_open_with(dir[t], ST_OPEN_CREATE, &o, &st));
		for (unsigned c = 0; c < COMMITS; c++) {
			for (unsigned j = 0; j < PER; j++)
				OK(st_store_put_closed(st, &v[c * PER + j]));
			OK(st_store_commit(st));
		}
		st_store_close(st);
		REQUIRE(st_store_open(dir[t], ST_OPEN_RDONLY, &st));
		CHECK(ip_at_missing(st, v, COMMITS * PER, 97) == 0);
		st_store_close(st);
		/* the first eight merged (by 4 they would have merged at the
		 * fourth and the eighth: 2 runs of 80000), the ninth alone */
		char dn[32];
		day_name((int32_t)(T_BASE / T_DAY), dn);
		size_t n;
		uint32_t max;
		live_runs(dir[t], dn, 0, &n, &max);
		CHECK(n == 2 && max == 8 * PER);
	}
	char name[32], p0[4300], p1[4300];
	day_name((int32_t)(T_BASE / T_DAY), name);
	snprintf(p0, sizeof(p0), "%s/seg/%s.seg", dir[0], name);
	snprintf(p1, sizeof(p1), "%s/seg/%s.seg", dir[1], name);
	size_t l0 = 0, l1 = 0;
	uint8_t *a = slurp(p0, &l0), *b = slurp(p1, &l1);
	CHECK(a && b && l0 == l1 && memcmp(a, b, l0) == 0);
	free(a);
	free(b);
	t_rmtree(dir[0]);
	t_rmtree(dir[1]);
	free(v);
}

/*
 * A writer's helper thread stays in the parent across fork(): a child that
 * commits with the handle does all of the commit's work itself (the jobs
 * and both halves of the file write).  The child's big commit is found
 * whole afterwards.
 */
static void test_fork_child_commits(void)
{
	enum { PER = 30000 };
	char dir[4200];
	t_path(dir, sizeof(dir), "fork");
	t_rmtree(dir);
	struct st_open_opts o = {.block_recs = BLOCK_RECS, .commit_threads = 2};
	st_store *st = NULL;
	REQUIRE(st_store_open_with(dir, ST_OPEN_CREATE, &o, &st));
	struct rt_session *v = calloc(2 * PER, sizeof(*v));
	CHECK(v != NULL);
	if (!v)
		return;
	uint64_t r = 99;
	for (unsigned i = 0; i < 2 * PER; i++) {
		gen(&r, &v[i], i);
		v[i].has_ipv4 = true;
		v[i].ipv4[0] = 10;
		v[i].ipv4[1] = (uint8_t)(i >> 16);
		v[i].ipv4[2] = (uint8_t)(i >> 8);
		v[i].ipv4[3] = (uint8_t)i;
	}
	/* the parent's commit starts the helper */
	for (unsigned i = 0; i < PER; i++)
		OK(st_store_put_closed(st, &v[i]));
	OK(st_store_commit(st));
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0;
		for (unsigned i = PER; i < 2 * PER; i++)
			bad |= st_store_put_closed(st, &v[i]) != 0;
		bad |= st_store_commit(st) != 0;
		st_store_close(st);
		_exit(bad);
	}
	CHECK(pid > 0);
	int stt = -1;
	CHECK(pid > 0 && waitpid(pid, &stt, 0) == pid && WIFEXITED(stt) && WEXITSTATUS(stt) == 0);
	st_store_close(st); /* nothing pending here: the child wrote */
	REQUIRE(st_store_open(dir, ST_OPEN_RDONLY, &st));
	CHECK(ip_at_missing(st, v, 2 * PER, 53) == 0);
	st_store_close(st);
	t_rmtree(dir);
	free(v);
}

int main(int argc, char **argv)
{
	t_root_init(argc, argv);
	test_index_contents();
	test_threads_same_files();
	test_big_merge();
	test_fork_child_commits();
	t_rmtree(t_root);
	return t_finish("test_store_ix");
}
