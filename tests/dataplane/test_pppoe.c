/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_pppoe_decode() after dp_frame_l2(): valid discovery and session frames
 * (untagged, 802.1Q, QinQ, padded to the Ethernet minimum) with every
 * decoded field, every rejection reason, every truncation point of each
 * valid frame (LENGTH kept, and for discovery LENGTH cut to match), and the
 * name table.  Every input sits at the end of its own heap block (ASan).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dp_check.h"
#include "frame.h"
#include "pppoe.h"

#define MACS "ffffffffffff 001122334455 "
#define AC_MACS "001122334455 00005e005301 "
#define COOKIE "0104 0010 8a1c2e3f4b5c6d7e8f90a1b2c3d4e5f6"
#define HOST_UNIQ "0103 0004 deadbeef"
#define PAD28 "00000000000000000000000000000000000000000000000000000000"

struct vcase {
	const char *name;
	const char *hex; /* a whole Ethernet frame */
	uint8_t code;
	uint16_t sid;
	uint8_t nvlan;
	const char *service_name; /* NULL: absent */
	const char *ac_name;
	const char *host_uniq;    /* hex */
	const char *cookie;       /* hex */
	const char *relay;        /* hex */
	const char *circuit;
	const char *remote;
	uint8_t errors;
	const char *error_text;
	bool eol;
	uint16_t ppp_protocol;
	size_t ppp_len;
};

static const struct vcase valid[] = {
	{"padi", MACS "8863 1109 0000 000c 0101 0000 " HOST_UNIQ, DP_PPPOE_PADI, 0, 0, "", NULL,
	 "deadbeef"},
	{"padi-padded", MACS "8863 1109 0000 000c 0101 0000 " HOST_UNIQ PAD28, DP_PPPOE_PADI, 0,
	 0, "", NULL, "deadbeef"},
	{"pado", AC_MACS "8863 1107 0000 002a 0102 0006 425241532d31 0101 0000 " COOKIE
			 " " HOST_UNIQ,
	 DP_PPPOE_PADO, 0, 0, "", "BRAS-1", "deadbeef", "8a1c2e3f4b5c6d7e8f90a1b2c3d4e5f6"},
	{"padr", MACS "8863 1119 0000 0020 0101 0000 " COOKIE " " HOST_UNIQ, DP_PPPOE_PADR, 0, 0,
	 "", NULL, "deadbeef", "8a1c2e3f4b5c6d7e8f90a1b2c3d4e5f6"},
	{"pads", AC_MACS "8863 1165 1234 000c 0101 0000 " HOST_UNIQ, DP_PPPOE_PADS, 0x1234, 0, "",
	 NULL, "deadbeef"},
	{"padt", MACS "8863 11a7 1234 0000", DP_PPPOE_PADT, 0x1234},
	{"padt-generic-error", AC_MACS "8863 11a7 1234 0009 0203 0005 6279652121", DP_PPPOE_PADT,
	 0x1234, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, DP_PPPOE_ERR_GENERIC, "bye!!"},
	{"pads-service-name-error", AC_MACS "8863 1165 0000 000b 0201 0000 0203 0003 616263",
	 DP_PPPOE_PADS, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	 DP_PPPOE_ERR_SERVICE_NAME | DP_PPPOE_ERR_GENERIC, ""},
	{"padi-qinq-tr101",
	 MACS "88a8 0064 8100 00c8 8863 1109 0000 0031 0101 0000 " HOST_UNIQ
	      " 0105 0021 00000de9 01 0f 6574682030 2f312f312f323a313030 02 0a 72656d6f74652d616263",
	 DP_PPPOE_PADI, 0, 2, "", NULL, "deadbeef", NULL, NULL, "eth 0/1/1/2:100", "remote-abc"},
	{"padr-tr101-repeat-and-unknown-subtag",
	 MACS "8863 1119 0000 0024 0105 000e 00000de9 02 03 616161 81 03 000100"
	      " 0105 000e 00000de9 02 03 626262 01 03 636363",
	 DP_PPPOE_PADR, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, "aaa"},
	{"padi-other-vendor-eol",
	 MACS "8863 1109 0000 0016 0105 0008 00000009 01020304 0000 0000 0103 0002 aaaa",
	 DP_PPPOE_PADI, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, true},
	{"padr-relay-session-id", MACS "8863 1119 0000 000c 0101 0000 0110 0004 01020304",
	 DP_PPPOE_PADR, 0, 0, "", NULL, NULL, NULL, "01020304"},
	{"padi-service-name-first-wins",
	 MACS "8863 1109 0000 0010 0101 0003 697370 0101 0005 6f74686572 ", DP_PPPOE_PADI, 0, 0,
	 "isp"},
	/* regression: an unknown tag must not count as a known one seen */
	{"padi-unknown-0121-before-service-name",
	 MACS "8863 1109 0000 000b 0121 0000 0101 0003 697370", DP_PPPOE_PADI, 0, 0, "isp"},
	{"padi-unknown-and-max-payload", MACS "8863 1109 0000 000e 0120 0002 05dc 0101 0000 "
					      "0000 0000",
	 DP_PPPOE_PADI, 0, 0, "", NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, true},
	{"session-lcp-terminate", MACS "8864 1100 1234 0006 c021 0501 0004", DP_PPPOE_SESSION,
	 0x1234, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, false, 0xc021, 4},
	{"session-lcp-padded", MACS "8864 1100 1234 0006 c021 0501 0004 " PAD28, DP_PPPOE_SESSION,
	 0x1234, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, false, 0xc021, 4},
	{"session-pfc-ip", MACS "8864 1100 1234 0005 21 45000000", DP_PPPOE_SESSION, 0x1234, 0,
	 NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, false, 0x21, 4},
	{"session-vlan-pap",
	 MACS "8100 0064 8864 1100 0001 0010 c023 0107000e 05 616c696365 03 707764",
	 DP_PPPOE_SESSION, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, false, 0xc023,
	 14},
	{"session-empty-ppp-after-proto", MACS "8864 1100 fffe 0002 8021", DP_PPPOE_SESSION,
	 0xfffe, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, false, 0x8021, 0},
};

