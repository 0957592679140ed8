/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Record codec (format version 1, storage/FORMAT.md "Record").
 *
 * A record is a presence bitmap followed by the present fields in bit
 * order.  Times are deltas: start against the previous record of the block,
 * stop as the (non-negative) duration, tracker times against start.  The
 * decoder is strict about canonical form (no present-but-zero bytes, no
 * trailing zero prefix bytes) so that a round trip is exact.
 */
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

enum {
	F_CLOSED = 1u << 0,
	F_ACCOUNT = 1u << 1,
	F_SID = 1u << 2,
	F_CALLING = 1u << 3,
	F_NAS4 = 1u << 4,
	F_IPV4 = 1u << 5,
	F_SOURCES = 1u << 6,
	F_AUTH = 1u << 7,
	F_CAUSE = 1u << 8,
	F_NASID = 1u << 9,
	F_PORT = 1u << 10,
	F_MAC = 1u << 11,
	F_NAS6 = 1u << 12,
	F_IPV6 = 1u << 13,
	F_PFX6 = 1u << 14,
	F_DPFX = 1u << 15,
	F_SKEW = 1u << 16,
	F_LASTNEWS = 1u << 17,
	F_PREVNEWS = 1u << 18,
	F_UNMAPPED = 1u << 19, /* RT_FLAG_UNMAPPED: no payload bytes */
	F_ALL = (1u << 20) - 1,
};

/* flags 3 + start 10 + dur 10 + 5 texts * 254 + 4 + 4 + 3 + 6 + 16 + 16 +
 * 2 * 18 + skew 5 + 2 * 10 */
_Static_assert(3 + 10 + 10 + 5 * 254 + 4 + 4 + 3 + 6 + 16 + 16 + 2 * 18 + 5 + 20 <= ST_REC_MAX,
	       "ST_REC_MAX too small");

static const char *const dec_names[ST_DEC_LAST] = {
	[ST_DEC_OK] = "ok",
	[ST_DEC_TRUNCATED] = "truncated",
	[ST_DEC_BAD_FLAGS] = "bad presence flags",
	[ST_DEC_BAD_TEXT] = "bad text length",
	[ST_DEC_BAD_TIME] = "time out of range",
	[ST_DEC_BAD_PREFIX] = "bad IPv6 prefix",
	[ST_DEC_BAD_SKEW] = "clock skew out of range",
	[ST_DEC_TRAILING] = "trailing bytes after the last record",
	[ST_DEC_BAD_MAGIC] = "bad magic",
	[ST_DEC_BAD_VERSION] = "unsupported format version",
	[ST_DEC_BAD_HEADER_CRC] = "header checksum mismatch",
	[ST_DEC_BAD_SIZE] = "size field out of bounds",
	[ST_DEC_BAD_FRAME] = "malformed zstd frame",
	[ST_DEC_BAD_CHECKSUM] = "content checksum mismatch",
	[ST_DEC_MISMATCH] = "block differs from its catalogue entry",
};

const char *st_dec_str(enum st_dec why)
{
	if ((unsigned)why < ST_DEC_LAST)
		return dec_names[why];
	return "unknown reason";
}

int st_dec_err(enum st_dec why)
{
	if (why == ST_DEC_OK)
		return 0;
	return why == ST_DEC_BAD_VERSION ? ST_EVERSION : ST_ECORRUPT;
}

/* ---- helpers ----------------------------------------------------------- */

