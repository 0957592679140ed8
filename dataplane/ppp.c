/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PPP control protocols: LCP, PAP, CHAP, IPCP, IPV6CP.
 *
 * The header is checked first (code, Length against the bytes held), then
 * the data is read through a sub-cursor capped to Length - 4, so padding
 * after Length is never read.  Configure-* options get one sub-cursor each.
 * The PAP password and CHAP response value are skipped with dp_cur_skip():
 * their bytes are never copied anywhere and no pointer to them is kept.
 */
#include "ppp.h"

#include <assert.h>
#include <string.h>

/* IPCP options (RFC 1332 section 3.3, RFC 1877 section 1). */
enum {
	IPCP_OPT_IP_ADDRESS = 3,
	IPCP_OPT_PRIMARY_DNS = 129,
	IPCP_OPT_SECONDARY_DNS = 131,
};
/* IPV6CP options (RFC 5072 section 4.1). */
enum { IPV6CP_OPT_INTERFACE_ID = 1 };

static const char *const ppp_fail_names[] = {
	[DP_PPP_OK] = "ok",
	[DP_PPP_NOT_CONTROL] = "not-control",
	[DP_PPP_TOO_SHORT] = "too-short",
	[DP_PPP_LENGTH_SMALL] = "length-small",
	[DP_PPP_TRUNCATED] = "truncated",
	[DP_PPP_BAD_CODE] = "bad-code",
	[DP_PPP_FIELD_OVERFLOW] = "field-overflow",
	[DP_PPP_TRAILING] = "trailing",
	[DP_PPP_TEXT_LONG] = "text-long",
	[DP_PPP_OPT_HDR_TRUNC] = "opt-hdr-trunc",
	[DP_PPP_OPT_LEN_SMALL] = "opt-len-small",
	[DP_PPP_OPT_OVERFLOW] = "opt-overflow",
	[DP_PPP_OPT_VALUE] = "opt-value",
	[DP_PPP_TOO_MANY_OPTIONS] = "too-many-options",
};
static_assert(sizeof(ppp_fail_names) / sizeof(ppp_fail_names[0]) == DP_PPP_FAIL_MAX,
	      "ppp_fail_names must name every enum dp_ppp_fail value");

const char *dp_ppp_fail_str(enum dp_ppp_fail f)
{
	if ((unsigned)f >= DP_PPP_FAIL_MAX)
		return "unknown";
	return ppp_fail_names[f];
}

static bool take_view(const struct dp_cur *v, struct rt_view *out)
{
	if (dp_cur_left(v) > RT_TEXT_MAX)
		return false;
	out->p = (const char *)v->p;
	out->len = (uint8_t)dp_cur_left(v);
	return true;
}

/* Copy a fixed-size option value; false if the length is not exactly n. */
static bool opt_addr(struct dp_cur *v, size_t n, bool *has, uint8_t *out)
{
	if (dp_cur_left(v) != n)
		return false;
	if (*has)
		return true; /* first wins; the repeat had the right length */
	*has = true;
	return dp_cur_copy(v, out, n);
}

/*
 * RFC 1661 section 6: "Type | Length | Data ...  The Length field is one
 * octet, and indicates the length of this Configuration Option including
 * the Type, Length and Data fields."  So at least 2.
 */
static enum dp_ppp_fail walk_options(struct dp_cur *c, uint16_t protocol, struct dp_ppp *o)
{
	unsigned count = 0;

