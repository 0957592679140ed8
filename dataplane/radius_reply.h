/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file radius_reply.h
 * @brief Accounting-Response for the accounting listener (RFC 2866).
 */
#ifndef DP_RADIUS_REPLY_H
#define DP_RADIUS_REPLY_H

#include <stddef.h>
#include <stdint.h>

#define DP_RADIUS_ACCT_RESPONSE_LEN 20

/**
 * Build an Accounting-Response without attributes for the request with
 * `identifier` and Request Authenticator `req_auth` (RFC 2866 section 3:
 * "ResponseAuth = MD5(Code+ID+Length+RequestAuth+Attributes+Secret)").
 */
void dp_radius_acct_response(uint8_t out[DP_RADIUS_ACCT_RESPONSE_LEN], uint8_t identifier,
			     const uint8_t req_auth[16], const uint8_t *secret, size_t secret_len);

#endif
