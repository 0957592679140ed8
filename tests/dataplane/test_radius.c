/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_radius_check(), dp_radius_decode_acct(), dp_radius_acct_verify() and
 * dp_radius_acct_sign(): every rejection reason, every truncation point of
 * a valid packet, every decoded attribute, and the authenticator against a
 * known answer computed independently (Python hashlib).  Inputs sit at the
 * end of their own heap block so that ASan sees any over-read.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dp_check.h"
#include "radius.h"

/* ---- a small packet builder ---- */

struct pkt {
	uint8_t b[DP_RADIUS_MAX_LEN + 64];
	size_t n;
};

static void pkt_init(struct pkt *p, uint8_t code, uint8_t id)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = code;
	p->b[1] = id;
	p->n = DP_RADIUS_HDR_LEN;
}

static void pkt_attr(struct pkt *p, uint8_t type, const void *v, size_t len)
{
	p->b[p->n] = type;
	p->b[p->n + 1] = (uint8_t)(len + 2);
	if (len)
		memcpy(p->b + p->n + 2, v, len);
	p->n += len + 2;
}

static void pkt_str(struct pkt *p, uint8_t type, const char *s)
{
	pkt_attr(p, type, s, strlen(s));
}

static void pkt_u32(struct pkt *p, uint8_t type, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	pkt_attr(p, type, b, 4);
}

static void pkt_hex(struct pkt *p, uint8_t type, const char *hex)
{
	uint8_t v[256];
	size_t n = hex_decode(hex, v, sizeof(v));
	pkt_attr(p, type, v, n);
}

/* Sets Length to the bytes built so far. */
static void pkt_fin(struct pkt *p)
{
	p->b[2] = (uint8_t)(p->n >> 8);
	p->b[3] = (uint8_t)p->n;
}

static enum dp_radius_fail check_guarded(const uint8_t *p, size_t n)
{
	uint8_t *g = guard_copy(p, n);
	enum dp_radius_fail r = dp_radius_check(g, n);
	guard_free(g, n);
	return r;
}

/* The decoded texts are views into the packet, so the guarded copy lives
 * until the next decode (ASan then catches any use of a stale view). */
static enum dp_radius_fail decode_guarded(const uint8_t *p, size_t n, struct dp_radius_acct *a)
{
	static uint8_t *last;
	static size_t last_n;
	if (last)
		guard_free(last, last_n);
	last = guard_copy(p, n);
	last_n = n;
	return dp_radius_decode_acct(last, n, a);
}

static const uint8_t secret[] = "testing123";
#define SECRET_LEN (sizeof(secret) - 1)

/* A Start with every decoded attribute, plus an unknown one and a VSA. */
static void build_full(struct pkt *p)
{
	pkt_init(p, DP_RADIUS_ACCOUNTING_REQUEST, 7);
	pkt_str(p, 1, "alice@isp.example");
	pkt_hex(p, 4, "c0000201");
	pkt_hex(p, 8, "6440000a");
	pkt_str(p, 25, "class-\x01\xff");
	pkt_str(p, 30, "00-11-22-33-44-55:ssid");
	pkt_str(p, 31, "aa:bb:cc:dd:ee:ff");
	pkt_str(p, 32, "bras-1");
	pkt_u32(p, 40, DP_ACCT_START);
	pkt_u32(p, 41, 5);
	pkt_str(p, 44, "sess-0001");
	pkt_u32(p, 46, 3600);
	pkt_u32(p, 49, 1);
	pkt_u32(p, 55, 1700000000);
	pkt_hex(p, 80, "00112233445566778899aabbccddeeff");
	pkt_str(p, 87, "eth 0/1/2:100.200");
	pkt_hex(p, 95, "20010db8000000000000000000000099");
	pkt_hex(p, 97, "00 40 20010db8000100ff"); /* 2001:db8:1:ff::/64 */
	pkt_hex(p, 123, "00 38 20010db8ab00ffffffffffffffffffff"); /* /56, junk bits */
	pkt_hex(p, 168, "20010db8000100ff0000000000000001");
	pkt_hex(p, 26, "000009 01 0c 666f6f3d626172 00"); /* VSA: skipped */
	pkt_hex(p, 200, ""); /* unknown, empty: skipped */
	pkt_fin(p);
}

static bool text_eq(const struct rt_view *t, const char *s)
{
	return t->len == strlen(s) && (t->len == 0 || memcmp(t->p, s, t->len) == 0);
}

static bool bytes_eq(const uint8_t *a, const char *hex)
{
	uint8_t b[32];
	size_t n = hex_decode(hex, b, sizeof(b));
	return memcmp(a, b, n) == 0;
}

