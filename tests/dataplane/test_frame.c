/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dp_frame_decode(): table-driven hex-in / expected-out cases for every
 * result code and every VLAN spelling, then every truncation point of each
 * valid frame.  Every input sits at the end of its own heap block (ASan).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dp_check.h"
#include "frame.h"

/* Building blocks.  All UDP frames carry 10.0.0.1:1024 -> 10.0.0.2:1813 or
 * 2001:db8::1:1024 -> 2001:db8::2:1813 and the payload de ad be ef. */
#define MACS "ffffffffffff 020000000001 "
#define PAY "deadbeef"
#define UDP_HDR "0400 0715 000c 0000 "
#define V4_ADDRS "0a000001 0a000002 "
/* IPv4, IHL 5, total length 32, UDP */
#define IP4 "4500 0020 0001 0000 4011 0000 " V4_ADDRS
#define IP4_UDP IP4 UDP_HDR PAY
#define V6_ADDRS "20010db8000000000000000000000001 20010db8000000000000000000000002 "
/* IPv6 header with next header nh and payload length plen (4 hex digits). */
#define IP6(plen, nh) "6000 0000 " plen " " nh " 40 " V6_ADDRS
#define IP6_UDP IP6("000c", "11") UDP_HDR PAY
#define PAD14 "0000000000000000000000000000"
#define SLL_HDR "0000 0001 0006 020000000001 0000 "
#define DSTOPTS_UDP "3c00010400000000" /* Destination Options, next = 60 */

enum fam { F_NONE = 0, F4 = 4, F6 = 6 };

struct fcase {
	const char *name;
	int link;
	const char *hex;
	enum dp_frame_res res;
	/* when res == DP_FRAME_UDP: */
	enum fam fam;
	int poff, plen;
	uint8_t nvlan;
	uint16_t vlan[DP_FRAME_MAX_VLAN];
};

