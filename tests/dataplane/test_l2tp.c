/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_l2tp_decode(): valid control (SCCRQ, ICRQ, CDN, StopCCN, HELLO, ZLB)
 * and data messages (with and without Length, Ns/Nr, Offset, ACFC/PFC)
 * with every decoded field; hidden AVPs against known answers computed
 * independently (Python hashlib, RFC 2661 section 4.3), with and without
 * the secret; every rejection reason; every truncation point of each valid
 * message (Length kept, and Length cut to match for control messages); and
 * the name table.  Every input sits at the end of its own heap block.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dp_check.h"
#include "l2tp.h"

static const uint8_t secret[] = "l2tp-secret";
#define SECRET_LEN (sizeof(secret) - 1)

#define MSG(t) "8008 0000 0000 " t " "
#define RV "8016 0000 0024 000102030405060708090a0b0c0d0e0f "
#define CALLING "8011 0000 0016 3133383030313338303030 "
#define CALLED "800d 0000 0015 35353531323334 "
/* hidden with "l2tp-secret" and RV above: calling 13800138000 padded by 5,
 * Assigned Session ID 7, and a value whose Original Length is 256 */
#define H_CALLING "c018 0000 0016 69d46de797943ea710893c91b95b96785fe5 "
#define H_SESSION "c00a 0000 000e 54d07a06 "
#define H_BADLEN "c00b 0000 0016 68df3db6cc "
#define PAP_REQ "01070015 09 616c69636540697370 06 733363723374"

struct vcase {
	const char *name;
	const char *hex;
	bool use_secret;
	bool control;
	uint16_t tid, sid;
	bool seq;
	uint16_t ns, nr;
	uint16_t msg_type;
	int result, error;        /* -1: absent */
	int atid, asid;           /* -1: absent */
	const char *calling, *called;
	bool calling_hidden, called_hidden;
	uint16_t hidden_count;
	uint16_t ppp_protocol;
	size_t ppp_len;
};

static const struct vcase valid[] = {
	{"sccrq",
	 "c802 0038 0000 0000 0000 0000 " MSG("0001") "8008 0000 0002 0100 800a 0000 0007 4c414331"
	 " 8008 0000 0009 0001 800a 0000 0003 00000003",
	 false, true, 0, 0, true, 0, 0, DP_L2TP_SCCRQ, -1, -1, 1, -1},
	{"icrq",
	 "c802 0044 1234 0000 0002 0001 " MSG("000a") "8008 0000 000e 0007 800a 0000 000f 00000001 "
	 CALLING CALLED,
	 false, true, 0x1234, 0, true, 2, 1, DP_L2TP_ICRQ, -1, -1, -1, 7, "13800138000", "5551234"},
	{"icrq-vendor-reserved-unknown",
	 "c802 003c 1234 0000 0002 0001 " MSG("000a") "8008 0009 0016 4142 8408 0000 0016 4142 "
	 "8007 0000 00c8 00 " CALLING,
	 false, true, 0x1234, 0, true, 2, 1, DP_L2TP_ICRQ, -1, -1, -1, -1, "13800138000"},
	{"cdn", "c802 0029 1234 0007 0003 0002 " MSG("000e") "800d 0000 0001 0001 0006 627965 "
		"8008 0000 000e 0007",
	 false, true, 0x1234, 7, true, 3, 2, DP_L2TP_CDN, 1, 6, -1, 7},
	{"stopccn", "c802 0024 1234 0000 0004 0002 " MSG("0004") "8008 0000 0001 0001 "
		    "8008 0000 0009 0001",
	 false, true, 0x1234, 0, true, 4, 2, DP_L2TP_STOPCCN, 1, -1, 1, -1},
	{"zlb", "c802 000c 1234 0000 0003 0002", false, true, 0x1234, 0, true, 3, 2, DP_L2TP_ZLB, -1,
	 -1, -1, -1},
	{"hello", "c802 0014 1234 0000 0004 0003 " MSG("0006"), false, true, 0x1234, 0, true, 4, 3,
	 DP_L2TP_HELLO, -1, -1, -1, -1},
	{"hello-trailing", "c802 0014 1234 0000 0004 0003 " MSG("0006") "0000", false, true, 0x1234,
	 0, true, 4, 3, DP_L2TP_HELLO, -1, -1, -1, -1},
	{"icrq-hidden-no-secret",
	 "c802 0059 1234 0000 0002 0001 " MSG("000a") RV H_SESSION H_CALLING CALLED, false, true,
	 0x1234, 0, true, 2, 1, DP_L2TP_ICRQ, -1, -1, -1, -1, NULL, "5551234", true, false, 2},
	{"icrq-hidden-secret",
	 "c802 0059 1234 0000 0002 0001 " MSG("000a") RV H_SESSION H_CALLING CALLED, true, true,
	 0x1234, 0, true, 2, 1, DP_L2TP_ICRQ, -1, -1, -1, 7, "13800138000", "5551234", false, false,
	 2},
	{"data-pap", "0002 1234 0007 ff03 c023 " PAP_REQ, false, false, 0x1234, 7, false, 0, 0, 0,
	 -1, -1, -1, -1, NULL, NULL, false, false, 0, 0xc023, 21},
	{"data-length-seq", "4802 0014 1234 0007 0001 0000 ff03 c021 05010004", false, false,
	 0x1234, 7, true, 1, 0, 0, -1, -1, -1, -1, NULL, NULL, false, false, 0, 0xc021, 4},
	{"data-length-trailing", "4002 000e 1234 0007 ff03 c021 0601 0004 0000", false, false,
	 0x1234, 7, false, 0, 0, 0, -1, -1, -1, -1, NULL, NULL, false, false, 0, 0xc021, 2},
	{"data-offset", "0202 1234 0007 0004 00000000 ff03 8021 0202000a 03066440000a", false,
	 false, 0x1234, 7, false, 0, 0, 0, -1, -1, -1, -1, NULL, NULL, false, false, 0, 0x8021, 10},
	{"data-priority-pfc", "0102 1234 0007 21 4500", false, false, 0x1234, 7, false, 0, 0, 0, -1,
	 -1, -1, -1, NULL, NULL, false, false, 0, 0x21, 2},
	{"data-no-acf", "0002 1234 0007 c021 09010008 1a2b3c4d", false, false, 0x1234, 7, false, 0,
	 0, 0, -1, -1, -1, -1, NULL, NULL, false, false, 0, 0xc021, 8},
};

