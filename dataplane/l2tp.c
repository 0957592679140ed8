/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * L2TPv2 decode (RFC 2661).
 *
 * Two lengths (STYLE.md 4): the bytes held and the Length field (always
 * present in control messages).  Everything after the first four octets is
 * read through a cursor capped to Length; each AVP value through its own
 * sub-cursor.  Hidden AVP values are decrypted into a stack buffer sized
 * for the largest AVP (1023 - 6 octets), and the Original Length found
 * inside is checked against what was decrypted before anything uses it.
 *
 * MD5 goes through MD5_Init/Update/Final as in radius.c (same reason:
 * no allocation per call), hence OPENSSL_SUPPRESS_DEPRECATED.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "l2tp.h"
#include "ppp.h"

#include <assert.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/md5.h>

#define AVP_FLAG_M 0x8000
#define AVP_FLAG_H 0x4000
#define AVP_RESERVED 0x3c00
#define AVP_LEN_MASK 0x03ff
#define AVP_MAX_VALUE (AVP_LEN_MASK - DP_L2TP_AVP_HDR_LEN)
#define MD5_LEN 16

/* Attribute types, RFC 2661 section 4.4. */
enum {
	AVP_MESSAGE_TYPE = 0,
	AVP_RESULT_CODE = 1,
	AVP_ASSIGNED_TUNNEL_ID = 9,
	AVP_ASSIGNED_SESSION_ID = 14,
	AVP_CALLED_NUMBER = 21,
	AVP_CALLING_NUMBER = 22,
	AVP_RANDOM_VECTOR = 36,
};

static const char *const l2tp_fail_names[] = {
	[DP_L2TP_OK] = "ok",
	[DP_L2TP_TOO_SHORT] = "too-short",
	[DP_L2TP_BAD_VERSION] = "bad-version",
	[DP_L2TP_BAD_FLAGS] = "bad-flags",
	[DP_L2TP_HDR_TRUNC] = "hdr-trunc",
	[DP_L2TP_LENGTH_SMALL] = "length-small",
	[DP_L2TP_TRUNCATED] = "truncated",
	[DP_L2TP_OFFSET_OVERFLOW] = "offset-overflow",
	[DP_L2TP_AVP_HDR_TRUNC] = "avp-hdr-trunc",
	[DP_L2TP_AVP_LEN_SMALL] = "avp-len-small",
	[DP_L2TP_AVP_OVERFLOW] = "avp-overflow",
	[DP_L2TP_TOO_MANY_AVPS] = "too-many-avps",
	[DP_L2TP_NO_MSG_TYPE] = "no-msg-type",
	[DP_L2TP_MUST_NOT_HIDE] = "must-not-hide",
	[DP_L2TP_BAD_MSG_TYPE] = "bad-msg-type",
	[DP_L2TP_AVP_VALUE] = "avp-value",
	[DP_L2TP_HIDDEN_NO_RV] = "hidden-no-rv",
	[DP_L2TP_HIDDEN_BAD_LENGTH] = "hidden-bad-length",
	[DP_L2TP_TEXT_LONG] = "text-long",
	[DP_L2TP_PPP_TRUNC] = "ppp-trunc",
	[DP_L2TP_PPP_BAD_PROTOCOL] = "ppp-bad-protocol",
};
static_assert(sizeof(l2tp_fail_names) / sizeof(l2tp_fail_names[0]) == DP_L2TP_FAIL_MAX,
	      "l2tp_fail_names must name every enum dp_l2tp_fail value");

const char *dp_l2tp_fail_str(enum dp_l2tp_fail f)
{
	if ((unsigned)f >= DP_L2TP_FAIL_MAX)
		return "unknown";
	return l2tp_fail_names[f];
}

/*
 * RFC 2661 section 4.3:
 *   "b1 = MD5(AV + S + RV)   c(1) = p1 xor b1
 *    b2 = MD5(S + c(1))      c(2) = p2 xor b2
 *    ...
 *    bi = MD5(S + c(i-1))    c(i) = pi xor bi"
 * AV is the 2-octet Attribute Type, S the shared secret, RV the Random
 * Vector.  `enc` selects the direction; ciphertext always feeds the chain.
 */