static bool view_eq(const struct rt_view *v, const char *s)
{
	if (!s)
		return v->len == 0;
	return v->len == strlen(s) && (v->len == 0 || memcmp(v->p, s, v->len) == 0);
}

static bool view_hex(const struct rt_view *v, const char *hex)
{
	uint8_t b[256];
	size_t n;

	if (!hex)
		return v->len == 0;
	n = hex_decode(hex, b, sizeof(b));
	return v->len == n && memcmp(v->p, b, n) == 0;
}

/* Decode a frame placed at the end of its own heap block.  The block lives
 * until the next call, so the views can be checked (ASan catches stale
 * ones afterwards). */
static enum dp_pppoe_fail decode_guarded(const uint8_t *p, size_t n, struct dp_l2 *l2,
					 struct dp_pppoe *o, bool *l2_ok)
{
	static uint8_t *last;
	static size_t last_n;
	struct dp_cur c;

	if (last)
		guard_free(last, last_n);
	last = guard_copy(p, n);
	last_n = n;
	*l2_ok = dp_frame_l2(last, n, DP_LINK_ETHERNET, l2) == DP_FRAME_UDP;
	if (!*l2_ok)
		return DP_PPPOE_FAIL_MAX;
	c = dp_cur_make(l2->payload, l2->payload_len);
	return dp_pppoe_decode(l2->ethertype, &c, o);
}

