/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the box-header walk expiry uses for the plaintext size
 * of an encrypted sealed segment (st_boxed_plain_size, storage/expire.c),
 * reading the input as the file.  It must answer 0 or ST_ECORRUPT, never
 * read outside the file, and agree with st_segbox_info (the in-memory
 * parser, storage/segbox.h): wherever that accepts, the walk gives the
 * same plaintext length.
 */
#include <stdlib.h>
#include <string.h>

#include "segbox.h"
#include "store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t n;
};

static int rd_mem(void *ctx, uint8_t *p, size_t n, uint64_t off)
{
	const struct mem *m = ctx;
	if (off > m->n || n > m->n - off)
		abort(); /* the walk read past the file */
	memcpy(p, m->p + off, n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = {data, size};
	uint64_t plain = 0, want = 0;
	uint32_t key, nb;
	int rc = st_boxed_plain_size(rd_mem, &m, size, &plain);
	if (rc != 0 && rc != ST_ECORRUPT)
		abort();
	if (size && st_segbox_info(data, size, &key, &want, &nb) == 0 &&
	    (rc != 0 || plain != want))
		abort();
	return 0;
}
