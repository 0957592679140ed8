/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Column blocks (storage/column.h): round trip of every field, compressed
 * blocks with and without a trained dictionary, and one table row per
 * rejection reason of the raw and the compressed reader.
 */
#include "st_test.h"

#include <errno.h>

#include "column.h"

/* A session using every field (i varies the values; some fields absent). */
static void col_session(struct rt_session *s, uint64_t *r, unsigned i)
{
	char buf[64];
	int64_t start = T_BASE + (int64_t)i * 7 * T_SEC + (int64_t)t_below(r, T_SEC);
	t_session(s, start, i % 11 == 5 ? RT_TIME_NONE : start + (int64_t)t_below(r, 4 * 3600) * T_SEC);
	snprintf(buf, sizeof(buf), "user%u@isp", (unsigned)t_below(r, 40));
	t_text(&s->account, buf);
	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)t_rand(r));
	t_text(&s->session_id, buf);
	if (i % 3) {
		snprintf(buf, sizeof(buf), "1380%07u", (unsigned)t_below(r, 40));
		t_text(&s->calling_number, buf);
	}
	if (i % 4 == 0)
		t_text(&s->nas_id, "bras-1");
	if (i % 5 == 0) {
		uint8_t raw[3] = {0, (uint8_t)i, 0xff}; /* any bytes */
		t_setn(&s->nas_port_id, raw, 3);
	}
	s->nas_ip.family = i % 7 == 0 ? 6 : 4;
	s->nas_ip.a[0] = 10;
	s->nas_ip.a[s->nas_ip.family == 4 ? 3 : 15] = (uint8_t)(1 + i % 3);
	if (i % 6) {
		s->has_ipv4 = true;
		s->ipv4[0] = 100;
		s->ipv4[3] = (uint8_t)t_below(r, 256);
	}
	if (i % 2) {
		s->has_ipv6_addr = true;
		s->ipv6_addr[0] = 0x20;
		s->ipv6_addr[15] = (uint8_t)i;
		s->ipv6_prefix.present = true;
		s->ipv6_prefix.plen = 64;
		s->ipv6_prefix.a[0] = 0x20;
		s->ipv6_prefix.a[7] = (uint8_t)i;
	}
	if (i % 8 == 1) {
		s->delegated_prefix.present = true;
		s->delegated_prefix.plen = 56;
		s->delegated_prefix.a[0] = 0x24;
		s->delegated_prefix.a[7] = 0x55; /* past plen: kept */
	}
	if (i % 9 == 2) {
		s->has_calling_mac = true;
		memcpy(s->calling_mac, "\x02\x00\x00\x00\x01\x02", 6);
	}
	if (i % 10 == 3) {
		s->has_clock_skew = true;
		s->clock_skew_ms = i % 20 == 3 ? INT32_MIN : INT32_MAX;
	}
	if (s->stop_ns == RT_TIME_NONE) {
		s->last_news_ns = start + 5 * T_SEC;
		s->prev_news_ns = start - 3 * T_SEC; /* before start: zigzag */
	} else {
		s->stop_cause = (uint8_t)(1 + i % 4);
	}
	s->sources = (uint8_t)(1 + i % 15);
	s->auth = (uint8_t)(i % 3);
	s->flags = (uint8_t)(i % 2);
}

