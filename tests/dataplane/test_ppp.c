/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_ppp_decode(): valid LCP, PAP, CHAP, IPCP and IPV6CP packets with
 * every decoded field, every rejection reason, every truncation point of
 * each valid packet (Length kept, and Length cut to match), padding after
 * Length, and the check that the PAP password and CHAP response value are
 * never exposed.  Every input sits at the end of its own heap block (ASan).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dp_check.h"
#include "ppp.h"

#define CHAP_VAL "10 0f1e2d3c4b5a69788796a5b4c3d2e1f0 "

struct vcase {
	const char *name;
	uint16_t proto;
	const char *hex; /* after the protocol field */
	uint8_t code;
	uint8_t id;
	const char *name_; /* NULL: empty */
	const char *message;
	const char *ip, *dns1, *dns2, *ifid; /* hex, NULL: absent */
};

static const struct vcase valid[] = {
	{"lcp-conf-req", DP_PPP_LCP, "01 01 0012 0104 05d4 0304 c023 0506 1a2b3c4d", 1, 1},
	{"lcp-term-req", DP_PPP_LCP, "05 02 0010 557365722072657175657374", DP_PPP_TERM_REQ, 2},
	{"lcp-term-ack", DP_PPP_LCP, "06 02 0004", DP_PPP_TERM_ACK, 2},
	{"lcp-echo-req", DP_PPP_LCP, "09 03 0008 1a2b3c4d", DP_PPP_ECHO_REQ, 3},
	{"lcp-proto-rej", DP_PPP_LCP, "08 04 0008 8057 0101", DP_PPP_PROTO_REJ, 4},
	{"pap-req", DP_PPP_PAP, "01 07 0015 09 616c69636540697370 06 733363723374", DP_PPP_PAP_REQ,
	 7, "alice@isp"},
	{"pap-req-empty-password", DP_PPP_PAP, "01 08 0009 03 626f62 00", DP_PPP_PAP_REQ, 8, "bob"},
	{"pap-ack", DP_PPP_PAP, "02 07 000d 08 4c6f67696e206f6b", DP_PPP_PAP_ACK, 7, NULL,
	 "Login ok"},
	{"pap-ack-padded", DP_PPP_PAP, "02 07 000d 08 4c6f67696e206f6b 0000", DP_PPP_PAP_ACK, 7,
	 NULL, "Login ok"},
	{"pap-nak", DP_PPP_PAP, "03 07 000a 05 4661696c21", DP_PPP_PAP_NAK, 7, NULL, "Fail!"},
	{"chap-challenge", DP_PPP_CHAP, "01 01 0019 " CHAP_VAL "42524153", DP_PPP_CHAP_CHALLENGE, 1,
	 "BRAS"},
	{"chap-response", DP_PPP_CHAP, "02 01 0020 " CHAP_VAL "626f62406973702e6e6574",
	 DP_PPP_CHAP_RESPONSE, 1, "bob@isp.net"},
	{"chap-success-empty", DP_PPP_CHAP, "03 01 0004", DP_PPP_CHAP_SUCCESS, 1},
	{"chap-success", DP_PPP_CHAP, "03 01 000b 57656c636f6d65", DP_PPP_CHAP_SUCCESS, 1, NULL,
	 "Welcome"},
	{"chap-failure", DP_PPP_CHAP, "04 01 0011 453d363931 20523d3020563d33", DP_PPP_CHAP_FAILURE,
	 1, NULL, "E=691 R=0 V=3"},
	{"ipcp-conf-req-zero", DP_PPP_IPCP, "01 01 0016 0306 00000000 8106 00000000 8306 00000000",
	 1, 1, NULL, NULL, "00000000", "00000000", "00000000"},
	{"ipcp-conf-nak", DP_PPP_IPCP, "03 01 0016 0306 6440000a 8106 08080808 8306 08080404", 3, 1,
	 NULL, NULL, "6440000a", "08080808", "08080404"},
	{"ipcp-conf-ack", DP_PPP_IPCP, "02 02 000a 0306 6440000a", 2, 2, NULL, NULL, "6440000a"},
	{"ipcp-conf-req-compression", DP_PPP_IPCP, "01 03 0010 0206 002d0f01 0306 0a000001", 1, 3,
	 NULL, NULL, "0a000001"},
	{"ipcp-conf-rej", DP_PPP_IPCP, "04 01 0010 8106 00000000 8306 00000000", 4, 1, NULL, NULL,
	 NULL, "00000000", "00000000"},
	{"ipcp-first-wins", DP_PPP_IPCP, "02 05 0010 0306 0a000001 0306 0a000002", 2, 5, NULL, NULL,
	 "0a000001"},
	{"ipcp-term-req", DP_PPP_IPCP, "05 04 0004", DP_PPP_TERM_REQ, 4},
	{"ipv6cp-conf-req", DP_PPP_IPV6CP, "01 01 000e 010a 021122fffe334455", 1, 1, NULL, NULL,
	 NULL, NULL, NULL, "021122fffe334455"},
	{"ipv6cp-conf-ack", DP_PPP_IPV6CP, "02 01 000e 010a 021122fffe334455", 2, 1, NULL, NULL,
	 NULL, NULL, NULL, "021122fffe334455"},
};

