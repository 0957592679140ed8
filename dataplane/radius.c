/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RADIUS validation, accounting decode and Request Authenticator.
 *
 * Validate, then decode (STYLE.md 4): dp_radius_check() proves that the
 * header is sane and that the attributes tile [20, Length) exactly, so the
 * decoder's walk can never leave the packet.  The decoder still reads only
 * through struct dp_cur, with one sub-cursor per attribute value.
 *
 * Packet layout (RFC 2865 section 3):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Code      |  Identifier   |            Length             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Authenticator (16 octets)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Attributes ...  | Type (1) | Length (1) | Value (Length - 2) |
 */
/* MD5_* are deprecated in OpenSSL 3: see acct_digest() for why they are used. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "radius.h"

#include <stddef.h>

#include <assert.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>

#include "cursor.h"

#define AUTH_OFF 4
#define AUTH_LEN 16

/* Attribute types decoded (RFC 2865, 2866, 3162, 3579, 4818, 6911). */
enum {
	ATTR_USER_NAME = 1,
	ATTR_USER_PASSWORD = 2,
	ATTR_CHAP_PASSWORD = 3,
	ATTR_NAS_IP_ADDRESS = 4,
	ATTR_FRAMED_IP_ADDRESS = 8,
	ATTR_STATE = 24,
	ATTR_CLASS = 25,
	ATTR_CALLED_STATION_ID = 30,
	ATTR_CALLING_STATION_ID = 31,
	ATTR_NAS_IDENTIFIER = 32,
	ATTR_PROXY_STATE = 33,
	ATTR_ACCT_STATUS_TYPE = 40,
	ATTR_ACCT_DELAY_TIME = 41,
	ATTR_ACCT_SESSION_ID = 44,
	ATTR_ACCT_SESSION_TIME = 46,
	ATTR_ACCT_TERMINATE_CAUSE = 49,
	ATTR_EVENT_TIMESTAMP = 55,
	ATTR_MESSAGE_AUTHENTICATOR = 80,
	ATTR_NAS_PORT_ID = 87,
	ATTR_NAS_IPV6_ADDRESS = 95,
	ATTR_FRAMED_IPV6_PREFIX = 97,
	ATTR_DELEGATED_IPV6_PREFIX = 123,
	ATTR_FRAMED_IPV6_ADDRESS = 168,
};

static const char *const radius_fail_names[] = {
	[DP_RADIUS_OK] = "ok",
	[DP_RADIUS_TOO_SHORT] = "too-short",
	[DP_RADIUS_BAD_CODE] = "bad-code",
	[DP_RADIUS_LENGTH_SMALL] = "length-small",
	[DP_RADIUS_LENGTH_LARGE] = "length-large",
	[DP_RADIUS_TRUNCATED] = "truncated",
	[DP_RADIUS_LENGTH_MISMATCH] = "length-mismatch",
	[DP_RADIUS_ATTR_HDR_TRUNC] = "attr-hdr-trunc",
	[DP_RADIUS_ATTR_LEN_SMALL] = "attr-len-small",
	[DP_RADIUS_ATTR_OVERFLOW] = "attr-overflow",
	[DP_RADIUS_TOO_MANY_ATTRS] = "too-many-attrs",
	[DP_RADIUS_ATTR_VALUE] = "attr-value",
	[DP_RADIUS_NO_STATUS] = "no-status",
	[DP_RADIUS_NOT_ACCESS] = "not-access",
};
static_assert(sizeof(radius_fail_names) / sizeof(radius_fail_names[0]) == DP_RADIUS_FAIL_MAX,
	      "radius_fail_names must name every enum dp_radius_fail value");

const char *dp_radius_fail_str(enum dp_radius_fail f)
{
	if ((unsigned)f >= DP_RADIUS_FAIL_MAX)
		return "unknown";
	return radius_fail_names[f];
}