static bool view_eq(const struct rt_view *v, const char *s)
{
	if (!s)
		return v->len == 0;
	return v->len == strlen(s) && memcmp(v->p, s, v->len) == 0;
}

static struct dp_l2tp_hidden_buf hbuf;

static enum dp_l2tp_fail decode_guarded(const uint8_t *p, size_t n, bool use_secret,
					struct dp_l2tp *o)
{
	static uint8_t *last;
	static size_t last_n;
	struct dp_cur c;

	if (last)
		guard_free(last, last_n);
	last = guard_copy(p, n);
	last_n = n;
	c = dp_cur_make(last, n);
	return dp_l2tp_decode(&c, use_secret ? secret : NULL, use_secret ? SECRET_LEN : 0,
			      use_secret ? &hbuf : NULL, o);
}

static void test_valid(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		uint8_t raw[512];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		struct dp_l2tp o;
		enum dp_l2tp_fail r;

		check_ctx = tc->name;
		memset(&o, 0xa5, sizeof(o));
		r = decode_guarded(raw, n, tc->use_secret, &o);
		CHECKF(r == DP_L2TP_OK, "got %s", dp_l2tp_fail_str(r));
		if (r != DP_L2TP_OK)
			continue;
		CHECK(o.control == tc->control);
		CHECK(o.tunnel_id == tc->tid && o.session_id == tc->sid);
		CHECK(o.has_seq == tc->seq && o.ns == tc->ns && o.nr == tc->nr);
		CHECK(o.msg_type == tc->msg_type);
		CHECK(o.has_result == (tc->result >= 0));
		if (tc->result >= 0)
			CHECK(o.result_code == tc->result);
		CHECK(o.has_error_code == (tc->error >= 0));
		if (tc->error >= 0)
			CHECK(o.error_code == tc->error);
		CHECK(o.has_assigned_tunnel_id == (tc->atid >= 0));
		if (tc->atid >= 0)
			CHECK(o.assigned_tunnel_id == tc->atid);
		CHECK(o.has_assigned_session_id == (tc->asid >= 0));
		if (tc->asid >= 0)
			CHECK(o.assigned_session_id == tc->asid);
		CHECK(view_eq(&o.calling, tc->calling));
		CHECK(view_eq(&o.called, tc->called));
		CHECK(o.calling_hidden == tc->calling_hidden);
		CHECK(o.called_hidden == tc->called_hidden);
		CHECK(o.hidden_count == tc->hidden_count);
		CHECK(o.ppp_protocol == tc->ppp_protocol);
		CHECK(o.ppp_len == tc->ppp_len);
		if (tc->use_secret && tc->calling) /* decrypted text lives in hbuf */
			CHECK((const uint8_t *)o.calling.p >= hbuf.b &&
			      (const uint8_t *)o.calling.p + o.calling.len <= hbuf.b + sizeof(hbuf.b));
	}
}