static bool md5_chain(uint16_t type, const uint8_t *in, size_t n, const uint8_t *secret,
		      size_t secret_len, const uint8_t *rv, size_t rv_len, bool enc, uint8_t *out)
{
	uint8_t av[2] = {(uint8_t)(type >> 8), (uint8_t)type};
	uint8_t b[MD5_LEN];
	MD5_CTX ctx;
	bool ok = true;

	for (size_t at = 0; at < n; at += MD5_LEN) {
		size_t k = n - at < MD5_LEN ? n - at : MD5_LEN;

		if (MD5_Init(&ctx) != 1) {
			ok = false;
			break;
		}
		if (at == 0)
			ok = MD5_Update(&ctx, av, 2) == 1 &&
			     (!secret_len || MD5_Update(&ctx, secret, secret_len) == 1) &&
			     (!rv_len || MD5_Update(&ctx, rv, rv_len) == 1);
		else
			ok = (!secret_len || MD5_Update(&ctx, secret, secret_len) == 1) &&
			     MD5_Update(&ctx, (enc ? out : in) + at - MD5_LEN, MD5_LEN) == 1;
		if (!ok || MD5_Final(b, &ctx) != 1) {
			ok = false;
			break;
		}
		for (size_t i = 0; i < k; i++)
			out[at + i] = in[at + i] ^ b[i];
	}
	OPENSSL_cleanse(b, sizeof(b));
	OPENSSL_cleanse(&ctx, sizeof(ctx));
	return ok;
}

size_t dp_l2tp_hide(uint16_t attr_type, const uint8_t *value, size_t value_len, size_t pad_len,
		    const uint8_t *secret, size_t secret_len, const uint8_t *rv, size_t rv_len,
		    uint8_t *out)
{
	uint8_t plain[AVP_LEN_MASK];
	size_t n = 2 + value_len + pad_len;

	if (value_len > UINT16_MAX || n > sizeof(plain))
		return 0;
	plain[0] = (uint8_t)(value_len >> 8);
	plain[1] = (uint8_t)value_len;
	if (value_len)
		memcpy(plain + 2, value, value_len);
	memset(plain + 2 + value_len, 0, pad_len);
	if (!md5_chain(attr_type, plain, n, secret, secret_len, rv, rv_len, true, out))
		n = 0;
	OPENSSL_cleanse(plain, sizeof(plain));
	return n;
}

struct avp_ctx {
	const uint8_t *secret;
	size_t secret_len;
	struct dp_l2tp_hidden_buf *hbuf;
	const uint8_t *rv;  /* most recent Random Vector value */
	size_t rv_len;
	bool have_rv;
	uint64_t seen;      /* one bit per attribute type < 64 */
};

static bool take_view(const struct dp_cur *v, struct rt_view *out)
{
	if (dp_cur_left(v) > RT_TEXT_MAX)
		return false;
	out->p = (const char *)v->p;
	out->len = (uint8_t)dp_cur_left(v);
	return true;
}

static bool msg_type_known(uint16_t t)
{
	return (t >= DP_L2TP_SCCRQ && t <= DP_L2TP_SLI && t != 5 && t != 13);
}

/* Decode the value of a vendor-0 AVP the decoder knows. */
static enum dp_l2tp_fail decode_value(uint16_t type, struct dp_cur *v, bool first, bool hidden,
				      struct dp_l2tp *o, struct avp_ctx *ax)
{
	uint16_t u = 0, e = 0;
	struct rt_view view;

