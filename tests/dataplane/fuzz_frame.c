/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_frame_decode().  Input: one byte that picks the
 * link type, then the frame.  Besides "no crash", checks that a decoded
 * payload lies inside the captured bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {
		DP_LINK_ETHERNET, DP_LINK_RAW, DP_LINK_LINUX_SLL,
		DP_LINK_IPV4,	  DP_LINK_IPV6, 0 /* unsupported */,
	};
	struct dp_frame f;
	enum dp_frame_res r;
	const uint8_t *pkt;
	size_t n;

	if (size < 1)
		return 0;
	pkt = data + 1;
	n = size - 1;
	r = dp_frame_decode(pkt, n, links[data[0] % (sizeof(links) / sizeof(links[0]))], &f);
	if ((unsigned)r >= DP_FRAME_RES_MAX)
		abort();
	if (r != DP_FRAME_UDP)
		return 0;
	if (f.payload < pkt || f.payload_len > n || (size_t)(f.payload - pkt) > n - f.payload_len)
		abort();
	if (f.vlan_count > DP_FRAME_MAX_VLAN || (f.src.family != 4 && f.src.family != 6) ||
	    f.src.family != f.dst.family)
		abort();
	/* let ASan see every payload byte */
	volatile uint8_t x = 0;
	for (size_t i = 0; i < f.payload_len; i++)
		x ^= f.payload[i];
	(void)x;
	return 0;
}
