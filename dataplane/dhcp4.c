/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BOOTP/DHCPv4 decode with option 82.
 *
 * The fixed part is length-checked once (240 bytes with the cookie); the
 * options are walked with one sub-cursor per option value, and option 82
 * gets a nested walk capped to its own length (STYLE.md 4).  Every walk is
 * bounded by DP_DHCP4_MAX_OPTIONS.
 */
#include "dhcp4.h"

#include <assert.h>
#include <string.h>

enum {
	OPT_PAD = 0,
	OPT_HOST_NAME = 12,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE_TIME = 51,
	OPT_OVERLOAD = 52,
	OPT_MSG_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_CLIENT_ID = 61,
	OPT_RELAY_AGENT_INFO = 82,
	OPT_END = 255,
};

enum {
	SUB_CIRCUIT_ID = 1,    /* RFC 3046 section 3.1 */
	SUB_REMOTE_ID = 2,     /* RFC 3046 section 3.2 */
	SUB_SUBSCRIBER_ID = 6, /* RFC 3993 section 3 */
};

#define HTYPE_ETHERNET 1
#define CHADDR_LEN 16

static const char *const dhcp4_fail_names[] = {
	[DP_DHCP4_OK] = "ok",
	[DP_DHCP4_TOO_SHORT] = "too-short",
	[DP_DHCP4_BAD_OP] = "bad-op",
	[DP_DHCP4_BAD_HLEN] = "bad-hlen",
	[DP_DHCP4_BAD_COOKIE] = "bad-cookie",
	[DP_DHCP4_OPT_HDR_TRUNC] = "opt-hdr-trunc",
	[DP_DHCP4_OPT_OVERFLOW] = "opt-overflow",
	[DP_DHCP4_TOO_MANY_OPTIONS] = "too-many-options",
	[DP_DHCP4_OPT_VALUE] = "opt-value",
	[DP_DHCP4_BAD_MSG_TYPE] = "bad-msg-type",
	[DP_DHCP4_OVERLOAD] = "overload",
	[DP_DHCP4_SUBOPT_OVERFLOW] = "subopt-overflow",
	[DP_DHCP4_TEXT_LONG] = "text-long",
};
static_assert(sizeof(dhcp4_fail_names) / sizeof(dhcp4_fail_names[0]) == DP_DHCP4_FAIL_MAX,
	      "dhcp4_fail_names must name every enum dp_dhcp4_fail value");

const char *dp_dhcp4_fail_str(enum dp_dhcp4_fail f)
{
	if ((unsigned)f >= DP_DHCP4_FAIL_MAX)
		return "unknown";
	return dhcp4_fail_names[f];
}

static bool take_view(const struct dp_cur *v, struct rt_view *out)
{
	if (dp_cur_left(v) > RT_TEXT_MAX)
		return false;
	out->p = (const char *)v->p;
	out->len = (uint8_t)dp_cur_left(v);
	return true;
}

/*
 * RFC 3046 section 2.0: "The Agent Information field consists of a
 * sequence of SubOpt/Length/Value tuples for each sub-option, encoded in
 * the following manner: | SubOpt | Len | Sub-option Value |".  The length
 * octet counts the value only.  An empty value is kept as empty; the first
 * occurrence of each sub-option wins.
 */
static enum dp_dhcp4_fail decode_relay_info(struct dp_cur *v, bool first, struct dp_dhcp4 *o)
{
	bool seen[3] = {false, false, false};