	switch (type) {
	case AVP_MESSAGE_TYPE:
		/* RFC 2661 section 4.4.1: the Message Type value is a
		 * 2-octet integer (AVP Length 8). */
		if (dp_cur_left(v) != 2)
			return DP_L2TP_AVP_VALUE;
		dp_cur_be16(v, &u);
		if (!msg_type_known(u))
			return DP_L2TP_BAD_MSG_TYPE;
		if (first)
			o->msg_type = u;
		return DP_L2TP_OK;
	case AVP_RESULT_CODE:
		/* RFC 2661 section 4.4.2: "This AVP has a length of 8 if
		 * there is no Error Code or Message, 10 if there is an
		 * Error Code and no Error Message or 10 + the length of the
		 * Error Message if there is an Error Code and Message."
		 * So a value of 3 octets cannot be. */
		if (dp_cur_left(v) < 2 || dp_cur_left(v) == 3)
			return DP_L2TP_AVP_VALUE;
		dp_cur_be16(v, &u);
		if (first) {
			o->has_result = true;
			o->result_code = u;
			if (dp_cur_be16(v, &e)) {
				o->has_error_code = true;
				o->error_code = e;
			}
		}
		return DP_L2TP_OK;
	case AVP_ASSIGNED_TUNNEL_ID:
	case AVP_ASSIGNED_SESSION_ID:
		/* RFC 2661 sections 4.4.3 and 4.4.4: 2-octet values
		 * (AVP Length 8). */
		if (dp_cur_left(v) != 2)
			return DP_L2TP_AVP_VALUE;
		dp_cur_be16(v, &u);
		if (first && type == AVP_ASSIGNED_TUNNEL_ID) {
			o->has_assigned_tunnel_id = true;
			o->assigned_tunnel_id = u;
		} else if (first) {
			o->has_assigned_session_id = true;
			o->assigned_session_id = u;
		}
		return DP_L2TP_OK;
	case AVP_CALLED_NUMBER:
	case AVP_CALLING_NUMBER:
		/* RFC 2661 section 4.4.4: ASCII strings of any length */
		if (!take_view(v, &view))
			return DP_L2TP_TEXT_LONG;
		if (!first)
			return DP_L2TP_OK;
		if (hidden) {
			/* The decrypted bytes live on the caller's buffer,
			 * one RT_TEXT_MAX slot per text. */
			uint8_t *slot = ax->hbuf->b + (type == AVP_CALLING_NUMBER ? 0 : RT_TEXT_MAX);

			if (view.len)
				memcpy(slot, view.p, view.len);
			view.p = (const char *)slot;
		}
		if (type == AVP_CALLING_NUMBER)
			o->calling = view;
		else
			o->called = view;
		return DP_L2TP_OK;
	default:
		return DP_L2TP_OK;
	}
}

static bool decoded_type(uint16_t type)
{
	switch (type) {
	case AVP_RESULT_CODE:
	case AVP_ASSIGNED_TUNNEL_ID:
	case AVP_ASSIGNED_SESSION_ID:
	case AVP_CALLED_NUMBER:
	case AVP_CALLING_NUMBER:
		return true;
	default:
		return false;
	}
}

/* One AVP value (already capped to its Length). */
static enum dp_l2tp_fail decode_avp(uint16_t fl, uint16_t vendor, uint16_t type, struct dp_cur *v,
				    struct dp_l2tp *o, struct avp_ctx *ax)
{
	bool hidden = fl & AVP_FLAG_H;
	bool first;
	uint8_t plain[AVP_MAX_VALUE];
	enum dp_l2tp_fail f;
	size_t n;
	uint16_t orig = 0;
	struct dp_cur pv;

	/* RFC 2661 section 4.1: "Reserved bits ... An AVP received with a
	 * reserved bit set to 1 MUST be treated as an unrecognized AVP."
	 * Other vendors' AVPs are not decoded either. */
	if ((fl & AVP_RESERVED) || vendor != 0) {
		if (hidden)
			o->hidden_count++;
		return DP_L2TP_OK;
	}
	/* RFC 2661 section 4.4.1 says of both Message Type and Random
	 * Vector that the AVP MUST NOT be hidden (H bit 0). */
	if (hidden && (type == AVP_MESSAGE_TYPE || type == AVP_RANDOM_VECTOR))
		return DP_L2TP_MUST_NOT_HIDE;
	if (type == AVP_RANDOM_VECTOR) {
		/* the most recent one applies to the hidden AVPs after it */
		ax->rv = v->p;
		ax->rv_len = dp_cur_left(v);
		ax->have_rv = true;
		return DP_L2TP_OK;
	}
	first = type >= 64 || !(ax->seen & (UINT64_C(1) << type));
	if (type < 64)
		ax->seen |= UINT64_C(1) << type;
	if (!hidden)
		return decode_value(type, v, first, false, o, ax);

