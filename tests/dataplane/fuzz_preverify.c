/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target, differential: dp_engine_preverify() +
 * dp_engine_frame_preverified() (the verdict and the decoded request
 * computed ahead) against dp_engine_packet().  Input: one byte
 * that picks the link type, then a frame.  Two engines (every address
 * has the secret "fuzz-secret") each get the frame twice, one second apart
 * (the second is a retransmission); the one given the verdict computed
 * ahead must keep exactly the counters and the closed sessions of the one
 * that verifies by itself.  Also: a VALID verdict comes with cache tags,
 * any other without.  The engines live across inputs (allocating them is
 * most of the cost), both see the same sequence, and are replaced every
 * RESET inputs to bound the tracker's memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_close(void *ctx, const struct rt_session *s)
{
	(void)s;
	(*(unsigned *)ctx)++;
	return 0;
}

static dp_secrets *fuzz_secrets(void)
{
	static dp_secrets *s;
	static const char txt[] = "0.0.0.0/0 fuzz-secret\n::/0 fuzz-secret\n";
	char err[128];
	if (!s && dp_secrets_parse(txt, sizeof(txt) - 1, &s, err, sizeof(err)) != 0)
		abort();
	return s;
}

#define RESET 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {DP_LINK_ETHERNET, DP_LINK_RAW};
	static unsigned closed1, closed2, runs;
	static dp_engine *e1, *e2;
	static int64_t now = 1785542400000000000LL;
	if (size < 1)
		return 0;
	const int lt = links[data[0] % 2];
	struct dp_engine_cfg cfg;
	dp_engine_cfg_default(&cfg);
	cfg.secrets = fuzz_secrets();
	if (runs++ % RESET == 0) {
		dp_engine_free(e1);
		dp_engine_free(e2);
		e1 = e2 = NULL;
		closed1 = closed2 = 0;
		if (dp_engine_alloc(&cfg, on_close, NULL, &closed1, &e1) ||
		    dp_engine_alloc(&cfg, on_close, NULL, &closed2, &e2))
			abort();
	}
	/* the frame at the end of its own heap block: ASan sees over-reads */
	uint8_t *copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		abort();
	memcpy(copy, data + 1, size - 1);
	for (int i = 0; i < 2; i++) {
		struct dp_pkt p = {.data = copy, .caplen = (uint32_t)(size - 1),
				   .wirelen = (uint32_t)(size - 1),
				   .ts_ns = now};
		now += 1000000000LL;
		struct dp_preverified pv;
		dp_engine_preverify(&cfg, &p, lt, &pv);
		if (pv.hint > DP_AUTH_INVALID)
			abort();
		if ((pv.hint == DP_AUTH_VALID) != (pv.dup_tag != 0 && pv.replay_tag != 0))
			abort();
		dp_engine_prefetch(e2, &pv);
		dp_engine_prefetch_stage(e2, &pv, 1);
		dp_engine_prefetch_stage(e2, &pv, 2);
		int r1 = dp_engine_packet(e1, &p, lt);
		int r2 = dp_engine_frame_preverified(e2, &p, lt, &pv);
		if (r1 != r2)
			abort();
	}
	if (memcmp(dp_engine_counters(e1), dp_engine_counters(e2), sizeof(struct dp_counters)) ||
	    closed1 != closed2)
		abort();
	free(copy);
	return 0;
}
