/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_reasm4_*: table-driven fragment sequences (in order, reversed,
 * interleaved, repeats, overlaps, bad fragments, two different ends, too
 * big, 65535 exactly, header options), every rejection reason, every
 * truncation point of each fragment, the timeout, eviction and the name
 * table.  Every fragment sits at the end of its own heap block (ASan), and
 * each reassembled datagram is compared byte for byte with the original.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dp_check.h"
#include "reasm4.h"

#define NS 1000000000LL
#define MAXP 65535

static uint8_t payload[MAXP];

struct frag {
	uint32_t off;  /* payload offset, octets */
	uint32_t len;  /* payload octets */
	bool mf;
	uint16_t id;   /* 0 = 0x1234 */
	uint8_t src;   /* last octet of the source, 0 = 1 */
	enum dp_reasm4_res want;
};

/* Build the fragment: header (20 octets, or 24 with a NOP option block
 * when opts), then payload[off, off+len). */
static size_t make_frag(const struct frag *f, bool opts, uint8_t *b)
{
	size_t hlen = opts ? 24 : 20, n = hlen + f->len;
	uint16_t frag = (uint16_t)((f->mf ? 0x2000 : 0) | (f->off / 8));
	uint16_t id = f->id ? f->id : 0x1234;

	memset(b, 0, hlen);
	b[0] = (uint8_t)(0x40 | hlen / 4);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
	b[6] = (uint8_t)(frag >> 8) | 0x00;
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = 17;
	b[12] = 10;
	b[15] = f->src ? f->src : 1;
	b[16] = 10;
	b[19] = 2;
	if (opts)
		memset(b + 20, 1, 4); /* NOP options */
	memcpy(b + hlen, payload + f->off, f->len);
	return n;
}

