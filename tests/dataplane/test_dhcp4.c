/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_dhcp4_decode(): valid DISCOVER/OFFER/REQUEST (relayed, option 82)/
 * ACK/NAK/RELEASE/INFORM and BOOTP-like messages with every decoded field,
 * every rejection reason, every truncation point of each valid message, and
 * the name table.  Every input sits at the end of its own heap block (ASan).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dhcp4.h"
#include "dp_check.h"

#define MAXPKT 2048

struct msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	const char *ciaddr, *yiaddr, *siaddr, *giaddr; /* hex, NULL = 0 */
	const char *chaddr;                            /* hex */
	const char *options;                           /* hex after the cookie */
};

/* Build the wire form: fixed part, cookie, options. */
static size_t build(const struct msg *m, uint8_t *b)
{
	size_t n;

	memset(b, 0, MAXPKT);
	b[0] = m->op;
	b[1] = m->htype;
	b[2] = m->hlen;
	b[3] = m->hops;
	b[4] = (uint8_t)(m->xid >> 24);
	b[5] = (uint8_t)(m->xid >> 16);
	b[6] = (uint8_t)(m->xid >> 8);
	b[7] = (uint8_t)m->xid;
	b[8] = 0x00; /* secs 3 */
	b[9] = 0x03;
	b[10] = 0x80; /* broadcast flag */
	if (m->ciaddr)
		hex_decode(m->ciaddr, b + 12, 4);
	if (m->yiaddr)
		hex_decode(m->yiaddr, b + 16, 4);
	if (m->siaddr)
		hex_decode(m->siaddr, b + 20, 4);
	if (m->giaddr)
		hex_decode(m->giaddr, b + 24, 4);
	if (m->chaddr)
		hex_decode(m->chaddr, b + 28, 16);
	memcpy(b + 236, "\x63\x82\x53\x63", 4);
	n = 240 + hex_decode(m->options, b + 240, MAXPKT - 240);
	return n;
}

struct vcase {
	const char *name;
	struct msg m;
	uint8_t msg_type;
	const char *requested_ip, *server_id; /* hex, NULL: absent */
	int64_t lease; /* -1: absent */
	const char *client_id; /* hex */
	const char *host_name;
	bool relay;
	const char *circuit, *remote, *subscriber;
	bool end;
};

#define CHADDR "000b8201fc42"
#define SRV "3604 c0a80001 "
#define OPT82                                                                             \
	"5224 010f 6574682030 2f312f312f323a313030 0208 72656d6f74653031 0607 7375622d303031 "

