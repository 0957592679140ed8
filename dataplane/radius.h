/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file radius.h
 * @brief RADIUS packet validation and accounting decode (RFC 2865, 2866,
 *        3162, 4818, 6911, 5176).
 *
 * Validate, then decode: dp_radius_check() walks the whole packet first and
 * accepts it only if the header is sane and the attributes add up exactly
 * to Length; only then does dp_radius_decode_acct() read attribute values.
 *
 * Deviation from RFC 2865 section 3 ("Octets outside the range of the
 * Length field MUST be treated as padding"): retain is a passive recorder,
 * not a server, so a UDP payload longer than Length is counted as malformed
 * (DP_RADIUS_LENGTH_MISMATCH) and never produces a record; a payload shorter
 * than Length is DP_RADIUS_TRUNCATED as the RFC says.
 */
#ifndef DP_RADIUS_H
#define DP_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

#define DP_RADIUS_HDR_LEN 20
#define DP_RADIUS_MAX_LEN 4096
#define DP_RADIUS_MAX_ATTRS 512

enum dp_radius_code {
	DP_RADIUS_ACCESS_REQUEST = 1,
	DP_RADIUS_ACCESS_ACCEPT = 2,
	DP_RADIUS_ACCESS_REJECT = 3,
	DP_RADIUS_ACCOUNTING_REQUEST = 4,
	DP_RADIUS_ACCOUNTING_RESPONSE = 5,
	DP_RADIUS_ACCESS_CHALLENGE = 11,
	DP_RADIUS_STATUS_SERVER = 12,      /* RFC 5997 */
	DP_RADIUS_STATUS_CLIENT = 13,      /* RFC 5997 */
	DP_RADIUS_DISCONNECT_REQUEST = 40, /* RFC 5176 */
	DP_RADIUS_DISCONNECT_ACK = 41,
	DP_RADIUS_DISCONNECT_NAK = 42,
	DP_RADIUS_COA_REQUEST = 43,
	DP_RADIUS_COA_ACK = 44,
	DP_RADIUS_COA_NAK = 45,
};

enum dp_acct_status {
	DP_ACCT_START = 1,
	DP_ACCT_STOP = 2,
	DP_ACCT_INTERIM = 3,
	DP_ACCT_ON = 7,
	DP_ACCT_OFF = 8,
};

/** One value per rejection reason (FreeRADIUS fr_radius_decode_fail_t style). */
enum dp_radius_fail {
	DP_RADIUS_OK = 0,
	DP_RADIUS_TOO_SHORT,         /**< payload < 20 bytes */
	DP_RADIUS_BAD_CODE,          /**< code not a known RADIUS code */
	DP_RADIUS_LENGTH_SMALL,      /**< Length field < 20 */
	DP_RADIUS_LENGTH_LARGE,      /**< Length field > 4096 */
	DP_RADIUS_TRUNCATED,         /**< payload shorter than Length */
	DP_RADIUS_LENGTH_MISMATCH,   /**< payload longer than Length */
	DP_RADIUS_ATTR_HDR_TRUNC,    /**< one byte left where an attribute header starts */
	DP_RADIUS_ATTR_LEN_SMALL,    /**< attribute Length 0 or 1 */
	DP_RADIUS_ATTR_OVERFLOW,     /**< attribute runs past Length */
	DP_RADIUS_TOO_MANY_ATTRS,    /**< more than DP_RADIUS_MAX_ATTRS */
	DP_RADIUS_ATTR_VALUE,        /**< a known attribute has an impossible value length */
	DP_RADIUS_NO_STATUS,         /**< Accounting-Request without Acct-Status-Type */
	DP_RADIUS_NOT_ACCESS,        /**< dp_radius_decode_access() on another code */
	DP_RADIUS_FAIL_MAX
};

/** Stable short name ("attr-overflow", ...). */
const char *dp_radius_fail_str(enum dp_radius_fail f);

/**
 * Check a whole RADIUS packet (header and attribute framing).
 * @param[in] p, len  the UDP payload
 * @return DP_RADIUS_OK or the first failure found
 */
enum dp_radius_fail dp_radius_check(const uint8_t *p, size_t len);

/** Decoded Accounting-Request; text fields are views into the packet. */
struct dp_radius_acct {
	uint8_t code;
	uint8_t identifier;
	uint16_t length;
	uint8_t authenticator[16];

	uint32_t status_type;        /**< enum dp_acct_status; 0 if absent */
	bool has_nas_ip;             /* 4 */
	uint8_t nas_ip[4];
	bool has_nas_ipv6;           /* 95 */
	uint8_t nas_ipv6[16];
	bool has_framed_ip;          /* 8 */
	uint8_t framed_ip[4];
	bool has_framed_ipv6_addr;   /* 168 */
	uint8_t framed_ipv6_addr[16];
	struct rt_prefix6 framed_ipv6_prefix; /* 97 */
	struct rt_prefix6 delegated_prefix;   /* 123 */
	bool has_delay;              /* 41 */
	uint32_t delay;
	bool has_session_time;       /* 46 */
	uint32_t session_time;
	bool has_terminate_cause;    /* 49 */
	uint32_t terminate_cause;
	bool has_event_ts;           /* 55 */
	uint32_t event_ts;
	bool has_message_authenticator; /* 80 */

	/* Texts are views into the packet: valid while the packet is. */
	struct rt_view user_name;    /* 1 */
	struct rt_view class_;       /* 25 */
	struct rt_view called;       /* 30 */
	struct rt_view calling;      /* 31 */
	struct rt_view nas_id;       /* 32 */
	struct rt_view session_id;   /* 44 */
	struct rt_view nas_port_id;  /* 87 */
};

/**
 * Decode an Accounting-Request that passed dp_radius_check().  Unknown
 * attributes are skipped; when an attribute repeats, the first wins (every
 * occurrence of a known attribute must still have a valid length).  The
 * packet is checked again first, so any buffer is safe to pass.  Packets of
 * other codes are decoded the same way but need no Acct-Status-Type.
 * @param[out] ret  filled when DP_RADIUS_OK is returned; unspecified
 *                  otherwise (it is decoded in place: no copy per packet)
 * @return DP_RADIUS_OK, DP_RADIUS_ATTR_VALUE (e.g. Framed-IP-Address not 4
 *         bytes, a prefix length > 128), DP_RADIUS_NO_STATUS, or a check failure
 */
enum dp_radius_fail dp_radius_decode_acct(const uint8_t *p, size_t len,
					  struct dp_radius_acct *ret);

/**
 * Verify the Request Authenticator of an Accounting-Request (RFC 2866
 * section 3): MD5(Code | Identifier | Length | 16 zero octets | attributes |
 * secret) must equal the authenticator in the packet.  Uses libcrypto; the
 * comparison is constant-time.
 * @param[in] p, len  the packet, len == its Length field (already checked)
 */
bool dp_radius_acct_verify(const uint8_t *p, size_t len, const uint8_t *secret,
			   size_t secret_len);

/**
 * Compute the Request Authenticator of an Accounting-Request as above and
 * write it into p[4..20) (tests and the capture generator use this).
 * @param[in,out] p, len  the packet, len == its Length field, len >= 20
 */
void dp_radius_acct_sign(uint8_t *p, size_t len, const uint8_t *secret, size_t secret_len);

/**
 * Verify the Response Authenticator of a response (Access-Accept, -Reject,
 * -Challenge; RFC 2865 section 3): MD5(Code | Identifier | Length | Request
 * Authenticator | attributes | secret) must equal the authenticator in the
 * packet.  Constant-time comparison.
 * @param[in] p, len    the response, len == its Length field (checked)
 * @param[in] req_auth  the 16-octet Request Authenticator of the request
 *                      it answers
 */
bool dp_radius_response_verify(const uint8_t *p, size_t len, const uint8_t req_auth[16],
			       const uint8_t *secret, size_t secret_len);

/** Compute the Response Authenticator as above and write it into p[4..20)
 *  (tests and the capture generator).  len == Length, len >= 20. */
void dp_radius_response_sign(uint8_t *p, size_t len, const uint8_t req_auth[16],
			     const uint8_t *secret, size_t secret_len);

/** Decoded Access-Request / -Accept / -Reject / -Challenge. */
struct dp_radius_access {
	/** Every attribute dp_radius_decode_acct() decodes (Framed-IP-Address,
	 *  Class, the IPv6 attributes of an Accept, User-Name, ...), same
	 *  rules; status_type stays 0. */
	struct dp_radius_acct attrs;
	struct rt_view state;        /**< 24, first occurrence */
	struct rt_view proxy_state;  /**< 33, first occurrence */
	uint8_t proxy_state_count;   /**< 33 may repeat (RFC 2865 section 5.33) */
	/** User-Password (2) / CHAP-Password (3) present.  Their values are
	 *  never decoded, copied or pointed to. */
	bool has_user_password;
	bool has_chap_password;
};

/**
 * Decode an Access-Request (1), Access-Accept (2), Access-Reject (3) or
 * Access-Challenge (11).  The packet is checked first (dp_radius_check()).
 * @param[out] ret  filled in place when DP_RADIUS_OK is returned;
 *                  unspecified otherwise
 * @return DP_RADIUS_OK, DP_RADIUS_NOT_ACCESS (another code),
 *         DP_RADIUS_ATTR_VALUE (as dp_radius_decode_acct(); also
 *         State/Proxy-State empty, which RFC 2865 forbids), or a check failure
 */
enum dp_radius_fail dp_radius_decode_access(const uint8_t *p, size_t len,
					    struct dp_radius_access *ret);

/** Message-Authenticator verdict (RFC 3579 section 3.2). */
enum dp_radius_ma {
	DP_RADIUS_MA_VALID = 0,   /**< present and verifies */
	DP_RADIUS_MA_MISSING,     /**< absent: counted (BlastRADIUS exposure) */
	DP_RADIUS_MA_INVALID,     /**< present, does not verify */
	DP_RADIUS_MA_MALFORMED,   /**< packet fails dp_radius_check(), attribute
				       length not 18, or present twice */
};

/**
 * Verify the Message-Authenticator (80) of a packet: HMAC-MD5 keyed with
 * the shared secret over the packet with the attribute value zeroed (RFC
 * 3579 section 3.2).  For Access-Request (and Status-Server) the packet's
 * own Request Authenticator is used; for responses, pass the Request
 * Authenticator of the request they answer in req_auth.
 * @param[in] p, len    the packet (len == Length, at most 4096)
 * @param[in] req_auth  16 octets for responses; NULL for requests
 * @return enum dp_radius_ma; the comparison is constant-time
 */
enum dp_radius_ma dp_radius_msg_auth_verify(const uint8_t *p, size_t len,
					    const uint8_t *req_auth, const uint8_t *secret,
					    size_t secret_len);

/**
 * Compute and write the Message-Authenticator value into the packet's
 * attribute 80 (tests and the capture generator).  Same arguments as
 * dp_radius_msg_auth_verify().
 * @return 0, or -1 if the packet fails dp_radius_check() or has no (or two)
 *         well-formed Message-Authenticator
 */
int dp_radius_msg_auth_sign(uint8_t *p, size_t len, const uint8_t *req_auth,
			    const uint8_t *secret, size_t secret_len);

#endif /* DP_RADIUS_H */