static void test_decode_full(void)
{
	struct pkt p;
	struct dp_radius_acct a;

	check_ctx = "decode-full";
	build_full(&p);
	CHECK(check_guarded(p.b, p.n) == DP_RADIUS_OK);
	memset(&a, 0xa5, sizeof(a));
	CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_OK);
	CHECK(a.code == DP_RADIUS_ACCOUNTING_REQUEST);
	CHECK(a.identifier == 7);
	CHECK(a.length == p.n);
	CHECK(memcmp(a.authenticator, p.b + 4, 16) == 0);
	CHECK(a.status_type == DP_ACCT_START);
	CHECK(text_eq(&a.user_name, "alice@isp.example"));
	CHECK(text_eq(&a.class_, "class-\x01\xff"));
	CHECK(text_eq(&a.called, "00-11-22-33-44-55:ssid"));
	CHECK(text_eq(&a.calling, "aa:bb:cc:dd:ee:ff"));
	CHECK(text_eq(&a.nas_id, "bras-1"));
	CHECK(text_eq(&a.session_id, "sess-0001"));
	CHECK(text_eq(&a.nas_port_id, "eth 0/1/2:100.200"));
	CHECK(a.has_nas_ip && bytes_eq(a.nas_ip, "c0000201"));
	CHECK(a.has_framed_ip && bytes_eq(a.framed_ip, "6440000a"));
	CHECK(a.has_nas_ipv6 && bytes_eq(a.nas_ipv6, "20010db8000000000000000000000099"));
	CHECK(a.has_framed_ipv6_addr &&
	      bytes_eq(a.framed_ipv6_addr, "20010db8000100ff0000000000000001"));
	CHECK(a.framed_ipv6_prefix.present && a.framed_ipv6_prefix.plen == 64);
	CHECK(bytes_eq(a.framed_ipv6_prefix.a, "20010db8000100ff0000000000000000"));
	CHECK(a.delegated_prefix.present && a.delegated_prefix.plen == 56);
	CHECK(bytes_eq(a.delegated_prefix.a, "20010db8ab00ff000000000000000000"));
	CHECK(a.has_delay && a.delay == 5);
	CHECK(a.has_session_time && a.session_time == 3600);
	CHECK(a.has_terminate_cause && a.terminate_cause == 1);
	CHECK(a.has_event_ts && a.event_ts == 1700000000);
	CHECK(a.has_message_authenticator);
}

static void test_decode_minimal(void)
{
	struct pkt p;
	struct dp_radius_acct a;

	check_ctx = "decode-minimal";
	pkt_init(&p, DP_RADIUS_ACCOUNTING_REQUEST, 1);
	pkt_u32(&p, 40, DP_ACCT_INTERIM);
	pkt_fin(&p);
	memset(&a, 0xa5, sizeof(a));
	CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_OK);
	CHECK(a.status_type == DP_ACCT_INTERIM);
	CHECK(a.user_name.len == 0 && a.class_.len == 0 && a.called.len == 0);
	CHECK(a.calling.len == 0 && a.nas_id.len == 0 && a.session_id.len == 0);
	CHECK(a.nas_port_id.len == 0);
	CHECK(!a.has_nas_ip && !a.has_nas_ipv6 && !a.has_framed_ip && !a.has_framed_ipv6_addr);
	CHECK(!a.framed_ipv6_prefix.present && !a.delegated_prefix.present);
	CHECK(!a.has_delay && !a.has_session_time && !a.has_terminate_cause);
	CHECK(!a.has_event_ts && !a.has_message_authenticator);
}

/* One attribute at a time, after an Acct-Status-Type: value hex -> either
 * accepted (the field check is done by test_decode_full/_prefixes) or
 * DP_RADIUS_ATTR_VALUE. */
struct acase {
	const char *name;
	uint8_t type;
	const char *hex;
	enum dp_radius_fail want;
};

static const struct acase attr_cases[] = {
	{"user-name-empty", 1, "", DP_RADIUS_OK},
	{"user-name-253", 1,
	 "41414141414141414141414141414141414141414141414141414141414141414141414141414141"
	 "41414141414141414141414141414141414141414141414141414141414141414141414141414141"
	 "41414141414141414141414141414141414141414141414141414141414141414141414141414141"
	 "41414141414141414141414141414141414141414141414141414141414141414141414141414141"
	 "41414141414141414141414141414141414141414141414141414141414141414141414141414141"
	 "41414141414141414141414141414141414141414141414141414141414141414141414141414141"
	 "41414141414141414141414141",
	 DP_RADIUS_OK},
	{"nas-ip-3", 4, "c00002", DP_RADIUS_ATTR_VALUE},
	{"nas-ip-5", 4, "c000020101", DP_RADIUS_ATTR_VALUE},
	{"nas-ip-0", 4, "", DP_RADIUS_ATTR_VALUE},
	{"framed-ip-3", 8, "644000", DP_RADIUS_ATTR_VALUE},
	{"framed-ip-16", 8, "20010db8000000000000000000000001", DP_RADIUS_ATTR_VALUE},
	{"nas-ipv6-4", 95, "c0000201", DP_RADIUS_ATTR_VALUE},
	{"nas-ipv6-15", 95, "20010db80000000000000000000000", DP_RADIUS_ATTR_VALUE},
	{"nas-ipv6-17", 95, "20010db8000000000000000000000001ff", DP_RADIUS_ATTR_VALUE},
	{"framed-ipv6-addr-15", 168, "20010db80000000000000000000000", DP_RADIUS_ATTR_VALUE},
	{"framed-ipv6-addr-0", 168, "", DP_RADIUS_ATTR_VALUE},
	{"status-3", 40, "000001", DP_RADIUS_ATTR_VALUE},
	{"status-5", 40, "0000000001", DP_RADIUS_ATTR_VALUE},
	{"delay-2", 41, "0005", DP_RADIUS_ATTR_VALUE},
	{"delay-8", 41, "0000000000000005", DP_RADIUS_ATTR_VALUE},
	{"session-time-0", 46, "", DP_RADIUS_ATTR_VALUE},
	{"session-time-3", 46, "000e10", DP_RADIUS_ATTR_VALUE},
	{"terminate-cause-1", 49, "01", DP_RADIUS_ATTR_VALUE},
	{"terminate-cause-5", 49, "0000000001", DP_RADIUS_ATTR_VALUE},
	{"event-ts-3", 55, "6553f1", DP_RADIUS_ATTR_VALUE},
	{"event-ts-5", 55, "006553f100", DP_RADIUS_ATTR_VALUE},
	{"message-auth-15", 80, "00112233445566778899aabbccddee", DP_RADIUS_ATTR_VALUE},
	{"message-auth-17", 80, "00112233445566778899aabbccddeeff00", DP_RADIUS_ATTR_VALUE},
	{"message-auth-0", 80, "", DP_RADIUS_ATTR_VALUE},
	{"prefix-length-3", 97, "00", DP_RADIUS_ATTR_VALUE},
	{"prefix-length-2", 97, "", DP_RADIUS_ATTR_VALUE},
	{"prefix-length-21", 97, "0080 20010db8000000000000000000000001 00", DP_RADIUS_ATTR_VALUE},
	{"prefix-plen-129", 97, "0081 20010db8000000000000000000000001", DP_RADIUS_ATTR_VALUE},
	{"prefix-plen-255", 97, "00ff", DP_RADIUS_ATTR_VALUE},
	{"delegated-length-3", 123, "00", DP_RADIUS_ATTR_VALUE},
	{"delegated-length-21", 123, "0080 20010db8000000000000000000000001 00",
	 DP_RADIUS_ATTR_VALUE},
	{"delegated-plen-129", 123, "0081", DP_RADIUS_ATTR_VALUE},
	{"prefix-length-4", 97, "0000", DP_RADIUS_OK},
	{"prefix-length-20", 97, "0080 20010db8000000000000000000000001", DP_RADIUS_OK},
	{"class-empty", 25, "", DP_RADIUS_OK},
	{"vsa-anything", 26, "00", DP_RADIUS_OK},
	{"unknown-anything", 255, "0102", DP_RADIUS_OK},
};

