/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encryption at rest (crypt.h, CRYPT.md): key file parser and AES-256-GCM
 * boxes through libcrypto's EVP interface.  Nothing here is on the packet
 * path: boxes are made when a segment is sealed and opened when a sealed
 * unit is read back.
 */
#include "crypt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cursor.h"
#include "session.h"
#include "store.h"

#define BOX_NONCE_LEN 12u
#define KEYFILE_MAX (64u << 10)

struct st_key {
	uint32_t id;
	uint8_t k[ST_KEY_LEN];
};

struct st_keyring {
	unsigned n;
	uint32_t active;
	struct st_key keys[ST_KEYRING_MAX];
};

static void errf(char *err, size_t errlen, unsigned line, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "key file line %u: %s", line, what);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One non-comment line: "<id> <64 hex>" with optional surrounding blanks. */
static int parse_line(const char *p, size_t n, struct st_key *ret, const char **why)
{
	size_t i = 0;
	while (i < n && is_space(p[i]))
		i++;
	uint64_t id = 0;
	size_t d0 = i;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		id = id * 10 + (uint64_t)(p[i] - '0');
		if (id > UINT32_MAX) {
			*why = "key id larger than 4294967295";
			return -EINVAL;
		}
		i++;
	}
	if (i == d0) {
		*why = "expected '<key-id> <64 hex digits>'";
		return -EINVAL;
	}
	if (id == 0) {
		*why = "key id 0 is reserved";
		return -EINVAL;
	}
	if (i == n || !is_space(p[i])) {
		*why = "expected a blank after the key id";
		return -EINVAL;
	}
	while (i < n && is_space(p[i]))
		i++;
	size_t h0 = i;
	while (i < n && rt_hexval((char)p[i]) >= 0)
		i++;
	if (i - h0 != 2 * ST_KEY_LEN) {
		*why = "the key must be exactly 64 hex digits (32 bytes)";
		return -EINVAL;
	}
	while (i < n && is_space(p[i]))
		i++;
	if (i != n) {
		*why = "unexpected text after the key";
		return -EINVAL;
	}
	ret->id = (uint32_t)id;
	for (unsigned b = 0; b < ST_KEY_LEN; b++)
		ret->k[b] = (uint8_t)(rt_hexval((char)p[h0 + 2 * b]) << 4 |
				      rt_hexval((char)p[h0 + 2 * b + 1]));
	return 0;
}

int st_keyring_parse(const char *buf, size_t len, st_keyring **ret, char *err, size_t errlen)
{
	if (len > KEYFILE_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "key file: larger than 64 KiB");
		return -EINVAL;
	}
	st_keyring *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	unsigned lineno = 0;
	size_t pos = 0;
	int rc = 0;
	while (pos < len) {
		const char *p = buf + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;
		size_t i = 0;
		while (i < n && is_space(p[i]))
			i++;
		if (i == n || p[i] == '#')
			continue;
		if (memchr(p, '\0', n)) {
			errf(err, errlen, lineno, "NUL byte");
			rc = -EINVAL;
			break;
		}
		struct st_key key;
		const char *why = NULL;
		if (parse_line(p, n, &key, &why)) {
			errf(err, errlen, lineno, why);
			rc = -EINVAL;
			break;
		}
		bool dup = false;
		for (unsigned j = 0; j < k->n; j++)
			dup |= k->keys[j].id == key.id;
		if (dup) {
			errf(err, errlen, lineno, "duplicate key id");
			rc = -EINVAL;
		} else if (k->n == ST_KEYRING_MAX) {
			errf(err, errlen, lineno, "more than 64 keys");
			rc = -EINVAL;
		} else {
			k->keys[k->n++] = key;
			if (key.id > k->active)
				k->active = key.id;
		}
		OPENSSL_cleanse(&key, sizeof(key));
		if (rc)
			break;
	}
	if (!rc && k->n == 0) {
		if (err && errlen)
			snprintf(err, errlen, "key file: no key in %u lines", lineno);
		rc = -EINVAL;
	}
	if (rc) {
		st_keyring_free(k);
		return rc;
	}
	*ret = k;
	return 0;
}