static bool code_known(uint8_t code)
{
	switch (code) {
	case DP_RADIUS_ACCESS_REQUEST:
	case DP_RADIUS_ACCESS_ACCEPT:
	case DP_RADIUS_ACCESS_REJECT:
	case DP_RADIUS_ACCOUNTING_REQUEST:
	case DP_RADIUS_ACCOUNTING_RESPONSE:
	case DP_RADIUS_ACCESS_CHALLENGE:
	case DP_RADIUS_STATUS_SERVER:
	case DP_RADIUS_STATUS_CLIENT:
	case DP_RADIUS_DISCONNECT_REQUEST:
	case DP_RADIUS_DISCONNECT_ACK:
	case DP_RADIUS_DISCONNECT_NAK:
	case DP_RADIUS_COA_REQUEST:
	case DP_RADIUS_COA_ACK:
	case DP_RADIUS_COA_NAK:
		return true;
	default:
		return false;
	}
}

enum dp_radius_fail dp_radius_check(const uint8_t *p, size_t len)
{
	struct dp_cur c = dp_cur_make(p, len), attrs = {0};
	uint8_t code = 0;
	uint16_t rlen = 0;
	unsigned count = 0;

	/* RFC 2865 section 3: "The minimum length is 20 and maximum length
	 * is 4096." -- nothing shorter holds a header. */
	if (len < DP_RADIUS_HDR_LEN)
		return DP_RADIUS_TOO_SHORT;
	dp_cur_u8(&c, &code);
	/* RFC 2865 section 3: "When a packet is received with an invalid
	 * Code field, it is silently discarded." */
	if (!code_known(code))
		return DP_RADIUS_BAD_CODE;
	dp_cur_skip(&c, 1); /* identifier */
	dp_cur_be16(&c, &rlen);
	/* RFC 2865 section 3: "The Length field indicates the length of the
	 * packet including the Code, Identifier, Length, Authenticator and
	 * Attribute fields. ... The minimum length is 20 and maximum length
	 * is 4096." */
	if (rlen < DP_RADIUS_HDR_LEN)
		return DP_RADIUS_LENGTH_SMALL;
	if (rlen > DP_RADIUS_MAX_LEN)
		return DP_RADIUS_LENGTH_LARGE;
	/* RFC 2865 section 3: "If the packet is shorter than the Length
	 * field indicates, it MUST be silently discarded." */
	if (len < rlen)
		return DP_RADIUS_TRUNCATED;
	/* RFC 2865 section 3: "Octets outside the range of the Length field
	 * MUST be treated as padding and ignored on reception."  Deliberate
	 * deviation, see radius.h: a passive recorder counts this as
	 * malformed rather than guess which length is right. */
	if (len > rlen)
		return DP_RADIUS_LENGTH_MISMATCH;
	dp_cur_skip(&c, AUTH_LEN);
	dp_cur_sub(&c, rlen - DP_RADIUS_HDR_LEN, &attrs);

	while (dp_cur_left(&attrs) > 0) {
		uint8_t type = 0, alen = 0;

		/* An attribute needs at least its Type and Length octets. */
		if (!dp_cur_u8(&attrs, &type) || !dp_cur_u8(&attrs, &alen))
			return DP_RADIUS_ATTR_HDR_TRUNC;
		/* RFC 2865 section 5: "The Length field is one octet, and
		 * indicates the length of this Attribute including the Type,
		 * Length and Value fields." -- so 2 is the least it can be. */
		if (alen < 2)
			return DP_RADIUS_ATTR_LEN_SMALL;
		/* RFC 2865 section 5: "If an Attribute is received in an
		 * Access-Accept, Access-Reject or Access-Challenge packet with
		 * an invalid length, the packet MUST either be treated as an
		 * Access-Reject or else silently discarded." */
		if (!dp_cur_skip(&attrs, (size_t)alen - 2))
			return DP_RADIUS_ATTR_OVERFLOW;
		/* Bound the walk (FreeRADIUS fr_radius_ok does the same). */
		if (++count > DP_RADIUS_MAX_ATTRS)
			return DP_RADIUS_TOO_MANY_ATTRS;
	}
	return DP_RADIUS_OK;
}

