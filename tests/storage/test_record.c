/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Table-driven tests of the storage codec (storage/record.h): records,
 * blocks and segments, one case per rejection reason, every truncation
 * point, with each input placed in a heap buffer of its exact size (ASan
 * poisons the byte after it).
 *
 * `test_record --corpus DIR` writes the fuzz seed corpora instead
 * (DIR/fuzz_record, DIR/fuzz_segment; both must exist).
 */
#include "st_test.h"

#include <zstd.h>

#include "record.h"

/* ---- exact-size buffers ------------------------------------------------------- */

static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	REQUIRE(b ? 0 : -ENOMEM);
	if (n)
		memcpy(b, p, n);
	return b;
}

static enum st_dec decode_exact(const void *p, size_t n, int64_t prev, struct rt_session *s,
				size_t *ret_used)
{
	uint8_t *b = dup_exact(p, n);
	struct dp_cur c = dp_cur_make(b, n);
	enum st_dec why = st_rec_decode(&c, prev, s);
	if (ret_used)
		*ret_used = n - dp_cur_left(&c);
	free(b);
	return why;
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	while (h[0] && h[1]) {
		if (h[0] == ' ') {
			h++;
			continue;
		}
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* ---- sessions --------------------------------------------------------------------- */

static void rich(struct rt_session *s, unsigned i)
{
	t_session(s, T_BASE + (int64_t)i * 1000003, T_BASE + (int64_t)i * 1000003 + 77 * T_SEC);
	uint8_t raw[RT_TEXT_MAX];
	for (unsigned k = 0; k < RT_TEXT_MAX; k++)
		raw[k] = (uint8_t)(255 - k - i);
	t_setn(&s->account, raw, RT_TEXT_MAX);
	t_setn(&s->session_id, raw + 1, 1);
	t_setn(&s->calling_number, raw, 17);
	t_setn(&s->nas_id, raw, 200);
	t_setn(&s->nas_port_id, raw, 3);
	s->nas_ip.family = 6;
	memset(s->nas_ip.a, 0xab, 16);
	s->has_ipv4 = true;
	memcpy(s->ipv4, "\x0a\x00\x00\x01", 4);
	s->has_ipv6_addr = true;
	memset(s->ipv6_addr, 0x11, 16);
	s->ipv6_prefix.present = true;
	s->ipv6_prefix.plen = 128;
	memset(s->ipv6_prefix.a, 0xff, 16);
	s->delegated_prefix.present = true;
	s->delegated_prefix.plen = 0;
	s->has_calling_mac = true;
	memset(s->calling_mac, 0x02, 6);
	s->has_clock_skew = true;
	s->clock_skew_ms = -1;
	s->stop_cause = 255;
	s->sources = 0x0f;
	s->auth = 2;
	s->last_news_ns = INT64_MAX;
	s->prev_news_ns = INT64_MIN + 1;
}

static void test_roundtrip(void)
{
	struct rt_session in[5], out;
	uint8_t buf[ST_REC_MAX];

	rich(&in[0], 1);
	rich(&in[1], 2);
	in[1].stop_ns = RT_TIME_NONE;
	in[1].stop_cause = 0;
	t_session(&in[2], 1, 1); /* minimal */
	in[2].flags = RT_FLAG_UNMAPPED; /* bit 19 */
	t_session(&in[3], INT64_MIN + 1, INT64_MAX); /* extreme times */
	t_session(&in[4], -5, RT_TIME_NONE);
	in[4].nas_ip.family = 4;
	memcpy(in[4].nas_ip.a, "\xc0\x00\x02\x01", 4);

	int64_t prev = 0;
	for (unsigned i = 0; i < 5; i++) {
		OK(st_rec_check(&in[i]));
		size_t n = st_rec_encode(&in[i], prev, 0, buf);
		CHECK(n > 0 && n <= ST_REC_MAX);
		size_t used = 0;
		CHECK(decode_exact(buf, n, prev, &out, &used) == ST_DEC_OK);
		CHECK(used == n);
		CHECK(memcmp(&out, &in[i], sizeof(out)) == 0);
		/* times-only path agrees */
		struct dp_cur c = dp_cur_make(buf, n);
		int64_t a = 0, b = 0;
		CHECK(st_rec_times(&c, prev, &a, &b) == ST_DEC_OK && dp_cur_left(&c) == 0);
		CHECK(a == in[i].start_ns && b == in[i].stop_ns);
		/* every strict prefix is truncated, never read past */
		for (size_t k = 0; k < n; k++)
			CHECK(decode_exact(buf, k, prev, &out, NULL) == ST_DEC_TRUNCATED);
		prev = in[i].start_ns;
	}
	/* the largest record fits ST_REC_MAX */
	size_t n = st_rec_encode(&in[0], INT64_MIN + 1, 0, buf);
	CHECK(n <= ST_REC_MAX);
	/* tracker state left out on request */
	n = st_rec_encode(&in[0], 0, ST_ENC_NO_TRACKER, buf);
	CHECK(decode_exact(buf, n, 0, &out, NULL) == ST_DEC_OK);
	CHECK(out.last_news_ns == RT_TIME_NONE && out.prev_news_ns == RT_TIME_NONE);
	/* invalid sessions */
	struct rt_session bad = in[0];
	bad.stop_ns = bad.start_ns - 1;
	CHECK_RC(st_rec_check(&bad), ST_EINVAL);
	bad = in[0];
	bad.delegated_prefix.plen = 200;
	CHECK_RC(st_rec_check(&bad), ST_EINVAL);
	bad = in[0];
	bad.nas_ip.family = 1;
	CHECK_RC(st_rec_check(&bad), ST_EINVAL);
	bad = in[0];
	bad.account.len = 254;
	CHECK_RC(st_rec_check(&bad), ST_EINVAL);
}

/* ---- one case per rejection reason (hex in, reason out) ------------------------------ */

static const struct {
	const char *name;
	const char *hex;
	enum st_dec want;
} rec_cases[] = {
	{"empty", "", ST_DEC_TRUNCATED},
	{"flags only", "01", ST_DEC_TRUNCATED},
	{"closed without duration", "01 00", ST_DEC_TRUNCATED},
	{"unknown flag bit 20", "808040 00", ST_DEC_BAD_FLAGS},
	{"flags varint overflow", "ffffffffffffffffff7f", ST_DEC_BAD_FLAGS},
	{"nas v4 and v6", "9020 00", ST_DEC_BAD_FLAGS},
	{"open with stop cause", "8002 00 01", ST_DEC_BAD_FLAGS},
	{"sources present but 0", "40 00 00", ST_DEC_BAD_FLAGS},
	{"auth present but 0", "8001 00 00", ST_DEC_BAD_FLAGS},
	{"text length 0", "02 00 00", ST_DEC_BAD_TEXT},
	{"text length 254", "02 00 fe", ST_DEC_BAD_TEXT},
	{"text cut short", "02 00 05 6162", ST_DEC_TRUNCATED},
	{"start is RT_TIME_NONE", "00 ffffffffffffffffff01", ST_DEC_BAD_TIME},
	{"start varint overflow", "00 ffffffffffffffffff7f", ST_DEC_BAD_TIME},
	{"stop past INT64_MAX", "01 feffffffffffffffff01 01", ST_DEC_BAD_TIME},
	{"duration varint overflow", "01 00 ffffffffffffffffff02", ST_DEC_BAD_TIME},
	{"last news RT_TIME_NONE", "808008 00 ffffffffffffffffff01", ST_DEC_BAD_TIME},
	{"prefix length 129", "808001 00 81 00", ST_DEC_BAD_PREFIX},
	{"prefix 17 bytes", "808001 00 40 11", ST_DEC_BAD_PREFIX},
	{"prefix trailing zero", "808001 00 40 02 2000", ST_DEC_BAD_PREFIX},
	{"prefix bytes cut short", "808001 00 40 03 2001", ST_DEC_TRUNCATED},
	{"skew 2^31", "808004 00 8080808010", ST_DEC_BAD_SKEW},
	{"skew varint overflow", "808004 00 ffffffffffffffffff7f", ST_DEC_BAD_SKEW},
	{"ipv4 cut short", "20 00 0a00", ST_DEC_TRUNCATED},
	{"valid: open, start 0", "00 00", ST_DEC_OK},
	{"valid: skew -2^31", "808004 00 ffffffff0f", ST_DEC_OK},
	{"valid: non-canonical varint", "00 8000", ST_DEC_OK},
	{"valid: unmapped (bit 19, no bytes)", "808020 00", ST_DEC_OK},
};

static void test_reasons(void)
{
	for (size_t i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		uint8_t in[256];
		struct rt_session s;
		size_t n = unhex(rec_cases[i].hex, in);
		enum st_dec got = decode_exact(in, n, 0, &s, NULL);
		t_checks++;
		if (got != rec_cases[i].want) {
			t_failures++;
			fprintf(stderr, "%s:%d: record case '%s': got '%s', want '%s'\n", __FILE__,
				__LINE__, rec_cases[i].name, st_dec_str(got),
				st_dec_str(rec_cases[i].want));
		}
	}
	CHECK(st_dec_err(ST_DEC_BAD_VERSION) == ST_EVERSION);
	CHECK(st_dec_err(ST_DEC_TRUNCATED) == ST_ECORRUPT);
	CHECK(st_dec_err(ST_DEC_OK) == 0);
	for (int i = 0; i < ST_DEC_LAST; i++)
		CHECK(st_dec_str((enum st_dec)i) != NULL);
}

/* ---- blocks --------------------------------------------------------------------------- */

struct blk {
	uint8_t *p;
	size_t len;
	uint8_t raw[4 * ST_REC_MAX];
	size_t raw_len;
};

static void make_block(ZSTD_CCtx *cc, struct blk *b, uint32_t nrecs, int32_t day, uint32_t no)
{
	struct rt_session s;
	int64_t prev = 0;
	b->raw_len = 0;
	for (uint32_t i = 0; i < nrecs; i++) {
		rich(&s, i);
		b->raw_len += st_rec_encode(&s, prev, 0, b->raw + b->raw_len);
		prev = s.start_ns;
	}
	struct st_blk_hdr h = {.nrecs = nrecs, .raw_len = (uint32_t)b->raw_len, .day = day,
			       .block_no = no};
	b->p = malloc(st_blk_bound(b->raw_len));
	REQUIRE(b->p ? 0 : -ENOMEM);
	OK(st_blk_seal(cc, &h, b->raw, b->p, &b->len));
}

static void le32_at(uint8_t *p, uint32_t v)
{
	st_put_le32(p, v);
}

static void fix_crc(uint8_t *hdr)
{
	st_put_le32(hdr + 28, st_crc32c(hdr, 28));
}

static enum st_dec open_exact(ZSTD_DCtx *dc, const uint8_t *p, size_t n, struct st_blk_hdr *h)
{
	uint8_t *b = dup_exact(p, n);
	struct st_buf raw = {0};
	enum st_dec why = ST_DEC_OK;
	int rc = st_blk_open(dc, b, n, h, &raw, &why);
	if (!rc)
		why = ST_DEC_OK;
	else if (rc != st_dec_err(why))
		why = ST_DEC_LAST; /* inconsistent */
	st_buf_done(&raw);
	free(b);
	return why;
}

static void test_blocks(void)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	struct blk b;
	struct st_blk_hdr h;
	struct st_buf raw = {0};
	enum st_dec why;

	REQUIRE(cc && dc ? 0 : -ENOMEM);
	OK(st_cctx_setup(cc, 3));
	make_block(cc, &b, 3, 20727, 5);
	OK(st_blk_open(dc, b.p, b.len, &h, &raw, &why));
	CHECK(h.nrecs == 3 && h.day == 20727 && h.block_no == 5 && h.raw_len == b.raw_len);
	CHECK(raw.len == b.raw_len && memcmp(raw.p, b.raw, raw.len) == 0);
	CHECK(open_exact(dc, b.p, b.len, &h) == ST_DEC_OK);

	/* every truncation, and one byte too many */
	for (size_t k = 0; k < b.len; k++) {
		enum st_dec w = open_exact(dc, b.p, k, &h);
		CHECK(w == ST_DEC_TRUNCATED);
	}
	uint8_t *more = malloc(b.len + 1);
	memcpy(more, b.p, b.len);
	more[b.len] = 0;
	CHECK(open_exact(dc, more, b.len + 1, &h) == ST_DEC_BAD_SIZE);
	free(more);

	struct {
		const char *name;
		size_t off;
		uint32_t val; /* le32 written at off */
		bool fix;     /* recompute the header CRC */
		enum st_dec want;
	} cases[] = {
		{"magic", 0, 0x4b425453, false, ST_DEC_BAD_MAGIC},
		{"version 2", 4, 0x00200002, false, ST_DEC_BAD_VERSION},
		{"header length", 4, 0x00210001, false, ST_DEC_BAD_SIZE},
		{"crc (nrecs changed)", 8, 4, false, ST_DEC_BAD_HEADER_CRC},
		{"nrecs 0", 8, 0, true, ST_DEC_BAD_SIZE},
		{"nrecs too many", 8, ST_BLK_MAX_RECS + 1, true, ST_DEC_BAD_SIZE},
		{"nrecs > raw/2", 8, 60000, true, ST_DEC_BAD_SIZE},
		{"raw too big", 12, ST_BLK_MAX_RAW + 1, true, ST_DEC_BAD_SIZE},
		{"raw differs from frame", 12, 100, true, ST_DEC_BAD_FRAME},
		{"comp_len 0", 16, 0, true, ST_DEC_BAD_SIZE},
		{"comp_len longer", 16, 100000, true, ST_DEC_TRUNCATED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *c = dup_exact(b.p, b.len);
		le32_at(c + cases[i].off, cases[i].val);
		if (cases[i].fix)
			fix_crc(c);
		enum st_dec got = open_exact(dc, c, b.len, &h);
		t_checks++;
		if (got != cases[i].want) {
			t_failures++;
			fprintf(stderr, "%s:%d: block case '%s': got '%s', want '%s'\n", __FILE__,
				__LINE__, cases[i].name, st_dec_str(got),
				st_dec_str(cases[i].want));
		}
		free(c);
	}
	/* comp_len shorter than the frame: trailing bytes */
	{
		uint8_t *c = dup_exact(b.p, b.len);
		le32_at(c + 16, (uint32_t)(b.len - 32 - 1));
		fix_crc(c);
		CHECK(open_exact(dc, c, b.len - 1, &h) == ST_DEC_BAD_FRAME);
		free(c);
	}
	/* every payload byte flipped: checksum or frame error, never OK */
	for (size_t k = ST_BLK_HDR_LEN; k < b.len; k++) {
		uint8_t *c = dup_exact(b.p, b.len);
		c[k] ^= 0x5a;
		enum st_dec got = open_exact(dc, c, b.len, &h);
		CHECK(got == ST_DEC_BAD_CHECKSUM || got == ST_DEC_BAD_FRAME);
		free(c);
	}
	/* a frame without content checksum is refused */
	{
		ZSTD_CCtx *nc = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(nc, ZSTD_c_checksumFlag, 0);
		uint8_t *c = malloc(st_blk_bound(b.raw_len));
		struct st_blk_hdr hh = {.nrecs = 3, .raw_len = (uint32_t)b.raw_len, .day = 1};
		size_t n;
		OK(st_blk_seal(nc, &hh, b.raw, c, &n));
		CHECK(open_exact(dc, c, n, &h) == ST_DEC_BAD_FRAME);
		/* nor one without content size */
		ZSTD_CCtx_setParameter(nc, ZSTD_c_checksumFlag, 1);
		ZSTD_CCtx_setParameter(nc, ZSTD_c_contentSizeFlag, 0);
		ZSTD_CStream *zs = nc;
		ZSTD_inBuffer ib = {b.raw, b.raw_len, 0};
		ZSTD_outBuffer ob = {c + 32, ZSTD_compressBound(b.raw_len), 0};
		ZSTD_CCtx_setPledgedSrcSize(zs, ZSTD_CONTENTSIZE_UNKNOWN);
		CHECK(ZSTD_compressStream2(zs, &ob, &ib, ZSTD_e_end) == 0);
		uint8_t *p = c;
		p = st_put_le32(p, ST_BLK_MAGIC);
		p = st_put_le16(p, 1);
		p = st_put_le16(p, 32);
		p = st_put_le32(p, 3);
		p = st_put_le32(p, (uint32_t)b.raw_len);
		p = st_put_le32(p, (uint32_t)ob.pos);
		p = st_put_le32(p, 1);
		p = st_put_le32(p, 0);
		fix_crc(c);
		CHECK(open_exact(dc, c, 32 + ob.pos, &h) == ST_DEC_BAD_FRAME);
		free(c);
		ZSTD_freeCCtx(nc);
	}
	free(b.p);
	st_buf_done(&raw);
	ZSTD_freeCCtx(cc);
	ZSTD_freeDCtx(dc);
}

/* ---- segments ------------------------------------------------------------------------ */

static int count_rec(void *ctx, uint32_t block, uint32_t idx, const struct rt_session *s)
{
	unsigned *n = ctx;
	(void)block;
	(void)idx;
	(void)s;
	(*n)++;
	return 0;
}

static int walk_exact(const uint8_t *p, size_t n, unsigned *ret_count, enum st_dec *ret_why)
{
	uint8_t *b = dup_exact(p, n);
	*ret_count = 0;
	*ret_why = ST_DEC_OK;
	int rc = st_seg_walk(b, n, count_rec, ret_count, ret_why);
	free(b);
	return rc;
}

static size_t make_segment(ZSTD_CCtx *cc, uint8_t *out, int32_t day, bool swap)
{
	struct blk b0, b1;
	make_block(cc, &b0, 3, day, swap ? 1 : 0);
	make_block(cc, &b1, 2, day, swap ? 0 : 1);
	st_seg_hdr_write(out, day);
	memcpy(out + 32, b0.p, b0.len);
	memcpy(out + 32 + b0.len, b1.p, b1.len);
	size_t n = 32 + b0.len + b1.len;
	free(b0.p);
	free(b1.p);
	return n;
}

static void test_segments(void)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	static uint8_t seg[64 * 1024];
	unsigned count;
	enum st_dec why;

	OK(st_cctx_setup(cc, 3));
	size_t n = make_segment(cc, seg, 20727, false);
	OK(walk_exact(seg, n, &count, &why));
	CHECK(count == 5);
	OK(walk_exact(seg, 32, &count, &why)); /* header only: empty segment */
	CHECK(count == 0);
	size_t one_block = 32 + 32 + (size_t)(seg[48] | seg[49] << 8 | seg[50] << 16 | seg[51] << 24);
	for (size_t k = 0; k < n; k++) {
		if (k == 32 || k == one_block)
			continue;
		int rc = walk_exact(seg, k, &count, &why);
		CHECK(rc == ST_ECORRUPT && why == ST_DEC_TRUNCATED);
	}
	seg[0] ^= 1;
	CHECK(walk_exact(seg, n, &count, &why) == ST_ECORRUPT && why == ST_DEC_BAD_MAGIC);
	seg[0] ^= 1;
	seg[4] = 9;
	CHECK(walk_exact(seg, n, &count, &why) == ST_EVERSION && why == ST_DEC_BAD_VERSION);
	seg[4] = 1;
	seg[9] ^= 1;
	CHECK(walk_exact(seg, n, &count, &why) == ST_ECORRUPT && why == ST_DEC_BAD_HEADER_CRC);
	seg[9] ^= 1;
	n = make_segment(cc, seg, 20727, true);
	CHECK(walk_exact(seg, n, &count, &why) == ST_ECORRUPT && why == ST_DEC_MISMATCH);
	n = make_segment(cc, seg, 20727, false);
	st_seg_hdr_write(seg, 20728); /* blocks of another day */
	CHECK(walk_exact(seg, n, &count, &why) == ST_ECORRUPT && why == ST_DEC_MISMATCH);
	ZSTD_freeCCtx(cc);
}

/* ---- CRC-32C ----------------------------------------------------------------------------- */

/* Bit-at-a-time reference (reflected polynomial 0x82f63b78). */
static uint32_t crc_ref(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? c >> 1 ^ 0x82f63b78u : c >> 1;
	}
	return c ^ 0xffffffffu;
}

