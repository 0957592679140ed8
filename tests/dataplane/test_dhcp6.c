/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_dhcp6_decode(): valid Solicit, Reply (IA_NA/IAADDR, IA_PD/IAPREFIX),
 * Renew-Reply with status codes, Release, and relayed messages (one and
 * two levels, Interface-ID / Remote-ID precedence) with every decoded
 * field; every rejection reason (nested relay loops included); every
 * truncation point of each valid message; the name table.  Every input
 * sits at the end of its own heap block (ASan).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dhcp6.h"
#include "dp_check.h"

#define CID "0001 000e 00010001 2a3b4c5d 001122334455 "
#define SID "0002 000e 00010001 11223344 00aabbccddee "
#define IA_NA_ADDR                                                                       \
	"0003 0028 00000001 00000e10 00001c20 "                                           \
	"0005 0018 20010db8000100000000000000000010 00001c20 00002a30 "
#define IA_PD_PREFIX                                                                     \
	"0019 0029 00000002 00000e10 00001c20 "                                           \
	"001a 0019 00001c20 00002a30 38 20010db8ab0000000000000000000000 "
#define SOLICIT                                                                          \
	"01 123456 " CID "0003 000c 00000001 00000000 00000000 "                         \
	"0019 000c 00000002 00000000 00000000 0008 0002 0000 "
#define REPLY "07 123456 " CID SID IA_NA_ADDR IA_PD_PREFIX
#define LINK "20010db8000000000000000000000001 "
#define PEER "fe800000000000000211 22fffe334455 "
#define IFID "0012 0008 6574683 02f312f32 " /* eth0/1/2 */
#define RID "0025 000d 00000de9 72656d6f74652d3031 " /* 3561, remote-01 */

struct vcase {
	const char *name;
	const char *hex;
	uint8_t outer, type;
	uint32_t xid;
	uint8_t depth;
	const char *ifid;   /* text, NULL: absent */
	const char *rid;    /* text, NULL: absent */
	bool cid, sid;
	uint8_t na, pd, naddr, npfx;
	int status, ia_status; /* -1: absent */
};

/* Options length helpers are spelled out: every option-len was counted. */
static const struct vcase valid[] = {
	{"solicit", SOLICIT, 1, 1, 0x123456, 0, NULL, NULL, true, false, 1, 1, 0, 0, -1, -1},
	{"reply-na-pd", REPLY, 7, 7, 0x123456, 0, NULL, NULL, true, true, 1, 1, 1, 1, -1, -1},
	{"relay-forw-solicit",
	 "0c 00 " LINK PEER IFID RID "0009 003c " SOLICIT, 12, 1, 0x123456, 1, "eth0/1/2",
	 "remote-01", true, false, 1, 1, 0, 0, -1, -1},
	{"relay-repl-2-levels",
	 "0d 01 " LINK PEER "0012 0005 6f75746572 0009 00c1 "
	 "0d 00 " LINK PEER "0012 0005 696e6e6572 " RID "0009 0081 " REPLY,
	 13, 7, 0x123456, 2, "inner", "remote-01", true, true, 1, 1, 1, 1, -1, -1},
	{"relay-outer-remote-id-kept",
	 "0c 01 " LINK PEER RID "0009 0036 "
	 "0c 00 " LINK PEER IFID "0009 0004 0b 000000",
	 12, 11, 0, 2, "eth0/1/2", "remote-01", false, false, 0, 0, 0, 0, -1, -1},
	{"renew-reply-statuses",
	 "07 abcdef " CID SID "000d 0009 0000 7375636365 7373 "
	 "0003 002e 00000001 00000000 00000000 000d 0002 0003 "
	 "0005 0018 20010db8000100000000000000000010 00000000 00000000 ",
	 7, 7, 0xabcdef, 0, NULL, NULL, true, true, 1, 0, 1, 0, 0, 3},
	{"release", "08 000001 " CID SID IA_NA_ADDR, 8, 8, 1, 0, NULL, NULL, true, true, 1, 0, 1, 0,
	 -1, -1},
	{"iaaddr-status-inside",
	 "07 000002 0003 0032 00000001 00000000 00000000 "
	 "0005 0022 20010db8000100000000000000000010 00000000 00000000 000d 0006 0002 6e6f6e65",
	 7, 7, 2, 0, NULL, NULL, false, false, 1, 0, 1, 0, -1, -1},
	{"empty-interface-id", "0c 00 " LINK PEER "0012 0000 0009 0004 0b 000003", 12, 11, 3, 1, "",
	 NULL, false, false, 0, 0, 0, 0, -1, -1},
};

static bool view_eq(const struct rt_view *v, const char *s)
{
	if (!s)
		return v->len == 0;
	return v->len == strlen(s) && memcmp(v->p, s, v->len) == 0;
}

