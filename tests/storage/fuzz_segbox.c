/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: an encrypted sealed segment (storage/segbox.h) as the
 * store reads it, with a fixed keyring (key ids 1 and 2, the keys of
 * tests/cli/test_crypt.py).  Input: le32 segment day, then the file bytes.
 * st_segbox_info and st_segbox_open must reject with a known code (never
 * hand back plaintext that did not authenticate); an opened plaintext goes
 * through st_sealed_open and every block is decoded, as a query would.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypt.h"
#include "sealed.h"
#include "segbox.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char keys[] =
	"1 1111111111111111111111111111111111111111111111111111111111111111\n"
	"2 2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f\n";

static bool known(int rc)
{
	return rc == ST_ECORRUPT || rc == ST_EVERSION || rc == -ENOKEY || rc == -EBADMSG ||
	       rc == -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static st_keyring *k;
	static ZSTD_DCtx *dctx;
	char err[128];
	if (!k && st_keyring_parse(keys, sizeof(keys) - 1, &k, err, sizeof(err)))
		abort();
	if (!dctx && !(dctx = ZSTD_createDCtx()))
		abort();
	if (size < 4)
		return 0;
	int32_t day = (int32_t)((uint32_t)data[0] | (uint32_t)data[1] << 8 |
				(uint32_t)data[2] << 16 | (uint32_t)data[3] << 24);
	const uint8_t *p = data + 4;
	size_t len = size - 4;
	uint32_t kid = 0, nb = 0;
	uint64_t plain = 0;
	int irc = st_segbox_info(p, len, &kid, &plain, &nb);
	if (irc && !known(irc))
		abort();
	uint8_t *out = NULL;
	size_t olen = 0;
	int rc = st_segbox_open(k, day, p, len, &out, &olen, &kid);
	if (rc) {
		if (!known(rc) || out)
			abort();
		if (!irc && rc == ST_ECORRUPT)
			abort(); /* the structure parsed: only the keys can fail now */
		return 0;
	}
	if (irc || olen != plain || (kid != 1 && kid != 2))
		abort();
	struct st_sealed s;
	enum st_dec why = ST_DEC_OK;
	if (st_sealed_open(&s, out, olen, &why) == 0) {
		for (uint32_t b = 0; b < s.nblocks; b++) {
			const struct rt_session *rows;
			if (st_sealed_block(&s, dctx, b, &rows))
				continue;
		}
	}
	st_sealed_close(&s);
	st_segbox_free(out, olen);
	return 0;
}
