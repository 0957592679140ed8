/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DHCPv6 decode (RFC 8415) with relay unwrapping.
 *
 * Every option value is read through a sub-cursor capped to option-len;
 * IA_NA/IA_PD options and IAADDR/IAPREFIX options are nested walks capped
 * the same way (STYLE.md 4).  Relay messages are unwrapped iteratively, at
 * most DP_DHCP6_MAX_RELAY times, and one option budget is shared by all
 * levels and walks.
 */
#include "dhcp6.h"

#include <assert.h>
#include <string.h>

/* Option codes, RFC 8415 section 21 and RFC 4649. */
enum {
	OPT_CLIENTID = 1,
	OPT_SERVERID = 2,
	OPT_IA_NA = 3,
	OPT_IAADDR = 5,
	OPT_RELAY_MSG = 9,
	OPT_STATUS_CODE = 13,
	OPT_INTERFACE_ID = 18,
	OPT_IA_PD = 25,
	OPT_IAPREFIX = 26,
	OPT_REMOTE_ID = 37,
};

#define RELAY_HDR_LEN 34
#define MSG_HDR_LEN 4

static const char *const dhcp6_fail_names[] = {
	[DP_DHCP6_OK] = "ok",
	[DP_DHCP6_TOO_SHORT] = "too-short",
	[DP_DHCP6_BAD_MSG_TYPE] = "bad-msg-type",
	[DP_DHCP6_RELAY_DEPTH] = "relay-depth",
	[DP_DHCP6_NO_RELAY_MSG] = "no-relay-msg",
	[DP_DHCP6_OPT_HDR_TRUNC] = "opt-hdr-trunc",
	[DP_DHCP6_OPT_OVERFLOW] = "opt-overflow",
	[DP_DHCP6_TOO_MANY_OPTIONS] = "too-many-options",
	[DP_DHCP6_OPT_VALUE] = "opt-value",
	[DP_DHCP6_TEXT_LONG] = "text-long",
};
static_assert(sizeof(dhcp6_fail_names) / sizeof(dhcp6_fail_names[0]) == DP_DHCP6_FAIL_MAX,
	      "dhcp6_fail_names must name every enum dp_dhcp6_fail value");

const char *dp_dhcp6_fail_str(enum dp_dhcp6_fail f)
{
	if ((unsigned)f >= DP_DHCP6_FAIL_MAX)
		return "unknown";
	return dhcp6_fail_names[f];
}

static bool take_view(const struct dp_cur *v, struct rt_view *out)
{
	if (dp_cur_left(v) > RT_TEXT_MAX)
		return false;
	out->p = (const char *)v->p;
	out->len = (uint8_t)dp_cur_left(v);
	return true;
}

/* Walk state shared by all levels. */
struct walk {
	unsigned options; /* budget used */
};

/*
 * RFC 8415 section 21.1: "option-code: An unsigned integer identifying the
 * specific option type carried in this option.  option-len: An unsigned
 * integer giving the length of the option-data field in this option in
 * octets."  Reads the next option header and caps its data.
 */
static enum dp_dhcp6_fail next_option(struct dp_cur *c, struct walk *w, uint16_t *code,
				      struct dp_cur *data)
{
	uint16_t len = 0;

	if (++w->options > DP_DHCP6_MAX_OPTIONS)
		return DP_DHCP6_TOO_MANY_OPTIONS;
	if (!dp_cur_be16(c, code) || !dp_cur_be16(c, &len))
		return DP_DHCP6_OPT_HDR_TRUNC;
	if (!dp_cur_sub(c, len, data))
		return DP_DHCP6_OPT_OVERFLOW;
	return DP_DHCP6_OK;
}

/* RFC 8415 section 21.13: "status-code: The numeric code for the status
 * encoded in this option." (2 octets) followed by a UTF-8 message. */
static enum dp_dhcp6_fail status_code(struct dp_cur *v, bool *has, uint16_t *out)
{
	uint16_t s = 0;

	if (!dp_cur_be16(v, &s))
		return DP_DHCP6_OPT_VALUE;
	if (!*has) {
		*has = true;
		*out = s;
	}
	return DP_DHCP6_OK;
}

/* Options inside an IAADDR or IAPREFIX: only Status Code matters. */
static enum dp_dhcp6_fail lease_options(struct dp_cur *c, struct walk *w, bool *has,
					uint16_t *status)
{
	while (dp_cur_left(c) > 0) {
		uint16_t code = 0;
		struct dp_cur v;
		enum dp_dhcp6_fail f = next_option(c, w, &code, &v);

		if (f != DP_DHCP6_OK)
			return f;
		if (code == OPT_STATUS_CODE && (f = status_code(&v, has, status)) != DP_DHCP6_OK)
			return f;
	}
	return DP_DHCP6_OK;
}

/*
 * RFC 8415 section 21.6 IA Address: "| IPv6-address (16) | preferred-
 * lifetime (4) | valid-lifetime (4) | IAaddr-options |", option-len
 * "24 + length of IAaddr-options field".
 */
