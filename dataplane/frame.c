/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Link, network and transport decode down to a UDP payload.
 *
 * Two lengths are tracked throughout (STYLE.md 4): the bytes captured and
 * the lengths the headers claim.  A claim that runs past the captured bytes
 * is a truncation (TRUNC_*); a claim that contradicts another claim is
 * invalid (BAD_*).  The IP length bounds everything after the IP header, so
 * Ethernet padding never reaches the UDP decoder.
 *
 * Every loop is bounded: VLAN tags by DP_FRAME_MAX_VLAN, IPv6 extension
 * headers by DP_FRAME_MAX_V6EXT.  Nothing here allocates or copies packet
 * bytes: this is the per-packet fast path.
 */
#include "frame.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "cursor.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-802.1ad QinQ outer tag */

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_UDP_ 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_ 51
#define IPPROTO_DSTOPTS_ 60

#define ETH_HDR_LEN 14
#define SLL_HDR_LEN 16
#define VLAN_TAG_LEN 4
#define IPV4_MIN_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define UDP_HDR_LEN 8

static const char *const frame_res_names[] = {
	[DP_FRAME_UDP] = "udp",
	[DP_FRAME_NOT_IP] = "not-ip",
	[DP_FRAME_NOT_UDP] = "not-udp",
	[DP_FRAME_FRAGMENT] = "fragment",
	[DP_FRAME_TRUNC_L2] = "trunc-l2",
	[DP_FRAME_VLAN_DEPTH] = "vlan-depth",
	[DP_FRAME_TRUNC_IP] = "trunc-ip",
	[DP_FRAME_BAD_IP] = "bad-ip",
	[DP_FRAME_TRUNC_UDP] = "trunc-udp",
	[DP_FRAME_BAD_UDP] = "bad-udp",
	[DP_FRAME_BAD_LINK] = "bad-link",
};
static_assert(sizeof(frame_res_names) / sizeof(frame_res_names[0]) == DP_FRAME_RES_MAX,
	      "frame_res_names must name every enum dp_frame_res value");

const char *dp_frame_res_str(enum dp_frame_res r)
{
	if ((unsigned)r >= DP_FRAME_RES_MAX)
		return "unknown";
	return frame_res_names[r];
}

static bool is_vlan_tpid(uint16_t t)
{
	return t == ETHERTYPE_8021Q || t == ETHERTYPE_8021AD || t == ETHERTYPE_QINQ_OLD;
}

/*
 * Skip VLAN tags after an EtherType field already read into *etype.
 *
 * 802.1Q tag: | TPID (2) | PCP:3 DEI:1 VID:12 (2) |, followed by the next
 * EtherType.  The TPID is the EtherType just read, so each tag costs the
 * 2-byte TCI plus the 2-byte inner EtherType.  0x88a8 (802.1ad) and 0x9100
 * (older QinQ gear) are accepted at any depth, as switches do in practice.
 */
static enum dp_frame_res skip_vlans(struct dp_cur *c, uint16_t *etype,
				    uint16_t vlan[DP_FRAME_MAX_VLAN], uint8_t *vlan_count)
{
	while (is_vlan_tpid(*etype)) {
		uint16_t tci = 0;

		if (*vlan_count == DP_FRAME_MAX_VLAN)
			return DP_FRAME_VLAN_DEPTH;
		if (!dp_cur_be16(c, &tci) || !dp_cur_be16(c, etype))
			return DP_FRAME_TRUNC_L2;
		vlan[(*vlan_count)++] = tci & 0x0fff;
	}
	return DP_FRAME_UDP;
}

/*
 * UDP header (RFC 768): | src port | dst port | length | checksum |.
 * `ip` holds exactly the IP payload the IP header claims.
 */
static enum dp_frame_res decode_udp(struct dp_cur *ip, struct dp_frame *f)
{
	uint16_t ulen = 0;

