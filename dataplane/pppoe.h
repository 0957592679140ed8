/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file pppoe.h
 * @brief PPPoE decode (RFC 2516): discovery (EtherType 0x8863: PADI, PADO,
 *        PADR, PADS, PADT and their tags, with the TR-101 / Broadband Forum
 *        vendor tag) and the session stage (EtherType 0x8864).
 *
 * Input is the L2 payload after the EtherType (dp_frame_l2()).  The decoder
 * is pure and allocation-free; everything it returns is a view into the
 * input bytes, valid while they are.  Two lengths are tracked: the bytes
 * held and the PPPoE LENGTH field.  LENGTH beyond the bytes held is
 * DP_PPPOE_TRUNCATED; bytes beyond LENGTH are Ethernet padding (a PPPoE
 * frame of a few bytes is always padded to the 60-byte Ethernet minimum)
 * and are ignored.
 *
 * Tags: the first occurrence of a tag wins; repeats are still checked.  A
 * tag exposed as a view that is longer than RT_TEXT_MAX is rejected
 * (DP_PPPOE_TAG_TOO_LONG): no real BRAS sends one, and a view cannot hold
 * it.  Unknown tags are skipped; the walk stops at End-Of-List.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  VER  | TYPE  |      CODE     |          SESSION_ID           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            LENGTH             |           payload             ~
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#ifndef DP_PPPOE_H
#define DP_PPPOE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "session.h"

#define DP_PPPOE_ETHERTYPE_DISC 0x8863
#define DP_PPPOE_ETHERTYPE_SESS 0x8864
#define DP_PPPOE_HDR_LEN 6
/** Bound of the tag walk (a 1500-byte MTU holds at most 373 empty tags). */
#define DP_PPPOE_MAX_TAGS 256
/** IANA enterprise number of the ADSL Forum / Broadband Forum (TR-101). */
#define DP_PPPOE_VENDOR_BBF 3561

enum dp_pppoe_code {
	DP_PPPOE_SESSION = 0x00,
	DP_PPPOE_PADO = 0x07,
	DP_PPPOE_PADI = 0x09,
	DP_PPPOE_PADR = 0x19,
	DP_PPPOE_PADS = 0x65,
	DP_PPPOE_PADT = 0xa7,
};

/** Error tags seen (bit set). */
enum dp_pppoe_error {
	DP_PPPOE_ERR_SERVICE_NAME = 1u << 0, /**< 0x0201 Service-Name-Error */
	DP_PPPOE_ERR_AC_SYSTEM = 1u << 1,    /**< 0x0202 AC-System-Error */
	DP_PPPOE_ERR_GENERIC = 1u << 2,      /**< 0x0203 Generic-Error */
};

/** One value per rejection reason. */
enum dp_pppoe_fail {
	DP_PPPOE_OK = 0,
	DP_PPPOE_TOO_SHORT,        /**< fewer than 6 bytes: no header */
	DP_PPPOE_BAD_ETHERTYPE,    /**< neither 0x8863 nor 0x8864 */
	DP_PPPOE_BAD_VERTYPE,      /**< VER or TYPE not 1 */
	DP_PPPOE_BAD_CODE,         /**< unknown discovery code, or non-zero in session stage */
	DP_PPPOE_BAD_SESSION_ID,   /**< SESSION_ID 0 where required, else non-zero, or 0xffff */
	DP_PPPOE_TRUNCATED,        /**< LENGTH beyond the bytes held */
	DP_PPPOE_TAG_HDR_TRUNC,    /**< 1..3 bytes left where a tag header starts */
	DP_PPPOE_TAG_OVERFLOW,     /**< TAG_LENGTH runs past LENGTH */
	DP_PPPOE_TOO_MANY_TAGS,    /**< more than DP_PPPOE_MAX_TAGS */
	DP_PPPOE_TAG_TOO_LONG,     /**< an exposed tag value longer than RT_TEXT_MAX */
	DP_PPPOE_EOL_LENGTH,       /**< End-Of-List with a non-zero TAG_LENGTH */
	DP_PPPOE_VENDOR_SHORT,     /**< Vendor-Specific tag shorter than its vendor id */
	DP_PPPOE_SUBTAG_OVERFLOW,  /**< TR-101 sub-tag header or value runs past the tag */
	DP_PPPOE_PPP_TRUNC,        /**< session payload shorter than a PPP protocol field */
	DP_PPPOE_PPP_BAD_PROTOCOL, /**< PPP protocol field not odd/even as RFC 1661 says */
	DP_PPPOE_FAIL_MAX
};

/** Stable short name ("tag-overflow", ...). */
const char *dp_pppoe_fail_str(enum dp_pppoe_fail f);

/** A decoded PPPoE frame; views point into the input. */
struct dp_pppoe {
	uint8_t code;       /**< enum dp_pppoe_code */
	uint16_t session_id;
	uint16_t length;    /**< the LENGTH field */

	/* Discovery tags (zero/empty when absent). */
	bool has_service_name;       /**< present, maybe empty ("any service") */
	struct rt_view service_name; /**< 0x0101 */
	struct rt_view ac_name;      /**< 0x0102 */
	struct rt_view host_uniq;    /**< 0x0103, binary */
	struct rt_view ac_cookie;    /**< 0x0104, binary */
	struct rt_view relay_session_id; /**< 0x0110, binary */
	bool has_tr101;              /**< vendor tag 0x0105 of enterprise 3561 seen */
	struct rt_view circuit_id;   /**< TR-101 Agent-Circuit-ID (sub-tag 1) */
	struct rt_view remote_id;    /**< TR-101 Agent-Remote-ID (sub-tag 2) */
	uint8_t errors;              /**< enum dp_pppoe_error bits */
	struct rt_view error_text;   /**< value of the first error tag (UTF-8, may be empty) */
	bool end_of_list;            /**< End-Of-List 0x0000 ended the walk */
	uint16_t tag_count;          /**< tags walked, End-Of-List included */

	/* Session stage. */
	uint16_t ppp_protocol;       /**< e.g. 0xc021 LCP, 0xc023 PAP, 0x8021 IPCP */
	const uint8_t *ppp_payload;  /**< after the protocol field, bounded by LENGTH */
	size_t ppp_len;
};

/**
 * Decode one PPPoE frame.
 * @param[in]  ethertype  0x8863 (discovery) or 0x8864 (session)
 * @param[in]  in         the L2 payload after the EtherType; not consumed
 * @param[out] ret        filled only when DP_PPPOE_OK is returned
 * @return DP_PPPOE_OK or the first rejection reason found: TOO_SHORT,
 *         BAD_ETHERTYPE, BAD_VERTYPE, BAD_CODE, BAD_SESSION_ID, TRUNCATED,
 *         TAG_HDR_TRUNC, TAG_OVERFLOW, TOO_MANY_TAGS, TAG_TOO_LONG,
 *         EOL_LENGTH, VENDOR_SHORT, SUBTAG_OVERFLOW (discovery);
 *         PPP_TRUNC, PPP_BAD_PROTOCOL (session)
 */
enum dp_pppoe_fail dp_pppoe_decode(uint16_t ethertype, const struct dp_cur *in,
				   struct dp_pppoe *ret);

#endif /* DP_PPPOE_H */