static const struct fcase cases[] = {
	/* --- Ethernet II, no VLAN --- */
	{"eth-ipv4-udp", DP_LINK_ETHERNET, MACS "0800" IP4_UDP, DP_FRAME_UDP, F4, 42, 4},
	{"eth-ipv4-padding", DP_LINK_ETHERNET, MACS "0800" IP4_UDP PAD14, DP_FRAME_UDP, F4, 42, 4},
	{"eth-ipv6-udp", DP_LINK_ETHERNET, MACS "86dd" IP6_UDP, DP_FRAME_UDP, F6, 62, 4},
	{"eth-ipv6-padding", DP_LINK_ETHERNET, MACS "86dd" IP6_UDP PAD14, DP_FRAME_UDP, F6, 62,
	 4},
	{"eth-empty", DP_LINK_ETHERNET, "", DP_FRAME_TRUNC_L2},
	{"eth-13", DP_LINK_ETHERNET, "ffffffffffff 020000000001 08", DP_FRAME_TRUNC_L2},
	{"eth-arp", DP_LINK_ETHERNET,
	 MACS "0806 0001 0800 0604 0001 020000000001 0a000001 000000000000 0a000002",
	 DP_FRAME_NOT_IP},
	{"eth-pppoe-session", DP_LINK_ETHERNET, MACS "8864 1100 0001 0002 c021", DP_FRAME_NOT_IP},
	{"eth-8023-length", DP_LINK_ETHERNET, MACS "0026 aaaa03000000", DP_FRAME_NOT_IP},
	{"eth-only-header", DP_LINK_ETHERNET, MACS "0800", DP_FRAME_TRUNC_IP},

	/* --- VLAN tags: 802.1Q, 802.1ad QinQ, 0x9100 QinQ, depth --- */
	{"vlan-8100", DP_LINK_ETHERNET, MACS "8100 0064 0800" IP4_UDP, DP_FRAME_UDP, F4, 46, 4, 1,
	 {100}},
	{"vlan-8100-pcp-dei", DP_LINK_ETHERNET, MACS "8100 f064 0800" IP4_UDP, DP_FRAME_UDP, F4,
	 46, 4, 1, {100}},
	{"vlan-8100-ipv6", DP_LINK_ETHERNET, MACS "8100 0fff 86dd" IP6_UDP, DP_FRAME_UDP, F6, 66,
	 4, 1, {4095}},
	{"qinq-88a8", DP_LINK_ETHERNET, MACS "88a8 00c8 8100 0064 0800" IP4_UDP, DP_FRAME_UDP, F4,
	 50, 4, 2, {200, 100}},
	{"qinq-9100", DP_LINK_ETHERNET, MACS "9100 012c 8100 0064 0800" IP4_UDP, DP_FRAME_UDP, F4,
	 50, 4, 2, {300, 100}},
	{"qinq-88a8-88a8", DP_LINK_ETHERNET, MACS "88a8 0001 88a8 0002 86dd" IP6_UDP, DP_FRAME_UDP,
	 F6, 70, 4, 2, {1, 2}},
	{"vlan-3", DP_LINK_ETHERNET, MACS "88a8 0001 9100 0002 8100 0003 0800" IP4_UDP,
	 DP_FRAME_UDP, F4, 54, 4, 3, {1, 2, 3}},
	{"vlan-4-max", DP_LINK_ETHERNET,
	 MACS "88a8 0001 9100 0002 8100 0003 8100 0004 0800" IP4_UDP, DP_FRAME_UDP, F4, 58, 4, 4,
	 {1, 2, 3, 4}},
	{"vlan-5-depth", DP_LINK_ETHERNET,
	 MACS "88a8 0001 9100 0002 8100 0003 8100 0004 8100 0005 0800" IP4_UDP,
	 DP_FRAME_VLAN_DEPTH},
	{"vlan-5-depth-truncated", DP_LINK_ETHERNET,
	 MACS "8100 0001 8100 0002 8100 0003 8100 0004 8100", DP_FRAME_VLAN_DEPTH},
	{"vlan-tci-cut", DP_LINK_ETHERNET, MACS "8100 00", DP_FRAME_TRUNC_L2},
	{"vlan-no-inner-type", DP_LINK_ETHERNET, MACS "8100 0064", DP_FRAME_TRUNC_L2},
	{"vlan-inner-type-cut", DP_LINK_ETHERNET, MACS "8100 0064 08", DP_FRAME_TRUNC_L2},
	{"qinq-inner-tag-cut", DP_LINK_ETHERNET, MACS "88a8 00c8 8100 00", DP_FRAME_TRUNC_L2},
	{"vlan-arp", DP_LINK_ETHERNET, MACS "8100 0064 0806 0001 0800 0604 0001",
	 DP_FRAME_NOT_IP},
	{"qinq-pppoe", DP_LINK_ETHERNET, MACS "88a8 00c8 8100 0064 8863 1109 0000 0000",
	 DP_FRAME_NOT_IP},

	/* --- IPv4 header --- */
	{"ip4-version-6", DP_LINK_ETHERNET,
	 MACS "0800 6500 0020 0001 0000 4011 0000 " V4_ADDRS UDP_HDR PAY, DP_FRAME_BAD_IP},
	{"ip4-ihl-4", DP_LINK_ETHERNET,
	 MACS "0800 4400 0020 0001 0000 4011 0000 " V4_ADDRS UDP_HDR PAY, DP_FRAME_BAD_IP},
	{"ip4-ihl-0", DP_LINK_ETHERNET,
	 MACS "0800 4000 0020 0001 0000 4011 0000 " V4_ADDRS UDP_HDR PAY, DP_FRAME_BAD_IP},
	{"ip4-totlen-19", DP_LINK_ETHERNET,
	 MACS "0800 4500 0013 0001 0000 4011 0000 " V4_ADDRS UDP_HDR PAY, DP_FRAME_BAD_IP},
	{"ip4-totlen-below-ihl", DP_LINK_ETHERNET,
	 MACS "0800 4600 0014 0001 0000 4011 0000 " V4_ADDRS "01010101" UDP_HDR PAY,
	 DP_FRAME_BAD_IP},
	{"ip4-totlen-over-caplen", DP_LINK_ETHERNET,
	 MACS "0800 4500 0021 0001 0000 4011 0000 " V4_ADDRS UDP_HDR PAY, DP_FRAME_TRUNC_IP},
	{"ip4-hdr-19", DP_LINK_ETHERNET, MACS "0800 4500 0020 0001 0000 4011 0000 0a000001 0a0000",
	 DP_FRAME_TRUNC_IP},
	{"ip4-ihl-over-caplen", DP_LINK_ETHERNET,
	 MACS "0800 4f00 0040 0001 0000 4011 0000 " V4_ADDRS UDP_HDR PAY, DP_FRAME_TRUNC_IP},
	{"ip4-ihl-over-totlen", DP_LINK_ETHERNET,
	 MACS "0800 4f00 0020 0001 0000 4011 0000 " V4_ADDRS UDP_HDR PAY, DP_FRAME_BAD_IP},
	{"ip4-options", DP_LINK_ETHERNET,
	 MACS "0800 4600 0024 0001 0000 4011 0000 " V4_ADDRS "94040000" UDP_HDR PAY,
	 DP_FRAME_UDP, F4, 46, 4},
	{"ip4-df", DP_LINK_ETHERNET, MACS "0800 4500 0020 0001 4000 4011 0000 " V4_ADDRS UDP_HDR PAY,
	 DP_FRAME_UDP, F4, 42, 4},
	{"ip4-mf", DP_LINK_ETHERNET, MACS "0800 4500 0020 0001 2000 4011 0000 " V4_ADDRS UDP_HDR PAY,
	 DP_FRAME_FRAGMENT},
	{"ip4-offset", DP_LINK_ETHERNET,
	 MACS "0800 4500 0020 0001 0001 4011 0000 " V4_ADDRS UDP_HDR PAY, DP_FRAME_FRAGMENT},
	{"ip4-last-fragment", DP_LINK_ETHERNET,
	 MACS "0800 4500 0020 0001 40b9 4011 0000 " V4_ADDRS UDP_HDR PAY, DP_FRAME_FRAGMENT},
	{"ip4-tcp", DP_LINK_ETHERNET,
	 MACS "0800 4500 0028 0001 0000 4006 0000 " V4_ADDRS "0400 0050 00000000 00000000 5000 0000 0000 0000",
	 DP_FRAME_NOT_UDP},
	{"ip4-icmp", DP_LINK_ETHERNET, MACS "0800 4500 001c 0001 0000 4001 0000 " V4_ADDRS "0800f7ff00000000",
	 DP_FRAME_NOT_UDP},

	/* --- UDP header --- */
	{"udp-cut-in-ip", DP_LINK_ETHERNET, MACS "0800 4500 0018 0001 0000 4011 0000 " V4_ADDRS "0400 0715",
	 DP_FRAME_TRUNC_UDP},
	{"udp-no-header", DP_LINK_ETHERNET, MACS "0800 4500 0014 0001 0000 4011 0000 " V4_ADDRS,
	 DP_FRAME_TRUNC_UDP},
	{"udp-len-7", DP_LINK_ETHERNET, MACS "0800" IP4 "0400 0715 0007 0000" PAY, DP_FRAME_BAD_UDP},
	{"udp-len-0", DP_LINK_ETHERNET, MACS "0800" IP4 "0400 0715 0000 0000" PAY, DP_FRAME_BAD_UDP},
	{"udp-len-over-ip", DP_LINK_ETHERNET, MACS "0800" IP4 "0400 0715 000d 0000" PAY,
	 DP_FRAME_BAD_UDP},
	{"udp-len-over-ip-into-padding", DP_LINK_ETHERNET,
	 MACS "0800" IP4 "0400 0715 0010 0000" PAY PAD14, DP_FRAME_BAD_UDP},
	{"udp-len-below-ip", DP_LINK_ETHERNET, MACS "0800" IP4 "0400 0715 000a 0000" PAY,
	 DP_FRAME_UDP, F4, 42, 2},
	{"udp-len-8", DP_LINK_ETHERNET, MACS "0800" IP4 "0400 0715 0008 0000" PAY, DP_FRAME_UDP, F4,
	 42, 0},

	/* --- IPv6 and extension headers --- */
	{"ip6-version-4", DP_LINK_ETHERNET, MACS "86dd 4000 0000 000c 1140 " V6_ADDRS UDP_HDR PAY,
	 DP_FRAME_BAD_IP},
	{"ip6-hdr-39", DP_LINK_ETHERNET,
	 MACS "86dd 6000 0000 000c 1140 20010db8000000000000000000000001 20010db80000000000000000000000",
	 DP_FRAME_TRUNC_IP},
	{"ip6-plen-over-caplen", DP_LINK_ETHERNET, MACS "86dd" IP6("000d", "11") UDP_HDR PAY,
	 DP_FRAME_TRUNC_IP},
	{"ip6-plen-below-udp", DP_LINK_ETHERNET, MACS "86dd" IP6("000b", "11") UDP_HDR PAY,
	 DP_FRAME_BAD_UDP},
	{"ip6-plen-4", DP_LINK_ETHERNET, MACS "86dd" IP6("0004", "11") UDP_HDR PAY,
	 DP_FRAME_TRUNC_UDP},
	{"ip6-tcp", DP_LINK_ETHERNET, MACS "86dd" IP6("0014", "06") "0400 0050 00000000 00000000 5000 0000 0000 0000",
	 DP_FRAME_NOT_UDP},
	{"ip6-no-next-header", DP_LINK_ETHERNET, MACS "86dd" IP6("0000", "3b"), DP_FRAME_NOT_UDP},
	{"ip6-esp", DP_LINK_ETHERNET, MACS "86dd" IP6("0008", "32") "0000000100000001",
	 DP_FRAME_NOT_UDP},
	{"ip6-hop-by-hop", DP_LINK_ETHERNET, MACS "86dd" IP6("0014", "00") "1100010400000000" UDP_HDR PAY,
	 DP_FRAME_UDP, F6, 70, 4},
	{"ip6-routing", DP_LINK_ETHERNET, MACS "86dd" IP6("0014", "2b") "1100000000000000" UDP_HDR PAY,
	 DP_FRAME_UDP, F6, 70, 4},
	{"ip6-dstopts", DP_LINK_ETHERNET, MACS "86dd" IP6("0014", "3c") "1100010400000000" UDP_HDR PAY,
	 DP_FRAME_UDP, F6, 70, 4},
	{"ip6-dstopts-16", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("001c", "3c") "1101010c000000000000000000000000" UDP_HDR PAY, DP_FRAME_UDP,
	 F6, 78, 4},
	{"ip6-ah", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("0018", "33") "1101 0000 00000001 00000001" UDP_HDR PAY, DP_FRAME_UDP, F6,
	 74, 4},
	{"ip6-chain-hbh-rt-dst", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("0024", "00") "2b00010400000000 3c00000000000000 1100010400000000" UDP_HDR PAY,
	 DP_FRAME_UDP, F6, 86, 4},
	{"ip6-fragment-first", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("0014", "2c") "1100 0001 12345678" UDP_HDR PAY, DP_FRAME_FRAGMENT},
	{"ip6-fragment-later", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("0014", "2c") "1100 00a8 12345678" UDP_HDR PAY, DP_FRAME_FRAGMENT},
	{"ip6-fragment-after-hbh", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("001c", "00") "2c00010400000000 1100 0009 12345678" UDP_HDR PAY,
	 DP_FRAME_FRAGMENT},
	{"ip6-atomic-fragment", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("0014", "2c") "1100 0000 12345678" UDP_HDR PAY, DP_FRAME_UDP, F6, 70, 4},
	{"ip6-fragment-cut", DP_LINK_ETHERNET, MACS "86dd" IP6("0004", "2c") "1100 0001",
	 DP_FRAME_TRUNC_IP},
	{"ip6-ext-cut-1", DP_LINK_ETHERNET, MACS "86dd" IP6("0001", "00") "11", DP_FRAME_TRUNC_IP},
	{"ip6-ext-cut-6", DP_LINK_ETHERNET, MACS "86dd" IP6("0006", "00") "110001040000",
	 DP_FRAME_TRUNC_IP},
	{"ip6-ext-len-over-payload", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("000c", "00") "1101010c00000000 00000000", DP_FRAME_TRUNC_IP},
	{"ip6-ah-cut", DP_LINK_ETHERNET, MACS "86dd" IP6("0008", "33") "1101 0000 00000001",
	 DP_FRAME_TRUNC_IP},
	{"ip6-ext-8-max", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("004c", "3c") DSTOPTS_UDP DSTOPTS_UDP DSTOPTS_UDP DSTOPTS_UDP DSTOPTS_UDP
		 DSTOPTS_UDP DSTOPTS_UDP "1100010400000000" UDP_HDR PAY,
	 DP_FRAME_UDP, F6, 126, 4},
	{"ip6-ext-9-too-many", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("0054", "3c") DSTOPTS_UDP DSTOPTS_UDP DSTOPTS_UDP DSTOPTS_UDP DSTOPTS_UDP
		 DSTOPTS_UDP DSTOPTS_UDP DSTOPTS_UDP "1100010400000000" UDP_HDR PAY,
	 DP_FRAME_BAD_IP},

	/* --- Linux cooked capture (SLL) --- */
	{"sll-ipv4", DP_LINK_LINUX_SLL, SLL_HDR "0800" IP4_UDP, DP_FRAME_UDP, F4, 44, 4},
	{"sll-ipv6", DP_LINK_LINUX_SLL, SLL_HDR "86dd" IP6_UDP, DP_FRAME_UDP, F6, 64, 4},
	{"sll-vlan", DP_LINK_LINUX_SLL, SLL_HDR "8100 0064 0800" IP4_UDP, DP_FRAME_UDP, F4, 48, 4, 1,
	 {100}},
	{"sll-arp", DP_LINK_LINUX_SLL, SLL_HDR "0806 0001 0800 0604 0001", DP_FRAME_NOT_IP},
	{"sll-15", DP_LINK_LINUX_SLL, "0000 0001 0006 020000000001 0000 08", DP_FRAME_TRUNC_L2},
	{"sll-empty", DP_LINK_LINUX_SLL, "", DP_FRAME_TRUNC_L2},

	/* --- raw IP link types --- */
	{"raw-ipv4", DP_LINK_RAW, IP4_UDP, DP_FRAME_UDP, F4, 28, 4},
	{"raw-ipv6", DP_LINK_RAW, IP6_UDP, DP_FRAME_UDP, F6, 48, 4},
	{"raw-version-5", DP_LINK_RAW, "5500 0020 0001 0000 4011 0000 " V4_ADDRS UDP_HDR PAY,
	 DP_FRAME_BAD_IP},
	{"raw-version-0", DP_LINK_RAW, "00", DP_FRAME_BAD_IP},
	{"raw-empty", DP_LINK_RAW, "", DP_FRAME_TRUNC_IP},
	{"raw-ipv4-1-byte", DP_LINK_RAW, "45", DP_FRAME_TRUNC_IP},
	{"raw-ipv6-1-byte", DP_LINK_RAW, "60", DP_FRAME_TRUNC_IP},
	{"linktype-ipv4", DP_LINK_IPV4, IP4_UDP, DP_FRAME_UDP, F4, 28, 4},
	{"linktype-ipv4-gets-v6", DP_LINK_IPV4, IP6_UDP, DP_FRAME_BAD_IP},
	{"linktype-ipv4-empty", DP_LINK_IPV4, "", DP_FRAME_TRUNC_IP},
	{"linktype-ipv6", DP_LINK_IPV6, IP6_UDP, DP_FRAME_UDP, F6, 48, 4},
	{"linktype-ipv6-gets-v4", DP_LINK_IPV6,
	 IP4_UDP "00000000000000000000000000000000000000000000", DP_FRAME_BAD_IP},
	{"linktype-ipv6-empty", DP_LINK_IPV6, "", DP_FRAME_TRUNC_IP},

	/* --- link types not supported --- */
	{"linktype-0", 0, MACS "0800" IP4_UDP, DP_FRAME_BAD_LINK},
	{"linktype-105", 105, MACS "0800" IP4_UDP, DP_FRAME_BAD_LINK},
	{"linktype-negative", -1, "", DP_FRAME_BAD_LINK},
};

