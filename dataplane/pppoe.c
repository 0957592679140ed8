/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PPPoE discovery and session decode (RFC 2516), with the TR-101 vendor
 * tag (Broadband Forum TR-101 section 3.9.4, enterprise 3561).
 *
 * Two lengths (STYLE.md 4): the bytes held and LENGTH.  Everything after
 * the header is read through a sub-cursor capped to LENGTH, so the tag
 * walk never sees Ethernet padding; each tag value gets its own sub-cursor
 * capped to TAG_LENGTH, and the TR-101 sub-tags one capped to theirs.
 */
#include "pppoe.h"
#include "ppp.h"

#include <assert.h>
#include <string.h>

/* Tag types, RFC 2516 appendix A (Relay-Session-Id also there). */
enum {
	TAG_END_OF_LIST = 0x0000,
	TAG_SERVICE_NAME = 0x0101,
	TAG_AC_NAME = 0x0102,
	TAG_HOST_UNIQ = 0x0103,
	TAG_AC_COOKIE = 0x0104,
	TAG_VENDOR_SPECIFIC = 0x0105,
	TAG_RELAY_SESSION_ID = 0x0110,
	TAG_SERVICE_NAME_ERROR = 0x0201,
	TAG_AC_SYSTEM_ERROR = 0x0202,
	TAG_GENERIC_ERROR = 0x0203,
};

/* TR-101 section 3.9.4 sub-options of the vendor tag. */
enum {
	SUB_AGENT_CIRCUIT_ID = 0x01,
	SUB_AGENT_REMOTE_ID = 0x02,
};

static const char *const pppoe_fail_names[] = {
	[DP_PPPOE_OK] = "ok",
	[DP_PPPOE_TOO_SHORT] = "too-short",
	[DP_PPPOE_BAD_ETHERTYPE] = "bad-ethertype",
	[DP_PPPOE_BAD_VERTYPE] = "bad-vertype",
	[DP_PPPOE_BAD_CODE] = "bad-code",
	[DP_PPPOE_BAD_SESSION_ID] = "bad-session-id",
	[DP_PPPOE_TRUNCATED] = "truncated",
	[DP_PPPOE_TAG_HDR_TRUNC] = "tag-hdr-trunc",
	[DP_PPPOE_TAG_OVERFLOW] = "tag-overflow",
	[DP_PPPOE_TOO_MANY_TAGS] = "too-many-tags",
	[DP_PPPOE_TAG_TOO_LONG] = "tag-too-long",
	[DP_PPPOE_EOL_LENGTH] = "eol-length",
	[DP_PPPOE_VENDOR_SHORT] = "vendor-short",
	[DP_PPPOE_SUBTAG_OVERFLOW] = "subtag-overflow",
	[DP_PPPOE_PPP_TRUNC] = "ppp-trunc",
	[DP_PPPOE_PPP_BAD_PROTOCOL] = "ppp-bad-protocol",
};
static_assert(sizeof(pppoe_fail_names) / sizeof(pppoe_fail_names[0]) == DP_PPPOE_FAIL_MAX,
	      "pppoe_fail_names must name every enum dp_pppoe_fail value");

const char *dp_pppoe_fail_str(enum dp_pppoe_fail f)
{
	if ((unsigned)f >= DP_PPPOE_FAIL_MAX)
		return "unknown";
	return pppoe_fail_names[f];
}

/* A small index per tag type decode_tag() knows, for "first occurrence
 * wins"; -1 for the others. */
static int tag_index(uint16_t type)
{
	switch (type) {
	case TAG_SERVICE_NAME:
		return 0;
	case TAG_AC_NAME:
		return 1;
	case TAG_HOST_UNIQ:
		return 2;
	case TAG_AC_COOKIE:
		return 3;
	case TAG_VENDOR_SPECIFIC:
		return 4;
	case TAG_RELAY_SESSION_ID:
		return 5;
	case TAG_SERVICE_NAME_ERROR:
		return 6;
	case TAG_AC_SYSTEM_ERROR:
		return 7;
	case TAG_GENERIC_ERROR:
		return 8;
	default:
		return -1;
	}
}

/* A view of a whole tag value.  False if it cannot be held in one. */
static bool take_view(const struct dp_cur *v, struct rt_view *out)
{
	if (dp_cur_left(v) > RT_TEXT_MAX)
		return false;
	out->p = (const char *)v->p;
	out->len = (uint8_t)dp_cur_left(v);
	return true;
}

/*
 * TR-101 section 3.9.4: the vendor-specific tag carries, after the 4-byte
 * vendor id 0x00000DE9, sub-options | type (1) | length (1) | value |, with
 * Agent-Circuit-ID (1) and Agent-Remote-ID (2) of at most 63 octets each
 * (not enforced: kept as sent, within RT_TEXT_MAX by construction).
 * Unknown sub-options (Actual-Data-Rate 0x81, ...) are skipped.
 */