static const struct vcase valid[] = {
	{"discover",
	 {1, 1, 6, 0, 0x3903f326, NULL, NULL, NULL, NULL, CHADDR,
	  "3501 01 3d07 01000b8201fc42 3204 00000000 3704 01030f06 ff"},
	 DP_DHCP4_DISCOVER, "00000000", NULL, -1, "01000b8201fc42", NULL, false, NULL, NULL, NULL,
	 true},
	{"offer",
	 {2, 1, 6, 0, 0x3903f326, NULL, "c0a8000a", "c0a80001", NULL, CHADDR,
	  "3501 02 0104 ffffff00 3a04 00000708 3b04 00000c4e 3304 00000e10 " SRV "ff"},
	 DP_DHCP4_OFFER, NULL, "c0a80001", 3600, NULL, NULL, false, NULL, NULL, NULL, true},
	{"request-relayed-82",
	 {1, 1, 6, 1, 0x3903f326, NULL, NULL, NULL, "0a000001", CHADDR,
	  "3501 03 3204 c0a8000a " SRV "0c05 686f737431 " OPT82 "ff"},
	 DP_DHCP4_REQUEST, "c0a8000a", "c0a80001", -1, NULL, "host1", true, "eth 0/1/1/2:100",
	 "remote01", "sub-001", true},
	{"ack-relayed-padded",
	 {2, 1, 6, 0, 0x3903f326, NULL, "c0a8000a", NULL, "0a000001", CHADDR,
	  "3501 05 3304 00015180 " SRV OPT82 "ff 000000000000000000000000000000000000000000"},
	 DP_DHCP4_ACK, NULL, "c0a80001", 86400, NULL, NULL, true, "eth 0/1/1/2:100", "remote01",
	 "sub-001", true},
	{"ack-infinite-lease",
	 {2, 1, 6, 0, 1, NULL, "c0a8000a", NULL, NULL, CHADDR, "3501 05 3304 ffffffff ff"},
	 DP_DHCP4_ACK, NULL, NULL, 0xffffffff, NULL, NULL, false, NULL, NULL, NULL, true},
	{"nak",
	 {2, 1, 6, 0, 2, NULL, NULL, NULL, NULL, CHADDR, "3501 06 " SRV "3805 77726f6e67 ff"},
	 DP_DHCP4_NAK, NULL, "c0a80001", -1, NULL, NULL, false, NULL, NULL, NULL, true},
	{"release",
	 {1, 1, 6, 0, 3, "c0a8000a", NULL, NULL, NULL, CHADDR, "3501 07 " SRV "ff"},
	 DP_DHCP4_RELEASE, NULL, "c0a80001", -1, NULL, NULL, false, NULL, NULL, NULL, true},
	{"inform-no-end",
	 {1, 1, 6, 0, 4, "c0a8000a", NULL, NULL, NULL, CHADDR, "3501 08"},
	 DP_DHCP4_INFORM, NULL, NULL, -1, NULL, NULL, false, NULL, NULL, NULL, false},
	{"bootp-end-only",
	 {1, 1, 6, 0, 5, NULL, NULL, NULL, NULL, CHADDR, "ff"},
	 0, NULL, NULL, -1, NULL, NULL, false, NULL, NULL, NULL, true},
	{"no-options", {2, 1, 6, 0, 6, NULL, NULL, NULL, NULL, CHADDR, ""}, 0, NULL, NULL, -1},
	{"pads-between",
	 {1, 1, 6, 0, 7, NULL, NULL, NULL, NULL, CHADDR, "00 00 3501 01 00 ff"},
	 DP_DHCP4_DISCOVER, NULL, NULL, -1, NULL, NULL, false, NULL, NULL, NULL, true},
	{"82-unknown-sub-and-repeat",
	 {1, 1, 6, 1, 8, NULL, NULL, NULL, "0a000001", CHADDR,
	  "3501 01 520f 0903 000001 0103 616161 0103 626262 520302 0161 ff"},
	 DP_DHCP4_DISCOVER, NULL, NULL, -1, NULL, NULL, true, "aaa", NULL, NULL, true},
	{"82-empty", {1, 1, 6, 1, 9, NULL, NULL, NULL, "0a000001", CHADDR, "3501 01 5200 ff"},
	 DP_DHCP4_DISCOVER, NULL, NULL, -1, NULL, NULL, true, NULL, NULL, NULL, true},
	{"first-wins",
	 {1, 1, 6, 0, 10, NULL, NULL, NULL, NULL, CHADDR,
	  "3501 03 3501 05 3204 0a000001 3204 0a000002 0c01 61 0c01 62 ff"},
	 DP_DHCP4_REQUEST, "0a000001", NULL, -1, NULL, "a", false, NULL, NULL, NULL, true},
	{"htype-infiniband-hlen-0",
	 {1, 32, 0, 0, 11, NULL, NULL, NULL, NULL, NULL, "3501 01 3d05 ff00000001 ff"},
	 DP_DHCP4_DISCOVER, NULL, NULL, -1, "ff00000001", NULL, false, NULL, NULL, NULL, true},
	{"msg-type-18", {1, 1, 6, 0, 12, NULL, NULL, NULL, NULL, CHADDR, "3501 12 ff"}, 18, NULL,
	 NULL, -1, NULL, NULL, false, NULL, NULL, NULL, true},
	{"htype-ieee802-hlen-16",
	 {1, 6, 16, 0, 13, NULL, NULL, NULL, NULL, "00112233445566778899aabbccddeeff", "ff"}, 0,
	 NULL, NULL, -1, NULL, NULL, false, NULL, NULL, NULL, true},
};

