/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_l2tp_decode() with and without the tunnel secret
 * (so that hidden AVPs are decrypted, and their cipher-made lengths
 * checked), then dp_ppp_decode() on a data message's PPP payload.  Input: a
 * UDP payload.  Checks views lie inside the input or the hidden buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "l2tp.h"
#include "ppp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t secret[] = "l2tp-secret";
static struct dp_l2tp_hidden_buf hbuf;

static void in_bounds(const void *p, size_t len, const uint8_t *lo, size_t n)
{
	const uint8_t *b = p;

	if (len == 0)
		return;
	if (b < lo || len > n || (size_t)(b - lo) > n - len)
		abort();
	volatile uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= b[i];
	(void)x;
}

static void view_ok(const struct rt_view *v, const uint8_t *data, size_t size)
{
	const uint8_t *p = (const uint8_t *)v->p;

	if (v->len && p >= hbuf.b && p < hbuf.b + sizeof(hbuf.b))
		in_bounds(p, v->len, hbuf.b, sizeof(hbuf.b));
	else
		in_bounds(p, v->len, data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_cur c = dp_cur_make(data, size);
	struct dp_l2tp o;
	struct dp_ppp p;

	for (int with = 0; with < 2; with++) {
		enum dp_l2tp_fail r = dp_l2tp_decode(&c, with ? secret : NULL,
						     with ? sizeof(secret) - 1 : 0,
						     with ? &hbuf : NULL, &o);
		if ((unsigned)r >= DP_L2TP_FAIL_MAX)
			abort();
		if (r != DP_L2TP_OK)
			continue;
		if (o.length > size || o.avp_count > DP_L2TP_MAX_AVPS)
			abort();
		view_ok(&o.calling, data, size);
		view_ok(&o.called, data, size);
		if (!with && (o.calling.len && (const uint8_t *)o.calling.p >= hbuf.b &&
			      (const uint8_t *)o.calling.p < hbuf.b + sizeof(hbuf.b)))
			abort(); /* no secret, nothing decrypted */
		if (o.control)
			continue;
		in_bounds(o.ppp_payload, o.ppp_len, data, size);
		struct dp_cur pc = dp_cur_make(o.ppp_payload, o.ppp_len);
		if ((unsigned)dp_ppp_decode(o.ppp_protocol, &pc, &p) >= DP_PPP_FAIL_MAX)
			abort();
	}
	return 0;
}