static enum dp_dhcp6_fail iaaddr(struct dp_cur *v, uint32_t iaid, struct walk *w,
				 struct dp_dhcp6 *o)
{
	struct dp_dhcp6_addr a = {0};
	enum dp_dhcp6_fail f;

	if (dp_cur_left(v) < 24)
		return DP_DHCP6_OPT_VALUE;
	a.iaid = iaid;
	dp_cur_copy(v, a.addr, 16);
	dp_cur_be32(v, &a.preferred);
	dp_cur_be32(v, &a.valid);
	f = lease_options(v, w, &a.has_status, &a.status);
	if (f != DP_DHCP6_OK)
		return f;
	if (o->addr_count < DP_DHCP6_MAX_LEASES)
		o->addrs[o->addr_count++] = a;
	else
		o->more_addrs = true;
	return DP_DHCP6_OK;
}

/*
 * RFC 8415 section 21.22 IA Prefix: "| preferred-lifetime (4) | valid-
 * lifetime (4) | prefix-length (1) | IPv6-prefix (16) | IAprefix-options
 * |", option-len "25 + length of IAprefix-options field"; "prefix-length:
 * Length for this prefix in bits."  More than 128 bits cannot be.
 */
static enum dp_dhcp6_fail iaprefix(struct dp_cur *v, uint32_t iaid, struct walk *w,
				   struct dp_dhcp6 *o)
{
	struct dp_dhcp6_prefix p = {0};
	enum dp_dhcp6_fail f;

	if (dp_cur_left(v) < 25)
		return DP_DHCP6_OPT_VALUE;
	p.iaid = iaid;
	dp_cur_be32(v, &p.preferred);
	dp_cur_be32(v, &p.valid);
	dp_cur_u8(v, &p.prefix.plen);
	if (p.prefix.plen > 128)
		return DP_DHCP6_OPT_VALUE;
	dp_cur_copy(v, p.prefix.a, 16);
	p.prefix.present = true;
	f = lease_options(v, w, &p.has_status, &p.status);
	if (f != DP_DHCP6_OK)
		return f;
	if (o->prefix_count < DP_DHCP6_MAX_LEASES)
		o->prefixes[o->prefix_count++] = p;
	else
		o->more_prefixes = true;
	return DP_DHCP6_OK;
}

/*
 * RFC 8415 section 21.4 IA_NA and 21.21 IA_PD: "| IAID (4) | T1 (4) | T2
 * (4) | IA_NA-options / IA_PD-options |", option-len "12 + length of
 * IA_NA-options field".
 */
static enum dp_dhcp6_fail ia(uint16_t type, struct dp_cur *v, struct walk *w, struct dp_dhcp6 *o)
{
	uint32_t iaid = 0;

	if (dp_cur_left(v) < 12)
		return DP_DHCP6_OPT_VALUE;
	dp_cur_be32(v, &iaid);
	dp_cur_skip(v, 8); /* T1, T2 */
	while (dp_cur_left(v) > 0) {
		uint16_t code = 0;
		struct dp_cur sv;
		enum dp_dhcp6_fail f = next_option(v, w, &code, &sv);

		if (f != DP_DHCP6_OK)
			return f;
		if (code == OPT_STATUS_CODE)
			f = status_code(&sv, &o->has_ia_status, &o->ia_status);
		else if (type == OPT_IA_NA && code == OPT_IAADDR)
			f = iaaddr(&sv, iaid, w, o);
		else if (type == OPT_IA_PD && code == OPT_IAPREFIX)
			f = iaprefix(&sv, iaid, w, o);
		if (f != DP_DHCP6_OK)
			return f;
	}
	return DP_DHCP6_OK;
}

/* Options of the client/server message. */
static enum dp_dhcp6_fail msg_options(struct dp_cur *c, struct walk *w, struct dp_dhcp6 *o)
{
	bool seen_cid = false, seen_sid = false;

	while (dp_cur_left(c) > 0) {
		uint16_t code = 0;
		struct dp_cur v;
		struct rt_view scratch;
		enum dp_dhcp6_fail f = next_option(c, w, &code, &v);

		if (f != DP_DHCP6_OK)
			return f;
		switch (code) {
		case OPT_CLIENTID:
		case OPT_SERVERID:
			/* RFC 8415 section 11.1: "A DUID consists of a 2-octet
			 * type code represented in network byte order,
			 * followed by a variable number of octets" */
			if (dp_cur_left(&v) < 2)
				return DP_DHCP6_OPT_VALUE;
			if (!take_view(&v, code == OPT_CLIENTID ? (seen_cid ? &scratch : &o->client_id)
								 : (seen_sid ? &scratch : &o->server_id)))
				return DP_DHCP6_TEXT_LONG;
			if (code == OPT_CLIENTID)
				seen_cid = true;
			else
				seen_sid = true;
			break;
		case OPT_IA_NA:
			o->ia_na_count++;
			f = ia(code, &v, w, o);
			break;
		case OPT_IA_PD:
			o->ia_pd_count++;
			f = ia(code, &v, w, o);
			break;
		case OPT_STATUS_CODE:
			f = status_code(&v, &o->has_status, &o->status);
			break;
		default:
			break;
		}
		if (f != DP_DHCP6_OK)
			return f;
	}
	return DP_DHCP6_OK;
}

