/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file l2tp.h
 * @brief L2TPv2 decode (RFC 2661): header, control message AVPs (with
 *        hidden AVPs, section 4.3) and the PPP frame of data messages.
 *
 * Input: the UDP payload (port 1701).  Pure and allocation-free.  Views
 * point into the input, except the values of hidden AVPs decoded with the
 * tunnel secret: those point into the caller's struct dp_l2tp_hidden_buf
 * and are valid while it is (and until the next decode with it).
 *
 * Hidden AVPs: with a secret (and a buffer), a hidden Calling Number,
 * Called Number, Assigned Tunnel/Session ID or Result Code is decrypted
 * with the most recent Random Vector AVP before it.  The Original Length
 * that comes out of the cipher is checked against the decrypted size
 * before use (STYLE.md 4): a wrong secret almost always shows up as
 * DP_L2TP_HIDDEN_BAD_LENGTH.  Without a secret the AVP is only reported
 * (calling_hidden, called_hidden, hidden_count).
 *
 * Header (RFC 2661 section 3.1):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
 *  |           Tunnel ID           |           Session ID          |
 *  |             Ns (opt)          |             Nr (opt)          |
 *  |      Offset Size (opt)        |    Offset pad... (opt)
 *
 * AVP (section 4.1):
 *
 *  |M|H| rsvd  |      Length       |           Vendor ID           |
 *  |         Attribute Type        |        Attribute Value ...
 */
#ifndef DP_L2TP_H
#define DP_L2TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "session.h"

#define DP_L2TP_PORT 1701
#define DP_L2TP_AVP_HDR_LEN 6
#define DP_L2TP_MAX_AVPS 256

/* Header flag bits (masks, not bitfields: STYLE.md 4). */
#define DP_L2TP_FLAG_T 0x8000
#define DP_L2TP_FLAG_L 0x4000
#define DP_L2TP_FLAG_S 0x0800
#define DP_L2TP_FLAG_O 0x0200
#define DP_L2TP_FLAG_P 0x0100
#define DP_L2TP_VER_MASK 0x000f

/** Control message types (RFC 2661 section 3.2); 0 = ZLB acknowledgement. */
enum dp_l2tp_msg {
	DP_L2TP_ZLB = 0,
	DP_L2TP_SCCRQ = 1,
	DP_L2TP_SCCRP = 2,
	DP_L2TP_SCCCN = 3,
	DP_L2TP_STOPCCN = 4,
	DP_L2TP_HELLO = 6,
	DP_L2TP_OCRQ = 7,
	DP_L2TP_OCRP = 8,
	DP_L2TP_OCCN = 9,
	DP_L2TP_ICRQ = 10,
	DP_L2TP_ICRP = 11,
	DP_L2TP_ICCN = 12,
	DP_L2TP_CDN = 14,
	DP_L2TP_WEN = 15,
	DP_L2TP_SLI = 16,
};

/** One value per rejection reason. */
enum dp_l2tp_fail {
	DP_L2TP_OK = 0,
	DP_L2TP_TOO_SHORT,        /**< fewer than 6 bytes */
	DP_L2TP_BAD_VERSION,      /**< Ver not 2 (1 = L2F, 3 = L2TPv3) */
	DP_L2TP_BAD_FLAGS,        /**< control message without L or S, or with O or P */
	DP_L2TP_HDR_TRUNC,        /**< optional header fields cut short */
	DP_L2TP_LENGTH_SMALL,     /**< Length smaller than the header */
	DP_L2TP_TRUNCATED,        /**< Length beyond the bytes held */
	DP_L2TP_OFFSET_OVERFLOW,  /**< Offset Size runs past the message */
	DP_L2TP_AVP_HDR_TRUNC,    /**< 1..5 bytes left where an AVP starts */
	DP_L2TP_AVP_LEN_SMALL,    /**< AVP Length < 6 */
	DP_L2TP_AVP_OVERFLOW,     /**< AVP runs past the message */
	DP_L2TP_TOO_MANY_AVPS,    /**< more than DP_L2TP_MAX_AVPS */
	DP_L2TP_NO_MSG_TYPE,      /**< first AVP is not Message Type */
	DP_L2TP_MUST_NOT_HIDE,    /**< Message Type or Random Vector with H set */
	DP_L2TP_BAD_MSG_TYPE,     /**< unknown message type value */
	DP_L2TP_AVP_VALUE,        /**< a known AVP with an impossible value length */
	DP_L2TP_HIDDEN_NO_RV,     /**< hidden AVP to decrypt with no Random Vector before it */
	DP_L2TP_HIDDEN_BAD_LENGTH,/**< decrypted Original Length exceeds the value */
	DP_L2TP_TEXT_LONG,        /**< Calling/Called Number longer than RT_TEXT_MAX */
	DP_L2TP_PPP_TRUNC,        /**< data message without a whole PPP protocol field */
	DP_L2TP_PPP_BAD_PROTOCOL, /**< PPP protocol field not as RFC 1661 says */
	DP_L2TP_FAIL_MAX
};