/* st_crc32c (table or the CPU's instruction) against RFC 3720 B.4 and the
 * reference, at every alignment and tail length of the 8-byte steps. */
static void test_crc32c(void)
{
	static const struct {
		uint8_t fill; /* 0x00, 0xff, or 1: 0, 1, 2 ... */
		uint32_t crc;
	} rfc[] = {{0x00, 0x8a9136aau}, {0xff, 0x62a8ab43u}, {1, 0x46dd794eu}};
	uint8_t b[32 + 300];
	for (size_t i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		for (unsigned j = 0; j < 32; j++)
			b[j] = rfc[i].fill == 1 ? (uint8_t)j : rfc[i].fill;
		CHECK(st_crc32c(b, 32) == rfc[i].crc);
	}
	CHECK(st_crc32c("", 0) == 0);
	uint64_t x = 88172645463325252u;
	for (size_t i = 0; i < sizeof(b); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b[i] = (uint8_t)x;
	}
	for (unsigned off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= 300; n += n < 40 ? 1 : 37)
			CHECK(st_crc32c(b + off, n) == crc_ref(b + off, n));
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void test_helpers(void)
{
	char b[40];
	int32_t d;
	CHECK(st_crc32c("123456789", 9) == 0xe3069283u);
	CHECK(st_day_of(0) == 0 && st_day_of(-1) == -1 && st_day_of(T_DAY) == 1);
	CHECK(st_day_of(T_BASE) == 20727 && st_day_of(T_BASE - 1) == 20726);
	CHECK(st_day_of(INT64_MIN) == -106752 && st_day_of(INT64_MAX) == 106751);
	CHECK(st_day_start(1) == T_DAY && st_day_start(106752) == INT64_MAX &&
	      st_day_start(-106752) == INT64_MIN);
	st_day_name(0, b);
	CHECK(strcmp(b, "1970-01-01") == 0);
	st_day_name(20727, b);
	CHECK(strcmp(b, "2026-10-01") == 0);
	st_day_name(-1, b);
	CHECK(strcmp(b, "1969-12-31") == 0);
	CHECK(st_day_parse_segname("2026-10-01.seg", &d) && d == 20727);
	CHECK(st_day_parse_segname("2024-02-29.seg", &d) && d == 19782);
	CHECK(!st_day_parse_segname("2026-02-29.seg", &d));
	CHECK(!st_day_parse_segname("2026-13-01.seg", &d));
	CHECK(!st_day_parse_segname("2026-10-01.seg~", &d));
	CHECK(!st_day_parse_segname("2026-10-0a.seg", &d));
	CHECK(!st_day_parse_segname("catalog.mdb", &d));
	st_time_rfc3339(T_BASE + 1, b);
	CHECK(strcmp(b, "2026-10-01T00:00:00.000000001Z") == 0);
	st_time_rfc3339(-1, b);
	CHECK(strcmp(b, "1969-12-31T23:59:59.999999999Z") == 0);
	st_time_rfc3339(T_BASE + 86399 * T_SEC, b);
	CHECK(strcmp(b, "2026-10-01T23:59:59.000000000Z") == 0);
	uint64_t vs[] = {0, 1, 127, 128, 300, UINT64_MAX};
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		uint8_t v[10];
		uint64_t got = 0;
		size_t n = (size_t)(st_put_varint(v, vs[i]) - v);
		struct dp_cur c = dp_cur_make(v, n);
		CHECK(dp_cur_varint(&c, &got) && got == vs[i] && dp_cur_left(&c) == 0);
	}
	CHECK(st_unzigzag(st_zigzag((uint64_t)-1)) == (uint64_t)-1);
	CHECK(st_zigzag((uint64_t)-1) == 1 && st_zigzag(1) == 2);
	for (int i = 0; i < ST_ELAST - ST_EBASE; i++)
		CHECK(st_strerror(ST_EBASE + i) != NULL);
	CHECK(strcmp(st_strerror(-ENOSPC), strerror(ENOSPC)) == 0);
}