	while (dp_cur_left(c) > 0) {
		uint8_t type = 0, len = 0;
		struct dp_cur v;
		bool ok = true;

		if (++count > DP_PPP_MAX_OPTIONS)
			return DP_PPP_TOO_MANY_OPTIONS;
		if (!dp_cur_u8(c, &type) || !dp_cur_u8(c, &len))
			return DP_PPP_OPT_HDR_TRUNC;
		if (len < 2)
			return DP_PPP_OPT_LEN_SMALL;
		if (!dp_cur_sub(c, (size_t)len - 2, &v))
			return DP_PPP_OPT_OVERFLOW;
		if (protocol == DP_PPP_IPCP) {
			/* RFC 1332 section 3.3: "Length 6"; RFC 1877
			 * section 1.1 and 1.3: "Length 6". */
			if (type == IPCP_OPT_IP_ADDRESS)
				ok = opt_addr(&v, 4, &o->has_ip, o->ip);
			else if (type == IPCP_OPT_PRIMARY_DNS)
				ok = opt_addr(&v, 4, &o->has_dns1, o->dns1);
			else if (type == IPCP_OPT_SECONDARY_DNS)
				ok = opt_addr(&v, 4, &o->has_dns2, o->dns2);
		} else if (protocol == DP_PPP_IPV6CP && type == IPV6CP_OPT_INTERFACE_ID) {
			/* RFC 5072 section 4.1: "Length 10". */
			ok = opt_addr(&v, 8, &o->has_ifid, o->ifid);
		}
		if (!ok)
			return DP_PPP_OPT_VALUE;
	}
	return DP_PPP_OK;
}

/* LCP, IPCP, IPV6CP share the code set of RFC 1661 section 5. */
static enum dp_ppp_fail decode_cp(struct dp_cur *d, struct dp_ppp *o)
{
	uint8_t max = o->protocol == DP_PPP_LCP ? DP_PPP_DISCARD_REQ : DP_PPP_CODE_REJ;

	/* RFC 1661 section 5: "When a packet is received with an invalid
	 * Code field, a Code-Reject packet is transmitted" -- for a recorder,
	 * invalid. */
	if (o->code < DP_PPP_CONF_REQ || o->code > max)
		return DP_PPP_BAD_CODE;
	switch (o->code) {
	case DP_PPP_CONF_REQ:
	case DP_PPP_CONF_ACK:
	case DP_PPP_CONF_NAK:
	case DP_PPP_CONF_REJ:
		return walk_options(d, o->protocol, o);
	case DP_PPP_PROTO_REJ:
		/* RFC 1661 section 5.7: "Rejected-Protocol ... two octets" */
		return dp_cur_left(d) >= 2 ? DP_PPP_OK : DP_PPP_LENGTH_SMALL;
	case DP_PPP_ECHO_REQ:
	case DP_PPP_ECHO_REP:
	case DP_PPP_DISCARD_REQ:
		/* RFC 1661 section 5.8/5.9: "Magic-Number ... four octets" */
		return dp_cur_left(d) >= 4 ? DP_PPP_OK : DP_PPP_LENGTH_SMALL;
	default:
		return DP_PPP_OK; /* Terminate-*, Code-Reject: opaque data */
	}
}

/*
 * RFC 1334 section 2.2.1 Authenticate-Request:
 *   | Code | Identifier | Length | Peer-ID Length | Peer-Id ... |
 *   | Passwd-Length | Password ... |
 * Section 2.2.2 Authenticate-Ack/Nak: | ... | Msg-Length | Message ... |
 */
static enum dp_ppp_fail decode_pap(struct dp_cur *d, struct dp_ppp *o)
{
	struct dp_cur v;
	uint8_t n = 0;

	switch (o->code) {
	case DP_PPP_PAP_REQ:
		/* "The Peer-ID Length field is one octet and indicates the
		 * length of the Peer-ID field." */
		if (!dp_cur_u8(d, &n) || !dp_cur_sub(d, n, &v))
			return DP_PPP_FIELD_OVERFLOW;
		if (!take_view(&v, &o->name))
			return DP_PPP_TEXT_LONG;
		/* "The Passwd-Length field is one octet and indicates the
		 * length of the Password field."  Checked, then skipped:
		 * the password is never copied nor pointed to. */
		if (!dp_cur_u8(d, &n) || !dp_cur_skip(d, n))
			return DP_PPP_FIELD_OVERFLOW;
		/* Nothing follows the password: extra bytes inside Length
		 * mean the two length octets do not describe this packet. */
		if (dp_cur_left(d) != 0)
			return DP_PPP_TRAILING;
		return DP_PPP_OK;
	case DP_PPP_PAP_ACK:
	case DP_PPP_PAP_NAK:
		/* "The Msg-Length field is one octet and indicates the
		 * length of the Message field." */
		if (!dp_cur_u8(d, &n) || !dp_cur_sub(d, n, &v))
			return DP_PPP_FIELD_OVERFLOW;
		if (!take_view(&v, &o->message))
			return DP_PPP_TEXT_LONG;
		return DP_PPP_OK;
	default:
		return DP_PPP_BAD_CODE;
	}
}