struct rcase {
	const char *name;
	const char *hex;
	bool use_secret;
	enum dp_l2tp_fail want;
};

#define CHDR(len) "c802 " len " 1234 0000 0002 0001 "

static const struct rcase rejects[] = {
	{"too-short-0", "", false, DP_L2TP_TOO_SHORT},
	{"too-short-5", "c802 000c 12", false, DP_L2TP_TOO_SHORT},
	{"version-3", "c803 000c 1234 0000 0000 0000", false, DP_L2TP_BAD_VERSION},
	{"version-1-l2f", "c801 000c 1234 0000 0000 0000", false, DP_L2TP_BAD_VERSION},
	{"version-0-data", "0000 1234 0007 ff03", false, DP_L2TP_BAD_VERSION},
	{"control-no-l", "8802 1234 0000 0000 0000", false, DP_L2TP_BAD_FLAGS},
	{"control-no-s", "c002 0008 1234 0000", false, DP_L2TP_BAD_FLAGS},
	{"control-o", "ca02 000e 1234 0000 0000 0000 0000", false, DP_L2TP_BAD_FLAGS},
	{"control-p", "c902 000c 1234 0000 0000 0000", false, DP_L2TP_BAD_FLAGS},
	{"data-seq-cut", "0802 1234 0007 0001", false, DP_L2TP_HDR_TRUNC},
	{"data-offset-cut", "0202 1234 0007 00", false, DP_L2TP_HDR_TRUNC},
	{"length-7", "c802 0007 1234 0000 0000 0000", false, DP_L2TP_LENGTH_SMALL},
	{"length-0", "c802 0000 1234 0000 0000 0000", false, DP_L2TP_LENGTH_SMALL},
	{"length-10-seq", "c802 000a 1234 0000 0000 0000", false, DP_L2TP_LENGTH_SMALL},
	{"length-13", "c802 000d 1234 0000 0000 0000", false, DP_L2TP_TRUNCATED},
	{"length-ffff", "c802 ffff 1234 0000 0000 0000", false, DP_L2TP_TRUNCATED},
	{"offset-overflow", "0202 1234 0007 0005 00000000", false, DP_L2TP_OFFSET_OVERFLOW},
	{"offset-overflow-length", "4202 000c 1234 0007 0004 00000000 ff", false,
	 DP_L2TP_OFFSET_OVERFLOW},
	{"avp-hdr-2", CHDR("000e") "8008", false, DP_L2TP_AVP_HDR_TRUNC},
	{"avp-hdr-5-after-avp", CHDR("0019") MSG("0006") "8008 0000 00", false,
	 DP_L2TP_AVP_HDR_TRUNC},
	{"avp-len-5", CHDR("0012") "8005 0000 0000", false, DP_L2TP_AVP_LEN_SMALL},
	{"avp-len-0", CHDR("0012") "0000 0000 0000", false, DP_L2TP_AVP_LEN_SMALL},
	{"avp-overflow", CHDR("0014") "8009 0000 0000 0001", false, DP_L2TP_AVP_OVERFLOW},
	{"avp-overflow-1023", CHDR("0014") "83ff 0000 0000 0001", false, DP_L2TP_AVP_OVERFLOW},
	{"no-msg-type", CHDR("0014") "8008 0000 0009 0001", false, DP_L2TP_NO_MSG_TYPE},
	{"no-msg-type-vendor", CHDR("0014") "8008 0009 0000 0001", false, DP_L2TP_NO_MSG_TYPE},
	{"msg-type-hidden", CHDR("0014") "c008 0000 0000 0001", false, DP_L2TP_MUST_NOT_HIDE},
	{"rv-hidden", CHDR("001e") MSG("0001") "c00a 0000 0024 00010203", false,
	 DP_L2TP_MUST_NOT_HIDE},
	{"msg-type-0", CHDR("0014") MSG("0000"), false, DP_L2TP_BAD_MSG_TYPE},
	{"msg-type-5", CHDR("0014") MSG("0005"), false, DP_L2TP_BAD_MSG_TYPE},
	{"msg-type-13", CHDR("0014") MSG("000d"), false, DP_L2TP_BAD_MSG_TYPE},
	{"msg-type-17", CHDR("0014") MSG("0011"), false, DP_L2TP_BAD_MSG_TYPE},
	{"msg-type-len-7", CHDR("0013") "8007 0000 0000 01", false, DP_L2TP_AVP_VALUE},
	{"msg-type-len-9", CHDR("0015") "8009 0000 0000 000100", false, DP_L2TP_AVP_VALUE},
	{"result-len-7", CHDR("001b") MSG("0004") "8007 0000 0001 01", false, DP_L2TP_AVP_VALUE},
	{"result-len-9", CHDR("001d") MSG("0004") "8009 0000 0001 000100", false,
	 DP_L2TP_AVP_VALUE},
	{"tunnel-id-len-9", CHDR("001d") MSG("0001") "8009 0000 0009 000100", false,
	 DP_L2TP_AVP_VALUE},
	{"session-id-len-7", CHDR("001b") MSG("000a") "8007 0000 000e 00", false,
	 DP_L2TP_AVP_VALUE},
	{"session-id-repeat-bad", CHDR("0023") MSG("000a") "8008 0000 000e 0007 8007 0000 000e 00",
	 false, DP_L2TP_AVP_VALUE},
	{"hidden-no-rv", CHDR("002c") MSG("000a") H_CALLING, true, DP_L2TP_HIDDEN_NO_RV},
	{"hidden-rv-after", CHDR("0042") MSG("000a") H_CALLING RV, true, DP_L2TP_HIDDEN_NO_RV},
	{"hidden-bad-length", CHDR("0035") MSG("000a") RV H_BADLEN, true,
	 DP_L2TP_HIDDEN_BAD_LENGTH},
	{"hidden-value-1", CHDR("0031") MSG("000a") RV "c007 0000 0016 68", true,
	 DP_L2TP_HIDDEN_BAD_LENGTH},
	{"hidden-value-0", CHDR("0030") MSG("000a") RV "c006 0000 0016", true,
	 DP_L2TP_HIDDEN_BAD_LENGTH},
	{"ppp-empty", "0002 1234 0007", false, DP_L2TP_PPP_TRUNC},
	{"ppp-acf-only", "0002 1234 0007 ff03", false, DP_L2TP_PPP_TRUNC},
	{"ppp-half-protocol", "0002 1234 0007 ff03 c0", false, DP_L2TP_PPP_TRUNC},
	{"ppp-length-cuts", "4002 000a 1234 0007 ff03 c021", false, DP_L2TP_PPP_TRUNC},
	{"ppp-bad-protocol", "0002 1234 0007 c020", false, DP_L2TP_PPP_BAD_PROTOCOL},
};