static bool view_eq(const struct rt_view *v, const char *s)
{
	if (!s)
		return v->len == 0;
	return v->len == strlen(s) && memcmp(v->p, s, v->len) == 0;
}

static bool addr_eq(bool has, const uint8_t *a, const char *hex)
{
	uint8_t b[16];
	size_t n;

	if (!hex)
		return !has;
	n = hex_decode(hex, b, sizeof(b));
	return has && memcmp(a, b, n) == 0;
}

static enum dp_ppp_fail decode_guarded(uint16_t proto, const uint8_t *p, size_t n,
				       struct dp_ppp *o, const uint8_t **ret_buf)
{
	static uint8_t *last;
	static size_t last_n;
	struct dp_cur c;

	if (last)
		guard_free(last, last_n);
	last = guard_copy(p, n);
	last_n = n;
	if (ret_buf)
		*ret_buf = last;
	c = dp_cur_make(last, n);
	return dp_ppp_decode(proto, &c, o);
}

/* True if the view overlaps bytes [from, from + n) of buf. */
static bool overlaps(const struct rt_view *v, const uint8_t *buf, size_t from, size_t n)
{
	const uint8_t *p = (const uint8_t *)v->p;

	if (v->len == 0 || n == 0)
		return false;
	return p < buf + from + n && p + v->len > buf + from;
}

static void test_valid(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		uint8_t raw[512];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		const uint8_t *buf;
		struct dp_ppp o;
		enum dp_ppp_fail r;

		check_ctx = tc->name;
		memset(&o, 0xa5, sizeof(o));
		r = decode_guarded(tc->proto, raw, n, &o, &buf);
		CHECKF(r == DP_PPP_OK, "got %s", dp_ppp_fail_str(r));
		if (r != DP_PPP_OK)
			continue;
		CHECK(o.protocol == tc->proto);
		CHECK(o.code == tc->code);
		CHECK(o.identifier == tc->id);
		CHECK(o.length == ((size_t)raw[2] << 8 | raw[3]));
		CHECK(view_eq(&o.name, tc->name_));
		CHECK(view_eq(&o.message, tc->message));
		CHECK(addr_eq(o.has_ip, o.ip, tc->ip));
		CHECK(addr_eq(o.has_dns1, o.dns1, tc->dns1));
		CHECK(addr_eq(o.has_dns2, o.dns2, tc->dns2));
		CHECK(addr_eq(o.has_ifid, o.ifid, tc->ifid));

		/* secrets: no view touches the password / response value */
		if (tc->proto == DP_PPP_PAP && tc->code == DP_PPP_PAP_REQ) {
			size_t pw_at = 4 + 1 + raw[4] + 1;
			CHECK(!overlaps(&o.name, buf, pw_at, raw[pw_at - 1]));
			CHECK(!overlaps(&o.message, buf, pw_at, raw[pw_at - 1]));
		}
		if (tc->proto == DP_PPP_CHAP && tc->code <= DP_PPP_CHAP_RESPONSE) {
			CHECK(!overlaps(&o.name, buf, 5, raw[4]));
			CHECK(!overlaps(&o.message, buf, 5, raw[4]));
		}
	}
}

struct rcase {
	const char *name;
	uint16_t proto;
	const char *hex;
	enum dp_ppp_fail want;
};

