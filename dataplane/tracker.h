/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file tracker.h
 * @brief Session tracker: turns accepted accounting messages into one
 *        record per access session.
 *
 * Design note: the semantics (each is a real failure of existing tools)
 * -----------------------------------------------------------------------
 *  - Key = (NAS identity, Acct-Session-Id).  NAS identity = NAS-IP-Address,
 *    else NAS-IPv6-Address, else the packet source address.
 *  - Event time = Event-Timestamp, else capture time - Acct-Delay-Time.
 *  - Start opens a session, unless the key's last closed session stopped
 *    after the event (a late Start of that session: ignored).  A Start for
 *    an open key within 1 s of its start is a duplicate, and so is one
 *    within 60 s while the session has had no other news (clients that
 *    retransmit without raising Acct-Delay-Time); a later one means
 *    the NAS reused the id without us seeing it close: the old session is
 *    closed as orphan-timeout at its last news and a new one opens.
 *  - Interim updates an open session (the address may appear first here).
 *    An Interim for a key that is not open opens a session starting at
 *    event - Acct-Session-Time, unless that start lies before the stop of
 *    the key's last closed session: an Interim after Stop never reopens.
 *  - Stop closes at the event time.  A Stop without Start becomes a session
 *    [event - Acct-Session-Time, event], unless it belongs to the last
 *    closed session of that key (retransmitted or late Stop: ignored): its
 *    start lies before that session's stop, or it tells that session's
 *    length (Acct-Session-Time within 2 s of stop - start) and names its
 *    account (or none).  The second test catches a Stop sent again unchanged
 *    later than its Acct-Session-Time: without a raised Acct-Delay-Time its
 *    event is the time of the resend (a client retrying from a new port, a
 *    NAS resending what retaind did not answer before a restart).  A new
 *    session under a reused Acct-Session-Id whose Start we missed is taken
 *    for the old one only if it has the same account and length within 2 s.
 *  - Retransmissions (same Identifier, or a new Identifier with a changed
 *    Acct-Delay-Time) are recorded once: they fall under the rules above.
 *  - Accounting-On/Off closes every open RADIUS session of that NAS that
 *    started before it, at the event time, stop_cause nas-reboot.  A Start
 *    at or before the session's last news is a duplicate.  Acct-Session-Id reuse after the reboot
 *    opens new sessions (the start-after-last-stop rule).
 *  - Orphans: a session with no news for k x its interim interval (learned
 *    from its last two updates, else a default) is closed at its last news
 *    as orphan-timeout.  Sweeps run on the capture clock (every 60 s of
 *    capture time, and dp_tracker_flush at the end of input).
 *  - Latest non-empty attribute value wins; the first packet carrying
 *    Event-Timestamp gives clock_skew_ms.
 *
 * Memory (issue 7: 10 million open sessions within 256 bytes each, tables,
 * indexes and closed keys included; `tools/bench tracker` measures it):
 *  - an open session is a 64-byte record (times, IPv4, flags, 32-bit links
 *    of the key and MAC hash chains, an interned NAS id) plus an 8-byte
 *    orphan deadline, and one blob from an 8-byte size-class slab with the
 *    five texts packed with their lengths and the rarer fields (IPv6
 *    address and prefixes, lease end, indexed MAC).  Typical: ~200 bytes.
 *    A full struct rt_session is built only to emit a session (close
 *    callback, dp_tracker_foreach_open) or when a text changes.
 *  - blobs are allocated when a session opens or a text changes length
 *    class, never for a retransmission; freed blobs are reused by the next
 *    session of the same class (slab chunks are not returned to the system:
 *    the memory of a peak stays with the tracker).
 *  - the key and MAC hash tables grow by doubling incrementally (a few
 *    buckets move per insert): no O(n) pause.  Record chunks of 65536 are
 *    added and given back without copying.
 *  - a recently closed key (kept `closed_keep_ns` of capture time, to
 *    recognise late Stops and Interims) costs a 32-byte entry in a ring of
 *    blocks plus 5-11 bytes of index: a 62-bit hash stands for the key, a
 *    32-bit tag for its account (with its length, what tells a Stop sent
 *    again late from a new session of the key).
 *    The index doubles incrementally too.  No call pauses for O(n) work
 *    except dp_tracker_foreach_open, Accounting-On/Off (a scan of the open
 *    sessions), a sweep that finds due sessions, and
 *    dp_tracker_clear_dirty after the dirty list was dropped.  With 10M open
 *    sessions the 256-byte budget holds while the closed keys of the last
 *    2 days number up to about as many as the open sessions (~233 bytes
 *    per open session measured with 10M of each with 24-byte entries; the
 *    32-byte ones add 8: 235 -> 243 accounted with 1M of each).
 *  - dp_tracker_get_stats() reports the tracker's own allocation in
 *    mem_bytes.
 *  - checkpoints: the sessions changed since the last
 *    dp_tracker_clear_dirty() are listed as they change (a flag bit in the
 *    record plus a 4-byte slot number, in chunks of 65536), so that
 *    dp_tracker_foreach_dirty() costs O(changed), not O(open): at most
 *    ~4 bytes per open session while every session changed, 256 KB when
 *    few did.
 *
 * Close callback errors: a session whose close the callback refused stays
 * open and unchanged (its key is not remembered as closed), and the error is
 * returned by the call; feeding the same message again (or the next
 * dp_tracker_advance/flush for orphans and leases) retries the close.
 *
 * Not thread-safe: one tracker per writer thread.
 */