static bool view_str(const struct rt_view *v, const char *s)
{
	if (!s)
		return v->len == 0;
	return v->len == strlen(s) && memcmp(v->p, s, v->len) == 0;
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

static bool addr_eq(bool has, const uint8_t *a, const char *hex)
{
	uint8_t b[4];

	if (!hex)
		return !has;
	hex_decode(hex, b, 4);
	return has && memcmp(a, b, 4) == 0;
}

static enum dp_dhcp4_fail decode_guarded(const uint8_t *p, size_t n, struct dp_dhcp4 *o)
{
	static uint8_t *last;
	static size_t last_n;
	struct dp_cur c;

	if (last)
		guard_free(last, last_n);
	last = guard_copy(p, n);
	last_n = n;
	c = dp_cur_make(last, n);
	return dp_dhcp4_decode(&c, o);
}

static void test_valid(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		static uint8_t b[MAXPKT];
		size_t n = build(&tc->m, b);
		struct dp_dhcp4 o;
		enum dp_dhcp4_fail r;

		check_ctx = tc->name;
		memset(&o, 0xa5, sizeof(o));
		r = decode_guarded(b, n, &o);
		CHECKF(r == DP_DHCP4_OK, "got %s", dp_dhcp4_fail_str(r));
		if (r != DP_DHCP4_OK)
			continue;
		CHECK(o.op == tc->m.op && o.htype == tc->m.htype && o.hlen == tc->m.hlen);
		CHECK(o.hops == tc->m.hops && o.xid == tc->m.xid);
		CHECK(o.secs == 3 && o.flags == 0x8000);
		CHECK(memcmp(o.ciaddr, b + 12, 4) == 0 && memcmp(o.yiaddr, b + 16, 4) == 0);
		CHECK(memcmp(o.siaddr, b + 20, 4) == 0 && memcmp(o.giaddr, b + 24, 4) == 0);
		CHECK(memcmp(o.chaddr, b + 28, 16) == 0);
		CHECK(o.msg_type == tc->msg_type);
		CHECK(addr_eq(o.has_requested_ip, o.requested_ip, tc->requested_ip));
		CHECK(addr_eq(o.has_server_id, o.server_id, tc->server_id));
		CHECK(o.has_lease_time == (tc->lease >= 0));
		if (tc->lease >= 0)
			CHECK(o.lease_time == (uint32_t)tc->lease);
		CHECK(view_hex(&o.client_id, tc->client_id));
		CHECK(view_str(&o.host_name, tc->host_name));
		CHECK(o.has_relay_info == tc->relay);
		CHECK(view_str(&o.circuit_id, tc->circuit));
		CHECK(view_str(&o.remote_id, tc->remote));
		CHECK(view_str(&o.subscriber_id, tc->subscriber));
		CHECK(o.has_end == tc->end);
	}
}

struct rcase {
	const char *name;
	struct msg m;
	enum dp_dhcp4_fail want;
};

#define REQ(opts) {1, 1, 6, 0, 1, NULL, NULL, NULL, NULL, CHADDR, opts}

