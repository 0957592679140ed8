/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file access.h
 * @brief PPPoE/PPP and DHCPv4 sessions: the state machines of
 *        dataplane/ACCESS.md, turned into tracker messages.
 *
 * Login state lives here until a session is worth recording (PPPoE: after
 * PAP/CHAP success; DHCP: at the ACK), then the tracker owns the session
 * (orphans, lease expiry, fusion with RADIUS by MAC).  One entry per login
 * in progress or session (allocated when it appears, never per packet);
 * entries idle for an hour are dropped.
 */
#ifndef DP_ACCESS_H
#define DP_ACCESS_H

#include <stdint.h>

#include "accepts.h"
#include "frame.h"
#include "linemap.h"
#include "secrets.h"
#include "tracker.h"

typedef struct dp_access dp_access;

struct dp_access_counters {
	uint64_t pppoe_frames;
	uint64_t ppp_control;
	uint64_t dhcp4_messages;
	uint64_t logins_failed;     /**< PAP Nak / CHAP Failure */
	uint64_t foreign_ppp;       /**< "downstream" PPP frames not from the session's BRAS */
	uint64_t malformed_pppoe;
	uint64_t malformed_ppp;
	uint64_t malformed_dhcp4;
	uint64_t dhcp6_messages;
	uint64_t malformed_dhcp6;
	uint64_t l2tp_messages;
	uint64_t malformed_l2tp;
};

int dp_access_alloc(dp_access **ret);
void dp_access_free(dp_access *a);

/** A PPPoE frame (ethertype 0x8863/0x8864).  @return 0 or a tracker error */
int dp_access_pppoe(dp_access *a, dp_tracker *t, const struct dp_l2 *l2, int64_t ts_ns);

/** A DHCPv4 message (UDP 67/68).  @return 0 or a tracker error */
int dp_access_dhcp4(dp_access *a, dp_tracker *t, const struct dp_frame *f, int64_t ts_ns);

/** An L2TPv2 message (UDP 1701); hidden AVPs are decoded with the secret
 *  the secrets file gives the sender's address (NULL: reported hidden).
 *  @return 0 or a tracker error */
int dp_access_l2tp(dp_access *a, dp_tracker *t, const struct dp_frame *f, int64_t ts_ns,
		   const struct dp_secrets *secrets);

/** A DHCPv6 message (UDP 546/547).  @return 0 or a tracker error */
int dp_access_dhcp6(dp_access *a, dp_tracker *t, const struct dp_frame *f, int64_t ts_ns);

const struct dp_access_counters *dp_access_get_counters(const dp_access *a);

/** Map DHCPv4 line identities to accounts (borrowed; NULL: none). */
void dp_access_set_linemap(dp_access *a, const dp_linemap *m);

/** Fill PPPoE/L2TP logins from recent Access-Accepts (borrowed; NULL: no). */
void dp_access_set_accepts(dp_access *a, dp_accepts *acc);

/**
 * Whether a DHCPv4-only record (session id "dhcp:<mac>") that is leaving
 * the tracker (closed or persisted open) has the line identity as its
 * account: its binding's last message matched no line map entry.
 */
bool dp_access_dhcp4_unmapped(const dp_access *a, const struct rt_session *s);

#endif