/** Stable short name ("avp-overflow", ...). */
const char *dp_l2tp_fail_str(enum dp_l2tp_fail f);

/** Caller-owned output space for decrypted hidden values (two texts). */
#define DP_L2TP_HIDDEN_BUF (2 * RT_TEXT_MAX)
struct dp_l2tp_hidden_buf {
	uint8_t b[DP_L2TP_HIDDEN_BUF];
};

/** A decoded L2TPv2 message. */
struct dp_l2tp {
	uint16_t flags;       /**< the first 16 bits, DP_L2TP_FLAG_* and version */
	bool control;         /**< T bit */
	uint16_t length;      /**< Length field, or the bytes held when L = 0 */
	uint16_t tunnel_id, session_id;
	bool has_seq;
	uint16_t ns, nr;

	/* Control messages (first occurrence of each AVP wins). */
	uint16_t msg_type;    /**< enum dp_l2tp_msg */
	bool has_result;      /**< Result Code AVP (1) */
	uint16_t result_code;
	bool has_error_code;
	uint16_t error_code;
	bool has_assigned_tunnel_id;  /**< 9 */
	uint16_t assigned_tunnel_id;
	bool has_assigned_session_id; /**< 14 */
	uint16_t assigned_session_id;
	struct rt_view calling;       /**< 22 (maybe decrypted) */
	struct rt_view called;        /**< 21 (maybe decrypted) */
	bool calling_hidden;          /**< 22 was hidden and not decrypted */
	bool called_hidden;           /**< 21 was hidden and not decrypted */
	uint16_t hidden_count;        /**< AVPs with H set (decrypted or not) */
	uint16_t avp_count;

	/* Data messages. */
	uint16_t ppp_protocol;
	const uint8_t *ppp_payload;   /**< after the protocol field */
	size_t ppp_len;
};

/**
 * Decode one L2TPv2 message.
 * @param[in]  in          the UDP payload; not consumed
 * @param[in]  secret      tunnel secret, or NULL: hidden AVPs only reported
 * @param[in]  secret_len  its length
 * @param[out] hbuf        where decrypted hidden values go (NULL: as if no
 *                         secret); views into it stay valid until its next use
 * @param[out] ret         filled only when DP_L2TP_OK is returned
 * @return DP_L2TP_OK or the first rejection reason found (see enum)
 */
enum dp_l2tp_fail dp_l2tp_decode(const struct dp_cur *in, const uint8_t *secret,
				 size_t secret_len, struct dp_l2tp_hidden_buf *hbuf,
				 struct dp_l2tp *ret);

/**
 * Hide an AVP value as RFC 2661 section 4.3 describes (tests and the
 * capture generator): out = MD5 chain over (Original Length | value |
 * pad_len zero octets).
 * @param[out] out  room for 2 + value_len + pad_len octets
 * @return the hidden length, or 0 on a libcrypto failure
 */
size_t dp_l2tp_hide(uint16_t attr_type, const uint8_t *value, size_t value_len, size_t pad_len,
		    const uint8_t *secret, size_t secret_len, const uint8_t *rv, size_t rv_len,
		    uint8_t *out);

#endif /* DP_L2TP_H */