static void test_roundtrip(void)
{
	static struct rt_session in[700], out;
	struct st_col_enc e = {0};
	struct st_col_reader rd = {0};
	struct st_buf b = {0};
	uint64_t r = 77;
	size_t sizes[] = {1, 2, 63, 700};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		for (size_t i = 0; i < n; i++)
			col_session(&in[i], &r, (unsigned)i);
		b.len = 0;
		OK(st_col_encode(&e, in, n, &b));
		CHECK(st_col_open(&rd, b.p, b.len) == ST_DEC_OK);
		size_t bad = 0;
		for (size_t i = 0; i < n; i++) {
			enum st_dec why = st_col_next(&rd, &out);
			if (why != ST_DEC_OK || memcmp(&out, &in[i], sizeof(out)) != 0)
				bad++;
		}
		CHECK(bad == 0);
		CHECK(st_col_next(&rd, &out) == ST_DEC_BAD_SIZE); /* past the end */
		/* scan, then any record alone, in reverse order */
		static struct st_col_light light[700];
		CHECK(st_col_open(&rd, b.p, b.len) == ST_DEC_OK);
		CHECK(st_col_scan(&rd, light) == ST_DEC_OK);
		bad = 0;
		for (size_t i = n; i-- > 0;) {
			bad += st_col_get(&rd, (uint32_t)i, &out) != ST_DEC_OK ||
			       memcmp(&out, &in[i], sizeof(out)) != 0 || light[i].start != in[i].start_ns ||
			       light[i].stop != in[i].stop_ns;
			bad += !st_col_text_eq(&rd, (uint32_t)i, COL_ACCOUNT, in[i].account.v,
					       in[i].account.len);
			bad += st_col_text_eq(&rd, (uint32_t)i, COL_ACCOUNT, "nobody", 6);
			bad += !st_col_text_eq(&rd, (uint32_t)i, COL_NASID, in[i].nas_id.v, in[i].nas_id.len);
		}
		CHECK(bad == 0);
		CHECK(st_col_get(&rd, (uint32_t)n, &out) == ST_DEC_BAD_SIZE);
	}
	/* times on a coarser clock (seconds, 8 ms), out of order (negative
	 * steps): coded in the block's units, decoded exactly, and smaller */
	for (int g = 0; g < 2; g++) {
		int64_t unit = g ? 8000000 : T_SEC;
		size_t n = 300, before;
		for (size_t i = 0; i < n; i++) {
			col_session(&in[i], &r, (unsigned)i);
			int64_t st0 = (in[i].start_ns / unit - (int64_t)(i % 7) * 1000) * unit;
			int64_t dur = in[i].stop_ns == RT_TIME_NONE ? -1 : (int64_t)t_below(&r, 5000) * unit;
			in[i].start_ns = st0;
			if (dur >= 0)
				in[i].stop_ns = st0 + dur;
			else
				in[i].last_news_ns = st0 + 5 * T_SEC, in[i].prev_news_ns = st0 - 3 * T_SEC;
		}
		b.len = 0;
		OK(st_col_encode(&e, in, n, &b));
		before = b.len;
		CHECK(st_col_open(&rd, b.p, b.len) == ST_DEC_OK);
		CHECK(rd.ustart >= (uint64_t)unit && rd.ustart % (uint64_t)unit == 0);
		size_t bad = 0;
		for (size_t i = 0; i < n; i++)
			bad += st_col_next(&rd, &out) != ST_DEC_OK || memcmp(&out, &in[i], sizeof(out)) != 0;
		CHECK(bad == 0);
		in[0].start_ns += 1; /* one nanosecond off the grid: unit 1 */
		if (in[0].stop_ns != RT_TIME_NONE)
			in[0].stop_ns += 1;
		b.len = 0;
		OK(st_col_encode(&e, in, n, &b));
		CHECK(b.len > before);
		CHECK(st_col_open(&rd, b.p, b.len) == ST_DEC_OK && rd.ustart == 1);
		bad = 0;
		for (size_t i = 0; i < n; i++)
			bad += st_col_next(&rd, &out) != ST_DEC_OK || memcmp(&out, &in[i], sizeof(out)) != 0;
		CHECK(bad == 0);
	}
	for (size_t i = 0; i < 700; i++)
		col_session(&in[i], &r, (unsigned)i);
	b.len = 0;
	OK(st_col_encode(&e, in, 700, &b));
	/* the same input encodes to the same bytes (determinism of seals) */
	struct st_buf b2 = {0};
	OK(st_col_encode(&e, in, 700, &b2));
	CHECK(b2.len == b.len && memcmp(b.p, b2.p, b.len) == 0);
	/* refused input */
	CHECK_RC(st_col_encode(&e, in, 0, &b2), ST_EINVAL);
	struct rt_session x = in[0];
	x.stop_cause = 1;
	x.stop_ns = RT_TIME_NONE;
	CHECK_RC(st_col_encode(&e, &x, 1, &b2), ST_EINVAL);
	st_buf_done(&b2);
	st_buf_done(&b);
	st_col_enc_done(&e);
	st_col_reader_done(&rd);
}

/* Times far apart (units up to 2^62, steps across the whole int64
 * range, equal times), open and closed: every time coding round-trips. */
static void test_extreme_times(void)
{
	static const int64_t starts[][4] = {
		{0, INT64_C(1) << 62, 0, INT64_C(1) << 62},
		{INT64_MIN + 1, 0, INT64_MAX - 10, INT64_MIN + 1},
		{INT64_MAX - 1, INT64_MIN + 1, INT64_MAX - 1, 5},
		{-(INT64_C(1) << 62), INT64_C(1) << 62, 0, -(INT64_C(1) << 62)},
		{1000, 1000, 1000, 1000},
	};
	static struct rt_session in[4], out;
	static struct st_col_light light[4];
	struct st_col_enc e = {0};
	struct st_col_reader rd = {0};
	struct st_buf b = {0};
	size_t bad = 0;
	for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		for (int open = 0; open < 3; open++) {
			for (size_t i = 0; i < 4; i++) {
				int64_t st = starts[k][i], room = st < 0 ? INT64_MAX : INT64_MAX - st;
				/* closed: 0, 1 s, or what is left to INT64_MAX; open
				 * == 1: every other record open */
				int64_t dur = i % 3 == 0 ? 0 : i % 3 == 1 ? (room < T_SEC ? room : T_SEC) : room;
				t_session(&in[i], st, open == 1 && i % 2 ? RT_TIME_NONE : st + dur);
				if (in[i].stop_ns == RT_TIME_NONE)
					in[i].stop_cause = 0;
			}
			b.len = 0;
			OK(st_col_encode(&e, in, 4, &b));
			CHECK(st_col_open(&rd, b.p, b.len) == ST_DEC_OK);
			memset(&out, 0, sizeof(out));
			for (size_t i = 0; i < 4; i++)
				bad += st_col_next(&rd, &out) != ST_DEC_OK ||
				       memcmp(&out, &in[i], sizeof(out)) != 0;
			CHECK(st_col_open(&rd, b.p, b.len) == ST_DEC_OK);
			bad += st_col_scan(&rd, light) != ST_DEC_OK;
			for (size_t i = 0; i < 4; i++)
				bad += light[i].start != in[i].start_ns || light[i].stop != in[i].stop_ns;
		}
	}
	CHECK(bad == 0);
	st_buf_done(&b);
	st_col_enc_done(&e);
	st_col_reader_done(&rd);
}

/* Text coding (hex nibbles, digit templates, raw): every edge case
 * round-trips byte for byte through each text column, record by record
 * and through scan + get, and the coded forms are smaller than raw. */