	o->hidden_count++;
	if (!decoded_type(type))
		return DP_L2TP_OK;
	if (!ax->secret || !ax->hbuf) {
		if (first && type == AVP_CALLING_NUMBER)
			o->calling_hidden = true;
		if (first && type == AVP_CALLED_NUMBER)
			o->called_hidden = true;
		return DP_L2TP_OK;
	}
	/* RFC 2661 section 4.3 (paraphrased): the Random Vector AVP used to
	 * hide an AVP is the most recent one before it in the message, so a
	 * hidden AVP with none before it cannot be decrypted. */
	if (!ax->have_rv)
		return DP_L2TP_HIDDEN_NO_RV;
	n = dp_cur_left(v);
	if (!md5_chain(type, v->p, n, ax->secret, ax->secret_len, ax->rv, ax->rv_len, false, plain))
		return DP_L2TP_HIDDEN_BAD_LENGTH;
	/* RFC 2661 section 4.3: the hidden subformat is "| Length of
	 * Original Value | Original Attribute Value ... | Padding ...|".
	 * That length came out of the cipher: trust it only inside what was
	 * decrypted (STYLE.md 4). */
	pv = dp_cur_make(plain, n);
	if (!dp_cur_be16(&pv, &orig) || orig > dp_cur_left(&pv)) {
		OPENSSL_cleanse(plain, n);
		return DP_L2TP_HIDDEN_BAD_LENGTH;
	}
	pv.len = orig;
	f = decode_value(type, &pv, first, true, o, ax);
	OPENSSL_cleanse(plain, n);
	return f;
}

/* RFC 2661 section 4.1: AVP walk of a control message. */
static enum dp_l2tp_fail walk_avps(struct dp_cur *c, struct dp_l2tp *o, struct avp_ctx *ax)
{
	while (dp_cur_left(c) > 0) {
		uint16_t fl = 0, vendor = 0, type = 0;
		size_t alen;
		struct dp_cur v;
		enum dp_l2tp_fail f;

		if (o->avp_count == DP_L2TP_MAX_AVPS)
			return DP_L2TP_TOO_MANY_AVPS;
		if (dp_cur_left(c) < DP_L2TP_AVP_HDR_LEN)
			return DP_L2TP_AVP_HDR_TRUNC;
		dp_cur_be16(c, &fl);
		dp_cur_be16(c, &vendor);
		dp_cur_be16(c, &type);
		/* "Length: Encodes the number of octets (including the
		 * Overall Length and bitmask fields) contained in this AVP.
		 * ... the minimum Length of an AVP is 6." */
		alen = fl & AVP_LEN_MASK;
		if (alen < DP_L2TP_AVP_HDR_LEN)
			return DP_L2TP_AVP_LEN_SMALL;
		if (!dp_cur_sub(c, alen - DP_L2TP_AVP_HDR_LEN, &v))
			return DP_L2TP_AVP_OVERFLOW;
		/* RFC 2661 section 4.4.1 (paraphrased): the Message Type
		 * AVP comes first in every control message but a ZLB. */
		if (o->avp_count++ == 0 && (vendor != 0 || type != AVP_MESSAGE_TYPE))
			return DP_L2TP_NO_MSG_TYPE;
		f = decode_avp(fl, vendor, type, &v, o, ax);
		if (f != DP_L2TP_OK)
			return f;
	}
	return DP_L2TP_OK;
}

/* The PPP frame of a data message: optional ff 03, then the protocol
 * field (one octet if PFC compressed it, RFC 1661 section 2). */
static enum dp_l2tp_fail decode_ppp(struct dp_cur *c, struct dp_l2tp *o)
{
	uint8_t b0 = 0, b1 = 0;

