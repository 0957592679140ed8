/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The closed-session index partitions the writer leaves in the catalogue,
 * read with LMDB directly and compared key for key with the entries this
 * test derives on its own from FORMAT.md section 5 (value | be64(start ^
 * 1<<63) | varint dur | varint block | varint (idx << 1), in ix.*.D, or
 * ixl.*.D for sessions longer than a day), in LMDB's order.  Block numbers
 * follow the writer's rule: a block holds block_recs records, and every
 * commit closes the block being filled.  The puts repeat values (pool
 * addresses and accounts, the same value at close starts), mix days, long
 * sessions and every IPv6 field, and come in several commit sizes: what
 * the index sort and the insert path of st_store_commit must store
 * unchanged.
 */
#include "st_test.h"

#include <lmdb.h>
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

static bool is_ix(const MDB_val *name)
{
	return (name->mv_size > 3 && memcmp(name->mv_data, "ix.", 3) == 0) ||
	       (name->mv_size > 4 && memcmp(name->mv_data, "ixl.", 4) == 0);
}

/* Walk every ix.* / ixl.* partition in name order and compare it with
 * exp_v[] (sorted the same way). */
static void compare_catalogue(const char *dir)
{
	char path[4300];
	snprintf(path, sizeof(path), "%s/catalog.mdb", dir);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi main_dbi;
	MDB_cursor *mc;
	MDB_val k, v;
	MDB_OK(mdb_env_create(&env));
	MDB_OK(mdb_env_set_maxdbs(env, 4096));
	MDB_OK(mdb_env_open(env, path, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK, 0600));
	MDB_OK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
	MDB_OK(mdb_dbi_open(txn, NULL, 0, &main_dbi));
	MDB_OK(mdb_cursor_open(txn, main_dbi, &mc));

	qsort(exp_v, exp_n, sizeof(*exp_v), ent_cmp);
	/* one session's IPv6 fields can give one key twice: LMDB keeps one */
	size_t u = 0;
	for (size_t i = 0; i < exp_n; i++)
		if (u == 0 || ent_cmp(&exp_v[u - 1], &exp_v[i]) != 0)
			exp_v[u++] = exp_v[i];
	CHECK(u < exp_n); /* the case is there */
	exp_n = u;
	size_t e = 0, dbs = 0, bad = 0;
	int rc = mdb_cursor_get(mc, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) {
		if (!is_ix(&k))
			continue;
		char name[64];
		CHECK(k.mv_size < sizeof(name));
		if (k.mv_size >= sizeof(name))
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = 0;
		dbs++;
		MDB_dbi dbi;
		MDB_cursor *c;
		MDB_val ik, iv;
		MDB_OK(mdb_dbi_open(txn, name, 0, &dbi));
		MDB_OK(mdb_cursor_open(txn, dbi, &c));
		int r2 = mdb_cursor_get(c, &ik, &iv, MDB_FIRST);
		for (; r2 == 0; r2 = mdb_cursor_get(c, &ik, &iv, MDB_NEXT)) {
			bool ok = e < exp_n && strcmp(exp_v[e].db, name) == 0 &&
				  exp_v[e].kl == ik.mv_size &&
				  memcmp(exp_v[e].k, ik.mv_data, ik.mv_size) == 0 &&
				  iv.mv_size == 0;
			if (!ok && bad++ < 5)
				fprintf(stderr, "  %s: entry %zu differs from the expected one\n",
					name, e);
			CHECK(ok);
			e++;
		}
		CHECK(r2 == MDB_NOTFOUND);
		mdb_cursor_close(c);
		/* every expected entry of this database was there */
		bool all = e == exp_n || strcmp(exp_v[e].db, name) != 0;
		if (!all && bad++ < 5)
			fprintf(stderr, "  %s: expected entries missing\n", name);
		CHECK(all);
		while (e < exp_n && strcmp(exp_v[e].db, name) == 0)
			e++;
	}
	CHECK(rc == MDB_NOTFOUND);
	CHECK(e == exp_n);
	/* 3 days x {ix, ixl} x 4 databases, all written by the puts below */
	CHECK(dbs == NDAYS * 2 * 4);
	mdb_cursor_close(mc);
	mdb_txn_abort(txn);
	mdb_env_close(env);
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
	struct rt_session s;
	for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
		for (unsigned j = 0; j < batches[b]; j++, i++) {
			gen(&r, &s, i);
			OK(st_store_put_closed(st, &s));
			expect_session(&s);
		}
		OK(st_store_commit(st));
		expect_commit();
	}
	st_store_close(st);
	compare_catalogue(dir);
	free(exp_v);
}

int main(int argc, char **argv)
{
	t_root_init(argc, argv);
	test_index_contents();
	t_rmtree(t_root);
	return t_finish("test_store_ix");
}
