/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encryption at rest: a keyring of AES-256 keys read from a key file, and
 * authenticated boxes (AES-256-GCM from OpenSSL's libcrypto) that wrap one
 * unit of stored bytes (a block, an index section).  Layouts and the key
 * rotation procedure: storage/CRYPT.md.
 *
 * A box binds its bytes to a caller-given context (associated data, e.g.
 * "segment day, block number") so that a box moved to another place of the
 * store fails to open, as does a box with any changed byte.
 */
#ifndef ST_CRYPT_H
#define ST_CRYPT_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_keyring st_keyring;

#define ST_KEY_LEN 32u
#define ST_BOX_MAGIC 0x4e455452u /* "RTEN" as bytes 52 54 45 4e */
#define ST_BOX_VERSION 1u
#define ST_BOX_ALG_AES256GCM 1u
#define ST_BOX_HDR_LEN 28u
#define ST_BOX_TAG_LEN 16u
#define ST_BOX_OVERHEAD (ST_BOX_HDR_LEN + ST_BOX_TAG_LEN)
#define ST_BOX_MAX_PLAIN (64u << 20) /* 64 MiB: larger units are rejected */
#define ST_KEYRING_MAX 64u           /* keys in one file */

/**
 * Parse a key file held in memory (see CRYPT.md: "<id> <64 hex digits>"
 * lines, '#' comments).  The active key (used to seal) is the highest id.
 * @param[out] ret  the keyring, set only on success
 * @param[out] err  a one-line reason naming the line on failure
 * @return 0, -EINVAL (bad line: reason in err), -ENOMEM
 */
int st_keyring_parse(const char *buf, size_t len, st_keyring **ret, char *err, size_t errlen);

/**
 * Read and parse a key file.  The file must be a regular file that neither
 * group nor others may read or write (like an ssh private key).
 * @return 0, -EINVAL (bad content), -EPERM (mode too open), -errno
 */
int st_keyring_load(const char *path, st_keyring **ret, char *err, size_t errlen);

/** Wipe the keys and free.  NULL is allowed. */
void st_keyring_free(st_keyring *k);

/** Id of the key new boxes are sealed with. */
uint32_t st_keyring_active(const st_keyring *k);

/** Number of keys. */
unsigned st_keyring_count(const st_keyring *k);

/** Size of the box of plain_len bytes. */
static inline size_t st_box_len(size_t plain_len)
{
	return plain_len + ST_BOX_OVERHEAD;
}

/**
 * Seal plain bytes under the active key with a fresh random nonce.
 * @param[in] ad, adlen  associated data (authenticated, not stored)
 * @param[out] out       at least st_box_len(plen) bytes
 * @return bytes written, or -EINVAL (plen too large), -EIO (libcrypto)
 */
long st_box_seal(const st_keyring *k, const void *ad, size_t adlen, const void *plain,
		 size_t plen, void *out, size_t outcap);

/**
 * Parse a box's header without a key (e.g. to report which key a store
 * needs).  @return 0 and the key id and plaintext length, or ST_ECORRUPT,
 * ST_EVERSION.
 */
int st_box_peek(const void *box, size_t boxlen, uint32_t *ret_key_id, size_t *ret_plen);

/**
 * Open a box: check its header, find its key, decrypt and authenticate.
 * Nothing is written to plain unless the tag verifies... except that
 * plain's first plen bytes are scratch (wiped) when it does not.
 * @return plaintext length, or ST_ECORRUPT (malformed box: bad magic,
 *         lengths), ST_EVERSION (unknown version or algorithm), -ENOKEY
 *         (its key is not in the keyring), -EBADMSG (tag mismatch: changed
 *         bytes, wrong key or wrong associated data), -ENOBUFS (plain too
 *         small), -EIO (libcrypto)
 */
long st_box_open(const st_keyring *k, const void *ad, size_t adlen, const void *box,
		 size_t boxlen, void *plain, size_t plaincap);

#endif /* ST_CRYPT_H */
