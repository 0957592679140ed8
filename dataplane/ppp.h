/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file ppp.h
 * @brief PPP control protocol decode: LCP (RFC 1661), PAP (RFC 1334), CHAP
 *        (RFC 1994), IPCP (RFC 1332, DNS options RFC 1877), IPV6CP
 *        (RFC 5072).
 *
 * Input: the PPP protocol number and the packet after the protocol field
 * (dp_pppoe's ppp_payload, or an L2TP data message's PPP payload).  Pure and
 * allocation-free; views point into the input.
 *
 * Secrets are never exposed: the PAP password and the CHAP response value
 * are length-checked and skipped, not copied and not returned as views.
 *
 * Every control packet shares one header (RFC 1661 section 5):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Code      |  Identifier   |            Length             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    Data ...
 *
 * Bytes beyond Length are link padding and ignored ("Octets outside the
 * range of the Length field should be treated as Data Link Layer padding").
 */
#ifndef DP_PPP_H
#define DP_PPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "session.h"

#define DP_PPP_HDR_LEN 4
/** Bound of the IPCP/IPV6CP option walk. */
#define DP_PPP_MAX_OPTIONS 64

enum dp_ppp_protocol {
	DP_PPP_IPCP = 0x8021,
	DP_PPP_IPV6CP = 0x8057,
	DP_PPP_LCP = 0xc021,
	DP_PPP_PAP = 0xc023,
	DP_PPP_CHAP = 0xc223,
};

/** LCP/IPCP/IPV6CP codes (RFC 1661 section 5). */
enum dp_ppp_cp_code {
	DP_PPP_CONF_REQ = 1,
	DP_PPP_CONF_ACK = 2,
	DP_PPP_CONF_NAK = 3,
	DP_PPP_CONF_REJ = 4,
	DP_PPP_TERM_REQ = 5,
	DP_PPP_TERM_ACK = 6,
	DP_PPP_CODE_REJ = 7,
	/* LCP only: */
	DP_PPP_PROTO_REJ = 8,
	DP_PPP_ECHO_REQ = 9,
	DP_PPP_ECHO_REP = 10,
	DP_PPP_DISCARD_REQ = 11,
};

enum dp_ppp_pap_code {
	DP_PPP_PAP_REQ = 1,
	DP_PPP_PAP_ACK = 2,
	DP_PPP_PAP_NAK = 3,
};

enum dp_ppp_chap_code {
	DP_PPP_CHAP_CHALLENGE = 1,
	DP_PPP_CHAP_RESPONSE = 2,
	DP_PPP_CHAP_SUCCESS = 3,
	DP_PPP_CHAP_FAILURE = 4,
};

/** One value per rejection reason. */
enum dp_ppp_fail {
	DP_PPP_OK = 0,
	DP_PPP_NOT_CONTROL,      /**< protocol is not one decoded here (not malformed) */
	DP_PPP_TOO_SHORT,        /**< fewer than 4 bytes: no header */
	DP_PPP_LENGTH_SMALL,     /**< Length < 4 (or below the code's minimum) */
	DP_PPP_TRUNCATED,        /**< Length beyond the bytes held */
	DP_PPP_BAD_CODE,         /**< code not defined for the protocol */
	DP_PPP_FIELD_OVERFLOW,   /**< a PAP/CHAP length octet runs past Length */
	DP_PPP_TRAILING,         /**< PAP Authenticate-Request with bytes after the password */
	DP_PPP_TEXT_LONG,        /**< peer-id / name / message longer than RT_TEXT_MAX */
	DP_PPP_OPT_HDR_TRUNC,    /**< one byte left where an option header starts */
	DP_PPP_OPT_LEN_SMALL,    /**< option Length 0 or 1 */
	DP_PPP_OPT_OVERFLOW,     /**< option runs past Length */
	DP_PPP_OPT_VALUE,        /**< a known option with the wrong length */
	DP_PPP_TOO_MANY_OPTIONS, /**< more than DP_PPP_MAX_OPTIONS */
	DP_PPP_FAIL_MAX
};

/** Stable short name ("opt-overflow", ...). */
const char *dp_ppp_fail_str(enum dp_ppp_fail f);

/** A decoded control packet. */
struct dp_ppp {
	uint16_t protocol;  /**< enum dp_ppp_protocol */
	uint8_t code;       /**< per-protocol code */
	uint8_t identifier;
	uint16_t length;    /**< the Length field */

	/** PAP Authenticate-Request peer-id, CHAP Response name (the
	 *  account); also CHAP Challenge name (the authenticator's). */
	struct rt_view name;
	/** PAP Ack/Nak message, CHAP Success/Failure message. */
	struct rt_view message;

	/* IPCP (RFC 1332 option 3, RFC 1877 options 129 and 131) */
	bool has_ip;
	uint8_t ip[4];
	bool has_dns1;
	uint8_t dns1[4];
	bool has_dns2;
	uint8_t dns2[4];
	/* IPV6CP (RFC 5072 option 1) */
	bool has_ifid;
	uint8_t ifid[8];
};

/**
 * Decode one PPP control packet.
 * @param[in]  protocol  the PPP protocol field
 * @param[in]  in        the bytes after the protocol field; not consumed
 * @param[out] ret       filled only when DP_PPP_OK is returned
 * @return DP_PPP_OK; DP_PPP_NOT_CONTROL for any other protocol; TOO_SHORT,
 *         LENGTH_SMALL, TRUNCATED, BAD_CODE; FIELD_OVERFLOW, TRAILING,
 *         TEXT_LONG (PAP/CHAP); OPT_HDR_TRUNC, OPT_LEN_SMALL, OPT_OVERFLOW,
 *         OPT_VALUE, TOO_MANY_OPTIONS (IPCP/IPV6CP Configure-*)
 */
enum dp_ppp_fail dp_ppp_decode(uint16_t protocol, const struct dp_cur *in, struct dp_ppp *ret);

/** Result of dp_ppp_read_protocol(). */
enum dp_ppp_proto_read { DP_PPP_PROTO_OK, DP_PPP_PROTO_TRUNC, DP_PPP_PROTO_BAD };

/**
 * Read the PPP protocol field (one octet if Protocol-Field-Compression
 * shortened it: an odd first octet; else two octets, the second odd; RFC
 * 1661 section 2) and consume it.  Shared by the PPPoE and L2TP decoders.
 */
static inline enum dp_ppp_proto_read dp_ppp_read_protocol(struct dp_cur *c, uint16_t *ret)
{
	uint8_t b0 = 0, b1 = 0;
	if (!dp_cur_u8(c, &b0))
		return DP_PPP_PROTO_TRUNC;
	if (b0 & 1) {
		*ret = b0;
		return DP_PPP_PROTO_OK;
	}
	if (!dp_cur_u8(c, &b1))
		return DP_PPP_PROTO_TRUNC;
	if (!(b1 & 1))
		return DP_PPP_PROTO_BAD;
	*ret = (uint16_t)(b0 << 8 | b1);
	return DP_PPP_PROTO_OK;
}

#endif /* DP_PPP_H */