int st_keyring_load(const char *path, st_keyring **ret, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		if (err && errlen)
			snprintf(err, errlen, "key file %s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (err && errlen)
			snprintf(err, errlen, "key file %s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		if (err && errlen)
			snprintf(err, errlen,
				 "key file %s: mode %03o lets group or others in (chmod 600)", path,
				 (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	if (st.st_size > (off_t)KEYFILE_MAX) {
		close(fd);
		if (err && errlen)
			snprintf(err, errlen, "key file %s: larger than 64 KiB", path);
		return -EINVAL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	int rc = st_keyring_parse(buf, got, ret, err, errlen);
	OPENSSL_cleanse(buf, (size_t)st.st_size + 1);
	free(buf);
	return rc;
}

void st_keyring_free(st_keyring *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

uint32_t st_keyring_active(const st_keyring *k)
{
	return k->active;
}

unsigned st_keyring_count(const st_keyring *k)
{
	return k->n;
}

static const struct st_key *find_key(const st_keyring *k, uint32_t id)
{
	for (unsigned i = 0; i < k->n; i++)
		if (k->keys[i].id == id)
			return &k->keys[i];
	return NULL;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* GCM over hdr (as AAD, first), ad, then the data; enc = 1 seals. */
static int gcm(int enc, const struct st_key *key, const uint8_t *hdr, const void *ad,
	       size_t adlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return -ENOMEM;
	int rc = -EIO, n = 0;
	const uint8_t *nonce = hdr + 12;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, BOX_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key->k, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, hdr, ST_BOX_HDR_LEN) != 1)
		goto out;
	if (adlen && EVP_CipherUpdate(c, NULL, &n, ad, (int)adlen) != 1)
		goto out;
	if (len && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + len, &n) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

long st_box_seal(const st_keyring *k, const void *ad, size_t adlen, const void *plain,
		 size_t plen, void *out, size_t outcap)
{
	if (plen > ST_BOX_MAX_PLAIN || adlen > INT_MAX || outcap < st_box_len(plen))
		return -EINVAL;
	const struct st_key *key = find_key(k, k->active);
	if (!key)
		return -ENOKEY;
	uint8_t *o = out;
	put_le32(o, ST_BOX_MAGIC);
	put_le16(o + 4, ST_BOX_VERSION);
	put_le16(o + 6, ST_BOX_ALG_AES256GCM);
	put_le32(o + 8, key->id);
	if (RAND_bytes(o + 12, BOX_NONCE_LEN) != 1)
		return -EIO;
	put_le32(o + 24, (uint32_t)plen);
	int rc = gcm(1, key, o, ad, adlen, plain, plen, o + ST_BOX_HDR_LEN,
		     o + ST_BOX_HDR_LEN + plen);
	if (rc) {
		OPENSSL_cleanse(o, st_box_len(plen));
		return rc;
	}
	return (long)st_box_len(plen);
}

int st_box_peek(const void *box, size_t boxlen, uint32_t *ret_key_id, size_t *ret_plen)
{
	struct dp_cur c = dp_cur_make(box, boxlen);
	uint32_t magic, key_id, plen;
	uint8_t v[4];
	if (!dp_cur_le32(&c, &magic) || magic != ST_BOX_MAGIC || !dp_cur_copy(&c, v, 4))
		return ST_ECORRUPT;
	unsigned version = (unsigned)v[0] | (unsigned)v[1] << 8;
	unsigned alg = (unsigned)v[2] | (unsigned)v[3] << 8;
	if (version != ST_BOX_VERSION || alg != ST_BOX_ALG_AES256GCM)
		return ST_EVERSION;
	if (!dp_cur_le32(&c, &key_id) || !dp_cur_skip(&c, BOX_NONCE_LEN) ||
	    !dp_cur_le32(&c, &plen))
		return ST_ECORRUPT;
	if (key_id == 0 || plen > ST_BOX_MAX_PLAIN ||
	    dp_cur_left(&c) != (size_t)plen + ST_BOX_TAG_LEN)
		return ST_ECORRUPT;
	*ret_key_id = key_id;
	*ret_plen = plen;
	return 0;
}

long st_box_open(const st_keyring *k, const void *ad, size_t adlen, const void *box,
		 size_t boxlen, void *plain, size_t plaincap)
{
	uint32_t key_id;
	size_t plen;
	int rc = st_box_peek(box, boxlen, &key_id, &plen);
	if (rc)
		return rc;
	if (adlen > INT_MAX)
		return -EINVAL;
	const struct st_key *key = find_key(k, key_id);
	if (!key)
		return -ENOKEY;
	if (plaincap < plen)
		return -ENOBUFS;
	const uint8_t *b = box;
	uint8_t tag[ST_BOX_TAG_LEN];
	memcpy(tag, b + ST_BOX_HDR_LEN + plen, sizeof(tag));
	rc = gcm(0, key, b, ad, adlen, b + ST_BOX_HDR_LEN, plen, plain, tag);
	if (rc) {
		OPENSSL_cleanse(plain, plen);
		return rc;
	}
	return (long)plen;
}