static enum dp_dhcp6_fail decode_guarded(const uint8_t *p, size_t n, struct dp_dhcp6 *o)
{
	static uint8_t *last;
	static size_t last_n;
	struct dp_cur c;

	if (last)
		guard_free(last, last_n);
	last = guard_copy(p, n);
	last_n = n;
	c = dp_cur_make(last, n);
	return dp_dhcp6_decode(&c, o);
}

static void test_valid(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		static uint8_t raw[2048];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		struct dp_dhcp6 o;
		enum dp_dhcp6_fail r;

		check_ctx = tc->name;
		memset(&o, 0xa5, sizeof(o));
		r = decode_guarded(raw, n, &o);
		CHECKF(r == DP_DHCP6_OK, "got %s", dp_dhcp6_fail_str(r));
		if (r != DP_DHCP6_OK)
			continue;
		CHECK(o.outer_type == tc->outer && o.msg_type == tc->type);
		CHECKF(o.xid == tc->xid, "%x", o.xid);
		CHECK(o.relay_depth == tc->depth);
		CHECK(view_eq(&o.interface_id, tc->ifid));
		CHECK(o.has_remote_id == (tc->rid != NULL));
		CHECK(view_eq(&o.remote_id, tc->rid));
		if (tc->rid)
			CHECK(o.remote_id_enterprise == 3561);
		CHECK((o.client_id.len == 14) == tc->cid);
		CHECK((o.server_id.len == 14) == tc->sid);
		CHECK(o.ia_na_count == tc->na && o.ia_pd_count == tc->pd);
		CHECK(o.addr_count == tc->naddr && o.prefix_count == tc->npfx);
		CHECK(!o.more_addrs && !o.more_prefixes);
		CHECK(o.has_status == (tc->status >= 0));
		if (tc->status >= 0)
			CHECK(o.status == tc->status);
		CHECK(o.has_ia_status == (tc->ia_status >= 0));
		if (tc->ia_status >= 0)
			CHECK(o.ia_status == tc->ia_status);
		if (tc->depth)
			CHECK(memcmp(o.peer_addr, "\xfe\x80", 2) == 0 &&
			      memcmp(o.link_addr, "\x20\x01\x0d\xb8", 4) == 0);
	}

	/* field values of the Reply */
	static uint8_t raw[1024];
	size_t n = hex_decode(REPLY, raw, sizeof(raw));
	struct dp_dhcp6 o;
	uint8_t want[16];

	check_ctx = "reply-values";
	CHECK(decode_guarded(raw, n, &o) == DP_DHCP6_OK);
	hex_decode("20010db8000100000000000000000010", want, 16);
	CHECK(o.addrs[0].iaid == 1 && memcmp(o.addrs[0].addr, want, 16) == 0);
	CHECK(o.addrs[0].preferred == 7200 && o.addrs[0].valid == 10800);
	hex_decode("20010db8ab0000000000000000000000", want, 16);
	CHECK(o.prefixes[0].iaid == 2 && o.prefixes[0].prefix.present);
	CHECK(o.prefixes[0].prefix.plen == 56 && memcmp(o.prefixes[0].prefix.a, want, 16) == 0);
	CHECK(o.prefixes[0].preferred == 7200 && o.prefixes[0].valid == 10800);
	CHECK(memcmp(o.client_id.p, "\x00\x01\x00\x01\x2a\x3b", 6) == 0);

	check_ctx = "iaaddr-status-values";
	n = hex_decode(valid[7].hex, raw, sizeof(raw));
	CHECK(decode_guarded(raw, n, &o) == DP_DHCP6_OK);
	CHECK(o.addrs[0].has_status && o.addrs[0].status == 2);

	check_ctx = "more-leases";
	{
		size_t m = hex_decode("07 000001 0003 0000 00000009 00000000 00000000", raw, 64);
		size_t ia_len_at = 6;

		for (unsigned i = 0; i < DP_DHCP6_MAX_LEASES + 1; i++)
			m += hex_decode("0005 0018 20010db8000100000000000000000010 00000001 00000002",
					raw + m, 64);
		raw[ia_len_at] = (uint8_t)((m - 8) >> 8);
		raw[ia_len_at + 1] = (uint8_t)(m - 8);
		CHECK(decode_guarded(raw, m, &o) == DP_DHCP6_OK);
		CHECK(o.addr_count == DP_DHCP6_MAX_LEASES && o.more_addrs);
	}
}

struct rcase {
	const char *name;
	const char *hex;
	enum dp_dhcp6_fail want;
};