static const struct rcase rejects[] = {
	{"not-control-ip", 0x0021, "45000014", DP_PPP_NOT_CONTROL},
	{"not-control-ccp", 0x80fd, "01010004", DP_PPP_NOT_CONTROL},
	{"too-short-0", DP_PPP_LCP, "", DP_PPP_TOO_SHORT},
	{"too-short-3", DP_PPP_IPCP, "010100", DP_PPP_TOO_SHORT},
	{"length-small-0", DP_PPP_LCP, "01 01 0000", DP_PPP_LENGTH_SMALL},
	{"length-small-3", DP_PPP_PAP, "01 01 0003", DP_PPP_LENGTH_SMALL},
	{"lcp-proto-rej-short", DP_PPP_LCP, "08 01 0005 80", DP_PPP_LENGTH_SMALL},
	{"lcp-echo-short", DP_PPP_LCP, "09 01 0007 1a2b3c", DP_PPP_LENGTH_SMALL},
	{"lcp-discard-short", DP_PPP_LCP, "0b 01 0004", DP_PPP_LENGTH_SMALL},
	{"truncated-by-1", DP_PPP_LCP, "01 01 0008 0104 05", DP_PPP_TRUNCATED},
	{"truncated-ffff", DP_PPP_CHAP, "03 01 ffff", DP_PPP_TRUNCATED},
	{"lcp-code-0", DP_PPP_LCP, "00 01 0004", DP_PPP_BAD_CODE},
	{"lcp-code-12", DP_PPP_LCP, "0c 01 0004", DP_PPP_BAD_CODE},
	{"ipcp-code-8", DP_PPP_IPCP, "08 01 0006 0021", DP_PPP_BAD_CODE},
	{"ipv6cp-code-9", DP_PPP_IPV6CP, "09 01 0008 00000000", DP_PPP_BAD_CODE},
	{"pap-code-0", DP_PPP_PAP, "00 01 0004", DP_PPP_BAD_CODE},
	{"pap-code-4", DP_PPP_PAP, "04 01 0005 00", DP_PPP_BAD_CODE},
	{"chap-code-0", DP_PPP_CHAP, "00 01 0004", DP_PPP_BAD_CODE},
	{"chap-code-5", DP_PPP_CHAP, "05 01 0004", DP_PPP_BAD_CODE},
	{"pap-req-no-peer-len", DP_PPP_PAP, "01 01 0004", DP_PPP_FIELD_OVERFLOW},
	{"pap-req-peer-overflow", DP_PPP_PAP, "01 01 0006 05 61", DP_PPP_FIELD_OVERFLOW},
	{"pap-req-no-passwd-len", DP_PPP_PAP, "01 01 0006 01 61", DP_PPP_FIELD_OVERFLOW},
	{"pap-req-passwd-overflow", DP_PPP_PAP, "01 01 0008 01 61 03 70", DP_PPP_FIELD_OVERFLOW},
	{"pap-req-passwd-past-length", DP_PPP_PAP, "01 01 0008 01 61 03 70 7070",
	 DP_PPP_FIELD_OVERFLOW},
	{"pap-ack-no-msg-len", DP_PPP_PAP, "02 01 0004", DP_PPP_FIELD_OVERFLOW},
	{"pap-nak-msg-overflow", DP_PPP_PAP, "03 01 0006 05 61", DP_PPP_FIELD_OVERFLOW},
	{"chap-challenge-no-size", DP_PPP_CHAP, "01 01 0004", DP_PPP_FIELD_OVERFLOW},
	{"chap-response-value-overflow", DP_PPP_CHAP, "02 01 0006 10 00", DP_PPP_FIELD_OVERFLOW},
	{"pap-req-trailing", DP_PPP_PAP, "01 01 0009 01 61 01 70 ff", DP_PPP_TRAILING},
	{"opt-hdr-trunc", DP_PPP_IPCP, "01 01 0005 03", DP_PPP_OPT_HDR_TRUNC},
	{"opt-hdr-trunc-after-opt", DP_PPP_IPCP, "01 01 000b 0306 0a000001 81",
	 DP_PPP_OPT_HDR_TRUNC},
	{"opt-len-0", DP_PPP_IPCP, "01 01 0006 0300", DP_PPP_OPT_LEN_SMALL},
	{"opt-len-1", DP_PPP_LCP, "01 01 0006 0101", DP_PPP_OPT_LEN_SMALL},
	{"opt-overflow", DP_PPP_IPCP, "01 01 0008 0306 0a00", DP_PPP_OPT_OVERFLOW},
	{"opt-overflow-lcp", DP_PPP_LCP, "02 01 0008 05ff 0a00", DP_PPP_OPT_OVERFLOW},
	{"ipcp-addr-len-5", DP_PPP_IPCP, "01 01 0009 0305 0a0000", DP_PPP_OPT_VALUE},
	{"ipcp-addr-len-2", DP_PPP_IPCP, "01 01 0006 0302", DP_PPP_OPT_VALUE},
	{"ipcp-dns1-len-7", DP_PPP_IPCP, "03 01 000b 8107 0808080808", DP_PPP_OPT_VALUE},
	{"ipcp-dns2-len-4", DP_PPP_IPCP, "03 01 0008 8304 0808", DP_PPP_OPT_VALUE},
	{"ipcp-repeat-bad", DP_PPP_IPCP, "01 01 000f 0306 0a000001 0305 0a0000", DP_PPP_OPT_VALUE},
	{"ipv6cp-ifid-len-6", DP_PPP_IPV6CP, "01 01 000a 0106 02112233", DP_PPP_OPT_VALUE},
	{"ipv6cp-ifid-len-12", DP_PPP_IPV6CP, "01 01 0010 010c 021122fffe3344550000",
	 DP_PPP_OPT_VALUE},
};