#ifndef DP_TRACKER_H
#define DP_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"

typedef struct dp_tracker dp_tracker;

/** A protocol-neutral accounting message (RADIUS now; PPPoE/DHCP later). */
struct dp_acct_msg {
	uint32_t status;          /**< enum dp_acct_status */
	int64_t capture_ns;       /**< capture clock */
	int64_t event_ns;         /**< see the rules above */
	struct rt_addr nas;       /**< NAS identity */
	uint8_t auth;             /**< enum rt_auth verdict of this packet */
	uint8_t source;           /**< enum rt_source bit */
	bool has_session_time;
	uint32_t session_time;    /**< seconds */
	bool has_cause;
	uint32_t cause;           /**< Acct-Terminate-Cause */
	bool has_event_ts;
	int64_t skew_ns;          /**< capture - delay - Event-Timestamp */
	/** Fields this message carries; an empty view is absent.  The views
	 *  are borrowed: valid only during dp_tracker_acct(). */
	struct rt_view account;
	struct rt_view session_id; /**< may be empty */
	struct rt_view calling_number;
	struct rt_view nas_id;
	struct rt_view nas_port_id;
	bool has_ipv4;
	uint8_t ipv4[4];
	bool has_ipv6_addr;
	uint8_t ipv6_addr[16];
	struct rt_prefix6 ipv6_prefix;
	struct rt_prefix6 delegated_prefix;

	/* PPPoE and DHCP sessions (dataplane/ACCESS.md).  Their key NAS is
	 * the zero address; the record's nas_ip may still be set. */
	bool has_nas_rec;
	struct rt_addr nas_rec;    /**< record nas_ip when it differs from the key */
	bool has_client_mac;
	uint8_t client_mac[6];     /**< PPPoE client / DHCP chaddr: fusion with RADIUS */
	bool has_expires;
	int64_t expires_ns;        /**< DHCP lease end: closes as lease-expired */
	/** An Interim that is news by nature (PPP keepalive, IPCP address,
	 *  DHCP renewal): it moves the last news forward but neither counts
	 *  as a duplicate nor teaches an interim interval. */
	bool keepalive;
};

struct dp_tracker_cfg {
	unsigned orphan_k;          /**< default 3 */
	int64_t default_interval_ns;/**< default 3600 s */
	int64_t min_timeout_ns;     /**< default 60 s */
	int64_t sweep_every_ns;     /**< default 60 s */
	int64_t closed_keep_ns;     /**< default 2 days */
};

void dp_tracker_cfg_default(struct dp_tracker_cfg *cfg);

struct dp_tracker_stats {
	uint64_t messages;
	uint64_t opened;
	uint64_t closed;
	uint64_t duplicates;        /**< ignored as retransmission/late */
	uint64_t stop_without_start;
	uint64_t interim_without_start;
	uint64_t nas_reboots;
	uint64_t orphaned;
	uint64_t leases_expired;
	uint64_t fused;             /**< PPPoE/DHCP sessions merged into RADIUS ones */
	uint64_t open_now;
	uint64_t mem_bytes;         /**< memory the tracker holds (all of it) */
};

/** Called for every session that closes; s is valid during the call only.
 *  A non-zero return keeps the session open (not remembered as closed) and
 *  is returned by the call that tried to close it, which may be retried. */
typedef int (*dp_tracker_close_fn)(void *ctx, const struct rt_session *s);

/**
 * @param[in] cfg  NULL for defaults
 * @return 0 or -ENOMEM
 */
int dp_tracker_alloc(const struct dp_tracker_cfg *cfg, dp_tracker_close_fn on_close,
		     void *ctx, dp_tracker **ret);

void dp_tracker_free(dp_tracker *t);

