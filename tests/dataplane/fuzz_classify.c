/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the classifier.  Input: one frame, placed at the end of
 * a block of exactly its size (ASan sees any read past it).  The class must
 * be valid, and dp_classify_burst() must give the same one and count it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp_classifier c;
	static int init;
	if (!init) {
		dp_classifier_init(&c);
		init = 1;
	}
	if (size > 4096)
		return 0;
	uint32_t len = (uint32_t)size;
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		abort();
	memcpy(p, data, len);
	enum dp_cls want = dp_classify_eth(&c, p, len);
	const uint8_t *pk = p;
	uint8_t got;
	unsigned ctrl = dp_classify_burst(&c, &pk, &len, 1, &got);
	if ((unsigned)want >= DP_CLS_MAX || got != want || ctrl != (want != DP_CLS_PASS))
		abort();
	free(p);
	return 0;
}