	/* The whole IP packet was captured, so a UDP header that does not fit
	 * in it is cut short inside the IP packet, not by the capture. */
	if (dp_cur_left(ip) < UDP_HDR_LEN)
		return DP_FRAME_TRUNC_UDP;
	dp_cur_be16(ip, &f->sport);
	dp_cur_be16(ip, &f->dport);
	dp_cur_be16(ip, &ulen);
	dp_cur_skip(ip, 2); /* checksum: not verified, NICs offload it */

	/* RFC 768: "Length is the length in octets of this user datagram
	 * including this header and the data.  (This means the minimum value
	 * of the length is eight.)" */
	if (ulen < UDP_HDR_LEN)
		return DP_FRAME_BAD_UDP;
	/* The datagram must fit inside the IP payload that carries it. */
	if ((size_t)ulen - UDP_HDR_LEN > dp_cur_left(ip))
		return DP_FRAME_BAD_UDP;
	f->payload = ip->p;
	f->payload_len = (size_t)ulen - UDP_HDR_LEN;
	return DP_FRAME_UDP;
}

/*
 * IPv4 header (RFC 791 section 3.1):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  |         Identification        |Flags|      Fragment Offset    |
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  |                       Source Address                          |
 *  |                    Destination Address                        |
 *  |                    Options                    |    Padding    |
 */
static enum dp_frame_res decode_ipv4(struct dp_cur *c, struct dp_frame *f)
{
	struct dp_cur hdr = *c, ip = {0};
	uint8_t vihl = 0, proto = 0;
	uint16_t total_len = 0, frag = 0;
	size_t hlen;

	if (dp_cur_left(c) < IPV4_MIN_HDR_LEN)
		return DP_FRAME_TRUNC_IP;
	dp_cur_u8(&hdr, &vihl);
	if (vihl >> 4 != 4)
		return DP_FRAME_BAD_IP;
	dp_cur_skip(&hdr, 1); /* TOS */
	dp_cur_be16(&hdr, &total_len);
	/* RFC 791: "Internet Header Length is the length of the internet
	 * header in 32 bit words ... Note that the minimum value for a correct
	 * header is 5." */
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < IPV4_MIN_HDR_LEN)
		return DP_FRAME_BAD_IP;
	/* RFC 791: "Total Length is the length of the datagram, measured in
	 * octets, including internet header and data."  Two claims that
	 * contradict each other are invalid whatever was captured... */
	if (total_len < hlen)
		return DP_FRAME_BAD_IP;
	/* ...and a consistent claim beyond the captured bytes is a
	 * truncation (this also covers options cut short). */
	if (total_len > dp_cur_left(c))
		return DP_FRAME_TRUNC_IP;
	dp_cur_skip(&hdr, 2); /* identification */
	dp_cur_be16(&hdr, &frag);
	/* RFC 791: "The fragment offset is measured in units of 8 octets ...
	 * The first fragment has offset zero."  MF (0x2000) set means more
	 * fragments follow; either one makes this a fragment.  DF (0x4000)
	 * does not matter here. */
	if ((frag & 0x2000) || (frag & 0x1fff))
		return DP_FRAME_FRAGMENT;
	dp_cur_skip(&hdr, 1); /* TTL */
	dp_cur_u8(&hdr, &proto);
	dp_cur_skip(&hdr, 2); /* header checksum */

	/* f starts zeroed (dp_frame_decode): a[4..16) stays 0 for IPv4. */
	f->src.family = 4;
	dp_cur_copy(&hdr, f->src.a, 4);
	f->dst.family = 4;
	dp_cur_copy(&hdr, f->dst.a, 4);

	if (proto != IPPROTO_UDP_)
		return DP_FRAME_NOT_UDP;

	/* Bound the rest by Total Length: bytes beyond it are link padding. */
	dp_cur_sub(c, total_len, &ip);
	dp_cur_skip(&ip, hlen);
	return decode_udp(&ip, f);
}