/* RFC 2865 section 5: "integer  32 bit unsigned value, most significant
 * octet first." */
static bool val_u32(struct dp_cur *v, bool *has, uint32_t *out)
{
	if (dp_cur_left(v) != 4)
		return false;
	if (has)
		*has = true;
	return dp_cur_be32(v, out);
}

/* RFC 2865 section 5: "address  32 bit value, most significant octet
 * first."; RFC 3162 / RFC 6911: IPv6 addresses are 16 octets. */
static bool val_addr(struct dp_cur *v, size_t n, bool *has, uint8_t *out)
{
	if (dp_cur_left(v) != n)
		return false;
	*has = true;
	return dp_cur_copy(v, out, n);
}

/*
 * RFC 3162 section 2.3 (Framed-IPv6-Prefix), also RFC 4818 section 3
 * (Delegated-IPv6-Prefix):
 *
 *  | Type | Length | Reserved | Prefix-Length | Prefix ...
 *
 * "Length: At least 4 and no larger than 20."
 * "Reserved: This field, which is reserved and MUST be present, is always
 *  set to zero."  (tolerated if not: a recorder keeps what it can)
 * "Prefix-Length: The length of the prefix, in bits.  At least 0 and no
 *  larger than 128."
 * "Prefix: The Prefix field is up to 16 octets in length.  Bits outside of
 *  the Prefix-Length, if included, must be zero."  Senders that put
 *  non-zero bits there, or send fewer octets than Prefix-Length covers,
 *  exist; the value kept is the prefix with missing and extra bits zeroed.
 */
static bool val_prefix6(struct dp_cur *v, struct rt_prefix6 *out)
{
	uint8_t plen = 0;
	size_t n;

	if (dp_cur_left(v) < 2 || dp_cur_left(v) > 18)
		return false;
	dp_cur_skip(v, 1); /* reserved */
	dp_cur_u8(v, &plen);
	if (plen > 128)
		return false;
	n = dp_cur_left(v);
	memset(out->a, 0, sizeof(out->a));
	dp_cur_copy(v, out->a, n);
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = i * 8;

		if (bits >= plen)
			out->a[i] = 0;
		else if (plen - bits < 8)
			out->a[i] &= (uint8_t)(0xff00u >> (plen - bits));
	}
	out->plen = plen;
	out->present = true;
	return true;
}

static void val_text(struct dp_cur *v, struct rt_view *out)
{
	/* RFC 2865 section 5 says strings are at least one octet; an empty
	 * one is accepted as empty rather than dropping the packet.  The
	 * attribute length byte bounds it to 253. */
	out->p = (const char *)v->p;
	out->len = (uint8_t)dp_cur_left(v);
}

/* Decode one attribute value into a (unless a earlier occurrence of the
 * same type won).  Returns false if the value length is impossible. */
