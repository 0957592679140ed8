/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file dhcp6.h
 * @brief DHCPv6 decode (RFC 8415): client/server messages, Relay-Forward /
 *        Relay-Reply with nested Relay-Message options (bounded depth),
 *        Client/Server ID, IA_NA/IAADDR, IA_PD/IAPREFIX, Status Code,
 *        Interface-ID (18) and Remote-ID (37, RFC 4649).
 *
 * Input: the UDP payload (ports 546/547).  Pure and allocation-free; views
 * point into the input.
 *
 * Relays: the message is unwrapped Relay-Message by Relay-Message down to
 * the client or server message inside, at most DP_DHCP6_MAX_RELAY levels
 * (RFC 8415 section 7.6 HOP_COUNT_LIMIT), so a loop of nested relays ends
 * with DP_DHCP6_RELAY_DEPTH.  Interface-ID, Remote-ID and the link/peer
 * addresses kept are those of the innermost relay that carries them (the
 * one closest to the client, which knows the line).
 *
 * Addresses and prefixes: at most DP_DHCP6_MAX_LEASES of each are kept
 * (more_addrs / more_prefixes say when more were present and valid); the
 * framing of every one is still checked.  First occurrence wins for the
 * other options.
 *
 *   client/server:  | msg-type (1) | transaction-id (3) | options ...
 *   relay:          | msg-type (1) | hop-count (1) | link-address (16) |
 *                   | peer-address (16) | options ...
 *   option:         | option-code (2) | option-len (2) | option-data |
 */
#ifndef DP_DHCP6_H
#define DP_DHCP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "session.h"

#define DP_DHCP6_MAX_RELAY 8
#define DP_DHCP6_MAX_LEASES 8
#define DP_DHCP6_MAX_OPTIONS 256 /**< all levels together */

enum dp_dhcp6_msg {
	DP_DHCP6_SOLICIT = 1,
	DP_DHCP6_ADVERTISE = 2,
	DP_DHCP6_REQUEST = 3,
	DP_DHCP6_CONFIRM = 4,
	DP_DHCP6_RENEW = 5,
	DP_DHCP6_REBIND = 6,
	DP_DHCP6_REPLY = 7,
	DP_DHCP6_RELEASE = 8,
	DP_DHCP6_DECLINE = 9,
	DP_DHCP6_RECONFIGURE = 10,
	DP_DHCP6_INFORMATION_REQUEST = 11,
	DP_DHCP6_RELAY_FORW = 12,
	DP_DHCP6_RELAY_REPL = 13,
};

/** One value per rejection reason. */
enum dp_dhcp6_fail {
	DP_DHCP6_OK = 0,
	DP_DHCP6_TOO_SHORT,        /**< message (or nested message) shorter than its header */
	DP_DHCP6_BAD_MSG_TYPE,     /**< msg-type 0 or above 13 */
	DP_DHCP6_RELAY_DEPTH,      /**< more than DP_DHCP6_MAX_RELAY nested relay messages */
	DP_DHCP6_NO_RELAY_MSG,     /**< relay message without a Relay-Message option */
	DP_DHCP6_OPT_HDR_TRUNC,    /**< 1..3 bytes left where an option starts */
	DP_DHCP6_OPT_OVERFLOW,     /**< option-len runs past its container */
	DP_DHCP6_TOO_MANY_OPTIONS, /**< more than DP_DHCP6_MAX_OPTIONS */
	DP_DHCP6_OPT_VALUE,        /**< a known option too short / prefix length > 128 */
	DP_DHCP6_TEXT_LONG,        /**< an exposed value longer than RT_TEXT_MAX */
	DP_DHCP6_FAIL_MAX
};

/** Stable short name ("relay-depth", ...). */
const char *dp_dhcp6_fail_str(enum dp_dhcp6_fail f);

struct dp_dhcp6_addr {
	uint32_t iaid;
	uint8_t addr[16];
	uint32_t preferred, valid; /**< seconds; 0xffffffff = infinity */
	bool has_status;           /**< Status Code inside the IAADDR */
	uint16_t status;
};

struct dp_dhcp6_prefix {
	uint32_t iaid;
	struct rt_prefix6 prefix;  /**< bits beyond plen as sent */
	uint32_t preferred, valid;
	bool has_status;
	uint16_t status;
};

/** A decoded DHCPv6 message; views point into the input. */
struct dp_dhcp6 {
	uint8_t outer_type;        /**< msg-type of the outermost message */
	uint8_t msg_type;          /**< msg-type of the innermost (client/server) message */
	uint32_t xid;              /**< transaction-id (24 bits) */
	uint8_t relay_depth;       /**< relay messages unwrapped */
	uint8_t link_addr[16];     /**< innermost relay's link-address */
	uint8_t peer_addr[16];     /**< innermost relay's peer-address (the client) */
	struct rt_view interface_id; /**< 18, binary */
	bool has_remote_id;
	uint32_t remote_id_enterprise;
	struct rt_view remote_id;  /**< 37, after the enterprise number */

	struct rt_view client_id;  /**< 1, DUID */
	struct rt_view server_id;  /**< 2, DUID */
	bool has_status;           /**< message-level Status Code (13) */
	uint16_t status;
	uint8_t ia_na_count, ia_pd_count;
	struct dp_dhcp6_addr addrs[DP_DHCP6_MAX_LEASES];
	uint8_t addr_count;
	bool more_addrs;
	struct dp_dhcp6_prefix prefixes[DP_DHCP6_MAX_LEASES];
	uint8_t prefix_count;
	bool more_prefixes;
	bool has_ia_status;        /**< first IA-level Status Code (e.g. NoBinding) */
	uint16_t ia_status;
};

/**
 * Decode one DHCPv6 message.
 * @param[in]  in   the UDP payload; not consumed
 * @param[out] ret  filled only when DP_DHCP6_OK is returned
 * @return DP_DHCP6_OK or the first rejection: TOO_SHORT, BAD_MSG_TYPE,
 *         RELAY_DEPTH, NO_RELAY_MSG, OPT_HDR_TRUNC, OPT_OVERFLOW,
 *         TOO_MANY_OPTIONS, OPT_VALUE, TEXT_LONG
 */
enum dp_dhcp6_fail dp_dhcp6_decode(const struct dp_cur *in, struct dp_dhcp6 *ret);

#endif /* DP_DHCP6_H */