	while (dp_cur_left(v) > 0) {
		uint8_t code = 0, len = 0;
		struct dp_cur sv;
		struct rt_view scratch, *dst = &scratch;
		unsigned k;

		if (!dp_cur_u8(v, &code) || !dp_cur_u8(v, &len) || !dp_cur_sub(v, len, &sv))
			return DP_DHCP4_SUBOPT_OVERFLOW;
		if (code == SUB_CIRCUIT_ID)
			k = 0;
		else if (code == SUB_REMOTE_ID)
			k = 1;
		else if (code == SUB_SUBSCRIBER_ID)
			k = 2;
		else
			continue; /* link selection, vendor, ... */
		if (first && !seen[k])
			dst = k == 0 ? &o->circuit_id : k == 1 ? &o->remote_id : &o->subscriber_id;
		seen[k] = true;
		if (!take_view(&sv, dst))
			return DP_DHCP4_TEXT_LONG;
	}
	return DP_DHCP4_OK;
}

static bool val_fixed(struct dp_cur *v, size_t n, bool first, bool *has, uint8_t *out)
{
	if (dp_cur_left(v) != n)
		return false;
	if (first) {
		*has = true;
		dp_cur_copy(v, out, n);
	}
	return true;
}

static enum dp_dhcp4_fail decode_option(uint8_t code, struct dp_cur *v, bool first,
					struct dp_dhcp4 *o)
{
	struct rt_view scratch;
	uint8_t u8buf[1];

	switch (code) {
	case OPT_MSG_TYPE:
		/* RFC 2132 section 9.6: "The code for this option is 53, and
		 * its length is 1.  Legal values for this option are: ..." */
		if (dp_cur_left(v) != 1)
			return DP_DHCP4_OPT_VALUE;
		dp_cur_u8(v, u8buf);
		if (u8buf[0] == 0 || u8buf[0] > DP_DHCP4_MSG_MAX)
			return DP_DHCP4_BAD_MSG_TYPE;
		if (first)
			o->msg_type = u8buf[0];
		return DP_DHCP4_OK;
	case OPT_REQUESTED_IP:
		/* RFC 2132 section 9.1: "its length is 4" */
		return val_fixed(v, 4, first, &o->has_requested_ip, o->requested_ip)
			       ? DP_DHCP4_OK
			       : DP_DHCP4_OPT_VALUE;
	case OPT_SERVER_ID:
		/* RFC 2132 section 9.7: "its length is 4" */
		return val_fixed(v, 4, first, &o->has_server_id, o->server_id) ? DP_DHCP4_OK
										 : DP_DHCP4_OPT_VALUE;
	case OPT_LEASE_TIME:
		/* RFC 2132 section 9.2: "its length is 4" */
		if (dp_cur_left(v) != 4)
			return DP_DHCP4_OPT_VALUE;
		if (first) {
			o->has_lease_time = true;
			dp_cur_be32(v, &o->lease_time);
		}
		return DP_DHCP4_OK;
	case OPT_CLIENT_ID:
		/* RFC 2132 section 9.14: "The code for this option is 61, and
		 * its minimum length is 2." */
		if (dp_cur_left(v) < 2)
			return DP_DHCP4_OPT_VALUE;
		return take_view(v, first ? &o->client_id : &scratch) ? DP_DHCP4_OK
								      : DP_DHCP4_TEXT_LONG;
	case OPT_HOST_NAME:
		/* RFC 2132 section 3.14: "The minimum length for this option
		 * is 1." */
		if (dp_cur_left(v) < 1)
			return DP_DHCP4_OPT_VALUE;
		return take_view(v, first ? &o->host_name : &scratch) ? DP_DHCP4_OK
								      : DP_DHCP4_TEXT_LONG;
	case OPT_RELAY_AGENT_INFO:
		o->has_relay_info = true;
		return decode_relay_info(v, first, o);
	case OPT_OVERLOAD:
		/* RFC 2132 section 9.3: "the 'sname' field or the 'file'
		 * field is being overloaded by using it to carry DHCP
		 * options."  Not decoded: refused rather than half-read. */
		return DP_DHCP4_OVERLOAD;
	default:
		return DP_DHCP4_OK;
	}
}

/*
 * RFC 2132 section 2: "Fixed-length options without data consist of only a
 * code octet.  Only options 0 and 255 are fixed length.  All other options
 * are variable-length with a length octet following the tag octet.  The
 * value of the length octet does not include the two octets specifying the
 * tag and length."
 */
