/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encrypted sealed segments (storage/segbox.h, CRYPT.md "Sealed
 * segments"): the file is a run of boxes over fixed-size chunks of the
 * plaintext version 2 file.
 */
#include "segbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "store.h"
#include "store_int.h"

/* boxes in one file: 1 TiB of plaintext, far above any day */
#define SEGBOX_MAX (1u << 16)

static void make_ad(uint8_t ad[ST_SEGBOX_AD_LEN], int32_t day, uint32_t i, uint32_t n)
{
	memcpy(ad, "RTSEGBOX", 8);
	uint8_t *p = st_put_le32(ad + 8, (uint32_t)day);
	p = st_put_le32(p, i);
	st_put_le32(p, n);
}

bool st_segbox_is(const uint8_t *p, size_t len)
{
	return len >= 4 && (p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			    (uint32_t)p[3] << 24) == ST_BOX_MAGIC;
}

int st_segbox_info(const uint8_t *p, size_t len, uint32_t *ret_key_id, uint64_t *ret_plain,
		   uint32_t *ret_nboxes)
{
	uint64_t plain = 0;
	uint32_t key = 0, n = 0;
	size_t off = 0;
	if (len == 0)
		return ST_ECORRUPT;
	while (off < len) {
		struct dp_cur c = dp_cur_make(p + off, len - off);
		uint32_t plen, kid;
		size_t pl;
		if (!dp_cur_skip(&c, 24) || !dp_cur_le32(&c, &plen))
			return ST_ECORRUPT;
		if (plen > ST_BOX_MAX_PLAIN || plen == 0)
			return ST_ECORRUPT;
		size_t blen = st_box_len(plen);
		if (blen > len - off)
			return ST_ECORRUPT;
		int rc = st_box_peek(p + off, blen, &kid, &pl);
		if (rc)
			return rc;
		if ((n && kid != key) || ++n > SEGBOX_MAX)
			return ST_ECORRUPT;
		key = kid;
		plain += pl;
		off += blen;
	}
	*ret_key_id = key;
	*ret_plain = plain;
	*ret_nboxes = n;
	return 0;
}

int st_segbox_seal(const st_keyring *k, int32_t day, const uint8_t *plain, size_t n,
		   struct st_buf *out)
{
	if (!k || !plain || n == 0)
		return ST_EINVAL;
	size_t nb = (n + ST_SEGBOX_CHUNK - 1) / ST_SEGBOX_CHUNK;
	if (nb > SEGBOX_MAX)
		return ST_EINVAL;
	size_t base = out->len;
	if (st_buf_reserve(out, n + nb * ST_BOX_OVERHEAD))
		return -ENOMEM;
	for (size_t i = 0; i < nb; i++) {
		uint8_t ad[ST_SEGBOX_AD_LEN];
		size_t off = i * ST_SEGBOX_CHUNK;
		size_t cl = n - off < ST_SEGBOX_CHUNK ? n - off : ST_SEGBOX_CHUNK;
		make_ad(ad, day, (uint32_t)i, (uint32_t)nb);
		long w = st_box_seal(k, ad, sizeof(ad), plain + off, cl, out->p + out->len,
				     out->cap - out->len);
		if (w < 0) {
			out->len = base;
			return (int)w;
		}
		out->len += (size_t)w;
	}
	return 0;
}

void st_segbox_free(uint8_t *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

int st_segbox_open(const st_keyring *k, int32_t day, const uint8_t *p, size_t len,
		   uint8_t **ret, size_t *ret_len, uint32_t *ret_key_id)
{
	uint32_t key, nb;
	uint64_t plain;
	int rc = st_segbox_info(p, len, &key, &plain, &nb);
	if (rc)
		return rc;
	*ret_key_id = key;
	if (!k)
		return -ENOKEY;
	if (plain > SIZE_MAX / 2)
		return -ENOMEM;
	uint8_t *out = malloc((size_t)plain);
	if (!out)
		return -ENOMEM;
	size_t off = 0, poff = 0;
	for (uint32_t i = 0; i < nb; i++) {
		uint8_t ad[ST_SEGBOX_AD_LEN];
		uint32_t plen = (uint32_t)p[off + 24] | (uint32_t)p[off + 25] << 8 |
				(uint32_t)p[off + 26] << 16 | (uint32_t)p[off + 27] << 24;
		size_t blen = st_box_len(plen);
		make_ad(ad, day, i, nb);
		long r = st_box_open(k, ad, sizeof(ad), p + off, blen, out + poff, (size_t)plain - poff);
		if (r < 0) {
			st_segbox_free(out, (size_t)plain);
			return (int)r;
		}
		off += blen;
		poff += (size_t)r;
	}
	*ret = out;
	*ret_len = (size_t)plain;
	return 0;
}