static bool decode_attr(uint8_t type, struct dp_cur *v, bool first, struct dp_radius_acct *a)
{
	struct dp_radius_acct scratch;
	struct dp_radius_acct *o = first ? a : &scratch;

	/* Repeats are validated as strictly as the first occurrence, into a
	 * scratch record that is thrown away.  Only the fields the switch
	 * touches are written there, so it is never read uninitialised. */
	switch (type) {
	case ATTR_USER_NAME:
		val_text(v, &o->user_name);
		return true;
	case ATTR_CLASS:
		val_text(v, &o->class_);
		return true;
	case ATTR_CALLED_STATION_ID:
		val_text(v, &o->called);
		return true;
	case ATTR_CALLING_STATION_ID:
		val_text(v, &o->calling);
		return true;
	case ATTR_NAS_IDENTIFIER:
		val_text(v, &o->nas_id);
		return true;
	case ATTR_ACCT_SESSION_ID:
		val_text(v, &o->session_id);
		return true;
	case ATTR_NAS_PORT_ID:
		val_text(v, &o->nas_port_id);
		return true;
	case ATTR_NAS_IP_ADDRESS:
		return val_addr(v, 4, &o->has_nas_ip, o->nas_ip);
	case ATTR_FRAMED_IP_ADDRESS:
		return val_addr(v, 4, &o->has_framed_ip, o->framed_ip);
	case ATTR_NAS_IPV6_ADDRESS:
		return val_addr(v, 16, &o->has_nas_ipv6, o->nas_ipv6);
	case ATTR_FRAMED_IPV6_ADDRESS:
		return val_addr(v, 16, &o->has_framed_ipv6_addr, o->framed_ipv6_addr);
	case ATTR_FRAMED_IPV6_PREFIX:
		return val_prefix6(v, &o->framed_ipv6_prefix);
	case ATTR_DELEGATED_IPV6_PREFIX:
		return val_prefix6(v, &o->delegated_prefix);
	case ATTR_ACCT_STATUS_TYPE:
		return val_u32(v, NULL, &o->status_type);
	case ATTR_ACCT_DELAY_TIME:
		return val_u32(v, &o->has_delay, &o->delay);
	case ATTR_ACCT_SESSION_TIME:
		return val_u32(v, &o->has_session_time, &o->session_time);
	case ATTR_ACCT_TERMINATE_CAUSE:
		return val_u32(v, &o->has_terminate_cause, &o->terminate_cause);
	case ATTR_EVENT_TIMESTAMP:
		return val_u32(v, &o->has_event_ts, &o->event_ts);
	case ATTR_MESSAGE_AUTHENTICATOR:
		/* RFC 3579 section 3.2: "Length = 18" */
		if (dp_cur_left(v) != 16)
			return false;
		o->has_message_authenticator = true;
		return true;
	default:
		return true; /* unknown: skipped */
	}
}

static void acct_reset(struct dp_radius_acct *a)
{
	memset(a, 0, sizeof(*a));
}

enum dp_radius_fail dp_radius_decode_acct(const uint8_t *p, size_t len,
					  struct dp_radius_acct *ret)
{
	enum dp_radius_fail fail = dp_radius_check(p, len);
	struct dp_cur c = dp_cur_make(p, len);
	struct dp_radius_acct *a = ret;
	uint64_t seen[4] = {0}; /* one bit per attribute type */
	bool has_status = false;
	uint16_t rlen = 0;

	if (fail != DP_RADIUS_OK)
		return fail;
	acct_reset(a);
	dp_cur_u8(&c, &a->code);
	dp_cur_u8(&c, &a->identifier);
	dp_cur_be16(&c, &rlen);
	a->length = rlen;
	dp_cur_copy(&c, a->authenticator, AUTH_LEN);

	while (dp_cur_left(&c) > 0) {
		uint8_t type = 0, alen = 0;
		struct dp_cur v = {0};
		bool first;

		/* dp_radius_check() proved these reads succeed; checked anyway
		 * so that this loop stands on its own. */
		if (!dp_cur_u8(&c, &type) || !dp_cur_u8(&c, &alen) || alen < 2 ||
		    !dp_cur_sub(&c, (size_t)alen - 2, &v))
			return DP_RADIUS_ATTR_OVERFLOW;
		first = !(seen[type / 64] & (UINT64_C(1) << (type % 64)));
		seen[type / 64] |= UINT64_C(1) << (type % 64);
		if (!decode_attr(type, &v, first, a))
			return DP_RADIUS_ATTR_VALUE;
		if (type == ATTR_ACCT_STATUS_TYPE)
			has_status = true;
	}

	/* RFC 2866 section 5.1: "Acct-Status-Type ... This attribute
	 * indicates whether this Accounting-Request marks the beginning of
	 * the user service (Start) or the end (Stop)."  It is the one
	 * attribute every Accounting-Request needs. */
	if (a->code == DP_RADIUS_ACCOUNTING_REQUEST && !has_status)
		return DP_RADIUS_NO_STATUS;
	return DP_RADIUS_OK;
}