static enum dp_dhcp4_fail walk_options(struct dp_cur *c, struct dp_dhcp4 *o)
{
	uint64_t seen[4] = {0};
	unsigned count = 0;

	while (dp_cur_left(c) > 0) {
		uint8_t code = 0, len = 0;
		struct dp_cur v;
		enum dp_dhcp4_fail f;
		bool first;

		dp_cur_u8(c, &code);
		/* Pad octets are not counted: each one consumes a byte, so
		 * the packet length bounds them. */
		if (code == OPT_PAD)
			continue;
		/* RFC 2132 section 3.2: "The end option marks the end of
		 * valid information in the vendor field." */
		if (code == OPT_END) {
			o->has_end = true;
			return DP_DHCP4_OK;
		}
		if (++count > DP_DHCP4_MAX_OPTIONS)
			return DP_DHCP4_TOO_MANY_OPTIONS;
		if (!dp_cur_u8(c, &len))
			return DP_DHCP4_OPT_HDR_TRUNC;
		if (!dp_cur_sub(c, len, &v))
			return DP_DHCP4_OPT_OVERFLOW;
		first = !(seen[code / 64] & (UINT64_C(1) << (code % 64)));
		seen[code / 64] |= UINT64_C(1) << (code % 64);
		f = decode_option(code, &v, first, o);
		if (f != DP_DHCP4_OK)
			return f;
	}
	return DP_DHCP4_OK;
}

enum dp_dhcp4_fail dp_dhcp4_decode(const struct dp_cur *in, struct dp_dhcp4 *ret)
{
	static const uint8_t cookie[4] = {99, 130, 83, 99};
	struct dp_cur c = *in;
	struct dp_dhcp4 o;
	uint8_t mc[4];
	enum dp_dhcp4_fail f;

	memset(&o, 0, sizeof(o));
	/* RFC 2131 section 3: "the first four octets of the 'options' field
	 * of the DHCP message contain the (decimal) values 99, 130, 83 and
	 * 99" -- so a DHCP message holds at least 236 + 4 octets. */
	if (dp_cur_left(&c) < DP_DHCP4_MIN_LEN)
		return DP_DHCP4_TOO_SHORT;
	dp_cur_u8(&c, &o.op);
	dp_cur_u8(&c, &o.htype);
	dp_cur_u8(&c, &o.hlen);
	dp_cur_u8(&c, &o.hops);
	/* RFC 2131 section 2: "op: Message op code / message type.
	 * 1 = BOOTREQUEST, 2 = BOOTREPLY" */
	if (o.op != 1 && o.op != 2)
		return DP_DHCP4_BAD_OP;
	/* RFC 2131 section 2: "chaddr 16 Client hardware address." and
	 * "hlen: Hardware address length (e.g.  '6' for 10mb ethernet)." */
	if (o.hlen > CHADDR_LEN || (o.htype == HTYPE_ETHERNET && o.hlen != 6))
		return DP_DHCP4_BAD_HLEN;
	dp_cur_be32(&c, &o.xid);
	dp_cur_be16(&c, &o.secs);
	dp_cur_be16(&c, &o.flags);
	dp_cur_copy(&c, o.ciaddr, 4);
	dp_cur_copy(&c, o.yiaddr, 4);
	dp_cur_copy(&c, o.siaddr, 4);
	dp_cur_copy(&c, o.giaddr, 4);
	dp_cur_copy(&c, o.chaddr, CHADDR_LEN);
	dp_cur_skip(&c, 64 + 128); /* sname, file */
	dp_cur_copy(&c, mc, 4);
	if (memcmp(mc, cookie, 4) != 0)
		return DP_DHCP4_BAD_COOKIE;
	f = walk_options(&c, &o);
	if (f != DP_DHCP4_OK)
		return f;
	*ret = o;
	return DP_DHCP4_OK;
}