static void test_attr_values(void)
{
	for (size_t k = 0; k < sizeof(attr_cases) / sizeof(attr_cases[0]); k++) {
		const struct acase *tc = &attr_cases[k];
		struct pkt p;
		struct dp_radius_acct a;
		enum dp_radius_fail r;

		check_ctx = tc->name;
		pkt_init(&p, DP_RADIUS_ACCOUNTING_REQUEST, 1);
		pkt_u32(&p, 40, DP_ACCT_START);
		pkt_hex(&p, tc->type, tc->hex);
		pkt_fin(&p);
		CHECK(check_guarded(p.b, p.n) == DP_RADIUS_OK); /* framing is fine */
		/* decoded in place: *ret is unspecified after a failure */
		memset(&a, 0x5a, sizeof(a));
		r = decode_guarded(p.b, p.n, &a);
		CHECKF(r == tc->want, "got %s", dp_radius_fail_str(r));

		/* The same bad value as a repeat, after a good first one,
		 * still fails: every occurrence is validated. */
		if (tc->want == DP_RADIUS_ATTR_VALUE) {
			build_full(&p); /* has one good of each */
			pkt_hex(&p, tc->type, tc->hex);
			pkt_fin(&p);
			CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_ATTR_VALUE);
		}
	}
}

/* RFC 3162 section 2.3 prefixes: value hex -> plen and masked address. */
struct pcase {
	const char *name;
	const char *hex;
	uint8_t plen;
	const char *addr;
};

static const struct pcase prefix_cases[] = {
	{"plen-0-no-bytes", "0000", 0, "00000000000000000000000000000000"},
	{"plen-0-bytes-zeroed", "0000 ffffffff", 0, "00000000000000000000000000000000"},
	{"plen-64-exact", "0040 20010db800010002", 64, "20010db8000100020000000000000000"},
	{"plen-64-full-16", "0040 20010db800010002ffffffffffffffff", 64,
	 "20010db8000100020000000000000000"},
	{"plen-60-partial-byte", "003c 20010db80001ffff", 60, "20010db80001fff00000000000000000"},
	{"plen-57", "0039 20010db8ab01ffff", 57, "20010db8ab01ff800000000000000000"},
	{"plen-1", "0001 ff", 1, "80000000000000000000000000000000"},
	{"plen-7", "0007 ff", 7, "fe000000000000000000000000000000"},
	{"plen-128", "0080 20010db8000000000000000000000001", 128,
	 "20010db8000000000000000000000001"},
	{"plen-127", "007f 20010db80000000000000000000000ff", 127,
	 "20010db80000000000000000000000fe"},
	{"plen-48-short-bytes", "0030 2001", 48, "20010000000000000000000000000000"},
	{"reserved-nonzero", "ff40 20010db800010002", 64, "20010db8000100020000000000000000"},
};

static void test_prefixes(void)
{
	for (size_t k = 0; k < sizeof(prefix_cases) / sizeof(prefix_cases[0]); k++) {
		const struct pcase *tc = &prefix_cases[k];
		struct pkt p;
		struct dp_radius_acct a;

		check_ctx = tc->name;
		pkt_init(&p, DP_RADIUS_ACCOUNTING_REQUEST, 1);
		pkt_u32(&p, 40, DP_ACCT_START);
		pkt_hex(&p, 97, tc->hex);
		pkt_hex(&p, 123, tc->hex);
		pkt_fin(&p);
		CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_OK);
		CHECK(a.framed_ipv6_prefix.present && a.framed_ipv6_prefix.plen == tc->plen);
		CHECK(bytes_eq(a.framed_ipv6_prefix.a, tc->addr));
		CHECK(a.delegated_prefix.present && a.delegated_prefix.plen == tc->plen);
		CHECK(bytes_eq(a.delegated_prefix.a, tc->addr));
	}
}