static const struct rcase rejects[] = {
	{"op-0", {0, 1, 6, 0, 1, NULL, NULL, NULL, NULL, CHADDR, "ff"}, DP_DHCP4_BAD_OP},
	{"op-3", {3, 1, 6, 0, 1, NULL, NULL, NULL, NULL, CHADDR, "ff"}, DP_DHCP4_BAD_OP},
	{"ethernet-hlen-5", {1, 1, 5, 0, 1, NULL, NULL, NULL, NULL, CHADDR, "ff"},
	 DP_DHCP4_BAD_HLEN},
	{"ethernet-hlen-0", {1, 1, 0, 0, 1, NULL, NULL, NULL, NULL, CHADDR, "ff"},
	 DP_DHCP4_BAD_HLEN},
	{"hlen-17", {1, 6, 17, 0, 1, NULL, NULL, NULL, NULL, CHADDR, "ff"}, DP_DHCP4_BAD_HLEN},
	{"hlen-255", {1, 6, 255, 0, 1, NULL, NULL, NULL, NULL, CHADDR, "ff"}, DP_DHCP4_BAD_HLEN},
	{"opt-hdr-trunc", REQ("35"), DP_DHCP4_OPT_HDR_TRUNC},
	{"opt-hdr-trunc-after-pad", REQ("3501 01 00 0c"), DP_DHCP4_OPT_HDR_TRUNC},
	{"opt-overflow", REQ("3505 01"), DP_DHCP4_OPT_OVERFLOW},
	{"opt-overflow-ff", REQ("3501 01 0cff 61"), DP_DHCP4_OPT_OVERFLOW},
	{"msg-type-len-0", REQ("3500 ff"), DP_DHCP4_OPT_VALUE},
	{"msg-type-len-2", REQ("3502 0101 ff"), DP_DHCP4_OPT_VALUE},
	{"requested-ip-len-3", REQ("3203 0a0000 ff"), DP_DHCP4_OPT_VALUE},
	{"server-id-len-5", REQ("3605 0a00000100 ff"), DP_DHCP4_OPT_VALUE},
	{"lease-len-3", REQ("3303 000e10 ff"), DP_DHCP4_OPT_VALUE},
	{"lease-len-8", REQ("3308 0000000000000e10 ff"), DP_DHCP4_OPT_VALUE},
	{"client-id-len-1", REQ("3d01 01 ff"), DP_DHCP4_OPT_VALUE},
	{"host-name-len-0", REQ("0c00 ff"), DP_DHCP4_OPT_VALUE},
	{"repeat-bad-after-good", REQ("3204 0a000001 3203 0a0000 ff"), DP_DHCP4_OPT_VALUE},
	{"msg-type-0", REQ("3501 00 ff"), DP_DHCP4_BAD_MSG_TYPE},
	{"msg-type-19", REQ("3501 13 ff"), DP_DHCP4_BAD_MSG_TYPE},
	{"msg-type-255", REQ("3501 ff ff"), DP_DHCP4_BAD_MSG_TYPE},
	{"repeat-bad-msg-type", REQ("3501 01 3501 00 ff"), DP_DHCP4_BAD_MSG_TYPE},
	{"overload-3", REQ("3501 01 3401 03 ff"), DP_DHCP4_OVERLOAD},
	{"overload-1", REQ("3401 01 ff"), DP_DHCP4_OVERLOAD},
	{"82-sub-hdr-trunc", REQ("5201 01 ff"), DP_DHCP4_SUBOPT_OVERFLOW},
	{"82-sub-overflow", REQ("5203 0105 61 ff"), DP_DHCP4_SUBOPT_OVERFLOW},
	{"82-sub-overflow-second", REQ("5207 0101 61 0205 6162 ff"), DP_DHCP4_SUBOPT_OVERFLOW},
	{"82-repeat-overflow", REQ("5203 0101 61 5201 02 ff"), DP_DHCP4_SUBOPT_OVERFLOW},
};