static enum dp_pppoe_fail decode_tr101(struct dp_cur *v, bool first, struct dp_pppoe *o)
{
	bool seen_c = false, seen_r = false;

	while (dp_cur_left(v) > 0) {
		uint8_t type = 0, len = 0;
		struct dp_cur sv;
		struct rt_view scratch, *dst = &scratch;

		if (!dp_cur_u8(v, &type) || !dp_cur_u8(v, &len) || !dp_cur_sub(v, len, &sv))
			return DP_PPPOE_SUBTAG_OVERFLOW;
		if (type == SUB_AGENT_CIRCUIT_ID) {
			if (first && !seen_c)
				dst = &o->circuit_id;
			seen_c = true;
		} else if (type == SUB_AGENT_REMOTE_ID) {
			if (first && !seen_r)
				dst = &o->remote_id;
			seen_r = true;
		} else {
			continue;
		}
		/* A 254- or 255-byte value does not fit a view: refused,
		 * never cut. */
		if (!take_view(&sv, dst))
			return DP_PPPOE_TAG_TOO_LONG;
	}
	return DP_PPPOE_OK;
}

/* Decode one tag value; `first` says whether this type was not seen yet. */
static enum dp_pppoe_fail decode_tag(uint16_t type, struct dp_cur *v, bool first,
				     struct dp_pppoe *o)
{
	struct rt_view scratch, *dst = NULL;
	uint32_t vendor = 0;

	switch (type) {
	case TAG_SERVICE_NAME:
		/* RFC 2516 appendix A: "If the TAG_LENGTH is zero this TAG is
		 * used to indicate that any service is acceptable." */
		dst = &o->service_name;
		if (first)
			o->has_service_name = true;
		break;
	case TAG_AC_NAME:
		dst = &o->ac_name;
		break;
	case TAG_HOST_UNIQ:
		dst = &o->host_uniq;
		break;
	case TAG_AC_COOKIE:
		dst = &o->ac_cookie;
		break;
	case TAG_RELAY_SESSION_ID:
		dst = &o->relay_session_id;
		break;
	case TAG_SERVICE_NAME_ERROR:
	case TAG_AC_SYSTEM_ERROR:
	case TAG_GENERIC_ERROR:
		o->errors |= (uint8_t)(1u << (type - TAG_SERVICE_NAME_ERROR));
		/* the first error tag of any kind names the error */
		first = o->errors == (1u << (type - TAG_SERVICE_NAME_ERROR)) && first;
		dst = &o->error_text;
		break;
	case TAG_VENDOR_SPECIFIC:
		/* RFC 2516 appendix A: "The first four octets of the TAG_VALUE
		 * contain the vendor id and the remainder is unspecified." */
		if (!dp_cur_be32(v, &vendor))
			return DP_PPPOE_VENDOR_SHORT;
		if (vendor != DP_PPPOE_VENDOR_BBF)
			return DP_PPPOE_OK;
		first = first && !o->has_tr101;
		o->has_tr101 = true;
		return decode_tr101(v, first, o);
	default:
		return DP_PPPOE_OK; /* PPP-Max-Payload, unknown: skipped */
	}
	/* Repeats are checked the same way into a scratch view. */
	if (!take_view(v, first ? dst : &scratch))
		return DP_PPPOE_TAG_TOO_LONG;
	return DP_PPPOE_OK;
}

/*
 * RFC 2516 section 5: "The TAGs are ... TAG_TYPE is a sixteen bit field in
 * network byte order ... TAG_LENGTH is a sixteen bit field.  It indicates
 * the length in octets of the TAG_VALUE."
 */
static enum dp_pppoe_fail walk_tags(struct dp_cur *c, struct dp_pppoe *o)
{
	uint32_t seen = 0; /* one bit per tag type decode_tag() knows */

	while (dp_cur_left(c) > 0) {
		uint16_t type = 0, tlen = 0;
		struct dp_cur v;
		enum dp_pppoe_fail f;
		int idx;
		bool first;

		if (o->tag_count == DP_PPPOE_MAX_TAGS)
			return DP_PPPOE_TOO_MANY_TAGS;
		if (!dp_cur_be16(c, &type) || !dp_cur_be16(c, &tlen))
			return DP_PPPOE_TAG_HDR_TRUNC;
		if (!dp_cur_sub(c, tlen, &v))
			return DP_PPPOE_TAG_OVERFLOW;
		o->tag_count++;
		if (type == TAG_END_OF_LIST) {
			/* RFC 2516 appendix A: "This TAG indicates that there
			 * are no further TAGs in the list.  The TAG_LENGTH of
			 * this TAG MUST always be zero." */
			if (tlen != 0)
				return DP_PPPOE_EOL_LENGTH;
			o->end_of_list = true;
			return DP_PPPOE_OK;
		}
		idx = tag_index(type);
		first = idx >= 0 && !(seen & (UINT32_C(1) << idx));
		if (idx >= 0)
			seen |= UINT32_C(1) << idx;
		f = decode_tag(type, &v, first, o);
		if (f != DP_PPPOE_OK)
			return f;
	}
	return DP_PPPOE_OK;
}