int st_buf_reserve(struct st_buf *b, size_t extra)
{
	if (extra <= b->cap - b->len)
		return 0;
	if (extra > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	size_t nc = b->cap ? b->cap : 4096;
	while (nc < b->len + extra)
		nc *= 2;
	uint8_t *np = realloc(b->p, nc);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = nc;
	return 0;
}

void st_buf_done(struct st_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static const uint32_t crc32c_tab[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

static uint32_t crc32c_sw(uint32_t c, const uint8_t *b, size_t n)
{
	while (n--)
		c = crc32c_tab[(c ^ *b++) & 0xff] ^ (c >> 8);
	return c;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* SSE 4.2 has the CRC-32C instruction: 8 bytes per step instead of one
 * table lookup per byte (opening a sealed segment checksums megabytes). */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t c, const uint8_t *b,
							     size_t n)
{
	uint64_t c64 = c;
	for (; n >= 8; n -= 8, b += 8) {
		uint64_t w;
		memcpy(&w, b, 8); /* little-endian, any alignment */
		c64 = __builtin_ia32_crc32di(c64, w);
	}
	c = (uint32_t)c64;
	for (; n; n--)
		c = __builtin_ia32_crc32qi(c, *b++);
	return c;
}
#endif

uint32_t st_crc32c(const void *p, size_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_hw(0xffffffffu, p, n) ^ 0xffffffffu;
#endif
	return crc32c_sw(0xffffffffu, p, n) ^ 0xffffffffu;
}

int64_t st_day_start(int32_t day)
{
	int64_t r;
	if (__builtin_mul_overflow((int64_t)day, ST_NS_PER_DAY, &r))
		return day < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

/* Proleptic Gregorian calendar from a day count (eras of 400 years,
 * years counted from March so that the leap day comes last). */
static void civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
	z += 719468; /* days from 0000-03-01 to 1970-01-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);                         /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	*ret_d = doy - (153 * mp + 2) / 5 + 1;
	*ret_m = m;
	*ret_y = (int64_t)yoe + era * 400 + (m <= 2);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Years of int32 days fit 7 characters; the clamp tells the compiler. */
static int year_clamp(int64_t y)
{
	return (int)(y < -999999 ? -999999 : y > 9999999 ? 9999999 : y);
}

void st_day_name(int32_t day, char buf[16])
{
	int64_t y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(buf, 16, "%04d-%02u-%02u", year_clamp(y), m % 100, d % 100);
}

bool st_day_parse_segname(const char *name, int32_t *ret_day)
{
	/* exactly "YYYY-MM-DD.seg" */
	static const char shape[] = "dddd-dd-dd.seg";
	if (strlen(name) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (name[i] < '0' || name[i] > '9') : name[i] != shape[i])
			return false;
	}
	int y = (name[0] - '0') * 1000 + (name[1] - '0') * 100 + (name[2] - '0') * 10 +
		(name[3] - '0');
	unsigned m = (unsigned)((name[5] - '0') * 10 + (name[6] - '0'));
	unsigned d = (unsigned)((name[8] - '0') * 10 + (name[9] - '0'));
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	int64_t day = days_from_civil(y, m, d);
	char back[16];
	st_day_name((int32_t)day, back);
	if (memcmp(back, name, 10) != 0) /* e.g. 2026-02-30 */
		return false;
	*ret_day = (int32_t)day;
	return true;
}

void st_time_rfc3339(int64_t ns, char buf[40])
{
	int64_t s = ns / 1000000000;
	int64_t frac = ns % 1000000000;
	if (frac < 0) {
		frac += 1000000000;
		s--;
	}
	int64_t days = s / 86400, sod = s % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, 40, "%04d-%02u-%02uT%02u:%02u:%02u.%09uZ", year_clamp(y), m % 100, d % 100,
		 (unsigned)(sod / 3600) % 100, (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
		 (unsigned)frac % 1000000000u);
}

/* ---- encoding ------------------------------------------------------------ */

int st_rec_check(const struct rt_session *s)
{
	if (s->account.len > RT_TEXT_MAX || s->session_id.len > RT_TEXT_MAX ||
	    s->calling_number.len > RT_TEXT_MAX || s->nas_id.len > RT_TEXT_MAX ||
	    s->nas_port_id.len > RT_TEXT_MAX)
		return ST_EINVAL;
	if (s->nas_ip.family != 0 && s->nas_ip.family != 4 && s->nas_ip.family != 6)
		return ST_EINVAL;
	if ((s->ipv6_prefix.present && s->ipv6_prefix.plen > 128) ||
	    (s->delegated_prefix.present && s->delegated_prefix.plen > 128))
		return ST_EINVAL;
	if (s->start_ns == RT_TIME_NONE)
		return ST_EINVAL;
	if (s->stop_ns != RT_TIME_NONE && s->stop_ns < s->start_ns)
		return ST_EINVAL;
	return 0;
}

static uint8_t *put_text(uint8_t *p, const struct rt_text *t)
{
	*p++ = t->len;
	memcpy(p, t->v, t->len);
	return p + t->len;
}

static uint8_t *put_prefix(uint8_t *p, const struct rt_prefix6 *x)
{
	unsigned n = 16;
	while (n > 0 && x->a[n - 1] == 0)
		n--;
	*p++ = x->plen;
	*p++ = (uint8_t)n;
	memcpy(p, x->a, n);
	return p + n;
}

size_t st_rec_encode(const struct rt_session *s, int64_t prev_start, unsigned opts,
		     uint8_t *dst)
{
	bool tracker = !(opts & ST_ENC_NO_TRACKER);
	uint32_t f = 0;
	bool closed = s->stop_ns != RT_TIME_NONE;
	f |= closed ? F_CLOSED : 0;
	f |= s->account.len ? F_ACCOUNT : 0;
	f |= s->session_id.len ? F_SID : 0;
	f |= s->calling_number.len ? F_CALLING : 0;
	f |= s->nas_ip.family == 4 ? F_NAS4 : 0;
	f |= s->has_ipv4 ? F_IPV4 : 0;
	f |= s->sources ? F_SOURCES : 0;
	f |= s->auth ? F_AUTH : 0;
	f |= s->stop_cause ? F_CAUSE : 0;
	f |= s->nas_id.len ? F_NASID : 0;
	f |= s->nas_port_id.len ? F_PORT : 0;
	f |= s->has_calling_mac ? F_MAC : 0;
	f |= s->nas_ip.family == 6 ? F_NAS6 : 0;
	f |= s->has_ipv6_addr ? F_IPV6 : 0;
	f |= s->ipv6_prefix.present ? F_PFX6 : 0;
	f |= s->delegated_prefix.present ? F_DPFX : 0;
	f |= s->has_clock_skew ? F_SKEW : 0;
	f |= tracker && s->last_news_ns != RT_TIME_NONE ? F_LASTNEWS : 0;
	f |= tracker && s->prev_news_ns != RT_TIME_NONE ? F_PREVNEWS : 0;
	f |= (s->flags & RT_FLAG_UNMAPPED) ? F_UNMAPPED : 0;

	uint8_t *p = dst;
	p = st_put_varint(p, f);
	p = st_put_varint(p, st_zigzag((uint64_t)s->start_ns - (uint64_t)prev_start));
	if (closed)
		p = st_put_varint(p, (uint64_t)s->stop_ns - (uint64_t)s->start_ns);
	if (f & F_ACCOUNT)
		p = put_text(p, &s->account);
	if (f & F_SID)
		p = put_text(p, &s->session_id);
	if (f & F_CALLING)
		p = put_text(p, &s->calling_number);
	if (f & F_NAS4) {
		memcpy(p, s->nas_ip.a, 4);
		p += 4;
	}
	if (f & F_IPV4) {
		memcpy(p, s->ipv4, 4);
		p += 4;
	}
	if (f & F_SOURCES)
		*p++ = s->sources;
	if (f & F_AUTH)
		*p++ = s->auth;
	if (f & F_CAUSE)
		*p++ = s->stop_cause;
	if (f & F_NASID)
		p = put_text(p, &s->nas_id);
	if (f & F_PORT)
		p = put_text(p, &s->nas_port_id);
	if (f & F_MAC) {
		memcpy(p, s->calling_mac, 6);
		p += 6;
	}
	if (f & F_NAS6) {
		memcpy(p, s->nas_ip.a, 16);
		p += 16;
	}
	if (f & F_IPV6) {
		memcpy(p, s->ipv6_addr, 16);
		p += 16;
	}
	if (f & F_PFX6)
		p = put_prefix(p, &s->ipv6_prefix);
	if (f & F_DPFX)
		p = put_prefix(p, &s->delegated_prefix);
	if (f & F_SKEW)
		p = st_put_varint(p, st_zigzag((uint64_t)(int64_t)s->clock_skew_ms));
	if (f & F_LASTNEWS)
		p = st_put_varint(p, st_zigzag((uint64_t)s->last_news_ns - (uint64_t)s->start_ns));
	if (f & F_PREVNEWS)
		p = st_put_varint(p, st_zigzag((uint64_t)s->prev_news_ns - (uint64_t)s->start_ns));
	return (size_t)(p - dst);
}

/* ---- decoding ------------------------------------------------------------ */

/* Text: u8 length 1..RT_TEXT_MAX, then the bytes (t may be NULL: skip). */
static enum st_dec get_text(struct dp_cur *c, struct rt_text *t)
{
	uint8_t n;
	if (!dp_cur_u8(c, &n))
		return ST_DEC_TRUNCATED;
	if (n == 0 || n > RT_TEXT_MAX)
		return ST_DEC_BAD_TEXT;
	if (t) {
		if (!dp_cur_copy(c, t->v, n))
			return ST_DEC_TRUNCATED;
		t->len = n;
	} else if (!dp_cur_skip(c, n)) {
		return ST_DEC_TRUNCATED;
	}
	return ST_DEC_OK;
}

static enum st_dec get_bytes(struct dp_cur *c, void *dst, size_t n)
{
	if (dst)
		return dp_cur_copy(c, dst, n) ? ST_DEC_OK : ST_DEC_TRUNCATED;
	return dp_cur_skip(c, n) ? ST_DEC_OK : ST_DEC_TRUNCATED;
}

/* A present non-zero byte (sources, auth, cause). */
static enum st_dec get_nz_u8(struct dp_cur *c, uint8_t *dst)
{
	uint8_t v;
	if (!dp_cur_u8(c, &v))
		return ST_DEC_TRUNCATED;
	if (v == 0)
		return ST_DEC_BAD_FLAGS; /* absent values have no flag */
	if (dst)
		*dst = v;
	return ST_DEC_OK;
}

/* Prefix: plen (<= 128), n (<= 16) significant bytes, last one non-zero. */
static enum st_dec get_prefix(struct dp_cur *c, struct rt_prefix6 *x)
{
	uint8_t plen, n;
	if (!dp_cur_u8(c, &plen) || !dp_cur_u8(c, &n))
		return ST_DEC_TRUNCATED;
	if (plen > 128 || n > 16)
		return ST_DEC_BAD_PREFIX;
	if (n > dp_cur_left(c))
		return ST_DEC_TRUNCATED;
	if (n && c->p[n - 1] == 0)
		return ST_DEC_BAD_PREFIX;
	if (x) {
		x->present = true;
		x->plen = plen;
		dp_cur_copy(c, x->a, n);
	} else {
		dp_cur_skip(c, n);
	}
	return ST_DEC_OK;
}

/* A time given as a zigzag delta against base; RT_TIME_NONE is not a value. */
static enum st_dec get_time_delta(struct dp_cur *c, int64_t base, int64_t *ret)
{
	uint64_t z;
	if (!dp_cur_varint(c, &z))
		return dp_cur_left(c) >= 10 ? ST_DEC_BAD_TIME : ST_DEC_TRUNCATED;
	int64_t t = st_u2i((uint64_t)base + st_unzigzag(z));
	if (t == RT_TIME_NONE)
		return ST_DEC_BAD_TIME;
	*ret = t;
	return ST_DEC_OK;
}

#define TRY(expr)                                    \
	do {                                         \
		enum st_dec try_why_ = (expr);       \
		if (try_why_ != ST_DEC_OK)           \
			return try_why_;             \
	} while (0)

/* Decodes into s (NULL: validate only); times always returned. */
static enum st_dec rec_decode(struct dp_cur *c, int64_t prev_start, struct rt_session *s,
			      int64_t *ret_start, int64_t *ret_stop)
{
	uint64_t f, dur;
	int64_t start, stop = RT_TIME_NONE;

	if (!dp_cur_varint(c, &f))
		return dp_cur_left(c) >= 10 ? ST_DEC_BAD_FLAGS : ST_DEC_TRUNCATED;
	if (f & ~(uint64_t)F_ALL)
		return ST_DEC_BAD_FLAGS;
	if ((f & F_NAS4) && (f & F_NAS6))
		return ST_DEC_BAD_FLAGS;
	if (!(f & F_CLOSED) && (f & F_CAUSE))
		return ST_DEC_BAD_FLAGS; /* an open session has no stop cause */
	TRY(get_time_delta(c, prev_start, &start));
	if (f & F_CLOSED) {
		if (!dp_cur_varint(c, &dur))
			return dp_cur_left(c) >= 10 ? ST_DEC_BAD_TIME : ST_DEC_TRUNCATED;
		/* stop = start + dur must not pass INT64_MAX */
		if (dur > (uint64_t)INT64_MAX - (uint64_t)start)
			return ST_DEC_BAD_TIME;
		stop = st_u2i((uint64_t)start + dur);
	}
	if (s) {
		memset(s, 0, sizeof(*s));
		s->start_ns = start;
		s->stop_ns = stop;
		s->last_news_ns = RT_TIME_NONE;
		s->prev_news_ns = RT_TIME_NONE;
	}
	if (f & F_ACCOUNT)
		TRY(get_text(c, s ? &s->account : NULL));
	if (f & F_SID)
		TRY(get_text(c, s ? &s->session_id : NULL));
	if (f & F_CALLING)
		TRY(get_text(c, s ? &s->calling_number : NULL));
	if (f & F_NAS4) {
		TRY(get_bytes(c, s ? s->nas_ip.a : NULL, 4));
		if (s)
			s->nas_ip.family = 4;
	}
	if (f & F_IPV4) {
		TRY(get_bytes(c, s ? s->ipv4 : NULL, 4));
		if (s)
			s->has_ipv4 = true;
	}
	if (f & F_SOURCES)
		TRY(get_nz_u8(c, s ? &s->sources : NULL));
	if (f & F_AUTH)
		TRY(get_nz_u8(c, s ? &s->auth : NULL));
	if (f & F_CAUSE)
		TRY(get_nz_u8(c, s ? &s->stop_cause : NULL));
	if (f & F_NASID)
		TRY(get_text(c, s ? &s->nas_id : NULL));
	if (f & F_PORT)
		TRY(get_text(c, s ? &s->nas_port_id : NULL));
	if (f & F_MAC) {
		TRY(get_bytes(c, s ? s->calling_mac : NULL, 6));
		if (s)
			s->has_calling_mac = true;
	}
	if (f & F_NAS6) {
		TRY(get_bytes(c, s ? s->nas_ip.a : NULL, 16));
		if (s)
			s->nas_ip.family = 6;
	}
	if (f & F_IPV6) {
		TRY(get_bytes(c, s ? s->ipv6_addr : NULL, 16));
		if (s)
			s->has_ipv6_addr = true;
	}
	if (f & F_PFX6)
		TRY(get_prefix(c, s ? &s->ipv6_prefix : NULL));
	if (f & F_DPFX)
		TRY(get_prefix(c, s ? &s->delegated_prefix : NULL));
	if (f & F_SKEW) {
		uint64_t z;
		if (!dp_cur_varint(c, &z))
			return dp_cur_left(c) >= 10 ? ST_DEC_BAD_SKEW : ST_DEC_TRUNCATED;
		int64_t v = st_u2i(st_unzigzag(z));
		if (v < INT32_MIN || v > INT32_MAX)
			return ST_DEC_BAD_SKEW;
		if (s) {
			s->has_clock_skew = true;
			s->clock_skew_ms = (int32_t)v;
		}
	}
	if (f & F_LASTNEWS) {
		int64_t t;
		TRY(get_time_delta(c, start, &t));
		if (s)
			s->last_news_ns = t;
	}
	if (f & F_PREVNEWS) {
		int64_t t;
		TRY(get_time_delta(c, start, &t));
		if (s)
			s->prev_news_ns = t;
	}
	if ((f & F_UNMAPPED) && s)
		s->flags |= RT_FLAG_UNMAPPED;
	*ret_start = start;
	*ret_stop = stop;
	return ST_DEC_OK;
}

enum st_dec st_rec_decode(struct dp_cur *c, int64_t prev_start, struct rt_session *ret)
{
	struct dp_cur w = *c;
	int64_t start, stop;
	enum st_dec why = rec_decode(&w, prev_start, ret, &start, &stop);
	if (why == ST_DEC_OK)
		*c = w;
	return why;
}

enum st_dec st_rec_times(struct dp_cur *c, int64_t prev_start, int64_t *ret_start,
			 int64_t *ret_stop)
{
	struct dp_cur w = *c;
	int64_t start, stop;
	enum st_dec why = rec_decode(&w, prev_start, NULL, &start, &stop);
	if (why == ST_DEC_OK) {
		*c = w;
		*ret_start = start;
		*ret_stop = stop;
	}
	return why;
}