static void test_text_forms(void)
{
	static char t253[4][254];
	memset(t253[0], 'f', 253);
	memset(t253[1], '7', 253);
	memset(t253[2], 'z', 253);
	for (int i = 0; i < 253; i++)
		t253[3][i] = (char)(i + 1);
	static const struct {
		const char *v;
		unsigned len; /* 0: strlen */
	} vals[] = {
		{"a", 0}, {"abc", 0}, {"0123456789abcdef", 0}, {"DEADBEEF", 0}, {"DeadBeef", 0},
		{"0F", 0}, {"0f", 0}, {"0", 0}, {"007", 0}, {"0000000000000000000", 0},
		{"9999999999999999999", 0}, {"12345678901234567890", 0}, {"18446744073709551615", 0},
		{"99999999999999999999", 0}, {"u0000001@isp", 0}, {"u0000001@isp", 0},
		{"u0000002@isp", 0}, {"u00000003@isp", 0}, {"user@isp", 0}, {"a1b2", 0}, {"g1", 0},
		{"x\0y", 3}, {"\xff", 0}, {"1380 123", 0}, {"13800000001", 0}, {"13800000002", 0},
		{"1380999", 0}, {"00:1a:2B:3c:4d:5e", 0}, {"pppoe:02:00:00:00:00:01:17", 0},
		{"12345678901234567890123", 0}, {"abc0000000000000000000000x", 0},
		{t253[0], 253}, {t253[1], 253}, {t253[2], 253}, {t253[3], 253},
	};
	const size_t nv = sizeof(vals) / sizeof(vals[0]);
	static struct rt_session in[64], out;
	static struct st_col_light light[64];
	struct st_col_enc e = {0};
	struct st_col_reader rd = {0};
	struct st_buf b = {0};
	size_t bad = 0;
	/* blocks of 1, 2, 7 and nv records; each text column shifted */
	size_t ns[] = {1, 2, 7, nv};
	for (size_t shift = 0; shift < nv; shift++) {
		for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
			size_t n = ns[k];
			for (size_t i = 0; i < n; i++) {
				struct rt_session *s = &in[i];
				t_session(s, T_BASE + (int64_t)i * T_SEC, T_BASE + (int64_t)(i + 9) * T_SEC);
				struct rt_text *t[] = {&s->account, &s->session_id, &s->calling_number,
						       &s->nas_id, &s->nas_port_id};
				for (size_t c = 0; c < 5; c++) {
					size_t j = (i + shift + c * 3) % nv;
					unsigned len = vals[j].len ? vals[j].len : (unsigned)strlen(vals[j].v);
					t_setn(t[c], vals[j].v, len);
				}
			}
			b.len = 0;
			OK(st_col_encode(&e, in, n, &b));
			CHECK(st_col_open(&rd, b.p, b.len) == ST_DEC_OK);
			memset(&out, 0, sizeof(out));
			for (size_t i = 0; i < n; i++)
				bad += st_col_next(&rd, &out) != ST_DEC_OK ||
				       memcmp(&out, &in[i], sizeof(out)) != 0;
			CHECK(st_col_open(&rd, b.p, b.len) == ST_DEC_OK);
			CHECK(st_col_scan(&rd, light) == ST_DEC_OK);
			for (size_t i = n; i-- > 0;) {
				bad += st_col_get(&rd, (uint32_t)i, &out) != ST_DEC_OK ||
				       memcmp(&out, &in[i], sizeof(out)) != 0;
				bad += !st_col_text_eq(&rd, (uint32_t)i, COL_SID, in[i].session_id.v,
						       in[i].session_id.len);
				/* case matters: the other case of a hex id is another text */
				char flip[RT_TEXT_MAX];
				unsigned fl = in[i].session_id.len;
				memcpy(flip, in[i].session_id.v, fl);
				bool changed = false;
				for (unsigned x = 0; x < fl; x++) {
					if ((flip[x] >= 'a' && flip[x] <= 'z') ||
					    (flip[x] >= 'A' && flip[x] <= 'Z')) {
						flip[x] ^= 0x20;
						changed = true;
					}
				}
				bad += changed && st_col_text_eq(&rd, (uint32_t)i, COL_SID, flip, fl);
			}
		}
	}
	CHECK(bad == 0);
	/* the coded forms are smaller: 64 random hex ids, digit strings and
	 * accounts take fewer raw bytes than their text */
	uint64_t r = 11;
	size_t textbytes = 0;
	for (size_t i = 0; i < 64; i++) {
		char buf[64];
		t_session(&in[i], T_BASE + (int64_t)i * T_SEC, T_BASE + (int64_t)(i + 9) * T_SEC);
		snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)t_rand(&r));
		t_text(&in[i].session_id, buf);
		snprintf(buf, sizeof(buf), "%016llX", (unsigned long long)t_rand(&r));
		t_text(&in[i].nas_port_id, buf);
		snprintf(buf, sizeof(buf), "u%07u@isp", (unsigned)t_below(&r, 1000000));
		t_text(&in[i].account, buf);
		snprintf(buf, sizeof(buf), "1380%07u", (unsigned)t_below(&r, 1000000));
		t_text(&in[i].calling_number, buf);
		textbytes += in[i].session_id.len + in[i].account.len + in[i].calling_number.len;
	}
	b.len = 0;
	OK(st_col_encode(&e, in, 64, &b));
	CHECK(st_col_open(&rd, b.p, b.len) == ST_DEC_OK);
	/* 16 hex digits in 8 bytes, 7 digits in 3, 11 digits in 5 at most
	 * (plus two bytes of form and length or template per record) */
	CHECK(rd.coll[COL_SID] <= 64 * (8 + 2) + 2);
	CHECK(rd.coll[COL_NASPORT] <= 64 * (8 + 2) + 2);
	CHECK(rd.coll[COL_ACCOUNT] <= 64 * (3 + 2) + 16);
	CHECK(rd.coll[COL_CALLING] <= 64 * (5 + 2) + 16);
	CHECK(rd.coll[COL_SID] + rd.coll[COL_ACCOUNT] + rd.coll[COL_CALLING] < textbytes * 6 / 10);
	memset(&out, 0, sizeof(out));
	bad = 0;
	for (size_t i = 0; i < 64; i++)
		bad += st_col_next(&rd, &out) != ST_DEC_OK || memcmp(&out, &in[i], sizeof(out)) != 0;
	CHECK(bad == 0);
	st_buf_done(&b);
	st_col_enc_done(&e);
	st_col_reader_done(&rd);
}