static const uint8_t v4_src[4] = {10, 0, 0, 1}, v4_dst[4] = {10, 0, 0, 2};
static const uint8_t v6_src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t zero16[16];

static void check_udp_fields(const struct fcase *tc, const uint8_t *pkt, const struct dp_frame *f)
{
	CHECK(f->payload == pkt + tc->poff);
	CHECKF(f->payload_len == (size_t)tc->plen, "%zu", f->payload_len);
	if (tc->plen > 0)
		CHECK(memcmp(f->payload, "\xde\xad\xbe\xef", (size_t)tc->plen) == 0);
	CHECK(f->sport == 1024);
	CHECK(f->dport == 1813);
	CHECK(f->src.family == tc->fam);
	CHECK(f->dst.family == tc->fam);
	if (tc->fam == F4) {
		CHECK(memcmp(f->src.a, v4_src, 4) == 0);
		CHECK(memcmp(f->dst.a, v4_dst, 4) == 0);
		CHECK(memcmp(f->src.a + 4, zero16, 12) == 0);
		CHECK(memcmp(f->dst.a + 4, zero16, 12) == 0);
	} else {
		CHECK(memcmp(f->src.a, v6_src, 16) == 0);
		CHECK(memcmp(f->dst.a, v6_dst, 16) == 0);
	}
	CHECKF(f->vlan_count == tc->nvlan, "%u", f->vlan_count);
	for (unsigned i = 0; i < DP_FRAME_MAX_VLAN; i++)
		CHECKF(f->vlan[i] == (i < tc->nvlan ? tc->vlan[i] : 0), "vlan[%u] = %u", i,
		       f->vlan[i]);
}