/*
 * IPv6 header (RFC 8200 section 3): version(4) traffic class(8) flow
 * label(20) | payload length(16) next header(8) hop limit(8) | source(128)
 * | destination(128).  Extension headers follow, chained by Next Header.
 */
static enum dp_frame_res decode_ipv6(struct dp_cur *c, struct dp_frame *f)
{
	struct dp_cur ip = {0};
	uint8_t v = 0, nh = 0;
	uint16_t plen = 0;

	if (dp_cur_left(c) < IPV6_HDR_LEN)
		return DP_FRAME_TRUNC_IP;
	dp_cur_peek_u8(c, 0, &v);
	if (v >> 4 != 6)
		return DP_FRAME_BAD_IP;
	dp_cur_skip(c, 4);
	/* RFC 8200: "Payload Length: 16-bit unsigned integer.  Length of the
	 * IPv6 payload, i.e., the rest of the packet following this IPv6
	 * header, in octets.  (Note that any extension headers [...] present
	 * are considered part of the payload, i.e., included in the length
	 * count.)"  Jumbograms (RFC 2675, length 0) do not carry RADIUS. */
	dp_cur_be16(c, &plen);
	dp_cur_u8(c, &nh);
	dp_cur_skip(c, 1); /* hop limit */
	f->src.family = 6;
	dp_cur_copy(c, f->src.a, 16);
	f->dst.family = 6;
	dp_cur_copy(c, f->dst.a, 16);
	if (!dp_cur_sub(c, plen, &ip))
		return DP_FRAME_TRUNC_IP;

	for (unsigned n = 0;; n++) {
		uint8_t next = 0, hlen = 0;
		uint16_t off_m = 0;

		switch (nh) {
		case IPPROTO_UDP_:
			return decode_udp(&ip, f);
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_FRAGMENT_:
		case IPPROTO_AH_:
			break;
		default:
			/* TCP, ICMPv6, ESP, No Next Header (59), ... */
			return DP_FRAME_NOT_UDP;
		}
		/* RFC 8200 section 4.1 recommends each extension header at most
		 * once (Destination Options twice): a longer chain is not a
		 * packet any sender builds. */
		if (n == DP_FRAME_MAX_V6EXT)
			return DP_FRAME_BAD_IP;
		if (!dp_cur_u8(&ip, &next) || !dp_cur_u8(&ip, &hlen))
			return DP_FRAME_TRUNC_IP;
		if (nh == IPPROTO_FRAGMENT_) {
			/* RFC 8200 section 4.5: | Next Header | Reserved |
			 * Fragment Offset (13) | Res (2) | M | Identification |. */
			if (!dp_cur_be16(&ip, &off_m) || !dp_cur_skip(&ip, 4))
				return DP_FRAME_TRUNC_IP;
			/* RFC 6946 section 4: "A host that receives an IPv6
			 * packet that includes a Fragment Header with the
			 * "Fragment Offset" equal to 0 and the "M" flag equal
			 * to 0 MUST process such packet in isolation from any
			 * other packets/fragments" -- an atomic fragment is a
			 * whole packet. */
			if ((off_m >> 3) != 0 || (off_m & 1))
				return DP_FRAME_FRAGMENT;
		} else if (nh == IPPROTO_AH_) {
			/* RFC 4302 section 2.2: "Payload Length: This 8-bit
			 * field specifies the length of AH in 32-bit words
			 * (4-byte units), minus "2"." */
			if (!dp_cur_skip(&ip, ((size_t)hlen + 2) * 4 - 2))
				return DP_FRAME_TRUNC_IP;
		} else {
			/* RFC 8200 section 4.3: "Hdr Ext Len: Length of the
			 * Hop-by-Hop Options header in 8-octet units, not
			 * including the first 8 octets." (same for 4.4, 4.6) */
			if (!dp_cur_skip(&ip, ((size_t)hlen + 1) * 8 - 2))
				return DP_FRAME_TRUNC_IP;
		}
		nh = next;
	}
}

