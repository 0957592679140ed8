/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the encryption-at-rest readers of storage/crypt.h on
 * arbitrary bytes.  Byte 0 selects: even = a key file (st_keyring_parse),
 * odd = a box opened with a fixed keyring (keys 1 and 2).  A box that opens
 * must re-seal and open again to the same bytes; the fixed keys make
 * boxes from the seed corpus open, so the decrypting path is reached.
 */
#include <stdlib.h>
#include <string.h>

#include "crypt.h"
#include "store.h"

static const char RING[] =
	"1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
	"2 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static st_keyring *ring;
	static uint8_t plain[1 << 16], box[(1 << 16) + ST_BOX_OVERHEAD], again[1 << 16];
	char err[160];

	if (size == 0)
		return 0;
	if (!ring && st_keyring_parse(RING, sizeof(RING) - 1, &ring, err, sizeof(err)))
		abort();
	if ((data[0] & 1) == 0) {
		st_keyring *k = NULL;
		int rc = st_keyring_parse((const char *)data + 1, size - 1, &k, err, sizeof(err));
		if (rc == 0 && (!k || st_keyring_count(k) == 0 || st_keyring_active(k) == 0))
			abort();
		if (rc != 0 && (k || !memchr(err, '\0', sizeof(err))))
			abort();
		st_keyring_free(k);
		return 0;
	}
	/* odd: byte 1 = associated data length (from the input), then the box */
	size_t adlen = size > 1 ? data[1] % 32 : 0;
	if (size < 2 + adlen)
		return 0;
	const uint8_t *ad = data + 2, *b = data + 2 + adlen;
	size_t blen = size - 2 - adlen;
	long n = st_box_open(ring, ad, adlen, b, blen, plain, sizeof(plain));
	if (n < 0)
		return 0;
	if ((size_t)n + ST_BOX_OVERHEAD != blen)
		abort();
	long m = st_box_seal(ring, ad, adlen, plain, (size_t)n, box, sizeof(box));
	if (m != (long)blen || st_box_open(ring, ad, adlen, box, (size_t)m, again, sizeof(again)) != n ||
	    memcmp(plain, again, (size_t)n) != 0)
		abort();
	return 0;
}