static void test_first_wins(void)
{
	struct pkt p;
	struct dp_radius_acct a;

	check_ctx = "first-wins";
	pkt_init(&p, DP_RADIUS_ACCOUNTING_REQUEST, 1);
	pkt_u32(&p, 40, DP_ACCT_STOP);
	pkt_u32(&p, 40, DP_ACCT_START);
	pkt_str(&p, 1, "first");
	pkt_str(&p, 1, "second");
	pkt_str(&p, 44, "");
	pkt_str(&p, 44, "not-me");
	pkt_hex(&p, 8, "0a000001");
	pkt_hex(&p, 8, "0a000002");
	pkt_u32(&p, 49, 2);
	pkt_u32(&p, 49, 3);
	pkt_hex(&p, 97, "0030 20010db80001");
	pkt_hex(&p, 97, "0040 20010db800020000");
	pkt_fin(&p);
	CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_OK);
	CHECK(a.status_type == DP_ACCT_STOP);
	CHECK(text_eq(&a.user_name, "first"));
	CHECK(text_eq(&a.session_id, "")); /* empty first occurrence still wins */
	CHECK(bytes_eq(a.framed_ip, "0a000001"));
	CHECK(a.terminate_cause == 2);
	CHECK(a.framed_ipv6_prefix.plen == 48);
	CHECK(bytes_eq(a.framed_ipv6_prefix.a, "20010db8000100000000000000000000"));
}

static void test_no_status(void)
{
	struct pkt p;
	struct dp_radius_acct a;

	check_ctx = "no-status";
	pkt_init(&p, DP_RADIUS_ACCOUNTING_REQUEST, 1);
	pkt_str(&p, 1, "bob");
	pkt_fin(&p);
	CHECK(check_guarded(p.b, p.n) == DP_RADIUS_OK);
	memset(&a, 0x11, sizeof(a));
	CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_NO_STATUS);

	/* header only */
	pkt_init(&p, DP_RADIUS_ACCOUNTING_REQUEST, 1);
	pkt_fin(&p);
	CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_NO_STATUS);

	/* other codes need no Acct-Status-Type */
	check_ctx = "access-request";
	pkt_init(&p, DP_RADIUS_ACCESS_REQUEST, 1);
	pkt_str(&p, 1, "bob");
	pkt_fin(&p);
	CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_OK);
	CHECK(a.code == DP_RADIUS_ACCESS_REQUEST && a.status_type == 0);
	CHECK(text_eq(&a.user_name, "bob"));
}

/* ---- framing rejections, hex in / reason out ---- */

struct ccase {
	const char *name;
	const char *hex;
	enum dp_radius_fail want;
};

/* Accounting-Request header with Length ll (4 hex digits). */
#define HDR(ll) "04 01 " ll " 00000000000000000000000000000000 "

static const struct ccase check_cases[] = {
	{"empty", "", DP_RADIUS_TOO_SHORT},
	{"19-bytes", "04 01 0013 000000000000000000000000000000", DP_RADIUS_TOO_SHORT},
	{"header-only", HDR("0014"), DP_RADIUS_OK},
	{"code-0", "00 01 0014 00000000000000000000000000000000", DP_RADIUS_BAD_CODE},
	{"code-6", "06 01 0014 00000000000000000000000000000000", DP_RADIUS_BAD_CODE},
	{"code-14", "0e 01 0014 00000000000000000000000000000000", DP_RADIUS_BAD_CODE},
	{"code-46", "2e 01 0014 00000000000000000000000000000000", DP_RADIUS_BAD_CODE},
	{"code-255", "ff 01 0014 00000000000000000000000000000000", DP_RADIUS_BAD_CODE},
	{"code-bad-before-length", "ff 01 0000 00000000000000000000000000000000",
	 DP_RADIUS_BAD_CODE},
	{"code-1", "01 01 0014 00000000000000000000000000000000", DP_RADIUS_OK},
	{"code-2", "02 01 0014 00000000000000000000000000000000", DP_RADIUS_OK},
	{"code-3", "03 01 0014 00000000000000000000000000000000", DP_RADIUS_OK},
	{"code-5", "05 01 0014 00000000000000000000000000000000", DP_RADIUS_OK},
	{"code-11", "0b 01 0014 00000000000000000000000000000000", DP_RADIUS_OK},
	{"code-12", "0c 01 0014 00000000000000000000000000000000", DP_RADIUS_OK},
	{"code-13", "0d 01 0014 00000000000000000000000000000000", DP_RADIUS_OK},
	{"code-40", "28 01 0014 00000000000000000000000000000000", DP_RADIUS_OK},
	{"code-45", "2d 01 0014 00000000000000000000000000000000", DP_RADIUS_OK},
	{"length-0", HDR("0000"), DP_RADIUS_LENGTH_SMALL},
	{"length-19", HDR("0013"), DP_RADIUS_LENGTH_SMALL},
	{"length-4097", HDR("1001"), DP_RADIUS_LENGTH_LARGE},
	{"length-65535", HDR("ffff"), DP_RADIUS_LENGTH_LARGE},
	{"length-21-payload-20", HDR("0015"), DP_RADIUS_TRUNCATED},
	{"length-4096-payload-20", HDR("1000"), DP_RADIUS_TRUNCATED},
	{"length-20-payload-21", HDR("0014") "00", DP_RADIUS_LENGTH_MISMATCH},
	{"length-26-payload-30", HDR("001a") "01 06 61626364 00000000", DP_RADIUS_LENGTH_MISMATCH},
	{"attr-hdr-1-byte", HDR("0015") "01", DP_RADIUS_ATTR_HDR_TRUNC},
	{"attr-hdr-1-byte-after-attr", HDR("001a") "01 05 616263 28", DP_RADIUS_ATTR_HDR_TRUNC},
	{"attr-len-0", HDR("0016") "01 00", DP_RADIUS_ATTR_LEN_SMALL},
	{"attr-len-1", HDR("0016") "01 01", DP_RADIUS_ATTR_LEN_SMALL},
	{"attr-len-0-after-attr", HDR("001c") "01 04 6162 0100 0000", DP_RADIUS_ATTR_LEN_SMALL},
	{"attr-len-2", HDR("0016") "01 02", DP_RADIUS_OK},
	{"attr-overflow-by-1", HDR("0018") "01 05 6162", DP_RADIUS_ATTR_OVERFLOW},
	{"attr-overflow-255", HDR("0018") "01 ff 6162", DP_RADIUS_ATTR_OVERFLOW},
	{"attr-overflow-3-of-2", HDR("0016") "01 03", DP_RADIUS_ATTR_OVERFLOW},
	{"attr-overflow-second", HDR("001d") "01 05 616263 28 06 0000", DP_RADIUS_ATTR_OVERFLOW},
};

