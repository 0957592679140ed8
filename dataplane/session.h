/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file session.h
 * @brief The one record type the dataplane hands to the rest of retain.
 *
 * A struct rt_session is one access session (not a packet, not a flow):
 * login/logoff time, account, assigned addresses, calling number and the
 * NAS that served it.  Field names follow DESIGN.md section 4 and are the
 * names used in every output.
 *
 * Invariants:
 *  - The struct is plain data: no pointers, safe to copy with memcpy and
 *    to hand across threads.  It is NOT an on-disk format: storage encodes
 *    it with its own versioned codec (storage/record.c).
 *  - Text fields are raw bytes as seen on the wire (RADIUS strings are at
 *    most 253 octets, RFC 2865 section 5), not NUL terminated; `len` says
 *    how many bytes of `v` are valid.  They may contain any byte value;
 *    outputs escape them.
 *  - Times are integer nanoseconds since the Unix epoch, UTC.
 *    stop_ns == RT_TIME_NONE while the session is open.
 *
 * This header includes no packet headers: storage/ and control/ may use it.
 */
#ifndef RT_SESSION_H
#define RT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#define RT_TEXT_MAX 253
#define RT_TIME_NONE INT64_MIN

/** A raw, length-delimited string of at most RT_TEXT_MAX bytes. */
struct rt_text {
	uint8_t len;
	char v[RT_TEXT_MAX];
};

/** A borrowed view of at most RT_TEXT_MAX wire bytes (decoders hand these
 *  out: valid only while the packet they point into is). */
struct rt_view {
	const char *p;
	uint8_t len;
};

/** An IPv4 or IPv6 address (IPv4 as the first 4 bytes of `a`). */
struct rt_addr {
	uint8_t family; /**< 0 = none, 4 or 6 */
	uint8_t a[16];  /**< network byte order */
};

/** An IPv6 prefix; plen > 128 never occurs in a valid prefix. */
struct rt_prefix6 {
	bool present;
	uint8_t plen;
	uint8_t a[16];
};

/** Which protocols attested a session (bit set). */
enum rt_source {
	RT_SRC_RADIUS = 1u << 0,
	RT_SRC_PPPOE = 1u << 1,
	RT_SRC_DHCP = 1u << 2,
	RT_SRC_L2TP = 1u << 3,
};

/** RADIUS authenticator verdict of the packets that built the session. */
enum rt_auth {
	RT_AUTH_NONE = 0,     /**< not a RADIUS session */
	RT_AUTH_VERIFIED = 1, /**< every accepted packet verified */
	RT_AUTH_NO_SECRET = 2 /**< NAS has no configured secret */
};

/** Record flags (bit set, struct rt_session.flags). */
enum rt_flag {
	/** DHCP session whose line identity (option 82) is in no line map
	 *  and that no RADIUS session claimed: the account is the line
	 *  identity standing in for the real one (dataplane/ACCESS.md). */
	RT_FLAG_UNMAPPED = 1u << 0,
};

/**
 * Why a session ended.  Values 1..RT_CAUSE_RADIUS_MAX are the RADIUS
 * Acct-Terminate-Cause values (RFC 2866 section 5.10, RFC 3580/4675 and the
 * IANA registry); the values above are causes retain infers itself.
 */
enum rt_cause {
	RT_CAUSE_NONE = 0, /**< open, or a Stop without Acct-Terminate-Cause */
	RT_CAUSE_RADIUS_MAX = 22,
	RT_CAUSE_NAS_REBOOT_INFERRED = 200, /**< Accounting-On/Off seen */
	RT_CAUSE_ORPHAN_TIMEOUT = 201,      /**< no news for k x interval */
	RT_CAUSE_PADT = 202,
	RT_CAUSE_RELEASE = 203,
	RT_CAUSE_LEASE_EXPIRED = 204,
};

struct rt_session {
	int64_t start_ns;
	int64_t stop_ns; /**< RT_TIME_NONE while open */
	/** Tracker state kept with open sessions so that tracking resumes
	 *  across runs: event time of the last news, and of the one before
	 *  (RT_TIME_NONE if none).  Not part of query outputs. */
	int64_t last_news_ns;
	int64_t prev_news_ns;

	struct rt_text account;
	struct rt_text session_id;
	struct rt_text calling_number;
	struct rt_text nas_id;
	struct rt_text nas_port_id;

	struct rt_addr nas_ip;
	bool has_ipv4;
	uint8_t ipv4[4]; /**< network byte order */
	bool has_ipv6_addr;
	uint8_t ipv6_addr[16];
	struct rt_prefix6 ipv6_prefix;
	struct rt_prefix6 delegated_prefix;
	bool has_calling_mac;
	uint8_t calling_mac[6];

	bool has_clock_skew;
	int32_t clock_skew_ms; /**< capture time - delay - Event-Timestamp */

	uint8_t stop_cause; /**< enum rt_cause */
	uint8_t sources;    /**< enum rt_source bits */
	uint8_t auth;       /**< enum rt_auth */
	uint8_t flags;      /**< enum rt_flag bits */
};

/** Name of a stop cause as printed in outputs, or NULL for RT_CAUSE_NONE
 *  or an unknown value (printed as "cause-N" by outputs). */
const char *rt_cause_name(unsigned cause);

/** Name of an auth verdict ("verified", "no-secret"), or NULL. */
const char *rt_auth_name(unsigned auth);

/**
 * Normalise a calling number to a MAC if it is one in a common spelling:
 * aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff, aabbccddeeff
 * (either case).
 * @return true and fills ret_mac if it is a MAC.
 */
bool rt_mac_parse(const char *s, unsigned len, uint8_t ret_mac[6]);

/** Value of a hex digit (either case), or -1. */
static inline int rt_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/** Copy at most RT_TEXT_MAX bytes into t. */
void rt_text_set(struct rt_text *t, const void *v, unsigned len);

#endif /* RT_SESSION_H */
