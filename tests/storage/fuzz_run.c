/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: an index run (run.h, FORMAT.md section 5) held in
 * memory, read by st_run_walk() and, as a single chunk, by
 * st_run_chunk_open()/st_run_chunk_next() (what a query reads through a
 * fence).  A run that reads back is built again from its keys with the
 * writer's builder: the copy must read back with the same keys.
 */
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "run.h"
#include "store.h"

struct keys {
	struct st_runb b; /* the copy: built from the keys read */
	struct st_buf out;
	uint32_t n;
	int err;
};

static int on_key(void *ctx, const uint8_t *k, size_t kl)
{
	struct keys *x = ctx;
	if (kl == 0 || kl > ST_RUN_KEY_MAX)
		abort(); /* the walker let a bad length through */
	if (!x->err)
		x->err = st_runb_add(&x->b, k, kl);
	x->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct st_run_chunk c;
	if (st_run_chunk_open(data, size, &c, false) == ST_DEC_OK) {
		const uint8_t *k;
		size_t kl;
		while (st_run_chunk_next(&c, &k, &kl) == 1)
			if (kl == 0 || kl > ST_RUN_KEY_MAX)
				abort();
	}

	static struct keys x;
	st_runb_done(&x.b);
	x.n = 0;
	x.err = 0;
	x.out.len = 0;
	struct st_run_hdr h;
	if (st_runb_begin(&x.b, &x.out))
		return 0;
	int rc = st_run_walk(data, size, &h, on_key, &x);
	if (rc == 0) {
		/* keys came strictly increasing: the builder takes them all */
		if (x.err || x.n != h.nkeys)
			abort();
		struct st_run_hdr h2 = {.day = h.day, .tree = h.tree, .run_id = h.run_id};
		if (st_runb_end(&x.b, &h2) || h2.nkeys != h.nkeys)
			abort();
		struct st_run_hdr h3;
		if (st_run_walk(x.out.p, x.out.len, &h3, NULL, NULL) || h3.nkeys != h.nkeys ||
		    h3.day != h.day || h3.tree != h.tree || h3.run_id != h.run_id)
			abort();
	} else if (rc != ST_ECORRUPT) {
		abort();
	}
	return 0;
}
