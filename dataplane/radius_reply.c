/* SPDX-License-Identifier: BSD-2-Clause */
/* MD5_* are deprecated in OpenSSL 3: see radius.c (acct_digest) for why. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "radius_reply.h"

#include <string.h>

#include <openssl/md5.h>

#include "radius.h"

void dp_radius_acct_response(uint8_t out[DP_RADIUS_ACCT_RESPONSE_LEN], uint8_t identifier,
			     const uint8_t req_auth[16], const uint8_t *secret, size_t secret_len)
{
	MD5_CTX ctx;
	out[0] = DP_RADIUS_ACCOUNTING_RESPONSE;
	out[1] = identifier;
	out[2] = 0;
	out[3] = DP_RADIUS_ACCT_RESPONSE_LEN;
	MD5_Init(&ctx);
	MD5_Update(&ctx, out, 4);
	MD5_Update(&ctx, req_auth, 16);
	if (secret_len)
		MD5_Update(&ctx, secret, secret_len);
	MD5_Final(out + 4, &ctx);
}