static void run_cases(void)
{
	bool seen[DP_FRAME_RES_MAX] = {false};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct fcase *tc = &cases[k];
		uint8_t raw[512];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		uint8_t *pkt = guard_copy(raw, n);
		struct dp_frame f, untouched;
		enum dp_frame_res r;

		check_ctx = tc->name;
		memset(&f, 0xa5, sizeof(f));
		untouched = f;
		r = dp_frame_decode(pkt, n, tc->link, &f);
		CHECKF(r == tc->res, "got %s, want %s", dp_frame_res_str(r),
		       dp_frame_res_str(tc->res));
		seen[r] = true;
		if (r == DP_FRAME_UDP && tc->res == DP_FRAME_UDP)
			check_udp_fields(tc, pkt, &f);
		else if (r != DP_FRAME_UDP)
			/* ret is an out-param: untouched unless decoded */
			CHECK(memcmp(&f, &untouched, sizeof(f)) == 0);
		guard_free(pkt, n);
	}
	check_ctx = "coverage";
	for (unsigned i = 0; i < DP_FRAME_RES_MAX; i++)
		CHECKF(seen[i], "no case returns %s", dp_frame_res_str(i));
}

/* Every cut of a valid frame: shorter than its link header -> trunc-l2,
 * otherwise trunc-ip (the IP length covers the rest).  Never UDP. */