static void test_valid(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		uint8_t raw[512];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		struct dp_l2 l2;
		struct dp_pppoe o;
		bool l2_ok;
		enum dp_pppoe_fail r;

		check_ctx = tc->name;
		memset(&o, 0xa5, sizeof(o));
		r = decode_guarded(raw, n, &l2, &o, &l2_ok);
		CHECK(l2_ok);
		CHECKF(r == DP_PPPOE_OK, "got %s", dp_pppoe_fail_str(r));
		if (r != DP_PPPOE_OK)
			continue;
		CHECK(l2.vlan_count == tc->nvlan);
		CHECK(memcmp(l2.src, raw + 6, 6) == 0 && memcmp(l2.dst, raw, 6) == 0);
		CHECK(o.code == tc->code);
		CHECK(o.session_id == tc->sid);
		CHECK(o.has_service_name == (tc->service_name != NULL));
		CHECK(view_eq(&o.service_name, tc->service_name));
		CHECK(view_eq(&o.ac_name, tc->ac_name));
		CHECK(view_hex(&o.host_uniq, tc->host_uniq));
		CHECK(view_hex(&o.ac_cookie, tc->cookie));
		CHECK(view_hex(&o.relay_session_id, tc->relay));
		CHECK(o.has_tr101 == (tc->circuit || tc->remote));
		CHECK(view_eq(&o.circuit_id, tc->circuit));
		CHECK(view_eq(&o.remote_id, tc->remote));
		CHECK(o.errors == tc->errors);
		CHECK(view_eq(&o.error_text, tc->error_text));
		CHECK(o.end_of_list == tc->eol);
		CHECK(o.ppp_protocol == tc->ppp_protocol);
		CHECK(o.ppp_len == tc->ppp_len);
		if (tc->code == DP_PPPOE_SESSION) {
			/* the payload ends where LENGTH ends, not at the padding */
			size_t end = (size_t)(o.ppp_payload - l2.payload) + o.ppp_len;
			CHECK(end == (size_t)DP_PPPOE_HDR_LEN + o.length);
		}
	}
}

struct rcase {
	const char *name;
	const char *hex;
	enum dp_pppoe_fail want;
};