static void test_check_cases(void)
{
	bool seen[DP_RADIUS_FAIL_MAX] = {false};

	for (size_t k = 0; k < sizeof(check_cases) / sizeof(check_cases[0]); k++) {
		const struct ccase *tc = &check_cases[k];
		uint8_t raw[64];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		enum dp_radius_fail r;
		struct dp_radius_acct a;

		check_ctx = tc->name;
		r = check_guarded(raw, n);
		CHECKF(r == tc->want, "got %s, want %s", dp_radius_fail_str(r),
		       dp_radius_fail_str(tc->want));
		seen[r] = true;
		/* decode refuses the same packets for the same reason */
		if (tc->want != DP_RADIUS_OK)
			CHECK(decode_guarded(raw, n, &a) == tc->want);
	}
	check_ctx = "check-coverage";
	for (unsigned i = 0; i <= DP_RADIUS_TOO_MANY_ATTRS; i++)
		if (i != DP_RADIUS_TOO_MANY_ATTRS)
			CHECKF(seen[i], "no case returns %s", dp_radius_fail_str(i));
}

static void test_attr_count(void)
{
	struct pkt p;

	check_ctx = "attr-count";
	pkt_init(&p, DP_RADIUS_ACCOUNTING_REQUEST, 1);
	pkt_u32(&p, 40, DP_ACCT_START);
	for (unsigned i = 1; i < DP_RADIUS_MAX_ATTRS; i++)
		pkt_attr(&p, 200, NULL, 0);
	pkt_fin(&p);
	CHECK(check_guarded(p.b, p.n) == DP_RADIUS_OK); /* exactly 512 */
	struct dp_radius_acct a;
	CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_OK);
	pkt_attr(&p, 200, NULL, 0);
	pkt_fin(&p);
	CHECK(check_guarded(p.b, p.n) == DP_RADIUS_TOO_MANY_ATTRS); /* 513 */
	CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_TOO_MANY_ATTRS);

	/* the largest packet: Length 4096 exactly */
	check_ctx = "max-length";
	pkt_init(&p, DP_RADIUS_ACCOUNTING_REQUEST, 1);
	pkt_u32(&p, 40, DP_ACCT_START);
	uint8_t big[253];
	memset(big, 'x', sizeof(big));
	while (p.n + 255 <= DP_RADIUS_MAX_LEN)
		pkt_attr(&p, 26, big, sizeof(big));
	pkt_attr(&p, 26, big, DP_RADIUS_MAX_LEN - p.n - 2);
	pkt_fin(&p);
	CHECK(p.n == DP_RADIUS_MAX_LEN);
	CHECK(check_guarded(p.b, p.n) == DP_RADIUS_OK);
	CHECK(decode_guarded(p.b, p.n, &a) == DP_RADIUS_OK);
	p.b[p.n] = 0;
	CHECK(check_guarded(p.b, p.n + 1) == DP_RADIUS_LENGTH_MISMATCH);
	p.b[2] = 0x10;
	p.b[3] = 0x01;
	CHECK(check_guarded(p.b, p.n + 1) == DP_RADIUS_LENGTH_LARGE);
}

/*
 * Every truncation point of a valid packet:
 *  - payload cut, Length kept: too-short below 20 bytes, else truncated;
 *  - payload cut and Length set to match: OK exactly at attribute
 *    boundaries, attr-hdr-trunc one byte past one, attr-overflow otherwise.
 * Plus trailing bytes after Length: length-mismatch.
 */
static void test_truncations(void)
{
	struct pkt p;
	bool boundary[DP_RADIUS_MAX_LEN + 1] = {false};

	build_full(&p);
	dp_radius_acct_sign(p.b, p.n, secret, SECRET_LEN);
	for (size_t off = DP_RADIUS_HDR_LEN; off < p.n; off += p.b[off + 1])
		boundary[off] = true;
	boundary[p.n] = true;

	check_ctx = "truncations";
	for (size_t cut = 0; cut < p.n; cut++) {
		enum dp_radius_fail want = cut < DP_RADIUS_HDR_LEN ? DP_RADIUS_TOO_SHORT
								   : DP_RADIUS_TRUNCATED;
		enum dp_radius_fail r = check_guarded(p.b, cut);
		struct dp_radius_acct a;

		CHECKF(r == want, "cut at %zu: %s", cut, dp_radius_fail_str(r));
		CHECK(decode_guarded(p.b, cut, &a) == want);
		uint8_t *g = guard_copy(p.b, cut);
		CHECK(!dp_radius_acct_verify(g, cut, secret, SECRET_LEN));
		guard_free(g, cut);
	}

	check_ctx = "truncations-length-adjusted";
	for (size_t cut = DP_RADIUS_HDR_LEN; cut <= p.n; cut++) {
		struct pkt q = p;
		enum dp_radius_fail want, r;

		q.n = cut;
		pkt_fin(&q);
		if (boundary[cut])
			want = DP_RADIUS_OK;
		else if (boundary[cut - 1])
			want = DP_RADIUS_ATTR_HDR_TRUNC;
		else
			want = DP_RADIUS_ATTR_OVERFLOW;
		r = check_guarded(q.b, q.n);
		CHECKF(r == want, "cut at %zu: %s", cut, dp_radius_fail_str(r));
	}

	check_ctx = "trailing-bytes";
	for (size_t extra = 1; extra <= 4; extra++) {
		struct pkt q = p;

		memset(q.b + q.n, 0, extra);
		CHECK(check_guarded(q.b, q.n + extra) == DP_RADIUS_LENGTH_MISMATCH);
	}
}