struct tcase {
	const char *name;
	int link;
	const char *hex;
	size_t l2len;
};

static const struct tcase trunc_cases[] = {
	{"trunc-eth-ipv4", DP_LINK_ETHERNET, MACS "0800" IP4_UDP, 14},
	{"trunc-eth-ipv6", DP_LINK_ETHERNET, MACS "86dd" IP6_UDP, 14},
	{"trunc-vlan", DP_LINK_ETHERNET, MACS "8100 0064 0800" IP4_UDP, 18},
	{"trunc-qinq", DP_LINK_ETHERNET, MACS "88a8 00c8 8100 0064 86dd" IP6_UDP, 22},
	{"trunc-qinq-9100", DP_LINK_ETHERNET, MACS "9100 012c 8100 0064 0800" IP4_UDP, 22},
	{"trunc-vlan-4", DP_LINK_ETHERNET,
	 MACS "88a8 0001 9100 0002 8100 0003 8100 0004 0800" IP4_UDP, 30},
	{"trunc-ip4-options", DP_LINK_ETHERNET,
	 MACS "0800 4600 0024 0001 0000 4011 0000 " V4_ADDRS "94040000" UDP_HDR PAY, 14},
	{"trunc-ip6-chain", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("0024", "00") "2b00010400000000 3c00000000000000 1100010400000000" UDP_HDR PAY,
	 14},
	{"trunc-ip6-ah", DP_LINK_ETHERNET,
	 MACS "86dd" IP6("0018", "33") "1101 0000 00000001 00000001" UDP_HDR PAY, 14},
	{"trunc-sll", DP_LINK_LINUX_SLL, SLL_HDR "0800" IP4_UDP, 16},
	{"trunc-sll-vlan", DP_LINK_LINUX_SLL, SLL_HDR "8100 0064 86dd" IP6_UDP, 20},
	{"trunc-raw-ipv4", DP_LINK_RAW, IP4_UDP, 0},
	{"trunc-raw-ipv6", DP_LINK_RAW, IP6_UDP, 0},
	{"trunc-ipv4", DP_LINK_IPV4, IP4_UDP, 0},
	{"trunc-ipv6", DP_LINK_IPV6, IP6_UDP, 0},
};