/* Raw IP: the version nibble of the first byte picks the decoder. */
static enum dp_frame_res decode_raw_ip(struct dp_cur *c, struct dp_frame *f)
{
	uint8_t v = 0;

	if (!dp_cur_peek_u8(c, 0, &v))
		return DP_FRAME_TRUNC_IP;
	switch (v >> 4) {
	case 4:
		return decode_ipv4(c, f);
	case 6:
		return decode_ipv6(c, f);
	default:
		return DP_FRAME_BAD_IP;
	}
}

static enum dp_frame_res decode_ethertype(struct dp_cur *c, uint16_t etype, struct dp_frame *f)
{
	enum dp_frame_res r = skip_vlans(c, &etype, f->vlan, &f->vlan_count);

	if (r != DP_FRAME_UDP)
		return r;
	switch (etype) {
	case ETHERTYPE_IPV4:
		return decode_ipv4(c, f);
	case ETHERTYPE_IPV6:
		return decode_ipv6(c, f);
	default:
		/* ARP, PPPoE, LLDP, 802.3 length fields (< 0x0600), ... */
		return DP_FRAME_NOT_IP;
	}
}

enum dp_frame_res dp_frame_decode(const uint8_t *pkt, size_t caplen, int linktype,
				  struct dp_frame *ret)
{
	struct dp_cur c = dp_cur_make(pkt, caplen);
	struct dp_frame f = {0};
	enum dp_frame_res r;
	uint16_t etype = 0;

	switch (linktype) {
	case DP_LINK_ETHERNET:
		/* | dst MAC (6) | src MAC (6) | EtherType (2) | */
		if (!dp_cur_skip(&c, 12) || !dp_cur_be16(&c, &etype))
			return DP_FRAME_TRUNC_L2;
		r = decode_ethertype(&c, etype, &f);
		break;
	case DP_LINK_LINUX_SLL:
		/* | packet type (2) | ARPHRD (2) | addr len (2) | addr (8) |
		 * protocol (2) |: the protocol is an EtherType. */
		if (!dp_cur_skip(&c, SLL_HDR_LEN - 2) || !dp_cur_be16(&c, &etype))
			return DP_FRAME_TRUNC_L2;
		r = decode_ethertype(&c, etype, &f);
		break;
	case DP_LINK_RAW:
		r = decode_raw_ip(&c, &f);
		break;
	case DP_LINK_IPV4:
		/* LINKTYPE_IPV4: "Raw IPv4; the packet begins with an IPv4
		 * header": an IPv6 packet here is a bad IPv4 header. */
		r = decode_ipv4(&c, &f);
		break;
	case DP_LINK_IPV6:
		r = decode_ipv6(&c, &f);
		break;
	default:
		return DP_FRAME_BAD_LINK;
	}
	if (r == DP_FRAME_UDP)
		*ret = f;
	return r;
}

enum dp_frame_res dp_frame_l2(const uint8_t *pkt, size_t caplen, int linktype, struct dp_l2 *ret)
{
	struct dp_cur c = dp_cur_make(pkt, caplen);
	struct dp_l2 l = {0};
	enum dp_frame_res r;

	if (linktype != DP_LINK_ETHERNET)
		return DP_FRAME_BAD_LINK;
	/* | dst MAC (6) | src MAC (6) | EtherType (2) | */
	if (!dp_cur_copy(&c, l.dst, 6) || !dp_cur_copy(&c, l.src, 6) ||
	    !dp_cur_be16(&c, &l.ethertype))
		return DP_FRAME_TRUNC_L2;
	r = skip_vlans(&c, &l.ethertype, l.vlan, &l.vlan_count);
	if (r != DP_FRAME_UDP)
		return r;
	l.payload = c.p;
	l.payload_len = dp_cur_left(&c);
	*ret = l;
	return DP_FRAME_UDP;
}