/* ---- seed corpora for the fuzz targets --------------------------------------------------- */

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	REQUIRE(f ? 0 : -errno);
	REQUIRE(fwrite(p, 1, n, f) == n ? 0 : -EIO);
	fclose(f);
}

static int write_corpus(const char *root)
{
	char rdir[4200], sdir[4200];
	static uint8_t buf[64 * 1024];
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	struct rt_session s;
	snprintf(rdir, sizeof(rdir), "%s/fuzz_record", root);
	snprintf(sdir, sizeof(sdir), "%s/fuzz_segment", root);
	OK(st_cctx_setup(cc, 3));

	/* fuzz_record: byte 0 selects records (even) or a block (odd) */
	size_t n = 0;
	int64_t prev = 0;
	buf[n++] = 0;
	for (unsigned i = 0; i < 4; i++) {
		rich(&s, i);
		if (i == 1)
			s.stop_ns = RT_TIME_NONE, s.stop_cause = 0;
		if (i == 2)
			t_session(&s, T_BASE, T_BASE + 1);
		n += st_rec_encode(&s, prev, 0, buf + n);
		prev = s.start_ns;
	}
	write_file(rdir, "records", buf, n);
	for (size_t i = 0; i < sizeof(rec_cases) / sizeof(rec_cases[0]); i++) {
		char name[32];
		buf[0] = 0;
		n = 1 + unhex(rec_cases[i].hex, buf + 1);
		snprintf(name, sizeof(name), "case-%02zu", i);
		write_file(rdir, name, buf, n);
	}
	struct blk b;
	make_block(cc, &b, 3, 20727, 0);
	buf[0] = 1;
	memcpy(buf + 1, b.p, b.len);
	write_file(rdir, "block", buf, 1 + b.len);
	free(b.p);

	/* fuzz_segment: whole segments */
	n = make_segment(cc, buf, 20727, false);
	write_file(sdir, "segment", buf, n);
	write_file(sdir, "header-only", buf, 32);
	n = make_segment(cc, buf, 20727, true);
	write_file(sdir, "swapped", buf, n);
	ZSTD_freeCCtx(cc);
	return t_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		return write_corpus(argv[2]);
	test_roundtrip();
	test_reasons();
	test_blocks();
	test_segments();
	test_helpers();
	test_crc32c();
	return t_finish("test_record");
}
