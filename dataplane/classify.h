/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file classify.h
 * @brief Per-packet control-plane classifier: is this frame part of the
 *        access control plane retain records, or subscriber data to pass?
 *
 * Runs first on every packet of a bulk link (10 GbE at 64 B is 14.88 Mpps),
 * so it reads at most a few header fields at fixed offsets, branches little,
 * and never allocates.  It errs towards "control": a frame it cannot place
 * cheaply (IP options, IPv6 extension headers, fragments of UDP) goes to
 * the full decoders, which are bounds-checked and count what they reject.
 * Subscriber data (PPPoE session IPv4/IPv6, plain IPv4/IPv6 that is not UDP
 * to a control port) is DP_CLS_PASS.
 *
 * Control ports are configurable (a 65536-bit set, 8 KiB): RADIUS
 * 1812/1813/1645/1646/3799, DHCPv4 67/68, DHCPv6 546/547, L2TP 1701 by
 * default; a UDP datagram is control when either port is in the set.
 */
#ifndef DP_CLASSIFY_H
#define DP_CLASSIFY_H

#include <stdint.h>

enum dp_cls {
	DP_CLS_PASS = 0,       /**< subscriber data: not for us */
	DP_CLS_PPPOE_DISC,     /**< PPPoE discovery (0x8863) */
	DP_CLS_PPP_CTRL,       /**< PPPoE session LCP/PAP/CHAP/IPCP/IPV6CP/... */
	DP_CLS_UDP_CTRL,       /**< UDP to/from a control port (IPv4 or IPv6) */
	DP_CLS_SLOW,           /**< needs the full decoder to tell (IP options,
				    IPv6 extension headers, IPv4 fragments, short frames) */
	DP_CLS_MAX
};

struct dp_classifier {
	uint64_t ports[1024]; /**< bit per UDP port */
};

/** Default control ports. */
void dp_classifier_init(struct dp_classifier *c);

static inline void dp_classifier_add_port(struct dp_classifier *c, uint16_t port)
{
	c->ports[port >> 6] |= UINT64_C(1) << (port & 63);
}

static inline int dp_classifier_port(const struct dp_classifier *c, uint16_t port)
{
	return (int)((c->ports[port >> 6] >> (port & 63)) & 1);
}

/**
 * Classify an Ethernet frame (up to two VLAN tags: 802.1Q, 0x88a8, 0x9100).
 * Reads only within [p, p + len).
 */
enum dp_cls dp_classify_eth(const struct dp_classifier *c, const uint8_t *p, uint32_t len);

/** Classify a burst; ret[i] for each packet; returns the count of non-PASS. */
unsigned dp_classify_burst(const struct dp_classifier *c, const uint8_t *const *pkts,
			   const uint32_t *lens, unsigned n, uint8_t *ret);

#endif /* DP_CLASSIFY_H */
