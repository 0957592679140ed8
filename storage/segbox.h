/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file segbox.h
 * @brief Encrypted sealed segments: the bytes of a sealed segment file
 *        (format version 2, sealed.h) wrapped in authenticated boxes
 *        (crypt.h).  Layout: storage/CRYPT.md "Sealed segments",
 *        FORMAT.md section 9.5.
 *
 * The plaintext is cut into chunks of ST_SEGBOX_CHUNK bytes (the last one
 * shorter) and each chunk is one box; the boxes are back to back and make
 * the whole file.  Each box's associated data is
 *   "RTSEGBOX" | le32 day | le32 box index | le32 box count
 * so a box moved to another day, another place in the file, or a file cut
 * short by whole boxes fails to open.  Every box of a file is under the
 * same key.
 */
#ifndef ST_SEGBOX_H
#define ST_SEGBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypt.h"
#include "record.h"

#define ST_SEGBOX_CHUNK (16u << 20)
#define ST_SEGBOX_AD_LEN 20u

/** The file starts with a box (an encrypted sealed segment)? */
bool st_segbox_is(const uint8_t *p, size_t len);

/**
 * Structure of an encrypted file without a key: every box's header and
 * length, one key id for all.
 * @return 0 and the key id, the plaintext length and the box count, or
 *         ST_ECORRUPT (not boxes back to back, mixed keys, too many
 *         boxes), ST_EVERSION
 */
int st_segbox_info(const uint8_t *p, size_t len, uint32_t *ret_key_id, uint64_t *ret_plain,
		   uint32_t *ret_nboxes);

/**
 * Encrypt the sealed segment of `day` (plain[0..n), n >= 1) under the
 * active key of k into *out (appended).
 * @return 0, ST_EINVAL, -ENOMEM, -EIO
 */
int st_segbox_seal(const st_keyring *k, int32_t day, const uint8_t *plain, size_t n,
		   struct st_buf *out);

/**
 * Decrypt an encrypted sealed segment of `day` into a new heap buffer
 * (*ret, *ret_len; free with st_segbox_free).  On failure nothing is
 * returned and the scratch plaintext is wiped.
 * @param[out] ret_key_id the key id the file needs (set whenever the
 *             structure parses, also on -ENOKEY / -EBADMSG)
 * @return 0, ST_ECORRUPT, ST_EVERSION, -ENOKEY (k NULL or without its
 *         key), -EBADMSG (authentication failed: changed bytes, wrong
 *         key, another day's file), -ENOMEM, -EIO
 */
int st_segbox_open(const st_keyring *k, int32_t day, const uint8_t *p, size_t len,
		   uint8_t **ret, size_t *ret_len, uint32_t *ret_key_id);

/** Wipe (OPENSSL_cleanse) and free a buffer of st_segbox_open.  NULL ok. */
void st_segbox_free(uint8_t *p, size_t len);

#endif /* ST_SEGBOX_H */