/* ---- the Request Authenticator ---- */

/* Built and signed by Python: hashlib.md5(hdr + 16 zero octets + attrs +
 * b"testing123"): User-Name alice@isp, Acct-Status-Type Start,
 * Acct-Session-Id 0000001, Framed-IP 100.64.0.10, NAS-IP 192.0.2.1. */
static const char kat_hex[] =
	"042a003a37da0bf2df4693e5095cbc9e6dde4817010b616c696365406973702806000000012c"
	"093030303030303108066440000a0406c0000201";

static void test_verify(void)
{
	uint8_t raw[128];
	size_t n = hex_decode(kat_hex, raw, sizeof(raw));
	uint8_t *g;
	struct pkt p;

	check_ctx = "verify-known-answer";
	g = guard_copy(raw, n);
	CHECK(dp_radius_check(g, n) == DP_RADIUS_OK);
	CHECK(dp_radius_acct_verify(g, n, secret, SECRET_LEN));
	CHECK(!dp_radius_acct_verify(g, n, (const uint8_t *)"testing124", 10));
	CHECK(!dp_radius_acct_verify(g, n, secret, SECRET_LEN - 1));
	CHECK(!dp_radius_acct_verify(g, n, NULL, 0));
	/* sign() reproduces the known authenticator */
	memset(g + 4, 0, 16);
	dp_radius_acct_sign(g, n, secret, SECRET_LEN);
	CHECK(memcmp(g, raw, n) == 0);
	/* len must be the Length field */
	CHECK(!dp_radius_acct_verify(g, n - 1, secret, SECRET_LEN));
	guard_free(g, n);

	check_ctx = "verify-sign-roundtrip";
	build_full(&p);
	dp_radius_acct_sign(p.b, p.n, secret, SECRET_LEN);
	g = guard_copy(p.b, p.n);
	CHECK(dp_radius_acct_verify(g, p.n, secret, SECRET_LEN));
	CHECK(!dp_radius_acct_verify(g, p.n, (const uint8_t *)"Testing123", SECRET_LEN));
	/* flipping any single bit of any byte breaks it */
	unsigned broken = 0;
	for (size_t i = 0; i < p.n; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			g[i] ^= (uint8_t)(1u << bit);
			if (!dp_radius_acct_verify(g, p.n, secret, SECRET_LEN))
				broken++;
			g[i] ^= (uint8_t)(1u << bit);
		}
	}
	CHECKF(broken == p.n * 8, "%u of %zu flips detected", broken, p.n * 8);
	CHECK(dp_radius_acct_verify(g, p.n, secret, SECRET_LEN)); /* restored */
	guard_free(g, p.n);

	check_ctx = "verify-secret-sizes";
	uint8_t long_secret[128];
	memset(long_secret, 0xc3, sizeof(long_secret));
	dp_radius_acct_sign(p.b, p.n, long_secret, sizeof(long_secret));
	CHECK(dp_radius_acct_verify(p.b, p.n, long_secret, sizeof(long_secret)));
	CHECK(!dp_radius_acct_verify(p.b, p.n, long_secret, sizeof(long_secret) - 1));
	dp_radius_acct_sign(p.b, p.n, NULL, 0);
	CHECK(dp_radius_acct_verify(p.b, p.n, NULL, 0));
	CHECK(!dp_radius_acct_verify(p.b, p.n, secret, SECRET_LEN));

	check_ctx = "verify-short";
	CHECK(!dp_radius_acct_verify(p.b, 0, secret, SECRET_LEN));
	CHECK(!dp_radius_acct_verify(p.b, 19, secret, SECRET_LEN));
}

static void test_names(void)
{
	static const char *const want[DP_RADIUS_FAIL_MAX] = {
		"ok",		 "too-short",	   "bad-code",	     "length-small",
		"length-large",	 "truncated",	   "length-mismatch", "attr-hdr-trunc",
		"attr-len-small", "attr-overflow", "too-many-attrs",  "attr-value",
		"no-status",	  "not-access",
	};

	check_ctx = "names";
	for (unsigned i = 0; i < DP_RADIUS_FAIL_MAX; i++)
		CHECKF(strcmp(dp_radius_fail_str(i), want[i]) == 0, "%u: %s", i,
		       dp_radius_fail_str(i));
	CHECK(strcmp(dp_radius_fail_str(DP_RADIUS_FAIL_MAX), "unknown") == 0);
}

/* ---- Access-* decode and Message-Authenticator ---- */

/* Built and signed by Python (hmac.new(b"testing123", pkt, hashlib.md5)):
 * Access-Request id 42, User-Name alice@isp, User-Password (16 zero
 * octets), NAS-IP 192.0.2.1, Message-Authenticator; and the Access-Accept
 * answering it: Framed-IP 100.64.0.10, Class "cls", Message-Authenticator
 * computed with the request's authenticator. */