static void test_rejects(void)
{
	bool seen[DP_L2TP_FAIL_MAX] = {false};

	for (size_t k = 0; k < sizeof(rejects) / sizeof(rejects[0]); k++) {
		const struct rcase *tc = &rejects[k];
		uint8_t raw[512];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		struct dp_l2tp o, before;
		enum dp_l2tp_fail r;

		check_ctx = tc->name;
		memset(&o, 0x5a, sizeof(o));
		before = o;
		r = decode_guarded(raw, n, tc->use_secret, &o);
		CHECKF(r == tc->want, "got %s, want %s", dp_l2tp_fail_str(r),
		       dp_l2tp_fail_str(tc->want));
		CHECK(memcmp(&o, &before, sizeof(o)) == 0);
		if ((unsigned)r < DP_L2TP_FAIL_MAX)
			seen[r] = true;
	}

	/* built: AVP count and text length */
	static uint8_t b[8 * 300 + 1100];
	struct dp_l2tp o;
	enum dp_l2tp_fail r;

	check_ctx = "too-many-avps";
	for (unsigned count = DP_L2TP_MAX_AVPS; count <= DP_L2TP_MAX_AVPS + 1; count++) {
		size_t n = 12;

		hex_decode("c802 0000 1234 0000 0000 0000", b, 12);
		hex_decode(MSG("0006"), b + n, 8);
		n += 8;
		for (unsigned i = 1; i < count; i++, n += 6)
			hex_decode("8006 0000 00c8", b + n, 6);
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
		r = decode_guarded(b, n, false, &o);
		CHECKF(r == (count > DP_L2TP_MAX_AVPS ? DP_L2TP_TOO_MANY_AVPS : DP_L2TP_OK), "%u: %s",
		       count, dp_l2tp_fail_str(r));
		seen[r] = true;
	}

	for (unsigned len = 252; len <= 255; len++) {
		size_t n = 12;

		check_ctx = "calling-length";
		hex_decode("c802 0000 1234 0000 0000 0000", b, 12);
		hex_decode(MSG("000a"), b + n, 8);
		n += 8;
		b[n] = 0x80 | (uint8_t)((6 + len) >> 8);
		b[n + 1] = (uint8_t)(6 + len);
		hex_decode("0000 0016", b + n + 2, 4);
		memset(b + n + 6, '7', len);
		n += 6 + len;
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
		r = decode_guarded(b, n, false, &o);
		CHECKF(r == (len <= RT_TEXT_MAX ? DP_L2TP_OK : DP_L2TP_TEXT_LONG), "%u: %s", len,
		       dp_l2tp_fail_str(r));
		if (r == DP_L2TP_OK)
			CHECK(o.calling.len == len);
		seen[r] = true;
	}

	check_ctx = "reject-coverage";
	for (unsigned i = 1; i < DP_L2TP_FAIL_MAX; i++)
		CHECKF(seen[i], "no case returns %s", dp_l2tp_fail_str(i));
}