/* Hand-built raw blocks: header, then the given columns (others empty). */
struct colspec {
	const char *name;
	uint32_t magic;
	uint16_t version, ncols;
	uint32_t nrecs;
	const char *cols[COL_N]; /* bytes as a C string with \x escapes */
	size_t lens[COL_N];      /* 0: strlen */
	size_t extra;            /* trailing bytes after the columns */
	enum st_dec want_open, want_next;
	uint64_t ustart, udur;   /* time units (0: 1) */
	bool zero_unit;          /* write a start unit of 0 */
	uint8_t tmode;           /* time coding byte */
	uint8_t width;           /* packed width (tmode & 16) */
	int64_t base;            /* time base */
};

/* Text column bytes: varint head length, head, body (a C string each). */
static char *textcol(char *dst, const char *head, size_t hl, const char *body, size_t bl,
		     size_t *ret_len)
{
	uint8_t *p = st_put_varint((uint8_t *)dst, hl);
	memcpy(p, head, hl);
	memcpy(p + hl, body, bl);
	*ret_len = (size_t)(p - (uint8_t *)dst) + hl + bl;
	return dst;
}

static size_t build(const struct colspec *c, uint8_t *dst)
{
	uint8_t *p = dst;
	p = st_put_le32(p, c->magic ? c->magic : ST_COL_MAGIC);
	p = st_put_le16(p, c->version ? c->version : ST_COL_VERSION);
	p = st_put_le16(p, c->ncols ? c->ncols : COL_N);
	p = st_put_le32(p, c->nrecs);
	*p++ = c->tmode;
	p = st_put_varint(p, st_zigzag((uint64_t)c->base));
	p = st_put_varint(p, c->zero_unit ? 0 : c->ustart ? c->ustart : 1);
	p = st_put_varint(p, c->udur ? c->udur : 1);
	if (c->tmode & 16)
		*p++ = c->width;
	size_t l[COL_N];
	const char *cols[COL_N];
	memcpy(cols, c->cols, sizeof(cols));
	for (unsigned i = 0; i < COL_N; i++) {
		l[i] = cols[i] ? (c->lens[i] ? c->lens[i] : strlen(cols[i])) : 0;
		p = st_put_varint(p, l[i]);
	}
	for (unsigned i = 0; i < COL_N; i++) {
		if (l[i])
			memcpy(p, cols[i], l[i]);
		p += l[i];
	}
	memset(p, 0, c->extra);
	return (size_t)(p - dst) + c->extra;
}

#define PRES(bits) (1u << COL_PRES | 1u << COL_START | (bits))
/* varint of a presence value below 2^21 */
static void pres_bytes(char *dst, uint32_t v)
{
	uint8_t tmp[10], *e = st_put_varint(tmp, v);
	memcpy(dst, tmp, (size_t)(e - tmp));
	dst[e - tmp] = 0;
}