static const struct rcase rejects[] = {
	{"too-short-0", MACS "8863", DP_PPPOE_TOO_SHORT},
	{"too-short-5", MACS "8863 1109 0000 00", DP_PPPOE_TOO_SHORT},
	{"bad-ethertype-ipv4", MACS "0800 4500 0014 0000", DP_PPPOE_BAD_ETHERTYPE},
	{"bad-version", MACS "8863 2109 0000 0000", DP_PPPOE_BAD_VERTYPE},
	{"bad-type", MACS "8863 1209 0000 0000", DP_PPPOE_BAD_VERTYPE},
	{"bad-vertype-session", MACS "8864 0000 1234 0002 c021", DP_PPPOE_BAD_VERTYPE},
	{"disc-code-0", MACS "8863 1100 0000 0000", DP_PPPOE_BAD_CODE},
	{"disc-code-8", MACS "8863 1108 0000 0000", DP_PPPOE_BAD_CODE},
	{"disc-code-ff", MACS "8863 11ff 0000 0000", DP_PPPOE_BAD_CODE},
	{"session-code-padt", MACS "8864 11a7 1234 0002 c021", DP_PPPOE_BAD_CODE},
	{"padi-sid-1", MACS "8863 1109 0001 0000", DP_PPPOE_BAD_SESSION_ID},
	{"pado-sid-1", MACS "8863 1107 0001 0000", DP_PPPOE_BAD_SESSION_ID},
	{"padr-sid-1", MACS "8863 1119 0001 0000", DP_PPPOE_BAD_SESSION_ID},
	{"padt-sid-0", MACS "8863 11a7 0000 0000", DP_PPPOE_BAD_SESSION_ID},
	{"pads-sid-ffff", MACS "8863 1165 ffff 0000", DP_PPPOE_BAD_SESSION_ID},
	{"session-sid-0", MACS "8864 1100 0000 0002 c021", DP_PPPOE_BAD_SESSION_ID},
	{"session-sid-ffff", MACS "8864 1100 ffff 0002 c021", DP_PPPOE_BAD_SESSION_ID},
	{"truncated-by-1", MACS "8863 1109 0000 000d 0101 0000 " HOST_UNIQ, DP_PPPOE_TRUNCATED},
	{"truncated-ffff", MACS "8863 1109 0000 ffff 0101 0000", DP_PPPOE_TRUNCATED},
	{"truncated-session", MACS "8864 1100 1234 0007 c021 0501 0004", DP_PPPOE_TRUNCATED},
	{"tag-hdr-1", MACS "8863 1109 0000 0001 01", DP_PPPOE_TAG_HDR_TRUNC},
	{"tag-hdr-3", MACS "8863 1109 0000 0007 0101 0000 010100", DP_PPPOE_TAG_HDR_TRUNC},
	{"tag-overflow-by-1", MACS "8863 1109 0000 0006 0101 0003 6162", DP_PPPOE_TAG_OVERFLOW},
	{"tag-overflow-ffff", MACS "8863 1109 0000 0006 0103 ffff 6162", DP_PPPOE_TAG_OVERFLOW},
	{"tag-overflow-into-padding", MACS "8863 1109 0000 0004 0103 0004 deadbeef",
	 DP_PPPOE_TAG_OVERFLOW},
	{"eol-length-1", MACS "8863 1109 0000 0005 0000 0001 00", DP_PPPOE_EOL_LENGTH},
	{"vendor-short-0", MACS "8863 1109 0000 0004 0105 0000", DP_PPPOE_VENDOR_SHORT},
	{"vendor-short-3", MACS "8863 1109 0000 0007 0105 0003 000de9", DP_PPPOE_VENDOR_SHORT},
	{"subtag-value-overflow", MACS "8863 1109 0000 000b 0105 0007 00000de9 01 05 61",
	 DP_PPPOE_SUBTAG_OVERFLOW},
	{"subtag-hdr-trunc", MACS "8863 1109 0000 0009 0105 0005 00000de9 01",
	 DP_PPPOE_SUBTAG_OVERFLOW},
	{"subtag-unknown-overflow", MACS "8863 1109 0000 000b 0105 0007 00000de9 81 03 61",
	 DP_PPPOE_SUBTAG_OVERFLOW},
	{"repeat-vendor-subtag-overflow",
	 MACS "8863 1109 0000 0014 0105 0007 00000de9 01 01 61 0105 0005 00000de9 02",
	 DP_PPPOE_SUBTAG_OVERFLOW},
	{"ppp-trunc-0", MACS "8864 1100 1234 0000", DP_PPPOE_PPP_TRUNC},
	{"ppp-trunc-1", MACS "8864 1100 1234 0001 c0", DP_PPPOE_PPP_TRUNC},
	{"ppp-trunc-1-padded", MACS "8864 1100 1234 0001 c0 21 0000", DP_PPPOE_PPP_TRUNC},
	{"ppp-bad-protocol", MACS "8864 1100 1234 0002 c020", DP_PPPOE_PPP_BAD_PROTOCOL},
};

