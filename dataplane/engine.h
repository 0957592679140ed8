/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file engine.h
 * @brief Packet path: frame decode -> RADIUS validate/verify/decode ->
 *        session tracker.  Counts every packet by what became of it.
 *
 * The engine owns a tracker; closed sessions leave through the close
 * callback given at allocation.  No allocation per packet (the tracker
 * allocates once per new session).  Not thread-safe: one per worker.
 */
#ifndef DP_ENGINE_H
#define DP_ENGINE_H

#include <stdint.h>

#include "capture.h"
#include "frame.h"
#include "linemap.h"
#include "radius.h"
#include "secrets.h"
#include "tracker.h"

#define DP_ENGINE_MAX_PORTS 8

struct dp_engine_cfg {
	uint16_t acct_ports[DP_ENGINE_MAX_PORTS]; /**< default 1813, 1646 */
	unsigned n_acct_ports;
	uint16_t auth_ports[DP_ENGINE_MAX_PORTS]; /**< default 1812, 1645 */
	unsigned n_auth_ports;
	const dp_secrets *secrets; /**< may be NULL: every NAS is "no-secret" */
	int64_t dup_window_ns;     /**< identical re-send window (default 120 s) */
	struct dp_tracker_cfg tracker;
};

void dp_engine_cfg_default(struct dp_engine_cfg *cfg);

struct dp_counters {
	uint64_t packets;
	uint64_t bytes;
	uint64_t not_ip;       /**< ARP, PPPoE, ...: not for this path */
	uint64_t not_udp;
	uint64_t other_udp;    /**< UDP not on a RADIUS port */
	uint64_t fragments;    /**< IP fragments seen */
	uint64_t reassembled;  /**< IPv4 datagrams rebuilt from fragments */
	uint64_t fragments_dropped; /**< bad, overlapping or oversized fragments */
	uint64_t malformed_frame[DP_FRAME_RES_MAX];
	uint64_t malformed_radius[DP_RADIUS_FAIL_MAX];
	uint64_t radius_acct_requests;  /**< well-formed Accounting-Requests */
	uint64_t radius_acct_responses; /**< from the server: ignored */
	uint64_t radius_auth;           /**< auth port traffic: counted only */
	uint64_t radius_other;          /**< other codes on an accounting port */
	uint64_t rejected;              /**< authenticator did not verify */
	uint64_t no_secret;             /**< accepted from a NAS with no secret */
	uint64_t accepted;              /**< fed to the tracker */
	uint64_t retransmissions;       /**< identical re-sends dropped (RFC 5080 s2.2.2) */
	uint64_t unknown_client;        /**< listener: no secret for the sender: discarded */
	uint64_t pppoe;                 /**< PPPoE frames (discovery and session) */
	uint64_t dhcp4;                 /**< DHCPv4 messages */
	uint64_t malformed_pppoe;
	uint64_t malformed_ppp;
	uint64_t malformed_dhcp4;
	uint64_t dhcp6;                 /**< DHCPv6 messages */
	uint64_t l2tp;                  /**< L2TP messages */
	uint64_t malformed_l2tp;
	uint64_t malformed_dhcp6;
	uint64_t logins_failed;         /**< PAP Nak / CHAP Failure */
	uint64_t replayed;              /**< verified request seen long before: dropped */
	uint64_t access_requests;       /**< Access-Requests seen */
	uint64_t access_responses;      /**< Access-Accept/Reject/Challenge seen */
	uint64_t msg_auth_missing;      /**< Access packets without Message-Authenticator */
	uint64_t msg_auth_invalid;      /**< with one that does not verify */
	uint64_t blastradius_suspect;   /**< response with Proxy-State, no Message-Authenticator */
	uint64_t accepts_matched;       /**< Access-Accepts matched to their request and kept */
	uint64_t accepts_unmatched;     /**< Access-Accepts with no pending request: ignored */
	uint64_t accepts_bad_authenticator; /**< Response/Message-Authenticator bad: ignored */
};

/** Sum of malformed_frame[] and malformed_radius[]. */
uint64_t dp_counters_malformed(const struct dp_counters *c);

/** Details of one rejected (spoofed) packet, for the caller to log. */
struct dp_reject_info {
	int64_t capture_ns;
	struct rt_addr src;
	uint16_t sport;
	uint8_t identifier;
	uint32_t status;
	struct rt_view session_id; /**< into the packet: valid during the call */
};

typedef struct dp_engine dp_engine;

/**
 * @param[in] on_close   receives every closed session (NULL: none, only counted)
 * @param[in] on_reject  optional, receives every rejected packet
 * @return 0, -ENOMEM
 */
int dp_engine_alloc(const struct dp_engine_cfg *cfg, dp_tracker_close_fn on_close,
		    void (*on_reject)(void *ctx, const struct dp_reject_info *r), void *ctx,
		    dp_engine **ret);

void dp_engine_free(dp_engine *e);

/** Replace the secrets (e.g. on SIGHUP).  The engine does not own them. */
void dp_engine_set_secrets(dp_engine *e, const dp_secrets *s);

/**
 * Process one captured packet.
 * @return 0, or a tracker/close-callback error (-ENOMEM, storage errors)
 */
int dp_engine_packet(dp_engine *e, const struct dp_pkt *p, int linktype);

/** A Request Authenticator verdict computed ahead of the engine. */
enum dp_auth_hint {
	DP_AUTH_UNKNOWN = 0, /**< not computed: the engine verifies itself */
	DP_AUTH_VALID,       /**< verifies with the sender's secret */
	DP_AUTH_INVALID,     /**< does not verify */
};