/* Hidden AVPs: the known answers above, a wrong secret, and a round trip
 * through dp_l2tp_hide() with every value and padding length. */
static void test_hidden(void)
{
	uint8_t raw[512];
	size_t n = hex_decode(valid[9].hex, raw, sizeof(raw));
	struct dp_l2tp o;
	enum dp_l2tp_fail r;
	struct dp_cur c;

	check_ctx = "hidden-wrong-secret";
	c = dp_cur_make(raw, n);
	r = dp_l2tp_decode(&c, (const uint8_t *)"l2tp-secreT", SECRET_LEN, &hbuf, &o);
	CHECKF(r == DP_L2TP_HIDDEN_BAD_LENGTH || r == DP_L2TP_AVP_VALUE, "%s",
	       dp_l2tp_fail_str(r));

	check_ctx = "hidden-kat-reproduced";
	uint8_t out[64], rv[16];
	for (unsigned i = 0; i < 16; i++)
		rv[i] = (uint8_t)i;
	CHECK(dp_l2tp_hide(22, (const uint8_t *)"13800138000", 11, 5, secret, SECRET_LEN, rv, 16,
			   out) == 18);
	uint8_t want[18];
	hex_decode("69d46de797943ea710893c91b95b96785fe5", want, sizeof(want));
	CHECK(memcmp(out, want, 18) == 0);

	check_ctx = "hidden-roundtrip";
	for (size_t vlen = 0; vlen <= 40; vlen += 3) {
		for (size_t pad = 0; pad <= 17; pad += 5) {
			uint8_t v[64], m[256];
			size_t hn, mn = 12;

			for (size_t i = 0; i < vlen; i++)
				v[i] = (uint8_t)('0' + i % 10);
			hex_decode("c802 0000 1234 0000 0000 0000", m, 12);
			mn += hex_decode(MSG("000a") RV, m + mn, 64);
			hn = dp_l2tp_hide(21, v, vlen, pad, secret, SECRET_LEN, rv, 16, m + mn + 6);
			CHECK(hn == 2 + vlen + pad);
			m[mn] = 0xc0 | (uint8_t)((6 + hn) >> 8);
			m[mn + 1] = (uint8_t)(6 + hn);
			m[mn + 2] = 0;
			m[mn + 3] = 0;
			m[mn + 4] = 0;
			m[mn + 5] = 21;
			mn += 6 + hn;
			m[2] = (uint8_t)(mn >> 8);
			m[3] = (uint8_t)mn;
			r = decode_guarded(m, mn, true, &o);
			CHECKF(r == DP_L2TP_OK, "vlen %zu pad %zu: %s", vlen, pad,
			       dp_l2tp_fail_str(r));
			CHECK(o.called.len == vlen && (vlen == 0 || memcmp(o.called.p, v, vlen) == 0));
			CHECK(!o.called_hidden && o.hidden_count == 1);
			r = decode_guarded(m, mn, false, &o);
			CHECK(r == DP_L2TP_OK && o.called_hidden && o.called.len == 0);
		}
	}
}