static const struct rcase rejects[] = {
	{"empty", "", DP_DHCP6_TOO_SHORT},
	{"msg-3", "01 1234", DP_DHCP6_TOO_SHORT},
	{"relay-33", "0c 00 " LINK "fe80000000000000021122fffe3344", DP_DHCP6_TOO_SHORT},
	{"relay-empty-inner", "0c 00 " LINK PEER "0009 0000", DP_DHCP6_TOO_SHORT},
	{"relay-inner-3", "0c 00 " LINK PEER "0009 0003 010000", DP_DHCP6_TOO_SHORT},
	{"type-0", "00 123456", DP_DHCP6_BAD_MSG_TYPE},
	{"type-14", "0e 123456", DP_DHCP6_BAD_MSG_TYPE},
	{"type-255", "ff 123456", DP_DHCP6_BAD_MSG_TYPE},
	{"inner-type-0", "0c 00 " LINK PEER "0009 0004 00123456", DP_DHCP6_BAD_MSG_TYPE},
	{"no-relay-msg", "0c 00 " LINK PEER IFID, DP_DHCP6_NO_RELAY_MSG},
	{"no-relay-msg-empty", "0d 00 " LINK PEER, DP_DHCP6_NO_RELAY_MSG},
	{"opt-hdr-1", "01 123456 00", DP_DHCP6_OPT_HDR_TRUNC},
	{"opt-hdr-3", "01 123456 " CID "000100", DP_DHCP6_OPT_HDR_TRUNC},
	{"opt-overflow", "01 123456 0001 0010 0001", DP_DHCP6_OPT_OVERFLOW},
	{"opt-overflow-in-ia", "07 123456 0003 000e 00000001 00000000 00000000 0005",
	 DP_DHCP6_OPT_HDR_TRUNC},
	{"opt-overflow-in-iaaddr", "07 123456 0003 0011 00000001 00000000 00000000 0005 0019 00",
	 DP_DHCP6_OPT_OVERFLOW},
	{"opt-overflow-relay", "0c 00 " LINK PEER "0009 0010 01123456", DP_DHCP6_OPT_OVERFLOW},
	{"client-id-1", "01 123456 0001 0001 00", DP_DHCP6_OPT_VALUE},
	{"server-id-0", "07 123456 0002 0000", DP_DHCP6_OPT_VALUE},
	{"ia-na-11", "01 123456 0003 000b 0000000100000000000000", DP_DHCP6_OPT_VALUE},
	{"ia-pd-0", "01 123456 0019 0000", DP_DHCP6_OPT_VALUE},
	{"iaaddr-23", "07 123456 0003 0027 00000001 00000000 00000000 0005 0017 "
		      "20010db8000100000000000000000010 00000000 000000",
	 DP_DHCP6_OPT_VALUE},
	{"iaprefix-24", "07 123456 0019 0028 00000002 00000000 00000000 001a 0018 "
			"00000000 00000000 20010db8ab0000000000000000000000",
	 DP_DHCP6_OPT_VALUE},
	{"iaprefix-plen-129", "07 123456 0019 0029 00000002 00000000 00000000 001a 0019 "
			      "00000000 00000000 81 20010db8ab0000000000000000000000",
	 DP_DHCP6_OPT_VALUE},
	{"status-1", "07 123456 000d 0001 00", DP_DHCP6_OPT_VALUE},
	{"ia-status-0", "07 123456 0003 0010 00000001 00000000 00000000 000d 0000",
	 DP_DHCP6_OPT_VALUE},
	{"remote-id-3", "0c 00 " LINK PEER "0025 0003 000de9 0009 0004 0b000003",
	 DP_DHCP6_OPT_VALUE},
};

