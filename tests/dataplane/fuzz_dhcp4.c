/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_dhcp4_decode().  Input: a UDP payload.  Besides "no
 * crash", checks that every view lies inside the input after the cookie,
 * that hlen is within chaddr and that the result is a known reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dhcp4.h"

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
	struct dp_cur c = dp_cur_make(data, size);
	struct dp_dhcp4 o;
	enum dp_dhcp4_fail r;

	r = dp_dhcp4_decode(&c, &o);
	if ((unsigned)r >= DP_DHCP4_FAIL_MAX)
		abort();
	if (c.p != data || c.len != size) /* the input cursor is not consumed */
		abort();
	if (r != DP_DHCP4_OK)
		return 0;
	if (size < DP_DHCP4_MIN_LEN || o.hlen > 16 || (o.op != 1 && o.op != 2) ||
	    o.msg_type > DP_DHCP4_MSG_MAX)
		abort();
	in_bounds(&o.client_id, data + DP_DHCP4_MIN_LEN, size - DP_DHCP4_MIN_LEN);
	in_bounds(&o.host_name, data + DP_DHCP4_MIN_LEN, size - DP_DHCP4_MIN_LEN);
	in_bounds(&o.circuit_id, data + DP_DHCP4_MIN_LEN, size - DP_DHCP4_MIN_LEN);
	in_bounds(&o.remote_id, data + DP_DHCP4_MIN_LEN, size - DP_DHCP4_MIN_LEN);
	in_bounds(&o.subscriber_id, data + DP_DHCP4_MIN_LEN, size - DP_DHCP4_MIN_LEN);
	return 0;
}