/*
 * MD5 through libcrypto's MD5_Init/MD5_Update/MD5_Final.  They are
 * deprecated in OpenSSL 3 in favour of EVP, but the EVP path costs a
 * provider lookup and a heap allocation inside every EVP_DigestInit_ex()
 * (measured: about half of all ingest CPU time, ~400 ns per packet), while
 * these run on a stack context with no allocation: this is the per-packet
 * path.  Same library, same implementation of the digest.
 */
/*
 * RFC 2866 section 3: "The Request Authenticator is ... an MD5 hash
 * calculated over a stream of octets consisting of the Code + Identifier +
 * Length + 16 zero octets + request attributes + shared secret (where +
 * indicates concatenation)."
 */
static bool acct_digest(const uint8_t *p, size_t len, const uint8_t *secret, size_t secret_len,
			uint8_t out[AUTH_LEN])
{
	static const uint8_t zero[AUTH_LEN];
	MD5_CTX ctx;

	if (len < DP_RADIUS_HDR_LEN)
		return false;
	if (MD5_Init(&ctx) != 1 || MD5_Update(&ctx, p, AUTH_OFF) != 1 ||
	    MD5_Update(&ctx, zero, AUTH_LEN) != 1 ||
	    MD5_Update(&ctx, p + DP_RADIUS_HDR_LEN, len - DP_RADIUS_HDR_LEN) != 1 ||
	    (secret_len && MD5_Update(&ctx, secret, secret_len) != 1) || MD5_Final(out, &ctx) != 1)
		return false;
	return true;
}