static void run_truncations(void)
{
	for (size_t k = 0; k < sizeof(trunc_cases) / sizeof(trunc_cases[0]); k++) {
		const struct tcase *tc = &trunc_cases[k];
		uint8_t raw[512];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		struct dp_frame f;

		check_ctx = tc->name;
		/* the whole frame decodes */
		uint8_t *pkt = guard_copy(raw, n);
		CHECK(dp_frame_decode(pkt, n, tc->link, &f) == DP_FRAME_UDP);
		guard_free(pkt, n);

		for (size_t cut = 0; cut < n; cut++) {
			enum dp_frame_res want = cut < tc->l2len ? DP_FRAME_TRUNC_L2
								 : DP_FRAME_TRUNC_IP;
			enum dp_frame_res r;

			pkt = guard_copy(raw, cut);
			r = dp_frame_decode(pkt, cut, tc->link, &f);
			CHECKF(r == want, "cut at %zu: got %s, want %s", cut,
			       dp_frame_res_str(r), dp_frame_res_str(want));
			CHECK(dp_frame_res_malformed(r));
			guard_free(pkt, cut);
		}
	}
}

static void run_names(void)
{
	static const char *const want[DP_FRAME_RES_MAX] = {
		"udp",	    "not-ip",	"not-udp", "fragment", "trunc-l2", "vlan-depth",
		"trunc-ip", "bad-ip", "trunc-udp", "bad-udp",  "bad-link",
	};

	check_ctx = "names";
	for (unsigned i = 0; i < DP_FRAME_RES_MAX; i++)
		CHECKF(strcmp(dp_frame_res_str(i), want[i]) == 0, "%u: %s", i,
		       dp_frame_res_str(i));
	CHECK(strcmp(dp_frame_res_str(DP_FRAME_RES_MAX), "unknown") == 0);
	CHECK(strcmp(dp_frame_res_str((enum dp_frame_res)-1), "unknown") == 0);
	CHECK(!dp_frame_res_malformed(DP_FRAME_UDP));
	CHECK(!dp_frame_res_malformed(DP_FRAME_NOT_IP));
	CHECK(!dp_frame_res_malformed(DP_FRAME_NOT_UDP));
	CHECK(!dp_frame_res_malformed(DP_FRAME_FRAGMENT));
	CHECK(dp_frame_res_malformed(DP_FRAME_TRUNC_L2));
	CHECK(dp_frame_res_malformed(DP_FRAME_BAD_LINK));
}

