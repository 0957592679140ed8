/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_reasm4_add() over a sequence of packets.  Input:
 * records of | length (2, big-endian) | time step in seconds (1) | packet |.
 * One small reassembler (4 contexts, 2048 octets, 5 s timeout) lives for
 * the whole input.  Checks: every result is known, a reassembled datagram
 * is a well-formed IPv4 packet (Total Length = its size, no MF, offset 0,
 * checksum verifies) within the configured bounds, and the contexts in
 * flight never exceed the pool.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "reasm4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXD 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dp_reasm4_cfg cfg = {4, MAXD, 5000000000LL};
	struct dp_reasm4_stats st;
	dp_reasm4 *r = NULL;
	int64_t now = 0;

	if (dp_reasm4_alloc(&cfg, &r) != 0)
		abort();
	while (size >= 3) {
		size_t n = (size_t)data[0] << 8 | data[1];
		const uint8_t *out = NULL;
		size_t out_len = 0;
		enum dp_reasm4_res res;

		now += (int64_t)data[2] * 1000000000LL;
		data += 3;
		size -= 3;
		if (n > size)
			n = size;
		res = dp_reasm4_add(r, data, n, now, &out, &out_len);
		data += n;
		size -= n;
		if ((unsigned)res >= DP_REASM4_RES_MAX)
			abort();
		dp_reasm4_stats(r, &st);
		if (st.in_flight > cfg.max_contexts)
			abort();
		if (res != DP_REASM4_DONE) {
			if (out || out_len)
				abort();
			continue;
		}
		size_t hlen = (size_t)(out[0] & 0x0f) * 4;
		if (out[0] >> 4 != 4 || hlen < 20 || out_len < hlen || out_len - hlen > MAXD ||
		    ((size_t)out[2] << 8 | out[3]) != out_len || (out[6] & 0x3f) || out[7])
			abort();
		uint32_t s = 0;
		for (size_t i = 0; i < hlen; i += 2)
			s += (uint32_t)out[i] << 8 | out[i + 1];
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		if (s != 0xffff)
			abort();
		volatile uint8_t x = 0;
		for (size_t i = 0; i < out_len; i++)
			x ^= out[i];
		(void)x;
	}
	dp_reasm4_free(r);
	return 0;
}