static void test_rejects(void)
{
	bool seen[DP_DHCP4_FAIL_MAX] = {false};
	static uint8_t b[MAXPKT];
	struct dp_dhcp4 o, before;
	enum dp_dhcp4_fail r;
	size_t n;

	for (size_t k = 0; k < sizeof(rejects) / sizeof(rejects[0]); k++) {
		const struct rcase *tc = &rejects[k];

		check_ctx = tc->name;
		n = build(&tc->m, b);
		memset(&o, 0x5a, sizeof(o));
		before = o;
		r = decode_guarded(b, n, &o);
		CHECKF(r == tc->want, "got %s, want %s", dp_dhcp4_fail_str(r),
		       dp_dhcp4_fail_str(tc->want));
		CHECK(memcmp(&o, &before, sizeof(o)) == 0);
		if ((unsigned)r < DP_DHCP4_FAIL_MAX)
			seen[r] = true;
	}

	check_ctx = "too-short";
	n = build(&valid[0].m, b);
	CHECK(decode_guarded(b, 0, &o) == DP_DHCP4_TOO_SHORT);
	CHECK(decode_guarded(b, 239, &o) == DP_DHCP4_TOO_SHORT);
	seen[DP_DHCP4_TOO_SHORT] = true;

	check_ctx = "bad-cookie";
	for (unsigned i = 236; i < 240; i++) {
		b[i] ^= 0x01;
		CHECK(decode_guarded(b, n, &o) == DP_DHCP4_BAD_COOKIE);
		b[i] ^= 0x01;
	}
	CHECK(decode_guarded(b, n, &o) == DP_DHCP4_OK);
	seen[DP_DHCP4_BAD_COOKIE] = true;

	check_ctx = "too-many-options";
	for (unsigned count = DP_DHCP4_MAX_OPTIONS; count <= DP_DHCP4_MAX_OPTIONS + 1; count++) {
		n = build(&valid[9].m, b); /* no options */
		for (unsigned i = 0; i < count; i++) {
			b[n++] = 0; /* pads are not counted */
			b[n++] = 254;
			b[n++] = 0;
		}
		b[n++] = 255;
		r = decode_guarded(b, n, &o);
		CHECKF(r == (count > DP_DHCP4_MAX_OPTIONS ? DP_DHCP4_TOO_MANY_OPTIONS : DP_DHCP4_OK),
		       "%u: %s", count, dp_dhcp4_fail_str(r));
		seen[r] = true;
	}

	for (unsigned len = 252; len <= 255; len++) {
		enum dp_dhcp4_fail want = len <= RT_TEXT_MAX ? DP_DHCP4_OK : DP_DHCP4_TEXT_LONG;
		static const uint8_t codes[] = {12, 61, 82};

		for (unsigned j = 0; j < 3; j++) {
			check_ctx = j == 0 ? "host-name-len" : j == 1 ? "client-id-len" : "circuit-id-len";
			n = build(&valid[9].m, b);
			b[n++] = codes[j];
			if (j == 2) {
				if (len + 2 > 255)
					continue; /* a sub-option of 254+ cannot fit option 82 */
				b[n++] = (uint8_t)(len + 2);
				b[n++] = 1;
			}
			b[n++] = (uint8_t)len;
			memset(b + n, 'h', len);
			n += len;
			b[n++] = 255;
			r = decode_guarded(b, n, &o);
			CHECKF(r == want, "len %u: %s", len, dp_dhcp4_fail_str(r));
			if (r == DP_DHCP4_TEXT_LONG)
				seen[r] = true;
		}
	}

	check_ctx = "reject-coverage";
	for (unsigned i = 1; i < DP_DHCP4_FAIL_MAX; i++)
		CHECKF(seen[i], "no case returns %s", dp_dhcp4_fail_str(i));
}

/* The result of walking a valid message's options cut to `n` bytes. */
static enum dp_dhcp4_fail cut_want(const uint8_t *b, size_t n)
{
	size_t at = 240;

	if (n < 240)
		return DP_DHCP4_TOO_SHORT;
	while (at < n) {
		if (b[at] == 0) {
			at++;
			continue;
		}
		if (b[at] == 255)
			return DP_DHCP4_OK;
		if (n - at < 2)
			return DP_DHCP4_OPT_HDR_TRUNC;
		if (n - at - 2 < b[at + 1])
			return DP_DHCP4_OPT_OVERFLOW;
		at += 2u + b[at + 1];
	}
	return DP_DHCP4_OK;
}

static void test_truncations(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		static uint8_t b[MAXPKT];
		size_t n = build(&tc->m, b);

		check_ctx = tc->name;
		for (size_t cut = 0; cut < n; cut++) {
			struct dp_dhcp4 o;
			enum dp_dhcp4_fail want = cut_want(b, cut);
			enum dp_dhcp4_fail r = decode_guarded(b, cut, &o);

			CHECKF(r == want, "cut %zu: %s, want %s", cut, dp_dhcp4_fail_str(r),
			       dp_dhcp4_fail_str(want));
		}
	}
}

static void test_names(void)
{
	static const char *const want[DP_DHCP4_FAIL_MAX] = {
		"ok",		 "too-short",	   "bad-op",	       "bad-hlen",
		"bad-cookie",	 "opt-hdr-trunc",  "opt-overflow",     "too-many-options",
		"opt-value",	 "bad-msg-type",   "overload",	       "subopt-overflow",
		"text-long",
	};

	check_ctx = "names";
	for (unsigned i = 0; i < DP_DHCP4_FAIL_MAX; i++)
		CHECKF(strcmp(dp_dhcp4_fail_str(i), want[i]) == 0, "%u: %s", i,
		       dp_dhcp4_fail_str(i));
	CHECK(strcmp(dp_dhcp4_fail_str(DP_DHCP4_FAIL_MAX), "unknown") == 0);
}

int main(void)
{
	test_valid();
	test_rejects();
	test_truncations();
	test_names();
	return check_done();
}
