/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sealed segments (storage/sealed.h): build a day, read it back through
 * every access path against a brute-force answer over the input, build
 * twice for identical bytes, and corrupt each section (a flipped byte, a
 * truncation): the reader refuses, never crashes or answers wrongly.
 */
#include "st_test.h"

#include <errno.h>

#include "sealed.h"
#include "store_int.h"

#define DAY0 20600 /* a day number */
#define NREC 3000u

static uint64_t le64_t(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int64_t day_start(void)
{
	return (int64_t)DAY0 * T_DAY;
}

static void gen_day(struct rt_session *v, size_t n, uint64_t seed)
{
	uint64_t r = seed;
	char buf[64];
	for (size_t i = 0; i < n; i++) {
		struct rt_session *s = &v[i];
		int64_t stop = day_start() + (int64_t)t_below(&r, (uint64_t)T_DAY);
		int64_t dur = (int64_t)t_below(&r, 4 * 3600) * T_SEC;
		if (i % 40 == 0)
			dur = (int64_t)t_below(&r, 30) * T_DAY + T_DAY + 1; /* long */
		t_session(s, stop - dur, stop);
		if (i % 13) {
			s->has_ipv4 = true;
			s->ipv4[0] = 100;
			s->ipv4[2] = (uint8_t)t_below(&r, 4);
			s->ipv4[3] = (uint8_t)t_below(&r, 200);
		}
		unsigned a = (unsigned)t_below(&r, 900);
		snprintf(buf, sizeof(buf), "u%05u@isp", a);
		if (i % 17)
			t_text(&s->account, buf);
		snprintf(buf, sizeof(buf), "1380%06u", a);
		if (i % 5)
			t_text(&s->calling_number, buf);
		snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)t_rand(&r));
		t_text(&s->session_id, buf);
		s->nas_ip.family = 4;
		s->nas_ip.a[0] = 10;
		s->nas_ip.a[3] = (uint8_t)(1 + a % 8);
		if (i % 3 == 0) {
			s->ipv6_prefix.present = true;
			s->ipv6_prefix.plen = 64;
			s->ipv6_prefix.a[0] = 0x20;
			s->ipv6_prefix.a[7] = (uint8_t)a;
			s->ipv6_prefix.a[6] = (uint8_t)(a >> 8);
		}
		if (i % 7 == 0) {
			s->delegated_prefix.present = true;
			s->delegated_prefix.plen = 56;
			s->delegated_prefix.a[0] = 0x24;
			s->delegated_prefix.a[6] = (uint8_t)a;
		}
		s->stop_cause = 1;
		s->sources = RT_SRC_RADIUS;
		s->flags = (uint8_t)(i % 11 == 0);
	}
}

static bool same(const struct rt_session *a, const struct rt_session *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

struct coll {
	const struct rt_session **v;
	size_t n;
	uint32_t *rec;
	size_t nrec;
};

static int coll_fn(void *ctx, uint32_t rec, const struct rt_session *s)
{
	struct coll *c = ctx;
	c->v[c->n++] = s; /* valid while the block is cached: compared at once */
	(void)rec;
	return 0;
}

static int rec_fn(void *ctx, uint32_t rec)
{
	struct coll *c = ctx;
	c->rec[c->nrec++] = rec;
	return 0;
}

static size_t count_ip_overlap(const struct rt_session *v, size_t n, const uint8_t ip[4],
			       int64_t from, int64_t to)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += v[i].has_ipv4 && memcmp(v[i].ipv4, ip, 4) == 0 && v[i].start_ns <= to &&
		     v[i].stop_ns >= from;
	return k;
}