static const char ma_req_hex[] =
	"012a00490f1e2d3c4b5a69788796a5b4c3d2e1f0010b616c696365406973700212000000000000000000"
	"000000000000000406c000020150126d679dab3f6acbc35efb43454f438bc5";
static const char ma_acc_hex[] =
	"022a003100112233445566778899aabbccddeeff08066440000a1905636c7350120295ef076c38ec8acc"
	"8c721fe7d75202";

static void test_access(void)
{
	struct pkt p;
	struct dp_radius_access a;
	uint8_t *g;
	size_t n;
	uint8_t raw[128];

	check_ctx = "access-request";
	n = hex_decode(ma_req_hex, raw, sizeof(raw));
	g = guard_copy(raw, n);
	memset(&a, 0xa5, sizeof(a));
	CHECK(dp_radius_decode_access(g, n, &a) == DP_RADIUS_OK);
	CHECK(a.attrs.code == DP_RADIUS_ACCESS_REQUEST && a.attrs.identifier == 42);
	CHECK(text_eq(&a.attrs.user_name, "alice@isp"));
	CHECK(a.has_user_password && !a.has_chap_password);
	CHECK(a.attrs.has_nas_ip && bytes_eq(a.attrs.nas_ip, "c0000201"));
	CHECK(a.attrs.has_message_authenticator);
	CHECK(a.state.len == 0 && a.proxy_state.len == 0 && a.proxy_state_count == 0);
	guard_free(g, n);

	check_ctx = "access-accept";
	pkt_init(&p, DP_RADIUS_ACCESS_ACCEPT, 9);
	pkt_hex(&p, 8, "6440000a");
	pkt_str(&p, 25, "class-1");
	pkt_str(&p, 24, "state-a");
	pkt_str(&p, 24, "state-b");
	pkt_str(&p, 33, "proxy-1");
	pkt_str(&p, 33, "proxy-2");
	pkt_hex(&p, 97, "0040 20010db800010002");
	pkt_hex(&p, 123, "0038 20010db8ab00");
	pkt_hex(&p, 3, "01 00112233445566778899aabbccddeeff");
	pkt_fin(&p);
	g = guard_copy(p.b, p.n);
	CHECK(dp_radius_decode_access(g, p.n, &a) == DP_RADIUS_OK);
	CHECK(a.attrs.has_framed_ip && bytes_eq(a.attrs.framed_ip, "6440000a"));
	CHECK(text_eq(&a.attrs.class_, "class-1"));
	CHECK(text_eq(&a.state, "state-a"));
	CHECK(text_eq(&a.proxy_state, "proxy-1") && a.proxy_state_count == 2);
	CHECK(a.attrs.framed_ipv6_prefix.present && a.attrs.framed_ipv6_prefix.plen == 64);
	CHECK(a.attrs.delegated_prefix.present && a.attrs.delegated_prefix.plen == 56);
	CHECK(a.has_chap_password && !a.has_user_password);
	CHECK(!a.attrs.has_message_authenticator);
	guard_free(g, p.n);

	check_ctx = "access-reject-challenge";
	for (uint8_t code = DP_RADIUS_ACCESS_REJECT; code <= DP_RADIUS_ACCESS_CHALLENGE; code += 8) {
		pkt_init(&p, code, 1);
		pkt_str(&p, 18, "Denied");
		pkt_fin(&p);
		CHECK(dp_radius_decode_access(p.b, p.n, &a) == DP_RADIUS_OK);
		CHECK(a.attrs.code == code);
	}

	check_ctx = "access-not-access";
	build_full(&p);
	CHECK(dp_radius_decode_access(p.b, p.n, &a) == DP_RADIUS_NOT_ACCESS);
	pkt_init(&p, DP_RADIUS_COA_REQUEST, 1);
	pkt_fin(&p);
	CHECK(dp_radius_decode_access(p.b, p.n, &a) == DP_RADIUS_NOT_ACCESS);

	check_ctx = "access-empty-state";
	pkt_init(&p, DP_RADIUS_ACCESS_REQUEST, 1);
	pkt_hex(&p, 24, "");
	pkt_fin(&p);
	CHECK(dp_radius_decode_access(p.b, p.n, &a) == DP_RADIUS_ATTR_VALUE);
	pkt_init(&p, DP_RADIUS_ACCESS_REQUEST, 1);
	pkt_str(&p, 33, "x");
	pkt_hex(&p, 33, "");
	pkt_fin(&p);
	CHECK(dp_radius_decode_access(p.b, p.n, &a) == DP_RADIUS_ATTR_VALUE);
	pkt_init(&p, DP_RADIUS_ACCESS_ACCEPT, 1);
	pkt_hex(&p, 8, "644000");
	pkt_fin(&p);
	CHECK(dp_radius_decode_access(p.b, p.n, &a) == DP_RADIUS_ATTR_VALUE);

	check_ctx = "access-truncations";
	n = hex_decode(ma_req_hex, raw, sizeof(raw));
	for (size_t cut = 0; cut < n; cut++) {
		g = guard_copy(raw, cut);
		CHECK(dp_radius_decode_access(g, cut, &a) ==
		      (cut < DP_RADIUS_HDR_LEN ? DP_RADIUS_TOO_SHORT : DP_RADIUS_TRUNCATED));
		CHECK(dp_radius_msg_auth_verify(g, cut, NULL, secret, SECRET_LEN) ==
		      DP_RADIUS_MA_MALFORMED);
		guard_free(g, cut);
	}
}