/* dp_frame_l2(): MACs, tags and the inner EtherType; every truncation. */
struct l2case {
	const char *name;
	int link;
	const char *hex;
	enum dp_frame_res res;
	uint16_t ethertype;
	size_t poff;
	uint8_t nvlan;
	uint16_t vlan[DP_FRAME_MAX_VLAN];
};

static const struct l2case l2_cases[] = {
	{"l2-pppoe-disc", DP_LINK_ETHERNET, MACS "8863 1109 0000 0000", DP_FRAME_UDP, 0x8863, 14},
	{"l2-header-only", DP_LINK_ETHERNET, MACS "8864", DP_FRAME_UDP, 0x8864, 14},
	{"l2-vlan-pppoe", DP_LINK_ETHERNET, MACS "8100 0064 8864 1100 0001 0002 c021", DP_FRAME_UDP,
	 0x8864, 18, 1, {100}},
	{"l2-qinq-pppoe", DP_LINK_ETHERNET, MACS "88a8 00c8 8100 f064 8863 1109", DP_FRAME_UDP,
	 0x8863, 22, 2, {200, 100}},
	{"l2-9100-ipv4", DP_LINK_ETHERNET, MACS "9100 012c 0800" IP4_UDP, DP_FRAME_UDP, 0x0800, 18, 1,
	 {300}},
	{"l2-vlan-4", DP_LINK_ETHERNET, MACS "8100 0001 8100 0002 8100 0003 8100 0004 8863",
	 DP_FRAME_UDP, 0x8863, 30, 4, {1, 2, 3, 4}},
	{"l2-vlan-5", DP_LINK_ETHERNET, MACS "8100 0001 8100 0002 8100 0003 8100 0004 8100 0005 8863",
	 DP_FRAME_VLAN_DEPTH},
	{"l2-13", DP_LINK_ETHERNET, "ffffffffffff 020000000001 88", DP_FRAME_TRUNC_L2},
	{"l2-vlan-cut", DP_LINK_ETHERNET, MACS "8100 0064 88", DP_FRAME_TRUNC_L2},
	{"l2-sll", DP_LINK_LINUX_SLL, SLL_HDR "8863", DP_FRAME_BAD_LINK},
	{"l2-raw", DP_LINK_RAW, IP4_UDP, DP_FRAME_BAD_LINK},
};