/* Control message cut to `d` bytes after the header, Length set to match:
 * OK at AVP boundaries, avp-hdr-trunc 1..5 bytes past one, avp-overflow
 * otherwise (or, for the first AVP only, what its header says). */
static void test_truncations(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		uint8_t raw[512] = {0};
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		size_t len = tc->control || (raw[0] & 0x40) ? ((size_t)raw[2] << 8 | raw[3]) : n;
		size_t hdr = tc->control ? 12 : 0;

		check_ctx = tc->name;
		for (size_t cut = 0; cut < n; cut++) {
			struct dp_l2tp o;
			enum dp_l2tp_fail r = decode_guarded(raw, cut, tc->use_secret, &o);

			if (cut < 6)
				CHECKF(r == DP_L2TP_TOO_SHORT, "cut %zu: %s", cut,
				       dp_l2tp_fail_str(r));
			else if (cut < len && (tc->control || (raw[0] & 0x40)))
				CHECKF(r == DP_L2TP_TRUNCATED, "cut %zu: %s", cut,
				       dp_l2tp_fail_str(r));
			else if (cut < len && cut >= n - tc->ppp_len)
				/* no Length: a shorter PPP payload is all it is */
				CHECKF(r == DP_L2TP_OK && o.ppp_len == tc->ppp_len - (n - cut),
				       "cut %zu: %s", cut, dp_l2tp_fail_str(r));
			else if (cut < len)
				CHECKF((unsigned)r < DP_L2TP_FAIL_MAX, "cut %zu", cut);
			else
				CHECKF(r == DP_L2TP_OK, "cut %zu: %s", cut, dp_l2tp_fail_str(r));
		}
		if (!tc->control)
			continue;
		for (size_t d = hdr; d <= len; d++) {
			uint8_t q[512];
			struct dp_l2tp o;
			enum dp_l2tp_fail want = DP_L2TP_OK, r;
			size_t at = hdr;

			while (at < d) {
				size_t alen = ((size_t)raw[at] << 8 | raw[at + 1]) & 0x3ff;

				if (d - at < 6) {
					want = DP_L2TP_AVP_HDR_TRUNC;
					break;
				}
				if (d - at < alen) {
					want = DP_L2TP_AVP_OVERFLOW;
					break;
				}
				at += alen;
			}
			memcpy(q, raw, d);
			q[2] = (uint8_t)(d >> 8);
			q[3] = (uint8_t)d;
			r = decode_guarded(q, d, tc->use_secret, &o);
			CHECKF(r == want, "length-adjusted %zu: %s, want %s", d, dp_l2tp_fail_str(r),
			       dp_l2tp_fail_str(want));
		}
	}
}

static void test_names(void)
{
	static const char *const want[DP_L2TP_FAIL_MAX] = {
		"ok",		"too-short",	    "bad-version",     "bad-flags",
		"hdr-trunc",	"length-small",	    "truncated",       "offset-overflow",
		"avp-hdr-trunc", "avp-len-small",   "avp-overflow",    "too-many-avps",
		"no-msg-type",	"must-not-hide",    "bad-msg-type",    "avp-value",
		"hidden-no-rv", "hidden-bad-length", "text-long",      "ppp-trunc",
		"ppp-bad-protocol",
	};

	check_ctx = "names";
	for (unsigned i = 0; i < DP_L2TP_FAIL_MAX; i++)
		CHECKF(strcmp(dp_l2tp_fail_str(i), want[i]) == 0, "%u: %s", i, dp_l2tp_fail_str(i));
	CHECK(strcmp(dp_l2tp_fail_str(DP_L2TP_FAIL_MAX), "unknown") == 0);
}

int main(void)
{
	test_valid();
	test_rejects();
	test_hidden();
	test_truncations();
	test_names();
	return check_done();
}