static void test_msg_auth(void)
{
	uint8_t req[128], acc[128];
	size_t nreq = hex_decode(ma_req_hex, req, sizeof(req));
	size_t nacc = hex_decode(ma_acc_hex, acc, sizeof(acc));
	uint8_t *g;
	struct pkt p;

	check_ctx = "ma-request-known-answer";
	g = guard_copy(req, nreq);
	CHECK(dp_radius_msg_auth_verify(g, nreq, NULL, secret, SECRET_LEN) == DP_RADIUS_MA_VALID);
	CHECK(dp_radius_msg_auth_verify(g, nreq, NULL, (const uint8_t *)"testing124", 10) ==
	      DP_RADIUS_MA_INVALID);
	CHECK(dp_radius_msg_auth_verify(g, nreq, NULL, NULL, 0) == DP_RADIUS_MA_INVALID);
	/* a request verified as if it were a response to another request */
	CHECK(dp_radius_msg_auth_verify(g, nreq, acc + 4, secret, SECRET_LEN) ==
	      DP_RADIUS_MA_INVALID);
	/* sign() reproduces it */
	memset(g + nreq - 16, 0, 16);
	CHECK(dp_radius_msg_auth_sign(g, nreq, NULL, secret, SECRET_LEN) == 0);
	CHECK(memcmp(g, req, nreq) == 0);
	/* every single-bit flip is caught */
	unsigned broken = 0;
	for (size_t i = 0; i < nreq; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			g[i] ^= (uint8_t)(1u << bit);
			if (dp_radius_msg_auth_verify(g, nreq, NULL, secret, SECRET_LEN) !=
			    DP_RADIUS_MA_VALID)
				broken++;
			g[i] ^= (uint8_t)(1u << bit);
		}
	}
	CHECKF(broken == nreq * 8, "%u of %zu flips detected", broken, nreq * 8);
	guard_free(g, nreq);

	check_ctx = "ma-response-known-answer";
	g = guard_copy(acc, nacc);
	CHECK(dp_radius_msg_auth_verify(g, nacc, req + 4, secret, SECRET_LEN) ==
	      DP_RADIUS_MA_VALID);
	/* its own (response) authenticator is not the key material */
	CHECK(dp_radius_msg_auth_verify(g, nacc, NULL, secret, SECRET_LEN) ==
	      DP_RADIUS_MA_INVALID);
	uint8_t other[16];
	memcpy(other, req + 4, 16);
	other[15] ^= 1;
	CHECK(dp_radius_msg_auth_verify(g, nacc, other, secret, SECRET_LEN) ==
	      DP_RADIUS_MA_INVALID);
	memset(g + nacc - 16, 0xee, 16);
	CHECK(dp_radius_msg_auth_sign(g, nacc, req + 4, secret, SECRET_LEN) == 0);
	CHECK(memcmp(g, acc, nacc) == 0); /* the response authenticator is left alone */
	guard_free(g, nacc);

	check_ctx = "ma-missing";
	pkt_init(&p, DP_RADIUS_ACCESS_REQUEST, 1);
	pkt_str(&p, 1, "bob");
	pkt_fin(&p);
	CHECK(dp_radius_msg_auth_verify(p.b, p.n, NULL, secret, SECRET_LEN) == DP_RADIUS_MA_MISSING);
	CHECK(dp_radius_msg_auth_sign(p.b, p.n, NULL, secret, SECRET_LEN) == -1);

	check_ctx = "ma-malformed";
	pkt_init(&p, DP_RADIUS_ACCESS_REQUEST, 1);
	pkt_hex(&p, 80, "00112233445566778899aabbccddee"); /* 17 */
	pkt_fin(&p);
	CHECK(dp_radius_msg_auth_verify(p.b, p.n, NULL, secret, SECRET_LEN) ==
	      DP_RADIUS_MA_MALFORMED);
	pkt_init(&p, DP_RADIUS_ACCESS_REQUEST, 1);
	pkt_hex(&p, 80, "00112233445566778899aabbccddeeff");
	pkt_hex(&p, 80, "00112233445566778899aabbccddeeff");
	pkt_fin(&p);
	CHECK(dp_radius_msg_auth_verify(p.b, p.n, NULL, secret, SECRET_LEN) ==
	      DP_RADIUS_MA_MALFORMED);
	CHECK(dp_radius_msg_auth_sign(p.b, p.n, NULL, secret, SECRET_LEN) == -1);
	CHECK(dp_radius_msg_auth_verify(p.b, p.n + 1, NULL, secret, SECRET_LEN) ==
	      DP_RADIUS_MA_MALFORMED);

	check_ctx = "ma-sign-roundtrip-max";
	pkt_init(&p, DP_RADIUS_ACCESS_CHALLENGE, 3);
	uint8_t big[253];
	memset(big, 'y', sizeof(big));
	pkt_hex(&p, 80, "00000000000000000000000000000000");
	while (p.n + 255 <= DP_RADIUS_MAX_LEN)
		pkt_attr(&p, 18, big, sizeof(big));
	pkt_attr(&p, 18, big, DP_RADIUS_MAX_LEN - p.n - 2);
	pkt_fin(&p);
	CHECK(p.n == DP_RADIUS_MAX_LEN);
	CHECK(dp_radius_msg_auth_sign(p.b, p.n, req + 4, secret, SECRET_LEN) == 0);
	g = guard_copy(p.b, p.n);
	CHECK(dp_radius_msg_auth_verify(g, p.n, req + 4, secret, SECRET_LEN) == DP_RADIUS_MA_VALID);
	guard_free(g, p.n);
}

int main(void)
{
	test_check_cases();
	test_attr_count();
	test_truncations();
	test_decode_full();
	test_decode_minimal();
	test_attr_values();
	test_prefixes();
	test_first_wins();
	test_no_status();
	test_verify();
	test_access();
	test_msg_auth();
	test_names();
	return check_done();
}