/** What dp_engine_preverify() found out about one frame. */
struct dp_preverified {
	uint8_t hint;        /**< enum dp_auth_hint */
	uint8_t decoded;     /**< acct/acct_fail hold the decode of payload */
	uint8_t acct_fail;   /**< enum dp_radius_fail of that decode */
	uint64_t dup_tag;    /**< VALID: where the engine's caches will look, for */
	uint64_t replay_tag; /**< dp_engine_prefetch(); else 0 */
	uint64_t key_hash;   /**< VALID Start/Interim/Stop: its tracker key's
			      *   dp_tracker_key_hash(), else 0 */
	const uint8_t *payload; /**< decoded: the Accounting-Request (into the frame) */
	size_t payload_len;
	struct dp_radius_acct acct; /**< decoded: dp_radius_decode_acct() of it */
};

/**
 * Verify the Request Authenticator of a captured frame ahead of the
 * engine: a pure function of the bytes, the accounting ports and the
 * secrets of @p cfg (read only), safe to call from another thread than the
 * engine's -- the MD5 is most of the per-packet cost, so a reader thread
 * can take it off the engine's thread.
 * @param[out] ret  hint DP_AUTH_VALID/INVALID for an Accounting-Request on
 *         an accounting port from a client with a secret; DP_AUTH_UNKNOWN
 *         for anything else (the engine decides: fragments, no secret, not
 *         a request)
 */
void dp_engine_preverify(const struct dp_engine_cfg *cfg, const struct dp_pkt *p, int linktype,
			 struct dp_preverified *ret);
/* (Such a request is also decoded there: `decoded`, `acct_fail`, `acct`,
 * whose texts point into the frame.  A malformed one gets no verdict: the
 * engine counts it malformed without verifying.) */

/**
 * Prefetch the duplicate and replay cache slots of a frame a few frames
 * before giving it to dp_engine_frame_verified() (the caches are large and
 * randomly hit: a miss on each costs more than the rest of the frame's
 * RADIUS work).  A hint only: any value is harmless.
 */
void dp_engine_prefetch(const dp_engine *e, const struct dp_preverified *v);

/**
 * The later stages of dp_engine_prefetch() for the tracker's session of
 * the frame (dp_tracker_prefetch() stages 1 and 2: each reads what the
 * stage before prefetched), a few frames after it and a few before the
 * frame itself.
 */
void dp_engine_prefetch_stage(const dp_engine *e, const struct dp_preverified *v, unsigned stage);

/**
 * dp_engine_packet() with the authenticator verdict computed ahead.
 * @p hint must come from dp_engine_preverify() on the same bytes, with
 * the accounting ports and the secrets this engine uses: the engine takes
 * VALID/INVALID as given (UNKNOWN: it verifies itself).  The records are
 * those dp_engine_packet() would give.
 * @return as dp_engine_packet()
 */
int dp_engine_frame_verified(dp_engine *e, const struct dp_pkt *p, int linktype,
			     enum dp_auth_hint hint);

/**
 * dp_engine_frame_verified() with everything dp_engine_preverify() found
 * on these bytes: the verdict and the decoded request (the engine does not
 * decode the request again).  @p v must come from dp_engine_preverify()
 * on the same frame, at the same address, with this engine's ports and
 * secrets.  The records are those dp_engine_packet() would give.
 */
int dp_engine_frame_preverified(dp_engine *e, const struct dp_pkt *p, int linktype,
				const struct dp_preverified *v);

/** What became of one RADIUS datagram given to dp_engine_radius(). */
enum dp_verdict {
	DP_V_IGNORED = 0, /**< not an Accounting-Request (a response, ...) */
	DP_V_ACCEPTED,    /**< verified and fed to the tracker */
	DP_V_DUPLICATE,   /**< verified retransmission of one already accepted */
	DP_V_REJECTED,    /**< authenticator does not verify */
	DP_V_MALFORMED,
	DP_V_NO_SECRET,   /**< no secret for the sender: discarded */
	DP_V_REPLAY,      /**< verified, but seen long before: a replay, dropped */
};

struct dp_radius_result {
	enum dp_verdict verdict;
	uint8_t identifier;
	uint8_t authenticator[16];       /**< the Request Authenticator */
	const struct dp_secret *secret;  /**< the sender's (ACCEPTED, DUPLICATE) */
};

/**
 * Process one RADIUS datagram received on a socket (the accounting
 * listener): like a captured packet, but the sender must have a secret.
 * An ACCEPTED or DUPLICATE request is to be answered once what it carried
 * is durable.
 * @return 0, or a tracker/close-callback error
 */
int dp_engine_radius(dp_engine *e, const struct rt_addr *src, uint16_t sport, const uint8_t *p,
		     size_t len, int64_t ts_ns, struct dp_radius_result *ret);

/** End of input: final orphan sweep at the last capture time seen. */
int dp_engine_flush(dp_engine *e);

const struct dp_counters *dp_engine_counters(const dp_engine *e);
dp_tracker *dp_engine_tracker(dp_engine *e);

/** Map DHCPv4 line identities to accounts (dataplane/ACCESS.md); the map is
 *  borrowed (NULL: none) and may be swapped between packets (SIGHUP). */
void dp_engine_set_linemap(dp_engine *e, const dp_linemap *m);

/** dp_tracker_foreach_open() with the records stamped as they leave the
 *  engine (RT_FLAG_UNMAPPED): use this, not the tracker's, to persist. */
int dp_engine_foreach_open(dp_engine *e, int (*fn)(void *ctx, const struct rt_session *s),
			   void *ctx);

/** dp_tracker_foreach_dirty() with the open records stamped the same way. */
int dp_engine_foreach_dirty(dp_engine *e, dp_tracker_dirty_fn fn, void *ctx);

#endif /* DP_ENGINE_H */
