/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_frame_l2() then dp_pppoe_decode(), and the PPP
 * control decoder on a session frame's payload.  Input: an Ethernet frame.
 * Besides "no crash", checks that every view and the PPP payload lie inside
 * the frame, within LENGTH, and that the result is a known reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "frame.h"
#include "ppp.h"
#include "pppoe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void in_bounds(const void *p, size_t len, const uint8_t *lo, size_t n)
{
	const uint8_t *b = p;

	if (len == 0)
		return;
	if (b < lo || len > n || (size_t)(b - lo) > n - len)
		abort();
	volatile uint8_t x = 0; /* let ASan see every byte */
	for (size_t i = 0; i < len; i++)
		x ^= b[i];
	(void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_l2 l2;
	struct dp_pppoe o;
	struct dp_ppp p;
	struct dp_cur c;
	enum dp_pppoe_fail r;
	const uint8_t *body;
	size_t blen;

	if (dp_frame_l2(data, size, DP_LINK_ETHERNET, &l2) != DP_FRAME_UDP)
		return 0;
	in_bounds(l2.payload, l2.payload_len, data, size);
	c = dp_cur_make(l2.payload, l2.payload_len);
	/* any EtherType: the decoder must refuse the others itself */
	r = dp_pppoe_decode(l2.ethertype, &c, &o);
	if ((unsigned)r >= DP_PPPOE_FAIL_MAX)
		abort();
	if (r != DP_PPPOE_OK)
		return 0;
	if (o.length > l2.payload_len - DP_PPPOE_HDR_LEN)
		abort();
	body = l2.payload + DP_PPPOE_HDR_LEN;
	blen = o.length;
	in_bounds(o.service_name.p, o.service_name.len, body, blen);
	in_bounds(o.ac_name.p, o.ac_name.len, body, blen);
	in_bounds(o.host_uniq.p, o.host_uniq.len, body, blen);
	in_bounds(o.ac_cookie.p, o.ac_cookie.len, body, blen);
	in_bounds(o.relay_session_id.p, o.relay_session_id.len, body, blen);
	in_bounds(o.circuit_id.p, o.circuit_id.len, body, blen);
	in_bounds(o.remote_id.p, o.remote_id.len, body, blen);
	in_bounds(o.error_text.p, o.error_text.len, body, blen);
	if (o.tag_count > DP_PPPOE_MAX_TAGS)
		abort();
	if (o.code != DP_PPPOE_SESSION)
		return 0;
	in_bounds(o.ppp_payload, o.ppp_len, body, blen);
	c = dp_cur_make(o.ppp_payload, o.ppp_len);
	if ((unsigned)dp_ppp_decode(o.ppp_protocol, &c, &p) >= DP_PPP_FAIL_MAX)
		abort();
	return 0;
}