/*
 * RFC 1994 section 4.1 Challenge and Response:
 *   | Code | Identifier | Length | Value-Size | Value ... | Name ... |
 * "The Name field is one or more octets representing the identification of
 * the system transmitting the packet. ... The size is determined from the
 * Length field."  Section 4.2 Success and Failure: | ... | Message ... |.
 */
static enum dp_ppp_fail decode_chap(struct dp_cur *d, struct dp_ppp *o)
{
	uint8_t n = 0;

	switch (o->code) {
	case DP_PPP_CHAP_CHALLENGE:
	case DP_PPP_CHAP_RESPONSE:
		/* "Value-Size: This field is one octet and indicates the
		 * length of the Value field."  The value (challenge or
		 * response hash) is skipped, never exposed. */
		if (!dp_cur_u8(d, &n) || !dp_cur_skip(d, n))
			return DP_PPP_FIELD_OVERFLOW;
		if (!take_view(d, &o->name))
			return DP_PPP_TEXT_LONG;
		return DP_PPP_OK;
	case DP_PPP_CHAP_SUCCESS:
	case DP_PPP_CHAP_FAILURE:
		/* "The Message field is zero or more octets" */
		if (!take_view(d, &o->message))
			return DP_PPP_TEXT_LONG;
		return DP_PPP_OK;
	default:
		return DP_PPP_BAD_CODE;
	}
}

enum dp_ppp_fail dp_ppp_decode(uint16_t protocol, const struct dp_cur *in, struct dp_ppp *ret)
{
	struct dp_cur c = *in, data;
	struct dp_ppp o;
	enum dp_ppp_fail f;

	switch (protocol) {
	case DP_PPP_LCP:
	case DP_PPP_PAP:
	case DP_PPP_CHAP:
	case DP_PPP_IPCP:
	case DP_PPP_IPV6CP:
		break;
	default:
		return DP_PPP_NOT_CONTROL;
	}
	memset(&o, 0, sizeof(o));
	o.protocol = protocol;
	if (dp_cur_left(&c) < DP_PPP_HDR_LEN)
		return DP_PPP_TOO_SHORT;
	dp_cur_u8(&c, &o.code);
	dp_cur_u8(&c, &o.identifier);
	dp_cur_be16(&c, &o.length);
	/* RFC 1661 section 5: "The Length field is two octets and indicates
	 * the length of the packet including the Code, Identifier, Length and
	 * Data fields." */
	if (o.length < DP_PPP_HDR_LEN)
		return DP_PPP_LENGTH_SMALL;
	/* "Octets outside the range of the Length field should be treated as
	 * Data Link Layer padding and should be ignored on reception." ...
	 * and a Length beyond the bytes held is a truncation. */
	if (!dp_cur_sub(&c, (size_t)o.length - DP_PPP_HDR_LEN, &data))
		return DP_PPP_TRUNCATED;

	switch (protocol) {
	case DP_PPP_PAP:
		f = decode_pap(&data, &o);
		break;
	case DP_PPP_CHAP:
		f = decode_chap(&data, &o);
		break;
	default:
		f = decode_cp(&data, &o);
		break;
	}
	if (f != DP_PPP_OK)
		return f;
	*ret = o;
	return DP_PPP_OK;
}