static void test_rejects(void)
{
	bool seen[DP_PPP_FAIL_MAX] = {false};

	for (size_t k = 0; k < sizeof(rejects) / sizeof(rejects[0]); k++) {
		const struct rcase *tc = &rejects[k];
		uint8_t raw[256];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		struct dp_ppp o, before;
		enum dp_ppp_fail r;

		check_ctx = tc->name;
		memset(&o, 0x5a, sizeof(o));
		before = o;
		r = decode_guarded(tc->proto, raw, n, &o, NULL);
		CHECKF(r == tc->want, "got %s, want %s", dp_ppp_fail_str(r),
		       dp_ppp_fail_str(tc->want));
		CHECK(memcmp(&o, &before, sizeof(o)) == 0);
		if ((unsigned)r < DP_PPP_FAIL_MAX)
			seen[r] = true;
	}

	/* built: text lengths around RT_TEXT_MAX, option count */
	static uint8_t b[1024];
	struct dp_ppp o;

	for (unsigned len = 252; len <= 255; len++) {
		enum dp_ppp_fail want = len <= RT_TEXT_MAX ? DP_PPP_OK : DP_PPP_TEXT_LONG;
		size_t n;
		enum dp_ppp_fail r;

		check_ctx = "pap-peer-id-length";
		n = 4 + 1 + len + 1 + 2;
		memset(b, 'u', sizeof(b));
		b[0] = DP_PPP_PAP_REQ;
		b[1] = 1;
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
		b[4] = (uint8_t)len;
		b[5 + len] = 2;
		r = decode_guarded(DP_PPP_PAP, b, n, &o, NULL);
		CHECKF(r == want, "len %u: %s", len, dp_ppp_fail_str(r));
		if (r == DP_PPP_OK)
			CHECK(o.name.len == len);

		check_ctx = "chap-name-length";
		n = 4 + 1 + 16 + len;
		b[0] = DP_PPP_CHAP_RESPONSE;
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
		b[4] = 16;
		r = decode_guarded(DP_PPP_CHAP, b, n, &o, NULL);
		CHECKF(r == want, "len %u: %s", len, dp_ppp_fail_str(r));

		check_ctx = "chap-message-length";
		n = 4 + len;
		b[0] = DP_PPP_CHAP_FAILURE;
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
		r = decode_guarded(DP_PPP_CHAP, b, n, &o, NULL);
		CHECKF(r == want, "len %u: %s", len, dp_ppp_fail_str(r));
		if (r == DP_PPP_TEXT_LONG)
			seen[r] = true;
	}

	check_ctx = "too-many-options";
	for (unsigned count = DP_PPP_MAX_OPTIONS; count <= DP_PPP_MAX_OPTIONS + 1; count++) {
		size_t n = 4 + 2 * (size_t)count;
		enum dp_ppp_fail r;

		b[0] = DP_PPP_CONF_REQ;
		b[2] = (uint8_t)(n >> 8);
		b[3] = (uint8_t)n;
		for (unsigned i = 0; i < count; i++) {
			b[4 + 2 * i] = 200;
			b[5 + 2 * i] = 2;
		}
		r = decode_guarded(DP_PPP_LCP, b, n, &o, NULL);
		CHECKF(r == (count > DP_PPP_MAX_OPTIONS ? DP_PPP_TOO_MANY_OPTIONS : DP_PPP_OK),
		       "%u options: %s", count, dp_ppp_fail_str(r));
		seen[r] = true;
	}

	check_ctx = "reject-coverage";
	for (unsigned i = 1; i < DP_PPP_FAIL_MAX; i++)
		CHECKF(seen[i], "no case returns %s", dp_ppp_fail_str(i));
}