/*
 * RFC 2516 section 7: "The PPPoE payload contains a PPP frame.  The frame
 * begins with the PPP Protocol-ID."  RFC 1661 section 2: "The Protocol
 * field is one or two octets ... values of this field are assigned such
 * that the least significant bit of the most significant octet is 0 and the
 * least significant bit of the least significant octet is 1."  A first
 * octet with its low bit set is therefore a compressed (PFC) one-octet
 * field.
 */
static enum dp_pppoe_fail decode_ppp_proto(struct dp_cur *c, struct dp_pppoe *o)
{
	switch (dp_ppp_read_protocol(c, &o->ppp_protocol)) {
	case DP_PPP_PROTO_OK:
		break;
	case DP_PPP_PROTO_TRUNC:
		return DP_PPPOE_PPP_TRUNC;
	default:
		return DP_PPPOE_PPP_BAD_PROTOCOL;
	}
	o->ppp_payload = c->p;
	o->ppp_len = dp_cur_left(c);
	return DP_PPPOE_OK;
}

enum dp_pppoe_fail dp_pppoe_decode(uint16_t ethertype, const struct dp_cur *in,
				   struct dp_pppoe *ret)
{
	struct dp_cur c = *in, body;
	struct dp_pppoe o;
	uint8_t vt = 0;
	enum dp_pppoe_fail f;
	bool sid_ok;

	memset(&o, 0, sizeof(o));
	if (ethertype != DP_PPPOE_ETHERTYPE_DISC && ethertype != DP_PPPOE_ETHERTYPE_SESS)
		return DP_PPPOE_BAD_ETHERTYPE;
	if (dp_cur_left(&c) < DP_PPPOE_HDR_LEN)
		return DP_PPPOE_TOO_SHORT;
	dp_cur_u8(&c, &vt);
	dp_cur_u8(&c, &o.code);
	dp_cur_be16(&c, &o.session_id);
	dp_cur_be16(&c, &o.length);
	/* RFC 2516 section 4: "The VER field is four bits and MUST be set to
	 * 0x1 for this version of the PPPoE specification.  The TYPE field
	 * is four bits and MUST be set to 0x1 for this version." */
	if (vt != 0x11)
		return DP_PPPOE_BAD_VERTYPE;

	if (ethertype == DP_PPPOE_ETHERTYPE_SESS) {
		/* RFC 2516 section 6: "The CODE field MUST be set to 0x00". */
		if (o.code != DP_PPPOE_SESSION)
			return DP_PPPOE_BAD_CODE;
		sid_ok = o.session_id != 0;
	} else {
		switch (o.code) {
		case DP_PPPOE_PADI:
		case DP_PPPOE_PADO:
		case DP_PPPOE_PADR:
			/* RFC 2516 section 5.1-5.3: "... the SESSION_ID MUST
			 * be set to 0x0000." */
			sid_ok = o.session_id == 0;
			break;
		case DP_PPPOE_PADS:
			/* RFC 2516 section 5.4: a PADS carrying
			 * Service-Name-Error has "SESSION_ID ... set to
			 * 0x0000": either is valid. */
			sid_ok = true;
			break;
		case DP_PPPOE_PADT:
			/* RFC 2516 section 5.5: "The SESSION_ID MUST be set
			 * to indicate which session is to be terminated." */
			sid_ok = o.session_id != 0;
			break;
		default:
			return DP_PPPOE_BAD_CODE;
		}
	}
	/* RFC 2516 section 4: "A value of 0xffff is reserved for future use
	 * and MUST NOT be used." */
	if (!sid_ok || o.session_id == 0xffff)
		return DP_PPPOE_BAD_SESSION_ID;
	/* RFC 2516 section 4: "The value ... indicates the length of the
	 * PPPoE payload.  It does not include the length of the Ethernet or
	 * PPPoE headers."  Bytes held beyond it are Ethernet padding. */
	if (!dp_cur_sub(&c, o.length, &body))
		return DP_PPPOE_TRUNCATED;

	if (ethertype == DP_PPPOE_ETHERTYPE_SESS)
		f = decode_ppp_proto(&body, &o);
	else
		f = walk_tags(&body, &o);
	if (f != DP_PPPOE_OK)
		return f;
	*ret = o;
	return DP_PPPOE_OK;
}
