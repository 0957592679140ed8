/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file frame.h
 * @brief Link, network and transport decode: Ethernet, 802.1Q, QinQ
 *        (0x88a8 and 0x9100 outer), IPv4, IPv6, UDP.
 *
 * Finds the UDP payload of a captured frame and the addresses around it.
 * Everything is read through struct dp_cur; nothing is copied.  VLAN depth
 * is bounded (DP_FRAME_MAX_VLAN), IPv6 extension headers are walked up to a
 * bound, IPv4 fragments are reported (reassembly comes with issue 3).
 */
#ifndef DP_FRAME_H
#define DP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

#define DP_FRAME_MAX_VLAN 4
#define DP_FRAME_MAX_V6EXT 8

/** Link types understood (pcap LINKTYPE_* values). */
enum dp_linktype {
	DP_LINK_ETHERNET = 1,
	DP_LINK_RAW = 101,       /**< raw IPv4/IPv6 */
	DP_LINK_LINUX_SLL = 113,
	DP_LINK_IPV4 = 228,
	DP_LINK_IPV6 = 229,
};

/** Why a frame was not decoded to a UDP payload. */
enum dp_frame_res {
	DP_FRAME_UDP = 0,        /**< decoded: payload set */
	DP_FRAME_NOT_IP,         /**< not IP (ARP, PPPoE, ...): not malformed */
	DP_FRAME_NOT_UDP,        /**< IP but not UDP: not malformed */
	DP_FRAME_FRAGMENT,       /**< IPv4/IPv6 fragment: not reassembled yet */
	DP_FRAME_TRUNC_L2,       /**< Ethernet/VLAN header cut short */
	DP_FRAME_VLAN_DEPTH,     /**< more than DP_FRAME_MAX_VLAN tags */
	DP_FRAME_TRUNC_IP,       /**< IP header cut short */
	DP_FRAME_BAD_IP,         /**< bad version, IHL < 5, total length < IHL, ... */
	DP_FRAME_TRUNC_UDP,      /**< UDP header or payload cut short */
	DP_FRAME_BAD_UDP,        /**< UDP length < 8 or > IP payload */
	DP_FRAME_BAD_LINK,       /**< link type not supported */
	DP_FRAME_RES_MAX
};

/** Stable short name of a result ("trunc-ip", ...). */
const char *dp_frame_res_str(enum dp_frame_res r);

/** True for results that count as malformed (not merely "not for us"). */
static inline int dp_frame_res_malformed(enum dp_frame_res r)
{
	return r >= DP_FRAME_TRUNC_L2;
}

struct dp_frame {
	struct rt_addr src, dst;
	uint16_t sport, dport;
	uint16_t vlan[DP_FRAME_MAX_VLAN]; /**< VLAN ids, outermost first */
	uint8_t vlan_count;
	const uint8_t *payload; /**< UDP payload inside the captured bytes */
	size_t payload_len;     /**< = UDP length - 8 (never beyond caplen) */
};

/**
 * Decode one captured frame.
 * @param[in]  pkt, caplen  captured bytes
 * @param[in]  linktype     enum dp_linktype
 * @param[out] ret          filled when DP_FRAME_UDP is returned
 */
enum dp_frame_res dp_frame_decode(const uint8_t *pkt, size_t caplen, int linktype,
				  struct dp_frame *ret);

/** An Ethernet frame's link layer: addresses, VLAN tags and what they carry. */
struct dp_l2 {
	uint8_t dst[6], src[6];           /**< MAC addresses, wire order */
	uint16_t vlan[DP_FRAME_MAX_VLAN]; /**< VLAN ids, outermost first */
	uint8_t vlan_count;
	uint16_t ethertype;     /**< the EtherType after the last VLAN tag */
	const uint8_t *payload; /**< the bytes after it, inside the captured bytes */
	size_t payload_len;     /**< = caplen - header; Ethernet padding included */
};

/**
 * Decode the link layer of an Ethernet frame only: MACs, up to
 * DP_FRAME_MAX_VLAN 802.1Q/802.1ad/0x9100 tags and the inner EtherType
 * (PPPoE 0x8863/0x8864 decoders start from here).  Does not look past the
 * EtherType and does not change what dp_frame_decode() does.
 * @param[in]  pkt, caplen  captured bytes
 * @param[in]  linktype     must be DP_LINK_ETHERNET
 * @param[out] ret          filled only when DP_FRAME_UDP (= 0, "decoded") is
 *                          returned; payload points into pkt
 * @return DP_FRAME_UDP on success, DP_FRAME_TRUNC_L2 (header or a tag cut
 *         short), DP_FRAME_VLAN_DEPTH, DP_FRAME_BAD_LINK (not Ethernet)
 */
enum dp_frame_res dp_frame_l2(const uint8_t *pkt, size_t caplen, int linktype, struct dp_l2 *ret);

#endif /* DP_FRAME_H */