static uint16_t sum16(const uint8_t *h, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

struct scase {
	const char *name;
	size_t max_datagram;
	bool opts;
	size_t total; /* payload size of the datagram when the last step is DONE */
	struct frag f[8];
};

#define P DP_REASM4_PENDING
#define D DP_REASM4_DONE

static const struct scase scases[] = {
	{"in-order", 4096, false, 3060,
	 {{0, 1480, true, 0, 0, P}, {1480, 1480, true, 0, 0, P}, {2960, 100, false, 0, 0, D}}},
	{"reversed", 4096, false, 3060,
	 {{2960, 100, false, 0, 0, P}, {1480, 1480, true, 0, 0, P}, {0, 1480, true, 0, 0, D}}},
	{"middle-first", 4096, false, 3060,
	 {{1480, 1480, true, 0, 0, P}, {0, 1480, true, 0, 0, P}, {2960, 100, false, 0, 0, D}}},
	{"repeat-ignored", 4096, false, 3060,
	 {{0, 1480, true, 0, 0, P},
	  {0, 1480, true, 0, 0, DP_REASM4_DUPLICATE},
	  {2960, 100, false, 0, 0, P},
	  {2960, 100, false, 0, 0, DP_REASM4_DUPLICATE},
	  {1480, 1480, true, 0, 0, D}}},
	{"sub-repeat-same-bytes", 4096, false, 32,
	 {{0, 24, true, 0, 0, P}, {8, 8, true, 0, 0, DP_REASM4_DUPLICATE},
	  {24, 8, false, 0, 0, D}}},
	{"header-options", 4096, true, 1000,
	 {{504, 496, false, 0, 0, P}, {0, 504, true, 0, 0, D}}},
	{"zero-length-last", 4096, false, 16,
	 {{0, 16, true, 0, 0, P}, {16, 0, false, 0, 0, D}}},
	{"interleaved", 4096, false, 64,
	 {{0, 32, true, 1, 0, P},
	  {0, 32, true, 2, 0, P},
	  {0, 32, true, 1, 9, P}, /* same id, other source */
	  {32, 32, false, 2, 0, D},
	  {32, 32, false, 1, 9, D},
	  {32, 32, false, 1, 0, D}}},
	{"max-65535", 65515, false, 65515,
	 {{0, 32760, true, 0, 0, P}, {32760, 32755, false, 0, 0, D}}},
	{"overlap", 4096, false, 0,
	 {{0, 16, true, 0, 0, P}, {8, 16, true, 0, 0, DP_REASM4_OVERLAP},
	  /* the datagram was dropped: its rest starts over */
	  {16, 8, false, 0, 0, P}}},
	{"overlap-changed-bytes-last", 4096, false, 0,
	 {{0, 24, true, 0, 0, P}, {16, 4, false, 0, 0, DP_REASM4_BAD_FRAGMENT}}},
	{"overlap-tail", 4096, false, 0,
	 {{16, 10, false, 0, 0, P}, {8, 16, true, 0, 0, DP_REASM4_OVERLAP}}},
	{"middle-not-8", 4096, false, 0, {{0, 12, true, 0, 0, DP_REASM4_BAD_FRAGMENT}}},
	{"middle-empty", 4096, false, 0, {{8, 0, true, 0, 0, DP_REASM4_BAD_FRAGMENT}}},
	{"two-ends", 4096, false, 0,
	 {{16, 8, false, 0, 0, P}, {32, 8, false, 0, 0, DP_REASM4_BAD_FRAGMENT}}},
	{"data-past-end", 4096, false, 0,
	 {{32, 8, true, 0, 0, P}, {8, 8, false, 0, 0, DP_REASM4_BAD_FRAGMENT}}},
	{"too-big-cfg", 4096, false, 0, {{4096, 8, false, 0, 0, DP_REASM4_TOO_BIG}}},
	{"too-big-65536", 65515, false, 0,
	 {{0, 32760, true, 0, 0, P}, {32760, 32756, false, 0, 0, DP_REASM4_TOO_BIG}}},
	{"too-big-with-options", 65515, true, 0,
	 {{0, 32760, true, 0, 0, P}, {32760, 32755, false, 0, 0, DP_REASM4_TOO_BIG}}},
	{"not-fragment", 4096, false, 0, {{0, 100, false, 0, 0, DP_REASM4_NOT_FRAGMENT}}},
};

static enum dp_reasm4_res add_guarded(dp_reasm4 *r, const uint8_t *b, size_t n, int64_t now,
				      const uint8_t **out, size_t *out_len)
{
	uint8_t *g = guard_copy(b, n);
	enum dp_reasm4_res res = dp_reasm4_add(r, g, n, now, out, out_len);

	guard_free(g, n);
	return res;
}

static void test_sequences(void)
{
	static uint8_t b[MAXP + 64];

	for (size_t k = 0; k < sizeof(scases) / sizeof(scases[0]); k++) {
		const struct scase *tc = &scases[k];
		struct dp_reasm4_cfg cfg = {4, tc->max_datagram, 30 * NS};
		dp_reasm4 *r = NULL;

		check_ctx = tc->name;
		CHECK(dp_reasm4_alloc(&cfg, &r) == 0);
		for (unsigned i = 0; i < 8; i++) {
			const struct frag *f = &tc->f[i];

			if (!f->len && !f->off && !f->mf && f->want == DP_REASM4_DONE)
				break; /* end of the list */
			/* only the first fragment of a case carries the options */
			size_t n = make_frag(f, tc->opts && f->off == 0, b);
			const uint8_t *out = NULL;
			size_t out_len = 0;
			enum dp_reasm4_res res = add_guarded(r, b, n, i, &out, &out_len);

			CHECKF(res == f->want, "step %u: %s, want %s", i, dp_reasm4_res_str(res),
			       dp_reasm4_res_str(f->want));
			if (res != DP_REASM4_DONE)
				continue;
			size_t hlen = tc->opts ? 24 : 20;
			CHECKF(out_len == hlen + tc->total, "len %zu", out_len);
			CHECK((out[0] & 0x0f) * 4u == hlen);
			CHECK(((size_t)out[2] << 8 | out[3]) == out_len);
			CHECK((out[6] & 0x3f) == 0 && out[7] == 0);
			CHECK(sum16(out, hlen) == 0xffff); /* checksum verifies */
			CHECK(memcmp(out + hlen, payload, tc->total) == 0);
			CHECK(out[15] == (f->src ? f->src : 1));
		}
		dp_reasm4_free(r);
	}
}

/* Header rejections, hex in / result out. */
struct hcase {
	const char *name;
	const char *hex;
	enum dp_reasm4_res want;
};

static const struct hcase hcases[] = {
	{"empty", "", DP_REASM4_TRUNCATED},
	{"19", "45000014 12342000 40110000 0a000001 0a0000", DP_REASM4_TRUNCATED},
	{"total-beyond", "45000020 12342000 40110000 0a000001 0a000002 0000000000000000 00",
	 DP_REASM4_TRUNCATED},
	{"version-6", "65000014 12342000 40110000 0a000001 0a000002", DP_REASM4_BAD_HEADER},
	{"ihl-4", "44000014 12342000 40110000 0a000001 0a000002", DP_REASM4_BAD_HEADER},
	{"total-below-ihl", "46000014 12342000 40110000 0a000001 0a000002 01010101",
	 DP_REASM4_BAD_HEADER},
	{"df-only", "45000018 12344000 40110000 0a000001 0a000002 01020304", DP_REASM4_NOT_FRAGMENT},
	{"padding-ignored", "4500001c 12342000 40110000 0a000001 0a000002 0001020304050607 ffff",
	 DP_REASM4_PENDING},
};

static void test_headers(void)
{
	bool seen[DP_REASM4_RES_MAX] = {false};
	struct dp_reasm4_cfg cfg = {4, 4096, 30 * NS};
	dp_reasm4 *r = NULL;

	CHECK(dp_reasm4_alloc(&cfg, &r) == 0);
	for (size_t k = 0; k < sizeof(hcases) / sizeof(hcases[0]); k++) {
		const struct hcase *tc = &hcases[k];
		uint8_t raw[128];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		const uint8_t *out = NULL;
		size_t out_len = 0;
		enum dp_reasm4_res res;

		check_ctx = tc->name;
		res = add_guarded(r, raw, n, 0, &out, &out_len);
		CHECKF(res == tc->want, "%s", dp_reasm4_res_str(res));
		CHECK(out == NULL && out_len == 0);
	}
	dp_reasm4_free(r);

	/* every result is produced by some case */
	for (size_t k = 0; k < sizeof(hcases) / sizeof(hcases[0]); k++)
		seen[hcases[k].want] = true;
	for (size_t k = 0; k < sizeof(scases) / sizeof(scases[0]); k++)
		for (unsigned i = 0; i < 8; i++)
			seen[scases[k].f[i].want] = true;
	check_ctx = "result-coverage";
	for (unsigned i = 0; i < DP_REASM4_RES_MAX; i++)
		CHECKF(seen[i], "no case returns %s", dp_reasm4_res_str(i));
}

/* Every truncation of every fragment of "in-order" is refused and leaves
 * no trace: the whole fragments then still reassemble. */
static void test_truncations(void)
{
	static uint8_t b[MAXP + 64];
	const struct scase *tc = &scases[0];
	struct dp_reasm4_cfg cfg = {4, 4096, 30 * NS};
	dp_reasm4 *r = NULL;
	const uint8_t *out = NULL;
	size_t out_len = 0;

	check_ctx = "truncations";
	CHECK(dp_reasm4_alloc(&cfg, &r) == 0);
	for (unsigned i = 0; i < 3; i++) {
		size_t n = make_frag(&tc->f[i], false, b);

		for (size_t cut = 0; cut < n; cut++) {
			enum dp_reasm4_res res = add_guarded(r, b, cut, 0, &out, &out_len);
			CHECKF(res == DP_REASM4_TRUNCATED, "frag %u cut %zu: %s", i, cut,
			       dp_reasm4_res_str(res));
		}
	}
	struct dp_reasm4_stats st;
	dp_reasm4_stats(r, &st);
	CHECK(st.in_flight == 0);
	for (unsigned i = 0; i < 3; i++) {
		size_t n = make_frag(&tc->f[i], false, b);
		CHECK(add_guarded(r, b, n, 0, &out, &out_len) == tc->f[i].want);
	}
	CHECK(out_len == 20 + tc->total && memcmp(out + 20, payload, tc->total) == 0);
	dp_reasm4_free(r);
}

static void test_timeout_eviction(void)
{
	static uint8_t b[4096];
	struct dp_reasm4_cfg cfg = {2, 4096, 30 * NS};
	struct dp_reasm4_stats st;
	dp_reasm4 *r = NULL;
	const uint8_t *out;
	size_t out_len, n;
	struct frag first = {0, 16, true, 1, 0, P}, last = {16, 8, false, 1, 0, P};

	check_ctx = "timeout";
	CHECK(dp_reasm4_alloc(&cfg, &r) == 0);
	n = make_frag(&first, false, b);
	CHECK(add_guarded(r, b, n, 0, &out, &out_len) == P);
	n = make_frag(&last, false, b);
	/* exactly at the timeout: still there */
	CHECK(add_guarded(r, b, n, 30 * NS, &out, &out_len) == D);
	n = make_frag(&first, false, b);
	CHECK(add_guarded(r, b, n, 100 * NS, &out, &out_len) == P);
	n = make_frag(&last, false, b);
	CHECK(add_guarded(r, b, n, 130 * NS + 1, &out, &out_len) == P); /* first expired */
	dp_reasm4_stats(r, &st);
	CHECK(st.expired == 1 && st.in_flight == 1 && st.completed == 1);
	dp_reasm4_expire(r, 200 * NS);
	dp_reasm4_stats(r, &st);
	CHECK(st.expired == 2 && st.in_flight == 0);
	/* time going backwards ages nothing */
	n = make_frag(&first, false, b);
	CHECK(add_guarded(r, b, n, 300 * NS, &out, &out_len) == P);
	dp_reasm4_expire(r, 0);
	dp_reasm4_stats(r, &st);
	CHECK(st.in_flight == 1);
	dp_reasm4_free(r);

	check_ctx = "eviction";
	CHECK(dp_reasm4_alloc(&cfg, &r) == 0);
	for (uint16_t id = 1; id <= 3; id++) {
		struct frag f = {0, 16, true, id, 0, P};
		n = make_frag(&f, false, b);
		CHECK(add_guarded(r, b, n, id, &out, &out_len) == P);
	}
	dp_reasm4_stats(r, &st);
	CHECK(st.evicted == 1 && st.in_flight == 2);
	{
		struct frag l1 = {16, 8, false, 1, 0, P}, l3 = {16, 8, false, 3, 0, D};
		n = make_frag(&l1, false, b); /* id 1 was the oldest: gone */
		CHECK(add_guarded(r, b, n, 5, &out, &out_len) == P);
		n = make_frag(&l3, false, b);
		CHECK(add_guarded(r, b, n, 6, &out, &out_len) == D);
	}
	dp_reasm4_stats(r, &st);
	CHECK(st.evicted == 2); /* id 1's tail evicted id 2 */
	dp_reasm4_free(r);

	check_ctx = "alloc-errors";
	struct dp_reasm4_cfg bad[] = {
		{0, 4096, NS}, {1, 0, NS}, {1, 65516, NS}, {1, 4096, 0}, {1, 4096, -1},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = NULL;
		CHECK(dp_reasm4_alloc(&bad[i], &r) == -EINVAL && r == NULL);
	}
	CHECK(dp_reasm4_alloc(NULL, &r) == -EINVAL);
	CHECK(dp_reasm4_free(NULL) == NULL);
}

static void test_names(void)
{
	static const char *const want[DP_REASM4_RES_MAX] = {
		"done",	     "pending",	     "duplicate", "not-fragment", "truncated",
		"bad-header", "bad-fragment", "overlap",   "too-big",
	};

	check_ctx = "names";
	for (unsigned i = 0; i < DP_REASM4_RES_MAX; i++)
		CHECKF(strcmp(dp_reasm4_res_str(i), want[i]) == 0, "%u: %s", i,
		       dp_reasm4_res_str(i));
	CHECK(strcmp(dp_reasm4_res_str(DP_REASM4_RES_MAX), "unknown") == 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + (i >> 8));
	test_sequences();
	test_headers();
	test_truncations();
	test_timeout_eviction();
	test_names();
	return check_done();
}