static void test_build_read(void)
{
	static struct rt_session in[NREC], sorted[NREC];
	struct st_buf f1 = {0}, f2 = {0};
	struct st_sealed s;
	enum st_dec why;
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	REQUIRE(dc ? 0 : -ENOMEM);

	gen_day(in, NREC, 9);
	memcpy(sorted, in, sizeof(in));
	OK(st_sealed_build(DAY0, sorted, NREC, 3, &f1));
	/* determinism: the same records give the same bytes */
	gen_day(sorted, NREC, 9);
	OK(st_sealed_build(DAY0, sorted, NREC, 3, &f2));
	CHECK(f1.len == f2.len && memcmp(f1.p, f2.p, f1.len) == 0);
	fprintf(stderr, "sealed: %u records, %zu bytes (%.1f B/record)\n", NREC, f1.len,
		(double)f1.len / NREC);

	OK(st_sealed_open(&s, f1.p, f1.len, &why));
	CHECK(s.nrecs == NREC && s.day == DAY0);
	/* every record is there once (as a multiset) */
	size_t found = 0;
	static bool used[NREC];
	memset(used, 0, sizeof(used));
	for (uint32_t rec = 0; rec < s.nrecs; rec++) {
		const struct rt_session *r;
		OK(st_sealed_record(&s, dc, rec, &r));
		for (size_t i = 0; i < NREC; i++) {
			if (!used[i] && same(r, &in[i])) {
				used[i] = true;
				found++;
				break;
			}
		}
	}
	CHECK(found == NREC);

	/* ip at instants, and ranges: same count as brute force, each a match */
	uint64_t r = 3;
	static const struct rt_session *hits[NREC];
	static uint32_t recs[3 * NREC];
	size_t bad = 0;
	for (int q = 0; q < 400; q++) {
		uint8_t ip[4] = {100, 0, (uint8_t)t_below(&r, 4), (uint8_t)t_below(&r, 210)};
		int64_t from = day_start() - 10 * T_DAY + (int64_t)t_below(&r, 11 * (uint64_t)T_DAY);
		int64_t to = q % 2 ? from : from + (int64_t)t_below(&r, 3600) * T_SEC;
		struct coll c = {hits, 0, NULL, 0};
		OK(st_sealed_ip4(&s, dc, ip, from, to, coll_fn, &c));
		bad += c.n != count_ip_overlap(in, NREC, ip, from, to);
	}
	CHECK(bad == 0);

	/* hash indexes: every record with the key is among the candidates */
	bad = 0;
	for (int q = 0; q < 200; q++) {
		const struct rt_session *want = &in[t_below(&r, NREC)];
		for (unsigned kind = HK_ACCT; kind <= HK_CALL; kind++) {
			const struct rt_text *t = kind == HK_ACCT ? &want->account : &want->calling_number;
			if (!t->len)
				continue;
			struct coll c = {NULL, 0, recs, 0};
			OK(st_sealed_hash(&s, kind, (const uint8_t *)t->v, t->len, rec_fn, &c));
			size_t match = 0, expect = 0;
			for (size_t i = 0; i < c.nrec; i++) { /* blocks, each once */
				const struct rt_session *rows;
				struct st_sealed_blk e;
				CHECK(c.rec[i] < s.nblocks && (i == 0 || c.rec[i] > c.rec[i - 1]));
				OK(st_sealed_block(&s, dc, c.rec[i], &rows));
				st_sealed_blk(&s, c.rec[i], &e);
				for (uint32_t j = 0; j < e.nrecs; j++) {
					const struct rt_text *xt =
						kind == HK_ACCT ? &rows[j].account : &rows[j].calling_number;
					match += xt->len == t->len && memcmp(xt->v, t->v, t->len) == 0;
				}
			}
			for (size_t i = 0; i < NREC; i++) {
				const struct rt_text *it = kind == HK_ACCT ? &in[i].account : &in[i].calling_number;
				expect += it->len == t->len && memcmp(it->v, t->v, t->len) == 0;
			}
			bad += match != expect;
		}
		if (want->delegated_prefix.present) {
			uint8_t k[17];
			size_t kl = st_v6_prefix(k, want->delegated_prefix.a, 56);
			struct coll c = {NULL, 0, recs, 0};
			OK(st_sealed_hash(&s, HK_V6, k, kl, rec_fn, &c));
			CHECK(c.nrec >= 1);
			CHECK(s.hix[HK_V6].plens[56 / 8] & (1u << (56 % 8)));
		}
	}
	CHECK(bad == 0);

	/* the long table: each long session under its address */
	bad = 0;
	for (size_t i = 0; i < NREC; i += 40) {
		if (!in[i].has_ipv4)
			continue;
		/* its middle, and its first and last nanosecond (the table's
		 * bounds are whole seconds, rounded out) */
		int64_t at[3] = {in[i].start_ns + (in[i].stop_ns - in[i].start_ns) / 2, in[i].start_ns,
				 in[i].stop_ns};
		for (int w = 0; w < 3; w++) {
			struct coll c = {NULL, 0, recs, 0};
			OK(st_sealed_long(&s, HK_IP4, in[i].ipv4, 4, at[w], at[w], rec_fn, &c));
			bool ok = false;
			for (size_t j = 0; j < c.nrec; j++) {
				const struct rt_session *x;
				OK(st_sealed_record(&s, dc, c.rec[j], &x));
				ok |= same(x, &in[i]);
			}
			bad += !ok;
		}
	}
	CHECK(bad == 0);
	st_sealed_close(&s);

	/* corruption: flip one byte in each section and at each header
	 * field, and cut the file: open refuses, or (data section) reading
	 * every block does; nothing crashes */
	static uint8_t m[1 << 20];
	REQUIRE(f1.len <= sizeof(m) ? 0 : -ENOSPC);
	size_t nflip = 0, caught = 0;
	const uint8_t *dir = f1.p + ST_SEG2_HDR_LEN;
	for (uint32_t k = 0; k < SECT_N_KINDS; k++) {
		size_t offs[3];
		if (k == 0) { /* header and directory */
			offs[0] = 8;
			offs[1] = 20;
			offs[2] = ST_SEG2_HDR_LEN + 10;
		} else {
			const uint8_t *d = dir + (k - 1) * 24;
			uint64_t off = le64_t(d + 8), len = le64_t(d + 16);
			if (!len)
				continue;
			offs[0] = (size_t)off;
			offs[1] = (size_t)(off + len / 2);
			offs[2] = (size_t)(off + len - 1);
		}
		for (int j = 0; j < 3; j++) {
			memcpy(m, f1.p, f1.len);
			m[offs[j]] ^= 0x10;
			nflip++;
			int rc = st_sealed_open(&s, m, f1.len, &why);
			if (rc) {
				caught += rc == st_dec_err(why) && why != ST_DEC_OK;
				continue;
			}
			int brc = 0;
			for (uint32_t b = 0; b < s.nblocks && !brc; b++) {
				const struct rt_session *rows;
				brc = st_sealed_block(&s, dc, b, &rows);
			}
			caught += brc == ST_ECORRUPT;
			if (brc != ST_ECORRUPT)
				fprintf(stderr, "sealed flip in section %u at %zu not caught\n", k, offs[j]);
			st_sealed_close(&s);
		}
	}
	CHECK(nflip >= 20 && caught == nflip);
	size_t cuts[] = {0, 7, 63, 64, 200, f1.len / 2, f1.len - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		CHECK(st_sealed_open(&s, f1.p, cuts[i], &why) != 0 && why != ST_DEC_OK);
		st_sealed_close(&s);
	}
	/* a record number past the end; a block past the end */
	OK(st_sealed_open(&s, f1.p, f1.len, &why));
	const struct rt_session *x;
	CHECK_RC(st_sealed_record(&s, dc, NREC, &x), ST_ECORRUPT);
	CHECK_RC(st_sealed_block(&s, dc, s.nblocks, &x), ST_ECORRUPT);
	st_sealed_close(&s);

	/* refused input: an open session */
	in[0].stop_ns = RT_TIME_NONE;
	struct st_buf f3 = {0};
	CHECK_RC(st_sealed_build(DAY0, in, 1, 3, &f3), ST_EINVAL);
	st_buf_done(&f3);
	st_buf_done(&f1);
	st_buf_done(&f2);
	ZSTD_freeDCtx(dc);
}

