/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: dp_radius_check(), dp_radius_decode_acct() and
 * dp_radius_acct_verify() with a fixed secret.  Input: a UDP payload.
 * Also checks that decode fails exactly when check fails (or for a value
 * reason), that decoded values respect their bounds, and that any packet
 * that passes check verifies once signed.  Also dp_radius_decode_access()
 * and the Message-Authenticator: a packet with one signs, then verifies as
 * a request and as a response (fixed request authenticator), and a flipped
 * bit breaks it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t secret[] = "fuzz-secret";
#define SECRET_LEN (sizeof(secret) - 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[DP_RADIUS_MAX_LEN];
	struct dp_radius_acct a;
	enum dp_radius_fail fc, fd;

	fc = dp_radius_check(data, size);
	fd = dp_radius_decode_acct(data, size, &a);
	if ((unsigned)fc >= DP_RADIUS_FAIL_MAX || (unsigned)fd >= DP_RADIUS_FAIL_MAX)
		abort();
	if (fc != DP_RADIUS_OK && fd != fc)
		abort();
	if (fc == DP_RADIUS_OK && fd != DP_RADIUS_OK && fd != DP_RADIUS_ATTR_VALUE &&
	    fd != DP_RADIUS_NO_STATUS)
		abort();
	(void)dp_radius_acct_verify(data, size, secret, SECRET_LEN);
	if (fc != DP_RADIUS_OK)
		return 0;

	if (fd == DP_RADIUS_OK) {
		if (a.length != size || a.code != data[0] || a.identifier != data[1])
			abort();
		if (a.framed_ipv6_prefix.present && a.framed_ipv6_prefix.plen > 128)
			abort();
		if (a.delegated_prefix.present && a.delegated_prefix.plen > 128)
			abort();
		if (a.code == DP_RADIUS_ACCOUNTING_REQUEST && a.status_type == 0 &&
		    memchr(data + DP_RADIUS_HDR_LEN, 40, size - DP_RADIUS_HDR_LEN) == NULL)
			abort(); /* no Acct-Status-Type byte anywhere, yet accepted */
	}

	struct dp_radius_access ac;
	enum dp_radius_fail fa = dp_radius_decode_access(data, size, &ac);
	if (fa != DP_RADIUS_OK && fa != DP_RADIUS_ATTR_VALUE && fa != DP_RADIUS_NO_STATUS &&
	    fa != DP_RADIUS_NOT_ACCESS)
		abort();
	static const uint8_t req_auth[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	enum dp_radius_ma ma = dp_radius_msg_auth_verify(data, size, NULL, secret, SECRET_LEN);
	if ((unsigned)ma > DP_RADIUS_MA_MALFORMED)
		abort();
	if (ma != DP_RADIUS_MA_MISSING && ma != DP_RADIUS_MA_MALFORMED) {
		for (int resp = 0; resp < 2; resp++) {
			const uint8_t *ra = resp ? req_auth : NULL;

			memcpy(copy, data, size);
			if (dp_radius_msg_auth_sign(copy, size, ra, secret, SECRET_LEN) != 0)
				abort();
			if (dp_radius_msg_auth_verify(copy, size, ra, secret, SECRET_LEN) !=
			    DP_RADIUS_MA_VALID)
				abort();
			copy[size - 1] ^= 0x80;
			if (dp_radius_msg_auth_verify(copy, size, ra, secret, SECRET_LEN) ==
			    DP_RADIUS_MA_VALID)
				abort();
		}
	}

	/* sign, then verify must succeed; one flipped bit must fail */
	memcpy(copy, data, size);
	dp_radius_acct_sign(copy, size, secret, SECRET_LEN);
	if (!dp_radius_acct_verify(copy, size, secret, SECRET_LEN))
		abort();
	copy[size - 1] ^= 1;
	if (dp_radius_acct_verify(copy, size, secret, SECRET_LEN))
		abort();
	return 0;
}