static void test_rejects(void)
{
	bool seen[DP_DHCP6_FAIL_MAX] = {false};
	static uint8_t b[16384];
	struct dp_dhcp6 o, before;
	enum dp_dhcp6_fail r;

	for (size_t k = 0; k < sizeof(rejects) / sizeof(rejects[0]); k++) {
		const struct rcase *tc = &rejects[k];
		size_t n = hex_decode(tc->hex, b, sizeof(b));

		check_ctx = tc->name;
		memset(&o, 0x5a, sizeof(o));
		before = o;
		r = decode_guarded(b, n, &o);
		CHECKF(r == tc->want, "got %s, want %s", dp_dhcp6_fail_str(r),
		       dp_dhcp6_fail_str(tc->want));
		CHECK(memcmp(&o, &before, sizeof(o)) == 0);
		if ((unsigned)r < DP_DHCP6_FAIL_MAX)
			seen[r] = true;
	}

	/* nested relays: 8 unwrap, 9 is a loop */
	check_ctx = "relay-depth";
	for (unsigned depth = DP_DHCP6_MAX_RELAY; depth <= DP_DHCP6_MAX_RELAY + 1; depth++) {
		size_t inner_len = 4, n = 0;

		/* build inside out: Information-Request, then relays */
		uint8_t tmp[1024];
		hex_decode("0b 000001", tmp, 4);
		for (unsigned i = 0; i < depth; i++) {
			n = hex_decode("0c 00 " LINK PEER, b, 64);
			b[n++] = 0;
			b[n++] = 9;
			b[n++] = (uint8_t)(inner_len >> 8);
			b[n++] = (uint8_t)inner_len;
			memcpy(b + n, tmp, inner_len);
			n += inner_len;
			memcpy(tmp, b, n);
			inner_len = n;
		}
		r = decode_guarded(b, n, &o);
		CHECKF(r == (depth > DP_DHCP6_MAX_RELAY ? DP_DHCP6_RELAY_DEPTH : DP_DHCP6_OK),
		       "depth %u: %s", depth, dp_dhcp6_fail_str(r));
		if (r == DP_DHCP6_OK)
			CHECK(o.relay_depth == depth && o.msg_type == 11);
		seen[r] = true;
	}

	check_ctx = "too-many-options";
	for (unsigned count = DP_DHCP6_MAX_OPTIONS; count <= DP_DHCP6_MAX_OPTIONS + 1; count++) {
		size_t n = hex_decode("01 123456", b, 8);

		for (unsigned i = 0; i < count; i++)
			n += hex_decode("0008 0002 0000", b + n, 8);
		r = decode_guarded(b, n, &o);
		CHECKF(r == (count > DP_DHCP6_MAX_OPTIONS ? DP_DHCP6_TOO_MANY_OPTIONS : DP_DHCP6_OK),
		       "%u: %s", count, dp_dhcp6_fail_str(r));
		seen[r] = true;
	}

	check_ctx = "duid-length";
	for (unsigned len = 252; len <= 255; len++) {
		size_t n = hex_decode("01 123456 0001", b, 8);

		b[n++] = 0;
		b[n++] = (uint8_t)len;
		memset(b + n, 0x01, len);
		n += len;
		r = decode_guarded(b, n, &o);
		CHECKF(r == (len <= RT_TEXT_MAX ? DP_DHCP6_OK : DP_DHCP6_TEXT_LONG), "%u: %s", len,
		       dp_dhcp6_fail_str(r));
		seen[r] = true;
	}

	check_ctx = "reject-coverage";
	for (unsigned i = 1; i < DP_DHCP6_FAIL_MAX; i++)
		CHECKF(seen[i], "no case returns %s", dp_dhcp6_fail_str(i));
}

/* Every cut of every valid message: too-short inside the header, then the
 * top-level option walk decides -- OK at an option boundary (no-relay-msg
 * for a relay whose Relay-Message was cut away), opt-hdr-trunc 1..3 bytes
 * past one, opt-overflow otherwise. */
static void test_truncations(void)
{
	for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++) {
		const struct vcase *tc = &valid[k];
		static uint8_t raw[2048];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		bool relay = raw[0] == 12 || raw[0] == 13;
		size_t hdr = relay ? 34 : 4;

		check_ctx = tc->name;
		for (size_t cut = 0; cut < n; cut++) {
			struct dp_dhcp6 o;
			enum dp_dhcp6_fail want = DP_DHCP6_OK, r;
			size_t at = hdr;
			bool msg = false;

			if (cut < hdr) {
				want = DP_DHCP6_TOO_SHORT;
			} else {
				while (at < cut) {
					size_t olen;

					if (cut - at < 4) {
						want = DP_DHCP6_OPT_HDR_TRUNC;
						break;
					}
					olen = (size_t)raw[at + 2] << 8 | raw[at + 3];
					if (cut - at - 4 < olen) {
						want = DP_DHCP6_OPT_OVERFLOW;
						break;
					}
					if (raw[at] == 0 && raw[at + 1] == 9)
						msg = true;
					at += 4 + olen;
				}
				if (want == DP_DHCP6_OK && relay && !msg)
					want = DP_DHCP6_NO_RELAY_MSG;
			}
			r = decode_guarded(raw, cut, &o);
			CHECKF(r == want, "cut %zu: %s, want %s", cut, dp_dhcp6_fail_str(r),
			       dp_dhcp6_fail_str(want));
		}
	}
}

static void test_names(void)
{
	static const char *const want[DP_DHCP6_FAIL_MAX] = {
		"ok",		 "too-short",	 "bad-msg-type", "relay-depth", "no-relay-msg",
		"opt-hdr-trunc", "opt-overflow", "too-many-options", "opt-value", "text-long",
	};

	check_ctx = "names";
	for (unsigned i = 0; i < DP_DHCP6_FAIL_MAX; i++)
		CHECKF(strcmp(dp_dhcp6_fail_str(i), want[i]) == 0, "%u: %s", i,
		       dp_dhcp6_fail_str(i));
	CHECK(strcmp(dp_dhcp6_fail_str(DP_DHCP6_FAIL_MAX), "unknown") == 0);
}

int main(void)
{
	test_valid();
	test_rejects();
	test_truncations();
	test_names();
	return check_done();
}