	if (dp_cur_peek_u8(c, 0, &b0) && b0 == 0xff && dp_cur_peek_u8(c, 1, &b1) && b1 == 0x03)
		dp_cur_skip(c, 2);
	switch (dp_ppp_read_protocol(c, &o->ppp_protocol)) {
	case DP_PPP_PROTO_OK:
		break;
	case DP_PPP_PROTO_TRUNC:
		return DP_L2TP_PPP_TRUNC;
	default:
		return DP_L2TP_PPP_BAD_PROTOCOL;
	}
	o->ppp_payload = c->p;
	o->ppp_len = dp_cur_left(c);
	return DP_L2TP_OK;
}

enum dp_l2tp_fail dp_l2tp_decode(const struct dp_cur *in, const uint8_t *secret,
				 size_t secret_len, struct dp_l2tp_hidden_buf *hbuf,
				 struct dp_l2tp *ret)
{
	struct dp_cur c = *in, msg = {0};
	struct dp_l2tp o;
	struct avp_ctx ax = {secret, secret_len, hbuf, NULL, 0, false, 0};
	enum dp_l2tp_fail f;
	size_t hdr = 2;
	bool has_len;

	memset(&o, 0, sizeof(o));
	/* flags, Tunnel ID and Session ID are always there */
	if (dp_cur_left(&c) < 6)
		return DP_L2TP_TOO_SHORT;
	dp_cur_be16(&c, &o.flags);
	/* "Ver MUST be 2 ... Packets received with an unknown Ver field
	 * MUST be discarded." */
	if ((o.flags & DP_L2TP_VER_MASK) != 2)
		return DP_L2TP_BAD_VERSION;
	o.control = o.flags & DP_L2TP_FLAG_T;
	has_len = o.flags & DP_L2TP_FLAG_L;
	/* "[L] MUST be set to 1 for control messages."  "The S bit MUST be
	 * set to 1 for control messages."  "The O bit MUST be set to 0
	 * (zero) for control messages."  "The P bit MUST be set to 0 for
	 * all control messages." */
	if (o.control && (!has_len || !(o.flags & DP_L2TP_FLAG_S) ||
			  (o.flags & (DP_L2TP_FLAG_O | DP_L2TP_FLAG_P))))
		return DP_L2TP_BAD_FLAGS;
	if (has_len) {
		/* "The Length field indicates the total length of the
		 * message in octets." */
		dp_cur_be16(&c, &o.length);
		hdr += 2;
		if (o.length < hdr + 4)
			return DP_L2TP_LENGTH_SMALL;
		if (o.length > dp_cur_left(in))
			return DP_L2TP_TRUNCATED;
		dp_cur_sub(&c, o.length - hdr, &msg); /* trailing bytes ignored */
	} else {
		o.length = dp_cur_left(in) > UINT16_MAX ? UINT16_MAX : (uint16_t)dp_cur_left(in);
		msg = c;
	}
	/* Header fields past Length contradict it; past the bytes held (no
	 * Length) they are cut short. */
	f = has_len ? DP_L2TP_LENGTH_SMALL : DP_L2TP_HDR_TRUNC;
	if (!dp_cur_be16(&msg, &o.tunnel_id) || !dp_cur_be16(&msg, &o.session_id))
		return f;
	if (o.flags & DP_L2TP_FLAG_S) {
		o.has_seq = true;
		if (!dp_cur_be16(&msg, &o.ns) || !dp_cur_be16(&msg, &o.nr))
			return f;
	}
	if (o.flags & DP_L2TP_FLAG_O) {
		uint16_t off = 0;

		/* "The Offset Size field, if present, specifies the number
		 * of octets past the L2TP header at which the payload data
		 * is expected to start." */
		if (!dp_cur_be16(&msg, &off))
			return f;
		if (!dp_cur_skip(&msg, off))
			return DP_L2TP_OFFSET_OVERFLOW;
	}

	if (o.control)
		f = walk_avps(&msg, &o, &ax); /* none: a ZLB acknowledgement */
	else
		f = decode_ppp(&msg, &o);
	if (f != DP_L2TP_OK)
		return f;
	*ret = o;
	return DP_L2TP_OK;
}