/* What a valid packet cut to `d` data bytes (Length set to match) gives. */
static enum dp_ppp_fail cut_want(const struct vcase *tc, const uint8_t *raw, size_t full,
				 size_t d)
{
	if (d == full)
		return DP_PPP_OK;
	switch (tc->proto) {
	case DP_PPP_PAP:
		if (tc->code == DP_PPP_PAP_REQ)
			return DP_PPP_FIELD_OVERFLOW; /* peer-id or password cut */
		return d < 1u + raw[4] ? DP_PPP_FIELD_OVERFLOW : DP_PPP_OK;
	case DP_PPP_CHAP:
		if (tc->code <= DP_PPP_CHAP_RESPONSE)
			return d < 1u + raw[4] ? DP_PPP_FIELD_OVERFLOW : DP_PPP_OK;
		return DP_PPP_OK;
	default:
		break;
	}
	if (tc->code == DP_PPP_PROTO_REJ)
		return d < 2 ? DP_PPP_LENGTH_SMALL : DP_PPP_OK;
	if (tc->proto == DP_PPP_LCP && tc->code >= DP_PPP_ECHO_REQ)
		return d < 4 ? DP_PPP_LENGTH_SMALL : DP_PPP_OK;
	if (tc->code > DP_PPP_CONF_REJ)
		return DP_PPP_OK;
	/* Configure-*: options tile the data */
	size_t at = 0;
	while (at < d) {
		if (d - at < 2)
			return DP_PPP_OPT_HDR_TRUNC;
		if (d - at < raw[4 + at + 1])
			return DP_PPP_OPT_OVERFLOW;
		at += raw[4 + at + 1];
	}
	return DP_PPP_OK;
}

static void test_truncations(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		uint8_t raw[512];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		size_t len = (size_t)raw[2] << 8 | raw[3];

		check_ctx = tc->name;
		for (size_t cut = 0; cut < n; cut++) {
			struct dp_ppp o;
			enum dp_ppp_fail want = cut < DP_PPP_HDR_LEN ? DP_PPP_TOO_SHORT
							  : cut < len	      ? DP_PPP_TRUNCATED
									      : DP_PPP_OK;
			enum dp_ppp_fail r = decode_guarded(tc->proto, raw, cut, &o, NULL);

			CHECKF(r == want, "cut %zu: %s", cut, dp_ppp_fail_str(r));
		}
		for (size_t d = 0; d <= len - DP_PPP_HDR_LEN; d++) {
			uint8_t q[512];
			struct dp_ppp o;
			enum dp_ppp_fail want = cut_want(tc, raw, len - DP_PPP_HDR_LEN, d);
			enum dp_ppp_fail r;

			memcpy(q, raw, DP_PPP_HDR_LEN + d);
			q[2] = (uint8_t)((DP_PPP_HDR_LEN + d) >> 8);
			q[3] = (uint8_t)(DP_PPP_HDR_LEN + d);
			r = decode_guarded(tc->proto, q, DP_PPP_HDR_LEN + d, &o, NULL);
			CHECKF(r == want, "length-adjusted %zu: %s, want %s", d,
			       dp_ppp_fail_str(r), dp_ppp_fail_str(want));
		}
	}
}

static void test_names(void)
{
	static const char *const want[DP_PPP_FAIL_MAX] = {
		"ok",		 "not-control",	  "too-short",	   "length-small", "truncated",
		"bad-code",	 "field-overflow", "trailing",	   "text-long",	   "opt-hdr-trunc",
		"opt-len-small", "opt-overflow",  "opt-value",	   "too-many-options",
	};

	check_ctx = "names";
	for (unsigned i = 0; i < DP_PPP_FAIL_MAX; i++)
		CHECKF(strcmp(dp_ppp_fail_str(i), want[i]) == 0, "%u: %s", i, dp_ppp_fail_str(i));
	CHECK(strcmp(dp_ppp_fail_str(DP_PPP_FAIL_MAX), "unknown") == 0);
}

int main(void)
{
	test_valid();
	test_rejects();
	test_truncations();
	test_names();
	return check_done();
}
