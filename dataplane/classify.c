/* SPDX-License-Identifier: BSD-2-Clause */
#include "classify.h"

#include <string.h>

#define ETH_HLEN 14
#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd
#define ET_VLAN 0x8100
#define ET_QINQ 0x88a8
#define ET_QINQ_OLD 0x9100
#define ET_PPPOE_DISC 0x8863
#define ET_PPPOE_SESS 0x8864

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

void dp_classifier_init(struct dp_classifier *c)
{
	static const uint16_t def[] = {67, 68, 546, 547, 1645, 1646, 1701, 1812, 1813, 3799};
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		dp_classifier_add_port(c, def[i]);
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

/* IPv4 at p (len bytes): UDP to a control port? */
static inline enum dp_cls cls_ipv4(const struct dp_classifier *c, const uint8_t *p, uint32_t len)
{
	if (len < 20)
		return DP_CLS_SLOW;
	if (p[9] != 17) /* not UDP */
		return DP_CLS_PASS;
	/* "Fragment Offset ... MF" (RFC 791): a later fragment has no ports */
	if (be16(p + 6) & 0x3fff)
		return DP_CLS_SLOW;
	unsigned ihl = (unsigned)(p[0] & 0x0f) * 4;
	if (ihl < 20 || len < ihl + 4)
		return DP_CLS_SLOW;
	const uint8_t *u = p + ihl;
	return dp_classifier_port(c, be16(u)) | dp_classifier_port(c, be16(u + 2))
		       ? DP_CLS_UDP_CTRL
		       : DP_CLS_PASS;
}

static inline enum dp_cls cls_ipv6(const struct dp_classifier *c, const uint8_t *p, uint32_t len)
{
	if (len < 44)
		return len < 40 ? DP_CLS_SLOW : DP_CLS_PASS;
	uint8_t nh = p[6];
	if (nh == 17) {
		const uint8_t *u = p + 40;
		return dp_classifier_port(c, be16(u)) | dp_classifier_port(c, be16(u + 2))
			       ? DP_CLS_UDP_CTRL
			       : DP_CLS_PASS;
	}
	/* TCP, ICMPv6 (neighbour discovery is not recorded), ESP, ...: data.
	 * Extension headers may hide UDP: the full decoder walks them. */
	if (nh == 0 || nh == 43 || nh == 44 || nh == 60)
		return DP_CLS_SLOW;
	return DP_CLS_PASS;
}

static inline unsigned is_tag(uint16_t et)
{
	return (et == ET_VLAN) | (et == ET_QINQ) | (et == ET_QINQ_OLD);
}

/* Careful path: any length, every read bounded. */
static enum dp_cls classify_slow(const struct dp_classifier *c, const uint8_t *p, uint32_t len)
{
	if (len < ETH_HLEN)
		return DP_CLS_SLOW;
	uint32_t off = 12;
	uint16_t et = be16(p + off);
	/* at most two tags here; deeper stacks go to the full decoder */
	for (unsigned t = 0; is_tag(et); t++) {
		if (t == 2 || len < off + 6)
			return DP_CLS_SLOW;
		off += 4;
		et = be16(p + off);
	}
	off += 2;
	const uint8_t *l3 = p + off;
	uint32_t l3len = len - off;
	switch (et) {
	case ET_IPV4:
		return cls_ipv4(c, l3, l3len);
	case ET_IPV6:
		return cls_ipv6(c, l3, l3len);
	case ET_PPPOE_SESS: {
		/* RFC 2516: VER/TYPE, CODE, SESSION_ID, LENGTH, then the PPP
		 * protocol field.  Data (IPv4/IPv6) passes; every other PPP
		 * protocol is a control protocol (LCP, PAP, CHAP, IPCP, ...). */
		if (l3len < 8)
			return DP_CLS_SLOW;
		uint16_t proto = be16(l3 + 6);
		if (proto == PPP_IPV4 || proto == PPP_IPV6)
			return DP_CLS_PASS;
		return DP_CLS_PPP_CTRL;
	}
	case ET_PPPOE_DISC:
		return DP_CLS_PPPOE_DISC;
	default:
		return DP_CLS_PASS; /* ARP, LLDP, MPLS, ...: not recorded */
	}
}

/*
 * Fast path for frames of at least FAST_MIN bytes (every offset read below
 * is < FAST_MIN): tags are skipped without branches, and the common data
 * cases (PPPoE session data, IPv4/IPv6 not UDP) leave after one test each.
 */
#define FAST_MIN 60u

enum dp_cls dp_classify_eth(const struct dp_classifier *c, const uint8_t *p, uint32_t len)
{
	if (len < FAST_MIN)
		return classify_slow(c, p, len);
	uint32_t off = 12;
	uint16_t et = be16(p + off);
	off += 4 * is_tag(et);
	et = be16(p + off);
	unsigned t2 = is_tag(et);
	off += 4 * t2;
	et = be16(p + off);
	if (t2 && is_tag(et))
		return DP_CLS_SLOW;
	const uint8_t *l3 = p + off + 2; /* off <= 20: l3 < p + 22 */
	if (et == ET_PPPOE_SESS) {
		uint16_t proto = be16(l3 + 6);
		return proto == PPP_IPV4 || proto == PPP_IPV6 ? DP_CLS_PASS : DP_CLS_PPP_CTRL;
	}
	if (et == ET_IPV4) {
		/* l3 + 9 < p + 31 */
		if (l3[9] != 17)
			return DP_CLS_PASS;
		return cls_ipv4(c, l3, len - off - 2);
	}
	if (et == ET_IPV6) {
		uint8_t nh = l3[6];
		if (nh == 6)
			return DP_CLS_PASS;
		return cls_ipv6(c, l3, len - off - 2);
	}
	return et == ET_PPPOE_DISC ? DP_CLS_PPPOE_DISC : DP_CLS_PASS;
}

unsigned dp_classify_burst(const struct dp_classifier *c, const uint8_t *const *pkts,
			   const uint32_t *lens, unsigned n, uint8_t *ret)
{
	unsigned ctrl = 0;
	for (unsigned i = 0; i < n; i++) {
		enum dp_cls k = dp_classify_eth(c, pkts[i], lens[i]);
		ret[i] = (uint8_t)k;
		ctrl += k != DP_CLS_PASS;
	}
	return ctrl;
}
