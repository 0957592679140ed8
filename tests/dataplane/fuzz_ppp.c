/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_ppp_decode().  Input: two bytes of PPP protocol
 * (big-endian; the low three bits of the first pick one of the decoded
 * protocols so that most inputs reach a decoder), then the packet.
 * Checks the views lie within Length and that PAP/CHAP never expose
 * bytes of the password / response value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ppp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void in_bounds(const struct rt_view *v, const uint8_t *lo, size_t n)
{
	const uint8_t *b = (const uint8_t *)v->p;

	if (v->len == 0)
		return;
	if (b < lo || v->len > n || (size_t)(b - lo) > n - v->len)
		abort();
	volatile uint8_t x = 0;
	for (size_t i = 0; i < v->len; i++)
		x ^= b[i];
	(void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t protos[] = {DP_PPP_LCP,  DP_PPP_PAP,    DP_PPP_CHAP,
					  DP_PPP_IPCP, DP_PPP_IPV6CP, 0x0021};
	struct dp_ppp p;
	struct dp_cur c;
	enum dp_ppp_fail r;
	uint16_t proto;

	if (size < 2)
		return 0;
	proto = (data[0] & 0x80) ? (uint16_t)(data[0] << 8 | data[1])
				 : protos[data[0] % (sizeof(protos) / sizeof(protos[0]))];
	c = dp_cur_make(data + 2, size - 2);
	r = dp_ppp_decode(proto, &c, &p);
	if ((unsigned)r >= DP_PPP_FAIL_MAX)
		abort();
	if (r != DP_PPP_OK)
		return 0;
	if (p.length < DP_PPP_HDR_LEN || p.length > size - 2 || p.protocol != proto)
		abort();
	in_bounds(&p.name, data + 2 + DP_PPP_HDR_LEN, p.length - DP_PPP_HDR_LEN);
	in_bounds(&p.message, data + 2 + DP_PPP_HDR_LEN, p.length - DP_PPP_HDR_LEN);
	/* PAP request: the peer-id view ends right before Passwd-Length */
	if (proto == DP_PPP_PAP && p.code == DP_PPP_PAP_REQ &&
	    (const uint8_t *)p.name.p + p.name.len != data + 2 + DP_PPP_HDR_LEN + 1 + p.name.len)
		abort();
	return 0;
}
