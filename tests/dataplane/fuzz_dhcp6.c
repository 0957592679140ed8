/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_dhcp6_decode().  Input: a UDP payload.  Besides "no
 * crash", checks the views lie inside the input, the counts respect their
 * bounds and prefixes are at most 128 bits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dhcp6.h"

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
	struct dp_dhcp6 o;
	enum dp_dhcp6_fail r = dp_dhcp6_decode(&c, &o);

	if ((unsigned)r >= DP_DHCP6_FAIL_MAX)
		abort();
	if (r != DP_DHCP6_OK)
		return 0;
	if (o.relay_depth > DP_DHCP6_MAX_RELAY || o.addr_count > DP_DHCP6_MAX_LEASES ||
	    o.prefix_count > DP_DHCP6_MAX_LEASES || o.msg_type == 0 || o.msg_type > 11 ||
	    o.xid > 0xffffff)
		abort();
	if (o.msg_type == DP_DHCP6_RELAY_FORW || o.msg_type == DP_DHCP6_RELAY_REPL)
		abort();
	for (unsigned i = 0; i < o.prefix_count; i++)
		if (o.prefixes[i].prefix.plen > 128)
			abort();
	in_bounds(&o.interface_id, data, size);
	in_bounds(&o.remote_id, data, size);
	in_bounds(&o.client_id, data, size);
	in_bounds(&o.server_id, data, size);
	return 0;
}