static void test_rejections(void)
{
	char p_closed[8], p_acct[8], p_open_cause[8], p_unknown[8], p_pfx[8], p_skew[8],
		p_u8[8], p_nas[8], p_nostart[8], p_two_acct[8], p_ip[8], p_tunit[8];
	pres_bytes(p_closed, PRES(1u << COL_DUR));
	pres_bytes(p_acct, PRES(1u << COL_DUR | 1u << COL_ACCOUNT));
	pres_bytes(p_open_cause, PRES(1u << COL_CAUSE));
	pres_bytes(p_unknown, PRES(1u << COL_N));
	pres_bytes(p_pfx, PRES(1u << COL_PFX));
	pres_bytes(p_skew, PRES(1u << COL_SKEW));
	pres_bytes(p_u8, PRES(1u << COL_SOURCES));
	pres_bytes(p_nas, PRES(1u << COL_NAS));
	pres_bytes(p_nostart, 1u << COL_PRES);
	pres_bytes(p_two_acct, PRES(1u << COL_ACCOUNT));
	pres_bytes(p_ip, PRES(1u << COL_IPV4));
	pres_bytes(p_tunit, PRES(1u << COL_DUR | 1u << COL_TUNIT)); /* block-level column */
	/* text columns: varint head length, head (forms), body (bytes) */
	char t_hi[16], t_empty[8], t_ref[8], t_cut[16], t_head[8], t_pad[16], t_odd[16],
		t_hexcut[8], t_nd0[16], t_nd20[16], t_big[8], t_tref[8], t_tcut[16], t_tpl[32],
		t_upper[16], t_long[300], t_two[32];
	size_t l_hi, l_empty, l_ref, l_cut, l_pad, l_odd, l_hexcut, l_nd0, l_nd20, l_big, l_tref,
		l_tcut, l_tpl, l_upper, l_long, l_two;
	textcol(t_hi, "\x00\x02", 2, "hi", 2, &l_hi);
	textcol(t_empty, "\x00\x00", 2, "", 0, &l_empty);
	textcol(t_ref, "\x04", 1, "", 0, &l_ref);             /* dictionary entry 0 */
	textcol(t_cut, "\x00\x05", 2, "ab", 2, &l_cut);
	memcpy(t_head, "\x05\x00", 2);                        /* head past the column */
	textcol(t_pad, "\x01\x03", 2, "\xab\xcd", 2, &l_pad);   /* "abc" and a nibble d */
	textcol(t_odd, "\x01\x03", 2, "\xab\xc0", 2, &l_odd);   /* "abc" */
	textcol(t_upper, "\x02\x04", 2, "\x0a\xbf", 2, &l_upper); /* "0ABF" */
	textcol(t_hexcut, "\x01\x04", 2, "\xab", 1, &l_hexcut);
	textcol(t_nd0, "\x03\x00\x00\x00\x00", 5, "", 0, &l_nd0);
	textcol(t_nd20, "\x03\x00\x00\x14\x00", 5, "\x01\x02\x03\x04\x05\x06\x07\x08", 8, &l_nd20);
	textcol(t_big, "\x03\x00\x00\x01\x00", 5, "\x0a", 1, &l_big); /* 10 in one digit */
	textcol(t_tref, "\x03\x01", 2, "\x01", 1, &l_tref);        /* no template yet */
	textcol(t_tcut, "\x03\x00\x00\x07\x00", 5, "\x01", 1, &l_tcut);
	textcol(t_tpl, "\x03\x00\x01u\x03\x04@isp", 10, "\x2a\x00", 2, &l_tpl); /* u042@isp */
	/* the same literal twice: the second record names the first */
	textcol(t_two, "\x03\x00\x01u\x03\x04@isp\x04", 11, "\x2a\x00", 2, &l_two);
	{
		/* prefix 200 + 1 digit + suffix 60 > RT_TEXT_MAX */
		char h[280];
		size_t k = 0;
		h[k++] = 3, h[k++] = 0, h[k++] = (char)200;
		memset(h + k, 'p', 200), k += 200;
		h[k++] = 1, h[k++] = 60;
		memset(h + k, 's', 60), k += 60;
		textcol(t_long, h, k, "\x01", 1, &l_long);
	}
	const struct colspec cases[] = {
		{"valid closed", 0, 0, 0, 1, {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"}},
		{"valid text", 0, 0, 0, 1,
		 {[COL_PRES] = p_acct, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_ACCOUNT] = t_hi},
		 {[COL_ACCOUNT] = l_hi}},
		{"valid odd hex text", 0, 0, 0, 1,
		 {[COL_PRES] = p_acct, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_ACCOUNT] = t_odd},
		 {[COL_ACCOUNT] = l_odd}},
		{"valid upper hex text", 0, 0, 0, 1,
		 {[COL_PRES] = p_acct, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_ACCOUNT] = t_upper},
		 {[COL_ACCOUNT] = l_upper}},
		{"valid digit template", 0, 0, 0, 1,
		 {[COL_PRES] = p_acct, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_ACCOUNT] = t_tpl},
		 {[COL_ACCOUNT] = l_tpl}},
		{"bad magic", 0x11111111, 0, 0, 1, {[COL_PRES] = p_closed}, .want_open = ST_DEC_BAD_MAGIC},
		{"bad version", 0, 9, 0, 1, {[COL_PRES] = p_closed}, .want_open = ST_DEC_BAD_VERSION},
		{"version 1", 0, 1, 0, 1, {[COL_PRES] = p_closed}, .want_open = ST_DEC_BAD_VERSION},
		{"unknown columns", 0, 0, COL_N + 1, 1, {[COL_PRES] = p_closed}, .want_open = ST_DEC_BAD_SIZE},
		{"no records", 0, 0, 0, 0, {[COL_PRES] = p_closed}, .want_open = ST_DEC_BAD_SIZE},
		{"too many records", 0, 0, 0, ST_COL_MAX_RECS + 1, {[COL_PRES] = p_closed},
		 .want_open = ST_DEC_BAD_SIZE},
		{"trailing block bytes", 0, 0, 0, 1, {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"},
		 .extra = 1, .want_open = ST_DEC_TRAILING},
		{"column past end", 0, 0, 0, 1, {[COL_PRES] = p_closed, [COL_START] = "\x02"},
		 {[COL_START] = 1}, .extra = 0, .want_next = ST_DEC_TRUNCATED},
		{"trailing column bytes", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05\x05"},
		 .want_next = ST_DEC_TRAILING},
		{"trailing text body bytes", 0, 0, 0, 1,
		 {[COL_PRES] = p_acct, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_ACCOUNT] = t_hi},
		 {[COL_ACCOUNT] = l_hi + 1}, .want_next = ST_DEC_TRAILING},
		{"unknown presence bit", 0, 0, 0, 1, {[COL_PRES] = p_unknown, [COL_START] = "\x02"},
		 .want_next = ST_DEC_BAD_FLAGS},
		{"time-scale presence bit", 0, 0, 0, 1,
		 {[COL_PRES] = p_tunit, [COL_START] = "\x02", [COL_DUR] = "\x05"},
		 .want_next = ST_DEC_BAD_FLAGS},
		{"no start bit", 0, 0, 0, 1, {[COL_PRES] = p_nostart, [COL_START] = "\x02"},
		 .want_next = ST_DEC_BAD_FLAGS},
		{"cause on open", 0, 0, 0, 1, {[COL_PRES] = p_open_cause, [COL_START] = "\x02", [COL_CAUSE] = "\x01"},
		 .want_next = ST_DEC_BAD_FLAGS},
		{"zero byte field", 0, 0, 0, 1, {[COL_PRES] = p_u8, [COL_START] = "\x02", [COL_SOURCES] = ""},
		 {[COL_SOURCES] = 1}, .want_next = ST_DEC_BAD_FLAGS},
		{"empty text literal", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_empty},
		 {[COL_ACCOUNT] = l_empty}, .want_next = ST_DEC_BAD_TEXT},
		{"text ref past dictionary", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_ref},
		 {[COL_ACCOUNT] = l_ref}, .want_next = ST_DEC_BAD_SIZE},
		{"text literal cut", 0, 0, 0, 1, {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_cut},
		 {[COL_ACCOUNT] = l_cut}, .want_next = ST_DEC_TRUNCATED},
		{"text head past column", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_head},
		 {[COL_ACCOUNT] = 2}, .want_open = ST_DEC_TRUNCATED},
		{"hex padding nibble", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_pad},
		 {[COL_ACCOUNT] = l_pad}, .want_next = ST_DEC_BAD_TEXT},
		{"hex body cut", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_hexcut},
		 {[COL_ACCOUNT] = l_hexcut}, .want_next = ST_DEC_TRUNCATED},
		{"template of 0 digits", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_nd0},
		 {[COL_ACCOUNT] = l_nd0}, .want_next = ST_DEC_BAD_TEXT},
		{"template of 20 digits", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_nd20},
		 {[COL_ACCOUNT] = l_nd20}, .want_next = ST_DEC_BAD_TEXT},
		{"template longer than a text", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_long},
		 {[COL_ACCOUNT] = l_long}, .want_next = ST_DEC_BAD_TEXT},
		{"digit value too large", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_big},
		 {[COL_ACCOUNT] = l_big}, .want_next = ST_DEC_BAD_TEXT},
		{"template ref past list", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_tref},
		 {[COL_ACCOUNT] = l_tref}, .want_next = ST_DEC_BAD_SIZE},
		{"digit value cut", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_tcut},
		 {[COL_ACCOUNT] = l_tcut}, .want_next = ST_DEC_TRUNCATED},
		{"valid repeated text", 0, 0, 0, 2,
		 {[COL_PRES] = "\x0b\x0b" /* open, account */, [COL_START] = "\x02\x02",
		  [COL_ACCOUNT] = t_two},
		 {[COL_ACCOUNT] = l_two}},
		{"bad NAS family", 0, 0, 0, 1, {[COL_PRES] = p_nas, [COL_START] = "\x02", [COL_NAS] = "\x00\x05"},
		 {[COL_NAS] = 2}, .want_next = ST_DEC_BAD_FLAGS},
		{"prefix length > 128", 0, 0, 0, 1, {[COL_PRES] = p_pfx, [COL_START] = "\x02", [COL_PFX] = "\xc8"},
		 {[COL_PFX] = 2}, .want_next = ST_DEC_BAD_PREFIX},
		{"prefix not canonical", 0, 0, 0, 1,
		 {[COL_PRES] = p_pfx, [COL_START] = "\x02", [COL_PFX] = "\x40\x01"},
		 {[COL_PFX] = 3}, .want_next = ST_DEC_BAD_PREFIX},
		{"skew out of int32", 0, 0, 0, 1,
		 {[COL_PRES] = p_skew, [COL_START] = "\x02", [COL_SKEW] = "\x80\x80\x80\x80\x10"},
		 .want_next = ST_DEC_BAD_SKEW},
		{"ipv4 step past 32 bits", 0, 0, 0, 1,
		 {[COL_PRES] = p_ip, [COL_START] = "\x02", [COL_IPV4] = "\x80\x80\x80\x80\x10"},
		 .want_next = ST_DEC_BAD_SIZE},
		{"valid ipv4 step", 0, 0, 0, 1,
		 {[COL_PRES] = p_ip, [COL_START] = "\x02", [COL_IPV4] = "\xfe\xff\xff\xff\x0f"}},
		{"start is RT_TIME_NONE", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", [COL_DUR] = "\x00"},
		 .want_next = ST_DEC_BAD_TIME},
		{"unknown time coding bit", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"},
		 .want_open = ST_DEC_BAD_FLAGS, .tmode = 0x20},
		{"valid stop anchor", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"}, .tmode = 1},
		{"stop anchor on an open record", 0, 0, 0, 1,
		 {[COL_PRES] = p_u8, [COL_START] = "\x02", [COL_SOURCES] = "\x01"},
		 .want_next = ST_DEC_BAD_TIME, .tmode = 1},
		{"start at RT_TIME_NONE from a stop anchor", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "", [COL_DUR] = "\x01"},
		 {[COL_START] = 1}, .want_next = ST_DEC_BAD_TIME, .tmode = 3, .base = INT64_MIN + 1},
		{"valid offsets", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"}, .tmode = 2,
		 .base = -5},
		{"valid packed offsets", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"}, .tmode = 18,
		 .width = 4},
		{"packed offsets of width 0", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_DUR] = "\x05"}, .tmode = 18},
		{"packed steps", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"}, .tmode = 16,
		 .width = 4, .want_open = ST_DEC_BAD_FLAGS},
		{"packed with anchor scales", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_TUNIT] = ""},
		 {[COL_TUNIT] = 1}, .tmode = 22, .width = 4, .want_open = ST_DEC_BAD_FLAGS},
		{"packed width 65", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"}, .tmode = 18,
		 .width = 65, .want_open = ST_DEC_BAD_FLAGS},
		{"packed length differs", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02\x03", [COL_DUR] = "\x05"}, .tmode = 18,
		 .width = 8, .want_open = ST_DEC_BAD_SIZE},
		{"packed padding bits", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x12", [COL_DUR] = "\x05"}, .tmode = 18,
		 .width = 4, .want_open = ST_DEC_BAD_SIZE},
		{"scales column without scales", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_TUNIT] = ""},
		 {[COL_TUNIT] = 1}, .want_open = ST_DEC_BAD_SIZE},
		{"scales without their column", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"}, .tmode = 12,
		 .want_open = ST_DEC_BAD_SIZE},
		{"time scale past 3", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_TUNIT] = "\x10"},
		 .want_next = ST_DEC_BAD_TIME, .tmode = 12},
		{"anchor scale without its bit", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_TUNIT] = "\x01"},
		 .want_next = ST_DEC_BAD_TIME, .tmode = 8},
		{"duration scale on an open record", 0, 0, 0, 1,
		 {[COL_PRES] = p_two_acct, [COL_START] = "\x02", [COL_ACCOUNT] = t_hi,
		  [COL_TUNIT] = "\x04"},
		 {[COL_ACCOUNT] = l_hi}, .want_next = ST_DEC_BAD_TIME, .tmode = 12},
		{"valid with scales", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05", [COL_TUNIT] = "\x0f"},
		 .tmode = 12},
		{"time unit 0", 0, 0, 0, 1, {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"},
		 .want_open = ST_DEC_BAD_TIME, .zero_unit = true},
		{"duration times its unit overflows", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x80\x80\x80\x80\x10"},
		 .want_next = ST_DEC_BAD_TIME, .udur = UINT64_C(1) << 40},
		{"valid with units", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02", [COL_DUR] = "\x05"},
		 .ustart = 1000000000, .udur = 1000},
		{"stop past INT64_MAX", 0, 0, 0, 1,
		 {[COL_PRES] = p_closed, [COL_START] = "\x02",
		  [COL_DUR] = "\xff\xff\xff\xff\xff\xff\xff\xff\x7f"},
		 .want_next = ST_DEC_BAD_TIME},
	};
	struct st_col_reader rd = {0};
	static struct rt_session s;
	uint8_t buf[1024];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct colspec *c = &cases[i];
		size_t n = build(c, buf);
		enum st_dec got = st_col_open(&rd, buf, n);
		if (got == ST_DEC_OK)
			got = st_col_next(&rd, &s);
		enum st_dec want = c->want_open ? c->want_open : c->want_next;
		if (got != want)
			fprintf(stderr, "column case '%s': got '%s', want '%s'\n", c->name,
				st_dec_str(got), st_dec_str(want));
		CHECK(got == want);
		/* the scan refuses the same way (light: one per record the
		 * header claims, as st_col_scan requires) */
		static struct st_col_light light[ST_COL_MAX_RECS];
		got = st_col_open(&rd, buf, n);
		if (got == ST_DEC_OK)
			got = st_col_scan(&rd, light);
		if (got != want)
			fprintf(stderr, "column scan case '%s': got '%s', want '%s'\n", c->name,
				st_dec_str(got), st_dec_str(want));
		CHECK(got == want);
		/* every cut of a valid block is refused, never read past */
		if (want == ST_DEC_OK) {
			for (size_t cut = 0; cut < n; cut++) {
				enum st_dec w = st_col_open(&rd, buf, cut);
				if (w == ST_DEC_OK)
					w = st_col_next(&rd, &s);
				CHECK(w != ST_DEC_OK);
			}
		}
	}
	st_col_reader_done(&rd);
}