static void test_rejects(void)
{
	bool seen[DP_PPPOE_FAIL_MAX] = {false};

	for (size_t k = 0; k < sizeof(rejects) / sizeof(rejects[0]); k++) {
		const struct rcase *tc = &rejects[k];
		uint8_t raw[256];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		struct dp_l2 l2;
		struct dp_pppoe o, before;
		bool l2_ok;
		enum dp_pppoe_fail r;

		check_ctx = tc->name;
		memset(&o, 0x5a, sizeof(o));
		before = o;
		r = decode_guarded(raw, n, &l2, &o, &l2_ok);
		CHECK(l2_ok);
		CHECKF(r == tc->want, "got %s, want %s", dp_pppoe_fail_str(r),
		       dp_pppoe_fail_str(tc->want));
		CHECK(memcmp(&o, &before, sizeof(o)) == 0); /* ret untouched */
		if ((unsigned)r < DP_PPPOE_FAIL_MAX)
			seen[r] = true;
	}

	/* built ones: tag counts and lengths */
	struct dp_cur c;
	struct dp_pppoe o;
	static uint8_t b[8 + 4 * 300 + 300];
	size_t n;

	check_ctx = "too-many-tags";
	memcpy(b, "\x11\x09\x00\x00", 4);
	n = 6;
	for (unsigned i = 0; i < DP_PPPOE_MAX_TAGS; i++, n += 4)
		memcpy(b + n, "\x01\x20\x00\x00", 4);
	b[4] = (uint8_t)((n - 6) >> 8);
	b[5] = (uint8_t)(n - 6);
	c = dp_cur_make(b, n);
	CHECK(dp_pppoe_decode(DP_PPPOE_ETHERTYPE_DISC, &c, &o) == DP_PPPOE_OK);
	CHECK(o.tag_count == DP_PPPOE_MAX_TAGS);
	memcpy(b + n, "\x01\x20\x00\x00", 4);
	n += 4;
	b[4] = (uint8_t)((n - 6) >> 8);
	b[5] = (uint8_t)(n - 6);
	c = dp_cur_make(b, n);
	CHECK(dp_pppoe_decode(DP_PPPOE_ETHERTYPE_DISC, &c, &o) == DP_PPPOE_TOO_MANY_TAGS);
	seen[DP_PPPOE_TOO_MANY_TAGS] = true;

	for (unsigned len = 252; len <= 255; len++) {
		enum dp_pppoe_fail want = len <= RT_TEXT_MAX ? DP_PPPOE_OK : DP_PPPOE_TAG_TOO_LONG;
		uint8_t *g;

		check_ctx = "service-name-length";
		memset(b, 'x', sizeof(b));
		memcpy(b, "\x11\x09\x00\x00", 4);
		b[4] = (uint8_t)((4 + len) >> 8);
		b[5] = (uint8_t)(4 + len);
		memcpy(b + 6, "\x01\x01\x00", 3);
		b[9] = (uint8_t)len;
		g = guard_copy(b, 10 + len);
		c = dp_cur_make(g, 10 + len);
		CHECKF(dp_pppoe_decode(DP_PPPOE_ETHERTYPE_DISC, &c, &o) == want, "len %u", len);
		guard_free(g, 10 + len);

		check_ctx = "tr101-circuit-length";
		b[4] = (uint8_t)((4 + 4 + 2 + len) >> 8);
		b[5] = (uint8_t)(4 + 4 + 2 + len);
		memcpy(b + 6, "\x01\x05", 2);
		b[8] = (uint8_t)((4 + 2 + len) >> 8);
		b[9] = (uint8_t)(4 + 2 + len);
		memcpy(b + 10, "\x00\x00\x0d\xe9\x01", 5);
		b[15] = (uint8_t)len;
		g = guard_copy(b, 16 + len);
		c = dp_cur_make(g, 16 + len);
		CHECKF(dp_pppoe_decode(DP_PPPOE_ETHERTYPE_DISC, &c, &o) == want, "len %u", len);
		if (want == DP_PPPOE_OK)
			CHECK(o.circuit_id.len == len);
		guard_free(g, 16 + len);
	}
	seen[DP_PPPOE_TAG_TOO_LONG] = true;

	check_ctx = "ethertype-direct";
	c = dp_cur_make(b, 0);
	CHECK(dp_pppoe_decode(0x0800, &c, &o) == DP_PPPOE_BAD_ETHERTYPE);

	check_ctx = "reject-coverage";
	for (unsigned i = 1; i < DP_PPPOE_FAIL_MAX; i++)
		CHECKF(seen[i], "no case returns %s", dp_pppoe_fail_str(i));
}

/* Offset of the PPPoE header inside a frame (after MACs and VLAN tags). */
static size_t l2_hdr_len(const uint8_t *raw, size_t n)
{
	struct dp_l2 l2;

	if (dp_frame_l2(raw, n, DP_LINK_ETHERNET, &l2) != DP_FRAME_UDP)
		return 0;
	return (size_t)(l2.payload - raw);
}

/*
 * Every truncation point of every valid frame:
 *  - LENGTH kept: L2 failure below the L2 header, too-short below the PPPoE
 *    header, truncated below LENGTH, OK from there on (padding cut);
 *  - discovery, LENGTH cut to match: OK at tag boundaries (and anywhere
 *    after End-Of-List), tag-hdr-trunc 1..3 bytes past one, tag-overflow
 *    otherwise.
 */
