/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file accepts.h
 * @brief RADIUS Access-Request/Access-Accept correlation: the addresses an
 *        Accept gave a user, for the records that lack them
 *        (rules: dataplane/ACCESS.md "Access-Accept correlation").
 *
 * Design note
 * -----------
 *  - Two fixed tables, allocated once with the engine and never per packet:
 *    pending Access-Requests (keyed by client address, client port and
 *    Identifier, RFC 2865 section 3: the Identifier matches requests with
 *    replies) and accepted users (keyed by NAS identity and User-Name, with
 *    secondary indexes by Class and by User-Name alone).  Both are
 *    direct-mapped: a collision evicts the older entry, which then only
 *    costs a fill that does not happen.
 *  - A response is trusted only if its Response Authenticator verifies
 *    with the client's secret, when the client has one; a client without a
 *    secret is taken as is (like its accounting: "no-secret").  A Reject
 *    clears the user's entry; a Challenge changes nothing.
 *  - The password attributes (User-Password, CHAP-Password) are never read:
 *    the request keeps only User-Name, Calling-Station-Id, NAS-Identifier
 *    and the NAS identity.
 *  - Not thread-safe: one per engine.
 */
#ifndef DP_ACCEPTS_H
#define DP_ACCEPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "radius.h"
#include "secrets.h"
#include "session.h"
#include "tracker.h"

/** User-Name match window: accounting (or a PPP login) more than this
 *  after the Accept is not matched by User-Name (Class still matches). */
#define DP_ACCEPT_WINDOW_NS (120LL * 1000000000LL)
/** How long an unused request waits for its response (RFC 5080 section
 *  2.2.1 retransmission timers are seconds). */
#define DP_ACCEPT_REQ_WINDOW_NS (30LL * 1000000000LL)
/** An Accept is forgotten a day after it was seen. */
#define DP_ACCEPT_KEEP_NS (86400LL * 1000000000LL)

typedef struct dp_accepts dp_accepts;

/** What became of one response given to dp_accepts_response(). */
enum dp_accept_verdict {
	DP_ACCEPT_STORED = 0,   /**< Accept matched its request and was kept */
	DP_ACCEPT_UNMATCHED,    /**< no pending request for it: ignored */
	DP_ACCEPT_BAD_AUTH,     /**< Response Authenticator does not verify: ignored */
	DP_ACCEPT_REJECTED,     /**< a verified Reject: the user's entry cleared */
	DP_ACCEPT_OTHER,        /**< a Challenge: nothing kept */
};

/** @return 0 or -ENOMEM */
int dp_accepts_alloc(dp_accepts **ret);
void dp_accepts_free(dp_accepts *a);

/**
 * Remember an Access-Request (a retransmission overwrites its slot).
 * @param[in] client, port  the request's source
 * @param[in] r             the decoded request (its views: during the call)
 */
void dp_accepts_request(dp_accepts *a, const struct rt_addr *client, uint16_t port,
			const struct dp_radius_access *r, int64_t ts_ns);

/**
 * The Request Authenticator of the pending request a response from the
 * server to (client, port) with this Identifier answers.
 * @return true and copies it into ret_auth if one is pending (within
 *         DP_ACCEPT_REQ_WINDOW_NS)
 */
bool dp_accepts_request_auth(const dp_accepts *a, const struct rt_addr *client, uint16_t port,
			     uint8_t id, int64_t ts_ns, uint8_t ret_auth[16]);

/**
 * Correlate an Access-Accept / -Reject / -Challenge with its request.
 * @param[in] p, len  the response (checked, decoded into r)
 * @param[in] sec     the client's secret, or NULL (no secret: trusted as is)
 */
enum dp_accept_verdict dp_accepts_response(dp_accepts *a, const struct rt_addr *client,
					   uint16_t port, const struct dp_radius_access *r,
					   const uint8_t *p, size_t len,
					   const struct dp_secret *sec, int64_t ts_ns);

/**
 * Fill what an accepted RADIUS Accounting-Request lacks from the Accept of
 * its user (matched by Class, else by NAS + User-Name within the window;
 * ACCESS.md).  A field the accounting of that session ever carried is never
 * filled again: accounting wins.
 * @param[in,out] m   the tracker message (its nas, account, session_id)
 * @param[in] class_  the Accounting-Request's Class (empty: none)
 * @return true if m was matched to an Accept (whether or not it filled)
 */
bool dp_accepts_fill_acct(dp_accepts *a, struct dp_acct_msg *m, struct rt_view class_);

/**
 * Fill the addresses of a PPPoE/L2TP session that starts (PAP/CHAP
 * success) from a recent Accept of the same account and NAS: PPPoE, the
 * Accept's request named the PADS AC-Name as NAS-Identifier or the client
 * MAC as Calling-Station-Id; L2TP, its NAS identity is the LNS.  Only
 * fields m lacks are filled (IPCP / DHCPv6 later win).
 * @param[in] lns     L2TP: the LNS address; NULL for PPPoE
 * @param[in] ac_name PPPoE: the AC-Name (may be empty)
 * @param[in] mac     PPPoE: the client MAC; NULL for L2TP
 * @return true if filled from an Accept
 */
bool dp_accepts_fill_ppp(dp_accepts *a, struct dp_acct_msg *m, const struct rt_addr *lns,
			 struct rt_view ac_name, const uint8_t *mac);

#endif /* DP_ACCEPTS_H */