/*
 * RFC 8415 section 9: a relay message is "| msg-type | hop-count |
 * link-address (16) | peer-address (16) | options |"; its options carry
 * the relayed message in a Relay Message option (section 21.10) and may
 * carry Interface-ID (21.18) and Remote-ID (RFC 4649 section 3:
 * "| enterprise-number (4) | remote-id |").  Returns the Relay-Message
 * data in *inner.
 */
static enum dp_dhcp6_fail relay_options(struct dp_cur *c, struct walk *w, struct dp_dhcp6 *o,
					struct dp_cur *inner)
{
	bool have_msg = false, have_ifid = false, have_rid = false;

	while (dp_cur_left(c) > 0) {
		uint16_t code = 0;
		struct dp_cur v;
		enum dp_dhcp6_fail f = next_option(c, w, &code, &v);

		if (f != DP_DHCP6_OK)
			return f;
		if (code == OPT_RELAY_MSG && !have_msg) {
			*inner = v;
			have_msg = true;
		} else if (code == OPT_INTERFACE_ID && !have_ifid) {
			if (!take_view(&v, &o->interface_id))
				return DP_DHCP6_TEXT_LONG;
			have_ifid = true;
		} else if (code == OPT_REMOTE_ID && !have_rid) {
			if (!dp_cur_be32(&v, &o->remote_id_enterprise))
				return DP_DHCP6_OPT_VALUE;
			if (!take_view(&v, &o->remote_id))
				return DP_DHCP6_TEXT_LONG;
			o->has_remote_id = true;
			have_rid = true;
		}
	}
	/* RFC 8415 section 21.10: the Relay Message option "MUST be
	 * included in a Relay-forward or Relay-reply message". */
	if (!have_msg)
		return DP_DHCP6_NO_RELAY_MSG;
	return DP_DHCP6_OK;
}

enum dp_dhcp6_fail dp_dhcp6_decode(const struct dp_cur *in, struct dp_dhcp6 *ret)
{
	struct dp_cur c = *in;
	struct dp_dhcp6 o;
	struct walk w = {0};
	enum dp_dhcp6_fail f;
	uint8_t type = 0;

	memset(&o, 0, sizeof(o));
	for (;;) {
		struct rt_view keep_ifid, keep_rid;
		bool keep_has_rid;
		uint32_t keep_ent;
		struct dp_cur inner = {0};

		if (!dp_cur_peek_u8(&c, 0, &type))
			return DP_DHCP6_TOO_SHORT;
		/* RFC 8415 section 7.3: message types 1..13 (later RFCs add
		 * bulk leasequery and others, not decoded here). */
		if (type == 0 || type > DP_DHCP6_RELAY_REPL)
			return DP_DHCP6_BAD_MSG_TYPE;
		if (o.relay_depth == 0)
			o.outer_type = type;
		if (type != DP_DHCP6_RELAY_FORW && type != DP_DHCP6_RELAY_REPL)
			break;
		/* RFC 8415 section 7.6: "HOP_COUNT_LIMIT 8" -- deeper
		 * nesting is a relay loop or an attack. */
		if (o.relay_depth == DP_DHCP6_MAX_RELAY)
			return DP_DHCP6_RELAY_DEPTH;
		if (dp_cur_left(&c) < RELAY_HDR_LEN)
			return DP_DHCP6_TOO_SHORT;
		dp_cur_skip(&c, 2); /* msg-type, hop-count */
		dp_cur_copy(&c, o.link_addr, 16);
		dp_cur_copy(&c, o.peer_addr, 16);
		/* Interface-ID and Remote-ID of an outer relay are replaced
		 * by an inner relay's, when the inner one has them. */
		keep_ifid = o.interface_id;
		keep_rid = o.remote_id;
		keep_has_rid = o.has_remote_id;
		keep_ent = o.remote_id_enterprise;
		memset(&o.interface_id, 0, sizeof(o.interface_id));
		o.has_remote_id = false;
		f = relay_options(&c, &w, &o, &inner);
		if (f != DP_DHCP6_OK)
			return f;
		if (o.interface_id.p == NULL)
			o.interface_id = keep_ifid;
		if (!o.has_remote_id) {
			o.has_remote_id = keep_has_rid;
			o.remote_id = keep_rid;
			o.remote_id_enterprise = keep_ent;
		}
		c = inner;
		o.relay_depth++;
	}
	/* RFC 8415 section 8: "| msg-type | transaction-id (3 octets) |" */
	if (dp_cur_left(&c) < MSG_HDR_LEN)
		return DP_DHCP6_TOO_SHORT;
	dp_cur_be32(&c, &o.xid);
	o.xid &= 0x00ffffff; /* the msg-type octet */
	o.msg_type = type;
	f = msg_options(&c, &w, &o);
	if (f != DP_DHCP6_OK)
		return f;
	*ret = o;
	return DP_DHCP6_OK;
}