/* Compressed blocks, with and without a trained dictionary. */
static void test_compressed(void)
{
	static struct rt_session in[256];
	static uint8_t samples[64][16384];
	struct st_col_enc e = {0};
	struct st_col_reader rd = {0};
	struct st_buf b = {0}, raw = {0}, cat = {0};
	size_t sizes[64];
	uint64_t r = 5;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	REQUIRE(cc && dc ? 0 : -ENOMEM);

	/* training samples: 64 blocks of 32 sessions */
	for (unsigned k = 0; k < 64; k++) {
		for (unsigned i = 0; i < 32; i++)
			col_session(&in[i], &r, k * 32 + i);
		b.len = 0;
		OK(st_col_encode(&e, in, 32, &b));
		REQUIRE(b.len <= sizeof(samples[0]) ? 0 : -ENOSPC);
		memcpy(samples[k], b.p, b.len);
		sizes[k] = b.len;
		OK(st_buf_reserve(&cat, b.len));
		memcpy(cat.p + cat.len, b.p, b.len);
		cat.len += b.len;
	}
	static uint8_t dict[16384];
	size_t dlen = st_col_train(dict, sizeof(dict), cat.p, sizes, 64);
	CHECK(dlen > 0);
	ZSTD_CDict *cd = ZSTD_createCDict(dict, dlen, 3);
	ZSTD_DDict *dd = ZSTD_createDDict(dict, dlen);
	uint32_t id = ZSTD_getDictID_fromDict(dict, dlen);
	CHECK(cd && dd && id != 0);

	for (unsigned i = 0; i < 256; i++)
		col_session(&in[i], &r, 5000 + i);
	b.len = 0;
	OK(st_col_encode(&e, in, 256, &b));
	static uint8_t z[2][1 << 17];
	size_t zl[2];
	OK(st_colz_seal(cc, NULL, 0, b.p, b.len, 256, z[0], &zl[0]));
	OK(st_colz_seal(cc, cd, id, b.p, b.len, 256, z[1], &zl[1]));
	CHECK(zl[1] < zl[0]); /* the dictionary helps */
	for (int k = 0; k < 2; k++) {
		struct st_colz_hdr h;
		enum st_dec why;
		OK(st_colz_open(dc, k ? dd : NULL, k ? id : 0, z[k], zl[k], &h, &raw, &why));
		CHECK(h.nrecs == 256 && raw.len == b.len && memcmp(raw.p, b.p, b.len) == 0);
		CHECK(st_col_open(&rd, raw.p, raw.len) == ST_DEC_OK);
		static struct rt_session s; /* zeroed: see st_col_next */
		size_t bad = 0;
		for (unsigned i = 0; i < 256; i++)
			bad += st_col_next(&rd, &s) != ST_DEC_OK || memcmp(&s, &in[i], sizeof(s)) != 0;
		CHECK(bad == 0);
	}

	/* rejections of the compressed reader */
	struct {
		const char *name;
		long off;      /* byte to change (-1: none) */
		uint8_t x;     /* xor */
		long cut;      /* bytes to drop at the end */
		int dict;      /* 0: no dictionary, 1: right, 2: another id */
		enum st_dec want;
	} cz[] = {
		{"valid", -1, 0, 0, 1, ST_DEC_OK},
		{"magic", 0, 1, 0, 1, ST_DEC_BAD_MAGIC},
		{"version", 4, 1, 0, 1, ST_DEC_BAD_VERSION},
		{"header length", 6, 1, 0, 1, ST_DEC_BAD_SIZE},
		{"header crc", 8, 1, 0, 1, ST_DEC_BAD_HEADER_CRC},
		{"crc field", 12, 1, 0, 1, ST_DEC_BAD_HEADER_CRC},
		{"truncated", -1, 0, 1, 1, ST_DEC_BAD_FRAME},
		{"header only", -1, 0, 100000, 1, ST_DEC_BAD_SIZE},
		{"dictionary id differs", -1, 0, 0, 2, ST_DEC_MISMATCH},
		/* the frame names no dictionary: the data does not decode */
		{"no dictionary given", -1, 0, 0, 0, ST_DEC_BAD_CHECKSUM},
		{"frame magic", 16, 1, 0, 1, ST_DEC_BAD_FRAME},
		{"frame names a dictionary", 20, 1, 0, 1, ST_DEC_BAD_FRAME},
		{"frame data", 60, 0x40, 0, 1, ST_DEC_BAD_CHECKSUM},
		{"frame checksum", -2, 1, 0, 1, ST_DEC_BAD_CHECKSUM},
	};
	static uint8_t m[1 << 17];
	for (size_t i = 0; i < sizeof(cz) / sizeof(cz[0]); i++) {
		size_t len = zl[1];
		memcpy(m, z[1], len);
		if (cz[i].off == -2)
			m[len - 1] ^= cz[i].x;
		else if (cz[i].off >= 0)
			m[cz[i].off] ^= cz[i].x;
		len = cz[i].cut > (long)len ? 20 : len - (size_t)cz[i].cut;
		struct st_colz_hdr h;
		enum st_dec why = ST_DEC_OK;
		uint32_t want_id = cz[i].dict == 1 ? id : cz[i].dict == 2 ? id + 1 : 0;
		int rc = st_colz_open(dc, cz[i].dict ? dd : NULL, want_id, m, len, &h, &raw, &why);
		if (why != cz[i].want)
			fprintf(stderr, "colz case '%s': got '%s', want '%s'\n", cz[i].name,
				st_dec_str(why), st_dec_str(cz[i].want));
		CHECK(why == cz[i].want);
		CHECK(cz[i].want == ST_DEC_OK ? rc == 0 : rc == st_dec_err(cz[i].want));
	}
	ZSTD_freeCDict(cd);
	ZSTD_freeDDict(dd);
	ZSTD_freeCCtx(cc);
	ZSTD_freeDCtx(dc);
	st_buf_done(&b);
	st_buf_done(&raw);
	st_buf_done(&cat);
	st_col_enc_done(&e);
	st_col_reader_done(&rd);
}