/**
 * Feed one accepted message (verified or from a NAS without a secret).
 * May first sweep orphans if the capture clock crossed a sweep point; if a
 * close callback fails there, the message is not processed (the sweep
 * point stays, so the next call retries it).  A failed call changes no
 * session beyond idempotent updates: feeding the message again is safe.
 * @return 0, -ENOMEM, or the close callback's non-zero value
 */
int dp_tracker_acct(dp_tracker *t, const struct dp_acct_msg *m);

/**
 * The hash under which dp_tracker_acct() looks up the session of an
 * accounting message (its nas and session_id): a pure function, so another
 * thread can compute it ahead (dp_engine_preverify()).
 */
uint64_t dp_tracker_key_hash(const struct rt_addr *nas, const char *sid, unsigned len);

/**
 * Prefetch what the lookup of key hash h will read, a few messages before
 * it: stage 0 the index bucket and the closed-key slot, stage 1 (reads the
 * bucket, prefetched earlier) the first record of its chain, stage 2 (reads
 * that record) its texts.  A hint only: any h is harmless, nothing changes.
 */
void dp_tracker_prefetch(const dp_tracker *t, uint64_t h, unsigned stage);

/** Advance the capture clock (sweeps if a sweep point is crossed). */
int dp_tracker_advance(dp_tracker *t, int64_t now_ns);

/** Final sweep at `now_ns` (end of a capture). */
int dp_tracker_flush(dp_tracker *t, int64_t now_ns);

/**
 * Re-open a session that a previous run left open (from the store), with
 * its last_news_ns/prev_news_ns (RT_TIME_NONE: its start is its last news).
 * @return 0, -EEXIST (key already open), -ENOMEM
 */
int dp_tracker_resume(dp_tracker *t, const struct rt_session *s);

/**
 * Remember a session closed in a previous run (from the store), so that a
 * late or retransmitted Stop or Interim of it is recognised after a
 * restart instead of becoming a second record.  Its age counts from its
 * stop; a stop more than closed_keep_ns ahead of the capture clock (a NAS
 * clock gone wrong) ages from the sweep that finds it instead.
 * @return 0, -EINVAL (not closed), -ENOMEM
 */
int dp_tracker_remember_closed(dp_tracker *t, const struct rt_session *s);

/** Visit every open session (e.g. to persist them). */
int dp_tracker_foreach_open(dp_tracker *t, int (*fn)(void *ctx, const struct rt_session *s),
			    void *ctx);

/**
 * Visitor of dp_tracker_foreach_dirty().  s is valid during the call only.
 * gone false: s is an open session as dp_tracker_foreach_open() shows it.
 * gone true: a session that left the open set without a close (absorbed
 * into a RADIUS session by a PPPoE/DHCP fusion): only its key (nas_ip,
 * session_id), start_ns and sources are set, stop_ns is RT_TIME_NONE.
 * A non-zero return stops the visit and is returned by it.  The visitor
 * must not change the tracker.
 */
typedef int (*dp_tracker_dirty_fn)(void *ctx, const struct rt_session *s, bool gone);

/**
 * Visit what changed since the last dp_tracker_clear_dirty() (or since
 * dp_tracker_alloc()), to checkpoint only that: first every session gone
 * without a close (in the order they left), then every open session that
 * opened (dp_tracker_resume() included) or changed a field of its struct
 * rt_session since, once each, in no particular order.  Sessions closed
 * since are not visited (the close callback had them), nor sessions
 * whose only news was a retransmission.  A session gone and then opened
 * again under the same key is visited as gone, then as open.
 *
 * The list costs nothing per packet beyond a flag test and, at the first
 * change of a session, a 4-byte append (its memory grows in 256 KB chunks;
 * no allocation per packet).  If it grows past twice the open sessions
 * (nobody clears it) or an allocation fails, it is dropped: this call then
 * returns -ENOBUFS without visiting anything, and the caller walks every
 * open session (dp_tracker_foreach_open) before the clear.
 *
 * The list is not cleared: call dp_tracker_clear_dirty() once what was
 * visited is safely handed over (after a failed visit, the same list can
 * be visited again).
 * @return 0, -ENOBUFS (list dropped: walk everything), or fn's non-zero value
 */
int dp_tracker_foreach_dirty(dp_tracker *t, dp_tracker_dirty_fn fn, void *ctx);

/** Forget what changed so far: the next dp_tracker_foreach_dirty() lists
 *  what changes from now on.  O(listed) (O(open) after -ENOBUFS). */
void dp_tracker_clear_dirty(dp_tracker *t);

void dp_tracker_get_stats(const dp_tracker *t, struct dp_tracker_stats *ret);

#endif /* DP_TRACKER_H */