/* A query's open (st_sealed_open_lazy) leaves the hash sections to their
 * first use: a flipped byte in one of them does not stop an address
 * lookup, and is reported by every use of that index (the verdict is
 * kept), while the other indexes answer as after a full open.  Bytes an
 * address lookup reads are refused at open as by st_sealed_open(). */
static void test_lazy(void)
{
	static struct rt_session in[NREC];
	static uint8_t m[1 << 20];
	static uint32_t recs[3 * NREC], recs2[3 * NREC];
	static const struct rt_session *hits[NREC];
	struct st_buf f = {0};
	struct st_sealed s;
	enum st_dec why;
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	REQUIRE(dc ? 0 : -ENOMEM);
	gen_day(in, NREC, 9);
	OK(st_sealed_build(DAY0, in, NREC, 3, &f));
	gen_day(in, NREC, 9); /* the build sorts its input */
	REQUIRE(f.len <= sizeof(m) ? 0 : -ENOSPC);
	const uint8_t *dir = f.p + ST_SEG2_HDR_LEN;
	const char *acct = "u00007@isp";
	uint8_t v6[17];
	size_t v6l = 0;
	for (size_t i = 0; i < NREC && !v6l; i++)
		if (in[i].delegated_prefix.present)
			v6l = st_v6_prefix(v6, in[i].delegated_prefix.a, 56);
	REQUIRE(v6l ? 0 : -ENOENT);

	/* clean file: nothing checked before use, then the same answers */
	OK(st_sealed_open_lazy(&s, f.p, f.len, &why));
	CHECK(s.hix_state[HK_ACCT] == 0 && s.hix_state[HK_CALL] == 0 && s.hix_state[HK_V6] == 0);
	struct coll a = {NULL, 0, recs, 0}, b = {NULL, 0, recs2, 0};
	OK(st_sealed_hash(&s, HK_ACCT, (const uint8_t *)acct, strlen(acct), rec_fn, &a));
	CHECK(s.hix_state[HK_ACCT] == 1 && s.hix_state[HK_CALL] == 0);
	OK(st_sealed_hix_check(&s, HK_V6, &why));
	CHECK(s.hix_state[HK_V6] == 1 && (s.hix[HK_V6].plens[56 / 8] & (1u << (56 % 8))));
	CHECK_RC(st_sealed_hix_check(&s, HK_IP4, &why), ST_EINVAL);
	st_sealed_close(&s);
	OK(st_sealed_open(&s, f.p, f.len, &why));
	OK(st_sealed_hash(&s, HK_ACCT, (const uint8_t *)acct, strlen(acct), rec_fn, &b));
	CHECK(a.nrec > 0 && a.nrec == b.nrec && memcmp(recs, recs2, a.nrec * sizeof(*recs)) == 0);
	st_sealed_close(&s);

	static const unsigned hsect[HK_N] = {0, SECT_HACCT, SECT_HCALL, SECT_HV6};
	for (unsigned kind = HK_ACCT; kind < HK_N; kind++) {
		const uint8_t *d = dir + (hsect[kind] - 1) * 24;
		uint64_t off = le64_t(d + 8), len = le64_t(d + 16);
		size_t at[3] = {(size_t)off, (size_t)(off + len / 2), (size_t)(off + len - 1)};
		for (int j = 0; j < 3; j++) {
			memcpy(m, f.p, f.len);
			m[at[j]] ^= 0x10;
			CHECK(st_sealed_open(&s, m, f.len, &why) == ST_ECORRUPT &&
			      why == ST_DEC_BAD_CHECKSUM);
			st_sealed_close(&s);
			OK(st_sealed_open_lazy(&s, m, f.len, &why));
			/* address lookups answer as before */
			uint64_t r = 5;
			size_t bad = 0;
			for (int q = 0; q < 50; q++) {
				uint8_t ip[4] = {100, 0, (uint8_t)t_below(&r, 4), (uint8_t)t_below(&r, 210)};
				int64_t from = day_start() + (int64_t)t_below(&r, (uint64_t)T_DAY);
				struct coll c = {hits, 0, NULL, 0};
				OK(st_sealed_ip4(&s, dc, ip, from, from, coll_fn, &c));
				bad += c.n != count_ip_overlap(in, NREC, ip, from, from);
			}
			CHECK(bad == 0);
			/* the damaged index, on each use; the others are fine */
			for (int use = 0; use < 2; use++) {
				struct coll c = {NULL, 0, recs, 0};
				const uint8_t *k = kind == HK_V6 ? v6 : (const uint8_t *)acct;
				size_t kl = kind == HK_V6 ? v6l : strlen(acct);
				CHECK_RC(st_sealed_hash(&s, kind, k, kl, rec_fn, &c), ST_ECORRUPT);
				CHECK(c.nrec == 0);
				why = ST_DEC_OK;
				CHECK_RC(st_sealed_hix_check(&s, kind, &why), ST_ECORRUPT);
				CHECK(why == ST_DEC_BAD_CHECKSUM);
			}
			for (unsigned o = HK_ACCT; o < HK_N; o++)
				if (o != kind)
					OK(st_sealed_hix_check(&s, o, &why));
			st_sealed_close(&s);
		}
	}
	/* the dictionary, block and long tables are checked at open */
	static const unsigned early[] = {SECT_DICT, SECT_BLOCKS, SECT_LONG};
	for (size_t i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
		const uint8_t *d = dir + (early[i] - 1) * 24;
		uint64_t off = le64_t(d + 8), len = le64_t(d + 16);
		memcpy(m, f.p, f.len);
		m[off + len / 2] ^= 0x10;
		CHECK(st_sealed_open_lazy(&s, m, f.len, &why) == ST_ECORRUPT &&
		      why == ST_DEC_BAD_CHECKSUM);
		st_sealed_close(&s);
	}
	st_buf_done(&f);
	ZSTD_freeDCtx(dc);
}

