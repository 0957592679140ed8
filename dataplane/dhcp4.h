/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file dhcp4.h
 * @brief BOOTP/DHCPv4 decode (RFC 951, 2131, 2132) with the relay agent
 *        information option 82 (RFC 3046, subscriber-id RFC 3993).
 *
 * Input: the UDP payload (ports 67/68).  Pure and allocation-free; views
 * point into the input.
 *
 * Choices a reader should know:
 *  - The magic cookie is required: a pure BOOTP packet without it is
 *    DP_DHCP4_BAD_COOKIE (no BRAS hands out sessions over plain BOOTP).
 *  - Option Overload (52, RFC 2132 section 9.3) is rejected with its own
 *    reason, DP_DHCP4_OVERLOAD: options hidden in sname/file are not
 *    decoded.  Long options split across repeats (RFC 3396) are not
 *    concatenated: the first occurrence wins, repeats are still checked.
 *  - The End option (255) stops the walk; what follows it (usually zero
 *    padding up to the 300-byte BOOTP minimum) is ignored.  A missing End
 *    is tolerated (has_end says which).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+---------------+---------------+
 *  |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 *  |                            xid (4)                            |
 *  |           secs (2)            |           flags (2)           |
 *  |  ciaddr (4) | yiaddr (4) | siaddr (4) | giaddr (4)            |
 *  |  chaddr (16) | sname (64) | file (128) | magic cookie (4)     |
 *  |                          options ...                          |
 */
#ifndef DP_DHCP4_H
#define DP_DHCP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "session.h"

#define DP_DHCP4_FIXED_LEN 236 /**< up to and including file */
#define DP_DHCP4_MIN_LEN 240   /**< with the magic cookie */
#define DP_DHCP4_MAX_OPTIONS 512

enum dp_dhcp4_msg {
	DP_DHCP4_DISCOVER = 1,
	DP_DHCP4_OFFER = 2,
	DP_DHCP4_REQUEST = 3,
	DP_DHCP4_DECLINE = 4,
	DP_DHCP4_ACK = 5,
	DP_DHCP4_NAK = 6,
	DP_DHCP4_RELEASE = 7,
	DP_DHCP4_INFORM = 8,
	DP_DHCP4_MSG_MAX = 18, /**< highest IANA message type (RFC 3203, 4388, 6926, 7724) */
};

/** One value per rejection reason. */
enum dp_dhcp4_fail {
	DP_DHCP4_OK = 0,
	DP_DHCP4_TOO_SHORT,       /**< fewer than 240 bytes */
	DP_DHCP4_BAD_OP,          /**< op neither BOOTREQUEST (1) nor BOOTREPLY (2) */
	DP_DHCP4_BAD_HLEN,        /**< hlen > 16, or htype Ethernet with hlen != 6 */
	DP_DHCP4_BAD_COOKIE,      /**< magic cookie not 99.130.83.99 */
	DP_DHCP4_OPT_HDR_TRUNC,   /**< an option code with no length octet after it */
	DP_DHCP4_OPT_OVERFLOW,    /**< option length runs past the packet */
	DP_DHCP4_TOO_MANY_OPTIONS,/**< more than DP_DHCP4_MAX_OPTIONS */
	DP_DHCP4_OPT_VALUE,       /**< a known option with an impossible length */
	DP_DHCP4_BAD_MSG_TYPE,    /**< option 53 outside 1..DP_DHCP4_MSG_MAX */
	DP_DHCP4_OVERLOAD,        /**< option 52 present: unsupported */
	DP_DHCP4_SUBOPT_OVERFLOW, /**< option 82 sub-option runs past the option */
	DP_DHCP4_TEXT_LONG,       /**< an exposed value longer than RT_TEXT_MAX */
	DP_DHCP4_FAIL_MAX
};

/** Stable short name ("opt-overflow", ...). */
const char *dp_dhcp4_fail_str(enum dp_dhcp4_fail f);

/** A decoded BOOTP/DHCP message; views point into the input. */
struct dp_dhcp4 {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint8_t ciaddr[4], yiaddr[4], siaddr[4], giaddr[4];
	uint8_t chaddr[16]; /**< first hlen bytes are the hardware address */

	uint8_t msg_type;            /**< option 53, enum dp_dhcp4_msg; 0 = BOOTP */
	bool has_requested_ip;       /* 50 */
	uint8_t requested_ip[4];
	bool has_lease_time;         /* 51, seconds; 0xffffffff = infinite */
	uint32_t lease_time;
	bool has_server_id;          /* 54 */
	uint8_t server_id[4];
	struct rt_view client_id;    /**< 61, type octet included, binary */
	struct rt_view host_name;    /**< 12 */
	bool has_relay_info;         /**< 82 present */
	struct rt_view circuit_id;   /**< 82.1 */
	struct rt_view remote_id;    /**< 82.2 */
	struct rt_view subscriber_id;/**< 82.6 */
	bool has_end;                /**< End option seen */
};

/**
 * Decode one BOOTP/DHCP message.
 * @param[in]  in   the UDP payload; not consumed
 * @param[out] ret  filled only when DP_DHCP4_OK is returned
 * @return DP_DHCP4_OK or the first rejection: TOO_SHORT, BAD_OP, BAD_HLEN,
 *         BAD_COOKIE, OPT_HDR_TRUNC, OPT_OVERFLOW, TOO_MANY_OPTIONS,
 *         OPT_VALUE, BAD_MSG_TYPE, OVERLOAD, SUBOPT_OVERFLOW, TEXT_LONG
 */
enum dp_dhcp4_fail dp_dhcp4_decode(const struct dp_cur *in, struct dp_dhcp4 *ret);

#endif /* DP_DHCP4_H */