static void test_truncations(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		uint8_t raw[512];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		size_t off = l2_hdr_len(raw, n);
		size_t plen = (size_t)raw[off + 4] << 8 | raw[off + 5];
		bool boundary[512] = {false};
		size_t eol_end = SIZE_MAX;

		check_ctx = tc->name;
		for (size_t cut = 0; cut < n; cut++) {
			struct dp_l2 l2;
			struct dp_pppoe o;
			bool l2_ok;
			enum dp_pppoe_fail r = decode_guarded(raw, cut, &l2, &o, &l2_ok);

			if (cut < off) {
				CHECKF(!l2_ok, "cut %zu", cut);
				continue;
			}
			CHECK(l2_ok);
			if (cut < off + DP_PPPOE_HDR_LEN)
				CHECKF(r == DP_PPPOE_TOO_SHORT, "cut %zu: %s", cut,
				       dp_pppoe_fail_str(r));
			else if (cut < off + DP_PPPOE_HDR_LEN + plen)
				CHECKF(r == DP_PPPOE_TRUNCATED, "cut %zu: %s", cut,
				       dp_pppoe_fail_str(r));
			else
				CHECKF(r == DP_PPPOE_OK, "cut %zu: %s", cut, dp_pppoe_fail_str(r));
		}
		if (tc->code == DP_PPPOE_SESSION)
			continue;

		/* tag boundaries, relative to the start of the tags */
		for (size_t t = 0; t <= plen;) {
			boundary[t] = true;
			if (t + 4 > plen)
				break;
			size_t tl = (size_t)raw[off + 6 + t + 2] << 8 | raw[off + 6 + t + 3];
			if (raw[off + 6 + t] == 0 && raw[off + 6 + t + 1] == 0) {
				eol_end = t + 4;
				break;
			}
			t += 4 + tl;
		}
		for (size_t cut = 0; cut <= plen; cut++) {
			uint8_t q[512];
			struct dp_l2 l2;
			struct dp_pppoe o;
			bool l2_ok;
			enum dp_pppoe_fail want, r;
			size_t last = cut;

			while (!boundary[last])
				last--;
			if (boundary[cut] || cut >= eol_end)
				want = DP_PPPOE_OK;
			else if (cut - last < 4)
				want = DP_PPPOE_TAG_HDR_TRUNC;
			else
				want = DP_PPPOE_TAG_OVERFLOW;
			memcpy(q, raw, off + DP_PPPOE_HDR_LEN + cut);
			q[off + 4] = (uint8_t)(cut >> 8);
			q[off + 5] = (uint8_t)cut;
			r = decode_guarded(q, off + DP_PPPOE_HDR_LEN + cut, &l2, &o, &l2_ok);
			CHECKF(r == want, "length-adjusted cut %zu: %s, want %s", cut,
			       dp_pppoe_fail_str(r), dp_pppoe_fail_str(want));
		}
	}
}

static void test_names(void)
{
	static const char *const want[DP_PPPOE_FAIL_MAX] = {
		"ok",		   "too-short",	    "bad-ethertype",   "bad-vertype",
		"bad-code",	   "bad-session-id", "truncated",      "tag-hdr-trunc",
		"tag-overflow",	   "too-many-tags",  "tag-too-long",   "eol-length",
		"vendor-short",	   "subtag-overflow", "ppp-trunc",     "ppp-bad-protocol",
	};

	check_ctx = "names";
	for (unsigned i = 0; i < DP_PPPOE_FAIL_MAX; i++)
		CHECKF(strcmp(dp_pppoe_fail_str(i), want[i]) == 0, "%u: %s", i,
		       dp_pppoe_fail_str(i));
	CHECK(strcmp(dp_pppoe_fail_str(DP_PPPOE_FAIL_MAX), "unknown") == 0);
}

int main(void)
{
	test_valid();
	test_rejects();
	test_truncations();
	test_names();
	return check_done();
}