static void run_l2(void)
{
	for (size_t k = 0; k < sizeof(l2_cases) / sizeof(l2_cases[0]); k++) {
		const struct l2case *tc = &l2_cases[k];
		uint8_t raw[256];
		size_t n = hex_decode(tc->hex, raw, sizeof(raw));
		uint8_t *g = guard_copy(raw, n);
		struct dp_l2 l, before;
		enum dp_frame_res r;

		check_ctx = tc->name;
		memset(&l, 0x5a, sizeof(l));
		before = l;
		r = dp_frame_l2(g, n, tc->link, &l);
		CHECKF(r == tc->res, "got %s", dp_frame_res_str(r));
		if (r != DP_FRAME_UDP) {
			CHECK(memcmp(&l, &before, sizeof(l)) == 0); /* ret untouched */
			guard_free(g, n);
			continue;
		}
		CHECK(memcmp(l.dst, raw, 6) == 0 && memcmp(l.src, raw + 6, 6) == 0);
		CHECK(l.ethertype == tc->ethertype);
		CHECK(l.payload == g + tc->poff && l.payload_len == n - tc->poff);
		CHECK(l.vlan_count == tc->nvlan);
		for (unsigned i = 0; i < tc->nvlan; i++)
			CHECK(l.vlan[i] == tc->vlan[i]);
		/* dp_frame_decode() is unchanged by dp_frame_l2() existing:
		 * non-IP EtherTypes are still "not-ip" */
		if (tc->ethertype != 0x0800) {
			struct dp_frame f;
			CHECK(dp_frame_decode(g, n, tc->link, &f) == DP_FRAME_NOT_IP);
		}
		/* every truncation inside the header fails, past it succeeds */
		for (size_t cut = 0; cut < n; cut++) {
			uint8_t *h = guard_copy(raw, cut);
			r = dp_frame_l2(h, cut, tc->link, &l);
			CHECKF(r == (cut < tc->poff ? DP_FRAME_TRUNC_L2 : DP_FRAME_UDP), "cut %zu: %s",
			       cut, dp_frame_res_str(r));
			guard_free(h, cut);
		}
		guard_free(g, n);
	}
}

int main(void)
{
	run_cases();
	run_truncations();
	run_l2();
	run_names();
	return check_done();
}