/* `test_column --corpus DIR`: the seed corpus of fuzz_column (a raw
 * block of every field and text form, and the same compressed). */
static int write_corpus(const char *dir)
{
	static struct rt_session in[40];
	struct st_col_enc e = {0};
	struct st_buf b = {0};
	static uint8_t z[1 << 16];
	size_t zl;
	uint64_t r = 21;
	char path[4200];
	for (unsigned i = 0; i < 40; i++)
		col_session(&in[i], &r, i);
	OK(st_col_encode(&e, in, 40, &b));
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	REQUIRE(cc ? 0 : -ENOMEM);
	OK(st_colz_seal(cc, NULL, 0, b.p, b.len, 40, z, &zl));
	const struct {
		const char *name;
		const uint8_t *p;
		size_t n;
	} seeds[] = {{"raw", b.p, b.len}, {"compressed", z, zl}};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
		FILE *o = fopen(path, "wb");
		REQUIRE(o ? 0 : -errno);
		REQUIRE(fwrite(seeds[i].p, 1, seeds[i].n, o) == seeds[i].n ? 0 : -EIO);
		fclose(o);
	}
	ZSTD_freeCCtx(cc);
	st_buf_done(&b);
	st_col_enc_done(&e);
	return t_finish("test_column --corpus");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		return write_corpus(argv[2]);
	test_roundtrip();
	test_extreme_times();
	test_text_forms();
	test_rejections();
	test_compressed();
	return t_finish("test_column");
}