bool dp_radius_acct_verify(const uint8_t *p, size_t len, const uint8_t *secret,
			   size_t secret_len)
{
	uint8_t want[AUTH_LEN];
	bool ok;

	/* The caller promises len == Length; a mismatch would hash the wrong
	 * octets, so it never verifies. */
	if (len < DP_RADIUS_HDR_LEN || len > DP_RADIUS_MAX_LEN ||
	    (((size_t)p[2] << 8) | p[3]) != len)
		return false;
	if (!acct_digest(p, len, secret, secret_len, want))
		return false;
	/* RFC 2866 section 4.1: "The Request Authenticator of the
	 * Accounting-Request contains a 16-octet MD5 hash value calculated
	 * according to the method described in "Request Authenticator"
	 * above."  Constant-time compare: the secret must not leak through
	 * timing. */
	ok = CRYPTO_memcmp(want, p + AUTH_OFF, AUTH_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

void dp_radius_acct_sign(uint8_t *p, size_t len, const uint8_t *secret, size_t secret_len)
{
	uint8_t auth[AUTH_LEN];

	assert(len >= DP_RADIUS_HDR_LEN);
	if (len < DP_RADIUS_HDR_LEN)
		return;
	if (!acct_digest(p, len, secret, secret_len, auth))
		memset(auth, 0, sizeof(auth)); /* never verifies */
	memcpy(p + AUTH_OFF, auth, AUTH_LEN);
}

/*
 * RFC 2865 section 3: "ResponseAuth = MD5(Code+ID+Length+RequestAuth+
 * Attributes+Secret) where + denotes concatenation."  The same stack MD5
 * context as acct_digest(): no allocation.
 */
static bool response_digest(const uint8_t *p, size_t len, const uint8_t req_auth[AUTH_LEN],
			    const uint8_t *secret, size_t secret_len, uint8_t out[AUTH_LEN])
{
	MD5_CTX ctx;

	if (len < DP_RADIUS_HDR_LEN)
		return false;
	if (MD5_Init(&ctx) != 1 || MD5_Update(&ctx, p, AUTH_OFF) != 1 ||
	    MD5_Update(&ctx, req_auth, AUTH_LEN) != 1 ||
	    MD5_Update(&ctx, p + DP_RADIUS_HDR_LEN, len - DP_RADIUS_HDR_LEN) != 1 ||
	    (secret_len && MD5_Update(&ctx, secret, secret_len) != 1) || MD5_Final(out, &ctx) != 1)
		return false;
	return true;
}

bool dp_radius_response_verify(const uint8_t *p, size_t len, const uint8_t req_auth[16],
			       const uint8_t *secret, size_t secret_len)
{
	uint8_t want[AUTH_LEN];
	bool ok;

	if (len < DP_RADIUS_HDR_LEN || len > DP_RADIUS_MAX_LEN ||
	    (((size_t)p[2] << 8) | p[3]) != len)
		return false;
	if (!response_digest(p, len, req_auth, secret, secret_len, want))
		return false;
	ok = CRYPTO_memcmp(want, p + AUTH_OFF, AUTH_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

void dp_radius_response_sign(uint8_t *p, size_t len, const uint8_t req_auth[16],
			     const uint8_t *secret, size_t secret_len)
{
	uint8_t auth[AUTH_LEN];

	assert(len >= DP_RADIUS_HDR_LEN);
	if (len < DP_RADIUS_HDR_LEN)
		return;
	if (!response_digest(p, len, req_auth, secret, secret_len, auth))
		memset(auth, 0, sizeof(auth));
	memcpy(p + AUTH_OFF, auth, AUTH_LEN);
}

/* ---- Access-* decode and Message-Authenticator (RFC 2865, RFC 3579) ---- */

enum dp_radius_fail dp_radius_decode_access(const uint8_t *p, size_t len,
					    struct dp_radius_access *ret)
{
	enum dp_radius_fail fail = dp_radius_decode_acct(p, len, &ret->attrs);
	struct dp_cur c = dp_cur_make(p, len);

	if (fail != DP_RADIUS_OK)
		return fail;
	switch (ret->attrs.code) {
	case DP_RADIUS_ACCESS_REQUEST:
	case DP_RADIUS_ACCESS_ACCEPT:
	case DP_RADIUS_ACCESS_REJECT:
	case DP_RADIUS_ACCESS_CHALLENGE:
		break;
	default:
		return DP_RADIUS_NOT_ACCESS;
	}
	memset(&ret->state, 0, sizeof(ret->state));
	memset(&ret->proxy_state, 0, sizeof(ret->proxy_state));
	ret->proxy_state_count = 0;
	ret->has_user_password = false;
	ret->has_chap_password = false;

	/* dp_radius_decode_acct() proved the framing; walk again for the
	 * attributes only Access packets carry. */
	dp_cur_skip(&c, DP_RADIUS_HDR_LEN);
	while (dp_cur_left(&c) > 0) {
		uint8_t type = 0, alen = 0;
		struct dp_cur v = {0};

		if (!dp_cur_u8(&c, &type) || !dp_cur_u8(&c, &alen) || alen < 2 ||
		    !dp_cur_sub(&c, (size_t)alen - 2, &v))
			return DP_RADIUS_ATTR_OVERFLOW;
		switch (type) {
		case ATTR_STATE:
			/* RFC 2865 section 5.24: "Length >= 3" */
			if (dp_cur_left(&v) == 0)
				return DP_RADIUS_ATTR_VALUE;
			if (ret->state.p == NULL)
				val_text(&v, &ret->state);
			break;
		case ATTR_PROXY_STATE:
			/* RFC 2865 section 5.33: "Length >= 3" */
			if (dp_cur_left(&v) == 0)
				return DP_RADIUS_ATTR_VALUE;
			if (ret->proxy_state_count++ == 0)
				val_text(&v, &ret->proxy_state);
			if (ret->proxy_state_count == 0)
				ret->proxy_state_count = UINT8_MAX; /* saturate */
			break;
		case ATTR_USER_PASSWORD:
			ret->has_user_password = true; /* value not read */
			break;
		case ATTR_CHAP_PASSWORD:
			ret->has_chap_password = true; /* value not read */
			break;
		default:
			break;
		}
	}
	return DP_RADIUS_OK;
}

/*
 * Find the one Message-Authenticator of a checked packet: the offset of
 * its 16-octet value, 0 if absent, -1 if malformed (length not 18, or
 * repeated -- RFC 3579 section 3.2: "A RADIUS packet MUST NOT contain more
 * than one Message-Authenticator attribute", via the table in 3.3: "0-1").
 */
static long msg_auth_find(const uint8_t *p, size_t len)
{
	struct dp_cur c = dp_cur_make(p, len);
	long at = 0;

	dp_cur_skip(&c, DP_RADIUS_HDR_LEN);
	while (dp_cur_left(&c) > 0) {
		uint8_t type = 0, alen = 0;
		size_t off = len - dp_cur_left(&c);

		if (!dp_cur_u8(&c, &type) || !dp_cur_u8(&c, &alen) || alen < 2 ||
		    !dp_cur_skip(&c, (size_t)alen - 2))
			return -1;
		if (type != ATTR_MESSAGE_AUTHENTICATOR)
			continue;
		/* RFC 3579 section 3.2: "Length = 18" */
		if (alen != 18 || at != 0)
			return -1;
		at = (long)off + 2;
	}
	return at;
}

/*
 * RFC 3579 section 3.2: "Message-Authenticator = HMAC-MD5 (Type,
 * Identifier, Length, Request Authenticator, Attributes)  When the checksum
 * is calculated the signature string should be considered to be sixteen
 * octets of zero. ... For Access-Challenge, Access-Accept, and
 * Access-Reject packets, the Message-Authenticator is calculated as
 * follows, using the Request-Authenticator from the Access-Request this
 * packet is in reply to".
 *
 * libcrypto's HMAC() one-shot over a stack copy of the packet (at most
 * 4096 octets) with the value zeroed and, for responses, the request's
 * authenticator put in place.  Access traffic is a fraction of the packet
 * rate, so the EVP cost inside HMAC() is acceptable here.
 */
static bool msg_auth_compute(const uint8_t *p, size_t len, long at, const uint8_t *req_auth,
			     const uint8_t *secret, size_t secret_len, uint8_t out[AUTH_LEN])
{
	uint8_t buf[DP_RADIUS_MAX_LEN];
	unsigned int olen = 0;
	static const uint8_t empty_key[1];
	bool ok;

	memcpy(buf, p, len);
	if (req_auth)
		memcpy(buf + AUTH_OFF, req_auth, AUTH_LEN);
	memset(buf + at, 0, AUTH_LEN);
	ok = HMAC(EVP_md5(), secret_len ? (const void *)secret : (const void *)empty_key,
		  (int)secret_len, buf, len, out, &olen) != NULL &&
	     olen == AUTH_LEN;
	OPENSSL_cleanse(buf, len);
	return ok;
}

static long msg_auth_locate(const uint8_t *p, size_t len, const uint8_t *secret,
			    size_t secret_len)
{
	if (dp_radius_check(p, len) != DP_RADIUS_OK)
		return -1;
	/* HMAC() takes an int key length. */
	if (secret_len > INT32_MAX || (secret_len && !secret))
		return -1;
	return msg_auth_find(p, len);
}

enum dp_radius_ma dp_radius_msg_auth_verify(const uint8_t *p, size_t len,
					    const uint8_t *req_auth, const uint8_t *secret,
					    size_t secret_len)
{
	uint8_t want[AUTH_LEN];
	long at = msg_auth_locate(p, len, secret, secret_len);
	bool ok;

	if (at < 0)
		return DP_RADIUS_MA_MALFORMED;
	if (at == 0)
		return DP_RADIUS_MA_MISSING;
	if (!msg_auth_compute(p, len, at, req_auth, secret, secret_len, want))
		return DP_RADIUS_MA_INVALID;
	ok = CRYPTO_memcmp(want, p + at, AUTH_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok ? DP_RADIUS_MA_VALID : DP_RADIUS_MA_INVALID;
}

int dp_radius_msg_auth_sign(uint8_t *p, size_t len, const uint8_t *req_auth,
			    const uint8_t *secret, size_t secret_len)
{
	uint8_t mac[AUTH_LEN];
	long at = msg_auth_locate(p, len, secret, secret_len);

	if (at <= 0)
		return -1;
	if (!msg_auth_compute(p, len, at, req_auth, secret, secret_len, mac))
		return -1;
	memcpy(p + at, mac, AUTH_LEN);
	return 0;
}