/* `test_sealed --corpus DIR`: the seed corpus of fuzz_sealed (a small day
 * without dictionary, a day with one, a header alone, the small day with a
 * damaged hash section). */
static int write_corpus(const char *dir)
{
	static struct rt_session v[1500];
	struct st_buf f = {0};
	static const struct {
		const char *name;
		size_t n, keep; /* records; bytes kept (0: all) */
	} seeds[] = {{"small", 120, 0}, {"dict", 1500, 0}, {"header-only", 120, ST_SEG2_HDR_LEN}};
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[4200];
		gen_day(v, seeds[i].n, 7 + i);
		f.len = 0;
		OK(st_sealed_build(DAY0, v, seeds[i].n, 3, &f));
		size_t n = seeds[i].keep ? seeds[i].keep : f.len;
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
		FILE *o = fopen(path, "wb");
		REQUIRE(o ? 0 : -errno);
		REQUIRE(fwrite(f.p, 1, n, o) == n ? 0 : -EIO);
		fclose(o);
	}
	/* the small day with a byte of its account hash section changed: a
	 * query's (lazy) open accepts it, that index's first use refuses */
	{
		char path[4200];
		gen_day(v, 120, 7);
		f.len = 0;
		OK(st_sealed_build(DAY0, v, 120, 3, &f));
		const uint8_t *d = f.p + ST_SEG2_HDR_LEN + (SECT_HACCT - 1) * 24;
		uint64_t off = le64_t(d + 8), len = le64_t(d + 16);
		REQUIRE(len && off + len <= f.len ? 0 : -EIO);
		f.p[off + len / 2] ^= 0x10;
		snprintf(path, sizeof(path), "%s/hash-damaged", dir);
		FILE *o = fopen(path, "wb");
		REQUIRE(o ? 0 : -errno);
		REQUIRE(fwrite(f.p, 1, f.len, o) == f.len ? 0 : -EIO);
		fclose(o);
	}
	st_buf_done(&f);
	return t_finish("test_sealed --corpus");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		return write_corpus(argv[2]);
	test_build_read();
	test_lazy();
	return t_finish("test_sealed");
}
